/**
 * Installing the 72 split files into a folder: read from a local copy or
 * download from the pinned upstream commit, validate all of them, then
 * write each one atomically. Used by `splits/install.ts`.
 * @module
 */
import { join } from "node:path";
import { LaionFmriError, PermissionMissingError } from "../core/errors.ts";
import { writeFileAtomic } from "../core/fs.ts";
import { isPermissionError } from "../core/permissions.ts";
import { mapPool } from "../core/pool.ts";
import { SPLIT_NAMES, SPLIT_POOLS } from "./catalogue.ts";
import { UPSTREAM_SPLITS_BASE_URL } from "./source.ts";
import { parseSplitFile } from "./validate.ts";

/** Options of {@linkcode installSplits}. */
export interface InstallSplitsOptions {
  /** Folder to fill with `{pool}/{name}.json`. */
  to: string;
  /**
   * Local folder holding `{pool}/{name}.json` to copy from.
   * @default undefined (download from {@linkcode UPSTREAM_SPLITS_BASE_URL})
   */
  from?: string;
  /** Base URL to download from when `from` is not set. @default UPSTREAM_SPLITS_BASE_URL */
  baseUrl?: string;
  /** Parallel downloads. @default 6 */
  concurrency?: number;
  /** Aborts reading, downloading and writing. */
  signal?: AbortSignal;
}

/** What {@linkcode installSplits} did. */
export interface InstallSplitsResult {
  /** Number of files written (72). */
  files: number;
  /** Total bytes written. */
  bytes: number;
  /** Where they were written. */
  to: string;
  /** Where they came from (a folder or a base URL). */
  source: string;
}

/** A split file could not be read or downloaded. `source` names it. */
export class SplitsInstallError extends LaionFmriError {
  /** The path or URL that failed. */
  readonly source: string;
  /**
   * @param source the path or URL that failed
   * @param message what went wrong and what to do
   */
  constructor(source: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.source = source;
  }
}

/**
 * Reads (or downloads) all 72 split files, validates every one (JSON shape,
 * `n_train`/`n_test` equal to the id list lengths, ids unique, train and test
 * disjoint, `name` matching the file), and only then writes them, each to a
 * temp file in its final folder renamed into place. When anything fails,
 * nothing is written.
 *
 * @throws {MalformedFileError} naming the first invalid file
 * @throws {SplitsInstallError} when a file cannot be read or downloaded
 * @throws {PermissionMissingError} when a Deno permission is missing
 * @example
 * ```ts
 * import { installSplits } from "./lib/splits/install.ts";
 * const r = await installSplits({ from: "/data/laion-fmri-splits", to: "/tmp/splits" });
 * console.log(r.files); // 72
 * ```
 */
export async function installSplits(options: InstallSplitsOptions): Promise<InstallSplitsResult> {
  const { to, from, signal } = options;
  const baseUrl = options.baseUrl ?? UPSTREAM_SPLITS_BASE_URL;
  const jobs = SPLIT_POOLS.flatMap((pool) => SPLIT_NAMES.map((name) => ({ pool, name })));
  const texts = await mapPool(
    jobs,
    async ({ pool, name }) => {
      const rel = `${pool}/${name}.json`;
      const source = from ? join(from, pool, `${name}.json`) : new URL(rel, baseUrl).href;
      const text = from ? await readLocal(source, from, signal) : await download(source, signal);
      parseSplitFile(text, source, name);
      return text;
    },
    { limit: from ? 12 : options.concurrency ?? 6, signal },
  );
  let bytes = 0;
  for (const [i, { pool, name }] of jobs.entries()) {
    signal?.throwIfAborted();
    const dir = join(to, pool);
    bytes += await writeAtomic(dir, `${name}.json`, texts[i], to);
  }
  return { files: jobs.length, bytes, to, source: from ?? baseUrl };
}

async function readLocal(path: string, from: string, signal?: AbortSignal): Promise<string> {
  try {
    return await Deno.readTextFile(path, { signal });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new SplitsInstallError(
        path,
        `${path} does not exist: --from must name a folder holding {pool}/{split}.json ` +
          `for the pools ${SPLIT_POOLS.join(", ")}`,
        { cause: e },
      );
    }
    if (isPermissionError(e)) {
      throw new PermissionMissingError(`read ${from}`, `--allow-read=${from}`, { cause: e });
    }
    throw e;
  }
}

async function download(url: string, signal?: AbortSignal): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { signal });
  } catch (e) {
    if (isPermissionError(e)) {
      throw new PermissionMissingError(
        `download ${url}`,
        `--allow-net=${new URL(url).host}`,
        { cause: e },
      );
    }
    if (signal?.aborted) throw e;
    throw new SplitsInstallError(
      url,
      `Cannot download ${url} (${describe(e)}). Check the network, or copy the files ` +
        `from a local folder with --from DIR.`,
      { cause: e },
    );
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new SplitsInstallError(
      url,
      `Downloading ${url} failed: HTTP ${res.status} ${res.statusText}. Copy the files from a ` +
        `local folder with --from DIR instead.`,
    );
  }
  return await res.text();
}

async function writeAtomic(dir: string, file: string, text: string, to: string): Promise<number> {
  const data = new TextEncoder().encode(text);
  try {
    await Deno.mkdir(dir, { recursive: true });
    await writeFileAtomic(join(dir, file), data);
    return data.length;
  } catch (e) {
    if (isPermissionError(e)) {
      throw new PermissionMissingError(`write split files into ${to}`, `--allow-write=${to}`, {
        cause: e,
      });
    }
    throw e;
  }
}

function describe(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : "";
  return `${msg}${cause}`.replaceAll("\n", " ");
}

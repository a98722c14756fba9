/**
 * Installing the split files into a folder: the 72 of `shared` and the
 * subjects, plus the 6 of `pooled` (required when downloading; optional
 * when copying from a folder that lacks `pooled/`). Read from a local copy
 * or download from the pinned upstream commits, validate all of them, then
 * write each one atomically. Used by `splits/install.ts`.
 * @module
 */
import { join } from "node:path";
import { LaionFmriError, PermissionMissingError } from "../core/errors.ts";
import { writeFileAtomic } from "../core/fs.ts";
import { isPermissionError } from "../core/permissions.ts";
import { mapPool } from "../core/pool.ts";
import { POOLED_POOL, POOLED_SPLIT_NAMES, SPLIT_NAMES, SPLIT_POOLS } from "./catalogue.ts";
import { UPSTREAM_SPLITS_BASE_URL, upstreamSplitUrl } from "./source.ts";
import { checkPooledSplits, parseSplitFile, type SplitFileData } from "./validate.ts";

/** The pools every install has: `shared` and the five subjects. */
const BASE_POOLS = SPLIT_POOLS.filter((p) => p !== POOLED_POOL);

/** Options of {@linkcode installSplits}. */
export interface InstallSplitsOptions {
  /** Folder to fill with `{pool}/{name}.json`. */
  to: string;
  /**
   * Local folder holding `{pool}/{name}.json` to copy from.
   * @default undefined (download from {@linkcode UPSTREAM_SPLITS_BASE_URL})
   */
  from?: string;
  /**
   * Base URL to download every `{pool}/{name}.json` from when `from` is not
   * set (`pooled` included). @default the upstream commits (`pooled` files
   * from their own commits, see `UPSTREAM_POOLED_COMMITS`)
   */
  baseUrl?: string;
  /** Parallel downloads. @default 6 */
  concurrency?: number;
  /** Aborts reading, downloading and writing. */
  signal?: AbortSignal;
}

/** What {@linkcode installSplits} did. */
export interface InstallSplitsResult {
  /** Number of files written (72, or 78 with `pooled`). */
  files: number;
  /** The pools written, in catalogue order. */
  pools: string[];
  /**
   * Pools left out, with why: `pooled` when copying `from` a folder without
   * `pooled/` (the reference copies predate it). Empty when downloading.
   */
  skipped: { pool: string; reason: string }[];
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
 * Reads (or downloads) the split files, validates every one (JSON shape,
 * `n_train`/`n_test` equal to the id list lengths, ids unique, train and test
 * disjoint, `name` matching the file; the `pooled` files also against each
 * other, see `checkPooledSplits`), and only then writes them, each to a temp
 * file in its final folder renamed into place. When anything fails, nothing
 * is written. Downloading fetches all 78 files; copying `from` a folder
 * without `pooled/` installs the 72 others and reports `pooled` as skipped
 * (a `pooled/` folder that is there must hold all 6 files).
 *
 * @throws {MalformedFileError} naming the first invalid file
 * @throws {SplitsInstallError} when a file cannot be read or downloaded
 * @throws {PermissionMissingError} when a Deno permission is missing
 * @example
 * ```ts
 * import { installSplits } from "./install.ts";
 * const r = await installSplits({ from: "/data/laion-fmri-splits", to: "/tmp/splits" });
 * console.log(r.files, r.skipped); // 72 [{ pool: "pooled", reason: "..." }]
 * ```
 */
export async function installSplits(options: InstallSplitsOptions): Promise<InstallSplitsResult> {
  const { to, from, signal } = options;
  const skipped: { pool: string; reason: string }[] = [];
  let pools: string[] = [...SPLIT_POOLS];
  if (from !== undefined && !(await isDir(join(from, POOLED_POOL), from))) {
    pools = [...BASE_POOLS];
    skipped.push({
      pool: POOLED_POOL,
      reason: `${join(from, POOLED_POOL)} does not exist (the pool is optional when copying ` +
        `from a folder; install without --from to download it)`,
    });
  }
  const jobs = pools.flatMap((pool) =>
    (pool === POOLED_POOL ? POOLED_SPLIT_NAMES : SPLIT_NAMES).map((name) => ({ pool, name }))
  );
  const parsed = await mapPool(
    jobs,
    async ({ pool, name }) => {
      const source = from
        ? join(from, pool, `${name}.json`)
        : upstreamSplitUrl(pool, name, options.baseUrl);
      const text = from ? await readLocal(source, from, signal) : await download(source, signal);
      return { text, path: source, data: parseSplitFile(text, source, name) };
    },
    { limit: from ? 12 : options.concurrency ?? 6, signal },
  );
  const pooled = new Map<string, { path: string; data: SplitFileData }>();
  jobs.forEach(({ pool, name }, i) => {
    if (pool === POOLED_POOL) pooled.set(name, parsed[i]);
  });
  checkPooledSplits(pooled);
  let bytes = 0;
  for (const [i, { pool, name }] of jobs.entries()) {
    signal?.throwIfAborted();
    const dir = join(to, pool);
    bytes += await writeAtomic(dir, `${name}.json`, parsed[i].text, to);
  }
  return {
    files: jobs.length,
    bytes,
    to,
    source: from ?? options.baseUrl ?? UPSTREAM_SPLITS_BASE_URL,
    pools,
    skipped,
  };
}

async function isDir(path: string, from: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    if (isPermissionError(e)) {
      throw new PermissionMissingError(`read ${from}`, `--allow-read=${from}`, { cause: e });
    }
    throw e;
  }
}

async function readLocal(path: string, from: string, signal?: AbortSignal): Promise<string> {
  try {
    return await Deno.readTextFile(path, { signal });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new SplitsInstallError(
        path,
        `${path} does not exist: --from must name a folder holding {pool}/{split}.json ` +
          `for the pools ${BASE_POOLS.join(", ")} (and, if it has pooled/, the 6 pooled ` +
          `splits ${POOLED_SPLIT_NAMES.join(", ")})`,
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

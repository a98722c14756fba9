/**
 * Where split JSON files come from, reading them, and the per-process cache.
 *
 * Lookup order for `{pool}/{name}.json`:
 * 1. the folder named by the environment variable `LAION_FMRI_SPLITS_DIR`
 *    (when set and readable: without `--allow-env` it counts as unset);
 * 2. the package's own `splits/data/`, resolved from `import.meta.url`
 *    (a file read from a checkout, a `fetch` for a remote import such as JSR);
 * 3. otherwise a {@linkcode SplitsNotInstalledError} saying how to install them.
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LaionFmriError, PermissionMissingError } from "../core/errors.ts";
import { isPermissionError, readSettingsEnv } from "../core/permissions.ts";
import { parseSplitFile, type SplitFileData } from "./validate.ts";

/** Environment variable naming a folder of `{pool}/{name}.json` split files. */
export const SPLITS_DIR_ENV = "LAION_FMRI_SPLITS_DIR";

/** Upstream commit the split files are pinned to. */
export const UPSTREAM_SPLITS_COMMIT = "eee8400aa3214f310b840397f9f043b9c2da79b0";

/** Base URL of the upstream split files; append `{pool}/{name}.json`. */
export const UPSTREAM_SPLITS_BASE_URL =
  `https://raw.githubusercontent.com/ViCCo-Group/LAION-fMRI/${UPSTREAM_SPLITS_COMMIT}/laion_fmri/splits/data/`;

/**
 * Upstream commits of the 6 `pooled` files (Era C; not at
 * {@linkcode UPSTREAM_SPLITS_COMMIT}), one per file: each is the commit
 * the file was read at.
 */
export const UPSTREAM_POOLED_COMMITS: Readonly<Record<string, string>> = {
  tau: "cf82765ced029de81c3bec7254b8cbd6a65e3686",
  cluster_k5_0: "41383739ad50ec26121a8b02c57c619f78c4cd5e",
  cluster_k5_1: "41383739ad50ec26121a8b02c57c619f78c4cd5e",
  cluster_k5_2: "cf82765ced029de81c3bec7254b8cbd6a65e3686",
  cluster_k5_3: "cf82765ced029de81c3bec7254b8cbd6a65e3686",
  cluster_k5_4: "cf82765ced029de81c3bec7254b8cbd6a65e3686",
};

/**
 * The URL of one split file: `{baseUrl}{pool}/{name}.json`, except that
 * without a `baseUrl` a `pooled` file comes from its own upstream commit
 * ({@linkcode UPSTREAM_POOLED_COMMITS}).
 *
 * @example
 * ```ts
 * import { upstreamSplitUrl } from "./source.ts";
 * upstreamSplitUrl("pooled", "tau").includes("cf82765c"); // true
 * ```
 */
export function upstreamSplitUrl(pool: string, name: string, baseUrl?: string): string {
  const rel = `${pool}/${name}.json`;
  if (baseUrl !== undefined) return new URL(rel, baseUrl).href;
  const pooledCommit = pool === "pooled" ? UPSTREAM_POOLED_COMMITS[name] : undefined;
  const base = pooledCommit === undefined
    ? UPSTREAM_SPLITS_BASE_URL
    : UPSTREAM_SPLITS_BASE_URL.replace(UPSTREAM_SPLITS_COMMIT, pooledCommit);
  return new URL(rel, base).href;
}

/** The package's `splits/data/` folder, as a URL (file: in a checkout, https: from JSR). */
export const PACKAGE_SPLITS_DATA_URL: URL = new URL("../../splits/data/", import.meta.url);

const INSTALL_SCRIPT_URL = new URL("../../splits/install.ts", import.meta.url);

/**
 * The split files are not where the loader looked. `path` is the file that
 * was looked for and `command` installs the files.
 *
 * @example
 * ```ts
 * import { loadSplit, SplitsNotInstalledError } from "@laion/fmri";
 * try {
 *   await loadSplit("tau", { pool: "shared" });
 * } catch (e) {
 *   if (e instanceof SplitsNotInstalledError) console.log(e.command);
 * }
 * ```
 */
export class SplitsNotInstalledError extends LaionFmriError {
  /** The file (path or URL) that was looked for. */
  readonly path: string;
  /** A command that installs the split files. */
  readonly command: string;
  /**
   * Creates an instance.
   * @param message what is missing and what to do
   * @param path the file looked for
   * @param command a command that installs the split files
   */
  constructor(message: string, path: string, command: string, options?: ErrorOptions) {
    super(message, options);
    this.path = path;
    this.command = command;
  }
}

/**
 * The command that installs the split files into the package's
 * `splits/data/` (from a checkout), or into `DIR` (from a remote import,
 * followed by setting `LAION_FMRI_SPLITS_DIR=DIR`).
 *
 * @example
 * ```ts
 * import { splitsInstallCommand } from "./source.ts";
 * console.log(splitsInstallCommand());
 * ```
 */
export function splitsInstallCommand(): string {
  const net = "--allow-net=raw.githubusercontent.com";
  if (INSTALL_SCRIPT_URL.protocol === "file:") {
    const script = fileURLToPath(INSTALL_SCRIPT_URL);
    const data = fileURLToPath(PACKAGE_SPLITS_DATA_URL).replace(/\/$/, "");
    return `deno run --allow-read --allow-write=${data} ${net} ${script}`;
  }
  return `deno run --allow-read --allow-write=DIR ${net} ${INSTALL_SCRIPT_URL.href} --to DIR`;
}

/**
 * The folder named by `LAION_FMRI_SPLITS_DIR`, or `undefined` when it is
 * unset, empty, or env access to it is not granted (never prompts).
 *
 * @example
 * ```ts
 * import { splitsDirFromEnv } from "./source.ts";
 * console.log(splitsDirFromEnv() ?? "using the package's splits/data/");
 * ```
 */
export function splitsDirFromEnv(): string | undefined {
  // The variable chooses which split files are read: a refused grant is an error, not "unset".
  const env = readSettingsEnv(
    [SPLITS_DIR_ENV],
    `read ${SPLITS_DIR_ENV} (it chooses the split files)`,
  );
  return env[SPLITS_DIR_ENV] || undefined;
}

/**
 * Whether `{pool}/tau.json` is in the split folder, checked without
 * prompting: `false` when the env or read grant needed to look is missing,
 * `true` for a remote package (its files cannot be listed synchronously;
 * `loadSplit` says how to install them if absent). The installer writes a
 * pool's files all or none, so one file stands for the pool.
 *
 * @example
 * ```ts
 * import { poolInstalled } from "./source.ts";
 * console.log(poolInstalled("pooled"));
 * ```
 */
export function poolInstalled(pool: string): boolean {
  const granted = (d: Deno.PermissionDescriptor) => {
    try {
      return Deno.permissions.querySync(d).state === "granted";
    } catch {
      return false;
    }
  };
  if (!granted({ name: "env", variable: SPLITS_DIR_ENV })) return false;
  const envDir = Deno.env.get(SPLITS_DIR_ENV) || undefined;
  let path: string;
  if (envDir !== undefined) path = join(envDir, pool, "tau.json");
  else if (PACKAGE_SPLITS_DATA_URL.protocol === "file:") {
    path = fileURLToPath(new URL(`${pool}/tau.json`, PACKAGE_SPLITS_DATA_URL));
  } else return true;
  if (!granted({ name: "read", path })) return false;
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

const cache = new Map<string, Promise<SplitFileData>>();

/**
 * Forgets every parsed split file (the next read goes to disk or network).
 *
 * @example
 * ```ts
 * import { clearSplitCache } from "@laion/fmri/splits";
 * clearSplitCache();
 * ```
 */
export function clearSplitCache(): void {
  cache.clear();
}

/**
 * Reads and validates `{pool}/{name}.json` from the first source that
 * applies (see the module doc), cached per process. `pool` and `name` must
 * already be validated against the catalogue.
 *
 * @throws {SplitsNotInstalledError} when the file is missing
 * @throws {PermissionMissingError} when reading needs a flag
 * @throws {MalformedFileError} when the file is not a valid split file
 * @example
 * ```ts
 * import { readSplitFile } from "./source.ts";
 * const data = await readSplitFile("shared", "tau");
 * console.log(data.nTrain); // 897
 * ```
 */
export function readSplitFile(
  pool: string,
  name: string,
  options: { signal?: AbortSignal } = {},
): Promise<SplitFileData> {
  const envDir = splitsDirFromEnv();
  const location = envDir !== undefined
    ? join(envDir, pool, `${name}.json`)
    : new URL(`${pool}/${name}.json`, PACKAGE_SPLITS_DATA_URL).href;
  let entry = cache.get(location);
  if (!entry) {
    entry = (envDir !== undefined
      ? readFromEnvDir(envDir, location, options.signal)
      : readFromPackage(new URL(location), options.signal)).then((text) =>
        parseSplitFile(text, location, name, splitsInstallCommand())
      );
    cache.set(location, entry);
    entry.catch(() =>
      cache.delete(location)
    );
  }
  return entry;
}

async function readFromEnvDir(dir: string, path: string, signal?: AbortSignal): Promise<string> {
  try {
    return await Deno.readTextFile(path, { signal });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new SplitsNotInstalledError(
        `${SPLITS_DIR_ENV} is set to ${dir} but ${path} does not exist. ${pooledNote(path)}` +
          `Point ${SPLITS_DIR_ENV} ` +
          `at a folder holding {pool}/{split}.json (72 files, 78 with pooled/), unset it to use the package's ` +
          `splits/data/, or fill the folder with: ${installInto(dir)}`,
        path,
        installInto(dir),
        { cause: e },
      );
    }
    if (isPermissionError(e)) {
      throw new PermissionMissingError(
        `read split files from ${dir} (${SPLITS_DIR_ENV})`,
        `--allow-read=${dir}`,
        { cause: e },
      );
    }
    throw e;
  }
}

// The pooled files are optional when copying with --from, so a folder can lack only them.
function pooledNote(path: string): string {
  return /[\\/]pooled[\\/][^\\/]+$/.test(path)
    ? "The 'pooled' pool (Era C) is optional when copying with --from and is not installed " +
      "there; installing by download (without --from) adds it. "
    : "";
}

function installInto(dir: string): string {
  const script = INSTALL_SCRIPT_URL.protocol === "file:"
    ? fileURLToPath(INSTALL_SCRIPT_URL)
    : INSTALL_SCRIPT_URL.href;
  return `deno run --allow-read --allow-write=${dir} --allow-net=raw.githubusercontent.com ${script} --to ${dir}`;
}

async function readFromPackage(url: URL, signal?: AbortSignal): Promise<string> {
  const notInstalled = (cause: unknown) => {
    const command = splitsInstallCommand();
    const where = url.protocol === "file:" ? fileURLToPath(url) : url.href;
    const how = url.protocol === "file:"
      ? `Install them into the package with:\n  ${command}\n(the same as \`deno task splits:install\`; ` +
        `add \`--from DIR\` to copy them from a local folder instead of downloading)`
      : `Install them into a folder DIR with:\n  ${command}\nthen set ${SPLITS_DIR_ENV}=DIR`;
    return new SplitsNotInstalledError(
      `Split data not installed: ${where} does not exist. ${
        pooledNote(where)
      }${how}, or set ${SPLITS_DIR_ENV} ` +
        `to a folder holding {pool}/{split}.json.`,
      where,
      command,
      { cause },
    );
  };
  if (url.protocol === "file:") {
    try {
      return await Deno.readTextFile(url, { signal });
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) throw notInstalled(e);
      if (isPermissionError(e)) {
        const dir = fileURLToPath(PACKAGE_SPLITS_DATA_URL).replace(/\/$/, "");
        throw new PermissionMissingError(`read the split files in ${dir}`, `--allow-read=${dir}`, {
          cause: e,
        });
      }
      throw e;
    }
  }
  let res: Response;
  try {
    res = await fetch(url, { signal });
  } catch (e) {
    if (isPermissionError(e)) {
      throw new PermissionMissingError(`fetch ${url.href}`, `--allow-net=${url.host}`, {
        cause: e,
      });
    }
    throw e;
  }
  if (res.status === 404) {
    await res.body?.cancel();
    throw notInstalled(new Error(`HTTP 404 for ${url.href}`));
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new LaionFmriError(`Fetching ${url.href} failed: HTTP ${res.status} ${res.statusText}`);
  }
  return await res.text();
}

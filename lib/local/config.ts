/**
 * Where downloaded data lives: the data directory, stored in an XDG config
 * file (`$XDG_CONFIG_HOME/laion_fmri/config.json`, else
 * `~/.config/laion_fmri/config.json`), as upstream, but always absolute.
 * @module
 */
import { dirname, isAbsolute, join, resolve } from "node:path";
import { DataDirNotFoundError, DataDirNotSetError } from "../core/errors.ts";
import { writeFileAtomic } from "../core/fs.ts";
import {
  readSettingsEnv,
  requirePermissions,
  withPermission,
  withPermissionSync,
} from "../core/permissions.ts";

/**
 * Path of the config file. An empty or relative `XDG_CONFIG_HOME` is ignored
 * (the XDG spec says so; upstream used it and got a CWD-relative file).
 *
 * @example
 * ```ts
 * import { configPath } from "@laion/fmri";
 * console.log(configPath()); // e.g. /root/.config/laion_fmri/config.json
 * ```
 */
export function configPath(): string {
  // Both variables decide where the config lives: a refused grant is an error, not "unset".
  const homeVar = Deno.build.os === "windows" ? "USERPROFILE" : "HOME";
  const env = readSettingsEnv(["XDG_CONFIG_HOME", homeVar], "find the config file");
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, "laion_fmri", "config.json");
  const home = env[homeVar];
  if (!home) {
    throw new DataDirNotSetError(
      `Cannot find the config file: neither an absolute XDG_CONFIG_HOME nor ${homeVar} is set.`,
    );
  }
  return join(home, ".config", "laion_fmri", "config.json");
}

/** Options of {@linkcode datasetInitialize}. */
export interface DatasetInitializeOptions {
  /**
   * Write the choice to the config file, for later programs too. With
   * `false` it holds for this process only and the user's configuration is
   * left as it was (the tour and tests use this).
   * @default true
   */
  persist?: boolean;
  /** Stops before anything is written. */
  signal?: AbortSignal;
}

// Set by datasetInitialize(dir, { persist: false }): wins over the config file.
let processDataDir: string | undefined;

/**
 * The absolute path of an existing data directory: `dataDir`, else the
 * configured one ({@linkcode getDataDir}). The one rule for a missing one,
 * everywhere (`datasetInitialize`, `download`, `downloadStimuli`, the
 * stimulus-side downloads, every CLI command): it is an error naming the
 * `mkdir` that creates it, never created silently, so that a typo or an
 * unmounted drive does not fill a new folder with gigabytes. Folders inside
 * the data directory are created as needed. A relative path is resolved
 * against the current directory (`deno task cli` runs in the caller's folder).
 *
 * @param dataDir the caller's data directory; without it, the configured one
 * @throws {DataDirNotFoundError} when it is not an existing directory (for the configured one, says how to choose another)
 * @throws {DataDirNotSetError} without `dataDir` when none is configured
 * @throws {PermissionMissingError} without `--allow-read` for it
 * @example
 * ```ts
 * import { requireDataDir } from "./config.ts";
 * console.log(await requireDataDir(".")); // the current directory, absolute
 * ```
 */
export async function requireDataDir(dataDir?: string): Promise<string> {
  const absolute = resolve(dataDir ?? getDataDir());
  const info = await withPermission(
    "check the data directory",
    `--allow-read=${absolute}`,
    () =>
      Deno.stat(absolute).catch((e) => {
        if (e instanceof Deno.errors.NotFound) return undefined;
        throw e;
      }),
  );
  if (info?.isDirectory) return absolute;
  const what = info ? "is not a directory" : "does not exist";
  const configured = dataDir === undefined
    ? ` It is the configured one (in ${configPath()}): mount or create it, or choose another ` +
      `with datasetInitialize("/path/to/data") or laion-fmri config --data-dir PATH.`
    : "";
  throw new DataDirNotFoundError(
    `Data directory ${what}: ${absolute}. Create it first (mkdir -p ${absolute}).${configured}`,
  );
}

/**
 * Sets the data directory: it must exist ({@linkcode requireDataDir});
 * `.laion_fmri/` is created inside it and the absolute path is written to
 * the config file (atomically). With `persist: false` nothing is written
 * (a read-only analysis needs only `--allow-read`). Returns the absolute path.
 *
 * @throws {TypeError} when `path` is not a string
 * @throws {DataDirNotFoundError} when `path` is not an existing directory
 * @example
 * ```ts
 * import { datasetInitialize } from "@laion/fmri";
 * await Deno.mkdir("laion_fmri_data", { recursive: true });
 * const dir = await datasetInitialize("laion_fmri_data");
 * ```
 */
export async function datasetInitialize(
  path: string,
  options: DatasetInitializeOptions = {},
): Promise<string> {
  if (typeof path !== "string") {
    throw new TypeError(`path must be a string, got ${path === null ? "null" : typeof path}`);
  }
  if (path.trim() === "") {
    // resolve("") is the current directory: an empty path is a mistake, not a choice.
    throw new TypeError('path must not be empty (use "." for the current directory)');
  }
  options.signal?.throwIfAborted();
  const absolute = await requireDataDir(path);
  if (options.persist === false) {
    processDataDir = absolute;
    return absolute;
  }
  await withPermission(
    "create the .laion_fmri folder",
    `--allow-write=${absolute}`,
    () => Deno.mkdir(join(absolute, ".laion_fmri"), { recursive: true }),
  );
  const file = configPath();
  const cfgFlag = `--allow-write=${dirname(file)}`;
  await withPermission("write the config file", cfgFlag, async () => {
    await Deno.mkdir(dirname(file), { recursive: true });
    await writeFileAtomic(file, JSON.stringify({ data_dir: absolute }, null, 2) + "\n");
  });
  processDataDir = undefined; // the latest choice wins
  return absolute;
}

/**
 * The configured data directory.
 *
 * @throws {DataDirNotSetError} when no config file exists
 * @example
 * ```ts
 * import { getDataDir } from "@laion/fmri";
 * console.log(getDataDir());
 * ```
 */
export function getDataDir(): string {
  if (processDataDir !== undefined) return processDataDir;
  const file = configPath();
  // Checked first, so the error carries the grant as a descriptor (checkAccessPermissions gathers it).
  requirePermissions("read the config file", [{ name: "read", path: file }]);
  let text: string;
  try {
    text = withPermissionSync(
      "read the config file",
      `--allow-read=${file}`,
      () => Deno.readTextFileSync(file),
    );
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new DataDirNotSetError(
        "Data directory is not configured. Run: " +
          `import { datasetInitialize } from "@laion/fmri"; await datasetInitialize("/path/to/data")` +
          " (or: laion-fmri config --data-dir /path/to/data)",
        { cause: e },
      );
    }
    throw e;
  }
  const dir = (JSON.parse(text) as { data_dir?: unknown }).data_dir;
  if (typeof dir !== "string" || dir === "") {
    throw new DataDirNotSetError(
      `Config file ${file} has no "data_dir". Run datasetInitialize again.`,
    );
  }
  return dir;
}

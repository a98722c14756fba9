/**
 * File-system helpers: atomic writes with unique temp names, and existence
 * checks that do not hide permission errors.
 * @module
 */
import { dirname } from "node:path";
import { PermissionMissingError } from "./errors.ts";

/** Options of {@linkcode writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** File mode of the new file (POSIX only). @default 0o644 */
  mode?: number;
  /** Stops the write; the temp file is removed. */
  signal?: AbortSignal;
}

/**
 * A temp path beside `path` that no other call, in this process or another,
 * uses at the same time: `{path}.{pid}.{random}.tmp`.
 *
 * @example
 * ```ts
 * import { uniqueTempPath } from "./fs.ts";
 * uniqueTempPath("/data/config.json"); // "/data/config.json.1234.3f9a1c2e.tmp"
 * ```
 */
export function uniqueTempPath(path: string): string {
  return `${path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
}

/**
 * Writes `data` to `path` so that readers see either the old file or the
 * whole new one: a unique temp file in the same folder, then a rename. On
 * any failure the temp file is removed and `path` is untouched.
 *
 * `data` may be bytes, text, or a function that writes into the temp file
 * (for content streamed from elsewhere).
 *
 * @throws {PermissionMissingError} when Deno refuses the write: it names
 *   `--allow-read=<folder> --allow-write=<folder>`, since a grant for the
 *   file alone does not cover the temp file beside it (nor its rename)
 * @example
 * ```ts
 * import { writeFileAtomic } from "./fs.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/a.json`, JSON.stringify({ ok: true }));
 * ```
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string | ((tmpPath: string) => Promise<void>),
  options: AtomicWriteOptions = {},
): Promise<void> {
  options.signal?.throwIfAborted();
  const tmp = uniqueTempPath(path);
  try {
    if (typeof data === "function") await data(tmp);
    else if (typeof data === "string") {
      await Deno.writeTextFile(tmp, data, { mode: options.mode, signal: options.signal });
    } else await Deno.writeFile(tmp, data, { mode: options.mode, signal: options.signal });
    options.signal?.throwIfAborted();
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    // A grant for the file alone does not cover its temp file: name the folder.
    if (
      e instanceof Deno.errors.NotCapable ||
      (e instanceof Error && e.name === "NotCapable") ||
      (e instanceof Error && /Requires (read|write) access/.test(e.message))
    ) {
      const folder = dirname(path); // as the caller wrote it: `x/grid.png` -> `x`
      throw new PermissionMissingError(
        `write ${path} (it is written to a temporary file in its folder, then renamed, so ` +
          `the grants must cover the folder, not only the file)`,
        `--allow-read=${folder} --allow-write=${folder}`,
        { cause: e },
      );
    }
    throw e;
  }
}

/**
 * True when `path` exists; false only for `NotFound`. Other errors
 * (a refused permission, an I/O error) are thrown, never read as "absent".
 *
 * @example
 * ```ts
 * import { pathExists } from "./fs.ts";
 * await pathExists("deno.json"); // true
 * ```
 */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

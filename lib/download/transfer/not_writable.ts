/**
 * Tells a refusal to write into the data directory (a missing Deno
 * permission, or the operating system's) from a transfer failure: the first
 * stops the whole download with an error naming the data directory, since
 * running again cannot help; the second is retried by a later run.
 * @module
 */
import { DataDirNotWritableError, PermissionMissingError } from "../../core/errors.ts";

/** OS error codes that mean "this folder cannot be written". */
const OS_CODES = new Set(["EACCES", "EPERM", "EROFS", "ENOTDIR", "EEXIST"]);

function isDenoRefusal(e: Error): boolean {
  return e instanceof Deno.errors.NotCapable || e.name === "NotCapable" ||
    /Requires \w+ access/.test(e.message);
}

/**
 * The error to stop a download with when `e` is a refusal to write under
 * `folder` of `dataDir`, else `undefined`. The message names the data
 * directory and folder, never a temp file.
 *
 * @example
 * ```ts
 * import { notWritable } from "./not_writable.ts";
 * const e = new Deno.errors.NotADirectory("Not a directory (os error 20): mkdir '/data/x/y'");
 * notWritable(e, "/data", "/data/x/y")?.message; // "The data directory /data is not writable ..."
 * ```
 */
export function notWritable(e: unknown, dataDir: string, folder: string): Error | undefined {
  if (!(e instanceof Error)) return undefined;
  if (isDenoRefusal(e)) {
    return new PermissionMissingError(
      `write into the data directory ${dataDir}`,
      `--allow-write=${dataDir}`,
      { cause: e },
    );
  }
  const code = (e as { code?: unknown }).code;
  const os = e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotADirectory ||
    (typeof code === "string" && OS_CODES.has(code));
  // EEXIST only from mkdir: a file stands where a folder is needed.
  if (!os || (code === "EEXIST" && !/\bmkdir\b/.test(e.message))) return undefined;
  // The system's words without the path (which may be a temp file's).
  const reason = e.message.replace(/:\s*\w+\s+'[^']*'.*$/s, "").trim() || e.name;
  return new DataDirNotWritableError(dataDir, folder, reason, { cause: e });
}

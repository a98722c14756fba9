/**
 * The request-id cache: `$LAION_FMRI_REQUEST_ID` wins, else
 * `~/.cache/laion-fmri/auth.json` (`{server_url, request_id, email,
 * saved_at}`, mode 0600, written atomically).
 * @module
 */
import { dirname, join } from "node:path";
import { writeFileAtomic } from "../core/fs.ts";
import { PermissionMissingError } from "../core/errors.ts";
import { readEnv, readSettingsEnv, withPermission } from "../core/permissions.ts";
import { accessServiceUrl } from "./client.ts";

/** The variable whose non-empty value is used as the request id. */
export const REQUEST_ID_ENV = "LAION_FMRI_REQUEST_ID";

/**
 * The cache file: `~/.cache/laion-fmri/auth.json` (`$HOME`, or
 * `$USERPROFILE` on Windows).
 *
 * @throws {Error} when neither `HOME` nor `USERPROFILE` is set
 * @throws {PermissionMissingError} when `--allow-env` does not cover `HOME`
 * @example
 * ```ts
 * import { authFilePath } from "@laion/fmri/access";
 * console.log(authFilePath());
 * ```
 */
export function authFilePath(): string {
  const home = readSettingsEnv(["HOME"], "find the request-id cache").HOME ||
    readEnv("USERPROFILE");
  if (!home) {
    throw new Error("Cannot locate the request-id cache: neither HOME nor USERPROFILE is set.");
  }
  return join(home, ".cache", "laion-fmri", "auth.json");
}

/**
 * Options of the cache functions.
 *
 * @example
 * ```ts
 * import { loadRequestId, type RequestIdOptions } from "@laion/fmri/access";
 * const o: RequestIdOptions = { authFile: "/tmp/auth.json" };
 * await loadRequestId(o);
 * ```
 */
export interface RequestIdOptions {
  /** The cache file. @default {@linkcode authFilePath}() */
  authFile?: string;
  /** Stops the write. */
  signal?: AbortSignal;
}

/**
 * The cached request id: `$LAION_FMRI_REQUEST_ID` (trimmed) when set and
 * non-empty, else the `request_id` of the cache file; `undefined` when the
 * file is missing, unreadable or not valid JSON.
 *
 * @example
 * ```ts
 * import { loadRequestId } from "@laion/fmri/access";
 * const id = await loadRequestId();
 * console.log(id ?? "no request id yet: run laion-fmri request-access");
 * ```
 */
export async function loadRequestId(options: RequestIdOptions = {}): Promise<string | undefined> {
  const fromEnv = readSettingsEnv([REQUEST_ID_ENV], "read the request id")[REQUEST_ID_ENV]?.trim();
  if (fromEnv) return fromEnv;
  const path = options.authFile ?? authFilePath();
  try {
    const data = JSON.parse(
      await withPermission(
        "read the request-id cache",
        `--allow-read=${path}`,
        () => Deno.readTextFile(path),
      ),
    );
    const id = data?.request_id;
    return typeof id === "string" && id ? id : undefined;
  } catch (e) {
    if (e instanceof PermissionMissingError) throw e;
    return undefined;
  }
}

/**
 * Saves a request id to the cache file (atomically, mode 0600) and returns
 * the file's path.
 *
 * @example
 * ```ts
 * import { saveRequestId } from "@laion/fmri/access";
 * // An id granted on another machine (e.g. copied from its auth.json).
 * declare const requestId: string;
 * const path = await saveRequestId(requestId);
 * ```
 */
export async function saveRequestId(
  requestId: string,
  options: RequestIdOptions & {
    /** The email the request was made with. */ email?: string;
    /** The service that issued it. @default the service in use */ serverUrl?: string;
  } = {},
): Promise<string> {
  const path = options.authFile ?? authFilePath();
  await Deno.mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const data = {
    server_url: accessServiceUrl(options.serverUrl),
    request_id: requestId,
    email: options.email ?? null,
    saved_at: new Date().toISOString(),
  };
  await writeFileAtomic(path, JSON.stringify(data, null, 2) + "\n", {
    mode: 0o600,
    signal: options.signal,
  });
  try {
    await Deno.chmod(path, 0o600); // the umask may have narrowed it; never widened
  } catch {
    // Windows: no POSIX modes
  }
  return path;
}

/**
 * Removes the cache file; true when there was one.
 *
 * @example
 * ```ts
 * import { clearRequestId } from "@laion/fmri/access";
 * console.log(await clearRequestId());
 * ```
 */
export async function clearRequestId(options: RequestIdOptions = {}): Promise<boolean> {
  try {
    await Deno.remove(options.authFile ?? authFilePath());
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

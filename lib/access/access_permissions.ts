/**
 * Every Deno grant the stimulus access needs, checked before the form so
 * that a granted request is never lost to a permission refused after it:
 * the settings variables, the request-id cache (read, and write when a
 * request may be filed), the data directory, the service's host and the
 * bucket host its presigned URLs point at. All missing grants are named in
 * one {@linkcode PermissionMissingError}.
 * @module
 */
import { dirname, resolve } from "node:path";
import { ENDPOINT_ENV } from "../core/constants.ts";
import { PermissionMissingError } from "../core/errors.ts";
import { readSettingsEnv, requirePermissions } from "../core/permissions.ts";
import { getDataDir } from "../local/config.ts";
import { accessServiceUrl, DEFAULT_ACCESS_URL } from "./client.ts";
import { authFilePath, REQUEST_ID_ENV } from "./request_id.ts";

/**
 * The hosts the production service's presigned URLs point at. It signs
 * GET URLs for the bucket `laion-fmri` (us-west-2) with boto3, whose
 * default is the global virtual-hosted name `laion-fmri.s3.amazonaws.com`
 * (boto/boto3#2989); with a regional endpoint configured it is
 * `laion-fmri.s3.us-west-2.amazonaws.com`, the host the public files are
 * read from. Both are asked for, so the download works with either.
 *
 * @example
 * ```ts
 * import { PRESIGNED_HOSTS } from "./access_permissions.ts";
 * console.log(`--allow-net=${PRESIGNED_HOSTS.join(",")}`);
 * ```
 */
export const PRESIGNED_HOSTS = [
  "laion-fmri.s3.amazonaws.com",
  "laion-fmri.s3.us-west-2.amazonaws.com",
] as const;

/** What {@linkcode checkAccessPermissions} resolved. */
export interface AccessPaths {
  /** The service's base URL. */
  base: string;
  /** The data directory (only when asked for). */
  dataDir?: string;
}

/**
 * Names every missing grant of a stimulus access call at once, before the
 * form: `--allow-env` for the variables that choose the service, the
 * request id, the cache file and the data directory; `--allow-read` and
 * `--allow-write` of the cache folder (unless `$LAION_FMRI_REQUEST_ID` is
 * set: then no request is filed) and of the data directory; `--allow-net` for the service and the bucket hosts of
 * its presigned URLs ({@linkcode PRESIGNED_HOSTS} for the production
 * service, the host of `$LAION_FMRI_S3_ENDPOINT` for another one).
 *
 * @throws {PermissionMissingError} naming every missing flag
 * @example
 * ```ts
 * import { checkAccessPermissions } from "./access_permissions.ts";
 * checkAccessPermissions({ what: "request access", download: false });
 * ```
 */
export function checkAccessPermissions(o: {
  /** What the call does, for the message. */
  what: string;
  /** The service given by the caller. */
  serverUrl?: string;
  /** The cache file given by the caller. */
  authFile?: string;
  /** A download follows: the data directory, the request id, the bucket hosts. */
  download: boolean;
  /** The data directory given by the caller (download only). */
  dataDir?: string;
}): AccessPaths {
  const missing: Deno.PermissionDescriptor[] = [];
  // Each helper's own check, its missing grants gathered instead of thrown (`fallback` stands in).
  const gather = <T>(read: () => T, fallback: T): T => {
    try {
      return read();
    } catch (e) {
      if (!(e instanceof PermissionMissingError) || e.descriptors.length === 0) throw e;
      missing.push(...e.descriptors);
      return fallback;
    }
  };
  // The service.
  const base = gather(() => accessServiceUrl(o.serverUrl), DEFAULT_ACCESS_URL);
  missing.push({ name: "net", host: new URL(base).host });
  // The request id, and the cache file.
  const idFromEnv = o.download
    ? gather(() => readSettingsEnv([REQUEST_ID_ENV], o.what)[REQUEST_ID_ENV], undefined)?.trim()
    : undefined;
  // HOME not granted (or unset): the flag names the folder as the shell spells it.
  const shellAuthFile = "$HOME/.cache/laion-fmri/auth.json";
  const authFile = o.authFile !== undefined ? resolve(o.authFile) : gather(() => {
    try {
      return authFilePath();
    } catch (e) {
      if (e instanceof PermissionMissingError) throw e;
      return shellAuthFile; // neither HOME nor USERPROFILE set: loadRequestId says so
    }
  }, shellAuthFile);
  // Unless the id comes from the environment, the cache is read, and written when a request is
  // filed (atomically: a temporary file beside it is written, read back and renamed).
  if (!idFromEnv) {
    missing.push({ name: "read", path: dirname(authFile) }, {
      name: "write",
      path: dirname(authFile),
    });
  }
  // The data directory and the bucket hosts.
  let dataDir: string | undefined;
  if (o.download) {
    if (o.dataDir !== undefined) dataDir = resolve(o.dataDir);
    else {
      const before = missing.length;
      dataDir = gather<string | undefined>(getDataDir, undefined);
      // The config file that names the data directory is read next (its path needs the env).
      if (missing.slice(before).some((d) => d.name === "env")) {
        missing.push({ name: "read", path: "<config file>" });
      }
    }
    const dir = dataDir ?? "<data dir>";
    missing.push({ name: "read", path: dir }, { name: "write", path: dir });
    if (base === DEFAULT_ACCESS_URL) {
      for (const host of PRESIGNED_HOSTS) missing.push({ name: "net", host });
    } else {
      const endpoint = gather(() => readSettingsEnv([ENDPOINT_ENV], o.what)[ENDPOINT_ENV], null);
      // Its value is unknown until granted (null): the flag says which host to add.
      if (endpoint === null) missing.push({ name: "net", host: `<host of $${ENDPOINT_ENV}>` });
      else if (endpoint) missing.push({ name: "net", host: new URL(endpoint).host });
    }
  }
  requirePermissions(o.what, missing);
  return { base, dataDir };
}

/**
 * Checks that the presigned URLs' hosts are granted, after the request id
 * is saved: the error says the id is kept, so the rerun files no new request.
 *
 * @throws {PermissionMissingError} naming `--allow-net` for the hosts not granted
 */
export function checkUrlHosts(urls: readonly string[], savedAt: string): void {
  const hosts = [...new Set(urls.map((u) => new URL(u).host))];
  requirePermissions(
    `download the stimulus images from the presigned URLs (your request id is kept in ${savedAt}; ` +
      "the rerun asks no form)",
    hosts.map((host) => ({ name: "net", host }) as const),
  );
}

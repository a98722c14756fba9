/**
 * Deno permission helpers: read optional settings without prompting, and
 * turn a refused permission into an error that names the flag to add.
 * @module
 */
import { PermissionMissingError } from "./errors.ts";

/**
 * The value of an environment variable, or `undefined` when it is unset or
 * env access to it was not granted (never prompts).
 *
 * @example
 * ```ts
 * import { readEnv } from "@laion/fmri";
 * const endpoint = readEnv("LAION_FMRI_S3_ENDPOINT");
 * ```
 */
export function readEnv(name: string): string | undefined {
  try {
    if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") {
      return undefined;
    }
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/** True when `e` is Deno's refusal of a permission. */
export function isPermissionError(e: unknown): boolean {
  return e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied ||
    // Node-compat code may rethrow with only the name or the message preserved.
    (e instanceof Error &&
      (e.name === "NotCapable" || e.name === "PermissionDenied" ||
        /Requires \w+ access/.test(e.message)));
}

const SYS_DESCRIPTORS = new Set([
  "hostname",
  "osRelease",
  "osUptime",
  "loadavg",
  "networkInterfaces",
  "systemMemoryInfo",
  "uid",
  "gid",
  "cpus",
  "homedir",
  "username",
  "statfs",
  "getPriority",
  "setPriority",
  "userInfo",
]);

/**
 * The flag that grants what a Deno permission error refused
 * (`Requires net access to "host:443"` -> `--allow-net=host:443`), or
 * `fallback` when the message does not say.
 */
export function flagFor(e: unknown, fallback: string): string {
  const m = e instanceof Error ? e.message.match(/Requires (\w+) access to "([^"]*)"/) : null;
  if (!m) return fallback;
  // Some sys checks (e.g. "ca") have no descriptor the CLI accepts: only --allow-sys grants them.
  if (m[1] === "sys" && !SYS_DESCRIPTORS.has(m[2])) return "--allow-sys";
  return `--allow-${m[1]}=${m[2]}`;
}

/**
 * Runs `fn`; a permission refusal becomes {@linkcode PermissionMissingError}
 * naming `flag`.
 *
 * @example
 * ```ts
 * import { withPermission } from "@laion/fmri";
 * const text = await withPermission("read the config", "--allow-read", () => Deno.readTextFile("deno.json"));
 * ```
 */
export async function withPermission<T>(
  what: string,
  flag: string,
  fn: () => Promise<T> | T,
): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isPermissionError(e)) {
      throw new PermissionMissingError(what, flagFor(e, flag), { cause: e });
    }
    throw e;
  }
}

/** Synchronous form of {@linkcode withPermission}. */
export function withPermissionSync<T>(what: string, flag: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (isPermissionError(e)) {
      throw new PermissionMissingError(what, flagFor(e, flag), { cause: e });
    }
    throw e;
  }
}

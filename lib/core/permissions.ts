/**
 * Deno permission helpers: read optional settings without prompting, and
 * turn a refused permission into an error that names the flag to add.
 * @module
 */
import { PermissionMissingError } from "./errors.ts";

/**
 * The value of an environment variable that only tunes presentation (a
 * progress bar, colours), or `undefined` when it is unset or env access to
 * it was not granted (never prompts). Variables that choose where data is
 * read or written go through {@linkcode readSettingsEnv} instead.
 *
 * @example
 * ```ts
 * import { readEnv } from "./permissions.ts";
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

/**
 * Environment variables that decide where data is read or written, each
 * either granted or reported: a variable Deno would refuse is never read as
 * "unset", since that would silently pick another data directory or
 * endpoint. Every refused variable of the call is named in one
 * {@linkcode PermissionMissingError} (`--allow-env=A,B`), together with any
 * `extra` permission the same call will need, so one rerun is enough.
 *
 * @example
 * ```ts
 * import { readSettingsEnv } from "./permissions.ts";
 * const { XDG_CONFIG_HOME, HOME } = readSettingsEnv(["XDG_CONFIG_HOME", "HOME"], "find the config file");
 * ```
 */
export function readSettingsEnv<const N extends string>(
  names: readonly N[],
  what: string,
  extra: readonly Deno.PermissionDescriptor[] = [],
): Record<N, string | undefined> {
  requirePermissions(what, [
    ...names.map((variable) => ({ name: "env", variable }) as const),
    ...extra,
  ]);
  return Object.fromEntries(names.map((n) => [n, Deno.env.get(n)])) as Record<
    N,
    string | undefined
  >;
}

/**
 * Throws one {@linkcode PermissionMissingError} naming every flag among
 * `descriptors` that is not granted (never prompts). Env variables and net
 * hosts are grouped into one flag each: `--allow-env=A,B --allow-net=h`.
 *
 * @example
 * ```ts
 * import { requirePermissions } from "./permissions.ts";
 * requirePermissions("read the config", [{ name: "env", variable: "HOME" }]);
 * ```
 */
export function requirePermissions(
  what: string,
  descriptors: readonly Deno.PermissionDescriptor[],
): void {
  const missing = descriptors.filter((d) => {
    try {
      return Deno.permissions.querySync(d).state !== "granted";
    } catch {
      return true;
    }
  });
  if (missing.length === 0) return;
  const byFlag = new Map<string, string[]>();
  for (const d of missing) {
    const value = "variable" in d
      ? d.variable
      : "host" in d
      ? d.host
      : "path" in d
      ? d.path
      : "kind" in d
      ? d.kind
      : undefined;
    const list = byFlag.get(d.name) ?? [];
    if (value !== undefined && !list.includes(String(value))) list.push(String(value));
    byFlag.set(d.name, list);
  }
  const flags = [...byFlag].map(([name, values]) =>
    values.length ? `--allow-${name}=${values.join(",")}` : `--allow-${name}`
  );
  throw new PermissionMissingError(what, flags.join(" "), { descriptors: missing });
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
 * import { withPermission } from "./permissions.ts";
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

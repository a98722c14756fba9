/**
 * Command-line argument helpers shared by the sub-commands.
 * @module
 */

/**
 * The values of a repeatable, comma-separated option (`--session 01,02
 * --session 03`): split at commas, trimmed, empty pieces dropped.
 *
 * @example
 * ```ts
 * import { splitList } from "./args.ts";
 * splitList(["01, 02", "03,"]); // ["01", "02", "03"]
 * splitList(undefined); // []
 * ```
 */
export function splitList(values: string[] | string | undefined): string[] {
  if (values === undefined) return [];
  const list = Array.isArray(values) ? values : [values];
  return list.flatMap((v) => String(v).split(",")).map((v) => v.trim()).filter((v) => v !== "");
}

/**
 * The filter options a command was given, each split with
 * {@linkcode splitList}; filters not given are left out.
 *
 * @example
 * ```ts
 * import { listOptions } from "./args.ts";
 * listOptions({ session: ["01,02"], task: undefined }, ["session", "task"]); // { session: ["01", "02"] }
 * ```
 */
export function listOptions<const K extends string>(
  values: Record<string, unknown>,
  names: readonly K[],
): Partial<Record<K, string[]>> {
  const out: Partial<Record<K, string[]>> = {};
  for (const name of names) {
    const given = values[name] as string[] | string | undefined;
    if (given !== undefined) out[name] = splitList(given);
  }
  return out;
}

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

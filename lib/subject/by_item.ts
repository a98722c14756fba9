/**
 * The list form of the Subject methods: `sessions: [...]` (or `descs`,
 * or a list of ROI queries) gives a Map keyed by item, upstream's dict form.
 * @module
 */

/**
 * Calls `one` for each item, in order and one at a time (a result may be a
 * whole session's betas), and keys the results by item.
 *
 * @example
 * ```ts
 * import { mapByItem } from "./by_item.ts";
 * const m = await mapByItem(["ses-01", "ses-02"], async (s) => s.length);
 * m.get("ses-02"); // 6
 * ```
 */
export async function mapByItem<T>(
  items: Iterable<string>,
  one: (item: string) => Promise<T>,
): Promise<Map<string, T>> {
  const out = new Map<string, T>();
  for (const item of items) out.set(item, await one(item));
  return out;
}

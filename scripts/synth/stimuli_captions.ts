/**
 * `stimuli/task-images_desc-captions.csv`: long-form captions. Per image:
 * shared non-OOD 5 human + 1 AI, shared OOD 5 human, unique 3 human. The AI
 * caption has `caption_idx` 0, human ones 1..k. Some captions hold commas,
 * double quotes and non-ASCII letters so CSV quoting is exercised.
 * @module
 */
import { hashKey, unit } from "./prng.ts";
import { csvText, isOod, type StimulusSet } from "./stimuli_set.ts";

/** Columns of the captions CSV. */
export const CAPTION_COLUMNS = [
  "image_name",
  "caption_idx",
  "source",
  "caption",
  "origin_collection",
  "participant_id",
  "ai_model",
] as const;

/** The AI captioner named in `origin_collection` and `ai_model`. */
export const AI_MODEL = "gpt-5.1";

const SUBJECTS = ["a dog", "two cups", "an old bicycle", "a café sign", "the red kite", "a bowl"];
const PLACES = ["on a table", "in the snow", "near a window", "under a bridge", "at night"];
const EXTRAS = [
  "",
  ", slightly blurred",
  ', with a sign that says "OPEN"',
  ", seen from above, in soft light",
  ' - the "classic" look',
];
const COLLECTIONS = ["main1", "main2", "main3", "topup1"];

/**
 * Human and AI caption counts of an image: `[human, ai]`.
 *
 * @example
 * ```ts
 * import { captionCounts } from "./stimuli_captions.ts";
 * captionCounts("shared_12rep_LAION_cluster_1_i0.jpg"); // [5, 1]
 * ```
 */
export function captionCounts(name: string): [number, number] {
  if (!name.startsWith("shared_")) return [3, 0];
  return isOod(name) ? [5, 0] : [5, 1];
}

function caption(seed: number, name: string, idx: number): string {
  const k = hashKey(seed, "caption", name, idx);
  const pick = <T>(a: readonly T[], c: number) => a[Math.floor(unit(k, c) * a.length)];
  const s = `${pick(SUBJECTS, 0)} ${pick(PLACES, 1)}${pick(EXTRAS, 2)}`;
  return s[0].toUpperCase() + s.slice(1) + ".";
}

/**
 * The captions CSV of a set (rows by metadata order, then `caption_idx`).
 *
 * @example
 * ```ts
 * // const text = captionsCsv(set, 1);
 * ```
 */
export function captionsCsv(set: StimulusSet, seed: number): string {
  const rows: (string | number)[][] = [];
  for (const { image_name: name } of set.rows) {
    const [human, ai] = captionCounts(name);
    if (ai) rows.push([name, 0, "ai", caption(seed, name, 0), AI_MODEL, "", AI_MODEL]);
    for (let i = 1; i <= human; i++) {
      const k = hashKey(seed, "caption-meta", name, i);
      rows.push([
        name,
        i,
        "human",
        caption(seed, name, i),
        COLLECTIONS[Math.floor(unit(k, 0) * COLLECTIONS.length)],
        `P${String(Math.floor(unit(k, 1) * 400)).padStart(3, "0")}`,
        "",
      ]);
    }
  }
  return csvText(CAPTION_COLUMNS, rows);
}

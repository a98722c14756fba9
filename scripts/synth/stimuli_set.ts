/**
 * The stimulus set of the synthetic bucket: which images exist, their
 * metadata rows (`stimuli/task-images_metadata.csv`) and the order of the
 * embedding files' rows. Every trial label of every planned session of
 * every subject is an image of the set, so trials map onto metadata rows.
 * @module
 */
import { SYNTH_SUBJECTS } from "./inventory.ts";
import type { SynthSize } from "./geometry.ts";
import { hashKey, mulberry32, shuffled } from "./prng.ts";
import { type StimulusPools, subjectTrials } from "./trials.ts";

/** Participants of a shared image, as the metadata's `participant` column writes them. */
export const SHARED_PARTICIPANTS: string = SYNTH_SUBJECTS.join(";");

/** One row of the metadata CSV. */
export interface StimulusRow {
  image_name: string;
  /** `LAION`, `THINGS`, `THINGS+`, `NSD` or `OOD` (the name's family token). */
  dataset: string;
  /** The subject of a unique image; every subject joined by `;` for a shared one. */
  participant: string;
  unique_or_shared: "shared" | "unique";
  /** `12rep` / `4rep` for shared images; `1rep` for unique ones (shown once). */
  n_reps: string;
}

/** The stimulus set. */
export interface StimulusSet {
  /** Metadata rows in CSV (and stimulus-h5) order. */
  rows: StimulusRow[];
  /** Embedding row order: `embeddingOrder[e]` = metadata row of embedding row `e`. */
  embeddingOrder: number[];
  /** Side of the square images in pixels. */
  imageSize: number;
}

const cmp = (a: string, b: string) => a < b ? -1 : a > b ? 1 : 0;

/** True for OOD images (`shared_4rep_OOD_...`). */
export const isOod = (name: string): boolean => name.startsWith("shared_4rep_OOD_");

/**
 * The family of a name: `shared_12rep_LAION`, `shared_4rep_OOD`,
 * `unique_THINGS+`, ...
 *
 * @example
 * ```ts
 * import { familyOf } from "./stimuli_set.ts";
 * familyOf("shared_4rep_OOD_shape_1.png"); // "shared_4rep_OOD"
 * ```
 */
export function familyOf(name: string): string {
  const p = name.split("_");
  return p[0] === "shared" ? p.slice(0, 3).join("_") : p.slice(0, 2).join("_");
}

function rowOf(name: string, subject: string | null): StimulusRow {
  const p = name.split("_");
  const shared = p[0] === "shared";
  return {
    image_name: name,
    dataset: shared ? p[2] : p[1],
    participant: shared ? SHARED_PARTICIPANTS : subject!,
    unique_or_shared: shared ? "shared" : "unique",
    n_reps: shared ? p[1] : "1rep",
  };
}

/**
 * The stimulus set of a size. `realistic`: every pool id (25,052 with the
 * real splits). `small`: the shared ids shown in any trial, the first two of
 * each shared family and the first two OOD PNGs and JPEGs, plus the unique
 * ids shown in any planned session of any subject. Rows: shared sorted by
 * name, then each subject's unique ids sorted; embedding rows are a seeded
 * permutation of them.
 *
 * @example
 * ```ts
 * import { loadStimulusPools } from "./trials.ts";
 * import { stimulusSet } from "./stimuli_set.ts";
 * const set = stimulusSet(loadStimulusPools(null), "small", 1);
 * set.rows[0].image_name;
 * ```
 */
export function stimulusSet(pools: StimulusPools, size: SynthSize, seed: number): StimulusSet {
  const shared = new Set<string>();
  const unique: Record<string, Set<string>> = {};
  if (size === "realistic") {
    for (const id of pools.shared) shared.add(id);
    for (const s of SYNTH_SUBJECTS) unique[s] = new Set(pools.unique[s] ?? []);
  } else {
    const byFamily = new Map<string, string[]>();
    for (const id of pools.shared) {
      const f = familyOf(id);
      if (!byFamily.has(f)) byFamily.set(f, []);
      byFamily.get(f)!.push(id);
    }
    for (const ids of byFamily.values()) ids.slice(0, 2).forEach((id) => shared.add(id));
    const ood = pools.shared.filter(isOod);
    ood.filter((id) => id.endsWith(".png")).slice(0, 2).forEach((id) => shared.add(id));
    ood.filter((id) => id.endsWith(".jpg")).slice(0, 2).forEach((id) => shared.add(id));
    for (const s of SYNTH_SUBJECTS) {
      unique[s] = new Set();
      // the current layout writes the stimuli: its (larger) trial plan
      for (const rows of Object.values(subjectTrials(pools, size, seed, s, "current"))) {
        for (const r of rows) (r.label.startsWith("shared_") ? shared : unique[s]).add(r.label);
      }
    }
  }
  const rows = [...shared].sort(cmp).map((n) => rowOf(n, null));
  for (const s of SYNTH_SUBJECTS) {
    rows.push(...[...unique[s]].sort(cmp).map((n) => rowOf(n, s)));
  }
  const embeddingOrder = shuffled(
    rows.map((_, i) => i),
    mulberry32(hashKey(seed, "embedding-order")),
  );
  return { rows, embeddingOrder, imageSize: size === "realistic" ? 64 : 32 };
}

/**
 * One CSV field: quoted when it holds a comma, a quote or a line break
 * (quotes doubled), as Python's `csv` module writes it.
 *
 * @example
 * ```ts
 * import { csvField } from "./stimuli_set.ts";
 * csvField('say "hi", then go'); // '"say ""hi"", then go"'
 * ```
 */
export function csvField(v: string | number): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * A CSV document: header line, one line per row, `\n` line ends.
 *
 * @example
 * ```ts
 * import { csvText } from "./stimuli_set.ts";
 * csvText(["a", "b"], [[1, "x,y"]]); // 'a,b\n1,"x,y"\n'
 * ```
 */
export function csvText(header: readonly string[], rows: readonly (string | number)[][]): string {
  const parts = [header.map(csvField).join(",") + "\n"];
  for (const r of rows) parts.push(r.map(csvField).join(",") + "\n");
  return parts.join("");
}

/** Columns of the metadata CSV. */
export const METADATA_COLUMNS = [
  "image_name",
  "dataset",
  "participant",
  "unique_or_shared",
  "n_reps",
] as const;

/**
 * The metadata CSV of a stimulus set.
 *
 * @example
 * ```ts
 * import { loadStimulusPools } from "./trials.ts";
 * import { metadataCsv, stimulusSet } from "./stimuli_set.ts";
 * metadataCsv(stimulusSet(loadStimulusPools(null), "small", 1)).split("\n")[0];
 * ```
 */
export function metadataCsv(set: StimulusSet): string {
  return csvText(METADATA_COLUMNS, set.rows.map((r) => METADATA_COLUMNS.map((c) => r[c])));
}

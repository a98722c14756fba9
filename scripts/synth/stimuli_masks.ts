/**
 * The segmentations: `stimuli/task-images_desc-segmentations.h5` (dataset
 * `masks`, `(M, H, W)` uint8 in {0, 1}, chunks of one mask, gzip + shuffle)
 * and `stimuli/task-images_desc-segmentations_metadata.csv` (one row per
 * mask). Shared images only; nouns may be phrases (some with commas);
 * `instance_id` 0 has the highest score; `localized` is 0 for masks that
 * cover the whole image (no box), else 1.
 * @module
 */
import type { Hdf5DatasetSpec } from "./hdf5/write.ts";
import { hashKey, mulberry32 } from "./prng.ts";
import { csvText, type StimulusSet } from "./stimuli_set.ts";

/** Columns of the segmentation metadata CSV. */
export const SEGMENTATION_COLUMNS = [
  "mask_row",
  "image_name",
  "noun",
  "instance_id",
  "score",
  "box_x0",
  "box_y0",
  "box_x1",
  "box_y1",
  "localized",
  "mask_file",
] as const;

/** Masks of the realistic profile (upstream-era-c.md §9). */
export const REALISTIC_MASKS = 24011;

const NOUNS = [
  "dog",
  "cup",
  "bicycle",
  "sky",
  "delicate floral nail art",
  "short , pale pink polished nails",
  "person",
  "tree",
  'sign reading "exit"',
  "table",
];

/** Per shared image (metadata order), how many masks it has. */
function maskCounts(shared: string[], seed: number, realistic: boolean): number[] {
  const rnd = mulberry32(hashKey(seed, "mask-counts"));
  const counts = shared.map(() =>
    realistic ? 8 + Math.floor(rnd() * 17) : 1 + Math.floor(rnd() * 4)
  );
  if (realistic && shared.length) {
    let total = counts.reduce((a, b) => a + b, 0);
    for (let i = 0; total !== REALISTIC_MASKS; i = (i + 1) % counts.length) {
      const up = total < REALISTIC_MASKS;
      if (up || counts[i] > 1) {
        counts[i] += up ? 1 : -1;
        total += up ? 1 : -1;
      }
    }
  }
  return counts;
}

/** Segmentation files of a set and their ground truth. */
export interface Segmentations {
  datasets: Hdf5DatasetSpec[];
  csv: string;
  /** Masks per shared image. */
  perImage: Record<string, number>;
  nMasks: number;
  nLocalized: number;
}

/**
 * Builds the masks, their metadata CSV and counts.
 *
 * @example
 * ```ts
 * // const seg = segmentations(set, 1, false); writeHdf5(path, seg.datasets);
 * ```
 */
export function segmentations(set: StimulusSet, seed: number, realistic: boolean): Segmentations {
  const size = set.imageSize;
  const shared = set.rows.filter((r) => r.unique_or_shared === "shared").map((r) => r.image_name);
  const counts = maskCounts(shared, seed, realistic);
  const nMasks = counts.reduce((a, b) => a + b, 0);
  const masks = new Uint8Array(nMasks * size * size);
  const rows: (string | number)[][] = [];
  const perImage: Record<string, number> = {};
  let m = 0, nLocalized = 0;
  shared.forEach((name, i) => {
    perImage[name] = counts[i];
    const rnd = mulberry32(hashKey(seed, "masks", name));
    const stem = name.replace(/\.[a-z]+$/, "");
    const nounCount = new Map<string, number>();
    let score = 0.95 - 0.1 * rnd();
    for (let k = 0; k < counts[i]; k++, m++) {
      const noun = NOUNS[Math.floor(rnd() * NOUNS.length)];
      const instance = nounCount.get(noun) ?? 0;
      nounCount.set(noun, instance + 1);
      const whole = rnd() < 0.15;
      const [x0, y0] = whole
        ? [0, 0]
        : [Math.floor(rnd() * size / 2), Math.floor(rnd() * size / 2)];
      const [x1, y1] = whole
        ? [size, size]
        : [x0 + 2 + Math.floor(rnd() * size / 2), y0 + 2 + Math.floor(rnd() * size / 2)];
      const base = m * size * size;
      for (let y = y0; y < y1; y++) masks.fill(1, base + y * size + x0, base + y * size + x1);
      if (!whole) nLocalized++;
      score = Math.max(0.05, score - 0.05 * rnd());
      rows.push([
        m,
        name,
        noun,
        instance,
        score.toFixed(4),
        x0.toFixed(1),
        y0.toFixed(1),
        x1.toFixed(1),
        y1.toFixed(1),
        whole ? 0 : 1,
        `${stem}/${noun.replaceAll(/[^A-Za-z0-9]+/g, "-")}_${instance}.png`,
      ]);
    }
  });
  return {
    datasets: [{
      name: "masks",
      dtype: "uint8",
      shape: [nMasks, size, size],
      data: masks,
      chunks: [1, size, size],
      gzip: 4,
      shuffle: true,
    }],
    csv: csvText(SEGMENTATION_COLUMNS, rows),
    perImage,
    nMasks,
    nLocalized,
  };
}

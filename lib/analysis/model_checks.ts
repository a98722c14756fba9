/**
 * The checks the tutorial's encoding model makes before fitting, shared by
 * the one-ROI model (`fitEncodingModel`) and the whole-brain job's voxel
 * blocks (`fitVoxelwise`), so both refuse the same inputs with the same words.
 * @module
 */
import type { Matrix } from "./matrix.ts";
import type { RepeatAverages } from "./repeats.ts";

/**
 * Throws when a training image was shown once: it has no even-repeat mean,
 * so no split-half reliability (names the first five images).
 *
 * @throws {RangeError} naming the images shown only once
 * @example
 * ```ts
 * import { averageRepeats, matrix } from "@laion/fmri/analysis";
 * import { checkTrainingRepeats } from "./model_checks.ts";
 * const a = averageRepeats(matrix(2, 1, [1, 2]), ["a.jpg", "a.jpg"]);
 * checkTrainingRepeats(a, [0]); // fine: shown twice
 * ```
 */
export function checkTrainingRepeats(averages: RepeatAverages, train: readonly number[]): void {
  const once = train.filter((r) => averages.counts[r] < 2);
  if (once.length > 0) {
    throw new RangeError(
      `${once.length} training image(s) were shown only once, so they have no split-half ` +
        `reliability: ${once.slice(0, 5).map((r) => averages.images[r]).join(", ")}` +
        `${once.length > 5 ? ", …" : ""}`,
    );
  }
}

/**
 * Throws unless there are 3+ training and 3+ test images.
 *
 * @throws {RangeError} naming both counts
 * @example
 * ```ts
 * import { checkSplitSizes } from "./model_checks.ts";
 * checkSplitSizes(150, 150); // fine
 * ```
 */
export function checkSplitSizes(nTrain: number, nTest: number): void {
  if (nTrain < 3 || nTest < 3) {
    throw new RangeError(`the model needs 3+ train and 3+ test images, got ${nTrain} and ${nTest}`);
  }
}

/**
 * The columns whose values are finite in every row flagged in `finiteRows`
 * and not constant over the rows flagged in `rangeRows` (a flag is 1);
 * scanned row by row (contiguous reads).
 *
 * @example
 * ```ts
 * import { matrix } from "@laion/fmri/analysis";
 * import { usableColumns } from "./model_checks.ts";
 * const m = matrix(2, 3, [1, 5, NaN, 2, 5, 1]);
 * usableColumns(m, new Uint8Array([1, 1]), new Uint8Array([1, 1])); // [0]
 * ```
 */
export function usableColumns(m: Matrix, finiteRows: Uint8Array, rangeRows: Uint8Array): number[] {
  const n = m.cols, d = m.data;
  const finite = new Uint8Array(n).fill(1);
  const lo = new Float64Array(n).fill(Infinity), hi = new Float64Array(n).fill(-Infinity);
  for (let i = 0; i < m.rows; i++) {
    const o = i * n, checkFinite = finiteRows[i] === 1, range = rangeRows[i] === 1;
    if (!checkFinite && !range) continue;
    for (let j = 0; j < n; j++) {
      const v = d[o + j];
      if (!Number.isFinite(v)) {
        if (checkFinite) finite[j] = 0;
      } else if (range) {
        if (v < lo[j]) lo[j] = v;
        if (v > hi[j]) hi[j] = v;
      }
    }
  }
  const out: number[] = [];
  for (let j = 0; j < n; j++) if (finite[j] && hi[j] > lo[j]) out.push(j);
  return out;
}

/**
 * A 0/1 flag per row, 1 for the rows listed.
 *
 * @example
 * ```ts
 * import { rowFlags } from "./model_checks.ts";
 * rowFlags(4, [0, 2]); // Uint8Array [1, 0, 1, 0]
 * ```
 */
export function rowFlags(rows: number, listed: readonly number[]): Uint8Array {
  const out = new Uint8Array(rows);
  for (const r of listed) out[r] = 1;
  return out;
}

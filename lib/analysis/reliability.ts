/**
 * Split-half reliability of each voxel: how well the mean response to each
 * image over odd repeats predicts the mean over even repeats.
 * @module
 */
import { type Matrix, sameShape } from "./matrix.ts";
import { pearsonColumns } from "./stats.ts";

/** Options of {@linkcode splitHalfReliability}. */
export interface ReliabilityOptions {
  /**
   * Step the half-split r up to the full number of repeats with the
   * Spearman–Brown formula `2r / (1 + r)`. The tutorial's threshold of 0.2
   * applies to the raw r. @default false
   */
  spearmanBrown?: boolean;
}

/**
 * Per column (voxel): Pearson's r, across images (rows), between the mean
 * of its odd repeats and the mean of its even repeats (the `oddMean` and
 * `evenMean` of {@linkcode averageRepeats}). Images whose even mean is
 * missing (`NaN`, one repeat only) must be left out beforehand. Constant
 * voxels give `NaN` (never above a threshold).
 *
 * @example
 * ```ts
 * import { matrix, splitHalfReliability } from "@laion/fmri/analysis";
 * const odd = matrix(3, 1, [1, 2, 3]), even = matrix(3, 1, [1.1, 2.2, 2.9]);
 * console.log(splitHalfReliability(odd, even)[0] > 0.9); // true
 * ```
 */
export function splitHalfReliability(
  oddMean: Matrix,
  evenMean: Matrix,
  options: ReliabilityOptions = {},
): Float64Array {
  sameShape(oddMean, "oddMean", evenMean, "evenMean");
  const r = pearsonColumns(oddMean, evenMean);
  if (options.spearmanBrown) { for (let j = 0; j < r.length; j++) r[j] = 2 * r[j] / (1 + r[j]); }
  return r;
}

/**
 * Indices of the values strictly above `threshold` (`NaN` never is).
 *
 * @example
 * ```ts
 * import { indicesAbove } from "@laion/fmri/analysis";
 * console.log(indicesAbove([0.1, 0.5, NaN, 0.3], 0.2)); // [1, 3]
 * ```
 */
export function indicesAbove(values: ArrayLike<number>, threshold: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) if (values[i] > threshold) out.push(i);
  return out;
}

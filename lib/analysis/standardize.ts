/**
 * Column-wise z-scoring with statistics of the training rows only.
 * @module
 */
import { checkMatrix, type Matrix, shapeOf } from "./matrix.ts";

/** Column means and standard deviations (population, ddof 0, as sklearn's `StandardScaler`). */
export interface ColumnStats {
  /** Mean of each column. */
  mean: Float64Array;
  /**
   * Standard deviation of each column; 1 for a column that is constant up to
   * rounding (sklearn's rule: variance ≤ n·ε·var + (n·mean·ε)²), which is
   * then only centred.
   */
  std: Float64Array;
}

/**
 * Means and population standard deviations of the columns of `m`.
 *
 * @example
 * ```ts
 * import { columnStats, matrix } from "@laion/fmri/analysis";
 * console.log(columnStats(matrix(2, 1, [1, 3]))); // { mean: [2], std: [1] }
 * ```
 */
export function columnStats(m: Matrix): ColumnStats {
  checkMatrix(m, "matrix");
  const { rows: n, cols: p } = m;
  if (n === 0) throw new RangeError(`column statistics need at least one row, got ${shapeOf(m)}`);
  const mean = new Float64Array(p), std = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) mean[j] += m.data[i * p + j];
  for (let j = 0; j < p; j++) mean[j] /= n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) {
      const d = m.data[i * p + j] - mean[j];
      std[j] += d * d;
    }
  }
  const eps = Number.EPSILON;
  for (let j = 0; j < p; j++) {
    const variance = std[j] / n;
    const constant = !(variance > n * eps * variance + (n * mean[j] * eps) ** 2);
    std[j] = constant ? 1 : Math.sqrt(variance);
  }
  return { mean, std };
}

/**
 * `(m - mean) / std` column by column, with `stats` from the training rows.
 *
 * @example
 * ```ts
 * import { applyStats, columnStats, matrix } from "@laion/fmri/analysis";
 * const train = matrix(2, 1, [1, 3]), test = matrix(1, 1, [4]);
 * console.log(applyStats(test, columnStats(train)).data); // [2]
 * ```
 */
export function applyStats(m: Matrix, stats: ColumnStats): Matrix {
  checkMatrix(m, "matrix");
  const p = m.cols;
  if (stats.mean.length !== p || stats.std.length !== p) {
    throw new RangeError(
      `statistics of ${stats.mean.length} columns do not fit a ${shapeOf(m)} matrix`,
    );
  }
  const out = new Float64Array(m.data.length);
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < p; j++) {
      out[i * p + j] = (m.data[i * p + j] - stats.mean[j]) / stats.std[j];
    }
  }
  return { rows: m.rows, cols: p, data: out };
}

/**
 * Standardizes `train` with its own statistics and `test` with the same
 * (training) statistics.
 *
 * @example
 * ```ts
 * import { matrix, standardize } from "@laion/fmri/analysis";
 * const { train, test } = standardize(matrix(2, 1, [1, 3]), matrix(1, 1, [5]));
 * console.log(train.data, test.data); // [-1, 1] [3]
 * ```
 */
export function standardize(
  train: Matrix,
  test: Matrix,
): { train: Matrix; test: Matrix; stats: ColumnStats } {
  if (train.cols !== test.cols) {
    throw new RangeError(
      `train (${shapeOf(train)}) and test (${shapeOf(test)}) need the same columns`,
    );
  }
  const stats = columnStats(train);
  return { train: applyStats(train, stats), test: applyStats(test, stats), stats };
}

/**
 * Correlations: Pearson between two vectors and column by column between
 * two matrices, Spearman (Pearson of average ranks), and the median.
 * @module
 */
import { type Matrix, sameShape } from "./matrix.ts";

/**
 * Pearson's r of two equally long vectors; `NaN` when either is constant.
 *
 * @example
 * ```ts
 * import { pearson } from "@laion/fmri/analysis";
 * console.log(pearson([1, 2, 3], [2, 4, 7])); // 0.993...
 * ```
 */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) {
    throw new RangeError(`pearson needs equal lengths, got ${x.length} and ${y.length}`);
  }
  const n = x.length;
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const a = x[i] - mx, b = y[i] - my;
    sxy += a * b;
    sxx += a * a;
    syy += b * b;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/**
 * Pearson's r of column `j` of `a` with column `j` of `b`, for every `j`
 * (e.g. measured vs predicted responses of each voxel across test images).
 * Constant columns give `NaN`.
 *
 * @example
 * ```ts
 * import { matrix, pearsonColumns } from "@laion/fmri/analysis";
 * const a = matrix(3, 2, [1, 1, 2, 0, 3, 1]), b = matrix(3, 2, [1, 0, 2, 1, 3, 0]);
 * console.log(pearsonColumns(a, b)); // [1, -1]
 * ```
 */
export function pearsonColumns(a: Matrix, b: Matrix): Float64Array {
  sameShape(a, "a", b, "b");
  return pearsonColumnsOfRows(a, undefined, b, undefined);
}

/**
 * {@linkcode pearsonColumns} of the rows `aRows` of `a` with the rows
 * `bRows` of `b` (all rows when undefined), without copying them out: the
 * same sums in the same order, so the same bits as `pearsonColumns` of
 * `takeRows` copies.
 *
 * @throws {RangeError} when the row counts or the column counts differ
 * @example
 * ```ts
 * import { matrix } from "@laion/fmri/analysis";
 * import { pearsonColumnsOfRows } from "./stats.ts";
 * const a = matrix(4, 1, [1, 9, 2, 3]), b = matrix(3, 1, [2, 4, 6]);
 * console.log(pearsonColumnsOfRows(a, [0, 2, 3], b, undefined)); // [1]
 * ```
 */
export function pearsonColumnsOfRows(
  a: Matrix,
  aRows: ArrayLike<number> | undefined,
  b: Matrix,
  bRows: ArrayLike<number> | undefined,
): Float64Array {
  const n = aRows ? aRows.length : a.rows, m = a.cols;
  if ((bRows ? bRows.length : b.rows) !== n || b.cols !== m) {
    throw new RangeError(
      `${n} rows x ${m} columns of a against ${bRows ? bRows.length : b.rows} x ${b.cols} of b`,
    );
  }
  const A = a.data, B = b.data;
  const ra = (k: number) => (aRows ? aRows[k] : k) * m,
    rb = (k: number) => (bRows ? bRows[k] : k) * m;
  const ma = new Float64Array(m), mb = new Float64Array(m);
  for (let k = 0; k < n; k++) {
    const oa = ra(k), ob = rb(k);
    for (let j = 0; j < m; j++) {
      ma[j] += A[oa + j];
      mb[j] += B[ob + j];
    }
  }
  for (let j = 0; j < m; j++) {
    ma[j] /= n;
    mb[j] /= n;
  }
  const sab = new Float64Array(m), saa = new Float64Array(m), sbb = new Float64Array(m);
  for (let k = 0; k < n; k++) {
    const oa = ra(k), ob = rb(k);
    for (let j = 0; j < m; j++) {
      const u = A[oa + j] - ma[j], v = B[ob + j] - mb[j];
      sab[j] += u * v;
      saa[j] += u * u;
      sbb[j] += v * v;
    }
  }
  const r = new Float64Array(m);
  for (let j = 0; j < m; j++) r[j] = sab[j] / Math.sqrt(saa[j] * sbb[j]);
  return r;
}

/**
 * Ranks 1..n with ties given their average rank (scipy's `rankdata` default).
 *
 * @example
 * ```ts
 * import { ranks } from "@laion/fmri/analysis";
 * console.log(ranks([10, 30, 20, 20])); // [1, 4, 2.5, 2.5]
 * ```
 */
export function ranks(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a] - x[b]);
  const r = new Float64Array(n);
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && x[order[j + 1]] === x[order[i]]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[order[k]] = avg;
    i = j + 1;
  }
  return r;
}

/**
 * Spearman's rho: Pearson's r of the average ranks.
 *
 * @example
 * ```ts
 * import { spearman } from "@laion/fmri/analysis";
 * console.log(spearman([1, 2, 3, 4], [1, 4, 9, 16])); // 1
 * ```
 */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) {
    throw new RangeError(`spearman needs equal lengths, got ${x.length} and ${y.length}`);
  }
  return pearson(ranks(x), ranks(y));
}

/**
 * The median (mean of the two middle values for even counts); `NaN` values
 * are skipped, like numpy's `nanmedian`; `NaN` when nothing is left.
 *
 * @example
 * ```ts
 * import { median } from "@laion/fmri/analysis";
 * console.log(median([3, 1, NaN, 2, 10])); // 2.5
 * ```
 */
export function median(x: ArrayLike<number>): number {
  const s = Array.from(x).filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

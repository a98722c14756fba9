/**
 * The dense matrix the analysis code passes around: row-major `Float64Array`
 * with its shape, plus the shape checks and the plain-TypeScript products
 * the other files share.
 * @module
 */

/** A dense row-major matrix: element `(i, j)` is `data[i * cols + j]`. */
export interface Matrix {
  /** Number of rows (images, trials). */
  readonly rows: number;
  /** Number of columns (features, voxels). */
  readonly cols: number;
  /** `rows * cols` values, row after row. */
  readonly data: Float64Array;
}

/**
 * `"rows x cols"`, for messages.
 *
 * @example
 * ```ts
 * import { matrix } from "@laion/fmri/analysis";
 * import { shapeOf } from "./matrix.ts";
 * console.log(shapeOf(matrix(2, 3))); // "2x3"
 * ```
 */
export function shapeOf(m: { rows: number; cols: number }): string {
  return `${m.rows}x${m.cols}`;
}

/**
 * A matrix from values in row-major order, converted to `Float64Array`
 * (float16/float32 sources are widened; a `Float64Array` is used as is).
 *
 * @example
 * ```ts
 * import { matrix } from "@laion/fmri/analysis";
 * const m = matrix(2, 3, [1, 2, 3, 4, 5, 6]);
 * console.log(m.data[1 * 3 + 2]); // 6
 * ```
 */
export function matrix(rows: number, cols: number, values?: ArrayLike<number>): Matrix {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new RangeError(`matrix shape must be two non-negative integers, got ${rows}x${cols}`);
  }
  if (values === undefined) return { rows, cols, data: new Float64Array(rows * cols) };
  if (values.length !== rows * cols) {
    throw new RangeError(`${values.length} values do not fill a ${rows}x${cols} matrix`);
  }
  const data = values instanceof Float64Array ? values : Float64Array.from(values);
  return { rows, cols, data };
}

/**
 * Throws a RangeError unless `m` is a well-formed matrix; `name` goes in the message.
 *
 * @example
 * ```ts
 * import { checkMatrix } from "./matrix.ts";
 * import { matrix } from "@laion/fmri/analysis";
 * checkMatrix(matrix(2, 2), "X");
 * ```
 */
export function checkMatrix(m: Matrix, name: string): void {
  if (m.data.length !== m.rows * m.cols) {
    throw new RangeError(`${name} has ${m.data.length} values for shape ${shapeOf(m)}`);
  }
}

/**
 * Throws a RangeError naming both shapes unless `a` and `b` have the same shape.
 *
 * @example
 * ```ts
 * import { matrix } from "@laion/fmri/analysis";
 * import { sameShape } from "./matrix.ts";
 * sameShape(matrix(2, 2), "measured", matrix(2, 2), "predicted");
 * ```
 */
export function sameShape(a: Matrix, aName: string, b: Matrix, bName: string): void {
  checkMatrix(a, aName);
  checkMatrix(b, bName);
  if (a.rows !== b.rows || a.cols !== b.cols) {
    throw new RangeError(
      `${aName} (${shapeOf(a)}) and ${bName} (${shapeOf(b)}) must have the same shape`,
    );
  }
}

/**
 * The rows `indices` of `m`, in that order.
 *
 * @example
 * ```ts
 * import { matrix, takeRows } from "@laion/fmri/analysis";
 * console.log(takeRows(matrix(3, 1, [1, 2, 3]), [2, 0]).data); // [3, 1]
 * ```
 */
export function takeRows(m: Matrix, indices: ArrayLike<number>): Matrix {
  const out = new Float64Array(indices.length * m.cols);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (!Number.isInteger(i) || i < 0 || i >= m.rows) {
      throw new RangeError(`row index ${i} is outside 0..${m.rows - 1}`);
    }
    out.set(m.data.subarray(i * m.cols, (i + 1) * m.cols), k * m.cols);
  }
  return { rows: indices.length, cols: m.cols, data: out };
}

/**
 * `into` when given (checked to hold `rows · cols` values), else a new array.
 *
 * @throws {RangeError} when `into` has another length
 * @example
 * ```ts
 * import { outputOf } from "./matrix.ts";
 * console.log(outputOf(undefined, 2, 3).length); // 6
 * ```
 */
export function outputOf(into: Float64Array | undefined, rows: number, cols: number): Float64Array {
  if (!into) return new Float64Array(rows * cols);
  if (into.length !== rows * cols) {
    throw new RangeError(
      `the output holds ${into.length} values, ${rows}x${cols} needs ${rows * cols}`,
    );
  }
  return into;
}

/**
 * The columns `indices` of `m`, in that order.
 *
 * @example
 * ```ts
 * import { matrix, takeColumns } from "@laion/fmri/analysis";
 * console.log(takeColumns(matrix(1, 3, [1, 2, 3]), [2]).data); // [3]
 * ```
 */
export function takeColumns(m: Matrix, indices: ArrayLike<number>): Matrix {
  const k = indices.length;
  for (let j = 0; j < k; j++) {
    if (!Number.isInteger(indices[j]) || indices[j] < 0 || indices[j] >= m.cols) {
      throw new RangeError(`column index ${indices[j]} is outside 0..${m.cols - 1}`);
    }
  }
  const out = new Float64Array(m.rows * k);
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < k; j++) out[i * k + j] = m.data[i * m.cols + indices[j]];
  }
  return { rows: m.rows, cols: k, data: out };
}

/**
 * `A · Bᵀ` in plain TypeScript (both row-major, so every inner loop runs
 * over two contiguous rows; blocked over rows of `B` for cache reuse).
 *
 * @example
 * ```ts
 * import { matrix } from "@laion/fmri/analysis";
 * import { multiplyTransposedTs } from "./matrix.ts";
 * const x = matrix(2, 2, [1, 2, 3, 4]);
 * console.log(multiplyTransposedTs(x, x).data); // [5, 11, 11, 25]
 * ```
 */
export function multiplyTransposedTs(a: Matrix, b: Matrix, into?: Float64Array): Matrix {
  if (a.cols !== b.cols) {
    throw new RangeError(`A (${shapeOf(a)}) · Bᵀ (B ${shapeOf(b)}) needs equal column counts`);
  }
  const n = a.rows, m = b.rows, p = a.cols;
  const A = a.data, B = b.data;
  const out = outputOf(into, n, m);
  const block = 16;
  for (let j0 = 0; j0 < m; j0 += block) {
    const j1 = Math.min(m, j0 + block);
    for (let i = 0; i < n; i++) {
      const ai = i * p;
      for (let j = j0; j < j1; j++) {
        const bj = j * p;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        let k = 0;
        for (; k + 3 < p; k += 4) {
          s0 += A[ai + k] * B[bj + k];
          s1 += A[ai + k + 1] * B[bj + k + 1];
          s2 += A[ai + k + 2] * B[bj + k + 2];
          s3 += A[ai + k + 3] * B[bj + k + 3];
        }
        for (; k < p; k++) s0 += A[ai + k] * B[bj + k];
        out[i * m + j] = (s0 + s1) + (s2 + s3);
      }
    }
  }
  return { rows: n, cols: m, data: out };
}

/**
 * 4×4 homogeneous matrices (row-major `number[][]`, as NIfTI headers and
 * LTA files give them) for the standard-space chains: product, inverse,
 * checks. Plain numbers in, plain numbers out.
 * @module
 */

/** A 4×4 (or 3×4, the last row taken as `[0, 0, 0, 1]`) row-major matrix. */
export type Matrix4 = readonly (readonly number[])[];

/**
 * Returns `m` as a full 4×4 `number[][]` copy, checking its shape and that
 * every entry is finite.
 *
 * @param m the matrix
 * @param name the argument's name, used in the error message
 * @throws {RangeError} when `m` is not 3×4 or 4×4 or holds a non-finite entry
 *
 * @example
 * ```ts
 * import { toMatrix4 } from "@laion/fmri/space";
 * console.log(toMatrix4([[2, 0, 0, 1], [0, 2, 0, 2], [0, 0, 2, 3]], "affine")[3]); // [0, 0, 0, 1]
 * ```
 */
export function toMatrix4(m: Matrix4, name: string): number[][] {
  if (!Array.isArray(m) || (m.length !== 3 && m.length !== 4) || m.some((r) => r?.length !== 4)) {
    throw new RangeError(
      `${name} must be a 3x4 or 4x4 row-major matrix (number[][]); got ${describeShape(m)}`,
    );
  }
  const out = m.slice(0, 3).map((r) => Array.from(r, Number));
  out.push(m.length === 4 ? Array.from(m[3], Number) : [0, 0, 0, 1]);
  if (out.some((r) => r.some((v) => !Number.isFinite(v)))) {
    throw new RangeError(`${name} has a non-finite entry: ${JSON.stringify(m)}`);
  }
  return out;
}

function describeShape(m: unknown): string {
  if (!Array.isArray(m)) return typeof m;
  return `${m.length} rows of lengths [${m.map((r) => (Array.isArray(r) ? r.length : "?"))}]`;
}

/**
 * The product `a · b` of two 4×4 matrices.
 *
 * @example
 * ```ts
 * import { multiplyMatrix4 } from "@laion/fmri/space";
 * const shift = [[1, 0, 0, 5], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]];
 * console.log(multiplyMatrix4(shift, shift)[0][3]); // 10
 * ```
 */
export function multiplyMatrix4(a: Matrix4, b: Matrix4): number[][] {
  const out: number[][] = [];
  for (let r = 0; r < 4; r++) {
    const row = [0, 0, 0, 0];
    for (let c = 0; c < 4; c++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += a[r][k] * b[k][c];
      row[c] = s;
    }
    out.push(row);
  }
  return out;
}

/**
 * The inverse of a 4×4 matrix (Gauss–Jordan elimination with partial
 * pivoting, in float64).
 *
 * @param m the matrix
 * @param name the argument's name, used in the error message
 * @throws {RangeError} when `m` is singular
 *
 * @example
 * ```ts
 * import { invertMatrix4 } from "@laion/fmri/space";
 * const affine = [[2, 0, 0, -90], [0, 2, 0, -126], [0, 0, 2, -72], [0, 0, 0, 1]];
 * console.log(invertMatrix4(affine)[0]); // [0.5, 0, 0, 45]
 * ```
 */
export function invertMatrix4(m: Matrix4, name = "matrix"): number[][] {
  const a = toMatrix4(m, name).map((r, i) => [...r, ...[0, 1, 2, 3].map((c) => (c === i ? 1 : 0))]);
  for (let col = 0; col < 4; col++) {
    let pivot = col;
    for (let r = col + 1; r < 4; r++) if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) pivot = r;
    if (a[pivot][col] === 0) {
      throw new RangeError(`${name} is singular and cannot be inverted: ${JSON.stringify(m)}`);
    }
    [a[col], a[pivot]] = [a[pivot], a[col]];
    const p = a[col][col];
    for (let c = 0; c < 8; c++) a[col][c] /= p;
    for (let r = 0; r < 4; r++) {
      if (r === col || a[r][col] === 0) continue;
      const f = a[r][col];
      for (let c = 0; c < 8; c++) a[r][c] -= f * a[col][c];
    }
  }
  return a.map((r) => r.slice(4));
}

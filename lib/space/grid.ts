/**
 * A volume's grid: its shape, its voxel-to-world affine and the order its
 * voxels are flattened in.
 * @module
 */

import { type Matrix4, toMatrix4 } from "../core/matrix4.ts";

/**
 * How a 3-D volume is flattened: `"C"` (the library's order, `k` fastest:
 * `(i * ny + j) * nz + k`) or `"F"` (NIfTI's on-disk order, `i` fastest:
 * `i + nx * (j + ny * k)`).
 */
export type VoxelOrder = "C" | "F";

/** A volume's grid. */
export interface VolumeGrid {
  /** `[nx, ny, nz]`. */
  shape: readonly [number, number, number];
  /** Voxel-to-world (RAS+, mm) affine, 4×4 or 3×4 row-major. */
  affine: Matrix4;
  /** How volumes on this grid are flattened. @default "C" */
  order?: VoxelOrder;
}

/** A checked grid with its strides. @internal */
export interface CheckedGrid {
  shape: [number, number, number];
  affine: number[][];
  order: VoxelOrder;
  size: number;
  /** The flat-index step of `i`, `j` and `k`. */
  strides: [number, number, number];
}

/**
 * Checks a grid and computes its strides.
 * @throws {RangeError} on a bad shape, affine or order
 * @internal
 */
export function checkGrid(grid: VolumeGrid, name: string): CheckedGrid {
  const shape = grid?.shape;
  if (
    !Array.isArray(shape) || shape.length !== 3 ||
    shape.some((n) => !Number.isInteger(n) || n < 1)
  ) {
    throw new RangeError(
      `${name}.shape must be three positive integers [nx, ny, nz]; got ${JSON.stringify(shape)}`,
    );
  }
  const order = grid.order ?? "C";
  if (order !== "C" && order !== "F") {
    throw new RangeError(`${name}.order must be "C" or "F"; got ${JSON.stringify(order)}`);
  }
  const [nx, ny, nz] = shape;
  const strides: [number, number, number] = order === "C" ? [ny * nz, nz, 1] : [1, nx, nx * ny];
  return {
    shape: [nx, ny, nz],
    affine: toMatrix4(grid.affine, `${name}.affine`),
    order,
    size: nx * ny * nz,
    strides,
  };
}

/** Throws unless `values` has exactly `n` entries. @internal */
export function checkLength(values: ArrayLike<number>, n: number, what: string): void {
  if (values?.length !== n) {
    throw new RangeError(`${what} must have ${n} values; got ${values?.length}`);
  }
}

/**
 * The trilinear cell of a continuous voxel position `(x, y, z)` inside a
 * grid of `shape` with `strides`: the flat index of its lowest corner
 * (returned), and the fractions along each axis, written to `frac[3 t]`,
 * `frac[3 t + 1]`, `frac[3 t + 2]`. On the last voxel of an axis the cell
 * is the one below it (fraction 1), so that its 8 corners stay in the grid.
 * @internal
 */
export function trilinearCell(
  x: number,
  y: number,
  z: number,
  shape: readonly [number, number, number],
  strides: readonly [number, number, number],
  frac: Float32Array,
  t: number,
): number {
  const x0 = Math.min(Math.floor(x), Math.max(shape[0] - 2, 0));
  const y0 = Math.min(Math.floor(y), Math.max(shape[1] - 2, 0));
  const z0 = Math.min(Math.floor(z), Math.max(shape[2] - 2, 0));
  frac[3 * t] = x - x0;
  frac[3 * t + 1] = y - y0;
  frac[3 * t + 2] = z - z0;
  return x0 * strides[0] + y0 * strides[1] + z0 * strides[2];
}

/**
 * Trilinear interpolation in the cell whose lowest corner is `volume[b]`,
 * at fractions `fx`, `fy`, `fz` (from {@linkcode trilinearCell}), the
 * corners `sx`, `sy`, `sz` apart. `nanAsZero`: a NaN corner counts as 0
 * (the volume resampler, as upstream's NaN-to-0 input); otherwise a NaN
 * corner makes the value NaN (vol_to_surf, whose `nanmean` then skips it).
 * @internal
 */
export function trilinear(
  volume: ArrayLike<number>,
  b: number,
  fx: number,
  fy: number,
  fz: number,
  sx: number,
  sy: number,
  sz: number,
  nanAsZero: boolean,
): number {
  let v000 = volume[b], v001 = volume[b + sz];
  let v010 = volume[b + sy], v011 = volume[b + sy + sz];
  let v100 = volume[b + sx], v101 = volume[b + sx + sz];
  let v110 = volume[b + sx + sy], v111 = volume[b + sx + sy + sz];
  if (nanAsZero) {
    if (v000 !== v000) v000 = 0;
    if (v001 !== v001) v001 = 0;
    if (v010 !== v010) v010 = 0;
    if (v011 !== v011) v011 = 0;
    if (v100 !== v100) v100 = 0;
    if (v101 !== v101) v101 = 0;
    if (v110 !== v110) v110 = 0;
    if (v111 !== v111) v111 = 0;
  }
  const gx = 1 - fx, gy = 1 - fy, gz = 1 - fz;
  const c00 = v000 * gz + v001 * fz;
  const c01 = v010 * gz + v011 * fz;
  const c10 = v100 * gz + v101 * fz;
  const c11 = v110 * gz + v111 * fz;
  return (c00 * gy + c01 * fy) * gx + (c10 * gy + c11 * fy) * fx;
}

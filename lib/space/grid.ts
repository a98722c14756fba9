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

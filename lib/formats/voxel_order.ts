/**
 * Voxel order helpers. The library flattens every 3-D grid in NumPy C-order
 * of the `(X, Y, Z)` index — `flat = (i * ny + j) * nz + k`, `k` fastest —
 * while NIfTI stores voxels X-fastest (`disk = i + nx * (j + ny * k)`).
 * @module
 */

/** A 3-D grid shape `[nx, ny, nz]`. */
export type Shape3d = readonly [number, number, number];

/**
 * The grid index `[i, j, k]` of a C-order flat index (the inverse of
 * `(i * ny + j) * nz + k`).
 *
 * @example
 * ```ts
 * import { unflattenC } from "./lib/formats/voxel_order.ts";
 * console.log(unflattenC(14, [2, 3, 4])); // [1, 0, 2]
 * ```
 */
export function unflattenC(flat: number, shape: Shape3d): [number, number, number] {
  const [, ny, nz] = shape;
  return [Math.floor(flat / (ny * nz)), Math.floor(flat / nz) % ny, flat % nz];
}

/**
 * For every voxel selected by `mask` (a full-grid C-order 0/1 mask), its
 * offset inside an on-disk X-fastest volume, listed in C-order of the
 * selection. Gathering `volume[offsets[s]]` then yields the C-order masked
 * values without transposing the whole volume.
 *
 * @param mask full-grid mask in C-order, length `nx * ny * nz` (non-zero = selected)
 * @param shape the grid `[nx, ny, nz]`
 * @returns the on-disk offsets, one per selected voxel
 * @example
 * ```ts
 * import { maskDiskOffsets } from "./lib/formats/voxel_order.ts";
 * const mask = new Uint8Array(2 * 3 * 4);
 * mask[14] = 1; // C-order (1, 0, 2)
 * console.log(maskDiskOffsets(mask, [2, 3, 4])); // Uint32Array [13]
 * ```
 */
export function maskDiskOffsets(mask: ArrayLike<number>, shape: Shape3d): Uint32Array {
  const [nx, ny, nz] = shape;
  if (mask.length !== nx * ny * nz) {
    throw new RangeError(
      `mask has ${mask.length} elements but the grid ${nx}x${ny}x${nz} has ${nx * ny * nz}`,
    );
  }
  let n = 0;
  for (let c = 0; c < mask.length; c++) if (mask[c]) n++;
  const offsets = new Uint32Array(n);
  const sliceXY = nx * ny;
  let c = 0;
  let s = 0;
  for (let i = 0; i < nx; i++) {
    for (let j = 0; j < ny; j++) {
      const base = i + nx * j;
      for (let k = 0; k < nz; k++, c++) {
        if (mask[c]) offsets[s++] = base + sliceXY * k;
      }
    }
  }
  return offsets;
}

/**
 * Copies an on-disk (X-fastest) volume into C-order.
 *
 * @param src the volume in on-disk order
 * @param shape the grid `[nx, ny, nz]`
 * @param out the destination (length `nx * ny * nz`)
 * @returns `out`
 * @example
 * ```ts
 * import { diskToCOrder } from "./lib/formats/voxel_order.ts";
 * const disk = Float32Array.from([0, 1, 2, 3, 4, 5]); // shape [2, 3, 1]
 * console.log(diskToCOrder(disk, [2, 3, 1], new Float32Array(6))); // [0, 2, 4, 1, 3, 5]
 * ```
 */
export function diskToCOrder<T extends { [n: number]: number; length: number }>(
  src: ArrayLike<number>,
  shape: Shape3d,
  out: T,
): T {
  const [nx, ny, nz] = shape;
  let p = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      let dst = j * nz + k;
      const step = ny * nz;
      for (let i = 0; i < nx; i++, dst += step) out[dst] = src[p++];
    }
  }
  return out;
}

/**
 * Copies a C-order volume into on-disk (X-fastest) order, the inverse of
 * {@linkcode diskToCOrder} (useful when writing NIfTI files).
 *
 * @param src the volume in C-order
 * @param shape the grid `[nx, ny, nz]`
 * @param out the destination (length `nx * ny * nz`)
 * @returns `out`
 * @example
 * ```ts
 * import { cOrderToDisk } from "./lib/formats/voxel_order.ts";
 * const c = Float32Array.from([0, 2, 4, 1, 3, 5]); // shape [2, 3, 1]
 * console.log(cOrderToDisk(c, [2, 3, 1], new Float32Array(6))); // [0, 1, 2, 3, 4, 5]
 * ```
 */
export function cOrderToDisk<T extends { [n: number]: number; length: number }>(
  src: ArrayLike<number>,
  shape: Shape3d,
  out: T,
): T {
  const [nx, ny, nz] = shape;
  let p = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      let s = j * nz + k;
      const step = ny * nz;
      for (let i = 0; i < nx; i++, s += step) out[p++] = src[s];
    }
  }
  return out;
}

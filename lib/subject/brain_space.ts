/**
 * Back to brain space: values on the brain-voxel axis scattered onto the
 * subject's grid as NIfTI, and world coordinates of voxels.
 *
 * Coordinates are the subject's T1w scanner space (the affine of the beta
 * grid), not MNI: upstream's docstring calls them MNI, but no registration
 * to a template is involved.
 * @module
 */
import { LaionFmriError } from "../core/errors.ts";
import { readNiftiHeader } from "../formats/nifti.ts";
import { niftiCompression, writeNifti1 } from "../formats/nifti_write.ts";
import { cOrderToDisk, unflattenC } from "../formats/voxel_order.ts";

/** Grid and affine of a subject's voxel space. */
export interface Grid {
  /** `[nx, ny, nz]`. */
  shape: [number, number, number];
  /** 4x4 voxel-to-world (T1w scanner) matrix. */
  affine: number[][];
}

/**
 * Reads the grid and affine of a NIfTI file (header only).
 *
 * @example
 * ```ts
 * import { readGrid } from "./brain_space.ts";
 * const { shape, affine } = await readGrid("sub-01_R2mean.nii.gz");
 * ```
 */
export async function readGrid(
  path: string,
  options: { signal?: AbortSignal } = {},
): Promise<Grid> {
  const h = await readNiftiHeader(path, { signal: options.signal });
  return { shape: h.shape3d, affine: h.affine };
}

/**
 * Writes `values` (one per selected voxel, in C-order of the selection) as a
 * float32 NIfTI-1 on `grid` (gzip for `.nii.gz`, plain for `.nii`);
 * unselected voxels are 0.
 *
 * @param flatIndex full-grid C-order index of each selected voxel
 * @throws {LaionFmriError} when the lengths differ (names both)
 * @throws {TypeError} when `path` ends in neither `.nii` nor `.nii.gz`
 * @example
 * ```ts
 * import { scatterToNifti } from "./brain_space.ts";
 * await scatterToNifti(new Float32Array([1]), new Int32Array([0]),
 *   { shape: [1, 1, 1], affine: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]] }, "x.nii.gz");
 * ```
 */
export async function scatterToNifti(
  values: ArrayLike<number>,
  flatIndex: Int32Array,
  grid: Grid,
  path: string,
  options: { signal?: AbortSignal } = {},
): Promise<void> {
  niftiCompression(path);
  if (values.length !== flatIndex.length) {
    throw new LaionFmriError(
      `Values length mismatch: got ${values.length}, expected ${flatIndex.length} (one per selected voxel).`,
    );
  }
  const [nx, ny, nz] = grid.shape;
  const full = new Float32Array(nx * ny * nz);
  for (let c = 0; c < flatIndex.length; c++) full[flatIndex[c]] = values[c];
  const disk = cOrderToDisk(full, grid.shape, new Float32Array(full.length));
  await writeNifti1(path, {
    dims: grid.shape,
    datatype: "float32",
    data: disk,
    affine: grid.affine,
    description: "laion-fmri toNifti",
    signal: options.signal,
  });
}

/**
 * World coordinates (row-major `n x 3`) of voxels given by their full-grid
 * C-order index: `affine @ [i, j, k, 1]`.
 *
 * @example
 * ```ts
 * import { voxelCoordinates } from "./brain_space.ts";
 * const xyz = voxelCoordinates(new Int32Array([0]), { shape: [2, 2, 2], affine: [[2, 0, 0, -1], [0, 2, 0, -1], [0, 0, 2, -1], [0, 0, 0, 1]] });
 * console.log(xyz); // Float64Array [-1, -1, -1]
 * ```
 */
export function voxelCoordinates(flatIndex: Int32Array, grid: Grid): Float64Array {
  const a = grid.affine;
  const out = new Float64Array(flatIndex.length * 3);
  for (let c = 0; c < flatIndex.length; c++) {
    const [i, j, k] = unflattenC(flatIndex[c], grid.shape);
    for (let r = 0; r < 3; r++) out[c * 3 + r] = a[r][0] * i + a[r][1] * j + a[r][2] * k + a[r][3];
  }
  return out;
}

/**
 * Standard space on plain arrays: the algorithms of upstream's two
 * template chains (`templates.py`), with no file or network access.
 *
 * - Volume → MNI305: {@link buildVolumeResampling} (nitransforms' `Affine`
 *   + `resampling.apply`, nearest as upstream or trilinear), streamed per
 *   volume for 4-D input.
 * - Volume → subject surface: {@link buildSurfaceSampling} (nilearn's
 *   `vol_to_surf`, `kind="auto"`/`"line"`, radius 3 mm, 10 samples, linear).
 * - Subject sphere → template sphere: {@link buildSphereResampling}
 *   (nitransforms' barycentric `SurfaceResampler`).
 * - {@link geodesicSphere}: icosphere meshes with fsaverage's vertex counts.
 *
 * Each `build*` precomputes its index/weight map once; `apply` is then a
 * cheap gather per map.
 *
 * @example
 * ```ts
 * import { buildSphereResampling, buildSurfaceSampling, geodesicSphere } from "@laion/fmri/space";
 * const white = geodesicSphere(16, { radius: 30 });
 * const grid = { shape: [40, 40, 40] as const, affine: [[2, 0, 0, -40], [0, 2, 0, -40], [0, 0, 2, -40], [0, 0, 0, 1]] };
 * const onSurface = buildSurfaceSampling(white, grid).apply(new Float32Array(40 ** 3).fill(1));
 * const toFsaverage5 = buildSphereResampling(geodesicSphere(16), geodesicSphere(32));
 * console.log(toFsaverage5.apply(onSurface).length); // 10242
 * ```
 * @module
 */

export { invertMatrix4, type Matrix4, multiplyMatrix4, toMatrix4 } from "../core/matrix4.ts";
export type { VolumeGrid, VoxelOrder } from "./grid.ts";
export { type Mesh, vertexNormals } from "./mesh.ts";
/** The surface readers' mesh, whose `vertices` and `faces` a {@linkcode Mesh} takes. */
export type { SurfaceMesh } from "../formats/freesurfer_surface.ts";
export { geodesicSphere, type GeodesicSphereOptions } from "./icosphere.ts";
export {
  type ApplyStreamOptions,
  buildVolumeResampling,
  type VolumeInterpolation,
  VolumeResampling,
  type VolumeResamplingOptions,
} from "./resample_volume.ts";
export {
  buildSurfaceSampling,
  type SurfaceInterpolation,
  SurfaceSampling,
  type SurfaceSamplingKind,
  type SurfaceSamplingOptions,
} from "./vol_to_surf.ts";
export { buildSphereResampling, SphereResampling } from "./sphere_resample.ts";

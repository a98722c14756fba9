/**
 * Volume → volume resampling through a world-to-world (RAS→RAS) affine,
 * as upstream's MNI305 chain does it: nitransforms' `Affine` read from the
 * recon's `talairach.lta` (`Affine.from_filename(path, fmt="fs")`) and
 * `nitransforms.resampling.apply(xfm, img, reference=MNI305_T1w, order=0)`,
 * which ends in `scipy.ndimage.map_coordinates(data, ijk, order=0,
 * mode="constant", cval=0)` (nitransforms 24.0 to 25.1; a 4-D input is
 * resampled one volume at a time, as upstream's `_apply_resample` does).
 *
 * Each target voxel `ijk` is pulled back: `world = target.affine · ijk`,
 * `source world = targetToSource · world` (for an LTA, `targetToSource` is
 * the inverse of its RAS→RAS matrix, as nitransforms' `to_ras` makes it),
 * `source ijk = source.affine⁻¹ · source world`. Then, as scipy 1.10's
 * `map_coordinates` with `mode="constant"` (checked against it):
 *
 * - a point outside `[0, n-1]` on any axis is `0` (no partial edge voxels);
 * - `"nearest"` (`order=0`, upstream's) takes voxel `floor(x + 0.5)` on
 *   each axis (halves round up);
 * - `"linear"` (`order=1`) is trilinear between the 8 surrounding voxels.
 *
 * Two deliberate details: a coordinate within 1e-9 voxel of a whole voxel
 * is taken as that voxel, so that rounding noise in the matrix product does
 * not drop a boundary row of an identity or grid-aligned transform (scipy's
 * result there depends on that noise); and a NaN input value counts as 0
 * (upstream replaces NaN by 0 before resampling; only the resampled copy
 * changes, never the caller's array).
 *
 * The per-target-voxel source index (and, for linear, the 3 fractions) are
 * computed once in {@link buildVolumeResampling}; {@link VolumeResampling.apply}
 * is then one gather per volume, and {@link VolumeResampling.applyStream}
 * runs a 4-D series volume by volume so memory stays bounded.
 * @module
 */

import { invertMatrix4, type Matrix4, multiplyMatrix4, toMatrix4 } from "../core/matrix4.ts";
import {
  type CheckedGrid,
  checkGrid,
  checkLength,
  trilinear,
  trilinearCell,
  type VolumeGrid,
} from "./grid.ts";

/** How values between voxel centres are read. */
export type VolumeInterpolation = "nearest" | "linear";

const INTERPOLATIONS: readonly VolumeInterpolation[] = ["nearest", "linear"];

/** Options of {@link buildVolumeResampling}. Give exactly one of the two transforms. */
export interface VolumeResamplingOptions {
  /**
   * RAS→RAS matrix taking a source-space point to target space, e.g. the
   * matrix of FreeSurfer's `talairach.lta` (type `LINEAR_RAS_TO_RAS`, or a
   * `LINEAR_VOX_TO_VOX` one converted with its `src`/`dst` geometries).
   */
  sourceToTarget?: Matrix4;
  /** RAS→RAS matrix taking a target-space point to source space (nitransforms' `Affine.matrix`). */
  targetToSource?: Matrix4;
  /** `"nearest"` (upstream's `order=0`) or `"linear"` (trilinear, `order=1`). @default "nearest" */
  interpolation?: VolumeInterpolation;
}

/** Options of {@link VolumeResampling.applyStream}. */
export interface ApplyStreamOptions {
  /** Stops the stream before the next volume. */
  signal?: AbortSignal;
}

const SNAP = 1e-9;

function snap(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - r) < SNAP ? r : x;
}

/**
 * A precomputed volume → volume resampling (see the module docs for the
 * algorithm). Built by {@link buildVolumeResampling}.
 */
export class VolumeResampling {
  /** The interpolation this map was built for. */
  readonly interpolation: VolumeInterpolation;
  /** The target grid's `[nx, ny, nz]`. */
  readonly targetShape: [number, number, number];
  /** Number of voxels of a source volume. */
  readonly sourceSize: number;
  /** Number of voxels of a target volume. */
  readonly targetSize: number;
  /** Number of target voxels that fall inside the source grid. */
  readonly insideCount: number;
  readonly #base: Int32Array;
  readonly #frac: Float32Array | null;
  readonly #steps: [number, number, number];

  /** @internal use {@link buildVolumeResampling} */
  constructor(
    interpolation: VolumeInterpolation,
    source: CheckedGrid,
    target: CheckedGrid,
    base: Int32Array,
    frac: Float32Array | null,
  ) {
    this.interpolation = interpolation;
    this.targetShape = target.shape;
    this.sourceSize = source.size;
    this.targetSize = target.size;
    this.#base = base;
    this.#frac = frac;
    // the step to the "+1" neighbour on each axis (0 on a 1-voxel axis)
    this.#steps = [0, 1, 2].map((a) => (source.shape[a] > 1 ? source.strides[a] : 0)) as [
      number,
      number,
      number,
    ];
    let inside = 0;
    for (let t = 0; t < base.length; t++) if (base[t] >= 0) inside++;
    this.insideCount = inside;
  }

  /**
   * Resamples one source volume (flattened in the source grid's order) onto
   * the target grid (flattened in the target grid's order).
   *
   * @param volume the source volume's values (NaN counts as 0)
   * @param out an optional array to write into (reused across volumes)
   * @throws {RangeError} when `volume` or `out` has the wrong length
   *
   * @example
   * ```ts
   * import { buildVolumeResampling } from "@laion/fmri/space";
   * const grid = { shape: [2, 2, 2] as const, affine: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]] };
   * const shift = [[1, 0, 0, 1], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]];
   * const r = buildVolumeResampling(grid, grid, { sourceToTarget: shift });
   * console.log(r.apply(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]))); // [0, 0, 0, 0, 1, 2, 3, 4]
   * ```
   */
  apply(volume: ArrayLike<number>, out?: Float32Array): Float32Array {
    checkLength(volume, this.sourceSize, "volume (source grid voxels)");
    const res = out ?? new Float32Array(this.targetSize);
    checkLength(res, this.targetSize, "out (target grid voxels)");
    const base = this.#base;
    const n = base.length;
    if (this.#frac === null) {
      for (let t = 0; t < n; t++) {
        const b = base[t];
        if (b < 0) {
          res[t] = 0;
        } else {
          const v = volume[b];
          res[t] = v === v ? v : 0;
        }
      }
      return res;
    }
    const frac = this.#frac;
    const [sx, sy, sz] = this.#steps;
    for (let t = 0; t < n; t++) {
      const b = base[t];
      if (b < 0) {
        res[t] = 0;
        continue;
      }
      res[t] = trilinear(
        volume,
        b,
        frac[3 * t],
        frac[3 * t + 1],
        frac[3 * t + 2],
        sx,
        sy,
        sz,
        true,
      );
    }
    return res;
  }

  /**
   * Resamples a series of source volumes one at a time (a 4-D image, e.g. a
   * 1,044-trial session), yielding each target volume as soon as it is
   * made, so that only one source and one target volume need be in memory.
   * Each yielded array is new; the caller may keep it. (To reuse memory
   * instead, call {@link VolumeResampling.apply} with an `out` array, e.g.
   * two alternating buffers for the NIfTI writer's volume producer.)
   *
   * @param volumes the source volumes, in order (an iterable or async iterable)
   * @param options an abort signal
   *
   * @example
   * ```ts
   * import { buildVolumeResampling } from "@laion/fmri/space";
   * const grid = { shape: [2, 2, 2] as const, affine: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]] };
   * const r = buildVolumeResampling(grid, grid, { sourceToTarget: grid.affine });
   * async function* trials() {
   *   for (let t = 0; t < 3; t++) yield new Float32Array(8).fill(t);
   * }
   * for await (const v of r.applyStream(trials())) console.log(v[0]); // 0, 1, 2
   * ```
   */
  async *applyStream(
    volumes: AsyncIterable<ArrayLike<number>> | Iterable<ArrayLike<number>>,
    options: ApplyStreamOptions = {},
  ): AsyncGenerator<Float32Array> {
    for await (const volume of volumes) {
      options.signal?.throwIfAborted();
      yield this.apply(volume);
    }
  }
}

/**
 * Precomputes the resampling of volumes on `source` onto `target` through a
 * RAS→RAS affine (see the module docs: nitransforms' `apply` with
 * `order=0`, or trilinear `order=1`, `mode="constant"`, `cval=0`).
 *
 * Memory: 4 bytes per target voxel for `"nearest"`, 16 for `"linear"`
 * (24 MB and 94 MB on MNI305's 172×220×156 grid).
 *
 * @param source the grid of the volumes to resample
 * @param target the output grid (e.g. TemplateFlow's `tpl-MNI305_T1w.nii.gz`)
 * @param options the transform (exactly one of `sourceToTarget`, `targetToSource`) and interpolation
 * @throws {RangeError} on a bad grid, a singular or missing transform, an unknown interpolation
 *
 * @example
 * ```ts
 * import { buildVolumeResampling } from "@laion/fmri/space";
 * const subject = { shape: [143, 143, 143] as const, affine: [[1.778, 0, 0, -126], [0, 1.778, 0, -126], [0, 0, 1.778, -126], [0, 0, 0, 1]] };
 * const mni305 = { shape: [172, 220, 156] as const, affine: [[1, 0, 0, -86], [0, 1, 0, -126], [0, 0, 1, -72], [0, 0, 0, 1]] };
 * const talairach = [[1.05, 0, 0, 1], [0, 1.02, 0, -2], [0, 0, 1.1, 3], [0, 0, 0, 1]];
 * const r = buildVolumeResampling(subject, mni305, { sourceToTarget: talairach, interpolation: "nearest" });
 * console.log(r.targetSize); // 5903040
 * ```
 */
export function buildVolumeResampling(
  source: VolumeGrid,
  target: VolumeGrid,
  options: VolumeResamplingOptions,
): VolumeResampling {
  const src = checkGrid(source, "source");
  const tgt = checkGrid(target, "target");
  const interpolation = options?.interpolation ?? "nearest";
  if (!INTERPOLATIONS.includes(interpolation)) {
    throw new RangeError(
      `Unknown interpolation ${JSON.stringify(interpolation)}. Valid: "nearest", "linear"`,
    );
  }
  const hasS2T = options?.sourceToTarget !== undefined;
  const hasT2S = options?.targetToSource !== undefined;
  if (hasS2T === hasT2S) {
    throw new RangeError(
      "buildVolumeResampling needs exactly one of options.sourceToTarget (e.g. the talairach.lta " +
        "RAS->RAS matrix) and options.targetToSource",
    );
  }
  const t2s = hasT2S
    ? toMatrix4(options.targetToSource!, "targetToSource")
    : invertMatrix4(options.sourceToTarget!, "sourceToTarget");
  // target ijk -> source ijk
  const m = multiplyMatrix4(
    invertMatrix4(src.affine, "source.affine"),
    multiplyMatrix4(t2s, tgt.affine),
  );
  const linear = interpolation === "linear";
  const base = new Int32Array(tgt.size);
  const frac = linear ? new Float32Array(3 * tgt.size) : null;
  const [nx, ny, nz] = src.shape;
  const [sx, sy, sz] = src.strides;
  const [tx, ty, tz] = tgt.shape;
  const [ux, uy, uz] = tgt.strides;
  for (let i = 0; i < tx; i++) {
    for (let j = 0; j < ty; j++) {
      for (let k = 0; k < tz; k++) {
        const t = i * ux + j * uy + k * uz;
        const x = snap(m[0][0] * i + m[0][1] * j + m[0][2] * k + m[0][3]);
        const y = snap(m[1][0] * i + m[1][1] * j + m[1][2] * k + m[1][3]);
        const z = snap(m[2][0] * i + m[2][1] * j + m[2][2] * k + m[2][3]);
        if (!(x >= 0 && x <= nx - 1 && y >= 0 && y <= ny - 1 && z >= 0 && z <= nz - 1)) {
          base[t] = -1;
          continue;
        }
        if (!linear) {
          base[t] = Math.floor(x + 0.5) * sx + Math.floor(y + 0.5) * sy + Math.floor(z + 0.5) * sz;
          continue;
        }
        base[t] = trilinearCell(x, y, z, src.shape, src.strides, frac!, t);
      }
    }
  }
  return new VolumeResampling(interpolation, src, tgt, base, frac);
}

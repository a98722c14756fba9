/**
 * Voxel selection: an ROI mask, a caller's mask or a noise-ceiling threshold
 * turned into voxel indices. Two index spaces meet here, and the type names
 * say which one an array lives in:
 *
 * - {@linkcode GridMask}: one byte per voxel of the full 3-D grid, C-order;
 * - {@linkcode BrainVoxelMask}: one byte per brain voxel (the voxel axis of
 *   betas and noise ceilings).
 * @module
 */
import { LaionFmriError } from "../core/errors.ts";
import { warn } from "../core/warnings.ts";
import type { MaskSource } from "./mask_source.ts";
import type { RoiQuery } from "./roi_grammar.ts";

/**
 * A mask over the full 3-D grid, C-order (length `X*Y*Z`; 1 = in the mask).
 *
 * @example
 * ```ts
 * import type { GridMask } from "@laion/fmri/subject";
 * const m: GridMask = new Uint8Array(2 * 2 * 2);
 * ```
 */
export type GridMask = Uint8Array;

/**
 * A mask over brain voxels, in brain-axis order (length
 * `Subject.getNVoxels()`; 1 = selected).
 *
 * @example
 * ```ts
 * import type { BrainVoxelMask } from "@laion/fmri/subject";
 * const m: BrainVoxelMask = new Uint8Array(272080);
 * ```
 */
export type BrainVoxelMask = Uint8Array;

/** Voxel selection over brain voxels, shared by betas and noise ceilings. */
export interface VoxelSelection {
  /** ROI query: a name, a category, `"all"`, or a list. Exclusive with `mask`. */
  roi?: RoiQuery;
  /**
   * A mask over brain voxels (length `Subject.getNVoxels()`, a
   * {@linkcode BrainVoxelMask} or booleans). Exclusive with `roi`.
   */
  mask?: ArrayLike<number | boolean>;
  /**
   * The brain mask of the voxel axis. @default the subject's (see `loadSubject`)
   */
  maskSource?: MaskSource;
  /** Cancels file reads. */
  signal?: AbortSignal;
}

/**
 * Full-grid C-order indices of the voxels set in a grid mask, in order:
 * position `c` on the brain axis is grid voxel `result[c]`.
 *
 * @example
 * ```ts
 * import { gridIndices } from "./voxel_selection.ts";
 * gridIndices(new Uint8Array([0, 1, 1, 0])); // Int32Array [1, 2]
 * ```
 */
export function gridIndices(mask: GridMask): Int32Array {
  let n = 0;
  for (let f = 0; f < mask.length; f++) n += mask[f];
  const idx = new Int32Array(n);
  for (let f = 0, c = 0; f < mask.length; f++) if (mask[f]) idx[c++] = f;
  return idx;
}

/**
 * A grid mask read at the brain voxels: voxels outside the brain are dropped.
 *
 * @param brain full-grid index of each brain voxel ({@linkcode gridIndices})
 * @example
 * ```ts
 * import { gridToBrainVoxels } from "./voxel_selection.ts";
 * gridToBrainVoxels(new Uint8Array([1, 1, 0]), new Int32Array([1, 2])); // [1, 0]
 * ```
 */
export function gridToBrainVoxels(mask: GridMask, brain: Int32Array): BrainVoxelMask {
  const out = new Uint8Array(brain.length);
  for (let c = 0; c < brain.length; c++) out[c] = mask[brain[c]];
  return out;
}

/**
 * The union of brain-voxel masks of equal length `n`.
 *
 * @example
 * ```ts
 * import { unionMasks } from "./voxel_selection.ts";
 * unionMasks([new Uint8Array([1, 0]), new Uint8Array([0, 1])], 2); // [1, 1]
 * ```
 */
export function unionMasks(masks: readonly BrainVoxelMask[], n: number): BrainVoxelMask {
  const out = new Uint8Array(n);
  for (const m of masks) for (let c = 0; c < n; c++) out[c] |= m[c];
  return out;
}

/**
 * A caller's mask as a {@linkcode BrainVoxelMask} of 0/1 bytes.
 *
 * @throws {RangeError} when its length is not `n` (the number of brain
 *   voxels), or when it selects no voxel (all zero)
 * @example
 * ```ts
 * import { checkBrainVoxelMask } from "./voxel_selection.ts";
 * checkBrainVoxelMask([true, false, 2], 3); // Uint8Array [1, 0, 1]
 * ```
 */
export function checkBrainVoxelMask(mask: ArrayLike<number | boolean>, n: number): BrainVoxelMask {
  if (mask.length !== n) {
    throw new RangeError(
      `mask has length ${mask.length}, expected ${n} (one value per brain voxel)`,
    );
  }
  // A plain loop: Uint8Array.from with a map function took 37 ms per 272,080-voxel mask, this 2 ms.
  const out = new Uint8Array(n);
  let any = false;
  for (let c = 0; c < n; c++) if (mask[c]) out[c] = 1, any = true;
  if (!any) {
    throw new RangeError(`mask selects no voxel: all ${n} values are zero`);
  }
  return out;
}

/**
 * Checks that a selection sets at most one of `roi` and `mask`, and that
 * an ROI list is not empty.
 *
 * @throws {LaionFmriError} when both are set
 * @throws {RangeError} for `roi: []`
 * @example
 * ```ts
 * import { checkExclusive } from "./voxel_selection.ts";
 * checkExclusive({ roi: "FFA1" }); // fine
 * ```
 */
export function checkExclusive(sel: VoxelSelection): void {
  if (sel.roi !== undefined && sel.mask !== undefined) {
    throw new LaionFmriError("roi and mask are mutually exclusive: pass one of them.");
  }
  if (Array.isArray(sel.roi) && sel.roi.length === 0) {
    throw new RangeError(
      'roi: [] selects no voxel: give at least one ROI (or "all", or leave roi out for all brain voxels)',
    );
  }
}

/**
 * Checks a noise-ceiling threshold: a number in percent, 0-100.
 *
 * @throws {TypeError} when it is not a number (names the value)
 * @throws {RangeError} when it is NaN, negative or above 100 (names the value)
 * @example
 * ```ts
 * import { checkNcThreshold } from "./voxel_selection.ts";
 * checkNcThreshold(40); // fine
 * ```
 */
export function checkNcThreshold(threshold: number): void {
  if (typeof threshold !== "number") {
    throw new TypeError(
      `ncThreshold must be a number (percent, 0-100), got ${typeof threshold} ${
        JSON.stringify(threshold)
      }`,
    );
  }
  if (!(threshold >= 0 && threshold <= 100)) {
    throw new RangeError(
      `ncThreshold must be within 0-100 (percent), got ${threshold}: no voxel could pass`,
    );
  }
}

/**
 * Voxels whose noise ceiling (percent) is at least `threshold`, AND-ed with
 * `filter` when given; NaN never passes. A threshold in (0, 1) warns: it
 * looks like a fraction; so does one that keeps no voxel.
 *
 * @throws {TypeError|RangeError} for a threshold that is not a number in 0-100
 *
 * @example
 * ```ts
 * import { ncThresholdMask } from "./voxel_selection.ts";
 * ncThresholdMask(new Float32Array([10, 50, NaN]), 40); // Uint8Array [0, 1, 0]
 * ```
 */
export function ncThresholdMask(
  nc: Float32Array,
  threshold: number,
  filter?: BrainVoxelMask,
): BrainVoxelMask {
  checkNcThreshold(threshold);
  if (threshold > 0 && threshold < 1) {
    warn(
      `ncThreshold=${threshold}: noise ceilings are in percent (0-100), so this keeps ` +
        `almost every voxel with any noise ceiling. Did you mean ${threshold * 100}?`,
    );
  }
  const pass = new Uint8Array(nc.length);
  for (let c = 0; c < nc.length; c++) pass[c] = nc[c] >= threshold ? 1 : 0;
  if (filter) { for (let c = 0; c < pass.length; c++) pass[c] &= filter[c]; }
  if (!pass.includes(1)) {
    let max = -Infinity;
    for (let c = 0; c < nc.length; c++) if (!filter || filter[c]) max = Math.max(max, nc[c]);
    warn(
      `ncThreshold=${threshold} selects no voxel: the highest noise ceiling in the ` +
        `selection is ${Number.isFinite(max) ? `${max.toFixed(2)}%` : "not a number"}.`,
    );
  }
  return pass;
}

/** The voxels a filter keeps, in three index spaces. */
export interface SelectedVoxels {
  /** The kept voxels on the full grid (the brain mask itself when nothing is filtered). */
  gridMask: GridMask;
  /** Position of each kept voxel on the brain axis. */
  brainIndex: Int32Array;
  /** Full-grid C-order index of each kept voxel. */
  flatIndex: Int32Array;
}

/**
 * The voxels of `brain` that `filter` keeps (all of them without a filter).
 *
 * @param brainMask the brain mask (its length is the grid size)
 * @param brain full-grid index of each brain voxel
 * @param filter mask over brain voxels, or undefined for all
 * @example
 * ```ts
 * import { selectVoxels } from "./voxel_selection.ts";
 * const sel = selectVoxels(new Uint8Array([0, 1, 1]), new Int32Array([1, 2]), new Uint8Array([0, 1]));
 * sel.flatIndex; // Int32Array [2]
 * ```
 */
export function selectVoxels(
  brainMask: GridMask,
  brain: Int32Array,
  filter?: BrainVoxelMask,
): SelectedVoxels {
  const gridMask = filter ? new Uint8Array(brainMask.length) : brainMask;
  let n = brain.length;
  if (filter) {
    n = 0;
    for (let c = 0; c < brain.length; c++) if (filter[c]) (gridMask[brain[c]] = 1, n++);
  }
  const brainIndex = new Int32Array(n);
  const flatIndex = new Int32Array(n);
  for (let c = 0, s = 0; c < brain.length; c++) {
    if (!filter || filter[c]) (brainIndex[s] = c, flatIndex[s++] = brain[c]);
  }
  return { gridMask, brainIndex, flatIndex };
}

/**
 * Values over brain voxels restricted to the ones `filter` keeps (all
 * without a filter).
 *
 * @example
 * ```ts
 * import { keepVoxels } from "./voxel_selection.ts";
 * keepVoxels(new Float32Array([1, 2, 3]), new Uint8Array([1, 0, 1])); // [1, 3]
 * ```
 */
export function keepVoxels(values: Float32Array, filter?: BrainVoxelMask): Float32Array {
  if (!filter) return values;
  let n = 0;
  for (const f of filter) n += f;
  const out = new Float32Array(n);
  for (let c = 0, s = 0; c < values.length; c++) if (filter[c]) out[s++] = values[c];
  return out;
}

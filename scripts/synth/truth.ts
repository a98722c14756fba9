/**
 * The ground truth the generator writes beside the bucket
 * (`ground-truth/ground-truth.json` and `manifest.json`).
 * @module
 */
import type { RoiCategory } from "../../lib/core/constants.ts";
import type { SynthSize } from "./geometry.ts";
import type { Int16Scaling } from "./values.ts";
import type { CurrentTruth } from "./current_layout.ts";

/** One generated bucket object. */
export interface ManifestEntry {
  key: string;
  size: number;
  sha256: string;
}

/** Ground truth of one ROI. */
export interface RoiTruth {
  label: string;
  bucketLabel: string;
  /** Mask voxels on the whole grid (some may lie outside the brain). */
  nVoxels: number;
  /** Mask voxels inside the brain (= length of `brainIndices`). */
  nVoxelsInBrain: number;
  /** Brain-axis indices of the in-brain mask voxels, increasing. */
  brainIndices: number[];
  /** True vertex indices per hemisphere, increasing. */
  vertices: { L: number[]; R: number[] };
}

/** Ground truth of one session. */
export interface SessionTruth {
  heldOut: boolean;
  nTrials: number;
  nRuns: number;
  /** Trials whose label starts with `shared_`. */
  nShared: number;
  /** Trial labels in TSV / volume order. */
  labels: string[];
}

/** Ground truth of one subject. */
export interface SubjectTruth {
  /** Brain voxels = non-zero-or-NaN voxels of R2mean. */
  nBrainVoxels: number;
  /** How many of them are NaN in R2mean (and in float32 betas). */
  nBrainNaN: number;
  /** Brain-axis indices of the NaN voxels. */
  brainNaNIndices: number[];
  betaDatatype: "float32" | "int16";
  /** `scl_slope`/`scl_inter` of the int16 betas, `null` for float32. */
  int16Scaling: Int16Scaling | null;
  /** Vertices of the synthetic surfaces. */
  surfaces: { L: number; R: number };
  sessions: Record<string, SessionTruth>;
  /** ROI inventory with per-ROI truth, by category. */
  rois: Record<RoiCategory, RoiTruth[]>;
  nRois: number;
}

/** A sampled expected beta (after scaling; NaN as `null`). */
export interface SampledBeta {
  subject: string;
  session: string;
  trial: number;
  brainVoxelIndex: number;
  i: number;
  j: number;
  k: number;
  value: number | null;
}

/** Content of `ground-truth/ground-truth.json`. */
export interface GroundTruth {
  formatVersion: 1;
  size: SynthSize;
  seed: number;
  /** The splits folder the labels came from, or `null`. */
  splitsSource: string | null;
  grid: { dims: [number, number, number]; voxelSizeMm: number; affine: number[][] };
  voxelOrder: string;
  subjects: Record<string, SubjectTruth>;
  sampledBetas: SampledBeta[];
  /** What the current layout adds (only with `layout: "current"`). */
  current?: CurrentTruth;
}

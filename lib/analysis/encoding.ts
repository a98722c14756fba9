/**
 * The encoding model of upstream's tutorial, end to end on arrays:
 * reliable voxels (split-half r > 0.2), alternating image split, train-only
 * standardisation, ridge with per-voxel alpha (leave-one-out on train),
 * voxel-wise Pearson r on the test images, its median, and wRSA.
 * @module
 */
import type { LinearAlgebra, LinearAlgebraChoice } from "./linalg.ts";
import { type Matrix, shapeOf, takeColumns, takeRows } from "./matrix.ts";
import { wrsa } from "./rdm.ts";
import { indicesAbove, splitHalfReliability } from "./reliability.ts";
import type { RepeatAverages } from "./repeats.ts";
import { fitRidgePath, type RidgePath, TUTORIAL_ALPHAS } from "./ridge.ts";
import { type AlternateSplit, alternateSplit } from "./split.ts";
import { standardize } from "./standardize.ts";
import { median, pearsonColumns } from "./stats.ts";

/** Options of {@linkcode fitEncodingModel}. */
export interface EncodingModelOptions {
  /** Voxels are kept when their split-half r is strictly above this. @default 0.2 */
  reliabilityThreshold?: number;
  /** Apply Spearman–Brown to the split-half r before thresholding. @default false */
  spearmanBrown?: boolean;
  /** Images the reliability is computed on. @default "all" */
  reliabilityImages?: "all" | "train";
  /** Ridge penalties. @default TUTORIAL_ALPHAS (logspace(0, 6, 13)) */
  alphas?: readonly number[];
  /** Linear algebra backend. @default "auto" */
  backend?: LinearAlgebraChoice | LinearAlgebra;
  /** Stops the fit. */
  signal?: AbortSignal;
}

/** Everything the tutorial reports, plus what it was computed from. */
export interface EncodingModelResult {
  /** Train/test rows (indices into `averages.images`). */
  split: AlternateSplit;
  /** Split-half reliability of every voxel. */
  reliability: Float64Array;
  /** Indices of the kept (reliable) voxels. */
  voxels: number[];
  /** The ridge fit on the kept voxels (standardised units). */
  ridge: RidgePath;
  /** Measured test responses of the kept voxels, standardised with train statistics. */
  measured: Matrix;
  /** Pearson r per kept voxel between measured and predicted test responses. */
  voxelR: Float64Array;
  /** Median of `voxelR`. */
  medianR: number;
  /** Spearman rho between the correlation-distance RDMs of measured and predicted test responses. */
  wrsa: number;
}

/**
 * Fits the tutorial's encoding model. `features` has one row per image of
 * `averages.images` (same order), e.g. CLIP embeddings widened to float64.
 *
 * @example
 * ```ts
 * import { averageRepeats, fitEncodingModel, matrix } from "@laion/fmri";
 * declare const trials: ReturnType<typeof matrix>, names: string[], clip: ReturnType<typeof matrix>;
 * const fit = await fitEncodingModel(averageRepeats(trials, names), clip);
 * console.log(fit.voxels.length, fit.medianR, fit.wrsa);
 * ```
 */
export async function fitEncodingModel(
  averages: RepeatAverages,
  features: Matrix,
  options: EncodingModelOptions = {},
): Promise<EncodingModelResult> {
  if (features.rows !== averages.images.length) {
    throw new RangeError(
      `features (${shapeOf(features)}) need one row per image (${averages.images.length})`,
    );
  }
  const split = alternateSplit(averages.images);
  const rows = (options.reliabilityImages ?? "all") === "train" ? split.train : undefined;
  const odd = rows ? takeRows(averages.oddMean, rows) : averages.oddMean;
  const even = rows ? takeRows(averages.evenMean, rows) : averages.evenMean;
  const reliability = splitHalfReliability(odd, even, { spearmanBrown: options.spearmanBrown });
  const voxels = indicesAbove(reliability, options.reliabilityThreshold ?? 0.2);
  if (voxels.length === 0) {
    throw new RangeError(
      `no voxel has a split-half reliability above ${options.reliabilityThreshold ?? 0.2}`,
    );
  }
  const y = takeColumns(averages.mean, voxels);
  const xs = standardize(takeRows(features, split.train), takeRows(features, split.test));
  const ys = standardize(takeRows(y, split.train), takeRows(y, split.test));
  const ridge = await fitRidgePath(xs.train, ys.train, xs.test, {
    alphas: options.alphas ?? TUTORIAL_ALPHAS,
    backend: options.backend,
    signal: options.signal,
  });
  const voxelR = pearsonColumns(ys.test, ridge.prediction);
  return {
    split,
    reliability,
    voxels,
    ridge,
    measured: ys.test,
    voxelR,
    medianR: median(voxelR),
    wrsa: wrsa(ys.test, ridge.prediction),
  };
}

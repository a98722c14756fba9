/**
 * The tutorial's encoding model voxel by voxel, for any block of voxels:
 * the same steps and the same functions as `fitEncodingModel`
 * (lib/analysis/encoding.ts) — alternating split of the sorted images,
 * split-half reliability on the training images, features standardized with
 * the training images' statistics, a ridge with each voxel's alpha chosen by
 * efficient leave-one-out predictions scored by their correlation, held-out
 * Pearson r — with one difference that makes a voxel's result independent of
 * every other voxel (so shards of any size merge into the same map):
 *
 * - every voxel with finite responses to all images and non-constant
 *   training responses is fitted, whatever its reliability (the tutorial
 *   fits only voxels above 0.2; thresholding `reliability` afterwards gives
 *   its voxels, with the same alpha and r, since each voxel's ridge uses only
 *   its own column);
 * - a voxel with a non-finite response is not fitted (its r and alpha are
 *   NaN), where the tutorial would drop that test image for all voxels.
 * @module
 */
import { alternateSplit } from "../analysis/split.ts";
import {
  checkSplitSizes,
  checkTrainingRepeats,
  rowFlags,
  usableColumns,
} from "../analysis/model_checks.ts";
import type { LinearAlgebra, LinearAlgebraChoice } from "../analysis/linalg.ts";
import { type Matrix, shapeOf, takeColumns, takeRows } from "../analysis/matrix.ts";
import type { RepeatAverages } from "../analysis/repeats.ts";
import {
  type RidgeDecomposition,
  ridgeDecomposition,
  type RidgePathSeconds,
  solveRidgePath,
  TUTORIAL_ALPHAS,
} from "../analysis/ridge.ts";
import { standardize } from "../analysis/standardize.ts";
import { pearsonColumnsOfRows } from "../analysis/stats.ts";

/** Options of {@linkcode fitVoxelwise}. */
export interface VoxelwiseOptions {
  /** Ridge penalties. @default TUTORIAL_ALPHAS ([0.1, 1, 10, …, 100000]) */
  alphas?: readonly number[];
  /** Linear algebra backend. @default "auto" */
  backend?: LinearAlgebraChoice | LinearAlgebra;
  /** Stops the fit. */
  signal?: AbortSignal;
}

/** Per-voxel results, one entry per column of the responses. */
export interface VoxelwiseFit {
  /** Split-half reliability on the training images (NaN for a constant voxel). */
  reliability: Float64Array;
  /** The alpha chosen by leave-one-out correlation (NaN: not fitted). */
  alpha: Float64Array;
  /** That alpha's leave-one-out correlation (NaN: not fitted). */
  looScore: Float64Array;
  /** Held-out Pearson r between measured and predicted test responses (NaN: not fitted). */
  r: Float64Array;
  /** Number of voxels fitted. */
  fitted: number;
  /** Training and test rows (indices into `averages.images`). */
  split: { train: number[]; test: number[] };
  /** Which backend did the linear algebra ("none" when no voxel was fitted). */
  backend: "openblas" | "typescript" | "none";
  /** Where the time went (wall seconds). */
  seconds: VoxelwiseSeconds;
}

/** Where {@linkcode fitVoxelwise}'s time went, in wall seconds. */
export interface VoxelwiseSeconds extends RidgePathSeconds {
  /** Split-half reliability and the scan for usable voxels. */
  reliability: number;
  /** Standardizing and decomposing the features (0 when their decomposition was given). */
  decomposition: number;
  /** The held-out r of every voxel. */
  testR: number;
}

/** Options of {@linkcode voxelwiseDecomposition}. */
export interface VoxelwiseDecompositionOptions {
  /** Linear algebra backend. @default "auto" */
  backend?: LinearAlgebraChoice | LinearAlgebra;
  /** Stops the decomposition. */
  signal?: AbortSignal;
}

/**
 * The feature side of {@linkcode fitVoxelwise} for the sorted `images`
 * (one row of `features` each): the alternating split, the features
 * standardized with the training images' statistics, and the ridge
 * decomposition of those (`ridgeDecomposition` of `@laion/fmri/analysis`).
 * Computed once per subject, it is what every voxel block of that subject
 * is fitted on: a whole-brain job's plan stores it, and each shard passes
 * it to `fitVoxelwise` in place of the features.
 *
 * @throws {RangeError} when `features` does not have one row per image
 * @example
 * ```ts
 * import { matrix } from "@laion/fmri/analysis";
 * import { voxelwiseDecomposition } from "@laion/fmri/jobs";
 * declare const images: string[], clip: ReturnType<typeof matrix>;
 * const basis = await voxelwiseDecomposition(images, clip);
 * console.log(basis.trainRows, basis.testRows);
 * ```
 */
export async function voxelwiseDecomposition(
  images: readonly string[],
  features: Matrix,
  options: VoxelwiseDecompositionOptions = {},
): Promise<RidgeDecomposition> {
  if (features.rows !== images.length) {
    throw new RangeError(
      `features (${shapeOf(features)}) need one row per image (${images.length})`,
    );
  }
  const split = alternateSplit(images);
  const xs = standardize(takeRows(features, split.train), takeRows(features, split.test));
  return await ridgeDecomposition(xs.train, xs.test, options);
}

/**
 * Fits the tutorial's model to every usable voxel (column) of `averages`:
 * see the module doc. `features` has one row per image of
 * `averages.images` (same order), or is their
 * {@linkcode voxelwiseDecomposition} (the same numbers, without
 * standardizing and decomposing again for each block of voxels).
 *
 * @throws {RangeError} when the shapes disagree, a training image was shown
 *   once, or fewer than 3 train or test images remain
 * @example
 * ```ts
 * import { averageRepeats, matrix } from "@laion/fmri/analysis";
 * import { fitVoxelwise } from "@laion/fmri/jobs";
 * declare const trials: ReturnType<typeof matrix>, names: string[], clip: ReturnType<typeof matrix>;
 * const fit = await fitVoxelwise(averageRepeats(trials, names, { minRepeats: 1 }), clip);
 * console.log(fit.fitted, fit.r);
 * ```
 */
export async function fitVoxelwise(
  averages: RepeatAverages,
  features: Matrix | RidgeDecomposition,
  options: VoxelwiseOptions = {},
): Promise<VoxelwiseFit> {
  const given = "vectors" in features;
  if (!given && features.rows !== averages.images.length) {
    throw new RangeError(
      `features (${shapeOf(features)}) need one row per image (${averages.images.length})`,
    );
  }
  const split = alternateSplit(averages.images);
  checkTrainingRepeats(averages, split.train);
  checkSplitSizes(split.train.length, split.test.length);
  if (
    given && (features.trainRows !== split.train.length || features.testRows !== split.test.length)
  ) {
    throw new RangeError(
      `the decomposition is of ${features.trainRows} train and ${features.testRows} test images, ` +
        `the averages split into ${split.train.length} and ${split.test.length}: it belongs to ` +
        "other images",
    );
  }
  const t0 = performance.now();
  // splitHalfReliability of the training rows, read in place (the same sums, no copies).
  const reliability = pearsonColumnsOfRows(
    averages.oddMean,
    split.train,
    averages.evenMean,
    split.train,
  );
  const m = averages.mean.cols, mean = averages.mean;
  // finite for every image (a voxel's test r needs all), not constant over the training images
  const usable = usableColumns(
    mean,
    new Uint8Array(mean.rows).fill(1),
    rowFlags(mean.rows, split.train),
  );
  const alpha = new Float64Array(m).fill(NaN);
  const looScore = new Float64Array(m).fill(NaN);
  const r = new Float64Array(m).fill(NaN);
  if (usable.length === 0) {
    const seconds = {
      reliability: (performance.now() - t0) / 1000,
      decomposition: 0,
      projection: 0,
      looProducts: 0,
      scoring: 0,
      prediction: 0,
      testR: 0,
    };
    return { reliability, alpha, looScore, r, fitted: 0, split, backend: "none", seconds };
  }
  const y = usable.length === m ? mean : takeColumns(mean, usable);
  const t1 = performance.now();
  const decomposition = given ? features : await voxelwiseDecomposition(
    averages.images,
    features,
    { backend: options.backend, signal: options.signal },
  );
  const t2 = performance.now();
  const ridge = await solveRidgePath(decomposition, takeRows(y, split.train), {
    alphas: options.alphas ?? TUTORIAL_ALPHAS,
    scoring: "correlation",
    everyAlphaPrediction: false, // only each voxel's own alpha is used
    backend: options.backend,
    signal: options.signal,
  });
  const t3 = performance.now();
  const voxelR = pearsonColumnsOfRows(y, split.test, ridge.prediction, undefined);
  const seconds: VoxelwiseSeconds = {
    reliability: (t1 - t0) / 1000,
    decomposition: (t2 - t1) / 1000,
    ...ridge.seconds,
    testR: (performance.now() - t3) / 1000,
  };
  usable.forEach((j, c) => {
    alpha[j] = ridge.bestAlpha[c];
    looScore[j] = ridge.bestScore[c];
    r[j] = voxelR[c];
  });
  return {
    reliability,
    alpha,
    looScore,
    r,
    fitted: usable.length,
    split,
    backend: ridge.backend,
    seconds,
  };
}

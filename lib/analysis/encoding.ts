/**
 * The encoding model of upstream's newest tutorial (`get-to-know-a-dataset.ipynb`),
 * end to end on arrays, step for step:
 *
 * 1. Images in sorted order, alternating split: positions 0, 2, 4, … train,
 *    1, 3, 5, … test (every repeat of an image stays on its side).
 * 2. Split-half reliability from the TRAINING images only: per voxel, Pearson
 *    r across images between the mean of the 1st, 3rd, … presentations and
 *    the mean of the 2nd, 4th, … ones.
 * 3. Voxels kept: reliability > 0.2, and finite, non-constant mean training
 *    responses. Test images with a non-finite response in a kept voxel are
 *    left out (and counted).
 * 4. Features standardized with the training images' mean and standard
 *    deviation (sklearn's `StandardScaler`); responses stay in their units.
 * 5. Ridge with each voxel's alpha from `[0.1, 1, …, 100000]`, chosen by
 *    efficient leave-one-out predictions scored by their correlation
 *    (`RidgeCV(alphas, alpha_per_target=True, scoring=make_scorer(correlation_score))`,
 *    see {@linkcode fitRidgePath}).
 * 6. On the test images: each voxel's Pearson r between measured and
 *    predicted, their median, the r of the mean response over the ROI's
 *    voxels, and wRSA (Pearson r between the correlation-distance RDMs).
 * @module
 */
import type { LinearAlgebra, LinearAlgebraChoice } from "./linalg.ts";
import { type Matrix, shapeOf, takeColumns, takeRows } from "./matrix.ts";
import { wrsa } from "./rdm.ts";
import { indicesAbove, splitHalfReliability } from "./reliability.ts";
import type { RepeatAverages } from "./repeats.ts";
import { checkSplitSizes, checkTrainingRepeats, rowFlags, usableColumns } from "./model_checks.ts";
import { fitRidgePath, type RidgePath, type RidgeScoring, TUTORIAL_ALPHAS } from "./ridge.ts";
import { type AlternateSplit, alternateSplit } from "./split.ts";
import { type ColumnStats, columnStats, standardize } from "./standardize.ts";
import { median, pearson, pearsonColumns } from "./stats.ts";

/** Options of {@linkcode fitEncodingModel}. */
export interface EncodingModelOptions {
  /** Voxels are kept when their split-half r is strictly above this. @default 0.2 */
  reliabilityThreshold?: number;
  /** Apply Spearman–Brown to the split-half r before thresholding. @default false */
  spearmanBrown?: boolean;
  /**
   * Images the reliability is computed on: the training images (the
   * tutorial), or every image shown at least twice.
   * @default "train"
   */
  reliabilityImages?: "all" | "train";
  /** Ridge penalties. @default TUTORIAL_ALPHAS ([0.1, 1, 10, …, 100000]) */
  alphas?: readonly number[];
  /** How each alpha's leave-one-out predictions are scored. @default "correlation" */
  scoring?: RidgeScoring;
  /** Linear algebra backend. @default "auto" */
  backend?: LinearAlgebraChoice | LinearAlgebra;
  /** Stops the fit. */
  signal?: AbortSignal;
}

/** Everything the tutorial reports, plus what it was computed from. */
export interface EncodingModelResult {
  /** Train/test rows (indices into `averages.images`), before test images are left out. */
  split: AlternateSplit;
  /** Test rows left out for a non-finite response in a kept voxel. */
  excludedTestImages: number[];
  /** Test rows used (`split.test` without `excludedTestImages`); rows of `measured`. */
  testImages: number[];
  /** Split-half reliability of every voxel (on the `reliabilityImages`). */
  reliability: Float64Array;
  /** Indices of the kept (reliable) voxels. */
  voxels: number[];
  /** The ridge fit on the kept voxels (responses in their own units). */
  ridge: RidgePath;
  /** Measured test responses of the kept voxels (test images × voxels, own units). */
  measured: Matrix;
  /** Mean and standard deviation of the kept voxels' training responses (for display). */
  responseStats: ColumnStats;
  /** Pearson r per kept voxel between measured and predicted test responses. */
  voxelR: Float64Array;
  /** Median of `voxelR`. */
  medianR: number;
  /** Pearson r between the measured and predicted mean response over the kept voxels, across test images. */
  meanResponseR: number;
  /** Pearson r between the correlation-distance RDMs of measured and predicted test responses. */
  wrsa: number;
}

function rowMeans(m: Matrix): Float64Array {
  const out = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) {
    let s = 0;
    for (let j = 0; j < m.cols; j++) s += m.data[i * m.cols + j];
    out[i] = s / m.cols;
  }
  return out;
}

/**
 * Fits the tutorial's encoding model. `features` has one row per image of
 * `averages.images` (same order), e.g. CLIP embeddings widened to float64.
 * Every training image needs at least two presentations (for the
 * reliability); test images may have one.
 *
 * @throws {RangeError} when the shapes disagree, a training image was shown
 *   once, fewer than 3 train or test images or fewer than 2 voxels remain
 * @example
 * ```ts
 * import { averageRepeats, fitEncodingModel, matrix } from "@laion/fmri/analysis";
 * declare const trials: ReturnType<typeof matrix>, names: string[], clip: ReturnType<typeof matrix>;
 * const fit = await fitEncodingModel(averageRepeats(trials, names, { minRepeats: 1 }), clip);
 * console.log(fit.voxels.length, fit.medianR, fit.meanResponseR, fit.wrsa);
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
  const threshold = options.reliabilityThreshold ?? 0.2;
  const split = alternateSplit(averages.images);
  checkTrainingRepeats(averages, split.train);
  const relRows = (options.reliabilityImages ?? "train") === "train"
    ? split.train
    : averages.images.flatMap((_, r) => (averages.counts[r] >= 2 ? [r] : []));
  const reliability = splitHalfReliability(
    takeRows(averages.oddMean, relRows),
    takeRows(averages.evenMean, relRows),
    { spearmanBrown: options.spearmanBrown },
  );
  // finite and not constant over the training images (test images are checked below)
  const inTrain = rowFlags(averages.mean.rows, split.train);
  const usable = new Set(usableColumns(averages.mean, inTrain, inTrain));
  const voxels = indicesAbove(reliability, threshold).filter((v) => usable.has(v));
  if (voxels.length < 2) {
    throw new RangeError(
      `${voxels.length} voxel(s) have a split-half reliability above ${threshold} and ` +
        "finite, non-constant training responses; the model needs 2 or more",
    );
  }
  const y = takeColumns(averages.mean, voxels);
  const excludedTestImages: number[] = [], testImages: number[] = [];
  for (const r of split.test) {
    let finite = true;
    for (let j = 0; j < y.cols && finite; j++) finite = Number.isFinite(y.data[r * y.cols + j]);
    (finite ? testImages : excludedTestImages).push(r);
  }
  checkSplitSizes(split.train.length, testImages.length);
  const xs = standardize(takeRows(features, split.train), takeRows(features, testImages));
  const yTrain = takeRows(y, split.train);
  const measured = takeRows(y, testImages);
  const ridge = await fitRidgePath(xs.train, yTrain, xs.test, {
    alphas: options.alphas ?? TUTORIAL_ALPHAS,
    scoring: options.scoring ?? "correlation",
    backend: options.backend,
    signal: options.signal,
  });
  const voxelR = pearsonColumns(measured, ridge.prediction);
  return {
    split,
    excludedTestImages,
    testImages,
    reliability,
    voxels,
    ridge,
    measured,
    responseStats: columnStats(yTrain),
    voxelR,
    medianR: median(voxelR),
    meanResponseR: pearson(rowMeans(measured), rowMeans(ridge.prediction)),
    wrsa: wrsa(measured, ridge.prediction),
  };
}

/**
 * The encoding model of upstream's tutorial on plain arrays: repeat
 * averaging, the alternating train/test split, split-half reliability,
 * standardization, ridge regression with a per-voxel alpha (OpenBLAS through
 * FFI when it is installed, plain TypeScript otherwise), correlations and
 * RDM/wRSA. Nothing here reads files: row-major `Float32Array`/`Float64Array`
 * matrices in, numbers out.
 *
 * @example
 * ```ts
 * import { matrix, pearson, standardize } from "@laion/fmri/analysis";
 * const train = matrix(3, 2, [1, 2, 3, 5, 5, 4]); // 3 images x 2 features, row after row
 * const test = matrix(1, 2, [2, 3]);
 * const { stats } = standardize(train, test); // z-scored with the train columns' mean and sd
 * console.log(pearson([1, 2, 3], [2, 4, 7]), stats);
 * ```
 * @module
 */
export { type Matrix, matrix, takeColumns, takeRows } from "./matrix.ts";
export { averageRepeats, type AverageRepeatsOptions, type RepeatAverages } from "./repeats.ts";
export { type AlternateSplit, alternateSplit } from "./split.ts";
export { indicesAbove, type ReliabilityOptions, splitHalfReliability } from "./reliability.ts";
export { applyStats, type ColumnStats, columnStats, standardize } from "./standardize.ts";
export {
  fitRidgePath,
  type RidgeDecomposition,
  ridgeDecomposition,
  type RidgeDecompositionOptions,
  type RidgePath,
  type RidgePathOptions,
  type RidgePathSeconds,
  type RidgeScoring,
  solveRidgePath,
  type SolveRidgePathOptions,
  TUTORIAL_ALPHAS,
} from "./ridge.ts";
export { median, pearson, pearsonColumns, ranks, spearman } from "./stats.ts";
export { correlationRdm, wrsa, type WrsaOptions } from "./rdm.ts";
export {
  type EncodingModelOptions,
  type EncodingModelResult,
  fitEncodingModel,
} from "./encoding.ts";
export { type LinearAlgebra, linearAlgebra, type LinearAlgebraChoice } from "./linalg.ts";
export { NativeLibraryMissingError, openblasAvailable } from "./openblas.ts";
export type { SymmetricEigen } from "./eigen_ts.ts";

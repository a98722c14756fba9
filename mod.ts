/**
 * LAION-fMRI for Deno: discover the dataset, take the published train/test
 * splits, download exactly the files you need, and load single-trial fMRI
 * responses as Polars DataFrames.
 *
 * @example
 * ```ts
 * import { describe, getRois, getTrainTestIds } from "@laion/fmri";
 * await describe();
 * console.log(await getRois("sub-01", { category: "face" }));
 * const [train, test] = await getTrainTestIds("random_0", { pool: "shared" });
 * ```
 * @module
 */
export * from "./lib/core/errors.ts";
export * from "./lib/core/constants.ts";
export { bidsifyLocalKey, isHeldOutKey, parseRoiLabel, resolveSubjectId } from "./lib/core/ids.ts";
export { flagFor, readEnv, withPermission, withPermissionSync } from "./lib/core/permissions.ts";
export { setWarningHandler, type WarningHandler } from "./lib/core/warnings.ts";
export type { DisplayBundle } from "./lib/core/display.ts";
export { retry, RetryError, type RetryOptions } from "./lib/core/retry.ts";
export type {
  BucketObject,
  BucketSource,
  GetOptions,
  Listing,
  ObjectBody,
} from "./lib/bucket/source.ts";
export {
  objectUrl,
  type RequestStats,
  S3Source,
  type S3SourceOptions,
} from "./lib/bucket/s3_source.ts";
export {
  type BucketOptions,
  CachedSource,
  configureBucket,
  getRequestStats,
  getSource,
  refreshListings,
} from "./lib/bucket/cached_source.ts";
export {
  describe,
  getRoiInventory,
  getRois,
  type GetRoisOptions,
  getSubjects,
  inspectBucket,
  type PrintOptions,
} from "./lib/bucket/discovery.ts";
export { getSubjectSessions, type SubjectSessions } from "./lib/bucket/sessions.ts";
export { configPath, datasetInitialize, getDataDir } from "./lib/local/config.ts";
export * from "./lib/splits/mod.ts";
export {
  type RoiEntry,
  RoiInventory,
  type RoiQuery,
  UnknownRoiError,
} from "./lib/subject/roi_grammar.ts";
export {
  loadSubject,
  type LoadSubjectOptions,
  type SignalOptions,
  type Subject,
} from "./lib/subject/subject.ts";
export type { BetaMatrix } from "./lib/subject/beta_matrix.ts";
export type { BetasOptions, MultiSessionBetasOptions } from "./lib/subject/betas.ts";
export type { MultiNoiseCeilingOptions, NoiseCeilingOptions } from "./lib/subject/noise_ceiling.ts";
export type { HemiData, RoiData, RoiDataOptions } from "./lib/subject/roi_data.ts";
export type { BrainVoxelMask, GridMask, VoxelSelection } from "./lib/subject/voxel_selection.ts";
export { SubjectPaths } from "./lib/local/paths.ts";
export * from "./lib/download/mod.ts";
export {
  Group,
  loadSubjects,
  SharedBetas,
  type SharedBetasOptions,
  type SharedTrials,
  type SubjectShared,
} from "./lib/subject/group.ts";
export {
  type Grid,
  readGrid,
  scatterToNifti,
  voxelCoordinates,
} from "./lib/subject/brain_space.ts";
export {
  exportBetas,
  type ExportBetasOptions,
  type ExportProgress,
  type ExportSummary,
} from "./lib/export/export_betas.ts";
export {
  type Nifti4dOptions,
  type NiftiHeader,
  type NiftiMasked4d,
  type NiftiMaskOptions,
  type NiftiReadOptions,
  type NiftiVolume,
  type NiftiVolumeOptions,
  readNifti4dMasked,
  readNiftiHeader,
  readNiftiMask,
  readNiftiMaskedValues,
  readNiftiVolume,
} from "./lib/formats/nifti.ts";
export { type Nifti1WriteOptions, writeNifti1 } from "./lib/formats/nifti_write.ts";
export {
  type GiftiDataArray,
  type GiftiMaskOptions,
  readGiftiDataArrays,
  readGiftiMask,
} from "./lib/formats/gifti.ts";
export { readFreesurferLabel } from "./lib/formats/freesurfer_label.ts";
export { readTsv } from "./lib/frames/tsv.ts";

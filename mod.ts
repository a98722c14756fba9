/**
 * LAION-fMRI for Deno: discover the dataset, take the published train/test
 * splits, download exactly the files you need, and load single-trial fMRI
 * responses as Polars DataFrames.
 *
 * This module holds what a researcher calls. The rest lives under subpaths:
 * `@laion/fmri/subject` (option and result types of `Subject` and `Group`,
 * per-trial stimulus views), `@laion/fmri/stimuli` (the stimulus side in
 * full), `@laion/fmri/analysis` (the encoding model on plain arrays),
 * `@laion/fmri/plot` (pictures), `@laion/fmri/splits`, `@laion/fmri/download`,
 * `@laion/fmri/access` (the gated images' access service), `@laion/fmri/formats`
 * (file readers) and `@laion/fmri/bucket` (the S3 layer).
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
// Errors: every class a caller may catch.
export {
  AccessDeniedError,
  AccessFormError,
  AccessNotFoundError,
  AccessRevokedError,
  AccessServiceError,
  DataDirNotFoundError,
  DataDirNotSetError,
  DataDirNotWritableError,
  DataNotDownloadedError,
  DataNotFoundError,
  EndpointUnreachableError,
  formatList,
  HeldOutSessionError,
  InvalidChoiceError,
  LaionFmriError,
  LicenseNotAcceptedError,
  MalformedFileError,
  NoMatchingDataError,
  NoSuchBucketError,
  PermissionMissingError,
  S3RequestError,
  StimuliNotDownloadedError,
  SubjectNotFoundError,
  TemplateUnavailableError,
  TermsOutdatedError,
  UnknownSessionError,
} from "./lib/core/errors.ts";
export { RetryError } from "./lib/core/retry.ts";
export { UnknownRoiError } from "./lib/subject/roi_grammar.ts";
export { SplitNotInPoolError, SplitsNotInstalledError } from "./lib/splits/mod.ts";

// Facts about the dataset, configuration and notebook output.
export {
  BUCKET,
  EMBEDDING_MODELS,
  type EmbeddingModel,
  HELD_OUT_SESSIONS,
  REGION,
  ROI_CATEGORIES,
  type RoiCategory,
} from "./lib/core/constants.ts";
export { setWarningHandler, type WarningHandler } from "./lib/core/warnings.ts";
export { flushOutput } from "./lib/core/notebook.ts";
export { show } from "./lib/frames/show.ts";
export type { DataFrame, Series } from "./lib/frames/polars.ts";
export {
  configPath,
  datasetInitialize,
  type DatasetInitializeOptions,
  getDataDir,
} from "./lib/local/config.ts";
export { configureBucket, type ConfigureBucketOptions } from "./lib/bucket/cached_source.ts";

// Discovery (option and result types in `@laion/fmri/bucket`).
export {
  describe,
  getRoiInventory,
  getRois,
  getSubjects,
  inspectBucket,
} from "./lib/bucket/discovery.ts";
export { getSubjectSessions } from "./lib/bucket/sessions.ts";

// Splits (the full set, with the catalogue's constants, in `@laion/fmri/splits`).
export {
  getSplitMasks,
  getTrainTestIds,
  listSplits,
  loadSplit,
  Split,
  SplitMasks,
  type SplitName,
  type SplitPool,
  type SplitSelectOptions,
  type TrainTestIds,
} from "./lib/splits/mod.ts";

// Download (planning, consent and progress types in `@laion/fmri/download`).
export {
  download,
  type DownloadFilters,
  type DownloadOptions,
  downloadRaw,
  type DownloadRawOptions,
  type DownloadResult,
  formatSummary,
} from "./lib/download/mod.ts";
export {
  downloadCaptions,
  downloadEmbeddings,
  downloadSegmentations,
  type StimulusSideOptions,
} from "./lib/download/stimulus_side.ts";
export {
  downloadStimuli,
  type DownloadStimuliOptions,
  requestStimulusAccess,
} from "./lib/access/mod.ts";

// Subjects (option and result types in `@laion/fmri/subject`).
export { loadSubject, type LoadSubjectOptions, type Subject } from "./lib/subject/subject.ts";
export { type Group, loadSubjects } from "./lib/subject/group.ts";
export type { BetaMatrix } from "./lib/subject/beta_matrix.ts";

// Stimuli (the full stimulus side in `@laion/fmri/stimuli`).
export { loadStimuli, type LoadStimuliOptions, Stimuli } from "./lib/stimuli/stimuli.ts";
export {
  Embeddings,
  loadEmbeddings,
  type LoadEmbeddingsOptions,
} from "./lib/stimuli/embeddings.ts";
export { Captions, loadCaptions } from "./lib/stimuli/captions.ts";
export { loadSegmentations, Segmentations } from "./lib/stimuli/segmentations.ts";

// Tables and export.
export { readTsv, type TsvReadOptions } from "./lib/frames/tsv.ts";
export {
  exportBetas,
  type ExportBetasOptions,
  type ExportProgress,
  type ExportSummary,
} from "./lib/export/export_betas.ts";

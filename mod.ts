/**
 * LAION-fMRI for Deno: discover the dataset, take the published train/test
 * splits, download exactly the files you need, and load single-trial fMRI
 * responses as Polars DataFrames.
 *
 * This module holds what a researcher calls, and the types its signatures
 * name (each also exported by its subpath). The rest lives under subpaths:
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

// Types the root's signatures name (so its docs stand alone), and the classes and constants
// those types are built on; each lives in the subpath given.
export {
  type AnatomicalFileOptions,
  type BetasFileSource,
  type BetasOptions,
  type BrainMaskOptions,
  type BrainVoxelMask,
  type FileLoadOptions,
  type FsaverageDensity,
  type FsnativeInput,
  type Grid,
  type GridMask,
  type Hemi,
  type HemiData,
  LOCALIZER_TASKS,
  type LocalizerMapQuery,
  type LocalizerTask,
  type MaskSource,
  type ModelBetasOptions,
  type MultiInput,
  type MultiNoiseCeilingOptions,
  type MultiSessionBetasOptions,
  type NoiseCeilingOptions,
  type RawLoadOptions,
  type RawRunQuery,
  type RemoteModelOptions,
  type RoiBetasOptions,
  type RoiData,
  type RoiDataOptions,
  type RoiQuery,
  type RoiResOptions,
  type RoiVolume,
  SHARED_IMAGE_FORMATS,
  type SharedBetas,
  type SharedBetasOptions,
  type SharedImagesOptions,
  type SharedTrials,
  type SignalOptions,
  type SingleInput,
  type SubjectFile,
  type SubjectPaths,
  type SubjectShared,
  type SubjectVolume,
  type SurfaceOutput,
  type SurfaceResult,
  type SurfaceTemplateOptions,
  type TemplateFiles,
  type TemplateInput,
  type TemplateInterpolation,
  type TemplateOptions,
  type TemplateRoute,
  type TemplateVolume,
  TrialCaptions,
  TrialEmbeddings,
  TrialImages,
  type TrialsByVoxels,
  TrialSegmentations,
  type TrialSelection,
  VOLUME_RESOLUTIONS,
  type VolumeRes,
  type VoxelAxisOptions,
  type VoxelSelection,
} from "./lib/subject/mod.ts";
export {
  CAPTION_SOURCES,
  type CaptionSource,
  type EmbeddingArray,
  type EmbeddingDtype,
  type EmbeddingGetOptions,
  type EmbeddingMatrix,
  type ImageBatch,
  type ImageOptions,
  type Mask,
  type Pixels,
  StimulusImage,
  StimulusImages,
  type StimulusKey,
  type StimulusSet,
} from "./lib/stimuli/mod.ts";
export {
  type ListSplitsOptions,
  type LoadSplitOptions,
  SPLIT_NAMES,
  SPLIT_POOLS,
  type SplitFamily,
  type SplitMaskInput,
  SplitVariant,
} from "./lib/splits/mod.ts";
export {
  type DownloadBaseOptions,
  type DownloadProgress,
  type DownloadSummary,
  type FilterValue,
  type PlanOptions,
  type PrefixResult,
  type PromptFunction,
  type RawDownloadFilters,
  type TransferProgress,
  type TransferTuning,
} from "./lib/download/mod.ts";
export {
  type AccessClientOptions,
  type AccessGrant,
  type AccessRequestFields,
  type FileProgress,
  type GrantedFile,
  type LinePrompt,
  type ManifestFile,
  type RequestAccessOptions,
  type RequestIdOptions,
  STIMULUS_FILES,
  type StimulusFileName,
} from "./lib/access/mod.ts";
export {
  BUCKET_LAYOUTS,
  type BucketLayout,
  type BucketObject,
  type BucketOptions,
  type BucketSource,
  type GetOptions,
  type GetRoisOptions,
  type Listing,
  type ObjectBody,
  type PrintOptions,
  type S3SourceOptions,
  type SessionId,
  type SubjectSessions,
} from "./lib/bucket/mod.ts";
export type { DisplayBundle, FlushOutputOptions } from "./lib/display/mod.ts";
export type { NiftiHeader, NiftiVolume } from "./lib/formats/mod.ts";

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
export { SplitsNotInstalledError } from "./lib/splits/source.ts";

// Facts about the dataset and id helpers.
export {
  BUCKET,
  BUCKET_LAYOUTS,
  type BucketLayout,
  HELD_OUT_SESSIONS,
  REGION,
  ROI_CATEGORIES,
  type RoiCategory,
} from "./lib/core/constants.ts";
export { isPublicKey, resolveSessionId, resolveSubjectId, type SessionId } from "./lib/core/ids.ts";
export { setWarningHandler, type WarningHandler } from "./lib/core/warnings.ts";
export type { DisplayBundle } from "./lib/core/display.ts";
export { flushOutput, type FlushOutputOptions } from "./lib/core/notebook.ts";
export { show } from "./lib/frames/show.ts";
export type { DataFrame, Series } from "./lib/frames/polars.ts";

// Configuration and the bucket.
export {
  configPath,
  datasetInitialize,
  type DatasetInitializeOptions,
  getDataDir,
} from "./lib/local/config.ts";
export {
  type BucketOptions,
  configureBucket,
  type ConfigureBucketOptions,
  getRequestStats,
  refreshListings,
} from "./lib/bucket/cached_source.ts";
export type {
  BucketObject,
  BucketSource,
  GetOptions,
  Listing,
  ObjectBody,
} from "./lib/bucket/source.ts";
export type { RequestStats, S3SourceOptions } from "./lib/bucket/s3_source.ts";

// Discovery.
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
export { getBucketLayout } from "./lib/bucket/layout.ts";

// Splits.
export {
  clearSplitCache,
  getSplitMasks,
  getTrainTestIds,
  listOodTypes,
  listPools,
  listSplits,
  type ListSplitsOptions,
  loadAllSplits,
  loadSplit,
  type LoadSplitOptions,
  OOD_TYPES,
  type OodType,
  oodTypeOf,
  POOLED_SPLIT_NAMES,
  type PooledSplitName,
  Split,
  SPLIT_NAMES,
  SPLIT_POOLS,
  type SplitFamily,
  type SplitInit,
  type SplitMaskInput,
  SplitMasks,
  type SplitName,
  SplitNotInPoolError,
  type SplitPool,
  SPLITS_DIR_ENV,
  type SplitSelectOptions,
  SplitVariant,
  type TrainTestIds,
} from "./lib/splits/mod.ts";

// Download.
export {
  type ConsentOptions,
  download,
  type DownloadBaseOptions,
  type DownloadFilters,
  type DownloadOptions,
  type DownloadPlan,
  type DownloadProgress,
  downloadRaw,
  type DownloadRawOptions,
  type DownloadResult,
  type DownloadSummary,
  ensureConsent,
  type FilterValue,
  formatSummary,
  planDownload,
  type PlannedFile,
  type PlanOptions,
  planRawDownload,
  type PrefixPlan,
  type PrefixResult,
  type PromptFunction,
  type RawDownloadFilters,
  type RawPlanOptions,
  type TransferProgress,
  type TransferTuning,
} from "./lib/download/mod.ts";

// Subject and group.
export {
  loadSubject,
  type LoadSubjectOptions,
  type SignalOptions,
  type Subject,
} from "./lib/subject/subject.ts";
export type { RoiEntry, RoiInventory, RoiQuery } from "./lib/subject/roi_grammar.ts";
export type { BetaMatrix } from "./lib/subject/beta_matrix.ts";
export type { BetasOptions, MultiSessionBetasOptions } from "./lib/subject/betas.ts";
export type { MultiNoiseCeilingOptions, NoiseCeilingOptions } from "./lib/subject/noise_ceiling.ts";
export type { HemiData, RoiData, RoiDataOptions } from "./lib/subject/roi_data.ts";
export type { BrainVoxelMask, GridMask, VoxelSelection } from "./lib/subject/voxel_selection.ts";
export type { SubjectPaths } from "./lib/local/paths.ts";
export {
  type Group,
  loadSubjects,
  type SharedBetas,
  type SharedBetasOptions,
  type SharedTrials,
  type SubjectShared,
} from "./lib/subject/group.ts";
export type { Grid } from "./lib/subject/brain_space.ts";
// Subject files, shared images, the training dataset (issue 23, h-subject).
export type { FileLoadOptions, SubjectFile } from "./lib/subject/subject_file.ts";
export type { SharedImagesOptions } from "./lib/subject/group.ts";
export {
  type BatchOptions,
  type ImageTensor,
  type ImageTransform,
  type IterateOptions,
  openTrainingDataset,
  type TrainingBatch,
  TrainingDataset,
  type TrainingDatasetOptions,
  type TrainingItem,
  type TrainingItemInfo,
} from "./lib/subject/dataset.ts";

// Tables and export.
export { readTsv, type TsvReadOptions } from "./lib/frames/tsv.ts";
export {
  exportBetas,
  type ExportBetasOptions,
  type ExportProgress,
  type ExportSummary,
} from "./lib/export/export_betas.ts";

// Pictures.
export { Picture } from "./lib/display/picture.ts";
export { sliceImage, type SliceOptions, type Volume3d } from "./lib/display/slices.ts"; // deprecated: plotStatMap

// Betas straight from the bucket (GLMsingle model files read by range).
export {
  modelKey,
  readRemoteModelRows,
  type RemoteModelOptions,
} from "./lib/subject/remote_model.ts";
export type { ModelRows } from "./lib/formats/glmsingle_model.ts";
export type { Hdf5ContiguousLayout } from "./lib/formats/hdf5_layout.ts";
export type { Hdf5Dtype } from "./lib/formats/hdf5_encode.ts";

// Subject on the current layout: mask source, anatomy, localizers, raw data, model-file betas.
export { MASK_SOURCES, type MaskSource } from "./lib/subject/mask_source.ts";
export {
  type FsaverageDensity,
  type FsnativeInput,
  type Hemi,
  type MultiInput,
  type SingleInput,
  type SubjectVolume,
  type SurfaceOutput,
  type SurfaceResult,
  type SurfaceTemplateOptions,
  TEMPLATE_TARGETS,
  templateFileName,
  type TemplateFiles,
  templateflowFiles,
  templateflowHome,
  type TemplateInput,
  type TemplateInterpolation,
  type TemplateOptions,
  type TemplateRoute,
  type TemplateTarget,
  type TemplateVolume,
  type TrialsByVoxels,
} from "./lib/subject/standard_space.ts";
export type { VoxelAxisOptions } from "./lib/subject/subject.ts";
export type {
  AnatomicalFile,
  AnatomicalFileOptions,
  BrainMaskOptions,
} from "./lib/subject/anatomy.ts";
export type { LocalizerMapQuery, LocalizerTask } from "./lib/subject/localizers.ts";
export type { RawLoadOptions, RawRunQuery } from "./lib/subject/raw.ts";
export type { RoiResOptions, RoiVolume } from "./lib/subject/roi_res.ts";
export type { BetasFileSource, ModelBetasOptions } from "./lib/subject/model_betas.ts";
export type { RoiBetasOptions } from "./lib/subject/roi_betas.ts";
export { LOCALIZER_TASKS, VOLUME_RESOLUTIONS, type VolumeRes } from "./lib/local/current_paths.ts";
export type { NiftiVolume } from "./lib/formats/nifti.ts";
// Reading a written volume back (also in `@laion/fmri/formats`, with the other readers).
export { readNiftiHeader, readNiftiVolume } from "./lib/formats/nifti.ts";
export type { NiftiHeader } from "./lib/formats/nifti_header.ts";

// The stimulus side: public downloads (CC0) and the gated images' access service.
export {
  CAPTIONS_KEY,
  downloadCaptions,
  downloadEmbeddings,
  downloadSegmentations,
  embeddingKey,
  SEGMENTATIONS_KEY,
  SEGMENTATIONS_METADATA_KEY,
  type StimulusSideOptions,
} from "./lib/download/stimulus_side.ts";
export {
  ACCESS_FORM_CELL,
  type AccessClientOptions,
  type AccessForm,
  type AccessGrant,
  type AccessRequestFields,
  accessServiceUrl,
  authFilePath,
  clearRequestId,
  currentTermsVersion,
  DEFAULT_ACCESS_URL,
  downloadFile,
  type DownloadFileOptions,
  type DownloadFileResult,
  downloadStimuli,
  type DownloadStimuliOptions,
  fetchManifest,
  type FileProgress,
  type GrantedFile,
  type LinePrompt,
  loadRequestId,
  type ManifestFile,
  refreshUrls,
  REQUEST_ID_ENV,
  type RequestAccessOptions,
  type RequestIdOptions,
  requestStimulusAccess,
  saveRequestId,
  STIMULUS_FILES,
  type StimulusFileName,
  type StimulusManifest,
  submitAccessRequest,
} from "./lib/access/mod.ts";

// The stimulus side: images, embeddings, captions, segmentations, and their per-trial views.
export { EMBEDDING_MODELS, type EmbeddingModel } from "./lib/core/constants.ts";
export {
  type ImageBatch,
  type ImageOptions,
  loadStimuli,
  type LoadStimuliOptions,
  readStimulusMetadata,
  Stimuli,
  StimulusImages,
  type StimulusKey,
  type StimulusSet,
} from "./lib/stimuli/stimuli.ts";
export {
  type EmbeddingArray,
  type EmbeddingDtype,
  type EmbeddingGetOptions,
  type EmbeddingMatrix,
  Embeddings,
  loadEmbeddings,
  type LoadEmbeddingsOptions,
} from "./lib/stimuli/embeddings.ts";
export {
  CAPTION_SOURCES,
  Captions,
  type CaptionSource,
  loadCaptions,
} from "./lib/stimuli/captions.ts";
export { loadSegmentations, type Mask, Segmentations } from "./lib/stimuli/segmentations.ts";
export { type Pixels, StimulusImage } from "./lib/stimuli/image.ts";
export { decodeImage, type DecodeOptions } from "./lib/stimuli/decode.ts";
export { AVAILABLE_MODELS, PRESENTATION_BACKGROUND_RGB8 } from "./lib/stimuli/paths.ts";
export {
  TrialCaptions,
  TrialEmbeddings,
  TrialImages,
  TrialSegmentations,
  type TrialSelection,
} from "./lib/subject/trial_stimuli.ts";
export { TRIAL_STIMULUS_COLUMNS } from "./lib/subject/trial_metadata.ts";
export {
  ImageGrid,
  plotTrials,
  TrialCard,
  trialCard,
  type TrialCardData,
  trialGrid,
  type TrialGridOptions,
  type TrialGridViewOptions,
} from "./lib/display/stimulus_views.ts";

// The encoding model of upstream's tutorial, on plain arrays.
export { type Matrix, matrix, takeColumns, takeRows } from "./lib/analysis/matrix.ts";
export {
  averageRepeats,
  type AverageRepeatsOptions,
  type RepeatAverages,
} from "./lib/analysis/repeats.ts";
export { type AlternateSplit, alternateSplit } from "./lib/analysis/split.ts";
export {
  indicesAbove,
  type ReliabilityOptions,
  splitHalfReliability,
} from "./lib/analysis/reliability.ts";
export {
  applyStats,
  type ColumnStats,
  columnStats,
  standardize,
} from "./lib/analysis/standardize.ts";
export {
  fitRidgePath,
  type RidgePath,
  type RidgePathOptions,
  type RidgeScoring,
  TUTORIAL_ALPHAS,
} from "./lib/analysis/ridge.ts";
export { median, pearson, pearsonColumns, ranks, spearman } from "./lib/analysis/stats.ts";
export { correlationRdm, wrsa, type WrsaOptions } from "./lib/analysis/rdm.ts";
export {
  type EncodingModelOptions,
  type EncodingModelResult,
  fitEncodingModel,
} from "./lib/analysis/encoding.ts";
export {
  type LinearAlgebra,
  linearAlgebra,
  type LinearAlgebraChoice,
} from "./lib/analysis/linalg.ts";
export { NativeLibraryMissingError, openblasAvailable } from "./lib/analysis/openblas.ts";
export type { SymmetricEigen } from "./lib/analysis/eigen_ts.ts";

// Plots: plot* return a Figure (SVG, shown without permissions; PNG through sharp).
// scatterPlot, histogramPlot, heatmapPlot, brainMap, imageGrid, sliceImage, ImageGrid and
// trialGrid are the deprecated former names (README: "Pictures").
export { Figure, type FigureSaveOptions } from "./lib/display/figure.ts";
export { svgToPicture, type SvgToPictureOptions } from "./lib/display/svg.ts";
export { plotScatter, type ScatterOptions, scatterPlot } from "./lib/display/scatter.ts";
export { type HistogramOptions, histogramPlot, plotHistogram } from "./lib/display/histogram.ts";
export {
  type HeatmapOptions,
  type HeatmapPanel,
  heatmapPlot,
  plotHeatmap,
} from "./lib/display/heatmap.ts";
export {
  type Affine,
  plotStatMap,
  type StatMapInput,
  type StatMapOptions,
} from "./lib/display/stat_map.ts";
export { brainMap, type BrainMapInput, type BrainMapOptions } from "./lib/display/brain_map.ts";
export {
  type GridImage,
  imageGrid,
  type ImageGridOptions,
  plotImages,
} from "./lib/display/image_grid.ts";
export { plotVoxelValues, type PlotVoxelValuesOptions } from "./lib/display/voxel_map.ts";
export {
  colormap,
  colormapCss,
  type ColormapName,
  COLORMAPS,
  colormapTable,
  type Rgb,
} from "./lib/display/colormaps.ts";
export {
  type Camera,
  type Hemisphere,
  HEMISPHERES,
  type ProjectedExtent,
  projectedExtent,
  type RasterImage,
  type RasterizeOptions,
  rasterizeSurface,
  roiContour,
  SURFACE_VIEWS,
  type SurfaceOutline,
  type SurfaceView,
  type ValueMap,
  type Vec3,
  viewCamera,
} from "./lib/display/surface_render.ts";
export {
  plotSurfRoi,
  plotSurfStatMap,
  plotSurfViews,
  surfaceColorbarTicks,
  type SurfaceColormap,
  surfaceColormapTable,
  type SurfaceLayer,
  type SurfacePlotOptions,
  type SurfaceRoi,
  type SurfaceRoiLayer,
  type SurfaceRoiOptions,
  type SurfaceStatMapOptions,
  type SurfaceViewsOptions,
} from "./lib/display/surface_plot.ts";

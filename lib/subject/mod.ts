/**
 * Everything around `Subject` and `Group` for advanced use: the option and
 * result types of their methods, the per-trial stimulus views
 * (`sub.images`, `sub.embeddings`, `sub.captions`, `sub.segmentations`), the
 * current layout's choices (mask sources, localizer tasks, resolutions) and
 * betas read by range straight from the bucket's GLMsingle model files.
 * `loadSubject` and `loadSubjects` themselves are in the main module.
 *
 * @example
 * ```ts
 * import { loadSubject } from "@laion/fmri";
 * import type { BetasOptions } from "@laion/fmri/subject";
 * const options: BetasOptions = { session: "ses-01", roi: "FFA1" };
 * const sub = await loadSubject("sub-01", { dataDir: "/data" });
 * const betas = await sub.getBetas(options);
 * ```
 * @module
 */
export {
  loadSubject,
  type LoadSubjectOptions,
  type SignalOptions,
  type Subject,
  type VoxelAxisOptions,
} from "./subject.ts";
export {
  type Group,
  loadSubjects,
  type SharedBetas,
  type SharedBetasOptions,
  type SharedTrials,
  type SubjectShared,
} from "./group.ts";
export { type RoiEntry, type RoiInventory, type RoiQuery, UnknownRoiError } from "./roi_grammar.ts";
export type { BetaMatrix } from "./beta_matrix.ts";
export type { BetasOptions, MultiSessionBetasOptions } from "./betas.ts";
export type { MultiNoiseCeilingOptions, NoiseCeilingOptions } from "./noise_ceiling.ts";
export type { HemiData, RoiData, RoiDataOptions } from "./roi_data.ts";
export type { BrainVoxelMask, GridMask, VoxelSelection } from "./voxel_selection.ts";
export type { SubjectPaths } from "../local/paths.ts";
export type { Grid } from "./brain_space.ts";
export { modelKey, readRemoteModelRows, type RemoteModelOptions } from "./remote_model.ts";
export { MASK_SOURCES, type MaskSource } from "./mask_source.ts";
export type { AnatomicalFile, AnatomicalFileOptions, BrainMaskOptions } from "./anatomy.ts";
export type { LocalizerMapQuery, LocalizerTask } from "./localizers.ts";
export type { RawLoadOptions, RawRunQuery } from "./raw.ts";
export type { RoiResOptions, RoiVolume } from "./roi_res.ts";
export type { BetasFileSource, ModelBetasOptions } from "./model_betas.ts";
export type { RoiBetasOptions } from "./roi_betas.ts";
export { LOCALIZER_TASKS, VOLUME_RESOLUTIONS, type VolumeRes } from "../local/current_paths.ts";
export {
  TrialCaptions,
  TrialEmbeddings,
  TrialImages,
  TrialSegmentations,
  type TrialSelection,
} from "./trial_stimuli.ts";
export { TRIAL_STIMULUS_COLUMNS } from "./trial_metadata.ts";
export type { FileLoadOptions, SubjectFile } from "./subject_file.ts";
export { SHARED_IMAGE_FORMATS, type SharedImagesOptions } from "./group.ts";
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
} from "./dataset.ts";
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
} from "./standard_space.ts";

/**
 * Facts about the public LAION-fMRI bucket and its layout.
 * @module
 */

/** Bucket name of the public dataset. */
export const BUCKET = "laion-fmri";
/** AWS region of the bucket. */
export const REGION = "us-west-2";
/** The default endpoint: the real bucket, path-style capable, in us-west-2. */
export const DEFAULT_ENDPOINT = "https://s3.us-west-2.amazonaws.com";
/** Environment variable that overrides the S3 endpoint. */
export const ENDPOINT_ENV = "LAION_FMRI_S3_ENDPOINT";
/** Environment variable that overrides the bucket name. */
export const BUCKET_ENV = "LAION_FMRI_BUCKET";
/** Sessions whose objects the bucket policy denies to anonymous GET. */
export const HELD_OUT_SESSIONS = ["ses-31", "ses-32", "ses-33", "ses-34"] as const;
/** The eight ROI category folders under `derivatives/rois/{sub}/`. */
export const ROI_CATEGORIES = [
  "body",
  "character",
  "face",
  "laion",
  "motion",
  "object",
  "place",
  "retinotopy",
] as const;
/** A ROI category name. */
export type RoiCategory = typeof ROI_CATEGORIES[number];
/**
 * The bucket's layouts: `seed`, the snapshot the seed reproduced (GLMsingle
 * outputs and ROI masks only), and `current`, the bucket as it is now
 * (anatomy, FreeSurfer, localizers, tedana, raw BIDS at the root).
 */
export const BUCKET_LAYOUTS = ["seed", "current"] as const;
/** A bucket layout (see {@linkcode BUCKET_LAYOUTS}). */
export type BucketLayout = typeof BUCKET_LAYOUTS[number];
/** Prefixes probed for `sub-*` folders by subject discovery on the seed layout, in probe order. */
export const SUBJECT_PREFIXES = ["derivatives/glmsingle-tedana/", "derivatives/rois/"] as const;
/**
 * Upstream's newest six subject probes, for the current layout, in probe
 * order; `""` is the raw BIDS root.
 */
export const CURRENT_SUBJECT_PREFIXES = [
  "derivatives/glmsingle-tedana/",
  "derivatives/rois/",
  "derivatives/freesurfer/",
  "derivatives/anatomical/",
  "derivatives/localizers/",
  "",
] as const;
/** Root objects every download fetches. */
export const ROOT_KEYS = [
  "dataset_description.json",
  "participants.tsv",
  "participants.json",
  "README",
] as const;
/** Prefix of GLMsingle outputs. */
export const GLMSINGLE_PREFIX = "derivatives/glmsingle-tedana/";
/** Prefix of the anatomical images and brain masks (current layout). */
export const ANATOMICAL_PREFIX = "derivatives/anatomical/";
/** Prefix of the FreeSurfer recons (current layout). */
export const FREESURFER_PREFIX = "derivatives/freesurfer/";
/** Prefix of localizer maps (the only tree with held-out exemptions). */
export const LOCALIZERS_PREFIX = "derivatives/localizers/";
/** Prefix of ROI masks. */
export const ROIS_PREFIX = "derivatives/rois/";
/** Prefix reserved for stimuli. */
export const STIMULI_PREFIX = "stimuli/";

/**
 * The embedding models of `stimuli/task-images_desc-{MODEL}_embeddings.h5`,
 * as the `desc-` token of their file names (upstream's `AVAILABLE_MODELS`).
 *
 * @example
 * ```ts
 * import { EMBEDDING_MODELS } from "@laion/fmri";
 * console.log(EMBEDDING_MODELS); // ["CLIP", "DINOv2", "PEcore", "SigLIP2"]
 * ```
 */
export const EMBEDDING_MODELS = ["CLIP", "DINOv2", "PEcore", "SigLIP2"] as const;

/** One of {@linkcode EMBEDDING_MODELS}. */
export type EmbeddingModel = typeof EMBEDDING_MODELS[number];

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
/** Prefixes probed for `sub-*` folders by subject discovery, in probe order. */
export const SUBJECT_PREFIXES = ["derivatives/glmsingle-tedana/", "derivatives/rois/"] as const;
/** Root objects every download fetches. */
export const ROOT_KEYS = [
  "dataset_description.json",
  "participants.tsv",
  "participants.json",
  "README",
] as const;
/** Prefix of GLMsingle outputs. */
export const GLMSINGLE_PREFIX = "derivatives/glmsingle-tedana/";
/** Prefix of ROI masks. */
export const ROIS_PREFIX = "derivatives/rois/";
/** Prefix reserved for stimuli. */
export const STIMULI_PREFIX = "stimuli/";

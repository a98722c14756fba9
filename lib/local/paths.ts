/**
 * Where each file of the dataset lives below a data directory (the bucket
 * layout, with bidsified ROI labels).
 * @module
 */
import { join } from "node:path";
import { GLMSINGLE_PREFIX, ROIS_PREFIX } from "../core/constants.ts";

/** Paths of one subject's files below a data directory. */
export class SubjectPaths {
  /** The data directory. */
  readonly dataDir: string;
  /** The subject id, e.g. `"sub-01"`. */
  readonly subject: string;

  /**
   * Creates an instance.
   * @param dataDir the data directory
   * @param subject a normalized subject id
   */
  constructor(dataDir: string, subject: string) {
    this.dataDir = dataDir;
    this.subject = subject;
  }

  /** `derivatives/glmsingle-tedana/{sub}/` */
  get glmsingleDir(): string {
    return join(this.dataDir, GLMSINGLE_PREFIX, this.subject);
  }

  /** `derivatives/rois/{sub}/` */
  get roisDir(): string {
    return join(this.dataDir, ROIS_PREFIX, this.subject);
  }

  /** Folder of one session's GLMsingle outputs. */
  sessionDir(session: string): string {
    return join(this.glmsingleDir, session, "func");
  }

  /** 4-D single-trial betas of a session. */
  betas(session: string): string {
    return join(
      this.sessionDir(session),
      `${this.subject}_${session}_task-images_space-T1w_stat-effect_desc-SingletrialBetas_statmap.nii.gz`,
    );
  }

  /** Per-session noise ceiling (percent). */
  sessionNoiseCeiling(session: string): string {
    return join(
      this.sessionDir(session),
      `${this.subject}_${session}_task-images_space-T1w_desc-Noiseceiling_statmap.nii.gz`,
    );
  }

  /** Per-session trial table. */
  trials(session: string): string {
    return join(
      this.sessionDir(session),
      `${this.subject}_${session}_task-images_desc-SingletrialBetas_trials.tsv`,
    );
  }

  /** Subject-level mean R² map, from which the brain mask is derived. */
  get r2mean(): string {
    return join(
      this.glmsingleDir,
      `${this.subject}_task-images_space-T1w_stat-rsquare_desc-R2mean_statmap.nii.gz`,
    );
  }

  /** Subject-level noise ceiling, e.g. `desc = "Noiseceiling12rep"`. */
  subjectNoiseCeiling(desc: string): string {
    return join(
      this.glmsingleDir,
      `${this.subject}_task-images_space-T1w_desc-${desc}_statmap.nii.gz`,
    );
  }

  /** Volumetric ROI mask file name (in its category folder). */
  roiVolumeName(roi: string): string {
    return `${this.subject}_space-T1w_res-1pt8_label-${roi}_mask.nii.gz`;
  }

  /** Surface ROI mask file name for a hemisphere. */
  roiSurfaceName(roi: string, hemi: "L" | "R"): string {
    return `${this.subject}_hemi-${hemi}_space-fsnative_label-${roi}_mask.func.gii`;
  }

  /** FreeSurfer label file name for a hemisphere. */
  roiLabelName(roi: string, hemi: "L" | "R"): string {
    return `${this.subject}_hemi-${hemi}_space-fsnative_label-${roi}_mask.label`;
  }
}

/** `stimuli/stimuli.tsv` below a data directory. */
export function stimuliTsvPath(dataDir: string): string {
  return join(dataDir, "stimuli", "stimuli.tsv");
}

/** `stimuli/images/` below a data directory. */
export function stimuliImagesDir(dataDir: string): string {
  return join(dataDir, "stimuli", "images");
}

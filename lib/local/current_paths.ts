/**
 * Where the files the current bucket layout adds live below a data
 * directory (upstream-era-c.md §1.3-1.8): anatomical derivatives,
 * FreeSurfer recon, localizer maps, raw BIDS and `res-1pt5` ROI masks.
 * @module
 */
import { join } from "node:path";

/** Session folder of the anatomical derivatives. */
export const ANATOMICAL_SESSION = "ses-PrismaAnat";
/** Volume resolutions of ROI masks and localizer maps; `1pt8` is the beta grid. */
export const VOLUME_RESOLUTIONS = ["1pt8", "1pt5"] as const;
/** A volume resolution. */
export type VolumeRes = (typeof VOLUME_RESOLUTIONS)[number];
/** Localizer tasks (`MotionLoc` is the pooled motion map, without per-run maps). */
export const LOCALIZER_TASKS = ["floc", "oloc", "MotionLeft", "MotionRight", "MotionLoc"] as const;
/** The task of the raw main-experiment runs. */
export const RAW_TASK = "images";

/** Two-digit run token: `3` → `"03"`, `"3"` → `"03"`. */
export function runToken(run: number | string): string {
  return String(run).padStart(2, "0");
}

/**
 * Checks a volume resolution.
 * @throws {RangeError} for anything but `1pt8` or `1pt5`
 * @example
 * ```ts
 * import { checkRes } from "./current_paths.ts";
 * checkRes("1pt5"); // "1pt5"
 * ```
 */
export function checkRes(res: string): VolumeRes {
  if (!(VOLUME_RESOLUTIONS as readonly string[]).includes(res)) {
    throw new RangeError(`res must be one of ('1pt8', '1pt5'); got "${res}".`);
  }
  return res as VolumeRes;
}

/** Paths of one subject's current-layout files below a data directory. */
export class CurrentPaths {
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

  /** `derivatives/anatomical/{sub}/` (the subject folder, as upstream). */
  get anatomicalDir(): string {
    return join(this.dataDir, "derivatives", "anatomical", this.subject);
  }

  /**
   * An anatomical file: `T1w`, `T2w` or the brain `mask`, at full
   * resolution or `res-1pt8`.
   */
  anatomical(suffix: "T1w" | "T2w" | "mask", res?: "1pt8"): string {
    const name = [
      this.subject,
      ANATOMICAL_SESSION,
      "space-T1w",
      res && `res-${res}`,
      suffix === "mask" && "desc-brain",
    ].filter(Boolean).join("_");
    return join(this.anatomicalDir, ANATOMICAL_SESSION, "anat", `${name}_${suffix}.nii.gz`);
  }

  /** `derivatives/freesurfer/{sub}/` */
  get freesurferDir(): string {
    return join(this.dataDir, "derivatives", "freesurfer", this.subject);
  }

  /** `derivatives/localizers/{sub}/ses-{session}/func/{name}` */
  localizer(session: string, name: string): string {
    return join(
      this.dataDir,
      "derivatives",
      "localizers",
      this.subject,
      `ses-${session}`,
      "func",
      name,
    );
  }

  /** Raw BIDS folder of a session: `{sub}/{ses}/{kind}/`. */
  rawDir(session: string, kind: "func" | "fmap" | "anat" = "func"): string {
    return join(this.dataDir, this.subject, session, kind);
  }

  /** Raw multi-echo BOLD run (`part` mag or phase). */
  rawBold(session: string, run: number | string, echo: number, part = "mag"): string {
    return join(
      this.rawDir(session),
      `${this.subject}_${session}_task-${RAW_TASK}_run-${
        runToken(run)
      }_echo-${echo}_part-${part}_bold.nii.gz`,
    );
  }

  /** Raw single-band reference of a run and echo. */
  rawSbref(session: string, run: number | string, echo: number, part = "mag"): string {
    return join(
      this.rawDir(session),
      `${this.subject}_${session}_task-${RAW_TASK}_run-${
        runToken(run)
      }_echo-${echo}_part-${part}_sbref.nii.gz`,
    );
  }

  /** Raw events table of a run. */
  rawEvents(session: string, run: number | string): string {
    return join(
      this.rawDir(session),
      `${this.subject}_${session}_task-${RAW_TASK}_run-${runToken(run)}_events.tsv`,
    );
  }
}

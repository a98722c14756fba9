/**
 * Keys of the objects the current layout adds to the seed's
 * (upstream-era-c.md §1), and the inventory of localizer maps and raw BIDS
 * runs the generator writes.
 * @module
 */

/** Session folder of the anatomical derivatives. */
export const ANATOMICAL_SESSION = "ses-PrismaAnat";

const nn = (n: number) => String(n).padStart(2, "0");

/** Options of {@linkcode currentKeys.anatomical}. */
export interface AnatomicalKey {
  suffix: "T1w" | "T2w" | "mask";
  /** `1pt8` for the functional grid; full resolution when omitted. */
  res?: "1pt8";
  desc?: "brain";
}

/** One localizer map. */
export interface LocalizerMap {
  /** Session label without `ses-`, e.g. `4BarScreenfLoc` or `31`. */
  session: string;
  task: string;
  /** Run number of a per-run (`stat-effect`) map. */
  run?: number;
  contrast: string;
  stat: "z" | "effect";
}

/** A localizer map's space: a hemisphere of fsnative (GIfTI) or a T1w grid (NIfTI). */
export type LocalizerSpace = { hemi: "L" | "R" } | { res: "1pt5" | "1pt8" };

/** Raw BOLD echo times in seconds (multi-echo, three echoes). */
export const ECHO_TIMES = [0.0132, 0.03468, 0.05616] as const;

/** Key builders of the current layout (bucket spelling). */
export const currentKeys = {
  anatomical: (s: string, k: AnatomicalKey) =>
    `derivatives/anatomical/${s}/${ANATOMICAL_SESSION}/anat/${
      [s, ANATOMICAL_SESSION, "space-T1w", k.res && `res-${k.res}`, k.desc && `desc-${k.desc}`]
        .filter(Boolean).join("_")
    }_${k.suffix}.nii.gz`,
  glmModel: (s: string, ses: string) =>
    `derivatives/glmsingle-tedana/${s}/${ses}/func/${s}_${ses}_task-images_space-T1w_desc-GLMsingle_model.h5`,
  sessionR2: (s: string, ses: string, ext: "nii.gz" | "json") =>
    `derivatives/glmsingle-tedana/${s}/${ses}/func/${s}_${ses}_task-images_space-T1w_stat-rsquare_desc-R2_statmap.${ext}`,
  glmModelJson: (s: string, ses: string) =>
    `derivatives/glmsingle-tedana/${s}/${ses}/func/${s}_${ses}_task-images_space-T1w_desc-GLMsingle_model.json`,
  trialsJson: (s: string, ses: string) =>
    `derivatives/glmsingle-tedana/${s}/${ses}/func/${s}_${ses}_task-images_desc-SingletrialBetas_trials.json`,
  roiVolume1pt5: (s: string, cat: string, label: string) =>
    `derivatives/rois/${s}/${cat}/${s}_space-T1w_res-1pt5_label-${label}_mask.nii.gz`,
  localizer: (s: string, m: LocalizerMap, space: LocalizerSpace) => {
    const ses = `ses-${m.session}`;
    const where = "hemi" in space
      ? `hemi-${space.hemi}_space-fsnative`
      : `space-T1w_res-${space.res}`;
    const run = m.run === undefined ? "" : `_run-${nn(m.run)}`;
    const ext = "hemi" in space ? "func.gii" : "nii.gz";
    return `derivatives/localizers/${s}/${ses}/func/${s}_${ses}_task-${m.task}${run}_${where}` +
      `_contrast-${m.contrast}_stat-${m.stat}_statmap.${ext}`;
  },
  freesurfer: (s: string, rel: string) => `derivatives/freesurfer/${s}/${rel}`,
  tedana: (s: string, ses: string, run: number, ext: "nii.gz" | "json") =>
    `derivatives/tedana/${s}/${ses}/func/${s}_${ses}_task-images_run-${
      nn(run)
    }_space-T1w_desc-optcom_bold.${ext}`,
  rawBold: (s: string, ses: string, run: number, echo: number, part: string, ext: string) =>
    `${s}/${ses}/func/${s}_${ses}_task-images_run-${nn(run)}_echo-${echo}_part-${part}_bold.${ext}`,
  rawSbref: (s: string, ses: string, run: number, echo: number, ext: string) =>
    `${s}/${ses}/func/${s}_${ses}_task-images_run-${nn(run)}_echo-${echo}_part-mag_sbref.${ext}`,
  rawEvents: (s: string, ses: string, run: number) =>
    `${s}/${ses}/func/${s}_${ses}_task-images_run-${nn(run)}_events.tsv`,
  rawFmap: (s: string, ses: string, run: number, suffix: string, ext: string) =>
    `${s}/${ses}/fmap/${s}_${ses}_run-${nn(run)}_${suffix}.${ext}`,
  rawAnat: (s: string, ses: string, echo: number, part: string, ext: string) =>
    `${s}/${ses}/anat/${s}_${ses}_echo-${echo}_part-${part}_MEGRE.${ext}`,
};

/** The FreeSurfer surfaces written per hemisphere. */
export const FREESURFER_SURFACES = ["white", "pial", "inflated", "sphere", "sphere.reg"] as const;
/** The FreeSurfer volumes written under `mri/`. */
export const FREESURFER_VOLUMES = ["T1.mgz", "brain.mgz", "aparc+aseg.mgz"] as const;

/**
 * The localizer maps of a subject: z maps of the category (fLoc), object
 * (oloc, ses-31, exempt from the embargo) and motion localizers, plus a few
 * per-run effect maps. Each is written in four spaces (fsnative L/R as
 * GIfTI, T1w `res-1pt5` and `res-1pt8` as NIfTI).
 *
 * @example
 * ```ts
 * import { localizerMaps } from "./current_keys.ts";
 * localizerMaps().filter((m) => m.task === "oloc").length; // 5
 * ```
 */
export function localizerMaps(): LocalizerMap[] {
  const z = (session: string, task: string, contrasts: string[]) =>
    contrasts.map((contrast) => ({ session, task, contrast, stat: "z" as const }));
  const effect = (session: string, task: string, contrast: string, runs: number[]) =>
    runs.map((run) => ({ session, task, run, contrast, stat: "effect" as const }));
  return [
    ...z("4BarScreenfLoc", "floc", [
      "faceVsOthers",
      "faceVsBaseline",
      "bodyVsOthers",
      "placeVsObject",
      "characterVsFace",
    ]),
    ...effect("4BarScreenfLoc", "floc", "face", [1, 2]),
    ...z("31", "oloc", ["objectVsScrambled", "objectVsBaseline", "scrambledVsBaseline"]),
    ...effect("31", "oloc", "scrambled", [1, 2]),
    ...z("MotionLocBarsSML", "MotionLoc", [
      "movingVsStatic",
      "movingVsBaseline",
      "staticVsBaseline",
    ]),
    ...z("MotionLocBarsSML", "MotionLeft", ["movingVsStatic"]),
    ...effect("MotionLocBarsSML", "MotionLeft", "moving", [1]),
    ...z("MotionLocBarsSML", "MotionRight", ["movingVsStatic"]),
  ];
}

/** The four spaces of every localizer map. */
export const LOCALIZER_SPACES: readonly LocalizerSpace[] = [
  { hemi: "L" },
  { hemi: "R" },
  { res: "1pt5" },
  { res: "1pt8" },
];

/**
 * The per-session GLMsingle R² maps (`…_ses-XX_task-images_space-T1w_
 * stat-rsquare_desc-R2_statmap.nii.gz`, percent) and the JSON sidecars of
 * a session's GLMsingle outputs that upstream's docs list (glmsingle_betas.rst):
 * the R² map's (with `Units`), the trial table's and the model file's.
 * @module
 */
import { brainGeometry, type SynthSize } from "./geometry.ts";
import { hashKey, unit } from "./prng.ts";
import { type EncodingVoxel, encodingVoxels, NOISE_STD } from "./encoding.ts";
import { currentKeys } from "./current_keys.ts";

/** How the R² maps are made (ground truth). */
export const SESSION_R2_RULE =
  "percent; 0 outside the brain, NaN at the R2mean NaN voxels; other voxels 12*u^2 " +
  "(u = unit(hashKey(seed, subject, session, 'r2'), flat)); planted FFA-1 voxels " +
  "15 + 60*rel + 3*u, rel = signalVar / (signalVar + 3) (encoding.json), so every " +
  "planted voxel has a higher R² than every other voxel";

const plantedCache = new Map<string, Map<number, EncodingVoxel>>();
function plantedByRank(size: SynthSize, seed: number, subject: string) {
  const key = `${size}/${seed}/${subject}`;
  let m = plantedCache.get(key);
  if (!m) {
    m = new Map(encodingVoxels(size, seed, subject).map((v) => [v.brainIndex, v]));
    plantedCache.set(key, m);
  }
  return m;
}

/**
 * Expected R² (percent) of a session at a C-order flat voxel; see
 * {@linkcode SESSION_R2_RULE}.
 *
 * @example
 * ```ts
 * import { expectedSessionR2 } from "./session_r2.ts";
 * expectedSessionR2("small", 1, "sub-01", "ses-01", 700);
 * ```
 */
export function expectedSessionR2(
  size: SynthSize,
  seed: number,
  subject: string,
  session: string,
  f: number,
): number {
  const g = brainGeometry(size, seed, subject);
  const r = g.rankOfC[f];
  if (r < 0) return 0;
  if (g.nanMask[r]) return NaN;
  const u = unit(hashKey(seed, subject, session, "r2"), f);
  const v = plantedByRank(size, seed, subject).get(r);
  if (!v) return Math.fround(12 * u * u);
  const rel = v.signalVar / (v.signalVar + NOISE_STD ** 2);
  return Math.fround(15 + 60 * rel + 3 * u);
}

const rel = (key: string) => key.slice(key.lastIndexOf("/") + 1);
const betasKey = (s: string, ses: string) =>
  `derivatives/glmsingle-tedana/${s}/${ses}/func/${s}_${ses}_task-images_space-T1w_stat-effect_desc-SingletrialBetas_statmap.nii.gz`;
const GLMSINGLE = {
  GLMsingleVersion: "1.2",
  BetaVersion: "TYPED",
  Model: "FITHRF_GLMDENOISE_RR",
};

/**
 * The R² map's sidecar.
 *
 * @example
 * ```ts
 * import { sessionR2Sidecar } from "./session_r2.ts";
 * sessionR2Sidecar("sub-01", "ses-01").Units; // "percent"
 * ```
 */
export function sessionR2Sidecar(subject: string, session: string): Record<string, unknown> {
  return {
    Description: "Variance of the BOLD time series explained by the GLMsingle model, per voxel " +
      "(LAION-fMRI synthetic)",
    Units: "percent",
    ...GLMSINGLE,
    Sources: [rel(betasKey(subject, session))],
  };
}

/**
 * The trial table's sidecar: a description of each column of
 * `…_desc-SingletrialBetas_trials.tsv`.
 *
 * @example
 * ```ts
 * import { trialsSidecar } from "./session_r2.ts";
 * Object.keys(trialsSidecar()); // ["session", "run", "beta_index", "label"]
 * ```
 */
export function trialsSidecar(): Record<string, unknown> {
  return {
    session: { Description: "Session label (ses-XX)" },
    run: { Description: "Run number within the session, from 1" },
    beta_index: {
      Description: "Index of the trial within its run, from 0, in order of appearance",
    },
    label: {
      Description: "File name of the stimulus image; joins image_name of " +
        "stimuli/task-images_metadata.csv. Row n is volume n of the single-trial betas and " +
        "column n of the GLMsingle model's betasmd",
    },
  };
}

/**
 * The GLMsingle model file's sidecar.
 *
 * @example
 * ```ts
 * import { glmModelSidecar } from "./session_r2.ts";
 * glmModelSidecar("sub-01", "ses-01", [440, 1, 1, 90]);
 * ```
 */
export function glmModelSidecar(
  subject: string,
  session: string,
  shape: readonly number[],
): Record<string, unknown> {
  return {
    Description: "GLMsingle model output of the session (LAION-fMRI synthetic: betasmd only)",
    ...GLMSINGLE,
    InputData: "tedana optimally combined BOLD (derivatives/tedana)",
    BrainMask: currentKeys.anatomical(subject, { suffix: "mask", res: "1pt8", desc: "brain" }),
    Datasets: {
      betasmd: {
        Shape: [...shape],
        Description: "Single-trial betas: rows are the voxels of BrainMask in C order, the " +
          "last axis the trials of the trial table",
      },
    },
    Sources: [rel(currentKeys.trialsJson(subject, session)).replace(/\.json$/, ".tsv")],
  };
}

/**
 * Single-trial betas from the GLMsingle model file
 * (`…_desc-GLMsingle_model.h5`) instead of the 4-D NIfTI: its `betasmd`
 * rows are the voxels of the `res-1pt8` anatomical brain mask in C-order,
 * so an ROI reads only that ROI's rows (`betasSource: "model"`).
 * @module
 */
import { join } from "node:path";
import type { DataFrame } from "npm:nodejs-polars@0.25.2";
import { FileByteSource } from "../core/byte_source.ts";
import { DataNotDownloadedError, InvalidChoiceError, LaionFmriError } from "../core/errors.ts";
import { pathExists } from "../core/fs.ts";
import { readModelRows } from "../formats/glmsingle_model.ts";
import { fixedWidthColumnWith, loadFrames } from "../frames/betas_frame.ts";
import { withBoundedDisplay } from "../frames/frame_display.ts";
import { modelFileName } from "./remote_model.ts";
import { type BetaMatrix, createBetaMatrix } from "./beta_matrix.ts";
import { type BetasOptions, type BetasSource, keptTrials } from "./betas.ts";
import type { SubjectFiles } from "./subject_files.ts";
import { type BrainVoxelMask, type SelectedVoxels, selectVoxels } from "./voxel_selection.ts";

/** The file single-trial betas are read from. */
export type BetasFileSource = "nifti" | "model";

/** The betas-source option of `Subject.getBetas` / `getBetaMatrix`. */
export interface ModelBetasOptions {
  /**
   * `"nifti"`: the 4-D `…_desc-SingletrialBetas_statmap.nii.gz` (every
   * volume is decoded); `"model"`: the `…_desc-GLMsingle_model.h5`, reading
   * only the selected voxels' rows. Both give the same values.
   * @default "nifti"
   */
  betasSource?: BetasFileSource;
}

/** A betas read from the model file: the voxels, the rows to read, the trials. */
export interface ModelBetasPlan extends SelectedVoxels {
  /** The session. */
  session: string;
  /** The model file. */
  path: string;
  /** The grid shape. */
  grid: [number, number, number];
  /** Row of each selected voxel in the model file; -1 outside the anatomical mask. */
  rows: Int32Array;
  /** All trial rows. */
  trials: DataFrame;
  /** The trial rows kept. */
  kept: DataFrame;
  /** Row numbers kept, when a stimulus filter drops some. */
  keep?: number[];
}

/**
 * Whether a call reads the model file.
 *
 * @throws {InvalidChoiceError} for an unknown `betasSource`
 * @example
 * ```ts
 * import { useModel } from "./model_betas.ts";
 * useModel({ betasSource: "model" }); // true
 * ```
 */
export function useModel(o: ModelBetasOptions): boolean {
  const s = o.betasSource ?? "nifti";
  if (s !== "nifti" && s !== "model") {
    throw new InvalidChoiceError("betasSource", s, ["nifti", "model"]);
  }
  return s === "model";
}

/** The model file of a session (`derivatives/glmsingle-tedana/{sub}/{ses}/func/`). */
export function modelPath(files: SubjectFiles, session: string): string {
  return join(files.paths.sessionDir(session), modelFileName(files.subjectId, session));
}

/**
 * The plan of a model-file betas read.
 *
 * @param files the files of the call's mask source
 * @param anatomical the files of the `anatomical` mask source (the model's rows)
 * @param filter the voxels kept (a mask over brain voxels), or undefined for all
 * @throws {DataNotDownloadedError} when the model file is not on disk
 * @example
 * ```ts
 * import { planModelBetas } from "./model_betas.ts";
 * declare const files: import("./subject_files.ts").SubjectFiles;
 * declare const sub: import("./betas.ts").BetasSource;
 * const plan = await planModelBetas(files, files, sub, { session: "ses-01" }, undefined);
 * ```
 */
export async function planModelBetas(
  files: SubjectFiles,
  anatomical: SubjectFiles,
  source: BetasSource,
  o: BetasOptions & { session: string },
  filter: BrainVoxelMask | undefined,
): Promise<ModelBetasPlan> {
  const { session, signal } = o;
  const voxels = selectVoxels(
    await files.brainMask(signal),
    await files.brainIndices(signal),
    filter,
  );
  const path = modelPath(files, session);
  if (!(await pathExists(path))) {
    const s = files.subjectId;
    throw new DataNotDownloadedError(
      `GLMsingle model file of ${s} ${session} not found at ${path}.`,
      {
        subject: s,
        ses: session,
        path,
        downloadCall:
          `download({ subject: "${s}", ses: "${session}", desc: "GLMsingle", suffix: "model", acceptLicense: true })`,
        cliCommand:
          `laion-fmri download --subject ${s} --ses ${session} --desc GLMsingle --suffix model --accept-license`,
      },
    );
  }
  const rows = files.maskSource === "anatomical"
    ? voxels.brainIndex
    : await anatomicalRows(anatomical, voxels.flatIndex, signal);
  const trials = await source.getTrialInfo({ session, signal });
  const grid = (await files.grid(signal)).shape;
  return { ...voxels, session, path, grid, rows, trials, ...(await keptTrials(trials, source, o)) };
}

/** Position in the anatomical mask of each full-grid voxel (-1 outside it). */
async function anatomicalRows(
  anatomical: SubjectFiles,
  flatIndex: Int32Array,
  signal?: AbortSignal,
): Promise<Int32Array> {
  const brain = await anatomical.brainIndices(signal);
  const rank = new Map<number, number>();
  brain.forEach((f, c) => rank.set(f, c));
  return flatIndex.map((f) => rank.get(f) ?? -1);
}

/** Trials x selected voxels, kept trials only; NaN where a voxel has no model row. */
async function readPlan(plan: ModelBetasPlan, signal?: AbortSignal): Promise<Float32Array> {
  const present = Array.from(plan.rows).filter((r) => r >= 0);
  const read = await readModelRows(new FileByteSource(plan.path), present, { signal });
  if (read.nTrials !== plan.trials.height) {
    throw new LaionFmriError(
      `${plan.path} has ${read.nTrials} trials but the trial table has ${plan.trials.height} rows.`,
    );
  }
  const n = plan.rows.length;
  const m = present.length;
  const trials = plan.keep ?? Array.from({ length: read.nTrials }, (_, t) => t);
  const out = new Float32Array(trials.length * n);
  if (m === n) {
    trials.forEach((t, r) => out.set(read.values.subarray(t * m, (t + 1) * m), r * n));
    return out;
  }
  trials.forEach((t, r) => {
    for (let c = 0, j = 0; c < n; c++) {
      out[r * n + c] = plan.rows[c] >= 0 ? read.values[t * m + j++] : NaN;
    }
  });
  return out;
}

/**
 * Reads a model plan's betas into a {@linkcode BetaMatrix}.
 *
 * @example
 * ```ts
 * import { planModelBetas, readModelBetaMatrix } from "./model_betas.ts";
 * declare const plan: Awaited<ReturnType<typeof planModelBetas>>;
 * const m = await readModelBetaMatrix(plan, {});
 * ```
 */
export async function readModelBetaMatrix(
  plan: ModelBetasPlan,
  o: { signal?: AbortSignal },
): Promise<BetaMatrix> {
  const values = await readPlan(plan, o.signal);
  return createBetaMatrix({
    values,
    shape: [plan.kept.height, plan.rows.length],
    trials: plan.kept,
    brainIndex: plan.brainIndex,
    flatIndex: plan.flatIndex,
    grid: plan.grid,
    session: plan.session,
  });
}

/**
 * Reads a model plan's betas into a DataFrame: the kept trial columns plus
 * a fixed-width Float32 `betas` column (as `Subject.getBetas`).
 *
 * @example
 * ```ts
 * import { planModelBetas, readModelBetasFrame } from "./model_betas.ts";
 * declare const plan: Awaited<ReturnType<typeof planModelBetas>>;
 * const df = await readModelBetasFrame(plan, {});
 * ```
 */
export async function readModelBetasFrame(
  plan: ModelBetasPlan,
  o: { signal?: AbortSignal },
): Promise<DataFrame> {
  const f = await loadFrames();
  const values = await readPlan(plan, o.signal);
  const betas = fixedWidthColumnWith(f, "betas", values, plan.rows.length, plan.kept.height);
  return withBoundedDisplay(
    f.pl,
    plan.kept.hstack(betas.getColumns(), false) as unknown as DataFrame,
  );
}

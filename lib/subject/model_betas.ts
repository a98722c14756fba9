/**
 * Single-trial betas from the GLMsingle model file
 * (`…_desc-GLMsingle_model.h5`) instead of the 4-D NIfTI: its `betasmd`
 * rows are the voxels of the `res-1pt8` anatomical brain mask in C-order,
 * so an ROI reads only that ROI's rows (`betasSource: "model"`).
 * @module
 */
import { join } from "node:path";
import type { DataFrame } from "npm:nodejs-polars@0.25.2";
import { type ByteSource, FileByteSource } from "../core/byte_source.ts";
import { getSource } from "../bucket/cached_source.ts";
import { ObjectByteSource } from "../bucket/object_byte_source.ts";
import {
  DataNotDownloadedError,
  InvalidChoiceError,
  LaionFmriError,
  withRefetch,
} from "../core/errors.ts";
import { pathExists } from "../core/fs.ts";
import { readModelRows } from "../formats/glmsingle_model.ts";
import { fixedWidthColumnWith, loadFrames } from "../frames/betas_frame.ts";
import { withBoundedDisplay } from "../frames/frame_display.ts";
import { modelFileName, modelKey, type RemoteModelOptions } from "./remote_model.ts";
import { type BetaMatrix, createBetaMatrix } from "./beta_matrix.ts";
import { type BetasOptions, type BetasSource, keptTrials } from "./betas.ts";
import type { SubjectFiles } from "./subject_files.ts";
import { type BrainVoxelMask, type SelectedVoxels, selectVoxels } from "./voxel_selection.ts";

/**
 * Where single-trial betas are read from: the local 4-D NIfTI, the local
 * GLMsingle model file, or the model file on the bucket by HTTP range.
 */
export type BetasFileSource = "nifti" | "model" | "remote";

/** The valid {@linkcode BetasFileSource} values. */
export const BETAS_SOURCES: readonly BetasFileSource[] = ["nifti", "model", "remote"];

/** The betas-source option of `Subject.getBetas` / `getBetaMatrix`. */
export interface ModelBetasOptions {
  /**
   * `"nifti"`: the 4-D `…_desc-SingletrialBetas_statmap.nii.gz` (every
   * volume is decoded); `"model"`: the `…_desc-GLMsingle_model.h5`, reading
   * only the selected voxels' rows; `"remote"`: the same rows of the model
   * file on the bucket, by HTTP range, with no local copy. All give the
   * same values.
   * @default the subject's (`loadSubject`'s `betasSource`, else `"nifti"`)
   */
  betasSource?: BetasFileSource;
  /** Remote reads: the bucket, sessions at once, requests per session. */
  remote?: RemoteModelOptions;
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
  /** Set when the model file is read from the bucket. */
  remote?: RemoteModelOptions;
  /** The call that fetches a damaged local model file again (unset when remote: the bucket's own). */
  refetch?: string;
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
  return checkBetasSource(o.betasSource ?? "nifti") !== "nifti";
}

/**
 * `s` when it is a {@linkcode BetasFileSource}.
 * @throws {InvalidChoiceError} naming the valid ones otherwise
 * @example
 * ```ts
 * import { checkBetasSource } from "./model_betas.ts";
 * checkBetasSource("remote"); // "remote"
 * ```
 */
export function checkBetasSource(s: string): BetasFileSource {
  if (!(BETAS_SOURCES as readonly string[]).includes(s)) {
    throw new InvalidChoiceError("betasSource", s, BETAS_SOURCES);
  }
  return s as BetasFileSource;
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
  remote?: RemoteModelOptions,
): Promise<ModelBetasPlan> {
  const { session, signal } = o;
  const voxels = selectVoxels(
    await files.brainMask(signal),
    await files.brainIndices(signal),
    filter,
  );
  const path = remote
    ? `s3://${getSource(remote).bucket}/${modelKey(files.subjectId, session)}`
    : modelPath(files, session);
  if (!remote && !(await pathExists(path))) {
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
  const kept = await keptTrials(trials, source, o);
  const refetch = remote
    ? undefined
    : files.refetch(session, { desc: "GLMsingle", suffix: "model" });
  return { ...voxels, session, path, grid, rows, trials, ...kept, remote, refetch };
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

function byteSource(plan: ModelBetasPlan, subject: string): ByteSource {
  if (!plan.remote) return new FileByteSource(plan.path);
  const r = plan.remote;
  return new ObjectByteSource(getSource(r), modelKey(subject, plan.session), {
    concurrency: r.requestsPerSession ?? 8,
    maxGap: r.maxGap,
    onBytes: r.onBytes,
  });
}

/**
 * Trials x selected voxels of a plan, kept trials only; NaN where a voxel
 * has no model row.
 *
 * @example
 * ```ts
 * import { planModelBetas, readModelValues } from "./model_betas.ts";
 * declare const plan: Awaited<ReturnType<typeof planModelBetas>>;
 * const values = await readModelValues(plan, "sub-01");
 * ```
 */
export async function readModelValues(
  plan: ModelBetasPlan,
  subject: string,
  signal?: AbortSignal,
): Promise<Float32Array> {
  const present = Array.from(plan.rows).filter((r) => r >= 0);
  const read = await readModelRows(byteSource(plan, subject), present, { signal }).catch((e) => {
    // a damaged local copy is fetched again (a remote one is the bucket's own)
    throw withRefetch(e, plan.refetch);
  });
  if (read.nTrials !== plan.trials.height) {
    throw new LaionFmriError(
      `${plan.path} has ${read.nTrials} trials but the trial table has ${plan.trials.height} rows.`,
    );
  }
  const n = plan.rows.length;
  const m = present.length;
  // Every trial and every row present: the rows as read, no copy.
  if (plan.keep === undefined && m === n) return read.values;
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
 * const m = await readModelBetaMatrix(plan, { subject: "sub-01" });
 * ```
 */
export async function readModelBetaMatrix(
  plan: ModelBetasPlan,
  o: { subject: string; signal?: AbortSignal },
): Promise<BetaMatrix> {
  const values = await readModelValues(plan, o.subject, o.signal);
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
 * const df = await readModelBetasFrame(plan, { subject: "sub-01" });
 * ```
 */
export async function readModelBetasFrame(
  plan: ModelBetasPlan,
  o: { subject: string; signal?: AbortSignal },
): Promise<DataFrame> {
  const f = await loadFrames();
  const values = await readModelValues(plan, o.subject, o.signal);
  const betas = fixedWidthColumnWith(f, "betas", values, plan.rows.length, plan.kept.height);
  return withBoundedDisplay(
    f.pl,
    plan.kept.hstack(betas.getColumns(), false) as unknown as DataFrame,
  );
}

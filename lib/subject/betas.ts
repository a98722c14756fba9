/**
 * Reading single-trial betas: which voxels and trials a call keeps (the
 * plan), then the 4-D file read either into one Float32Array
 * ({@linkcode BetaMatrix}) or into Polars chunk by chunk while it streams.
 * @module
 */
import type { DataFrame } from "../frames/polars.ts";
import { InvalidChoiceError, LaionFmriError, MalformedFileError } from "../core/errors.ts";
import type { SessionId } from "../core/ids.ts";
import { readNifti4dMasked, readNiftiHeader } from "../formats/nifti.ts";
import { fixedWidthColumnWith, loadFrames } from "../frames/betas_frame.ts";
import { withBoundedDisplay } from "../frames/frame_display.ts";
import { loadPolars } from "../frames/polars.ts";
import { readStimulusMetadata } from "../stimuli/stimuli.ts";
import { type BetaMatrix, createBetaMatrix } from "./beta_matrix.ts";
import type { SubjectFiles } from "./subject_files.ts";
import {
  type BrainVoxelMask,
  checkNcThreshold,
  type SelectedVoxels,
  selectVoxels,
  type VoxelSelection,
} from "./voxel_selection.ts";

/** Options of `Subject.getBetas` and `Subject.getBetaMatrix` for one session. */
export interface BetasOptions extends VoxelSelection {
  /** The session: `"ses-01"`, `"ses-1"`, `"1"` or `1`. */
  session: SessionId;
  /**
   * Keep voxels whose per-session noise ceiling is at least this value, in
   * percent (0-100, as the files store it; NaN never passes). Combined with
   * `roi`/`mask` by AND.
   */
  ncThreshold?: number;
  /** Keep only trials of `"shared"` or `"unique"` stimuli (by the `shared_` label prefix). */
  stimuli?: "shared" | "unique";
  /** Called after each volume read, for progress display. */
  onProgress?: (volumesDone: number, nVolumes: number) => void;
  /** Trials handed to Polars at a time by `Subject.getBetas`. @default 64 */
  chunkRows?: number;
}

/** Options of `Subject.getBetas` and `Subject.getBetaMatrix` for several sessions. */
export interface MultiSessionBetasOptions extends Omit<BetasOptions, "session"> {
  /** The sessions; the result is a Map keyed by session (as `ses-NN`). */
  sessions: readonly SessionId[];
}

/** The tables a betas read needs from the subject (the `Subject` methods). */
export interface BetasSource {
  /** The trial table of a session. */
  getTrialInfo(options: { session: string; signal?: AbortSignal }): Promise<DataFrame>;
  /** The data directory, whose stimulus metadata a `stimuli` filter may need. */
  readonly dataDir: string;
}

/** Everything a betas read needs: the voxels, the trial rows and the file. */
export interface BetasPlan extends SelectedVoxels {
  /** The session. */
  session: string;
  /** The betas file. */
  path: string;
  /** The grid shape. */
  grid: [number, number, number];
  /** All trial rows (one per volume). */
  trials: DataFrame;
  /** The trial rows kept. */
  kept: DataFrame;
  /** Row numbers kept, when a stimulus filter drops some. */
  keep?: number[];
}

/**
 * Checks the session and stimulus filter of a betas call.
 *
 * @throws {LaionFmriError} without a session
 * @throws {InvalidChoiceError} for an unknown `stimuli`
 * @example
 * ```ts
 * import { checkBetasOptions } from "./betas.ts";
 * checkBetasOptions({ session: "ses-01", stimuli: "shared" });
 * ```
 */
export function checkBetasOptions(o: BetasOptions): void {
  if (!o.session && o.session !== 0) {
    throw new LaionFmriError("session is required: betas are stored per session.");
  }
  if (o.ncThreshold !== undefined) checkNcThreshold(o.ncThreshold);
  if (o.stimuli !== undefined && o.stimuli !== "shared" && o.stimuli !== "unique") {
    throw new InvalidChoiceError("stimuli", o.stimuli, ["shared", "unique"]);
  }
}

/**
 * The plan of a betas read.
 *
 * @param filter the voxels kept (a mask over brain voxels), or undefined for all
 * @example
 * ```ts
 * import { planBetas } from "./betas.ts";
 * import { loadSubject } from "@laion/fmri";
 * import { SubjectFiles } from "./subject_files.ts";
 * const sub = await loadSubject("sub-01");
 * const files = new SubjectFiles("sub-01", sub.dataDir, { nanInMask: true });
 * const plan = await planBetas(files, sub, { session: "ses-01" }, undefined);
 * ```
 */
export async function planBetas(
  files: SubjectFiles,
  source: BetasSource,
  o: BetasOptions & { session: string },
  filter: BrainVoxelMask | undefined,
): Promise<BetasPlan> {
  const { session, signal } = o;
  const voxels = selectVoxels(
    await files.brainMask(signal),
    await files.brainIndices(signal),
    filter,
  );
  const trials = await source.getTrialInfo({ session, signal });
  const path = await files.require(files.paths.betas(session), `Betas of ${session}`, {
    session,
    signal,
  });
  // A trial table cut short would pair trials with the wrong volumes.
  const header = await readNiftiHeader(path, { signal, refetch: files.refetch(session) });
  const nVolumes = header.dims.slice(3).reduce((a, b) => a * b, 1);
  if (trials.height !== nVolumes) {
    throw new MalformedFileError(
      files.paths.trials(session),
      `has ${trials.height} trial rows but the betas (${path}) have ${nVolumes} volumes, ` +
        `one per trial; the table may be cut short`,
      files.refetch(session),
    );
  }
  const grid = (await files.grid(signal)).shape;
  return { ...voxels, session, path, grid, trials, ...(await keptTrials(trials, source, o)) };
}

/**
 * The trial rows a stimulus filter keeps (all without `stimuli`), and their
 * row numbers when some are dropped.
 *
 * @example
 * ```ts
 * import { keptTrials } from "./betas.ts";
 * declare const trials: import("npm:nodejs-polars@0.25.2").DataFrame;
 * declare const sub: import("./betas.ts").BetasSource;
 * const { kept, keep } = await keptTrials(trials, sub, { stimuli: "shared" });
 * ```
 */
export async function keptTrials(
  trials: DataFrame,
  source: BetasSource,
  o: Pick<BetasOptions, "stimuli" | "signal">,
): Promise<{ kept: DataFrame; keep?: number[] }> {
  if (!o.stimuli) return { kept: trials };
  const { signal } = o;
  const keep = await stimulusRows(
    trials,
    o.stimuli,
    () => readStimulusMetadata(source.dataDir, { signal }),
  );
  const pl = await loadPolars();
  const rowMask = new Array<boolean>(trials.height).fill(false);
  for (const t of keep) rowMask[t] = true;
  return { kept: trials.filter(pl.Series("keep", rowMask)), keep };
}

/** Row numbers of shared or unique trials: by label prefix, else by stimulus metadata. */
async function stimulusRows(
  trials: DataFrame,
  which: "shared" | "unique",
  metadata: () => Promise<DataFrame>,
): Promise<number[]> {
  let shared: boolean[];
  if (trials.columns.includes("label")) {
    shared = (trials.getColumn("label").toArray() as string[]).map((l) =>
      String(l).startsWith("shared_")
    );
  } else if (trials.columns.includes("stimulus_id")) {
    // Joined on the metadata's image names (either layout; see readStimulusMetadata).
    const meta = await metadata();
    const missing = ["image_name", "unique_or_shared"].filter((c) => !meta.columns.includes(c));
    if (missing.length) {
      throw new LaionFmriError(
        `The stimulus metadata lacks ${missing.join(" and ")} (columns: ` +
          `${meta.columns.join(", ")}): cannot tell shared from unique stimuli.`,
      );
    }
    const flags = new Map<string, boolean>();
    const ids = meta.getColumn("image_name").toArray() as string[];
    const kind = meta.getColumn("unique_or_shared").toArray() as (string | null)[];
    ids.forEach((id, i) => flags.set(String(id), kind[i] === "shared"));
    shared = (trials.getColumn("stimulus_id").toArray() as string[]).map((id) =>
      flags.get(String(id)) ?? false
    );
  } else {
    throw new LaionFmriError(
      `The trial table has neither a "label" nor a "stimulus_id" column (columns: ${
        trials.columns.join(", ")
      }).`,
    );
  }
  const out: number[] = [];
  shared.forEach((s, i) => {
    if (s === (which === "shared")) out.push(i);
  });
  return out;
}

function checkVolumes(plan: BetasPlan, nVolumes: number): void {
  if (nVolumes !== plan.trials.height) {
    throw new LaionFmriError(
      `${plan.path} has ${nVolumes} volumes but the trial table has ${plan.trials.height} rows.`,
    );
  }
}

/**
 * Reads a plan's betas into one row-major Float32Array.
 *
 * @param refetch the download call named when the file is malformed
 * @example
 * ```ts
 * import { planBetas, readBetaMatrix } from "./betas.ts";
 * declare const plan: Awaited<ReturnType<typeof planBetas>>;
 * const m = await readBetaMatrix(plan, {}, 'download({ subject: "sub-01" })');
 * ```
 */
export async function readBetaMatrix(
  plan: BetasPlan,
  o: Pick<BetasOptions, "signal" | "onProgress">,
  refetch: string,
): Promise<BetaMatrix> {
  const read = await readNifti4dMasked(plan.path, plan.gridMask, {
    signal: o.signal,
    onProgress: o.onProgress,
    refetch,
  });
  checkVolumes(plan, read.nVolumes);
  const n = plan.brainIndex.length;
  let values = read.data;
  if (plan.keep) {
    values = new Float32Array(plan.keep.length * n);
    plan.keep.forEach((t, r) => values.set(read.data.subarray(t * n, (t + 1) * n), r * n));
  }
  return createBetaMatrix({
    values,
    shape: [plan.kept.height, n],
    trials: plan.kept,
    brainIndex: plan.brainIndex,
    flatIndex: plan.flatIndex,
    grid: plan.grid,
    session: plan.session,
  });
}

/**
 * Reads a plan's betas into a DataFrame: the kept trial columns plus a
 * fixed-width Float32 `betas` column.
 *
 * @param refetch the download call named when the file is malformed
 * @example
 * ```ts
 * import { planBetas, readBetasFrame } from "./betas.ts";
 * declare const plan: Awaited<ReturnType<typeof planBetas>>;
 * const df = await readBetasFrame(plan, { chunkRows: 64 }, 'download({ subject: "sub-01" })');
 * ```
 */
export async function readBetasFrame(
  plan: BetasPlan,
  o: Pick<BetasOptions, "signal" | "onProgress" | "chunkRows">,
  refetch: string,
): Promise<DataFrame> {
  const f = await loadFrames();
  const n = plan.brainIndex.length;
  const keepSet = plan.keep ? new Set(plan.keep) : undefined;
  const chunks: DataFrame[] = [];
  // Rows go to Polars chunk by chunk while the file streams, so the whole
  // matrix never sits in JavaScript memory as well as in Polars.
  const read = await readNifti4dMasked(plan.path, plan.gridMask, {
    signal: o.signal,
    onProgress: o.onProgress,
    refetch,
    chunkRows: o.chunkRows,
    onRows: (rows, first, count) => {
      if (n === 0) return;
      let part = rows;
      if (keepSet) {
        const picked: number[] = [];
        for (let r = 0; r < count; r++) if (keepSet.has(first + r)) picked.push(r);
        part = new Float32Array(picked.length * n);
        picked.forEach((r, i) => part.set(rows.subarray(r * n, (r + 1) * n), i * n));
      }
      chunks.push(fixedWidthColumnWith(f, "betas", part, n, part.length / n));
    },
  });
  checkVolumes(plan, read.nVolumes);
  const betas = n === 0
    ? fixedWidthColumnWith(f, "betas", new Float32Array(0), 0, plan.kept.height)
    : chunks.length === 1
    ? chunks[0]
    : f.pl.concat(chunks, { how: "vertical", rechunk: false });
  // Bounded notebook display: Polars' own shows every value of the `betas` column.
  return withBoundedDisplay(
    f.pl,
    plan.kept.hstack(betas.getColumns(), false) as unknown as DataFrame,
  );
}

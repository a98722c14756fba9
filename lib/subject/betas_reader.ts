/**
 * The betas and noise-ceiling reads of a Subject, behind its facade: the
 * voxels a selection keeps, the voxel filter of a
 * call (ROI/mask AND ncThreshold), the plan (NIfTI or model file), and the
 * read into a matrix, a DataFrame, or a stream of row chunks (the training
 * dataset's, so a session is never held whole).
 * @module
 */
import type { DataFrame } from "../frames/polars.ts";
import { resolveSessionId } from "../core/ids.ts";
import { readNifti4dMasked } from "../formats/nifti.ts";
import type { BetaMatrix } from "./beta_matrix.ts";
import {
  type BetasOptions,
  type BetasPlan,
  checkBetasOptions,
  type MultiSessionBetasOptions,
  planBetas,
  readBetaMatrix,
  readBetasFrame,
} from "./betas.ts";
import { mapByItem } from "./by_item.ts";
import {
  type BetasFileSource,
  type ModelBetasOptions,
  type ModelBetasPlan,
  planModelBetas,
  readModelBetaMatrix,
  readModelBetasFrame,
} from "./model_betas.ts";
import type { RemoteModelOptions } from "./remote_model.ts";
import type { BetasSourcePolicy } from "./remote_mode.ts";
import type { MaskSource } from "./mask_source.ts";
import type { SubjectFiles } from "./subject_files.ts";
import {
  type AnyNoiseCeilingOptions,
  checkNoiseCeilingOptions,
  type MultiNoiseCeilingOptions,
  type NoiseCeilingOptions,
  readNoiseCeiling,
} from "./noise_ceiling.ts";
import {
  type BrainVoxelMask,
  ncThresholdMask,
  selectVoxels,
  type VoxelSelection,
} from "./voxel_selection.ts";

/** Options of one session's betas read, on either source. */
export type SessionBetasOptions = BetasOptions & ModelBetasOptions;
/** Options of a betas read of one session or of several (`sessions`). */
export type AnyBetasOptions = (BetasOptions | MultiSessionBetasOptions) & ModelBetasOptions;

/** What the reader needs from its Subject. */
export interface BetasReaderContext {
  /** The subject id. */
  subjectId: string;
  /** The data directory. */
  dataDir: string;
  /** Where betas are read from. */
  policy: BetasSourcePolicy;
  /** The files of a call's mask source. */
  filesOf(o: { maskSource?: MaskSource }): SubjectFiles;
  /** A session checked against the data. */
  session(session: BetasOptions["session"], what: string): Promise<string>;
  /** The ROI/mask filter of a selection (undefined: every brain voxel). */
  voxelFilter(sel: VoxelSelection): Promise<BrainVoxelMask | undefined>;
  /** The trial table of a session. */
  getTrialInfo(options: { session: string; signal?: AbortSignal }): Promise<DataFrame>;
}

/** Rows of a session's betas as they stream: `count` rows from trial `first`, row-major. */
export type OnBetaRows = (rows: Float32Array, first: number, count: number) => void;

/**
 * A Subject's betas reads.
 *
 * @example
 * ```ts
 * import { BetasReader } from "./betas_reader.ts";
 * declare const reader: BetasReader;
 * const m = await reader.matrix({ session: "ses-01", roi: "FFA1" });
 * ```
 */
export class BetasReader {
  readonly #ctx: BetasReaderContext;

  /** Created by Subject. */
  constructor(ctx: BetasReaderContext) {
    this.#ctx = ctx;
  }

  /** The session-resolved options and voxel filter (ROI/mask AND ncThreshold) of a read. */
  async #filter(options: BetasOptions) {
    checkBetasOptions(options);
    const o = { ...options, session: await this.#ctx.session(options.session, "betas") };
    let filter = await this.#ctx.voxelFilter(o);
    if (o.ncThreshold !== undefined) {
      const { session, signal, maskSource } = o;
      const nc = await this.noiseCeiling({ session, signal, maskSource }) as Float32Array;
      filter = ncThresholdMask(nc, o.ncThreshold, filter);
    }
    return { o, filter };
  }

  /** The plan of a NIfTI read: the voxel filter, trials, file. */
  async plan(options: BetasOptions) {
    const { o, filter } = await this.#filter(options);
    return planBetas(this.#ctx.filesOf(o), this.#ctx, o, filter);
  }

  /** The plan of a model-file read (same voxel filter as the NIfTI path). */
  async modelPlan(options: BetasOptions, remote?: RemoteModelOptions) {
    const { o, filter } = await this.#filter(options);
    const anatomical = this.#ctx.filesOf({ maskSource: "anatomical" });
    return planModelBetas(this.#ctx.filesOf(o), anatomical, this.#ctx, o, filter, remote);
  }

  /** The source of a call (`nifti`, `model`, `remote`). */
  source(o: ModelBetasOptions): BetasFileSource {
    return this.#ctx.policy.resolve(o).source;
  }

  /** `getBetaMatrix`: one session, or a Map with `sessions`. */
  matrix(options: AnyBetasOptions): Promise<BetaMatrix | Map<string, BetaMatrix>> {
    return this.#read(options, readModelBetaMatrix, readBetaMatrix);
  }

  /** `getBetas`: one session, or a Map with `sessions`. */
  frame(options: AnyBetasOptions): Promise<DataFrame | Map<string, DataFrame>> {
    return this.#read(options, readModelBetasFrame, readBetasFrame);
  }

  /** A read through the model-file or the NIfTI reader, whichever source the call has. */
  #read<T>(
    options: AnyBetasOptions,
    fromModel: (plan: ModelBetasPlan, o: { subject: string; signal?: AbortSignal }) => Promise<T>,
    fromNifti: (plan: BetasPlan, o: SessionBetasOptions, refetch: string) => Promise<T>,
  ): Promise<T | Map<string, T>> {
    return this.#dispatch(options, async (o) => {
      const { source, remote } = this.#ctx.policy.resolve(o);
      if (source !== "nifti") {
        const plan = await this.modelPlan(o, remote);
        return fromModel(plan, { subject: this.#ctx.subjectId, signal: o.signal });
      }
      const plan = await this.plan(o);
      return fromNifti(plan, o, this.#ctx.filesOf({}).refetch(plan.session));
    });
  }

  /**
   * Streams one session's selected betas in chunks of `chunkRows` trials
   * (NIfTI source: one decoded volume and one chunk in memory; the model
   * sources read the selection once). Resolves with the number of voxels
   * per row and of trials.
   */
  async stream(
    options: SessionBetasOptions,
    chunkRows: number,
    onRows: OnBetaRows,
  ): Promise<{ nVoxels: number; nTrials: number }> {
    if (this.source(options) !== "nifti") {
      const m = await this.matrix({ ...options, stimuli: undefined }) as BetaMatrix;
      const [nTrials, nVoxels] = m.shape;
      for (let t = 0; t < nTrials; t += chunkRows) {
        const count = Math.min(chunkRows, nTrials - t);
        onRows(m.values.subarray(t * nVoxels, (t + count) * nVoxels), t, count);
      }
      return { nVoxels, nTrials };
    }
    const plan = await this.plan({ ...options, stimuli: undefined });
    const nVoxels = plan.brainIndex.length;
    const read = await readNifti4dMasked(plan.path, plan.gridMask, {
      signal: options.signal,
      refetch: this.#ctx.filesOf({}).refetch(plan.session),
      chunkRows,
      onRows,
    });
    return { nVoxels, nTrials: read.nVolumes };
  }

  /** `getNoiseCeiling`: per session or `desc`, or a Map with `sessions` / `descs`. */
  async noiseCeiling(
    options: NoiseCeilingOptions | MultiNoiseCeilingOptions,
  ): Promise<Float32Array | Map<string, Float32Array>> {
    const o = options as AnyNoiseCeilingOptions;
    checkNoiseCeilingOptions(o);
    const { sessions, descs, ...rest } = o;
    if (sessions) {
      return mapByItem(
        sessions.map(resolveSessionId),
        (s) => this.noiseCeiling({ ...rest, session: s }) as Promise<Float32Array>,
      );
    }
    if (descs) {
      return mapByItem(
        descs,
        (d) => this.noiseCeiling({ ...rest, desc: d }) as Promise<Float32Array>,
      );
    }
    const session = o.session === undefined
      ? undefined
      : await this.#ctx.session(o.session, "noise ceilings");
    const filter = await this.#ctx.voxelFilter(o);
    return readNoiseCeiling(this.#ctx.filesOf(o), { ...o, session }, filter);
  }

  /** Full-grid C-order indices of the voxels a selection keeps (all brain voxels by default). */
  async selectedFlat(sel: VoxelSelection): Promise<Int32Array> {
    const filter = await this.#ctx.voxelFilter(sel);
    const files = this.#ctx.filesOf(sel);
    if (!filter) return await files.brainIndices(sel.signal);
    const brainMask = await files.brainMask(sel.signal);
    return selectVoxels(brainMask, await files.brainIndices(sel.signal), filter).flatIndex;
  }

  /** One session, or each of `sessions` into a Map keyed by session. */
  #dispatch<T>(
    options: AnyBetasOptions,
    one: (o: SessionBetasOptions) => Promise<T>,
  ): Promise<T | Map<string, T>> {
    if ("sessions" in options && options.sessions) {
      const { sessions, ...rest } = options;
      return mapByItem(sessions.map(resolveSessionId), (s) => one({ ...rest, session: s }));
    }
    return one(options as SessionBetasOptions);
  }
}

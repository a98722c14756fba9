/**
 * The Subject API: one subject's downloaded files as masks, trial tables,
 * single-trial betas (Polars DataFrames or raw Float32Arrays) and noise
 * ceilings, on the brain-voxel axis in NumPy C-order.
 * @module
 */
import type { DataFrame } from "nodejs-polars";
import { join } from "node:path";
import {
  DataNotDownloadedError,
  InvalidChoiceError,
  LaionFmriError,
  StimuliNotDownloadedError,
} from "../core/errors.ts";
import { resolveSubjectId } from "../core/ids.ts";
import { getDataDir } from "../local/config.ts";
import { stimuliImagesDir, stimuliTsvPath, SubjectPaths } from "../local/paths.ts";
import { readFreesurferLabel } from "../formats/freesurfer_label.ts";
import { readGiftiMask } from "../formats/gifti.ts";
import { readNifti4dMasked, readNiftiMask, readNiftiMaskedValues } from "../formats/nifti.ts";
import { readTsv } from "../frames/tsv.ts";
import {
  fixedWidthColumn,
  fixedWidthColumnWith,
  intColumns,
  loadFrames,
} from "../frames/betas_frame.ts";
import { loadPolars } from "../frames/polars.ts";
import { escapeHtml } from "../core/display.ts";
import { warn } from "../core/warnings.ts";
import { type Grid, readGrid, scatterToNifti, voxelCoordinates } from "./brain_space.ts";
import { RoiInventory, type RoiQuery } from "./roi_grammar.ts";
import { unflattenC } from "../formats/voxel_order.ts";

const JUPYTER = Symbol.for("Jupyter.display");
const INSPECT = Symbol.for("Deno.customInspect");

/** Options of {@linkcode loadSubject}. */
export interface LoadSubjectOptions {
  /** Data directory. @default the configured one ({@linkcode getDataDir}) */
  dataDir?: string;
  /**
   * Whether NaN voxels of the R2mean map count as brain voxels. `true` is
   * upstream's rule and reproduces the published voxel counts (272,080 for
   * sub-01); `false` drops voxels whose fit is NaN.
   * @default true
   */
  nanIsBrain?: boolean;
}

/** Voxel selection over brain voxels, shared by betas and noise ceilings. */
export interface VoxelSelection {
  /** ROI query: a name, a category, `"all"`, or a list. Exclusive with `mask`. */
  roi?: RoiQuery;
  /** A mask over brain voxels (length {@linkcode Subject.getNVoxels}). Exclusive with `roi`. */
  mask?: ArrayLike<number | boolean>;
  /** Cancels file reads. */
  signal?: AbortSignal;
}

/** Options of {@linkcode Subject.getBetas} for one session. */
export interface BetasOptions extends VoxelSelection {
  /** The session, e.g. `"ses-01"`. */
  session: string;
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
  /** Trials handed to Polars at a time by {@linkcode Subject.getBetas}. @default 64 */
  chunkRows?: number;
}

/** Options of {@linkcode Subject.getBetas} for several sessions. */
export interface MultiSessionBetasOptions extends Omit<BetasOptions, "session"> {
  /** The sessions; the result is a Map keyed by session. */
  sessions: readonly string[];
}

/**
 * Raw single-trial betas: row-major `values` (trials x voxels), with the
 * trial table and the voxel identity in the same order.
 */
export class BetaMatrix {
  /** Row-major Float32 values, `shape[0]` trials by `shape[1]` voxels. NaN stays NaN. */
  readonly values: Float32Array;
  /** `[nTrials, nVoxels]`. */
  readonly shape: [number, number];
  /** The trial rows kept, in order (columns of the trial TSV). */
  readonly trials: DataFrame;
  /** Brain-voxel indices of the columns (positions on the brain axis). */
  readonly brainIndex: Int32Array;
  /** The session. */
  readonly session: string;
  readonly #grid: [number, number, number];
  readonly #flat: Int32Array;

  /** @internal */
  constructor(init: {
    values: Float32Array;
    shape: [number, number];
    trials: DataFrame;
    brainIndex: Int32Array;
    flatIndex: Int32Array;
    grid: [number, number, number];
    session: string;
  }) {
    this.values = init.values;
    this.shape = init.shape;
    this.trials = init.trials;
    this.brainIndex = init.brainIndex;
    this.session = init.session;
    this.#grid = init.grid;
    this.#flat = init.flatIndex;
  }

  /** Row `t` (one trial) as a view, without copying. */
  row(t: number): Float32Array {
    const n = this.shape[1];
    return this.values.subarray(t * n, (t + 1) * n);
  }

  /** Voxel identity in column order: `brain_index`, `i`, `j`, `k` (grid indices). */
  voxels(): Promise<DataFrame> {
    const n = this.#flat.length;
    const i = new Int32Array(n), j = new Int32Array(n), k = new Int32Array(n);
    for (let c = 0; c < n; c++) [i[c], j[c], k[c]] = unflattenC(this.#flat[c], this.#grid);
    return intColumns({ brain_index: this.brainIndex, i, j, k });
  }

  /** The trial table plus a `betas` column of fixed-width Float32 arrays. */
  async toDataFrame(): Promise<DataFrame> {
    const betas = await fixedWidthColumn("betas", this.values, this.shape[1], this.shape[0]);
    return this.trials.hstack(betas.getColumns(), false) as unknown as DataFrame;
  }

  /** A short one-line summary for `console.log`. */
  [INSPECT](): string {
    return `BetaMatrix(${this.session}: ${this.shape[0]} trials x ${this.shape[1]} voxels)`;
  }

  /** Rich display in Jupyter notebooks (HTML and text). */
  [JUPYTER](): Record<string, string> {
    const text = this[INSPECT]();
    return { "text/plain": text, "text/html": `<b>${escapeHtml(text)}</b>` };
  }
}

/** Options of {@linkcode Subject.getRoiData}. */
export interface RoiDataOptions {
  /** `"all"`, `"volume"` (= `"nii.gz"`), `"gii"` (func.gii and label), `"func.gii"`, `"label"`. @default "all" */
  format?: string;
  /** `"all"`, `"L"` or `"R"`; ignored for volume-only formats. @default "all" */
  hemi?: string;
  /** Cancels file reads. */
  signal?: AbortSignal;
}

/** Per-hemisphere surface data of one ROI. */
export interface HemiData {
  /** Vertex mask from the `.func.gii` (1 = in ROI). */
  "func.gii"?: Uint8Array;
  /** Vertex indices from the FreeSurfer `.label`. */
  label?: Int32Array;
}

/** The data of one ROI, in upstream's nested shape. */
export interface RoiData {
  /** Mask over brain voxels. */
  volume?: Uint8Array;
  /** Surface data by hemisphere (`"hemi-L"`, `"hemi-R"`). */
  gii?: Partial<Record<"hemi-L" | "hemi-R", HemiData>>;
}

/** Options of {@linkcode Subject.getNoiseCeiling}. */
export type NoiseCeilingOptions = VoxelSelection & ({ session: string } | { desc: string });

/** Options of {@linkcode Subject.getNoiseCeiling} for several sessions or descs (a Map result). */
export type MultiNoiseCeilingOptions =
  & VoxelSelection
  & ({ sessions: readonly string[] } | { descs: readonly string[] });

const FORMATS = ["all", "func.gii", "gii", "label", "nii.gz", "volume"];
const HEMIS = ["all", "L", "R"];

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/**
 * One subject's downloaded data. Create with {@linkcode loadSubject}.
 * Masks and inventories are read once and cached.
 *
 * @example
 * ```ts
 * import { loadSubject } from "@laion/fmri";
 * const sub = await loadSubject("sub-01");
 * const betas = await sub.getBetas({ session: "ses-01", roi: "face" });
 * console.log(betas.shape);
 * ```
 */
export class Subject {
  /** Normalized subject id. */
  readonly subjectId: string;
  /** The data directory. */
  readonly dataDir: string;
  /** File locations. */
  readonly paths: SubjectPaths;
  readonly #nanIsBrain: boolean;
  #brain?: Promise<Uint8Array>;
  #brainFlat?: Promise<Int32Array>;
  #inventory?: Promise<RoiInventory>;
  #roiMasks = new Map<string, Promise<Uint8Array>>();
  #gridCache?: Promise<Grid>;

  /**
   * No checks are made; {@linkcode loadSubject} checks the data is there.
   * @param subjectId a subject id
   * @param dataDir the data directory
   */
  constructor(subjectId: string, dataDir: string, options: { nanIsBrain?: boolean } = {}) {
    this.subjectId = resolveSubjectId(subjectId);
    this.dataDir = dataDir;
    this.paths = new SubjectPaths(dataDir, this.subjectId);
    this.#nanIsBrain = options.nanIsBrain ?? true;
  }

  #missing(what: string, path: string, ses?: string): DataNotDownloadedError {
    return new DataNotDownloadedError(`${what} not found at ${path}.`, {
      subject: this.subjectId,
      ses,
      path,
    });
  }

  #refetch(ses?: string): string {
    return `download({ subject: "${this.subjectId}"${
      ses ? `, ses: "${ses}"` : ""
    }, acceptLicense: true })`;
  }

  async #require(path: string, what: string, ses?: string): Promise<string> {
    if (!(await exists(path))) throw this.#missing(what, path, ses);
    return path;
  }

  /** Sorted `ses-*` folders on disk. */
  async getSessions(): Promise<string[]> {
    const out: string[] = [];
    for await (const e of Deno.readDir(this.paths.glmsingleDir)) {
      if (e.isDirectory && e.name.startsWith("ses-")) out.push(e.name);
    }
    return out.sort();
  }

  #inv(): Promise<RoiInventory> {
    return this.#inventory ??= RoiInventory.read(this.paths.roisDir, this.subjectId);
  }

  /**
   * Sorted ROI names on disk, of one category or all.
   * @throws {InvalidChoiceError} for a category that is not on disk
   */
  async getAvailableRois(options: { category?: string } = {}): Promise<string[]> {
    const inv = await this.#inv();
    if (options.category !== undefined && !inv.byCategory.has(options.category)) {
      throw new InvalidChoiceError("category", options.category, inv.categories());
    }
    return inv.rois(options.category);
  }

  /** Sorted categories that hold at least one ROI on disk. */
  async getAvailableCategories(): Promise<string[]> {
    return (await this.#inv()).categories();
  }

  /** Resolves an ROI query to ROI names (see the ROI grammar). */
  async resolveRois(query: RoiQuery): Promise<string[]> {
    return (await this.#inv()).resolve(query);
  }

  /** Brain mask over the full grid, C-order (1 = brain), from the R2mean map. */
  getBrainMask(options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    this.#brain ??= (async () => {
      const path = await this.#require(this.paths.r2mean, "The R2mean brain-mask map");
      return readNiftiMask(path, {
        nanInMask: this.#nanIsBrain,
        signal: options.signal,
        refetch: this.#refetch(),
      });
    })();
    this.#brain.catch(() => this.#brain = undefined);
    return this.#brain;
  }

  /** Full-grid C-order indices of the brain voxels, in brain-axis order. */
  async #brainIndices(): Promise<Int32Array> {
    this.#brainFlat ??= this.getBrainMask().then((brain) => {
      let n = 0;
      for (let f = 0; f < brain.length; f++) n += brain[f];
      const idx = new Int32Array(n);
      for (let f = 0, c = 0; f < brain.length; f++) if (brain[f]) idx[c++] = f;
      return idx;
    });
    return await this.#brainFlat;
  }

  /** Number of brain voxels (the length of every voxel axis). */
  async getNVoxels(): Promise<number> {
    return (await this.#brainIndices()).length;
  }

  async #roiMask(roi: string, signal?: AbortSignal): Promise<Uint8Array> {
    let mask = this.#roiMasks.get(roi);
    if (!mask) {
      mask = (async () => {
        const inv = await this.#inv();
        const entry = inv.byName.get(roi)!;
        const path = join(this.paths.roisDir, entry.category, this.paths.roiVolumeName(roi));
        const full = await readNiftiMask(path, { signal, refetch: this.#refetch() });
        const brain = await this.#brainIndices();
        const out = new Uint8Array(brain.length);
        for (let c = 0; c < brain.length; c++) out[c] = full[brain[c]];
        return out;
      })();
      mask.catch(() => this.#roiMasks.delete(roi));
      this.#roiMasks.set(roi, mask);
    }
    return await mask;
  }

  /**
   * Mask over brain voxels: the union of the ROIs a query resolves to (ROI
   * voxels outside the brain are dropped).
   * @throws {UnknownRoiError} for an unknown ROI or category
   */
  async getRoiMask(query: RoiQuery, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const names = await this.resolveRois(query);
    const out = new Uint8Array(await this.getNVoxels());
    // The ROI files are small and independent: read them concurrently.
    const masks = await Promise.all(names.map((name) => this.#roiMask(name, options.signal)));
    for (const m of masks) for (let c = 0; c < out.length; c++) out[c] |= m[c];
    return out;
  }

  /** One mask per query, keyed by the caller's strings (a string is one query). */
  async getRoiMasks(queries: string | readonly string[]): Promise<Map<string, Uint8Array>> {
    const list = typeof queries === "string" ? [queries] : queries;
    const out = new Map<string, Uint8Array>();
    for (const q of list) out.set(q, await this.getRoiMask(q));
    return out;
  }

  /**
   * Volume, surface and label data of the ROIs a query resolves to, keyed by
   * ROI name. `hemi` is checked only when a surface format is asked for.
   */
  async getRoiData(
    query: RoiQuery,
    options: RoiDataOptions = {},
  ): Promise<Record<string, RoiData>> {
    const format = options.format || "all";
    if (!FORMATS.includes(format)) throw new InvalidChoiceError("format", format, FORMATS);
    const wantVolume = ["all", "volume", "nii.gz"].includes(format);
    const wantGii = ["all", "gii", "func.gii"].includes(format);
    const wantLabel = ["all", "gii", "label"].includes(format);
    const hemi = options.hemi || "all";
    if ((wantGii || wantLabel) && !HEMIS.includes(hemi)) {
      throw new InvalidChoiceError("hemi", hemi, HEMIS);
    }
    const hemis = (hemi === "all" ? ["L", "R"] : [hemi]) as ("L" | "R")[];
    const inv = await this.#inv();
    const out: Record<string, RoiData> = {};
    for (const name of inv.resolve(query)) {
      const entry: RoiData = {};
      if (wantVolume) entry.volume = await this.#roiMask(name, options.signal);
      if (wantGii || wantLabel) {
        entry.gii = {};
        const dir = join(this.paths.roisDir, inv.byName.get(name)!.category);
        for (const h of hemis) {
          const data: HemiData = {};
          if (wantGii) {
            const path = await this.#require(
              join(dir, this.paths.roiSurfaceName(name, h)),
              `Surface ROI ${name} (hemi-${h})`,
            );
            data["func.gii"] = await readGiftiMask(path, {
              signal: options.signal,
              refetch: this.#refetch(),
            });
          }
          if (wantLabel) {
            const path = await this.#require(
              join(dir, this.paths.roiLabelName(name, h)),
              `FreeSurfer label ${name} (hemi-${h})`,
            );
            data.label = await readFreesurferLabel(path, {
              signal: options.signal,
              refetch: this.#refetch(),
            });
          }
          entry.gii[`hemi-${h}`] = data;
        }
      }
      out[name] = entry;
    }
    return out;
  }

  /** The voxel filter over brain voxels (or undefined for all brain voxels). */
  async #voxelFilter(sel: VoxelSelection): Promise<Uint8Array | undefined> {
    if (sel.roi !== undefined && sel.mask !== undefined) {
      throw new LaionFmriError("roi and mask are mutually exclusive: pass one of them.");
    }
    if (sel.roi !== undefined) return await this.getRoiMask(sel.roi, sel);
    if (sel.mask !== undefined) {
      const n = await this.getNVoxels();
      if (sel.mask.length !== n) {
        throw new RangeError(
          `mask has length ${sel.mask.length}, expected ${n} (one value per brain voxel)`,
        );
      }
      return Uint8Array.from(sel.mask as ArrayLike<number>, (v) => (v ? 1 : 0));
    }
    return undefined;
  }

  /**
   * The trial table of a session (a Polars DataFrame: `session`, `run`,
   * `beta_index`, `label`); with `sessions`, a Map keyed by session.
   */
  getTrialInfo(options: { session: string; signal?: AbortSignal }): Promise<DataFrame>;
  /** With a list (`sessions` / `descs`): one result per item, as a Map. */
  getTrialInfo(
    options: { sessions: readonly string[]; signal?: AbortSignal },
  ): Promise<Map<string, DataFrame>>;
  async getTrialInfo(
    options: { session?: string; sessions?: readonly string[]; signal?: AbortSignal },
  ): Promise<DataFrame | Map<string, DataFrame>> {
    if (options.sessions) {
      const out = new Map<string, DataFrame>();
      for (const s of options.sessions) {
        out.set(s, await this.getTrialInfo({ session: s, signal: options.signal }));
      }
      return out;
    }
    const session = options.session;
    if (!session) throw new LaionFmriError("session is required: events are stored per session.");
    const path = await this.#require(
      this.paths.trials(session),
      `Trial table of ${session}`,
      session,
    );
    return readTsv(path, { signal: options.signal, refetch: this.#refetch(session) });
  }

  /**
   * Single-trial betas as raw arrays: `values` (trials x voxels, row-major),
   * the kept trial rows, and the voxel identity. With `sessions`, a Map.
   */
  getBetaMatrix(options: BetasOptions): Promise<BetaMatrix>;
  /** With a list (`sessions` / `descs`): one result per item, as a Map. */
  getBetaMatrix(options: MultiSessionBetasOptions): Promise<Map<string, BetaMatrix>>;
  async getBetaMatrix(
    options: BetasOptions | MultiSessionBetasOptions,
  ): Promise<BetaMatrix | Map<string, BetaMatrix>> {
    if ("sessions" in options && options.sessions) {
      const out = new Map<string, BetaMatrix>();
      for (const s of options.sessions) {
        out.set(s, await this.getBetaMatrix({ ...options, session: s }));
      }
      return out;
    }
    const plan = await this.#betasPlan(options as BetasOptions);
    const o = options as BetasOptions;
    const read = await readNifti4dMasked(plan.path, plan.full, {
      signal: o.signal,
      onProgress: o.onProgress,
      refetch: this.#refetch(o.session),
    });
    this.#checkVolumes(plan, read.nVolumes);
    const n = plan.brainIndex.length;
    let values = read.data;
    if (plan.keep) {
      values = new Float32Array(plan.keep.length * n);
      plan.keep.forEach((t, r) => values.set(read.data.subarray(t * n, (t + 1) * n), r * n));
    }
    return new BetaMatrix({
      values,
      shape: [plan.kept.height, n],
      trials: plan.kept,
      brainIndex: plan.brainIndex,
      flatIndex: plan.flatIndex,
      grid: plan.grid,
      session: o.session,
    });
  }

  #checkVolumes(plan: { path: string; trials: DataFrame }, nVolumes: number): void {
    if (nVolumes !== plan.trials.height) {
      throw new LaionFmriError(
        `${plan.path} has ${nVolumes} volumes but the trial table has ${plan.trials.height} rows.`,
      );
    }
  }

  /** Everything a betas read needs: the full-grid mask, voxel identity, trial rows. */
  async #betasPlan(o: BetasOptions) {
    if (!o.session) throw new LaionFmriError("session is required: betas are stored per session.");
    if (o.stimuli !== undefined && o.stimuli !== "shared" && o.stimuli !== "unique") {
      throw new InvalidChoiceError("stimuli", o.stimuli, ["shared", "unique"]);
    }
    let filter = await this.#voxelFilter(o);
    if (o.ncThreshold !== undefined) {
      if (o.ncThreshold > 0 && o.ncThreshold < 1) {
        warn(
          `ncThreshold=${o.ncThreshold}: noise ceilings are in percent (0-100), so this keeps ` +
            `almost every voxel with any noise ceiling. Did you mean ${o.ncThreshold * 100}?`,
        );
      }
      const nc = await this.getNoiseCeiling({ session: o.session, signal: o.signal });
      const pass = new Uint8Array(nc.length);
      for (let c = 0; c < nc.length; c++) pass[c] = nc[c] >= o.ncThreshold! ? 1 : 0;
      if (filter) { for (let c = 0; c < pass.length; c++) pass[c] &= filter[c]; }
      filter = pass;
    }
    const brain = await this.#brainIndices();
    const brainMask = await this.getBrainMask();
    const full = filter ? new Uint8Array(brainMask.length) : brainMask;
    let nSel = brain.length;
    if (filter) {
      nSel = 0;
      for (let c = 0; c < brain.length; c++) if (filter[c]) (full[brain[c]] = 1, nSel++);
    }
    const brainIndex = new Int32Array(nSel);
    const flatIndex = new Int32Array(nSel);
    for (let c = 0, s = 0; c < brain.length; c++) {
      if (!filter || filter[c]) (brainIndex[s] = c, flatIndex[s++] = brain[c]);
    }
    const trials = await this.getTrialInfo({ session: o.session, signal: o.signal });
    const path = await this.#require(
      this.paths.betas(o.session),
      `Betas of ${o.session}`,
      o.session,
    );
    const grid = (await this.#grid()).shape;
    let keep: number[] | undefined;
    let kept = trials;
    if (o.stimuli) {
      keep = await this.#stimulusRows(trials, o.stimuli);
      const pl = await loadPolars();
      const rowMask = new Array<boolean>(trials.height).fill(false);
      for (const t of keep) rowMask[t] = true;
      kept = trials.filter(pl.Series("keep", rowMask));
    }
    return { full, brainIndex, flatIndex, trials, kept, keep, path, grid };
  }

  /** Row numbers of shared or unique trials. */
  async #stimulusRows(trials: DataFrame, which: "shared" | "unique"): Promise<number[]> {
    let shared: boolean[];
    if (trials.columns.includes("label")) {
      shared = (trials.getColumn("label").toArray() as string[]).map((l) =>
        String(l).startsWith("shared_")
      );
    } else if (trials.columns.includes("stimulus_id")) {
      const meta = await this.getStimulusMetadata();
      const flags = new Map<string, boolean>();
      const ids = meta.getColumn("stimulus_id").toArray() as string[];
      const sh = meta.getColumn("shared").toArray() as boolean[];
      ids.forEach((id, i) => flags.set(String(id), Boolean(sh[i])));
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

  /**
   * Single-trial betas as a Polars DataFrame: the trial columns plus a
   * `betas` column of fixed-width Float32 arrays (one row per trial). With
   * `sessions`, a Map keyed by session. For raw arrays use
   * {@linkcode Subject.getBetaMatrix}.
   */
  getBetas(options: BetasOptions): Promise<DataFrame>;
  /** With a list (`sessions` / `descs`): one result per item, as a Map. */
  getBetas(options: MultiSessionBetasOptions): Promise<Map<string, DataFrame>>;
  async getBetas(
    options: BetasOptions | MultiSessionBetasOptions,
  ): Promise<DataFrame | Map<string, DataFrame>> {
    if ("sessions" in options && options.sessions) {
      const { sessions, ...rest } = options;
      const out = new Map<string, DataFrame>();
      for (const s of sessions) out.set(s, await this.getBetas({ ...rest, session: s }));
      return out;
    }
    const o = options as BetasOptions;
    const plan = await this.#betasPlan(o);
    const f = await loadFrames();
    const { pl } = f;
    const n = plan.brainIndex.length;
    const keepSet = plan.keep ? new Set(plan.keep) : undefined;
    const chunks: DataFrame[] = [];
    // Rows go to Polars chunk by chunk while the file streams, so the whole
    // matrix never sits in JavaScript memory as well as in Polars.
    const read = await readNifti4dMasked(plan.path, plan.full, {
      signal: o.signal,
      onProgress: o.onProgress,
      refetch: this.#refetch(o.session),
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
    this.#checkVolumes(plan, read.nVolumes);
    const betas = n === 0
      ? fixedWidthColumnWith(f, "betas", new Float32Array(0), 0, plan.kept.height)
      : chunks.length === 1
      ? chunks[0]
      : pl.concat(chunks, { how: "vertical", rechunk: false });
    return plan.kept.hstack(betas.getColumns(), false) as unknown as DataFrame;
  }

  /**
   * Noise ceiling (percent, 0-100) over brain voxels, optionally restricted
   * to an ROI query or a mask: per session (`session`) or subject-level
   * (`desc`: `Noiseceiling12rep`, `Noiseceiling4rep`, `NoiseceilingAllrep`).
   */
  getNoiseCeiling(options: NoiseCeilingOptions): Promise<Float32Array>;
  /** With a list (`sessions` / `descs`): one result per item, as a Map. */
  getNoiseCeiling(options: MultiNoiseCeilingOptions): Promise<Map<string, Float32Array>>;
  async getNoiseCeiling(
    options: NoiseCeilingOptions | MultiNoiseCeilingOptions,
  ): Promise<Float32Array | Map<string, Float32Array>> {
    const o = options as VoxelSelection & {
      session?: string;
      desc?: string;
      sessions?: readonly string[];
      descs?: readonly string[];
    };
    const given = [o.session, o.desc, o.sessions, o.descs].filter((v) => v !== undefined).length;
    if (given !== 1) {
      throw new LaionFmriError(
        "Exactly one of `session` or `desc` must be set (or `sessions` / `descs` for several).",
      );
    }
    if (o.sessions || o.descs) {
      const { sessions, descs, ...rest } = o;
      const out = new Map<string, Float32Array>();
      for (const s of sessions ?? []) {
        out.set(s, await this.getNoiseCeiling({ ...rest, session: s }));
      }
      for (const d of descs ?? []) out.set(d, await this.getNoiseCeiling({ ...rest, desc: d }));
      return out;
    }
    const filter = await this.#voxelFilter(o);
    const path = o.session !== undefined
      ? await this.#require(
        this.paths.sessionNoiseCeiling(o.session),
        `Noise ceiling of ${o.session}`,
        o.session,
      )
      : await this.#require(this.paths.subjectNoiseCeiling(o.desc!), `Noise ceiling ${o.desc}`);
    const values = await readNiftiMaskedValues(path, await this.getBrainMask(), {
      signal: o.signal,
      refetch: this.#refetch(o.session),
    });
    if (!filter) return values;
    let n = 0;
    for (const f of filter) n += f;
    const out = new Float32Array(n);
    for (let c = 0, s = 0; c < values.length; c++) if (filter[c]) out[s++] = values[c];
    return out;
  }

  /** Full-grid C-order indices of the voxels a selection keeps (all brain voxels by default). */
  async #selectedFlat(sel: VoxelSelection): Promise<Int32Array> {
    const brain = await this.#brainIndices();
    const filter = await this.#voxelFilter(sel);
    if (!filter) return brain;
    const out: number[] = [];
    for (let c = 0; c < brain.length; c++) if (filter[c]) out.push(brain[c]);
    return Int32Array.from(out);
  }

  #grid(): Promise<Grid> {
    return this.#gridCache ??= this.#require(this.paths.r2mean, "The R2mean map").then(readGrid);
  }

  /**
   * Writes values on the voxel axis of a selection (all brain voxels, an ROI
   * query or a mask) as a gzipped float32 NIfTI-1 on the subject's grid and
   * affine; other voxels are 0. Written to a temp file, then renamed.
   *
   * @throws {LaionFmriError} when `values.length` is not the number of selected voxels
   */
  async toNifti(
    values: ArrayLike<number>,
    path: string,
    options: VoxelSelection = {},
  ): Promise<void> {
    const flat = await this.#selectedFlat(options);
    await scatterToNifti(values, flat, await this.#grid(), path, options);
  }

  /**
   * Subject T1w scanner coordinates (mm) of the selected voxels, row-major
   * `n x 3`, in the same order as the voxel axis of betas and noise ceilings.
   * (Upstream calls these MNI; they are not.)
   */
  async getVoxelCoordinates(options: VoxelSelection = {}): Promise<Float64Array> {
    return voxelCoordinates(await this.#selectedFlat(options), await this.#grid());
  }

  /** Whether stimulus metadata and images are on disk. */
  async hasStimuli(): Promise<boolean> {
    if (!(await exists(stimuliTsvPath(this.dataDir)))) return false;
    try {
      return (await Deno.stat(stimuliImagesDir(this.dataDir))).isDirectory;
    } catch {
      return false;
    }
  }

  /** The stimulus metadata table (`stimuli/stimuli.tsv`). */
  async getStimulusMetadata(): Promise<DataFrame> {
    const path = stimuliTsvPath(this.dataDir);
    if (!(await exists(path))) {
      throw new StimuliNotDownloadedError(
        `Stimulus metadata not found at ${path}. Run: download({ subject: "${this.subjectId}", includeStimuli: true, acceptLicense: true })`,
      );
    }
    return readTsv(path);
  }

  /** A short one-line summary for `console.log`. */
  [INSPECT](): string {
    return `Subject(${this.subjectId}, ${this.dataDir})`;
  }

  /** Rich display in Jupyter notebooks (HTML and text). */
  [JUPYTER](): Record<string, string> {
    return { "text/plain": this[INSPECT](), "text/html": `<b>${escapeHtml(this[INSPECT]())}</b>` };
  }
}

/**
 * Opens a downloaded subject (`"sub-01"` or `"01"`).
 *
 * @throws {DataNotDownloadedError} when the subject's folder is not on disk;
 *   it carries the `download(...)` call and CLI command that fetch it
 * @example
 * ```ts
 * import { loadSubject } from "@laion/fmri";
 * const sub = await loadSubject("01");
 * console.log(await sub.getSessions());
 * ```
 */
export async function loadSubject(
  subject: string,
  options: LoadSubjectOptions = {},
): Promise<Subject> {
  const id = resolveSubjectId(subject);
  const dataDir = options.dataDir ?? getDataDir();
  const sub = new Subject(id, dataDir, options);
  if (!(await exists(sub.paths.glmsingleDir))) {
    throw new DataNotDownloadedError(`Data for ${id} not found at ${sub.paths.glmsingleDir}.`, {
      subject: id,
      path: sub.paths.glmsingleDir,
    });
  }
  return sub;
}

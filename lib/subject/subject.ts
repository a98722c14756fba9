/**
 * The Subject API: one subject's downloaded files as masks, trial tables,
 * single-trial betas (Polars DataFrames or raw Float32Arrays) and noise
 * ceilings, on the brain-voxel axis in NumPy C-order.
 * @module
 */
import type { DataFrame } from "../frames/polars.ts";
import { InvalidChoiceError, SubjectNotFoundError } from "../core/errors.ts";
import {
  CUSTOM_INSPECT,
  type DisplayBundle,
  JUPYTER_DISPLAY,
  summaryBundle,
} from "../core/display.ts";
import { warn } from "../core/warnings.ts";
import { GLMSINGLE_PREFIX } from "../core/constants.ts";
import { resolveSessionId, resolveSubjectId, type SessionId } from "../core/ids.ts";
import type { NiftiVolume } from "../formats/nifti.ts";
import { niftiCompression } from "../formats/nifti_write.ts";
import { readTsv } from "../frames/tsv.ts";
import { getDataDir } from "../local/config.ts";
import type { SubjectPaths } from "../local/paths.ts";
import { countStimuli, readStimulusMetadata, type StimulusSet } from "../stimuli/stimuli.ts";
import {
  anatomicalFile,
  type AnatomicalFileOptions,
  type BrainMaskOptions,
  countMask,
  isDir,
  readBrainMask,
  requireDerivativeDir,
} from "./anatomy.ts";
import type { BetaMatrix } from "./beta_matrix.ts";
import type { BetasOptions, MultiSessionBetasOptions } from "./betas.ts";
import { type AnyBetasOptions, BetasReader } from "./betas_reader.ts";
import { scatterToNifti, voxelCoordinates } from "./brain_space.ts";
import { mapByItem } from "./by_item.ts";
import { localizerMapFile, type LocalizerMapQuery } from "./localizers.ts";
import { checkMaskSource, defaultMaskSource, type MaskSource } from "./mask_source.ts";
import type { BetasFileSource, ModelBetasOptions } from "./model_betas.ts";
import type { MultiNoiseCeilingOptions, NoiseCeilingOptions } from "./noise_ceiling.ts";
import { hasRaw, type RawLoadOptions, rawRunFile, type RawRunQuery, readEvents } from "./raw.ts";
import type { RemoteModelOptions } from "./remote_model.ts";
import { BetasSourcePolicy } from "./remote_mode.ts";
import { readRoiBetas, type RoiBetasOptions } from "./roi_betas.ts";
import { readRoiData, type RoiData, type RoiDataOptions, roiDataParts } from "./roi_data.ts";
import type { RoiQuery } from "./roi_grammar.ts";
import { readRoiVolume, roiMaskFile, type RoiResOptions, type RoiVolume } from "./roi_res.ts";
import { requireSubjectDir, resolveSubjectSession, stimuliOnDisk } from "./subject_checks.ts";
import type { SubjectFile } from "./subject_file.ts";
import { SubjectFiles } from "./subject_files.ts";
import { TrialMetadataCache } from "./trial_metadata.ts";
import {
  TrialCaptions,
  TrialEmbeddings,
  TrialImages,
  TrialSegmentations,
  TrialStimuliContext,
} from "./trial_stimuli.ts";
import {
  type FsnativeInput,
  type SubjectSpace,
  subjectSpace,
  type SurfaceOutput,
  type SurfaceTemplateOptions,
  surfaceToTemplate,
  type TemplateInput,
  type TemplateOptions,
  type TemplateTarget,
  type TemplateVolume,
  toTemplate,
  volumeToSurface,
  volumeToTemplate,
} from "./standard_space.ts";
import {
  type BrainVoxelMask,
  checkBrainVoxelMask,
  checkExclusive,
  type GridMask,
  unionMasks,
  type VoxelSelection,
} from "./voxel_selection.ts";

/** Options of {@linkcode loadSubject}. */
export interface LoadSubjectOptions {
  /** Data directory. @default the configured one ({@linkcode getDataDir}) */
  dataDir?: string;
  /**
   * Whether NaN voxels of the R2mean map are in the brain mask. `true` is
   * upstream's rule and reproduces the published voxel counts (272,080 for
   * sub-01); `false` drops voxels whose fit is NaN.
   * @default true
   */
  nanInMask?: boolean;
  /**
   * The brain mask of every voxel axis (each call may override it):
   * `"anatomical"` (the `res-1pt8` anatomical brain mask, upstream's
   * default) or `"rsquare"` (the R2mean map, the seed layout's rule).
   * @default `"anatomical"` when the anatomical mask is on disk or the
   *   subject has anatomical derivatives; `"rsquare"` when it has none (the
   *   seed layout) — see {@linkcode defaultMaskSource}
   */
  maskSource?: MaskSource;
  /**
   * Where betas are read from by default (each call may override it).
   * `"remote"` reads the ROI's rows of each session's GLMsingle model file
   * on the bucket by HTTP range: nothing needs to be downloaded first, the
   * sessions are the bucket's, and the small files a read needs (the brain
   * mask, the ROI masks, trial tables) are fetched into `dataDir` on demand.
   * @default "nifti"
   */
  betasSource?: BetasFileSource;
  /** The bucket of remote reads: endpoint, bucket, concurrency. @default the configured bucket */
  remote?: RemoteModelOptions;
  /** Cancels the check that the subject is on disk. */
  signal?: AbortSignal;
}

/** An options object that carries only a signal. */
export interface SignalOptions {
  /** Cancels file reads (a shared read goes on for other callers). */
  signal?: AbortSignal;
}

/** Options of calls that return a voxel axis: a signal and the mask source. */
export interface VoxelAxisOptions extends SignalOptions {
  /** The brain mask of the voxel axis. @default the subject's (see `loadSubject`) */
  maskSource?: MaskSource;
}

let readerOf: (sub: Subject) => BetasReader;
let construct: (
  subjectId: string,
  dataDir: string,
  nanInMask: boolean,
  maskSource: MaskSource,
  policy: BetasSourcePolicy,
) => Subject;

/**
 * One subject's downloaded data. Created only by {@linkcode loadSubject},
 * which checks the data is there. Masks and inventories are read once and
 * shared by every caller.
 *
 * Two index spaces: {@linkcode Subject.getBrainMask} is over the full 3-D
 * grid ({@linkcode GridMask}); every other mask and every voxel axis is
 * over brain voxels ({@linkcode BrainVoxelMask}, length
 * {@linkcode Subject.getNVoxels}).
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
  /** The default brain mask of every voxel axis. */
  readonly maskSource: MaskSource;
  readonly #files: SubjectFiles;
  readonly #bySource = new Map<MaskSource, SubjectFiles>();
  readonly #nanInMask: boolean;
  readonly #trials: TrialMetadataCache;
  readonly #stim: TrialStimuliContext;
  /** Each trial's image (gated images file), by global trial index. */
  readonly images: TrialImages;
  /** Each trial's image embeddings (public files), rows in trial order. */
  readonly embeddings: TrialEmbeddings;
  /** Each trial's image captions (public file). */
  readonly captions: TrialCaptions;
  /** Each trial's image segmentation masks (public files; shared images only). */
  readonly segmentations: TrialSegmentations;
  readonly #policy: BetasSourcePolicy;
  readonly #betas: BetasReader;

  static {
    readerOf = (sub) => sub.#betas;
    construct = (id, dataDir, nanInMask, maskSource, policy) =>
      new Subject(id, dataDir, nanInMask, maskSource, policy);
  }

  private constructor(
    subjectId: string,
    dataDir: string,
    nanInMask: boolean,
    maskSource: MaskSource,
    policy: BetasSourcePolicy,
  ) {
    this.subjectId = subjectId;
    this.dataDir = dataDir;
    this.maskSource = maskSource;
    this.#nanInMask = nanInMask;
    this.#policy = policy;
    this.#files = this.#filesOf({ maskSource });
    this.#trials = new TrialMetadataCache(subjectId, dataDir, {
      sessions: (signal) => this.getSessions({ signal }),
      trialInfo: (session, signal) => this.getTrialInfo({ session, signal }),
    });
    this.#stim = new TrialStimuliContext(
      dataDir,
      (signal) => this.#trials.names(signal),
      subjectId,
    );
    this.images = new TrialImages(this.#stim);
    this.embeddings = new TrialEmbeddings(this.#stim);
    this.captions = new TrialCaptions(this.#stim);
    this.segmentations = new TrialSegmentations(this.#stim);
    this.#betas = new BetasReader({
      subjectId,
      dataDir,
      policy,
      filesOf: (o) => this.#filesOf(o),
      session: (session, what) => this.#session(session, what),
      voxelFilter: (sel) => this.#voxelFilter(sel),
      getTrialInfo: (o) => this.getTrialInfo(o),
    });
  }

  /**
   * Every trial of every session on disk, one row per trial in session
   * order (global trial index = row = the order of the sessions' betas):
   * the trial-table columns plus `session`, `session_trial`, `image_name`,
   * `stim_idx`, `unique_or_shared`, `dataset` (null for names not in the
   * stimulus metadata). Read once per Subject. With `session` (any spelling
   * `getBetas` takes), only that session's rows, in order.
   *
   * @throws {StimuliNotDownloadedError} without the stimulus metadata (see `readStimulusMetadata`)
   * @throws {UnknownSessionError} / {HeldOutSessionError} for a session the trials do not have
   * @throws {DataNotDownloadedError} when a session lacks its trial table (names it)
   * @example
   * ```ts
   * import { loadSubject } from "@laion/fmri";
   * const sub = await loadSubject("sub-01");
   * const meta = await sub.getMetadata();
   * console.log(meta.select("session", "image_name", "unique_or_shared").head(3));
   * ```
   */
  getMetadata(options: SignalOptions & { session?: SessionId } = {}): Promise<DataFrame> {
    return this.#trials.metadata(options);
  }

  /** The files (and caches) of a call's mask source. */
  #filesOf(o: { maskSource?: MaskSource } = {}): SubjectFiles {
    const source = checkMaskSource(o.maskSource ?? this.maskSource);
    let files = this.#bySource.get(source);
    if (!files) {
      files = new SubjectFiles(this.subjectId, this.dataDir, {
        nanInMask: this.#nanInMask,
        maskSource: source,
        onDemand: this.#policy.onDemand,
      });
      this.#bySource.set(source, files);
    }
    return files;
  }

  /** File locations. */
  get paths(): SubjectPaths {
    return this.#files.paths;
  }

  /** Where betas are read from by default (see `loadSubject`). */
  get betasSource(): BetasFileSource {
    return this.#policy.betasSource;
  }

  /**
   * Sorted `ses-*` folders on disk; for a subject loaded with
   * `betasSource: "remote"`, the public sessions the bucket lists.
   */
  async getSessions(options: SignalOptions = {}): Promise<string[]> {
    options.signal?.throwIfAborted();
    if (this.#policy.isRemote) return [...await this.#policy.bucketSessions(options.signal)];
    const out: string[] = [];
    for await (const e of Deno.readDir(this.paths.glmsingleDir)) {
      options.signal?.throwIfAborted();
      if (e.isDirectory && e.name.startsWith("ses-")) out.push(e.name);
    }
    return out.sort();
  }

  /**
   * Sorted ROI names on disk, of one category or all.
   * @throws {InvalidChoiceError} for a category that is not on disk
   */
  async getAvailableRois(options: { category?: string } & SignalOptions = {}): Promise<string[]> {
    const inv = await this.#files.inventory(options.signal);
    if (options.category !== undefined && !inv.byCategory.has(options.category)) {
      throw new InvalidChoiceError("category", options.category, inv.categories());
    }
    return inv.rois(options.category);
  }

  /** Sorted categories that hold at least one ROI on disk. */
  async getAvailableCategories(options: SignalOptions = {}): Promise<string[]> {
    return (await this.#files.inventory(options.signal)).categories();
  }

  /** Resolves an ROI query to ROI names (see the ROI grammar). */
  async resolveRois(query: RoiQuery, options: SignalOptions = {}): Promise<string[]> {
    return (await this.#files.inventory(options.signal)).resolve(query);
  }

  /**
   * The brain mask (1 = brain) over the full grid: of `source` (the
   * subject's mask source by default), at `res` `"1pt8"` (the beta grid) or
   * `null` (the full-resolution anatomical mask; `rsquare` ignores `res`).
   * @returns one byte per voxel of the full 3-D grid, C-order (length `X*Y*Z`)
   */
  async getBrainMask(options: BrainMaskOptions = {}): Promise<GridMask> {
    return await readBrainMask(this.#filesOf({ maskSource: options.source }), options);
  }

  /** Number of brain voxels (the length of every voxel axis). */
  async getNVoxels(options: VoxelAxisOptions & BrainMaskOptions = {}): Promise<number> {
    if (options.source !== undefined || options.res !== undefined) {
      return countMask(await this.getBrainMask(options));
    }
    return (await this.#filesOf(options).brainIndices(options.signal)).length;
  }

  /**
   * The union of the ROIs a query resolves to (ROI voxels outside the brain
   * are dropped).
   * @returns one byte per brain voxel (length {@linkcode Subject.getNVoxels})
   * @throws {UnknownRoiError} for an unknown ROI or category
   */
  async getRoiMask(query: RoiQuery, options: VoxelAxisOptions = {}): Promise<BrainVoxelMask> {
    const { signal } = options;
    const names = await this.resolveRois(query, { signal });
    const files = this.#filesOf(options);
    const n = (await files.brainIndices(signal)).length;
    // The ROI files are small and independent: read them concurrently.
    return unionMasks(
      await Promise.all(names.map((name) => files.roiMask(name, signal))),
      n,
    );
  }

  /**
   * One mask per query, keyed by the caller's strings (a string is one query).
   * @returns masks of one byte per brain voxel
   */
  getRoiMasks(
    queries: string | readonly string[],
    options: VoxelAxisOptions = {},
  ): Promise<Map<string, BrainVoxelMask>> {
    const list = typeof queries === "string" ? [queries] : queries;
    return mapByItem(list, (q) => this.getRoiMask(q, options));
  }

  /**
   * Volume, surface and label data of the ROIs a query resolves to, keyed by
   * ROI name. `hemi` is checked only when a surface format is asked for.
   */
  async getRoiData(
    query: RoiQuery,
    options: RoiDataOptions & VoxelAxisOptions = {},
  ): Promise<Record<string, RoiData>> {
    const parts = roiDataParts(options);
    const names = await this.resolveRois(query, options);
    return readRoiData(this.#filesOf(options), names, parts, options.signal);
  }

  /** The voxel filter over brain voxels (or undefined for all brain voxels). */
  async #voxelFilter(sel: VoxelSelection): Promise<BrainVoxelMask | undefined> {
    checkExclusive(sel);
    if (sel.roi !== undefined) {
      const mask = await this.getRoiMask(sel.roi, sel);
      if (!mask.includes(1)) {
        warn(
          `roi ${JSON.stringify(sel.roi)} of ${this.subjectId} has no voxel inside the brain mask.`,
        );
      }
      return mask;
    }
    if (sel.mask !== undefined) return checkBrainVoxelMask(sel.mask, await this.getNVoxels(sel));
    return undefined;
  }

  /**
   * The trial table of a session (a Polars DataFrame: `session`, `run`,
   * `beta_index`, `label`), one row per betas volume in file order; with
   * `sessions`, a Map keyed by session. `beta_index` counts within a run
   * (it restarts at 0 in every run), so a trial is `(run, beta_index)`; the
   * row number is its volume in the session's betas.
   *
   * @example
   * ```ts
   * import { loadSubject } from "@laion/fmri";
   * const sub = await loadSubject("sub-01");
   * const trials = await sub.getTrialInfo({ session: 1 }); // same as "ses-01"
   * ```
   */
  getTrialInfo(options: { session: SessionId } & SignalOptions): Promise<DataFrame>;
  /** With a list (`sessions` / `descs`): one result per item, as a Map. */
  getTrialInfo(
    options: { sessions: readonly SessionId[] } & SignalOptions,
  ): Promise<Map<string, DataFrame>>;
  async getTrialInfo(
    options: { session?: SessionId; sessions?: readonly SessionId[] } & SignalOptions,
  ): Promise<DataFrame | Map<string, DataFrame>> {
    const { sessions, signal } = options;
    if (sessions) {
      return mapByItem(
        sessions.map(resolveSessionId),
        (s) => this.getTrialInfo({ session: s, signal }),
      );
    }
    const session = await this.#session(options.session, "events");
    const what = `Trial table of ${session}`;
    const path = await this.#files.require(this.paths.trials(session), what, { session, signal });
    return readTsv(path, { signal, refetch: this.#files.refetch(session) });
  }

  /** A session id checked against the data (see `resolveSubjectSession`: lists only when needed). */
  #session(session: SessionId | undefined, what: string): Promise<string> {
    const scope = {
      subjectId: this.subjectId,
      remote: this.#policy.isRemote,
      glmsingleDir: this.paths.glmsingleDir,
    };
    return resolveSubjectSession(scope, () => this.getSessions(), session, what);
  }

  /**
   * Single-trial betas as raw arrays: `values` (trials x voxels, row-major),
   * the kept trial rows, and the voxel identity. With `sessions`, a Map.
   */
  getBetaMatrix(options: BetasOptions & ModelBetasOptions): Promise<BetaMatrix>;
  /** With a list (`sessions` / `descs`): one result per item, as a Map. */
  getBetaMatrix(
    options: MultiSessionBetasOptions & ModelBetasOptions,
  ): Promise<Map<string, BetaMatrix>>;
  getBetaMatrix(options: AnyBetasOptions): Promise<BetaMatrix | Map<string, BetaMatrix>> {
    return this.#betas.matrix(options);
  }

  /**
   * Single-trial betas as a Polars DataFrame: the trial columns plus a
   * `betas` column of fixed-width Float32 arrays (one row per trial). With
   * `sessions`, a Map keyed by session. For raw arrays use
   * {@linkcode Subject.getBetaMatrix}.
   */
  getBetas(options: BetasOptions & ModelBetasOptions): Promise<DataFrame>;
  /** With a list (`sessions` / `descs`): one result per item, as a Map. */
  getBetas(
    options: MultiSessionBetasOptions & ModelBetasOptions,
  ): Promise<Map<string, DataFrame>>;
  getBetas(options: AnyBetasOptions): Promise<DataFrame | Map<string, DataFrame>> {
    return this.#betas.frame(options);
  }

  /**
   * Several ROIs over several sessions in one pass: each session is read
   * once at the union of the ROIs (one NIfTI decode in a worker, or one set
   * of model-file rows, local or remote), and each ROI's betas come back
   * stacked over the sessions, with a `session` column in `trials`.
   *
   * @example
   * ```ts
   * import { loadSubject } from "@laion/fmri";
   * const sub = await loadSubject("sub-01");
   * const byRoi = await sub.getRoiBetaMatrices({
   *   sessions: ["ses-01", "ses-02"],
   *   rois: { face: "face", ffa1: "FFA1" },
   * });
   * console.log(byRoi.get("ffa1")!.shape); // [trials of both sessions, FFA1 voxels]
   * ```
   */
  getRoiBetaMatrices(options: RoiBetasOptions): Promise<Map<string, BetaMatrix>> {
    return readRoiBetas({
      subjectId: this.subjectId,
      roiMask: (q, o) => this.getRoiMask(q, o),
      resolve: (o) => this.#policy.resolve(o),
      niftiPlan: (o) => this.#betas.plan(o),
      modelPlan: (o, remote) => this.#betas.modelPlan(o, remote),
    }, options);
  }

  /**
   * {@linkcode Subject.getRoiBetaMatrices} as DataFrames: per ROI, the
   * stacked trial columns (with `session`) plus a fixed-width `betas` column.
   *
   * @example
   * ```ts
   * import { loadSubject } from "@laion/fmri";
   * const sub = await loadSubject("sub-01", { betasSource: "remote" });
   * const byRoi = await sub.getRoiBetas({ sessions: [1, 2, 3, 4], rois: ["FFA1"] });
   * console.log(byRoi.get("FFA1")!.height);
   * ```
   */
  async getRoiBetas(options: RoiBetasOptions): Promise<Map<string, DataFrame>> {
    const out = new Map<string, DataFrame>();
    for (const [k, m] of await this.getRoiBetaMatrices(options)) out.set(k, await m.toDataFrame());
    return out;
  }

  /**
   * Noise ceiling (percent, 0-100) over brain voxels, optionally restricted
   * to an ROI query or a mask: per session (`session`) or subject-level
   * (`desc`: `Noiseceiling12rep`, `Noiseceiling4rep`, `NoiseceilingAllrep`).
   */
  getNoiseCeiling(options: NoiseCeilingOptions): Promise<Float32Array>;
  /** With a list (`sessions` / `descs`): one result per item, as a Map. */
  getNoiseCeiling(options: MultiNoiseCeilingOptions): Promise<Map<string, Float32Array>>;
  getNoiseCeiling(
    options: NoiseCeilingOptions | MultiNoiseCeilingOptions,
  ): Promise<Float32Array | Map<string, Float32Array>> {
    return this.#betas.noiseCeiling(options);
  }

  /**
   * Writes values on the voxel axis of a selection (all brain voxels, an ROI
   * query or a mask) as a float32 NIfTI-1 on the subject's grid and
   * affine; other voxels are 0. The extension decides: `.nii.gz` is gzip,
   * `.nii` plain. Written to a temp file, then renamed.
   *
   * @throws {LaionFmriError} when `values.length` is not the number of selected voxels
   * @throws {TypeError} when `path` ends in neither `.nii` nor `.nii.gz`
   */
  async toNifti(
    values: ArrayLike<number>,
    path: string,
    options: VoxelSelection = {},
  ): Promise<void> {
    niftiCompression(path);
    const flat = await this.#betas.selectedFlat(options);
    const grid = await this.#filesOf(options).grid(options.signal);
    await scatterToNifti(values, flat, grid, path, options);
  }

  /**
   * Subject T1w scanner coordinates (mm) of the selected voxels, in the same
   * order as the voxel axis of betas and noise ceilings. (Upstream calls
   * these MNI; they are not.)
   *
   * @returns a flat Float64Array of length `3 * n`, row-major `n x 3`:
   *   voxel `v` is `xyz.subarray(3 * v, 3 * v + 3)` = `[x, y, z]`
   * @example
   * ```ts
   * import { loadSubject } from "@laion/fmri";
   * const xyz = await (await loadSubject("sub-01")).getVoxelCoordinates({ roi: "FFA1" });
   * const n = xyz.length / 3;
   * const [x, y, z] = xyz.subarray(0, 3);
   * ```
   */
  async getVoxelCoordinates(options: VoxelSelection = {}): Promise<Float64Array> {
    const flat = await this.#betas.selectedFlat(options);
    return voxelCoordinates(flat, await this.#filesOf(options).grid(options.signal));
  }

  /**
   * Whether stimulus metadata and images are on disk: the current layout's
   * `task-images_metadata.csv` and `task-images_stimuli.h5`, or the seed
   * layout's `stimuli.tsv` and `images/`. When it is true,
   * {@linkcode readStimulusMetadata} reads that metadata.
   *
   * @example
   * ```ts
   * import { loadSubject } from "@laion/fmri";
   * import { readStimulusMetadata } from "@laion/fmri/stimuli";
   * const sub = await loadSubject("sub-01");
   * if (await sub.hasStimuli()) console.log((await readStimulusMetadata(sub.dataDir)).height);
   * ```
   */
  hasStimuli(options: SignalOptions = {}): Promise<boolean> {
    return stimuliOnDisk(this.dataDir, options.signal);
  }

  /**
   * The number of stimuli (upstream's `get_n_stimuli`): every row of
   * `stimuli/task-images_metadata.csv`, or those whose `unique_or_shared`
   * is `"shared"` / `"unique"`.
   *
   * @throws {InvalidChoiceError} for any other `stimuli`, listing the valid ones
   * @throws {StimuliNotDownloadedError} without the metadata CSV (names the command)
   * @example
   * ```ts
   * import { loadSubject } from "@laion/fmri";
   * const sub = await loadSubject("sub-01");
   * console.log(await sub.getNStimuli(), await sub.getNStimuli("shared"));
   * ```
   */
  getNStimuli(stimuli?: StimulusSet, options: SignalOptions = {}): Promise<number> {
    return countStimuli(this.dataDir, stimuli, options);
  }

  /**
   * The stimulus metadata table, as {@linkcode readStimulusMetadata} reads
   * it on either layout (the current CSV, or the seed's `stimuli.tsv`).
   *
   * @deprecated Use `readStimulusMetadata(sub.dataDir)`, the one metadata
   *   entry point (upstream dropped `get_stimulus_metadata`; its newest
   *   name is `Stimuli.metadata`). Kept as a thin delegate.
   * @throws {StimuliNotDownloadedError} when neither file is on disk
   * @example
   * ```ts
   * import { loadSubject } from "@laion/fmri";
   * import { readStimulusMetadata } from "@laion/fmri/stimuli";
   * const sub = await loadSubject("sub-01");
   * const meta = await readStimulusMetadata(sub.dataDir); // instead of sub.getStimulusMetadata()
   * ```
   */
  getStimulusMetadata(options: SignalOptions = {}): Promise<DataFrame> {
    return readStimulusMetadata(this.dataDir, options);
  }

  /** Whether the anatomical derivatives (`derivatives/anatomical/{sub}/`) are on disk. */
  hasAnatomical(): Promise<boolean> {
    return isDir(this.#files.current.anatomicalDir);
  }

  /**
   * `derivatives/anatomical/{sub}/` (the subject folder).
   * @throws {DataNotDownloadedError} naming `download({ subject, includeAnatomical: true })`
   */
  getAnatomicalDir(options: SignalOptions = {}): Promise<string> {
    return requireDerivativeDir(this.#files, "anatomical", options.signal);
  }

  /** Whether the FreeSurfer recon (`derivatives/freesurfer/{sub}/`) is on disk. */
  hasFreesurfer(): Promise<boolean> {
    return isDir(this.#files.current.freesurferDir);
  }

  /**
   * `derivatives/freesurfer/{sub}/`.
   * @throws {DataNotDownloadedError} naming `download({ subject, includeFreesurfer: true })`
   */
  getFreesurferDir(options: SignalOptions = {}): Promise<string> {
    return requireDerivativeDir(this.#files, "freesurfer", options.signal);
  }

  // Standard space (upstream's templates.py): logic in ./standard_space.ts.

  /**
   * Values in the subject's T1w space to a template (upstream's
   * `to_template`): `"MNI305"` (the recon's `talairach.lta`, nearest
   * neighbour by default, onto TemplateFlow's 172×220×156 grid) or
   * `"fsaverage"` (vol_to_surf on `surf/{lh,rh}.white`, then the
   * `sphere.reg` → fsaverage barycentric resampling; both hemispheres as
   * `{ L, R }` unless `hemi` is given). Input: one value per brain voxel
   * (of `maskSource`), trials × voxels (e.g. a `BetaMatrix`), a volume
   * `{ data, shape }` on the subject grid, or a NIfTI path. NaN counts as 0
   * inside the transform. With `outputDir` the result is also written under
   * upstream's BIDS name (see {@linkcode templateFileName}).
   *
   * @throws {InvalidChoiceError} an unknown target, route, density, hemi or interpolation
   * @throws {RangeError} values that do not match the brain mask or grid
   * @throws {DataNotDownloadedError} no FreeSurfer recon (`download({ subject, includeFreesurfer: true })`)
   * @example
   * ```ts
   * import { loadSubject } from "@laion/fmri";
   * const sub = await loadSubject("sub-01");
   * const nc = await sub.getNoiseCeiling({ session: "ses-01" });
   * const mni = await sub.toTemplate(nc, "MNI305");
   * console.log(mni.shape); // [172, 220, 156]
   * const { L, R } = await sub.toTemplate(nc, "fsaverage", { fsaverageDensity: "fsaverage5" });
   * console.log(L.length, R.length); // 10242 10242
   * ```
   */
  toTemplate<I extends TemplateInput, const O extends TemplateOptions = Record<never, never>>(
    values: I,
    target: "fsaverage",
    options?: O,
  ): Promise<SurfaceOutput<I, O>>;
  /** The MNI305 route: a volume on TemplateFlow's MNI305 grid (172 x 220 x 156, 1 mm). */
  toTemplate(
    values: TemplateInput,
    target: "MNI305",
    options?: TemplateOptions,
  ): Promise<TemplateVolume>;
  toTemplate(
    values: TemplateInput,
    target: TemplateTarget,
    options: TemplateOptions = {},
  ): Promise<unknown> {
    return toTemplate(this.#space(), values, target, options);
  }

  /**
   * {@linkcode Subject.toTemplate} for surface targets only (upstream's
   * `volume_to_surface`); a volume target is an {@linkcode InvalidChoiceError}.
   *
   * @example
   * ```ts
   * import { loadSubject } from "@laion/fmri";
   * const sub = await loadSubject("sub-01");
   * const nc = await sub.getNoiseCeiling({ session: "ses-01" });
   * const left = await sub.volumeToSurface(nc, "fsaverage", { hemi: "L", fsaverageDensity: "fsaverage6" });
   * console.log(left.length); // 40962
   * ```
   */
  volumeToSurface<I extends TemplateInput, const O extends TemplateOptions = Record<never, never>>(
    values: I,
    target: "fsaverage" = "fsaverage",
    options?: O,
  ): Promise<SurfaceOutput<I, O>> {
    return volumeToSurface(this.#space(), values, target, options) as Promise<
      SurfaceOutput<I, O>
    >;
  }

  /**
   * {@linkcode Subject.toTemplate} for volume targets only (upstream's
   * `volume_to_template`); a surface target is an {@linkcode InvalidChoiceError}.
   *
   * @example
   * ```ts
   * import { loadSubject } from "@laion/fmri";
   * const sub = await loadSubject("sub-01");
   * const betas = await sub.getBetaMatrix({ session: "ses-01" });
   * const mni = await sub.volumeToTemplate(betas, "MNI305", { outputDir: "out", session: "ses-01" });
   * console.log(mni.path); // out/sub-01_ses-01_space-MNI305_statmap.nii.gz (streamed)
   * ```
   */
  volumeToTemplate(
    values: TemplateInput,
    target: "MNI305" = "MNI305",
    options: TemplateOptions = {},
  ): Promise<TemplateVolume> {
    return volumeToTemplate(this.#space(), values, target, options);
  }

  /**
   * fsnative maps (one value per vertex of the recon's `sphere.reg`) to
   * fsaverage (upstream's `surface_to_template`): `{ L, R }` in, `{ L, R }`
   * out; a single array needs `hemi`.
   *
   * @throws {TypeError} a single array without `hemi`
   * @throws {RangeError} a map whose length is not the hemisphere's vertex count
   * @example
   * ```ts
   * import { loadSubject } from "@laion/fmri";
   * const sub = await loadSubject("sub-01");
   * const fs5 = await sub.surfaceToTemplate(new Float32Array(140000), "fsaverage", { hemi: "L" });
   * console.log(fs5.length); // 10242
   * ```
   */
  surfaceToTemplate<
    I extends FsnativeInput,
    const O extends SurfaceTemplateOptions = Record<never, never>,
  >(values: I, target: "fsaverage" = "fsaverage", options?: O): Promise<SurfaceOutput<I, O>> {
    return surfaceToTemplate(this.#space(), values, target, options) as Promise<
      SurfaceOutput<I, O>
    >;
  }

  #space(): SubjectSpace {
    return subjectSpace(this, (maskSource) => this.#filesOf({ maskSource }));
  }

  /**
   * The T1w volume (full resolution by default, as upstream; `res: "1pt8"`
   * for the beta grid) as a file handle: `path` and `load()`, like every
   * file accessor here ({@linkcode SubjectFile}).
   * @throws {DataNotDownloadedError} naming `download({ subject, includeAnatomical: true })`
   */
  getT1w(options: AnatomicalFileOptions = {}): Promise<SubjectFile<NiftiVolume>> {
    return anatomicalFile(this.#files, "T1w", options);
  }

  /** The T2w volume, as {@linkcode Subject.getT1w}. */
  getT2w(options: AnatomicalFileOptions = {}): Promise<SubjectFile<NiftiVolume>> {
    return anatomicalFile(this.#files, "T2w", options);
  }

  /** The anatomical brain mask file (full resolution by default), as {@linkcode Subject.getT1w}. */
  getAnatomicalBrainMask(options: AnatomicalFileOptions = {}): Promise<SubjectFile<NiftiVolume>> {
    return anatomicalFile(this.#files, "mask", options);
  }

  /**
   * A localizer map (z map of a contrast, or with `run` a per-run effect
   * map) as a file handle: `space: "T1w"` loads a volume (`res` `1pt5` by
   * default), fsnative (with `hemi`) one value per vertex.
   * @throws {DataNotDownloadedError} naming `download({ subject, includeLocalizers: true })`
   * @example
   * ```ts
   * import { loadSubject } from "@laion/fmri";
   * const sub = await loadSubject("sub-01");
   * const map = await sub.getLocalizerMap({ task: "floc", contrast: "faceVsOthers", space: "T1w" });
   * const { data, shape } = await map.load();
   * ```
   */
  getLocalizerMap(q: LocalizerMapQuery & { space: "T1w" }): Promise<SubjectFile<NiftiVolume>>;
  /** An fsnative map (the default space, with `hemi`): one value per vertex. */
  getLocalizerMap(q: LocalizerMapQuery): Promise<SubjectFile<Float32Array>>;
  getLocalizerMap(
    q: LocalizerMapQuery,
  ): Promise<SubjectFile<NiftiVolume> | SubjectFile<Float32Array>> {
    return localizerMapFile(this.#files.current, q);
  }

  /** @deprecated Use `(await sub.getLocalizerMap(query)).path`. */
  async getLocalizerMapPath(query: LocalizerMapQuery): Promise<string> {
    return (await this.getLocalizerMap(query)).path;
  }

  /** @deprecated Use `(await sub.getLocalizerMap({ ...query, space: "T1w" })).load()`. */
  async readLocalizerVolume(q: Omit<LocalizerMapQuery, "space" | "hemi">): Promise<NiftiVolume> {
    return (await this.getLocalizerMap({ ...q, space: "T1w" })).load(q);
  }

  /** @deprecated Use `(await sub.getLocalizerMap({ ...query, space: "fsnative" })).load()`. */
  async readLocalizerSurface(
    q: Omit<LocalizerMapQuery, "space" | "res"> & { hemi: "L" | "R" },
  ): Promise<Float32Array> {
    return (await this.getLocalizerMap({ ...q, space: "fsnative" })).load(q);
  }

  /** Whether raw BIDS data (of one session, or of any) is on disk. */
  hasRaw(options: { session?: SessionId } = {}): Promise<boolean> {
    return hasRaw(this.#files.current, options.session);
  }

  /**
   * The raw events table of a run, or of every run of the session (with a
   * leading `run` column) without `run`.
   * @throws {DataNotDownloadedError} naming `downloadRaw(...)` / `laion-fmri download-raw`
   */
  getEvents(
    options: { session: SessionId; run?: number | string } & SignalOptions,
  ): Promise<DataFrame> {
    return readEvents(this.#files.current, options);
  }

  /**
   * The raw BOLD file of a run (echo 1, part `mag` by default) as a file
   * handle; `load({ volume })` reads one time point.
   * @throws {DataNotDownloadedError} naming `downloadRaw(...)` / `laion-fmri download-raw`
   */
  getRawBold(q: RawRunQuery): Promise<SubjectFile<NiftiVolume, RawLoadOptions>> {
    return rawRunFile(this.#files.current, "bold", q);
  }

  /** The single-band reference of a run, as {@linkcode Subject.getRawBold}. */
  getSbref(q: RawRunQuery): Promise<SubjectFile<NiftiVolume, RawLoadOptions>> {
    return rawRunFile(this.#files.current, "sbref", q);
  }

  /** @deprecated Use `(await sub.getRawBold(query)).path`. */
  async getRawBoldPath(q: RawRunQuery): Promise<string> {
    return (await this.getRawBold(q)).path;
  }

  /** @deprecated Use `(await sub.getSbref(query)).path`. */
  async getSbrefPath(q: RawRunQuery): Promise<string> {
    return (await this.getSbref(q)).path;
  }

  /**
   * The volumetric mask file of one ROI at `res` (`"1pt8"`, the beta grid,
   * or `"1pt5"`, the localizer grid) as a file handle; `load()` reads the
   * mask over that grid with its shape and affine.
   * @throws {UnknownRoiError} for an unknown ROI; {@linkcode DataNotDownloadedError} when missing
   */
  getRoiMaskFile(roi: string, options: RoiResOptions = {}): Promise<SubjectFile<RoiVolume>> {
    return roiMaskFile(this.#files, roi, options);
  }

  /** @deprecated Use `(await sub.getRoiMaskFile(roi, { res })).path`. */
  async getRoiMaskPath(roi: string, options: RoiResOptions = {}): Promise<string> {
    return (await this.getRoiMaskFile(roi, options)).path;
  }

  /**
   * The union of the ROIs a query resolves to at `res`, over that grid
   * (not the brain axis: `res-1pt5` is another grid), with its shape and
   * affine. A read over several files, like {@linkcode Subject.getRoiMask};
   * one ROI's file is {@linkcode Subject.getRoiMaskFile}.
   */
  async getRoiVolume(query: RoiQuery, options: RoiResOptions = {}): Promise<RoiVolume> {
    return readRoiVolume(this.#files, await this.resolveRois(query, options), options);
  }

  /** A one-line summary: `Subject(sub-01, /data)`. */
  toString(): string {
    return `Subject(${this.subjectId}, ${this.dataDir})`;
  }

  /** A short one-line summary for `console.log`. */
  [CUSTOM_INSPECT](): string {
    return this.toString();
  }

  /** Rich display in Jupyter notebooks (HTML and text). */
  [JUPYTER_DISPLAY](): DisplayBundle {
    return summaryBundle(this.toString());
  }
}

/**
 * The betas reader behind a Subject (for the training dataset; not re-exported).
 *
 * @throws {TypeError} for anything but a Subject from `loadSubject`
 * @example
 * ```ts
 * import { loadSubject } from "@laion/fmri";
 * import { subjectBetasReader } from "./subject.ts";
 * const reader = subjectBetasReader(await loadSubject("sub-01"));
 * ```
 */
export function subjectBetasReader(sub: Subject): BetasReader {
  if (!(sub instanceof Subject)) {
    throw new TypeError("openTrainingDataset takes a Subject: await loadSubject(id).");
  }
  return readerOf(sub);
}

/**
 * Opens a downloaded subject (`"sub-01"` or `"01"`).
 *
 * @throws {SubjectNotFoundError} for an id that is not a subject id
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
  options.signal?.throwIfAborted();
  const policy = new BetasSourcePolicy(id, dataDir, options.betasSource ?? "nifti", {
    ...options.remote,
  });
  // The model files' rows are the anatomical mask's voxels: remote reads default to that axis.
  const maskSource = options.maskSource === undefined
    ? (policy.isRemote ? "anatomical" : await defaultMaskSource(dataDir, id))
    : checkMaskSource(options.maskSource);
  const sub = construct(id, dataDir, options.nanInMask ?? true, maskSource, policy);
  if (policy.isRemote) {
    if ((await policy.bucketSessions(options.signal)).length === 0) {
      throw new SubjectNotFoundError(
        `The bucket lists no public sessions of ${id} (under ${GLMSINGLE_PREFIX}${id}/).`,
      );
    }
    return sub;
  }
  await requireSubjectDir(id, sub.paths.glmsingleDir);
  return sub;
}

/**
 * Per-trial views of the stimulus side (upstream's `sub.images`,
 * `sub.embeddings`, `sub.captions`, `sub.segmentations`): a trial index
 * (global, in `[-n, n)`, the row of `getMetadata()`) resolves to the
 * trial's image name, which the stimulus-side class is asked about. Only
 * `images` needs the gated images file; embeddings, captions and
 * segmentations read their public files alone. Images repeated across
 * trials are read once per call.
 * @module
 */
import { checkSession, type SessionId } from "../core/ids.ts";
import type { DataFrame } from "../frames/polars.ts";
import { type Captions, type CaptionSource, loadCaptions } from "../stimuli/captions.ts";
import { resolveIndex } from "../stimuli/csv.ts";
import {
  type EmbeddingArray,
  type EmbeddingDtype,
  type EmbeddingMatrix,
  type Embeddings,
  loadEmbeddings,
  modelsOnDisk,
} from "../stimuli/embeddings.ts";
import type { StimulusImage } from "../stimuli/image.ts";
import type { EmbeddingModel } from "../stimuli/paths.ts";
import { loadSegmentations, type Mask, type Segmentations } from "../stimuli/segmentations.ts";
import { type ImageBatch, loadStimuli, type Stimuli } from "../stimuli/stimuli.ts";
import type { TrialNames } from "./trial_metadata.ts";

/** Options selecting trials: one session's, or all. */
export interface TrialSelection {
  /**
   * Only this session's trials, in their order: `"ses-02"`, `"ses-2"`,
   * `"02"`, `"2"` or `2`, as `getBetas` accepts. A session the subject's
   * trials do not have (unknown or held out) is an error that lists them.
   * @default every session
   */
  session?: SessionId;
  /** Cancels the reads. */
  signal?: AbortSignal;
}

/** Shared, lazily opened stimulus-side handles of one subject. */
export class TrialStimuliContext {
  readonly #dataDir: string;
  readonly #names: (signal?: AbortSignal) => Promise<TrialNames>;
  readonly #subjectId: string;
  #stimuli?: Promise<Stimuli>;
  #captions?: Promise<Captions>;
  #segmentations?: Promise<Segmentations>;
  readonly #embeddings = new Map<string, Promise<Embeddings>>();

  /**
   * @param names the subject's (cached) trial names
   * @param subjectId the subject, named in errors
   */
  constructor(
    dataDir: string,
    names: (signal?: AbortSignal) => Promise<TrialNames>,
    subjectId = "the subject",
  ) {
    this.#dataDir = dataDir;
    this.#names = names;
    this.#subjectId = subjectId;
  }

  /**
   * Image names of the selected trials.
   * @throws {UnknownSessionError} / {HeldOutSessionError} for a session the trials do not have
   */
  async names(options: TrialSelection = {}): Promise<string[]> {
    const t = await this.#names(options.signal);
    if (options.session === undefined) return t.names;
    const valid = t.tables.map((x) => x.session);
    const session = checkSession(options.session, valid, `of ${this.#subjectId}'s trials`);
    return t.names.filter((_, i) => t.sessions[i] === session);
  }

  /** The image name of global trial `trial` (negative counts from the end). */
  async nameOf(trial: number, signal?: AbortSignal): Promise<string> {
    const { names } = await this.#names(signal);
    return names[resolveIndex(trial, names.length, "Trial index")];
  }

  #once<T>(
    get: () => Promise<T> | undefined,
    set: (p: Promise<T> | undefined) => void,
    load: () => Promise<T>,
  ) {
    let p = get();
    if (!p) {
      p = load();
      set(p);
      p.catch(() => set(undefined));
    }
    return p;
  }

  /** The images (gated file). */
  stimuli(): Promise<Stimuli> {
    return this.#once(
      () => this.#stimuli,
      (p) => this.#stimuli = p,
      () => loadStimuli({ dataDir: this.#dataDir }),
    );
  }

  /** The captions (public file). */
  captions(): Promise<Captions> {
    return this.#once(
      () => this.#captions,
      (p) => this.#captions = p,
      () => loadCaptions({ dataDir: this.#dataDir }),
    );
  }

  /** The segmentations (public files). */
  segmentations(): Promise<Segmentations> {
    return this.#once(
      () => this.#segmentations,
      (p) => this.#segmentations = p,
      () => loadSegmentations({ dataDir: this.#dataDir }),
    );
  }

  /** One model's embeddings (public file). */
  embeddings(model: EmbeddingModel): Promise<Embeddings> {
    return this.#once(
      () => this.#embeddings.get(model),
      (p) => p ? this.#embeddings.set(model, p) : this.#embeddings.delete(model),
      () => loadEmbeddings({ dataDir: this.#dataDir, models: [model] }),
    );
  }

  /** Models whose embedding file is on disk. */
  modelsOnDisk(): Promise<EmbeddingModel[]> {
    return modelsOnDisk(this.#dataDir);
  }
}

/**
 * A subject's trials' images (`sub.images`).
 *
 * @example
 * ```ts
 * import { loadSubject } from "@laion/fmri";
 * const sub = await loadSubject("sub-01");
 * const img = await sub.images.get(0); // trial 0's image, RGB on grey
 * const batch = await sub.images.array({ session: "ses-01", trials: [0, 1, 2] });
 * ```
 */
export class TrialImages {
  readonly #ctx: TrialStimuliContext;
  /** Created by Subject. */
  constructor(ctx: TrialStimuliContext) {
    this.#ctx = ctx;
  }

  /** Image names of the selected trials, in trial order. */
  names(options: TrialSelection = {}): Promise<string[]> {
    return this.#ctx.names(options).then((n) => [...n]);
  }

  /** Number of trials (of one session, or all). */
  async count(options: TrialSelection = {}): Promise<number> {
    return (await this.#ctx.names(options)).length;
  }

  /** Encoded bytes of a trial's image. */
  async bytes(trial: number, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const name = await this.#ctx.nameOf(trial, options.signal);
    return (await this.#ctx.stimuli()).images.bytes(name, options);
  }

  /** A trial's image decoded (RGB on grey; RGBA with `asDisplayed: false` when it has alpha). */
  async get(
    trial: number,
    options: { asDisplayed?: boolean; signal?: AbortSignal } = {},
  ): Promise<StimulusImage> {
    const name = await this.#ctx.nameOf(trial, options.signal);
    return (await this.#ctx.stimuli()).images.get(name, options);
  }

  /**
   * The selected trials' images as one `[n, H, W, 3]` array (as displayed).
   * `trials` picks positions within the selection (negative from the end) —
   * a whole session of 1000×1000 images is about 3 GB.
   */
  async array(
    options: TrialSelection & { trials?: readonly number[] } = {},
  ): Promise<ImageBatch> {
    const all = await this.#ctx.names(options);
    const names = options.trials
      ? options.trials.map((t) => all[resolveIndex(t, all.length, "Trial index")])
      : all;
    return (await this.#ctx.stimuli()).images.array(names, options);
  }
}

/**
 * A subject's trials' embeddings (`sub.embeddings`), rows in trial order.
 *
 * @example
 * ```ts
 * import { loadSubject } from "@laion/fmri";
 * const sub = await loadSubject("sub-01");
 * const { data, rows, cols } = await sub.embeddings.all("CLIP", { session: "ses-01" });
 * ```
 */
export class TrialEmbeddings {
  readonly #ctx: TrialStimuliContext;
  /** Created by Subject. */
  constructor(ctx: TrialStimuliContext) {
    this.#ctx = ctx;
  }

  /** Models whose embedding file is on disk. */
  models(): Promise<EmbeddingModel[]> {
    return this.#ctx.modelsOnDisk();
  }

  /** One trial's embedding. */
  async get<D extends EmbeddingDtype = "float32">(
    model: EmbeddingModel,
    trial: number,
    options: { dtype?: D; signal?: AbortSignal } = {},
  ): Promise<EmbeddingArray<D>> {
    const name = await this.#ctx.nameOf(trial, options.signal);
    return (await this.#ctx.embeddings(model)).get(model, name, options);
  }

  /** Every selected trial's embedding, one row per trial (repeated images repeat). */
  async all<D extends EmbeddingDtype = "float32">(
    model: EmbeddingModel,
    options: TrialSelection & { dtype?: D } = {},
  ): Promise<EmbeddingMatrix<D>> {
    const names = await this.#ctx.names(options);
    return (await this.#ctx.embeddings(model)).get(model, names, options);
  }
}

/**
 * A subject's trials' captions (`sub.captions`).
 *
 * @example
 * ```ts
 * import { loadSubject } from "@laion/fmri";
 * const sub = await loadSubject("sub-01");
 * console.log(await sub.captions.human(0, { limit: 1 }), await sub.captions.ai(0));
 * ```
 */
export class TrialCaptions {
  readonly #ctx: TrialStimuliContext;
  /** Created by Subject. */
  constructor(ctx: TrialStimuliContext) {
    this.#ctx = ctx;
  }

  async #on<T>(trial: number, f: (c: Captions, name: string) => T | Promise<T>): Promise<T> {
    const name = await this.#ctx.nameOf(trial);
    return f(await this.#ctx.captions(), name);
  }

  /** Captions of a trial's image in `caption_idx` order (one source or both). */
  list(trial: number, options: { source?: CaptionSource } = {}): Promise<string[]> {
    return this.#on(trial, (c, n) => c.list(n, options));
  }

  /** Human captions in rank order (the first `limit`). */
  human(trial: number, options: { limit?: number } = {}): Promise<string[]> {
    return this.#on(trial, (c, n) => c.human(n, options));
  }

  /** The AI caption, or null. */
  ai(trial: number): Promise<string | null> {
    return this.#on(trial, (c, n) => c.ai(n));
  }

  /** The caption rows of a trial's image, sorted by `caption_idx`. */
  forImage(trial: number): Promise<DataFrame> {
    return this.#on(trial, (c, n) => c.get(n));
  }
}

/**
 * A subject's trials' segmentation masks (`sub.segmentations`; shared images only).
 *
 * @example
 * ```ts
 * import { loadSubject } from "@laion/fmri";
 * const sub = await loadSubject("sub-01");
 * if (await sub.segmentations.hasImage(5)) console.log(await sub.segmentations.nouns(5));
 * ```
 */
export class TrialSegmentations {
  readonly #ctx: TrialStimuliContext;
  /** Created by Subject. */
  constructor(ctx: TrialStimuliContext) {
    this.#ctx = ctx;
  }

  async #on<T>(trial: number, f: (s: Segmentations, name: string) => T | Promise<T>): Promise<T> {
    const name = await this.#ctx.nameOf(trial);
    return f(await this.#ctx.segmentations(), name);
  }

  /** Whether the trial's image has masks. */
  hasImage(trial: number): Promise<boolean> {
    return this.#on(trial, (s, n) => s.hasImage(n));
  }

  /** Nouns of the trial's image (localized ones by default). */
  nouns(trial: number, options: { localizedOnly?: boolean } = {}): Promise<string[]> {
    return this.#on(trial, (s, n) => s.nouns(n, options));
  }

  /** The mask rows of the trial's image. */
  forImage(trial: number): Promise<DataFrame> {
    return this.#on(trial, (s, n) => s.forImage(n));
  }

  /** One noun's mask (instance 0 = highest score). */
  get(trial: number, noun: string, options: { instance?: number } = {}): Promise<Mask> {
    return this.#on(trial, (s, n) => s.get(n, noun, options));
  }
}

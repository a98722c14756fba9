/**
 * Several subjects at once, with betas aligned by shared stimulus.
 * @module
 */
import type { DataFrame } from "../frames/polars.ts";
import { resolveSessionId, type SessionId } from "../core/ids.ts";
import { InvalidChoiceError, LaionFmriError } from "../core/errors.ts";
import { loadPolars } from "../frames/polars.ts";
import { type ImageBatch, loadStimuli, readStimulusMetadata } from "../stimuli/stimuli.ts";
import type { StimulusImage } from "../stimuli/image.ts";
import { getSubjects } from "../bucket/discovery.ts";
import type { BucketOptions } from "../bucket/cached_source.ts";
import { loadFrames, variableWidthColumnWith } from "../frames/betas_frame.ts";
import {
  CUSTOM_INSPECT,
  type DisplayBundle,
  JUPYTER_DISPLAY,
  summaryBundle,
} from "../core/display.ts";
import type { RoiQuery } from "./roi_grammar.ts";
import type { MaskSource } from "./mask_source.ts";
import { loadSubject, type LoadSubjectOptions, type Subject } from "./subject.ts";

/** Options of {@linkcode Group.getSharedBetas}. */
export interface SharedBetasOptions {
  /** Sessions to use. @default every session each subject has on disk */
  sessions?: readonly SessionId[];
  /** ROI query applied to every subject. */
  roi?: RoiQuery;
  /** Per-subject masks over brain voxels, keyed by subject id (exclusive with `roi`). */
  mask?: Record<string, ArrayLike<number | boolean>>;
  /** Per-session noise-ceiling threshold in percent (see `Subject.getBetas`). */
  ncThreshold?: number;
  /**
   * The brain mask of every subject's voxel axis (`mask` is over it).
   * @default each subject's (see `loadSubject`)
   */
  maskSource?: MaskSource;
  /** Cancels file reads. */
  signal?: AbortSignal;
}

/** The forms of {@linkcode Group.getSharedImages}: decoded images, or one `[n, H, W, 3]` array. */
export const SHARED_IMAGE_FORMATS = ["images", "array"] as const;

/** Options of {@linkcode Group.getSharedImages}. */
export interface SharedImagesOptions {
  /**
   * `"images"` (one `StimulusImage` per shared stimulus; upstream's `"pil"`)
   * or `"array"` (one `[n, H, W, 3]` uint8 batch; upstream's `"numpy"`).
   * @default "images"
   */
  format?: (typeof SHARED_IMAGE_FORMATS)[number];
  /**
   * RGB composited on the presentation grey (128, 128, 128) (`true`), or
   * the file's own bands (`false`, `"images"` only; PNGs with alpha stay RGBA).
   * @default true
   */
  asDisplayed?: boolean;
  /** Cancels the reads and decoding. */
  signal?: AbortSignal;
}

/** One subject's part of {@linkcode SharedBetas}. */
export interface SubjectShared {
  /** Row-major `labels.length x nVoxels`. */
  values: Float32Array;
  /** Voxels (columns) of this subject. */
  nVoxels: number;
  /** Repetitions averaged into each row. */
  repetitions: Int32Array;
}

let constructShared: (labels: string[], subjects: Map<string, SubjectShared>) => SharedBetas;

/**
 * Betas of the stimuli every subject saw: row `i` is the same stimulus
 * (`labels[i]`) for every subject. Returned by `Group.getSharedBetas`; not
 * constructible by callers.
 *
 * @example
 * ```ts
 * import { loadSubjects } from "@laion/fmri";
 * const shared = await (await loadSubjects(["sub-01", "sub-03"])).getSharedBetas({ roi: "FFA1" });
 * console.log(String(shared));
 * ```
 */
export class SharedBetas {
  /** Sorted shared stimulus labels (the rows). */
  readonly labels: string[];
  /** Per subject id, in sorted id order. */
  readonly subjects: Map<string, SubjectShared>;

  static {
    constructShared = (labels, subjects) => new SharedBetas(labels, subjects);
  }

  private constructor(labels: string[], subjects: Map<string, SubjectShared>) {
    this.labels = labels;
    this.subjects = subjects;
  }

  /**
   * All subjects stacked: columns `subject`, `label`, `repetitions` and
   * `betas` (a list of Float32; widths differ between subjects).
   */
  async toDataFrame(): Promise<DataFrame> {
    const f = await loadFrames();
    const { pl } = f;
    const n = this.labels.length;
    const parts: DataFrame[] = [];
    for (const [id, s] of this.subjects) {
      const offsets = Int32Array.from({ length: n + 1 }, (_, r) => r * s.nVoxels);
      parts.push(
        pl.DataFrame([
          pl.Series("subject", new Array(n).fill(id)),
          pl.Series("label", this.labels),
          pl.Series("repetitions", s.repetitions),
          variableWidthColumnWith(f, "betas", s.values, offsets).getColumn("betas"),
        ]),
      );
    }
    return parts.length === 1 ? parts[0] : pl.concat(parts, { how: "vertical", rechunk: false });
  }

  /** A one-line summary: the number of shared stimuli and each subject's voxels. */
  toString(): string {
    const parts = [...this.subjects].map(([id, s]) => `${id}: ${s.nVoxels} voxels`).join(", ");
    return `SharedBetas(${this.labels.length} shared stimuli; ${parts})`;
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

/** Shared-stimulus trials of one subject, not averaged. */
export interface SharedTrials {
  /** Label of each row. */
  labels: string[];
  /** Session of each row. */
  sessions: string[];
  /** Row-major `labels.length x nVoxels`. */
  values: Float32Array;
  /** Voxels (columns). */
  nVoxels: number;
}

/**
 * A lightweight set of subjects: nothing is read until asked. Iterates in
 * sorted id order as `[id, subject]`.
 *
 * @example
 * ```ts
 * import { loadSubjects } from "@laion/fmri";
 * const group = await loadSubjects(["sub-01", "sub-03"]);
 * const shared = await group.getSharedBetas({ roi: "FFA1" });
 * console.log(shared.labels.length);
 * ```
 */
export class Group {
  readonly #subjects: Map<string, Subject>;

  /** Creates an instance. @param subjects the subjects (any order; kept sorted by id) */
  constructor(subjects: Iterable<Subject>) {
    const sorted = [...subjects].sort((a, b) => a.subjectId < b.subjectId ? -1 : 1);
    this.#subjects = new Map(sorted.map((s) => [s.subjectId, s]));
  }

  /** Number of subjects. */
  get size(): number {
    return this.#subjects.size;
  }

  /** Sorted subject ids. */
  get ids(): string[] {
    return [...this.#subjects.keys()];
  }

  /** `[id, subject]` pairs in sorted id order. */
  [Symbol.iterator](): IterableIterator<[string, Subject]> {
    return this.#subjects.entries();
  }

  /**
   * A subject by id (`"sub-01"`) or by position in sorted order.
   * @throws {LaionFmriError} for an unknown id or a position out of range
   */
  get(key: string | number): Subject {
    if (typeof key === "number") {
      const ids = this.ids;
      if (!Number.isInteger(key) || key < -ids.length || key >= ids.length) {
        throw new LaionFmriError(`Position ${key} is out of range for a group of ${ids.length}.`);
      }
      return this.#subjects.get(ids.at(key)!)!;
    }
    if (typeof key !== "string") {
      throw new TypeError(`Group keys are ids or positions, got ${typeof key}`);
    }
    const sub = this.#subjects.get(key);
    if (!sub) {
      throw new LaionFmriError(`Subject '${key}' not in group. Members: ${this.ids.join(", ")}`);
    }
    return sub;
  }

  /** Shared-stimulus trials of each subject, unaveraged, with their labels. */
  async getSharedTrials(options: SharedBetasOptions = {}): Promise<Map<string, SharedTrials>> {
    const out = new Map<string, SharedTrials>();
    for (const [id, sub] of this) {
      const sessions = options.sessions?.map(resolveSessionId) ??
        await sub.getSessions({ signal: options.signal });
      const parts: { values: Float32Array; labels: string[]; session: string }[] = [];
      let nVoxels = 0;
      for (const session of sessions) {
        const m = await sub.getBetaMatrix({
          session,
          roi: options.roi,
          mask: options.mask?.[id],
          ncThreshold: options.ncThreshold,
          maskSource: options.maskSource,
          stimuli: "shared",
          signal: options.signal,
        });
        if (parts.length > 0 && m.shape[1] !== nVoxels) {
          throw new LaionFmriError(
            `${id}: ${session} selects ${m.shape[1]} voxels but earlier sessions ${nVoxels}; ` +
              `ncThreshold differs per session, so align with roi or mask instead.`,
          );
        }
        nVoxels = m.shape[1];
        parts.push({
          values: m.values,
          labels: m.trials.getColumn("label").toArray() as string[],
          session,
        });
      }
      const rows = parts.reduce((a, p) => a + p.labels.length, 0);
      const values = new Float32Array(rows * nVoxels);
      const labels: string[] = [], sess: string[] = [];
      for (const p of parts) {
        values.set(p.values, labels.length * nVoxels);
        labels.push(...p.labels);
        sess.push(...p.labels.map(() => p.session));
      }
      out.set(id, { labels, sessions: sess, values, nVoxels });
    }
    return out;
  }

  /**
   * Betas aligned across subjects: the shared stimuli that every subject has
   * on disk in the chosen sessions, sorted, each row the mean over that
   * stimulus's repetitions (NaN stays NaN).
   */
  async getSharedBetas(options: SharedBetasOptions = {}): Promise<SharedBetas> {
    const trials = await this.getSharedTrials(options);
    let common: Set<string> | undefined;
    for (const t of trials.values()) {
      const mine = new Set(t.labels);
      common = common ? new Set([...common].filter((l) => mine.has(l))) : mine;
    }
    const labels = [...(common ?? [])].sort();
    const row = new Map(labels.map((l, i) => [l, i]));
    const subjects = new Map<string, SubjectShared>();
    for (const [id, t] of trials) {
      const n = t.nVoxels;
      const values = new Float32Array(labels.length * n);
      const sums = new Float64Array(labels.length * n);
      const reps = new Int32Array(labels.length);
      t.labels.forEach((label, r) => {
        const i = row.get(label);
        if (i === undefined) return;
        reps[i]++;
        const src = t.values.subarray(r * n, (r + 1) * n);
        for (let c = 0; c < n; c++) sums[i * n + c] += src[c];
      });
      for (let i = 0; i < labels.length; i++) {
        for (let c = 0; c < n; c++) values[i * n + c] = sums[i * n + c] / reps[i];
      }
      subjects.set(id, { values, nVoxels: n, repetitions: reps });
    }
    return constructShared(labels, subjects);
  }

  /** The data directory of the first subject in sorted order (upstream's rule). */
  #dataDir(): string {
    const first = this.#subjects.values().next().value;
    if (!first) throw new LaionFmriError("The group has no subjects: loadSubjects([...ids]).");
    return first.dataDir;
  }

  /**
   * The rows of the stimulus metadata whose `unique_or_shared` is
   * `"shared"`, in metadata order (upstream's
   * `get_shared_stimulus_metadata`), read from the first subject's data
   * directory.
   *
   * @throws {StimuliNotDownloadedError} without the metadata (names `laion-fmri download-stimuli`)
   * @example
   * ```ts
   * import { loadSubjects } from "@laion/fmri";
   * const group = await loadSubjects(["sub-01", "sub-03"]);
   * const shared = await group.getSharedStimulusMetadata();
   * console.log(shared.height, shared.getColumn("image_name").head(3).toArray());
   * ```
   */
  async getSharedStimulusMetadata(options: { signal?: AbortSignal } = {}): Promise<DataFrame> {
    return sharedRows(await readStimulusMetadata(this.#dataDir(), options));
  }

  /**
   * The images of the shared stimuli, in the order of
   * {@linkcode Group.getSharedStimulusMetadata}: decoded images
   * (`format: "images"`, composited on grey unless `asDisplayed: false`) or
   * one `[n, H, W, 3]` uint8 array composited on grey (`format: "array"`;
   * about 3 MB per 1000×1000 image). The format is checked before anything
   * is read.
   *
   * @throws {InvalidChoiceError} for an unknown `format`, before any image is decoded
   * @throws {StimuliNotDownloadedError} without the gated images file (names the command)
   * @example
   * ```ts
   * import { loadSubjects } from "@laion/fmri";
   * const group = await loadSubjects(["sub-01", "sub-03"]);
   * const images = await group.getSharedImages(); // StimulusImage[], RGB on grey
   * const batch = await group.getSharedImages({ format: "array" });
   * console.log(images.length, batch.shape);
   * ```
   */
  getSharedImages(
    options?: SharedImagesOptions & { format?: "images" },
  ): Promise<StimulusImage[]>;
  /** `format: "array"`: one `[n, H, W, 3]` uint8 batch, composited on grey. */
  getSharedImages(options: SharedImagesOptions & { format: "array" }): Promise<ImageBatch>;
  async getSharedImages(
    options: SharedImagesOptions = {},
  ): Promise<StimulusImage[] | ImageBatch> {
    const format = options.format ?? "images";
    if (!(SHARED_IMAGE_FORMATS as readonly string[]).includes(format)) {
      throw new InvalidChoiceError(
        "format",
        format,
        SHARED_IMAGE_FORMATS,
        'Upstream\'s "pil" is "images" and "numpy" is "array": group.getSharedImages({ format: "array" }).',
      );
    }
    if (format === "array" && options.asDisplayed === false) {
      throw new RangeError(
        'format "array" is always composited on grey; use format "images" with asDisplayed: false.',
      );
    }
    const { signal } = options;
    // The metadata is read once, by loadStimuli: the shared rows are taken from it.
    using stim = await loadStimuli({ dataDir: this.#dataDir(), signal });
    const names = (await sharedRows(stim.metadata)).getColumn("image_name").toArray() as string[];
    if (format === "array") return await stim.images.array(names, { signal });
    const out: StimulusImage[] = [];
    for (const name of names) {
      out.push(await stim.images.get(name, { asDisplayed: options.asDisplayed, signal }));
    }
    return out;
  }

  /** A one-line summary: `Group(sub-01, sub-03)`. */
  toString(): string {
    return `Group(${this.ids.join(", ")})`;
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

/** The rows of the stimulus metadata that every subject saw (`unique_or_shared` is `shared`). */
async function sharedRows(meta: DataFrame): Promise<DataFrame> {
  const pl = await loadPolars();
  return meta.filter(pl.col("unique_or_shared").eq(pl.lit("shared")));
}

/**
 * Opens several downloaded subjects; `"all"` means every subject in the
 * bucket (discovered from S3). Each id goes through {@linkcode loadSubject},
 * so missing data raises `DataNotDownloadedError`.
 *
 * @example
 * ```ts
 * import { loadSubjects } from "@laion/fmri";
 * const group = await loadSubjects("all");
 * for (const [id, sub] of group) console.log(id, await sub.getSessions());
 * ```
 */
export async function loadSubjects(
  ids: readonly string[] | "all",
  options: LoadSubjectOptions & BucketOptions = {},
): Promise<Group> {
  const list = ids === "all" ? await getSubjects(options) : ids;
  const subjects: Subject[] = [];
  for (const id of list) subjects.push(await loadSubject(id, options));
  return new Group(subjects);
}

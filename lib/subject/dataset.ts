/**
 * A training dataset for JavaScript training loops (upstream's
 * `LaionFMRIDataset`, upstream-era-c.md §6): one session's trials as items
 * `{ betas, image, imageName, session, repIndex }`, the image as CHW
 * float32 in [0, 1] composited on the presentation grey. Iterated as an
 * async iterable of items or of batches, in order or shuffled with a seed,
 * with a bounded number of items in flight.
 *
 * Memory does not grow with the session: the selected betas stream once
 * through the decoder into a temporary file of float32 rows (one chunk in
 * memory), and each item reads its row back; images are decoded per item.
 * @module
 */
import { open as openFile } from "node:fs/promises";
import { join } from "node:path";
import { InvalidChoiceError, LaionFmriError } from "../core/errors.ts";
import { resolveSessionId, type SessionId } from "../core/ids.ts";
import type { StimulusImage } from "../stimuli/image.ts";
import { loadStimuli, type Stimuli } from "../stimuli/stimuli.ts";
import type { ModelBetasOptions } from "./model_betas.ts";
import { trialImageNames } from "./trial_metadata.ts";
import type { VoxelSelection } from "./voxel_selection.ts";
import { type Subject, subjectBetasReader } from "./subject.ts";

/** An image as a tensor: `data` is `shape` = `[channels, height, width]`, C order. */
export interface ImageTensor {
  /** `channels * height * width` values. */
  data: Float32Array;
  /** `[channels, height, width]`. */
  shape: [number, number, number];
}

/** What identifies an item besides its values (handed to the image transform). */
export interface TrainingItemInfo {
  /** The trial's position in the session (its betas volume). */
  trial: number;
  /** The image name (`image_name` of the metadata). */
  imageName: string;
  /** The session (`ses-NN`). */
  session: string;
  /** How often this image was shown earlier in the session (0 first). */
  repIndex: number;
}

/** One trial: upstream's item fields in camelCase, plus `trial`. */
export interface TrainingItem extends TrainingItemInfo {
  /** The trial's betas at the selected voxels. */
  betas: Float32Array;
  /** The image, CHW float32 in [0, 1] on grey (after the transform, if any). */
  image: ImageTensor;
}

/** Several items stacked (the last batch may be smaller). */
export interface TrainingBatch {
  /** Row-major `[n, nVoxels]`. */
  betas: Float32Array;
  /** `[n, nVoxels]`. */
  betasShape: [number, number];
  /** `[n, channels, height, width]`, C order. */
  images: Float32Array;
  /** `[n, channels, height, width]`. */
  imageShape: [number, number, number, number];
  /** Per item. */
  trials: Int32Array;
  /** Per item. */
  imageNames: string[];
  /** Per item. */
  sessions: string[];
  /** Per item. */
  repIndices: Int32Array;
}

/**
 * Turns an item's image into what the model takes (resize, crop,
 * normalize, …). Called once per item, on the CHW float32 image in [0, 1].
 */
export type ImageTransform = (
  image: ImageTensor,
  info: TrainingItemInfo,
) => ImageTensor | Promise<ImageTensor>;

/** Options of {@linkcode openTrainingDataset}. */
export interface TrainingDatasetOptions
  extends Omit<VoxelSelection, "signal">, Pick<ModelBetasOptions, "betasSource"> {
  /** The session: `"ses-01"`, `"1"` or `1`. */
  session: SessionId;
  /** Keep voxels whose per-session noise ceiling is at least this value (percent). */
  ncThreshold?: number;
  /** Applied to each image once. @default none (CHW float32 in [0, 1]) */
  imageTransform?: ImageTransform;
  /**
   * The folder of the temporary betas file (removed by `close()`).
   * @default the system's temporary folder (`Deno.makeTempDir`)
   */
  tmpDir?: string;
  /** Cancels the betas pass. */
  signal?: AbortSignal;
}

/** Options of {@linkcode TrainingDataset.items}. */
export interface IterateOptions {
  /** Visit the items in a random order, the same for the same `seed`. @default false */
  shuffle?: boolean;
  /** The shuffle seed (e.g. the epoch number). @default 0 */
  seed?: number;
  /** Items read and decoded ahead of the consumer (in flight at once). @default 4 */
  prefetch?: number;
  /** Stops the iteration: the pending `next()` rejects with the reason. */
  signal?: AbortSignal;
}

/** Options of {@linkcode TrainingDataset.batches}. */
export interface BatchOptions extends IterateOptions {
  /** Items per batch. */
  batchSize: number;
  /** Leave out a last batch smaller than `batchSize`. @default false */
  dropLast?: boolean;
}

/**
 * One session of a subject as training items. Made by
 * {@linkcode openTrainingDataset}; close it (or `await using`) to remove its
 * temporary betas file and release the images file.
 *
 * @example
 * ```ts
 * import { loadSubject } from "@laion/fmri";
 * import { openTrainingDataset } from "@laion/fmri/subject";
 * const sub = await loadSubject("sub-01");
 * await using ds = await openTrainingDataset(sub, { session: 1, roi: "FFA1" });
 * for await (const batch of ds.batches({ batchSize: 32, shuffle: true, seed: 0 })) {
 *   console.log(batch.betasShape, batch.imageShape);
 * }
 * ```
 */
export class TrainingDataset implements AsyncIterable<TrainingItem>, AsyncDisposable {
  /** The session (`ses-NN`). */
  readonly session: string;
  /** Number of items (the session's trials). */
  readonly length: number;
  /** Betas per item (selected voxels). */
  readonly nVoxels: number;
  /** Image name of each trial. */
  readonly imageNames: readonly string[];
  /** Repetition index of each trial. */
  readonly repIndices: Int32Array;
  readonly #file: string;
  readonly #dir: string | undefined;
  readonly #stim: Stimuli;
  readonly #transform?: ImageTransform;
  #handle?: Promise<import("node:fs/promises").FileHandle>;
  #closed = false;

  /** Made by {@linkcode openTrainingDataset}. */
  constructor(
    parts: {
      session: string;
      nVoxels: number;
      imageNames: string[];
      repIndices: Int32Array;
      file: string;
      dir?: string;
      stim: Stimuli;
      transform?: ImageTransform;
    },
  ) {
    this.session = parts.session;
    this.length = parts.imageNames.length;
    this.nVoxels = parts.nVoxels;
    this.imageNames = parts.imageNames;
    this.repIndices = parts.repIndices;
    this.#file = parts.file;
    this.#dir = parts.dir;
    this.#stim = parts.stim;
    this.#transform = parts.transform;
  }

  /**
   * Item `i` (the session's trial `i`; negative counts from the end).
   * @throws {RangeError} for an index out of range
   */
  async get(i: number, options: { signal?: AbortSignal } = {}): Promise<TrainingItem> {
    if (!Number.isInteger(i) || i < -this.length || i >= this.length) {
      throw new RangeError(`Item ${i} is out of range for a dataset of ${this.length} items.`);
    }
    const trial = i < 0 ? i + this.length : i;
    if (this.#closed) throw new LaionFmriError("The training dataset is closed.");
    const info: TrainingItemInfo = {
      trial,
      imageName: this.imageNames[trial],
      session: this.session,
      repIndex: this.repIndices[trial],
    };
    const [betas, img] = await Promise.all([
      this.#row(trial),
      this.#stim.images.get(info.imageName, { signal: options.signal }),
    ]);
    options.signal?.throwIfAborted();
    const chw = toChw(img);
    return { ...info, betas, image: this.#transform ? await this.#transform(chw, info) : chw };
  }

  /** The betas row of a trial, read back from the temporary file. */
  async #row(trial: number): Promise<Float32Array> {
    this.#handle ??= openFile(this.#file, "r");
    const bytes = this.nVoxels * 4;
    const buf = new Uint8Array(bytes);
    let done = 0;
    while (done < bytes) {
      const { bytesRead } = await (await this.#handle).read(
        buf,
        done,
        bytes - done,
        trial * bytes + done,
      );
      if (bytesRead === 0) throw new LaionFmriError(`${this.#file} ended early (trial ${trial}).`);
      done += bytesRead;
    }
    return new Float32Array(buf.buffer);
  }

  /**
   * The items, in trial order or shuffled (`shuffle`, `seed`), with
   * `prefetch` items read and decoded ahead.
   * @throws {RangeError} for a `prefetch` that is not a positive integer
   */
  async *items(options: IterateOptions = {}): AsyncGenerator<TrainingItem> {
    const prefetch = options.prefetch ?? 4;
    if (!Number.isInteger(prefetch) || prefetch < 1) {
      throw new RangeError(`prefetch must be a positive integer; got ${prefetch}.`);
    }
    const order = options.shuffle ? permutation(this.length, options.seed ?? 0) : undefined;
    const { signal } = options;
    const queue: Promise<TrainingItem>[] = [];
    let next = 0;
    const start = () => {
      const p = this.get(order ? order[next] : next, { signal });
      p.catch(() => {}); // awaited in turn below; a later failure is not unhandled meanwhile
      queue.push(p);
      next++;
    };
    while (queue.length < prefetch && next < this.length) start();
    while (queue.length > 0) {
      signal?.throwIfAborted();
      const item = await queue.shift()!;
      if (next < this.length) start();
      yield item;
    }
  }

  /** The items stacked into batches of `batchSize` (see {@linkcode TrainingDataset.items}). */
  async *batches(options: BatchOptions): AsyncGenerator<TrainingBatch> {
    const size = options.batchSize;
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`batchSize must be a positive integer; got ${size}.`);
    }
    let part: TrainingItem[] = [];
    for await (const item of this.items(options)) {
      part.push(item);
      if (part.length === size) {
        yield stack(part, this.nVoxels);
        part = [];
      }
    }
    if (part.length > 0 && !options.dropLast) yield stack(part, this.nVoxels);
  }

  /** The items in trial order (`for await (const item of ds)`). */
  [Symbol.asyncIterator](): AsyncIterator<TrainingItem> {
    return this.items();
  }

  /** Removes the temporary betas file and releases the images file. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stim.close();
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.then((h) => h.close(), () => {});
    await Deno.remove(this.#dir ?? this.#file, { recursive: true }).catch(() => {});
  }

  /** Closes (for `await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** One line: session, items, voxels. */
  toString(): string {
    return `TrainingDataset(${this.session}: ${this.length} items, ${this.nVoxels} voxels)`;
  }
}

/**
 * Opens one session of a subject as a training dataset (upstream's
 * `LaionFMRIDataset(subject, session, roi, mask, nc_threshold,
 * image_transform, mask_source)`). The betas are those of
 * `getBetaMatrix` under the same `roi`/`mask`/`ncThreshold`/`maskSource`,
 * row `i` = trial `i`; `repIndex` comes from the trial table's `rep_index`
 * column when it has one, else it counts earlier trials of the same image.
 * Needs the stimulus metadata and images (`laion-fmri download-stimuli`)
 * and write access to the temporary folder.
 *
 * @throws {StimuliNotDownloadedError} without the stimulus files (before any betas are read)
 * @throws {DataNotDownloadedError} / {UnknownSessionError} for a session not on disk
 * @example
 * ```ts
 * import { loadSubject } from "@laion/fmri";
 * import { openTrainingDataset } from "@laion/fmri/subject";
 * const sub = await loadSubject("sub-01");
 * await using ds = await openTrainingDataset(sub, { session: "ses-01", roi: "face" });
 * for await (const { betas, image, imageName, repIndex } of ds.items({ shuffle: true, seed: 1 })) {
 *   console.log(imageName, repIndex, betas.length, image.shape);
 * }
 * ```
 */
export async function openTrainingDataset(
  sub: Subject,
  options: TrainingDatasetOptions,
): Promise<TrainingDataset> {
  const reader = subjectBetasReader(sub);
  const { signal } = options;
  if (options.imageTransform !== undefined && typeof options.imageTransform !== "function") {
    throw new TypeError(`imageTransform must be a function; got ${typeof options.imageTransform}.`);
  }
  // The one session's trial table: its image names (as getMetadata names them) and rep_index.
  const trials = await sub.getTrialInfo({ session: options.session, signal });
  const session = resolveSessionId(options.session);
  const imageNames = trialImageNames(session, trials);
  const repIndices = trials.columns.includes("rep_index")
    ? Int32Array.from(trials.getColumn("rep_index").toArray() as number[])
    : countRepeats(imageNames);
  const stim = await loadStimuli({ dataDir: sub.dataDir, signal });
  const dir = options.tmpDir === undefined
    ? await Deno.makeTempDir({ prefix: "laion-fmri-dataset-" })
    : undefined;
  const file = dir ? join(dir, "betas.f32") : await Deno.makeTempFile({
    dir: options.tmpDir,
    prefix: "laion-fmri-betas-",
    suffix: ".f32",
  });
  try {
    const out = await Deno.open(file, { write: true, create: true, truncate: true });
    let read;
    try {
      read = await reader.stream({ ...options, session }, 64, (rows) => {
        const bytes = new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength);
        for (let at = 0; at < bytes.length;) at += out.writeSync(bytes.subarray(at));
      });
    } finally {
      out.close();
    }
    if (read.nTrials !== imageNames.length) {
      throw new LaionFmriError(
        `${session} has ${read.nTrials} betas volumes but ${imageNames.length} trials in its table.`,
      );
    }
    return new TrainingDataset({
      session,
      nVoxels: read.nVoxels,
      imageNames,
      repIndices,
      file,
      dir,
      stim,
      transform: options.imageTransform,
    });
  } catch (e) {
    stim.close();
    await Deno.remove(dir ?? file, { recursive: true }).catch(() => {});
    throw e;
  }
}

/**
 * For each position, how often its value occurred earlier (upstream's
 * `rep_index` when the trial table has none).
 *
 * @example
 * ```ts
 * import { countRepeats } from "./dataset.ts";
 * countRepeats(["a", "b", "a", "a"]); // Int32Array [0, 0, 1, 2]
 * ```
 */
export function countRepeats(labels: readonly string[]): Int32Array {
  const seen = new Map<string, number>();
  return Int32Array.from(labels, (l) => {
    const n = seen.get(l) ?? 0;
    seen.set(l, n + 1);
    return n;
  });
}

/**
 * A seeded permutation of `0..n-1` (Fisher–Yates over mulberry32): the
 * same seed gives the same order on every machine.
 *
 * @example
 * ```ts
 * import { permutation } from "./dataset.ts";
 * permutation(5, 42); // the same 5 indices in the same order every time
 * ```
 */
export function permutation(n: number, seed: number): Int32Array {
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer; got ${seed}.`);
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * An RGB image (HWC bytes) as CHW float32 in [0, 1].
 *
 * @example
 * ```ts
 * import { toChw } from "./dataset.ts";
 * toChw({ width: 1, height: 1, channels: 3, data: new Uint8Array([255, 0, 128]) }).shape; // [3, 1, 1]
 * ```
 */
export function toChw(
  img: Pick<StimulusImage, "width" | "height" | "channels" | "data">,
): ImageTensor {
  if (img.channels !== 3) {
    throw new InvalidChoiceError("image channels", img.channels, ["3"], "Expected RGB on grey.");
  }
  const plane = img.width * img.height;
  const out = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) {
    out[p] = img.data[3 * p] / 255;
    out[plane + p] = img.data[3 * p + 1] / 255;
    out[2 * plane + p] = img.data[3 * p + 2] / 255;
  }
  return { data: out, shape: [3, img.height, img.width] };
}

function stack(items: TrainingItem[], nVoxels: number): TrainingBatch {
  const n = items.length;
  const shape = items[0].image.shape;
  const per = shape[0] * shape[1] * shape[2];
  const images = new Float32Array(n * per);
  const betas = new Float32Array(n * nVoxels);
  items.forEach((it, k) => {
    const s = it.image.shape;
    if (s[0] !== shape[0] || s[1] !== shape[1] || s[2] !== shape[2]) {
      throw new RangeError(
        `${it.imageName} is [${s}] but the batch is [${shape}]; resize in imageTransform.`,
      );
    }
    images.set(it.image.data, k * per);
    betas.set(it.betas, k * nVoxels);
  });
  return {
    betas,
    betasShape: [n, nVoxels],
    images,
    imageShape: [n, shape[0], shape[1], shape[2]],
    trials: Int32Array.from(items, (it) => it.trial),
    imageNames: items.map((it) => it.imageName),
    sessions: items.map((it) => it.session),
    repIndices: Int32Array.from(items, (it) => it.repIndex),
  };
}

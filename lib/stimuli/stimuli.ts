/**
 * The stimulus images (gated `task-images_stimuli.h5`) and their metadata
 * (`task-images_metadata.csv`): upstream's `Stimuli` / `load_stimuli`.
 * @module
 */
import {
  CUSTOM_INSPECT,
  type DisplayBundle,
  JUPYTER_DISPLAY,
  summaryBundle,
} from "../core/display.ts";
import { InvalidChoiceError, LaionFmriError, withRefetch } from "../core/errors.ts";
import { getDataDir } from "../local/config.ts";
import type { DataFrame } from "../frames/polars.ts";
import { Hdf5File } from "../formats/hdf5.ts";
import { mapPool } from "../core/pool.ts";
import { readCsvFrame, resolveIndex, textColumn, unknownName } from "./csv.ts";
import { decodeImage } from "./decode.ts";
import { StimulusImage } from "./image.ts";
import { requireFiles, stimulusPaths, stimulusRefetch } from "./paths.ts";
import { pathExists } from "../core/fs.ts";
import { loadPolars } from "../frames/polars.ts";
import { readTsv } from "../frames/tsv.ts";
import { stimuliImagesDir, stimuliTsvPath } from "../local/paths.ts";

/** A stimulus: its row in the metadata (negative counts from the end) or its `image_name`. */
export type StimulusKey = number | string;

/** Options of {@linkcode loadStimuli}. */
export interface LoadStimuliOptions {
  /** Data directory. @default the configured one */
  dataDir?: string;
  /** Cancels the checks and the metadata read. */
  signal?: AbortSignal;
}

/** A batch of images as one array: `shape` = `[n, height, width, 3]`, C order. */
export interface ImageBatch {
  /** `n * height * width * 3` bytes. */
  data: Uint8Array;
  /** `[n, height, width, 3]`. */
  shape: [number, number, number, number];
  /** The image names, in order. */
  names: string[];
}

/** Options of image reads. */
export interface ImageOptions {
  /** RGB on the presentation grey (`true`) or the file's own bands. @default true */
  asDisplayed?: boolean;
  /** Cancels decoding. */
  signal?: AbortSignal;
}

/**
 * The images of the stimulus file, by metadata row or image name.
 *
 * @example
 * ```ts
 * import { loadStimuli } from "@laion/fmri";
 * const { images } = await loadStimuli();
 * const png = images.bytes("shared_4rep_OOD_texture_a.png"); // encoded bytes
 * const img = await images.get(-1); // the last image, RGB
 * ```
 */
export class StimulusImages {
  readonly #names: string[];
  readonly #index: Map<string, number>;
  readonly #file: () => Promise<Hdf5File>;

  /** Created by {@linkcode loadStimuli}. */
  constructor(names: string[], file: () => Promise<Hdf5File>) {
    this.#names = names;
    this.#index = new Map(names.map((n, i) => [n, i]));
    this.#file = file;
  }

  /** Number of images. */
  get length(): number {
    return this.#names.length;
  }

  /** Image names in metadata order. */
  names(): string[] {
    return [...this.#names];
  }

  /** Whether `key` is a known name or an index in `[-n, n)`. */
  has(key: StimulusKey): boolean {
    if (typeof key === "string") return this.#index.has(key);
    const n = this.#names.length;
    return Number.isInteger(key) && key >= -n && key < n;
  }

  /**
   * The metadata row of an image name.
   * @throws {InvalidChoiceError} for an unknown name (shows a few valid ones)
   */
  indexOf(name: string): number {
    const i = this.#index.get(name);
    if (i === undefined) throw unknownName("image name", name, this.#names);
    return i;
  }

  /**
   * The row of a key (a name or an index in `[-n, n)`).
   * @throws {RangeError} for an index out of range
   * @throws {TypeError} for a key that is neither
   */
  resolve(key: StimulusKey): number {
    if (typeof key === "string") return this.indexOf(key);
    if (typeof key !== "number") {
      throw new TypeError(`Stimulus key must be a number or a string; got ${typeof key}.`);
    }
    return resolveIndex(key, this.#names.length, "Stimulus index");
  }

  /** The name of a key. */
  nameOf(key: StimulusKey): string {
    return this.#names[this.resolve(key)];
  }

  /** The encoded bytes (JPEG or PNG) of one image. */
  async bytes(key: StimulusKey, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const i = this.resolve(key);
    const file = await this.#file();
    options.signal?.throwIfAborted();
    return (file.read("images", { rows: [i, i + 1] }) as Uint8Array[])[0];
  }

  /** One image decoded: RGB on grey by default, RGBA with `asDisplayed: false` for PNGs with alpha. */
  async get(key: StimulusKey, options: ImageOptions = {}): Promise<StimulusImage> {
    const i = this.resolve(key);
    const bytes = await this.bytes(i, options);
    const px = await decodeImage(bytes, {
      asDisplayed: options.asDisplayed,
      source: this.#names[i],
    }).catch(async (e) => {
      throw withRefetch(e, (await this.#file()).refetch);
    });
    return new StimulusImage(px, this.#names[i]);
  }

  /**
   * Several images as one `[n, height, width, 3]` RGB array (as displayed),
   * in key order. Each distinct image is read and decoded once, `concurrency`
   * at a time (sharp decodes on its own threads).
   * @throws {RangeError} when the images differ in size
   */
  async array(
    keys: readonly StimulusKey[],
    options: { concurrency?: number; signal?: AbortSignal } = {},
  ): Promise<ImageBatch> {
    const rows = keys.map((k) => this.resolve(k));
    const distinct = [...new Set(rows)];
    const limit = options.concurrency ?? Math.max(1, navigator.hardwareConcurrency || 1);
    let shape: ImageBatch["shape"] = [rows.length, 0, 0, 3];
    let data = new Uint8Array(0);
    const slots = new Map<number, number[]>();
    rows.forEach((r, k) => slots.has(r) ? slots.get(r)!.push(k) : slots.set(r, [k]));
    await mapPool(distinct, async (row) => {
      const img = await this.get(row, { signal: options.signal });
      if (data.length === 0) {
        shape = [rows.length, img.height, img.width, 3];
        data = new Uint8Array(rows.length * img.height * img.width * 3);
      } else if (img.height !== shape[1] || img.width !== shape[2]) {
        throw new RangeError(
          `${img.name} is ${img.width}x${img.height}; the batch is ${shape[2]}x${shape[1]}`,
        );
      }
      for (const k of slots.get(row)!) data.set(img.data, k * img.data.length);
    }, { limit, signal: options.signal });
    return { data, shape, names: rows.map((r) => this.#names[r]) };
  }
}

/**
 * The stimulus set on disk: metadata (Polars) and images. Close it (or
 * `using`) to release the images file.
 *
 * @example
 * ```ts
 * import { loadStimuli } from "@laion/fmri";
 * using stim = await loadStimuli();
 * console.log(stim.metadata.height, stim.images.names().slice(0, 3));
 * ```
 */
export class Stimuli {
  /** The data directory. */
  readonly dataDir: string;
  /** `task-images_metadata.csv`: image_name, dataset, participant, unique_or_shared, n_reps. */
  readonly metadata: DataFrame;
  /** The images, in metadata order. */
  readonly images: StimulusImages;
  #file?: Promise<Hdf5File>;

  /** Created by {@linkcode loadStimuli}. */
  constructor(dataDir: string, metadata: DataFrame) {
    this.dataDir = dataDir;
    this.metadata = metadata;
    const path = stimulusPaths(dataDir).images;
    this.images = new StimulusImages(textColumn(metadata, "image_name"), () => {
      this.#file ??= Hdf5File.open(path, { refetch: stimulusRefetch("stimuli", dataDir) }).catch(
        (e) => {
          this.#file = undefined;
          throw e;
        },
      );
      return this.#file;
    });
  }

  /** Closes the images file. Idempotent. */
  close(): void {
    const f = this.#file;
    this.#file = undefined;
    f?.then((h) => h.close(), () => {});
  }

  /** Closes (for `using`). */
  [Symbol.dispose](): void {
    this.close();
  }

  /** One line. */
  toString(): string {
    return `Stimuli: ${this.images.length} images under ${stimulusPaths(this.dataDir).dir}`;
  }

  /** The one-line summary in `console.log`. */
  [CUSTOM_INSPECT](): string {
    return this.toString();
  }

  /** Shown as its one-line summary. */
  [JUPYTER_DISPLAY](): DisplayBundle {
    return summaryBundle(this.toString());
  }
}

/**
 * Opens the stimulus set: needs both the images file and the metadata CSV.
 *
 * @throws {StimuliNotDownloadedError} when either is missing (names `laion-fmri download-stimuli`)
 * @example
 * ```ts
 * import { loadStimuli } from "@laion/fmri";
 * using stim = await loadStimuli({ dataDir: "/data/laion" });
 * const img = await stim.images.get("shared_12rep_LAION_cluster_1003_i0.jpg");
 * ```
 */
export async function loadStimuli(options: LoadStimuliOptions = {}): Promise<Stimuli> {
  const dataDir = options.dataDir ?? getDataDir();
  const p = stimulusPaths(dataDir);
  await requireFiles([p.images, p.metadata], "Stimuli", "stimuli", options.signal);
  return new Stimuli(dataDir, await readStimulusMetadata(dataDir, options));
}

/** Where a data directory's stimulus metadata is, and in which layout. */
export interface StimulusMetadataFile {
  /** The file: `stimuli/task-images_metadata.csv` (current) or `stimuli/stimuli.tsv` (seed). */
  path: string;
  /** The layout it belongs to. */
  layout: "current" | "seed";
  /** The images that go with it: `task-images_stimuli.h5` (current) or the folder `images/` (seed). */
  images: string;
}

/**
 * The stimulus metadata on disk: the current layout's CSV, else the seed
 * layout's `stimuli/stimuli.tsv`; `undefined` when neither is there.
 * {@linkcode readStimulusMetadata} reads this file and `Subject.hasStimuli`
 * checks it (with its images), so the two always agree.
 *
 * @example
 * ```ts
 * import { findStimulusMetadata } from "./stimuli.ts";
 * const found = await findStimulusMetadata("/data");
 * console.log(found?.layout, found?.path);
 * ```
 */
export async function findStimulusMetadata(
  dataDir: string,
  options: { signal?: AbortSignal } = {},
): Promise<StimulusMetadataFile | undefined> {
  options.signal?.throwIfAborted();
  const p = stimulusPaths(dataDir);
  if (await pathExists(p.metadata)) {
    return { path: p.metadata, layout: "current", images: p.images };
  }
  const tsv = stimuliTsvPath(dataDir);
  if (await pathExists(tsv)) {
    return { path: tsv, layout: "seed", images: stimuliImagesDir(dataDir) };
  }
  return undefined;
}

/**
 * The stimulus metadata table, the one entry point for it on both layouts
 * (public; no images needed): the current layout's
 * `stimuli/task-images_metadata.csv` (`image_name`, `dataset`,
 * `participant`, `unique_or_shared`, `n_reps`; what upstream's
 * `Stimuli.metadata` holds), or else the seed layout's `stimuli/stimuli.tsv`
 * with its own columns plus `image_name` (its `stimulus_id`) and
 * `unique_or_shared` (from its `shared` flag) when it lacks them. Row `i` is
 * stimulus `i`.
 *
 * @throws {StimuliNotDownloadedError} when neither is on disk (names `laion-fmri download-stimuli`)
 * @example
 * ```ts
 * import { readStimulusMetadata } from "@laion/fmri/stimuli";
 * const meta = await readStimulusMetadata("/data/laion");
 * console.log(meta.columns, meta.height);
 * ```
 */
export async function readStimulusMetadata(
  dataDir: string,
  options: { signal?: AbortSignal } = {},
): Promise<DataFrame> {
  const { signal } = options;
  const found = await findStimulusMetadata(dataDir, { signal });
  if (found?.layout === "seed") return withSeedColumns(await readTsv(found.path, { signal }));
  const path = stimulusPaths(dataDir).metadata;
  await requireFiles([path], "Stimulus metadata", "stimuli", signal);
  return readCsvFrame(path, {
    textColumns: ["image_name", "dataset", "participant", "unique_or_shared", "n_reps"],
    required: ["image_name"],
    signal,
  });
}

/** The seed TSV with the current layout's `image_name` and `unique_or_shared` added when absent. */
async function withSeedColumns(df: DataFrame): Promise<DataFrame> {
  const pl = await loadPolars();
  const has = (c: string) => df.columns.includes(c);
  const text = (c: string) => df.getColumn(c).toArray() as unknown[];
  const added = [];
  if (!has("image_name") && has("stimulus_id")) {
    added.push(
      pl.Series(
        "image_name",
        text("stimulus_id").map((v) => v === null ? null : String(v)),
        pl.String,
      ),
    );
  }
  if (!has("unique_or_shared") && has("shared")) {
    const flag = text("shared").map((v) =>
      v === null ? null : v === true || String(v).toLowerCase() === "true" ? "shared" : "unique"
    );
    added.push(pl.Series("unique_or_shared", flag, pl.String));
  }
  return added.length ? df.withColumns(...added) : df;
}

/** Which stimuli {@linkcode countStimuli} counts: the shared ones, the unique ones. */
export type StimulusSet = "shared" | "unique";

/**
 * The number of stimuli in the metadata CSV (upstream's `get_n_stimuli`):
 * every row, or the rows whose `unique_or_shared` is `stimuli`.
 *
 * @throws {InvalidChoiceError} for a `stimuli` other than `"shared"` or `"unique"` (before any read)
 * @throws {StimuliNotDownloadedError} when the CSV is missing
 * @example
 * ```ts
 * import { countStimuli } from "./stimuli.ts";
 * console.log(await countStimuli("/data"), await countStimuli("/data", "shared"));
 * ```
 */
export async function countStimuli(
  dataDir: string,
  stimuli?: StimulusSet,
  options: { signal?: AbortSignal } = {},
): Promise<number> {
  if (stimuli !== undefined && stimuli !== "shared" && stimuli !== "unique") {
    throw new InvalidChoiceError(
      "stimuli",
      stimuli,
      ["shared", "unique"],
      "Or leave it out to count all.",
    );
  }
  const meta = await readStimulusMetadata(dataDir, options);
  if (stimuli === undefined) return meta.height;
  if (!meta.columns.includes("unique_or_shared")) {
    throw new LaionFmriError(
      `The stimulus metadata of ${dataDir} has no "unique_or_shared" column (columns: ${
        meta.columns.join(", ")
      }): cannot count ${stimuli} stimuli.`,
    );
  }
  return (meta.getColumn("unique_or_shared").toArray() as (string | null)[])
    .filter((v) => v === stimuli).length;
}

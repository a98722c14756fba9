/**
 * Noun segmentation masks of the shared images
 * (`task-images_desc-segmentations.h5` + its metadata CSV, public):
 * upstream's `Segmentations`.
 * @module
 */
import {
  CUSTOM_INSPECT,
  type DisplayBundle,
  JUPYTER_DISPLAY,
  summaryBundle,
} from "../core/display.ts";
import { InvalidChoiceError, LaionFmriError } from "../core/errors.ts";
import { getDataDir } from "../local/config.ts";
import { Hdf5File } from "../formats/hdf5.ts";
import type { DataFrame } from "../frames/polars.ts";
import { loadPolars } from "../frames/polars.ts";
import { readCsvFrame, textColumn, unknownName } from "./csv.ts";
import { requireFiles, stimulusPaths, stimulusRefetch } from "./paths.ts";

/** One binary mask: `height * width` bytes of 0/1, row-major. */
export interface Mask {
  /** Rows. */
  height: number;
  /** Columns. */
  width: number;
  /** 0/1 values. */
  data: Uint8Array;
}

interface Entry {
  row: number;
  noun: string;
  instance: number;
  localized: boolean;
}

/**
 * The segmentation masks and their metadata, grouped by image.
 *
 * @example
 * ```ts
 * import { loadSegmentations } from "@laion/fmri";
 * using seg = await loadSegmentations();
 * const name = seg.images()[0];
 * const mask = seg.get(name, seg.nouns(name)[0]); // { height, width, data }
 * ```
 */
export class Segmentations {
  /** One row per mask: mask_row, image_name, noun, instance_id, score, box_*, localized, mask_file. */
  readonly metadata: DataFrame;
  readonly #file: Hdf5File;
  readonly #byImage = new Map<string, Entry[]>();

  /** Created by {@linkcode loadSegmentations}. */
  constructor(metadata: DataFrame, file: Hdf5File) {
    this.metadata = metadata;
    this.#file = file;
    const names = textColumn(metadata, "image_name");
    const nouns = textColumn(metadata, "noun");
    const rows = metadata.getColumn("mask_row").toArray() as number[];
    const inst = metadata.getColumn("instance_id").toArray() as number[];
    const loc = metadata.getColumn("localized").toArray() as (number | boolean)[];
    names.forEach((n, i) => {
      const e = {
        row: Number(rows[i]),
        noun: nouns[i],
        instance: Number(inst[i]),
        localized: Number(loc[i]) === 1,
      };
      const list = this.#byImage.get(n);
      if (list) list.push(e);
      else this.#byImage.set(n, [e]);
    });
  }

  /** Number of masks (metadata rows). */
  get length(): number {
    return this.metadata.height;
  }

  /** Image names with masks, sorted (the shared images). */
  images(): string[] {
    return [...this.#byImage.keys()].sort();
  }

  /** Whether an image has masks. */
  hasImage(name: string): boolean {
    return this.#byImage.has(name);
  }

  /**
   * Distinct nouns of an image in first-appearance order; `[]` when it has none.
   * @param options.localizedOnly keep only masks with `localized == 1` @default true
   */
  nouns(name: string, options: { localizedOnly?: boolean } = {}): string[] {
    const localizedOnly = options.localizedOnly ?? true;
    const out = new Set<string>();
    for (const e of this.#byImage.get(name) ?? []) {
      if (!localizedOnly || e.localized) out.add(e.noun);
    }
    return [...out];
  }

  /** An image's metadata rows (empty when it has none). */
  async forImage(name: string): Promise<DataFrame> {
    const pl = await loadPolars();
    return this.metadata.filter(pl.col("image_name").eq(pl.lit(name)));
  }

  /**
   * The mask at row `maskRow` of the masks dataset.
   * @throws {RangeError} outside the dataset
   */
  mask(maskRow: number): Mask {
    const [m, height, width] = this.#file.info("masks").shape;
    if (!Number.isInteger(maskRow) || maskRow < 0 || maskRow >= m) {
      throw new RangeError(`mask row ${maskRow} out of range [0, ${m}).`);
    }
    const data = this.#file.read("masks", { rows: [maskRow, maskRow + 1] }) as Uint8Array;
    return { height, width, data };
  }

  /**
   * The mask of one noun (and instance, 0 = highest score) in an image.
   * @throws {LaionFmriError} when the image has no masks (only shared images do)
   * @throws {InvalidChoiceError} for a noun/instance it does not have (lists its nouns)
   */
  get(name: string, noun: string, options: { instance?: number } = {}): Mask {
    const instance = options.instance ?? 0;
    const entries = this.#byImage.get(name);
    if (!entries) {
      throw new LaionFmriError(
        `No segmentations for image ${
          JSON.stringify(name)
        }: masks cover the ${this.#byImage.size} ` +
          `shared images only (see images()).`,
      );
    }
    const hit = entries.find((e) => e.noun === noun && e.instance === instance);
    if (!hit) {
      const nouns = this.nouns(name, { localizedOnly: false });
      if (!nouns.includes(noun)) throw unknownName(`noun of ${name}`, noun, nouns);
      const inst = entries.filter((e) => e.noun === noun).map((e) => String(e.instance));
      throw new InvalidChoiceError(`instance of "${noun}" in ${name}`, instance, inst);
    }
    return this.mask(hit.row);
  }

  /** Closes the masks file. */
  close(): void {
    this.#file.close();
  }

  /** Closes (for `using`). */
  [Symbol.dispose](): void {
    this.close();
  }

  /** One line. */
  toString(): string {
    return `Segmentations: ${this.length} masks of ${this.#byImage.size} images`;
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
 * Opens the segmentation masks and reads their metadata (public).
 *
 * @throws {StimuliNotDownloadedError} when a file is missing (names `laion-fmri download-segmentations`)
 * @example
 * ```ts
 * import { loadSegmentations } from "@laion/fmri";
 * using seg = await loadSegmentations({ dataDir: "/data/laion" });
 * console.log(seg.images().length);
 * ```
 */
export async function loadSegmentations(
  options: { dataDir?: string; signal?: AbortSignal } = {},
): Promise<Segmentations> {
  const dataDir = options.dataDir ?? getDataDir();
  const p = stimulusPaths(dataDir);
  await requireFiles(
    [p.segmentations, p.segmentationsMetadata],
    "Segmentations",
    "segmentations",
    options.signal,
  );
  const df = await readCsvFrame(p.segmentationsMetadata, {
    textColumns: ["image_name", "noun", "mask_file"],
    required: ["mask_row", "image_name", "noun", "instance_id", "localized"],
    signal: options.signal,
  });
  const refetch = stimulusRefetch("segmentations", dataDir);
  return new Segmentations(
    df,
    await Hdf5File.open(p.segmentations, { signal: options.signal, refetch }),
  );
}

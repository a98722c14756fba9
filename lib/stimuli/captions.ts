/**
 * Human and AI captions of the stimulus images
 * (`task-images_desc-captions.csv`, public): upstream's `Captions`.
 * @module
 */
import {
  CUSTOM_INSPECT,
  type DisplayBundle,
  JUPYTER_DISPLAY,
  summaryBundle,
} from "../core/display.ts";
import { InvalidChoiceError } from "../core/errors.ts";
import { getDataDir } from "../local/config.ts";
import type { DataFrame } from "../frames/polars.ts";
import { loadPolars } from "../frames/polars.ts";
import { readCsvFrame, textColumn } from "./csv.ts";
import { requireFiles, stimulusPaths } from "./paths.ts";

/** Caption sources. */
export const CAPTION_SOURCES = ["human", "ai"] as const;
/** A caption source. */
export type CaptionSource = (typeof CAPTION_SOURCES)[number];

interface Caption {
  idx: number;
  source: string;
  text: string;
}

/**
 * The captions table, grouped by image.
 *
 * @example
 * ```ts
 * import { loadCaptions } from "@laion/fmri";
 * const caps = await loadCaptions();
 * caps.human("shared_12rep_LAION_cluster_1003_i0.jpg", { limit: 2 }); // two strings
 * caps.ai("shared_12rep_LAION_cluster_1003_i0.jpg"); // a string or null
 * ```
 */
export class Captions {
  /** The whole table: image_name, caption_idx, source, caption, origin_collection, participant_id, ai_model. */
  readonly metadata: DataFrame;
  readonly #byImage = new Map<string, Caption[]>();

  /** Created by {@linkcode loadCaptions}. */
  constructor(metadata: DataFrame) {
    this.metadata = metadata;
    const names = textColumn(metadata, "image_name");
    const idx = metadata.getColumn("caption_idx").toArray() as number[];
    const source = textColumn(metadata, "source");
    const text = textColumn(metadata, "caption");
    names.forEach((n, i) => {
      const c = { idx: Number(idx[i]), source: source[i], text: text[i] };
      const list = this.#byImage.get(n);
      if (list) list.push(c);
      else this.#byImage.set(n, [c]);
    });
    for (const list of this.#byImage.values()) list.sort((a, b) => a.idx - b.idx);
  }

  /** Number of caption rows. */
  get length(): number {
    return this.metadata.height;
  }

  /** Image names with at least one caption, sorted. */
  images(): string[] {
    return [...this.#byImage.keys()].sort();
  }

  /** Whether an image has captions. */
  has(name: string): boolean {
    return this.#byImage.has(name);
  }

  /** An image's rows sorted by `caption_idx` (AI first); empty when it has none. */
  async get(name: string): Promise<DataFrame> {
    const pl = await loadPolars();
    return this.metadata.filter(pl.col("image_name").eq(pl.lit(name))).sort("caption_idx");
  }

  /**
   * Captions in `caption_idx` order, of one source or both.
   * @throws {InvalidChoiceError} for a source other than "human" / "ai"
   */
  list(name: string, options: { source?: CaptionSource } = {}): string[] {
    const { source } = options;
    if (source !== undefined && !(CAPTION_SOURCES as readonly string[]).includes(source)) {
      throw new InvalidChoiceError(
        "caption source",
        source,
        CAPTION_SOURCES,
        "Or leave it out for both",
      );
    }
    return (this.#byImage.get(name) ?? [])
      .filter((c) => source === undefined || c.source === source)
      .map((c) => c.text);
  }

  /**
   * Human captions in rank order, the first `limit` of them.
   * @throws {RangeError} for a negative or fractional limit
   */
  human(name: string, options: { limit?: number } = {}): string[] {
    const { limit } = options;
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
      throw new RangeError(`limit must be a non-negative integer; got ${limit}.`);
    }
    const all = this.list(name, { source: "human" });
    return limit === undefined ? all : all.slice(0, limit);
  }

  /** The AI caption, or `null` when there is none (OOD images, unknown names). */
  ai(name: string): string | null {
    return this.list(name, { source: "ai" })[0] ?? null;
  }

  /** One line. */
  toString(): string {
    return `Captions: ${this.length} captions of ${this.#byImage.size} images`;
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
 * Reads the captions CSV (public; the gated images are not needed).
 *
 * @throws {StimuliNotDownloadedError} when it is missing (names `laion-fmri download-captions`)
 * @example
 * ```ts
 * import { loadCaptions } from "@laion/fmri";
 * const caps = await loadCaptions({ dataDir: "/data/laion" });
 * console.log(caps.images().length);
 * ```
 */
export async function loadCaptions(
  options: { dataDir?: string; signal?: AbortSignal } = {},
): Promise<Captions> {
  const path = stimulusPaths(options.dataDir ?? getDataDir()).captions;
  await requireFiles([path], "Captions", "captions", options.signal);
  const df = await readCsvFrame(path, {
    textColumns: [
      "image_name",
      "source",
      "caption",
      "origin_collection",
      "participant_id",
      "ai_model",
    ],
    required: ["image_name", "caption_idx", "source", "caption"],
    signal: options.signal,
  });
  return new Captions(df);
}

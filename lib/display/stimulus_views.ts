/**
 * Notebook views of stimuli: a grid of images with labels, and a trial card
 * (the trial's image, its captions and segmentation nouns). Both show
 * inline in Deno's Jupyter kernel; the grid is also a {@linkcode Picture}
 * (one composed PNG, without the labels) for scripts.
 * @module
 */
import {
  CUSTOM_INSPECT,
  type DisplayBundle,
  escapeHtml,
  JUPYTER_DISPLAY,
} from "../core/display.ts";
import { StimuliNotDownloadedError } from "../core/errors.ts";
import { encodePng } from "../formats/png_write.ts";
import { base64, downscale, type Pixels, type StimulusImage } from "../stimuli/image.ts";
import type { Subject } from "../subject/subject.ts";
import { Picture } from "./picture.ts";

/** Options of {@linkcode ImageGrid}. */
export interface TrialGridOptions {
  /** Longest side of each cell in pixels. @default 160 */
  cell?: number;
  /** Images per row. @default up to 6 */
  columns?: number;
}

const GAP = 4;

/**
 * Images side by side with a label under each.
 *
 * @example
 * ```ts
 * import { ImageGrid, type Pixels } from "@laion/fmri";
 * const grey: Pixels = { width: 8, height: 8, channels: 3, data: new Uint8Array(192).fill(90) };
 * const grid = new ImageGrid([grey, grey], ["trial 0", "trial 1"]);
 * await grid.toPicture().save("grid.png");
 * ```
 */
export class ImageGrid {
  /** The reduced images (RGB). */
  readonly cells: Pixels[];
  /** One label per image. */
  readonly labels: string[];
  /** Images per row. */
  readonly columns: number;
  readonly #cell: number;

  /**
   * A grid of images with a label under each.
   * @throws {RangeError} when labels and images differ in number
   */
  constructor(
    images: readonly Pixels[],
    labels: readonly string[],
    options: TrialGridOptions = {},
  ) {
    if (images.length !== labels.length) {
      throw new RangeError(`${images.length} images but ${labels.length} labels`);
    }
    this.#cell = options.cell ?? 160;
    this.cells = images.map((im) => downscale(im, this.#cell));
    this.labels = [...labels];
    this.columns = Math.max(1, options.columns ?? Math.min(6, images.length || 1));
  }

  /** The images on one grey canvas (RGB, row-major in `columns`), without labels. */
  toPicture(): Picture {
    const cols = Math.min(this.columns, Math.max(1, this.cells.length));
    const rows = Math.ceil(this.cells.length / cols);
    const side = this.#cell + GAP;
    const width = cols * side + GAP, height = Math.max(1, rows * side + GAP);
    const data = new Uint8Array(width * height * 3).fill(255);
    this.cells.forEach((c, i) => {
      const x0 = GAP + (i % cols) * side + ((this.#cell - c.width) >> 1);
      const y0 = GAP + Math.floor(i / cols) * side + ((this.#cell - c.height) >> 1);
      for (let y = 0; y < c.height; y++) {
        for (let x = 0; x < c.width; x++) {
          const s = (y * c.width + x) * c.channels, o = ((y0 + y) * width + x0 + x) * 3;
          data[o] = c.data[s];
          data[o + 1] = c.data[s + 1];
          data[o + 2] = c.data[s + 2];
        }
      }
    });
    return Picture.fromPixels({ width, height, channels: 3, data }, this.toString());
  }

  /** One line. */
  toString(): string {
    return `ImageGrid of ${this.cells.length}: ${this.labels.join(", ")}`;
  }

  /** The one-line summary in `console.log`. */
  [CUSTOM_INSPECT](): string {
    return this.toString();
  }

  /** Shown as an HTML grid of the images with their labels. */
  [JUPYTER_DISPLAY](): DisplayBundle {
    const figures = this.cells.map((c, i) =>
      `<figure style="margin:0;text-align:center;width:${this.#cell}px">` +
      `<img src="data:image/png;base64,${base64(encodePng(c))}" width="${c.width}"/>` +
      `<figcaption style="font-size:11px;word-break:break-all">${
        escapeHtml(this.labels[i])
      }</figcaption></figure>`
    ).join("");
    return {
      "text/html": `<div style="display:grid;grid-template-columns:repeat(${this.columns},` +
        `${this.#cell}px);gap:${GAP}px">${figures}</div>`,
      "text/plain": this.toString(),
    };
  }
}

/** What a {@linkcode TrialCard} shows. */
export interface TrialCardData {
  /** A title, e.g. `trial 12 (ses-01 #12)`. */
  title: string;
  /** The image name. */
  imageName: string;
  /** The image, or null when the images file is not on disk. */
  image: Pixels | null;
  /** Human captions in rank order (empty when none or not on disk). */
  human: string[];
  /** The AI caption, or null. */
  ai: string | null;
  /** Localized segmentation nouns (empty for unique images). */
  nouns: string[];
}

/**
 * One trial at a glance: image, captions and nouns.
 *
 * @example
 * ```ts
 * import { loadSubject, trialCard } from "@laion/fmri";
 * const sub = await loadSubject("sub-01");
 * await trialCard(sub, 0); // shown inline in a notebook
 * ```
 */
export class TrialCard {
  /** The shown facts. */
  readonly data: TrialCardData;

  /** Creates an instance. */
  constructor(data: TrialCardData) {
    this.data = data;
  }

  /** A few lines of text. */
  toString(): string {
    const d = this.data;
    return [
      `${d.title}: ${d.imageName}`,
      ...d.human.map((c, i) => `  human ${i + 1}: ${c}`),
      ...(d.ai ? [`  ai: ${d.ai}`] : []),
      `  nouns: ${d.nouns.length ? d.nouns.join(", ") : "none"}`,
    ].join("\n");
  }

  /** The text in `console.log`. */
  [CUSTOM_INSPECT](): string {
    return this.toString();
  }

  /** Shown as HTML: the image beside its captions and nouns. */
  [JUPYTER_DISPLAY](): DisplayBundle {
    const d = this.data;
    const img = d.image
      ? `<img src="data:image/png;base64,${base64(encodePng(downscale(d.image, 256)))}" ` +
        `width="256" style="margin-right:12px"/>`
      : `<div style="width:256px;margin-right:12px;color:#888">(images not on disk)</div>`;
    const caps = d.human.map((c) => `<li>${escapeHtml(c)}</li>`).join("") +
      (d.ai ? `<li><i>AI:</i> ${escapeHtml(d.ai)}</li>` : "");
    return {
      "text/html": `<div style="display:flex;align-items:flex-start">${img}<div>` +
        `<b>${escapeHtml(d.title)}</b><br/><code>${escapeHtml(d.imageName)}</code>` +
        `<ol style="margin:4px 0">${caps || "<li>(no captions)</li>"}</ol>` +
        `<div><b>nouns:</b> ${escapeHtml(d.nouns.join(", ") || "none")}</div></div></div>`,
      "text/plain": this.toString(),
    };
  }
}

/** Runs `f`; a missing stimulus-side file gives `fallback` instead. */
async function optional<T>(f: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof StimuliNotDownloadedError) return fallback;
    throw e;
  }
}

/**
 * The card of a subject's trial (global index; negative from the end).
 * Parts whose files are not on disk are left out.
 *
 * @example
 * ```ts
 * import { loadSubject, trialCard } from "@laion/fmri";
 * const card = await trialCard(await loadSubject("sub-01"), -1);
 * console.log(card.toString());
 * ```
 */
export async function trialCard(sub: Subject, trial: number): Promise<TrialCard> {
  const names = await sub.images.names();
  const n = names.length;
  if (!Number.isInteger(trial) || trial < -n || trial >= n) {
    throw new RangeError(`Trial index ${trial} out of range [-${n}, ${n}).`);
  }
  const i = trial < 0 ? n + trial : trial;
  return new TrialCard({
    title: `${sub.subjectId} trial ${i}`,
    imageName: names[i],
    image: await optional(() => sub.images.get(i), null),
    human: await optional(() => sub.captions.human(i), []),
    ai: await optional(() => sub.captions.ai(i), null),
    nouns: await optional(async () => await sub.segmentations.nouns(i), []),
  });
}

/**
 * A grid of a subject's trials' images labelled `trial i: name`.
 *
 * @example
 * ```ts
 * import { loadSubject, trialGrid } from "@laion/fmri";
 * await trialGrid(await loadSubject("sub-01"), [0, 1, 2, 3]);
 * ```
 */
export async function trialGrid(
  sub: Subject,
  trials: readonly number[],
  options: TrialGridOptions = {},
): Promise<ImageGrid> {
  const images: StimulusImage[] = [];
  for (const t of trials) images.push(await sub.images.get(t));
  const labels = trials.map((t, k) => `trial ${t}: ${images[k].name}`);
  return new ImageGrid(images, labels, options);
}

/**
 * Notebook views of stimuli: a grid of images with labels, and a trial card
 * (the trial's image, its captions and segmentation nouns). Both show
 * inline in Deno's Jupyter kernel; the grid is also a {@linkcode Picture}
 * (one composed PNG with the labels, on the presentation grey) for scripts.
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
import { base64 } from "../core/base64.ts";
import { downscale, type Pixels, type StimulusImage } from "../stimuli/image.ts";
import { PRESENTATION_BACKGROUND_RGB8 } from "../stimuli/paths.ts";
import type { Subject } from "../subject/subject.ts";
import type { Figure } from "./figure.ts";
import { type GridImage, gridPng, plotEncodedImages } from "./image_grid.ts";
import type { Picture } from "./picture.ts";

/** Options of {@linkcode plotTrials} (and of the deprecated {@linkcode ImageGrid} and {@linkcode trialGrid}). */
export interface TrialGridOptions {
  /** Longest side of each cell in pixels. @default 160 */
  cell?: number;
  /** Images per row. @default up to 6 */
  columns?: number;
}

const GAP = 4;
/** The grey the stimuli were shown on, as the grid's background. */
const GREY = `rgb(${PRESENTATION_BACKGROUND_RGB8.join(",")})`;
/** Labels on the grey: near-black (contrast about 5:1). */
const LABEL_COLOR = "#111";

/**
 * Images side by side on the grey they were shown on, with a label under
 * each (cut in the middle with "…" when longer than the cell is wide).
 *
 * @deprecated Use {@linkcode plotTrials} (a subject's trials) or
 *   {@linkcode plotImages} (any images), which return a {@linkcode Figure};
 *   `grid.toPicture()` is `(await plotTrials(sub, trials)).toPicture()`.
 *
 * @example
 * ```ts
 * import { type Pixels } from "@laion/fmri/stimuli";
 * import { ImageGrid } from "@laion/fmri/plot";
 * const grey: Pixels = { width: 8, height: 8, channels: 3, data: new Uint8Array(192).fill(90) };
 * const grid = new ImageGrid([grey, grey], ["trial 0", "trial 1"]);
 * await (await grid.toPicture()).save("grid.png");
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

  #onGrey?: (GridImage & { png: Uint8Array })[];

  /** The cells flattened onto the grey with their PNGs, made once for the figure and the HTML. */
  #encoded(): (GridImage & { png: Uint8Array })[] {
    return this.#onGrey ??= onGrey(this.cells, this.labels).map((im) => ({
      ...im,
      png: gridPng(im),
    }));
  }

  /**
   * The images with their labels on one canvas of the presentation grey
   * (128, 128, 128), row-major in `columns`. Transparent pixels are
   * flattened onto that grey.
   */
  async toPicture(options: { signal?: AbortSignal } = {}): Promise<Picture> {
    return await this.toFigure().toPicture(options);
  }

  /** The same canvas as a {@linkcode Figure} (SVG; shown without any permission). */
  toFigure(): Figure {
    if (this.cells.length === 0) throw new RangeError("an ImageGrid of no images has no picture");
    return plotEncodedImages(this.#encoded(), {
      columns: Math.min(this.columns, this.cells.length),
      cell: this.#cell,
      background: GREY,
      textColor: LABEL_COLOR,
    });
  }

  /** One line. */
  toString(): string {
    return `ImageGrid of ${this.cells.length}: ${this.labels.join(", ")}`;
  }

  /** The one-line summary in `console.log`. */
  [CUSTOM_INSPECT](): string {
    return this.toString();
  }

  /**
   * Shown as an HTML grid of the images with their labels, plus the composed
   * figure ({@linkcode ImageGrid.toFigure}: SVG, and PNG when sharp's
   * permissions are granted) for viewers that show no HTML.
   */
  async [JUPYTER_DISPLAY](): Promise<DisplayBundle> {
    // the PNGs the figure embeds: the cells on the grey this grid's background shows anyway
    const figures = this.#encoded().map((c, i) =>
      `<figure style="margin:0;text-align:center;width:${this.#cell}px">` +
      `<img src="data:image/png;base64,${base64(c.png)}" width="${c.width}"/>` +
      `<figcaption style="font-size:11px;word-break:break-all">${
        escapeHtml(this.labels[i])
      }</figcaption></figure>`
    ).join("");
    return {
      "text/html": `<div style="display:grid;grid-template-columns:repeat(${this.columns},` +
        `${this.#cell}px);gap:${GAP}px;padding:${GAP}px;background:${GREY};color:${LABEL_COLOR};` +
        `width:max-content">${figures}</div>`,
      ...(this.cells.length ? await this.toFigure()[JUPYTER_DISPLAY]() : {}),
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
 * import { loadSubject } from "@laion/fmri";
 * import { trialCard } from "@laion/fmri/plot";
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

  /**
   * Shown as HTML: the image beside its captions and nouns; plus the image as
   * a PNG (when on disk) for viewers that show no HTML.
   */
  [JUPYTER_DISPLAY](): DisplayBundle {
    const d = this.data;
    const png = d.image ? base64(encodePng(downscale(d.image, 256))) : undefined;
    const img = png
      ? `<img src="data:image/png;base64,${png}" ` +
        `width="256" style="margin-right:12px"/>`
      : `<div style="width:256px;margin-right:12px;color:#888">(images not on disk)</div>`;
    const caps = d.human.map((c) => `<li>${escapeHtml(c)}</li>`).join("") +
      (d.ai ? `<li><i>AI:</i> ${escapeHtml(d.ai)}</li>` : "");
    return {
      "text/html": `<div style="display:flex;align-items:flex-start">${img}<div>` +
        `<b>${escapeHtml(d.title)}</b><br/><code>${escapeHtml(d.imageName)}</code>` +
        `<ol style="margin:4px 0">${caps || "<li>(no captions)</li>"}</ol>` +
        `<div><b>nouns:</b> ${escapeHtml(d.nouns.join(", ") || "none")}</div></div></div>`,
      ...(png ? { "image/png": png } : {}),
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
 * import { loadSubject } from "@laion/fmri";
 * import { trialCard } from "@laion/fmri/plot";
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

/** Options of {@linkcode plotTrials} (and of the deprecated {@linkcode trialGrid}). */
export interface TrialGridViewOptions extends TrialGridOptions {
  /** One caption per trial instead of `trial i: image name`. @default the trial and image name */
  labels?: readonly string[];
}

/** Images flattened onto the presentation grey as RGB grid cells, with their labels. */
function onGrey(cells: readonly Pixels[], labels: readonly string[]): GridImage[] {
  const [r, g, b] = PRESENTATION_BACKGROUND_RGB8;
  return cells.map((c, i) => {
    const rgb = new Uint8Array(c.width * c.height * 3);
    for (let p = 0; p < c.width * c.height; p++) {
      const a = c.channels === 4 ? c.data[p * 4 + 3] / 255 : 1;
      const s = p * c.channels;
      rgb[p * 3] = Math.round(c.data[s] * a + r * (1 - a));
      rgb[p * 3 + 1] = Math.round(c.data[s + 1] * a + g * (1 - a));
      rgb[p * 3 + 2] = Math.round(c.data[s + 2] * a + b * (1 - a));
    }
    return { rgb, width: c.width, height: c.height, label: labels[i] };
  });
}

/**
 * A subject's trials' images on the grey they were shown on, labelled
 * `trial i: name` (or the captions given in `options.labels`), as a
 * {@linkcode Figure}.
 *
 * @throws {RangeError} when `options.labels` and `trials` differ in number, or `trials` is empty
 * @example
 * ```ts
 * import { loadSubject } from "@laion/fmri";
 * import { plotTrials } from "@laion/fmri/plot";
 * const fig = await plotTrials(await loadSubject("sub-01"), [0, 1, 2, 3]);
 * await fig.save("trials.png");
 * ```
 */
export async function plotTrials(
  sub: Subject,
  trials: readonly number[],
  options: TrialGridViewOptions = {},
): Promise<Figure> {
  if (trials.length === 0) throw new RangeError("plotTrials needs at least one trial index");
  return (await trialGrid(sub, trials, options)).toFigure();
}

/**
 * A grid of a subject's trials' images labelled `trial i: name` (or the
 * captions given in `options.labels`).
 *
 * @deprecated Use {@linkcode plotTrials}, which returns a {@linkcode Figure}.
 * @throws {RangeError} when `options.labels` and `trials` differ in number
 * @example
 * ```ts
 * import { loadSubject } from "@laion/fmri";
 * import { trialGrid } from "@laion/fmri/plot";
 * await trialGrid(await loadSubject("sub-01"), [0, 1, 2, 3]);
 * ```
 */
export async function trialGrid(
  sub: Subject,
  trials: readonly number[],
  options: TrialGridViewOptions = {},
): Promise<ImageGrid> {
  if (options.labels && options.labels.length !== trials.length) {
    throw new RangeError(
      `${trials.length} trials but ${options.labels.length} labels; give one label per trial`,
    );
  }
  const images: StimulusImage[] = [];
  for (const t of trials) images.push(await sub.images.get(t));
  const labels = options.labels ?? trials.map((t, k) => `trial ${t}: ${images[k].name}`);
  return new ImageGrid(images, labels, options);
}

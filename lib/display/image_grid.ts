/**
 * A few RGB images side by side with a caption under each (stimuli, e.g.
 * the best- and worst-predicted test images).
 * @module
 */
import { encodePng } from "../formats/png_write.ts";
import type { Picture } from "./picture.ts";
import { Figure } from "./figure.ts";
import { escapeXml, FONT_FAMILY, pngDataUrl, svgDocument } from "./svg.ts";

/** One image of the grid: interleaved RGB bytes. */
export interface GridImage {
  /** `width * height * 3` bytes, row by row. */
  rgb: Uint8Array;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Caption under the image (cut in the middle with "…" when wider than the cell, so that
   * both its start and its end, e.g. a file name's id, stay readable). */
  label: string;
}

/** Options of {@linkcode plotImages}. */
export interface ImageGridOptions {
  /** Images per row. @default min(4, number of images) */
  columns?: number;
  /** Each image is scaled to fit a square of this many pixels. @default 160 */
  cell?: number;
  /** Title above the grid. @default "" */
  title?: string;
  /** Background colour (CSS) of the canvas. @default "#ffffff" */
  background?: string;
  /** Colour (CSS) of the captions and the title. @default "#222" */
  textColor?: string;
  /** Stops before rendering (the deprecated {@linkcode imageGrid} only). */
  signal?: AbortSignal;
}

/**
 * The images in a grid, each scaled to fit its cell (aspect kept), with its
 * label underneath, as a {@linkcode Figure} (SVG; no permission needed to
 * show it). A grid is layout, not a chart (no scales, no axes), so it is
 * plain SVG rather than Observable Plot.
 *
 * @throws {RangeError} when there is no image or an image's bytes do not fill width × height × 3
 * @example
 * ```ts
 * import { plotImages } from "@laion/fmri/plot";
 * const red = { rgb: new Uint8Array(4 * 4 * 3).map((_, i) => (i % 3 === 0 ? 255 : 0)), width: 4, height: 4, label: "red" };
 * const fig = plotImages([red, { ...red, label: "again" }], { cell: 64 });
 * console.log(fig.caption); // "red | again"
 * ```
 */
export function plotImages(images: readonly GridImage[], options: ImageGridOptions = {}): Figure {
  if (images.length === 0) throw new RangeError("plotImages needs at least one image");
  images.forEach((im, i) => {
    if (im.rgb.length !== im.width * im.height * 3 || im.width < 1 || im.height < 1) {
      throw new RangeError(
        `image ${i} (${im.label}) has ${im.rgb.length} bytes for ${im.width}x${im.height} RGB`,
      );
    }
  });
  return plotEncodedImages(images.map((im) => ({ ...im, png: gridPng(im) })), options);
}

/** A grid image as the PNG {@linkcode plotImages} embeds. @internal */
export function gridPng(im: GridImage): Uint8Array {
  return encodePng({ width: im.width, height: im.height, channels: 3, data: im.rgb });
}

/**
 * {@linkcode plotImages} of checked images whose PNG ({@linkcode gridPng})
 * the caller has already made (and may show elsewhere). @internal
 */
export function plotEncodedImages(
  images: readonly (GridImage & { png: Uint8Array })[],
  options: ImageGridOptions = {},
): Figure {
  const columns = options.columns ?? Math.min(4, images.length);
  const cell = options.cell ?? 160;
  const gap = 10, labelH = 20, top = options.title ? 36 : gap;
  const rows = Math.ceil(images.length / columns);
  const width = gap + columns * (cell + gap);
  const height = top + rows * (cell + labelH + gap);
  const text = `font-family="${FONT_FAMILY}" fill="${escapeXml(options.textColor ?? "#222")}"`;
  const parts = images.map((im, k) => {
    const x = gap + (k % columns) * (cell + gap);
    const y = top + Math.floor(k / columns) * (cell + labelH + gap);
    const f = Math.min(cell / im.width, cell / im.height);
    const w = Math.round(im.width * f), h = Math.round(im.height * f);
    const png = im.png;
    const label = fitLabel(im.label, cell - 4, 12);
    return `<image x="${x + (cell - w) / 2}" y="${
      y + (cell - h) / 2
    }" width="${w}" height="${h}" ` +
      `preserveAspectRatio="none" href="${pngDataUrl(png)}"/>\n` +
      `<text x="${x + cell / 2}" y="${y + cell + 15}" font-size="12" text-anchor="middle" ${text}>${
        escapeXml(label)
      }</text>`;
  });
  if (options.title) {
    parts.push(
      `<text x="${gap}" y="24" font-size="14" font-weight="bold" ${text}>${
        escapeXml(options.title)
      }</text>`,
    );
  }
  const caption = `${options.title ? `${options.title}: ` : ""}${
    images.map((i) => i.label).join(" | ")
  }`;
  const svg = svgDocument(
    width,
    height,
    `<title>${escapeXml(caption)}</title>\n${parts.join("\n")}`,
    options.background,
  );
  return new Figure(svg, width, height, caption);
}

/**
 * {@linkcode plotImages} rendered to PNG.
 * @deprecated Use {@linkcode plotImages}, which returns a {@linkcode Figure}
 *   (`await fig.toPicture()` gives this Picture; `fig.save("x.png")` saves it).
 * @example
 * ```ts
 * import { imageGrid } from "@laion/fmri/plot";
 * const red = { rgb: new Uint8Array(4 * 4 * 3).fill(200), width: 4, height: 4, label: "grey" };
 * const pic = await imageGrid([red], { cell: 64 });
 * ```
 */
export async function imageGrid(
  images: readonly GridImage[],
  options: ImageGridOptions = {},
): Promise<Picture> {
  return await plotImages(images, options).toPicture({ signal: options.signal });
}

/** Advance widths (in em) of DejaVu Sans, in rough classes: enough to fit a label to a cell. */
function charWidth(c: string): number {
  if (" .,:;'|!il".includes(c)) return 0.32;
  if ("frtjI()[]-/".includes(c)) return 0.42;
  if ("mwMW%@".includes(c)) return 0.98;
  if (c === "_") return 0.5;
  if (c === "…") return 1.0;
  if (c >= "0" && c <= "9") return 0.64;
  if (c >= "A" && c <= "Z") return 0.74;
  return 0.62;
}

/**
 * The width in pixels of `text` in DejaVu Sans at `fontSize` pixels (estimated by character class).
 *
 * @example
 * ```ts
 * import { textWidth } from "./image_grid.ts";
 * textWidth("r = 0.5", 12); // about 48
 * ```
 */
export function textWidth(text: string, fontSize = 12): number {
  let w = 0;
  for (const c of text) w += charWidth(c) * fontSize;
  return w;
}

/**
 * `text` as drawn in DejaVu Sans at `fontSize` pixels, cut so that it fits
 * `width` pixels by replacing its middle with "…": the start and the end
 * (e.g. a trial number and a file name's id) stay readable.
 *
 * @example
 * ```ts
 * import { fitLabel } from "./image_grid.ts";
 * fitLabel("trial 3: shared_12rep_LAION_cluster_1003_i0.jpg", 150); // "trial 3: sh…1003_i0.jpg"
 * ```
 */
export function fitLabel(text: string, width: number, fontSize = 12): string {
  const chars = [...text];
  const w = (c: string) => charWidth(c) * fontSize;
  if (textWidth(text, fontSize) <= width) return text;
  let budget = width - w("…"), head = 0, tail = 0;
  // take characters alternately from the start and the end while they fit
  for (let turn = 0; head + tail < chars.length; turn++) {
    const fromHead = turn % 2 === 0;
    const c = fromHead ? chars[head] : chars[chars.length - 1 - tail];
    if (w(c) > budget) break;
    budget -= w(c);
    if (fromHead) head++;
    else tail++;
  }
  return `${chars.slice(0, head).join("")}…${chars.slice(chars.length - tail).join("")}`;
}

/**
 * A few RGB images side by side with a caption under each (stimuli, e.g.
 * the best- and worst-predicted test images).
 * @module
 */
import { encodePng } from "../formats/png_write.ts";
import type { Picture } from "./picture.ts";
import { escapeXml, FONT_FAMILY, svgDocument, svgToPicture } from "./svg.ts";

/** One image of the grid: interleaved RGB bytes. */
export interface GridImage {
  /** `width * height * 3` bytes, row by row. */
  rgb: Uint8Array;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Caption under the image (cut with "…" when too long for the cell). */
  label: string;
}

/** Options of {@linkcode imageGrid}. */
export interface ImageGridOptions {
  /** Images per row. @default min(4, number of images) */
  columns?: number;
  /** Each image is scaled to fit a square of this many pixels. @default 160 */
  cell?: number;
  /** Title above the grid. @default "" */
  title?: string;
  /** Stops before rendering. */
  signal?: AbortSignal;
}

/**
 * The images in a grid, each scaled to fit its cell (aspect kept), with its
 * label underneath.
 *
 * @example
 * ```ts
 * import { imageGrid } from "@laion/fmri";
 * const red = { rgb: new Uint8Array(4 * 4 * 3).map((_, i) => (i % 3 === 0 ? 255 : 0)), width: 4, height: 4, label: "red" };
 * const pic = await imageGrid([red, { ...red, label: "again" }], { cell: 64 });
 * ```
 */
export async function imageGrid(
  images: readonly GridImage[],
  options: ImageGridOptions = {},
): Promise<Picture> {
  if (images.length === 0) throw new RangeError("imageGrid needs at least one image");
  images.forEach((im, i) => {
    if (im.rgb.length !== im.width * im.height * 3 || im.width < 1 || im.height < 1) {
      throw new RangeError(
        `image ${i} (${im.label}) has ${im.rgb.length} bytes for ${im.width}x${im.height} RGB`,
      );
    }
  });
  const columns = options.columns ?? Math.min(4, images.length);
  const cell = options.cell ?? 160;
  const gap = 10, labelH = 20, top = options.title ? 36 : gap;
  const rows = Math.ceil(images.length / columns);
  const width = gap + columns * (cell + gap);
  const height = top + rows * (cell + labelH + gap);
  const maxChars = Math.max(4, Math.floor(cell / 7));
  const text = `font-family="${FONT_FAMILY}" fill="#222"`;
  const parts = images.map((im, k) => {
    const x = gap + (k % columns) * (cell + gap);
    const y = top + Math.floor(k / columns) * (cell + labelH + gap);
    const f = Math.min(cell / im.width, cell / im.height);
    const w = Math.round(im.width * f), h = Math.round(im.height * f);
    const png = encodePng({ width: im.width, height: im.height, channels: 3, data: im.rgb });
    let s = "";
    for (let i = 0; i < png.length; i += 0x8000) {
      s += String.fromCharCode(...png.subarray(i, i + 0x8000));
    }
    const label = im.label.length > maxChars ? `${im.label.slice(0, maxChars - 1)}…` : im.label;
    return `<image x="${x + (cell - w) / 2}" y="${
      y + (cell - h) / 2
    }" width="${w}" height="${h}" ` +
      `preserveAspectRatio="none" href="data:image/png;base64,${btoa(s)}"/>\n` +
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
  return await svgToPicture(svgDocument(width, height, parts.join("\n")), {
    caption: `${options.title ? `${options.title}: ` : ""}${
      images.map((i) => i.label).join(" | ")
    }`,
    signal: options.signal,
  });
}

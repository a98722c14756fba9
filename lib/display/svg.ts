/**
 * SVG text rendered to a {@linkcode Picture} without a browser: libvips
 * (through sharp) rasterises it with librsvg, text in DejaVu Sans. Also the
 * pieces the plots share: XML escaping, tick positions, a 2-D axes frame.
 * sharp needs `--allow-ffi --allow-env --allow-read`.
 * @module
 */
import { base64 } from "../core/base64.ts";
import { loadSharp, sharpError } from "../formats/sharp.ts";
import { Picture } from "./picture.ts";

/** The font of every plot (Debian's fonts-dejavu-core, /usr/share/fonts/truetype/dejavu). */
export const FONT_FAMILY = "DejaVu Sans";

/** Options of {@linkcode svgToPicture}. */
export interface SvgToPictureOptions {
  /** The picture's one-line caption. @default "" */
  caption?: string;
  /** Stops before rendering. */
  signal?: AbortSignal;
}

/**
 * Renders an SVG document (1 SVG unit = 1 pixel) onto white and encodes it
 * as PNG. Identical SVG gives identical bytes.
 *
 * @example
 * ```ts
 * import { svgToPicture } from "@laion/fmri/plot";
 * const pic = await svgToPicture(
 *   `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><text x="4" y="24">hi</text></svg>`,
 *   { caption: "greeting" },
 * );
 * console.log(pic.width, pic.height); // 120 40
 * ```
 */
export async function svgToPicture(
  svg: string,
  options: SvgToPictureOptions = {},
): Promise<Picture> {
  options.signal?.throwIfAborted();
  const sharp = await loadSharp("render pictures");
  options.signal?.throwIfAborted();
  try {
    const { data, info } = await sharp(new TextEncoder().encode(svg), { density: 72 })
      .flatten({ background: "#ffffff" })
      .png({ compressionLevel: 9 })
      .toBuffer({ resolveWithObject: true });
    return new Picture(new Uint8Array(data), info.width, info.height, options.caption ?? "");
  } catch (e) {
    throw sharpError(e, "render pictures");
  }
}

/**
 * Escapes `& < > " '` for SVG text and attributes.
 *
 * @example
 * ```ts
 * import { escapeXml } from "./svg.ts";
 * console.log(escapeXml("r < 0.5 & more")); // r &lt; 0.5 &amp; more
 * ```
 */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * About `count` round tick values (steps of 1, 2 or 5 × 10ᵏ) inside `[lo, hi]`.
 *
 * @example
 * ```ts
 * import { niceTicks } from "./svg.ts";
 * console.log(niceTicks(0, 1, 5)); // [0, 0.2, 0.4, 0.6, 0.8, 1]
 * ```
 */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const fits = (s: number) => Math.floor(hi / s + 1e-9) - Math.ceil(lo / s - 1e-9) + 1 <= count + 1;
  const step = [1, 2, 5, 10].map((m) => m * mag).find(fits) ?? 10 * mag;
  const out: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) {
    out.push(Number((k * step).toPrecision(12)));
  }
  return out;
}

/** A number as a short tick label. */
function tickLabel(v: number): string {
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0)
    ? v.toExponential(0)
    : String(Number(v.toPrecision(4)));
}

/** Where and what an {@linkcode axesSvg} frame draws. */
export interface AxesSpec {
  /** Plot area in pixels: left, top, width, height. */
  left: number;
  top: number;
  width: number;
  height: number;
  /** Data ranges of the axes. */
  x: [number, number];
  y: [number, number];
  /** Axis labels and the title above the plot. */
  xLabel?: string;
  yLabel?: string;
  title?: string;
}

/** Data-to-pixel mappings of an axes frame. */
export interface Axes {
  /** The frame, ticks, labels and title as SVG elements. */
  svg: string;
  /** Pixel column of a data x. */
  px(x: number): number;
  /** Pixel row of a data y. */
  py(y: number): number;
}

/**
 * A 2-D axes frame: box, ticks with labels, axis labels, title.
 *
 * @example
 * ```ts
 * import { axesSvg } from "./svg.ts";
 * const ax = axesSvg({ left: 50, top: 30, width: 300, height: 200, x: [0, 1], y: [0, 1] });
 * console.log(ax.px(0.5), ax.py(0.5)); // 200 130
 * ```
 */
export function axesSvg(spec: AxesSpec): Axes {
  const { left, top, width, height } = spec;
  const [x0, x1] = spec.x, [y0, y1] = spec.y;
  const px = (x: number) => left + ((x - x0) / (x1 - x0 || 1)) * width;
  const py = (y: number) => top + height - ((y - y0) / (y1 - y0 || 1)) * height;
  const f = (v: number) => v.toFixed(2);
  const parts: string[] = [
    `<rect x="${left}" y="${top}" width="${width}" height="${height}" fill="none" stroke="#333" stroke-width="1"/>`,
  ];
  const text = `font-family="${FONT_FAMILY}" fill="#222"`;
  for (const t of niceTicks(x0, x1, 5)) {
    const x = f(px(t));
    parts.push(
      `<line x1="${x}" y1="${top + height}" x2="${x}" y2="${top + height + 5}" stroke="#333"/>`,
      `<text x="${x}" y="${top + height + 18}" font-size="11" text-anchor="middle" ${text}>${
        tickLabel(t)
      }</text>`,
    );
  }
  for (const t of niceTicks(y0, y1, 5)) {
    const y = f(py(t));
    parts.push(
      `<line x1="${left - 5}" y1="${y}" x2="${left}" y2="${y}" stroke="#333"/>`,
      `<text x="${left - 8}" y="${f(py(t) + 4)}" font-size="11" text-anchor="end" ${text}>${
        tickLabel(t)
      }</text>`,
    );
  }
  if (spec.xLabel) {
    parts.push(
      `<text x="${f(left + width / 2)}" y="${
        top + height + 38
      }" font-size="13" text-anchor="middle" ${text}>${escapeXml(spec.xLabel)}</text>`,
    );
  }
  if (spec.yLabel) {
    const cx = left - 48, cy = top + height / 2;
    parts.push(
      `<text x="${cx}" y="${
        f(cy)
      }" font-size="13" text-anchor="middle" transform="rotate(-90 ${cx} ${f(cy)})" ${text}>${
        escapeXml(spec.yLabel)
      }</text>`,
    );
  }
  if (spec.title) {
    parts.push(
      `<text x="${f(left + width / 2)}" y="${
        top - 12
      }" font-size="14" font-weight="bold" text-anchor="middle" ${text}>${
        escapeXml(spec.title)
      }</text>`,
    );
  }
  return { svg: parts.join("\n"), px, py };
}

/**
 * Wraps SVG elements in a document of `width × height` pixels on `background`
 * (a CSS colour, white by default).
 *
 * @example
 * ```ts
 * import { svgDocument } from "./svg.ts";
 * console.log(svgDocument(10, 10, "").startsWith("<svg")); // true
 * ```
 */
export function svgDocument(
  width: number,
  height: number,
  body: string,
  background = "#ffffff",
): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}">\n<rect width="${width}" height="${height}" ` +
    `fill="${escapeXml(background)}"/>\n` +
    `${body}\n</svg>`;
}

/**
 * A value with 3 significant digits, without trailing zeros (colour-bar labels).
 *
 * @example
 * ```ts
 * import { shortNumber } from "./svg.ts";
 * console.log(shortNumber(0.123456), shortNumber(100)); // "0.123" "100"
 * ```
 */
export function shortNumber(v: number): string {
  return String(Number(v.toPrecision(3)));
}

/**
 * PNG bytes as a `data:` URL for an SVG `<image href>`.
 *
 * @example
 * ```ts
 * import { pngDataUrl } from "./svg.ts";
 * console.log(pngDataUrl(new Uint8Array([137, 80])).slice(0, 22)); // "data:image/png;base64,"
 * ```
 */
export function pngDataUrl(bytes: Uint8Array): string {
  return `data:image/png;base64,${base64(bytes)}`;
}

/** Options of {@linkcode svgText}. */
export interface SvgTextOptions {
  /** Font size in pixels. @default 12 */
  size?: number;
  /** `text-anchor`. @default "start" */
  anchor?: "start" | "middle" | "end";
  /** Bold. @default false */
  bold?: boolean;
  /** Rotation in degrees about `(x, y)`. @default 0 */
  rotate?: number;
}

/**
 * One `<text>` element in the plots' font (the content is escaped).
 *
 * @example
 * ```ts
 * import { svgText } from "./svg.ts";
 * console.log(svgText(10, 20, "r < 0.5", { anchor: "middle" }));
 * ```
 */
export function svgText(
  x: number,
  y: number,
  content: string,
  options: SvgTextOptions = {},
): string {
  const rotate = options.rotate ? ` transform="rotate(${options.rotate} ${x} ${y})"` : "";
  return `<text x="${x}" y="${y}" font-size="${options.size ?? 12}" text-anchor="${
    options.anchor ?? "start"
  }"${
    options.bold ? ' font-weight="bold"' : ""
  }${rotate} font-family="${FONT_FAMILY}" fill="#222">${escapeXml(content)}</text>`;
}

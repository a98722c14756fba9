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

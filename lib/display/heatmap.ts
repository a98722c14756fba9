/**
 * Matrices as colour images side by side on one colour scale: measured and
 * predicted responses (voxels × images), or two RDMs (images × images), as
 * upstream's tutorial shows them with matplotlib's `imshow`.
 * @module
 */
import { encodePng } from "../formats/png_write.ts";
import { colormap, type ColormapName } from "./colormap.ts";
import type { Picture } from "./picture.ts";
import { niceTicks, pngDataUrl, shortNumber, svgDocument, svgText, svgToPicture } from "./svg.ts";

/** One panel of {@linkcode heatmapPlot}: a row-major matrix and its title. */
export interface HeatmapPanel {
  /** Number of rows (drawn top to bottom). */
  rows: number;
  /** Number of columns (drawn left to right). */
  cols: number;
  /** `rows * cols` values, row after row; NaN (no value) is drawn white. */
  data: ArrayLike<number>;
  /** Title above the panel. @default "" */
  title?: string;
}

/** Options of {@linkcode heatmapPlot}. */
export interface HeatmapOptions {
  /** Colour map. @default "viridis" */
  colormap?: ColormapName;
  /** Value at the bottom of the colour bar. @default the smallest value */
  vmin?: number;
  /** Value at the top of the colour bar. @default the largest value */
  vmax?: number;
  /**
   * Power-law colour scale (matplotlib's `PowerNorm`): a value v maps to
   * ((v − vmin)/(vmax − vmin))^gamma; 0.5 spreads the small values.
   * @default 1
   */
  gamma?: number;
  /** Size of each panel in pixels (width, height). @default [260, 220] */
  panelSize?: [number, number];
  /** Label under each panel. @default "" */
  xLabel?: string;
  /** Label left of each panel. @default "" */
  yLabel?: string;
  /** Label of the colour bar. @default "" */
  label?: string;
  /** Title above the panels. @default "" */
  title?: string;
  /** Stops before rendering. */
  signal?: AbortSignal;
}

/**
 * Draws one or more matrices with one shared colour scale and colour bar.
 *
 * @throws {RangeError} when a panel's data does not fill rows × cols, or there is no panel
 * @example
 * ```ts
 * import { heatmapPlot } from "@laion/fmri/plot";
 * const m = { rows: 2, cols: 3, data: [0, 1, 2, 3, 4, 5], title: "ramp" };
 * const picture = await heatmapPlot([m], { colormap: "viridis", label: "value" });
 * console.log(picture.caption);
 * ```
 */
export async function heatmapPlot(
  panels: readonly HeatmapPanel[],
  options: HeatmapOptions = {},
): Promise<Picture> {
  if (panels.length === 0) throw new RangeError("heatmapPlot needs at least one panel");
  for (const [k, p] of panels.entries()) {
    if (!(p.rows > 0 && p.cols > 0) || p.data.length !== p.rows * p.cols) {
      throw new RangeError(
        `panel ${k} has ${p.data.length} values for ${p.rows}x${p.cols} (both must be > 0)`,
      );
    }
  }
  let vmin = options.vmin, vmax = options.vmax;
  if (vmin === undefined || vmax === undefined) {
    let lo = Infinity, hi = -Infinity;
    for (const p of panels) {
      for (let i = 0; i < p.data.length; i++) {
        const v = p.data[i];
        if (Number.isFinite(v)) lo = Math.min(lo, v), hi = Math.max(hi, v);
      }
    }
    if (lo > hi) lo = 0, hi = 1;
    vmin ??= lo;
    vmax ??= hi > vmin ? hi : vmin + 1;
  }
  const gamma = options.gamma ?? 1;
  if (!(gamma > 0)) throw new RangeError(`gamma must be > 0, got ${gamma}`);
  const cmap = options.colormap ?? "viridis";
  const scaled = (v: number) => Math.max(0, Math.min(1, (v - vmin!) / (vmax! - vmin!))) ** gamma;
  const [pw, ph] = options.panelSize ?? [260, 220];

  const images = panels.map((p) => {
    const px = new Uint8Array(pw * ph * 3);
    for (let y = 0; y < ph; y++) {
      const r = Math.min(p.rows - 1, Math.floor((y * p.rows) / ph));
      for (let x = 0; x < pw; x++) {
        const c = Math.min(p.cols - 1, Math.floor((x * p.cols) / pw));
        const v = p.data[r * p.cols + c];
        const colour = Number.isFinite(v) ? colormap(cmap, scaled(v)) : [255, 255, 255];
        px.set(colour, (y * pw + x) * 3);
      }
    }
    return encodePng({ width: pw, height: ph, channels: 3, data: px });
  });
  options.signal?.throwIfAborted();

  const left = options.yLabel ? 34 : 12, gap = 24, top = options.title ? 56 : 32;
  const barW = 14;
  const bar = new Uint8Array(barW * ph * 3);
  for (let y = 0; y < ph; y++) {
    const c = colormap(cmap, 1 - y / Math.max(1, ph - 1));
    for (let x = 0; x < barW; x++) bar.set(c, (y * barW + x) * 3);
  }
  const image = (x: number, w: number, png: Uint8Array) =>
    `<image x="${x}" y="${top}" width="${w}" height="${ph}" href="${pngDataUrl(png)}"/>`;
  const parts: string[] = [];
  if (options.title) parts.push(svgText(left, 22, options.title, { size: 15, bold: true }));
  let x = left;
  panels.forEach((p, k) => {
    parts.push(
      image(x, pw, images[k]),
      `<rect x="${x}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#444"/>`,
    );
    const mid = x + pw / 2, cy = top + ph / 2;
    if (p.title) parts.push(svgText(mid, top - 8, p.title, { size: 13, anchor: "middle" }));
    if (options.xLabel) {
      parts.push(svgText(mid, top + ph + 18, options.xLabel, { anchor: "middle" }));
    }
    if (options.yLabel) {
      parts.push(svgText(x - 8, cy, options.yLabel, { anchor: "middle", rotate: -90 }));
    }
    x += pw + gap;
  });
  const barX = x;
  parts.push(image(barX, barW, encodePng({ width: barW, height: ph, channels: 3, data: bar })));
  // Ticks in the values' own units, placed on the (possibly power-law) scale.
  const ticks = niceTicks(vmin, vmax, 5).filter((t) => t >= vmin! && t <= vmax!);
  for (const t of ticks) {
    const y = top + ph - scaled(t) * ph;
    parts.push(
      `<line x1="${barX + barW}" y1="${y}" x2="${barX + barW + 4}" y2="${y}" stroke="#222"/>`,
      svgText(barX + barW + 6, y + 4, shortNumber(t), { size: 11 }),
    );
  }
  if (options.label) {
    parts.push(
      svgText(barX + barW + 52, top + ph / 2, options.label, { anchor: "middle", rotate: -90 }),
    );
  }
  const width = barX + barW + (options.label ? 64 : 48);
  const height = top + ph + (options.xLabel ? 28 : 10);
  const caption = `${options.title ? `${options.title}: ` : ""}${
    panels.map((p) => `${p.title ?? "panel"} ${p.rows}x${p.cols}`).join(", ")
  }; ${cmap}${gamma !== 1 ? ` (gamma ${gamma})` : ""} ${shortNumber(vmin)}..${shortNumber(vmax)}`;
  return await svgToPicture(svgDocument(width, height, parts.join("\n")), {
    caption,
    signal: options.signal,
  });
}

/**
 * A histogram (e.g. of voxel-wise prediction r) with its median marked.
 * @module
 */
import { axesSvg, escapeXml, svgDocument, svgToPicture } from "./svg.ts";
import type { Picture } from "./picture.ts";

/** Options of {@linkcode histogramPlot}. */
export interface HistogramOptions {
  /** Number of equal-width bins. @default 20 */
  bins?: number;
  /** Range of the bins. @default the data's min and max */
  range?: [number, number];
  /** Picture size in pixels. @default 480 */
  width?: number;
  /** Picture height in pixels. @default 320 */
  height?: number;
  /** Label of the x axis. @default "value" */
  xLabel?: string;
  /** Label of the y axis. @default "count" */
  yLabel?: string;
  /** Title; `median = …` is appended. @default "" */
  title?: string;
  /** Bar colour (CSS). @default "#1f77b4" */
  color?: string;
  /** Stops before rendering. */
  signal?: AbortSignal;
}

/**
 * Bin counts of `values` in `bins` equal bins over `[lo, hi]` (the last bin
 * includes `hi`; values outside and non-finite ones are not counted).
 *
 * @example
 * ```ts
 * import { histogramCounts } from "./histogram.ts";
 * console.log(histogramCounts([0, 0.5, 1, 2], 2, 0, 1)); // [1, 2]
 * ```
 */
export function histogramCounts(
  values: ArrayLike<number>,
  bins: number,
  lo: number,
  hi: number,
): number[] {
  const counts = new Array(bins).fill(0);
  const w = (hi - lo) / bins;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v) || v < lo || v > hi) continue;
    counts[Math.min(bins - 1, Math.floor((v - lo) / w))]++;
  }
  return counts;
}

/**
 * A histogram of the finite `values` with a dashed red line at their median.
 *
 * @example
 * ```ts
 * import { histogramPlot } from "@laion/fmri/plot";
 * const pic = await histogramPlot([0.1, 0.4, 0.45, 0.5, 0.7], { xLabel: "voxel r", bins: 10 });
 * console.log(pic.caption); // "median = 0.450 (n = 5)"
 * ```
 */
export async function histogramPlot(
  values: ArrayLike<number>,
  options: HistogramOptions = {},
): Promise<Picture> {
  const xs = Array.from(values).filter(Number.isFinite).sort((a, b) => a - b);
  if (xs.length === 0) throw new RangeError("histogram needs at least one finite value");
  const bins = options.bins ?? 20;
  if (!Number.isInteger(bins) || bins < 1) {
    throw new RangeError(`bins must be a positive integer, got ${bins}`);
  }
  let [lo, hi] = options.range ?? [xs[0], xs[xs.length - 1]];
  if (!(hi > lo)) lo -= 0.5, hi += 0.5;
  const counts = histogramCounts(xs, bins, lo, hi);
  const h = xs.length >> 1;
  const med = xs.length % 2 ? xs[h] : (xs[h - 1] + xs[h]) / 2;
  const width = options.width ?? 480, height = options.height ?? 320;
  const title = `${options.title ? `${options.title}: ` : ""}median = ${
    med.toFixed(3)
  } (n = ${xs.length})`;
  const top = Math.max(...counts);
  const ax = axesSvg({
    left: 70,
    top: 40,
    width: width - 100,
    height: height - 100,
    x: [lo, hi],
    y: [0, top * 1.1],
    xLabel: options.xLabel ?? "value",
    yLabel: options.yLabel ?? "count",
    title,
  });
  const bw = (hi - lo) / bins;
  const bars = counts.map((c, i) => {
    const x0 = ax.px(lo + i * bw), x1 = ax.px(lo + (i + 1) * bw), y = ax.py(c);
    return `<rect x="${x0.toFixed(2)}" y="${y.toFixed(2)}" width="${
      (x1 - x0).toFixed(2)
    }" height="${(ax.py(0) - y).toFixed(2)}"/>`;
  }).join("");
  const mx = ax.px(med).toFixed(2);
  const median = `<line x1="${mx}" y1="${ax.py(0)}" x2="${mx}" y2="${
    ax.py(top * 1.1)
  }" stroke="#d62728" stroke-width="2" stroke-dasharray="6 4"/>`;
  const svg = svgDocument(
    width,
    height,
    `<g fill="${
      escapeXml(options.color ?? "#1f77b4")
    }" stroke="#ffffff" stroke-width="0.5">${bars}</g>\n${median}\n${ax.svg}`,
  );
  return await svgToPicture(svg, { caption: title, signal: options.signal });
}

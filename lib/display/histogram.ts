/**
 * A histogram (e.g. of voxel-wise prediction r) with its median marked,
 * drawn by Observable Plot.
 * @module
 */
import type { Figure } from "./figure.ts";
import { CHART_MARGINS, labelledAxis, Plot, plotSvg, titledFigure } from "./plot_dom.ts";
import { niceTicks } from "./svg.ts";
import type { Picture } from "./picture.ts";

/** Options of {@linkcode plotHistogram}. */
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
  /** Stops before rendering (the deprecated {@linkcode histogramPlot} only). */
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
 * A histogram of the finite `values` with a dashed red line at their
 * median, drawn by Observable Plot; the title gets `median = … (n = …)`.
 *
 * @throws {RangeError} when there is no finite value or `bins` is not a positive integer
 * @example
 * ```ts
 * import { plotHistogram } from "@laion/fmri/plot";
 * const fig = plotHistogram([0.1, 0.4, 0.45, 0.5, 0.7], { xLabel: "voxel r", bins: 10 });
 * console.log(fig.caption); // "median = 0.450 (n = 5)"
 * ```
 */
export function plotHistogram(values: ArrayLike<number>, options: HistogramOptions = {}): Figure {
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
  const bw = (hi - lo) / bins;
  const bars = counts.map((count, i) => ({ x1: lo + i * bw, x2: lo + (i + 1) * bw, count }));
  const chart = plotSvg({
    width,
    height: height - 30,
    ...CHART_MARGINS,
    x: labelledAxis([lo, hi], options.xLabel ?? "value"),
    y: {
      ...labelledAxis([0, Math.max(...counts) * 1.1], options.yLabel ?? "count"),
      // counts are whole numbers
      ticks: niceTicks(0, Math.max(...counts) * 1.1, 5).filter(Number.isInteger),
      tickFormat: String,
    },
    marks: [
      Plot.rectY(bars, {
        x1: "x1",
        x2: "x2",
        y: "count",
        fill: options.color ?? "#1f77b4",
        stroke: "#ffffff",
        strokeWidth: 0.5,
        inset: 0,
      }),
      Plot.ruleX([med], { stroke: "#d62728", strokeWidth: 2, strokeDasharray: "6 4" }),
      Plot.frame({ stroke: "#333" }),
    ],
  });
  return titledFigure(chart, title, title);
}

/**
 * {@linkcode plotHistogram} rendered to PNG.
 * @deprecated Use {@linkcode plotHistogram}, which returns a {@linkcode Figure}
 *   (`await fig.toPicture()` gives this Picture; `fig.save("x.png")` saves it).
 * @example
 * ```ts
 * import { histogramPlot } from "@laion/fmri/plot";
 * const pic = await histogramPlot([0.1, 0.4, 0.45, 0.5, 0.7]);
 * ```
 */
export async function histogramPlot(
  values: ArrayLike<number>,
  options: HistogramOptions = {},
): Promise<Picture> {
  return await plotHistogram(values, options).toPicture({ signal: options.signal });
}

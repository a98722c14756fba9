/**
 * Predicted vs measured responses as a scatter plot, with the identity
 * line and Pearson's r in the title, drawn by Observable Plot.
 * @module
 */
import { pearson } from "../analysis/stats.ts";
import type { Figure } from "./figure.ts";
import { CHART_MARGINS, labelledAxis, Plot, plotSvg, titledFigure } from "./plot_dom.ts";
import type { Picture } from "./picture.ts";

/** Options of {@linkcode plotScatter}. */
export interface ScatterOptions {
  /** Picture size in pixels. @default 480 */
  width?: number;
  /** Picture height in pixels. @default 480 */
  height?: number;
  /** Label of the x axis. @default "measured" */
  xLabel?: string;
  /** Label of the y axis. @default "predicted" */
  yLabel?: string;
  /** Title; `r = …` (Pearson of x and y) is appended. @default "" */
  title?: string;
  /** Dot radius in pixels. @default 2.5 */
  radius?: number;
  /** Dot colour (CSS). @default "#1f77b4" */
  color?: string;
  /** Draw the identity line y = x. @default true */
  identity?: boolean;
  /** Stops before rendering (the deprecated {@linkcode scatterPlot} only). */
  signal?: AbortSignal;
}

/**
 * A scatter plot of `y` against `x` (e.g. predicted against measured test
 * responses of one voxel, or of all voxels flattened), drawn by Observable
 * Plot. Both axes share one range so that the identity line is the
 * diagonal. Non-finite pairs are skipped; the title gets `r = … (n = …)`.
 *
 * @throws {RangeError} when `x` and `y` differ in length or hold no finite pair
 * @example
 * ```ts
 * import { plotScatter } from "@laion/fmri/plot";
 * const fig = plotScatter([1, 2, 3], [1.1, 1.9, 3.2], { title: "FFA1 voxel 7" });
 * console.log(fig.caption); // "FFA1 voxel 7: r = 0.993 (n = 3)"
 * ```
 */
export function plotScatter(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  options: ScatterOptions = {},
): Figure {
  if (x.length !== y.length) {
    throw new RangeError(`scatter needs equal lengths, got x ${x.length} and y ${y.length}`);
  }
  const pts: [number, number][] = [];
  for (let i = 0; i < x.length; i++) {
    if (Number.isFinite(x[i]) && Number.isFinite(y[i])) pts.push([x[i], y[i]]);
  }
  if (pts.length === 0) throw new RangeError("scatter needs at least one finite (x, y) pair");
  const width = options.width ?? 480, height = options.height ?? 480;
  let lo = Infinity, hi = -Infinity;
  for (const [a, b] of pts) lo = Math.min(lo, a, b), hi = Math.max(hi, a, b);
  if (hi === lo) lo -= 1, hi += 1;
  const pad = (hi - lo) * 0.05;
  lo -= pad, hi += pad;
  const r = pearson(pts.map((p) => p[0]), pts.map((p) => p[1]));
  const title = `${options.title ? `${options.title}: ` : ""}r = ${
    r.toFixed(3)
  } (n = ${pts.length})`;
  const chart = plotSvg({
    width,
    height: height - 30,
    ...CHART_MARGINS,
    x: labelledAxis([lo, hi], options.xLabel ?? "measured"),
    y: labelledAxis([lo, hi], options.yLabel ?? "predicted"),
    marks: [
      ...((options.identity ?? true)
        ? [Plot.line([[lo, lo], [hi, hi]], {
          stroke: "#d62728",
          strokeWidth: 1.5,
          strokeDasharray: "6 4",
        })]
        : []),
      Plot.dot(pts, {
        x: (p: [number, number]) => p[0],
        y: (p: [number, number]) => p[1],
        r: options.radius ?? 2.5,
        fill: options.color ?? "#1f77b4",
        fillOpacity: 0.7,
        stroke: null,
      }),
      Plot.frame({ stroke: "#333" }),
    ],
  });
  return titledFigure(chart, title, title);
}

/**
 * {@linkcode plotScatter} rendered to PNG.
 * @deprecated Use {@linkcode plotScatter}, which returns a {@linkcode Figure}
 *   (`await fig.toPicture()` gives this Picture; `fig.save("x.png")` saves it).
 * @example
 * ```ts
 * import { scatterPlot } from "@laion/fmri/plot";
 * const pic = await scatterPlot([1, 2, 3], [1.1, 1.9, 3.2]);
 * ```
 */
export async function scatterPlot(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  options: ScatterOptions = {},
): Promise<Picture> {
  return await plotScatter(x, y, options).toPicture({ signal: options.signal });
}

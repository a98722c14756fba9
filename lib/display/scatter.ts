/**
 * Predicted vs measured responses as a scatter plot, with the identity
 * line and Pearson's r in the title.
 * @module
 */
import { pearson } from "../analysis/stats.ts";
import { axesSvg, escapeXml, svgDocument, svgToPicture } from "./svg.ts";
import type { Picture } from "./picture.ts";

/** Options of {@linkcode scatterPlot}. */
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
  /** Stops before rendering. */
  signal?: AbortSignal;
}

/**
 * A scatter plot of `y` against `x` (e.g. predicted against measured test
 * responses of one voxel, or of all voxels flattened). Both axes share one
 * range so that the identity line is the diagonal. Non-finite pairs are skipped.
 *
 * @example
 * ```ts
 * import { scatterPlot } from "@laion/fmri/plot";
 * const pic = await scatterPlot([1, 2, 3], [1.1, 1.9, 3.2], { title: "FFA1 voxel 7" });
 * await pic.save("scatter.png");
 * ```
 */
export async function scatterPlot(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  options: ScatterOptions = {},
): Promise<Picture> {
  if (x.length !== y.length) {
    throw new RangeError(`scatter needs equal lengths, got x ${x.length} and y ${y.length}`);
  }
  const xs: number[] = [], ys: number[] = [];
  for (let i = 0; i < x.length; i++) {
    if (Number.isFinite(x[i]) && Number.isFinite(y[i])) xs.push(x[i]), ys.push(y[i]);
  }
  if (xs.length === 0) throw new RangeError("scatter needs at least one finite (x, y) pair");
  const width = options.width ?? 480, height = options.height ?? 480;
  let lo = Math.min(...xs, ...ys), hi = Math.max(...xs, ...ys);
  if (hi === lo) lo -= 1, hi += 1;
  const pad = (hi - lo) * 0.05;
  lo -= pad, hi += pad;
  const r = pearson(xs, ys);
  const title = `${options.title ? `${options.title}: ` : ""}r = ${
    r.toFixed(3)
  } (n = ${xs.length})`;
  const ax = axesSvg({
    left: 70,
    top: 40,
    width: width - 100,
    height: height - 100,
    x: [lo, hi],
    y: [lo, hi],
    xLabel: options.xLabel ?? "measured",
    yLabel: options.yLabel ?? "predicted",
    title,
  });
  const radius = options.radius ?? 2.5;
  const color = escapeXml(options.color ?? "#1f77b4");
  const dots = xs.map((v, i) =>
    `<circle cx="${ax.px(v).toFixed(2)}" cy="${ax.py(ys[i]).toFixed(2)}" r="${radius}"/>`
  ).join("");
  const identity = (options.identity ?? true)
    ? `<line x1="${ax.px(lo)}" y1="${ax.py(lo)}" x2="${ax.px(hi)}" y2="${
      ax.py(hi)
    }" stroke="#d62728" stroke-width="1.5" stroke-dasharray="6 4"/>`
    : "";
  const svg = svgDocument(
    width,
    height,
    `${identity}\n<g fill="${color}" fill-opacity="0.7">${dots}</g>\n${ax.svg}`,
  );
  return await svgToPicture(svg, { caption: title, signal: options.signal });
}

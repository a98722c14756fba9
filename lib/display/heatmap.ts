/**
 * Matrices as colour images side by side on one colour scale: measured and
 * predicted responses (voxels × images), or two RDMs (images × images), as
 * upstream's tutorial shows them with matplotlib's `imshow`.
 * @module
 */
import { encodePng } from "../formats/png_write.ts";
import { colormap, type ColormapName } from "./colormaps.ts";
import type { Picture } from "./picture.ts";
import { Figure } from "./figure.ts";
import { colorLegend, composeSvg, Plot, plotSvg } from "./plot_dom.ts";
import { niceTicks, pngDataUrl, shortNumber } from "./svg.ts";

/** One panel of {@linkcode plotHeatmap}: a row-major matrix and its title. */
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

/** Options of {@linkcode plotHeatmap}. */
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
  /** Stops before rendering (the deprecated {@linkcode heatmapPlot} only). */
  signal?: AbortSignal;
}

/** About 5 round integer ticks in 0..n-1. */
function indexTicks(n: number): number[] {
  return niceTicks(0, Math.max(1, n - 1), 5).filter((t) => Number.isInteger(t) && t <= n - 1);
}

/**
 * Draws one or more matrices with one shared colour scale, each in an
 * Observable Plot frame with row and column ticks, and one colour legend
 * with its numbers underneath.
 *
 * @throws {RangeError} when a panel's data does not fill rows × cols, or there is no panel
 * @example
 * ```ts
 * import { plotHeatmap } from "@laion/fmri/plot";
 * const m = { rows: 2, cols: 3, data: [0, 1, 2, 3, 4, 5], title: "ramp" };
 * const fig = plotHeatmap([m], { colormap: "viridis", label: "value" });
 * console.log(fig.caption); // "ramp 2x3; viridis 0..5"
 * ```
 */
export function plotHeatmap(panels: readonly HeatmapPanel[], options: HeatmapOptions = {}): Figure {
  if (panels.length === 0) throw new RangeError("plotHeatmap needs at least one panel");
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
  const lo = vmin, hi = vmax;
  const gamma = options.gamma ?? 1;
  if (!(gamma > 0)) throw new RangeError(`gamma must be > 0, got ${gamma}`);
  const cmap = options.colormap ?? "viridis";
  const scaled = (v: number) => Math.max(0, Math.min(1, (v - lo) / (hi - lo))) ** gamma;
  const [pw, ph] = options.panelSize ?? [260, 220];

  const charts = panels.map((p) => {
    // our raster, nearest-neighbour to the panel's pixels, placed by Plot on the index scales
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
    const src = pngDataUrl(encodePng({ width: pw, height: ph, channels: 3, data: px }));
    const margin = { marginLeft: 50, marginRight: 10, marginTop: 24, marginBottom: 40 };
    return plotSvg({
      ...margin,
      width: pw + margin.marginLeft + margin.marginRight,
      height: ph + margin.marginTop + margin.marginBottom,
      x: {
        // matplotlib's imshow: integer ticks at the cells' centres
        domain: [-0.5, p.cols - 0.5],
        ticks: indexTicks(p.cols),
        tickFormat: String,
        label: options.xLabel ?? null,
        labelAnchor: "center",
        labelArrow: "none",
      },
      y: {
        domain: [p.rows - 0.5, -0.5],
        ticks: indexTicks(p.rows),
        tickFormat: String,
        label: options.yLabel ?? null,
        labelAnchor: "center",
        labelArrow: "none",
      },
      marks: [
        Plot.image([0], {
          x: (p.cols - 1) / 2,
          y: (p.rows - 1) / 2,
          width: pw,
          height: ph,
          src,
          preserveAspectRatio: "none",
          imageRendering: "pixelated",
        }),
        Plot.frame({ stroke: "#444" }),
        ...(p.title
          ? [
            Plot.text([p.title], {
              frameAnchor: "top",
              dy: -16,
              fontSize: 13,
              text: (d: string) => d,
            }),
          ]
          : []),
      ],
    });
  });
  const legend = colorLegend({
    colormap: cmap,
    vmin: lo,
    vmax: hi,
    label: options.label,
    gamma,
    width: Math.min(360, charts.reduce((a, c) => a + c.width, 0)),
  });
  const top = options.title ? 34 : 4;
  const placed = charts.map((part, k) => ({
    part,
    x: charts.slice(0, k).reduce((a, c) => a + c.width, 0),
    y: top,
  }));
  const width = placed.at(-1)!.x + charts.at(-1)!.width;
  const chartH = Math.max(...charts.map((c) => c.height));
  placed.push({ part: legend, x: (width - legend.width) / 2, y: top + chartH });
  const height = top + chartH + legend.height;
  const caption = `${options.title ? `${options.title}: ` : ""}${
    panels.map((p) => `${p.title ?? "panel"} ${p.rows}x${p.cols}`).join(", ")
  }; ${cmap}${gamma !== 1 ? ` (gamma ${gamma})` : ""} ${shortNumber(lo)}..${shortNumber(hi)}`;
  const svg = composeSvg(width, height, placed, { title: options.title, caption });
  return new Figure(svg, width, height, caption);
}

/**
 * {@linkcode plotHeatmap} rendered to PNG.
 * @deprecated Use {@linkcode plotHeatmap}, which returns a {@linkcode Figure}
 *   (`await fig.toPicture()` gives this Picture; `fig.save("x.png")` saves it).
 * @example
 * ```ts
 * import { heatmapPlot } from "@laion/fmri/plot";
 * const pic = await heatmapPlot([{ rows: 2, cols: 2, data: [0, 1, 2, 3] }]);
 * ```
 */
export async function heatmapPlot(
  panels: readonly HeatmapPanel[],
  options: HeatmapOptions = {},
): Promise<Picture> {
  return await plotHeatmap(panels, options).toPicture({ signal: options.signal });
}

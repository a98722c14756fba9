/**
 * Observable Plot without a browser: charts are built by
 * `npm:@observablehq/plot` on a `npm:linkedom` document and serialised as
 * SVG text (no canvas, no permission). Also the pieces figures share: a
 * colour legend with its numbers, and placing several SVGs on one canvas.
 * @module
 */
import * as Plot from "npm:@observablehq/plot@0.6.17";
import { parseHTML } from "npm:linkedom@0.18.15";
import { colormapCss, type ColormapName } from "./colormaps.ts";
import { escapeXml, FONT_FAMILY, niceTicks, shortNumber, svgDocument, svgText } from "./svg.ts";

export { Plot };

/** What we use of the element Plot returns (linkedom's; Deno has no DOM types). */
interface DomElement {
  tagName: string;
  outerHTML: string;
  getAttribute(name: string): string | null;
  setAttribute(name: string, value: string): void;
}

let doc: unknown;

/** The linkedom document every chart is built on (one, reused). */
function plotDocument(): never {
  doc ??= (parseHTML("<!DOCTYPE html><html><body></body></html>") as unknown as {
    document: unknown;
  }).document;
  return doc as never;
}

/** An SVG chart: its text and size. */
export interface SvgPart {
  /** A standalone SVG document. */
  svg: string;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
}

/**
 * `Plot.plot(options)` as standalone SVG text in the plots' font (DejaVu
 * Sans, 12 px), on white.
 *
 * @example
 * ```ts
 * import { Plot, plotSvg } from "./plot_dom.ts";
 * const { svg } = plotSvg({ width: 200, height: 100, marks: [Plot.dot([1, 2, 3], { x: (d: number) => d })] });
 * console.log(svg.startsWith("<svg")); // true
 * ```
 */
export function plotSvg(options: Plot.PlotOptions): SvgPart {
  const el = Plot.plot({ ...options, document: plotDocument() }) as unknown as DomElement;
  if (el.tagName.toLowerCase() !== "svg") {
    throw new TypeError(`Plot made a <${el.tagName}>, not an <svg>; give no caption or legend`);
  }
  const width = Number(el.getAttribute("width")), height = Number(el.getAttribute("height"));
  el.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  el.setAttribute("font-family", FONT_FAMILY);
  el.setAttribute("font-size", "12");
  // a white ground for viewers and for PNG rendering (Plot's default is transparent)
  const ground = `<rect width="${width}" height="${height}" fill="#ffffff"/>`;
  const svg = el.outerHTML.replace(/^(<svg[^>]*>)/, `$1${ground}`);
  return { svg, width, height };
}

/** Options of {@linkcode colorLegend}. */
export interface ColorLegendOptions {
  /** The colour map. */
  colormap: ColormapName;
  /** Value at the left (bottom) end. */
  vmin: number;
  /** Value at the right (top) end. */
  vmax: number;
  /** Label under the bar (the quantity and unit). @default "" */
  label?: string;
  /** Extra tick values, e.g. a threshold; always labelled. @default [] */
  ticks?: readonly number[];
  /** Width of the legend in pixels. @default 240 */
  width?: number;
  /** Values between -threshold and +threshold are drawn grey (not shown on the map). @default 0 */
  threshold?: number;
}

/**
 * A horizontal colour bar with tick numbers and a label, built by
 * Observable Plot: 256 cells of the map's exact table over `[vmin, vmax]`.
 *
 * @example
 * ```ts
 * import { colorLegend } from "./plot_dom.ts";
 * const bar = colorLegend({ colormap: "viridis", vmin: 0, vmax: 1, label: "r" });
 * console.log(bar.height); // 56
 * ```
 */
export function colorLegend(options: ColorLegendOptions): SvgPart {
  const { vmin, vmax } = options;
  if (!(vmax > vmin)) throw new RangeError(`colour legend needs vmax > vmin, got ${vmin}..${vmax}`);
  const colours = colormapCss(options.colormap, 256);
  const thr = Math.abs(options.threshold ?? 0);
  const step = (vmax - vmin) / 256;
  const cells = colours.map((fill, k) => {
    const x1 = vmin + k * step, x2 = x1 + step, mid = (x1 + x2) / 2;
    return { x1, x2, fill: thr > 0 && Math.abs(mid) < thr ? "rgb(190,190,190)" : fill };
  });
  const extra = (options.ticks ?? []).filter((t) => t >= vmin && t <= vmax);
  // the ends and the extra ticks always; round ticks between them where they do not crowd
  const fixed = [vmin, vmax, ...extra];
  const near = (t: number) => fixed.some((f) => Math.abs(f - t) < 0.12 * (vmax - vmin));
  const ticks = [...fixed, ...niceTicks(vmin, vmax, 4).filter((t) => !near(t))]
    .sort((a, b) => a - b);
  return plotSvg({
    width: options.width ?? 240,
    height: 56,
    marginTop: 6,
    marginBottom: 32,
    marginLeft: 14,
    marginRight: 14,
    x: {
      domain: [vmin, vmax],
      label: options.label ?? "",
      labelAnchor: "center",
      labelArrow: "none",
      ticks,
      tickFormat: shortNumber,
    },
    y: { axis: null, domain: [0, 1] },
    marks: [
      Plot.rect(cells, { x1: "x1", x2: "x2", y1: 0, y2: 1, fill: "fill", inset: 0 }),
      Plot.frame({ stroke: "#333" }),
    ],
  });
}

/** One SVG placed at `(x, y)` of a larger canvas. */
export interface Placed {
  /** The part. */
  part: SvgPart;
  /** Left edge in pixels. */
  x: number;
  /** Top edge in pixels. */
  y: number;
}

/**
 * Several SVGs on one white canvas of `width × height`, with a bold title
 * at the top left and a `<title>` (the caption) for screen readers.
 *
 * @example
 * ```ts
 * import { colorLegend, composeSvg } from "./plot_dom.ts";
 * const bar = colorLegend({ colormap: "gray", vmin: 0, vmax: 1 });
 * const svg = composeSvg(260, 80, [{ part: bar, x: 10, y: 10 }], { caption: "a bar" });
 * ```
 */
export function composeSvg(
  width: number,
  height: number,
  parts: readonly Placed[],
  options: { title?: string; caption?: string; extra?: string } = {},
): string {
  const body = parts.map(({ part, x, y }) =>
    part.svg.replace(/^<svg/, `<svg x="${x}" y="${y}"`).replace(/ xmlns="[^"]*"/, "")
  );
  if (options.title) body.push(svgText(10, 22, options.title, { size: 14, bold: true }));
  if (options.extra) body.push(options.extra);
  const title = options.caption ? `<title>${escapeXml(options.caption)}</title>\n` : "";
  return svgDocument(width, height, title + body.join("\n"));
}

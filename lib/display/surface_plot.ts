/**
 * Cortical surface pictures as nilearn draws them with `plot_surf_stat_map`,
 * `plot_surf_roi`/`plot_surf_contours` and `plot_img_on_surf`: a
 * hemisphere mesh (pial, white, inflated) seen from the side, sulcal depth
 * or curvature as a grey background, per-vertex values in colour where
 * `|value| >= threshold`, ROI outlines, and one colour bar with tick values
 * and a label.
 *
 * What follows nilearn (0.10, matplotlib engine):
 * - the background `bgMap` is rescaled to 0–1 when it leaves that range,
 *   multiplied by `darkness` (0.7) and drawn with `gray_r`, so sulci
 *   (positive `sulc`/`curv`) are darker; `bgMode: "binary"` draws only the
 *   sign (0.25 / 0.75 before `darkness`), as nilearn's examples do with
 *   `np.sign(curv)`;
 * - values are drawn with the `cold_hot` colour map between `-vmax` and
 *   `vmax` (symmetric by default), `vmax` defaults to the largest `|value|`;
 *   values with `|value| < threshold` and NaN show the background, and the
 *   colour bar greys out `[-threshold, threshold]`;
 * - the colour bar has five ticks from `vmin` to `vmax` (`%.2g`);
 * - the views and their cameras (see {@linkcode viewCamera}).
 *
 * What differs: colours are interpolated per vertex (nilearn averages per
 * face; `interpolation: "face"` does that), a headlight shades the relief
 * (`lighting: 0` is nilearn's flat look), the background without `bgMap`
 * is a uniform light grey, and the image is anti-aliased.
 *
 * The result is a {@linkcode Figure}: SVG with the surface pixels embedded
 * as PNG and the text as text, shown inline by the kernel without any
 * permission; `fig.toPicture()` or `fig.save("x.png")` renders it to PNG
 * through sharp (`--allow-ffi`).
 * @module
 */
import type { SurfaceMesh } from "../formats/freesurfer_surface.ts";
import { type ColormapName, colormapTable, type Rgb, TAB20 } from "./colormaps.ts";
import { InvalidChoiceError } from "../core/errors.ts";
import { encodePng } from "../formats/png_write.ts";
import { Figure } from "./figure.ts";
import { pngDataUrl, svgDocument, svgText } from "./svg.ts";
import {
  type Hemisphere,
  HEMISPHERES,
  projectedExtent,
  rasterizeSurface,
  roiContour,
  SURFACE_VIEWS,
  type SurfaceOutline,
  type SurfaceView,
  type ValueMap,
  viewCamera,
} from "./surface_render.ts";

/** A ROI outlined on the surface. */
export interface SurfaceRoi {
  /**
   * Its vertices: indices (as `readFreesurferLabel` returns them), a
   * per-vertex mask (non-zero inside), or a per-vertex integer label array
   * (a parcellation: each positive label is outlined on its own, 0 and
   * negative labels are outside).
   */
  vertices: ArrayLike<number | boolean>;
  /** How `vertices` is given. @default "indices" */
  kind?: "indices" | "mask" | "labels";
  /** Outline colour (of every label, for `"labels"`). @default a colour of the qualitative palette (`tab10`), by position */
  color?: Rgb;
  /** Line width in pixels. @default 2 */
  width?: number;
  /** Its name, for the caption. */
  name?: string;
}

/** One hemisphere to draw. */
export interface SurfaceLayer {
  /** The mesh (from `readFreesurferSurface` or `readGiftiSurface`). */
  mesh: SurfaceMesh;
  /** A value per vertex (NaN: none); drawn in colour where `|value| >= threshold`. */
  values?: ArrayLike<number>;
  /** Background per vertex, e.g. `sulc` or `curv` (positive = sulcus = darker). */
  bgMap?: ArrayLike<number>;
  /** ROIs to outline. @default [] */
  rois?: readonly SurfaceRoi[];
}

/** A colour map: a name of `COLORMAPS` (matplotlib's tables) or a function from [0, 1] to RGB. */
export type SurfaceColormap = ColormapName | ((t: number) => readonly [number, number, number]);

/** Options shared by {@linkcode plotSurfStatMap} and {@linkcode plotSurfViews}. */
export interface SurfacePlotOptions {
  /** Values with `|value|` below this show the background. @default 0 (all values drawn) */
  threshold?: number;
  /** Top of the colour range. @default the largest `|value|` */
  vmax?: number;
  /** Bottom of the colour range. @default `-vmax` when `symmetric`, else the smallest value */
  vmin?: number;
  /** A colour range symmetric about 0. @default true */
  symmetric?: boolean;
  /** The colour map. @default "cold_hot" */
  colormap?: SurfaceColormap;
  /** How dark the background gets, 0–1 (nilearn's `darkness`). @default 0.7 */
  darkness?: number;
  /** `bgMap` drawn graded (rescaled to 0–1) or by its sign only. @default "graded" */
  bgMode?: "graded" | "binary";
  /** Colours interpolated across faces from the vertices, or one colour per face (mean value). @default "vertex" */
  interpolation?: "vertex" | "face";
  /** Share of the headlight in the shading (0: flat, as nilearn's matplotlib engine). @default 0.4 */
  lighting?: number;
  /** Draw the colour bar (when there are values). @default true */
  colorbar?: boolean;
  /** Label of the colour bar, e.g. `"t"` or `"r"`. @default "" */
  label?: string;
  /** Title above the figure. @default "" */
  title?: string;
  /** Anti-aliasing factor (see {@linkcode rasterizeSurface}). @default 2 */
  supersample?: number;
}

/** Options of {@linkcode plotSurfStatMap}. */
export interface SurfaceStatMapOptions extends SurfacePlotOptions {
  /** The hemisphere, which decides where lateral and medial look from. @default "left" */
  hemi?: Hemisphere;
  /** The view. @default "lateral" */
  view?: SurfaceView;
  /** Width of the surface panel in pixels (the colour bar adds to it). @default 800 */
  width?: number;
  /** Height of the surface panel in pixels. @default 600 */
  height?: number;
}

/** Options of {@linkcode plotSurfViews}. */
export interface SurfaceViewsOptions extends SurfacePlotOptions {
  /** The views, one row each. @default ["lateral", "medial"] */
  views?: readonly SurfaceView[];
  /** Width of each panel. @default 400 */
  panelWidth?: number;
  /** Height of each panel. @default 300 */
  panelHeight?: number;
}

/** matplotlib's `tab10` (`tab20`'s darker half), the default ROI outline colours. */
const TAB10: readonly Rgb[] = TAB20.filter((_, i) => i % 2 === 0);

/**
 * A 256-entry RGB table of a colour map (`3 * 256` bytes), sampled at
 * `i / 255` as matplotlib's `ListedColormap` does.
 *
 * @throws {RangeError} an unknown name, listing the valid ones
 * @example
 * ```ts
 * import { surfaceColormapTable } from "@laion/fmri/plot";
 * const lut = surfaceColormapTable("cold_hot");
 * console.log(lut.slice(0, 3), lut.slice(765)); // white at the bottom, white at the top
 * ```
 */
export function surfaceColormapTable(cmap: SurfaceColormap): Uint8Array {
  if (typeof cmap !== "function") return colormapTable(cmap);
  const f = cmap;
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) lut.set(f(i / 255).map((v) => Math.round(v)), 3 * i);
  return lut;
}

/** The colour range, resolved once for all panels. */
interface Range {
  vmin: number;
  vmax: number;
  threshold: number;
}

function colourRange(layers: readonly SurfaceLayer[], o: SurfacePlotOptions): Range | undefined {
  let lo = Infinity, hi = -Infinity, any = false;
  for (const l of layers) {
    if (!l.values) continue;
    any = true;
    for (let i = 0; i < l.values.length; i++) {
      const v = l.values[i];
      if (Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  if (!any) return undefined;
  if (lo > hi) lo = 0, hi = 0;
  const threshold = o.threshold ?? 0;
  if (!(threshold >= 0)) throw new RangeError(`threshold must be >= 0, got ${threshold}`);
  const symmetric = o.symmetric ?? true;
  let vmax = o.vmax ?? (symmetric ? Math.max(Math.abs(lo), Math.abs(hi)) : hi);
  let vmin = o.vmin ?? (symmetric ? -vmax : lo);
  if (!(vmax > vmin)) {
    if (o.vmax !== undefined && o.vmin !== undefined) {
      throw new RangeError(`vmax (${o.vmax}) must be larger than vmin (${o.vmin})`);
    }
    vmax = vmin + 1;
    if (symmetric && o.vmin === undefined) vmin = -(vmax = Math.max(1, Math.abs(vmax)));
  }
  return { vmin, vmax, threshold };
}

function checkLength(name: string, a: ArrayLike<unknown> | undefined, n: number): void {
  if (a && a.length !== n) {
    throw new RangeError(`${name} has ${a.length} values for a mesh of ${n} vertices`);
  }
}

/** The grey background (0–255) per vertex, as nilearn's `gray_r(bg * darkness)`. */
function backgroundGrey(layer: SurfaceLayer, o: SurfacePlotOptions): Float32Array {
  const n = layer.mesh.nVertices;
  const out = new Float32Array(n);
  const darkness = o.darkness ?? 0.7;
  if (!(darkness >= 0 && darkness <= 1)) {
    throw new RangeError(`darkness must be in 0..1, got ${darkness}`);
  }
  const bg = layer.bgMap;
  if (!bg) return out.fill(210);
  const mode = o.bgMode ?? "graded";
  if (mode !== "graded" && mode !== "binary") {
    throw new InvalidChoiceError("bgMode", mode, ["graded", "binary"]);
  }
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = bg[i];
    if (Number.isFinite(v)) lo = Math.min(lo, v), hi = Math.max(hi, v);
  }
  const rescale = mode === "graded" && (lo < 0 || hi > 1) && hi > lo;
  for (let i = 0; i < n; i++) {
    const v = bg[i];
    let t = Number.isFinite(v) ? v : 0;
    if (mode === "binary") t = t > 0 ? 0.75 : 0.25;
    else if (rescale) t = (t - lo) / (hi - lo);
    t = Math.min(1, Math.max(0, t)) * darkness;
    out[i] = 255 * (1 - t);
  }
  return out;
}

/** RGB per vertex or per face: the background with the values over it. */
function layerColours(
  layer: SurfaceLayer,
  range: Range | undefined,
  lut: Uint8Array,
  o: SurfacePlotOptions,
): { vertexColors?: Uint8Array; faceColors?: Uint8Array; valueMap?: ValueMap } {
  const { mesh } = layer;
  const n = mesh.nVertices;
  checkLength("values", layer.values, n);
  checkLength("bgMap", layer.bgMap, n);
  const grey = backgroundGrey(layer, o);
  const values = layer.values;
  const colour = (v: number, g: number, out: Uint8Array, at: number) => {
    if (range && Number.isFinite(v) && Math.abs(v) >= range.threshold) {
      const t = (v - range.vmin) / (range.vmax - range.vmin);
      const i = Math.min(255, Math.max(0, Math.floor(t * 256))) * 3;
      out[at] = lut[i], out[at + 1] = lut[i + 1], out[at + 2] = lut[i + 2];
    } else {
      out[at] = out[at + 1] = out[at + 2] = Math.round(g);
    }
  };
  const interpolation = o.interpolation ?? "vertex";
  if (interpolation === "vertex") {
    // The background per vertex; the values are coloured per pixel by the rasteriser.
    const c = new Uint8Array(3 * n);
    for (let i = 0; i < n; i++) colour(NaN, grey[i], c, 3 * i);
    const valueMap = range && values
      ? { values, lut, vmin: range.vmin, vmax: range.vmax, threshold: range.threshold }
      : undefined;
    return { vertexColors: c, valueMap };
  }
  if (interpolation !== "face") {
    throw new InvalidChoiceError("interpolation", interpolation, ["vertex", "face"]);
  }
  const F = mesh.faces, nF = mesh.nFaces;
  const c = new Uint8Array(3 * nF);
  for (let f = 0; f < nF; f++) {
    const a = F[3 * f], b = F[3 * f + 1], d = F[3 * f + 2];
    const v = values ? (values[a] + values[b] + values[d]) / 3 : NaN;
    colour(v, (grey[a] + grey[b] + grey[d]) / 3, c, 3 * f);
  }
  return { faceColors: c };
}

/** The distinct positive labels of a per-vertex label array, ascending. */
function positiveLabels(labels: ArrayLike<number | boolean>): number[] {
  const seen = new Set<number>();
  for (let i = 0; i < labels.length; i++) {
    const v = Number(labels[i]);
    if (v > 0) seen.add(v);
  }
  return [...seen].sort((a, b) => a - b);
}

function outlines(layer: SurfaceLayer, startColour: number): SurfaceOutline[] {
  const n = layer.mesh.nVertices;
  const out: SurfaceOutline[] = [];
  (layer.rois ?? []).forEach((roi, i) => {
    const kind = roi.kind ?? "indices";
    if (kind !== "indices" && kind !== "mask" && kind !== "labels") {
      throw new InvalidChoiceError("ROI kind", kind, ["indices", "mask", "labels"]);
    }
    const width = roi.width ?? 2;
    const next = () => TAB10[(startColour + out.length) % TAB10.length];
    if (kind === "labels") {
      checkLength(`ROI ${roi.name ?? i} labels`, roi.vertices, n);
      for (const label of positiveLabels(roi.vertices)) {
        const mask = new Uint8Array(n);
        for (let v = 0; v < n; v++) mask[v] = Number(roi.vertices[v]) === label ? 1 : 0;
        out.push({
          segments: roiContour(layer.mesh, mask, "mask"),
          color: roi.color ?? next(),
          width,
        });
      }
      return;
    }
    if (kind === "mask") checkLength(`ROI ${roi.name ?? i} mask`, roi.vertices, n);
    out.push({
      segments: roiContour(layer.mesh, roi.vertices, kind),
      color: roi.color ?? next(),
      width,
    });
  });
  return out;
}

/** C's `%.2g`, nilearn's tick format: 2 significant digits, exponent form below 1e-4 and from 100. */
function tickText(v: number): string {
  if (v === 0) return "0";
  const [mant, exp] = v.toExponential(1).split("e");
  const e = Number(exp);
  if (e < -4 || e >= 2) {
    const m = mant.replace(/\.0$/, "");
    return `${m}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  }
  return String(Number(`${mant}e${e}`));
}

/**
 * The five colour-bar ticks nilearn draws: `vmin` to `vmax` in equal steps,
 * with their `%.2g` labels.
 *
 * @example
 * ```ts
 * import { surfaceColorbarTicks } from "@laion/fmri/plot";
 * console.log(surfaceColorbarTicks(-4, 4).map((t) => t.label)); // ["-4", "-2", "0", "2", "4"]
 * ```
 */
export function surfaceColorbarTicks(
  vmin: number,
  vmax: number,
): { value: number; label: string }[] {
  return Array.from({ length: 5 }, (_, i) => {
    const value = vmin + ((vmax - vmin) * i) / 4;
    return { value, label: tickText(Math.abs(value) < 1e-12 * (vmax - vmin) ? 0 : value) };
  });
}

interface Panel {
  layer: SurfaceLayer;
  hemi: Hemisphere;
  view: SurfaceView;
  x: number;
  y: number;
  w: number;
  h: number;
  name?: string;
}

/** The figure: panels as one embedded PNG, text as SVG text. */
/** A legend entry of {@linkcode plotSurfRoi}. */
interface LegendEntry {
  color: Rgb;
  name: string;
}

function surfaceFigure(
  panels: Panel[],
  o: SurfacePlotOptions,
  common: boolean,
  fill?: (layer: SurfaceLayer) => { vertexColors: Uint8Array },
  legend: LegendEntry[] = [],
): Figure {
  const layers = [...new Set(panels.map((p) => p.layer))];
  const range = fill ? undefined : colourRange(layers, o);
  const lut = surfaceColormapTable(o.colormap ?? "cold_hot");
  const colours = new Map(
    layers.map((l) => [l, fill ? fill(l) : layerColours(l, range, lut, o)]),
  );
  let roiCount = 0;
  const lines = new Map(layers.map((l) => {
    const out = outlines(l, roiCount);
    roiCount += out.length;
    return [l, out];
  }));
  // One scale for every panel, so both hemispheres and all views are the same size in mm.
  const margin = 8;
  let scale: number | undefined;
  if (common) {
    for (const p of panels) {
      const e = projectedExtent(p.layer.mesh, viewCamera(p.hemi, p.view));
      const fit = Math.min(
        (p.w - 2 * margin) / Math.max(1e-9, e.u[1] - e.u[0]),
        (p.h - 2 * margin) / Math.max(1e-9, e.v[1] - e.v[0]),
      );
      scale = Math.min(scale ?? Infinity, fit);
    }
  }
  const titleH = o.title ? 34 : 8;
  const labelH = panels.some((p) => p.name) ? 18 : 0;
  const showBar = range !== undefined && (o.colorbar ?? true);
  const right = Math.max(...panels.map((p) => p.x + p.w));
  const legendH = labelH + 8 + 20 * legend.length;
  const bottom = Math.max(Math.max(...panels.map((p) => p.y + p.h)) + labelH, legendH);
  const barW = 18, barX = right + 16;
  const legendW = legend.length ? 40 + 7.5 * Math.max(...legend.map((e) => e.name.length)) : 0;
  const width = Math.ceil(Math.max(
    showBar ? barX + barW + 50 + (o.label ? 18 : 0) : right + 8 + legendW,
    o.title ? 9.5 * o.title.length + 20 : 0,
  ));
  const height = titleH + bottom + 8;
  const px = new Uint8Array(width * (bottom + 8) * 3).fill(255);
  const parts: string[] = [];
  for (const p of panels) {
    const img = rasterizeSurface(p.layer.mesh, {
      camera: viewCamera(p.hemi, p.view),
      width: p.w,
      height: p.h,
      ...colours.get(p.layer)!,
      lighting: o.lighting,
      outlines: lines.get(p.layer),
      supersample: o.supersample,
      scale,
      margin,
    });
    for (let r = 0; r < p.h; r++) {
      px.set(
        img.data.subarray(3 * r * p.w, 3 * (r + 1) * p.w),
        3 * ((p.y + labelH + r) * width + p.x),
      );
    }
    if (p.name) parts.push(svgText(p.x + p.w / 2, titleH + p.y + 13, p.name, { anchor: "middle" }));
  }
  let ticks: { value: number; label: string }[] = [];
  if (showBar && range) {
    // 80% of the panels' height, at most 480 px, centred on them.
    const barH = Math.min(480, Math.round((bottom - labelH) * 0.8));
    const barTop = labelH + Math.round((bottom - labelH - barH) / 2);
    const { vmin, vmax, threshold } = range;
    for (let r = 0; r < barH; r++) {
      // nilearn's bar: 256 colours, grey between -threshold and +threshold.
      const v = vmax - ((r + 0.5) / barH) * (vmax - vmin);
      const i = Math.min(255, Math.max(0, Math.floor(((v - vmin) / (vmax - vmin)) * 256))) * 3;
      const c = threshold > 0 && Math.abs(v) < threshold
        ? [128, 128, 128]
        : [lut[i], lut[i + 1], lut[i + 2]];
      for (let x = 0; x < barW; x++) px.set(c, 3 * ((barTop + r) * width + barX + x));
    }
    ticks = surfaceColorbarTicks(vmin, vmax);
    for (const t of ticks) {
      const y = titleH + barTop + (1 - (t.value - vmin) / (vmax - vmin)) * barH;
      parts.push(
        `<line x1="${barX + barW}" y1="${y.toFixed(1)}" x2="${barX + barW + 4}" y2="${
          y.toFixed(1)
        }" stroke="#222"/>`,
        svgText(barX + barW + 7, Math.round(y + 4), t.label, { size: 12 }),
      );
    }
    if (o.label) {
      const lx = barX + barW + 52, ly = titleH + barTop + barH / 2;
      parts.push(svgText(lx, ly, o.label, { size: 13, anchor: "middle", rotate: -90 }));
    }
  }
  legend.forEach((e, k) => {
    const y = labelH + 8 + 20 * k;
    for (let r = 0; r < 14; r++) {
      for (let x = 0; x < 14; x++) px.set(e.color, 3 * ((y + r) * width + right + 16 + x));
    }
    parts.push(svgText(right + 36, titleH + y + 12, e.name, { size: 12 }));
  });
  if (o.title) parts.push(svgText(width / 2, 23, o.title, { size: 16, anchor: "middle" }));
  const png = encodePng({ width, height: bottom + 8, channels: 3, data: px });
  const body =
    `<image x="0" y="${titleH}" width="${width}" height="${bottom + 8}" href="${
      pngDataUrl(png)
    }"/>\n` + parts.join("\n");
  const what = [...new Set(panels.map((p) => `${p.hemi} ${p.view}`))].join(", ");
  const rois = layers.flatMap((l) => (l.rois ?? []).map((r, i) => r.name ?? `ROI ${i + 1}`));
  const caption = `${o.title ? `${o.title}: ` : ""}${what}` +
    (range
      ? `; ${typeof o.colormap === "function" ? "custom" : o.colormap ?? "cold_hot"} ${
        ticks[0]?.label ?? range.vmin
      }..${ticks[4]?.label ?? range.vmax}${range.threshold ? `, |v| >= ${range.threshold}` : ""}`
      : "") +
    (rois.length ? `; outlines: ${rois.join(", ")}` : "") +
    (legend.length ? `; labels: ${legend.map((e) => e.name).join(", ")}` : "");
  return new Figure(svgDocument(width, height, body), width, height, caption);
}

function checkChoice<T extends string>(what: string, v: T, valid: readonly T[]): T {
  if (!valid.includes(v)) throw new InvalidChoiceError(what, v, valid);
  return v;
}

/** The views of a multi-view figure: at least one, each a known view. */
function checkViews(views: readonly SurfaceView[]): readonly SurfaceView[] {
  if (views.length === 0) {
    throw new RangeError(`views is empty; valid: ${SURFACE_VIEWS.join(", ")}`);
  }
  views.forEach((v) => checkChoice("view", v, SURFACE_VIEWS));
  return views;
}

/**
 * One view of one hemisphere with values, background, threshold, ROI
 * outlines and a colour bar, as nilearn's `plot_surf_stat_map`.
 *
 * @throws {RangeError} arrays whose length is not the mesh's vertex count
 * @throws {InvalidChoiceError} an unknown hemi, view, mode or ROI kind (listing the valid ones)
 * @example
 * ```ts
 * import { plotSurfStatMap } from "@laion/fmri/plot";
 * import { readFreesurferLabel, readFreesurferMorph, readFreesurferSurface } from "@laion/fmri/formats";
 * const mesh = await readFreesurferSurface("surf/lh.inflated");
 * const sulc = await readFreesurferMorph("surf/lh.sulc");
 * const ffa = await readFreesurferLabel("label/lh.FFA.label");
 * const t = new Float32Array(mesh.nVertices).map((_, i) => Math.sin(i / 500) * 5);
 * const fig = plotSurfStatMap(
 *   { mesh, values: t, bgMap: sulc, rois: [{ vertices: ffa, name: "FFA", color: [0, 200, 0] }] },
 *   { hemi: "left", view: "lateral", threshold: 2, label: "t", title: "faces > objects" },
 * );
 * await fig.save("lh_lateral.png"); // or .svg
 * ```
 */
export function plotSurfStatMap(layer: SurfaceLayer, options: SurfaceStatMapOptions = {}): Figure {
  const hemi = checkChoice("hemi", options.hemi ?? "left", HEMISPHERES);
  const view = checkChoice("view", options.view ?? "lateral", SURFACE_VIEWS);
  const w = options.width ?? 800, h = options.height ?? 600;
  return surfaceFigure([{ layer, hemi, view, x: 0, y: 0, w, h }], options, false);
}

/**
 * Several views of one or both hemispheres in one figure with one colour
 * bar and one scale (millimetres per pixel), as nilearn's
 * `plot_img_on_surf`: one column per hemisphere, one row per view.
 *
 * @throws {RangeError} no hemisphere (naming the keys given) or no view, and as {@linkcode plotSurfStatMap}
 * @throws {InvalidChoiceError} an unknown view, and as {@linkcode plotSurfStatMap}
 * @example
 * ```ts
 * import { plotSurfViews } from "@laion/fmri/plot";
 * import { readFreesurferMorph, readFreesurferSurface } from "@laion/fmri/formats";
 * const [lh, rh] = await Promise.all(["lh", "rh"].map((h) => readFreesurferSurface(`surf/${h}.pial`)));
 * const [ls, rs] = await Promise.all(["lh", "rh"].map((h) => readFreesurferMorph(`surf/${h}.sulc`)));
 * const fig = plotSurfViews(
 *   { left: { mesh: lh, bgMap: ls, values: ls }, right: { mesh: rh, bgMap: rs, values: rs } },
 *   { views: ["lateral", "medial"], label: "sulc", title: "sulcal depth" },
 * );
 * await fig.save("both.png");
 * ```
 */
export function plotSurfViews(
  hemispheres: { left?: SurfaceLayer; right?: SurfaceLayer },
  options: SurfaceViewsOptions = {},
): Figure {
  const hemis = HEMISPHERES.filter((h) => hemispheres[h]);
  if (hemis.length === 0) {
    const given = Object.entries(hemispheres ?? {}).map(([k, v]) => (v ? k : `${k}: ${v}`));
    throw new RangeError(
      `plotSurfViews needs { left } or { right } or both; got { ${given.join(", ")} }`,
    );
  }
  const views = checkViews(options.views ?? ["lateral", "medial"]);
  const w = options.panelWidth ?? 400, h = options.panelHeight ?? 300, label = 18;
  const panels: Panel[] = [];
  views.forEach((view, r) =>
    hemis.forEach((hemi, c) =>
      panels.push({
        layer: hemispheres[hemi]!,
        hemi,
        view,
        x: c * w,
        y: r * (h + label),
        w,
        h,
        name: `${hemi} ${view}`,
      })
    )
  );
  return surfaceFigure(panels, options, true);
}

/** A hemisphere with a parcellation for {@linkcode plotSurfRoi}. */
export interface SurfaceRoiLayer {
  /** The mesh. */
  mesh: SurfaceMesh;
  /** An integer label per vertex; 0 (and negative labels) show the background. */
  labels: ArrayLike<number>;
  /** Background per vertex, e.g. `sulc`. */
  bgMap?: ArrayLike<number>;
  /** ROIs to outline over the labels. @default [] */
  rois?: readonly SurfaceRoi[];
}

/** Options of {@linkcode plotSurfRoi}. */
export interface SurfaceRoiOptions {
  /** The hemisphere. @default "left" */
  hemi?: Hemisphere;
  /** The views, one row each. @default ["lateral"] */
  views?: readonly SurfaceView[];
  /** Names of the labels for the legend, by label value. @default the label values */
  names?: Readonly<Record<number, string>>;
  /** Colours by label value. @default matplotlib's `tab20`, in ascending label order */
  colors?: Readonly<Record<number, Rgb>>;
  /** Show a legend of the labels. @default true */
  legend?: boolean;
  /** See {@linkcode SurfacePlotOptions}. @default 0.7 */
  darkness?: number;
  /** See {@linkcode SurfacePlotOptions}. @default "graded" */
  bgMode?: "graded" | "binary";
  /** See {@linkcode SurfacePlotOptions}. @default 0.4 */
  lighting?: number;
  /** Title above the figure. @default "" */
  title?: string;
  /** Width of each panel. @default 800 for one view, else 400 */
  panelWidth?: number;
  /** Height of each panel. @default 600 for one view, else 300 */
  panelHeight?: number;
  /** Anti-aliasing factor. @default 2 */
  supersample?: number;
}

/**
 * A parcellation on the surface, as nilearn's `plot_surf_roi`: each positive
 * integer label in its own colour over the grey background, with a legend.
 *
 * @throws {RangeError} `labels` of the wrong length, or no view
 * @throws {InvalidChoiceError} an unknown hemi or view
 * @example
 * ```ts
 * import { plotSurfRoi } from "@laion/fmri/plot";
 * import { readFreesurferLabel, readFreesurferMorph, readFreesurferSurface } from "@laion/fmri/formats";
 * const mesh = await readFreesurferSurface("surf/lh.inflated");
 * const labels = new Int32Array(mesh.nVertices);
 * (await readFreesurferLabel("label/lh.FFA.label")).forEach((v) => (labels[v] = 1));
 * (await readFreesurferLabel("label/lh.PPA.label")).forEach((v) => (labels[v] = 2));
 * const fig = plotSurfRoi(
 *   { mesh, labels, bgMap: await readFreesurferMorph("surf/lh.sulc") },
 *   { hemi: "left", views: ["lateral", "ventral"], names: { 1: "FFA", 2: "PPA" } },
 * );
 * ```
 */
export function plotSurfRoi(layer: SurfaceRoiLayer, options: SurfaceRoiOptions = {}): Figure {
  const n = layer.mesh.nVertices;
  checkLength("labels", layer.labels, n);
  checkLength("bgMap", layer.bgMap, n);
  const hemi = checkChoice("hemi", options.hemi ?? "left", HEMISPHERES);
  const views = checkViews(options.views ?? ["lateral"]);
  const labels = positiveLabels(layer.labels);
  const colourOf = new Map(
    labels.map((l, k) => [l, options.colors?.[l] ?? TAB20[k % TAB20.length]]),
  );
  const fill = (l: SurfaceLayer) => {
    const grey = backgroundGrey(l, options);
    const c = new Uint8Array(3 * n);
    for (let i = 0; i < n; i++) {
      const colour = colourOf.get(Number(layer.labels[i]));
      if (colour) c.set(colour, 3 * i);
      else c.fill(Math.round(grey[i]), 3 * i, 3 * i + 3);
    }
    return { vertexColors: c };
  };
  const one = views.length === 1;
  const w = options.panelWidth ?? (one ? 800 : 400), h = options.panelHeight ?? (one ? 600 : 300);
  const nameH = one ? 0 : 18;
  const surface: SurfaceLayer = { mesh: layer.mesh, bgMap: layer.bgMap, rois: layer.rois };
  const panels: Panel[] = views.map((view, r) => ({
    layer: surface,
    hemi,
    view,
    x: 0,
    y: r * (h + nameH),
    w,
    h,
    name: one ? undefined : `${hemi} ${view}`,
  }));
  const legend = (options.legend ?? true)
    ? labels.map((l) => ({ color: colourOf.get(l)!, name: options.names?.[l] ?? String(l) }))
    : [];
  return surfaceFigure(panels, options, true, fill, legend);
}

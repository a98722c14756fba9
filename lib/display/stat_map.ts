/**
 * A statistical map over an anatomical volume as nilearn's `plot_stat_map`
 * shows it: grey anatomy (dimmed: its 98th percentile is grey 200, not
 * white), the map in colour only where `|value| >= threshold`, cut coordinates in millimetres (from the NIfTI affine), L/R, A/P and S/I
 * markers on every panel, a colour bar with its numbers (min, threshold,
 * max) and label, and, when an ROI is given, a view zoomed to the ROI's
 * bounding box with the ROI outlined. The slices are our own raster (nearest
 * neighbour, integer pixels per voxel); the figure around them is SVG.
 * @module
 */
import { type Matrix4, toMatrix4 } from "../core/matrix4.ts";
import { encodePng } from "../formats/png_write.ts";
import { unflattenC } from "../formats/voxel_order.ts";
import { colormap, type ColormapName, colormapTable } from "./colormaps.ts";
import { Figure } from "./figure.ts";
import { colorLegend, composeSvg, type SvgPart } from "./plot_dom.ts";
import { pngDataUrl, shortNumber, svgText } from "./svg.ts";

/**
 * A 4x4 (or 3x4) voxel-to-millimetre matrix, row-major: `mm = A · [i, j, k, 1]`
 * (the space module's `Matrix4`).
 */
export type Affine = Matrix4;

/** The data of {@linkcode plotStatMap}: plain arrays in C-order of `(i, j, k)`. */
export interface StatMapInput {
  /** The background, e.g. the T1w image: `ni * nj * nk` values, index `(i * nj + j) * nk + k`. */
  anatomy: ArrayLike<number>;
  /** `[ni, nj, nk]`. */
  dims: readonly [number, number, number];
  /**
   * Voxel to millimetres (the NIfTI header's `affine`, RAS+). Axis-aligned
   * affines with any flips or axis order are shown exactly; an oblique one
   * on its nearest axes.
   * @default 1 mm voxels, origin at voxel 0 (coordinates are then voxel indices)
   */
  affine?: Affine;
  /** A value volume on the same grid; 0 and NaN mean "no value". */
  overlay?: ArrayLike<number>;
  /** Or: values at the flat voxel indices `voxels` (e.g. one per ROI voxel). */
  values?: ArrayLike<number>;
  /** Flat indices into the volume for `values`. */
  voxels?: ArrayLike<number>;
  /** The ROI mask on the same grid (> 0 or true inside); its edge is outlined and the view zooms to it. */
  roi?: ArrayLike<number | boolean>;
}

/** Options of {@linkcode plotStatMap}. */
export interface StatMapOptions {
  /**
   * nilearn's `display_mode`: three orthogonal cuts through one point
   * (`"ortho"`), or a row of sagittal (`"x"`), coronal (`"y"`) or axial (`"z"`) cuts.
   * @default "ortho"
   */
  displayMode?: "ortho" | "x" | "y" | "z";
  /**
   * Cut coordinates in millimetres: `[x, y, z]` for `"ortho"`, the positions
   * along the cut axis otherwise (each moved to the nearest voxel).
   * @default through the ROI's centre (else the peak |value|); for rows, `cuts` slices spread over
   *   the ROI (else over the values)
   */
  cutCoords?: readonly number[];
  /** Number of slices of a row (`"x"`, `"y"`, `"z"`) when `cutCoords` is not given. @default 5 */
  cuts?: number;
  /** Colour map of the values. @default "cold_hot" for maps with negative values, else "hot" */
  colormap?: ColormapName;
  /** Bottom of the colour range. @default -vmax for maps with negative values, else 0 */
  vmin?: number;
  /** Top of the colour range. @default the largest |value| */
  vmax?: number;
  /** Values with `|value| < threshold` are not drawn (the anatomy shows). @default 0 */
  threshold?: number;
  /**
   * Zoom to the ROI's bounding box plus this margin in millimetres (only
   * with `input.roi`); `false` shows the whole volume.
   * @default 20
   */
  zoom?: number | false;
  /** Pixels per voxel. @default about 220 px for a panel's longer side */
  scale?: number;
  /** Title above the slices. @default "" */
  title?: string;
  /** Label of the colour bar (the quantity and unit). @default "" */
  label?: string;
  /** ROI outline colour. @default [0, 255, 0] */
  outlineColor?: [number, number, number];
}

type Axis = 0 | 1 | 2;
/** The brightest grey of the anatomy (of 255): dimmed, so that light overlay colours stand out. */
const DIM = 200;
const WORLD = ["x", "y", "z"] as const;
/** Marker letters at the low and high end of each world axis (RAS+). */
const ENDS: Record<Axis, [string, string]> = { 0: ["L", "R"], 1: ["P", "A"], 2: ["I", "S"] };
/** The world axes of a cut's columns (left to right) and rows (bottom to top). */
const PLANE: Record<Axis, [Axis, Axis]> = { 0: [1, 2], 1: [0, 2], 2: [0, 1] };

/** Which voxel axis runs along each world axis, and in which direction. */
interface Orientation {
  affine: number[][];
  /** voxel axis of world axis w */
  voxelOf: [number, number, number];
  /** +1 when the voxel index grows with the world coordinate */
  sign: [number, number, number];
  /** millimetres per voxel along world axis w */
  size: [number, number, number];
}

function orientation(affine: Affine | undefined): Orientation {
  const a = affine ? toMatrix4(affine, "affine") : [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]];
  const voxelOf = [-1, -1, -1] as [number, number, number];
  const sign = [1, 1, 1] as [number, number, number];
  const size = [1, 1, 1] as [number, number, number];
  for (let v = 0; v < 3; v++) {
    let w = 0;
    for (let k = 1; k < 3; k++) if (Math.abs(a[k][v]) > Math.abs(a[w][v])) w = k;
    if (a[w][v] === 0 || voxelOf[w] !== -1) {
      throw new RangeError(
        `affine ${JSON.stringify(affine)} does not map voxel axes to distinct world axes`,
      );
    }
    voxelOf[w] = v, sign[w] = Math.sign(a[w][v]), size[w] = Math.abs(a[w][v]);
  }
  return { affine: a, voxelOf, sign, size };
}

/** World coordinates (mm) of voxel `ijk` under `affine`. @internal */
export function toWorld(affine: Affine, ijk: readonly number[]): number[] {
  return [0, 1, 2].map((w) => {
    const row = affine[w];
    return row[0] * ijk[0] + row[1] * ijk[1] + row[2] * ijk[2] + row[3];
  });
}

/** The voxel index along voxel axis `voxelOf[w]` nearest to world coordinate `mm` (others at `ref`). */
function voxelAt(o: Orientation, w: Axis, mm: number, ref: readonly number[]): number {
  const v = o.voxelOf[w];
  const row = o.affine[w];
  let rest = row[3];
  for (let k = 0; k < 3; k++) if (k !== v) rest += row[k] * ref[k];
  return Math.round((mm - rest) / row[v]);
}

function overlayVolume(input: StatMapInput, size: number): Float64Array {
  const out = new Float64Array(size).fill(NaN);
  if (input.overlay) {
    if (input.overlay.length !== size) {
      throw new RangeError(`overlay has ${input.overlay.length} values for ${size} voxels`);
    }
    for (let i = 0; i < size; i++) if (input.overlay[i] !== 0) out[i] = input.overlay[i];
  }
  if (input.values || input.voxels) {
    const { values, voxels } = input;
    if (!values || !voxels || values.length !== voxels.length) {
      throw new RangeError(
        `values (${values?.length ?? "missing"}) and voxels (${
          voxels?.length ?? "missing"
        }) must come together with equal lengths`,
      );
    }
    for (let k = 0; k < voxels.length; k++) {
      const i = voxels[k];
      if (!Number.isInteger(i) || i < 0 || i >= size) {
        throw new RangeError(`voxel index ${i} is outside 0..${size - 1}`);
      }
      out[i] = values[k];
    }
  }
  return out;
}

function greyRange(anatomy: ArrayLike<number>): [number, number] {
  const step = Math.max(1, Math.floor(anatomy.length / 200_000));
  const s: number[] = [];
  for (let i = 0; i < anatomy.length; i += step) {
    const v = anatomy[i];
    if (Number.isFinite(v) && v !== 0) s.push(v);
  }
  if (s.length === 0) return [0, 1];
  s.sort((a, b) => a - b);
  const lo = s[Math.floor(0.02 * (s.length - 1))], hi = s[Math.floor(0.98 * (s.length - 1))];
  return hi > lo ? [lo, hi] : [Math.min(0, lo), Math.max(lo, 0) + 1];
}

/** Voxel bounding box (min, max per voxel axis) and centre of the voxels where `inside(i)`. */
function extent(dims: readonly number[], inside: (i: number) => boolean) {
  const [ni, nj, nk] = dims;
  const lo = [ni, nj, nk], hi = [-1, -1, -1], sum = [0, 0, 0];
  let n = 0;
  for (let i = 0; i < ni; i++) {
    for (let j = 0; j < nj; j++) {
      for (let k = 0; k < nk; k++) {
        if (!inside((i * nj + j) * nk + k)) continue;
        const p = [i, j, k];
        for (let a = 0; a < 3; a++) {
          lo[a] = Math.min(lo[a], p[a]), hi[a] = Math.max(hi[a], p[a]), sum[a] += p[a];
        }
        n++;
      }
    }
  }
  return n ? { lo, hi, center: sum.map((s) => Math.round(s / n)) } : undefined;
}

/** One cut: the world axis it is perpendicular to and its voxel index along that axis. */
interface Cut {
  axis: Axis;
  index: number;
}

/** Where each pixel of a panel comes from, and the panel's world extent. */
export interface SliceLayout {
  /** World axis the cut is perpendicular to. */
  axis: Axis;
  /** Voxel index along that axis' voxel axis. */
  index: number;
  /** The cut's coordinate in millimetres. */
  mm: number;
  /** Panel size in voxels. */
  cols: number;
  rows: number;
  /** Flat voxel index of panel voxel (c, r), r = 0 at the top. */
  at(c: number, r: number): number;
}

function sliceLayout(
  o: Orientation,
  dims: readonly number[],
  cut: Cut,
  box: { lo: number[]; hi: number[] },
  ref: readonly number[],
): SliceLayout {
  const [cw, rw] = PLANE[cut.axis];
  const cv = o.voxelOf[cw], rv = o.voxelOf[rw], av = o.voxelOf[cut.axis];
  const [, nj, nk] = dims;
  const c0 = box.lo[cv], c1 = box.hi[cv], r0 = box.lo[rv], r1 = box.hi[rv];
  const cols = c1 - c0 + 1, rows = r1 - r0 + 1;
  const ijk = [ref[0], ref[1], ref[2]];
  ijk[av] = cut.index;
  return {
    axis: cut.axis,
    index: cut.index,
    mm: toWorld(o.affine, ijk)[cut.axis],
    cols,
    rows,
    at(c: number, r: number) {
      const p = [0, 0, 0];
      p[av] = cut.index;
      // columns: world coordinate grows to the right; rows: grows upwards
      p[cv] = o.sign[cw] > 0 ? c0 + c : c1 - c;
      p[rv] = o.sign[rw] > 0 ? r1 - r : r0 + r;
      return (p[0] * nj + p[1]) * nk + p[2];
    },
  };
}

/**
 * A statistical map on an anatomical volume: nilearn's `plot_stat_map`
 * conventions (see the module doc). Panels are labelled `x = … mm`
 * (sagittal), `y = … mm` (coronal), `z = … mm` (axial) and carry L/R, P/A
 * and I/S markers at their edges; neurological convention (left is left).
 *
 * @throws {RangeError} when an array does not match `dims`, a cut is outside the volume, or an option is invalid
 * @example
 * ```ts
 * import { plotStatMap } from "@laion/fmri/plot";
 * const dims = [20, 24, 16] as const;
 * const anatomy = new Float32Array(20 * 24 * 16).fill(100);
 * const overlay = new Float32Array(anatomy.length);
 * overlay[(10 * 24 + 12) * 16 + 8] = 3.5;
 * const affine = [[-2, 0, 0, 20], [0, 2, 0, -24], [0, 0, 2, -16], [0, 0, 0, 1]];
 * const fig = plotStatMap({ anatomy, dims, affine, overlay }, { threshold: 2, label: "t" });
 * await fig.save("map.svg");
 * ```
 */
export function plotStatMap(input: StatMapInput, options: StatMapOptions = {}): Figure {
  const dims = input.dims;
  const [ni, nj, nk] = dims;
  const size = ni * nj * nk;
  if (input.anatomy.length !== size) {
    throw new RangeError(`anatomy has ${input.anatomy.length} values for dims ${dims.join("x")}`);
  }
  if (input.roi && input.roi.length !== size) {
    throw new RangeError(`roi has ${input.roi.length} values for dims ${dims.join("x")}`);
  }
  const o = orientation(input.affine);
  const values = overlayVolume(input, size);
  const roi = input.roi;
  const inRoi = (i: number) => roi !== undefined && Number(roi[i]) > 0;
  const where = extent(dims, roi ? inRoi : (i) => !Number.isNaN(values[i]));
  // cut through the ROI's centre, else through the peak |value| (else the middle)
  let peak = -1;
  for (let i = 0; i < size; i++) {
    if (!Number.isNaN(values[i]) && (peak < 0 || Math.abs(values[i]) > Math.abs(values[peak]))) {
      peak = i;
    }
  }
  const centre = roi && where
    ? where.center
    : peak >= 0
    ? unflattenC(peak, dims)
    : [ni >> 1, nj >> 1, nk >> 1];

  // the view: the ROI's box plus a margin, or the whole volume
  const whole = { lo: [0, 0, 0], hi: [ni - 1, nj - 1, nk - 1] };
  let box = whole;
  const zoom = options.zoom ?? 20;
  if (zoom !== false && !(zoom >= 0)) {
    throw new RangeError(`zoom must be >= 0 mm or false: ${zoom}`);
  }
  if (roi && where && zoom !== false) {
    box = { lo: [0, 0, 0], hi: [0, 0, 0] };
    for (let w = 0; w < 3; w++) {
      const v = o.voxelOf[w], m = Math.ceil(zoom / o.size[w]);
      box.lo[v] = Math.max(0, where.lo[v] - m);
      box.hi[v] = Math.min(dims[v] - 1, where.hi[v] + m);
    }
  }

  // the cuts
  const mode = options.displayMode ?? "ortho";
  if (!["ortho", "x", "y", "z"].includes(mode)) {
    throw new RangeError(`displayMode must be one of ortho, x, y, z: ${JSON.stringify(mode)}`);
  }
  const checkIndex = (w: Axis, index: number, mm: number) => {
    const v = o.voxelOf[w];
    if (!(index >= 0 && index < dims[v])) {
      const ends = [0, dims[v] - 1].map((k) => {
        const p = [...centre];
        p[v] = k;
        return shortNumber(toWorld(o.affine, p)[w]);
      });
      throw new RangeError(
        `cut ${WORLD[w]} = ${mm} mm is outside the volume (${WORLD[w]} from ${ends[0]} to ${
          ends[1]
        } mm)`,
      );
    }
    return index;
  };
  let cuts: Cut[];
  if (mode === "ortho") {
    const mm = options.cutCoords ?? toWorld(o.affine, centre);
    if (mm.length !== 3) {
      throw new RangeError(`ortho cutCoords need [x, y, z] in mm, got ${JSON.stringify(mm)}`);
    }
    cuts = ([0, 1, 2] as Axis[]).map((w) => ({
      axis: w,
      index: checkIndex(w, voxelAt(o, w, mm[w], centre), mm[w]),
    }));
  } else {
    const w = WORLD.indexOf(mode) as Axis;
    const v = o.voxelOf[w];
    let indices: number[];
    if (options.cutCoords) {
      indices = options.cutCoords.map((mm) => checkIndex(w, voxelAt(o, w, mm, centre), mm));
    } else {
      const count = options.cuts ?? 5;
      if (!Number.isInteger(count) || count < 1) {
        throw new RangeError(`cuts must be an integer >= 1: ${count}`);
      }
      const a = where?.lo[v] ?? 0, b = where?.hi[v] ?? dims[v] - 1;
      indices = [
        ...new Set(
          Array.from(
            { length: count },
            (_, k) => Math.round(count === 1 ? (a + b) / 2 : a + (k * (b - a)) / (count - 1)),
          ),
        ),
      ];
      if (o.sign[w] < 0) indices.reverse();
    }
    cuts = indices.map((index) => ({ axis: w, index }));
  }

  // the colour scale
  let lo = Infinity, hi = -Infinity, maxAbs = 0;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    lo = Math.min(lo, v), hi = Math.max(hi, v), maxAbs = Math.max(maxAbs, Math.abs(v));
  }
  const signed = lo < 0;
  let vmax = options.vmax ?? (maxAbs > 0 ? maxAbs : 1);
  const vmin = options.vmin ?? (signed ? -vmax : 0);
  if (!(vmax > vmin)) {
    if (options.vmin !== undefined && options.vmax !== undefined) {
      throw new RangeError(`vmax (${vmax}) must be greater than vmin (${vmin})`);
    }
    vmax = vmin + 1;
  }
  const threshold = Math.abs(options.threshold ?? 0);
  const cmap = options.colormap ?? (signed ? "cold_hot" : "hot");
  colormapTable(cmap); // validates the name
  const [glo, ghi] = greyRange(input.anatomy);
  const grey = colormapTable("gray");
  const outline = options.outlineColor ?? [0, 255, 0];

  const layouts = cuts.map((c) => sliceLayout(o, dims, c, box, centre));
  const longest = Math.max(...layouts.map((l) => Math.max(l.cols, l.rows)));
  const scale = options.scale ?? Math.max(1, Math.round(220 / longest));
  if (!Number.isInteger(scale) || scale < 1) {
    throw new RangeError(`scale must be an integer >= 1: ${scale}`);
  }

  // the ROI's edge: a line of `lw` pixels inside each voxel side that faces the outside
  const lw = Math.max(1, Math.round(scale / 5));
  const panels = layouts.map((l) => {
    const inside = (c: number, r: number) =>
      c >= 0 && r >= 0 && c < l.cols && r < l.rows && inRoi(l.at(c, r));
    const w = l.cols * scale, h = l.rows * scale;
    const px = new Uint8Array(w * h * 3);
    for (let r = 0; r < l.rows; r++) {
      for (let c = 0; c < l.cols; c++) {
        const i = l.at(c, r);
        const a = input.anatomy[i];
        const g = Number.isFinite(a)
          ? Math.min(DIM, Math.max(0, Math.round((DIM * (a - glo)) / (ghi - glo)))) * 3
          : 0;
        let colour: readonly number[] = [grey[g], grey[g + 1], grey[g + 2]];
        const v = values[i];
        if (!Number.isNaN(v) && Math.abs(v) >= threshold) {
          colour = colormap(cmap, (v - vmin) / (vmax - vmin));
        }
        const edge = roi !== undefined && inside(c, r);
        const [left, right, up, down] = edge
          ? [!inside(c - 1, r), !inside(c + 1, r), !inside(c, r - 1), !inside(c, r + 1)]
          : [false, false, false, false];
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) {
            const line = (left && dx < lw) || (right && dx >= scale - lw) || (up && dy < lw) ||
              (down && dy >= scale - lw);
            px.set(line ? outline : colour, ((r * scale + dy) * w + c * scale + dx) * 3);
          }
        }
      }
    }
    return { layout: l, w, h, png: encodePng({ width: w, height: h, channels: 3, data: px }) };
  });

  // the figure: panels in a row, markers at their edges, the colour bar below
  const pad = 18, gap = 14, top = options.title ? 78 : 50;
  const panelH = Math.max(...panels.map((p) => p.h));
  let x = 10;
  const parts: string[] = [];
  const names: string[] = [];
  for (const p of panels) {
    const l = p.layout;
    const [cw, rw] = PLANE[l.axis];
    const px0 = x + pad, py0 = top + (panelH - p.h) / 2;
    const name = `${WORLD[l.axis]} = ${shortNumber(Number(l.mm.toFixed(1)))} mm`;
    names.push(name);
    parts.push(
      `<image x="${px0}" y="${py0}" width="${p.w}" height="${p.h}" style="image-rendering:pixelated" ` +
        `href="${pngDataUrl(p.png)}"/>`,
      svgText(px0 + p.w / 2, top - 26, name, { anchor: "middle", size: 13 }),
      svgText(px0 - 4, py0 + p.h / 2 + 5, ENDS[cw][0], { anchor: "end", size: 14, bold: true }),
      svgText(px0 + p.w + 4, py0 + p.h / 2 + 5, ENDS[cw][1], { size: 14, bold: true }),
      svgText(px0 + p.w / 2, py0 - 5, ENDS[rw][1], { anchor: "middle", size: 14, bold: true }),
      svgText(px0 + p.w / 2, py0 + p.h + 16, ENDS[rw][0], {
        anchor: "middle",
        size: 14,
        bold: true,
      }),
    );
    x = px0 + p.w + pad + gap;
  }
  const width = Math.max(x - gap + 10, 300);
  // a colour bar only when there are values to colour
  const hasValues = lo <= hi;
  // ±threshold ticks, except where one would print over the min/max numbers (under 8% of the bar away)
  const clear = (t: number) =>
    Math.min(Math.abs(t - vmin), Math.abs(vmax - t)) > 0.08 * (vmax - vmin);
  const ticks = threshold > 0 ? [threshold, ...(vmin < 0 ? [-threshold] : [])].filter(clear) : [];
  const bar: SvgPart | undefined = hasValues
    ? colorLegend({
      colormap: cmap,
      vmin,
      vmax,
      label: options.label,
      ticks,
      threshold,
      width: Math.min(360, width - 20),
    })
    : undefined;
  const barY = top + panelH + 28;
  const height = bar ? barY + bar.height + 4 : barY;
  const range = hasValues
    ? `; ${cmap} ${shortNumber(vmin)}..${shortNumber(vmax)}${
      threshold ? `, |value| >= ${shortNumber(threshold)}` : ""
    }`
    : "";
  const caption = `${options.title ? `${options.title}: ` : ""}${names.join(", ")}${range}` +
    `${roi && box !== whole ? "; zoomed to the ROI" : ""}`;
  const placed = bar ? [{ part: bar, x: (width - bar.width) / 2, y: barY }] : [];
  const svg = composeSvg(width, height, placed, {
    title: options.title,
    caption,
    extra: parts.join("\n"),
  });
  return new Figure(svg, width, height, caption);
}

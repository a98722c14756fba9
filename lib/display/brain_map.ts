/**
 * A per-voxel value map (voxel r, R², …) over an anatomical volume: three
 * orthogonal slices through the ROI, or a row of axial slices through it,
 * with the ROI outline, a colour bar and its range, rendered through SVG.
 * @module
 */
import { encodePng } from "../formats/png_write.ts";
import { colormap, type ColormapName } from "./colormap.ts";
import type { Picture } from "./picture.ts";
import {
  escapeXml,
  FONT_FAMILY,
  pngDataUrl,
  shortNumber,
  svgDocument,
  svgToPicture,
} from "./svg.ts";

/** The data of {@linkcode brainMap}: plain arrays in C-order of `(x, y, z)`. */
export interface BrainMapInput {
  /** The background, e.g. the T1w image: `nx * ny * nz` values, index `(x * ny + y) * nz + z`. */
  anatomy: ArrayLike<number>;
  /** `[nx, ny, nz]`. */
  dims: readonly [number, number, number];
  /** A value volume on the same grid; 0 and NaN mean "no value". */
  overlay?: ArrayLike<number>;
  /** Or: values at the flat voxel indices `voxels` (e.g. one per ROI voxel). */
  values?: ArrayLike<number>;
  /** Flat indices into the volume for `values`. */
  voxels?: ArrayLike<number>;
  /** The ROI mask on the same grid (> 0 or true inside); its edge is outlined. */
  roi?: ArrayLike<number | boolean>;
}

/** Options of {@linkcode brainMap}. */
export interface BrainMapOptions {
  /** Three orthogonal slices, or a row of axial slices. @default "orthogonal" */
  layout?: "orthogonal" | "axial";
  /** Number of axial slices for `layout: "axial"`. @default 5 */
  slices?: number;
  /** The point the orthogonal slices pass through. @default the ROI's (else the values') centre */
  center?: readonly [number, number, number];
  /** Colour map of the values. @default "hot" */
  colormap?: ColormapName;
  /** Value at the bottom of the colour bar. @default min(0, smallest value) */
  vmin?: number;
  /** Value at the top of the colour bar. @default the largest value */
  vmax?: number;
  /** Values below this are not drawn. @default -Infinity */
  threshold?: number;
  /** Pixels per voxel. @default 3 */
  scale?: number;
  /** Title above the slices. @default "" */
  title?: string;
  /** Label of the colour bar. @default "" */
  label?: string;
  /** ROI outline colour. @default [0, 255, 0] */
  outlineColor?: [number, number, number];
  /** Stops before rendering. */
  signal?: AbortSignal;
}

type Axis = 0 | 1 | 2;
interface Panel {
  axis: Axis;
  index: number;
  name: string;
}

const VIEW: Record<Axis, string> = { 0: "sagittal x", 1: "coronal y", 2: "axial z" };

function overlayVolume(input: BrainMapInput, size: number): Float64Array {
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

/** Extent (min, max per axis) and centre of the voxels where `inside(i)`. */
function extent(dims: readonly number[], inside: (i: number) => boolean) {
  const [nx, ny, nz] = dims;
  const lo = [nx, ny, nz], hi = [-1, -1, -1], sum = [0, 0, 0];
  let n = 0;
  for (let x = 0; x < nx; x++) {
    for (let y = 0; y < ny; y++) {
      for (let z = 0; z < nz; z++) {
        if (!inside((x * ny + y) * nz + z)) continue;
        const p = [x, y, z];
        for (let a = 0; a < 3; a++) {
          lo[a] = Math.min(lo[a], p[a]), hi[a] = Math.max(hi[a], p[a]), sum[a] += p[a];
        }
        n++;
      }
    }
  }
  return n ? { lo, hi, center: sum.map((s) => Math.round(s / n)) } : undefined;
}

/**
 * Slices of `input.anatomy` in grey with the values in colour, the ROI
 * edge outlined, a colour bar (vmax at the top, vmin at the bottom) and the
 * slice positions under each panel. Slices show the first remaining axis
 * left to right and the second bottom to top (as `sliceImage`).
 *
 * @example
 * ```ts
 * import { brainMap } from "@laion/fmri/plot";
 * declare const t1w: Float32Array, roiMask: Uint8Array, r: Float64Array, roiVoxels: number[];
 * const pic = await brainMap(
 *   { anatomy: t1w, dims: [145, 174, 145], values: r, voxels: roiVoxels, roi: roiMask },
 *   { title: "FFA1 voxel r", label: "r", colormap: "hot" },
 * );
 * ```
 */
export async function brainMap(
  input: BrainMapInput,
  options: BrainMapOptions = {},
): Promise<Picture> {
  const dims = input.dims;
  const [nx, ny, nz] = dims;
  const size = nx * ny * nz;
  if (input.anatomy.length !== size) {
    throw new RangeError(`anatomy has ${input.anatomy.length} values for dims ${dims.join("x")}`);
  }
  if (input.roi && input.roi.length !== size) {
    throw new RangeError(`roi has ${input.roi.length} values for dims ${dims.join("x")}`);
  }
  const values = overlayVolume(input, size);
  const roi = input.roi;
  const inRoi = (i: number) => roi !== undefined && Number(roi[i]) > 0;
  const where = extent(dims, roi ? inRoi : (i) => !Number.isNaN(values[i]));
  const center = options.center ?? where?.center ?? [nx >> 1, ny >> 1, nz >> 1];
  center.forEach((c, a) => {
    if (!Number.isInteger(c) || c < 0 || c >= dims[a]) {
      throw new RangeError(`center ${center.join(",")} is outside the volume ${dims.join("x")}`);
    }
  });
  let panels: Panel[];
  if ((options.layout ?? "orthogonal") === "orthogonal") {
    panels = ([0, 1, 2] as Axis[]).map((axis) => ({
      axis,
      index: center[axis],
      name: `${VIEW[axis]}=${center[axis]}`,
    }));
  } else {
    const count = options.slices ?? 5;
    const z0 = where?.lo[2] ?? 0, z1 = where?.hi[2] ?? nz - 1;
    const zs = [
      ...new Set(
        Array.from(
          { length: count },
          (_, k) => Math.round(count === 1 ? (z0 + z1) / 2 : z0 + (k * (z1 - z0)) / (count - 1)),
        ),
      ),
    ];
    panels = zs.map((z) => ({ axis: 2, index: z, name: `axial z=${z}` }));
  }
  let vmin = options.vmin, vmax = options.vmax;
  if (vmin === undefined || vmax === undefined) {
    let lo = Infinity, hi = -Infinity;
    for (const v of values) if (!Number.isNaN(v)) lo = Math.min(lo, v), hi = Math.max(hi, v);
    if (lo > hi) lo = 0, hi = 1;
    vmin ??= Math.min(0, lo);
    vmax ??= hi > vmin ? hi : vmin + 1;
  }
  const cmap = options.colormap ?? "hot";
  const threshold = options.threshold ?? -Infinity;
  const scale = options.scale ?? 3;
  const [glo, ghi] = greyRange(input.anatomy);
  const outline = options.outlineColor ?? [0, 255, 0];

  const rendered = panels.map((p) => {
    const [cAxis, rAxis] = ([0, 1, 2] as Axis[]).filter((a) => a !== p.axis);
    const cols = dims[cAxis], rows = dims[rAxis];
    const at = (c: number, r: number) => {
      const ijk = [0, 0, 0];
      ijk[p.axis] = p.index, ijk[cAxis] = c, ijk[rAxis] = rows - 1 - r;
      return (ijk[0] * ny + ijk[1]) * nz + ijk[2];
    };
    const edge = (c: number, r: number) => {
      if (!inRoi(at(c, r))) return false;
      const out = (cc: number, rr: number) =>
        cc < 0 || rr < 0 || cc >= cols || rr >= rows || !inRoi(at(cc, rr));
      return out(c - 1, r) || out(c + 1, r) || out(c, r - 1) || out(c, r + 1);
    };
    const w = cols * scale, h = rows * scale;
    const px = new Uint8Array(w * h * 3);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const i = at(c, r);
        const a = input.anatomy[i];
        const g = Number.isFinite(a)
          ? Math.round(255 * Math.min(1, Math.max(0, (a - glo) / (ghi - glo))))
          : 0;
        let colour: [number, number, number] = [g, g, g];
        const v = values[i];
        if (!Number.isNaN(v) && v >= threshold) {
          colour = colormap(cmap, (v - vmin!) / (vmax! - vmin!));
        }
        if (roi && edge(c, r)) colour = outline;
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) {
            const o = ((r * scale + dy) * w + c * scale + dx) * 3;
            px[o] = colour[0], px[o + 1] = colour[1], px[o + 2] = colour[2];
          }
        }
      }
    }
    return { w, h, png: encodePng({ width: w, height: h, channels: 3, data: px }), name: p.name };
  });
  options.signal?.throwIfAborted();

  const gap = 10,
    top = options.title ? 36 : 10,
    labelH = 22,
    barW = 16,
    barH = Math.max(...rendered.map((r) => r.h));
  const bar = new Uint8Array(barW * barH * 3);
  for (let r = 0; r < barH; r++) {
    const c = colormap(cmap, 1 - r / Math.max(1, barH - 1));
    for (let x = 0; x < barW; x++) bar.set(c, (r * barW + x) * 3);
  }
  const parts: string[] = [];
  const image = (x: number, y: number, w: number, h: number, png: Uint8Array) =>
    `<image x="${x}" y="${y}" width="${w}" height="${h}" href="${pngDataUrl(png)}"/>`;
  const text = `font-family="${FONT_FAMILY}" fill="#222"`;
  let x = gap;
  for (const r of rendered) {
    parts.push(
      image(x, top, r.w, r.h, r.png),
      `<text x="${x + r.w / 2}" y="${
        top + barH + 16
      }" font-size="12" text-anchor="middle" ${text}>${r.name}</text>`,
    );
    x += r.w + gap;
  }
  const barX = x + 6;
  parts.push(
    image(barX, top, barW, barH, encodePng({ width: barW, height: barH, channels: 3, data: bar })),
    `<text x="${barX + barW + 4}" y="${top + 10}" font-size="11" ${text}>${
      shortNumber(vmax)
    }</text>`,
    `<text x="${barX + barW + 4}" y="${top + barH}" font-size="11" ${text}>${
      shortNumber(vmin)
    }</text>`,
  );
  if (options.label) {
    parts.push(
      `<text x="${barX + barW + 4}" y="${top + barH / 2 + 4}" font-size="12" ${text}>${
        escapeXml(options.label)
      }</text>`,
    );
  }
  if (options.title) {
    parts.push(
      `<text x="${gap}" y="24" font-size="14" font-weight="bold" ${text}>${
        escapeXml(options.title)
      }</text>`,
    );
  }
  const width = barX + barW + 64, height = top + barH + labelH + 4;
  const caption = `${options.title ? `${options.title}: ` : ""}${
    rendered.map((r) => r.name).join(", ")
  }; ${cmap} ${shortNumber(vmin)}..${shortNumber(vmax)}`;
  return await svgToPicture(svgDocument(width, height, parts.join("\n")), {
    caption,
    signal: options.signal,
  });
}

/**
 * Brain slices as pictures: a 3-D volume (C-order, as the readers return
 * it) cut along one axis, grey-scaled between robust percentiles, with an
 * optional map overlaid in colour, an optional ROI outline, and a colour
 * bar; the caption names the slice and the colour range.
 * @module
 */
import { colormap } from "./colormaps.ts";
import { Picture } from "./picture.ts";
// deno-lint-ignore no-unused-vars
import type { plotStatMap } from "./stat_map.ts";

/** A 3-D volume in C-order of `(x, y, z)`. */
export interface Volume3d {
  /** `nx * ny * nz` values. */
  data: ArrayLike<number>;
  /** `[nx, ny, nz]`. */
  shape: readonly [number, number, number];
}

/** Options of {@linkcode sliceImage}. */
export interface SliceOptions {
  /** Which cut. @default "axial" */
  view?: "axial" | "coronal" | "sagittal";
  /** Slice index along the cut axis. @default the middle */
  index?: number;
  /** Pixels per voxel. @default 3 */
  scale?: number;
  /** A map on the same grid, drawn in colour where `|value| >= threshold`. */
  overlay?: Volume3d;
  /** Overlay values below this magnitude are not drawn. @default 0 */
  threshold?: number;
  /** Colour range of the overlay (symmetric for signed maps). @default the overlay's max |value| */
  vmax?: number;
  /** A mask on the same grid whose edge is drawn in green. */
  outline?: Volume3d;
  /** Text for the caption. */
  title?: string;
}

const AXES = { sagittal: 0, coronal: 1, axial: 2 } as const;

/** nilearn's `cold_hot` (matplotlib-exact table, shared with plotStatMap); t in [-1, 1]. */
function mapColour(t: number): [number, number, number] {
  return colormap("cold_hot", (Math.max(-1, Math.min(1, t)) + 1) / 2);
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const s = values.sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

/**
 * One slice of a volume as a {@linkcode Picture} (radiological conventions
 * aside: rows go from anterior/superior at the top, columns from the first
 * voxel index at the left).
 *
 * @deprecated Use {@linkcode plotStatMap} (`displayMode: "z"` and `cutCoords`
 *   for one axial cut): millimetres from the affine, orientation markers and a
 *   colour bar with numbers. This synchronous raster (no text) stays for old callers.
 *
 * @example
 * ```ts
 * import { sliceImage } from "@laion/fmri/plot";
 * const data = Float32Array.from({ length: 8 * 8 * 8 }, (_, i) => i % 8);
 * const pic = sliceImage({ data, shape: [8, 8, 8] }, { view: "axial", title: "ramp" });
 * ```
 */
export function sliceImage(volume: Volume3d, options: SliceOptions = {}): Picture {
  const [nx, ny, nz] = volume.shape;
  if (volume.data.length !== nx * ny * nz) {
    throw new RangeError(`volume has ${volume.data.length} values for shape ${nx}x${ny}x${nz}`);
  }
  for (const [name, v] of [["overlay", options.overlay], ["outline", options.outline]] as const) {
    if (v && v.shape.some((n, i) => n !== volume.shape[i])) {
      throw new RangeError(`${name} shape ${v.shape.join("x")} differs from ${nx}x${ny}x${nz}`);
    }
  }
  const view = options.view ?? "axial";
  const axis = AXES[view];
  if (axis === undefined) throw new RangeError(`view must be axial, coronal or sagittal: ${view}`);
  const along = volume.shape[axis];
  const index = options.index ?? Math.floor(along / 2);
  if (!Number.isInteger(index) || index < 0 || index >= along) {
    throw new RangeError(`${view} index ${index} is outside 0..${along - 1}`);
  }
  const scale = options.scale ?? 3;
  // Image columns follow the first remaining axis, rows the second (flipped: up is +).
  const [cAxis, rAxis] = [0, 1, 2].filter((a) => a !== axis);
  const cols = volume.shape[cAxis], rows = volume.shape[rAxis];
  const at = (c: number, r: number) => {
    const ijk = [0, 0, 0];
    ijk[axis] = index;
    ijk[cAxis] = c;
    ijk[rAxis] = rows - 1 - r;
    return (ijk[0] * ny + ijk[1]) * nz + ijk[2];
  };
  const base: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = volume.data[at(c, r)];
      if (Number.isFinite(v) && v !== 0) base.push(v);
    }
  }
  let lo = percentile([...base], 0.02), hi = percentile(base, 0.98);
  if (hi <= lo) {
    // A flat slice (a binary mask): show its non-zero voxels bright, not black.
    lo = Math.min(lo, 0);
    if (hi <= lo) hi = lo + 1;
  }
  let vmax = options.vmax ?? 0;
  if (options.overlay && !options.vmax) {
    for (let i = 0; i < options.overlay.data.length; i++) {
      const v = Math.abs(options.overlay.data[i]);
      if (Number.isFinite(v) && v > vmax) vmax = v;
    }
  }
  const threshold = options.threshold ?? 0;
  const barWidth = options.overlay ? 4 : 0;
  const w = cols * scale + (barWidth ? (barWidth + 2) * scale : 0), h = rows * scale;
  const px = new Uint8Array(w * h * 3);
  const put = (x: number, y: number, [r, g, b]: [number, number, number]) => {
    for (let dy = 0; dy < scale; dy++) {
      for (let dx = 0; dx < scale; dx++) {
        const o = ((y * scale + dy) * w + x * scale + dx) * 3;
        px[o] = r, px[o + 1] = g, px[o + 2] = b;
      }
    }
  };
  const inMask = (c: number, r: number) =>
    c >= 0 && r >= 0 && c < cols && r < rows && options.outline!.data[at(c, r)] > 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = volume.data[at(c, r)];
      const g = Number.isFinite(v)
        ? Math.round(255 * Math.min(1, Math.max(0, (v - lo) / (hi - lo))))
        : 0;
      let colour: [number, number, number] = [g, g, g];
      const o = options.overlay?.data[at(c, r)];
      if (
        o !== undefined && Number.isFinite(o) && Math.abs(o) >= threshold && o !== 0 && vmax > 0
      ) {
        colour = mapColour(o / vmax);
      }
      if (
        options.outline && inMask(c, r) &&
        (!inMask(c - 1, r) || !inMask(c + 1, r) || !inMask(c, r - 1) || !inMask(c, r + 1))
      ) colour = [0, 255, 0];
      put(c, r, colour);
    }
  }
  if (barWidth) {
    // Colour bar: +vmax at the top, -vmax at the bottom.
    for (let r = 0; r < rows; r++) {
      const colour = mapColour(1 - (2 * r) / Math.max(1, rows - 1));
      for (let b = 0; b < barWidth; b++) put(cols + 2 + b, r, colour);
    }
  }
  const range = options.overlay
    ? `; overlay ±${vmax.toPrecision(3)} (bar: top +, bottom −)${
      threshold ? `, |v| ≥ ${threshold}` : ""
    }`
    : "";
  const title = options.title ? `${options.title}: ` : "";
  return Picture.fromPixels(
    { width: w, height: h, channels: 3, data: px },
    `${title}${view} slice ${index}/${along - 1}${range}`,
  );
}

/**
 * The grids of the current layout and the voxel values on them: the
 * anatomical full-resolution grid (0.9 mm, twice as fine as the beta grid),
 * the localizer grid `res-1pt5`, and the beta grid `res-1pt8` itself. All
 * share the subject's ellipsoid brain; every value is a pure function of
 * (seed, subject, what, voxel).
 * @module
 */
import {
  anatomicalAxis,
  type BrainGeometry,
  gridAffine,
  type RoiGeometry,
  SIZES,
  type SynthSize,
} from "./geometry.ts";
import { hashKey, mix, unit } from "./prng.ts";

/** A voxel grid: dimensions and an axis-aligned affine (row-major 4x4). */
export interface Grid {
  name: "full" | "1pt5" | "1pt8";
  dims: [number, number, number];
  voxelSize: number;
  affine: number[][];
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

/**
 * The three grids of a size preset, all centred on the same point.
 *
 * @example
 * ```ts
 * import { grids } from "./anatomy.ts";
 * grids("small").full.dims; // [24, 28, 20]
 * ```
 */
export function grids(size: SynthSize): Record<Grid["name"], Grid> {
  const { dims, voxelSize: v } = SIZES[size];
  const a = gridAffine(size);
  const make = (name: Grid["name"], d: [number, number, number], vs: number): Grid => {
    const off = d.map((n, i) => round4(a[i][3] + ((dims[i] - 1) * v) / 2 - ((n - 1) * vs) / 2));
    return {
      name,
      dims: d,
      voxelSize: vs,
      affine: [[vs, 0, 0, off[0]], [0, vs, 0, off[1]], [0, 0, vs, off[2]], [0, 0, 0, 1]],
    };
  };
  return {
    "1pt8": { name: "1pt8", dims: [...dims], voxelSize: v, affine: a },
    full: make("full", dims.map((n) => 2 * n) as [number, number, number], v / 2),
    "1pt5": make(
      "1pt5",
      dims.map((n) => Math.round((n * v) / 1.5)) as [number, number, number],
      1.5,
    ),
  };
}

/** Coordinates of voxel (i, j, k) of `grid` in voxel units of the beta grid `base`. */
function toBase(grid: Grid, base: Grid, i: number, j: number, k: number): [number, number, number] {
  const r = base.voxelSize;
  return [i, j, k].map((x, a) =>
    (grid.affine[a][3] + grid.voxelSize * x - base.affine[a][3]) / r
  ) as [
    number,
    number,
    number,
  ];
}

/** Squared ellipsoid distance of a point in beta-grid voxel units (<= 1 inside the brain). */
export function brainDistance2(g: BrainGeometry, p: readonly number[]): number {
  let d = 0;
  for (let a = 0; a < 3; a++) d += ((p[a] - g.center[a]) / g.radii[a]) ** 2;
  return d;
}

type Typed = Uint8Array | Int16Array | Float32Array;

/**
 * A 3-D volume on `grid` in NIfTI on-disk order (X fastest) from a function
 * of the point (beta-grid voxel units) and the voxel's C-order flat index.
 *
 * @example
 * ```ts
 * import { gridVolume, grids } from "./anatomy.ts";
 * const g = grids("small");
 * const vol = gridVolume(g.full, g["1pt8"], Float32Array, (p) => p[0]);
 * ```
 */
export function gridVolume<T extends Typed>(
  grid: Grid,
  base: Grid,
  Ctor: { new (n: number): T },
  value: (p: [number, number, number], flatC: number) => number,
): T {
  const [nx, ny, nz] = grid.dims;
  const out = new Ctor(nx * ny * nz);
  let o = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        out[o++] = value(toBase(grid, base, i, j, k), (i * ny + j) * nz + k);
      }
    }
  }
  return out;
}

/**
 * T1w, T2w (int16) or the brain mask (uint8 0/1) of a subject on a grid.
 * On the beta grid the mask is the anatomical axis (`anatomicalAxis`): the
 * brain axis of the betas plus a few rim voxels.
 *
 * @example
 * ```ts
 * import { anatomicalVolume, grids } from "./anatomy.ts";
 * import { brainGeometry } from "./geometry.ts";
 * const vol = anatomicalVolume(brainGeometry("small", 1, "sub-01"), grids("small").full, "T1w");
 * ```
 */
export function anatomicalVolume(
  g: BrainGeometry,
  grid: Grid,
  kind: "T1w" | "T2w" | "mask",
): Int16Array | Uint8Array {
  const base = grids(g.size)["1pt8"];
  if (kind === "mask") {
    if (grid.name === "1pt8") {
      const axis = anatomicalAxis(g.size, g.seed, g.subject);
      return gridVolume(grid, base, Uint8Array, (_p, f) => (axis.rankOfC[f] >= 0 ? 1 : 0));
    }
    return gridVolume(grid, base, Uint8Array, (p) => (brainDistance2(g, p) <= 1 ? 1 : 0));
  }
  const key = hashKey(g.seed, g.subject, kind, grid.name);
  const t1 = kind === "T1w";
  return gridVolume(grid, base, Int16Array, (p, f) => {
    const d = brainDistance2(g, p), u = unit(key, f);
    if (d <= 1) return Math.round((t1 ? 600 + 300 * (1 - d) : 500 + 400 * d) + 60 * (u - 0.5));
    if (d <= 1.5) return Math.round((t1 ? 250 : 1200) + 50 * u);
    return Math.round(8 * u);
  });
}

/**
 * A ROI ball resampled to a grid (nearest: voxels whose centre lies in the
 * ball), as a uint8 volume, and its voxel count.
 *
 * @example
 * ```ts
 * import { roiVolume, grids } from "./anatomy.ts";
 * import { roiGeometry } from "./geometry.ts";
 * const roi = roiGeometry("small", 1, "sub-01")[0];
 * const { volume, nVoxels } = roiVolume(roi, grids("small")["1pt5"], grids("small")["1pt8"]);
 * ```
 */
export function roiVolume(
  roi: RoiGeometry,
  grid: Grid,
  base: Grid,
): { volume: Uint8Array; nVoxels: number } {
  let n = 0;
  const volume = gridVolume(grid, base, Uint8Array, (p) => {
    const d = (p[0] - roi.center[0]) ** 2 + (p[1] - roi.center[1]) ** 2 +
      (p[2] - roi.center[2]) ** 2;
    if (d > roi.radius * roi.radius) return 0;
    n++;
    return 1;
  });
  return { volume, nVoxels: n };
}

/** Blobs (centre in beta-grid voxels, width, amplitude) of one localizer contrast. */
function blobs(g: BrainGeometry, name: string): [number[], number, number][] {
  const h = hashKey(g.seed, g.subject, "localizer", name);
  return [0, 1].map((b) => {
    const f = g.brainC[mix(h, b) % g.brainC.length];
    const [, ny, nz] = g.dims;
    const c = [Math.floor(f / (ny * nz)), Math.floor(f / nz) % ny, f % nz];
    return [c, 1 + 2 * unit(h, 10 + b), (b ? -1 : 1) * (3 + 5 * unit(h, 20 + b))];
  });
}

/**
 * The value of a localizer map at a point (beta-grid voxel units): two
 * Gaussian blobs plus noise, in steps of 1/64 (so that maps compress).
 *
 * @example
 * ```ts
 * import { localizerValue } from "./anatomy.ts";
 * import { brainGeometry } from "./geometry.ts";
 * localizerValue(brainGeometry("small", 1, "sub-01"), "floc/faceVsOthers/z", [5, 6, 4], 0);
 * ```
 */
export function localizerValue(
  g: BrainGeometry,
  name: string,
  p: readonly number[],
  counter: number,
): number {
  let v = 0;
  for (const [c, w, a] of blobs(g, name)) {
    const d2 = (p[0] - c[0]) ** 2 + (p[1] - c[1]) ** 2 + (p[2] - c[2]) ** 2;
    v += a * Math.exp(-d2 / (2 * w * w));
  }
  v += unit(hashKey(g.seed, g.subject, name, "noise"), counter) - 0.5;
  return Math.round(v * 64) / 64;
}

/**
 * A localizer map on a T1w grid: values inside the brain (on `res-1pt8`:
 * the anatomical brain mask); outside, 0 on the fitted `res-1pt5` grid and
 * NaN on the resampled `res-1pt8` grid.
 *
 * @example
 * ```ts
 * import { localizerVolume, grids } from "./anatomy.ts";
 * import { brainGeometry } from "./geometry.ts";
 * const vol = localizerVolume(brainGeometry("small", 1, "sub-01"), "oloc/objectVsScrambled/z", grids("small")["1pt5"]);
 * ```
 */
export function localizerVolume(g: BrainGeometry, name: string, grid: Grid): Float32Array {
  const base = grids(g.size)["1pt8"];
  const outside = grid.name === "1pt8" ? NaN : 0;
  const anatomical = anatomicalAxis(g.size, g.seed, g.subject).rankOfC;
  return gridVolume(grid, base, Float32Array, (p, f) => {
    const inside = grid.name === "1pt8" ? anatomical[f] >= 0 : brainDistance2(g, p) <= 1;
    return inside ? localizerValue(g, name, p, f) : outside;
  });
}

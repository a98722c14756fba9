/**
 * Sizes, the voxel grid, the ellipsoid brain, NaN voxels, ROI blobs and the
 * small synthetic surfaces. All pure and memoized per (size, seed, subject).
 *
 * Voxel indexing: `flat = (i*NY + j)*NZ + k` (NumPy C-order of (X,Y,Z)); the
 * on-disk NIfTI offset is `i + NX*(j + NY*k)`. The brain axis lists brain
 * voxels in increasing C-order flat index.
 * @module
 */
import { hashKey, mix, mulberry32, unit } from "./prng.ts";
import { flatRois, SYNTH_SUBJECTS } from "./inventory.ts";
import type { RoiCategory } from "../../lib/core/constants.ts";
import { unflattenC } from "../../lib/formats/voxel_order.ts";

/** Dataset size preset. */
export type SynthSize = "small" | "realistic";
/** Bucket layouts the generator writes. */
export type SynthLayout = "seed" | "current";
/** Valid sizes. */
export const SYNTH_SIZES: readonly SynthSize[] = ["small", "realistic"];

/** Everything that differs between `small` and `realistic`. */
export interface SizeConfig {
  /** Grid dimensions (X, Y, Z). */
  dims: [number, number, number];
  /** Isotropic voxel size in mm. */
  voxelSize: number;
  /** Ellipsoid radii in voxels for a subject with scale 1. */
  radii: [number, number, number];
  /** Trials per run of a public session. */
  trialsPerRun: number;
  /** Runs of a public session (by subject index and session ordinal). */
  runs: (subjectIndex: number, sessionOrdinal: number) => number;
  /** Runs / trials per run of a held-out session (kept tiny). */
  heldOutRuns: number;
  heldOutTrialsPerRun: number;
  /** ROI ball radius range in voxels. */
  roiRadius: [number, number];
  /** Vertices of the left / right synthetic surface for sub-01. */
  surface: { L: number; R: number };
  /** ROI vertex-patch size range. */
  roiVertices: [number, number];
  /** Size of the subset of shared stimuli shown (repeats come from it). */
  sharedSubset: number;
  /** Fraction of a public session's trials that show shared images. */
  sharedFraction: number;
  /**
   * The trial plan of the current layout where it differs: more trials and
   * shared images, so that the planted encoding signal shows in the
   * encoding tutorial. The seed layout keeps the fields above.
   */
  current?: Partial<Pick<SizeConfig, "trialsPerRun" | "sharedSubset" | "sharedFraction">>;
  /** Public sessions per subject. */
  publicSessions: (subject: string) => string[];
  /**
   * Voxels just outside the brain axis that the current layout's `res-1pt8`
   * anatomical brain mask adds (R2mean 0 there), so that the anatomical
   * mask is a strict superset of the R2mean mask as on the real bucket.
   */
  anatomicalRim: number;
  /** Subjects / sessions generated when the caller does not say. */
  defaultSubjects: readonly string[];
  defaultSessions: readonly string[] | null;
}

/**
 * The two size presets.
 *
 * @example
 * ```ts
 * import { SIZES } from "./geometry.ts";
 * SIZES.realistic.dims; // [100, 120, 100]
 * ```
 */
export const SIZES: Readonly<Record<SynthSize, SizeConfig>> = {
  small: {
    dims: [12, 14, 10],
    voxelSize: 1.8,
    radii: [4.7, 5.7, 3.9],
    trialsPerRun: 14,
    runs: (s, o) => 3 + ((s + o) % 2),
    heldOutRuns: 2,
    heldOutTrialsPerRun: 3,
    roiRadius: [1.0, 1.8],
    surface: { L: 200, R: 180 },
    roiVertices: [4, 16],
    sharedSubset: 12,
    sharedFraction: 0.45,
    anatomicalRim: 6,
    // sub-01: 120 + 160 + 120 trials, 70% of them of 80 shared images (60 non-OOD, each
    // shown 3-5 times, some twice in a session): 30 test images in the encoding tutorial
    current: { trialsPerRun: 40, sharedSubset: 80, sharedFraction: 0.7 },
    publicSessions: (s) => s === "sub-01" ? ["ses-01", "ses-02", "ses-03"] : ["ses-01", "ses-02"],
    defaultSubjects: SYNTH_SUBJECTS,
    defaultSessions: null,
  },
  realistic: {
    dims: [100, 120, 100],
    voxelSize: 1.8,
    // tuned so that sub-01 has 272,080 +- 0.1% brain voxels
    radii: [37.8, 45.44, 37.82],
    trialsPerRun: 87,
    runs: () => 12,
    heldOutRuns: 2,
    heldOutTrialsPerRun: 3,
    roiRadius: [3.0, 5.5],
    surface: { L: 2000, R: 1800 },
    roiVertices: [20, 120],
    sharedSubset: 400,
    sharedFraction: 0.45,
    // 272,080 anatomical voxels as the real sub-01; its 523 NaN R2mean voxels make the difference
    anatomicalRim: 0,
    publicSessions: () => ["ses-01", "ses-02"],
    defaultSubjects: ["sub-01"],
    defaultSessions: ["ses-01"],
  },
};

/**
 * The size preset as a layout uses it (the current layout's trial plan
 * overrides applied).
 *
 * @example
 * ```ts
 * import { sizeConfig } from "./geometry.ts";
 * sizeConfig("small", "current").trialsPerRun; // 40
 * ```
 */
export function sizeConfig(size: SynthSize, layout: SynthLayout = "seed"): SizeConfig {
  const cfg = SIZES[size];
  return layout === "current" && cfg.current ? { ...cfg, ...cfg.current } : cfg;
}

/** Per-subject brain scale (sub-01 = 1). */
const SUBJECT_SCALE: Record<string, number> = {
  "sub-01": 1,
  "sub-03": 0.97,
  "sub-05": 1.03,
  "sub-06": 0.95,
  "sub-07": 1.01,
};

/**
 * Index of a subject in {@linkcode SYNTH_SUBJECTS}.
 *
 * @example
 * ```ts
 * import { subjectIndex } from "./geometry.ts";
 * subjectIndex("sub-05"); // 2
 * ```
 */
export function subjectIndex(subject: string): number {
  const i = (SYNTH_SUBJECTS as readonly string[]).indexOf(subject);
  if (i < 0) throw new RangeError(`Unknown subject ${subject}. Valid: ${SYNTH_SUBJECTS}`);
  return i;
}

/**
 * Voxel-to-world affine (4x4, row-major): 1.8 mm voxels plus an offset.
 *
 * @example
 * ```ts
 * import { gridAffine } from "./geometry.ts";
 * gridAffine("small")[0]; // [1.8, 0, 0, -10.2]
 * ```
 */
export function gridAffine(size: SynthSize): number[][] {
  const { dims, voxelSize: v } = SIZES[size];
  const off = dims.map((d, a) => Math.round((-(d - 1) * v / 2 + [-0.3, -17.3, 12.6][a]) * 10) / 10);
  return [
    [v, 0, 0, off[0]],
    [0, v, 0, off[1]],
    [0, 0, v, off[2]],
    [0, 0, 0, 1],
  ];
}

/** A subject's brain on the grid. */
export interface BrainGeometry {
  size: SynthSize;
  seed: number;
  subject: string;
  dims: [number, number, number];
  /** Voxels in the grid. */
  nVox: number;
  /** C-order flat index of every brain voxel, increasing (the brain axis). */
  brainC: Int32Array;
  /** NIfTI on-disk offset of every brain voxel, same order. */
  brainF: Int32Array;
  /** Brain-axis index of each C-order flat voxel, -1 outside the brain. */
  rankOfC: Int32Array;
  /** 1 where the brain voxel (brain-axis index) is NaN in R2mean and in float betas. */
  nanMask: Uint8Array;
  /** Sorted brain-axis indices of the NaN voxels. */
  nanIndices: number[];
  /** The ellipsoid: centre and radii in voxels of the grid. */
  center: [number, number, number];
  radii: [number, number, number];
}

const geomCache = new Map<string, BrainGeometry>();

/**
 * The brain of a subject (memoized): an ellipsoid whose non-zero-or-NaN
 * R2mean voxels are the brain axis, with a few NaN voxels.
 *
 * @example
 * ```ts
 * import { brainGeometry } from "./geometry.ts";
 * const g = brainGeometry("small", 1, "sub-01");
 * console.log(g.brainC.length, g.nanIndices.length);
 * ```
 */
export function brainGeometry(size: SynthSize, seed: number, subject: string): BrainGeometry {
  const key = `${size}/${seed}/${subject}`;
  const hit = geomCache.get(key);
  if (hit) return hit;
  const cfg = SIZES[size];
  if (!cfg) throw new RangeError(`Unknown size ${size}. Valid: ${SYNTH_SIZES}`);
  const [NX, NY, NZ] = cfg.dims;
  subjectIndex(subject);
  const s = SUBJECT_SCALE[subject];
  const [rx, ry, rz] = cfg.radii.map((r) => r * s);
  const cx = (NX - 1) / 2 + 0.25, cy = (NY - 1) / 2 - 0.3, cz = (NZ - 1) / 2 + 0.15;
  const nVox = NX * NY * NZ;
  const rankOfC = new Int32Array(nVox).fill(-1);
  const c: number[] = [];
  for (let i = 0; i < NX; i++) {
    const dx = (i - cx) / rx;
    for (let j = 0; j < NY; j++) {
      const dy = (j - cy) / ry;
      for (let k = 0; k < NZ; k++) {
        const dz = (k - cz) / rz;
        if (dx * dx + dy * dy + dz * dz <= 1) {
          const f = (i * NY + j) * NZ + k;
          rankOfC[f] = c.length;
          c.push(f);
        }
      }
    }
  }
  const brainC = Int32Array.from(c);
  const brainF = new Int32Array(brainC.length);
  for (let r = 0; r < brainC.length; r++) {
    const f = brainC[r];
    const k = f % NZ, j = Math.floor(f / NZ) % NY, i = Math.floor(f / (NY * NZ));
    brainF[r] = i + NX * (j + NY * k);
  }
  // NaN voxels: as many as the real sub-01 (523 of 272,080), at least 3.
  const nNaN = Math.max(3, Math.round(brainC.length * 523 / 272080));
  const rnd = mulberry32(hashKey(seed, subject, "r2-nan"));
  const nanMask = new Uint8Array(brainC.length);
  let placed = 0;
  while (placed < nNaN) {
    const r = Math.floor(rnd() * brainC.length);
    if (!nanMask[r]) {
      nanMask[r] = 1;
      placed++;
    }
  }
  const nanIndices: number[] = [];
  for (let r = 0; r < nanMask.length; r++) if (nanMask[r]) nanIndices.push(r);
  const g: BrainGeometry = {
    size,
    seed,
    subject,
    dims: [NX, NY, NZ],
    nVox,
    brainC,
    brainF,
    rankOfC,
    nanMask,
    nanIndices,
    center: [cx, cy, cz],
    radii: [rx, ry, rz],
  };
  geomCache.set(key, g);
  return g;
}

/** Ground truth of one ROI. */
export interface RoiGeometry {
  category: RoiCategory;
  bucketLabel: string;
  label: string;
  /** Ball centre (i, j, k) and radius in voxels. */
  center: [number, number, number];
  radius: number;
  /** C-order flat indices of all mask voxels (in and out of the brain), increasing. */
  fullIndices: number[];
  /** Brain-axis indices of the mask voxels inside the brain, increasing. */
  brainIndices: number[];
  /** True vertex indices per hemisphere, increasing. */
  vertices: { L: number[]; R: number[] };
}

/**
 * Vertex counts of a subject's synthetic surfaces.
 *
 * @example
 * ```ts
 * import { surfaceSize } from "./geometry.ts";
 * surfaceSize("small", "sub-01"); // { L: 200, R: 180 }
 * ```
 */
export function surfaceSize(size: SynthSize, subject: string): { L: number; R: number } {
  const s = subjectIndex(subject);
  const { L, R } = SIZES[size].surface;
  return { L: L + 3 * s, R: R + 2 * s };
}

/**
 * Vertex coordinates (x, y, z in mm) of a synthetic hemisphere: a
 * Fibonacci sphere of radius 60 mm centred at x = -35 (L) or +35 (R).
 *
 * @example
 * ```ts
 * import { surfaceVertex } from "./geometry.ts";
 * surfaceVertex(0, 200, "L"); // [x, y, z]
 * ```
 */
export function surfaceVertex(v: number, n: number, hemi: "L" | "R"): [number, number, number] {
  const y = 1 - (2 * (v + 0.5)) / n;
  const r = Math.sqrt(1 - y * y);
  const phi = v * Math.PI * (3 - Math.sqrt(5));
  return [
    (hemi === "L" ? -35 : 35) + 60 * r * Math.cos(phi),
    60 * y - 18,
    60 * r * Math.sin(phi) + 10,
  ];
}

function vertexPatch(n: number, hemi: "L" | "R", centre: number, count: number): number[] {
  const c = surfaceVertex(centre, n, hemi);
  const d: [number, number][] = [];
  for (let v = 0; v < n; v++) {
    const p = surfaceVertex(v, n, hemi);
    d.push([(p[0] - c[0]) ** 2 + (p[1] - c[1]) ** 2 + (p[2] - c[2]) ** 2, v]);
  }
  d.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return d.slice(0, Math.min(count, n)).map((x) => x[1]).sort((a, b) => a - b);
}

const roiCache = new Map<string, RoiGeometry[]>();

/**
 * The ROIs of a subject (memoized): balls on the grid, every third one
 * centred on a brain-boundary voxel so part of it lies outside the brain,
 * every fifth one next to its predecessor so that they overlap; plus a
 * vertex patch per hemisphere.
 *
 * @example
 * ```ts
 * import { roiGeometry } from "./geometry.ts";
 * const ffa = roiGeometry("small", 1, "sub-01").find((r) => r.label === "FFA1");
 * ```
 */
export function roiGeometry(size: SynthSize, seed: number, subject: string): RoiGeometry[] {
  const key = `${size}/${seed}/${subject}`;
  const hit = roiCache.get(key);
  if (hit) return hit;
  const g = brainGeometry(size, seed, subject);
  const cfg = SIZES[size];
  const [NX, NY, NZ] = g.dims;
  const inBrain = (i: number, j: number, k: number) =>
    i >= 0 && j >= 0 && k >= 0 && i < NX && j < NY && k < NZ &&
    g.rankOfC[(i * NY + j) * NZ + k] >= 0;
  const boundary: number[] = [];
  for (let r = 0; r < g.brainC.length; r++) {
    const [i, j, k] = unflattenC(g.brainC[r], g.dims);
    if (
      !inBrain(i - 1, j, k) || !inBrain(i + 1, j, k) || !inBrain(i, j - 1, k) ||
      !inBrain(i, j + 1, k) || !inBrain(i, j, k - 1) || !inBrain(i, j, k + 1)
    ) boundary.push(g.brainC[r]);
  }
  const surf = surfaceSize(size, subject);
  const out: RoiGeometry[] = [];
  let prev: [number, number, number] = [0, 0, 0];
  flatRois(subject).forEach((roi, n) => {
    const h = hashKey(seed, subject, "roi", roi.bucketLabel);
    let center: [number, number, number];
    if (n % 5 === 1) {
      center = [Math.min(NX - 1, prev[0] + 1), prev[1], prev[2]];
    } else if (n % 3 === 0) {
      center = unflattenC(boundary[mix(h, 1) % boundary.length], g.dims);
    } else {
      center = unflattenC(g.brainC[mix(h, 2) % g.brainC.length], g.dims);
    }
    prev = center;
    const [r0, r1] = cfg.roiRadius;
    const radius = Math.round((r0 + (r1 - r0) * unit(h, 3)) * 100) / 100;
    const R = Math.ceil(radius);
    const fullIndices: number[] = [];
    const brainIndices: number[] = [];
    for (let i = Math.max(0, center[0] - R); i <= Math.min(NX - 1, center[0] + R); i++) {
      for (let j = Math.max(0, center[1] - R); j <= Math.min(NY - 1, center[1] + R); j++) {
        for (let k = Math.max(0, center[2] - R); k <= Math.min(NZ - 1, center[2] + R); k++) {
          const d2 = (i - center[0]) ** 2 + (j - center[1]) ** 2 + (k - center[2]) ** 2;
          if (d2 <= radius * radius) {
            const f = (i * NY + j) * NZ + k;
            fullIndices.push(f);
            if (g.rankOfC[f] >= 0) brainIndices.push(g.rankOfC[f]);
          }
        }
      }
    }
    const [v0, v1] = cfg.roiVertices;
    const count = (hemi: number) => v0 + Math.floor((v1 - v0 + 1) * unit(h, 10 + hemi));
    out.push({
      category: roi.category,
      bucketLabel: roi.bucketLabel,
      label: roi.label,
      center,
      radius,
      fullIndices,
      brainIndices,
      vertices: {
        L: vertexPatch(surf.L, "L", mix(h, 4) % surf.L, count(0)),
        R: vertexPatch(surf.R, "R", mix(h, 5) % surf.R, count(1)),
      },
    });
  });
  roiCache.set(key, out);
  return out;
}

/** The voxel axis of the current layout's `res-1pt8` anatomical brain mask. */
export interface AnatomicalAxis {
  /** C-order flat index of every anatomical voxel, increasing (= rows of `betasmd`). */
  flat: Int32Array;
  /** The voxels outside the brain axis (R2mean 0), increasing. */
  rim: number[];
  /** Anatomical-axis index of each C-order flat voxel, -1 outside the mask. */
  rankOfC: Int32Array;
  /** Anatomical-axis index of each brain-axis voxel. */
  ofBrain: Int32Array;
}

const axisCache = new Map<string, AnatomicalAxis>();

/**
 * The anatomical axis of a subject (memoized): the brain axis plus
 * {@linkcode SizeConfig.anatomicalRim} voxels 6-adjacent to it, two of
 * them (when there are) in ROIs other than FFA-1, so that ROI masks differ
 * between the two axes, the rest picked by a seeded hash.
 *
 * @example
 * ```ts
 * import { anatomicalAxis } from "./geometry.ts";
 * anatomicalAxis("small", 1, "sub-01").rim.length; // 6
 * ```
 */
export function anatomicalAxis(size: SynthSize, seed: number, subject: string): AnatomicalAxis {
  const key = `${size}/${seed}/${subject}`;
  const hit = axisCache.get(key);
  if (hit) return hit;
  const g = brainGeometry(size, seed, subject);
  const [NX, NY, NZ] = g.dims;
  const candidates: number[] = [];
  for (let f = 0; f < g.nVox && SIZES[size].anatomicalRim > 0; f++) {
    if (g.rankOfC[f] >= 0) continue;
    const [i, j, k] = unflattenC(f, g.dims);
    const near = [[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]].some(
      ([a, b, c]) => {
        const x = i + a, y = j + b, z = k + c;
        return x >= 0 && y >= 0 && z >= 0 && x < NX && y < NY && z < NZ &&
          g.rankOfC[(x * NY + y) * NZ + z] >= 0;
      },
    );
    if (near) candidates.push(f);
  }
  const n = Math.min(SIZES[size].anatomicalRim, candidates.length);
  const inRoi = new Set<number>();
  for (const r of n > 0 ? roiGeometry(size, seed, subject) : []) {
    if (r.bucketLabel !== "FFA-1") { for (const f of r.fullIndices) inRoi.add(f); }
  }
  const picked = new Set<number>();
  for (const f of candidates) if (picked.size < Math.min(2, n) && inRoi.has(f)) picked.add(f);
  const rnd = mulberry32(hashKey(seed, subject, "anatomical-rim"));
  while (picked.size < n) picked.add(candidates[Math.floor(rnd() * candidates.length)]);
  const rim = [...picked].sort((a, b) => a - b);
  const flat = Int32Array.from([...g.brainC, ...rim]).sort();
  const rankOfC = new Int32Array(g.nVox).fill(-1);
  flat.forEach((f, a) => (rankOfC[f] = a));
  const ofBrain = g.brainC.map((f) => rankOfC[f]);
  const axis = { flat, rim, rankOfC, ofBrain };
  axisCache.set(key, axis);
  return axis;
}

/**
 * A synthetic FreeSurfer recon with consistent geometry, so that the
 * standard-space chains can be checked against truth:
 *
 * - Vertex `v` of a hemisphere of `n` vertices has the unit direction of the
 *   Fibonacci point `v` of `n` (as {@linkcode surfaceVertex}), and every
 *   surface shares one triangulation: the convex hull of those directions
 *   (a closed sphere, 2n - 4 triangles, wound outwards).
 * - `white` and `pial` are ellipsoids inside the subject's ellipsoid brain
 *   (the left or right half), `white` inside `pial`; `inflated` is a larger
 *   ellipsoid; `sphere` has radius 100 mm; `sphere.reg` is the sphere turned
 *   by a small known rotation (so every fsaverage vertex falls in exactly
 *   one of its triangles: barycentric resampling is well defined).
 * - Coordinates are FreeSurfer's: surface ("tkregister") RAS, written with
 *   the volume-geometry footer whose `cras` is the scanner RAS of the centre
 *   of the T1w (`mri/T1.mgz`, the anatomical full grid): scanner RAS =
 *   vertex + `cras`.
 * - `talairach.lta` maps scanner RAS of the T1w into MNI305 RAS
 *   ({@linkcode talairachMatrix}).
 * - A planted blob on the beta grid (`res-1pt8`): brain voxels within a
 *   radius of the left white surface's most lateral vertex, value
 *   {@linkcode PLANTED_VALUE}; its MNI305 voxels and the white/pial vertices
 *   whose nearest `res-1pt8` voxel is in it are in the truth.
 * @module
 */
import { type BrainGeometry, brainGeometry, SIZES, type SynthSize } from "./geometry.ts";
import { grids } from "./anatomy.ts";
import { MNI305_AFFINE, MNI305_DIMS } from "./templateflow.ts";

/** Surfaces of the synthetic recon. */
export const RECON_SURFACES = ["white", "pial", "inflated", "sphere", "sphere.reg"] as const;
/** A surface of the synthetic recon. */
export type ReconSurface = typeof RECON_SURFACES[number];
/** The value of the planted blob (0 elsewhere). */
export const PLANTED_VALUE = 7.5;

/** Unit direction of Fibonacci point `v` of `n` (the direction of `surfaceVertex`). */
export function fibonacciDirection(v: number, n: number): [number, number, number] {
  const y = 1 - (2 * (v + 0.5)) / n;
  const r = Math.sqrt(Math.max(0, 1 - y * y));
  const phi = v * Math.PI * (3 - Math.sqrt(5));
  return [r * Math.cos(phi), y, r * Math.sin(phi)];
}

const hullCache = new Map<number, Int32Array>();

/**
 * Triangles of the convex hull of the `n` Fibonacci directions (memoized):
 * 2n - 4 triangles, counter-clockwise seen from outside. Incremental hull,
 * O(n^2), fine for the few thousand vertices of a synthetic hemisphere.
 *
 * @example
 * ```ts
 * import { sphereTriangles } from "./recon.ts";
 * sphereTriangles(200).length / 3; // 396
 * ```
 */
export function sphereTriangles(n: number): Int32Array {
  const hit = hullCache.get(n);
  if (hit) return hit;
  if (n < 4) throw new RangeError(`a closed surface needs at least 4 vertices, got ${n}`);
  const p = Array.from({ length: n }, (_, v) => fibonacciDirection(v, n));
  const sub = (a: number[], b: number[]) => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
  const cross = (a: number[], b: number[]) => [
    a[1] * b[2] - a[2] * b[1],
    a[2] * b[0] - a[0] * b[2],
    a[0] * b[1] - a[1] * b[0],
  ];
  const dot = (a: number[], b: number[]) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
  type Face = { v: [number, number, number]; n: number[]; d: number };
  const make = (a: number, b: number, c: number): Face => {
    const nn = cross(sub(p[b], p[a]), sub(p[c], p[a]));
    return { v: [a, b, c], n: nn, d: dot(nn, p[a]) };
  };
  // start: 0, n-1 (the poles), and two points far from their axis and each other
  const a0 = 0, a1 = n - 1;
  let a2 = 1;
  for (let v = 1; v < n - 1; v++) if (Math.abs(p[v][1]) < Math.abs(p[a2][1])) a2 = v;
  let a3 = -1, best = 0;
  const base = make(a0, a1, a2);
  for (let v = 1; v < n - 1; v++) {
    const d = Math.abs(dot(base.n, p[v]) - base.d);
    if (v !== a2 && d > best) [best, a3] = [d, v];
  }
  const centroid = [0, 1, 2].map((k) => (p[a0][k] + p[a1][k] + p[a2][k] + p[a3][k]) / 4);
  const outward = (a: number, b: number, c: number) => {
    const f = make(a, b, c);
    return dot(f.n, centroid) - f.d > 0 ? make(a, c, b) : f;
  };
  let faces: Face[] = [
    outward(a0, a1, a2),
    outward(a0, a1, a3),
    outward(a0, a2, a3),
    outward(a1, a2, a3),
  ];
  const eps = 1e-12;
  for (let q = 0; q < n; q++) {
    if (q === a0 || q === a1 || q === a2 || q === a3) continue;
    const visible: Face[] = [], kept: Face[] = [];
    for (const f of faces) (dot(f.n, p[q]) - f.d > eps ? visible : kept).push(f);
    if (visible.length === 0) throw new Error(`Fibonacci point ${q} of ${n} is inside the hull`);
    const edges = new Set<string>();
    for (const f of visible) {
      for (let e = 0; e < 3; e++) edges.add(`${f.v[e]},${f.v[(e + 1) % 3]}`);
    }
    for (const f of visible) {
      for (let e = 0; e < 3; e++) {
        const a = f.v[e], b = f.v[(e + 1) % 3];
        if (!edges.has(`${b},${a}`)) kept.push(make(a, b, q)); // a horizon edge
      }
    }
    faces = kept;
  }
  // a stable order: by smallest vertex, rotated so that it comes first
  const tris = faces.map((f) => {
    const m = f.v.indexOf(Math.min(...f.v));
    return [f.v[m], f.v[(m + 1) % 3], f.v[(m + 2) % 3]];
  }).sort((x, y) => x[0] - y[0] || x[1] - y[1] || x[2] - y[2]);
  const out = Int32Array.from(tris.flat());
  hullCache.set(n, out);
  return out;
}

/** Rotation matrix about a unit axis by `deg` degrees (Rodrigues). */
function rotation(axis: readonly number[], deg: number): number[][] {
  const n = Math.hypot(axis[0], axis[1], axis[2]);
  const [x, y, z] = axis.map((a) => a / n);
  const t = (deg * Math.PI) / 180, c = Math.cos(t), s = Math.sin(t), C = 1 - c;
  return [
    [c + x * x * C, x * y * C - z * s, x * z * C + y * s],
    [y * x * C + z * s, c + y * y * C, y * z * C - x * s],
    [z * x * C - y * s, z * y * C + x * s, c + z * z * C],
  ];
}

/**
 * The subject's `talairach.lta` matrix (scanner RAS of the T1w -> MNI305
 * RAS, row-major 4x4): a mild per-subject scaling, a small tilt and a shift.
 *
 * @example
 * ```ts
 * import { talairachMatrix } from "./recon.ts";
 * talairachMatrix("sub-01")[0]; // [1.01, 0, 0, 1.5]
 * ```
 */
export function talairachMatrix(subject: string): number[][] {
  const s = 1 + (Number(subject.slice(-2)) % 5) * 0.01;
  return [[s, 0, 0, 1.5], [0, s, 0.02, -3.25], [0, -0.02, s, 4], [0, 0, 0, 1]];
}

/** The geometry of a subject's synthetic recon, all in mm. */
export interface ReconGeometry {
  /** Scanner RAS of the centre of the T1w (`mri/T1.mgz`): the footer's `cras`. */
  cras: [number, number, number];
  /** The T1w grid of the recon (the anatomical full grid). */
  t1w: { dims: [number, number, number]; voxelSize: number; affine: number[][] };
  /** Per hemisphere: the ellipsoid centre (scanner RAS) and the radii of white, pial, inflated. */
  hemis: Record<"L" | "R", {
    center: [number, number, number];
    white: [number, number, number];
    pial: [number, number, number];
    inflated: [number, number, number];
    /** `sphere.reg` = this rotation (row-major 3x3) applied to `sphere`. */
    sphereRegRotation: number[][];
  }>;
  /** Vertices per hemisphere. */
  nVertices: { L: number; R: number };
}

/**
 * The recon geometry of a subject: hemisphere ellipsoids inside its brain.
 *
 * @example
 * ```ts
 * import { reconGeometry } from "./recon.ts";
 * const r = reconGeometry("small", 1, "sub-01", { L: 200, R: 180 });
 * ```
 */
export function reconGeometry(
  size: SynthSize,
  seed: number,
  subject: string,
  nVertices: { L: number; R: number },
): ReconGeometry {
  const g: BrainGeometry = brainGeometry(size, seed, subject);
  const G = grids(size);
  const beta = G["1pt8"], full = G.full;
  const v = SIZES[size].voxelSize;
  const c = [0, 1, 2].map((a) => beta.affine[a][3] + v * g.center[a]);
  const R = g.radii.map((r) => r * v);
  const cras = [0, 1, 2].map((r) =>
    full.affine[r][3] + [0, 1, 2].reduce((s, a) => s + full.affine[r][a] * (full.dims[a] / 2), 0)
  ) as [number, number, number];
  const hemi = (sx: number, axis: number[], deg: number) => {
    // in brain-normalised units: centre (sx*0.5, 0, 0), pial radii (0.4, 0.8, 0.8):
    // max ellipsoid distance 0.973 < 1, so the pial surface lies inside the brain
    const pial = [0.4 * R[0], 0.8 * R[1], 0.8 * R[2]] as [number, number, number];
    return {
      center: [c[0] + sx * 0.5 * R[0], c[1], c[2]] as [number, number, number],
      white: pial.map((r) => 0.7 * r) as [number, number, number],
      pial,
      inflated: pial.map((r) => 1.35 * r) as [number, number, number],
      sphereRegRotation: rotation(axis, deg),
    };
  };
  return {
    cras,
    t1w: { dims: [...full.dims], voxelSize: full.voxelSize, affine: full.affine },
    hemis: { L: hemi(-1, [1, 2, 3], 4), R: hemi(1, [-2, 1, 1], 3) },
    nVertices,
  };
}

/**
 * Vertex coordinates of a recon surface, as written in the file: surface
 * RAS (scanner RAS - cras) for white/pial/inflated, centred spheres of
 * radius 100 for sphere/sphere.reg. Float64, x y z interleaved.
 *
 * @example
 * ```ts
 * import { reconGeometry, reconVertices } from "./recon.ts";
 * const r = reconGeometry("small", 1, "sub-01", { L: 200, R: 180 });
 * reconVertices(r, "L", "white").length; // 600
 * ```
 */
export function reconVertices(
  r: ReconGeometry,
  hemi: "L" | "R",
  surface: ReconSurface,
): Float64Array {
  const n = r.nVertices[hemi];
  const h = r.hemis[hemi];
  const out = new Float64Array(3 * n);
  for (let v = 0; v < n; v++) {
    const d = fibonacciDirection(v, n);
    for (let a = 0; a < 3; a++) {
      let x: number;
      if (surface === "sphere") x = 100 * d[a];
      else if (surface === "sphere.reg") {
        const m = h.sphereRegRotation[a];
        x = 100 * (m[0] * d[0] + m[1] * d[1] + m[2] * d[2]);
      } else x = h.center[a] + h[surface][a] * d[a] - r.cras[a];
      out[3 * v + a] = x;
    }
  }
  return out;
}

/** Ground truth of the planted blob and the recon. */
export interface PlantedTruth {
  /** The value inside the blob (0 elsewhere). */
  value: number;
  /** The grid the blob lives on (`res-1pt8`, the beta grid): dims and affine. */
  grid: { dims: number[]; affine: number[][] };
  /** Blob centre, scanner RAS (mm): the left white surface's most lateral vertex. */
  centerRas: number[];
  /** Radius in mm. */
  radiusMm: number;
  /** Brain-axis indices of the blob voxels (increasing). */
  brainIndices: number[];
  /** Their (i, j, k) on the grid. */
  voxels: number[][];
  /** Blob centre in MNI305 RAS (talairach.lta applied). */
  centerMni305: number[];
  /**
   * MNI305 template voxels (i, j, k) whose centre maps back (inverse LTA) to
   * a blob voxel by nearest neighbour: where a nearest-neighbour resampling
   * onto `tpl-MNI305_T1w` puts the blob value. Sorted.
   */
  mni305Voxels: number[][];
  /**
   * Per surface and hemisphere: vertices whose scanner position
   * (vertex + cras) has its nearest grid voxel in the blob. Sorted.
   */
  vertices: { white: { L: number[]; R: number[] }; pial: { L: number[]; R: number[] } };
}

/** Ground truth of the recon (geometry, transform, planted blob). */
export interface ReconTruth {
  cras: number[];
  talairach: number[][];
  nVertices: { L: number; R: number };
  nFaces: { L: number; R: number };
  hemis: ReconGeometry["hemis"];
  planted: PlantedTruth;
}

const inv4 = (m: number[][]): number[][] => {
  // affine inverse: [A b]^-1 = [A^-1, -A^-1 b]
  const [a, b, c] = m;
  const det = a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0]) +
    a[2] * (b[0] * c[1] - b[1] * c[0]);
  const A = [
    [
      (b[1] * c[2] - b[2] * c[1]) / det,
      (a[2] * c[1] - a[1] * c[2]) / det,
      (a[1] * b[2] - a[2] * b[1]) / det,
    ],
    [
      (b[2] * c[0] - b[0] * c[2]) / det,
      (a[0] * c[2] - a[2] * c[0]) / det,
      (a[2] * b[0] - a[0] * b[2]) / det,
    ],
    [
      (b[0] * c[1] - b[1] * c[0]) / det,
      (a[1] * c[0] - a[0] * c[1]) / det,
      (a[0] * b[1] - a[1] * b[0]) / det,
    ],
  ];
  const t = [0, 1, 2].map((r) => -(A[r][0] * m[0][3] + A[r][1] * m[1][3] + A[r][2] * m[2][3]));
  return [[...A[0], t[0]], [...A[1], t[1]], [...A[2], t[2]], [0, 0, 0, 1]];
};
const apply = (m: number[][], p: readonly number[]) =>
  [0, 1, 2].map((r) => m[r][0] * p[0] + m[r][1] * p[1] + m[r][2] * p[2] + m[r][3]);

/**
 * The recon truth of a subject: geometry, transform and the planted blob
 * (its MNI305 voxels and surface vertices computed here, by plain
 * nearest-neighbour rules the tests re-derive with numpy).
 *
 * @example
 * ```ts
 * import { reconTruth } from "./recon.ts";
 * const t = reconTruth("small", 1, "sub-01", { L: 200, R: 180 });
 * t.planted.brainIndices.length;
 * ```
 */
export function reconTruth(
  size: SynthSize,
  seed: number,
  subject: string,
  nVertices: { L: number; R: number },
): ReconTruth {
  const r = reconGeometry(size, seed, subject, nVertices);
  const g = brainGeometry(size, seed, subject);
  const beta = grids(size)["1pt8"];
  const [NX, NY, NZ] = beta.dims;
  const white = reconVertices(r, "L", "white");
  let lateral = 0;
  for (let v = 1; v < nVertices.L; v++) if (white[3 * v] < white[3 * lateral]) lateral = v;
  const centerRas = [0, 1, 2].map((a) => white[3 * lateral + a] + r.cras[a]);
  const radiusMm = 1.6 * beta.voxelSize;
  const toVox = inv4(beta.affine);
  const brainIndices: number[] = [], voxels: number[][] = [];
  const inBlob = new Uint8Array(NX * NY * NZ);
  for (let i = 0; i < NX; i++) {
    for (let j = 0; j < NY; j++) {
      for (let k = 0; k < NZ; k++) {
        const f = (i * NY + j) * NZ + k;
        if (g.rankOfC[f] < 0) continue;
        const p = apply(beta.affine, [i, j, k]);
        if (Math.hypot(p[0] - centerRas[0], p[1] - centerRas[1], p[2] - centerRas[2]) <= radiusMm) {
          inBlob[f] = 1;
          brainIndices.push(g.rankOfC[f]);
          voxels.push([i, j, k]);
        }
      }
    }
  }
  const nearest = (ras: readonly number[]) => {
    const q = apply(toVox, ras).map(Math.round);
    if (q.some((x, a) => x < 0 || x >= beta.dims[a])) return -1;
    return (q[0] * NY + q[1]) * NZ + q[2];
  };
  const lta = talairachMatrix(subject);
  const fromMni = inv4(lta);
  // MNI305 voxels: scan the bounding box of the blob's image
  const mniToVox = inv4(MNI305_AFFINE.map((row) => [...row]));
  const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  for (const [i, j, k] of voxels) {
    for (const d of [-1, 1]) {
      const q = apply(mniToVox, apply(lta, apply(beta.affine, [i + d, j + d, k + d])));
      for (let a = 0; a < 3; a++) {
        lo[a] = Math.min(lo[a], Math.floor(q[a]) - 2);
        hi[a] = Math.max(hi[a], Math.ceil(q[a]) + 2);
      }
    }
  }
  const mni305Voxels: number[][] = [];
  for (let i = Math.max(0, lo[0]); i <= Math.min(MNI305_DIMS[0] - 1, hi[0]); i++) {
    for (let j = Math.max(0, lo[1]); j <= Math.min(MNI305_DIMS[1] - 1, hi[1]); j++) {
      for (let k = Math.max(0, lo[2]); k <= Math.min(MNI305_DIMS[2] - 1, hi[2]); k++) {
        const f = nearest(apply(fromMni, apply(MNI305_AFFINE as number[][], [i, j, k])));
        if (f >= 0 && inBlob[f]) mni305Voxels.push([i, j, k]);
      }
    }
  }
  const hit = (surface: "white" | "pial", hemi: "L" | "R") => {
    const xs = reconVertices(r, hemi, surface);
    const out: number[] = [];
    for (let v = 0; v < nVertices[hemi]; v++) {
      const f = nearest([0, 1, 2].map((a) => xs[3 * v + a] + r.cras[a]));
      if (f >= 0 && inBlob[f]) out.push(v);
    }
    return out;
  };
  return {
    cras: r.cras,
    talairach: lta,
    nVertices,
    nFaces: { L: 2 * nVertices.L - 4, R: 2 * nVertices.R - 4 },
    hemis: r.hemis,
    planted: {
      value: PLANTED_VALUE,
      grid: { dims: [...beta.dims], affine: beta.affine },
      centerRas,
      radiusMm,
      brainIndices,
      voxels,
      centerMni305: apply(lta, centerRas),
      mni305Voxels,
      vertices: {
        white: { L: hit("white", "L"), R: hit("white", "R") },
        pial: { L: hit("pial", "L"), R: hit("pial", "R") },
      },
    },
  };
}

/**
 * Smooth per-vertex shading for pictures: `curv` (the hemisphere's
 * ellipsoid curvature proxy, higher at the poles) and `sulc` (a few
 * sinusoidal folds of the sphere directions), float32.
 *
 * @example
 * ```ts
 * import { reconMorph } from "./recon.ts";
 * reconMorph(200, "sulc").length; // 200
 * ```
 */
export function reconMorph(n: number, what: "curv" | "sulc"): Float32Array {
  const out = new Float32Array(n);
  for (let v = 0; v < n; v++) {
    const [x, y, z] = fibonacciDirection(v, n);
    out[v] = what === "sulc"
      ? Math.sin(3 * Math.atan2(z, x)) * Math.cos(4 * y) * 1.5
      : 0.2 * Math.sin(5 * y + 2 * x) * Math.cos(4 * z);
  }
  return out;
}

/**
 * Volume → surface sampling, following nilearn's `surface.vol_to_surf`
 * (`nilearn/surface/surface.py`; the same algorithm from nilearn 0.10 to 0.14
 * and main at 59fffa2) as upstream's
 * `templates.py` calls it: `vol_to_surf(img, "surf/lh.white",
 * interpolation="linear")`, i.e. every other argument at nilearn's
 * default — `kind="auto"`, which is `"line"` without an inner mesh,
 * `radius=3.0` mm, 10 samples, no mask.
 *
 * Sample locations per vertex (`_sample_locations`):
 * - `"line"`: 10 points on the vertex's outer normal at offsets
 *   `linspace(radius, −radius, nSamples)` mm, or `−radius · depth[s]` when
 *   `depth` is given. The normal is nilearn's: unit face normals summed over
 *   the vertex's faces, scaled to unit length ({@link vertexNormals}).
 * - `"depth"` (the `"auto"` choice when `innerMesh` is given): points from
 *   the vertex (step 0) to the matching inner-mesh vertex (step 1) at steps
 *   `linspace(0, 1, nSamples)`, or at `depth`.
 * - (`"ball"` needs nilearn's precomputed ball point clouds and is not offered.)
 *
 * The mesh must be in the volume's world (scanner RAS) space. FreeSurfer
 * surfaces store tkregister coordinates; nilearn's `load_surf_mesh` adds
 * the `c_ras` of the surface's volume-geometry footer when it reads a
 * `lh.white`/`pial`/`orig`/`inflated`/`sphere` file (nilearn PR 3235), and
 * so does the `cRas` option here.
 *
 * Each location goes to voxel space through the grid's inverse affine. A
 * location is dropped when any voxel coordinate is `< 0` or `≥ n` (or its
 * `floor` voxel is 0 in `mask`). Then, per `interpolation`:
 * - `"linear"` (nilearn's `_interpolation_sampling`): scipy's
 *   `RegularGridInterpolator(method="linear", fill_value=None)` — cell
 *   `min(floor(x), n−2)`, so a point in `(n−1, n)` is extrapolated from the
 *   last cell; a sample is NaN when any of its 8 cell corners is NaN (scipy
 *   multiplies NaN by the zero weight too). The vertex value is the mean of
 *   its non-NaN samples (`np.nanmean`).
 * - `"nearest"` (nilearn ≤ 0.12's `_nearest_voxel_sampling`, removed in 0.13): locations are
 *   rounded half-to-even (`np.round`) before the in-grid test, the vertex
 *   value is the mean of the kept voxels' values (a NaN value makes it NaN).
 *
 * A vertex with no kept sample is NaN, as in nilearn. The per-sample voxel
 * (and trilinear fractions) are computed once by {@link buildSurfaceSampling};
 * {@link SurfaceSampling.apply} then costs a gather per map.
 * @module
 */

import { invertMatrix4 } from "../core/matrix4.ts";
import { checkGrid, checkLength, trilinear, trilinearCell, type VolumeGrid } from "./grid.ts";
import { checkMesh, type Mesh, vertexNormals } from "./mesh.ts";

/** Where samples are placed around each vertex (nilearn's `kind`). */
export type SurfaceSamplingKind = "auto" | "line" | "depth";

/** How the volume is read at a sample (nilearn's `interpolation`; `"nearest"` is nilearn ≤ 0.12's). */
export type SurfaceInterpolation = "linear" | "nearest";

/** Options of {@link buildSurfaceSampling}, with nilearn's defaults. */
export interface SurfaceSamplingOptions {
  /** `"auto"` is `"depth"` when `innerMesh` is given, `"line"` otherwise. @default "auto" */
  kind?: SurfaceSamplingKind;
  /** Half-length in mm of the normal segment (`"line"`). @default 3 */
  radius?: number;
  /** Samples per vertex (ignored when `depth` is given). @default 10 */
  nSamples?: number;
  /** The inner surface (e.g. `white` when the mesh is `pial`), vertex for vertex. */
  innerMesh?: Mesh;
  /**
   * Sample depths: fractions of the way to `innerMesh` (`"depth"`), or of
   * `radius` along the inward normal (`"line"`).
   */
  depth?: readonly number[];
  /**
   * How a sample point is read from the grid: trilinear (nilearn's default, as
   * upstream calls it) or the nearest voxel.
   * @default "linear"
   */
  interpolation?: SurfaceInterpolation;
  /** A mask on the volume's grid (same order); samples in voxels where it is 0 are dropped. */
  mask?: ArrayLike<number>;
  /**
   * FreeSurfer's `c_ras` (from the surface file's volume-geometry footer),
   * added to every vertex of `mesh` and `innerMesh` as nilearn does for
   * FreeSurfer surface files. @default [0, 0, 0]
   */
  cRas?: readonly [number, number, number];
}

/**
 * A precomputed volume → surface sampling (see the module docs). Built by
 * {@link buildSurfaceSampling}.
 */
export class SurfaceSampling {
  /** Number of mesh vertices (length of each output). */
  readonly nVertices: number;
  /** Samples per vertex. */
  readonly nSamples: number;
  /** Number of voxels of an input volume. */
  readonly volumeSize: number;
  /** The interpolation this sampling was built for. */
  readonly interpolation: SurfaceInterpolation;
  readonly #base: Int32Array;
  readonly #frac: Float32Array | null;
  readonly #steps: [number, number, number];
  #csr: { start: Int32Array; col: Int32Array; weight: Float32Array } | null = null;

  /** @internal use {@link buildSurfaceSampling} */
  constructor(
    nVertices: number,
    nSamples: number,
    volumeSize: number,
    interpolation: SurfaceInterpolation,
    base: Int32Array,
    frac: Float32Array | null,
    steps: [number, number, number],
  ) {
    this.nVertices = nVertices;
    this.nSamples = nSamples;
    this.volumeSize = volumeSize;
    this.interpolation = interpolation;
    this.#base = base;
    this.#frac = frac;
    this.#steps = steps;
  }

  /**
   * Samples one volume (flattened in its grid's order) at every vertex.
   *
   * @param volume the volume's values
   * @param out an optional array to write into
   * @returns one value per vertex (NaN where no sample was kept)
   * @throws {RangeError} when `volume` or `out` has the wrong length
   *
   * @example
   * ```ts
   * import { buildSurfaceSampling, geodesicSphere } from "@laion/fmri/space";
   * const mesh = geodesicSphere(4, { radius: 20 });
   * const grid = { shape: [64, 64, 64] as const, affine: [[1, 0, 0, -32], [0, 1, 0, -32], [0, 0, 1, -32], [0, 0, 0, 1]] };
   * const sampling = buildSurfaceSampling(mesh, grid);
   * console.log(sampling.apply(new Float32Array(64 ** 3).fill(2))[0]); // 2
   * ```
   */
  apply(volume: ArrayLike<number>, out?: Float64Array): Float64Array {
    checkLength(volume, this.volumeSize, "volume (grid voxels)");
    const res = out ?? new Float64Array(this.nVertices);
    checkLength(res, this.nVertices, "out (mesh vertices)");
    // The samples of each vertex are merged into one weight per distinct voxel (built on the
    // first call), so every map, first or later, takes the same arithmetic and a result never
    // depends on how often the sampling was used before; a vertex that meets a NaN there
    // (NaN x weight) is recomputed sample by sample, so NaN samples are still skipped as
    // np.nanmean does.
    const { start, col, weight } = this.#csr ??= this.#merge();
    for (let v = 0; v < this.nVertices; v++) {
      const a = start[v], b = start[v + 1];
      if (a === b) {
        res[v] = NaN;
        continue;
      }
      let sum = 0;
      for (let e = a; e < b; e++) sum += weight[e] * volume[col[e]];
      res[v] = sum === sum ? sum : this.#vertex(volume, v);
    }
    return res;
  }

  /** One vertex, sample by sample (nilearn's order of operations). */
  #vertex(volume: ArrayLike<number>, v: number): number {
    const base = this.#base, frac = this.#frac, ns = this.nSamples;
    const [sx, sy, sz] = this.#steps;
    let sum = 0, count = 0;
    for (let s = v * ns, end = s + ns; s < end; s++) {
      const b = base[s];
      if (b < 0) continue;
      if (frac === null) {
        sum += volume[b];
        count++;
        continue;
      }
      const value = trilinear(
        volume,
        b,
        frac[3 * s],
        frac[3 * s + 1],
        frac[3 * s + 2],
        sx,
        sy,
        sz,
        false,
      );
      if (value !== value) continue; // np.nanmean skips NaN samples
      sum += value;
      count++;
    }
    return count > 0 ? sum / count : NaN;
  }

  /** Per vertex, each distinct voxel its samples read with its summed weight / kept samples. */
  #merge(): { start: Int32Array; col: Int32Array; weight: Float32Array } {
    const base = this.#base, frac = this.#frac, ns = this.nSamples;
    const [sx, sy, sz] = this.#steps;
    const corners = frac === null ? 1 : 8;
    const start = new Int32Array(this.nVertices + 1);
    let col = new Int32Array(this.nVertices * 16);
    let weight = new Float32Array(col.length);
    const ids = new Int32Array(ns * corners), ws = new Float64Array(ns * corners);
    const offs = [0, sz, sy, sy + sz, sx, sx + sz, sx + sy, sx + sy + sz];
    let n = 0;
    for (let v = 0; v < this.nVertices; v++) {
      let kept = 0, m = 0;
      for (let s = v * ns, end = s + ns; s < end; s++) {
        const b = base[s];
        if (b < 0) continue;
        kept++;
        for (let c = 0; c < corners; c++) {
          let w = 1;
          if (frac !== null) {
            w = (c & 4 ? frac[3 * s] : 1 - frac[3 * s]) *
              (c & 2 ? frac[3 * s + 1] : 1 - frac[3 * s + 1]) *
              (c & 1 ? frac[3 * s + 2] : 1 - frac[3 * s + 2]);
          }
          const id = b + offs[c];
          let q = 0;
          while (q < m && ids[q] !== id) q++;
          if (q === m) {
            ids[m] = id;
            ws[m++] = w;
          } else ws[q] += w;
        }
      }
      if (n + m > col.length) {
        const grow = Math.max(col.length * 2, n + m);
        const c2 = new Int32Array(grow), w2 = new Float32Array(grow);
        c2.set(col), w2.set(weight);
        col = c2, weight = w2;
      }
      for (let q = 0; q < m; q++) {
        col[n] = ids[q];
        weight[n++] = ws[q] / kept;
      }
      start[v + 1] = n;
    }
    return { start, col: col.slice(0, n), weight: weight.slice(0, n) };
  }
}

function linspace(start: number, stop: number, n: number): number[] {
  if (n === 1) return [start];
  const step = (stop - start) / (n - 1);
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? stop : start + i * step));
}

/** Python's / NumPy's round half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Precomputes nilearn's `vol_to_surf` sampling of volumes on `grid` at the
 * vertices of `mesh` (see the module docs for the algorithm and defaults).
 * Build it once per (surface, grid) and apply it to many maps.
 *
 * @param mesh the surface (world mm coordinates, same space as the grid's affine)
 * @param grid the volumes' grid
 * @param options nilearn's `kind`, `radius`, `n_samples`, `inner_mesh`, `depth`, `interpolation`, `mask_img`
 * @throws {RangeError} on a bad mesh, grid, option, or an inner mesh with another vertex count
 *
 * @example
 * ```ts
 * import { buildSurfaceSampling, geodesicSphere } from "@laion/fmri/space";
 * const white = geodesicSphere(8, { radius: 20 });
 * const grid = { shape: [32, 32, 32] as const, affine: [[2, 0, 0, -32], [0, 2, 0, -32], [0, 0, 2, -32], [0, 0, 0, 1]] };
 * const sampling = buildSurfaceSampling(white, grid, { interpolation: "linear" });
 * console.log(sampling.nVertices, sampling.nSamples); // 642 10
 * ```
 */
export function buildSurfaceSampling(
  mesh: Mesh,
  grid: VolumeGrid,
  options: SurfaceSamplingOptions = {},
): SurfaceSampling {
  const nVertices = checkMesh(mesh, "mesh");
  const g = checkGrid(grid, "grid");
  const interpolation = options.interpolation ?? "linear";
  if (interpolation !== "linear" && interpolation !== "nearest") {
    throw new RangeError(
      `Unknown interpolation ${JSON.stringify(interpolation)}. Valid: "linear", "nearest"`,
    );
  }
  const kindIn = options.kind ?? "auto";
  if (!["auto", "line", "depth"].includes(kindIn)) {
    throw new RangeError(
      `Unknown kind ${JSON.stringify(kindIn)}. Valid: "auto", "line", "depth" ` +
        `("ball" is not offered)`,
    );
  }
  const inner = options.innerMesh;
  if (kindIn === "depth" && inner === undefined) {
    throw new RangeError(`kind "depth" needs options.innerMesh (e.g. the white surface)`);
  }
  const kind = kindIn === "auto" ? (inner === undefined ? "line" : "depth") : kindIn;
  if (inner !== undefined && kind === "depth") {
    const ni = checkMesh(inner, "innerMesh");
    if (ni !== nVertices) {
      throw new RangeError(
        `innerMesh has ${ni} vertices but mesh has ${nVertices}; they must match vertex for vertex`,
      );
    }
  }
  const radius = options.radius ?? 3;
  if (!(Number.isFinite(radius) && radius >= 0)) {
    throw new RangeError(`radius must be a non-negative number of mm; got ${radius}`);
  }
  const depth = options.depth;
  if (depth !== undefined && (depth.length === 0 || depth.some((d) => !Number.isFinite(d)))) {
    throw new RangeError(`depth must be a non-empty list of finite numbers; got ${depth}`);
  }
  const nSamplesIn = options.nSamples ?? 10;
  if (depth === undefined && !(Number.isInteger(nSamplesIn) && nSamplesIn >= 1)) {
    throw new RangeError(`nSamples must be a positive integer; got ${nSamplesIn}`);
  }
  const [nx, ny, nz] = g.shape;
  if (interpolation === "linear" && (nx < 2 || ny < 2 || nz < 2)) {
    throw new RangeError(
      `linear interpolation needs at least 2 voxels on each axis; grid.shape is [${g.shape}]`,
    );
  }
  if (options.mask !== undefined) checkLength(options.mask, g.size, "mask (grid voxels)");
  const cRas = options.cRas ?? [0, 0, 0];
  if (cRas.length !== 3 || cRas.some((x) => !Number.isFinite(x))) {
    throw new RangeError(
      `cRas must be three finite numbers [x, y, z]; got ${JSON.stringify(cRas)}`,
    );
  }
  const [ox, oy, oz] = cRas;

  // per sample: a world offset along the normal ("line") or a step to the inner mesh ("depth")
  const params = depth !== undefined
    ? (kind === "line" ? depth.map((d) => -radius * d) : [...depth])
    : (kind === "line" ? linspace(radius, -radius, nSamplesIn) : linspace(0, 1, nSamplesIn));
  const ns = params.length;
  const normals = kind === "line" ? vertexNormals(mesh) : null;
  const c = mesh.vertices, ic = inner?.vertices;
  const m = invertMatrix4(g.affine, "grid.affine");
  const [sx, sy, sz] = g.strides;
  const mask = options.mask;
  const linear = interpolation === "linear";
  const base = new Int32Array(nVertices * ns);
  const frac = linear ? new Float32Array(3 * nVertices * ns) : null;
  for (let v = 0; v < nVertices; v++) {
    const px = c[3 * v] + ox, py = c[3 * v + 1] + oy, pz = c[3 * v + 2] + oz;
    for (let s = 0; s < ns; s++) {
      const idx = v * ns + s;
      let wx: number, wy: number, wz: number;
      if (normals !== null) {
        wx = px + normals[3 * v] * params[s];
        wy = py + normals[3 * v + 1] * params[s];
        wz = pz + normals[3 * v + 2] * params[s];
      } else {
        wx = px + params[s] * (ic![3 * v] + ox - px);
        wy = py + params[s] * (ic![3 * v + 1] + oy - py);
        wz = pz + params[s] * (ic![3 * v + 2] + oz - pz);
      }
      let x = m[0][0] * wx + m[0][1] * wy + m[0][2] * wz + m[0][3];
      let y = m[1][0] * wx + m[1][1] * wy + m[1][2] * wz + m[1][3];
      let z = m[2][0] * wx + m[2][1] * wy + m[2][2] * wz + m[2][3];
      if (!linear) {
        x = roundHalfEven(x);
        y = roundHalfEven(y);
        z = roundHalfEven(z);
      }
      if (!(x >= 0 && x < nx && y >= 0 && y < ny && z >= 0 && z < nz)) {
        base[idx] = -1;
        continue;
      }
      if (mask !== undefined) {
        const mv = mask[Math.floor(x) * sx + Math.floor(y) * sy + Math.floor(z) * sz];
        if (mv === 0) {
          base[idx] = -1;
          continue;
        }
      }
      if (!linear) {
        base[idx] = x * sx + y * sy + z * sz;
        continue;
      }
      base[idx] = trilinearCell(x, y, z, g.shape, g.strides, frac!, idx);
    }
  }
  return new SurfaceSampling(nVertices, ns, g.size, interpolation, base, frac, [sx, sy, sz]);
}

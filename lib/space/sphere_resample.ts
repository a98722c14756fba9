/**
 * Sphere → sphere barycentric resampling, following nitransforms'
 * `nitransforms.surface.SurfaceResampler(reference, moving)` (the same
 * algorithm from nitransforms 24.0 to 25.1 and main at ac0b11c,
 * `interpolation_method="barycentric"`) and its `apply(x)` with the
 * default `normalize="element"`, as upstream's `templates.py` uses it:
 * `reference` = TemplateFlow's fsaverage sphere, `moving` = the subject's
 * `surf/{lh,rh}.sphere.reg` (its coordinates as read, without `c_ras`:
 * upstream re-encodes it as GIfTI from `nibabel.freesurfer.read_geometry`).
 *
 * 1. Both meshes must be spheres: smallest vertex radius × 1.001 > largest
 *    (`SurfaceMesh.check_sphere`); every vertex is then pushed out to
 *    radius 100 (`set_radius`).
 * 2. For each reference vertex `p`: its 10 nearest moving vertices (k-d tree
 *    query in nitransforms; an exact k-nearest search on a uniform grid
 *    here), every moving triangle touching one of them, and among those the
 *    triangle closest to `p` in 3-D (point-to-triangle distance; on a tie
 *    the lowest triangle index, as `np.unique` orders them).
 * 3. Its barycentric weights are those of the ray from the sphere's centre
 *    through `p` (nitransforms' `_barycentric_weights`, from neuroboros):
 *    with `a` the first corner, `e1`, `e2` the edges from it,
 *    `u = p·(e2×a) / p·(e1×e2)`, `v = p·(a×e1) / p·(e1×e2)`,
 *    `w = 1 − (u + v)` for corners `a`, `b`, `c`. They are not clamped (a
 *    point just outside its closest triangle gets a small negative weight).
 * 4. Weights of exactly 0 are not stored (as a scipy `lil_array`
 *    assignment); on `apply` each reference vertex's weights are divided by
 *    their sum (`normalize="element"`), so the output is
 *    `Σ wᵢ xᵢ / Σ wᵢ` over the (up to 3) moving vertices — a NaN input
 *    value with a non-zero weight makes the output NaN.
 *
 * The search uses a uniform grid over the moving vertices (cell ≈ 2.5× the
 * mean vertex spacing), so building is about linear in the vertex counts;
 * the result is a sparse matrix (3 entries per reference vertex) applied to
 * any number of maps.
 * @module
 */

import { checkLength } from "./grid.ts";
import { checkMesh, type Mesh } from "./mesh.ts";

const RADIUS = 100;
const K = 10;

/**
 * A precomputed sphere → sphere resampling (see the module docs). Built by
 * {@link buildSphereResampling}.
 */
export class SphereResampling {
  /** Number of moving (subject) vertices: the length of an input map. */
  readonly nMoving: number;
  /** Number of reference (template) vertices: the length of an output map. */
  readonly nReference: number;
  /** Reference vertices whose weights include a negative one (not inside their triangle). */
  readonly outsideCount: number;
  /** Per reference vertex `r`, the moving vertices `indices[3r..3r+2]`. */
  readonly indices: Int32Array;
  /** Per reference vertex `r`, the normalized weights `weights[3r..3r+2]` (0 = not stored). */
  readonly weights: Float64Array;

  /** @internal use {@link buildSphereResampling} */
  constructor(nMoving: number, indices: Int32Array, weights: Float64Array, outside: number) {
    this.nMoving = nMoving;
    this.nReference = indices.length / 3;
    this.indices = indices;
    this.weights = weights;
    this.outsideCount = outside;
  }

  /**
   * Resamples one map over the moving (subject) vertices onto the reference
   * (template) vertices.
   *
   * @param values one value per moving vertex
   * @param out an optional array to write into
   * @throws {RangeError} when `values` or `out` has the wrong length
   *
   * @example
   * ```ts
   * import { buildSphereResampling, geodesicSphere } from "@laion/fmri/space";
   * const subject = geodesicSphere(20), fsaverage5 = geodesicSphere(32);
   * const r = buildSphereResampling(subject, fsaverage5);
   * console.log(r.apply(new Float32Array(r.nMoving).fill(1))[0]); // 1
   * ```
   */
  apply(values: ArrayLike<number>, out?: Float64Array): Float64Array {
    checkLength(values, this.nMoving, "values (moving sphere vertices)");
    const res = out ?? new Float64Array(this.nReference);
    checkLength(res, this.nReference, "out (reference sphere vertices)");
    const idx = this.indices, w = this.weights;
    for (let r = 0, e = 0; r < this.nReference; r++, e += 3) {
      let s = 0;
      if (w[e] !== 0) s += w[e] * values[idx[e]];
      if (w[e + 1] !== 0) s += w[e + 1] * values[idx[e + 1]];
      if (w[e + 2] !== 0) s += w[e + 2] * values[idx[e + 2]];
      res[r] = s;
    }
    return res;
  }
}

/** Vertex coordinates pushed to radius 100, after nitransforms' sphere check. */
function toUnitSphere(mesh: Mesh, name: string): Float64Array {
  const n = checkMesh(mesh, name);
  const c = mesh.vertices;
  const out = new Float64Array(3 * n);
  let min = Infinity, max = 0;
  for (let v = 0; v < n; v++) {
    const d = Math.hypot(c[3 * v], c[3 * v + 1], c[3 * v + 2]);
    if (d < min) min = d;
    if (d > max) max = d;
    const s = RADIUS / d;
    out[3 * v] = c[3 * v] * s;
    out[3 * v + 1] = c[3 * v + 1] * s;
    out[3 * v + 2] = c[3 * v + 2] * s;
  }
  if (!(min * 1.001 > max)) {
    throw new RangeError(
      `${name} is not a sphere centred at the origin: vertex radii run from ${min} to ${max} ` +
        `(they must agree within 0.1%). Pass a sphere (e.g. surf/lh.sphere.reg, ` +
        `tpl-fsaverage_hemi-L_den-10k_sphere.surf.gii), not white/pial/inflated`,
    );
  }
  return out;
}

/** Squared distance from p to the closest point of triangle (a, b, c) (Ericson, RTCD 5.1.5). */
function pointTriangleDist2(
  px: number,
  py: number,
  pz: number,
  t: Float64Array,
  a: number,
  b: number,
  c: number,
): number {
  const ax = t[a], ay = t[a + 1], az = t[a + 2];
  const abx = t[b] - ax, aby = t[b + 1] - ay, abz = t[b + 2] - az;
  const acx = t[c] - ax, acy = t[c + 1] - ay, acz = t[c + 2] - az;
  const apx = px - ax, apy = py - ay, apz = pz - az;
  const d1 = abx * apx + aby * apy + abz * apz;
  const d2 = acx * apx + acy * apy + acz * apz;
  let qx: number, qy: number, qz: number;
  const bpx = px - t[b], bpy = py - t[b + 1], bpz = pz - t[b + 2];
  const d3 = abx * bpx + aby * bpy + abz * bpz;
  const d4 = acx * bpx + acy * bpy + acz * bpz;
  const cpx = px - t[c], cpy = py - t[c + 1], cpz = pz - t[c + 2];
  const d5 = abx * cpx + aby * cpy + abz * cpz;
  const d6 = acx * cpx + acy * cpy + acz * cpz;
  const vc = d1 * d4 - d3 * d2;
  const vb = d5 * d2 - d1 * d6;
  const va = d3 * d6 - d5 * d4;
  if (d1 <= 0 && d2 <= 0) {
    qx = ax, qy = ay, qz = az;
  } else if (d3 >= 0 && d4 <= d3) {
    qx = t[b], qy = t[b + 1], qz = t[b + 2];
  } else if (vc <= 0 && d1 >= 0 && d3 <= 0) {
    const s = d1 / (d1 - d3);
    qx = ax + s * abx, qy = ay + s * aby, qz = az + s * abz;
  } else if (d6 >= 0 && d5 <= d6) {
    qx = t[c], qy = t[c + 1], qz = t[c + 2];
  } else if (vb <= 0 && d2 >= 0 && d6 <= 0) {
    const s = d2 / (d2 - d6);
    qx = ax + s * acx, qy = ay + s * acy, qz = az + s * acz;
  } else if (va <= 0 && d4 - d3 >= 0 && d5 - d6 >= 0) {
    const s = (d4 - d3) / ((d4 - d3) + (d5 - d6));
    qx = t[b] + s * (t[c] - t[b]), qy = t[b + 1] + s * (t[c + 1] - t[b + 1]);
    qz = t[b + 2] + s * (t[c + 2] - t[b + 2]);
  } else {
    const denom = 1 / (va + vb + vc);
    const v = vb * denom, w = vc * denom;
    qx = ax + abx * v + acx * w, qy = ay + aby * v + acy * w, qz = az + abz * v + acz * w;
  }
  const dx = px - qx, dy = py - qy, dz = pz - qz;
  return dx * dx + dy * dy + dz * dz;
}

/** A uniform grid over points for exact k-nearest-neighbour queries. */
class PointGrid {
  readonly h: number;
  readonly g: number;
  readonly start: Int32Array;
  readonly items: Int32Array;
  readonly pts: Float64Array;

  constructor(pts: Float64Array) {
    const n = pts.length / 3;
    this.pts = pts;
    // mean spacing on a sphere of radius 100 is about sqrt(4πR²/n)
    const spacing = Math.sqrt((4 * Math.PI * RADIUS * RADIUS) / n);
    this.g = Math.max(1, Math.min(256, Math.ceil((2 * RADIUS) / (2.5 * spacing))));
    this.h = (2 * RADIUS * 1.000001) / this.g;
    const g = this.g;
    const counts = new Int32Array(g * g * g + 1);
    const cellOf = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const c = this.cell(pts[3 * i], pts[3 * i + 1], pts[3 * i + 2]);
      cellOf[i] = c;
      counts[c + 1]++;
    }
    for (let c = 0; c < g * g * g; c++) counts[c + 1] += counts[c];
    this.start = counts;
    const fill = counts.slice(0, g * g * g);
    this.items = new Int32Array(n);
    for (let i = 0; i < n; i++) this.items[fill[cellOf[i]]++] = i;
  }

  axis(x: number): number {
    return Math.min(this.g - 1, Math.max(0, Math.floor((x + RADIUS * 1.0000005) / this.h)));
  }

  cell(x: number, y: number, z: number): number {
    return (this.axis(x) * this.g + this.axis(y)) * this.g + this.axis(z);
  }

  /** The k nearest points to p, nearest first, into `outIdx` (returns how many). */
  knn(px: number, py: number, pz: number, k: number, outIdx: Int32Array, outD: Float64Array) {
    const { g, h, start, items, pts } = this;
    const cx = this.axis(px), cy = this.axis(py), cz = this.axis(pz);
    let found = 0;
    for (let r = 0;; r++) {
      for (let i = cx - r; i <= cx + r; i++) {
        if (i < 0 || i >= g) continue;
        for (let j = cy - r; j <= cy + r; j++) {
          if (j < 0 || j >= g) continue;
          for (let l = cz - r; l <= cz + r; l++) {
            if (l < 0 || l >= g) continue;
            // only the shell of the (2r+1)^3 block is new
            if (
              r > 0 && i !== cx - r && i !== cx + r && j !== cy - r && j !== cy + r &&
              l !== cz - r && l !== cz + r
            ) continue;
            const c = (i * g + j) * g + l;
            for (let q = start[c]; q < start[c + 1]; q++) {
              const v = items[q];
              const dx = pts[3 * v] - px, dy = pts[3 * v + 1] - py, dz = pts[3 * v + 2] - pz;
              const d = dx * dx + dy * dy + dz * dz;
              if (found === k && d >= outD[k - 1]) continue;
              let pos = found < k ? found++ : k - 1;
              while (
                pos > 0 && (outD[pos - 1] > d || (outD[pos - 1] === d && outIdx[pos - 1] > v))
              ) {
                outD[pos] = outD[pos - 1];
                outIdx[pos] = outIdx[pos - 1];
                pos--;
              }
              outD[pos] = d;
              outIdx[pos] = v;
            }
          }
        }
      }
      const covered = cx - r <= 0 && cy - r <= 0 && cz - r <= 0 &&
        cx + r >= g - 1 && cy + r >= g - 1 && cz + r >= g - 1;
      if (covered) return found;
      if (found === k) {
        // distance from p to the outside of the searched block
        const lo = (c: number) => (c - r) * h - RADIUS * 1.0000005;
        const hi = (c: number) => (c + r + 1) * h - RADIUS * 1.0000005;
        const m = Math.min(
          px - lo(cx),
          hi(cx) - px,
          py - lo(cy),
          hi(cy) - py,
          pz - lo(cz),
          hi(cz) - pz,
        );
        if (m > 0 && m * m >= outD[k - 1]) return found;
      }
    }
  }
}

/**
 * Precomputes nitransforms' barycentric `SurfaceResampler` from the
 * `moving` sphere (the subject's `sphere.reg`) to the `reference` sphere
 * (e.g. fsaverage5's), see the module docs.
 *
 * @param moving the sphere the input maps live on (subject `sphere.reg`)
 * @param reference the sphere the output maps live on (template sphere)
 * @throws {RangeError} when a mesh is malformed or not a sphere about the origin
 *
 * @example
 * ```ts
 * import { buildSphereResampling, geodesicSphere } from "@laion/fmri/space";
 * const r = buildSphereResampling(geodesicSphere(40), geodesicSphere(32));
 * console.log(r.nMoving, r.nReference); // 16002 10242
 * ```
 */
export function buildSphereResampling(moving: Mesh, reference: Mesh): SphereResampling {
  const mv = toUnitSphere(moving, "moving");
  const rf = toUnitSphere(reference, "reference");
  const nMoving = mv.length / 3, nRef = rf.length / 3;
  const faces = moving.faces;
  const nFaces = faces.length / 3;
  if (nFaces === 0) throw new RangeError("moving has no faces; a sphere mesh needs its triangles");
  // vertex -> incident triangles (ascending), CSR
  const triStart = new Int32Array(nMoving + 1);
  for (let i = 0; i < faces.length; i++) triStart[faces[i] + 1]++;
  for (let v = 0; v < nMoving; v++) triStart[v + 1] += triStart[v];
  const triItems = new Int32Array(faces.length);
  const fill = triStart.slice(0, nMoving);
  for (let f = 0; f < nFaces; f++) {
    for (let q = 0; q < 3; q++) triItems[fill[faces[3 * f + q]]++] = f;
  }
  const grid = new PointGrid(mv);
  const nnIdx = new Int32Array(K), nnD = new Float64Array(K);
  // the last reference vertex each triangle was tested for (dedupes the candidates)
  const seen = new Int32Array(nFaces).fill(-1);
  const indices = new Int32Array(3 * nRef);
  const weights = new Float64Array(3 * nRef);
  let outside = 0;
  for (let r = 0; r < nRef; r++) {
    const px = rf[3 * r], py = rf[3 * r + 1], pz = rf[3 * r + 2];
    const found = grid.knn(px, py, pz, K, nnIdx, nnD);
    // the triangles around the k nearest vertices; the closest one wins, the lowest index on a tie
    let best = -1, bestD = Infinity;
    for (let q = 0; q < found; q++) {
      const v = nnIdx[q];
      for (let e = triStart[v]; e < triStart[v + 1]; e++) {
        const f = triItems[e];
        if (seen[f] === r) continue;
        seen[f] = r;
        const d = pointTriangleDist2(
          px,
          py,
          pz,
          mv,
          3 * faces[3 * f],
          3 * faces[3 * f + 1],
          3 * faces[3 * f + 2],
        );
        if (d < bestD || (d === bestD && f < best)) {
          bestD = d;
          best = f;
        }
      }
    }
    const ia = faces[3 * best], ib = faces[3 * best + 1], ic = faces[3 * best + 2];
    const ax = mv[3 * ia], ay = mv[3 * ia + 1], az = mv[3 * ia + 2];
    const e1x = mv[3 * ib] - ax, e1y = mv[3 * ib + 1] - ay, e1z = mv[3 * ib + 2] - az;
    const e2x = mv[3 * ic] - ax, e2y = mv[3 * ic + 1] - ay, e2z = mv[3 * ic + 2] - az;
    const nx = e1y * e2z - e1z * e2y, ny = e1z * e2x - e1x * e2z, nz = e1x * e2y - e1y * e2x;
    const det = px * nx + py * ny + pz * nz;
    let u: number, v: number;
    if (det !== 0) {
      // e2 × a and a × e1
      const qx = e2y * az - e2z * ay, qy = e2z * ax - e2x * az, qz = e2x * ay - e2y * ax;
      const sx = ay * e1z - az * e1y, sy = az * e1x - ax * e1z, sz = ax * e1y - ay * e1x;
      u = (px * qx + py * qy + pz * qz) / det;
      v = (px * sx + py * sy + pz * sz) / det;
    } else {
      // the ray is parallel to the triangle's plane: least-squares p − a ≈ u e1 + v e2
      const yx = px - ax, yy = py - ay, yz = pz - az;
      const a11 = e1x * e1x + e1y * e1y + e1z * e1z, a12 = e1x * e2x + e1y * e2y + e1z * e2z;
      const a22 = e2x * e2x + e2y * e2y + e2z * e2z;
      const b1 = e1x * yx + e1y * yy + e1z * yz, b2 = e2x * yx + e2y * yy + e2z * yz;
      const dd = a11 * a22 - a12 * a12;
      u = dd !== 0 ? (a22 * b1 - a12 * b2) / dd : 0;
      v = dd !== 0 ? (a11 * b2 - a12 * b1) / dd : 0;
    }
    const w = 1 - (u + v);
    if (w < 0 || u < 0 || v < 0) outside++;
    const sum = w + u + v;
    const scale = sum !== 0 ? 1 / sum : 0;
    indices[3 * r] = ia;
    indices[3 * r + 1] = ib;
    indices[3 * r + 2] = ic;
    weights[3 * r] = w * scale;
    weights[3 * r + 1] = u * scale;
    weights[3 * r + 2] = v * scale;
  }
  return new SphereResampling(nMoving, indices, weights, outside);
}

/**
 * Triangle meshes as flat typed arrays (what the FreeSurfer and GIfTI
 * readers hand up), and nilearn's vertex normals.
 * @module
 */
import type { SurfaceMesh } from "../formats/freesurfer_surface.ts";

/**
 * A triangle mesh: the `vertices` (flat `x0, y0, z0, x1, …`, length
 * `3 · nVertices`, in mm) and `faces` (vertex indices, flat `a0, b0, c0, a1, …`,
 * length `3 · nFaces`) of the surface readers' {@linkcode SurfaceMesh}, as
 * any array of numbers, so a surface read from a file is one as it is.
 */
export type Mesh = { [K in keyof Pick<SurfaceMesh, "vertices" | "faces">]: ArrayLike<number> };

/**
 * Checks a mesh and returns its vertex count.
 * @throws {RangeError} on ragged arrays or a face index out of range
 * @internal
 */
export function checkMesh(mesh: Mesh, name: string): number {
  const c = mesh?.vertices, f = mesh?.faces;
  if (!c || c.length % 3 !== 0 || c.length === 0) {
    throw new RangeError(
      `${name}.vertices must be a flat array of 3·nVertices numbers; got length ${c?.length}`,
    );
  }
  if (!f || f.length % 3 !== 0) {
    throw new RangeError(
      `${name}.faces must be a flat array of 3·nFaces vertex indices; got length ${f?.length}`,
    );
  }
  const n = c.length / 3;
  for (let i = 0; i < f.length; i++) {
    const v = f[i];
    if (!(Number.isInteger(v) && v >= 0 && v < n)) {
      throw new RangeError(
        `${name}.faces[${i}] = ${v} is not a vertex index in [0, ${n - 1}]`,
      );
    }
  }
  return n;
}

/**
 * Outer vertex normals as nilearn computes them (`_vertex_outer_normals`):
 * each face's normal `(v1 − v0) × (v2 − v0)` scaled to unit length, summed
 * over the faces around a vertex, the sum scaled to unit length (a zero
 * vector stays zero). They point outwards when the faces are wound
 * counter-clockwise seen from outside, as FreeSurfer's are.
 *
 * @returns flat `nx0, ny0, nz0, …` in float64
 *
 * @example
 * ```ts
 * import { vertexNormals } from "@laion/fmri/space";
 * const mesh = { vertices: [0, 0, 0, 1, 0, 0, 0, 1, 0], faces: [0, 1, 2] };
 * console.log(vertexNormals(mesh).slice(0, 3)); // [0, 0, 1]
 * ```
 */
export function vertexNormals(mesh: Mesh): Float64Array {
  const n = checkMesh(mesh, "mesh");
  const c = mesh.vertices, f = mesh.faces;
  const out = new Float64Array(3 * n);
  for (let t = 0; t < f.length; t += 3) {
    const a = 3 * f[t], b = 3 * f[t + 1], d = 3 * f[t + 2];
    const e1x = c[b] - c[a], e1y = c[b + 1] - c[a + 1], e1z = c[b + 2] - c[a + 2];
    const e2x = c[d] - c[a], e2y = c[d + 1] - c[a + 1], e2z = c[d + 2] - c[a + 2];
    let nx = e1y * e2z - e1z * e2y, ny = e1z * e2x - e1x * e2z, nz = e1x * e2y - e1y * e2x;
    const len = Math.sqrt(nx * nx + ny * ny + nz * nz);
    if (len > 0) {
      nx /= len;
      ny /= len;
      nz /= len;
    }
    out[a] += nx, out[a + 1] += ny, out[a + 2] += nz;
    out[b] += nx, out[b + 1] += ny, out[b + 2] += nz;
    out[d] += nx, out[d + 1] += ny, out[d + 2] += nz;
  }
  for (let v = 0; v < out.length; v += 3) {
    const len = Math.sqrt(out[v] * out[v] + out[v + 1] * out[v + 1] + out[v + 2] * out[v + 2]);
    if (len > 0) {
      out[v] /= len;
      out[v + 1] /= len;
      out[v + 2] /= len;
    }
  }
  return out;
}

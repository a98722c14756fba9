/**
 * An icosphere: the regular icosahedron subdivided `level` times and pushed
 * onto the sphere, as FreeSurfer's `ic7` (163,842 vertices at level 7,
 * 10 * 4^level + 2 in general) — a synthetic cortex for the surface tests
 * and the bench.
 */
import type { SurfaceMesh } from "../lib/formats/freesurfer_surface.ts";

export function icosphere(level: number, radius = 1): SurfaceMesh {
  const t = (1 + Math.sqrt(5)) / 2;
  const verts: number[] = [
    [-1, t, 0],
    [1, t, 0],
    [-1, -t, 0],
    [1, -t, 0],
    [0, -1, t],
    [0, 1, t],
    [0, -1, -t],
    [0, 1, -t],
    [t, 0, -1],
    [t, 0, 1],
    [-t, 0, -1],
    [-t, 0, 1],
  ].flatMap(([x, y, z]) => {
    const n = Math.hypot(x, y, z);
    return [x / n, y / n, z / n];
  });
  let faces: number[] = [
    0,
    11,
    5,
    0,
    5,
    1,
    0,
    1,
    7,
    0,
    7,
    10,
    0,
    10,
    11,
    1,
    5,
    9,
    5,
    11,
    4,
    11,
    10,
    2,
    10,
    7,
    6,
    7,
    1,
    8,
    3,
    9,
    4,
    3,
    4,
    2,
    3,
    2,
    6,
    3,
    6,
    8,
    3,
    8,
    9,
    4,
    9,
    5,
    2,
    4,
    11,
    6,
    2,
    10,
    8,
    6,
    7,
    9,
    8,
    1,
  ];
  for (let l = 0; l < level; l++) {
    const mid = new Map<number, number>();
    const nBefore = verts.length / 3;
    const midpoint = (a: number, b: number) => {
      const key = a < b ? a * nBefore + b : b * nBefore + a;
      let m = mid.get(key);
      if (m === undefined) {
        const x = verts[3 * a] + verts[3 * b], y = verts[3 * a + 1] + verts[3 * b + 1];
        const z = verts[3 * a + 2] + verts[3 * b + 2], n = Math.hypot(x, y, z);
        m = verts.length / 3;
        verts.push(x / n, y / n, z / n);
        mid.set(key, m);
      }
      return m;
    };
    const next: number[] = [];
    for (let f = 0; f < faces.length; f += 3) {
      const a = faces[f], b = faces[f + 1], c = faces[f + 2];
      const ab = midpoint(a, b), bc = midpoint(b, c), ca = midpoint(c, a);
      next.push(a, ab, ca, b, bc, ab, c, ca, bc, ab, bc, ca);
    }
    faces = next;
  }
  const vertices = Float32Array.from(verts, (v) => v * radius);
  return {
    vertices,
    faces: Uint32Array.from(faces),
    nVertices: vertices.length / 3,
    nFaces: faces.length / 3,
  };
}

/**
 * A hemisphere-like mesh: the icosphere stretched to 70 x 170 x 110 mm
 * (x, y, z) around x = ±35, with folds (radial dents along a pattern) and
 * the matching "sulc" (positive in the dents, as FreeSurfer's).
 */
export function foldedHemisphere(
  level: number,
  hemi: "left" | "right",
): { mesh: SurfaceMesh; sulc: Float32Array } {
  const mesh = icosphere(level);
  const p = mesh.vertices;
  const sulc = new Float32Array(mesh.nVertices);
  const side = hemi === "left" ? -1 : 1;
  for (let i = 0; i < mesh.nVertices; i++) {
    const x = p[3 * i], y = p[3 * i + 1], z = p[3 * i + 2];
    const s = Math.sin(9 * y + 3 * z) * Math.cos(7 * z - 2 * y + 1.5 * x);
    sulc[i] = s;
    const r = 1 - 0.04 * s;
    p[3 * i] = side * 35 + 35 * x * r;
    p[3 * i + 1] = 85 * y * r - 15;
    p[3 * i + 2] = 55 * z * r + 15;
  }
  return { mesh, sulc };
}

/**
 * An icosphere: the regular icosahedron subdivided `level` times and pushed
 * onto the sphere, as FreeSurfer's `ic7` (163,842 vertices at level 7,
 * 10 * 4^level + 2 in general) — a synthetic cortex for the surface tests
 * and the bench.
 */
import type { SurfaceMesh } from "../lib/formats/freesurfer_surface.ts";
import { icosphere as generatorIcosphere } from "../scripts/synth/templateflow.ts";

export function icosphere(level: number, radius = 1): SurfaceMesh {
  // The generator's icosphere (FreeSurfer's vertex order), as a mesh of this radius.
  const ico = generatorIcosphere(level);
  return {
    vertices: Float32Array.from(ico.vertices, (v) => v * radius),
    faces: Uint32Array.from(ico.faces),
    nVertices: ico.vertices.length / 3,
    nFaces: ico.faces.length / 3,
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

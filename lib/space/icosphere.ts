/**
 * Geodesic spheres (subdivided icosahedra), for synthetic surfaces and
 * templates: frequency `f` gives `10 f² + 2` vertices, so 32, 64 and 128
 * give fsaverage5, fsaverage6 and fsaverage7's 10,242, 40,962 and 163,842.
 * @module
 */

/** Options of {@link geodesicSphere}. */
export interface GeodesicSphereOptions {
  /** Sphere radius in mm (FreeSurfer's spheres have 100). @default 100 */
  radius?: number;
}

const PHI = (1 + Math.sqrt(5)) / 2;

/**
 * The icosahedron every geodesic sphere starts from: 12 corners
 * `(±1, ±φ, 0)`, `(0, ±1, ±φ)`, `(±φ, 0, ±1)` (φ the golden ratio; not unit
 * length) in this order. The synthetic TemplateFlow spheres start from it too.
 * @internal
 */
export const ICOSAHEDRON_VERTICES: readonly (readonly [number, number, number])[] = [
  [-1, PHI, 0],
  [1, PHI, 0],
  [-1, -PHI, 0],
  [1, -PHI, 0],
  [0, -1, PHI],
  [0, 1, PHI],
  [0, -1, -PHI],
  [0, 1, -PHI],
  [PHI, 0, -1],
  [PHI, 0, 1],
  [-PHI, 0, -1],
  [-PHI, 0, 1],
];

/**
 * The icosahedron's 20 faces (indices into {@linkcode ICOSAHEDRON_VERTICES}),
 * counter-clockwise seen from outside.
 * @internal
 */
export const ICOSAHEDRON_FACES: readonly (readonly [number, number, number])[] = [
  [0, 11, 5],
  [0, 5, 1],
  [0, 1, 7],
  [0, 7, 10],
  [0, 10, 11],
  [1, 5, 9],
  [5, 11, 4],
  [11, 10, 2],
  [10, 7, 6],
  [7, 1, 8],
  [3, 9, 4],
  [3, 4, 2],
  [3, 2, 6],
  [3, 6, 8],
  [3, 8, 9],
  [4, 9, 5],
  [2, 4, 11],
  [6, 2, 10],
  [8, 6, 7],
  [9, 8, 1],
];

/**
 * A geodesic sphere: each face of an icosahedron cut into `frequency²`
 * triangles, every vertex then pushed out to the sphere. Faces are wound
 * counter-clockwise seen from outside (outward normals), vertices are
 * shared, and the result is deterministic.
 *
 * @param frequency the number of segments each icosahedron edge is cut into (≥ 1)
 * @throws {RangeError} when `frequency` is not a positive integer
 *
 * @example
 * ```ts
 * import { geodesicSphere } from "@laion/fmri/space";
 * const fsaverage5 = geodesicSphere(32);
 * console.log(fsaverage5.vertices.length / 3); // 10242
 * ```
 */
export function geodesicSphere(
  frequency: number,
  options: GeodesicSphereOptions = {},
): { vertices: Float64Array; faces: Int32Array } {
  if (!Number.isInteger(frequency) || frequency < 1) {
    throw new RangeError(`frequency must be a positive integer; got ${frequency}`);
  }
  const radius = options.radius ?? 100;
  const ico = ICOSAHEDRON_VERTICES, icoFaces = ICOSAHEDRON_FACES;
  const f = frequency;
  const nVertices = 10 * f * f + 2;
  const coords = new Float64Array(3 * nVertices);
  let count = 0;
  const push = (x: number, y: number, z: number): number => {
    const len = Math.sqrt(x * x + y * y + z * z);
    coords[3 * count] = (x / len) * radius;
    coords[3 * count + 1] = (y / len) * radius;
    coords[3 * count + 2] = (z / len) * radius;
    return count++;
  };
  const corner = ico.map(([x, y, z]) => push(x, y, z));
  // interior points of each edge, keyed by "lo-hi", stored from lo to hi
  const edges = new Map<string, number[]>();
  const edgePoints = (a: number, b: number): number[] => {
    const lo = Math.min(a, b), hi = Math.max(a, b);
    const key = `${lo}-${hi}`;
    let pts = edges.get(key);
    if (!pts) {
      pts = [];
      for (let s = 1; s < f; s++) {
        const w = s / f;
        pts.push(push(
          ico[lo][0] * (1 - w) + ico[hi][0] * w,
          ico[lo][1] * (1 - w) + ico[hi][1] * w,
          ico[lo][2] * (1 - w) + ico[hi][2] * w,
        ));
      }
      edges.set(key, pts);
    }
    return a < b ? pts : [...pts].reverse();
  };
  const faces = new Int32Array(3 * 20 * f * f);
  let nf = 0;
  for (const [a, b, c] of icoFaces) {
    // grid point (i, j): i steps from a towards b, j from a towards c, i + j <= f
    const ab = edgePoints(a, b), ac = edgePoints(a, c), bc = edgePoints(b, c);
    const idx: number[][] = [];
    for (let i = 0; i <= f; i++) {
      idx.push([]);
      for (let j = 0; j <= f - i; j++) {
        let v: number;
        if (i === 0 && j === 0) v = corner[a];
        else if (i === f) v = corner[b];
        else if (j === f) v = corner[c];
        else if (j === 0) v = ab[i - 1];
        else if (i === 0) v = ac[j - 1];
        else if (i + j === f) v = bc[j - 1];
        else {
          const wa = (f - i - j) / f, wb = i / f, wc = j / f;
          v = push(
            ico[a][0] * wa + ico[b][0] * wb + ico[c][0] * wc,
            ico[a][1] * wa + ico[b][1] * wb + ico[c][1] * wc,
            ico[a][2] * wa + ico[b][2] * wb + ico[c][2] * wc,
          );
        }
        idx[i].push(v);
      }
    }
    for (let i = 0; i < f; i++) {
      for (let j = 0; j < f - i; j++) {
        faces.set([idx[i][j], idx[i + 1][j], idx[i][j + 1]], 3 * nf++);
        if (i + j < f - 1) faces.set([idx[i + 1][j], idx[i + 1][j + 1], idx[i][j + 1]], 3 * nf++);
      }
    }
  }
  if (count !== nVertices || nf !== 20 * f * f) {
    throw new Error(`geodesicSphere(${f}) built ${count} vertices and ${nf} faces`);
  }
  return { vertices: coords, faces };
}

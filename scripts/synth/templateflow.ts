/**
 * The synthetic `templateflow` bucket: TemplateFlow's key names
 * (`tpl-<template>/tpl-<template>[_hemi-L][_den-10k]_<suffix>.<ext>`) with
 * made-up content of the real shapes.
 *
 * - fsaverage surfaces (`sphere`, `white`, `pial`, `inflated`) per hemisphere
 *   at `den-10k`, `den-41k` and `den-164k`: icospheres (an icosahedron
 *   subdivided 5, 6 and 7 times: exactly 10,242, 40,962 and 163,842
 *   vertices). As in FreeSurfer's ico order, the vertices of a coarser
 *   level come first, so vertex `v < 10,242` is at the same place at every
 *   density. `sphere` has radius 100 mm; `white`/`pial`/`inflated` are the
 *   sphere squeezed onto an ellipsoid per hemisphere in MNI305 space.
 *   Coordinates are rounded to 1/64 mm (smaller gzip).
 * - `tpl-MNI305/tpl-MNI305_T1w.nii.gz`: uint8 on TemplateFlow's grid
 *   (172 x 220 x 156, 1 mm, {@linkcode MNI305_AFFINE}), a smooth head.
 * @module
 */
import { deflateSync } from "node:zlib";
import { join } from "node:path";
import { writeNifti1 } from "../../lib/formats/nifti_write.ts";
import { base64 } from "../../lib/core/base64.ts";
import { writeFileAtomic } from "../../lib/core/fs.ts";
import { ICOSAHEDRON_FACES, ICOSAHEDRON_VERTICES } from "../../lib/space/icosphere.ts";

/** fsaverage densities: TemplateFlow's `den-` token -> icosahedron subdivision level. */
export const FSAVERAGE_LEVELS = { "10k": 5, "41k": 6, "164k": 7 } as const;
/** A `den-` token. */
export type FsaverageDen = keyof typeof FSAVERAGE_LEVELS;
/** The fsaverage surfaces written per hemisphere and density. */
export const FSAVERAGE_SURFACES = ["sphere", "white", "pial", "inflated"] as const;

/** TemplateFlow's MNI305 T1w grid. */
export const MNI305_DIMS: readonly [number, number, number] = [172, 220, 156];
/**
 * The voxel-to-RAS affine of `tpl-MNI305_T1w.nii.gz` (1 mm, origin at voxel
 * (86, 126, 72)), as TemplateFlow's header has it (written from memory of
 * the header; the real file could not be read from this machine).
 */
export const MNI305_AFFINE: readonly (readonly number[])[] = [
  [1, 0, 0, -86],
  [0, 1, 0, -126],
  [0, 0, 1, -72],
  [0, 0, 0, 1],
];

/** Bucket keys of the synthetic `templateflow` bucket. */
export const templateflowKeys = {
  fsaverage: (hemi: "L" | "R", den: FsaverageDen, suffix: string) =>
    `tpl-fsaverage/tpl-fsaverage_hemi-${hemi}_den-${den}_${suffix}.surf.gii`,
  mni305T1w: "tpl-MNI305/tpl-MNI305_T1w.nii.gz",
} as const;

/** An icosphere: unit vertices (x, y, z interleaved) and triangles (outward). */
export interface Icosphere {
  vertices: Float64Array;
  faces: Int32Array;
}

const icoCache = new Map<number, Icosphere>();

/**
 * The unit icosphere of a subdivision level (memoized): 10 * 4^level + 2
 * vertices, 20 * 4^level triangles wound counter-clockwise seen from outside.
 * Each level appends the edge midpoints (normalised) after the vertices of
 * the level below.
 *
 * @example
 * ```ts
 * import { icosphere } from "./templateflow.ts";
 * icosphere(5).vertices.length / 3; // 10242
 * ```
 */
export function icosphere(level: number): Icosphere {
  const hit = icoCache.get(level);
  if (hit) return hit;
  let ico: Icosphere;
  if (level === 0) {
    const vertices = new Float64Array(36);
    ICOSAHEDRON_VERTICES.forEach((p, i) => {
      const n = Math.hypot(p[0], p[1], p[2]);
      for (let a = 0; a < 3; a++) vertices[3 * i + a] = p[a] / n;
    });
    const faces = Int32Array.from(ICOSAHEDRON_FACES.flat());
    ico = { vertices, faces };
  } else {
    const below = icosphere(level - 1);
    const nv = below.vertices.length / 3;
    const nf = below.faces.length / 3;
    const total = nv + nf * 3 / 2; // one new vertex per edge (E = 3F/2)
    const vertices = new Float64Array(3 * total);
    vertices.set(below.vertices);
    const mids = new Map<number, number>();
    let next = nv;
    const mid = (a: number, b: number) => {
      const key = a < b ? a * total + b : b * total + a;
      let m = mids.get(key);
      if (m === undefined) {
        m = next++;
        let n = 0;
        for (let k = 0; k < 3; k++) {
          const x = vertices[3 * a + k] + vertices[3 * b + k];
          vertices[3 * m + k] = x;
          n += x * x;
        }
        n = Math.sqrt(n);
        for (let k = 0; k < 3; k++) vertices[3 * m + k] /= n;
        mids.set(key, m);
      }
      return m;
    };
    const faces = new Int32Array(nf * 12);
    for (let f = 0; f < nf; f++) {
      const a = below.faces[3 * f], b = below.faces[3 * f + 1], c = below.faces[3 * f + 2];
      const ab = mid(a, b), bc = mid(b, c), ca = mid(c, a);
      faces.set([a, ab, ca, b, bc, ab, c, ca, bc, ab, bc, ca], 12 * f);
    }
    ico = { vertices, faces };
  }
  icoCache.set(level, ico);
  return ico;
}

/** Where a fsaverage surface of a hemisphere lies in MNI305 (centre and radii, mm). */
function fsaverageShape(hemi: "L" | "R", suffix: string): { c: number[]; r: number[] } {
  const sx = hemi === "L" ? -1 : 1;
  switch (suffix) {
    case "sphere":
      return { c: [0, 0, 0], r: [100, 100, 100] };
    case "white":
      return { c: [sx * 32, -18, 14], r: [26, 62, 44] };
    case "pial":
      return { c: [sx * 32, -18, 14], r: [34, 72, 54] };
    case "inflated":
      return { c: [sx * 40, -18, 14], r: [40, 80, 60] };
    default:
      throw new RangeError(`Unknown fsaverage surface ${suffix}. Valid: ${FSAVERAGE_SURFACES}`);
  }
}

/**
 * The float32 vertex coordinates (mm, rounded to 1/64) of a fsaverage
 * surface: the icosphere of the density mapped onto the surface's ellipsoid.
 *
 * @example
 * ```ts
 * import { fsaverageCoordinates } from "./templateflow.ts";
 * fsaverageCoordinates("L", "10k", "sphere").length; // 3 * 10242
 * ```
 */
export function fsaverageCoordinates(
  hemi: "L" | "R",
  den: FsaverageDen,
  suffix: string,
): Float32Array {
  const { vertices } = icosphere(FSAVERAGE_LEVELS[den]);
  const { c, r } = fsaverageShape(hemi, suffix);
  const out = new Float32Array(vertices.length);
  for (let i = 0; i < vertices.length; i++) {
    const a = i % 3;
    out[i] = Math.round((c[a] + r[a] * vertices[i]) * 64) / 64;
  }
  return out;
}

/**
 * A GIfTI surface (`.surf.gii`): a POINTSET array (float32, with the
 * Talairach coordinate system, as TemplateFlow's fsaverage files) and a
 * TRIANGLE array (int32), both `GZipBase64Binary` (zlib).
 *
 * @example
 * ```ts
 * import { giftiSurfaceXml } from "./templateflow.ts";
 * const xml = giftiSurfaceXml(new Float32Array(9), Int32Array.from([0, 1, 2]));
 * ```
 */
export function giftiSurfaceXml(coords: Float32Array, faces: Int32Array): string {
  const arr = (intent: string, type: string, data: Float32Array | Int32Array, extra: string) =>
    `  <DataArray Intent="${intent}" DataType="${type}" ArrayIndexingOrder="RowMajorOrder" ` +
    `Dimensionality="2" Dim0="${data.length / 3}" Dim1="3" Encoding="GZipBase64Binary" ` +
    `Endian="LittleEndian" ExternalFileName="" ExternalFileOffset="">
    <MetaData/>
${extra}    <Data>${
      base64(deflateSync(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), {
        level: 6,
      }))
    }</Data>
  </DataArray>
`;
  const identity = "1 0 0 0 0 1 0 0 0 0 1 0 0 0 0 1";
  const cs = `    <CoordinateSystemTransformMatrix>
      <DataSpace>NIFTI_XFORM_TALAIRACH</DataSpace>
      <TransformedSpace>NIFTI_XFORM_TALAIRACH</TransformedSpace>
      <MatrixData>${identity}</MatrixData>
    </CoordinateSystemTransformMatrix>
`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE GIFTI SYSTEM "http://www.nitrc.org/frs/download.php/115/gifti.dtd">
<GIFTI Version="1.0" NumberOfDataArrays="2">
  <MetaData/>
  <LabelTable/>
${arr("NIFTI_INTENT_POINTSET", "NIFTI_TYPE_FLOAT32", coords, cs)}${
    arr("NIFTI_INTENT_TRIANGLE", "NIFTI_TYPE_INT32", faces, "")
  }</GIFTI>
`;
}

/** Head and brain of the synthetic MNI305 T1w: ellipsoids in MNI305 mm. */
export const MNI305_HEAD = {
  brain: { c: [0, -18, 14], r: [70, 92, 66] },
  head: { c: [0, -18, 6], r: [82, 106, 84] },
} as const;

/**
 * The synthetic MNI305 T1w (NIfTI on-disk order, X fastest): a smooth
 * head, scalp ~60, brain 80-200 rising towards its centre, 0 outside.
 *
 * @example
 * ```ts
 * import { mni305T1w } from "./templateflow.ts";
 * mni305T1w().length; // 172 * 220 * 156
 * ```
 */
export function mni305T1w(): Uint8Array {
  const [nx, ny, nz] = MNI305_DIMS;
  const out = new Uint8Array(nx * ny * nz);
  const { brain, head } = MNI305_HEAD;
  let o = 0;
  for (let k = 0; k < nz; k++) {
    const z = k + MNI305_AFFINE[2][3];
    for (let j = 0; j < ny; j++) {
      const y = j + MNI305_AFFINE[1][3];
      for (let i = 0; i < nx; i++, o++) {
        const x = i + MNI305_AFFINE[0][3];
        const b = ((x - brain.c[0]) / brain.r[0]) ** 2 + ((y - brain.c[1]) / brain.r[1]) ** 2 +
          ((z - brain.c[2]) / brain.r[2]) ** 2;
        if (b <= 1) {
          out[o] = Math.round(200 - 120 * b);
          continue;
        }
        const h = ((x - head.c[0]) / head.r[0]) ** 2 + ((y - head.c[1]) / head.r[1]) ** 2 +
          ((z - head.c[2]) / head.r[2]) ** 2;
        if (h <= 1) out[o] = 60;
      }
    }
  }
  return out;
}

/** What {@linkcode writeTemplateflow} wrote. */
export interface TemplateflowTruth {
  /** Bucket key -> vertex count of each `.surf.gii`. */
  surfaces: Record<string, number>;
  mni305: { key: string; dims: number[]; affine: number[][]; head: typeof MNI305_HEAD };
  /** Bytes written in all. */
  bytes: number;
}

/**
 * Writes the synthetic `templateflow` bucket under `out/bucket/` and its
 * truth to `out/ground-truth/templateflow.json`.
 *
 * @example
 * ```ts
 * import { writeTemplateflow } from "./templateflow.ts";
 * await writeTemplateflow("/tmp/laion-templateflow");
 * ```
 */
export async function writeTemplateflow(out: string): Promise<TemplateflowTruth> {
  const bucket = join(out, "bucket");
  const put = async (key: string, data: string | Uint8Array) => {
    const path = join(bucket, key);
    await Deno.mkdir(join(path, ".."), { recursive: true });
    await writeFileAtomic(path, data);
    return (await Deno.stat(path)).size;
  };
  const truth: TemplateflowTruth = {
    surfaces: {},
    mni305: {
      key: templateflowKeys.mni305T1w,
      dims: [...MNI305_DIMS],
      affine: MNI305_AFFINE.map((r) => [...r]),
      head: MNI305_HEAD,
    },
    bytes: 0,
  };
  for (const den of Object.keys(FSAVERAGE_LEVELS) as FsaverageDen[]) {
    const { faces } = icosphere(FSAVERAGE_LEVELS[den]);
    for (const hemi of ["L", "R"] as const) {
      for (const suffix of FSAVERAGE_SURFACES) {
        const key = templateflowKeys.fsaverage(hemi, den, suffix);
        const coords = fsaverageCoordinates(hemi, den, suffix);
        truth.bytes += await put(key, giftiSurfaceXml(coords, faces));
        truth.surfaces[key] = coords.length / 3;
      }
    }
  }
  const path = join(bucket, templateflowKeys.mni305T1w);
  await Deno.mkdir(join(path, ".."), { recursive: true });
  await writeNifti1(path, {
    dims: MNI305_DIMS,
    datatype: "uint8",
    data: mni305T1w(),
    affine: MNI305_AFFINE,
    description: "LAION-fMRI synthetic MNI305 T1w",
    level: 9,
  });
  truth.bytes += (await Deno.stat(path)).size;
  await put(
    "tpl-MNI305/template_description.json",
    JSON.stringify({ Identifier: "MNI305", Name: "LAION-fMRI synthetic MNI305" }, null, 2) + "\n",
  );
  await put(
    "tpl-fsaverage/template_description.json",
    JSON.stringify({ Identifier: "fsaverage", Name: "LAION-fMRI synthetic fsaverage" }, null, 2) +
      "\n",
  );
  await Deno.mkdir(join(out, "ground-truth"), { recursive: true });
  await writeFileAtomic(
    join(out, "ground-truth", "templateflow.json"),
    JSON.stringify(truth, null, 2) + "\n",
  );
  return truth;
}

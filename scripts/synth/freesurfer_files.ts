/**
 * Writers of a tiny but well-formed FreeSurfer recon: binary triangle
 * surfaces (`surf/lh.white` ...), MGH volumes gzip-compressed (`.mgz`) and
 * the linear transforms `talairach.lta` / `talairach.xfm`. nibabel reads
 * all of them (`nibabel.freesurfer.read_geometry`, `nibabel.load`).
 * @module
 */
import { gzipSync } from "node:zlib";
import { surfaceVertex } from "./geometry.ts";
import { talairachMatrix } from "./recon.ts";

/** How each surface is drawn from the synthetic hemisphere sphere. */
const SURFACE_SCALE: Record<string, { scale: number; radius?: number }> = {
  white: { scale: 1 },
  pial: { scale: 1.1 },
  inflated: { scale: 1.4 },
  sphere: { scale: 1, radius: 100 },
};

/**
 * A FreeSurfer binary triangle surface (magic `0xFFFFFE`, big-endian) with
 * the hemisphere's `n` synthetic vertices (the same points the ROI `.label`
 * files give for `white`), joined by a strip of `n - 2` triangles.
 *
 * @example
 * ```ts
 * import { freesurferSurface } from "./freesurfer_files.ts";
 * const bytes = freesurferSurface(200, "L", "white", "sub-01");
 * ```
 */
export function freesurferSurface(
  n: number,
  hemi: "L" | "R",
  surface: string,
  subject: string,
): Uint8Array {
  const how = SURFACE_SCALE[surface];
  if (!how) {
    throw new RangeError(`Unknown surface ${surface}. Valid: ${Object.keys(SURFACE_SCALE)}`);
  }
  const comment = new TextEncoder().encode(
    `created by laion-fmri synthetic generator for ${subject}\n\n`,
  );
  const nFaces = Math.max(0, n - 2);
  const out = new Uint8Array(3 + comment.length + 8 + 12 * n + 12 * nFaces);
  const v = new DataView(out.buffer);
  out.set([0xff, 0xff, 0xfe]);
  out.set(comment, 3);
  let o = 3 + comment.length;
  v.setInt32(o, n);
  v.setInt32(o + 4, nFaces);
  o += 8;
  const cx = hemi === "L" ? -35 : 35;
  for (let i = 0; i < n; i++) {
    const p = surfaceVertex(i, n, hemi);
    const rel = [p[0] - cx, p[1] + 18, p[2] - 10];
    const norm = Math.hypot(rel[0], rel[1], rel[2]) || 1;
    for (let a = 0; a < 3; a++) {
      const x = how.radius ? (rel[a] / norm) * how.radius : [cx, -18, 10][a] + rel[a] * how.scale;
      v.setFloat32(o, x);
      o += 4;
    }
  }
  for (let f = 0; f < nFaces; f++) {
    // alternate the winding so that neighbouring triangles face the same way
    const tri = f % 2 ? [f + 1, f, f + 2] : [f, f + 1, f + 2];
    for (const t of tri) {
      v.setInt32(o, t);
      o += 4;
    }
  }
  return out;
}

/** The volume geometry a surface's footer carries (nibabel's `volume_info`). */
export interface SurfaceFooter {
  filename: string;
  volume: readonly number[];
  voxelSize: readonly number[];
  cras: readonly number[];
}

/**
 * A FreeSurfer binary triangle surface of given vertices (x y z
 * interleaved) and triangles, with the volume-geometry footer (tags
 * `2 0 20` and the eight `key = value` lines, as FreeSurfer and nibabel
 * write them) when `footer` is given.
 *
 * @example
 * ```ts
 * import { freesurferSurfaceBytes } from "./freesurfer_files.ts";
 * const bytes = freesurferSurfaceBytes(
 *   new Float64Array([0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]),
 *   Int32Array.from([0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3]),
 *   "sub-01",
 * );
 * ```
 */
export function freesurferSurfaceBytes(
  coords: Float64Array | Float32Array,
  faces: Int32Array,
  subject: string,
  footer?: SurfaceFooter,
): Uint8Array {
  const enc = new TextEncoder();
  const comment = enc.encode(`created by laion-fmri synthetic generator for ${subject}\n\n`);
  const n = coords.length / 3, nFaces = faces.length / 3;
  const f3 = (v: readonly number[]) => v.map((x) => x.toFixed(15)).join(" ");
  const tail = footer
    ? enc.encode(
      [
        "valid = 1  # volume info valid",
        `filename = ${footer.filename}`,
        `volume = ${footer.volume.join(" ")}`,
        `voxelsize = ${f3(footer.voxelSize)}`,
        `xras   = ${f3([1, 0, 0])}`,
        `yras   = ${f3([0, 1, 0])}`,
        `zras   = ${f3([0, 0, 1])}`,
        `cras   = ${f3(footer.cras)}`,
        "",
      ].join("\n"),
    )
    : new Uint8Array(0);
  const head = 3 + comment.length + 8;
  const out = new Uint8Array(head + 12 * n + 12 * nFaces + (footer ? 12 : 0) + tail.length);
  const v = new DataView(out.buffer);
  out.set([0xff, 0xff, 0xfe]);
  out.set(comment, 3);
  v.setInt32(head - 8, n);
  v.setInt32(head - 4, nFaces);
  let o = head;
  for (let i = 0; i < coords.length; i++, o += 4) v.setFloat32(o, coords[i]);
  for (let i = 0; i < faces.length; i++, o += 4) v.setInt32(o, faces[i]);
  if (footer) {
    v.setInt32(o, 2);
    v.setInt32(o + 4, 0);
    v.setInt32(o + 8, 20);
    out.set(tail, o + 12);
  }
  return out;
}

/**
 * A FreeSurfer "new" curvature file (`lh.curv`, `lh.sulc`): magic
 * `0xFFFFFF`, vertex and face counts, one value per vertex, big-endian.
 *
 * @example
 * ```ts
 * import { freesurferCurv } from "./freesurfer_files.ts";
 * const bytes = freesurferCurv(new Float32Array([0.1, -0.2, 0, 0]), 4);
 * ```
 */
export function freesurferCurv(values: Float32Array, nFaces: number): Uint8Array {
  const out = new Uint8Array(15 + 4 * values.length);
  const v = new DataView(out.buffer);
  out.set([0xff, 0xff, 0xff]);
  v.setInt32(3, values.length);
  v.setInt32(7, nFaces);
  v.setInt32(11, 1);
  values.forEach((x, i) => v.setFloat32(15 + 4 * i, x));
  return out;
}

/** MGH voxel types. */
const MGH_TYPES = { uint8: 0, int32: 1, float32: 3, int16: 4 } as const;

/**
 * A gzip-compressed MGH volume (`.mgz`): version 1 header, voxel sizes and
 * direction cosines from an axis-aligned affine, big-endian data in
 * FreeSurfer's column-major order (the NIfTI on-disk order).
 *
 * @example
 * ```ts
 * import { mgzBytes } from "./freesurfer_files.ts";
 * const affine = [[1, 0, 0, -2], [0, 1, 0, -2], [0, 0, 1, -2], [0, 0, 0, 1]];
 * const bytes = mgzBytes([4, 4, 4], "uint8", new Uint8Array(64), affine);
 * ```
 */
export function mgzBytes(
  dims: readonly [number, number, number],
  type: keyof typeof MGH_TYPES,
  data: Uint8Array | Int32Array | Float32Array | Int16Array,
  affine: readonly (readonly number[])[],
): Uint8Array {
  const n = dims[0] * dims[1] * dims[2];
  if (data.length !== n) throw new RangeError(`${data.length} voxels for dims ${dims}`);
  const size = { uint8: 1, int32: 4, float32: 4, int16: 2 }[type];
  const out = new Uint8Array(284 + n * size);
  const v = new DataView(out.buffer);
  [1, dims[0], dims[1], dims[2], 1, MGH_TYPES[type], 0].forEach((x, i) => v.setInt32(4 * i, x));
  v.setInt16(28, 1); // goodRASFlag
  const vox = [0, 1, 2].map((a) => Math.hypot(affine[0][a], affine[1][a], affine[2][a]));
  let o = 30;
  const put = (x: number) => {
    v.setFloat32(o, x);
    o += 4;
  };
  vox.forEach(put);
  // direction cosines, one column per axis (x_r x_a x_s, y_r ...)
  for (let a = 0; a < 3; a++) for (let r = 0; r < 3; r++) put(affine[r][a] / vox[a]);
  // c_ras: the world position of the centre voxel
  for (let r = 0; r < 3; r++) {
    put(affine[r][3] + [0, 1, 2].reduce((s, a) => s + affine[r][a] * (dims[a] / 2), 0));
  }
  o = 284;
  for (let i = 0; i < n; i++, o += size) {
    if (type === "uint8") out[o] = data[i];
    else if (type === "int16") v.setInt16(o, data[i]);
    else if (type === "int32") v.setInt32(o, data[i]);
    else v.setFloat32(o, data[i]);
  }
  return new Uint8Array(gzipSync(out, { level: 6 }));
}

/**
 * `mri/transforms/talairach.lta`: a linear RAS-to-RAS transform (LTA text)
 * from the subject's T1w to MNI305, a mild scaling and shift.
 *
 * @example
 * ```ts
 * import { talairachLta } from "./freesurfer_files.ts";
 * const text = talairachLta("sub-01", [24, 28, 20], 0.9);
 * ```
 */
export function talairachLta(
  subject: string,
  dims: readonly number[],
  voxelSize: number,
  cras: readonly number[] = [0, 0, 0],
): string {
  const m = talairachMatrix(subject);
  const vol = (name: string, d: readonly number[], vs: number, c: readonly number[]) =>
    [
      "valid = 1  # volume info valid",
      `filename = ${name}`,
      `volume = ${d.join(" ")}`,
      `voxelsize = ${vs} ${vs} ${vs}`,
      "xras   = 1 0 0",
      "yras   = 0 1 0",
      "zras   = 0 0 1",
      `cras   = ${c.join(" ")}`,
    ].join("\n");
  return [
    `# transform file ${subject}/mri/transforms/talairach.lta (laion-fmri synthetic)`,
    "type      = 1 # LINEAR_RAS_TO_RAS",
    "nxforms   = 1",
    "mean      = 0.0000 0.0000 0.0000",
    "sigma     = 1.0000",
    "1 4 4",
    ...m.map((row) => row.map((x) => x.toFixed(15)).join(" ")),
    "src volume info",
    vol(`${subject}/mri/orig.mgz`, dims, voxelSize, cras),
    "dst volume info",
    vol("mni305.cor.mgz", [256, 256, 256], 1, [0, 0, 0]),
    "",
  ].join("\n");
}

/**
 * `mri/transforms/talairach.xfm`: the same transform as MNI xfm text.
 *
 * @example
 * ```ts
 * import { talairachXfm } from "./freesurfer_files.ts";
 * const text = talairachXfm("sub-01");
 * ```
 */
export function talairachXfm(subject: string): string {
  const m = talairachMatrix(subject);
  return [
    "MNI Transform File",
    `% laion-fmri synthetic talairach transform of ${subject}`,
    "",
    "Transform_Type = Linear;",
    "Linear_Transform =",
    m.slice(0, 3).map((r) => " " + r.map((x) => x.toFixed(6)).join(" ")).join("\n") + ";",
    "",
  ].join("\n");
}

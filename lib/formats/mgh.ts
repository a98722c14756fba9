/**
 * MGH / MGZ volumes (`mri/orig.mgz`, `T1.mgz`, `brain.mgz`,
 * `aparc+aseg.mgz`, …), read as nibabel's `MGHImage` does.
 *
 * Layout (big-endian): int32 `version` (1), `width`, `height`, `depth`,
 * `nframes`, `type`, `dof`; int16 `goodRASFlag`; float32 voxel sizes
 * (`delta`), the 3x3 direction cosines (`Mdc`, one row per voxel axis:
 * `x_r x_a x_s`, then `y_*`, `z_*`) and `c_ras` (the scanner RAS of the
 * volume centre); the data start at byte 284, X fastest, frame slowest.
 * `.mgz` is the same gzip-compressed (detected by its magic, whatever the
 * name). Types: 0 uint8, 1 int32, 3 float32, 4 int16.
 *
 * The affine follows nibabel's `MGHHeader.get_affine()`:
 * `A = Mdcᵀ · diag(delta)`, `b = c_ras − A · dims / 2`, every entry rounded to
 * float32 as nibabel's (float32) result is. A header with
 * `goodRASFlag` 0 gets nibabel's default geometry (1 mm, coronal
 * `Mdc = [[-1,0,0],[0,0,1],[0,-1,0]]`, `c_ras` 0). The tkr
 * ("surface RAS") affine is nibabel's `get_vox2ras_tkr()`.
 * @module
 */
import { Buffer } from "node:buffer";
import { gunzipSync } from "node:zlib";
import { MalformedFileError } from "../core/errors.ts";
import { readChecked, refuseS3ErrorBody } from "../core/s3_error_body.ts";
import { type Matrix4, type Vec3, volumeGeometryAffine } from "./freesurfer_geometry.ts";
import { bigEndianArray } from "./byte_order.ts";
import type { FreesurferReadOptions } from "./freesurfer_surface.ts";
import { peekFile } from "./nifti_stream.ts";
import { diskToCOrder } from "./voxel_order.ts";

/** MGH voxel types by code. */
const MGH_TYPES = {
  0: { name: "uint8", size: 1 },
  1: { name: "int32", size: 4 },
  3: { name: "float32", size: 4 },
  4: { name: "int16", size: 2 },
} as const;

/** The voxel type of an MGH volume. */
export type MghType = "uint8" | "int32" | "float32" | "int16";

/** The header of an MGH/MGZ volume. */
export interface MghHeader {
  /** Grid size `[width, height, depth]`. */
  dims: Vec3;
  /** Number of frames (volumes). */
  nFrames: number;
  /** The voxel type. */
  type: MghType;
  /** Degrees of freedom (`dof`). */
  dof: number;
  /** Whether the file's geometry was valid (`goodRASFlag`); if not, nibabel's default is used. */
  goodRas: boolean;
  /** Voxel sizes in mm (`delta`). */
  voxelSize: Vec3;
  /** Direction cosines, one row per voxel axis (`x_r x_a x_s`, …), as stored. */
  mdc: [Vec3, Vec3, Vec3];
  /** Scanner RAS of the volume centre (`c_ras`, `Pxyz_c`). */
  cRas: Vec3;
  /** Voxel index to scanner RAS, row-major 4x4 (nibabel's `get_affine()`). */
  vox2ras: Matrix4;
  /** Voxel index to FreeSurfer surface ("tkr") RAS (nibabel's `get_vox2ras_tkr()`). */
  vox2rasTkr: Matrix4;
  /** Scan parameters of the optional footer (`tr`, `flipAngle`, `te`, `ti`), when present (set by `readMgh`). */
  scanParameters?: { tr: number; flipAngle: number; te: number; ti: number };
}

/** The voxel values of an MGH volume, in its own type. */
export type MghData = Uint8Array | Int32Array | Float32Array | Int16Array;

/** A whole MGH/MGZ volume. */
export interface MghVolume {
  /** The header. */
  header: MghHeader;
  /**
   * The voxels in NumPy C-order of `(x, y, z)` (`k` fastest, as
   * `NiftiVolume.data`), frame after frame: frame `t` is
   * `data.subarray(t * n, (t + 1) * n)` with `n = width * height * depth`.
   */
  data: MghData;
}

const HEADER_BYTES = 284;

/** The header, and the bytes per voxel of its type (which `readMgh` needs to find the data). */
function parseHeader(
  b: Uint8Array,
  path: string,
  refetch?: string,
): { header: MghHeader; voxelBytes: number } {
  const bad = (problem: string) => new MalformedFileError(path, problem, refetch);
  if (b.length < 90) throw bad(`too short for an MGH header: ${b.length} bytes, need 90`);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const version = v.getInt32(0);
  if (version !== 1) throw bad(`MGH version is ${version}, expected 1 (not an MGH/MGZ file?)`);
  const dims: Vec3 = [v.getInt32(4), v.getInt32(8), v.getInt32(12)];
  const nFrames = v.getInt32(16);
  if (dims.some((d) => d < 1) || nFrames < 1) {
    throw bad(`invalid dimensions ${dims.join("x")} with ${nFrames} frames`);
  }
  const code = v.getInt32(20);
  const t = MGH_TYPES[code as keyof typeof MGH_TYPES];
  if (!t) {
    throw bad(
      `unsupported MGH type ${code}; valid: ${
        Object.entries(MGH_TYPES).map(([k, x]) => `${k} (${x.name})`).join(", ")
      }`,
    );
  }
  const dof = v.getInt32(24);
  const goodRas = v.getInt16(28) !== 0;
  const f = (o: number) => v.getFloat32(o);
  let voxelSize: Vec3 = [f(30), f(34), f(38)];
  let mdc: [Vec3, Vec3, Vec3] = [
    [f(42), f(46), f(50)],
    [f(54), f(58), f(62)],
    [f(66), f(70), f(74)],
  ];
  let cRas: Vec3 = [f(78), f(82), f(86)];
  if (!goodRas) {
    voxelSize = [1, 1, 1];
    mdc = [[-1, 0, 0], [0, 0, 1], [0, -1, 0]];
    cRas = [0, 0, 0];
  }
  // float32 products, as nibabel's `Mdc.T * delta` (both float32); its from_matvec keeps
  // MdcD's float32 dtype, so the offset is rounded to float32 too
  const vox2ras = volumeGeometryAffine({
    valid: goodRas,
    filename: "",
    volume: dims,
    voxelSize,
    xRas: mdc[0],
    yRas: mdc[1],
    zRas: mdc[2],
    cRas,
  }, { float32: true });
  const [dx, dy, dz] = voxelSize.map(Math.fround);
  const ns = dims.map((d, a) => Math.fround(d * [dx, dy, dz][a] / 2));
  const vox2rasTkr: Matrix4 = [
    [-dx, 0, 0, ns[0]],
    [0, 0, dz, -ns[2]],
    [0, -dy, 0, ns[1]],
    [0, 0, 0, 1],
  ];
  const header: MghHeader = {
    dims,
    nFrames,
    type: t.name,
    dof,
    goodRas,
    voxelSize,
    mdc,
    cRas,
    vox2ras,
    vox2rasTkr,
  };
  return { header, voxelBytes: t.size };
}

const isGzip = (b: Uint8Array) => b[0] === 0x1f && b[1] === 0x8b;

const KIND = "MGH/MGZ volume";

/**
 * Reads only the header of an MGH/MGZ volume (a `.mgz` is decompressed just
 * far enough): grid, type, voxel sizes, direction cosines, `c_ras` and the
 * affines.
 *
 * @param path the `.mgz` or `.mgh` file
 * @param opts `signal`, `refetch`
 * @throws {MalformedFileError} not MGH, a bad version, type or dimensions,
 *   corrupt gzip
 * @example
 * ```ts
 * import { readMghHeader } from "@laion/fmri/formats";
 * const h = await readMghHeader("mri/orig.mgz");
 * console.log(h.dims, h.voxelSize, h.cRas, h.vox2ras);
 * ```
 */
export async function readMghHeader(
  path: string,
  opts: FreesurferReadOptions = {},
): Promise<MghHeader> {
  const { signal, refetch } = opts;
  signal?.throwIfAborted();
  const raw = await peekFile(path, HEADER_BYTES);
  refuseS3ErrorBody(raw, path, KIND, refetch);
  if (!isGzip(raw)) return parseHeader(raw, path, refetch).header;
  using file = await Deno.open(path, { read: true });
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = file.readable.pipeThrough(new DecompressionStream("gzip")).getReader();
  try {
    while (total < HEADER_BYTES) {
      signal?.throwIfAborted();
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.length;
    }
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new MalformedFileError(path, `corrupt gzip stream: ${(e as Error).message}`, refetch, {
      cause: e,
    });
  } finally {
    await reader.cancel().catch(() => {});
  }
  return parseHeader(new Uint8Array(Buffer.concat(chunks)), path, refetch).header;
}

/**
 * Reads a whole MGH/MGZ volume: the header and every frame's voxels in
 * their own type, C-order.
 *
 * @param path the `.mgz` or `.mgh` file
 * @param opts `signal`, `refetch`
 * @throws {MalformedFileError} see {@linkcode readMghHeader}; truncated data
 * @example
 * ```ts
 * import { readMgh } from "@laion/fmri/formats";
 * const { header, data } = await readMgh("mri/aparc+aseg.mgz");
 * const [nx, ny, nz] = header.dims;
 * console.log(header.type, data[(10 * ny + 20) * nz + 30]); // voxel (10, 20, 30)
 * console.log(nx);
 * ```
 */
export async function readMgh(path: string, opts: FreesurferReadOptions = {}): Promise<MghVolume> {
  const { signal, refetch } = opts;
  signal?.throwIfAborted();
  let bytes: Uint8Array = await readChecked(path, KIND, opts);
  if (isGzip(bytes)) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new MalformedFileError(path, `corrupt gzip stream: ${(e as Error).message}`, refetch, {
        cause: e,
      });
    }
  }
  const { header, voxelBytes: size } = parseHeader(bytes, path, refetch);
  const [nx, ny, nz] = header.dims;
  const n = nx * ny * nz;
  const need = HEADER_BYTES + n * header.nFrames * size;
  if (bytes.length < need) {
    throw new MalformedFileError(
      path,
      `truncated: ${
        header.dims.join("x")
      }x${header.nFrames} ${header.type} voxels need ${need} bytes, ` +
        `the file has ${bytes.length}`,
      refetch,
    );
  }
  const total = n * header.nFrames;
  const disk: MghData = header.type === "uint8"
    ? bytes.subarray(HEADER_BYTES, HEADER_BYTES + total)
    : header.type === "int16"
    ? bigEndianArray(bytes, HEADER_BYTES, total, Int16Array)
    : header.type === "int32"
    ? bigEndianArray(bytes, HEADER_BYTES, total, Int32Array)
    : bigEndianArray(bytes, HEADER_BYTES, total, Float32Array);
  // by type, not disk.constructor: a gunzipped uint8 volume is a Node Buffer
  const data: MghData = disk instanceof Int16Array
    ? new Int16Array(total)
    : disk instanceof Int32Array
    ? new Int32Array(total)
    : disk instanceof Float32Array
    ? new Float32Array(total)
    : new Uint8Array(total);
  for (let f = 0; f < header.nFrames; f++) {
    signal?.throwIfAborted();
    diskToCOrder(
      disk.subarray(f * n, (f + 1) * n),
      [nx, ny, nz],
      data.subarray(f * n, (f + 1) * n),
    );
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const foot = HEADER_BYTES + n * header.nFrames * size;
  if (bytes.length >= foot + 16) {
    header.scanParameters = {
      tr: v.getFloat32(foot),
      flipAngle: v.getFloat32(foot + 4),
      te: v.getFloat32(foot + 8),
      ti: v.getFloat32(foot + 12),
    };
  }
  return { header, data };
}

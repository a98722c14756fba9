/**
 * The NIfTI-1 / NIfTI-2 header: parsing (with `nifti-reader-js`, checked
 * against the magic and the dimensions), the datatype table, and the
 * `scl_slope`/`scl_inter` scaling rule (nibabel's: a finite non-zero slope
 * scales).
 * @module
 */
import * as nifti from "npm:nifti-reader-js@0.8.0";
import { MalformedFileError } from "../core/errors.ts";

/** A parsed NIfTI header, in the terms the library uses. */
export interface NiftiHeader {
  /** The image shape `dim[1..dim[0]]` (like nibabel's `img.shape`). */
  dims: number[];
  /** NIfTI datatype code (2 uint8, 4 int16, 8 int32, 16 float32, 64 float64, 256 int8, 512 uint16, …). */
  datatype: number;
  /** Name of the datatype, e.g. `"float32"`, or `"code N"` when unknown. */
  datatypeName: string;
  /** Bits per voxel as stored in the header. */
  bitpix: number;
  /** Byte offset of the voxel data in the (decompressed) file. */
  voxOffset: number;
  /** `scl_slope` as stored (0 or non-finite means "no scaling"). */
  sclSlope: number;
  /** `scl_inter` as stored. */
  sclInter: number;
  /** Voxel-to-world 4x4 matrix: the sform when `sform_code > 0`, else the qform. */
  affine: number[][];
  /** Voxel sizes `pixdim[1..dim[0]]` (like nibabel's `header.get_zooms()`). */
  pixdim: number[];
  /** 1 for NIfTI-1, 2 for NIfTI-2. */
  niftiVersion: 1 | 2;
  /** Whether the file is little-endian. */
  littleEndian: boolean;
  /** The spatial grid `[nx, ny, nz]` (missing dimensions are 1). */
  shape3d: [number, number, number];
  /** Number of 3-D volumes (product of `dim[4..]`; 1 for a 3-D image). */
  nVolumes: number;
}

/** The typed-array constructors a decoded volume may be viewed with. */
export type NumArrayCtor =
  | Uint8ArrayConstructor
  | Int8ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor;

/** A datatype the readers decode: its name, bytes per voxel and typed-array view. */
export interface VoxelType {
  /** e.g. `"float32"`. */
  name: string;
  /** Bytes per voxel. */
  bytes: number;
  /** The typed array that views the voxel bytes (in native byte order). */
  View: NumArrayCtor;
}

const SUPPORTED: Record<number, VoxelType> = {
  2: { name: "uint8", bytes: 1, View: Uint8Array },
  256: { name: "int8", bytes: 1, View: Int8Array },
  4: { name: "int16", bytes: 2, View: Int16Array },
  512: { name: "uint16", bytes: 2, View: Uint16Array },
  8: { name: "int32", bytes: 4, View: Int32Array },
  16: { name: "float32", bytes: 4, View: Float32Array },
  64: { name: "float64", bytes: 8, View: Float64Array },
};

const OTHER_TYPES: Record<number, string> = {
  1: "binary",
  32: "complex64",
  128: "rgb24",
  768: "uint32",
  1024: "int64",
  1280: "uint64",
  1536: "float128",
  1792: "complex128",
  2048: "complex256",
  2304: "rgba32",
};

function typeName(code: number): string {
  return SUPPORTED[code]?.name ?? OTHER_TYPES[code] ?? `code ${code}`;
}

/**
 * A shape as Python prints a tuple, e.g. `(5, 6, 7)` or `(5,)`: messages
 * quote shapes the way upstream's do.
 *
 * @example
 * ```ts
 * import { shapeText } from "./nifti_header.ts";
 * shapeText([5, 6, 7]); // "(5, 6, 7)"
 * ```
 */
export function shapeText(dims: readonly number[]): string {
  return `(${dims.join(", ")}${dims.length === 1 ? "," : ""})`;
}

function latin1(bytes: Uint8Array, start: number, n: number): string {
  return String.fromCharCode(...bytes.subarray(start, Math.min(bytes.length, start + n)));
}

/**
 * Parses a NIfTI-1 or NIfTI-2 header from the first (decompressed) bytes
 * of a file: at least 348 bytes, 540 for NIfTI-2.
 *
 * @param path the file, named in errors
 * @param bytes the file's first bytes
 * @param refetch a command that refetches the file, quoted in errors
 * @throws {MalformedFileError} truncated header, wrong magic, invalid dimensions
 * @example
 * ```ts
 * import { parseNiftiHeader } from "./nifti_header.ts";
 * const bytes = await Deno.readFile("sub-01_R2mean.nii"); // uncompressed
 * console.log(parseNiftiHeader("sub-01_R2mean.nii", bytes.subarray(0, 540)).shape3d);
 * ```
 */
export function parseNiftiHeader(path: string, bytes: Uint8Array, refetch?: string): NiftiHeader {
  const bad = (problem: string, cause?: unknown) =>
    new MalformedFileError(path, problem, refetch, cause === undefined ? undefined : { cause });
  if (bytes.length < 348) {
    throw bad(`truncated header: got ${bytes.length} bytes, a NIfTI header needs at least 348`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sizeLe = dv.getInt32(0, true);
  const sizeBe = dv.getInt32(0, false);
  const size = sizeLe === 348 || sizeLe === 540 ? sizeLe : sizeBe;
  const le = size === sizeLe;
  let version: 1 | 2;
  if (size === 348) {
    const magic = String.fromCharCode(bytes[344], bytes[345], bytes[346]);
    if (magic === "ni1") {
      throw bad(`wrong magic "ni1": a .hdr/.img pair header, not a single-file NIfTI`);
    }
    if (magic !== "n+1" || bytes[347] !== 0) {
      throw bad(`wrong magic ${JSON.stringify(latin1(bytes, 344, 4))}, expected "n+1\\0"`);
    }
    version = 1;
  } else if (size === 540) {
    if (bytes.length < 540) {
      throw bad(`truncated header: got ${bytes.length} bytes, a NIfTI-2 header needs 540`);
    }
    const magic = String.fromCharCode(bytes[4], bytes[5], bytes[6]);
    if (magic !== "n+2" || bytes[7] !== 0) {
      throw bad(
        `wrong magic ${JSON.stringify(latin1(bytes, 4, 8))}, expected "n+2\\0\\r\\n\\x1a\\n"`,
      );
    }
    version = 2;
  } else {
    throw bad(
      `wrong magic: not a NIfTI file (sizeof_hdr is ${sizeLe}, expected 348 for NIfTI-1 ` +
        `or 540 for NIfTI-2; first bytes ${JSON.stringify(latin1(bytes, 0, 16))})`,
    );
  }
  const hdrBytes = bytes.slice(0, size).buffer;
  let h: nifti.NIFTI1 | nifti.NIFTI2;
  try {
    h = nifti.readHeader(hdrBytes);
  } catch (e) {
    throw bad(`unreadable NIfTI header (${(e as Error).message})`, e);
  }
  if (!h) throw bad("unreadable NIfTI header");
  const ndim = Number(h.dims[0]);
  if (!(ndim >= 1 && ndim <= 7)) {
    throw bad(`invalid header: dim[0] is ${ndim}, expected 1..7`);
  }
  const dims: number[] = [];
  for (let d = 1; d <= ndim; d++) {
    const n = Number(h.dims[d]);
    if (!Number.isSafeInteger(n) || n < 1) {
      throw bad(`invalid header: dim[${d}] is ${n}, expected a positive integer`);
    }
    dims.push(n);
  }
  const shape3d: [number, number, number] = [dims[0], dims[1] ?? 1, dims[2] ?? 1];
  const nVolumes = dims.slice(3).reduce((a, b) => a * b, 1);
  const voxOffset = Number(h.vox_offset);
  if (!Number.isFinite(voxOffset) || voxOffset < size) {
    throw bad(`invalid header: vox_offset is ${voxOffset}, expected at least ${size}`);
  }
  let affine: number[][];
  if (h.sform_code > 0) {
    // Read the srow_* vectors directly: nifti-reader-js prefers the qform
    // when qform_code > sform_code, nibabel always prefers a set sform.
    const at = version === 1 ? 280 : 400;
    const step = version === 1 ? 4 : 8;
    affine = [0, 1, 2].map((r) =>
      [0, 1, 2, 3].map((c) => {
        const o = at + (r * 4 + c) * step;
        return version === 1 ? dv.getFloat32(o, le) : dv.getFloat64(o, le);
      })
    );
    affine.push([0, 0, 0, 1]);
  } else {
    affine = h.affine.map((row) => row.slice());
  }
  return {
    dims,
    datatype: h.datatypeCode,
    datatypeName: typeName(h.datatypeCode),
    bitpix: h.numBitsPerVoxel,
    voxOffset,
    sclSlope: h.scl_slope,
    sclInter: h.scl_inter,
    affine,
    pixdim: h.pixDims.slice(1, ndim + 1).map(Number),
    niftiVersion: version,
    littleEndian: le,
    shape3d,
    nVolumes,
  };
}

/**
 * The scaling to apply as `{ slope, inter }`, or `undefined` when none
 * (nibabel's rule: a slope of 0 or a non-finite slope means no scaling; 1
 * and 0 are the identity).
 *
 * @throws {MalformedFileError} a valid slope with a non-finite intercept
 * @example
 * ```ts
 * import { niftiScaling, parseNiftiHeader } from "./nifti_header.ts";
 * const path = "sub-01_R2mean.nii";
 * const h = parseNiftiHeader(path, (await Deno.readFile(path)).subarray(0, 540));
 * console.log(niftiScaling(path, h) ?? "no scaling");
 * ```
 */
export function niftiScaling(
  path: string,
  h: NiftiHeader,
  refetch?: string,
): { slope: number; inter: number } | undefined {
  const s = h.sclSlope;
  if (!Number.isFinite(s) || s === 0) return undefined;
  const b = h.sclInter;
  if (!Number.isFinite(b)) {
    throw new MalformedFileError(path, `valid scl_slope ${s} but invalid scl_inter ${b}`, refetch);
  }
  if (s === 1 && b === 0) return undefined;
  return { slope: s, inter: b };
}

/**
 * The voxel type of a header's datatype, if the readers decode it.
 *
 * @throws {MalformedFileError} an unsupported datatype, listing the supported ones
 * @example
 * ```ts
 * import { parseNiftiHeader, voxelType } from "./nifti_header.ts";
 * const path = "sub-01_R2mean.nii";
 * const h = parseNiftiHeader(path, (await Deno.readFile(path)).subarray(0, 540));
 * console.log(voxelType(path, h).bytes);
 * ```
 */
export function voxelType(path: string, h: NiftiHeader, refetch?: string): VoxelType {
  const t = SUPPORTED[h.datatype];
  if (!t) {
    const valid = Object.entries(SUPPORTED).map(([c, v]) => `${c} (${v.name})`).join(", ");
    throw new MalformedFileError(
      path,
      `unsupported NIfTI datatype code ${h.datatype} (${
        typeName(h.datatype)
      }); supported: ${valid}`,
      refetch,
    );
  }
  return t;
}

/**
 * Bytes per voxel for a header: the datatype's size, or `bitpix / 8` when
 * the datatype is not one the readers decode (for messages only).
 */
export function bytesPerVoxel(h: NiftiHeader): number {
  return SUPPORTED[h.datatype]?.bytes ?? h.bitpix / 8;
}

/**
 * A typed-array view of one decoded volume (native byte order), in the
 * header's datatype. The datatype must be supported ({@linkcode voxelType}).
 *
 * @example
 * ```ts
 * import { parseNiftiHeader, typedView } from "./nifti_header.ts";
 * const path = "sub-01_R2mean.nii";
 * const bytes = await Deno.readFile(path);
 * const h = parseNiftiHeader(path, bytes.subarray(0, 540));
 * console.log(typedView(h, bytes.slice(h.voxOffset)).length);
 * ```
 */
export function typedView(h: NiftiHeader, bytes: Uint8Array): ArrayLike<number> {
  const vt = SUPPORTED[h.datatype];
  return new vt.View(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength / vt.bytes);
}

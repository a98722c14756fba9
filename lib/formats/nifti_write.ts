/**
 * A small writer for NIfTI-1 single files: gzip-compressed (`.nii.gz`) or
 * plain (`.nii`), as the extension says.
 *
 * Writes `sizeof_hdr` 348, magic `n+1`, `vox_offset` 352, little-endian,
 * `sform_code` 2 (the given affine), `qform_code` 0. Voxel data are taken in
 * NIfTI on-disk order (X fastest). Output goes to a temp file in the target
 * folder and is renamed into place, so nothing half-written is ever visible
 * at the final path. 4-D data can be streamed volume by volume.
 * @module
 */
import { createWriteStream } from "node:fs";
import { PassThrough } from "node:stream";
import { createGzip, gzip as gzipCb } from "node:zlib";
import { writeFileAtomic } from "../core/fs.ts";

/** NIfTI-1 datatype codes supported by the writer. */
export const NIFTI_DATATYPES = {
  uint8: 2,
  int16: 4,
  int32: 8,
  float32: 16,
  float64: 64,
  int8: 256,
  uint16: 512,
} as const;

/** A datatype name accepted by {@linkcode writeNifti1}. */
export type NiftiDatatype = keyof typeof NIFTI_DATATYPES;

/** Typed arrays the writer accepts as voxel data. */
export type NiftiTypedArray =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Float32Array
  | Float64Array;

const BYTES: Record<NiftiDatatype, number> = {
  uint8: 1,
  int16: 2,
  int32: 4,
  float32: 4,
  float64: 8,
  int8: 1,
  uint16: 2,
};

/** Options of {@linkcode writeNifti1} and {@linkcode buildNifti1Header}. */
export interface Nifti1WriteOptions {
  /** Image dimensions, 1 to 7 entries, e.g. `[X, Y, Z]` or `[X, Y, Z, T]`. */
  dims: readonly number[];
  /** On-disk datatype. The typed array(s) must match it. */
  datatype: NiftiDatatype;
  /**
   * Voxel data in NIfTI on-disk order (X fastest), either one typed array
   * holding all voxels, or a producer called once per volume (index
   * `0..T-1` over the 4th dimension) returning that volume's
   * `X*Y*Z` values. A producer lets 4-D data be streamed without holding
   * the whole array. While volume `t` is produced, volume `t-1` may still be
   * compressing, so a buffer returned for `t` may be refilled at `t+2` at the
   * earliest (two buffers alternating are safe).
   */
  data: NiftiTypedArray | ((volume: number) => NiftiTypedArray | Promise<NiftiTypedArray>);
  /** 4x4 (or 3x4) voxel-to-world affine, row-major; written as sform (code 2). */
  affine: readonly (readonly number[])[];
  /** `scl_slope`. @default NaN (no scaling, as nibabel writes unscaled images) */
  sclSlope?: number;
  /** `scl_inter`. @default NaN (no scaling) */
  sclInter?: number;
  /** `descrip` header text (at most 79 ASCII characters). @default "" */
  description?: string;
  /** gzip level 0-9 (`.nii.gz` only). @default 6 */
  level?: number;
  /** Aborts the write; the temp file is removed. */
  signal?: AbortSignal;
}

/**
 * Builds the 352 bytes written before the voxel data: the 348-byte NIfTI-1
 * header plus 4 zero extension bytes.
 *
 * @example
 * ```ts
 * import { buildNifti1Header } from "./nifti_write.ts";
 * const h = buildNifti1Header({
 *   dims: [2, 2, 2], datatype: "uint8", data: new Uint8Array(8),
 *   affine: [[1.8, 0, 0, -90], [0, 1.8, 0, -126], [0, 0, 1.8, -72], [0, 0, 0, 1]],
 * });
 * console.log(h.length); // 352
 * ```
 */
export function buildNifti1Header(
  options: Omit<Nifti1WriteOptions, "data"> & {
    data?: unknown;
  },
): Uint8Array {
  const { dims, datatype, affine } = options;
  if (!(datatype in NIFTI_DATATYPES)) {
    throw new RangeError(
      `Unknown NIfTI datatype ${JSON.stringify(datatype)}. Valid: ${
        Object.keys(NIFTI_DATATYPES).join(", ")
      }`,
    );
  }
  if (dims.length < 1 || dims.length > 7) {
    throw new RangeError(`dims must have 1 to 7 entries, got ${dims.length}`);
  }
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 1 || d > 32767) {
      throw new RangeError(`Invalid dimension ${d} in dims ${JSON.stringify(dims)}`);
    }
  }
  if (affine.length < 3 || affine.slice(0, 3).some((r) => r.length !== 4)) {
    throw new RangeError("affine must be 3x4 or 4x4 (row-major)");
  }
  const buf = new ArrayBuffer(352);
  const v = new DataView(buf);
  const u8 = new Uint8Array(buf);
  v.setInt32(0, 348, true); // sizeof_hdr
  u8[38] = 0x72; // regular = 'r'
  v.setInt16(40, dims.length, true);
  for (let i = 0; i < 7; i++) v.setInt16(42 + 2 * i, dims[i] ?? 1, true);
  v.setInt16(70, NIFTI_DATATYPES[datatype], true);
  v.setInt16(72, BYTES[datatype] * 8, true);
  // pixdim: qfac, then voxel sizes from the affine columns, TR 1 s
  v.setFloat32(76, 1, true);
  for (let c = 0; c < 3; c++) {
    const n = Math.hypot(affine[0][c], affine[1][c], affine[2][c]);
    v.setFloat32(80 + 4 * c, n, true);
  }
  for (let c = 3; c < 7; c++) v.setFloat32(80 + 4 * c, 1, true);
  v.setFloat32(108, 352, true); // vox_offset
  v.setFloat32(112, options.sclSlope ?? NaN, true);
  v.setFloat32(116, options.sclInter ?? NaN, true);
  u8[123] = 2 | 8; // xyzt_units: mm, s
  const desc = new TextEncoder().encode((options.description ?? "").slice(0, 79));
  u8.set(desc, 148);
  v.setInt16(252, 0, true); // qform_code
  v.setInt16(254, 2, true); // sform_code (aligned)
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 4; c++) v.setFloat32(280 + 16 * r + 4 * c, affine[r][c], true);
  }
  u8.set([0x6e, 0x2b, 0x31, 0x00], 344); // "n+1\0"
  return u8;
}

function checkArray(a: NiftiTypedArray, datatype: NiftiDatatype, n: number, what: string): void {
  const ok = (datatype === "uint8" && a instanceof Uint8Array) ||
    (datatype === "int8" && a instanceof Int8Array) ||
    (datatype === "int16" && a instanceof Int16Array) ||
    (datatype === "uint16" && a instanceof Uint16Array) ||
    (datatype === "int32" && a instanceof Int32Array) ||
    (datatype === "float32" && a instanceof Float32Array) ||
    (datatype === "float64" && a instanceof Float64Array);
  if (!ok) {
    throw new TypeError(`${what}: ${a.constructor.name} does not match datatype ${datatype}`);
  }
  if (a.length !== n) throw new RangeError(`${what}: expected ${n} values, got ${a.length}`);
}

function bytesOf(a: NiftiTypedArray): Uint8Array {
  // The host is little-endian (x86_64/aarch64), as is the file.
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * Whether a NIfTI path is gzipped, from its extension: `.nii.gz` is gzip,
 * `.nii` is plain (a reader trusts the name, so the bytes must match it).
 *
 * @throws {TypeError} for any other extension (names the path)
 * @example
 * ```ts
 * import { niftiCompression } from "./nifti_write.ts";
 * niftiCompression("x.nii"); // false
 * niftiCompression("x.nii.gz"); // true
 * ```
 */
export function niftiCompression(path: string): boolean {
  const lower = path.toLowerCase();
  if (lower.endsWith(".nii.gz")) return true;
  if (lower.endsWith(".nii")) return false;
  throw new TypeError(
    `NIfTI path "${path}" must end in ".nii" (plain) or ".nii.gz" (gzip).`,
  );
}

/**
 * Writes a NIfTI-1 file, gzip-compressed for `.nii.gz` and plain for `.nii`
 * (see {@linkcode niftiCompression}). The data go to a temp file in the
 * same folder, which is renamed to `path` when complete.
 *
 * @example
 * ```ts
 * import { writeNifti1 } from "@laion/fmri/formats";
 * const affine = [[1.8, 0, 0, -9.9], [0, 1.8, 0, -11.7], [0, 0, 1.8, -8.1], [0, 0, 0, 1]];
 * // 3-D uint8 mask
 * await writeNifti1("/tmp/mask.nii.gz", {
 *   dims: [12, 14, 10], datatype: "uint8", data: new Uint8Array(12 * 14 * 10), affine,
 * });
 * // 4-D, streamed volume by volume
 * await writeNifti1("/tmp/betas.nii.gz", {
 *   dims: [12, 14, 10, 50], datatype: "float32", affine, level: 1,
 *   data: (t) => new Float32Array(12 * 14 * 10).fill(t),
 * });
 * ```
 */
export async function writeNifti1(path: string, options: Nifti1WriteOptions): Promise<void> {
  const gzip = niftiCompression(path);
  const header = buildNifti1Header(options);
  const { dims, datatype, data, signal } = options;
  const level = options.level ?? 6;
  signal?.throwIfAborted();
  const nVox3 = (dims[0] ?? 1) * (dims[1] ?? 1) * (dims[2] ?? 1);
  const nVolumes = dims.slice(3).reduce((a, b) => a * b, 1);
  if (typeof data !== "function") {
    checkArray(data, datatype, nVox3 * nVolumes, path);
    const raw = new Uint8Array(352 + data.byteLength);
    raw.set(header, 0);
    raw.set(bytesOf(data), 352);
    const bytes = !gzip
      ? raw
      : await new Promise<Uint8Array>((resolve, reject) =>
        gzipCb(raw, { level }, (err, out) => err ? reject(err) : resolve(out))
      );
    await writeFileAtomic(path, bytes, { signal });
  } else {
    await writeFileAtomic(
      path,
      (tmp) =>
        streamVolumes(
          tmp,
          header,
          data,
          nVox3,
          nVolumes,
          datatype,
          gzip ? level : undefined,
          signal,
        ),
      { signal },
    );
  }
}

async function streamVolumes(
  tmp: string,
  header: Uint8Array,
  produce: (volume: number) => NiftiTypedArray | Promise<NiftiTypedArray>,
  nVox3: number,
  nVolumes: number,
  datatype: NiftiDatatype,
  level: number | undefined,
  signal: AbortSignal | undefined,
): Promise<void> {
  // Without a level the file is plain: a pass-through stands in for gzip.
  const gz = level === undefined
    ? new PassThrough()
    : createGzip({ level, chunkSize: 1 << 20, memLevel: 9 });
  const out = createWriteStream(tmp);
  const done = new Promise<void>((resolve, reject) => {
    out.on("finish", () => resolve());
    out.on("error", reject);
    gz.on("error", reject);
  });
  gz.pipe(out);
  const writeChunk = (chunk: Uint8Array) =>
    new Promise<void>((resolve, reject) => {
      gz.write(chunk, (err) => err ? reject(err) : resolve());
    });
  // One chunk may be in flight while the next volume is produced.
  let pending: Promise<void> = writeChunk(header);
  try {
    for (let t = 0; t < nVolumes; t++) {
      signal?.throwIfAborted();
      const vol = await produce(t);
      checkArray(vol, datatype, nVox3, `${tmp} volume ${t}`);
      await pending;
      pending = writeChunk(bytesOf(vol));
    }
    await pending;
    gz.end();
    await done;
  } catch (e) {
    gz.destroy();
    // The file may still be opening: wait until it is closed, or the temp
    // file would appear after the caller removed it.
    const closed = new Promise<void>((resolve) => out.once("close", () => resolve()));
    out.destroy();
    if (!out.closed) await closed;
    throw e;
  }
}

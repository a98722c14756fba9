/**
 * Gathering arbitrary rows of a numeric HDF5 dataset (float16 included) in
 * the caller's order, duplicates allowed: straight from the file for a
 * contiguous dataset (its offset parsed by hdf5_layout.ts), else through
 * HDF5 (h5wasm). HDF5 (and h5py's fancy indexing)
 * wants increasing, duplicate-free selections; here the wanted rows are
 * deduplicated and sorted, read as a few contiguous blocks (nearby rows
 * share a block), and copied out in the order asked for.
 * @module
 */
import { MalformedFileError } from "../core/errors.ts";
import { ELEMENT_SIZE, type Hdf5Dtype, type Hdf5NumericArray } from "./hdf5_types.ts";
import { type Hdf5File, TYPED_ARRAY_OF } from "./hdf5.ts";
import { type Hdf5ContiguousLayout, hdf5ContiguousLayout } from "./hdf5_layout.ts";

/** Options of {@linkcode readHdf5Rows}. */
export interface Hdf5RowsOptions {
  /**
   * Rows read in one block at most; also the largest gap of unwanted rows
   * read through rather than starting a new block.
   * @default 4096 rows per block, gaps of up to 32 rows
   */
  blockRows?: number;
  /** Largest gap of unwanted rows read through. @default 32 */
  maxGap?: number;
  /** Checked between blocks. */
  signal?: AbortSignal;
}

/** Rows gathered by {@linkcode readHdf5Rows}: `rows.length * rowLength` values, C order. */
export interface Hdf5Rows<T extends Hdf5NumericArray = Hdf5NumericArray> {
  /** The values, row after row in the order asked for. */
  data: T;
  /** Values per row (the product of the dimensions after the first). */
  rowLength: number;
}

/**
 * Reads the rows `rows` (first-axis indices, any order, repeats allowed) of
 * a numeric dataset. Float16 datasets give a `Float16Array`.
 *
 * @throws {RangeError} when an index is not an integer in `[0, shape[0])`
 * @throws {MalformedFileError} when the dataset is missing or not numeric
 * @example
 * ```ts
 * import { Hdf5File } from "@laion/fmri/formats";
 * import { readHdf5Rows } from "./hdf5_rows.ts";
 * using f = await Hdf5File.open("task-images_desc-CLIP_embeddings.h5");
 * const { data, rowLength } = readHdf5Rows(f, "embedding", [7, 2, 7]);
 * // data: Float16Array of 3 * rowLength values, rows 7, 2, 7
 * ```
 */
export function readHdf5Rows(
  file: Hdf5File,
  name: string,
  rows: ArrayLike<number>,
  options: Hdf5RowsOptions = {},
): Hdf5Rows {
  const info = file.info(name);
  if (info.dtype === "vlen-str" || info.dtype === "vlen-uint8") {
    throw new TypeError(`readHdf5Rows reads numeric datasets; ${name} is ${info.dtype}`);
  }
  const nRows = info.shape[0] ?? 0;
  const rowLength = info.shape.slice(1).reduce((a, b) => a * b, 1);
  const blockRows = Math.max(1, options.blockRows ?? 4096);
  const maxGap = Math.max(0, options.maxGap ?? 32);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (!Number.isInteger(r) || r < 0 || r >= nRows) {
      throw new RangeError(
        `row ${r} (position ${i}) outside dataset ${JSON.stringify(name)} of ${nRows} rows`,
      );
    }
  }
  const unique = Int32Array.from(new Set(Array.from(rows))).sort();
  // Where each wanted row lands in the block buffer that holds it.
  const first = file.read(name, { rows: [0, 0] }) as Hdf5NumericArray;
  const Ctor = first.constructor as { new (n: number): Hdf5NumericArray };
  const out = new Ctor(rows.length * rowLength);
  const slot = new Map<number, number[]>();
  for (let i = 0; i < rows.length; i++) {
    const list = slot.get(rows[i]);
    if (list) list.push(i);
    else slot.set(rows[i], [i]);
  }
  let i = 0;
  while (i < unique.length) {
    options.signal?.throwIfAborted();
    const start = unique[i];
    let j = i;
    while (
      j + 1 < unique.length && unique[j + 1] - unique[j] - 1 <= maxGap &&
      unique[j + 1] - start < blockRows
    ) j++;
    const end = unique[j] + 1;
    const block = file.read(name, { rows: [start, end] }) as Hdf5NumericArray;
    for (let k = i; k <= j; k++) {
      const r = unique[k];
      // deno-lint-ignore no-explicit-any
      const src = (block as any).subarray((r - start) * rowLength, (r - start + 1) * rowLength);
      // deno-lint-ignore no-explicit-any
      for (const at of slot.get(r)!) (out as any).set(src, at * rowLength);
    }
    i = j + 1;
  }
  return { data: out, rowLength };
}

/** Options of {@linkcode readContiguousRows}. */
export interface ContiguousRowsOptions {
  /** Largest gap of unwanted bytes read through rather than starting a new read. @default 65536 */
  maxGapBytes?: number;
  /** Largest single read in bytes. @default 8 MiB */
  blockBytes?: number;
}

/**
 * The layout of a contiguous numeric dataset of a local file, or `null`
 * when it is stored otherwise (chunked, compact) and must be read through
 * HDF5. Reads the head of the file, growing it until the metadata fits.
 *
 * @example
 * ```ts
 * import { contiguousLayoutOf } from "./hdf5_rows.ts";
 * const layout = await contiguousLayoutOf("task-images_desc-CLIP_embeddings.h5", "embedding");
 * ```
 */
export async function contiguousLayoutOf(
  path: string,
  dataset: string,
  options: { signal?: AbortSignal } = {},
): Promise<Hdf5ContiguousLayout | null> {
  using file = await Deno.open(path);
  const size = (await file.stat()).size;
  for (let want = Math.min(size, 65536);; want = Math.min(size, want * 4)) {
    options.signal?.throwIfAborted();
    const head = new Uint8Array(want);
    await file.seek(0, Deno.SeekMode.Start);
    let n = 0;
    for (let r; n < want && (r = await file.read(head.subarray(n))) !== null;) n += r;
    let layout: Hdf5ContiguousLayout | null;
    try {
      layout = hdf5ContiguousLayout(head.subarray(0, n), dataset, { file: path });
    } catch (e) {
      if (e instanceof MalformedFileError && /not contiguous/.test(e.message)) return null;
      throw e;
    }
    if (layout) {
      if (layout.offset + layout.byteLength > size) {
        throw new MalformedFileError(path, `dataset ${dataset} runs past the end of the file`);
      }
      return layout;
    }
    if (want >= size) return null;
  }
}

/**
 * Rows of a contiguous dataset read straight from the file (no HDF5 call):
 * wanted rows are deduplicated, sorted, grouped into reads that skip large
 * gaps, and copied out in the order asked for (repeats allowed).
 *
 * @throws {RangeError} when an index is not an integer in `[0, shape[0])`
 * @example
 * ```ts
 * import { contiguousLayoutOf, readContiguousRows } from "./hdf5_rows.ts";
 * const path = "task-images_desc-CLIP_embeddings.h5";
 * const layout = (await contiguousLayoutOf(path, "embedding"))!;
 * using f = Deno.openSync(path);
 * const { data } = readContiguousRows(f, layout, [5, 1, 5]); // Float16Array, 3 rows
 * ```
 */
export function readContiguousRows(
  file: Deno.FsFile,
  layout: Hdf5ContiguousLayout,
  rows: ArrayLike<number>,
  options: ContiguousRowsOptions = {},
): Hdf5Rows {
  const nRows = layout.shape[0] ?? 0;
  const rb = layout.rowBytes;
  const rowLength = rb / ELEMENT_SIZE[layout.dtype as Hdf5Dtype];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (!Number.isInteger(r) || r < 0 || r >= nRows) {
      throw new RangeError(
        `row ${r} (position ${i}) outside dataset ${JSON.stringify(layout.name)} of ${nRows} rows`,
      );
    }
  }
  const maxGap = Math.floor((options.maxGapBytes ?? 65536) / Math.max(1, rb));
  const blockRows = Math.max(1, Math.floor((options.blockBytes ?? 8 << 20) / Math.max(1, rb)));
  const unique = Int32Array.from(new Set(Array.from(rows))).sort();
  const out = new Uint8Array(rows.length * rb);
  const slot = new Map<number, number[]>();
  for (let i = 0; i < rows.length; i++) {
    const list = slot.get(rows[i]);
    if (list) list.push(i);
    else slot.set(rows[i], [i]);
  }
  for (let i = 0; i < unique.length;) {
    const start = unique[i];
    let j = i;
    while (
      j + 1 < unique.length && unique[j + 1] - unique[j] - 1 <= maxGap &&
      unique[j + 1] - start < blockRows
    ) j++;
    const end = unique[j] + 1;
    const block = new Uint8Array((end - start) * rb);
    file.seekSync(layout.offset + start * rb, Deno.SeekMode.Start);
    let n = 0;
    for (let r; n < block.length && (r = file.readSync(block.subarray(n))) !== null;) n += r;
    if (n < block.length) {
      throw new MalformedFileError(layout.name, `short read at row ${start} (file truncated?)`);
    }
    for (let k = i; k <= j; k++) {
      const r = unique[k];
      const src = block.subarray((r - start) * rb, (r - start + 1) * rb);
      for (const at of slot.get(r)!) out.set(src, at * rb);
    }
    i = j + 1;
  }
  const Ctor = TYPED_ARRAY_OF[layout.dtype];
  return { data: new Ctor(out.buffer), rowLength };
}

/**
 * Gathering arbitrary rows of a numeric HDF5 dataset (float16 included) in
 * the caller's order, duplicates allowed. HDF5 (and h5py's fancy indexing)
 * wants increasing, duplicate-free selections; here the wanted rows are
 * deduplicated and sorted, read as a few contiguous blocks (nearby rows
 * share a block), and copied out in the order asked for.
 * @module
 */
import type { Hdf5NumericArray } from "./hdf5_encode.ts";
import type { Hdf5File } from "./hdf5.ts";

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
 * import { Hdf5File } from "./hdf5.ts";
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

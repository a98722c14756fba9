/**
 * Rows of a GLMsingle model file (`…_desc-GLMsingle_model.h5`) without
 * reading the whole file: its `betasmd` dataset is float32
 * `(n_voxels, 1, 1, n_trials)`, stored contiguous, one row per voxel of the
 * anatomical brain mask in C-order. The metadata is parsed from the first
 * bytes, then only the wanted rows are read, neighbouring rows coalesced,
 * from any {@linkcode ByteSource} (a local file or an S3 object).
 * @module
 */
import type { ByteSource } from "../core/byte_source.ts";
import { MalformedFileError } from "../core/errors.ts";
import { HOST_LITTLE_ENDIAN } from "./byte_order.ts";
import { type Hdf5ContiguousLayout, hdf5ContiguousLayout } from "./hdf5_layout.ts";

/** Options of {@linkcode readModelRows}. */
export interface ModelRowsOptions {
  /** The dataset. @default "betasmd" */
  dataset?: string;
  /** Bytes read first for the metadata; doubled until it fits. @default 65536 */
  headBytes?: number;
  /** Stops the reads. */
  signal?: AbortSignal;
}

/** Rows of a model file, laid out like a beta matrix. */
export interface ModelRows {
  /** Trials x rows, row-major: `values[t * rows.length + j]` is trial t of row `rows[j]`. */
  values: Float32Array;
  /** Number of trials (the last axis). */
  nTrials: number;
  /** Number of rows in the file (voxels of the mask). */
  nRows: number;
  /** Where the dataset lies in the file. */
  layout: Hdf5ContiguousLayout;
}

/**
 * Where the dataset lies: parsed from the head of the file, read in growing
 * pieces until the metadata fits.
 *
 * @example
 * ```ts
 * import { FileByteSource, readModelLayout } from "@laion/fmri/formats";
 * const layout = await readModelLayout(new FileByteSource("model.h5"));
 * console.log(layout.shape); // [n_voxels, 1, 1, n_trials]
 * ```
 */
export async function readModelLayout(
  source: ByteSource,
  options: ModelRowsOptions = {},
): Promise<Hdf5ContiguousLayout> {
  const dataset = options.dataset ?? "betasmd";
  const size = await source.size(options);
  let head = new Uint8Array(0);
  for (let n = Math.min(options.headBytes ?? 65536, size);; n = Math.min(n * 2, size)) {
    // Read only the bytes past what was read before.
    const [more] = await source.read([{ offset: head.length, length: n - head.length }], options);
    const grown = new Uint8Array(n);
    grown.set(head);
    grown.set(more, head.length);
    head = grown;
    const layout = hdf5ContiguousLayout(head, dataset, { file: source.name });
    if (layout) {
      if (layout.dtype !== "float32") {
        throw new MalformedFileError(source.name, `${dataset} is ${layout.dtype}, not float32`);
      }
      if (layout.offset + layout.byteLength > size) {
        throw new MalformedFileError(
          source.name,
          `${dataset} reaches byte ${layout.offset + layout.byteLength}, past the end (${size})`,
        );
      }
      return layout;
    }
    if (n >= size) {
      throw new MalformedFileError(source.name, `cannot find ${dataset}'s storage in the file`);
    }
  }
}

/**
 * The rows `rows` (voxel indices into the dataset's first axis) as a
 * trials x rows Float32Array, reading only those rows' bytes.
 *
 * @throws {RangeError} when a row is outside the dataset
 * @example
 * ```ts
 * import { FileByteSource, readModelRows } from "@laion/fmri/formats";
 * const { values, nTrials } = await readModelRows(new FileByteSource("model.h5"), [10, 11, 500]);
 * ```
 */
export async function readModelRows(
  source: ByteSource,
  rows: ArrayLike<number>,
  options: ModelRowsOptions & { layout?: Hdf5ContiguousLayout } = {},
): Promise<ModelRows> {
  const layout = options.layout ?? await readModelLayout(source, options);
  const nRows = layout.shape[0];
  const nTrials = layout.rowBytes / 4;
  const ranges = Array.from(rows, (r) => {
    if (!Number.isInteger(r) || r < 0 || r >= nRows) {
      throw new RangeError(`row ${r} is outside ${source.name}'s ${nRows} rows`);
    }
    return { offset: layout.offset + r * layout.rowBytes, length: layout.rowBytes };
  });
  const chunks = await source.read(ranges, options);
  const nCols = ranges.length;
  const values = new Float32Array(nTrials * nCols);
  for (let j = 0; j < nCols; j++) {
    const c = chunks[j];
    // Copy to an aligned buffer: a subarray of a coalesced read may start at any byte.
    const row = HOST_LITTLE_ENDIAN && c.byteOffset % 4 === 0
      ? new Float32Array(c.buffer, c.byteOffset, nTrials)
      : new Float32Array(c.slice().buffer);
    for (let t = 0; t < nTrials; t++) values[t * nCols + j] = row[t];
  }
  return { values, nTrials, nRows, layout };
}

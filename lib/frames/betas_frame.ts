/**
 * Typed arrays to Polars without per-value JavaScript loops: a row-major
 * Float32Array becomes a fixed-width `array[f32, n]` column through one
 * Arrow IPC buffer.
 * @module
 */
import * as arrow from "apache-arrow";
import type { DataFrame } from "nodejs-polars";
import { loadPolars, type Polars } from "./polars.ts";

/**
 * A one-column DataFrame whose rows are consecutive `width`-long slices of
 * `values` (a fixed-size list of Float32 per row).
 *
 * @example
 * ```ts
 * import { fixedWidthColumn } from "./lib/frames/betas_frame.ts";
 * const df = await fixedWidthColumn("betas", new Float32Array([1, 2, 3, 4]), 2);
 * console.log(df.shape); // { height: 2, width: 1 }
 * ```
 */
export async function fixedWidthColumn(
  name: string,
  values: Float32Array,
  width: number,
  rows: number = width === 0 ? 0 : values.length / width,
): Promise<DataFrame> {
  return fixedWidthColumnWith(await loadPolars(), name, values, width, rows);
}

/**
 * Synchronous {@linkcode fixedWidthColumn} with Polars already loaded (for
 * building a frame chunk by chunk while a file streams). Copies `values`.
 */
export function fixedWidthColumnWith(
  pl: Polars,
  name: string,
  values: Float32Array,
  width: number,
  rows: number = width === 0 ? 0 : values.length / width,
): DataFrame {
  if (!Number.isInteger(rows) || rows * width !== values.length) {
    throw new RangeError(`values.length ${values.length} is not ${rows} rows of width ${width}`);
  }
  if (width === 0) {
    // Polars has no zero-width array type: an empty selection gives empty lists.
    const empty = Array.from({ length: rows }, () => [] as number[]);
    return pl.DataFrame([pl.Series(name, empty, pl.List(pl.Float32))]);
  }
  const child = arrow.makeData({
    type: new arrow.Float32(),
    length: values.length,
    nullCount: 0,
    data: values,
  });
  const type = new arrow.FixedSizeList(width, new arrow.Field("item", new arrow.Float32(), false));
  const list = arrow.makeData({ type, length: rows, nullCount: 0, child });
  const ipc = arrow.tableToIPC(new arrow.Table({ [name]: arrow.makeVector(list) }), "file");
  return pl.readIPC(Buffer.from(ipc.buffer, ipc.byteOffset, ipc.byteLength));
}

/**
 * A DataFrame from integer typed arrays (one column each), without copying
 * through JavaScript numbers.
 *
 * @example
 * ```ts
 * import { intColumns } from "./lib/frames/betas_frame.ts";
 * const df = await intColumns({ i: new Int32Array([1, 2]) });
 * ```
 */
export async function intColumns(columns: Record<string, Int32Array>): Promise<DataFrame> {
  const pl = await loadPolars();
  return pl.DataFrame(Object.entries(columns).map(([n, v]) => pl.Series(n, v)));
}

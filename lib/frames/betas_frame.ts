/**
 * Typed arrays to Polars without per-value JavaScript loops: a row-major
 * Float32Array becomes a list column, fixed-width `array[f32, n]` (a flat
 * Series reshaped) or variable-width (through one Arrow IPC buffer). Arrow and Polars are loaded
 * on first use, so programs that build no DataFrame pay for neither.
 * @module
 */
import type * as Arrow from "npm:apache-arrow@21.2.0";
import type { DataFrame } from "./polars.ts";
import { loadPolars, type Polars } from "./polars.ts";

/** Polars and Arrow, loaded. */
export interface Frames {
  /** The Polars namespace. */
  pl: Polars;
  /** The Arrow namespace. */
  arrow: typeof Arrow;
}

let frames: Promise<Frames> | undefined;

/**
 * Loads Polars and Arrow once (Polars needs `--allow-ffi`).
 *
 * @example
 * ```ts
 * import { loadFrames } from "./betas_frame.ts";
 * const { pl } = await loadFrames();
 * ```
 */
export function loadFrames(): Promise<Frames> {
  frames ??= Promise.all([loadPolars(), import("npm:apache-arrow@21.2.0")]).then(([pl, arrow]) => ({
    pl,
    arrow,
  })).catch((e) => {
    frames = undefined;
    throw e;
  });
  return frames;
}

/** One Arrow list column, given its type and child data, read into Polars. */
function listColumn(
  { pl, arrow }: Frames,
  name: string,
  values: Float32Array,
  type: Arrow.List<Arrow.Float32>,
  rows: number,
  valueOffsets?: Int32Array,
): DataFrame {
  const child = arrow.makeData({
    type: new arrow.Float32(),
    length: values.length,
    nullCount: 0,
    data: values,
  });
  const list = arrow.makeData({ type, length: rows, nullCount: 0, child, valueOffsets } as never);
  const ipc = arrow.tableToIPC(new arrow.Table({ [name]: arrow.makeVector(list) }), "file");
  return pl.readIPC(Buffer.from(ipc.buffer, ipc.byteOffset, ipc.byteLength));
}

/**
 * A one-column DataFrame whose rows are consecutive `width`-long slices of
 * `values` (a fixed-size list of Float32 per row).
 *
 * @example
 * ```ts
 * import { fixedWidthColumn } from "./betas_frame.ts";
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
  return fixedWidthColumnWith(await loadFrames(), name, values, width, rows);
}

/**
 * Synchronous {@linkcode fixedWidthColumn} with Polars and Arrow already
 * loaded (for building a frame chunk by chunk while a file streams).
 * Copies `values`.
 */
export function fixedWidthColumnWith(
  f: Frames,
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
    return variableWidthColumnWith(f, name, values, new Int32Array(rows + 1));
  }
  // One copy into Polars, then a zero-copy reshape. Through Arrow IPC it took two copies, and
  // fresh memory is what costs on our VMs: 9.7 s against 4.0 s for a whole brain (1.1 GB).
  const { pl } = f;
  return pl.DataFrame([pl.Series(name, values)]).select(pl.col(name).reshape([rows, width]));
}

/**
 * A one-column DataFrame of Float32 lists: row `r` is
 * `values[offsets[r] .. offsets[r + 1])`.
 *
 * @example
 * ```ts
 * import { loadFrames, variableWidthColumnWith } from "./betas_frame.ts";
 * const df = variableWidthColumnWith(await loadFrames(), "x", new Float32Array([1, 2, 3]), new Int32Array([0, 1, 3]));
 * ```
 */
export function variableWidthColumnWith(
  f: Frames,
  name: string,
  values: Float32Array,
  offsets: Int32Array,
): DataFrame {
  const { arrow } = f;
  const type = new arrow.List(new arrow.Field("item", new arrow.Float32(), false));
  return listColumn(f, name, values, type, offsets.length - 1, offsets);
}

/**
 * A DataFrame from integer typed arrays (one column each), without copying
 * through JavaScript numbers.
 *
 * @example
 * ```ts
 * import { intColumns } from "./betas_frame.ts";
 * const df = await intColumns({ i: new Int32Array([1, 2]) });
 * ```
 */
export async function intColumns(columns: Record<string, Int32Array>): Promise<DataFrame> {
  const pl = await loadPolars();
  return pl.DataFrame(Object.entries(columns).map(([n, v]) => pl.Series(n, v)));
}

/**
 * A bounded notebook display of Polars DataFrames: the shape, the first
 * rows, the first columns, and for list/array columns (the `betas` column)
 * only the first values of each row. Polars' own display limits rows but
 * not columns or list widths, so a whole-brain betas frame took 45 s and
 * 5 GB to show.
 * @module
 */
import type { DataFrame, DataType } from "npm:nodejs-polars@0.25.2";
import { type DisplayBundle, escapeHtml, JUPYTER_DISPLAY } from "../core/display.ts";
import type { Polars } from "./polars.ts";

/** Limits of {@linkcode framePreviewBundle}. */
export interface FramePreviewOptions {
  /** Rows shown. @default 5 */
  rows?: number;
  /** Columns shown. @default 8 */
  columns?: number;
  /** Values shown of each list/array cell. @default 5 */
  items?: number;
  /** Characters shown of each other cell. @default 80 */
  chars?: number;
}

/**
 * True for a Polars DataFrame (duck-typed: `nodejs-polars` builds frames as
 * plain objects, so there is no class to test against).
 *
 * @example
 * ```ts
 * import { isDataFrame } from "./frame_display.ts";
 * isDataFrame({}); // false
 * ```
 */
export function isDataFrame(v: unknown): v is DataFrame {
  const o = v as Partial<DataFrame> | null;
  return typeof o === "object" && o !== null && typeof o.getColumn === "function" &&
    typeof o.select === "function" && typeof o.height === "number" && Array.isArray(o.columns);
}

type Dtype = DataType & { variant: string; inner?: unknown[] };

/** `Float32`, `List(Float32)`, `Array(Float32, 272000)`. */
function dtypeName(d: Dtype): string {
  if (d.variant === "List") return `List(${dtypeName(d.inner![0] as Dtype)})`;
  if (d.variant === "FixedSizeList") {
    return `Array(${dtypeName(d.inner![0] as Dtype)}, ${d.inner![1]})`;
  }
  return d.variant;
}

function clip(s: string, chars: number): string {
  return s.length > chars ? `${s.slice(0, chars - 1)}…` : s;
}

/** The first `rows` cells of one column, as short strings; lists read only `items` values. */
function cells(pl: Polars, head: DataFrame, name: string, items: number, chars: number): string[] {
  const dtype = head.getColumn(name).dtype as Dtype;
  if (dtype.variant !== "List" && dtype.variant !== "FixedSizeList") {
    return head.getColumn(name).toArray().map((v) =>
      clip(typeof v === "string" ? v : v === null ? "null" : String(v), chars)
    );
  }
  // Only `items` values per row cross into JavaScript, however wide the list.
  let list = pl.col(name);
  if (dtype.variant === "FixedSizeList") list = list.cast(pl.List(dtype.inner![0] as DataType));
  const part = head.select(list.lst.head(items).alias("h"), list.lst.lengths().alias("n"));
  const firsts = part.getColumn("h").toArray() as unknown as ArrayLike<unknown>[];
  const lengths = part.getColumn("n").toArray() as number[];
  return firsts.map((vals, r) => {
    const shown = Array.from(vals ?? [], (v) => clip(String(v), 12)).join(", ");
    const more = Number(lengths[r]) - (vals?.length ?? 0);
    return `[${shown}${more > 0 ? `, … ${more} more` : ""}]`;
  });
}

/**
 * A small display bundle (text and HTML) of a DataFrame of any size.
 *
 * @example
 * ```ts
 * import { framePreviewBundle } from "./frame_display.ts";
 * import { loadPolars } from "./polars.ts";
 * const pl = await loadPolars();
 * const bundle = framePreviewBundle(pl, pl.DataFrame({ a: [1, 2] }));
 * console.log(bundle["text/plain"]); // "shape: (2, 1)\n..."
 * ```
 */
export function framePreviewBundle(
  pl: Polars,
  df: DataFrame,
  options: FramePreviewOptions = {},
): DisplayBundle {
  const { rows = 5, columns = 8, items = 5, chars = 80 } = options;
  const names = df.columns.slice(0, columns);
  const head = df.select(...names).head(rows);
  const body = names.map((n) => cells(pl, head, n, items, chars));
  const types = names.map((n) => dtypeName(df.getColumn(n).dtype as Dtype));
  const moreCols = df.width - names.length;
  const moreRows = df.height - head.height;
  const shape = `shape: (${df.height}, ${df.width})`;
  const notes = [
    moreRows > 0 ? `… ${moreRows} more rows` : "",
    moreCols > 0 ? `… ${moreCols} more columns` : "",
  ].filter(Boolean);

  const table = [names, types, ...head.height ? body[0].map((_, r) => body.map((c) => c[r])) : []];
  const widths = names.map((_, c) => Math.max(...table.map((row) => row[c].length)));
  const line = (row: string[]) => row.map((v, c) => v.padEnd(widths[c])).join(" | ").trimEnd();
  const plain = [shape, ...names.length ? table.map(line) : [], ...notes].join("\n");

  const th = names.map((n, c) =>
    `<th>${escapeHtml(n)}<br><small>${escapeHtml(types[c])}</small></th>`
  ).join("");
  const trs = body.length && head.height
    ? body[0].map((_, r) => `<tr>${body.map((c) => `<td>${escapeHtml(c[r])}</td>`).join("")}</tr>`)
      .join("")
    : "";
  const html = `<div><small>${escapeHtml(shape)}</small><table><thead><tr>${th}</tr></thead>` +
    `<tbody>${trs}</tbody></table>${
      notes.map((n) => `<small>${escapeHtml(n)}</small><br>`).join("")
    }</div>`;
  return { "text/plain": plain, "text/html": html };
}

/**
 * Gives a DataFrame instance the bounded notebook display of
 * {@linkcode framePreviewBundle} (frames derived from it by Polars
 * operations get Polars' own display again). Returns the same frame.
 *
 * @example
 * ```ts
 * import { withBoundedDisplay } from "./frame_display.ts";
 * import { loadPolars } from "./polars.ts";
 * const pl = await loadPolars();
 * const df = withBoundedDisplay(pl, pl.DataFrame({ a: [1, 2] }));
 * ```
 */
export function withBoundedDisplay<T extends DataFrame>(
  pl: Polars,
  df: T,
  options?: FramePreviewOptions,
): T {
  Object.defineProperty(df, JUPYTER_DISPLAY, {
    value: () => framePreviewBundle(pl, df, options),
    configurable: true,
    writable: true,
  });
  return df;
}

/**
 * Tab-separated tables (trial TSVs, stimulus metadata) into Polars.
 *
 * Every column is read as text first, then typed with pandas-like rules
 * (nodejs-polars 0.25.2 infers from the first 100 rows only, and
 * `inferSchemaLength: null` turns every column into text):
 * integers → `Int64`, `True`/`False` (any case) → `Boolean`, other
 * numbers (incl. `nan`, `inf`) → `Float64`, anything else → `Utf8`.
 * Empty cells are null and do not affect the type; an all-empty column stays `Utf8`.
 * Polars is loaded lazily (needs `--allow-ffi`).
 * @module
 */
import type pl from "nodejs-polars";
import { MalformedFileError } from "../core/errors.ts";
import { loadPolars } from "../frames/polars.ts";

/** Options of {@linkcode readTsv}. */
export interface TsvReadOptions {
  /** Aborts reading the file. */
  signal?: AbortSignal;
  /**
   * A command that refetches the file, quoted in {@linkcode MalformedFileError} messages.
   * @default undefined
   */
  refetch?: string;
}

const INT_RE = /^[+-]?\d+$/;
const BOOL_RE = /^(true|false)$/i;
const FLOAT_RE = /^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|nan|inf|infinity)$/i;
const INT64_MAX = 9223372036854775807n;

/** The type a column of text values should get. */
export type TsvColumnType = "Int64" | "Boolean" | "Float64" | "Utf8";

/**
 * Infers a column type from its text values (nulls ignored).
 *
 * @example
 * ```ts
 * import { inferTsvColumnType } from "./lib/formats/tsv.ts";
 * console.log(inferTsvColumnType(["1", "2", null])); // "Int64"
 * console.log(inferTsvColumnType(["True", "False"])); // "Boolean"
 * ```
 */
export function inferTsvColumnType(values: readonly (string | null | undefined)[]): TsvColumnType {
  let seen = false;
  let isInt = true;
  let isBool = true;
  let isFloat = true;
  for (const v of values) {
    if (v === null || v === undefined || v === "") continue;
    seen = true;
    if (isInt && !(INT_RE.test(v) && BigInt(v) <= INT64_MAX && -BigInt(v) <= INT64_MAX + 1n)) {
      isInt = false;
    }
    if (isBool && !BOOL_RE.test(v)) isBool = false;
    if (isFloat && !FLOAT_RE.test(v)) isFloat = false;
    if (!isInt && !isBool && !isFloat) return "Utf8";
  }
  if (!seen) return "Utf8";
  return isInt ? "Int64" : isBool ? "Boolean" : isFloat ? "Float64" : "Utf8";
}

/**
 * Reads a tab-separated file with a header row into a Polars DataFrame
 * with proper column types (see the module notes).
 *
 * @param path the `.tsv` file
 * @param opts `signal`, `refetch`
 * @throws {MalformedFileError} empty file, S3 error body, unparsable table
 * @example
 * ```ts
 * import { readTsv } from "./lib/formats/tsv.ts";
 * const trials = await readTsv("sub-01_ses-01_desc-SingletrialBetas_trials.tsv");
 * console.log(trials.columns, trials.height);
 * ```
 */
export async function readTsv(path: string, opts: TsvReadOptions = {}): Promise<pl.DataFrame> {
  const { signal, refetch } = opts;
  signal?.throwIfAborted();
  const text = await Deno.readTextFile(path, { signal });
  if (text.trim() === "") {
    throw new MalformedFileError(path, "empty file, expected a TSV with a header row", refetch);
  }
  if (/^\s*(<\?xml|<Error[\s>])/.test(text)) {
    throw new MalformedFileError(
      path,
      "this is an S3 error response saved as data, not a TSV file",
      refetch,
    );
  }
  const polars = await loadPolars();
  signal?.throwIfAborted();
  let df: pl.DataFrame;
  try {
    df = polars.readCSV(text.replace(/^\uFEFF/, ""), { sep: "\t", inferSchemaLength: 0 });
  } catch (e) {
    throw new MalformedFileError(path, `not a valid TSV table: ${(e as Error).message}`, refetch, {
      cause: e,
    });
  }
  const exprs = [];
  for (const name of df.columns) {
    const type = inferTsvColumnType(df.getColumn(name).toArray() as (string | null)[]);
    const col = polars.col(name);
    if (type === "Int64") exprs.push(col.cast(polars.Int64).alias(name));
    else if (type === "Float64") exprs.push(col.cast(polars.Float64).alias(name));
    else if (type === "Boolean") {
      exprs.push(col.str.toLowerCase().eq(polars.lit("true")).alias(name));
    }
  }
  return exprs.length > 0 ? df.withColumns(...exprs) : df;
}

/**
 * Tab-separated tables (trial TSVs, stimulus metadata) into Polars.
 *
 * Polars types the columns itself, reading the whole file to infer them
 * (nodejs-polars 0.25.2 defaults to the first 100 rows, and turns
 * `inferSchemaLength: null` into 0, "all text"): integers → `Int64`,
 * `True`/`False` (any case) → `Bool`, other numbers → `Float64`, anything
 * else → `String`; empty cells are null. Polars' inference leaves numbers it
 * can parse but does not recognise as text: lowercase `nan`, `Infinity`, a
 * leading `+` on integers. A text column whose every value Polars' own cast
 * reads as a number becomes `Int64` or `Float64` (the pandas types), and
 * integers beyond Int64 (which Polars reads as Int128, a type nodejs-polars
 * cannot hand to JavaScript) become `Float64`.
 * Polars is loaded lazily (needs `--allow-ffi`).
 * @module
 */
import type { DataFrame } from "./polars.ts";
import { MalformedFileError } from "../core/errors.ts";
import { readTextChecked } from "../core/s3_error_body.ts";
import { loadPolars, type Polars } from "./polars.ts";

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

/**
 * Reads a tab-separated file with a header row into a Polars DataFrame
 * with proper column types (see the module notes).
 *
 * @param path the `.tsv` file
 * @param opts `signal`, `refetch`
 * @throws {MalformedFileError} empty file, S3 error body, unparsable table
 * @example
 * ```ts
 * import { readTsv } from "@laion/fmri";
 * const trials = await readTsv("sub-01_ses-01_desc-SingletrialBetas_trials.tsv");
 * console.log(trials.columns, trials.height);
 * ```
 */
export async function readTsv(path: string, opts: TsvReadOptions = {}): Promise<DataFrame> {
  const { signal, refetch } = opts;
  signal?.throwIfAborted();
  const text = await readTextChecked(path, "TSV file", opts);
  if (text.trim() === "") {
    throw new MalformedFileError(path, "empty file, expected a TSV with a header row", refetch);
  }
  const polars = await loadPolars();
  signal?.throwIfAborted();
  const body = text.replace(/^\uFEFF/, "");
  // Every line takes part in the inference (a float after 100 integers).
  let lines = 1;
  for (let i = body.indexOf("\n"); i >= 0; i = body.indexOf("\n", i + 1)) lines++;
  let df: DataFrame;
  try {
    df = polars.readCSV(body, { sep: "\t", inferSchemaLength: lines });
  } catch (e) {
    throw new MalformedFileError(path, `not a valid TSV table: ${(e as Error).message}`, refetch, {
      cause: e,
    });
  }
  return numbersFromText(polars, df);
}

/** Types the text columns that hold only numbers, and Int128 columns (see the module notes). */
function numbersFromText(polars: Polars, df: DataFrame): DataFrame {
  const exprs = [];
  for (const name of df.columns) {
    const s = df.getColumn(name);
    let isText: boolean;
    try {
      isText = s.dtype.equals(polars.String);
    } catch (e) {
      if (!/Int128/.test((e as Error).message)) throw e;
      exprs.push(polars.col(name).cast(polars.Float64));
      continue;
    }
    const nulls = s.nullCount();
    if (!isText || nulls === s.length) continue;
    if (s.cast(polars.Float64, false).nullCount() !== nulls) continue;
    const asInt = s.cast(polars.Int64, false).nullCount() === nulls;
    exprs.push(polars.col(name).cast(asInt ? polars.Int64 : polars.Float64));
  }
  return exprs.length > 0 ? df.withColumns(...exprs) : df;
}

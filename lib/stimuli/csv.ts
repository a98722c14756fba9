/**
 * The stimulus-side CSV files (metadata, captions, segmentation metadata)
 * into Polars, with named columns kept as text, plus the helpers that
 * resolve image keys (names or indices) and word the errors.
 * @module
 */
import { InvalidChoiceError, MalformedFileError } from "../core/errors.ts";
import { readTextChecked } from "../core/s3_error_body.ts";
import { type DataFrame, loadPolars } from "../frames/polars.ts";

/**
 * Reads a comma-separated file with a header into Polars (quoted fields may
 * hold commas, quotes and newlines). `textColumns` stay `String`; empty
 * cells are null.
 *
 * @throws {MalformedFileError} for an empty file, an S3 error body or a bad table
 * @example
 * ```ts
 * import { readCsvFrame } from "./csv.ts";
 * const df = await readCsvFrame("stimuli/task-images_metadata.csv", { textColumns: ["image_name"] });
 * ```
 */
export async function readCsvFrame(
  path: string,
  options: { textColumns?: readonly string[]; required?: readonly string[]; signal?: AbortSignal } =
    {},
): Promise<DataFrame> {
  const { signal } = options;
  signal?.throwIfAborted();
  const text = (await readTextChecked(path, "CSV file", { signal })).replace(/^\uFEFF/, "");
  if (text.trim() === "") throw new MalformedFileError(path, "empty file, expected a CSV header");
  const pl = await loadPolars();
  signal?.throwIfAborted();
  const header = text.slice(0, text.indexOf("\n") >>> 0).split(",").map((s) => s.trim());
  const dtypes = Object.fromEntries(
    (options.textColumns ?? []).filter((c) => header.includes(c)).map((c) => [c, pl.String]),
  );
  let df: DataFrame;
  try {
    // Every line takes part in the type inference (nodejs-polars' default is 100).
    let lines = 1;
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) lines++;
    df = pl.readCSV(text, { sep: ",", inferSchemaLength: lines, dtypes, quoteChar: '"' });
  } catch (e) {
    throw new MalformedFileError(
      path,
      `not a valid CSV table: ${(e as Error).message}`,
      undefined,
      {
        cause: e,
      },
    );
  }
  const missing = (options.required ?? []).filter((c) => !df.columns.includes(c));
  if (missing.length) {
    throw new MalformedFileError(
      path,
      `missing column(s) ${JSON.stringify(missing)}; it has ${JSON.stringify(df.columns)}`,
    );
  }
  return df;
}

/** The values of a text column as strings (null → `""`). */
export function textColumn(df: DataFrame, name: string): string[] {
  return (df.getColumn(name).toArray() as (string | null)[]).map((v) => v ?? "");
}

/**
 * The error for a name that is not known: names the value and shows a few
 * valid ones (the full lists have thousands).
 *
 * @example
 * ```ts
 * import { unknownName } from "./csv.ts";
 * throw unknownName("image name", "x.jpg", ["a.jpg", "b.jpg"]);
 * ```
 */
export function unknownName(
  what: string,
  value: unknown,
  valid: readonly string[],
  hint = "",
): InvalidChoiceError {
  const shown = valid.slice(0, 5);
  const more = valid.length > shown.length ? `${valid.length} in all, ${shown.length} shown` : "";
  return new InvalidChoiceError(what, value, shown, [more, hint].filter(Boolean).join("; "));
}

/**
 * A position in `[-n, n)` as an index in `[0, n)` (negative counts from the end).
 *
 * @throws {RangeError} outside that range, or for a non-integer
 * @example
 * ```ts
 * import { resolveIndex } from "./csv.ts";
 * resolveIndex(-1, 10, "Stimulus index"); // 9
 * ```
 */
export function resolveIndex(i: number, n: number, what: string): number {
  if (!Number.isInteger(i) || i < -n || i >= n) {
    throw new RangeError(`${what} ${i} out of range [-${n}, ${n}).`);
  }
  return i < 0 ? n + i : i;
}

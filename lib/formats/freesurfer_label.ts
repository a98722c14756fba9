/**
 * FreeSurfer ASCII `.label` reader.
 *
 * Format: line 1 a comment (`#!ascii label …`), line 2 the vertex count N,
 * then N lines `vertex x y z value`. Only column 0 (the vertex index) is
 * returned, in file order, like nibabel's `read_label`.
 * @module
 */
import { MalformedFileError } from "../core/errors.ts";
import { readTextChecked } from "../core/s3_error_body.ts";

/** Options of {@linkcode readFreesurferLabel}. */
export interface LabelReadOptions {
  /** Aborts reading the file. */
  signal?: AbortSignal;
  /**
   * A command that refetches the file, quoted in {@linkcode MalformedFileError} messages.
   * @default undefined
   */
  refetch?: string;
}

/**
 * Reads the vertex indices of a FreeSurfer ASCII label. The count line is
 * validated against the number of data lines, and every data line must
 * have five numeric columns with a non-negative integer vertex.
 *
 * @param path the `.label` file
 * @param opts `signal`, `refetch`
 * @returns the vertex indices, in file order
 * @throws {MalformedFileError} bad count line, wrong number of lines, bad line
 * @example
 * ```ts
 * import { readFreesurferLabel } from "@laion/fmri/formats";
 * const vertices = await readFreesurferLabel("lh.FFA.label");
 * console.log(vertices.length, vertices[0]);
 * ```
 */
export async function readFreesurferLabel(
  path: string,
  opts: LabelReadOptions = {},
): Promise<Int32Array> {
  const { signal, refetch } = opts;
  signal?.throwIfAborted();
  const text = await readTextChecked(path, "FreeSurfer label file", opts);
  const bad = (problem: string) => new MalformedFileError(path, problem, refetch);
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === "") lines.pop();
  if (lines.length < 2) {
    throw bad(
      `too short for a FreeSurfer label: ${lines.length} line(s), need a comment and a count`,
    );
  }
  const countText = lines[1].trim();
  if (!/^\d+$/.test(countText)) {
    throw bad(`line 2 must be the vertex count, got ${JSON.stringify(lines[1].slice(0, 80))}`);
  }
  const count = Number(countText);
  const data = lines.slice(2);
  if (data.length !== count) {
    throw bad(`line 2 announces ${count} vertices but the file has ${data.length} data lines`);
  }
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const cols = data[i].trim().split(/\s+/);
    if (cols.length !== 5 || cols.some((c) => Number.isNaN(Number(c)))) {
      throw bad(
        `line ${i + 3} must be "vertex x y z value", got ${JSON.stringify(data[i].slice(0, 80))}`,
      );
    }
    const v = Number(cols[0]);
    if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) {
      throw bad(`line ${i + 3}: vertex index ${cols[0]} is not a non-negative integer`);
    }
    out[i] = v;
  }
  return out;
}

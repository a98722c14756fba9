/**
 * The one shape of a Subject's single files (anatomy, localizer maps, ROI
 * masks at a resolution, raw runs): the file's path, checked on disk when
 * the handle is made, and a loader of its values.
 * @module
 */

/** Options of {@linkcode SubjectFile.load}. */
export interface FileLoadOptions {
  /** Cancels the read. */
  signal?: AbortSignal;
}

/**
 * A file of a subject that is on disk: its `path` (for other tools) and
 * `load()` (its values). Every file accessor of `Subject` returns one;
 * a missing file fails when the handle is asked for, naming the download.
 *
 * @example
 * ```ts
 * import { loadSubject } from "@laion/fmri";
 * const sub = await loadSubject("sub-01");
 * const t1 = await sub.getT1w({ res: "1pt8" });
 * console.log(t1.path, (await t1.load()).shape);
 * ```
 */
export interface SubjectFile<T, O extends FileLoadOptions = FileLoadOptions> {
  /** The file on disk. */
  readonly path: string;
  /** Reads the file's values. */
  load(options?: O): Promise<T>;
}

/**
 * A {@linkcode SubjectFile} of a checked path and its loader.
 *
 * @example
 * ```ts
 * import { subjectFile } from "./subject_file.ts";
 * const f = subjectFile("/data/notes.txt", () => Deno.readTextFile("/data/notes.txt"));
 * console.log(f.path);
 * ```
 */
export function subjectFile<T, O extends FileLoadOptions = FileLoadOptions>(
  path: string,
  load: (path: string, options: O) => Promise<T>,
): SubjectFile<T, O> {
  return { path, load: (options = {} as O) => load(path, options) };
}

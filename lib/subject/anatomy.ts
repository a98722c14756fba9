/**
 * Anatomical and FreeSurfer files of a subject (current layout): the brain
 * mask of either source at either resolution, T1w/T2w volumes, and the
 * FreeSurfer recon folder. Missing files fail with the `download(...)` call
 * (`includeAnatomical` / `includeFreesurfer`) and CLI command that fetch them.
 * @module
 */
import { DataNotDownloadedError } from "../core/errors.ts";
import { pathExists } from "../core/fs.ts";
import { type NiftiVolume, readNiftiMask, readNiftiVolume } from "../formats/nifti.ts";
import { anatomicalDownload, type MaskSource } from "./mask_source.ts";
import type { SubjectFiles } from "./subject_files.ts";
import { type SubjectFile, subjectFile } from "./subject_file.ts";
import type { GridMask } from "./voxel_selection.ts";

/** Options of `Subject.getBrainMask`. */
export interface BrainMaskOptions {
  /** The mask source. @default the subject's (see `loadSubject`) */
  source?: MaskSource;
  /**
   * `"1pt8"` (the beta grid) or `null` (the full-resolution anatomical
   * mask). `rsquare` has one resolution and ignores it.
   * @default "1pt8"
   */
  res?: "1pt8" | null;
  /** Cancels file reads. */
  signal?: AbortSignal;
}

/** Options of the anatomical file accessors. */
export interface AnatomicalFileOptions {
  /** `"1pt8"` (the beta grid) or full resolution. @default full resolution, as upstream */
  res?: "1pt8" | null;
  /** Cancels the existence check. */
  signal?: AbortSignal;
}

/** An anatomical file on disk: its path and a loader of its volume (scaled float32, C-order). */
export type AnatomicalFile = SubjectFile<NiftiVolume>;

/**
 * Number of voxels set in a mask.
 *
 * @example
 * ```ts
 * import { countMask } from "./anatomy.ts";
 * countMask(new Uint8Array([1, 0, 1])); // 2
 * ```
 */
export function countMask(mask: Uint8Array): number {
  let n = 0;
  for (const v of mask) n += v;
  return n;
}

/**
 * The brain mask of `files`' source at `res` over its full grid.
 *
 * @example
 * ```ts
 * import { readBrainMask } from "./anatomy.ts";
 * declare const files: import("./subject_files.ts").SubjectFiles;
 * const full = await readBrainMask(files, { res: null });
 * ```
 */
export async function readBrainMask(
  files: SubjectFiles,
  options: BrainMaskOptions = {},
): Promise<GridMask> {
  const res = options.res === undefined ? "1pt8" : options.res;
  if (res !== "1pt8" && res !== null) {
    throw new RangeError(`res must be "1pt8" or null (full resolution); got "${res}".`);
  }
  if (files.maskSource === "rsquare" || res === "1pt8") {
    return await files.brainMask(options.signal);
  }
  const path = await requireAnatomical(files, files.current.anatomical("mask"), options.signal);
  return await readNiftiMask(path, { signal: options.signal, refetch: files.refetch() });
}

/**
 * `path`, once it is on disk.
 * @throws {DataNotDownloadedError} naming `download({ subject, includeAnatomical: true })`
 */
export async function requireAnatomical(
  files: SubjectFiles,
  path: string,
  signal?: AbortSignal,
): Promise<string> {
  signal?.throwIfAborted();
  if (await pathExists(path)) return path;
  // A subject loaded for remote reads fetches it (anatomical volumes are a few MB).
  if (files.onDemand && await files.onDemand.file(path, signal)) return path;
  throw new DataNotDownloadedError(`Anatomical file not found at ${path}.`, {
    subject: files.subjectId,
    path,
    ...anatomicalDownload(files.subjectId),
  });
}

/**
 * An anatomical file (`T1w`, `T2w` or the brain `mask`) as path plus loader.
 *
 * @throws {DataNotDownloadedError} when it is not on disk
 * @example
 * ```ts
 * import { anatomicalFile } from "./anatomy.ts";
 * declare const files: import("./subject_files.ts").SubjectFiles;
 * const t1 = await anatomicalFile(files, "T1w", { res: "1pt8" });
 * const { shape } = await t1.load();
 * ```
 */
export async function anatomicalFile(
  files: SubjectFiles,
  suffix: "T1w" | "T2w" | "mask",
  options: AnatomicalFileOptions = {},
): Promise<AnatomicalFile> {
  const res = options.res ?? undefined;
  if (res !== undefined && res !== "1pt8") {
    throw new RangeError(`res must be "1pt8" or null (full resolution); got "${res}".`);
  }
  const path = await requireAnatomical(
    files,
    files.current.anatomical(suffix, res),
    options.signal,
  );
  return subjectFile(
    path,
    (p, o) => readNiftiVolume(p, { signal: o.signal, refetch: files.refetch() }),
  );
}

/**
 * Whether `dir` is a directory.
 *
 * @example
 * ```ts
 * import { isDir } from "./anatomy.ts";
 * await isDir("/tmp"); // true
 * ```
 */
export async function isDir(dir: string): Promise<boolean> {
  try {
    return (await Deno.stat(dir)).isDirectory;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/**
 * A derivative folder of the subject, once it is on disk.
 *
 * @param kind `anatomical` or `freesurfer`
 * @throws {DataNotDownloadedError} naming the `include…` download that fetches it
 * @example
 * ```ts
 * import { requireDerivativeDir } from "./anatomy.ts";
 * declare const files: import("./subject_files.ts").SubjectFiles;
 * const dir = await requireDerivativeDir(files, "freesurfer");
 * ```
 */
export async function requireDerivativeDir(
  files: SubjectFiles,
  kind: "anatomical" | "freesurfer",
  signal?: AbortSignal,
): Promise<string> {
  signal?.throwIfAborted();
  const s = files.subjectId;
  const dir = kind === "anatomical" ? files.current.anatomicalDir : files.current.freesurferDir;
  if (await isDir(dir)) return dir;
  const what = kind === "anatomical" ? "Anatomical derivatives" : "FreeSurfer recon";
  const flag = kind === "anatomical" ? "Anatomical" : "Freesurfer";
  throw new DataNotDownloadedError(`${what} for ${s} not found at ${dir}.`, {
    subject: s,
    path: dir,
    downloadCall: `download({ subject: "${s}", include${flag}: true, acceptLicense: true })`,
    cliCommand: `laion-fmri download --subject ${s} --include-${kind} --accept-license`,
  });
}

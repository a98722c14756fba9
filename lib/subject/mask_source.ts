/**
 * Which brain mask defines a subject's voxel axis. `anatomical` is the
 * `res-1pt8` anatomical brain mask of the current layout (upstream's
 * default; the GLMsingle model file's rows are its voxels in C-order);
 * `rsquare` is the seed layout's rule, the voxels of the R2mean map that are
 * non-zero (or NaN, with `nanInMask`).
 * @module
 */
import { InvalidChoiceError } from "../core/errors.ts";
import { pathExists } from "../core/fs.ts";
import { CurrentPaths } from "../local/current_paths.ts";

/** The brain-mask source of a voxel axis. */
export type MaskSource = "anatomical" | "rsquare";

/** The mask sources, in upstream's order of preference. */
export const MASK_SOURCES: readonly MaskSource[] = ["anatomical", "rsquare"];

/**
 * Checks a mask source.
 *
 * @throws {InvalidChoiceError} for anything but `anatomical` or `rsquare`
 * @example
 * ```ts
 * import { checkMaskSource } from "./mask_source.ts";
 * checkMaskSource("rsquare"); // "rsquare"
 * ```
 */
export function checkMaskSource(source: string): MaskSource {
  if (!(MASK_SOURCES as readonly string[]).includes(source)) {
    throw new InvalidChoiceError("source", source, [...MASK_SOURCES]);
  }
  return source as MaskSource;
}

/**
 * The default mask source of a subject's data directory:
 * - `anatomical` when the `res-1pt8` anatomical brain mask is on disk;
 * - else `rsquare` when the subject has no `derivatives/anatomical/{sub}/`
 *   folder at all: the seed layout, which has no anatomical derivatives;
 * - else `anatomical` (its missing mask then fails with the download call
 *   that fetches it).
 *
 * @example
 * ```ts
 * import { defaultMaskSource } from "./mask_source.ts";
 * await defaultMaskSource("/data", "sub-01"); // "anatomical" or "rsquare"
 * ```
 */
export async function defaultMaskSource(dataDir: string, subject: string): Promise<MaskSource> {
  const p = new CurrentPaths(dataDir, subject);
  if (await pathExists(p.anatomical("mask", "1pt8"))) return "anatomical";
  return (await pathExists(p.anatomicalDir)) ? "anatomical" : "rsquare";
}

/**
 * The `download(...)` call and CLI command that fetch the anatomical
 * derivatives of a subject.
 *
 * @example
 * ```ts
 * import { anatomicalDownload } from "./mask_source.ts";
 * anatomicalDownload("sub-01").downloadCall;
 * ```
 */
export function anatomicalDownload(subject: string): { downloadCall: string; cliCommand: string } {
  return {
    downloadCall:
      `download({ subject: "${subject}", includeAnatomical: true, acceptLicense: true })`,
    cliCommand: `laion-fmri download --subject ${subject} --include-anatomical --accept-license`,
  };
}

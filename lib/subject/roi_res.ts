/**
 * ROI masks at either volume resolution (upstream-era-c.md §1.8):
 * `res-1pt8` (the beta grid) or `res-1pt5` (the grid of the volumetric
 * localizers). ROI names come from the `res-1pt8` inventory, as upstream.
 * @module
 */
import { join } from "node:path";
import { DataNotDownloadedError } from "../core/errors.ts";
import { pathExists } from "../core/fs.ts";
import { readNiftiMask } from "../formats/nifti.ts";
import { checkRes, type VolumeRes } from "../local/current_paths.ts";
import { type Grid, readGrid } from "./brain_space.ts";
import type { SubjectFiles } from "./subject_files.ts";
import type { GridMask } from "./voxel_selection.ts";
import { type SubjectFile, subjectFile } from "./subject_file.ts";

/** Options of the ROI readers at a resolution. */
export interface RoiResOptions {
  /** `"1pt8"` (beta grid) or `"1pt5"` (localizer grid). @default "1pt8" */
  res?: VolumeRes;
  /** Cancels the reads. */
  signal?: AbortSignal;
}

/** An ROI union over the full grid of a resolution. */
export interface RoiVolume extends Grid {
  /** One byte per voxel of the grid, C-order (1 = in an ROI). */
  mask: GridMask;
}

/**
 * The mask file of one ROI at `res`, once it is on disk.
 *
 * @throws {UnknownRoiError} for an ROI not in the inventory
 * @throws {DataNotDownloadedError} when the file is not on disk
 * @example
 * ```ts
 * import { roiMaskPath } from "./roi_res.ts";
 * declare const files: import("./subject_files.ts").SubjectFiles;
 * await roiMaskPath(files, "FFA1", { res: "1pt5" });
 * ```
 */
export async function roiMaskPath(
  files: SubjectFiles,
  roi: string,
  options: RoiResOptions = {},
): Promise<string> {
  const res = checkRes(options.res ?? "1pt8");
  const inv = await files.inventory(options.signal);
  const [name] = inv.resolve(roi);
  const category = inv.byName.get(name)!.category;
  const s = files.subjectId;
  const path = join(
    files.paths.roisDir,
    category,
    `${s}_space-T1w_res-${res}_label-${name}_mask.nii.gz`,
  );
  if (await pathExists(path)) return path;
  throw new DataNotDownloadedError(`ROI "${name}" not found at res-${res}: ${path}.`, {
    subject: s,
    path,
  });
}

/**
 * The mask file of one ROI at `res` as a file handle: `load()` reads the
 * mask over that resolution's full grid, with the grid's shape and affine.
 *
 * @throws {UnknownRoiError} for an ROI not in the inventory
 * @throws {DataNotDownloadedError} when the file is not on disk
 * @example
 * ```ts
 * import { roiMaskFile } from "./roi_res.ts";
 * declare const files: import("./subject_files.ts").SubjectFiles;
 * const ffa = await roiMaskFile(files, "FFA1", { res: "1pt5" });
 * const { mask, shape } = await ffa.load();
 * ```
 */
export async function roiMaskFile(
  files: SubjectFiles,
  roi: string,
  options: RoiResOptions = {},
): Promise<SubjectFile<RoiVolume>> {
  const path = await roiMaskPath(files, roi, options);
  return subjectFile(path, async (p, o) => {
    const read = { signal: o.signal, refetch: files.refetch() };
    return { ...(await readGrid(p, read)), mask: await readNiftiMask(p, read) };
  });
}

/**
 * The union of ROIs at `res` over that grid, with the grid's shape and affine.
 *
 * @example
 * ```ts
 * import { readRoiVolume } from "./roi_res.ts";
 * declare const files: import("./subject_files.ts").SubjectFiles;
 * const { mask, shape } = await readRoiVolume(files, ["FFA1"], { res: "1pt5" });
 * ```
 */
export async function readRoiVolume(
  files: SubjectFiles,
  names: readonly string[],
  options: RoiResOptions = {},
): Promise<RoiVolume> {
  const paths = await Promise.all(names.map((n) => roiMaskPath(files, n, options)));
  const read = { signal: options.signal, refetch: files.refetch() };
  const masks = await Promise.all(paths.map((p) => readNiftiMask(p, read)));
  const grid = paths.length > 0
    ? await readGrid(paths[0], read)
    : { shape: [0, 0, 0] as [number, number, number], affine: [] };
  const mask = new Uint8Array(masks[0]?.length ?? 0);
  for (const m of masks) for (let f = 0; f < m.length; f++) mask[f] |= m[f];
  return { ...grid, mask };
}

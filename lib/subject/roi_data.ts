/**
 * `getRoiData`: an ROI's volume, surface and label data in upstream's
 * nested shape (`{ FFA1: { volume, gii: { "hemi-L": { "func.gii", label } } } }`).
 * @module
 */
import { join } from "node:path";
import { InvalidChoiceError } from "../core/errors.ts";
import { readFreesurferLabel } from "../formats/freesurfer_label.ts";
import { readGiftiMask } from "../formats/gifti.ts";
import type { SubjectFiles } from "./subject_files.ts";
import type { BrainVoxelMask } from "./voxel_selection.ts";

/** Options of `Subject.getRoiData`. */
export interface RoiDataOptions {
  /** `"all"`, `"volume"` (= `"nii.gz"`), `"gii"` (func.gii and label), `"func.gii"`, `"label"`. @default "all" */
  format?: string;
  /** `"all"`, `"L"` or `"R"`; ignored for volume-only formats. @default "all" */
  hemi?: string;
  /** Cancels file reads. */
  signal?: AbortSignal;
}

/** Per-hemisphere surface data of one ROI. */
export interface HemiData {
  /** Vertex mask from the `.func.gii` (1 = in ROI). */
  "func.gii"?: Uint8Array;
  /** Vertex indices from the FreeSurfer `.label`. */
  label?: Int32Array;
}

/** The data of one ROI, in upstream's nested shape. */
export interface RoiData {
  /** Mask over brain voxels (length `Subject.getNVoxels()`). */
  volume?: BrainVoxelMask;
  /** Surface data by hemisphere (`"hemi-L"`, `"hemi-R"`). */
  gii?: Partial<Record<"hemi-L" | "hemi-R", HemiData>>;
}

/** Which parts of the ROI data a call asks for (checked options). */
export interface RoiDataParts {
  /** The volumetric mask. */
  volume: boolean;
  /** The `.func.gii` vertex masks. */
  funcGii: boolean;
  /** The FreeSurfer `.label` vertex lists. */
  label: boolean;
  /** The hemispheres of the surface parts. */
  hemis: ("L" | "R")[];
}

const FORMATS = ["all", "func.gii", "gii", "label", "nii.gz", "volume"];
const HEMIS = ["all", "L", "R"];

/**
 * Checks `format` and `hemi`; `hemi` only when a surface format is asked for.
 *
 * @throws {InvalidChoiceError} for an unknown format or hemisphere
 * @example
 * ```ts
 * import { roiDataParts } from "./roi_data.ts";
 * roiDataParts({ format: "gii", hemi: "L" }); // { volume: false, funcGii: true, label: true, hemis: ["L"] }
 * ```
 */
export function roiDataParts(options: RoiDataOptions): RoiDataParts {
  const format = options.format || "all";
  if (!FORMATS.includes(format)) throw new InvalidChoiceError("format", format, FORMATS);
  const volume = ["all", "volume", "nii.gz"].includes(format);
  const funcGii = ["all", "gii", "func.gii"].includes(format);
  const label = ["all", "gii", "label"].includes(format);
  const hemi = options.hemi || "all";
  if ((funcGii || label) && !HEMIS.includes(hemi)) {
    throw new InvalidChoiceError("hemi", hemi, HEMIS);
  }
  const hemis = (hemi === "all" ? ["L", "R"] : [hemi]) as ("L" | "R")[];
  return { volume, funcGii, label, hemis };
}

/**
 * Reads the asked-for parts of each ROI, keyed by ROI name in the given order.
 *
 * @param names ROI names on disk (a resolved query)
 * @throws {DataNotDownloadedError} for a missing surface or label file
 * @example
 * ```ts
 * import { readRoiData, roiDataParts } from "./roi_data.ts";
 * import { SubjectFiles } from "./subject_files.ts";
 * const files = new SubjectFiles("sub-01", "/data", { nanInMask: true });
 * const data = await readRoiData(files, ["FFA1"], roiDataParts({ format: "label" }));
 * ```
 */
export async function readRoiData(
  files: SubjectFiles,
  names: readonly string[],
  parts: RoiDataParts,
  signal?: AbortSignal,
): Promise<Record<string, RoiData>> {
  const inventory = await files.inventory(signal);
  const { paths } = files;
  const read = { signal, refetch: files.refetch() };
  const out: Record<string, RoiData> = {};
  for (const name of names) {
    const entry: RoiData = {};
    if (parts.volume) entry.volume = await files.roiMask(name, signal);
    if (parts.funcGii || parts.label) {
      entry.gii = {};
      const dir = join(paths.roisDir, inventory.byName.get(name)!.category);
      for (const h of parts.hemis) {
        const data: HemiData = {};
        if (parts.funcGii) {
          const path = await files.require(
            join(dir, paths.roiSurfaceName(name, h)),
            `Surface ROI ${name} (hemi-${h})`,
            { signal },
          );
          data["func.gii"] = await readGiftiMask(path, read);
        }
        if (parts.label) {
          const path = await files.require(
            join(dir, paths.roiLabelName(name, h)),
            `FreeSurfer label ${name} (hemi-${h})`,
            { signal },
          );
          data.label = await readFreesurferLabel(path, read);
        }
        entry.gii[`hemi-${h}`] = data;
      }
    }
    out[name] = entry;
  }
  return out;
}

/**
 * The data of a merged encoding job's pictures: the merged r placed on the
 * subject's grid (the values of the r NIfTI that `merge` writes, float32),
 * the subject's T1w on that grid, the per-voxel r, and the r map
 * on fsaverage with TemplateFlow's inflated fsaverage meshes. Drawn by
 * `plotEncodingMaps` of `@laion/fmri/plot` (lib/jobs does not draw).
 * @module
 */
import type { SurfaceMesh } from "../formats/freesurfer_surface.ts";
import { readGiftiSurface } from "../formats/gifti.ts";
import { loadSubject } from "../subject/subject.ts";
import { fsaverageMesh, type TemplateOptions } from "../templates/templateflow.ts";
import type { MergedSubject } from "./encode_merge.ts";
import { type EncodingPlan, readEncodingPlan } from "./encode_plan.ts";
import { gridIndices } from "../subject/voxel_selection.ts";

/** The input of `plotEncodingMaps` (`@laion/fmri/plot`). */
export interface EncodingMapsData {
  /** The subject. */
  subject: string;
  /** The plan's feature model. */
  model: string;
  /** The T1w on the maps' grid (`res: "1pt8"`). */
  t1w: { data: Float32Array; dims: [number, number, number]; affine: number[][] };
  /** r on the subject's grid, as in the merged r NIfTI (0 outside the brain mask, NaN where not fitted). */
  rVolume: Float32Array;
  /** r per voxel of the anatomical brain mask. */
  r: Float64Array;
  /** The fsaverage r map on the inflated meshes, when merge wrote one. */
  surface?: {
    density: string;
    left: { mesh: SurfaceMesh; values: Float32Array };
    right: { mesh: SurfaceMesh; values: Float32Array };
  };
}

/** Options of {@linkcode encodingMapsData}. */
export interface EncodingMapsDataOptions {
  /** Where TemplateFlow's inflated fsaverage meshes come from. @default env, then TemplateFlow's bucket */
  templateflow?: TemplateOptions;
  /** The plan, when the caller has read it already. @default read from `dir` */
  plan?: EncodingPlan;
  /** Cancels the reads. */
  signal?: AbortSignal;
}

/**
 * Loads what the pictures of one merged subject need. The r map is placed
 * on the subject's grid from the merged values (no NIfTI is read back); the
 * fsaverage view needs a merge that wrote its maps (`write` not false).
 *
 * @throws {RangeError} when the merged values or the T1w do not fit the subject's brain mask
 * @example
 * ```ts
 * import { encodingMapsData, mergeEncodingJob } from "@laion/fmri/jobs";
 * const merged = await mergeEncodingJob("encode-clip");
 * const data = await encodingMapsData("encode-clip", merged.subjects[0]);
 * console.log(data.t1w.dims, data.surface?.density);
 * ```
 */
export async function encodingMapsData(
  dir: string,
  merged: MergedSubject,
  options: EncodingMapsDataOptions = {},
): Promise<EncodingMapsData> {
  const { signal } = options;
  const plan = options.plan ?? await readEncodingPlan(dir);
  const sub = await loadSubject(merged.subject, { dataDir: plan.source.dataDir, signal });
  const mask = await sub.getBrainMask({ source: "anatomical", res: "1pt8", signal });
  const t1w = await (await sub.getT1w({ res: "1pt8", signal })).load();
  const voxels = gridIndices(mask);
  if (mask.length !== t1w.data.length || voxels.length !== merged.values.r.length) {
    throw new RangeError(
      `${merged.subject}: ${merged.values.r.length} merged values, ${voxels.length} voxels in ` +
        `the res-1pt8 brain mask of ${mask.length} grid points, a T1w of ${
          t1w.shape.join("x")
        }: they must agree (was the plan written for other data? \`encode plan --overwrite\`)`,
    );
  }
  // float32, as merge writes the NIfTI: 0 outside the mask, NaN where no voxel was fitted
  const rVolume = new Float32Array(mask.length);
  voxels.forEach((f, c) => (rVolume[f] = merged.values.r[c]));
  const data: EncodingMapsData = {
    subject: merged.subject,
    model: plan.model,
    t1w: { data: t1w.data, dims: t1w.shape, affine: t1w.header.affine },
    rVolume,
    r: merged.values.r,
  };
  const fs = merged.fsaverage;
  if (fs) {
    const tf = { ...options.templateflow, signal };
    const [left, right] = await Promise.all(
      (["L", "R"] as const).map(async (h) =>
        readGiftiSurface((await fsaverageMesh(h, fs.density, "inflated", tf)).path, { signal })
      ),
    );
    data.surface = {
      density: fs.density,
      left: { mesh: left, values: fs.maps.r.L },
      right: { mesh: right, values: fs.maps.r.R },
    };
  }
  return data;
}

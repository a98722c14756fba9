/**
 * The data of a merged encoding job's pictures: the r NIfTI that `merge`
 * wrote (in the plan folder, or fetched from the S3 prefix of an S3 plan),
 * the subject's T1w on the same grid, the per-voxel r, and the r map
 * on fsaverage with TemplateFlow's inflated fsaverage meshes. Drawn by
 * `plotEncodingMaps` of `@laion/fmri/plot` (lib/jobs does not draw).
 * @module
 */
import type { SurfaceMesh } from "../formats/freesurfer_surface.ts";
import { readGiftiSurface } from "../formats/gifti.ts";
import { readNiftiVolume } from "../formats/nifti.ts";
import { loadSubject } from "../subject/subject.ts";
import { fsaverageMesh, type TemplateOptions } from "../templates/templateflow.ts";
import type { MergedSubject } from "./encode_merge.ts";
import { planPaths, readEncodingPlan } from "./encode_plan.ts";
import { isS3Location, jobStore } from "./store.ts";
import { basename, join } from "node:path";

/** The input of `plotEncodingMaps` (`@laion/fmri/plot`). */
export interface EncodingMapsData {
  /** The subject. */
  subject: string;
  /** The plan's feature model. */
  model: string;
  /** The T1w on the maps' grid (`res: "1pt8"`). */
  t1w: { data: Float32Array; dims: [number, number, number]; affine: number[][] };
  /** The merged r NIfTI's volume (0 outside the brain mask, NaN where not fitted). */
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

/**
 * A NIfTI merge wrote: from the folder, or (an S3 plan) fetched from its
 * `maps/` prefix into a temporary file that is removed after reading.
 */
async function readMergedVolume(dir: string, path: string, signal?: AbortSignal) {
  if (!isS3Location(path)) return await readNiftiVolume(path, { signal });
  const maps = planPaths.maps(dir);
  if (!path.startsWith(`${maps}/`)) {
    throw new RangeError(`${path} is not under the plan's maps prefix ${maps}/`);
  }
  const bytes = await jobStore(dir).read(`maps/${path.slice(maps.length + 1)}`, signal);
  if (!bytes) {
    throw new RangeError(
      `${path} does not exist: merge again (\`laion-fmri encode merge --plan ${dir}\`)`,
    );
  }
  const tmp = await Deno.makeTempDir({ prefix: "laion-encode-map-" });
  try {
    const local = join(tmp, basename(path));
    await Deno.writeFile(local, bytes);
    return await readNiftiVolume(local, { signal });
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

/** Options of {@linkcode encodingMapsData}. */
export interface EncodingMapsDataOptions {
  /** Where TemplateFlow's inflated fsaverage meshes come from. @default env, then TemplateFlow's bucket */
  templateflow?: TemplateOptions;
  /** Cancels the reads. */
  signal?: AbortSignal;
}

/**
 * Loads what the pictures of one merged subject need (the merge must have
 * written its maps: `write` not false).
 *
 * @throws {RangeError} when merge wrote no r map for the subject, or the T1w is on another grid
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
  const rPath = merged.niftis.r;
  if (rPath === undefined) {
    throw new RangeError(
      `no r map was written for ${merged.subject}: merge with \`mergeEncodingJob("${dir}")\` ` +
        "(write: true, the default) first",
    );
  }
  const plan = await readEncodingPlan(dir);
  const sub = await loadSubject(merged.subject, { dataDir: plan.source.dataDir, signal });
  const r = await readMergedVolume(dir, rPath, signal);
  const t1w = await (await sub.getT1w({ res: "1pt8", signal })).load();
  if (t1w.shape.join() !== r.shape.join()) {
    throw new RangeError(
      `the r map of ${merged.subject} is ${r.shape.join("x")} but its res-1pt8 T1w is ` +
        `${t1w.shape.join("x")}`,
    );
  }
  const data: EncodingMapsData = {
    subject: merged.subject,
    model: plan.model,
    t1w: { data: t1w.data, dims: t1w.shape, affine: t1w.header.affine },
    rVolume: r.data,
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

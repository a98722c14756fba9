/**
 * `encode merge`: the finished shards of a plan assembled into whole-brain
 * maps per subject — held-out r, alpha and split-half reliability as
 * float32 NIfTI on the subject's grid (voxels outside the anatomical brain
 * mask are 0, voxels not fitted NaN) — and one Parquet table of every voxel.
 * Missing shards are named with the exact command that reruns them.
 * @module
 */
import { join } from "node:path";
import { LaionFmriError } from "../core/errors.ts";
import { writeFileAtomic } from "../core/fs.ts";
import { loadPolars } from "../frames/polars.ts";
import {
  FSAVERAGE_DENSITIES,
  type FsaverageDensity,
  templateFileName,
  type TemplateFiles,
} from "../subject/standard_space.ts";
import { loadSubject } from "../subject/subject.ts";
import { planPaths, readEncodingPlan } from "./encode_plan.ts";
import { checkedShard, SHARD_ARRAYS, type ShardValues } from "./encode_shard.ts";
import { median } from "../analysis/stats.ts";
import { arraySpec } from "./shard_index.ts";
import { isS3Location, jobStore } from "./store.ts";

/**
 * Shards of the plan are not finished: `missing` lists them, `command` reruns them.
 *
 * @example
 * ```ts
 * import { EncodingShardsMissingError, mergeEncodingJob } from "@laion/fmri/jobs";
 * try {
 *   await mergeEncodingJob("encode-clip");
 * } catch (e) {
 *   if (e instanceof EncodingShardsMissingError) console.log(e.command); // sbatch --array=3,7 …
 * }
 * ```
 */
export class EncodingShardsMissingError extends LaionFmriError {
  /** The unfinished shard indices. */
  readonly missing: number[];
  /** `sbatch --array=… <plan>/encode.sbatch`. */
  readonly command: string;

  /**
   * Creates an instance.
   * @param dir the plan folder
   * @param missing the unfinished shards
   * @param total the number of shards
   */
  constructor(dir: string, missing: number[], total: number) {
    const command = `sbatch --array=${arraySpec(missing)} ${planPaths.sbatch(dir)}`;
    super(
      `${missing.length} of ${total} shards are not finished (${arraySpec(missing)}): rerun ` +
        `them with \`${command}\` (without Slurm: \`laion-fmri encode run --plan ${dir} --index ` +
        `${missing[0]}\` for each), then merge again`,
    );
    this.missing = missing;
    this.command = command;
  }
}

/** One subject's merged maps. */
export interface MergedSubject {
  /** The subject. */
  subject: string;
  /** Per brain voxel (anatomical mask axis): the four arrays. */
  values: Record<(typeof SHARD_ARRAYS)[number], Float64Array>;
  /** The NIfTI files written, by array name. */
  niftis: Record<string, string>;
  /**
   * The same maps on fsaverage (both hemispheres; `files` are the func.gii
   * written under upstream's BIDS names), when the subject's FreeSurfer
   * recon is on disk; undefined otherwise or with `fsaverage: false`.
   */
  fsaverage?: MergedSurfaceMaps;
  /** Voxels fitted, and those above the plan's reliability threshold. */
  fitted: number;
  /** Voxels above the reliability threshold. */
  reliable: number;
  /** Median held-out r over the reliable voxels (NaN when none). */
  medianReliableR: number;
}

/** One subject's merged maps on fsaverage. */
export interface MergedSurfaceMaps {
  /** The density (`"fsaverage5"`: 10,242 vertices per hemisphere). */
  density: FsaverageDensity;
  /** Per array name (r, alpha, reliability): one value per vertex and hemisphere. */
  maps: Record<string, { L: Float32Array; R: Float32Array }>;
  /** The func.gii files written, per array name: `[L, R]`. */
  files: Record<string, [string, string]>;
}

/** The outcome of {@linkcode mergeEncodingJob}. */
export interface EncodingMerge {
  /** Per subject. */
  subjects: MergedSubject[];
  /** The Parquet table: subject, voxel, x, y, z (mm), reliability, alpha, looScore, r. */
  parquet: string;
}

/** Options of {@linkcode mergeEncodingJob}. */
export interface EncodingMergeOptions {
  /** Write the NIfTI maps and the Parquet table. @default true */
  write?: boolean;
  /**
   * Also write the maps on fsaverage at this density (the `Subject.toTemplate`
   * surface chain; needs the subject's FreeSurfer recon on disk, else skipped
   * with a progress line naming `download({ subject, includeFreesurfer: true })`),
   * or `false` for none. CLI: `encode merge --fsaverage fsaverage6 | none`.
   * @default "fsaverage5"
   */
  fsaverage?: FsaverageDensity | false;
  /** Where the fsaverage template files come from. @default TemplateFlow's bucket, cached */
  templates?: TemplateFiles;
  /** Progress lines. */
  onProgress?: (line: string) => void;
  /** Cancels the merge. */
  signal?: AbortSignal;
}

/**
 * Merges the shards of the plan in `dir` into `<dir>/maps/`.
 *
 * @throws {EncodingShardsMissingError} when a shard is missing or does not match the plan
 * @example
 * ```ts
 * import { mergeEncodingJob } from "@laion/fmri/jobs";
 * const merged = await mergeEncodingJob("encode-clip");
 * console.log(merged.subjects[0].niftis.r, merged.parquet);
 * ```
 */
export async function mergeEncodingJob(
  dir: string,
  options: EncodingMergeOptions = {},
): Promise<EncodingMerge> {
  const { signal } = options;
  const say = options.onProgress ?? (() => {});
  const plan = await readEncodingPlan(dir);
  const missing: number[] = [];
  const checked = new Map<number, ShardValues>(); // each values file read once
  for (const s of plan.shards) {
    const done = await checkedShard(dir, plan, s.index);
    if (done) checked.set(s.index, done.values);
    else missing.push(s.index);
  }
  if (missing.length) throw new EncodingShardsMissingError(dir, missing, plan.shards.length);
  // An S3 plan: the maps are written to a local folder, then uploaded to `<prefix>/maps/`.
  const s3 = isS3Location(dir);
  const write = options.write ?? true;
  const maps = s3 && write
    ? await Deno.makeTempDir({ prefix: "laion-encode-maps-" })
    : planPaths.maps(dir);
  if (write) await Deno.mkdir(maps, { recursive: true });
  const pl = await loadPolars();
  const frames = [];
  const subjects: MergedSubject[] = [];
  for (const s of plan.subjects) {
    signal?.throwIfAborted();
    const values = Object.fromEntries(
      SHARD_ARRAYS.map((k) => [k, new Float64Array(s.nVoxels).fill(NaN)]),
    ) as MergedSubject["values"];
    for (const shard of plan.shards.filter((x) => x.subject === s.subject)) {
      const v = checked.get(shard.index)!;
      for (const k of SHARD_ARRAYS) values[k].set(v[k], shard.start);
    }
    const niftis: Record<string, string> = {};
    let fsaverage: MergedSurfaceMaps | undefined;
    const reliableR: number[] = [];
    let fitted = 0;
    for (let v = 0; v < s.nVoxels; v++) {
      if (!Number.isNaN(values.r[v])) fitted++;
      if (values.reliability[v] > plan.reliabilityThreshold && !Number.isNaN(values.r[v])) {
        reliableR.push(values.r[v]);
      }
    }
    if (write) {
      const sub = await loadSubject(s.subject, {
        dataDir: plan.source.dataDir,
        betasSource: plan.source.betasSource,
        remote: { endpoint: plan.source.endpoint, bucket: plan.source.bucket, signal },
        signal,
      });
      for (const [k, stat] of [["r", "r"], ["alpha", "alpha"], ["reliability", "splithalf"]]) {
        const path = join(
          maps,
          `${s.subject}_task-images_space-T1w_model-${plan.model}_stat-${stat}_statmap.nii.gz`,
        );
        await sub.toNifti(values[k as "r"], path, { maskSource: "anatomical", signal });
        niftis[k] = path;
      }
      const density = options.fsaverage ?? "fsaverage5";
      if (density !== false && !(await sub.hasFreesurfer())) {
        say(
          `${s.subject}: no FreeSurfer recon in ${plan.source.dataDir}, fsaverage maps skipped ` +
            `(get it with \`download({ subject: "${s.subject}", includeFreesurfer: true })\` or ` +
            `\`laion-fmri download --subject ${s.subject} --include-freesurfer\`, then merge again)`,
        );
      } else if (density !== false) {
        fsaverage = { density, maps: {}, files: {} };
        for (const [k, stat] of [["r", "R"], ["alpha", "Alpha"], ["reliability", "Splithalf"]]) {
          const desc = `${plan.model.replace(/[^A-Za-z0-9]/g, "")}${stat}`;
          const { L, R } = await sub.toTemplate(values[k as "r"], "fsaverage", {
            fsaverageDensity: density,
            maskSource: "anatomical",
            outputDir: maps,
            desc,
            templates: options.templates,
            signal,
          });
          fsaverage.maps[k] = { L, R };
          fsaverage.files[k] = (["L", "R"] as const).map((hemi) =>
            join(
              maps,
              templateFileName({
                subjectId: s.subject,
                target: "fsaverage",
                den: FSAVERAGE_DENSITIES[density],
                hemi,
                desc,
              }),
            )
          ) as [string, string];
        }
        say(
          `${s.subject}: maps on ${density} (${fsaverage.maps.r.L.length} vertices per hemisphere)`,
        );
      }
      const xyz = await sub.getVoxelCoordinates({ maskSource: "anatomical", signal });
      const pick = (axis: number) =>
        Float32Array.from({ length: s.nVoxels }, (_, v) => xyz[3 * v + axis]);
      frames.push(pl.DataFrame({
        subject: Array(s.nVoxels).fill(s.subject),
        voxel: Int32Array.from({ length: s.nVoxels }, (_, v) => v),
        x: pick(0),
        y: pick(1),
        z: pick(2),
        reliability: values.reliability,
        alpha: values.alpha,
        looScore: values.looScore,
        r: values.r,
      }));
    }
    const medianReliableR = median(reliableR);
    say(
      `${s.subject}: ${fitted} of ${s.nVoxels} voxels fitted, ${reliableR.length} with ` +
        `reliability > ${plan.reliabilityThreshold}, median held-out r ${
          medianReliableR.toFixed(3)
        }`,
    );
    subjects.push({
      subject: s.subject,
      values,
      niftis,
      fsaverage,
      fitted,
      reliable: reliableR.length,
      medianReliableR,
    });
  }
  const parquet = join(maps, `voxelwise_model-${plan.model}.parquet`);
  if (write) {
    // deno-lint-ignore no-explicit-any
    const table = pl.concat(frames as any, { how: "vertical" }) as any;
    await writeFileAtomic(parquet, (tmp) => Promise.resolve(table.writeParquet(tmp)), { signal });
    if (s3) {
      const upload = async (path: string) => {
        const key = `maps/${path.slice(maps.length + 1)}`;
        await jobStore(dir).write(key, await Deno.readFile(path), { signal });
        return planPaths.maps(dir) + path.slice(maps.length);
      };
      try {
        for (const m of subjects) {
          for (const k of Object.keys(m.niftis)) m.niftis[k] = await upload(m.niftis[k]);
          // the fsaverage func.gii files too, before the local folder goes
          const files = m.fsaverage?.files ?? {};
          for (const k of Object.keys(files)) {
            files[k] = await Promise.all(files[k].map(upload)) as [string, string];
          }
        }
        const url = await upload(parquet);
        say(`maps in ${planPaths.maps(dir)}`);
        return { subjects, parquet: url };
      } finally {
        await Deno.remove(maps, { recursive: true });
      }
    }
    say(`maps in ${maps}`);
  }
  return { subjects, parquet };
}

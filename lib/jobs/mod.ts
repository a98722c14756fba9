/**
 * `@laion/fmri/jobs`: whole-brain voxelwise encoding as an array job — the
 * same contract for Slurm job arrays, AWS Batch array jobs and Kubernetes
 * Indexed Jobs (a task knows only its index). `laion-fmri encode plan | run
 * | merge` is the command line of the same functions; docs/cluster.md is the
 * runbook.
 *
 * @example
 * ```ts
 * import { mergeEncodingJob, planEncodingJob, runEncodingShard } from "@laion/fmri/jobs";
 * const plan = await planEncodingJob({
 *   subjects: ["sub-01"], model: "CLIP", outDir: "encode-clip", dataDir: "data",
 * });
 * for (const shard of plan.shards) await runEncodingShard("encode-clip", shard.index);
 * const merged = await mergeEncodingJob("encode-clip");
 * console.log(merged.subjects[0].niftis.r, merged.parquet);
 * ```
 * @module
 */
export {
  type EncodingMergeJob,
  type EncodingPlan,
  EncodingPlanConflictError,
  type EncodingPlanOptions,
  type EncodingPlanRidge,
  type EncodingPlanSubject,
  type EncodingResources,
  type EncodingShard,
  type EncodingSource,
  mergeSbatchScript,
  planEncodingJob,
  planPaths,
  readEncodingPlan,
  readPlanDecomposition,
  sbatchScript,
} from "./encode_plan.ts";
export {
  type EncodedBlock,
  encodeVoxelBlock,
  EncodingShardFailedError,
  type EncodingShardOptions,
  type EncodingShardOutcome,
  type EncodingShardRecord,
  finishedShard,
  readShardValues,
  runEncodingShard,
  SHARD_ARRAYS,
  type ShardValues,
} from "./encode_shard.ts";
export {
  type EncodingMerge,
  type EncodingMergeOptions,
  EncodingShardsMissingError,
  type MergedSubject,
  type MergedSurfaceMaps,
  mergeEncodingJob,
} from "./encode_merge.ts";
export {
  type EncodingMapsData,
  encodingMapsData,
  type EncodingMapsDataOptions,
} from "./encode_pictures.ts";
export { arraySpec, SHARD_INDEX_VARIABLES, shardIndex } from "./shard_index.ts";
export {
  isS3Location,
  type JobStore,
  jobStore,
  JobStoreError,
  type JobStoreOptions,
} from "./store.ts";
export {
  fitVoxelwise,
  voxelwiseDecomposition,
  type VoxelwiseDecompositionOptions,
  type VoxelwiseFit,
  type VoxelwiseOptions,
  type VoxelwiseSeconds,
} from "./voxelwise.ts";

/**
 * `encode plan`: the whole-brain voxelwise encoding job cut into shards
 * (subject × block of voxels on the anatomical brain mask's axis, the rows
 * of the GLMsingle model files), written to a folder every task can read:
 *
 * ```
 * <out>/plan.json                the shards, sessions, images, split, source, resources
 * <out>/features/<sub>_<model>.f64   the feature rows of the plan's images (float64, row-major)
 * <out>/features/<sub>_<model>_ridge.f64   their ridge decomposition (values, vectors, Kt·Q)
 * <out>/encode.sbatch            the Slurm array script (CPU/memory from a measured shard)
 * <out>/merge.sbatch             the merge as one Slurm job, to run after the array
 * <out>/shards/shard-00003.json  a finished shard's record (written last, atomically)
 * <out>/shards/shard-00003.f64   its per-voxel results (reliability, alpha, looScore, r)
 * <out>/logs/                    the array tasks' logs
 * <out>/maps/                    merge's NIfTI maps and Parquet table
 * ```
 *
 * The images (the shared natural images, not `shared_4rep_OOD_`), their
 * split, their feature rows and the ridge decomposition of the standardized
 * features are fixed here, once, so every shard fits against the same ones,
 * no shard standardizes or decomposes again, and the nodes need no
 * embedding file. The decomposition is derived from the plan's inputs and
 * is not part of its id: a plan written again with the same inputs keeps
 * the one its finished shards used.
 * @module
 */
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { LaionFmriError, PermissionMissingError } from "../core/errors.ts";
import { EMBEDDING_MODELS, type EmbeddingModel } from "../core/constants.ts";
import { isS3Location, jobStore, locationJoin } from "./store.ts";
import type { SessionId } from "../core/ids.ts";
import { alternateSplit } from "../analysis/split.ts";
import { type RidgeDecomposition, TUTORIAL_ALPHAS } from "../analysis/ridge.ts";
import type { Matrix } from "../analysis/matrix.ts";
import { voxelwiseDecomposition } from "./voxelwise.ts";
import { loadEmbeddings } from "../stimuli/embeddings.ts";
import { getDataDir } from "../local/config.ts";
import { loadSubject } from "../subject/subject.ts";
import { InvalidChoiceError } from "../core/errors.ts";
import { arraySpec, SHARD_INDEX_VARIABLES } from "./shard_index.ts";
import { templateSettings } from "../templates/templateflow.ts";
import { SHARP_ENV } from "../formats/sharp.ts";
import { readEnv } from "../core/permissions.ts";
import { resolveBucketSettings, S3Source } from "../bucket/s3_source.ts";

/** Where every shard reads its betas. */
export interface EncodingSource {
  /** `"remote"`: the model files' rows by HTTP range; `"model"`: the local model files. */
  betasSource: "remote" | "model";
  /** The data directory (absolute): trial tables, masks; small files land here on demand. */
  dataDir: string;
  /** S3 endpoint of remote reads (unset: the configured one). */
  endpoint?: string;
  /** Bucket of remote reads (unset: the configured one). */
  bucket?: string;
}

/** One subject of a plan. */
export interface EncodingPlanSubject {
  /** The subject id. */
  subject: string;
  /** Its sessions, stacked in this order. */
  sessions: string[];
  /** Voxels on the anatomical brain mask's axis (the model files' rows). */
  nVoxels: number;
  /** Trials per session (all trials of the trial table). */
  trialsPerSession: number[];
  /** The shared natural images, sorted: the rows of the features and of every shard's averages. */
  images: string[];
  /** Training rows (positions 0, 2, 4, … of `images`). */
  train: number[];
  /** Test rows (positions 1, 3, 5, …). */
  test: number[];
  /** Feature dimension. */
  nFeatures: number;
  /** The feature file, relative to the plan folder. */
  features: string;
  /** SHA-256 (hex) of the feature file. */
  featuresSha256: string;
  /**
   * The ridge decomposition of the standardized features, shared by every
   * shard (absent in plans written before it was stored: shards then
   * decompose the features themselves).
   */
  ridge?: EncodingPlanRidge;
}

/** Where a plan keeps a subject's ridge decomposition (`voxelwiseDecomposition`). */
export interface EncodingPlanRidge {
  /** The file, relative to the plan folder: values (n), vectors (n × n), testProjection (nt × n), float64. */
  file: string;
  /** SHA-256 (hex) of the file. */
  sha256: string;
  /** The eigenvector that carries the intercept. */
  interceptDim: number;
}

/** A shard: one subject's voxels `start` (inclusive) to `end` (exclusive). */
export interface EncodingShard {
  /** Array index. */
  index: number;
  /** The subject. */
  subject: string;
  /** First voxel (brain-axis position). */
  start: number;
  /** One past the last voxel. */
  end: number;
}

/** CPU, memory and time each array task asks for. */
export interface EncodingResources {
  /** CPUs per task (OpenBLAS threads). */
  cpusPerTask: number;
  /** Memory per task in MiB. */
  memoryMiB: number;
  /** Wall-clock limit per task in minutes. */
  timeMinutes: number;
  /** How the numbers were obtained. */
  basis: string;
  /** Peak RSS of the measured shard in bytes (when measured). */
  measuredPeakBytes?: number;
  /** Seconds of the measured shard (when measured). */
  measuredSeconds?: number;
}

/** The content of `plan.json`. */
export interface EncodingPlan {
  /** Always `"laion-fmri-encode-plan"`. */
  format: "laion-fmri-encode-plan";
  /** Format version. */
  version: 1;
  /** SHA-256 of everything a shard's result depends on: a shard record must carry it. */
  planId: string;
  /** The embedding model. */
  model: EmbeddingModel;
  /** Ridge penalties. */
  alphas: number[];
  /** Reliability threshold of the summaries (every usable voxel is fitted). */
  reliabilityThreshold: number;
  /** Voxels per shard. */
  shardSize: number;
  /** Where the betas come from. */
  source: EncodingSource;
  /** The subjects. */
  subjects: EncodingPlanSubject[];
  /** The shards, index = position. */
  shards: EncodingShard[];
  /** What each task asks for. */
  resources: EncodingResources;
  /** The command that runs `laion-fmri` on a node (the sbatch script appends `encode run …`). */
  command: string[];
  /** How merge.sbatch runs the merge on a node (absent in plans written before it existed). */
  merge?: EncodingMergeJob;
}

/** The merge as a Slurm job (merge.sbatch). */
export interface EncodingMergeJob {
  /**
   * The command that runs `laion-fmri` for the merge: the run's grants plus
   * the maps folder, TemplateFlow's hosts and cache (the fsaverage maps) and
   * a temporary folder (an S3 plan's maps are written there first).
   */
  command: string[];
  /** Whether it makes the fsaverage maps (TemplateFlow's host and cache were resolved). */
  fsaverage: boolean;
}

/** Options of {@linkcode planEncodingJob}. */
export interface EncodingPlanOptions {
  /** Subjects (`"sub-01"`, `"01"`). */
  subjects: readonly string[];
  /** Sessions of every subject. @default each subject's public sessions */
  sessions?: readonly SessionId[];
  /** The embedding model: one of `EMBEDDING_MODELS`. */
  model: EmbeddingModel;
  /** Voxels per shard. @default 5000 */
  shardSize?: number;
  /**
   * The plan folder (local or shared between the nodes), or an S3 prefix `s3://bucket/prefix/`
   * written with your AWS credentials (see {@linkcode jobStore} for a non-AWS endpoint).
   */
  outDir: string;
  /**
   * The data directory (the embedding file must be there; remote subjects fetch their small
   * files here). Shared by the nodes. @default the configured one
   */
  dataDir?: string;
  /** Where shards read betas. @default "remote" */
  betasSource?: "remote" | "model";
  /** Endpoint and bucket of remote reads. @default env LAION_FMRI_S3_ENDPOINT / LAION_FMRI_BUCKET */
  remote?: { endpoint?: string; bucket?: string };
  /** Ridge penalties. @default TUTORIAL_ALPHAS */
  alphas?: readonly number[];
  /** Reliability threshold of the summaries. @default 0.2 */
  reliabilityThreshold?: number;
  /** CPUs per array task. @default 1 */
  cpusPerTask?: number;
  /**
   * Run shard 0 now, as a task runs it (the plan's command in a child
   * process, `cpusPerTask` BLAS threads; needs `--allow-run` for it), to
   * measure its peak memory and time for the sbatch requests (its result is
   * kept: the array skips it).
   * @default true
   */
  measure?: boolean;
  /** Replace a different plan in `outDir` (its shard results are deleted). @default false */
  overwrite?: boolean;
  /** The command that runs `laion-fmri` on a node. @default `deno run <grants> <this checkout's cli.ts>` */
  command?: readonly string[];
  /** Progress lines. */
  onProgress?: (line: string) => void;
  /** Cancels the plan. */
  signal?: AbortSignal;
}

/**
 * The plan folder holds a different plan (other subjects, sessions, model,
 * shard size or source): choose another folder, or pass `overwrite: true`.
 *
 * @example
 * ```ts
 * import { EncodingPlanConflictError, planEncodingJob } from "@laion/fmri/jobs";
 * try {
 *   await planEncodingJob({ subjects: ["sub-01"], model: "DINOv2", outDir: "encode-clip", dataDir: "data" });
 * } catch (e) {
 *   if (e instanceof EncodingPlanConflictError) console.log(e.message);
 * }
 * ```
 */
export class EncodingPlanConflictError extends LaionFmriError {}

const PLAN_FILE = "plan.json";

/**
 * Paths inside a plan folder.
 *
 * @example
 * ```ts
 * import { planPaths } from "@laion/fmri/jobs";
 * planPaths.sbatch("encode-clip"); // "encode-clip/encode.sbatch"
 * planPaths.record("encode-clip", 3); // "encode-clip/shards/shard-00003.json"
 * ```
 */
export const planPaths = {
  /** `plan.json`. */
  plan: (dir: string): string => locationJoin(dir, PLAN_FILE),
  /** The sbatch script. */
  sbatch: (dir: string): string => locationJoin(dir, "encode.sbatch"),
  /** The merge's sbatch script (one job, after the array). */
  mergeSbatch: (dir: string): string => locationJoin(dir, "merge.sbatch"),
  /** A shard's record. */
  record: (dir: string, i: number): string => locationJoin(dir, shardKey(i, "json")),
  /** A shard's values. */
  values: (dir: string, i: number): string => locationJoin(dir, shardKey(i, "f64")),
  /** The logs folder (for an S3 plan: the folder sbatch is called from). */
  logs: (dir: string): string => isS3Location(dir) ? "." : join(dir, "logs"),
  /** The maps folder. */
  maps: (dir: string): string => locationJoin(dir, "maps"),
};

/** The key of a shard's record (`json`) or values (`f64`) in the plan's store. */
export function shardKey(i: number, ext: "json" | "f64"): string {
  return `shards/shard-${String(i).padStart(5, "0")}.${ext}`;
}

/**
 * SHA-256 of bytes, hex.
 *
 * @example
 * ```ts
 * import { sha256Hex } from "./encode_plan.ts";
 * await sha256Hex(new Uint8Array()); // "e3b0c442…"
 * ```
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

function planIdOf(plan: Omit<EncodingPlan, "planId" | "resources" | "command">): Promise<string> {
  const { model, alphas, shardSize, source, shards } = plan;
  // The decomposition is derived from these inputs (its last bits may differ between machines).
  const subjects = plan.subjects.map(({ ridge: _, ...inputs }) => inputs);
  return sha256Hex(
    new TextEncoder().encode(
      JSON.stringify({ model, alphas, shardSize, source, subjects, shards }),
    ),
  );
}

/**
 * Reads `plan.json` of a plan folder.
 *
 * @throws {LaionFmriError} when the folder holds no plan, naming `laion-fmri encode plan`
 * @example
 * ```ts
 * import { readEncodingPlan } from "@laion/fmri/jobs";
 * const plan = await readEncodingPlan("encode-clip");
 * console.log(plan.shards.length);
 * ```
 */
export async function readEncodingPlan(dir: string): Promise<EncodingPlan> {
  const path = planPaths.plan(dir);
  const bytes = await jobStore(dir).read(PLAN_FILE);
  if (!bytes) {
    throw new LaionFmriError(
      `${path} does not exist: write a plan first with \`laion-fmri encode plan --out ${dir} …\``,
    );
  }
  let plan: EncodingPlan;
  try {
    plan = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new LaionFmriError(
      `${path} is not valid JSON (${(e as Error).message}): write the plan again with ` +
        "`laion-fmri encode plan --overwrite`",
      { cause: e },
    );
  }
  if (plan?.format !== "laion-fmri-encode-plan" || plan.version !== 1) {
    throw new LaionFmriError(
      `${path} is not an encode plan of format version 1 (format ${
        JSON.stringify(plan?.format)
      }, version ${JSON.stringify(plan?.version)}): write the plan again with ` +
        "`laion-fmri encode plan --overwrite`",
    );
  }
  return plan;
}

/**
 * The feature rows of a plan's subject (images × features, float64), checked against its hash.
 *
 * @throws {LaionFmriError} when the file was changed after the plan
 * @example
 * ```ts
 * import { readEncodingPlan } from "@laion/fmri/jobs";
 * import { readPlanFeatures } from "./encode_plan.ts";
 * const plan = await readEncodingPlan("encode-clip");
 * console.log((await readPlanFeatures("encode-clip", plan.subjects[0])).cols);
 * ```
 */
export async function readPlanFeatures(
  dir: string,
  s: EncodingPlanSubject,
): Promise<{ rows: number; cols: number; data: Float64Array }> {
  const bytes = await jobStore(dir).read(s.features);
  if (!bytes || (await sha256Hex(bytes)) !== s.featuresSha256) {
    throw new LaionFmriError(
      `${
        locationJoin(dir, s.features)
      } does not match its plan (SHA-256 differs): it was changed after ` +
        "`laion-fmri encode plan`; write the plan again with --overwrite",
    );
  }
  return {
    rows: s.images.length,
    cols: s.nFeatures,
    data: new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8),
  };
}

/**
 * The ridge decomposition a plan stores for a subject, checked against its
 * hash; `undefined` for a plan written before decompositions were stored.
 *
 * @throws {LaionFmriError} when the file is missing or was changed after the plan
 * @example
 * ```ts
 * import { readEncodingPlan, readPlanDecomposition } from "@laion/fmri/jobs";
 * const plan = await readEncodingPlan("encode-clip");
 * console.log((await readPlanDecomposition("encode-clip", plan.subjects[0]))?.values);
 * ```
 */
export async function readPlanDecomposition(
  dir: string,
  s: EncodingPlanSubject,
  signal?: AbortSignal,
): Promise<RidgeDecomposition | undefined> {
  if (!s.ridge) return undefined;
  const bytes = await jobStore(dir).read(s.ridge.file, signal);
  if (!bytes || (await sha256Hex(bytes)) !== s.ridge.sha256) {
    throw new LaionFmriError(
      `${locationJoin(dir, s.ridge.file)} ${
        bytes ? "does not match its plan (SHA-256 differs)" : "is missing"
      }: write the plan again with \`laion-fmri encode plan --overwrite\``,
    );
  }
  const all = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
  const n = s.train.length, nt = s.test.length;
  if (all.length !== n + n * n + nt * n) {
    throw new LaionFmriError(
      `${locationJoin(dir, s.ridge.file)} holds ${all.length} values, not the ${
        n + n * n + nt * n
      } of ${n} train and ${nt} test images: write the plan again with --overwrite`,
    );
  }
  return {
    trainRows: n,
    testRows: nt,
    fitIntercept: true,
    values: all.subarray(0, n),
    vectors: all.subarray(n, n + n * n),
    interceptDim: s.ridge.interceptDim,
    testProjection: all.subarray(n + n * n),
  };
}

/** The bytes of a decomposition file (see {@linkcode readPlanDecomposition}). */
function decompositionBytes(d: RidgeDecomposition): Uint8Array {
  const n = d.trainRows;
  const all = new Float64Array(n + n * n + d.testRows * n);
  all.set(d.values, 0);
  all.set(d.vectors, n);
  all.set(d.testProjection, n + n * n);
  return new Uint8Array(all.buffer);
}

/**
 * Is the label a shared natural image (the tutorial's `shared_` but not `shared_4rep_OOD_`)?
 *
 * @example
 * ```ts
 * import { isSharedNatural } from "./encode_plan.ts";
 * isSharedNatural("shared_4rep_NSD_special1000_382.jpg"); // true
 * isSharedNatural("shared_4rep_OOD_shape_12.jpg"); // false
 * ```
 */
export function isSharedNatural(label: string): boolean {
  return label.startsWith("shared_") && !label.startsWith("shared_4rep_OOD_");
}

/** Deno's grants for `encode run` (or, with `merge`, `encode merge`) on a node. */
function defaultCommand(
  dir: string,
  source: EncodingSource,
  merge?: { templateflow?: { hosts: string[]; cacheDir: string }; tmp: string },
): string[] {
  const cli = new URL("../../cli.ts", import.meta.url);
  const args = [Deno.execPath(), "run"];
  if (cli.protocol === "file:") {
    args.push("--config", fileURLToPath(new URL("./deno.json", cli)));
  }
  const s3 = isS3Location(dir);
  const writes = [...(s3 ? [] : [dir]), source.dataDir];
  // merge: an S3 plan's maps are written in a temporary folder first; TemplateFlow's cache.
  if (merge && s3) writes.push(merge.tmp);
  if (merge?.templateflow) writes.push(merge.templateflow.cacheDir);
  args.push("--allow-read", `--allow-write=${writes.join(",")}`);
  const hosts = [];
  if (source.betasSource === "remote") {
    // The host the reads go to, as the bucket source addresses it (bucket.s3.region on AWS).
    const net = new S3Source({ endpoint: source.endpoint, bucket: source.bucket }).netPermission;
    hosts.push(net.slice("--allow-net=".length).replace(/:\d+$/, ""));
  }
  // An S3 output: the caller's endpoint and credentials (the AWS chain reads AWS_* variables,
  // ~/.aws, and a role from the container or instance metadata service).
  if (s3) hosts.push(...outputHosts(dir));
  if (merge?.templateflow) hosts.push(...merge.templateflow.hosts);
  if (hosts.length) args.push(`--allow-net=${[...new Set(hosts)].join(",")}`);
  const env = [
    "LAION_FMRI_S3_ENDPOINT",
    "LAION_FMRI_BUCKET",
    "LAION_FMRI_SPLITS_DIR",
    "XDG_CONFIG_HOME",
    "HOME",
    "CI",
    "AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA",
    "AWS_LAMBDA_BENCHMARK_MODE",
    "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED",
    ...SHARD_INDEX_VARIABLES,
    // merge: TemplateFlow's settings, and sharp's for the pictures
    ...(merge
      ? [
        "TEMPLATEFLOW_HOME",
        "LAION_FMRI_TEMPLATEFLOW_ENDPOINT",
        "LAION_FMRI_TEMPLATEFLOW_BUCKET",
        ...SHARP_ENV,
      ]
      : []),
  ];
  args.push(
    s3 ? "--allow-env" : `--allow-env=${env.join(",")}`,
    "--allow-ffi",
    // The signing S3 client of an S3 output reads the OS release for its user agent.
    `--allow-sys=cpus,networkInterfaces,hostname${s3 ? ",osRelease" : ""}`,
  );
  args.push(cli.protocol === "file:" ? fileURLToPath(cli) : cli.href);
  return args;
}

/** merge.sbatch's command: the caller's, or the default grants with TemplateFlow's when resolved. */
function mergeJob(
  dir: string,
  source: EncodingSource,
  command: readonly string[] | undefined,
): EncodingMergeJob {
  if (command) return { command: [...command], fsaverage: true };
  const grants = mergeGrants();
  return { command: defaultCommand(dir, source, grants), fsaverage: !!grants.templateflow };
}

/**
 * The merge's grants: TemplateFlow's hosts and cache as this process
 * resolves them (its environment is the job's: sbatch exports it), or none
 * when they cannot be resolved here (merge.sbatch then skips the fsaverage
 * maps and says why).
 */
function mergeGrants(): { templateflow?: { hosts: string[]; cacheDir: string }; tmp: string } {
  const tmp = readEnv("TMPDIR") || "/tmp";
  try {
    const t = templateSettings();
    const host = new URL(t.endpoint).host.replace(/:\d+$/, "");
    // AWS S3 is addressed virtual-host style (bucket.s3.region.amazonaws.com).
    const hosts = host.endsWith("amazonaws.com") ? [`${t.bucket}.${host}`, host] : [host];
    return { templateflow: { hosts, cacheDir: t.cacheDir }, tmp };
  } catch {
    return { tmp };
  }
}

/** `--endpoint URL` for a task of an S3 plan on a non-AWS S3. */
function endpointArgs(dir: string): string[] {
  const e = isS3Location(dir) ? jobStore(dir).endpoint : undefined;
  return e ? ["--endpoint", e] : [];
}

/** The hosts a task writes an S3 output through. */
function outputHosts(dir: string): string[] {
  const e = jobStore(dir).endpoint;
  if (e) return [new URL(e).host.replace(/:\d+$/, "")];
  const bucket = dir.slice(5).split("/")[0];
  const region = jobStore(dir).region;
  return [
    `${bucket}.s3.${region}.amazonaws.com`,
    `${bucket}.s3.amazonaws.com`,
    "sts.amazonaws.com",
    `sts.${region}.amazonaws.com`,
    "169.254.169.254",
    "169.254.170.2",
  ];
}

const shellQuote = (s: string) =>
  /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;

/** Minutes as Slurm's `D-HH:MM:SS`. */
function slurmTime(minutes: number): string {
  const m = Math.max(1, Math.ceil(minutes));
  const d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60), mm = m % 60;
  return `${d}-${String(h).padStart(2, "0")}:${String(mm).padStart(2, "0")}:00`;
}

/**
 * The sbatch array script of a plan: one task per shard, its index from
 * `SLURM_ARRAY_TASK_ID`, OpenBLAS on the task's CPUs, logs in `<dir>/logs`.
 *
 * @example
 * ```ts
 * import { readEncodingPlan, sbatchScript } from "@laion/fmri/jobs";
 * console.log(sbatchScript("encode-clip", await readEncodingPlan("encode-clip")));
 * ```
 */
export function sbatchScript(dir: string, plan: EncodingPlan): string {
  const r = plan.resources;
  const run = [...plan.command, "encode", "run", "--plan", dir, ...endpointArgs(dir)]
    .map(shellQuote).join(" ");
  return [
    "#!/bin/bash",
    `#SBATCH --job-name=laion-encode-${plan.model}`,
    `#SBATCH --array=0-${plan.shards.length - 1}`,
    `#SBATCH --cpus-per-task=${r.cpusPerTask}`,
    `#SBATCH --mem=${r.memoryMiB}M`,
    `#SBATCH --time=${slurmTime(r.timeMinutes)}`,
    `#SBATCH --output=${planPaths.logs(dir)}/%A_%a.out`,
    `# Written by \`laion-fmri encode plan\` (plan ${plan.planId.slice(0, 12)}, ` +
    `${plan.shards.length} shards of ${plan.shardSize} voxels, ${plan.model}).`,
    `# Resources: ${r.basis}.`,
    "# Failed or missing shards (`laion-fmri encode merge` names them) are resubmitted alone:",
    `#   sbatch --array=3,7 ${planPaths.sbatch(dir)}`,
    "# A shard already finished for this plan is skipped, so resubmitting everything is safe too.",
    `# The merge, once every task has ended: sbatch --dependency=afterany:<job id> ${
      planPaths.mergeSbatch(dir)
    }`,
    "set -euo pipefail",
    'export OPENBLAS_NUM_THREADS="${SLURM_CPUS_PER_TASK:-1}"',
    "# Huge pages for the task's large buffers (glibc 2.35+, ignored elsewhere): first-touch page",
    "# faults were a third of a 5,000-voxel shard's time.",
    `export GLIBC_TUNABLES="${TASK_TUNABLE}\${GLIBC_TUNABLES:+:\$GLIBC_TUNABLES}"`,
    "# The task's index comes from SLURM_ARRAY_TASK_ID (laion-fmri encode run reads it).",
    `exec ${run}`,
    "",
  ].join("\n");
}

/**
 * The merge as one Slurm job (`merge.sbatch`), to submit after the array
 * with `--dependency=afterany:<array job id>`: with `afterany` it runs even
 * when a task failed, and then names the missing shards and the command
 * that reruns them in its log, as `laion-fmri encode merge` does.
 *
 * @example
 * ```ts
 * import { mergeSbatchScript, readEncodingPlan } from "@laion/fmri/jobs";
 * console.log(mergeSbatchScript("encode-clip", await readEncodingPlan("encode-clip")));
 * ```
 */
export function mergeSbatchScript(dir: string, plan: EncodingPlan): string {
  const job = plan.merge ?? { command: plan.command, fsaverage: false };
  const merge = [
    ...job.command,
    "encode",
    "merge",
    "--plan",
    dir,
    ...endpointArgs(dir),
    ...(job.fsaverage ? [] : ["--fsaverage", "none"]),
  ].map(shellQuote).join(" ");
  // The merged maps of every subject in memory, plus the volumes and pictures of one.
  const voxels = plan.subjects.reduce((a, s) => a + s.nVoxels, 0);
  const memoryMiB = Math.max(2048, Math.ceil((voxels * 4 * 8 * 3) / 2 ** 20) + 1024);
  return [
    "#!/bin/bash",
    `#SBATCH --job-name=laion-encode-${plan.model}-merge`,
    "#SBATCH --cpus-per-task=1",
    `#SBATCH --mem=${memoryMiB}M`,
    "#SBATCH --time=01:00:00",
    `#SBATCH --output=${planPaths.logs(dir)}/merge_%j.out`,
    `# Written by \`laion-fmri encode plan\` (plan ${plan.planId.slice(0, 12)}): the merge of ` +
    `${planPaths.sbatch(dir)}'s shards into ${planPaths.maps(dir)}.`,
    "# Submit it after the array, so it starts when every task has ended:",
    `#   job=$(sbatch --parsable ${planPaths.sbatch(dir)})`,
    `#   sbatch --dependency=afterany:$job ${planPaths.mergeSbatch(dir)}`,
    "# When a task failed, its log (and this job's) names the shards and the sbatch command that",
    "# reruns them; submit that, then this script again.",
    ...(job.fsaverage ? [] : [
      "# --fsaverage none: TemplateFlow's host and cache could not be resolved when the plan was",
      "# written; run `laion-fmri encode merge` yourself for the fsaverage maps.",
    ]),
    "set -euo pipefail",
    `exec ${merge}`,
    "",
  ].join("\n");
}

/**
 * Writes a plan (see the module doc): checks the subjects, sessions and
 * model, fixes the images, split and feature rows of each subject, cuts
 * the voxels into shards, measures shard 0 (unless `measure: false`) and
 * writes the sbatch script. Rerunning it with the same inputs keeps the
 * finished shards.
 *
 * @throws {InvalidChoiceError} for an unknown model
 * @throws {RangeError} for a bad shard size or no subjects
 * @throws {EncodingPlanConflictError} when `outDir` holds a different plan and `overwrite` is not set
 * @example
 * ```ts
 * import { planEncodingJob } from "@laion/fmri/jobs";
 * const plan = await planEncodingJob({
 *   subjects: ["sub-01"], model: "CLIP", shardSize: 5000, outDir: "encode-clip", dataDir: "data",
 * });
 * console.log(plan.shards.length, plan.resources);
 * ```
 */
export async function planEncodingJob(options: EncodingPlanOptions): Promise<EncodingPlan> {
  const say = options.onProgress ?? (() => {});
  const { signal } = options;
  if (!(EMBEDDING_MODELS as readonly string[]).includes(options.model)) {
    throw new InvalidChoiceError("model", options.model, EMBEDDING_MODELS, "Pass --model CLIP");
  }
  const shardSize = options.shardSize ?? 5000;
  if (!Number.isInteger(shardSize) || shardSize < 1) {
    throw new RangeError(`shardSize must be a positive integer, got ${shardSize}`);
  }
  if (options.subjects.length === 0) {
    throw new RangeError("subjects must name at least one subject");
  }
  const cpusPerTask = options.cpusPerTask ?? 1;
  if (!Number.isInteger(cpusPerTask) || cpusPerTask < 1) {
    throw new RangeError(`cpusPerTask must be a positive integer, got ${cpusPerTask}`);
  }
  const dir = isS3Location(options.outDir) ? options.outDir : resolve(options.outDir);
  const store = jobStore(dir);
  const betasSource = options.betasSource ?? "remote";
  if (betasSource !== "remote" && betasSource !== "model") {
    throw new InvalidChoiceError("betasSource", betasSource, ["remote", "model"]);
  }
  const source: EncodingSource = {
    betasSource,
    dataDir: resolve(options.dataDir ?? getDataDir()),
    // The bucket in effect here (given, else the environment's, else the real one), fixed for
    // every task.
    ...(betasSource === "remote" ? resolveBucketSettings(options.remote) : {}),
  };
  const remote = { endpoint: source.endpoint, bucket: source.bucket, signal };
  using emb = await loadEmbeddings({ models: [options.model], dataDir: source.dataDir, signal });
  const subjects: EncodingPlanSubject[] = [];
  const featureRows: Matrix[] = [];
  const shards: EncodingShard[] = [];
  for (const id of options.subjects) {
    const sub = await loadSubject(id, { dataDir: source.dataDir, betasSource, remote, signal });
    const sessions = options.sessions
      ? [...new Set(options.sessions.map(String))]
      : await sub.getSessions({ signal });
    const nVoxels = await sub.getNVoxels({ maskSource: "anatomical", signal });
    const tables = await sub.getTrialInfo({ sessions, signal });
    const trialsPerSession: number[] = [];
    const names = new Set<string>();
    const resolvedSessions = [...tables.keys()];
    for (const t of tables.values()) {
      const labels = t.getColumn("label").toArray() as string[];
      trialsPerSession.push(labels.length);
      for (const l of labels) if (isSharedNatural(l)) names.add(l);
    }
    const images = [...names].sort();
    const split = alternateSplit(images);
    const m = emb.get(options.model, images);
    const features = `features/${sub.subjectId}_${options.model}.f64`;
    // Kept in memory until the plan is known not to conflict with the folder's.
    const data = Float64Array.from(m.data);
    const bytes = new Uint8Array(data.buffer);
    featureRows.push({ rows: images.length, cols: m.cols, data });
    subjects.push({
      subject: sub.subjectId,
      sessions: resolvedSessions,
      nVoxels,
      trialsPerSession,
      images,
      train: split.train,
      test: split.test,
      nFeatures: m.cols,
      features,
      featuresSha256: await sha256Hex(bytes),
    });
    for (let start = 0; start < nVoxels; start += shardSize) {
      shards.push({
        index: shards.length,
        subject: sub.subjectId,
        start,
        end: Math.min(nVoxels, start + shardSize),
      });
    }
    say(
      `${sub.subjectId}: ${resolvedSessions.length} sessions, ${images.length} shared natural ` +
        `images (${split.train.length} train / ${split.test.length} test), ${nVoxels} voxels ` +
        `-> ${Math.ceil(nVoxels / shardSize)} shards`,
    );
  }
  const body = {
    format: "laion-fmri-encode-plan" as const,
    version: 1 as const,
    model: options.model,
    alphas: [...(options.alphas ?? TUTORIAL_ALPHAS)],
    reliabilityThreshold: options.reliabilityThreshold ?? 0.2,
    shardSize,
    source,
    subjects,
    shards,
  };
  const planId = await planIdOf(body);
  let old: EncodingPlan | undefined;
  if (await store.exists(PLAN_FILE, signal)) {
    old = await readEncodingPlan(dir).catch(() => undefined);
    if (old?.planId !== planId) {
      if (!options.overwrite) {
        throw new EncodingPlanConflictError(
          `${dir} holds a different encode plan (${old?.planId.slice(0, 12) ?? "unreadable"}): ` +
            "choose another --out, or pass --overwrite to replace it and delete its shard results",
        );
      }
      await store.removePrefix("shards/", signal);
      await store.removePrefix("maps/", signal);
    }
  }
  for (const [i, subject] of subjects.entries()) {
    await store.write(subject.features, new Uint8Array(featureRows[i].data.buffer), { signal });
    // The same plan again: its finished shards used the stored decomposition, so keep it.
    const kept = old?.planId === planId ? old.subjects[i].ridge : undefined;
    if (kept && (await readPlanDecomposition(dir, old!.subjects[i], signal).catch(() => 0))) {
      subject.ridge = kept;
      continue;
    }
    const t = performance.now();
    const d = await voxelwiseDecomposition(subject.images, featureRows[i], { signal });
    const file = subject.features.replace(/\.f64$/, "_ridge.f64");
    const bytes = decompositionBytes(d);
    await store.write(file, bytes, { signal });
    subject.ridge = { file, sha256: await sha256Hex(bytes), interceptDim: d.interceptDim };
    say(
      `${subject.subject}: ridge decomposition of ${d.trainRows} train images x ` +
        `${subject.nFeatures} features in ${((performance.now() - t) / 1000).toFixed(2)} s ` +
        "(shared by every shard)",
    );
  }
  if (!isS3Location(dir)) {
    await Deno.mkdir(join(dir, "shards"), { recursive: true });
    await Deno.mkdir(planPaths.logs(dir), { recursive: true });
  }
  const plan: EncodingPlan = {
    ...body,
    planId,
    resources: estimateResources(body, cpusPerTask),
    command: options.command ? [...options.command] : defaultCommand(dir, source),
    merge: mergeJob(dir, source, options.command),
  };
  // plan.json and its two scripts always together: a failed measurement leaves no script of an
  // older plan beside this one.
  const writePlan = async () => {
    await store.write(PLAN_FILE, JSON.stringify(plan, null, 1), { signal });
    await store.write("encode.sbatch", sbatchScript(dir, plan), { signal, mode: 0o755 });
    await store.write("merge.sbatch", mergeSbatchScript(dir, plan), { signal, mode: 0o755 });
  };
  await writePlan();
  if (options.measure ?? true) {
    // Shard 0 run as a task runs it: its own process, the task's command and BLAS threads.
    const { record, seconds } = await measureShard(dir, plan, signal);
    const peak = record.peakRssBytes ?? 0;
    const mib = 2 ** 20;
    plan.resources = {
      cpusPerTask,
      memoryMiB: Math.ceil(Math.max(peak * 1.25, peak + 256 * mib) / mib),
      timeMinutes: Math.max(10, Math.ceil((seconds * 10) / 60)),
      basis:
        `shard 0 run as a task (own process, ${cpusPerTask} BLAS thread(s)): peak RSS ${
          (peak / mib).toFixed(0)
        } MiB, ${seconds.toFixed(1)} s; asks for max(1.25 x peak, peak + 256 MiB) and 10 x ` +
        "the time (at least 10 min)",
      measuredPeakBytes: peak,
      measuredSeconds: seconds,
    };
    await writePlan();
  }
  say(
    `plan ${planId.slice(0, 12)}: ${shards.length} shards -> ${planPaths.sbatch(dir)} ` +
      `(sbatch --array=${
        arraySpec(shards.map((s) => s.index))
      }; ${plan.resources.memoryMiB} MiB, ` +
      `${cpusPerTask} CPU per task)`,
  );
  return plan;
}

/**
 * The glibc tunable a task runs with: malloc asks for transparent huge pages
 * (`madvise` mode, the default of most distributions). A task touches a few
 * hundred MB once; 4 KiB first-touch page faults cost about 2.5 ms per MB on
 * the machines measured: one task of a 5,000-voxel shard of the realistic profile took 1.45 s
 * instead of 1.9 s.
 */
const TASK_TUNABLE = "glibc.malloc.hugetlb=1";

/** `GLIBC_TUNABLES` with {@linkcode TASK_TUNABLE} first, keeping the caller's. */
function withHugePages(current: string | undefined): string {
  return current ? `${TASK_TUNABLE}:${current}` : TASK_TUNABLE;
}

/** Runs shard 0 with the plan's command in a child process; its record holds its peak RSS. */
async function measureShard(dir: string, plan: EncodingPlan, signal?: AbortSignal) {
  const [cmd, ...args] = plan.command;
  const t0 = performance.now();
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(cmd, {
      args: [
        ...args,
        "encode",
        "run",
        "--plan",
        dir,
        ...endpointArgs(dir),
        "--index",
        "0",
        "--force",
      ],
      env: {
        OPENBLAS_NUM_THREADS: String(plan.resources.cpusPerTask),
        GLIBC_TUNABLES: withHugePages(readEnv("GLIBC_TUNABLES")),
      },
      stdout: "piped",
      stderr: "piped",
      signal,
    }).output();
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable || (e instanceof Error && e.name === "NotCapable")) {
      throw new PermissionMissingError(
        `run shard 0 as a task (${cmd}) to measure its memory and time`,
        `--allow-run=${cmd}`,
        { cause: e },
      );
    }
    throw e;
  }
  const seconds = (performance.now() - t0) / 1000;
  if (!out.success) {
    const log = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-5).join("\n");
    throw new LaionFmriError(
      `measuring shard 0 failed (exit ${out.code}); fix the cause, or plan with --no-measure: ${log}`,
    );
  }
  const record = JSON.parse(
    new TextDecoder().decode(await jobStore(dir).read(shardKey(0, "json"))),
  );
  return { record: record as { peakRssBytes?: number }, seconds };
}

/** Requests from the sizes when no shard was measured (a formula, stated as such). */
function estimateResources(
  body: Pick<EncodingPlan, "subjects" | "alphas" | "shardSize">,
  cpusPerTask: number,
): EncodingResources {
  let perVoxel = 0;
  for (const s of body.subjects) {
    const trials = s.trialsPerSession.reduce((a, b) => a + b, 0);
    const n = s.images.length;
    // float32 rows read + natural rows as float64 + 3 means + centred train + per-alpha predictions
    perVoxel = Math.max(
      perVoxel,
      trials * 4 + trials * 8 + n * 8 * 3 + s.train.length * 8 * 3 +
        (body.alphas.length + 3) * s.test.length * 8,
    );
  }
  const mib = 2 ** 20;
  return {
    cpusPerTask,
    memoryMiB: Math.ceil((512 * mib + 1.5 * perVoxel * body.shardSize) / mib),
    timeMinutes: 60,
    basis: "estimated from the sizes (not measured): 512 MiB + 1.5 x the arrays of one shard",
  };
}

/**
 * `encode run`: one shard of a plan. Reads the block's rows of every
 * session's GLMsingle model file (by HTTP range, or from the local files),
 * averages the repeats of the shared natural images, fits the tutorial's
 * model per voxel ({@linkcode fitVoxelwise}) and writes the result
 * atomically: the values file first, then the record naming its SHA-256, so
 * a task killed at any point leaves either nothing or a whole result. A
 * shard whose record matches the plan (and whose values match the record)
 * is skipped.
 * @module
 */
import { hostname } from "node:os";
import { LaionFmriError } from "../core/errors.ts";
import { jobStore } from "./store.ts";
import { averageRepeatRows, type RepeatAverages } from "../analysis/repeats.ts";
import { loadSubject } from "../subject/subject.ts";
import {
  type EncodingPlan,
  type EncodingPlanSubject,
  isSharedNatural,
  planPaths,
  readEncodingPlan,
  readPlanDecomposition,
  readPlanFeatures,
  sha256Hex,
  shardKey,
} from "./encode_plan.ts";
import { fitVoxelwise, type VoxelwiseFit } from "./voxelwise.ts";

/** What a finished shard leaves beside its values. */
export interface EncodingShardRecord {
  /** The plan it belongs to. */
  planId: string;
  /** Its index. */
  index: number;
  /** The subject. */
  subject: string;
  /** First voxel. */
  start: number;
  /** One past the last voxel. */
  end: number;
  /** SHA-256 of the values file. */
  sha256: string;
  /** Voxels fitted (finite, non-constant). */
  fitted: number;
  /** Body bytes read from the bucket (0 for local files). */
  bytesRead: number;
  /** Bytes of the rows themselves (trials × voxels × 4). */
  payloadBytes: number;
  /** Seconds: reading, fitting, total. */
  seconds: { read: number; fit: number; total: number };
  /** Peak RSS of the process (VmHWM), bytes, when readable. */
  peakRssBytes?: number;
  /** Linear algebra backend. */
  backend: string;
  /** Host that ran it. */
  host: string;
  /** When it finished (ISO 8601). */
  finishedAt: string;
}

/**
 * A shard could not be read or fitted. Nothing was written for it; the
 * message names the shard and the commands that rerun it, and `cause` is
 * the original error.
 *
 * @example
 * ```ts
 * import { EncodingShardFailedError, runEncodingShard } from "@laion/fmri/jobs";
 * try {
 *   await runEncodingShard("encode-clip", 3);
 * } catch (e) {
 *   if (e instanceof EncodingShardFailedError) console.log(e.index, e.cause);
 * }
 * ```
 */
export class EncodingShardFailedError extends LaionFmriError {
  /** The shard. */
  readonly index: number;

  /**
   * Creates an instance.
   * @param dir the plan folder
   * @param index the shard
   * @param what the shard described (subject and voxels)
   * @param cause the error
   */
  constructor(dir: string, index: number, what: string, cause: unknown) {
    const message = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
    super(
      `${what} failed: ${message} — nothing was written for it; once the cause is fixed, rerun ` +
        `it with \`sbatch --array=${index} ${planPaths.sbatch(dir)}\` or \`laion-fmri encode run ` +
        `--plan ${dir} --index ${index}\``,
      { cause },
    );
    this.index = index;
  }
}

/** Options of {@linkcode runEncodingShard}. */
export interface EncodingShardOptions {
  /** Run even when a matching result exists (it is replaced atomically). @default false */
  force?: boolean;
  /** Progress lines (the job's log). */
  onProgress?: (line: string) => void;
  /** Cancels the shard; nothing is written. */
  signal?: AbortSignal;
}

/** The outcome of {@linkcode runEncodingShard}. */
export interface EncodingShardOutcome {
  /** True when a matching result was already there (nothing was done). */
  skipped: boolean;
  /** The shard's record. */
  record: EncodingShardRecord;
}

/**
 * The four per-voxel arrays in a values file, in this order.
 *
 * @example
 * ```ts
 * import { SHARD_ARRAYS } from "@laion/fmri/jobs";
 * console.log(SHARD_ARRAYS); // ["reliability", "alpha", "looScore", "r"]
 * ```
 */
export const SHARD_ARRAYS = ["reliability", "alpha", "looScore", "r"] as const;

/**
 * Peak RSS of this process in bytes: `VmHWM` of `/proc/self/status`, read
 * through libc by FFI (Deno refuses that file without `--allow-all`).
 * Not `getrusage`'s `ru_maxrss`: Linux carries a parent's peak over
 * fork + exec into it, so a shard started by a big process would report
 * the parent's. `undefined` without `--allow-ffi` or off Linux.
 */
function peakRss(): number | undefined {
  if (Deno.build.os !== "linux") return undefined;
  try {
    const libc = Deno.dlopen("libc.so.6", {
      open: { parameters: ["buffer", "i32"], result: "i32" },
      read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
      close: { parameters: ["i32"], result: "i32" },
    });
    try {
      const fd = libc.symbols.open(new TextEncoder().encode("/proc/self/status\0"), 0);
      if (fd < 0) return undefined;
      const buf = new Uint8Array(16384);
      const n = Number(libc.symbols.read(fd, buf, BigInt(buf.length)));
      libc.symbols.close(fd);
      const m = new TextDecoder().decode(buf.subarray(0, Math.max(0, n)))
        .match(/^VmHWM:\s+(\d+) kB/m);
      return m ? Number(m[1]) * 1024 : undefined;
    } finally {
      libc.close();
    }
  } catch {
    return undefined;
  }
}

/**
 * The record of a finished shard when it matches the plan and its values
 * file matches the record; `undefined` otherwise (absent, stale, partial).
 *
 * @example
 * ```ts
 * import { readEncodingPlan } from "@laion/fmri/jobs";
 * import { finishedShard } from "@laion/fmri/jobs";
 * const plan = await readEncodingPlan("encode-clip");
 * console.log(await finishedShard("encode-clip", plan, 3));
 * ```
 */
export async function finishedShard(
  dir: string,
  plan: EncodingPlan,
  index: number,
): Promise<EncodingShardRecord | undefined> {
  return (await checkedShard(dir, plan, index))?.record;
}

/**
 * {@linkcode finishedShard} with the values it checked, so a caller that
 * needs them (merge) reads each values file once.
 */
export async function checkedShard(
  dir: string,
  plan: EncodingPlan,
  index: number,
): Promise<{ record: EncodingShardRecord; values: ShardValues } | undefined> {
  const shard = plan.shards[index];
  let record: EncodingShardRecord;
  try {
    const text = await jobStore(dir).read(shardKey(index, "json"));
    if (!text) return undefined;
    record = JSON.parse(new TextDecoder().decode(text));
  } catch (e) {
    if (e instanceof SyntaxError) return undefined;
    throw e;
  }
  if (
    record.planId !== plan.planId || record.index !== index || record.subject !== shard.subject ||
    record.start !== shard.start || record.end !== shard.end
  ) return undefined;
  const bytes = await jobStore(dir).read(shardKey(index, "f64"));
  if (!bytes || bytes.length !== SHARD_ARRAYS.length * 8 * (shard.end - shard.start)) {
    return undefined;
  }
  return (await sha256Hex(bytes)) === record.sha256
    ? { record, values: shardValues(bytes) }
    : undefined;
}

/** The per-voxel arrays of a shard's values file, by name. */
export type ShardValues = Record<(typeof SHARD_ARRAYS)[number], Float64Array>;

/** The arrays of a values file's bytes (views into one Float64Array, aligned copy if needed). */
function shardValues(bytes: Uint8Array): ShardValues {
  const all = bytes.byteOffset % 8 === 0
    ? new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8)
    : new Float64Array(bytes.slice().buffer);
  const n = all.length / SHARD_ARRAYS.length;
  return Object.fromEntries(
    SHARD_ARRAYS.map((k, i) => [k, all.subarray(i * n, (i + 1) * n)]),
  ) as ShardValues;
}

/**
 * The per-voxel arrays of a finished shard (views into one Float64Array).
 *
 * @example
 * ```ts
 * import { readShardValues } from "@laion/fmri/jobs";
 * const { r, alpha } = await readShardValues("encode-clip", 3);
 * console.log(r.length, alpha[0]);
 * ```
 */
export async function readShardValues(
  dir: string,
  index: number,
): Promise<ShardValues> {
  const bytes = await jobStore(dir).read(shardKey(index, "f64"));
  if (!bytes) {
    throw new LaionFmriError(
      `${planPaths.values(dir, index)} does not exist: run the shard first ` +
        `(laion-fmri encode run --plan ${dir} --index ${index})`,
    );
  }
  return shardValues(bytes);
}

/** A block of voxels read and fitted: the fit plus what the read cost. */
export interface EncodedBlock {
  /** Per-voxel results. */
  fit: VoxelwiseFit;
  /** The repeat averages of the shared natural images (images × the block's voxels). */
  averages: RepeatAverages;
  /** Body bytes read from the bucket. */
  bytesRead: number;
  /** Bytes of the rows (trials × voxels × 4). */
  payloadBytes: number;
  /** Seconds reading and fitting. */
  seconds: { read: number; fit: number };
}

/**
 * Reads voxels `start`..`end` of a plan's subject from every session and
 * fits them: what one shard does, and — with the whole voxel range — the
 * single-process run its merged result is compared with.
 *
 * @throws {LaionFmriError} when the trial tables no longer give the plan's images
 * @example
 * ```ts
 * import { readEncodingPlan } from "@laion/fmri/jobs";
 * import { encodeVoxelBlock } from "@laion/fmri/jobs";
 * const plan = await readEncodingPlan("encode-clip");
 * const { fit } = await encodeVoxelBlock("encode-clip", plan, plan.subjects[0], 0, 100);
 * console.log(fit.r);
 * ```
 */
export async function encodeVoxelBlock(
  dir: string,
  plan: EncodingPlan,
  s: EncodingPlanSubject,
  start: number,
  end: number,
  options: { signal?: AbortSignal } = {},
): Promise<EncodedBlock> {
  const { signal } = options;
  let bytesRead = 0;
  const t0 = performance.now();
  const sub = await loadSubject(s.subject, {
    dataDir: plan.source.dataDir,
    betasSource: plan.source.betasSource,
    remote: {
      endpoint: plan.source.endpoint,
      bucket: plan.source.bucket,
      onBytes: (b) => (bytesRead += b),
      signal,
    },
    signal,
  });
  const mask = new Uint8Array(s.nVoxels);
  mask.fill(1, start, end);
  const bySession = await sub.getBetaMatrix({
    sessions: s.sessions,
    mask,
    maskSource: "anatomical",
    signal,
  });
  const m = end - start;
  const labels: string[] = [];
  let payloadBytes = 0;
  const rows: Float32Array[] = [];
  s.sessions.forEach((session, i) => {
    const b = bySession.get(session)!;
    const names = b.trials.getColumn("label").toArray() as string[];
    if (names.length !== s.trialsPerSession[i] || b.shape[1] !== m) {
      throw new LaionFmriError(
        `${s.subject} ${session} has ${names.length} trials x ${b.shape[1]} voxels now, the plan ` +
          `expects ${s.trialsPerSession[i]} x ${m}: the data changed since the plan; write it ` +
          "again with `laion-fmri encode plan --overwrite`",
      );
    }
    payloadBytes += b.values.byteLength;
    names.forEach((l, t) => {
      if (isSharedNatural(l)) labels.push(l), rows.push(b.values.subarray(t * m, (t + 1) * m));
    });
  });
  // Averaged from the sessions' float32 blocks in place: no float64 copy of every trial.
  const averages = averageRepeatRows((t) => rows[t], m, labels, { minRepeats: 1 });
  rows.length = 0;
  const differs = averages.images.findIndex((name, i) => name !== s.images[i]);
  if (differs >= 0 || averages.images.length !== s.images.length) {
    const at = differs >= 0 ? differs : Math.min(averages.images.length, s.images.length);
    throw new LaionFmriError(
      `the shared natural images of ${s.subject} differ from the plan's (${averages.images.length} ` +
        `vs ${s.images.length}; first at position ${at}: ${
          JSON.stringify(averages.images[at] ?? null)
        } vs the plan's ${JSON.stringify(s.images[at] ?? null)}): write the plan again with ` +
        "`laion-fmri encode plan --overwrite`",
    );
  }
  // The plan's decomposition of the features (every shard fits on the same one); a plan written
  // before decompositions were stored gives the features themselves.
  const basis = await readPlanDecomposition(dir, s, signal) ?? await readPlanFeatures(dir, s);
  const t1 = performance.now();
  const fit = await fitVoxelwise(averages, basis, { alphas: plan.alphas, signal });
  const t2 = performance.now();
  return {
    fit,
    averages,
    bytesRead,
    payloadBytes,
    seconds: { read: (t1 - t0) / 1000, fit: (t2 - t1) / 1000 },
  };
}

/**
 * Runs shard `index` of the plan in `dir` (see the module doc).
 *
 * @throws {RangeError} when `index` is not a shard of the plan (names the valid range)
 * @example
 * ```ts
 * import { runEncodingShard } from "@laion/fmri/jobs";
 * const { skipped, record } = await runEncodingShard("encode-clip", 3);
 * console.log(skipped, record.fitted);
 * ```
 */
export async function runEncodingShard(
  dir: string,
  index: number,
  options: EncodingShardOptions = {},
): Promise<EncodingShardOutcome> {
  const say = options.onProgress ?? (() => {});
  const plan = await readEncodingPlan(dir);
  const n = plan.shards.length;
  if (!Number.isInteger(index) || index < 0 || index >= n) {
    throw new RangeError(
      `shard index ${index} is not in the plan ${dir}: valid 0..${n - 1} (${n} shards)`,
    );
  }
  const shard = plan.shards[index];
  const what = `shard ${index}/${n} (${shard.subject} voxels ${shard.start}-${shard.end - 1})`;
  if (!options.force) {
    const done = await finishedShard(dir, plan, index);
    if (done) {
      say(`${what}: already done (${done.finishedAt} on ${done.host}), nothing to do`);
      return { skipped: true, record: done };
    }
  }
  const s = plan.subjects.find((x) => x.subject === shard.subject)!;
  say(`${what}: reading ${s.sessions.length} sessions (${plan.source.betasSource})`);
  const t0 = performance.now();
  let block: EncodedBlock;
  try {
    block = await encodeVoxelBlock(dir, plan, s, shard.start, shard.end, options);
  } catch (e) {
    if (options.signal?.aborted) throw e;
    throw new EncodingShardFailedError(dir, index, what, e);
  }
  const { fit } = block;
  say(
    `${what}: read ${(block.bytesRead / 2 ** 20).toFixed(1)} MiB in ${
      block.seconds.read.toFixed(1)
    } s, fitted ${fit.fitted} voxels in ${block.seconds.fit.toFixed(1)} s (${fit.backend})`,
  );
  const m = shard.end - shard.start;
  const values = new Float64Array(SHARD_ARRAYS.length * m);
  SHARD_ARRAYS.forEach((k, i) => values.set(fit[k], i * m));
  const bytes = new Uint8Array(values.buffer);
  options.signal?.throwIfAborted();
  // Values first, the record last: a shard counts as done only when both are whole.
  await jobStore(dir).write(shardKey(index, "f64"), bytes, { signal: options.signal });
  const record: EncodingShardRecord = {
    planId: plan.planId,
    index,
    subject: shard.subject,
    start: shard.start,
    end: shard.end,
    sha256: await sha256Hex(bytes),
    fitted: fit.fitted,
    bytesRead: block.bytesRead,
    payloadBytes: block.payloadBytes,
    seconds: { ...block.seconds, total: (performance.now() - t0) / 1000 },
    peakRssBytes: peakRss(),
    backend: fit.backend,
    host: hostname(),
    finishedAt: new Date().toISOString(),
  };
  await jobStore(dir).write(shardKey(index, "json"), JSON.stringify(record, null, 1), {
    signal: options.signal,
  });
  say(`${what}: done in ${record.seconds.total.toFixed(1)} s -> ${planPaths.record(dir, index)}`);
  return { skipped: false, record };
}

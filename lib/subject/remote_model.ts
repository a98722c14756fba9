/**
 * Betas straight from the bucket: the rows of an ROI from each session's
 * GLMsingle model file (`…_desc-GLMsingle_model.h5`) by HTTP range, with no
 * local copy. Sessions are fetched concurrently (bounded), each file's
 * metadata from its first bytes, each object pinned to one ETag.
 * @module
 */
import { type BucketOptions, getSource } from "../bucket/cached_source.ts";
import { ObjectByteSource } from "../bucket/object_byte_source.ts";
import { GLMSINGLE_PREFIX } from "../core/constants.ts";
import { resolveSubjectId } from "../core/ids.ts";
import { mapPool } from "../core/pool.ts";
import { type ModelRows, readModelRows } from "../formats/glmsingle_model.ts";

/** Options of {@linkcode readRemoteModelRows}. */
export interface RemoteModelOptions extends BucketOptions {
  /** Sessions fetched at once. @default 8 */
  concurrency?: number;
  /** Ranged requests in flight per session. @default 8 */
  requestsPerSession?: number;
  /**
   * Gap in bytes up to which neighbouring rows are fetched in one request
   * (fewer round trips for a few more bytes). @default 16384
   */
  maxGap?: number;
  /** Called with the body bytes of every response (for accounting). */
  onBytes?: (bytes: number) => void;
}

/**
 * The bucket key of a session's GLMsingle model file.
 *
 * @example
 * ```ts
 * import { modelKey } from "@laion/fmri/subject";
 * modelKey("sub-01", "ses-01");
 * // "derivatives/glmsingle-tedana/sub-01/ses-01/func/sub-01_ses-01_task-images_space-T1w_desc-GLMsingle_model.h5"
 * ```
 */
export function modelKey(subject: string, session: string): string {
  const sub = resolveSubjectId(subject);
  return `${GLMSINGLE_PREFIX}${sub}/${session}/func/${modelFileName(sub, session)}`;
}

/** The file name of a session's GLMsingle model file (the same on the bucket and on disk). */
export function modelFileName(subject: string, session: string): string {
  return `${subject}_${session}_task-images_space-T1w_desc-GLMsingle_model.h5`;
}

/**
 * For each session, the rows `rows` of its model file's `betasmd`
 * (indices into the `res-1pt8` anatomical brain mask's C-order voxels), as
 * a trials x rows Float32Array, read by range from the bucket.
 *
 * @example
 * ```ts
 * import { readRemoteModelRows } from "@laion/fmri/subject";
 * const bySession = await readRemoteModelRows("sub-01", ["ses-01", "ses-02"], [10, 11, 12]);
 * console.log(bySession.get("ses-01")!.nTrials);
 * ```
 */
export async function readRemoteModelRows(
  subject: string,
  sessions: readonly string[],
  rows: ArrayLike<number>,
  options: RemoteModelOptions = {},
): Promise<Map<string, ModelRows>> {
  const source = getSource(options);
  const results = await mapPool(
    sessions,
    (session) =>
      readModelRows(
        new ObjectByteSource(source, modelKey(subject, session), {
          concurrency: options.requestsPerSession ?? 8,
          maxGap: options.maxGap,
          onBytes: options.onBytes,
        }),
        rows,
        { signal: options.signal },
      ),
    { limit: options.concurrency ?? 8, signal: options.signal },
  );
  return new Map(sessions.map((s, i) => [s, results[i]]));
}

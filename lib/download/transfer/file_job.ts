/**
 * What the ways of fetching one file (single stream, segments) share: the
 * file, its source, the tuning, and the progress counters.
 * @module
 */
import type { BucketSource, ObjectBody } from "../../bucket/source.ts";
import type { PlannedFile } from "../plan.ts";
import type { ResolvedTuning } from "./options.ts";
import { pumpBody, type PumpOptions } from "./stall_pump.ts";

/** One file being transferred, as the fetch strategies see it. */
export interface FileJob {
  /** The planned file. */
  readonly file: PlannedFile;
  /** Where its bytes come from. */
  readonly source: BucketSource;
  /** Tuning with defaults applied. */
  readonly tuning: ResolvedTuning;
  /** Sets how many bytes of this file are on disk (the overall progress follows). */
  setDone(bytes: number): void;
  /** Counts bytes received over the network. */
  received(bytes: number): void;
}

/** What the final file must be: the listing, unless the object changed under us. */
export interface Expected {
  /** Size in bytes. */
  size: number;
  /** ETag, when known. */
  etag?: string;
}

/**
 * {@linkcode pumpBody} with the job's stall timeout, counting every chunk
 * as received once `onChunk` took it.
 *
 * @example
 * ```ts ignore
 * await pumpCounted(job, body, { limit: 100, stopAtLimit: true }, (c) => writeAll(file, c));
 * ```
 */
export function pumpCounted(
  job: FileJob,
  body: ObjectBody,
  options: Omit<PumpOptions, "stallTimeoutMs">,
  onChunk: (chunk: Uint8Array) => Promise<void>,
): Promise<void> {
  return pumpBody(body, { ...options, stallTimeoutMs: job.tuning.stallTimeoutMs }, async (c) => {
    await onChunk(c);
    job.received(c.length);
  });
}

/**
 * The record kept in the manifest for a complete file: its ETag, or
 * `size:N` when the bucket gave none.
 *
 * @example
 * ```ts
 * import { recordOf } from "./file_job.ts";
 * recordOf({ size: 3 }); // "size:3"
 * ```
 */
export function recordOf(file: Expected): string {
  return file.etag ?? `size:${file.size}`;
}

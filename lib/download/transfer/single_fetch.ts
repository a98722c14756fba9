/**
 * One file over one stream: resumed from the bytes already in its temp file
 * with a Range GET guarded by `If-Match`, restarted when the server answers
 * with the whole object or the object changed, verified by size and (for
 * single-part uploads) MD5.
 * @module
 */
import { createHash } from "node:crypto";
import type { ObjectBody } from "../../bucket/source.ts";
import { S3RequestError } from "../../core/errors.ts";
import { type Expected, type FileJob, pumpCounted } from "./file_job.ts";
import { isMd5Etag, md5File } from "./md5.ts";
import { isRetriable, RetryableTransferError, waitBeforeRetry } from "./retry_class.ts";
import { writeAll } from "./temp_files.ts";

/** A GET from `offset`; `restart` when the answer is the whole object. */
async function getFrom(
  job: FileJob,
  offset: number,
  ifMatch: string | undefined,
  expectedSize: number,
): Promise<{ body: ObjectBody; restart: boolean }> {
  const { source, file, tuning: { signal } } = job;
  const body = await source.get(file.key, { start: offset, ifMatch, signal });
  if (offset === 0) return { body, restart: body.status !== 206 };
  if (body.status === 206) {
    const m = body.contentRange?.match(/^bytes (\d+)-(\d+)\/(\d+|\*)$/);
    if (m && Number(m[1]) === offset && (m[3] === "*" || Number(m[3]) === expectedSize)) {
      return { body, restart: false };
    }
    // A range we did not ask for: drop it and fetch the whole object.
    await body.body.cancel().catch(() => {});
    const whole = await source.get(file.key, { ifMatch, signal });
    return { body: whole, restart: true };
  }
  return { body, restart: true }; // 200: the server sent the whole object
}

/**
 * Fetches a file into its open temp file `tmp`, resuming after the first
 * `claimed` bytes (already there). Retries with backoff while attempts make
 * progress; bytes on disk are kept across attempts.
 *
 * @returns the outcome, what the file turned out to be (the object may have changed), and its MD5
 * @example
 * ```ts ignore
 * const { outcome, expected } = await fetchSingle(job, file, tmp, 0);
 * ```
 */
export async function fetchSingle(
  job: FileJob,
  file: Deno.FsFile,
  tmp: string,
  claimed: number,
): Promise<{ outcome: "downloaded" | "resumed"; expected: Expected; md5: string }> {
  const { signal, maxAttempts, minDelayMs } = job.tuning;
  let expected: Expected = { size: job.file.size, etag: job.file.etag };
  let offset = claimed;
  let hash = await md5File(tmp, offset, signal);
  job.setDone(offset);
  let changed = false; // the object changed since listing: no If-Match, trust the response
  let failures = 0;
  const restart = () => {
    offset = 0;
    hash = createHash("md5");
    job.setDone(0);
  };
  for (;;) {
    signal?.throwIfAborted();
    const before = offset;
    try {
      await file.truncate(offset);
      await file.seek(offset, Deno.SeekMode.Start);
      if (offset < expected.size || expected.size === 0) {
        const r = await getFrom(job, offset, changed ? undefined : expected.etag, expected.size);
        if (r.restart) {
          restart();
          await file.truncate(0);
          await file.seek(0, Deno.SeekMode.Start);
          if (r.body.etag && r.body.etag !== expected.etag) {
            changed = true;
            expected = { size: r.body.contentLength, etag: r.body.etag };
          }
        }
        const h = hash;
        const limit = expected.size - offset;
        await pumpCounted(job, r.body, { limit, stopAtLimit: false, signal }, async (chunk) => {
          await writeAll(file, chunk);
          h.update(chunk);
          offset += chunk.length;
          job.setDone(offset);
        });
      }
      if (offset !== expected.size) {
        throw new RetryableTransferError(`received ${offset} of ${expected.size} bytes`);
      }
      const md5 = hash.digest("hex");
      if (isMd5Etag(expected.etag) && md5 !== expected.etag.toLowerCase()) {
        restart();
        throw new RetryableTransferError("MD5 does not match the ETag; fetching again");
      }
      return { outcome: claimed > 0 ? "resumed" : "downloaded", expected, md5 };
    } catch (e) {
      if (signal?.aborted) throw signal.reason ?? e;
      if (e instanceof S3RequestError && e.status === 412 && !changed) {
        // The object changed since it was listed: start over without If-Match.
        changed = true;
        restart();
        continue;
      }
      if (!isRetriable(e)) throw e;
      if (offset > before) failures = 0;
      else failures++;
      if (failures >= maxAttempts) throw e;
      // Bytes that made it to disk are kept; the hash matches them.
      await waitBeforeRetry(failures, minDelayMs, signal);
    }
  }
}

/**
 * One large file as consecutive segments over parallel ranged GETs, each
 * resumable through the segment map; the MD5 follows the contiguous prefix
 * in a worker meanwhile.
 * @module
 */
import { S3RequestError } from "../../core/errors.ts";
import { mapPool } from "../../core/pool.ts";
import { type FileJob, pumpCounted } from "./file_job.ts";
import { isMd5Etag, md5File, md5Follower } from "./md5.ts";
import {
  FallbackError,
  isRetriable,
  RetryableTransferError,
  waitBeforeRetry,
} from "./retry_class.ts";
import {
  bytesOnDisk,
  contiguousPrefix,
  MapSaver,
  segmentLength,
  type SegmentMap,
} from "./segment_map.ts";
import { MAP_SUFFIX, writeAll } from "./temp_files.ts";

/**
 * Fetches the missing bytes of every segment of `map` into `tmp`, then
 * checks size and MD5.
 *
 * @returns the hex MD5 of the file
 * @throws {FallbackError} when the server does not answer ranges as asked,
 *   the object changed, or the result does not verify: fetch in one piece instead
 * @example
 * ```ts ignore
 * await fetchSegmented(job, tmp, newSegmentMap(size, etag, 32 << 20));
 * ```
 */
export async function fetchSegmented(
  job: FileJob,
  tmp: string,
  map: SegmentMap,
): Promise<string> {
  const { signal, maxAttempts, minDelayMs, partsPerFile } = job.tuning;
  const { key, etag } = job.file;
  const { size } = map;
  const len = (i: number) => segmentLength(map, i);
  job.setDone(bytesOnDisk(map));
  const saver = new MapSaver(tmp + MAP_SUFFIX, map);
  await saver.save(true);

  // The first failing segment stops the others; the caller's abort does too.
  const inner = new AbortController();
  const onOuter = () => inner.abort(signal?.reason);
  signal?.addEventListener("abort", onOuter, { once: true });
  const hasher = md5Follower(tmp, size, signal);
  let lastNotify = 0;
  const notify = () => hasher.advance(contiguousPrefix(map));

  const fetchSegment = async (i: number, wf: Deno.FsFile) => {
    let failures = 0;
    for (;;) {
      const start = i * map.segment + map.progress[i];
      const end = i * map.segment + len(i);
      if (start >= end) return;
      const before = map.progress[i];
      try {
        const body = await job.source.get(key, {
          start,
          end: end - 1,
          ifMatch: etag,
          signal: inner.signal,
        });
        const m = body.contentRange?.match(/^bytes (\d+)-(\d+)\/(\d+)$/);
        // A server that ignores Range answers segment 0 with the whole object: fine there.
        const whole = start === 0 && body.status === 200 &&
          (body.contentLength === size || body.contentLength === 0);
        const range = body.status === 206 && m && Number(m[1]) === start &&
          Number(m[3]) === size;
        if (!whole && !range) {
          await body.body.cancel().catch(() => {});
          throw new FallbackError("the server did not answer the range as asked");
        }
        await wf.seek(start, Deno.SeekMode.Start);
        const pump = { limit: end - start, stopAtLimit: true, signal: inner.signal };
        await pumpCounted(job, body, pump, async (chunk) => {
          await writeAll(wf, chunk);
          map.progress[i] += chunk.length;
          job.setDone(bytesOnDisk(map));
          if (performance.now() - lastNotify > 20) {
            lastNotify = performance.now();
            notify();
          }
          saver.save();
        });
        if (map.progress[i] < len(i)) {
          throw new RetryableTransferError(`segment ${i}: short body`);
        }
        notify();
        saver.save(true);
        return;
      } catch (e) {
        if (inner.signal.aborted) throw signal?.aborted ? signal.reason : e;
        if (e instanceof S3RequestError && e.status === 412) {
          throw new FallbackError("the object changed since it was listed");
        }
        if (e instanceof FallbackError || !isRetriable(e)) throw e;
        if (map.progress[i] > before) failures = 0;
        else failures++;
        if (failures >= maxAttempts) throw e;
        await waitBeforeRetry(failures, minDelayMs, inner.signal);
      }
    }
  };

  const missing = map.progress.flatMap((done, i) => done < len(i) ? [i] : []);
  let digest: string;
  try {
    notify();
    await mapPool(missing, async (i) => {
      // One write handle per segment: each seeks on its own.
      const wf = await Deno.open(tmp, { write: true });
      try {
        await fetchSegment(i, wf);
      } catch (e) {
        inner.abort(e);
        throw e;
      } finally {
        wf.close();
        notify();
      }
    }, { limit: Math.max(1, Math.min(partsPerFile, missing.length)), signal: inner.signal });
    notify();
    // A worker that failed (e.g. cannot load): hash the finished file here instead.
    digest = await hasher.digest.catch(async () =>
      (await md5File(tmp, size, signal)).digest("hex")
    );
  } finally {
    hasher.stop();
    signal?.removeEventListener("abort", onOuter);
    await saver.save(true);
  }
  const info = await Deno.stat(tmp);
  if (info.size !== size) throw new FallbackError(`temp file has ${info.size} of ${size} bytes`);
  if (isMd5Etag(etag) && digest !== etag.toLowerCase()) {
    throw new FallbackError("MD5 does not match the ETag; fetching again in one piece");
  }
  return digest;
}

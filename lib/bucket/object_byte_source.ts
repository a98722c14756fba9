/**
 * An object in the bucket as a {@linkcode ByteSource}: ranged GETs pinned to
 * the ETag seen first (`If-Match`), so a file that changes between the
 * metadata read and the data reads is an error, never a mix of two
 * versions. Every answer is checked: a `206` must carry exactly the asked
 * `Content-Range` and length; a `200` (a server that ignored `Range`) is cut
 * to the asked bytes; a short body is an error.
 * @module
 */
import {
  type ByteRange,
  type ByteReadOptions,
  type ByteSource,
  coalesceRanges,
  splitCoalesced,
} from "../core/byte_source.ts";
import { S3RequestError } from "../core/errors.ts";
import { mapPool } from "../core/pool.ts";
import type { BucketSource, ObjectBody } from "./source.ts";

/** Options of {@linkcode ObjectByteSource}. */
export interface ObjectByteSourceOptions {
  /** Gap up to which neighbouring ranges are fetched as one request. @default 16384 */
  maxGap?: number;
  /** Requests in flight at once. @default 4 */
  concurrency?: number;
  /** Called with the bytes each response carried (for accounting). */
  onBytes?: (bytes: number) => void;
}

/**
 * Ranged reads of one object.
 *
 * @example
 * ```ts
 * import { getSource, ObjectByteSource } from "@laion/fmri/bucket";
 * const src = new ObjectByteSource(getSource(), "README");
 * const [head] = await src.read([{ offset: 0, length: 16 }]);
 * ```
 */
export class ObjectByteSource implements ByteSource {
  /** `s3://bucket/key`. */
  readonly name: string;
  readonly #source: BucketSource;
  readonly #key: string;
  readonly #maxGap: number;
  readonly #concurrency: number;
  readonly #onBytes?: (bytes: number) => void;
  #head?: Promise<{ size: number; etag?: string }>;

  /** Creates an instance. @param source the bucket @param key the object */
  constructor(source: BucketSource, key: string, options: ObjectByteSourceOptions = {}) {
    this.#source = source;
    this.#key = key;
    this.name = `s3://${source.bucket}/${key}`;
    this.#maxGap = options.maxGap ?? 16384;
    this.#concurrency = options.concurrency ?? 4;
    this.#onBytes = options.onBytes;
  }

  #stat(options: ByteReadOptions) {
    this.#head ??= this.#source.head(this.#key, options).catch((e) => {
      this.#head = undefined;
      throw e;
    });
    return this.#head;
  }

  async size(options: ByteReadOptions = {}): Promise<number> {
    return (await this.#stat(options)).size;
  }

  /** The ETag every read is pinned to (after the first `size` or `read`). */
  async etag(options: ByteReadOptions = {}): Promise<string | undefined> {
    return (await this.#stat(options)).etag;
  }

  async read(ranges: readonly ByteRange[], options: ByteReadOptions = {}): Promise<Uint8Array[]> {
    const { size, etag } = await this.#stat(options);
    for (const r of ranges) {
      if (r.offset + r.length > size) {
        throw new RangeError(
          `${this.name}: bytes ${r.offset}-${r.offset + r.length - 1} are past its end (${size})`,
        );
      }
    }
    const coalesced = coalesceRanges(ranges, this.#maxGap);
    const chunks = await mapPool(
      coalesced.merged,
      (r) =>
        r.length === 0 ? Promise.resolve(new Uint8Array(0)) : this.#fetch(r, size, etag, options),
      { limit: this.#concurrency, signal: options.signal },
    );
    return splitCoalesced(ranges, coalesced, chunks);
  }

  async #fetch(
    r: ByteRange,
    size: number,
    etag: string | undefined,
    options: ByteReadOptions,
  ): Promise<Uint8Array> {
    const end = r.offset + r.length - 1;
    let body: ObjectBody;
    try {
      body = await this.#source.get(this.#key, {
        start: r.offset,
        end,
        ifMatch: etag,
        signal: options.signal,
      });
    } catch (e) {
      if (e instanceof S3RequestError && e.status === 412) {
        throw new S3RequestError(
          `${this.name} changed while it was being read (its ETag is no longer ${etag}); ` +
            `read it again`,
          412,
          e.attempts,
          { cause: e },
        );
      }
      throw e;
    }
    if (etag && body.etag && body.etag !== etag) {
      await body.body.cancel();
      throw new S3RequestError(
        `${this.name} changed while it was being read (ETag ${etag} -> ${body.etag}); read it again`,
        body.status,
        1,
      );
    }
    let skip = 0;
    if (body.status === 206) {
      const want = `bytes ${r.offset}-${end}/${size}`;
      if (body.contentRange !== want) {
        await body.body.cancel();
        throw new S3RequestError(
          `${this.name}: asked for ${want}, the server sent ${
            body.contentRange ?? "no Content-Range"
          }`,
          206,
          1,
        );
      }
    } else if (body.status === 200) {
      skip = r.offset; // the server ignored Range: take the asked bytes out of the whole body
    } else {
      await body.body.cancel();
      throw new S3RequestError(
        `${this.name}: unexpected HTTP ${body.status} for a range`,
        body.status,
        1,
      );
    }
    const out = new Uint8Array(r.length);
    let got = 0, seen = 0;
    const reader = body.body.getReader();
    let broken: unknown;
    try {
      while (got < r.length) {
        const { value, done } = await reader.read();
        if (done) break;
        this.#onBytes?.(value.length);
        const from = Math.max(0, skip - seen);
        seen += value.length;
        if (from >= value.length) continue;
        const take = value.subarray(from, from + (r.length - got));
        out.set(take, got);
        got += take.length;
      }
    } catch (e) {
      if (options.signal?.aborted) throw e;
      broken = e; // a connection that broke mid-body is a short body
    } finally {
      await reader.cancel().catch(() => {});
    }
    if (got < r.length) {
      throw new S3RequestError(
        `${this.name}: the body of bytes ${r.offset}-${end} ended after ${got} of ${r.length} bytes`,
        body.status,
        1,
        { cause: broken },
      );
    }
    return out;
  }
}

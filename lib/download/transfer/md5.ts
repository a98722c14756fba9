/**
 * MD5 checks: whether an ETag is an MD5, the MD5 of a file's prefix, and a
 * follower that hashes a file while it is being written.
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import { RetryableTransferError } from "./retry_class.ts";

const MD5_RE = /^[0-9a-f]{32}$/i;

/**
 * True when an ETag is the MD5 of the object (a single-part upload).
 *
 * @example
 * ```ts
 * import { isMd5Etag } from "./md5.ts";
 * isMd5Etag("d41d8cd98f00b204e9800998ecf8427e"); // true
 * isMd5Etag("9b2cf535f27731c974343645a3985328-3"); // false (multipart)
 * ```
 */
export function isMd5Etag(etag: string | undefined): etag is string {
  return etag !== undefined && MD5_RE.test(etag);
}

/**
 * The MD5 state after the first `upTo` bytes of a file (more can be added).
 *
 * @example
 * ```ts
 * import { md5File } from "./md5.ts";
 * const path = await Deno.makeTempFile();
 * (await md5File(path, 0)).digest("hex"); // "d41d8cd98f00b204e9800998ecf8427e"
 * ```
 */
export async function md5File(path: string, upTo: number, signal?: AbortSignal): Promise<Hash> {
  const hash = createHash("md5");
  if (upTo === 0) return hash;
  const file = await Deno.open(path, { read: true });
  try {
    const buf = new Uint8Array(1 << 20);
    let left = upTo;
    while (left > 0) {
      signal?.throwIfAborted();
      const n = await file.read(left < buf.length ? buf.subarray(0, left) : buf);
      if (n === null) break;
      hash.update(buf.subarray(0, n));
      left -= n;
    }
  } finally {
    file.close();
  }
  return hash;
}

/** Hashes a file as its contiguous prefix grows. */
export interface Md5Follower {
  /** The first `frontier` bytes are on disk. */
  advance(frontier: number): void;
  /** The hex MD5, once all bytes were hashed. */
  digest: Promise<string>;
  /** Stops hashing (the digest may then never settle). */
  stop(): void;
}

/**
 * MD5 of a file being written, following its contiguous prefix: in a worker
 * thread (beside the download), or on this thread when workers are not
 * available.
 *
 * @example
 * ```ts
 * import { md5Follower } from "./md5.ts";
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "abc");
 * const hasher = md5Follower(path, 3);
 * hasher.advance(3);
 * console.log(await hasher.digest); // "900150983cd24fb0d6963f7d28e17f72"
 * hasher.stop();
 * ```
 */
export function md5Follower(path: string, size: number, signal?: AbortSignal): Md5Follower {
  let worker: Worker | undefined;
  try {
    worker = new Worker(new URL("./md5_worker.ts", import.meta.url), { type: "module" });
  } catch {
    worker = undefined;
  }
  if (worker) {
    const w = worker;
    const digest = new Promise<string>((resolve, reject) => {
      w.onmessage = (e: MessageEvent) => {
        const d = e.data as { digest?: string; error?: string };
        if (d.digest) resolve(d.digest);
        else reject(new RetryableTransferError(`hashing failed: ${d.error}`));
      };
      w.onerror = (e) => {
        e.preventDefault();
        reject(new RetryableTransferError(`hashing failed: ${e.message}`));
      };
    });
    digest.catch(() => {});
    w.postMessage({ path, size });
    let last = -1;
    return {
      advance(frontier) {
        if (frontier !== last) {
          last = frontier;
          w.postMessage({ frontier });
        }
      },
      digest,
      stop: () => w.terminate(),
    };
  }
  // In-thread fallback: hash once everything is written.
  let resolveDone: () => void = () => {};
  let stopped = false;
  const done = new Promise<void>((r) => resolveDone = r);
  const digest = done.then(async () =>
    stopped ? "" : (await md5File(path, size, signal)).digest("hex")
  );
  digest.catch(() => {});
  return {
    advance(frontier) {
      if (frontier >= size) resolveDone();
    },
    digest,
    stop: () => {
      stopped = true;
      resolveDone();
    },
  };
}

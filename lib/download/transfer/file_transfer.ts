/**
 * File transfers: each file to a temp file in its destination folder,
 * verified (size; MD5 = ETag for single-part uploads), then renamed into
 * place. Partial temp files of dead processes are resumed with a Range GET
 * guarded by `If-Match`; complete files recorded in the manifest are skipped
 * without a request; bounded concurrency, retries with jittered backoff and
 * a stall timeout.
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import { basename, dirname, join } from "node:path";
import type { BucketSource, ObjectBody } from "../bucket/s3_source.ts";
import { sleep } from "../core/retry.ts";
import {
  AccessDeniedError,
  EndpointUnreachableError,
  LaionFmriError,
  PermissionMissingError,
  S3RequestError,
} from "../core/errors.ts";
import { warn } from "../core/warnings.ts";
import { type Manifest, openManifest } from "./manifest.ts";
import type { PlannedFile } from "./plan.ts";

/**
 * What a download did.
 *
 * @example
 * ```ts
 * import { download, type DownloadSummary } from "@laion/fmri";
 * const s: DownloadSummary = await download({ subject: "01", ses: "01", acceptLicense: true });
 * if (s.failures.length) console.error(s.failures);
 * ```
 */
export interface DownloadSummary {
  /** Files selected by the plan (skipped ones included). */
  matched: number;
  /** Files fetched in full or completed by resuming. */
  downloaded: number;
  /** Files already complete on disk (no GET sent). */
  skipped: number;
  /** Files completed from a partial temp file of an earlier run (counted in `downloaded` too). */
  resumed: number;
  /** Body bytes received over the network. */
  bytes: number;
  /** Keys the bucket refused (403); skipped with a warning. */
  accessDenied: string[];
  /** Keys that failed, with the error message. */
  failures: { key: string; error: string }[];
}

/**
 * Progress of a set of transfers.
 *
 * @example
 * ```ts
 * import { download } from "@laion/fmri";
 * await download({ subject: "01", acceptLicense: true, onProgress: (p) => console.log(p.doneBytes, p.totalBytes) });
 * ```
 */
export interface TransferProgress {
  /** Files in the plan. */
  totalFiles: number;
  /** Files finished (done, skipped, denied or failed). */
  doneFiles: number;
  /** Bytes of all planned files. */
  totalBytes: number;
  /** Bytes on disk so far (complete files, skipped ones, and partial temp files). */
  doneBytes: number;
  /** Bytes received over the network so far. */
  receivedBytes: number;
}

/**
 * Options of {@linkcode transferFiles}.
 *
 * @example
 * ```ts
 * import type { TransferOptions } from "@laion/fmri";
 * const o: TransferOptions = { concurrency: 4, stallTimeoutMs: 10_000 };
 * ```
 */
export interface TransferOptions {
  /** Files transferred at once. @default 8 */
  concurrency?: number;
  /** Abort a body that delivers no byte for this long (ms), then resume. @default 30000 */
  stallTimeoutMs?: number;
  /** Attempts per file that make no progress, before giving up. @default 6 */
  maxAttempts?: number;
  /** Base backoff delay between attempts (ms), full jitter. @default 250 */
  minDelayMs?: number;
  /**
   * A file at least twice this size is fetched as consecutive segments of
   * this size over up to `partsPerFile` parallel ranged GETs (resumable per
   * segment). @default 33554432 (32 MiB)
   */
  segmentBytes?: number;
  /** Parallel ranged GETs per large file; 1 turns segmenting off. @default 4 */
  partsPerFile?: number;
  /** Called whenever bytes arrive or a file finishes. */
  onProgress?: (progress: TransferProgress) => void;
  /** Cancels the transfers (partial temp files are kept for a later resume). */
  signal?: AbortSignal;
}

/** A body that delivered nothing for longer than the stall timeout. */
class StallError extends Error {
  constructor(ms: number) {
    super(`no data received for ${ms} ms`);
    this.name = "StallError";
  }
}

/** A transfer that must be retried (short body, checksum mismatch, bad range). */
class RetryableTransferError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RetryableTransferError";
  }
}

/** The server does not serve ranges as asked, or the object changed: fetch the file in one piece. */
class FallbackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FallbackError";
  }
}

/** Progress of a segmented transfer, saved beside its temp file (`<temp>.map`). */
interface SegmentMap {
  version: 1;
  size: number;
  etag?: string;
  segment: number;
  /** Bytes of each segment known to be on disk. */
  progress: number[];
}

const MD5_RE = /^[0-9a-f]{32}$/i;
const TEMP_SUFFIX = ".part";
const MAP_SUFFIX = ".map";
const STAGING_SUFFIX = ".part.new";

/**
 * True when an ETag is the MD5 of the object (a single-part upload).
 *
 * @example
 * ```ts
 * import { isMd5Etag } from "@laion/fmri";
 * isMd5Etag("d41d8cd98f00b204e9800998ecf8427e"); // true
 * isMd5Etag("9b2cf535f27731c974343645a3985328-3"); // false (multipart)
 * ```
 */
export function isMd5Etag(etag: string | undefined): etag is string {
  return etag !== undefined && MD5_RE.test(etag);
}

function etagTag(etag: string | undefined): string {
  return etag ? etag.replace(/[^A-Za-z0-9-]/g, "").slice(0, 40) || "x" : "noetag";
}

/** The record kept in the manifest for a complete file. */
function recordOf(file: { size: number; etag?: string }): string {
  return file.etag ?? `size:${file.size}`;
}

/**
 * Temp file name of a key in its destination folder:
 * `.{name}.{etag}.{pid}-{random}.part` (hidden, unique per process and call).
 */
function tempName(path: string, etag: string | undefined): string {
  return join(
    dirname(path),
    `.${basename(path)}.${etagTag(etag)}.${Deno.pid}-${
      crypto.randomUUID().replaceAll("-", "").slice(0, 10)
    }${TEMP_SUFFIX}`,
  );
}

/**
 * Per-run cache of destination folders: created once, scanned once for temp
 * files (a temp file that appears later belongs to a live process).
 */
class FolderCache {
  #made = new Map<string, Promise<void>>();
  #temps = new Map<string, Promise<Deno.DirEntry[]>>();

  /** Creates a folder (once per run). */
  mkdir(dir: string): Promise<void> {
    let p = this.#made.get(dir);
    if (!p) {
      p = Deno.mkdir(dir, { recursive: true });
      this.#made.set(dir, p);
      p.catch(() => this.#made.delete(dir));
    }
    return p;
  }

  /** The temp files of a folder at the time of the first call. */
  temps(dir: string): Promise<Deno.DirEntry[]> {
    let p = this.#temps.get(dir);
    if (!p) {
      p = (async () => {
        const out: Deno.DirEntry[] = [];
        for await (const e of Deno.readDir(dir)) {
          if (
            e.isFile && e.name.startsWith(".") &&
            (e.name.endsWith(TEMP_SUFFIX) || e.name.endsWith(STAGING_SUFFIX))
          ) out.push(e);
        }
        return out;
      })();
      this.#temps.set(dir, p);
    }
    return p;
  }
}

/**
 * Creates a temp file holding the exclusive lock that marks it as owned by a
 * live process: created and locked under a name the orphan scan ignores,
 * then renamed (the lock stays with the open file), so every `.part` file is
 * either locked by its owner or orphaned.
 */
async function createTemp(path: string): Promise<Deno.FsFile> {
  const staging = path + STAGING_SUFFIX;
  const file = await Deno.open(staging, { read: true, write: true, createNew: true });
  try {
    await file.lock(true);
    await Deno.rename(staging, path);
  } catch (e) {
    file.close();
    await Deno.remove(staging).catch(() => {});
    throw e;
  }
  return file;
}

/**
 * Removes a staging file (a temp file between creation and its lock) left by
 * a process killed in that instant: unlocked and older than 10 s.
 */
async function removeStaleStaging(path: string): Promise<void> {
  let file: Deno.FsFile | undefined;
  try {
    file = await Deno.open(path, { read: true, write: true });
    const info = await file.stat();
    const old = info.mtime !== null && Date.now() - info.mtime.getTime() > 10_000;
    if (old && await file.tryLock(true)) await Deno.remove(path);
  } catch {
    // gone already, or not ours to judge
  } finally {
    file?.close();
  }
}

/**
 * Finds the temp files left in `path`'s folder by processes that are gone:
 * a live transfer holds an exclusive lock on its temp file (released by the
 * kernel when the process dies, even on kill -9), so a temp file whose lock
 * can be taken is orphaned. Claims the largest one of the same object version
 * (renamed to `mine`, still locked; `mine = ""` claims nothing) and deletes
 * the other orphans, with their segment maps.
 */
async function claimOrphan(
  path: string,
  etag: string | undefined,
  size: number,
  mine: string,
  folders: FolderCache,
): Promise<{ file: Deno.FsFile; size: number } | undefined> {
  const dir = dirname(path);
  const prefix = `.${basename(path)}.`;
  const tag = etagTag(etag);
  const found: { name: string; size: number; file: Deno.FsFile }[] = [];
  try {
    for (const e of await folders.temps(dir)) {
      if (!e.name.startsWith(prefix)) continue;
      if (e.name.endsWith(STAGING_SUFFIX)) {
        await removeStaleStaging(join(dir, e.name));
        continue;
      }
      const m = e.name.slice(prefix.length, -TEMP_SUFFIX.length).match(
        /^([A-Za-z0-9-]+)\.(\d+)-[0-9a-f]+$/,
      );
      if (!m) continue;
      let file: Deno.FsFile | undefined;
      try {
        file = await Deno.open(join(dir, e.name), { read: true, write: true });
        if (!(await file.tryLock(true))) {
          file.close(); // a live transfer's
          continue;
        }
        const info = await file.stat();
        // Another object version: only removed.
        found.push({ name: e.name, size: m[1] === tag ? info.size : -1, file });
      } catch {
        file?.close();
      }
    }
  } catch {
    // folder unreadable: nothing to resume
  }
  found.sort((a, b) => b.size - a.size);
  let claimed: { file: Deno.FsFile; size: number } | undefined;
  for (const f of found) {
    if (!claimed && mine !== "" && f.size > 0 && f.size <= size) {
      try {
        await Deno.rename(join(dir, f.name), mine);
        claimed = { file: f.file, size: f.size };
        // A segmented transfer's progress map moves with it.
        await Deno.rename(join(dir, f.name) + MAP_SUFFIX, mine + MAP_SUFFIX).catch(() => {});
        continue;
      } catch {
        // fall through: delete it
      }
    }
    await Deno.remove(join(dir, f.name)).catch(() => {});
    await Deno.remove(join(dir, f.name) + MAP_SUFFIX).catch(() => {});
    f.file.close();
  }
  return claimed;
}

async function md5File(path: string, upTo: number, signal?: AbortSignal): Promise<Hash> {
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

async function writeAll(file: Deno.FsFile, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await file.write(data.subarray(off));
}

function isFsError(e: unknown): boolean {
  if (e instanceof PermissionMissingError) return true;
  const transient = [
    Deno.errors.ConnectionReset,
    Deno.errors.ConnectionAborted,
    Deno.errors.BrokenPipe,
    Deno.errors.UnexpectedEof,
    Deno.errors.TimedOut,
    Deno.errors.Interrupted,
  ];
  if (transient.some((c) => e instanceof c)) return false;
  return Object.values(Deno.errors).some((c) => typeof c === "function" && e instanceof c);
}

/** Whether a transfer error is worth another attempt. */
function isRetriable(e: unknown): boolean {
  if (e instanceof AccessDeniedError) return false;
  if (e instanceof StallError || e instanceof RetryableTransferError) return true;
  if (e instanceof EndpointUnreachableError) return true;
  if (e instanceof S3RequestError) {
    const s = e.status;
    return s === undefined || s >= 500 || s === 429 || s === 408;
  }
  if (e instanceof LaionFmriError) return false;
  if (isFsError(e)) return false;
  return true; // resets, "terminated", premature close of the body
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message.split("\n")[0] : String(e);
}

/**
 * MD5 of a file being written, following its contiguous prefix: in a worker
 * thread (beside the download), or on this thread when workers are not
 * available.
 */
function md5Follower(path: string, size: number): {
  advance(frontier: number): void;
  digest: Promise<string>;
  stop(): void;
} {
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
  const digest = done.then(async () => stopped ? "" : (await md5File(path, size)).digest("hex"));
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

type PerFileOptions = Required<Omit<TransferOptions, "onProgress" | "signal">> & {
  signal?: AbortSignal;
};

interface Counters {
  summary: DownloadSummary;
  progress: TransferProgress;
  emit(): void;
}

/** One file: skip, resume or fetch; verify; rename into place. */
class FileTransfer {
  #file: PlannedFile;
  #source: BucketSource;
  #manifest: Manifest;
  #options: PerFileOptions;
  #c: Counters;
  #folders: FolderCache;

  constructor(
    file: PlannedFile,
    source: BucketSource,
    manifest: Manifest,
    options: PerFileOptions,
    counters: Counters,
    folders: FolderCache,
  ) {
    this.#folders = folders;
    this.#file = file;
    this.#source = source;
    this.#manifest = manifest;
    this.#options = options;
    this.#c = counters;
  }

  /** Local bytes of this file counted in `progress.doneBytes` so far. */
  #counted = 0;

  #setDone(bytes: number) {
    this.#c.progress.doneBytes += bytes - this.#counted;
    this.#counted = bytes;
  }

  /** True when the final file is already complete (recorded, or MD5 = ETag). */
  async #complete(): Promise<boolean> {
    const { path, key, size, etag } = this.#file;
    const info = await Deno.stat(path).catch(() => undefined);
    if (!info?.isFile || info.size !== size) return false;
    if (this.#manifest.get(key) === recordOf(this.#file)) return true;
    if (isMd5Etag(etag)) {
      const hash = await md5File(path, size, this.#options.signal);
      if (hash.digest("hex") === etag.toLowerCase()) {
        this.#manifest.set(key, recordOf(this.#file));
        return true;
      }
    }
    return false;
  }

  async run(): Promise<"downloaded" | "resumed" | "skipped"> {
    const { path } = this.#file;
    await this.#folders.mkdir(dirname(path));
    if (await this.#complete()) {
      this.#setDone(this.#file.size);
      // Temp files of dead processes for a file that is complete: removed.
      await claimOrphan(path, this.#file.etag, 0, "", this.#folders);
      return "skipped";
    }
    const tmp = tempName(path, this.#file.etag);
    const claimed = await claimOrphan(path, this.#file.etag, this.#file.size, tmp, this.#folders);
    const file = claimed?.file ?? await createTemp(tmp);
    let keepTemp = false;
    try {
      const outcome = await this.#fetchAny(file, tmp, claimed?.size ?? 0);
      // Renamed while still locked, so no other process can take it meanwhile.
      await Deno.rename(tmp, path);
      this.#manifest.set(this.#file.key, recordOf(this.#expected));
      return outcome;
    } catch (e) {
      // Keep what arrived for a later run when cancelled or the network gave up.
      keepTemp = (this.#options.signal?.aborted === true ||
        (isRetriable(e) && !(e instanceof RetryableTransferError))) &&
        (await file.stat().catch(() => ({ size: 0 }))).size > 0;
      throw e;
    } finally {
      if (!keepTemp) {
        await Deno.remove(tmp).catch(() => {});
        await Deno.remove(tmp + MAP_SUFFIX).catch(() => {});
      }
      file.close();
    }
  }

  /** Segmented (large files, or a claimed segmented temp file) or single-stream transfer. */
  async #fetchAny(
    file: Deno.FsFile,
    tmp: string,
    claimed: number,
  ): Promise<"downloaded" | "resumed"> {
    const { size, etag } = this.#file;
    const { segmentBytes, partsPerFile } = this.#options;
    const mapPath = tmp + MAP_SUFFIX;
    let map = claimed > 0 ? await FileTransfer.readMap(mapPath) : undefined;
    if (
      map && (map.size !== size || map.etag !== etag ||
        map.progress.length !== Math.ceil(size / map.segment))
    ) {
      map = undefined; // another version or a damaged map: start over
      claimed = 0;
      await file.truncate(0);
    }
    const resumed = claimed > 0;
    if (map || (claimed === 0 && partsPerFile > 1 && size >= 2 * segmentBytes)) {
      map ??= {
        version: 1,
        size,
        etag,
        segment: segmentBytes,
        progress: new Array(Math.ceil(size / segmentBytes)).fill(0),
      };
      this.#expected = { size, etag };
      try {
        await this.#fetchSegmented(tmp, map);
        await Deno.remove(mapPath).catch(() => {});
        return resumed ? "resumed" : "downloaded";
      } catch (e) {
        if (!(e instanceof FallbackError)) throw e;
        await Deno.remove(mapPath).catch(() => {});
        await file.truncate(0);
        this.#setDone(0);
        claimed = 0;
      }
    }
    const outcome = await this.#fetch(file, tmp, claimed);
    return resumed ? "resumed" : outcome;
  }

  /** What the final file must be (the listing, unless the object changed under us). */
  #expected: { size: number; etag?: string } = { size: 0 };

  async #fetch(
    file: Deno.FsFile,
    tmp: string,
    claimed: number,
  ): Promise<"downloaded" | "resumed"> {
    const { signal, maxAttempts, minDelayMs } = this.#options;
    this.#expected = { size: this.#file.size, etag: this.#file.etag };
    {
      let offset = claimed;
      const resumedFrom = claimed;
      let hash = await md5File(tmp, offset, signal);
      this.#setDone(offset);
      let changed = false; // the object changed since listing: no If-Match, trust the response
      let failures = 0;
      for (;;) {
        signal?.throwIfAborted();
        const before = offset;
        try {
          await file.truncate(offset);
          await file.seek(offset, Deno.SeekMode.Start);
          if (offset < this.#expected.size || this.#expected.size === 0) {
            const r = await this.#get(offset, changed ? undefined : this.#expected.etag);
            if (r.restart) {
              offset = 0;
              hash = createHash("md5");
              this.#setDone(0);
              await file.truncate(0);
              await file.seek(0, Deno.SeekMode.Start);
              if (r.body.etag && r.body.etag !== this.#expected.etag) {
                changed = true;
                this.#expected = { size: r.body.contentLength, etag: r.body.etag };
              }
            }
            const h = hash;
            await this.#pump(r.body, this.#expected.size - offset, false, async (chunk) => {
              await writeAll(file, chunk);
              h.update(chunk);
              offset += chunk.length;
              this.#setDone(offset);
            }, signal);
          }
          if (offset !== this.#expected.size) {
            throw new RetryableTransferError(
              `received ${offset} of ${this.#expected.size} bytes`,
            );
          }
          const etag = this.#expected.etag;
          if (isMd5Etag(etag) && hash.digest("hex") !== etag.toLowerCase()) {
            offset = 0;
            hash = createHash("md5");
            this.#setDone(0);
            throw new RetryableTransferError("MD5 does not match the ETag; fetching again");
          }
          return resumedFrom > 0 ? "resumed" : "downloaded";
        } catch (e) {
          if (signal?.aborted) throw signal.reason ?? e;
          if (e instanceof S3RequestError && e.status === 412 && !changed) {
            // The object changed since it was listed: start over without If-Match.
            changed = true;
            offset = 0;
            hash = createHash("md5");
            this.#setDone(0);
            continue;
          }
          if (!isRetriable(e)) throw e;
          if (offset > before) failures = 0;
          else failures++;
          if (failures >= maxAttempts) throw e;
          // Bytes that made it to disk are kept; the hash matches them.
          await sleep(Math.random() * Math.min(8000, minDelayMs * 2 ** failures), signal);
        }
      }
    }
  }

  /** A GET from `offset`; `restart` when the answer is the whole object. */
  async #get(
    offset: number,
    ifMatch: string | undefined,
  ): Promise<{ body: ObjectBody; restart: boolean }> {
    const body = await this.#source.get(this.#file.key, {
      start: offset,
      ifMatch,
      signal: this.#options.signal,
    });
    if (offset === 0) return { body, restart: body.status !== 206 };
    if (body.status === 206) {
      const m = body.contentRange?.match(/^bytes (\d+)-(\d+)\/(\d+|\*)$/);
      if (m && Number(m[1]) === offset && (m[3] === "*" || Number(m[3]) === this.#expected.size)) {
        return { body, restart: false };
      }
      // A range we did not ask for: drop it and fetch the whole object.
      await body.body.cancel().catch(() => {});
      const whole = await this.#source.get(this.#file.key, {
        ifMatch,
        signal: this.#options.signal,
      });
      return { body: whole, restart: true };
    }
    return { body, restart: true }; // 200: the server sent the whole object
  }

  /**
   * Reads a body, handing each piece to `onChunk`, until it ends or `limit`
   * bytes were taken. With `stopAtLimit` the rest is dropped (a ranged
   * segment), otherwise a longer body is an error. Aborts a body that
   * delivers nothing for the stall timeout.
   */
  async #pump(
    body: ObjectBody,
    limit: number,
    stopAtLimit: boolean,
    onChunk: (chunk: Uint8Array) => Promise<void>,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const { stallTimeoutMs } = this.#options;
    const reader = body.body.getReader();
    let last = Date.now();
    let stalled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const check = () => {
      const idle = Date.now() - last;
      if (idle >= stallTimeoutMs) {
        stalled = true;
        reader.cancel(new StallError(stallTimeoutMs)).catch(() => {});
      } else timer = setTimeout(check, stallTimeoutMs - idle);
    };
    timer = setTimeout(check, stallTimeoutMs);
    const onAbort = () => reader.cancel(signal?.reason).catch(() => {});
    signal?.addEventListener("abort", onAbort, { once: true });
    let taken = 0;
    let finished = false;
    try {
      while (taken < limit || !stopAtLimit) {
        const { done, value } = await reader.read();
        if (done) {
          finished = true;
          break;
        }
        last = Date.now();
        if (!value || value.length === 0) continue;
        let chunk = value;
        if (taken + chunk.length > limit) {
          if (!stopAtLimit) throw new RetryableTransferError(`the body is longer than expected`);
          chunk = chunk.subarray(0, limit - taken);
        }
        await onChunk(chunk);
        taken += chunk.length;
        this.#c.summary.bytes += chunk.length;
        this.#c.progress.receivedBytes += chunk.length;
        this.#emit();
      }
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      if (!finished) await reader.cancel().catch(() => {});
      reader.releaseLock();
    }
    if (signal?.aborted) throw signal.reason;
    if (stalled) throw new StallError(stallTimeoutMs);
  }

  #lastEmit = 0;

  /** Progress callbacks, at most every 50 ms per file. */
  #emit(): void {
    const now = performance.now();
    if (now - this.#lastEmit < 50) return;
    this.#lastEmit = now;
    this.#c.emit();
  }

  /** Reads a segment map, or `undefined`. */
  static async readMap(path: string): Promise<SegmentMap | undefined> {
    try {
      const m = JSON.parse(await Deno.readTextFile(path)) as SegmentMap;
      if (m?.version !== 1 || !Array.isArray(m.progress) || !(m.segment > 0)) return undefined;
      return m;
    } catch {
      return undefined;
    }
  }

  /** Fetches a large file as segments over parallel ranged GETs; MD5 follows the contiguous prefix. */
  async #fetchSegmented(tmp: string, map: SegmentMap): Promise<void> {
    const { signal, maxAttempts, minDelayMs, partsPerFile } = this.#options;
    const { size, segment } = map;
    const etag = this.#file.etag;
    const n = map.progress.length;
    const len = (i: number) => Math.min(segment, size - i * segment);
    const total = () => map.progress.reduce((a, b) => a + b, 0);
    this.#setDone(total());
    const mapPath = tmp + MAP_SUFFIX;
    let saving = Promise.resolve();
    let lastSave = 0;
    const save = (force = false) => {
      if (!force && Date.now() - lastSave < 500) return saving;
      lastSave = Date.now();
      const text = JSON.stringify(map);
      saving = saving.then(async () => {
        await Deno.writeTextFile(`${mapPath}.tmp`, text);
        await Deno.rename(`${mapPath}.tmp`, mapPath);
      }).catch(() => {});
      return saving;
    };
    await save(true);

    const inner = new AbortController();
    const onOuter = () => inner.abort(signal?.reason);
    signal?.addEventListener("abort", onOuter, { once: true });
    let failed: unknown;
    let wake: (() => void) | undefined;
    let notify = () => {};
    let lastNotify = 0;
    const frontier = () => {
      let f = 0;
      for (let i = 0; i < n; i++) {
        f += map.progress[i];
        if (map.progress[i] < len(i)) break;
      }
      return f;
    };

    const hasher = md5Follower(tmp, size);
    notify = () => {
      const w = wake;
      wake = undefined;
      w?.();
      hasher.advance(frontier());
    };

    const segmentTask = async (i: number, wf: Deno.FsFile) => {
      let failures = 0;
      for (;;) {
        const start = i * segment + map.progress[i];
        const end = i * segment + len(i);
        if (start >= end) return;
        const before = map.progress[i];
        try {
          const body = await this.#source.get(this.#file.key, {
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
          await this.#pump(body, end - start, true, async (chunk) => {
            await writeAll(wf, chunk);
            map.progress[i] += chunk.length;
            this.#setDone(total());
            if (performance.now() - lastNotify > 20) {
              lastNotify = performance.now();
              notify();
            }
            save();
          }, inner.signal);
          if (map.progress[i] < len(i)) {
            throw new RetryableTransferError(`segment ${i}: short body`);
          }
          notify();
          save(true);
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
          await sleep(Math.random() * Math.min(8000, minDelayMs * 2 ** failures), inner.signal);
        }
      }
    };

    let next = 0;
    const worker = async () => {
      const wf = await Deno.open(tmp, { write: true });
      try {
        while (failed === undefined) {
          let i = -1;
          while (next < n) {
            const j = next++;
            if (map.progress[j] < len(j)) {
              i = j;
              break;
            }
          }
          if (i < 0) return;
          await segmentTask(i, wf);
        }
      } catch (e) {
        if (failed === undefined) {
          failed = e;
          inner.abort(e);
        }
      } finally {
        wf.close();
        notify();
      }
    };
    let digest: string;
    try {
      hasher.advance(frontier());
      await Promise.all(Array.from({ length: Math.min(partsPerFile, n) }, worker));
      if (failed !== undefined) throw failed;
      hasher.advance(frontier());
      // A worker that failed (e.g. cannot load): hash the finished file here instead.
      digest = await hasher.digest.catch(async () =>
        (await md5File(tmp, size, signal)).digest("hex")
      );
    } finally {
      hasher.stop();
      signal?.removeEventListener("abort", onOuter);
      await save(true);
    }
    const info = await Deno.stat(tmp);
    if (info.size !== size) throw new FallbackError(`temp file has ${info.size} of ${size} bytes`);
    if (isMd5Etag(etag) && digest !== etag.toLowerCase()) {
      throw new FallbackError("MD5 does not match the ETag; fetching again in one piece");
    }
  }
}

/**
 * Transfers the planned files into place: skips complete ones without a GET,
 * resumes partial temp files of dead processes, verifies every file before
 * renaming it into place. Access-denied keys warn and are skipped; a failed
 * file does not stop the others.
 *
 * @example
 * ```ts
 * import { getSource, planDownload, transferFiles } from "@laion/fmri";
 * const plan = await planDownload({ subject: "01", ses: "01", dataDir: "/data" });
 * const summary = await transferFiles(getSource(), plan.dataDir, plan.files);
 * console.log(summary.downloaded, summary.bytes);
 * ```
 */
export async function transferFiles(
  source: BucketSource,
  dataDir: string,
  files: readonly PlannedFile[],
  options: TransferOptions = {},
): Promise<DownloadSummary> {
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 8));
  const perFile = {
    concurrency,
    stallTimeoutMs: options.stallTimeoutMs ?? 30_000,
    maxAttempts: options.maxAttempts ?? 6,
    minDelayMs: options.minDelayMs ?? 250,
    segmentBytes: Math.max(1024, Math.floor(options.segmentBytes ?? 32 * 1024 * 1024)),
    partsPerFile: Math.max(1, Math.floor(options.partsPerFile ?? 4)),
    signal: options.signal,
  };
  const summary: DownloadSummary = {
    matched: files.length,
    downloaded: 0,
    skipped: 0,
    resumed: 0,
    bytes: 0,
    accessDenied: [],
    failures: [],
  };
  const progress: TransferProgress = {
    totalFiles: files.length,
    doneFiles: 0,
    totalBytes: files.reduce((n, f) => n + f.size, 0),
    doneBytes: 0,
    receivedBytes: 0,
  };
  const counters: Counters = {
    summary,
    progress,
    emit: () => options.onProgress?.({ ...progress }),
  };
  const manifest = await openManifest(dataDir);
  const folders = new FolderCache();
  let next = 0;
  let lastSave = Date.now();
  const worker = async () => {
    while (next < files.length) {
      options.signal?.throwIfAborted();
      const file = files[next++];
      const t = new FileTransfer(file, source, manifest, perFile, counters, folders);
      try {
        const outcome = await t.run();
        if (outcome === "skipped") summary.skipped++;
        else summary.downloaded++;
        if (outcome === "resumed") summary.resumed++;
      } catch (e) {
        if (options.signal?.aborted) throw options.signal.reason ?? e;
        if (e instanceof AccessDeniedError) {
          summary.accessDenied.push(file.key);
          warn(
            `Access denied for s3://${source.bucket}/${file.key}; skipping (the bucket's deny ` +
              `rule blocks public GET on this key).`,
          );
        } else {
          summary.failures.push({ key: file.key, error: errorMessage(e) });
        }
      }
      progress.doneFiles++;
      counters.emit();
      if (Date.now() - lastSave > 1000) {
        lastSave = Date.now();
        manifest.save();
      }
    }
  };
  try {
    // Every worker settles (temp files closed, maps saved) before an abort is reported.
    const settled = await Promise.allSettled(
      Array.from({ length: Math.min(concurrency, files.length) }, worker),
    );
    const failed = settled.find((r) => r.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
  } finally {
    await manifest.save();
  }
  return summary;
}

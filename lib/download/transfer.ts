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
import { sleep } from "../bucket/retry.ts";
import {
  AccessDeniedError,
  EndpointUnreachableError,
  LaionFmriError,
  PermissionMissingError,
  S3RequestError,
} from "../errors.ts";
import { warn } from "../warnings.ts";
import { type Manifest, openManifest } from "./manifest.ts";
import type { PlannedFile } from "./plan.ts";

/** What a download did. */
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

/** Progress of a set of transfers. */
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

/** Options of {@linkcode transferFiles}. */
export interface TransferOptions {
  /** Files transferred at once. @default 8 */
  concurrency?: number;
  /** Abort a body that delivers no byte for this long (ms), then resume. @default 30000 */
  stallTimeoutMs?: number;
  /** Attempts per file that make no progress, before giving up. @default 6 */
  maxAttempts?: number;
  /** Base backoff delay between attempts (ms), full jitter. @default 250 */
  minDelayMs?: number;
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

const MD5_RE = /^[0-9a-f]{32}$/i;
const TEMP_SUFFIX = ".part";

/** True when an ETag is the MD5 of the object (a single-part upload). */
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
          if (e.isFile && e.name.startsWith(".") && e.name.endsWith(TEMP_SUFFIX)) out.push(e);
        }
        return out;
      })();
      this.#temps.set(dir, p);
    }
    return p;
  }
}

/** Opens a new temp file and takes the exclusive lock that marks it as owned by a live process. */
async function createTemp(path: string): Promise<Deno.FsFile> {
  const file = await Deno.open(path, { read: true, write: true, createNew: true });
  try {
    await file.lock(true);
  } catch (e) {
    file.close();
    throw e;
  }
  return file;
}

/**
 * Finds the temp files left in `path`'s folder by processes that are gone:
 * a live transfer holds an exclusive lock on its temp file (released by the
 * kernel when the process dies, even on kill -9), so a temp file whose lock
 * can be taken is orphaned. Claims the largest one of the same object version
 * (renamed to `mine`, still locked) and deletes the other orphans.
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
      const m = e.name.slice(prefix.length, -TEMP_SUFFIX.length).match(
        /^([A-Za-z0-9-]+)\.(\d+)-[0-9a-f]+$/,
      );
      if (!m) continue;
      let file: Deno.FsFile | undefined;
      try {
        file = await Deno.open(join(dir, e.name), { read: true, write: true });
        const info = await file.stat();
        // Just created and not yet locked by its owner: leave it alone.
        const fresh = info.size === 0 && info.mtime !== null &&
          Date.now() - info.mtime.getTime() < 60_000;
        if (fresh || !(await file.tryLock(true))) {
          file.close();
          continue;
        }
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
    if (!claimed && f.size > 0 && f.size <= size) {
      try {
        await Deno.rename(join(dir, f.name), mine);
        claimed = { file: f.file, size: f.size };
        continue;
      } catch {
        // fall through: delete it
      }
    }
    await Deno.remove(join(dir, f.name)).catch(() => {});
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
      return "skipped";
    }
    const tmp = tempName(path, this.#file.etag);
    const claimed = await claimOrphan(path, this.#file.etag, this.#file.size, tmp, this.#folders);
    const file = claimed?.file ?? await createTemp(tmp);
    let keepTemp = false;
    try {
      const outcome = await this.#fetch(file, tmp, claimed?.size ?? 0);
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
      if (!keepTemp) await Deno.remove(tmp).catch(() => {});
      file.close();
    }
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
            const pos = { offset };
            try {
              await this.#stream(r.body, file, hash, pos);
            } finally {
              offset = pos.offset;
            }
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

  /** Streams a body to the file from `pos.offset`, advancing it as bytes reach the file. */
  async #stream(
    body: ObjectBody,
    file: Deno.FsFile,
    hash: Hash,
    pos: { offset: number },
  ): Promise<void> {
    const { stallTimeoutMs, signal } = this.#options;
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
    const limit = this.#expected.size;
    let finished = false;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          finished = true;
          break;
        }
        last = Date.now();
        if (!value || value.length === 0) continue;
        if (limit > 0 && pos.offset + value.length > limit) {
          throw new RetryableTransferError(`the body is longer than ${limit} bytes`);
        }
        await writeAll(file, value);
        hash.update(value);
        pos.offset += value.length;
        this.#c.summary.bytes += value.length;
        this.#c.progress.receivedBytes += value.length;
        this.#setDone(pos.offset);
        this.#c.emit();
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
    await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  } finally {
    await manifest.save();
  }
  return summary;
}

/**
 * One file: skipped when complete (with `verify`, only when its bytes hash
 * as recorded; with `force`, never), else fetched into a locked temp file
 * (claimed from a dead process when one is left), verified, and renamed
 * into place.
 * @module
 */
import { dirname } from "node:path";
import type { BucketSource } from "../../bucket/source.ts";
import type { Manifest } from "../manifest.ts";
import type { PlannedFile } from "../plan.ts";
import { type Expected, type FileJob, recordOf } from "./file_job.ts";
import { isMd5Etag, md5File } from "./md5.ts";
import type { DownloadSummary, ResolvedTuning, TransferProgress } from "./options.ts";
import { FallbackError, isRetriable, RetryableTransferError } from "./retry_class.ts";
import { mapFits, newSegmentMap, readSegmentMap } from "./segment_map.ts";
import { fetchSegmented } from "./segmented_fetch.ts";
import { fetchSingle } from "./single_fetch.ts";
import { claimOrphan, createTemp, type FolderCache, MAP_SUFFIX, tempName } from "./temp_files.ts";

/** The counters of a whole run that each file adds to. */
export interface Counters {
  /** The summary being built. */
  summary: DownloadSummary;
  /** The progress being reported. */
  progress: TransferProgress;
  /** Reports the progress. */
  emit(): void;
}

/** What a file transfer shares with the others of its run. */
export interface RunContext {
  /** Where the bytes come from. */
  source: BucketSource;
  /** Records of complete files. */
  manifest: Manifest;
  /** Tuning with defaults applied. */
  tuning: ResolvedTuning;
  /** Counters of the run. */
  counters: Counters;
  /** Folders created and scanned in this run. */
  folders: FolderCache;
}

/**
 * One file: skip, resume or fetch; verify; rename into place.
 *
 * @example
 * ```ts ignore
 * const outcome = await new FileTransfer(file, run).run(); // "downloaded" | "resumed" | "skipped"
 * ```
 */
export class FileTransfer implements FileJob {
  /** The planned file. */
  readonly file: PlannedFile;
  /** Where its bytes come from. */
  readonly source: BucketSource;
  /** Tuning with defaults applied. */
  readonly tuning: ResolvedTuning;
  #run: RunContext;
  /** True once `verify` found the file on disk with other bytes than the bucket's. */
  repaired = false;
  /** Local bytes of this file counted in `progress.doneBytes` so far. */
  #counted = 0;
  #lastEmit = 0;

  /** Creates an instance. @param file the planned file @param run what the run shares */
  constructor(file: PlannedFile, run: RunContext) {
    this.file = file;
    this.source = run.source;
    this.tuning = run.tuning;
    this.#run = run;
  }

  /** Sets how many bytes of this file are on disk. */
  setDone(bytes: number): void {
    this.#run.counters.progress.doneBytes += bytes - this.#counted;
    this.#counted = bytes;
  }

  /** Counts received bytes; progress callbacks at most every 50 ms per file. */
  received(bytes: number): void {
    const { summary, progress, emit } = this.#run.counters;
    summary.bytes += bytes;
    progress.receivedBytes += bytes;
    const now = performance.now();
    if (now - this.#lastEmit < 50) return;
    this.#lastEmit = now;
    emit();
  }

  /**
   * True when the final file is already complete (recorded, or MD5 = ETag);
   * with `verify`, only when its MD5 is the expected one; with `force`, never.
   */
  async #complete(): Promise<boolean> {
    const { path, key, size, etag } = this.file;
    const { manifest } = this.#run;
    if (this.tuning.force) return false;
    const info = await Deno.stat(path).catch(() => undefined);
    if (!info?.isFile || info.size !== size) return false;
    if (this.tuning.verify) return await this.#verify();
    if (manifest.get(key) === recordOf(this.file)) return true;
    if (isMd5Etag(etag)) {
      const hash = (await md5File(path, size, this.tuning.signal)).digest("hex");
      if (hash === etag.toLowerCase()) {
        manifest.set(key, recordOf(this.file), hash);
        return true;
      }
    }
    return false;
  }

  /**
   * Re-hashes the file on disk against its ETag (single-part) or the MD5
   * recorded for this version (multipart). A mismatch forgets the record, so
   * a failed re-fetch is not taken for complete by a later run.
   */
  async #verify(): Promise<boolean> {
    const { path, key, size, etag } = this.file;
    const { manifest } = this.#run;
    const recorded = manifest.get(key) === recordOf(this.file) ? manifest.md5(key) : undefined;
    const want = isMd5Etag(etag) ? etag.toLowerCase() : recorded;
    if (want === undefined) return false; // nothing to check it against: fetch it again
    const hash = (await md5File(path, size, this.tuning.signal)).digest("hex");
    if (hash === want) {
      manifest.set(key, recordOf(this.file), hash);
      return true;
    }
    this.repaired = true;
    manifest.set(key, undefined);
    return false;
  }

  /** Transfers the file; rejects with the last error when it cannot. */
  async run(): Promise<"downloaded" | "resumed" | "skipped"> {
    const { path, etag, size, key } = this.file;
    const { folders, manifest } = this.#run;
    const { signal } = this.tuning;
    await folders.mkdir(dirname(path));
    if (await this.#complete()) {
      this.setDone(size);
      // Temp files of dead processes for a file that is complete: removed.
      await claimOrphan(path, { etag, size: 0, mine: "", folders, signal });
      return "skipped";
    }
    const tmp = tempName(path, etag);
    // `force` trusts no byte on disk: orphans are removed, not resumed.
    const mine = this.tuning.force ? "" : tmp;
    const claimed = await claimOrphan(path, { etag, size, mine, folders, signal });
    const file = claimed?.file ?? await createTemp(tmp, signal);
    let keepTemp = false;
    try {
      const { outcome, expected, md5 } = await this.#fetchAny(file, tmp, claimed?.size ?? 0);
      // Renamed while still locked, so no other process can take it meanwhile.
      await Deno.rename(tmp, path);
      manifest.set(key, recordOf(expected), md5);
      return outcome;
    } catch (e) {
      // Keep what arrived for a later run when cancelled or the network gave up.
      keepTemp = (signal?.aborted === true ||
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
  ): Promise<{ outcome: "downloaded" | "resumed"; expected: Expected; md5: string }> {
    const { size, etag } = this.file;
    const { segmentBytes, partsPerFile } = this.tuning;
    const mapPath = tmp + MAP_SUFFIX;
    let map = claimed > 0 ? await readSegmentMap(mapPath, this.tuning.signal) : undefined;
    if (map && !mapFits(map, size, etag)) {
      map = undefined; // another version or a damaged map: start over
      claimed = 0;
      await file.truncate(0);
    }
    const resumed = claimed > 0;
    if (map || (claimed === 0 && partsPerFile > 1 && size >= 2 * segmentBytes)) {
      map ??= newSegmentMap(size, etag, segmentBytes);
      try {
        const md5 = await fetchSegmented(this, tmp, map);
        await Deno.remove(mapPath).catch(() => {});
        return { outcome: resumed ? "resumed" : "downloaded", expected: { size, etag }, md5 };
      } catch (e) {
        if (!(e instanceof FallbackError)) throw e;
        await Deno.remove(mapPath).catch(() => {});
        await file.truncate(0);
        this.setDone(0);
        claimed = 0;
      }
    }
    const single = await fetchSingle(this, file, tmp, claimed);
    return { ...single, outcome: resumed ? "resumed" : single.outcome };
  }
}

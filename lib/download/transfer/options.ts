/**
 * The options, progress and summary of a set of transfers, declared once:
 * `download()` takes the same tuning fields ({@linkcode TransferTuning}).
 * @module
 */

/**
 * How transfers run: concurrency, stall timeout, retries, segmenting, and
 * how far a file already on disk is trusted (`verify`, `force`).
 * Shared by `download()` and {@linkcode TransferOptions}.
 *
 * @example
 * ```ts
 * import { download } from "@laion/fmri";
 * import { type TransferTuning } from "@laion/fmri/download";
 * const tuning: TransferTuning = { concurrency: 4, stallTimeoutMs: 10_000 };
 * await download({ subject: "01", acceptLicense: true, ...tuning });
 * ```
 */
export interface TransferTuning {
  /** Files transferred at once. @default 8 */
  concurrency?: number;
  /** Abort a body that delivers no byte for this long (ms), then resume it. @default 30000 */
  stallTimeoutMs?: number;
  /** Attempts per file (or segment) that make no progress, before it counts as failed. @default 6 */
  maxAttempts?: number;
  /** Base delay of the jittered backoff between attempts (ms). @default 250 */
  minDelayMs?: number;
  /**
   * A file at least twice this size is fetched as consecutive segments of
   * this size over up to `partsPerFile` parallel ranged GETs (resumable per
   * segment). @default 33554432 (32 MiB)
   */
  segmentBytes?: number;
  /** Parallel ranged GETs per large file; 1 turns segmenting off. @default 4 */
  partsPerFile?: number;
  /**
   * Re-hash every selected file already on disk and fetch again those whose
   * bytes differ: a single-part upload's ETag is its MD5; a multipart one is
   * checked against the MD5 recorded when it was downloaded (a file without
   * one is fetched again). Repairs a same-size corrupted file, which the
   * default size-and-manifest check keeps. @default false
   */
  verify?: boolean;
  /** Fetch every selected file again, whatever is on disk (partial temp files included). @default false */
  force?: boolean;
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
 * Options of `transferFiles`: the shared tuning, a progress callback and a signal.
 *
 * @example
 * ```ts
 * import type { TransferOptions } from "./options.ts";
 * const o: TransferOptions = { concurrency: 4, stallTimeoutMs: 10_000 };
 * ```
 */
export interface TransferOptions extends TransferTuning {
  /** Called whenever bytes arrive or a file finishes. */
  onProgress?: (progress: TransferProgress) => void;
  /** Cancels the transfers (partial temp files are kept for a later resume). */
  signal?: AbortSignal;
  /** Called once per file with how it ended. */
  onFileDone?: (key: string, outcome: FileOutcome) => void;
}

/** How one file of a transfer ended. */
export type FileOutcome = "downloaded" | "skipped" | "accessDenied" | "failed";

/**
 * What a download did under one listed prefix (upstream's per-prefix result
 * of `_filtered_download`), as lists of keys.
 *
 * @example
 * ```ts
 * import { download } from "@laion/fmri";
 * import { type PrefixResult } from "@laion/fmri/download";
 * const s = await download({ subject: "01", includeAnatomical: true, acceptLicense: true });
 * const anat: PrefixResult | undefined = s.prefixes.find((p) => p.prefix.includes("anatomical"));
 * ```
 */
export interface PrefixResult {
  /** The listed prefix, e.g. `derivatives/anatomical/sub-01/`. */
  prefix: string;
  /** Keys selected under it (filter matches and pinned keys; never held-out keys). */
  matched: string[];
  /** Keys fetched (in full or by resuming). */
  downloaded: string[];
  /** Keys already complete on disk. */
  skipped: string[];
  /** Keys the bucket refused (403). */
  accessDenied: string[];
}

/**
 * What a download did.
 *
 * @example
 * ```ts
 * import { download } from "@laion/fmri";
 * import { type DownloadSummary } from "@laion/fmri/download";
 * const s: DownloadSummary = await download({ subject: "01", session: "01", acceptLicense: true });
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
  /**
   * Keys whose local file had the right size but other bytes than the
   * bucket's (found by `verify`) and were fetched again (counted in
   * `downloaded` too; a re-fetch that failed is in `failures` instead).
   */
  repaired: string[];
  /** Files completed from a partial temp file of an earlier run (counted in `downloaded` too). */
  resumed: number;
  /** Body bytes received over the network. */
  bytes: number;
  /** Keys the bucket refused (403); skipped with a warning. */
  accessDenied: string[];
  /** Keys that failed, with the error message. */
  failures: { key: string; error: string }[];
  /** One result per listed prefix, in plan order (empty from `transferFiles` alone). */
  prefixes: PrefixResult[];
}

/** {@linkcode TransferTuning} with every default filled in, as one file's transfer sees it. */
export type ResolvedTuning = Required<TransferTuning> & { signal?: AbortSignal };

/**
 * The tuning with defaults applied and bounds enforced (at least one file
 * at once, segments of at least 1 KiB, at least one part per file).
 *
 * @example
 * ```ts
 * import { resolveTuning } from "./options.ts";
 * resolveTuning({ concurrency: 0 }).concurrency; // 1
 * ```
 */
export function resolveTuning(options: TransferOptions): ResolvedTuning {
  return {
    concurrency: Math.max(1, Math.floor(options.concurrency ?? 8)),
    stallTimeoutMs: options.stallTimeoutMs ?? 30_000,
    maxAttempts: options.maxAttempts ?? 6,
    minDelayMs: options.minDelayMs ?? 250,
    segmentBytes: Math.max(1024, Math.floor(options.segmentBytes ?? 32 * 1024 * 1024)),
    partsPerFile: Math.max(1, Math.floor(options.partsPerFile ?? 4)),
    verify: options.verify === true,
    force: options.force === true,
    signal: options.signal,
  };
}

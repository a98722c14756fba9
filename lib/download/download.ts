/**
 * `download()`: consent, then upstream's key selection, then parallel,
 * resumable, verified transfers, with a progress bar or callback.
 * @module
 */
import { resolve } from "node:path";
import { type BucketOptions, getSource } from "../bucket/cached_source.ts";
import { resolveSubjectId } from "../core/ids.ts";
import { getDataDir } from "../local/config.ts";
import { warn } from "../core/warnings.ts";
import { ensureConsent, type PromptFunction } from "./consent.ts";
import type { DownloadFilters } from "./filters.ts";
import { planDownload } from "./plan.ts";
import { barEnabled, type DownloadProgress, ProgressReporter } from "./progress.ts";
import { type DownloadSummary, transferFiles } from "./transfer.ts";

/**
 * Options of {@linkcode download}.
 *
 * @example
 * ```ts
 * import { download, type DownloadOptions } from "@laion/fmri";
 * const o: DownloadOptions = { subject: "all", ses: "averages", acceptLicense: true };
 * await download(o);
 * ```
 */
export interface DownloadOptions extends DownloadFilters, BucketOptions {
  /** A subject id (`"sub-01"`), a bare value (`"01"`), or `"all"` (every subject in the bucket). */
  subject: string;
  /** Also download `stimuli/` (asks for the stimulus terms). @default false */
  includeStimuli?: boolean;
  /** Files transferred at once. @default 8 */
  concurrency?: number;
  /**
   * Accept the dataset license (and, with `includeStimuli`, the stimulus
   * terms) explicitly, without a prompt. Scripts and CI must pass it.
   * @default false
   */
  acceptLicense?: boolean;
  /** Asks for consent (gets the text, returns the answer). @default a terminal prompt when stdin is a terminal */
  prompt?: PromptFunction;
  /** Receives progress (bytes, files, rate, ETA) as the download runs. */
  onProgress?: (progress: DownloadProgress) => void;
  /** No progress bar. @default false (a bar on stderr when it is a terminal and CI is unset) */
  quiet?: boolean;
  /** The data directory. @default the configured one (`getDataDir()`) */
  dataDir?: string;
  /** Abort a body that delivers nothing for this long (ms), then resume it. @default 30000 */
  stallTimeoutMs?: number;
  /** Attempts per file that make no progress before it counts as failed. @default 6 */
  maxAttempts?: number;
  /** Base delay of the jittered backoff between attempts (ms). @default 250 */
  minDelayMs?: number;
  /** Files of at least twice this size are fetched in segments of this size. @default 32 MiB */
  segmentBytes?: number;
  /** Parallel ranged GETs per large file (1 = one stream per file). @default 4 */
  partsPerFile?: number;
}

/**
 * Downloads a subject's files (or every subject's, with `"all"`) into the
 * data directory, selected as upstream does: the root files, the subject's
 * GLMsingle outputs filtered by `ses`/`task`/`space`/`desc`/`stat`/`suffix`/
 * `extension` (with the R2mean brain mask when `ses` names a session), its
 * ROIs (every filter but `ses`) and, with `includeStimuli`, `stimuli/`.
 * Held-out sessions are never requested. Nothing is fetched before consent.
 * Files are verified before they appear at their final path; complete files
 * are skipped, partial ones resumed.
 *
 * @throws {LicenseNotAcceptedError} when consent is refused or cannot be asked
 * @throws {SubjectNotFoundError} for an empty subject id, or `"all"` with no subjects
 * @throws {DataDirNotSetError} when no data directory is configured or given
 * @example
 * ```ts
 * import { download } from "@laion/fmri";
 * const summary = await download({
 *   subject: "sub-01",
 *   ses: "ses-01",
 *   suffix: ["statmap", "trials", "mask"],
 *   acceptLicense: true,
 * });
 * console.log(`${summary.downloaded} downloaded, ${summary.skipped} already there`);
 * ```
 */
export async function download(options: DownloadOptions): Promise<DownloadSummary> {
  const dataDir = resolve(options.dataDir ?? getDataDir());
  if (options.subject !== "all") resolveSubjectId(options.subject); // before any prompt
  await ensureConsent({
    dataDir,
    includeStimuli: options.includeStimuli,
    acceptLicense: options.acceptLicense,
    prompt: options.prompt,
  });
  const source = getSource(options);
  const plan = await planDownload({ ...options, source, dataDir });
  const reporter = new ProgressReporter({
    bar: barEnabled(options.quiet),
    onProgress: options.onProgress,
  });
  let summary: DownloadSummary;
  try {
    summary = await transferFiles(source, dataDir, plan.files, {
      concurrency: options.concurrency,
      stallTimeoutMs: options.stallTimeoutMs,
      maxAttempts: options.maxAttempts,
      minDelayMs: options.minDelayMs,
      segmentBytes: options.segmentBytes,
      partsPerFile: options.partsPerFile,
      signal: options.signal,
      onProgress: (p) => reporter.update(p),
    });
  } finally {
    reporter.finish();
  }
  summary.failures.unshift(...plan.refused);
  summary.matched += plan.refused.length;
  if (summary.failures.length > 0) {
    warn(
      `${summary.failures.length} file(s) could not be downloaded: ${
        summary.failures.slice(0, 3).map((f) => `${f.key} (${f.error})`).join("; ")
      }${summary.failures.length > 3 ? "; ..." : ""}. Run the same download again to retry.`,
    );
  }
  return summary;
}

/**
 * A one-paragraph text of a summary, as the CLI prints it.
 *
 * @example
 * ```ts
 * import { formatSummary } from "@laion/fmri";
 * console.log(formatSummary({ matched: 3, downloaded: 2, skipped: 1, resumed: 0, bytes: 2048, accessDenied: [], failures: [] }));
 * ```
 */
export function formatSummary(s: DownloadSummary): string {
  const lines = [
    `Matched ${s.matched} file(s): ${s.downloaded} downloaded (${s.resumed} resumed), ` +
    `${s.skipped} already complete; ${(s.bytes / 1e6).toFixed(1)} MB transferred.`,
  ];
  if (s.accessDenied.length) lines.push(`Access denied (skipped): ${s.accessDenied.length}`);
  for (const f of s.failures) lines.push(`Failed: ${f.key}: ${f.error}`);
  return lines.join("\n");
}

/**
 * `download()`: consent, then upstream's key selection, then parallel,
 * resumable, verified transfers, with a progress bar or callback.
 * @module
 */
import { join, resolve } from "node:path";
import { type BucketOptions, getSource } from "../bucket/cached_source.ts";
import { resolveSubjectId } from "../core/ids.ts";
import { getDataDir } from "../local/config.ts";
import { warn } from "../core/warnings.ts";
import { ensureConsent, type PromptFunction } from "./consent.ts";
import { type DownloadFilters, sessionFilter } from "./filters.ts";
import { planDownload, STATE_DIR } from "./plan.ts";
import { barEnabled, type DownloadProgress, ProgressReporter } from "./progress.ts";
import type { DownloadSummary, TransferTuning } from "./transfer/options.ts";
import { notWritable } from "./transfer/not_writable.ts";
import { transferFiles } from "./transfer/transfer_files.ts";

/**
 * Options of {@linkcode download}: the filters, the bucket, the transfer
 * tuning, and what only a whole download has (subject, consent, progress).
 *
 * @example
 * ```ts
 * import { download, type DownloadOptions } from "@laion/fmri";
 * const o: DownloadOptions = { subject: "all", session: "averages", acceptLicense: true };
 * await download(o);
 * ```
 */
export interface DownloadOptions extends DownloadFilters, BucketOptions, TransferTuning {
  /** A subject id (`"sub-01"`), a bare value (`"01"`), or `"all"` (every subject in the bucket). */
  subject: string;
  /** Also download `stimuli/` (asks for the stimulus terms). @default false */
  includeStimuli?: boolean;
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
}

/**
 * Downloads a subject's files (or every subject's, with `"all"`) into the
 * data directory, selected as upstream does: the root files, the subject's
 * GLMsingle outputs filtered by `session` (upstream: `ses`)/`task`/`space`/
 * `desc`/`stat`/`suffix`/`extension` (with the R2mean brain mask when
 * `session` names a session), its ROIs (every filter but `session`) and,
 * with `includeStimuli`, `stimuli/`.
 * Held-out sessions are never requested. Nothing is fetched before consent.
 * Files are verified before they appear at their final path; complete files
 * (right size, recorded in the manifest) are skipped, partial ones resumed.
 * `verify: true` re-hashes the skipped ones and fetches again those whose
 * bytes differ (a same-size corruption); `force: true` fetches everything again.
 *
 * @throws {LicenseNotAcceptedError} when consent is refused or cannot be asked
 * @throws {SubjectNotFoundError} for an empty subject id, or `"all"` with no subjects
 * @throws {DataDirNotSetError} when no data directory is configured or given
 * @throws {TypeError} when both `session` and its alias `ses` are given
 * @throws {PermissionMissingError} when `--allow-write` does not cover the data directory
 * @throws {DataDirNotWritableError} when the system refuses writes into the data directory
 * @example
 * ```ts
 * import { download } from "@laion/fmri";
 * const summary = await download({
 *   subject: "sub-01",
 *   session: "ses-01",
 *   suffix: ["statmap", "trials", "mask"],
 *   acceptLicense: true,
 * });
 * console.log(`${summary.downloaded} downloaded, ${summary.skipped} already there`);
 * ```
 */
export async function download(options: DownloadOptions): Promise<DownloadSummary> {
  sessionFilter(options); // both `session` and `ses`: a TypeError before anything else
  const dataDir = resolve(options.dataDir ?? getDataDir());
  if (options.subject !== "all") resolveSubjectId(options.subject); // before any prompt
  // Consent markers are the first writes into the data directory.
  await ensureConsent({ ...options, dataDir }).catch((e) => {
    throw notWritable(e, dataDir, join(dataDir, STATE_DIR)) ?? e;
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
      ...options,
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
 * console.log(formatSummary({ matched: 3, downloaded: 2, skipped: 1, resumed: 0, bytes: 2048, repaired: [], accessDenied: [], failures: [] }));
 * ```
 */
export function formatSummary(s: DownloadSummary): string {
  const lines = [
    `Matched ${s.matched} file(s): ${s.downloaded} downloaded (${s.resumed} resumed), ` +
    `${s.skipped} already complete; ${(s.bytes / 1e6).toFixed(1)} MB transferred.`,
  ];
  if (s.repaired.length) {
    lines.push(`Repaired (local bytes differed from the bucket): ${s.repaired.length}`);
    for (const key of s.repaired) lines.push(`Repaired: ${key}`);
  }
  if (s.accessDenied.length) lines.push(`Access denied (skipped): ${s.accessDenied.length}`);
  for (const f of s.failures) lines.push(`Failed: ${f.key}: ${f.error}`);
  return lines.join("\n");
}

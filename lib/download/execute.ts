/**
 * The steps `download()` and `downloadRaw()` share: data directory and
 * drift check, subject check, consent, plan, transfers with progress, and
 * the summary with one result per prefix.
 * @module
 */
import { join } from "node:path";
import { type BucketOptions, getSource } from "../bucket/cached_source.ts";
import { getBucketLayout } from "../bucket/layout.ts";
import type { BucketSource } from "../bucket/source.ts";
import { resolveSubjectId } from "../core/ids.ts";
import { warn } from "../core/warnings.ts";
import { requireDataDir } from "../local/config.ts";
import { ensureConsent, type PromptFunction } from "./consent.ts";
import { checkDataDirDrift } from "./drift.ts";
import { type DownloadPlan, STATE_DIR } from "./plan_builder.ts";
import { barEnabled, type DownloadProgress, ProgressReporter } from "./progress.ts";
import type { DownloadSummary, FileOutcome, TransferTuning } from "./transfer/options.ts";
import { notWritable } from "./transfer/not_writable.ts";
import { transferFiles } from "./transfer/transfer_files.ts";

/**
 * The options every download entry point takes: the subject, consent,
 * progress, the data directory, the bucket and the transfer tuning.
 *
 * @example
 * ```ts
 * import type { DownloadBaseOptions } from "@laion/fmri/download";
 * const o: DownloadBaseOptions = { subject: "01", acceptLicense: true, quiet: true };
 * ```
 */
export interface DownloadBaseOptions extends BucketOptions, TransferTuning {
  /** A subject id (`"sub-01"`), a bare value (`"01"`), or `"all"` (every subject in the bucket). */
  subject: string;
  /**
   * Accept the dataset license (and, with `includeStimuli` on the seed
   * layout, the stimulus terms) explicitly, without a prompt. Scripts and
   * CI must pass it. The current layout's images are gated by the access
   * service's own form.
   * @default false
   */
  acceptLicense?: boolean;
  /** Asks for consent (gets the text, returns the answer). @default a terminal prompt when stdin is a terminal */
  prompt?: PromptFunction;
  /** Receives progress (bytes, files, rate, ETA) as the download runs. */
  onProgress?: (progress: DownloadProgress) => void;
  /** No progress bar. @default false (a bar on stderr when it is a terminal and CI is unset) */
  quiet?: boolean;
  /**
   * The data directory. When it is not given, the configured one is used and
   * a change of it between calls is warned about (upstream's drift warning).
   * @default the configured one (`getDataDir()`)
   */
  dataDir?: string;
}

/** Builds the plan of a download once consent is given. */
export type Planner = (source: BucketSource, dataDir: string) => Promise<DownloadPlan>;

/**
 * Runs a download: drift check, subject check, the license (and with
 * `includeStimuli` on the seed layout, the stimulus terms), `planner`,
 * transfers, summary (with `prefixes`), a warning listing failures.
 */
export async function executeDownload(
  options: DownloadBaseOptions & { includeStimuli?: boolean },
  planner: Planner,
): Promise<DownloadSummary> {
  if (options.subject !== "all") resolveSubjectId(options.subject); // before any prompt
  // A missing data directory is an error, never created (see requireDataDir).
  const dataDir = await requireDataDir(options.dataDir);
  if (options.dataDir === undefined) checkDataDirDrift(dataDir);
  // Consent markers are the first writes into the data directory.
  const consent = (includeStimuli: boolean) =>
    ensureConsent({ ...options, dataDir, includeStimuli }).catch((e) => {
      throw notWritable(e, dataDir, join(dataDir, STATE_DIR)) ?? e;
    });
  await consent(false);
  const source = getSource(options);
  // The seed's stimuli/ came under our stimulus terms; now the access service asks its own.
  if (options.includeStimuli && (await getBucketLayout({ ...options, source })) === "seed") {
    await consent(true);
  }
  const plan = await planner(source, dataDir);
  const reporter = new ProgressReporter({
    bar: barEnabled(options.quiet),
    onProgress: options.onProgress,
  });
  const outcomes = new Map<string, FileOutcome>();
  let summary: DownloadSummary;
  try {
    summary = await transferFiles(source, dataDir, plan.files, {
      ...options,
      onProgress: (p) => reporter.update(p),
      onFileDone: (key, outcome) => outcomes.set(key, outcome),
    });
  } finally {
    reporter.finish();
  }
  summary.failures.unshift(...plan.refused);
  summary.matched += plan.refused.length;
  summary.prefixes = plan.prefixes.map(({ prefix, keys }) => {
    const having = (o: FileOutcome) => keys.filter((k) => outcomes.get(k) === o);
    return {
      prefix,
      matched: keys,
      downloaded: having("downloaded"),
      skipped: having("skipped"),
      accessDenied: having("accessDenied"),
    };
  });
  if (summary.failures.length > 0) {
    warn(
      `${summary.failures.length} file(s) could not be downloaded: ${
        summary.failures.slice(0, 3).map((f) => `${f.key} (${f.error})`).join("; ")
      }${summary.failures.length > 3 ? "; ..." : ""}. Run the same download again to retry.`,
    );
  }
  return summary;
}

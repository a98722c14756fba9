/**
 * The `laion-fmri download` sub-command.
 * @module
 */
import { LaionFmriError } from "../core/errors.ts";
import {
  download,
  type DownloadFilters,
  type DownloadSummary,
  formatSummary,
} from "../download/mod.ts";
import type { EmbeddingModel } from "../download/stimulus_side.ts";
import { listOptions, splitList } from "./args.ts";
import { applyBucketFlags, BUCKET_OPTIONS, UsageError } from "./command.ts";

/** The filter options, named as in {@linkcode DownloadFilters} (`ses` is upstream's alias of `session`). */
const FILTERS = [
  "session",
  "ses",
  "task",
  "space",
  "desc",
  "stat",
  "suffix",
  "extension",
] as const satisfies readonly (keyof DownloadFilters)[];

/** The options every download command takes besides its filters. */
export const TRANSFER_OPTIONS = {
  concurrency: { type: "string" as const },
  verify: { type: "boolean" as const },
  force: { type: "boolean" as const },
  "accept-license": { type: "boolean" as const },
  ...BUCKET_OPTIONS,
  quiet: { type: "boolean" as const },
};

/**
 * The `download` command object (registered in `main.ts`).
 *
 * @example
 * ```ts
 * import { main } from "@laion/fmri/cli";
 * await main(["download", "--subject", "01", "--session", "01", "--accept-license"]);
 * ```
 */
export const downloadCommand = {
  summary: "Download a subject's files (filtered, parallel, resumable, verified)",
  usage: `laion-fmri download --subject S [--session ...] [--task ...] [--space ...] [--desc ...]
         [--stat ...] [--suffix ...] [--extension ...] [--include-stimuli]
         [--include-embeddings [MODEL ...]] [--include-anatomical] [--include-freesurfer] [--include-raw] [--include-localizers]
         [--concurrency N] [--verify] [--force] [--accept-license] [--endpoint URL] [--bucket NAME]
         [--quiet]
  --subject S         sub-01, 01, or all
  --session ... --extension ...
                      filters as upstream; repeat a flag or separate values with commas
                      (--session averages keeps subject-level files; --ses is an alias)
  --include-stimuli   also download the stimulus images and metadata (the access service's
                      form runs when no request id is cached; the seed layout: stimuli/)
  --include-embeddings [MODEL ...]
                      also download image embeddings: all four, or the models named
                      (CLIP, DINOv2, PEcore, SigLIP2)
  --include-anatomical  also download derivatives/anatomical/{sub}/ (T1w, T2w, brain masks)
  --include-freesurfer  also download derivatives/freesurfer/{sub}/
  --include-raw         also download the raw BIDS tree {sub}/ (same filters)
  --include-localizers  also download derivatives/localizers/{sub}/
  --concurrency N     files at once (default 8)
  --verify            re-hash files already on disk; fetch again those that differ
  --force             fetch every selected file again
  --accept-license    accept the dataset license (and stimulus terms) without a prompt
  --endpoint URL      S3 endpoint (default: $LAION_FMRI_S3_ENDPOINT, else AWS us-west-2)
  --bucket NAME       bucket to read (default: $LAION_FMRI_BUCKET, else laion-fmri)
  --quiet             no progress bar`,
  options: {
    subject: { type: "string" as const },
    session: { type: "string" as const, multiple: true },
    ses: { type: "string" as const, multiple: true },
    task: { type: "string" as const, multiple: true },
    space: { type: "string" as const, multiple: true },
    desc: { type: "string" as const, multiple: true },
    stat: { type: "string" as const, multiple: true },
    suffix: { type: "string" as const, multiple: true },
    extension: { type: "string" as const, multiple: true },
    "include-stimuli": { type: "boolean" as const },
    "include-embeddings": { type: "boolean" as const },
    "include-anatomical": { type: "boolean" as const },
    "include-freesurfer": { type: "boolean" as const },
    "include-raw": { type: "boolean" as const },
    "include-localizers": { type: "boolean" as const },
    ...TRANSFER_OPTIONS,
  },
  // Upstream's `--include-embeddings [MODEL ...]`: the models arrive as positionals.
  positionals: true,
  async run(values: Record<string, unknown>, positionals: string[] = []): Promise<void> {
    applyBucketFlags(values);
    if (typeof values.subject !== "string") {
      throw new LaionFmriError("download needs --subject S (e.g. sub-01, 01 or all)");
    }
    const withEmbeddings = values["include-embeddings"] === true;
    if (positionals.length && !withEmbeddings) {
      throw new UsageError(
        `unexpected argument(s) ${positionals.join(" ")}: only --include-embeddings takes models`,
      );
    }
    const models = splitList(positionals);
    const concurrency = parseConcurrency(values.concurrency);
    const filters: DownloadFilters = listOptions(values, FILTERS);
    const summary = await download({
      subject: values.subject,
      ...filters,
      includeStimuli: values["include-stimuli"] === true,
      // Checked (InvalidChoiceError listing the models) before the license prompt.
      includeEmbeddings: withEmbeddings && (models.length ? models as EmbeddingModel[] : true),
      includeAnatomical: values["include-anatomical"] === true,
      includeFreesurfer: values["include-freesurfer"] === true,
      includeRaw: values["include-raw"] === true,
      includeLocalizers: values["include-localizers"] === true,
      concurrency,
      verify: values.verify === true,
      force: values.force === true,
      acceptLicense: values["accept-license"] === true,
      quiet: values.quiet === true,
    });
    for (const [name, path] of Object.entries({ ...summary.stimuli, ...summary.embeddings })) {
      console.log(`${name}: ${path}`);
    }
    reportSummary(summary);
  },
};

/**
 * Parses `--concurrency` (a positive integer) for the download commands.
 *
 * @throws {LaionFmriError} for anything else
 * @example
 * ```ts
 * import { parseConcurrency } from "./download.ts";
 * parseConcurrency("4"); // 4
 * ```
 */
export function parseConcurrency(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new LaionFmriError(
      `--concurrency must be a positive integer, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/**
 * Prints a summary; fails (exit 1) when a file failed.
 *
 * @throws {LaionFmriError} when `summary.failures` is not empty
 * @example
 * ```ts
 * import { reportSummary } from "./download.ts";
 * reportSummary({ matched: 0, downloaded: 0, skipped: 0, resumed: 0, bytes: 0, repaired: [], accessDenied: [], failures: [], prefixes: [] });
 * ```
 */
export function reportSummary(summary: DownloadSummary): void {
  console.log(formatSummary(summary));
  if (summary.failures.length > 0) {
    throw new LaionFmriError(
      `${summary.failures.length} file(s) failed; run the same command again to resume.`,
    );
  }
}

/**
 * The `laion-fmri download` sub-command.
 * @module
 */
import { LaionFmriError } from "../core/errors.ts";
import { download, type DownloadFilters, formatSummary } from "../download/mod.ts";
import { splitList } from "./args.ts";
import { applyBucketFlags, BUCKET_OPTIONS } from "./command.ts";

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
         [--concurrency N] [--verify] [--force] [--accept-license] [--endpoint URL] [--bucket NAME]
         [--quiet]
  --subject S         sub-01, 01, or all
  --session ... --extension ...
                      filters as upstream; repeat a flag or separate values with commas
                      (--session averages keeps subject-level files; --ses is an alias)
  --include-stimuli   also download stimuli/ (asks for the stimulus terms)
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
    concurrency: { type: "string" as const },
    verify: { type: "boolean" as const },
    force: { type: "boolean" as const },
    "accept-license": { type: "boolean" as const },
    ...BUCKET_OPTIONS,
    quiet: { type: "boolean" as const },
  },
  async run(values: Record<string, unknown>): Promise<void> {
    applyBucketFlags(values);
    if (typeof values.subject !== "string") {
      throw new LaionFmriError("download needs --subject S (e.g. sub-01, 01 or all)");
    }
    let concurrency: number | undefined;
    if (values.concurrency !== undefined) {
      concurrency = Number(values.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1) {
        throw new LaionFmriError(
          `--concurrency must be a positive integer, got ${JSON.stringify(values.concurrency)}`,
        );
      }
    }
    const filters: DownloadFilters = {};
    for (const f of FILTERS) {
      const given = values[f] as string[] | undefined;
      if (given !== undefined) filters[f] = splitList(given);
    }
    const summary = await download({
      subject: values.subject,
      ...filters,
      includeStimuli: values["include-stimuli"] === true,
      concurrency,
      verify: values.verify === true,
      force: values.force === true,
      acceptLicense: values["accept-license"] === true,
      quiet: values.quiet === true,
    });
    console.log(formatSummary(summary));
    if (summary.failures.length > 0) {
      throw new LaionFmriError(
        `${summary.failures.length} file(s) failed; run the same command again to resume.`,
      );
    }
  },
};

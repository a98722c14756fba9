/**
 * The `laion-fmri download-raw` sub-command (upstream's `download-raw`).
 * @module
 */
import { LaionFmriError } from "../core/errors.ts";
import { downloadRaw, type RawDownloadFilters } from "../download/mod.ts";
import { listOptions } from "./args.ts";
import { applyBucketFlags } from "./command.ts";
import { parseConcurrency, reportSummary, TRANSFER_OPTIONS } from "./download.ts";

/** The raw filters, named as in {@linkcode RawDownloadFilters} (`ses` is upstream's alias of `session`). */
const FILTERS = [
  "session",
  "ses",
  "task",
  "run",
  "echo",
  "part",
  "suffix",
  "extension",
] as const satisfies readonly (keyof RawDownloadFilters)[];

const list = { type: "string" as const, multiple: true };

/**
 * The `download-raw` command object (registered in `main.ts`).
 *
 * @example
 * ```ts
 * import { main } from "@laion/fmri/cli";
 * await main(["download-raw", "--subject", "01", "--ses", "01", "--run", "01", "--accept-license"]);
 * ```
 */
export const downloadRawCommand = {
  summary: "Download raw BIDS files of a subject (filtered by session, task, run, echo, part)",
  usage: `laion-fmri download-raw --subject S [--session ...] [--task ...] [--run ...] [--echo ...]
         [--part ...] [--suffix ...] [--extension ...] [--concurrency N] [--verify] [--force]
         [--accept-license] [--endpoint URL] [--bucket NAME] [--quiet]
  --subject S         sub-01, 01, or all
  --session ... --extension ...
                      filters as upstream; repeat a flag or separate values with commas
                      (--ses is an alias of --session; --run 01, --echo 1, --part mag)
  --concurrency N     files at once (default 8)
  --verify            re-hash files already on disk; fetch again those that differ
  --force             fetch every selected file again
  --accept-license    accept the dataset license without a prompt
  --endpoint URL      S3 endpoint (default: $LAION_FMRI_S3_ENDPOINT, else AWS us-west-2)
  --bucket NAME       bucket to read (default: $LAION_FMRI_BUCKET, else laion-fmri)
  --quiet             no progress bar`,
  options: {
    subject: { type: "string" as const },
    ...Object.fromEntries(FILTERS.map((f) => [f, list])) as Record<
      typeof FILTERS[number],
      typeof list
    >,
    ...TRANSFER_OPTIONS,
  },
  async run(values: Record<string, unknown>): Promise<void> {
    applyBucketFlags(values);
    if (typeof values.subject !== "string") {
      throw new LaionFmriError("download-raw needs --subject S (e.g. sub-01, 01 or all)");
    }
    const concurrency = parseConcurrency(values.concurrency);
    const filters: RawDownloadFilters = listOptions(values, FILTERS);
    reportSummary(
      await downloadRaw({
        subject: values.subject,
        ...filters,
        concurrency,
        verify: values.verify === true,
        force: values.force === true,
        acceptLicense: values["accept-license"] === true,
        quiet: values.quiet === true,
      }),
    );
  },
};

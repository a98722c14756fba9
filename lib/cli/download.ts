/**
 * The `laion-fmri download` sub-command.
 * @module
 */
import { configureBucket } from "../bucket/cached_source.ts";
import { LaionFmriError } from "../core/errors.ts";
import { download, formatSummary } from "./download.ts";

const FILTERS = ["ses", "task", "space", "desc", "stat", "suffix", "extension"] as const;

/** Values of a repeatable, comma-separated option (`--ses 01,02 --ses 03`). */
export function splitValues(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const list = Array.isArray(value) ? value : [value];
  return list.flatMap((v) => String(v).split(",")).map((v) => v.trim()).filter((v) => v !== "");
}

/**
 * The `download` command object (registered by `cli.ts`).
 *
 * @example
 * ```ts
 * import { main } from "@laion/fmri/cli";
 * await main(["download", "--subject", "01", "--ses", "01", "--accept-license"]);
 * ```
 */
export const downloadCommand = {
  summary: "Download a subject's files (filtered, parallel, resumable, verified)",
  usage: `laion-fmri download --subject S [--ses ...] [--task ...] [--space ...] [--desc ...]
         [--stat ...] [--suffix ...] [--extension ...] [--include-stimuli]
         [--concurrency N] [--accept-license] [--endpoint URL] [--quiet]
  --subject S         sub-01, 01, or all
  --ses ... --extension ...
                      filters as upstream; repeat a flag or separate values with commas
                      (--ses averages keeps subject-level files)
  --include-stimuli   also download stimuli/ (asks for the stimulus terms)
  --concurrency N     files at once (default 8)
  --accept-license    accept the dataset license (and stimulus terms) without a prompt
  --endpoint URL      S3 endpoint (default: $LAION_FMRI_S3_ENDPOINT, else AWS us-west-2)
  --quiet             no progress bar`,
  options: {
    subject: { type: "string" as const },
    ses: { type: "string" as const, multiple: true },
    task: { type: "string" as const, multiple: true },
    space: { type: "string" as const, multiple: true },
    desc: { type: "string" as const, multiple: true },
    stat: { type: "string" as const, multiple: true },
    suffix: { type: "string" as const, multiple: true },
    extension: { type: "string" as const, multiple: true },
    "include-stimuli": { type: "boolean" as const },
    concurrency: { type: "string" as const },
    "accept-license": { type: "boolean" as const },
    endpoint: { type: "string" as const },
    quiet: { type: "boolean" as const },
  },
  async run(values: Record<string, unknown>): Promise<void> {
    if (typeof values.endpoint === "string") configureBucket({ endpoint: values.endpoint });
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
    const filters: Record<string, string[] | undefined> = {};
    for (const f of FILTERS) filters[f] = splitValues(values[f]);
    const summary = await download({
      subject: values.subject,
      ...filters,
      includeStimuli: values["include-stimuli"] === true,
      concurrency,
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

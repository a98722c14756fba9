/**
 * `laion-fmri export`: betas to Hive-partitioned Parquet or Arrow files.
 * @module
 */
import type { Command } from "../../cli.ts";
import { splitList } from "../cli/args.ts";
import { exportBetas } from "./export_betas.ts";

/** A comma list option, or `undefined` when the flag was not given. */
function list(v: unknown): string[] | undefined {
  return v === undefined ? undefined : splitList(v as string[] | string);
}

/** The `export` sub-command. */
export const exportCommand: Command = {
  summary: "Write betas as subject=/session= partitioned Parquet or Arrow files",
  usage: "laion-fmri export --subject S [--subject S2 ...] [--ses SES ...] [--roi ROI ...] " +
    "[--format parquet|arrow] --out DIR [--quiet]\n" +
    "  Values may repeat or be comma-separated. Sessions default to all on disk.",
  options: {
    subject: { type: "string", multiple: true },
    ses: { type: "string", multiple: true },
    roi: { type: "string", multiple: true },
    format: { type: "string" },
    out: { type: "string" },
    quiet: { type: "boolean" },
  },
  async run(values) {
    const subjects = list(values.subject);
    if (!subjects?.length) throw new Error("export needs --subject");
    if (typeof values.out !== "string") throw new Error("export needs --out DIR");
    const roi = list(values.roi);
    const summary = await exportBetas({
      subjects,
      sessions: list(values.ses),
      roi: roi && (roi.length === 1 ? roi[0] : roi),
      format: (values.format ?? "parquet") as "parquet",
      outDir: values.out,
      onProgress: values.quiet ? undefined : (e) =>
        console.error(
          `[${e.done}/${e.total}] ${e.subject} ${e.session}${e.skipped ? " (already there)" : ""}`,
        ),
    });
    console.log(`Wrote ${summary.written.length} partition(s), skipped ${summary.skipped.length}.`);
  },
};

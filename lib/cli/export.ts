/**
 * `laion-fmri export`: betas to Hive-partitioned Parquet or Arrow files.
 * @module
 */
import { splitList } from "./args.ts";
import { exportBetas } from "../export/export_betas.ts";
import type { Command } from "./command.ts";

/**
 * The `export` sub-command (registered in `main.ts`).
 *
 * @example
 * ```ts
 * import { main } from "@laion/fmri/cli";
 * await main(["export", "--subject", "01", "--roi", "face", "--out", "export"]);
 * ```
 */
export const exportCommand: Command = {
  summary: "Write betas as subject=/session= partitioned Parquet or Arrow files",
  usage: "laion-fmri export --subject S [--subject S2 ...] [--session SES ...] [--roi ROI ...] " +
    "[--nc-threshold PCT] [--format parquet|arrow] --out DIR [--overwrite] [--quiet]\n" +
    "  Values may repeat or be comma-separated. Sessions default to all on disk.\n" +
    "  A rerun continues the same export; --overwrite replaces an export made otherwise.",
  options: {
    subject: { type: "string", multiple: true },
    session: { type: "string", multiple: true },
    ses: { type: "string", multiple: true },
    roi: { type: "string", multiple: true },
    format: { type: "string" },
    out: { type: "string" },
    "nc-threshold": { type: "string" },
    overwrite: { type: "boolean" },
    quiet: { type: "boolean" },
  },
  async run(values) {
    const list = (v: unknown) => v === undefined ? undefined : splitList(v as string[]);
    if (values.session !== undefined && values.ses !== undefined) {
      throw new TypeError("give --session or its alias --ses, not both");
    }
    const subjects = list(values.subject);
    if (!subjects?.length) throw new Error("export needs --subject");
    if (typeof values.out !== "string") throw new Error("export needs --out DIR");
    const roi = list(values.roi);
    const nc = values["nc-threshold"];
    const ncThreshold = nc === undefined ? undefined : Number(nc);
    if (ncThreshold !== undefined && (String(nc).trim() === "" || Number.isNaN(ncThreshold))) {
      throw new TypeError(`--nc-threshold must be a number (percent), got "${nc}"`);
    }
    const summary = await exportBetas({
      subjects,
      sessions: list(values.session ?? values.ses),
      roi: roi && (roi.length === 1 ? roi[0] : roi),
      ncThreshold,
      format: (values.format ?? "parquet") as "parquet",
      outDir: values.out,
      overwrite: values.overwrite === true,
      onProgress: values.quiet ? undefined : (e) =>
        console.error(
          `[${e.done}/${e.total}] ${e.subject} ${e.session}${e.skipped ? " (already there)" : ""}`,
        ),
    });
    console.log(`Wrote ${summary.written.length} partition(s), skipped ${summary.skipped.length}.`);
  },
};

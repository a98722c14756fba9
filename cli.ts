/**
 * The `laion-fmri` command line.
 *
 * ```sh
 * deno run --allow-net --allow-env jsr:@laion/fmri/cli subjects
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import { configureBucket } from "./lib/bucket/cached_source.ts";
import {
  describe,
  getRoiInventory,
  getRois,
  getSubjects,
  inspectBucket,
} from "./lib/bucket/discovery.ts";
import { getSubjectSessions } from "./lib/bucket/sessions.ts";
import { DataDirNotSetError, DataNotDownloadedError, LaionFmriError } from "./lib/core/errors.ts";
import type { Command } from "./lib/cli/command.ts";
import { exportCommand } from "./lib/cli/export.ts";
import { loadSubject } from "./lib/subject/subject.ts";
import { resolveSubjectId } from "./lib/core/ids.ts";
import { datasetInitialize, getDataDir } from "./lib/local/config.ts";
import { downloadCommand } from "./lib/cli/download.ts";

export type { Command };

const endpointOption = { endpoint: { type: "string" as const } };
const endpointHelp =
  "  --endpoint URL   S3 endpoint (default: $LAION_FMRI_S3_ENDPOINT, else AWS us-west-2)";

function withEndpoint(values: Record<string, unknown>): void {
  if (typeof values.endpoint === "string") configureBucket({ endpoint: values.endpoint });
}

const commands: Record<string, Command> = {
  info: {
    summary: "Overview of the dataset, or of one subject with --subject",
    usage: `laion-fmri info [--subject S] [--endpoint URL]\n${endpointHelp}`,
    options: { subject: { type: "string" }, ...endpointOption },
    async run(values) {
      withEndpoint(values);
      if (typeof values.subject !== "string") {
        await describe();
        return;
      }
      const id = resolveSubjectId(values.subject);
      const [sessions, inventory] = await Promise.all([
        getSubjectSessions(id),
        getRoiInventory(id),
      ]);
      console.log(`Subject: ${id}`);
      console.log(`  Sessions:  ${sessions.public.length} public (${sessions.public.join(", ")})`);
      console.log(
        `             ${sessions.heldOut.length} held out (${sessions.heldOut.join(", ")})`,
      );
      const total = new Set([...inventory.values()].flat()).size;
      console.log(`  ROIs:      ${total} in ${inventory.size} categories`);
      for (const [category, rois] of inventory) {
        console.log(
          `    ${category.padEnd(11)}${String(rois.length).padStart(3)}  ${rois.join(", ")}`,
        );
      }
      console.log(await onDiskSummary(id));
    },
  },
  subjects: {
    summary: "List the subjects in the bucket",
    usage: `laion-fmri subjects [--endpoint URL]\n${endpointHelp}`,
    options: { ...endpointOption },
    async run(values) {
      withEndpoint(values);
      for (const s of await getSubjects()) console.log(s);
    },
  },
  rois: {
    summary: "List a subject's ROIs, optionally of one category",
    usage: `laion-fmri rois [--subject S] [--category C] [--endpoint URL]\n${endpointHelp}`,
    options: { subject: { type: "string" }, category: { type: "string" }, ...endpointOption },
    async run(values) {
      withEndpoint(values);
      const rois = await getRois(values.subject as string | undefined, {
        category: values.category as string | undefined,
      });
      for (const r of rois) console.log(r);
    },
  },
  inspect: {
    summary: "Diagnostic listing of the bucket's top-level layout",
    usage: `laion-fmri inspect [--endpoint URL]\n${endpointHelp}`,
    options: { ...endpointOption },
    async run(values) {
      withEndpoint(values);
      await inspectBucket();
    },
  },
  config: {
    summary: "Set the local data directory",
    usage: "laion-fmri config --data-dir PATH",
    options: { "data-dir": { type: "string" } },
    async run(values) {
      const dir = values["data-dir"];
      if (typeof dir !== "string") throw new UsageError("config needs --data-dir PATH");
      console.log(`Data directory set to: ${await datasetInitialize(dir)}`);
    },
  },
};

/** What of a subject is on disk, as printable lines. */
async function onDiskSummary(id: string): Promise<string> {
  let dataDir: string;
  try {
    dataDir = getDataDir();
  } catch (e) {
    if (e instanceof DataDirNotSetError) return "  On disk:   no data directory configured";
    throw e;
  }
  try {
    const sub = await loadSubject(id, { dataDir });
    const [sessions, rois] = await Promise.all([sub.getSessions(), sub.getAvailableRois()]);
    return `  On disk:   ${dataDir}\n` +
      `             ${sessions.length} sessions (${
        sessions.join(", ") || "none"
      }), ${rois.length} ROIs`;
  } catch (e) {
    if (e instanceof DataNotDownloadedError) return `  On disk:   nothing yet (${e.cliCommand})`;
    throw e;
  }
}

/** Registers another sub-command (used by the download and export modules). */
export function registerCommand(name: string, command: Command): void {
  commands[name] = command;
}

/** Bad command-line input: printed as one line, exit code 1. */
export class UsageError extends Error {}

function mainHelp(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    "usage: laion-fmri <command> [options]",
    "",
    "Commands:",
    ...Object.entries(commands).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`),
    "",
    "Run `laion-fmri <command> --help` for a command's options.",
  ].join("\n");
}

/**
 * Runs the CLI with `args` and returns the exit code (0 ok, 1 error).
 *
 * @example
 * ```ts
 * import { main } from "@laion/fmri/cli";
 * const code = await main(["subjects", "--endpoint", "http://127.0.0.1:7480"]);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(mainHelp());
    return 0;
  }
  const command = commands[name];
  try {
    if (!command) {
      throw new UsageError(
        `unknown command "${name}". Commands: ${Object.keys(commands).join(", ")}`,
      );
    }
    const { values } = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      console.log(`${command.summary}\n\nusage: ${command.usage}`);
      return 0;
    }
    await command.run(values as Record<string, unknown>);
    return 0;
  } catch (e) {
    const known = e instanceof LaionFmriError || e instanceof UsageError ||
      e instanceof TypeError ||
      (e as { code?: string })?.code?.startsWith?.("ERR_PARSE_ARGS");
    const message = e instanceof Error ? e.message.split("\n")[0] : String(e);
    console.error(`laion-fmri: error: ${message}`);
    if (!known && Deno.env.get?.("LAION_FMRI_DEBUG")) console.error(e);
    return 1;
  }
}

registerCommand("download", downloadCommand);

registerCommand("export", exportCommand);

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}

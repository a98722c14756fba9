/**
 * The `laion-fmri` dispatcher: finds the sub-command, parses its options,
 * runs it, and turns every error into one line and exit code 1.
 * @module
 */
import { parseArgs } from "node:util";
import { type Command, UsageError } from "./command.ts";
import { configCommand } from "./config.ts";
import { infoCommand, inspectCommand, roisCommand, subjectsCommand } from "./discovery.ts";
import { downloadCommand } from "./download.ts";
import { downloadRawCommand } from "./download_raw.ts";
import { exportCommand } from "./export.ts";
import { encodeCommand } from "./encode.ts";
import {
  downloadCaptionsCommand,
  downloadEmbeddingsCommand,
  downloadSegmentationsCommand,
  downloadStimuliCommand,
  requestAccessCommand,
} from "./stimuli.ts";

const COMMANDS: Record<string, Command> = {
  info: infoCommand,
  subjects: subjectsCommand,
  rois: roisCommand,
  inspect: inspectCommand,
  config: configCommand,
  download: downloadCommand,
  "download-raw": downloadRawCommand,
  "download-embeddings": downloadEmbeddingsCommand,
  "download-captions": downloadCaptionsCommand,
  "download-segmentations": downloadSegmentationsCommand,
  "download-stimuli": downloadStimuliCommand,
  "request-access": requestAccessCommand,
  export: exportCommand,
  encode: encodeCommand,
};

function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    "usage: laion-fmri [--debug] <command> [options]",
    "",
    "Commands:",
    ...Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`),
    "",
    "Run `laion-fmri <command> --help` for a command's options.",
    "--debug prints the full error (stack and causes) after the one-line message.",
  ].join("\n");
}

/**
 * Runs the CLI with `args` and returns the exit code (0 ok, 1 error). Every
 * error is one line on stderr; `--debug` (a flag, so it needs no
 * permission) adds the stack and causes.
 *
 * @example
 * ```ts
 * import { main } from "@laion/fmri/cli";
 * const code = await main(["subjects"]); // the real bucket, or the LAION_FMRI_* variables
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const debug = args.includes("--debug");
  const [name, ...rest] = args.filter((a) => a !== "--debug");
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(mainHelp());
    return 0;
  }
  try {
    const command = COMMANDS[name];
    if (!command) {
      throw new UsageError(
        `unknown command "${name}". Commands: ${Object.keys(COMMANDS).join(", ")}`,
      );
    }
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: command.positionals === true,
    });
    if (values.help) {
      console.log(`${command.summary}\n\nusage: ${command.usage}`);
      return 0;
    }
    await command.run(values as Record<string, unknown>, positionals);
    return 0;
  } catch (e) {
    const message = e instanceof Error ? e.message.split("\n")[0] : String(e);
    console.error(`laion-fmri: error: ${message}`);
    if (debug) console.error(e);
    return 1;
  }
}

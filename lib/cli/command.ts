/**
 * The shape of a `laion-fmri` sub-command, shared by the dispatcher
 * (`main.ts`) and the modules that implement the commands.
 * @module
 */

/**
 * A sub-command: its help text, its options (`node:util` `parseArgs`
 * form), and what it does with the parsed values.
 *
 * @example
 * ```ts
 * import type { Command } from "./command.ts";
 * const hello: Command = {
 *   summary: "Say hello",
 *   usage: "laion-fmri hello [--name N]",
 *   options: { name: { type: "string" } },
 *   async run(values) {
 *     console.log(`hello ${values.name ?? "world"}`);
 *   },
 * };
 * ```
 */
export interface Command {
  /** One line for the command list. */
  summary: string;
  /** The usage text shown by `--help`. */
  usage: string;
  /** The options, as `parseArgs` takes them. */
  options: Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }>;
  /** Runs the command with the parsed option values. */
  run(values: Record<string, unknown>): Promise<void>;
}

/**
 * Bad command-line input: printed as one line, exit code 1.
 *
 * @example
 * ```ts
 * import { UsageError } from "./command.ts";
 * throw new UsageError("config needs --data-dir PATH");
 * ```
 */
export class UsageError extends Error {
  /** Creates an instance. @param message what was wrong and how to fix it */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsageError";
  }
}

/** The `--endpoint` option every bucket-reading command takes. */
export const ENDPOINT_OPTION = { endpoint: { type: "string" as const } };

/** The help line of {@linkcode ENDPOINT_OPTION}. */
export const ENDPOINT_HELP =
  "  --endpoint URL   S3 endpoint (default: $LAION_FMRI_S3_ENDPOINT, else AWS us-west-2)";

/**
 * The shape of a `laion-fmri` sub-command, shared by `cli.ts` (which
 * dispatches) and the modules that implement the commands.
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

/**
 * The shape of a `laion-fmri` sub-command, shared by the dispatcher
 * (`main.ts`) and the modules that implement the commands.
 * @module
 */
import { configureBucket } from "../bucket/cached_source.ts";

/**
 * A sub-command: its help text, its options (`node:util` `parseArgs`
 * form), and what it does with the parsed values.
 *
 * @example
 * ```ts
 * import type { Command } from "@laion/fmri/cli";
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
  /** Takes positional arguments (given to `run` as its second argument). @default false */
  positionals?: boolean;
  /** Runs the command with the parsed option values (and positionals, when it takes them). */
  run(values: Record<string, unknown>, positionals?: string[]): Promise<void>;
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

/** The `--endpoint` and `--bucket` options every bucket-reading command takes. */
export const BUCKET_OPTIONS = {
  endpoint: { type: "string" as const },
  bucket: { type: "string" as const },
};

/** The help lines of {@linkcode BUCKET_OPTIONS}. */
export const BUCKET_HELP =
  "  --endpoint URL   S3 endpoint (default: $LAION_FMRI_S3_ENDPOINT, else AWS us-west-2)\n" +
  "  --bucket NAME    bucket to read (default: $LAION_FMRI_BUCKET, else laion-fmri)";

/**
 * Applies `--endpoint` and `--bucket` to the default source, for the rest
 * of the process; without either flag the settings stay as they are.
 *
 * @throws {RangeError} for an invalid bucket name
 * @example
 * ```ts
 * import { applyBucketFlags } from "./command.ts";
 * applyBucketFlags({ bucket: "laion-fmri" });
 * ```
 */
export function applyBucketFlags(values: Record<string, unknown>): void {
  const endpoint = typeof values.endpoint === "string" ? values.endpoint : undefined;
  const bucket = typeof values.bucket === "string" ? values.bucket : undefined;
  if (endpoint !== undefined || bucket !== undefined) configureBucket({ endpoint, bucket });
}

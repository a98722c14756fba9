/**
 * The `laion-fmri` command line. The sub-commands live in `lib/cli/`; this
 * entry point only dispatches.
 *
 * ```sh
 * deno run --allow-net --allow-env jsr:@laion/fmri/cli subjects
 * ```
 * @module
 */
import { main } from "./lib/cli/main.ts";

export { main };
export type { Command } from "./lib/cli/command.ts";

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}

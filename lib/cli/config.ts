/**
 * `laion-fmri config --data-dir PATH`: sets the local data directory.
 * @module
 */
import { datasetInitialize } from "../local/config.ts";
import { type Command, UsageError } from "./command.ts";

/** The `config` sub-command. */
export const configCommand: Command = {
  summary: "Set the local data directory",
  usage: "laion-fmri config --data-dir PATH",
  options: { "data-dir": { type: "string" } },
  async run(values) {
    const dir = values["data-dir"];
    if (typeof dir !== "string") throw new UsageError("config needs --data-dir PATH");
    console.log(`Data directory set to: ${await datasetInitialize(dir)}`);
  },
};

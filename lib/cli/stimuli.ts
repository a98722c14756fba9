/**
 * The stimulus-side sub-commands: `download-embeddings`, `download-captions`,
 * `download-segmentations` (public, CC0), `download-stimuli` and
 * `request-access` (the gated images, through the access service).
 * Errors (an access refusal included) are printed by `main.ts` as one line.
 * @module
 */
import { lineReader } from "../access/prompt.ts";
import { type AccessRequestFields, requestStimulusAccessVia } from "../access/request_access.ts";
import { downloadStimuliVia } from "../access/stimuli.ts";
import {
  downloadCaptions,
  downloadEmbeddings,
  downloadSegmentations,
  type EmbeddingModel,
  resolveEmbeddingModels,
  type StimulusSideOptions,
} from "../download/stimulus_side.ts";
import { splitList } from "./args.ts";
import { applyBucketFlags, type Command } from "./command.ts";
import { parseConcurrency, TRANSFER_OPTIONS } from "./download.ts";

const PUBLIC_HELP = `  --concurrency N     files at once (default 8)
  --verify            re-hash files already on disk; fetch again those that differ
  --force             fetch every selected file again
  --accept-license    accept the dataset license (CC0) without a prompt
  --endpoint URL      S3 endpoint (default: $LAION_FMRI_S3_ENDPOINT, else AWS us-west-2)
  --bucket NAME       bucket to read (default: $LAION_FMRI_BUCKET, else laion-fmri)
  --quiet             no progress bar`;

const PUBLIC_USAGE = "[--concurrency N] [--verify] [--force] [--accept-license]\n" +
  "         [--endpoint URL] [--bucket NAME] [--quiet]";

/** The options of the public downloads, from the parsed flags. */
function publicOptions(values: Record<string, unknown>): StimulusSideOptions {
  applyBucketFlags(values);
  return {
    concurrency: parseConcurrency(values.concurrency),
    verify: values.verify === true,
    force: values.force === true,
    acceptLicense: values["accept-license"] === true,
    quiet: values.quiet === true,
  };
}

/**
 * `laion-fmri download-embeddings [MODEL ...]` (upstream's `--model M ...` works too).
 *
 * @example
 * ```ts
 * import { main } from "@laion/fmri/cli";
 * await main(["download-embeddings", "CLIP", "SigLIP2", "--accept-license"]);
 * ```
 */
export const downloadEmbeddingsCommand: Command = {
  summary: "Download image embeddings (CLIP, DINOv2, PEcore, SigLIP2; public, CC0)",
  usage: `laion-fmri download-embeddings [MODEL ...] [--model M ...] ${PUBLIC_USAGE}
  MODEL               CLIP, DINOv2, PEcore or SigLIP2 (exact case; default: all four)
${PUBLIC_HELP}`,
  positionals: true,
  options: { model: { type: "string", multiple: true }, ...TRANSFER_OPTIONS },
  async run(values, positionals = []) {
    const given = [...positionals, ...splitList(values.model as string[] | undefined)];
    // Checked before the license prompt.
    const models = given.length ? resolveEmbeddingModels(given) : "all" as const;
    const paths = await downloadEmbeddings({ ...publicOptions(values), models });
    for (const [model, path] of Object.entries(paths) as [EmbeddingModel, string][]) {
      console.log(`${model}: ${path}`);
    }
  },
};

/**
 * `laion-fmri download-captions`.
 *
 * @example
 * ```ts
 * import { main } from "@laion/fmri/cli";
 * await main(["download-captions", "--accept-license"]);
 * ```
 */
export const downloadCaptionsCommand: Command = {
  summary: "Download the image captions table (public, CC0)",
  usage: `laion-fmri download-captions ${PUBLIC_USAGE}\n${PUBLIC_HELP}`,
  options: TRANSFER_OPTIONS,
  async run(values) {
    console.log(await downloadCaptions(publicOptions(values)));
  },
};

/**
 * `laion-fmri download-segmentations`.
 *
 * @example
 * ```ts
 * import { main } from "@laion/fmri/cli";
 * await main(["download-segmentations", "--accept-license"]);
 * ```
 */
export const downloadSegmentationsCommand: Command = {
  summary: "Download the segmentation masks and their metadata (public, CC0)",
  usage: `laion-fmri download-segmentations ${PUBLIC_USAGE}\n${PUBLIC_HELP}`,
  options: TRANSFER_OPTIONS,
  async run(values) {
    const { h5, metadata } = await downloadSegmentations(publicOptions(values));
    console.log(`masks: ${h5}\nmetadata: ${metadata}`);
  },
};

/** The access form's flags (any not given is asked on stdin). */
const FORM_OPTIONS = {
  name: { type: "string" as const },
  email: { type: "string" as const },
  institution: { type: "string" as const },
  pi: { type: "string" as const },
  purpose: { type: "string" as const },
  "accept-terms": { type: "boolean" as const },
  "server-url": { type: "string" as const },
  quiet: { type: "boolean" as const },
};

const FORM_HELP = `  --name TEXT         full name (required)
  --email ADDRESS     institutional email (required, a valid address)
  --institution TEXT  institution / affiliation (optional)
  --pi TEXT           PI / supervisor (optional; "" for none)
  --purpose TEXT      research purpose (required, at least 20 characters)
  --accept-terms      accept the Terms of Use and acknowledge the Privacy notice
                      (questions not answered by a flag are asked on stdin, each
                      answer checked as it is given; with no terminal, every
                      required flag must be given)
  --server-url URL    access service (default: $LAION_FMRI_ACCESS_URL, else
                      https://laion-fmri.hebartlab.com)
  --quiet             no banner, no progress`;

function formFields(values: Record<string, unknown>): AccessRequestFields {
  const s = (k: string) => typeof values[k] === "string" ? values[k] as string : undefined;
  return {
    name: s("name"),
    email: s("email"),
    institution: s("institution"),
    piOrSupervisor: s("pi"),
    researchPurpose: s("purpose"),
    acceptTerms: values["accept-terms"] === true ? true : undefined,
  };
}

/**
 * `laion-fmri request-access`: the access form for the gated stimulus images.
 *
 * @example
 * ```ts
 * import { main } from "@laion/fmri/cli";
 * // In a terminal: asks each question (the flags --name, --email, --purpose and
 * // --accept-terms answer them without a terminal, in your own words).
 * await main(["request-access"]);
 * ```
 */
export const requestAccessCommand: Command = {
  summary: "Request access to the stimulus images (Terms of Use; caches the request id)",
  usage: `laion-fmri request-access [--name ...] [--email ...] [--institution ...] [--pi ...]
         [--purpose ...] [--accept-terms] [--server-url URL] [--quiet]
${FORM_HELP}`,
  options: FORM_OPTIONS,
  async run(values) {
    // The questions the flags leave open are asked on stdin (a terminal, or piped answers).
    await requestStimulusAccessVia({
      form: formFields(values),
      prompt: lineReader(),
      serverUrl: values["server-url"] as string | undefined,
      quiet: values.quiet === true,
    }, "cli");
  },
};

/**
 * `laion-fmri download-stimuli`: the gated images and their metadata.
 *
 * @example
 * ```ts
 * import { main } from "@laion/fmri/cli";
 * await main(["download-stimuli"]);
 * ```
 */
export const downloadStimuliCommand: Command = {
  summary: "Download the stimulus images and metadata (gated: runs request-access when needed)",
  usage: `laion-fmri download-stimuli [--data-dir DIR] [form flags of request-access]
  --data-dir DIR      data directory (default: the configured one)
${FORM_HELP}`,
  options: { ...FORM_OPTIONS, "data-dir": { type: "string" } },
  async run(values) {
    // A missing data directory is downloadStimuli's error (requireDataDir), after the grants.
    const paths = await downloadStimuliVia({
      dataDir: values["data-dir"] as string | undefined,
      form: formFields(values),
      prompt: lineReader(),
      serverUrl: values["server-url"] as string | undefined,
      quiet: values.quiet === true,
    }, "cli");
    for (const path of Object.values(paths)) console.log(path);
  },
};

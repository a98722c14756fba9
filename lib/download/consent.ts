/**
 * Consent before any download: the dataset license and, for stimuli, the
 * stimulus terms. Accepted only with the exact answer `I AGREE`, remembered
 * by marker files in `{dataDir}/.laion_fmri/`. Programs pass a `prompt`
 * function; scripts and CI pass `acceptLicense: true` (CLI `--accept-license`).
 * @module
 */
import { dirname, join } from "node:path";
import { abortable } from "../core/abort.ts";
import { LicenseNotAcceptedError } from "../core/errors.ts";
import { pathExists, writeFileAtomic } from "../core/fs.ts";
import { STATE_DIR } from "./plan.ts";

/**
 * The answer that accepts a license, exactly.
 *
 * @example
 * ```ts
 * import { CONSENT_ANSWER } from "./consent.ts";
 * import { ensureConsent } from "@laion/fmri/download";
 * await ensureConsent({ dataDir: "/data", prompt: () => CONSENT_ANSWER });
 * ```
 */
export const CONSENT_ANSWER = "I AGREE";

/**
 * Marker file of the dataset license, inside `{dataDir}/.laion_fmri/`.
 *
 * @example
 * ```ts
 * import { LICENSE_MARKER } from "./consent.ts";
 * console.log(`/data/.laion_fmri/${LICENSE_MARKER}`);
 * ```
 */
export const LICENSE_MARKER = "license_accepted";
/**
 * Marker file of the stimulus terms, inside `{dataDir}/.laion_fmri/`.
 *
 * @example
 * ```ts
 * import { STIMULI_TERMS_MARKER } from "./consent.ts";
 * console.log(`/data/.laion_fmri/${STIMULI_TERMS_MARKER}`);
 * ```
 */
export const STIMULI_TERMS_MARKER = "stimuli_terms_accepted";

/**
 * The dataset license, shown before the first download (our summary, with the link).
 *
 * @example
 * ```ts
 * import { DATASET_LICENSE_TEXT } from "./consent.ts";
 * console.log(DATASET_LICENSE_TEXT);
 * ```
 */
export const DATASET_LICENSE_TEXT = `=== LAION-fMRI dataset license (CC0 1.0) ===

The LAION-fMRI data (fMRI responses, ROI masks, metadata) are dedicated to
the public domain under Creative Commons CC0 1.0 Universal: you may copy,
modify, distribute and use them, also commercially, without asking.
Details: https://creativecommons.org/publicdomain/zero/1.0/

The stimulus images are NOT covered by CC0. They have their own terms,
which you are asked to accept separately when you download stimuli.

Type "${CONSENT_ANSWER}" to accept and continue with the download: `;

/**
 * The stimulus terms, shown before the first download with stimuli (our summary, with the link).
 *
 * @example
 * ```ts
 * import { STIMULI_TERMS_TEXT } from "./consent.ts";
 * console.log(STIMULI_TERMS_TEXT);
 * ```
 */
export const STIMULI_TERMS_TEXT = `=== LAION-fMRI stimulus terms ===

The stimulus images are licensed for non-commercial academic research only.
In particular you may not:
  1. share or redistribute the images;
  2. use them commercially;
  3. use them to train, fine-tune or evaluate commercial AI/ML models or services;
  4. make derivative works other than for non-commercial research.
Full terms: https://laion-fmri.hebartlab.com/terms

Type "${CONSENT_ANSWER}" to accept: `;

/**
 * Shows a text and returns the line typed in answer (without the newline).
 * `null` or `undefined` means no answer can come (end of input): consent is
 * then refused without asking again. `globalThis.prompt` fits as is.
 *
 * @example
 * ```ts
 * import { download } from "@laion/fmri";
 * import { type PromptFunction } from "@laion/fmri/download";
 * const prompt: PromptFunction = (text) => globalThis.prompt(text);
 * await download({ subject: "01", prompt });
 * ```
 */
export type PromptFunction = (
  text: string,
) => string | null | undefined | Promise<string | null | undefined>;

/**
 * Options of {@linkcode ensureConsent}.
 *
 * @example
 * ```ts
 * import { type ConsentOptions, ensureConsent } from "@laion/fmri/download";
 * const o: ConsentOptions = { dataDir: "/data", includeStimuli: true, acceptLicense: true };
 * await ensureConsent(o);
 * ```
 */
export interface ConsentOptions {
  /** The data directory whose `.laion_fmri/` holds the markers. */
  dataDir: string;
  /** Also require the stimulus terms. @default false */
  includeStimuli?: boolean;
  /**
   * Give consent explicitly (to the dataset license and, with
   * `includeStimuli`, to the stimulus terms) without a prompt; writes the markers.
   * @default false
   */
  acceptLicense?: boolean;
  /**
   * Asks the user; a wrong answer is asked again, up to 3 times in all.
   * @default Deno's `prompt()` (text on stdout, answer from stdin) when stdin
   * is a terminal; otherwise consent must be given with `acceptLicense`
   */
  prompt?: PromptFunction;
  /** Stops waiting for an answer; nothing is written after an abort. */
  signal?: AbortSignal;
}

/** Questions asked at most, the first included, before consent counts as refused. */
const MAX_TRIES = 3;

/** The question after a wrong answer. */
function retryText(attempt: number): string {
  return `Not accepted: the answer must be exactly "${CONSENT_ANSWER}" (capitals, no quotes).\n` +
    `Type "${CONSENT_ANSWER}" to accept (try ${attempt} of ${MAX_TRIES}): `;
}

async function writeMarker(path: string, signal?: AbortSignal): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, `${new Date().toISOString()}\n`, { signal });
}

/**
 * The default prompt: Deno's `prompt()` (line editing, end of input as
 * `null`), or `undefined` when stdin is not a terminal.
 */
function terminalPrompt(): PromptFunction | undefined {
  let interactive = false;
  try {
    interactive = Deno.stdin.isTerminal();
  } catch {
    interactive = false;
  }
  if (!interactive) return undefined;
  // prompt() appends a space to the text; ours already ends with one.
  return (text) => globalThis.prompt(text.trimEnd());
}

async function ask(
  what: "license" | "stimuli",
  marker: string,
  text: string,
  options: ConsentOptions,
): Promise<void> {
  const { signal } = options;
  signal?.throwIfAborted();
  if (await pathExists(marker)) return;
  const refused = what === "license"
    ? "Dataset license must be accepted before downloading."
    : "Terms of use must be accepted to download stimuli.";
  if (options.acceptLicense === true) {
    await writeMarker(marker, signal);
    return;
  }
  const prompt = options.prompt ?? terminalPrompt();
  if (!prompt) {
    throw new LicenseNotAcceptedError(
      `${refused} No terminal to ask on: accept it explicitly with acceptLicense: true ` +
        `(CLI: --accept-license) after reading ${
          what === "license"
            ? "https://creativecommons.org/publicdomain/zero/1.0/"
            : "https://laion-fmri.hebartlab.com/terms"
        }.`,
    );
  }
  let question = text;
  for (let attempt = 1; attempt <= MAX_TRIES; attempt++) {
    const answer = await abortable(Promise.resolve(prompt(question)), signal);
    if (answer === null || answer === undefined) break; // end of input: no second try can come
    if (String(answer).trim() === CONSENT_ANSWER) {
      await writeMarker(marker, signal);
      return;
    }
    question = retryText(attempt + 1);
  }
  throw new LicenseNotAcceptedError(
    `${refused} (the answer must be exactly "${CONSENT_ANSWER}")`,
  );
}

/**
 * Makes sure the dataset license (and, with `includeStimuli`, the stimulus
 * terms) are accepted for `dataDir`: an existing marker, `acceptLicense`,
 * or the exact answer `I AGREE` to the prompt (a wrong answer is asked
 * again, up to 3 times in all). The license comes first; refusing it asks
 * nothing more.
 *
 * @throws {LicenseNotAcceptedError} after 3 wrong answers or at end of input, or with no
 *   terminal and no `acceptLicense`
 * @example
 * ```ts
 * import { ensureConsent } from "@laion/fmri/download";
 * await ensureConsent({ dataDir: "/data", prompt: () => "I AGREE" });
 * await ensureConsent({ dataDir: "/data", includeStimuli: true, acceptLicense: true });
 * ```
 */
export async function ensureConsent(options: ConsentOptions): Promise<void> {
  const dir = join(options.dataDir, STATE_DIR);
  await ask("license", join(dir, LICENSE_MARKER), DATASET_LICENSE_TEXT, options);
  if (options.includeStimuli) {
    await ask("stimuli", join(dir, STIMULI_TERMS_MARKER), STIMULI_TERMS_TEXT, options);
  }
}

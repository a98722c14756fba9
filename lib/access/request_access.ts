/**
 * `requestStimulusAccess`: the access form (upstream's
 * `request_stimulus_access`), asked on the terminal or given as an object,
 * submitted to the service; the request id is cached for later downloads.
 * @module
 */
import { AccessServiceError } from "../core/errors.ts";
import {
  type AccessClientOptions,
  type AccessForm,
  type AccessGrant,
  accessServiceUrl,
  currentTermsVersion,
  submitAccessRequest,
} from "./client.ts";
import { type LinePrompt, lineReader } from "./prompt.ts";
import { type RequestIdOptions, saveRequestId } from "./request_id.ts";

/**
 * The answers of the access form; the ones left out are asked.
 *
 * @example
 * ```ts
 * import type { AccessRequestFields } from "@laion/fmri";
 * const f: AccessRequestFields = {
 *   name: "Ada Lovelace", email: "ada@uni.example", institution: "Uni",
 *   researchPurpose: "Encoding models of the ventral stream.", acceptTerms: true,
 * };
 * ```
 */
export interface AccessRequestFields {
  /** Full name. */
  name?: string;
  /** Institutional email. */
  email?: string;
  /** Institution / affiliation. */
  institution?: string;
  /** PI or supervisor; an empty string means none. */
  piOrSupervisor?: string;
  /** What the images will be used for (20+ characters advised). */
  researchPurpose?: string;
  /** Accept the Terms of Use and acknowledge the Privacy notice (the final question otherwise). */
  acceptTerms?: boolean;
  /** The terms version accepted. @default the current one, from the manifest */
  termsVersion?: string;
}

/**
 * Options of {@linkcode requestStimulusAccess}.
 *
 * @example
 * ```ts
 * import type { RequestAccessOptions } from "@laion/fmri";
 * const o: RequestAccessOptions = { form: { acceptTerms: false }, quiet: true };
 * ```
 */
export interface RequestAccessOptions extends AccessClientOptions, RequestIdOptions {
  /** Answers given up front; the others are asked with `prompt`. */
  form?: AccessRequestFields;
  /**
   * Asks one question, returns the answer line (`null` at end of input).
   * @default lines read from stdin (the terminal or a pipe)
   */
  prompt?: LinePrompt;
  /** No banner and no confirmation on stdout. @default false */
  quiet?: boolean;
}

const RULE = "=".repeat(64);

/** The banner printed before the form. */
function banner(base: string): string {
  return [
    "",
    RULE,
    "LAION-fMRI stimulus access request",
    RULE,
    "The stimulus images are licensed for non-commercial research under the",
    "LAION-fMRI Terms of Use. Your request is logged by the access service.",
    `Read the full terms:  ${base}/terms`,
    `Privacy notice:       ${base}/privacy`,
    `Takedown contact:     ${base}/takedown`,
    RULE,
    "",
  ].join("\n");
}

/**
 * The form payload: the given fields, the others asked in upstream's order
 * and wording.
 *
 * @throws {AccessServiceError} when the final question is not answered `yes`
 * @throws {TypeError} when a required field is missing and there is no one to ask
 */
async function collectForm(
  fields: AccessRequestFields,
  termsVersion: string,
  ask: LinePrompt | undefined,
  say: (s: string) => void,
): Promise<AccessForm> {
  const need = async (label: string, given: string | undefined, field: string) => {
    if (given !== undefined) return given.trim();
    if (!ask) {
      throw new TypeError(
        `The access form needs "${field}" and there is no terminal to ask it on: give it ` +
          `(form.${field}, or the request-access flag).`,
      );
    }
    return (await ask(label))?.trim() ?? "";
  };
  const name = await need("Full name: ", fields.name, "name");
  const email = await need("Institutional email: ", fields.email, "email");
  const institution = await need("Institution / affiliation: ", fields.institution, "institution");
  // The optional question is asked only in an interactive form (some required answer missing).
  const interactive = [fields.name, fields.email, fields.institution, fields.researchPurpose]
    .some((v) => v === undefined);
  const pi = fields.piOrSupervisor !== undefined || !ask || !interactive
    ? fields.piOrSupervisor ?? ""
    : await need("PI / supervisor (optional, Enter to skip): ", undefined, "piOrSupervisor");
  if (fields.researchPurpose === undefined && ask) {
    say("Research purpose (one or two sentences, 20+ characters advised):");
  }
  const purpose = await need("> ", fields.researchPurpose, "researchPurpose");
  if (fields.acceptTerms !== true) {
    const answer = fields.acceptTerms === false || !ask ? "no" : await ask(
      `I have read and accept the LAION-fMRI Terms of Use (v${termsVersion}) and I have read ` +
        `the Privacy notice. Type 'yes' to submit: `,
    );
    if ((answer ?? "").trim().toLowerCase() !== "yes") {
      throw new AccessServiceError("Access request cancelled by user.");
    }
  }
  return {
    name,
    email,
    institution,
    pi_or_supervisor: pi.trim() || null,
    research_purpose: purpose,
    accepted_terms: true,
    acknowledged_privacy: true,
    terms_version: termsVersion,
    source: "cli",
  };
}

/**
 * Requests access to the gated stimulus images: prints the banner (terms,
 * privacy and takedown links of the service in use), asks the form's
 * questions not answered in `form` (from stdin by default), submits it, and
 * saves the request id (`~/.cache/laion-fmri/auth.json`, mode 0600) for
 * {@linkcode downloadStimuli}. Returns the grant (with presigned URLs).
 *
 * @throws {AccessServiceError} when the terms are not accepted, or the service refuses
 * @throws {TermsOutdatedError} when the terms changed while the form was filled in
 * @example
 * ```ts
 * import { requestStimulusAccess } from "@laion/fmri";
 * const grant = await requestStimulusAccess({
 *   form: {
 *     name: "Ada Lovelace", email: "ada@uni.example", institution: "Uni",
 *     researchPurpose: "Encoding models of the ventral stream.", acceptTerms: true,
 *   },
 * });
 * console.log(grant.request_id);
 * ```
 */
export async function requestStimulusAccess(
  options: RequestAccessOptions = {},
): Promise<AccessGrant> {
  const say = (s: string) => {
    if (!options.quiet) console.log(s);
  };
  const base = accessServiceUrl(options.serverUrl);
  const client = { ...options, serverUrl: base };
  const fields = options.form ?? {};
  const termsVersion = fields.termsVersion ?? await currentTermsVersion(client);
  say(banner(base));
  const ask = options.prompt ?? lineReader();
  const form = await collectForm(fields, termsVersion, ask, say);
  const grant = await submitAccessRequest(form, client);
  if (typeof grant.request_id !== "string" || !grant.request_id) {
    throw new AccessServiceError(
      `The access service at ${base} granted access without a request_id; cannot cache it.`,
    );
  }
  const path = await saveRequestId(grant.request_id, {
    email: form.email,
    serverUrl: base,
    authFile: options.authFile,
    signal: options.signal,
  });
  say(
    `\n✓ Access granted. request_id saved to ${path}\n` +
      "  You can now run `laion-fmri download-stimuli`.\n",
  );
  return grant;
}

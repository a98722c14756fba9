/**
 * `requestStimulusAccess`: the access form (upstream's
 * `request_stimulus_access`), asked on the terminal or given as an object,
 * submitted to the service; the request id is cached for later downloads.
 * @module
 */
import { AccessFormError, AccessServiceError } from "../core/errors.ts";
import { checkAccessPermissions } from "./access_permissions.ts";
import {
  type AccessClientOptions,
  type AccessForm,
  type AccessGrant,
  currentTermsVersion,
  submitAccessRequest,
} from "./client.ts";
import {
  checkAnswer,
  FORM_FIELDS,
  type FormAnswers,
  formError,
  type FormField,
  type FormVia,
  MIN_PURPOSE_LENGTH,
  parseYesNo,
} from "./form.ts";
import { type LinePrompt, lineReader } from "./prompt.ts";
import { REQUEST_ID_ENV, type RequestIdOptions, saveRequestId } from "./request_id.ts";

/**
 * The answers of the access form, given by the person who requests access
 * (never made up by a program: the request is filed in their name).
 *
 * @example
 * ```ts
 * import type { AccessRequestFields } from "@laion/fmri/access";
 * // The person's own answers, e.g. from the notebook cell they fill in themselves.
 * const accessForm: AccessRequestFields = { name: "", email: "", purpose: "", acceptTerms: false };
 * ```
 */
export interface AccessRequestFields {
  /** Full name (required). */
  name?: string;
  /** Institutional email (required, a valid address). */
  email?: string;
  /** Institution / affiliation (optional). */
  institution?: string;
  /** PI or supervisor (optional); an empty string means none. */
  piOrSupervisor?: string;
  /** What the images will be used for (required, at least 20 characters). */
  purpose?: string;
  /** The same as `purpose` (upstream's `research_purpose`); give one of the two. */
  researchPurpose?: string;
  /** The Terms of Use are read and accepted, the Privacy notice acknowledged (required). */
  acceptTerms?: boolean;
  /** The terms version accepted. @default the current one, from the manifest */
  termsVersion?: string;
}

/**
 * Options of {@linkcode requestStimulusAccess}.
 *
 * @example
 * ```ts
 * import type { RequestAccessOptions } from "@laion/fmri/access";
 * const o: RequestAccessOptions = { quiet: true };
 * ```
 */
export interface RequestAccessOptions extends AccessClientOptions, RequestIdOptions {
  /**
   * The person's answers. With `form` and no `prompt`, nothing is asked:
   * a missing or refused answer is an {@linkcode AccessFormError} and
   * nothing is submitted.
   */
  form?: AccessRequestFields;
  /**
   * Asks one question, returns the answer line (`null` at end of input);
   * `false` asks nothing.
   * @default the terminal (stdin) when there is no `form` and stdin is a terminal, else `false`
   */
  prompt?: LinePrompt | false;
  /** No banner and no confirmation on stdout. @default false */
  quiet?: boolean;
}

/** How a form error names its remedy: the CLI's flags, or the API's fields and cell. @internal */
export interface FormContext {
  via: FormVia;
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

/** The answers given in `fields`, by field. */
function givenAnswers(fields: AccessRequestFields): FormAnswers {
  if (
    fields.purpose !== undefined && fields.researchPurpose !== undefined &&
    fields.purpose.trim() !== fields.researchPurpose.trim()
  ) {
    throw new TypeError(
      "form.purpose and form.researchPurpose are the same answer and differ " +
        `(${JSON.stringify(fields.purpose)} vs ${JSON.stringify(fields.researchPurpose)}): ` +
        "give one of them.",
    );
  }
  const answers: FormAnswers = {
    name: fields.name,
    email: fields.email,
    institution: fields.institution,
    piOrSupervisor: fields.piOrSupervisor,
    purpose: fields.purpose ?? fields.researchPurpose,
    acceptTerms: fields.acceptTerms,
  };
  for (const [k, v] of Object.entries(answers)) {
    if (v === undefined) delete answers[k as FormField];
  }
  return answers;
}

/** The questions, in upstream's order and wording. */
function question(field: FormField, termsVersion: string): string {
  switch (field) {
    case "name":
      return "Full name: ";
    case "email":
      return "Institutional email: ";
    case "institution":
      return "Institution / affiliation: ";
    case "piOrSupervisor":
      return "PI / supervisor (optional, Enter to skip): ";
    case "purpose":
      return "> ";
    case "acceptTerms":
      return `I have read and accept the LAION-fMRI Terms of Use (v${termsVersion}) and I have ` +
        `read the Privacy notice. Type 'yes' to submit: `;
  }
}

/**
 * Completes the answers: each required field is checked by the service's
 * rules; a missing or wrong one is asked (again) when there is someone to
 * ask, the others are kept. Without a prompt, the error names every field
 * still to answer.
 *
 * @throws {AccessFormError} when a required answer is missing or wrong and cannot be asked
 * @throws {AccessServiceError} when the terms are declined (n/no)
 */
async function completeAnswers(
  answers: FormAnswers,
  termsVersion: string,
  ask: LinePrompt | false,
  say: (s: string) => void,
  ctx: { via: FormVia; base: string; why: string },
): Promise<FormAnswers> {
  const out: FormAnswers = { ...answers };
  const problems = (): Record<string, string> => {
    const p: Record<string, string> = {};
    for (const f of FORM_FIELDS) {
      const why = checkAnswer(f, out[f]);
      if (why) p[f] = why;
    }
    return p;
  };
  if (!ask) {
    const p = problems();
    if (Object.keys(p).length) throw formError(p, out, ctx);
    return out;
  }
  const noInput = () => formError(problems(), out, ctx);
  // The optional questions are asked only when some required answer is asked too.
  const asking = ["name", "email", "purpose"].some((f) => f in problems());
  for (const field of FORM_FIELDS) {
    if (field === "acceptTerms") continue;
    const optional = field === "institution" || field === "piOrSupervisor";
    if (optional ? !asking || out[field] !== undefined : !checkAnswer(field, out[field])) continue;
    if (!optional && out[field] !== undefined) {
      say(`  ✗ ${field}: ${checkAnswer(field, out[field])}`);
    }
    if (field === "purpose") {
      say(`Research purpose (one or two sentences, at least ${MIN_PURPOSE_LENGTH} characters):`);
    }
    for (;;) {
      const line = await ask(question(field, termsVersion));
      if (line === null || line === undefined) throw noInput();
      out[field] = line.trim();
      const why = checkAnswer(field, out[field]);
      if (!why) break;
      say(`  ✗ ${why}; please answer again.`);
    }
  }
  while (out.acceptTerms !== true) {
    const line = await ask(question("acceptTerms", termsVersion));
    if (line === null || line === undefined) throw noInput();
    const yes = parseYesNo(line);
    if (yes === false) {
      throw new AccessServiceError(
        "Access request cancelled: the Terms of Use were not accepted. Nothing was submitted.",
      );
    }
    if (yes === true) out.acceptTerms = true;
    else say("  ✗ Please answer yes (y) or no (n).");
  }
  return out;
}

/** The payload the service takes. */
function payload(a: FormAnswers, termsVersion: string): AccessForm {
  const text = (v: string | boolean | undefined) => typeof v === "string" ? v.trim() : "";
  return {
    name: text(a.name),
    email: text(a.email),
    institution: text(a.institution),
    piOrSupervisor: text(a.piOrSupervisor) || null,
    researchPurpose: text(a.purpose),
    acceptedTerms: true,
    acknowledgedPrivacy: true,
    termsVersion,
    source: "cli",
  };
}

/** The prompt in use: the option, else the terminal when no form is given and stdin is one. */
function promptFor(options: RequestAccessOptions): LinePrompt | false {
  if (options.prompt !== undefined) return options.prompt;
  if (options.form !== undefined) return false;
  let terminal = false;
  try {
    terminal = Deno.stdin.isTerminal();
  } catch {
    terminal = false;
  }
  return terminal ? lineReader() : false;
}

/**
 * The form filled in, submitted, and the granted id printed and saved
 * before anything else can fail. A 422 of the service re-asks the fields
 * it names (the others kept) when there is a prompt.
 * @internal
 */
export async function fileAccessRequest(
  options: RequestAccessOptions,
  base: string,
  ctx: FormContext,
): Promise<{ grant: AccessGrant; savedAt: string }> {
  const say = (s: string) => {
    if (!options.quiet) console.log(s);
  };
  // What the person answering must see (why a question comes again), even when quiet.
  const tell = (s: string) => console.log(s);
  const client = { ...options, serverUrl: base };
  const ask = promptFor(options);
  let answers = givenAnswers(options.form ?? {});
  const why = ask
    ? "stdin ended before every answer was given: no terminal to ask on"
    : options.form !== undefined
    ? "the form given was used as is, nothing was asked"
    : "there is no terminal to ask on";
  // Nothing is asked of the service before the answers are complete, when no one can be asked.
  if (!ask) await completeAnswers(answers, "", false, say, { ...ctx, base, why });
  const termsVersion = options.form?.termsVersion ?? await currentTermsVersion(client);
  if (ask) say(banner(base));
  let grant: AccessGrant | undefined;
  for (let round = 0; !grant; round++) {
    answers = await completeAnswers(answers, termsVersion, ask, tell, { ...ctx, base, why });
    try {
      grant = await submitAccessRequest(payload(answers, termsVersion), client);
    } catch (e) {
      if (!(e instanceof AccessFormError)) throw e;
      // The service's 422: the fields it names are asked again, the other answers kept.
      const refused = e.fields;
      const kept = Object.fromEntries(
        Object.entries(answers).filter(([k]) => !(k in refused)),
      ) as FormAnswers;
      if (!ask || round >= 2) {
        throw formError(refused, kept, { ...ctx, base, status: 422, cause: e });
      }
      for (const [k, v] of Object.entries(refused)) tell(`  ✗ the service refused ${k}: ${v}`);
      answers = kept;
    }
  }
  const id = grant.requestId;
  if (typeof id !== "string" || !id) {
    throw new AccessServiceError(
      `The access service at ${base} granted access without a request_id; cannot cache it.`,
    );
  }
  // The id first, so that nothing after this can lose it.
  say(`\n✓ Access granted. request_id: ${id}`);
  let savedAt: string;
  try {
    savedAt = await saveRequestId(id, {
      email: payload(answers, termsVersion).email,
      serverUrl: base,
      authFile: options.authFile,
    });
  } catch (e) {
    throw new AccessServiceError(
      `Access was granted (request_id ${id}) but the id could not be saved: ` +
        `${(e as Error).message}. Keep it: set ${REQUEST_ID_ENV}=${id} (or fix the cache ` +
        "folder and rerun); no new request is needed.",
      { cause: e },
    );
  }
  say(`  saved to ${savedAt}\n  You can now run \`laion-fmri download-stimuli\`.\n`);
  return { grant, savedAt };
}

/**
 * Requests access to the gated stimulus images, in the person's name. First
 * every Deno grant the call needs is checked (one error names them all).
 * In a terminal (no `form` given) it prints the banner (terms, privacy and
 * takedown links of the service in use) and asks each question, checking
 * each answer by the service's rules and asking again on a wrong one;
 * `y`/`yes` accepts the terms. With `form` (the person's own answers, e.g.
 * the notebook cell they fill in) nothing is asked: a missing or wrong
 * answer is an {@linkcode AccessFormError} naming the fields, the
 * `laion-fmri request-access` flags and the notebook cell, and nothing is
 * submitted. Once the service grants access, the request id is printed and
 * saved (`~/.cache/laion-fmri/auth.json`, mode 0600) before anything else;
 * {@linkcode downloadStimuli} uses it. Returns the grant (with presigned URLs).
 *
 * @throws {PermissionMissingError} naming every missing grant, before anything is asked
 * @throws {AccessFormError} when an answer is missing or wrong and no one can be asked,
 *   or the service refused fields (422); `fields` says which, `answers` keeps the others
 * @throws {AccessServiceError} when the terms are declined, or the service refuses
 * @throws {TermsOutdatedError} when the terms changed while the form was filled in
 * @example
 * ```ts
 * import { requestStimulusAccess } from "@laion/fmri";
 * // In a terminal: asks each question.
 * const grant = await requestStimulusAccess();
 * console.log(grant.requestId);
 * ```
 */
export function requestStimulusAccess(
  options: RequestAccessOptions = {},
): Promise<AccessGrant> {
  return requestStimulusAccessVia(options, "api");
}

/**
 * {@linkcode requestStimulusAccess}, with form errors naming the CLI's flags (`via: "cli"`).
 * @internal
 */
export async function requestStimulusAccessVia(
  options: RequestAccessOptions,
  via: FormVia,
): Promise<AccessGrant> {
  const { base } = checkAccessPermissions({
    what: "request access to the stimulus images",
    serverUrl: options.serverUrl,
    authFile: options.authFile,
    download: false,
  });
  return (await fileAccessRequest(options, base, { via })).grant;
}

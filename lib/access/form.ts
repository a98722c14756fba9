/**
 * The access form's answers: the service's rules for each one (a name, a
 * valid email, a purpose of at least 20 characters, the terms accepted),
 * checked as each answer is given, and the error that names what is
 * missing and how to answer it (terminal flags, the notebook cell, code).
 * @module
 */
import { AccessFormError } from "../core/errors.ts";

/**
 * The first line of the notebook cell in which a person fills in their own
 * access request; errors point to it.
 *
 * @example
 * ```ts
 * import { ACCESS_FORM_CELL } from "@laion/fmri/access";
 * console.log(`// ${ACCESS_FORM_CELL}`);
 * ```
 */
export const ACCESS_FORM_CELL = "✍ Your access request — fill in and run this cell yourself";

/** The fields of the form, in the order they are asked. */
export const FORM_FIELDS = [
  "name",
  "email",
  "institution",
  "piOrSupervisor",
  "purpose",
  "acceptTerms",
] as const;

/** A field of the form. */
export type FormField = typeof FORM_FIELDS[number];

/** The answers collected so far. */
export type FormAnswers = Partial<Record<FormField, string | boolean>>;

/** The service's minimum length of the research purpose. */
export const MIN_PURPOSE_LENGTH = 20;

/** The email shape the service accepts: something@domain.tld, no spaces. */
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/**
 * What is wrong with one answer by the service's rules, or `undefined` when
 * it is fine. Institution and PI/supervisor are optional.
 *
 * @example
 * ```ts
 * import { checkAnswer } from "./form.ts";
 * checkAnswer("email", "no at-sign"); // '"no at-sign" is not a valid email address ...'
 * ```
 */
export function checkAnswer(
  field: FormField,
  value: string | boolean | undefined,
): string | undefined {
  const text = typeof value === "string" ? value.trim() : "";
  switch (field) {
    case "name":
      return text ? undefined : "required (your full name)";
    case "email":
      if (!text) return "required (your institutional email)";
      return EMAIL.test(text)
        ? undefined
        : `${JSON.stringify(text)} is not a valid email address (like name@institution.edu)`;
    case "purpose":
      if (!text) {
        return `required: one or two sentences on what the images are for, at least ${MIN_PURPOSE_LENGTH} characters`;
      }
      return text.length >= MIN_PURPOSE_LENGTH
        ? undefined
        : `${text.length} characters; the service needs at least ${MIN_PURPOSE_LENGTH}`;
    case "acceptTerms":
      return value === true ? undefined : "the Terms of Use must be read and accepted";
    default:
      return undefined;
  }
}

/**
 * A yes/no answer: `true` for y/yes, `false` for n/no (any case), else
 * `undefined`.
 */
export function parseYesNo(answer: string): boolean | undefined {
  const a = answer.trim().toLowerCase();
  if (a === "y" || a === "yes") return true;
  if (a === "n" || a === "no") return false;
  return undefined;
}

/** The service's field names (snake_case, as in the payload) → ours. */
const SERVICE_FIELDS: Record<string, FormField | "termsVersion"> = {
  name: "name",
  email: "email",
  institution: "institution",
  pi_or_supervisor: "piOrSupervisor",
  research_purpose: "purpose",
  accepted_terms: "acceptTerms",
  acknowledged_privacy: "acceptTerms",
  terms_version: "termsVersion",
};

/**
 * The fields a FastAPI 422 answer names (`{"detail": [{"loc": ["body",
 * field], "msg": ...}]}`), each with the service's message, by our field
 * names; `undefined` when the body is not of that shape.
 *
 * @example
 * ```ts
 * import { fieldsOf422 } from "./form.ts";
 * fieldsOf422([{ loc: ["body", "research_purpose"], msg: "String should have at least 20 characters" }]);
 * // { purpose: "String should have at least 20 characters" }
 * ```
 */
export function fieldsOf422(detail: unknown): Record<string, string> | undefined {
  if (!Array.isArray(detail) || detail.length === 0) return undefined;
  const fields: Record<string, string> = {};
  for (const d of detail) {
    if (d === null || typeof d !== "object") return undefined;
    const { loc, msg } = d as { loc?: unknown; msg?: unknown };
    const last = Array.isArray(loc) && loc.length ? String(loc[loc.length - 1]) : "body";
    const field = SERVICE_FIELDS[last] ?? last;
    const text = typeof msg === "string" ? msg : JSON.stringify(d);
    fields[field] = fields[field] ? `${fields[field]}; ${text}` : text;
  }
  return fields;
}

/** How the person reaches the form: the CLI's flags, or the API (code, notebook). */
export type FormVia = "cli" | "api";

const CLI_FLAGS =
  'laion-fmri request-access --name "Your Name" --email you@institution.edu --purpose "What the images are for (20+ characters)" --accept-terms [--institution "..."] [--pi "..."]';

/** The flag of each field. */
const FLAG: Record<string, string> = {
  name: "--name",
  email: "--email",
  institution: "--institution",
  piOrSupervisor: "--pi",
  purpose: "--purpose",
  acceptTerms: "--accept-terms",
};

/**
 * The error for unanswered or refused fields: nothing was submitted (or the
 * service refused with 422). `why` says why no one was asked (no terminal,
 * a form given in code, the service's answer).
 *
 * @example
 * ```ts
 * import { formError } from "./form.ts";
 * throw formError({ name: "required" }, {}, { via: "api", base: "https://laion-fmri.hebartlab.com" });
 * ```
 */
export function formError(
  fields: Record<string, string>,
  answers: FormAnswers,
  o: { via: FormVia; base: string; why?: string; status?: number; cause?: unknown },
): AccessFormError {
  const kept = Object.fromEntries(
    Object.entries(answers).filter(([k, v]) => v !== undefined && !(k in fields)),
  ) as Record<string, string | boolean>;
  const list = Object.entries(fields);
  const head = o.status === 422
    ? "The access service refused the form (HTTP 422)"
    : "The stimulus access form is not complete, so nothing was submitted";
  const why = o.why ? ` (${o.why})` : "";
  let message: string;
  if (o.via === "cli") {
    const named = list.map(([k, v]) => `${FLAG[k] ?? k}: ${v}`).join("; ");
    message = `${head}${why}: ${named}. Answer with the flags: ${CLI_FLAGS}` +
      ` (the Terms of Use: ${o.base}/terms), or run it in a terminal to be asked.`;
  } else {
    message = [
      `${head}${why}:`,
      ...list.map(([k, v]) => `  ${k}: ${v}`),
      "Answer it yourself, in one of these ways:",
      `  - in a notebook: fill in the cell marked "// ${ACCESS_FORM_CELL}" ` +
      "(accessForm = { name, email, institution, purpose, acceptTerms }), run it, then run this cell again;",
      `  - in a terminal: laion-fmri request-access (it asks each question), or without questions:`,
      `      ${CLI_FLAGS}`,
      `  - in code: form: { name, email, institution, purpose, acceptTerms: true }, ` +
      `acceptTerms once you have read ${o.base}/terms.`,
      "A request id granted before ($LAION_FMRI_REQUEST_ID, or the cache of request-access) needs no form.",
    ].join("\n");
  }
  return new AccessFormError(message, fields, {
    answers: kept,
    status: o.status,
    cause: o.cause,
  });
}

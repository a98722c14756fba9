/**
 * Subject ids and BIDS label normalization.
 * @module
 */
import { HELD_OUT_SESSIONS, LOCALIZERS_PREFIX } from "./constants.ts";
import { HeldOutSessionError, SubjectNotFoundError, UnknownSessionError } from "./errors.ts";

/**
 * Normalizes a subject id: `"01"` -> `"sub-01"`, `"sub-01"` unchanged, the
 * prefix in any case (`"SUB-01"` -> `"sub-01"`). Existence is not checked.
 *
 * @throws {TypeError} when `subject` is not a string
 * @throws {SubjectNotFoundError} for `""` and `"sub-"`
 * @example
 * ```ts
 * import { resolveSubjectId } from "@laion/fmri/bucket";
 * resolveSubjectId("01"); // "sub-01"
 * ```
 */
export function resolveSubjectId(subject: string): string {
  if (typeof subject !== "string") {
    throw new TypeError(`subject must be a string, got ${typeof subject} (${String(subject)})`);
  }
  // The prefix in any case (`"SUB-01"`, `"Sub-01"`) is the prefix, not part of the label.
  const label = /^sub-/i.test(subject) ? subject.slice(4) : subject;
  if (label === "") {
    throw new SubjectNotFoundError(
      `Empty subject identifier: ${JSON.stringify(subject)}. Use e.g. "sub-01" or "01".`,
    );
  }
  return `sub-${label}`;
}

/** A session as users give it: `1`, `"1"`, `"ses-1"` or `"ses-01"`. */
export type SessionId = string | number;

/**
 * Normalizes a session id the way subject ids are: `1`, `"1"`, `"ses-1"`
 * and `"ses-01"` all give `"ses-01"` (two digits at least). Existence is
 * not checked.
 *
 * @throws {TypeError} when `session` is neither a string nor a number
 * @throws {RangeError} when it is not a session number (names the value)
 * @example
 * ```ts
 * import { resolveSessionId } from "@laion/fmri/bucket";
 * resolveSessionId(1); // "ses-01"
 * resolveSessionId("ses-1"); // "ses-01"
 * ```
 */
export function resolveSessionId(session: SessionId): string {
  if (typeof session === "number") {
    if (!Number.isInteger(session) || session < 0) {
      throw new RangeError(`session must be a whole number >= 0, got ${session}`);
    }
    return `ses-${String(session).padStart(2, "0")}`;
  }
  if (typeof session !== "string") {
    throw new TypeError(`session must be a string or number, got ${typeof session}`);
  }
  const m = /^(?:ses-)?(\d+)$/i.exec(session.trim());
  if (!m) {
    throw new RangeError(
      `Not a session: ${JSON.stringify(session)}. Use e.g. "ses-01", "ses-1", "1" or 1.`,
    );
  }
  return `ses-${m[1].replace(/^0+(?=\d)/, "").padStart(2, "0")}`;
}

/**
 * Whether a normalized session id is held out (ses-31…ses-34, withheld for
 * evaluation).
 *
 * @example
 * ```ts
 * import { isHeldOutSession } from "./ids.ts";
 * isHeldOutSession("ses-31"); // true
 * ```
 */
export function isHeldOutSession(session: string): boolean {
  return (HELD_OUT_SESSIONS as readonly string[]).includes(session);
}

/**
 * Whether a normalized session id could be a public session of some
 * subject: numbered from ses-01 up to the first held-out session
 * (ses-31) — the held-out sessions are every subject's last four.
 *
 * @example
 * ```ts
 * import { isPublicSessionNumber } from "./ids.ts";
 * isPublicSessionNumber("ses-12"); // true
 * isPublicSessionNumber("ses-99"); // false
 * ```
 */
export function isPublicSessionNumber(session: string): boolean {
  const n = Number(/^ses-(\d+)$/.exec(session)?.[1]);
  return n >= 1 && n < firstHeldOut();
}

function firstHeldOut(): number {
  return Math.min(...HELD_OUT_SESSIONS.map((s) => Number(s.slice(4))));
}

/**
 * The sentence that says which session numbers exist at all, for errors
 * about a session beyond them.
 *
 * @example
 * ```ts
 * import { publicSessionsHint } from "./ids.ts";
 * publicSessionsHint(); // "Public LAION-fMRI sessions are numbered ses-01 up to ses-30; ..."
 * ```
 */
export function publicSessionsHint(): string {
  const last = `ses-${String(firstHeldOut() - 1).padStart(2, "0")}`;
  return `Public LAION-fMRI sessions are numbered ses-01 up to ${last}; ` +
    `${HELD_OUT_SESSIONS.join(", ")} are held out`;
}

/**
 * The one session check of the library: normalizes a session as
 * {@linkcode resolveSessionId} does (`1`, `"01"`, `"ses-1"`, `"ses-01"`),
 * then requires it to be one of `valid` (the sessions on disk, in the
 * bucket, or of the trials at hand).
 *
 * @param where what `valid` are the sessions of, e.g. `"of sub-01 on disk"`
 * @param hint an optional extra sentence for an unknown session
 * @throws {HeldOutSessionError} for ses-31…ses-34 when not in `valid` (not public)
 * @throws {UnknownSessionError} for any other session not in `valid` (lists them)
 * @throws {RangeError} / {TypeError} for a value that is not a session
 * @example
 * ```ts
 * import { checkSession } from "./ids.ts";
 * checkSession("1", ["ses-01", "ses-02"], "of sub-01 on disk"); // "ses-01"
 * ```
 */
export function checkSession(
  session: SessionId,
  valid: readonly string[],
  where: string,
  hint = "",
): string {
  const id = resolveSessionId(session);
  if (valid.includes(id)) return id;
  if (isHeldOutSession(id)) throw new HeldOutSessionError(id, valid, where);
  throw new UnknownSessionError(id, valid, where, hint);
}

const LABEL_RE = /label-([A-Za-z0-9-]+)(?=[_./]|$)/g;

/**
 * Removes hyphens from every `label-` value of a key (`label-FFA-1_` ->
 * `label-FFA1_`); other entities are untouched. Idempotent.
 *
 * @example
 * ```ts
 * import { bidsifyLocalKey } from "./ids.ts";
 * bidsifyLocalKey("sub-01_label-pSTS-faces_mask.nii.gz"); // "sub-01_label-pSTSfaces_mask.nii.gz"
 * ```
 */
export function bidsifyLocalKey(key: string): string {
  return key.replace(LABEL_RE, (_m, value: string) => `label-${value.replaceAll("-", "")}`);
}

/**
 * The ROI label of a volumetric 1.8 mm mask file name, or `undefined` when
 * the name is not `{subject}_space-T1w_res-1pt8_label-X_mask.nii.gz`.
 *
 * @example
 * ```ts
 * import { parseRoiLabel } from "./ids.ts";
 * parseRoiLabel("sub-01_space-T1w_res-1pt8_label-FFA1_mask.nii.gz", "sub-01"); // "FFA1"
 * ```
 */
export function parseRoiLabel(filename: string, subject: string): string | undefined {
  const head = `${subject}_space-T1w_res-1pt8_label-`;
  const tail = "_mask.nii.gz";
  if (!filename.startsWith(head) || !filename.endsWith(tail)) return undefined;
  const label = filename.slice(head.length, filename.length - tail.length);
  return label.length > 0 ? label : undefined;
}

/**
 * True when a key lies in a held-out session folder (`/ses-31/` ...
 * `/ses-34/`), whatever the task; see {@linkcode isPublicKey} for the
 * exemption.
 *
 * @example
 * ```ts
 * import { isHeldOutKey } from "./ids.ts";
 * isHeldOutKey("derivatives/glmsingle-tedana/sub-01/ses-31/func/x.tsv"); // true
 * ```
 */
export function isHeldOutKey(key: string): boolean {
  return /(^|\/)ses-3[1-4](\/|$)/.test(key);
}

/** Upstream's `HELD_OUT_EXEMPT_PREFIX`: only localizer maps can be exempt. */
const EXEMPT_PREFIX = LOCALIZERS_PREFIX;
/** Upstream's `HELD_OUT_EXEMPT_TASKS`. */
const EXEMPT_TASKS = ["oloc"] as const;

/**
 * True for the keys upstream exempts from the held-out embargo: under
 * `derivatives/localizers/` with an exempt task (`oloc`) as the
 * `task-oloc_` or `task-oloc.` entity. Raw BIDS and tedana keys of the same
 * task stay held out. Says nothing about the session: combine with
 * {@linkcode isHeldOutKey}, or use {@linkcode isPublicKey}.
 *
 * @example
 * ```ts
 * import { isExemptLocalizerKey } from "./ids.ts";
 * isExemptLocalizerKey("derivatives/localizers/sub-03/ses-31/func/sub-03_ses-31_task-oloc_stat-z.nii.gz"); // true
 * isExemptLocalizerKey("sub-03/ses-31/func/sub-03_ses-31_task-oloc_run-01_bold.nii.gz"); // false
 * ```
 */
export function isExemptLocalizerKey(key: string): boolean {
  return key.startsWith(EXEMPT_PREFIX) &&
    EXEMPT_TASKS.some((t) => key.includes(`task-${t}_`) || key.includes(`task-${t}.`));
}

/**
 * True when anyone may download `key`: it is not in a held-out session, or
 * it is an exempt localizer map (upstream's `not _is_held_out(key)`).
 *
 * @example
 * ```ts
 * import { isPublicKey } from "@laion/fmri/bucket";
 * isPublicKey("derivatives/glmsingle-tedana/sub-01/ses-01/func/x.tsv"); // true
 * isPublicKey("derivatives/glmsingle-tedana/sub-01/ses-31/func/x.tsv"); // false
 * isPublicKey("derivatives/localizers/sub-03/ses-31/func/sub-03_ses-31_task-oloc_stat-z.nii.gz"); // true
 * ```
 */
export function isPublicKey(key: string): boolean {
  return !isHeldOutKey(key) || isExemptLocalizerKey(key);
}

/**
 * The session filter of a download checked against the bucket's listing
 * before anything is asked or fetched: every spelling `getBetas` accepts
 * (`1`, `"01"`, `"ses-1"`, `"ses-01"`) becomes the bucket's `ses-01`; a
 * session the bucket does not list, or a held-out one, is an error that
 * names it and lists the valid ones (it would otherwise match nothing and
 * succeed, downloading only the ROI masks).
 * @module
 */
import type { BucketOptions } from "../bucket/cached_source.ts";
import { getSource } from "../bucket/cached_source.ts";
import { getSubjectSessions, sessionFolders } from "../bucket/sessions.ts";
import type { BucketSource } from "../bucket/source.ts";
import { LOCALIZERS_PREFIX } from "../core/constants.ts";
import { UnknownSessionError } from "../core/errors.ts";
import { checkSession, isHeldOutSession, resolveSessionId } from "../core/ids.ts";
import { filterList, type FilterValue, sessionFilter } from "./filters.ts";
import { planSubjects } from "./plan_builder.ts";

/** What a download's session filter is checked against. */
export interface SessionCheckOptions extends BucketOptions {
  /** A subject id, a bare value or `"all"`. */
  subject: string;
  /** The session filter (`session`). */
  session?: FilterValue;
  /** Upstream's alias of `session`. */
  ses?: FilterValue;
  /** The raw tree's sessions count too (the raw download, or `includeRaw`). @default false */
  raw?: boolean;
  /**
   * Only the raw tree's sessions count (`downloadRaw`, which reads no
   * GLMsingle folder). @default false
   */
  rawOnly?: boolean;
  /** The public localizer sessions count too (`includeLocalizers`). @default false */
  localizers?: boolean;
}

/** A session filter already checked by {@linkcode checkSessionFilter}: a planner takes it as is. */
export interface CheckedSession {
  /** The normalized filter it returned (`undefined`: no session filter). */
  session: FilterValue;
}

/** The sessions a download of `subject` can select, by the bucket's listing. */
async function validSessions(
  source: BucketSource,
  subject: string,
  o: SessionCheckOptions,
): Promise<string[]> {
  const { signal } = o;
  const out = new Set<string>();
  const sessions = await getSubjectSessions(subject, { ...o, source });
  if (!o.rawOnly) sessions.public.forEach((s) => out.add(s));
  if (o.raw || o.rawOnly) {
    for (const s of await sessionFolders(source, `${subject}/`, signal)) {
      if (!isHeldOutSession(s)) out.add(s);
    }
  }
  if (o.localizers && !o.rawOnly) {
    const open = new Set(sessions.heldOutWithPublicMaps);
    for (const s of await sessionFolders(source, `${LOCALIZERS_PREFIX}${subject}/`, signal)) {
      if (!isHeldOutSession(s) || open.has(s)) out.add(s);
    }
  }
  return [...out];
}

/** A filter value as a session id: numbers normalized, other labels given `ses-`. */
function sessionLabel(value: string): string {
  return /^(?:ses-)?\d+$/i.test(value.trim())
    ? resolveSessionId(value)
    : value.startsWith("ses-")
    ? value
    : `ses-${value}`;
}

/**
 * Checks a download's session filter against the bucket and returns it
 * normalized (`"1"` -> `"ses-01"`; `"averages"` kept), or `undefined` when
 * there is none. Lists the bucket only when a session filter is given.
 *
 * @throws {HeldOutSessionError} for ses-31…ses-34 (unless `localizers` and the session has public maps)
 * @throws {UnknownSessionError} for a session no selected subject has in the bucket (lists the valid ones)
 * @throws {SubjectNotFoundError} for an unknown subject
 * @throws {TypeError} when both `session` and `ses` are given
 * @example
 * ```ts
 * import { checkSessionFilter } from "./session_check.ts";
 * await checkSessionFilter({ subject: "01", session: ["1", "averages"] }); // ["ses-01", "averages"]
 * ```
 */
export async function checkSessionFilter(o: SessionCheckOptions): Promise<FilterValue> {
  const values = filterList(sessionFilter(o));
  if (values === undefined) return undefined;
  const wanted = values.map((v) => v.replace(/^ses-/, "") === "averages" ? "averages" : v);
  if (wanted.every((v) => v === "averages")) return wanted;
  const source = getSource(o);
  const subjects = await planSubjects(o.subject, source, o.signal);
  const valid = new Set<string>();
  for (const subject of subjects) {
    (await validSessions(source, subject, o)).forEach((s) => valid.add(s));
  }
  const list = [...valid].sort();
  const where = `of ${o.subject === "all" ? "any subject" : subjects[0]} in s3://${source.bucket}/`;
  return wanted.map((v) => {
    if (v === "averages") return v;
    const label = sessionLabel(v);
    if (/^ses-\d+$/.test(label)) return checkSession(label, list, where);
    if (list.includes(label)) return label;
    throw new UnknownSessionError(label, list, where);
  });
}

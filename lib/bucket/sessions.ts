/**
 * Sessions of a subject as the bucket lists them (held-out ones apart).
 * @module
 */
import { GLMSINGLE_PREFIX, HELD_OUT_SESSIONS } from "../core/constants.ts";
import { resolveSubjectId } from "../core/ids.ts";
import { type BucketOptions, getSource } from "./cached_source.ts";

/** Public and held-out sessions of one subject. */
export interface SubjectSessions {
  /** Sessions anyone may download, sorted. */
  public: string[];
  /** Sessions ses-31..ses-34 that are listed but answer 403, sorted. */
  heldOut: string[];
}

/**
 * Sessions of a subject on the bucket, split into public and held-out.
 *
 * @example
 * ```ts
 * import { getSubjectSessions } from "@laion/fmri";
 * const { public: sessions } = await getSubjectSessions("sub-01");
 * ```
 */
export async function getSubjectSessions(
  subject: string,
  options: BucketOptions = {},
): Promise<SubjectSessions> {
  const prefix = `${GLMSINGLE_PREFIX}${resolveSubjectId(subject)}/`;
  const { commonPrefixes } = await getSource(options).list(prefix, {
    delimiter: "/",
    signal: options.signal,
  });
  const names = commonPrefixes.map((p) => p.slice(prefix.length).replace(/\/$/, ""))
    .filter((n) => n.startsWith("ses-")).sort();
  const held = new Set<string>(HELD_OUT_SESSIONS);
  return { public: names.filter((n) => !held.has(n)), heldOut: names.filter((n) => held.has(n)) };
}

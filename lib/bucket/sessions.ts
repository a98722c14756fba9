/**
 * Sessions of a subject as the bucket lists them (held-out ones apart).
 * @module
 */
import { GLMSINGLE_PREFIX, HELD_OUT_SESSIONS, LOCALIZERS_PREFIX } from "../core/constants.ts";
import { isPublicKey, resolveSubjectId } from "../core/ids.ts";
import { type BucketOptions, getSource } from "./cached_source.ts";
import { getBucketLayout } from "./layout.ts";
import type { BucketSource } from "./source.ts";

/** Public and held-out sessions of one subject. */
export interface SubjectSessions {
  /** Sessions anyone may download, sorted. */
  public: string[];
  /** Sessions ses-31..ses-34 whose betas are listed but answer 403, sorted. */
  heldOut: string[];
  /**
   * Held-out sessions that still have public files: the `oloc` localizer
   * maps upstream exempts from the embargo (on the current layout, ses-31).
   * Always empty on the seed layout, which has no localizer maps.
   */
  heldOutWithPublicMaps: string[];
}

/**
 * The `ses-*` folder names directly under `prefix` (one delimited listing), sorted.
 *
 * @example
 * ```ts
 * import { sessionFolders } from "./sessions.ts";
 * import { getSource } from "@laion/fmri/bucket";
 * await sessionFolders(getSource(), "sub-01/"); // ["ses-01", ...]
 * ```
 */
export async function sessionFolders(
  source: BucketSource,
  prefix: string,
  signal?: AbortSignal,
): Promise<string[]> {
  const { commonPrefixes } = await source.list(prefix, { delimiter: "/", signal });
  return commonPrefixes.map((p) => p.slice(prefix.length).replace(/\/$/, ""))
    .filter((n) => n.startsWith("ses-")).sort();
}

/**
 * Sessions of a subject on the bucket: its GLMsingle sessions split into
 * public and held-out, and, on the current layout, the held-out sessions
 * whose localizer maps are public all the same (found by listing those
 * sessions' localizer folders and applying `isPublicKey`).
 *
 * @example
 * ```ts
 * import { getSubjectSessions } from "@laion/fmri";
 * const { public: sessions, heldOut, heldOutWithPublicMaps } = await getSubjectSessions("sub-01");
 * ```
 */
export async function getSubjectSessions(
  subject: string,
  options: BucketOptions = {},
): Promise<SubjectSessions> {
  const id = resolveSubjectId(subject);
  const source = getSource(options);
  const { signal } = options;
  const [names, layout] = await Promise.all([
    sessionFolders(source, `${GLMSINGLE_PREFIX}${id}/`, signal),
    getBucketLayout({ ...options, source }),
  ]);
  const held = new Set<string>(HELD_OUT_SESSIONS);
  const heldOut = names.filter((n) => held.has(n));
  let heldOutWithPublicMaps: string[] = [];
  if (layout === "current") {
    const localizers = `${LOCALIZERS_PREFIX}${id}/`;
    const candidates = (await sessionFolders(source, localizers, signal)).filter((n) =>
      held.has(n)
    );
    const open = await Promise.all(candidates.map(async (ses) => {
      const { objects } = await source.list(`${localizers}${ses}/`, { signal });
      return objects.some((o) => isPublicKey(o.key));
    }));
    heldOutWithPublicMaps = candidates.filter((_, i) => open[i]);
  }
  return { public: names.filter((n) => !held.has(n)), heldOut, heldOutWithPublicMaps };
}

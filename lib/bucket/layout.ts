/**
 * Which layout a bucket has (`seed` or `current`), and the subject probes
 * of each. The seed's snapshot had GLMsingle outputs and ROI masks only;
 * the bucket as it is now also holds raw BIDS `sub-*` folders at its root.
 * @module
 */
import {
  type BucketLayout,
  CURRENT_SUBJECT_PREFIXES,
  SUBJECT_PREFIXES,
} from "../core/constants.ts";
import { type BucketOptions, getSource, requestedLayout } from "./cached_source.ts";
import type { BucketSource } from "./source.ts";

// Per source, so a detection survives `refresh()`: a bucket does not change
// layout while a process runs, and re-detecting would cost a root listing.
const detected = new WeakMap<BucketSource, Promise<BucketLayout>>();

/**
 * The subject probes of a layout, in upstream's probe order: two on the
 * seed layout, upstream's newest six on the current one (`""` is the root).
 *
 * @example
 * ```ts
 * import { subjectPrefixes } from "./layout.ts";
 * subjectPrefixes("seed"); // ["derivatives/glmsingle-tedana/", "derivatives/rois/"]
 * ```
 */
export function subjectPrefixes(layout: BucketLayout): readonly string[] {
  return layout === "current" ? CURRENT_SUBJECT_PREFIXES : SUBJECT_PREFIXES;
}

/**
 * The layout a root listing (its common-prefix names, without `/`) shows:
 * `current` when raw BIDS `sub-*` folders sit at the root, else `seed`.
 * The root listing is the one `inspectBucket` and the current layout's
 * root probe need anyway, so detection costs at most that one request.
 *
 * @example
 * ```ts
 * import { layoutFromRoot } from "./layout.ts";
 * layoutFromRoot(["derivatives"]); // "seed"
 * layoutFromRoot(["derivatives", "sub-01"]); // "current"
 * ```
 */
export function layoutFromRoot(rootNames: readonly string[]): BucketLayout {
  return rootNames.some((n) => n.startsWith("sub-")) ? "current" : "seed";
}

/**
 * The layout already known for a call without listing anything: the one
 * requested ({@linkcode BucketOptions.layout} or `configureBucket`), else
 * the one detected earlier on the same source, else `undefined`.
 *
 * @example
 * ```ts
 * import { knownLayout } from "./layout.ts";
 * import { getSource } from "@laion/fmri/bucket";
 * await knownLayout(getSource(), { layout: "current" }); // "current"
 * ```
 */
export function knownLayout(
  source: BucketSource,
  options: BucketOptions = {},
): Promise<BucketLayout> | undefined {
  const requested = requestedLayout(options);
  return requested !== undefined ? Promise.resolve(requested) : detected.get(source);
}

/**
 * Records the layout detected from `rootNames` for `source` (the first
 * record wins) and returns it.
 *
 * @example
 * ```ts
 * import { rememberLayout } from "./layout.ts";
 * import { getSource } from "@laion/fmri/bucket";
 * await rememberLayout(getSource(), ["derivatives"]); // "seed"
 * ```
 */
export function rememberLayout(
  source: BucketSource,
  rootNames: readonly string[],
): Promise<BucketLayout> {
  let layout = detected.get(source);
  if (!layout) {
    layout = Promise.resolve(layoutFromRoot(rootNames));
    detected.set(source, layout);
  }
  return layout;
}

/**
 * The layout of the bucket a call reads: {@linkcode BucketOptions.layout},
 * else the layout given to `configureBucket`, else detected once per source
 * from the bucket's root listing (`current` when the root holds raw BIDS
 * `sub-*` folders, as the bucket does now; `seed` otherwise, as in the
 * seed's snapshot, whose root held only `derivatives/`).
 *
 * @example
 * ```ts
 * import { getBucketLayout } from "@laion/fmri/bucket";
 * console.log(await getBucketLayout()); // "current"
 * ```
 */
export async function getBucketLayout(options: BucketOptions = {}): Promise<BucketLayout> {
  const source = getSource(options);
  const known = knownLayout(source, options);
  if (known) return await known;
  const { commonPrefixes } = await source.list("", { delimiter: "/", signal: options.signal });
  return await rememberLayout(source, commonPrefixes.map((p) => p.replace(/\/$/, "")));
}

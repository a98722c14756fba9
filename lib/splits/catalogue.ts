/**
 * The fixed catalogue of split pools, split names and OOD image types.
 * @module
 */

/** The split pools, `shared` first (upstream `list_pools()`). */
export const SPLIT_POOLS = ["shared", "sub-01", "sub-03", "sub-05", "sub-06", "sub-07"] as const;
/** A split pool name. */
export type SplitPool = typeof SPLIT_POOLS[number];

/** The 12 split names in catalogue order (upstream `list_splits()`). */
export const SPLIT_NAMES = [
  "random_0",
  "random_1",
  "random_2",
  "random_3",
  "random_4",
  "cluster_k5_0",
  "cluster_k5_1",
  "cluster_k5_2",
  "cluster_k5_3",
  "cluster_k5_4",
  "tau",
  "ood",
] as const;
/** A split name. */
export type SplitName = typeof SPLIT_NAMES[number];

/** The 9 OOD image types, sorted (upstream `list_ood_types()`). */
export const OOD_TYPES = [
  "cropped",
  "gabor",
  "gaudy",
  "illusion-classic",
  "illusion-natural",
  "relations",
  "selfmade",
  "shape",
  "unusual",
] as const;
/** An OOD image type. */
export type OodType = typeof OOD_TYPES[number];

/** The family of a split, derived from its name. */
export type SplitFamily = "random" | "cluster_k5" | "tau" | "ood" | "other";

/**
 * Lists the split pools: `shared` then the five subjects.
 *
 * @example
 * ```ts
 * import { listPools } from "@laion/fmri";
 * listPools(); // ["shared", "sub-01", "sub-03", "sub-05", "sub-06", "sub-07"]
 * ```
 */
export function listPools(): SplitPool[] {
  return [...SPLIT_POOLS];
}

/**
 * Lists the 12 split names: `random_0`..`random_4`, `cluster_k5_0`..`cluster_k5_4`,
 * `tau`, `ood`.
 *
 * @example
 * ```ts
 * import { listSplits } from "@laion/fmri";
 * listSplits().length; // 12
 * ```
 */
export function listSplits(): SplitName[] {
  return [...SPLIT_NAMES];
}

/**
 * Lists the 9 OOD image types, sorted.
 *
 * @example
 * ```ts
 * import { listOodTypes } from "@laion/fmri";
 * listOodTypes().includes("shape"); // true
 * ```
 */
export function listOodTypes(): OodType[] {
  return [...OOD_TYPES];
}

const OOD_RE = /^shared_4rep_OOD_([a-zA-Z0-9-]+)_.+\.(png|jpg)$/;

/**
 * The OOD type of a stimulus id: the first capture of
 * `^shared_4rep_OOD_([a-zA-Z0-9-]+)_.+\.(png|jpg)$`, or `undefined` for
 * a non-OOD id.
 *
 * @example
 * ```ts
 * import { oodTypeOf } from "@laion/fmri";
 * oodTypeOf("shared_4rep_OOD_cropped_apple.png"); // "cropped"
 * oodTypeOf("shared_12rep_LAION_cluster_1003_i0.jpg"); // undefined
 * ```
 */
export function oodTypeOf(id: string): string | undefined {
  return OOD_RE.exec(id)?.[1];
}

/**
 * The family of a split name: `random` (`random_*`), `cluster_k5`
 * (`cluster_k5_*`), `tau`, `ood`, else `other`.
 *
 * @example
 * ```ts
 * import { splitFamilyOf } from "@laion/fmri";
 * splitFamilyOf("cluster_k5_3"); // "cluster_k5"
 * ```
 */
export function splitFamilyOf(name: string): SplitFamily {
  if (name.startsWith("random_")) return "random";
  if (name.startsWith("cluster_k5_")) return "cluster_k5";
  if (name === "tau") return "tau";
  if (name === "ood") return "ood";
  return "other";
}

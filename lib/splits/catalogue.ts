/**
 * The fixed catalogue of split pools, split names and OOD image types.
 * @module
 */
import { InvalidChoiceError } from "../core/errors.ts";
import { poolInstalled } from "./source.ts";

/**
 * Every split pool the package knows, in upstream's `list_pools()` order:
 * `shared`, the five subjects, then `pooled` (all subjects' regular images,
 * Era C). {@linkcode listPools} lists those whose files are installed.
 */
export const SPLIT_POOLS = [
  "shared",
  "sub-01",
  "sub-03",
  "sub-05",
  "sub-06",
  "sub-07",
  "pooled",
] as const;
/** A split pool name. */
export type SplitPool = typeof SPLIT_POOLS[number];

/** The pool added in upstream's Era C; it holds fewer splits (see {@linkcode POOLED_SPLIT_NAMES}). */
export const POOLED_POOL = "pooled";

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

/** The 6 splits of the `pooled` pool (upstream `list_splits("pooled")`): no `random_*`, no `ood`. */
export const POOLED_SPLIT_NAMES = [
  "tau",
  "cluster_k5_0",
  "cluster_k5_1",
  "cluster_k5_2",
  "cluster_k5_3",
  "cluster_k5_4",
] as const;
/** A split name of the `pooled` pool. */
export type PooledSplitName = typeof POOLED_SPLIT_NAMES[number];

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
 * Lists the split pools whose files are installed: `shared` and the five
 * subjects (always: every install has them), then `pooled` when its files
 * are in the split folder (`LAION_FMRI_SPLITS_DIR` or the package's
 * `splits/data/`). Never prompts: without the read (or env) grant needed to
 * look, `pooled` is left out; from a remote package it is listed.
 * {@linkcode SPLIT_POOLS} is the full catalogue.
 *
 * @example
 * ```ts
 * import { listPools } from "@laion/fmri/splits";
 * listPools(); // ["shared", "sub-01", "sub-03", "sub-05", "sub-06", "sub-07", "pooled"]
 * ```
 */
export function listPools(): SplitPool[] {
  return SPLIT_POOLS.filter((p) => p !== POOLED_POOL || poolInstalled(p));
}

/** Options of {@linkcode listSplits}. */
export interface ListSplitsOptions {
  /**
   * The pool whose splits to list; `"pooled"` has 6. Any pool of
   * {@linkcode SPLIT_POOLS} is accepted, installed or not.
   * @default undefined (the 12 splits of `shared` and the subjects)
   */
  pool?: string;
}

/**
 * Lists split names in catalogue order: the 12 `random_0`..`random_4`,
 * `cluster_k5_0`..`cluster_k5_4`, `tau`, `ood` (no pool, `shared` or a
 * subject), or the 6 `tau`, `cluster_k5_0`..`cluster_k5_4` of `pooled`.
 *
 * @throws {InvalidChoiceError} for an unknown pool (lists `listPools()`)
 * @throws {TypeError} when `options` is not an object (e.g. a bare pool string)
 * @example
 * ```ts
 * import { listSplits } from "@laion/fmri";
 * listSplits().length; // 12
 * listSplits({ pool: "pooled" }); // ["tau", "cluster_k5_0", ..., "cluster_k5_4"]
 * ```
 */
export function listSplits(options: ListSplitsOptions = {}): SplitName[] {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `listSplits expects an options object, e.g. listSplits({ pool: ${
        JSON.stringify(String(options))
      } }); got ${typeof options}.`,
    );
  }
  const { pool } = options;
  if (pool === undefined) return [...SPLIT_NAMES];
  validatePool(pool);
  return pool === POOLED_POOL ? [...POOLED_SPLIT_NAMES] : [...SPLIT_NAMES];
}

/**
 * Checks a pool against the catalogue ({@linkcode SPLIT_POOLS}).
 *
 * @throws {InvalidChoiceError} naming the pool and listing `listPools()`
 *   (upstream's `Unknown pool ... Valid: {list_pools()}`)
 * @example
 * ```ts
 * import { validatePool } from "./catalogue.ts";
 * validatePool("pooled"); // ok
 * ```
 */
export function validatePool(pool: string): asserts pool is SplitPool {
  if (!(SPLIT_POOLS as readonly unknown[]).includes(pool)) {
    throw new InvalidChoiceError("pool", pool, listPools());
  }
}

/**
 * Lists the 9 OOD image types, sorted.
 *
 * @example
 * ```ts
 * import { listOodTypes } from "@laion/fmri/splits";
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
 * import { oodTypeOf } from "@laion/fmri/splits";
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
 * import { splitFamilyOf } from "@laion/fmri/splits";
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

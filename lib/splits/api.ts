/**
 * Loading splits and selecting train/test ids (upstream `laion_fmri.splits`).
 * @module
 */
import { formatList, InvalidChoiceError, LaionFmriError } from "../core/errors.ts";
import {
  listSplits,
  OOD_TYPES,
  oodTypeOf,
  type PooledSplitName,
  SPLIT_NAMES,
  type SplitName,
  validatePool,
} from "./catalogue.ts";
import { readSplitFile } from "./source.ts";
import { Split, SplitVariant, variantNotFoundError } from "./split.ts";

/** Options of {@linkcode loadSplit}. */
export interface LoadSplitOptions {
  /** The pool: `"shared"`, a subject (`"sub-01"`, ...) or `"pooled"`; see `listPools()`. */
  pool: string;
  /** Aborts reading the split file. */
  signal?: AbortSignal;
}

/** Options of {@linkcode getTrainTestIds} and `getSplitMasks`. */
export interface SplitSelectOptions extends LoadSplitOptions {
  /** Which variant. @default 0 */
  variantId?: number;
  /**
   * Keep only test ids of these OOD types (`ood` split only). A string is a
   * one-element list; an empty list gives an empty test set. Train ids are
   * never filtered. @default undefined (no filtering)
   */
  oodTypes?: string | readonly string[];
}

/**
 * Train and test ids as a pair: destructure it (`const [train, test] = ...`)
 * or use the non-enumerable aliases `trainIds` / `testIds`.
 */
export type TrainTestIds = readonly [trainIds: string[], testIds: string[]] & {
  /** The train ids (same array as `[0]`). */
  readonly trainIds: string[];
  /** The test ids (same array as `[1]`). */
  readonly testIds: string[];
};

/**
 * A known split that the pool does not have (`random_*` or `ood` with
 * `pooled`). `valid` lists the pool's splits.
 *
 * @example
 * ```ts
 * import { SplitNotInPoolError } from "@laion/fmri";
 * const e = new SplitNotInPoolError("ood", "pooled", ["tau"]);
 * e.message; // "Split 'ood' is not available for pool 'pooled'. Available: ['tau']."
 * ```
 */
export class SplitNotInPoolError extends InvalidChoiceError {
  /** The pool that lacks the split. */
  readonly pool: string;
  /**
   * Creates an instance.
   * @param name the split asked for
   * @param pool the pool that lacks it
   * @param available the pool's splits
   */
  constructor(name: string, pool: string, available: readonly string[]) {
    super("split", name, available);
    // Upstream's wording, not InvalidChoiceError's "Unknown ...": the name itself is valid.
    this.message = `Split '${name}' is not available for pool '${pool}'. Available: ${
      formatList(available)
    }.`;
    this.pool = pool;
  }
}

/**
 * Checks a split request, in upstream's order: the split name against the
 * 12 names, then the pool, then that the pool has that split.
 *
 * @throws {InvalidChoiceError} for an unknown split or pool
 * @throws {SplitNotInPoolError} for a split the pool lacks (e.g. `ood` in `pooled`)
 * @example
 * ```ts
 * import { validateSplitRequest } from "./api.ts";
 * validateSplitRequest("tau", "pooled"); // ok
 * ```
 */
export function validateSplitRequest(name: string, pool: string): void {
  if (!(SPLIT_NAMES as readonly unknown[]).includes(name)) {
    throw new InvalidChoiceError("split", name, SPLIT_NAMES);
  }
  validatePool(pool);
  const available = listSplits({ pool });
  if (!(available as readonly string[]).includes(name)) {
    throw new SplitNotInPoolError(name, pool, available);
  }
}

/**
 * Loads one split of one pool. Validates `name`, then `pool`, then that the
 * pool has the split (`pooled` has only `tau` and `cluster_k5_*`); the parsed
 * file is cached per process, and every call returns a new `Split` with
 * its own id arrays.
 *
 * @throws {InvalidChoiceError} unknown split or pool (lists the valid ones)
 * @throws {SplitNotInPoolError} a split the pool lacks (lists the pool's splits)
 * @throws {SplitsNotInstalledError} when the split files are not installed
 * @example
 * ```ts
 * import { loadSplit } from "@laion/fmri";
 * const split = await loadSplit("random_0", { pool: "shared" });
 * console.log(split.name, split.pool, split.splitFamily, split.nTrain, split.nTest);
 * // random_0 shared random 897 224
 * ```
 */
export async function loadSplit(name: string, options: LoadSplitOptions): Promise<Split> {
  const pool = options?.pool;
  validateSplitRequest(name, pool);
  const data = await readSplitFile(pool, name, { signal: options.signal });
  return new Split({
    name: data.name,
    pool,
    splitter: data.splitter,
    params: structuredClone(data.params),
    nTrain: data.nTrain,
    nTest: data.nTest,
    variants: data.variants.map((v) =>
      new SplitVariant(v.variantId, [...v.trainIds], [...v.testIds])
    ),
  });
}

/**
 * Loads every split of a pool (`listSplits({ pool })`: 12, or 6 for
 * `pooled`), keyed by name in catalogue order.
 *
 * @throws {InvalidChoiceError} for an unknown pool
 * @example
 * ```ts
 * import { loadAllSplits } from "@laion/fmri/splits";
 * const all = await loadAllSplits("sub-01");
 * console.log(Object.keys(all).length, all.ood.nTest); // 12 371
 * const pooled = await loadAllSplits("pooled");
 * console.log(Object.keys(pooled)); // ["tau", "cluster_k5_0", ..., "cluster_k5_4"]
 * ```
 */
export function loadAllSplits(
  pool: "pooled",
  options?: { signal?: AbortSignal },
): Promise<Record<PooledSplitName, Split>>;
/**
 * Loads the 12 splits of `shared` or a subject, keyed by name in catalogue order.
 *
 * @throws {InvalidChoiceError} for an unknown pool
 * @example
 * ```ts
 * import { loadAllSplits } from "@laion/fmri/splits";
 * (await loadAllSplits("shared")).ood.nTest; // 371
 * ```
 */
export function loadAllSplits(
  pool: "shared" | "sub-01" | "sub-03" | "sub-05" | "sub-06" | "sub-07",
  options?: { signal?: AbortSignal },
): Promise<Record<SplitName, Split>>;
/**
 * Loads every split of a pool named at run time (12, or 6 for `pooled`).
 *
 * @throws {InvalidChoiceError} for an unknown pool
 * @example
 * ```ts
 * import { loadAllSplits } from "@laion/fmri/splits";
 * const pool: string = "pooled";
 * Object.keys(await loadAllSplits(pool)).length; // 6
 * ```
 */
export function loadAllSplits(
  pool: string,
  options?: { signal?: AbortSignal },
): Promise<Partial<Record<SplitName, Split>>>;
export async function loadAllSplits(
  pool: string,
  options: { signal?: AbortSignal } = {},
): Promise<Partial<Record<SplitName, Split>>> {
  const names = listSplits({ pool });
  const splits = await Promise.all(
    names.map((name) => loadSplit(name, { pool, signal: options.signal })),
  );
  const out: Partial<Record<SplitName, Split>> = {};
  names.forEach((name, i) => out[name] = splits[i]);
  return out;
}

/**
 * The train and test ids of a split variant, as two new arrays in file
 * order (sorted), optionally keeping only test ids of some OOD types.
 * Returns a pair, so `const [trainIds, testIds] = await getTrainTestIds(...)`
 * works; `.trainIds` / `.testIds` name the same arrays.
 *
 * Checks, in order: split name, pool, variant, OOD type names, then that
 * `oodTypes` is only used with the `ood` split.
 *
 * @throws {InvalidChoiceError} unknown split, pool, variant or OOD type
 * @throws {LaionFmriError} `oodTypes` given for a split other than `ood`
 * @example
 * ```ts
 * import { getTrainTestIds } from "@laion/fmri";
 * const [trainIds, testIds] = await getTrainTestIds("random_0", { pool: "shared" });
 * console.log(trainIds.length, testIds.length); // 897 224
 * const { testIds: shapes } = await getTrainTestIds("ood", { pool: "shared", oodTypes: ["shape"] });
 * console.log(shapes.length); // 82
 * ```
 */
export async function getTrainTestIds(
  name: string,
  options: SplitSelectOptions,
): Promise<TrainTestIds> {
  const { trainIds, testIds } = await selectIds(name, options);
  return makePair([...trainIds], [...testIds]);
}

/**
 * The selected train ids and (OOD-filtered) test ids, not copied: the
 * arrays may be the cached ones and must not be modified. Same checks as
 * {@linkcode getTrainTestIds}.
 *
 * @example
 * ```ts
 * import { selectIds } from "./api.ts";
 * const { testIds } = await selectIds("ood", { pool: "sub-01", oodTypes: "gabor" });
 * console.log(testIds.length); // 10
 * ```
 */
export async function selectIds(
  name: string,
  options: SplitSelectOptions,
): Promise<{ trainIds: readonly string[]; testIds: readonly string[] }> {
  const pool = options?.pool;
  validateSplitRequest(name, pool);
  const data = await readSplitFile(pool, name, { signal: options.signal });
  const variantId = options.variantId ?? 0;
  const variant = data.variants.find((v) => v.variantId === variantId);
  if (!variant) {
    throw variantNotFoundError(name, pool, variantId, data.variants.map((v) => v.variantId));
  }
  const types = normalizeOodTypes(options.oodTypes);
  if (types === undefined) return variant;
  if (name !== "ood") {
    throw new LaionFmriError(
      `oodTypes ${formatList(types)} given for split '${name}': oodTypes is only valid for the ` +
        `'ood' split (valid: ['ood']). Drop oodTypes, or use getTrainTestIds("ood", ...).`,
    );
  }
  const keep = new Set(types);
  return {
    trainIds: variant.trainIds,
    testIds: variant.testIds.filter((id) => {
      const t = oodTypeOf(id);
      return t !== undefined && keep.has(t);
    }),
  };
}

/**
 * Normalizes `oodTypes`: `undefined` stays `undefined`, a string becomes a
 * one-element list, and every name must be one of `listOodTypes()`.
 *
 * @throws {InvalidChoiceError} listing the unknown names and the valid ones
 * @example
 * ```ts
 * import { normalizeOodTypes } from "./api.ts";
 * normalizeOodTypes("gabor"); // ["gabor"]
 * ```
 */
export function normalizeOodTypes(
  oodTypes: string | readonly string[] | undefined,
): string[] | undefined {
  if (oodTypes === undefined || oodTypes === null) return undefined;
  const list = typeof oodTypes === "string" ? [oodTypes] : [...oodTypes];
  const unknown = list.filter((t) => !(OOD_TYPES as readonly unknown[]).includes(t));
  if (unknown.length > 0) {
    throw new InvalidChoiceError("oodTypes", unknown, OOD_TYPES);
  }
  return list;
}

function makePair(trainIds: string[], testIds: string[]): TrainTestIds {
  const pair = [trainIds, testIds];
  Object.defineProperties(pair, {
    trainIds: { value: trainIds, enumerable: false },
    testIds: { value: testIds, enumerable: false },
  });
  return Object.freeze(pair) as unknown as TrainTestIds;
}

/**
 * Parsing and validation of one split JSON file (upstream §7.2 format).
 * Shared by the loader and by `splits/install.ts`.
 * @module
 */
import { MalformedFileError } from "../core/errors.ts";

/** One variant of a split file, with camelCase field names. */
export interface SplitVariantData {
  /** `variant_id` */
  variantId: number;
  /** `train_ids`, in file order (sorted ascending in the bundled files) */
  trainIds: string[];
  /** `test_ids`, in file order */
  testIds: string[];
}

/** The parsed content of a split file. */
export interface SplitFileData {
  /** `name` */
  name: string;
  /** The free-text `pool` description (wrong for four subject folders; never used). */
  poolDescription: string;
  /** `splitter`, `""` when absent. */
  splitter: string;
  /** `params`, `{}` when absent. */
  params: Record<string, unknown>;
  /** `n_train` */
  nTrain: number;
  /** `n_test` */
  nTest: number;
  /** `variants` */
  variants: SplitVariantData[];
}

/**
 * Parses and validates the text of a split JSON file: the JSON shape, at
 * least one variant, `n_train`/`n_test` equal to the lengths of every
 * variant's `train_ids`/`test_ids`, ids unique, and train and test disjoint.
 *
 * @param text the file content
 * @param path the file's path or URL, used in error messages
 * @param expectedName when given, the `name` field must equal it
 * @param refetch an optional command, appended to errors
 * @throws {MalformedFileError} naming `path` and the first problem found
 * @example
 * ```ts
 * import { parseSplitFile } from "./validate.ts";
 * const text = JSON.stringify({
 *   name: "tau", splitter: "s", params: {}, n_train: 1, n_test: 1,
 *   variants: [{ variant_id: 0, train_ids: ["a.jpg"], test_ids: ["b.jpg"] }],
 * });
 * parseSplitFile(text, "tau.json", "tau").nTrain; // 1
 * ```
 */
export function parseSplitFile(
  text: string,
  path: string,
  expectedName?: string,
  refetch?: string,
): SplitFileData {
  const fail = (problem: string, cause?: unknown): never => {
    throw new MalformedFileError(path, problem, refetch, cause ? { cause } : undefined);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return fail(`not valid JSON (${(e as Error).message})`, e);
  }
  if (!isObject(raw)) return fail("not a JSON object");
  const name = raw.name;
  if (typeof name !== "string") return fail(`"name" is not a string`);
  if (expectedName !== undefined && name !== expectedName) {
    fail(
      `"name" is ${JSON.stringify(name)} but the file is for split ${JSON.stringify(expectedName)}`,
    );
  }
  const splitter = raw.splitter ?? "";
  if (typeof splitter !== "string") fail(`"splitter" is not a string`);
  const params = raw.params ?? {};
  if (!isObject(params)) fail(`"params" is not an object`);
  const nTrain = toCount(raw.n_train) ?? fail(`"n_train" is not a non-negative integer`);
  const nTest = toCount(raw.n_test) ?? fail(`"n_test" is not a non-negative integer`);
  if (!Array.isArray(raw.variants) || raw.variants.length === 0) {
    fail(`"variants" is not a non-empty array`);
  }
  const variants: SplitVariantData[] = [];
  const seenIds = new Set<number>();
  for (const [i, v] of (raw.variants as unknown[]).entries()) {
    const at = `variants[${i}]`;
    if (!isObject(v)) return fail(`${at} is not an object`);
    const variantId = toInt(v.variant_id) ?? fail(`${at}.variant_id is not an integer`);
    if (seenIds.has(variantId)) fail(`variant_id ${variantId} appears twice`);
    seenIds.add(variantId);
    const trainIds = stringArray(v.train_ids) ?? fail(`${at}.train_ids is not an array of strings`);
    const testIds = stringArray(v.test_ids) ?? fail(`${at}.test_ids is not an array of strings`);
    if (trainIds.length !== nTrain) {
      fail(`n_train is ${nTrain} but ${at}.train_ids has ${trainIds.length} ids`);
    }
    if (testIds.length !== nTest) {
      fail(`n_test is ${nTest} but ${at}.test_ids has ${testIds.length} ids`);
    }
    const train = new Set(trainIds);
    if (train.size !== trainIds.length) fail(`${at}.train_ids has duplicate ids`);
    const test = new Set(testIds);
    if (test.size !== testIds.length) fail(`${at}.test_ids has duplicate ids`);
    const both = testIds.filter((id) => train.has(id));
    if (both.length > 0) {
      fail(
        `${at}: ${both.length} id(s) are in both train_ids and test_ids (first: ${
          JSON.stringify(both[0])
        })`,
      );
    }
    variants.push({ variantId, trainIds, testIds });
  }
  return {
    name,
    poolDescription: typeof raw.pool === "string" ? raw.pool : "",
    splitter: splitter as string,
    params: params as Record<string, unknown>,
    nTrain,
    nTest,
    variants,
  };
}

/**
 * Checks the `pooled` files against each other (upstream's invariants):
 * every split covers the same images (train ∪ test, the "universe"), and
 * the `cluster_k5_*` test sets are disjoint and together cover the
 * universe, so every image is tested exactly once across the 5 folds.
 *
 * @param files the parsed files, by split name, with their paths
 * @throws {MalformedFileError} naming the first file that breaks an invariant
 * @example
 * ```ts
 * import { checkPooledSplits, type SplitFileData } from "./validate.ts";
 * const files = new Map<string, { path: string; data: SplitFileData }>();
 * checkPooledSplits(files); // nothing to compare
 * ```
 */
export function checkPooledSplits(
  files: ReadonlyMap<string, { path: string; data: SplitFileData }>,
): void {
  let universe: Set<string> | undefined;
  let first = "";
  const tested = new Map<string, string>();
  let folds = 0;
  for (const [name, { path, data }] of files) {
    for (const v of data.variants) {
      const all = new Set([...v.trainIds, ...v.testIds]);
      if (universe === undefined) {
        universe = all;
        first = name;
      } else if (all.size !== universe.size || [...all].some((id) => !universe!.has(id))) {
        throw new MalformedFileError(
          path,
          `train + test ids (${all.size}) are not the same images as in pooled/${first}.json ` +
            `(${universe.size}); every pooled split must cover the same images`,
        );
      }
    }
    if (!name.startsWith("cluster_k5_")) continue;
    folds++;
    for (const id of data.variants[0].testIds) {
      const other = tested.get(id);
      if (other !== undefined) {
        throw new MalformedFileError(
          path,
          `test id ${JSON.stringify(id)} is also a test id of pooled/${other}.json; the ` +
            `cluster_k5 folds must test every image once`,
        );
      }
      tested.set(id, name);
    }
  }
  if (folds === 5 && universe !== undefined && tested.size !== universe.size) {
    const [path] = [...files.values()].map((f) => f.path);
    throw new MalformedFileError(
      path,
      `the 5 cluster_k5 test sets cover ${tested.size} of ${universe.size} images; every image ` +
        `must be tested in exactly one fold`,
    );
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function toInt(x: unknown): number | undefined {
  return typeof x === "number" && Number.isInteger(x) ? x : undefined;
}

function toCount(x: unknown): number | undefined {
  const n = toInt(x);
  return n !== undefined && n >= 0 ? n : undefined;
}

function stringArray(x: unknown): string[] | undefined {
  return Array.isArray(x) && x.every((s) => typeof s === "string") ? x as string[] : undefined;
}

/**
 * The `Split` and `SplitVariant` classes (upstream dataclasses), with
 * compact console and notebook display.
 * @module
 */
import { InvalidChoiceError } from "../core/errors.ts";
import {
  CUSTOM_INSPECT as INSPECT,
  type DisplayBundle,
  JUPYTER_DISPLAY as JUPYTER,
  tableBundle,
} from "../core/display.ts";
import { type SplitFamily, splitFamilyOf } from "./catalogue.ts";

/**
 * One train/test partition of a split. Every bundled split has exactly one
 * variant, with `variantId` 0.
 *
 * @example
 * ```ts
 * import { SplitVariant } from "@laion/fmri/splits";
 * const v = new SplitVariant(0, ["a.jpg"], ["b.jpg"]);
 * v.allIds(); // ["a.jpg", "b.jpg"]
 * ```
 */
export class SplitVariant {
  /** The variant id (`variant_id`). */
  readonly variantId: number;
  /** Train stimulus ids, in file order (sorted). */
  readonly trainIds: string[];
  /** Test stimulus ids, in file order (sorted). */
  readonly testIds: string[];

  /**
   * Creates an instance.
   * @param variantId the variant id
   * @param trainIds the train ids
   * @param testIds the test ids
   */
  constructor(variantId: number, trainIds: string[], testIds: string[]) {
    this.variantId = variantId;
    this.trainIds = trainIds;
    this.testIds = testIds;
  }

  /**
   * A new array: the train ids, then the test ids.
   *
   * @example
   * ```ts
   * import { loadSplit } from "@laion/fmri";
   * const split = await loadSplit("tau", { pool: "shared" });
   * split.variants[0].allIds().length; // 1121
   * ```
   */
  allIds(): string[] {
    return [...this.trainIds, ...this.testIds];
  }

  /** One-line summary for `console.log`. */
  [INSPECT](): string {
    return `SplitVariant { variantId: ${this.variantId}, train: ${this.trainIds.length} ids, test: ${this.testIds.length} ids }`;
  }
}

/** The fields of a {@linkcode Split}, for its constructor. */
export interface SplitInit {
  /** Split name, e.g. `"random_0"`. */
  name: string;
  /** The pool that was requested, e.g. `"shared"`. */
  pool: string;
  /** The splitter, e.g. `"min_nn_stochastic"` or `"ood_holdout"`. @default "" */
  splitter?: string;
  /** Splitter parameters. @default {} */
  params?: Record<string, unknown>;
  /** Number of train ids in every variant. */
  nTrain: number;
  /** Number of test ids in every variant. */
  nTest: number;
  /** The variants. @default [] */
  variants?: SplitVariant[];
}

/**
 * A predefined train/test split of one pool. `pool` is the pool that was
 * requested (the file's free-text `pool` field is wrong for four subject
 * folders and is not used). Displays as a one-line summary in the console
 * and as a small table in a Deno Jupyter notebook.
 *
 * @example
 * ```ts
 * import { loadSplit } from "@laion/fmri";
 * const split = await loadSplit("random_0", { pool: "shared" });
 * console.log(split.splitFamily, split.nTrain, split.nTest); // random 897 224
 * ```
 */
export class Split {
  /** Split name. */
  readonly name: string;
  /** The requested pool. */
  readonly pool: string;
  /** The splitter that produced the split. */
  readonly splitter: string;
  /** Splitter parameters, as in the file. */
  readonly params: Record<string, unknown>;
  /** Number of train ids. */
  readonly nTrain: number;
  /** Number of test ids. */
  readonly nTest: number;
  /** The variants (one, with id 0, in every bundled file). */
  readonly variants: SplitVariant[];

  /** Creates an instance. @param init the split's fields */
  constructor(init: SplitInit) {
    this.name = init.name;
    this.pool = init.pool;
    this.splitter = init.splitter ?? "";
    this.params = init.params ?? {};
    this.nTrain = init.nTrain;
    this.nTest = init.nTest;
    this.variants = init.variants ?? [];
  }

  /**
   * The family: `random`, `cluster_k5`, `tau`, `ood` or `other`, from the name.
   *
   * @example
   * ```ts
   * import { loadSplit } from "@laion/fmri";
   * (await loadSplit("cluster_k5_2", { pool: "sub-01" })).splitFamily; // "cluster_k5"
   * ```
   */
  get splitFamily(): SplitFamily {
    return splitFamilyOf(this.name);
  }

  /**
   * The variant with id `variantId`.
   *
   * @param variantId the variant id @default 0
   * @throws {InvalidChoiceError} when the split has no such variant; lists the available ids
   * @example
   * ```ts
   * import { loadSplit } from "@laion/fmri";
   * const v = (await loadSplit("tau", { pool: "shared" })).variant(0);
   * console.log(v.testIds.length); // 224
   * ```
   */
  variant(variantId = 0): SplitVariant {
    const found = this.variants.find((v) => v.variantId === variantId);
    if (!found) {
      throw variantNotFoundError(
        this.name,
        this.pool,
        variantId,
        this.variants.map((v) => v.variantId),
      );
    }
    return found;
  }

  /** One-line summary for `console.log` (never the id lists). */
  [INSPECT](): string {
    return `Split { name: "${this.name}", pool: "${this.pool}", family: "${this.splitFamily}", ` +
      `nTrain: ${this.nTrain}, nTest: ${this.nTest}, variants: ${this.variants.length} }`;
  }

  /** Rich display for Deno's Jupyter kernel: a small HTML table and a text fallback. */
  [JUPYTER](): DisplayBundle {
    const rows: [string, string][] = [
      ["pool", this.pool],
      ["family", this.splitFamily],
      ["splitter", this.splitter || "—"],
      ["n_train", String(this.nTrain)],
      ["n_test", String(this.nTest)],
      ["variants", this.variants.map((v) => v.variantId).join(", ") || "none"],
    ];
    const method = typeof this.params.method === "string" ? this.params.method : undefined;
    if (method) rows.push(["method", method]);
    const text = [`Split ${this.name}`, ...rows.map(([k, v]) => `  ${k.padEnd(9)} ${v}`)].join(
      "\n",
    );
    return tableBundle(`Split ${this.name}`, rows, text);
  }
}

/**
 * The error for a variant id a split does not have: names the id, the
 * split and pool, and lists the available ids.
 *
 * @example
 * ```ts
 * import { variantNotFoundError } from "./split.ts";
 * variantNotFoundError("tau", "shared", 999, [0]).message.includes("variantId=999"); // true
 * ```
 */
export function variantNotFoundError(
  name: string,
  pool: string,
  variantId: number,
  available: readonly number[],
): InvalidChoiceError {
  return new InvalidChoiceError(
    "variantId",
    variantId,
    available.map(String),
    `variantId=${variantId} is not in split '${name}' (pool ${pool})`,
  );
}

/**
 * Train/test row masks for a table of trials (upstream `get_split_masks`).
 * @module
 */
import type { DataFrame, Series } from "../frames/polars.ts";
import { formatList, LaionFmriError } from "../core/errors.ts";
import { CUSTOM_INSPECT as INSPECT } from "../core/display.ts";
import { warn } from "../core/warnings.ts";
import { loadPolars } from "../frames/polars.ts";
import { selectIds, type SplitSelectOptions } from "./api.ts";

/**
 * What {@linkcode getSplitMasks} accepts: stimulus labels (an array or any
 * iterable of strings; `null`/`undefined` match nothing), a Polars Series of
 * labels, or a Polars DataFrame with a `label` column.
 */
export type SplitMaskInput =
  | Iterable<string | null | undefined>
  | DataFrame
  | Series;

/**
 * Boolean row masks: `train[i]` / `test[i]` is true when row `i`'s label is
 * in the split's train / test ids. Labels in neither set are false in both.
 * Destructures as a pair: `const [train, test] = masks`.
 *
 * @example
 * ```ts
 * import { getSplitMasks } from "@laion/fmri";
 * const masks = await getSplitMasks(["x.jpg"], "tau", { pool: "shared" });
 * const [train, test] = masks;
 * console.log(train, test, masks.nTrain); // [ false ] [ false ] 0
 * ```
 */
export class SplitMasks {
  /** One boolean per row: the row's label is a train id. */
  readonly train: boolean[];
  /** One boolean per row: the row's label is a test id. */
  readonly test: boolean[];

  /**
   * Creates an instance.
   * @param train the train mask
   * @param test the test mask (same length)
   */
  constructor(train: boolean[], test: boolean[]) {
    this.train = train;
    this.test = test;
  }

  /** Number of rows. */
  get length(): number {
    return this.train.length;
  }

  /** Number of train rows (true values of `train`). */
  get nTrain(): number {
    return countTrue(this.train);
  }

  /** Number of test rows (true values of `test`). */
  get nTest(): number {
    return countTrue(this.test);
  }

  /** Yields `train`, then `test`. */
  *[Symbol.iterator](): IterableIterator<boolean[]> {
    yield this.train;
    yield this.test;
  }

  /**
   * The masks as Polars boolean Series named `train` and `test` (loads
   * Polars; needs its flags, see `loadPolars`).
   *
   * @param names the Series names @default { train: "train", test: "test" }
   * @example
   * ```ts
   * import pl from "nodejs-polars";
   * import { getSplitMasks } from "@laion/fmri";
   * const masks = await getSplitMasks(["x.jpg"], "tau", { pool: "shared" });
   * const { train } = await masks.toSeries();
   * console.log(train.dtype.equals(pl.Bool)); // true
   * ```
   */
  async toSeries(
    names: { train?: string; test?: string } = {},
  ): Promise<{ train: Series; test: Series }> {
    const pl = await loadPolars();
    return {
      train: pl.Series(names.train ?? "train", this.train, pl.Bool),
      test: pl.Series(names.test ?? "test", this.test, pl.Bool),
    };
  }

  /**
   * `df` with two boolean columns added (`train` and `test` unless renamed).
   * `df` must have one row per mask entry.
   *
   * @param df the trials the masks were computed for
   * @param names the column names @default { train: "train", test: "test" }
   * @throws {LaionFmriError} when `df.height` differs from the mask length
   * @example
   * ```ts
   * import pl from "nodejs-polars";
   * import { getSplitMasks } from "@laion/fmri";
   * const trials = pl.DataFrame({ label: ["x.jpg", "y.jpg"] });
   * const masks = await getSplitMasks(trials, "tau", { pool: "shared" });
   * const withMasks = await masks.withMasks(trials);
   * console.log(withMasks.columns); // [ "label", "train", "test" ]
   * ```
   */
  async withMasks(
    df: DataFrame,
    names: { train?: string; test?: string } = {},
  ): Promise<DataFrame> {
    if (df.height !== this.length) {
      throw new LaionFmriError(
        `withMasks: the DataFrame has ${df.height} rows but the masks have ${this.length}; ` +
          `pass the DataFrame the masks were computed from.`,
      );
    }
    const { train, test } = await this.toSeries(names);
    return df.withColumns(train, test);
  }

  /** One-line summary for `console.log` (never the masks themselves). */
  [INSPECT](): string {
    return `SplitMasks { rows: ${this.length}, train: ${this.nTrain}, test: ${this.nTest} }`;
  }
}

/**
 * Row masks of a split for a list of trial labels or a Polars DataFrame of
 * trials (its `label` column). Same options and checks as
 * `getTrainTestIds` (including `oodTypes`, which filters the test mask).
 *
 * @param trials labels, a Polars Series of labels, or a DataFrame with a `label` column
 * @param name the split name
 * @param options pool, variant, OOD types
 * @throws {LaionFmriError} for a DataFrame without a `label` column (lists its columns)
 * @throws {InvalidChoiceError} unknown split, pool, variant or OOD type
 * @example
 * ```ts
 * import { getSplitMasks, loadSplit } from "@laion/fmri";
 * const split = await loadSplit("tau", { pool: "sub-01" });
 * const labels = [split.variants[0].trainIds[0], split.variants[0].testIds[0], "other.jpg"];
 * const { train, test } = await getSplitMasks(labels, "tau", { pool: "sub-01" });
 * console.log(train, test); // [ true, false, false ] [ false, true, false ]
 * ```
 */
export async function getSplitMasks(
  trials: SplitMaskInput,
  name: string,
  options: SplitSelectOptions,
): Promise<SplitMasks> {
  const labels = labelsOf(trials);
  const { trainIds, testIds } = await selectIds(name, options);
  const train = new Set(trainIds);
  const test = new Set(testIds);
  const masks = new SplitMasks(
    labels.map((l) => typeof l === "string" && train.has(l)),
    labels.map((l) => typeof l === "string" && test.has(l)),
  );
  warnOnPoolMismatch(trials, labels, masks, options);
  return masks;
}

/**
 * A subject pool applied to another subject's trials gives masks that are
 * quietly mostly false: warn when the trials name another subject, or when
 * most labels are in neither set (each subject pool holds all of its
 * subject's stimuli, so its own trials nearly all match).
 */
function warnOnPoolMismatch(
  trials: SplitMaskInput,
  labels: unknown[],
  masks: SplitMasks,
  options: SplitSelectOptions,
): void {
  const pool = options.pool;
  if (!pool.startsWith("sub-")) return;
  const obj = trials as unknown as Record<string, unknown>;
  if (obj && Array.isArray(obj.columns) && (obj.columns as string[]).includes("subject")) {
    const subjects = new Set(
      ((obj.getColumn as (n: string) => Series)("subject").toArray() as unknown[])
        .filter((v) => typeof v === "string" && v !== pool),
    );
    if (subjects.size > 0) {
      warn(
        `getSplitMasks: pool "${pool}" applied to trials of ${formatList([...subjects])}; ` +
          `use the pool of the subject the trials come from.`,
      );
      return;
    }
  }
  if (options.oodTypes !== undefined) return; // filtered test ids leave rows unmatched on purpose
  const named = labels.filter((l) => typeof l === "string").length;
  const unmatched = named - masks.nTrain - masks.nTest;
  if (named > 0 && unmatched * 2 > named) {
    warn(
      `getSplitMasks: ${unmatched} of ${named} labels are in neither the train nor the test ` +
        `set of pool "${pool}"; are these another subject's trials? Use that subject's pool.`,
    );
  }
}

function labelsOf(trials: SplitMaskInput): unknown[] {
  if (typeof trials === "string") {
    throw new TypeError(
      `getSplitMasks expects a list of labels, not the string ${JSON.stringify(trials)}; ` +
        `wrap it in an array.`,
    );
  }
  const obj = trials as unknown as Record<string, unknown>;
  if (obj && Array.isArray(obj.columns) && typeof obj.getColumn === "function") {
    const columns = obj.columns as string[];
    if (!columns.includes("label")) {
      throw new LaionFmriError(
        `getSplitMasks needs a "label" column (the stimulus id of each trial), but the ` +
          `DataFrame has columns ${formatList(columns)}. Rename the column holding the ` +
          `stimulus ids to "label", or pass the labels themselves, e.g. ` +
          `df.getColumn("${columns[0] ?? "name"}").toArray().`,
      );
    }
    return (obj.getColumn as (n: string) => Series)("label").toArray();
  }
  if (obj && typeof obj.toArray === "function" && "dtype" in obj) {
    return (obj.toArray as () => unknown[])();
  }
  if (obj && typeof (trials as Iterable<unknown>)[Symbol.iterator] === "function") {
    return Array.from(trials as Iterable<unknown>);
  }
  throw new TypeError(
    `getSplitMasks expects labels (string[]), a Polars Series, or a DataFrame with a "label" ` +
      `column; got ${obj === null ? "null" : typeof obj}.`,
  );
}

function countTrue(mask: readonly boolean[]): number {
  let n = 0;
  for (const b of mask) if (b) n++;
  return n;
}

/**
 * The tutorial's train/test split of images: alternating in sorted order.
 * @module
 */

/** Row indices of the two halves. */
export interface AlternateSplit {
  /** Positions 0, 2, 4, … of the sorted order (Python's `[::2]`). */
  train: number[];
  /** Positions 1, 3, 5, … of the sorted order (Python's `[1::2]`). */
  test: number[];
}

/**
 * Splits images alternately: sort the names (JavaScript string order), then
 * the 1st, 3rd, 5th, … go to train and the 2nd, 4th, … to test. Returns
 * indices into `imageNames` (a number `n` stands for names already sorted,
 * i.e. rows `0..n-1`).
 *
 * @example
 * ```ts
 * import { alternateSplit } from "@laion/fmri/analysis";
 * console.log(alternateSplit(["c", "a", "b", "d"])); // { train: [1, 3], test: [2, 0] }
 * console.log(alternateSplit(5)); // { train: [0, 2, 4], test: [1, 3] }
 * ```
 */
export function alternateSplit(imageNames: readonly string[] | number): AlternateSplit {
  let order: number[];
  if (typeof imageNames === "number") {
    if (!Number.isInteger(imageNames) || imageNames < 0) {
      throw new RangeError(`image count must be a non-negative integer, got ${imageNames}`);
    }
    order = Array.from({ length: imageNames }, (_, i) => i);
  } else {
    const names = imageNames;
    order = names.map((_, i) => i).sort((a, b) =>
      names[a] < names[b] ? -1 : names[a] > names[b] ? 1 : a - b
    );
  }
  return {
    train: order.filter((_, k) => k % 2 === 0),
    test: order.filter((_, k) => k % 2 === 1),
  };
}

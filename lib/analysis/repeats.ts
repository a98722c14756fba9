/**
 * Per-image averages of single-trial responses: the mean over all repeats
 * of each image, and the means over its odd and even repeats (for the
 * split-half reliability).
 * @module
 */
import { type Matrix, shapeOf } from "./matrix.ts";

/** Options of {@linkcode averageRepeats}. */
export interface AverageRepeatsOptions {
  /** Images shown fewer times are left out. @default 2 */
  minRepeats?: number;
}

/** Per-image means, rows in the order of `images`. */
export interface RepeatAverages {
  /** Image names, sorted (JavaScript string order, i.e. by UTF-16 code units). */
  images: string[];
  /** Repeats per image. */
  counts: Int32Array;
  /** Mean over all repeats (images × columns). */
  mean: Matrix;
  /** Mean over repeats 1, 3, 5, … in trial order (the 1st, 3rd, …; images × columns). */
  oddMean: Matrix;
  /** Mean over repeats 2, 4, 6, … in trial order (images × columns). */
  evenMean: Matrix;
}

/**
 * Averages single-trial rows by image. `rows` holds one row per trial (in
 * the order the trials were shown), `imageNames[t]` names the image of trial
 * `t`. The repeats of an image are numbered 1, 2, 3, … in trial order; odd
 * repeats (1st, 3rd, …) and even ones (2nd, 4th, …) are averaged separately.
 *
 * @example
 * ```ts
 * import { averageRepeats, matrix } from "@laion/fmri/analysis";
 * const trials = matrix(4, 1, [1, 10, 3, 20]);
 * const a = averageRepeats(trials, ["a.jpg", "b.jpg", "a.jpg", "b.jpg"]);
 * console.log(a.images, a.mean.data, a.oddMean.data); // ["a.jpg","b.jpg"] [2, 15] [1, 10]
 * ```
 */
export function averageRepeats(
  rows: Matrix,
  imageNames: readonly string[],
  options: AverageRepeatsOptions = {},
): RepeatAverages {
  if (imageNames.length !== rows.rows) {
    throw new RangeError(
      `${imageNames.length} image names for ${rows.rows} trial rows (shape ${shapeOf(rows)})`,
    );
  }
  const m = rows.cols;
  return averageRepeatRows((t) => rows.data.subarray(t * m, (t + 1) * m), m, imageNames, options);
}

/**
 * {@linkcode averageRepeats} of trial rows that are not one matrix (e.g.
 * float32 rows of several sessions' blocks, read in place): `rowOf(t)` is
 * trial `t`'s row of `cols` values. The same sums in the same order, so the
 * same bits as `averageRepeats` of those rows copied into one matrix.
 *
 * @example
 * ```ts
 * import { averageRepeatRows } from "./repeats.ts";
 * const rows = [new Float32Array([1]), new Float32Array([10]), new Float32Array([3])];
 * const a = averageRepeatRows((t) => rows[t], 1, ["a.jpg", "b.jpg", "a.jpg"], { minRepeats: 1 });
 * console.log(a.mean.data); // [2, 10]
 * ```
 */
export function averageRepeatRows(
  rowOf: (trial: number) => ArrayLike<number>,
  cols: number,
  imageNames: readonly string[],
  options: AverageRepeatsOptions = {},
): RepeatAverages {
  const minRepeats = options.minRepeats ?? 2;
  if (!Number.isInteger(minRepeats) || minRepeats < 1) {
    throw new RangeError(`minRepeats must be a positive integer, got ${minRepeats}`);
  }
  const trialsOf = new Map<string, number[]>();
  imageNames.forEach((name, t) => {
    const list = trialsOf.get(name);
    if (list) list.push(t);
    else trialsOf.set(name, [t]);
  });
  const images = [...trialsOf.keys()].filter((k) => trialsOf.get(k)!.length >= minRepeats).sort();
  const m = cols;
  const mean = new Float64Array(images.length * m);
  const odd = new Float64Array(images.length * m);
  const even = new Float64Array(images.length * m);
  const counts = new Int32Array(images.length);
  images.forEach((name, i) => {
    const trials = trialsOf.get(name)!;
    counts[i] = trials.length;
    let nOdd = 0, nEven = 0;
    trials.forEach((t, r) => {
      const src = rowOf(t);
      if (src.length !== m) {
        throw new RangeError(`trial ${t} has ${src.length} values, expected ${m}`);
      }
      const half = r % 2 === 0 ? odd : even; // r = 0 is repeat 1 (odd)
      if (r % 2 === 0) nOdd++;
      else nEven++;
      for (let j = 0; j < m; j++) {
        mean[i * m + j] += src[j];
        half[i * m + j] += src[j];
      }
    });
    for (let j = 0; j < m; j++) {
      mean[i * m + j] /= trials.length;
      odd[i * m + j] /= nOdd;
      even[i * m + j] = nEven ? even[i * m + j] / nEven : NaN;
    }
  });
  const n = images.length;
  return {
    images,
    counts,
    mean: { rows: n, cols: m, data: mean },
    oddMean: { rows: n, cols: m, data: odd },
    evenMean: { rows: n, cols: m, data: even },
  };
}

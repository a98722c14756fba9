/**
 * Representational dissimilarity matrices and their comparison.
 * @module
 */
import { checkMatrix, type Matrix, sameShape } from "./matrix.ts";
import { pearson, spearman } from "./stats.ts";

/**
 * The condensed correlation-distance RDM of the rows of `responses`
 * (images × voxels): `1 − Pearson r` between the voxel patterns of images i
 * and j, for i < j in scipy's `pdist(responses, "correlation")` order
 * (0-1, 0-2, …, 0-(n−1), 1-2, …); length n(n−1)/2.
 *
 * @example
 * ```ts
 * import { correlationRdm, matrix } from "@laion/fmri/analysis";
 * console.log(correlationRdm(matrix(3, 2, [1, 2, 2, 1, 1, 3]))); // [2, 0, 2]
 * ```
 */
export function correlationRdm(responses: Matrix): Float64Array {
  checkMatrix(responses, "responses");
  const { rows: n, cols: m, data } = responses;
  // Centre and scale each row once; then r is a dot product.
  const z = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    let mean = 0;
    for (let j = 0; j < m; j++) mean += data[i * m + j];
    mean /= m;
    let ss = 0;
    for (let j = 0; j < m; j++) {
      const d = data[i * m + j] - mean;
      z[i * m + j] = d;
      ss += d * d;
    }
    const norm = Math.sqrt(ss);
    for (let j = 0; j < m; j++) z[i * m + j] /= norm;
  }
  const out = new Float64Array((n * (n - 1)) / 2);
  let k = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let r = 0;
      for (let t = 0; t < m; t++) r += z[i * m + t] * z[j * m + t];
      out[k++] = 1 - r;
    }
  }
  return out;
}

/** Options of {@linkcode wrsa}. */
export interface WrsaOptions {
  /**
   * How the two RDMs are compared: `"pearson"` (upstream's newest tutorial,
   * `scipy.stats.pearsonr`) or `"spearman"` (rank correlation).
   * @default "pearson"
   */
  method?: "pearson" | "spearman";
}

/**
 * What upstream's tutorial calls wRSA (also veRSA): the Pearson correlation
 * between the condensed correlation-distance RDMs (see
 * {@linkcode correlationRdm}, scipy's `pdist(…, "correlation")`) of the
 * measured and the predicted responses (both images × voxels, same images
 * and voxels, in the betas' own units — upstream correlates the raw betas,
 * not standardized ones). No weights are fitted beyond the encoding model
 * itself: the predictions come from features fitted to voxels.
 *
 * @example
 * ```ts
 * import { matrix, wrsa } from "@laion/fmri/analysis";
 * const y = matrix(3, 3, [1, 2, 3, 3, 1, 2, 2, 3, 9]);
 * console.log(wrsa(y, y)); // 1
 * ```
 */
export function wrsa(measured: Matrix, predicted: Matrix, options: WrsaOptions = {}): number {
  sameShape(measured, "measured", predicted, "predicted");
  if (measured.rows < 3) {
    throw new RangeError(`RSA needs 3+ images (rows), got ${measured.rows}`);
  }
  const method = options.method ?? "pearson";
  if (method !== "pearson" && method !== "spearman") {
    throw new RangeError(`method must be "pearson" or "spearman", got ${JSON.stringify(method)}`);
  }
  const a = correlationRdm(measured), b = correlationRdm(predicted);
  return method === "pearson" ? pearson(a, b) : spearman(a, b);
}

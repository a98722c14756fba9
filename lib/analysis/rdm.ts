/**
 * Representational dissimilarity matrices and their comparison.
 * @module
 */
import { checkMatrix, type Matrix, sameShape } from "./matrix.ts";
import { spearman } from "./stats.ts";

/**
 * The condensed correlation-distance RDM of the rows of `responses`
 * (images × voxels): `1 − Pearson r` between the voxel patterns of images i
 * and j, for i < j in scipy's `pdist(responses, "correlation")` order
 * (0-1, 0-2, …, 0-(n−1), 1-2, …); length n(n−1)/2.
 *
 * @example
 * ```ts
 * import { correlationRdm, matrix } from "@laion/fmri";
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

/**
 * What upstream's tutorial calls wRSA, as computed here: Spearman's rho
 * between the condensed correlation-distance RDMs (see
 * {@linkcode correlationRdm}) of the measured and the predicted responses
 * (both images × voxels, same images and voxels, same units). No weights
 * are fitted: it is plain RSA of the encoding model's predictions.
 *
 * @example
 * ```ts
 * import { matrix, wrsa } from "@laion/fmri";
 * const y = matrix(3, 3, [1, 2, 3, 3, 1, 2, 2, 3, 9]);
 * console.log(wrsa(y, y)); // 1
 * ```
 */
export function wrsa(measured: Matrix, predicted: Matrix): number {
  sameShape(measured, "measured", predicted, "predicted");
  if (measured.rows < 3) {
    throw new RangeError(`RSA needs 3+ images (rows), got ${measured.rows}`);
  }
  return spearman(correlationRdm(measured), correlationRdm(predicted));
}

/**
 * Ridge regression for many targets at once, every alpha from ONE
 * eigendecomposition, each target's (voxel's) alpha chosen by efficient
 * leave-one-out (LOO) on the training rows — scikit-learn's
 * `RidgeCV(alphas, alpha_per_target=True, scoring=...)` (its `_RidgeGCV`,
 * `gcv_mode="eigen"`), step by step:
 *
 * 1. Centre X and Y with the training means (the unpenalised intercept).
 * 2. K = Xc·Xcᵀ + 1·1ᵀ (n×n). The added 1·1ᵀ is the intercept column:
 *    since the columns of Xc sum to 0, the normalised ones vector is an
 *    eigenvector of K (eigenvalue n). Decompose once: K = Q·diag(s)·Qᵀ.
 * 3. Per alpha: w_j = 1/(s_j + α), except w = 0 on the eigenvector closest
 *    in angle to the ones vector (the intercept is not penalised). Then
 *    G⁻¹ = Q·diag(w)·Qᵀ, the dual coefficients c = G⁻¹·Yc = Q·(w ∘ QᵀYc),
 *    and diag(G⁻¹)_i = Σ_j w_j·Q_ij² — no new decomposition.
 * 4. The LOO residual of row i is c_i / diag(G⁻¹)_i, so the LOO
 *    *prediction* is Yc_i − c_i / diag(G⁻¹)_i (sklearn's
 *    `y - c / G_inverse_diag`). The score of an alpha for a target is
 *    computed from that column of LOO predictions:
 *    - `"correlation"` (the tutorial's `make_scorer(correlation_score)`):
 *      Pearson r between the target's training values and its LOO
 *      predictions, 0 when either is constant;
 *    - `"squaredError"` (sklearn's default, `scoring=None`): minus the
 *      mean squared LOO residual.
 *    So correlation scoring costs O(n·m) per alpha on top of the n×n·m
 *    product that forms c: the decomposition is shared by every alpha and
 *    every scorer.
 * 5. Each target keeps the alpha with the highest score, alphas taken in
 *    the order given and replaced only by a strictly higher score (sklearn's
 *    `alpha_score > best_score`): on a tie the earlier alpha stays.
 * 6. Test predictions: Kt·c + mean(Y_train), with Kt = Xt_c·Xcᵀ (test rows
 *    centred with the training means), i.e. `coef_ = cᵀ·Xc`, `intercept_ =
 *    ȳ − x̄·coef_`.
 *
 * The products and the decomposition run on OpenBLAS (dgemm, dsyevd) when
 * `--allow-ffi` is granted, else in TypeScript (lib/analysis/linalg.ts).
 * sklearn decomposes Xᵀ·X instead when there are more training rows than
 * features (`gcv_mode="svd"`); both give the same G⁻¹ in exact arithmetic.
 * @module
 */
import { type LinearAlgebra, linearAlgebra, type LinearAlgebraChoice } from "./linalg.ts";
import { checkMatrix, type Matrix, shapeOf } from "./matrix.ts";

/** The tutorial's alphas: `[0.1, 1, 10, 100, 1000, 10000, 100000]`. */
export const TUTORIAL_ALPHAS: readonly number[] = Object.freeze([
  0.1,
  1,
  10,
  100,
  1000,
  10000,
  100000,
]);

/** How an alpha's leave-one-out predictions are scored (higher is better). */
export type RidgeScoring = "correlation" | "squaredError";

/** Options of {@linkcode fitRidgePath}. */
export interface RidgePathOptions {
  /** Candidate penalties, all > 0, tried in this order (ties keep the earlier). @default TUTORIAL_ALPHAS */
  alphas?: readonly number[];
  /**
   * Score of the LOO predictions: `"correlation"` (Pearson r with the
   * training values; the tutorial's `make_scorer(correlation_score)`) or
   * `"squaredError"` (minus the mean squared LOO residual; sklearn's default).
   * @default "correlation"
   */
  scoring?: RidgeScoring;
  /** Fit an unpenalised intercept (centre X and Y with the training means). @default true */
  fitIntercept?: boolean;
  /** Linear algebra: OpenBLAS when available, else TypeScript. @default "auto" */
  backend?: LinearAlgebraChoice | LinearAlgebra;
  /** Stops between steps and alphas. */
  signal?: AbortSignal;
}

/** Every alpha's predictions and LOO scores, and the per-target choice. */
export interface RidgePath {
  /** The candidate alphas, in the order given. */
  alphas: Float64Array;
  /** The scorer used. */
  scoring: RidgeScoring;
  /** LOO score of every alpha for every target (alphas × targets; higher is better). */
  looScore: Matrix;
  /** Index into `alphas` chosen for each target. */
  bestAlphaIndex: Int32Array;
  /** The alpha chosen for each target (sklearn's `alpha_`). */
  bestAlpha: Float64Array;
  /** The chosen alpha's LOO score for each target (sklearn's `best_score_`). */
  bestScore: Float64Array;
  /** Test predictions of each alpha (each test rows × targets). */
  predictions: Matrix[];
  /** Test predictions with each target's own alpha (test rows × targets). */
  prediction: Matrix;
  /** Which backend did the linear algebra. */
  backend: "openblas" | "typescript";
}

function transpose(m: Matrix): Matrix {
  const out = new Float64Array(m.data.length);
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < m.cols; j++) out[j * m.rows + i] = m.data[i * m.cols + j];
  }
  return { rows: m.cols, cols: m.rows, data: out };
}

function centre(m: Matrix, mean: Float64Array | undefined): Matrix {
  if (!mean) return m;
  const out = new Float64Array(m.data.length);
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < m.cols; j++) out[i * m.cols + j] = m.data[i * m.cols + j] - mean[j];
  }
  return { rows: m.rows, cols: m.cols, data: out };
}

function means(m: Matrix): Float64Array {
  const out = new Float64Array(m.cols);
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < m.cols; j++) out[j] += m.data[i * m.cols + j];
  }
  for (let j = 0; j < m.cols; j++) out[j] /= m.rows;
  return out;
}

const tick = () => new Promise<void>((r) => setTimeout(r, 0));

/**
 * sklearn's `correlation_score` of the tutorial: Pearson r of two columns
 * (strided views into row-major data), 0 when either is constant.
 */
function correlationScore(
  a: Float64Array,
  b: Float64Array,
  n: number,
  stride: number,
  col: number,
): number {
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i * stride + col];
    mb += b[i * stride + col];
  }
  ma /= n;
  mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const u = a[i * stride + col] - ma, v = b[i * stride + col] - mb;
    sab += u * v;
    saa += u * u;
    sbb += v * v;
  }
  const den = Math.sqrt(saa) * Math.sqrt(sbb);
  return den > 0 ? sab / den : 0;
}

/**
 * Fits ridge regressions of `yTrain` on `xTrain` for every alpha from one
 * eigendecomposition, picks each target's alpha by efficient leave-one-out
 * on the training rows only (scored as `options.scoring` says), and
 * predicts `xTest`. See the module doc for the algebra.
 *
 * @example
 * ```ts
 * import { fitRidgePath, matrix } from "@laion/fmri/analysis";
 * const x = matrix(4, 1, [0, 1, 2, 3]), y = matrix(4, 1, [0, 2, 4, 7]);
 * const fit = await fitRidgePath(x, y, matrix(1, 1, [4]), { alphas: [0.001, 100] });
 * console.log(fit.bestAlpha, fit.prediction.data); // [0.001] [~9]
 * ```
 */
export async function fitRidgePath(
  xTrain: Matrix,
  yTrain: Matrix,
  xTest: Matrix,
  options: RidgePathOptions = {},
): Promise<RidgePath> {
  checkMatrix(xTrain, "xTrain");
  checkMatrix(yTrain, "yTrain");
  checkMatrix(xTest, "xTest");
  if (yTrain.rows !== xTrain.rows) {
    throw new RangeError(
      `xTrain (${shapeOf(xTrain)}) and yTrain (${shapeOf(yTrain)}) need the same rows`,
    );
  }
  if (xTest.cols !== xTrain.cols) {
    throw new RangeError(
      `xTest (${shapeOf(xTest)}) needs the columns of xTrain (${shapeOf(xTrain)})`,
    );
  }
  if (xTrain.rows < 2) throw new RangeError(`ridge needs 2+ training rows, got ${xTrain.rows}`);
  const alphas = Float64Array.from(options.alphas ?? TUTORIAL_ALPHAS);
  if (alphas.length === 0 || alphas.some((a) => !(a > 0) || !Number.isFinite(a))) {
    throw new RangeError(`alphas must be finite and > 0, got [${[...alphas].join(", ")}]`);
  }
  const scoring = options.scoring ?? "correlation";
  if (scoring !== "correlation" && scoring !== "squaredError") {
    throw new RangeError(
      `scoring must be "correlation" or "squaredError", got ${JSON.stringify(scoring)}`,
    );
  }
  const la = typeof options.backend === "object"
    ? options.backend
    : linearAlgebra(options.backend ?? "auto");
  const signal = options.signal;
  const intercept = options.fitIntercept ?? true;
  signal?.throwIfAborted();

  const xMean = intercept ? means(xTrain) : undefined;
  const yMean = intercept ? means(yTrain) : undefined;
  const xc = centre(xTrain, xMean), xt = centre(xTest, xMean), yc = centre(yTrain, yMean);
  const n = xTrain.rows, nt = xTest.rows, m = yTrain.cols;

  const k = la.multiplyTransposed(xc, xc);
  if (intercept) { for (let i = 0; i < n * n; i++) k.data[i] += 1; // + 1·1ᵀ: the intercept column
   }
  const kt = la.multiplyTransposed(xt, xc);
  await tick();
  signal?.throwIfAborted();
  const { values: s, vectors: e } = la.symmetricEigen(k); // row j of e = eigenvector j
  await tick();
  signal?.throwIfAborted();
  // The eigenvector most aligned with the ones vector carries the intercept
  // (sklearn's _find_smallest_angle: the first largest |cosine|).
  let interceptDim = -1;
  if (intercept) {
    let best = -1;
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += e[j * n + i];
      const cos = Math.abs(dot) / Math.sqrt(n);
      if (cos > best) best = cos, interceptDim = j;
    }
  }
  const eMat: Matrix = { rows: n, cols: n, data: e };
  const a = la.multiplyTransposed(eMat, transpose(yc)); // Qᵀ·Yc: n × m
  const b = la.multiplyTransposed(kt, eMat); // Kt·Q: nt × n
  const vt = transpose(eMat); // row i = Q_i·

  const looScore = new Float64Array(alphas.length * m);
  const predictions: Matrix[] = [];
  const wa = new Float64Array(m * n); // (diag(w)·QᵀYc)ᵀ: m × n
  const loo = new Float64Array(n * m);
  for (let q = 0; q < alphas.length; q++) {
    const alpha = alphas[q];
    const w = s.map((sj) => 1 / (sj + alpha));
    if (interceptDim >= 0) w[interceptDim] = 0; // the intercept is not penalised
    for (let j = 0; j < n; j++) {
      for (let v = 0; v < m; v++) wa[v * n + j] = a.data[j * m + v] * w[j];
    }
    const waMat: Matrix = { rows: m, cols: n, data: wa };
    const c = la.multiplyTransposed(vt, waMat); // G⁻¹·Yc: n × m
    for (let i = 0; i < n; i++) {
      let d = 0; // diag(G⁻¹)_i
      for (let j = 0; j < n; j++) d += vt.data[i * n + j] ** 2 * w[j];
      for (let v = 0; v < m; v++) loo[i * m + v] = yc.data[i * m + v] - c.data[i * m + v] / d;
    }
    for (let v = 0; v < m; v++) {
      if (scoring === "correlation") {
        looScore[q * m + v] = correlationScore(yc.data, loo, n, m, v);
      } else {
        let sse = 0;
        for (let i = 0; i < n; i++) sse += (yc.data[i * m + v] - loo[i * m + v]) ** 2;
        looScore[q * m + v] = -sse / n;
      }
    }
    const p = la.multiplyTransposed(b, waMat); // Kt·c: nt × m
    if (yMean) {
      for (let t = 0; t < nt; t++) for (let v = 0; v < m; v++) p.data[t * m + v] += yMean[v];
    }
    predictions.push(p);
    await tick();
    signal?.throwIfAborted();
  }

  const bestAlphaIndex = new Int32Array(m);
  const bestAlpha = new Float64Array(m);
  const bestScore = new Float64Array(m);
  const prediction = new Float64Array(nt * m);
  for (let v = 0; v < m; v++) {
    let best = 0;
    for (let q = 1; q < alphas.length; q++) {
      if (looScore[q * m + v] > looScore[best * m + v]) best = q; // strictly: ties keep the earlier
    }
    bestAlphaIndex[v] = best;
    bestAlpha[v] = alphas[best];
    bestScore[v] = looScore[best * m + v];
    for (let t = 0; t < nt; t++) prediction[t * m + v] = predictions[best].data[t * m + v];
  }
  return {
    alphas,
    scoring,
    looScore: { rows: alphas.length, cols: m, data: looScore },
    bestAlphaIndex,
    bestAlpha,
    bestScore,
    predictions,
    prediction: { rows: nt, cols: m, data: prediction },
    backend: la.name,
  };
}

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
 *    every scorer. The targets are held target-major (m × n) so that one
 *    contiguous pass per target forms its LOO predictions and scores them
 *    (the target's mean and sum of squares are computed once, not per
 *    alpha).
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
  /**
   * Also return every alpha's test predictions (`predictions`). When false,
   * `predictions` is empty and only each target's own alpha is predicted:
   * one product for all targets after the choice instead of one per alpha.
   * @default true
   */
  everyAlphaPrediction?: boolean;
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
  /** Test predictions of each alpha (each test rows × targets); empty with `everyAlphaPrediction: false`. */
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

// The hot loops of fitRidgePath, as small functions V8 optimizes on their own.

/** out[v·n + j] = a[v·n + j]·w[j] for the m rows of length n. */
function scaleRows(a: Float64Array, w: Float64Array, out: Float64Array, m: number, n: number) {
  for (let v = 0; v < m; v++) {
    const o = v * n;
    for (let j = 0; j < n; j++) out[o + j] = a[o + j] * w[j];
  }
}

/** Adds `row` to every row of the row-major `a` (rows of length row.length). */
function addToRows(a: Float64Array, row: Float64Array) {
  const m = row.length;
  for (let o = 0; o < a.length; o += m) for (let v = 0; v < m; v++) a[o + v] += row[v];
}

/** Each row's mean and sum of squares around it (rows of length n). */
function rowMeansAndSquares(y: Float64Array, n: number, mean: Float64Array, ss: Float64Array) {
  for (let v = 0; v < mean.length; v++) {
    const o = v * n;
    let ma = 0;
    for (let i = 0; i < n; i++) ma += y[o + i];
    ma /= n;
    let saa = 0;
    for (let i = 0; i < n; i++) saa += (y[o + i] - ma) ** 2;
    mean[v] = ma, ss[v] = saa;
  }
}

/**
 * sklearn's `correlation_score` of the tutorial, per target (row v of the
 * target-major `y` and `c`): Pearson r between the training values y and
 * the LOO predictions y − c/d, 0 when either is constant. `yMean` and `ySs`
 * hold each row's mean and sum of squares; `loo` is scratch of length n.
 */
function looCorrelations(
  y: Float64Array,
  c: Float64Array,
  d: Float64Array,
  yMean: Float64Array,
  ySs: Float64Array,
  loo: Float64Array,
  out: Float64Array,
) {
  const n = d.length;
  for (let v = 0; v < out.length; v++) {
    const o = v * n;
    let mb = 0;
    for (let i = 0; i < n; i++) {
      const l = y[o + i] - c[o + i] / d[i];
      loo[i] = l;
      mb += l;
    }
    mb /= n;
    const ma = yMean[v];
    let sab = 0, sbb = 0;
    for (let i = 0; i < n; i++) {
      const u = y[o + i] - ma, x = loo[i] - mb;
      sab += u * x;
      sbb += x * x;
    }
    const den = Math.sqrt(ySs[v]) * Math.sqrt(sbb);
    out[v] = den > 0 ? sab / den : 0;
  }
}

/** Minus the mean squared LOO residual per target (row v of y and c). */
function looSquaredErrors(y: Float64Array, c: Float64Array, d: Float64Array, out: Float64Array) {
  const n = d.length;
  for (let v = 0; v < out.length; v++) {
    const o = v * n;
    let sse = 0;
    for (let i = 0; i < n; i++) {
      const yi = y[o + i];
      sse += (yi - (yi - c[o + i] / d[i])) ** 2;
    }
    out[v] = -sse / n;
  }
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
  // Voxel-major (targets × rows) layouts, so that every target's LOO
  // predictions and their score are one contiguous pass per alpha.
  const ycT = transpose(yc); // m × n
  const aT = la.multiplyTransposed(ycT, eMat).data; // (QᵀYc)ᵀ = Ycᵀ·Q: m × n
  const b = la.multiplyTransposed(kt, eMat); // Kt·Q: nt × n
  const vt = transpose(eMat); // row i = Q_i·
  const q2 = vt.data.map((x) => x * x); // Q², for diag(G⁻¹) = Q²·w
  // Per target, the alpha-independent half of its correlation score: the
  // mean of its training values and the sum of squares around it.
  const yMeanC = new Float64Array(m), ySs = new Float64Array(m);
  if (scoring === "correlation") rowMeansAndSquares(ycT.data, n, yMeanC, ySs);

  const looScore = new Float64Array(alphas.length * m);
  const predictions: Matrix[] = [];
  const waT = new Float64Array(m * n); // (diag(w)·QᵀYc)ᵀ: m × n
  const waMat: Matrix = { rows: m, cols: n, data: waT };
  const d = new Float64Array(n);
  const loo = new Float64Array(n);
  const everyAlpha = options.everyAlphaPrediction ?? true;
  const weights: Float64Array[] = [];
  for (let q = 0; q < alphas.length; q++) {
    const alpha = alphas[q];
    const w = s.map((sj) => 1 / (sj + alpha));
    if (interceptDim >= 0) w[interceptDim] = 0; // the intercept is not penalised
    weights.push(w);
    scaleRows(aT, w, waT, m, n);
    const cT = la.multiplyTransposed(waMat, vt).data; // (G⁻¹·Yc)ᵀ = WAᵀ·Qᵀ: m × n
    for (let i = 0; i < n; i++) {
      let di = 0; // diag(G⁻¹)_i
      for (let j = 0; j < n; j++) di += q2[i * n + j] * w[j];
      d[i] = di;
    }
    // One pass per target: its LOO predictions, then their score.
    if (scoring === "correlation") {
      looCorrelations(ycT.data, cT, d, yMeanC, ySs, loo, looScore.subarray(q * m, (q + 1) * m));
    } else looSquaredErrors(ycT.data, cT, d, looScore.subarray(q * m, (q + 1) * m));
    if (everyAlpha) {
      const p = la.multiplyTransposed(b, waMat); // Kt·c: nt × m
      if (yMean) addToRows(p.data, yMean);
      predictions.push(p);
    }
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
  }
  if (everyAlpha) {
    for (let t = 0; t < nt; t++) { // row by row: contiguous reads and writes
      for (let v = 0; v < m; v++) {
        prediction[t * m + v] = predictions[bestAlphaIndex[v]].data[t * m + v];
      }
    }
  } else {
    // Each target's row of diag(w)·QᵀYc with its own alpha's w, then one product.
    for (let v = 0; v < m; v++) {
      const w = weights[bestAlphaIndex[v]], o = v * n;
      for (let j = 0; j < n; j++) waT[o + j] = aT[o + j] * w[j];
    }
    const p = la.multiplyTransposed(b, waMat).data; // Kt·c: nt × m
    if (yMean) addToRows(p, yMean);
    prediction.set(p);
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

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
  /** Where the time went (wall seconds). */
  seconds: RidgePathSeconds;
}

/** Where {@linkcode solveRidgePath}'s time went, in wall seconds. */
export interface RidgePathSeconds {
  /** Centring Y, QᵀYc and the targets' own sums (once). */
  projection: number;
  /** The dual coefficients G⁻¹·Yc and diag(G⁻¹) of every alpha (BLAS products). */
  looProducts: number;
  /** Every alpha's LOO predictions and their scores. */
  scoring: number;
  /** The choice of each target's alpha and its test predictions. */
  prediction: number;
}

/** (m − mean)ᵀ in one pass (no centred copy), or mᵀ without a mean. */
function centredTranspose(m: Matrix, mean: Float64Array | undefined): Matrix {
  const out = new Float64Array(m.data.length);
  const { rows, cols, data } = m;
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    if (mean) { for (let j = 0; j < cols; j++) out[j * rows + i] = data[o + j] - mean[j]; }
    else for (let j = 0; j < cols; j++) out[j * rows + i] = data[o + j];
  }
  return { rows: cols, cols: rows, data: out };
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

let lastYield = 0;
/**
 * Lets timers and abort events run, at most every 20 ms: a `setTimeout(0)`
 * nested in timer callbacks is clamped to 4 ms, which per alpha and block
 * was a fifth of a 5,000-voxel block's time.
 */
async function tick(): Promise<void> {
  if (performance.now() - lastYield < 20) return;
  await new Promise<void>((r) => setTimeout(r, 0));
  lastYield = performance.now();
}

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
 * the LOO predictions y − c/d (as y − c·(1/d): one division per row, not
 * per target), 0 when either is constant. `yMean` and `ySs` hold each
 * row's mean and sum of squares; `loo` is scratch of length n.
 */
function looCorrelations(
  y: Float64Array,
  c: Float64Array,
  dInv: Float64Array,
  yMean: Float64Array,
  ySs: Float64Array,
  loo: Float64Array,
  out: Float64Array,
) {
  const n = dInv.length;
  // Two accumulators per sum (even and odd rows): the adds of one chain wait on
  // each other, two chains keep the FPU busy.
  const n2 = n - (n % 2);
  for (let v = 0; v < out.length; v++) {
    const o = v * n;
    let mb0 = 0, mb1 = 0;
    for (let i = 0; i < n2; i += 2) {
      const l0 = y[o + i] - c[o + i] * dInv[i];
      const l1 = y[o + i + 1] - c[o + i + 1] * dInv[i + 1];
      loo[i] = l0;
      loo[i + 1] = l1;
      mb0 += l0;
      mb1 += l1;
    }
    if (n2 < n) {
      const l = y[o + n2] - c[o + n2] * dInv[n2];
      loo[n2] = l;
      mb0 += l;
    }
    const mb = (mb0 + mb1) / n;
    const ma = yMean[v];
    let sab0 = 0, sab1 = 0, sbb0 = 0, sbb1 = 0;
    for (let i = 0; i < n2; i += 2) {
      const u0 = y[o + i] - ma, x0 = loo[i] - mb;
      const u1 = y[o + i + 1] - ma, x1 = loo[i + 1] - mb;
      sab0 += u0 * x0;
      sbb0 += x0 * x0;
      sab1 += u1 * x1;
      sbb1 += x1 * x1;
    }
    if (n2 < n) {
      const u = y[o + n2] - ma, x = loo[n2] - mb;
      sab0 += u * x;
      sbb0 += x * x;
    }
    const sab = sab0 + sab1, sbb = sbb0 + sbb1;
    const den = Math.sqrt(ySs[v]) * Math.sqrt(sbb);
    out[v] = den > 0 ? sab / den : 0;
  }
}

/** Minus the mean squared LOO residual per target (row v of y and c; `dInv` = 1/diag(G⁻¹)). */
function looSquaredErrors(y: Float64Array, c: Float64Array, dInv: Float64Array, out: Float64Array) {
  const n = dInv.length;
  for (let v = 0; v < out.length; v++) {
    const o = v * n;
    let sse = 0;
    for (let i = 0; i < n; i++) {
      const yi = y[o + i];
      sse += (yi - (yi - c[o + i] * dInv[i])) ** 2;
    }
    out[v] = -sse / n;
  }
}

/** Options of {@linkcode ridgeDecomposition}. */
export interface RidgeDecompositionOptions {
  /** Fit an unpenalised intercept (centre X with the training means; Y is centred per fit). @default true */
  fitIntercept?: boolean;
  /** Linear algebra: OpenBLAS when available, else TypeScript. @default "auto" */
  backend?: LinearAlgebraChoice | LinearAlgebra;
  /** Stops between the products and the decomposition. */
  signal?: AbortSignal;
}

/**
 * Everything of a ridge path that depends on the features alone (steps 1–2
 * of the module doc and the test kernel of step 6): computed once, it serves
 * any number of target blocks ({@linkcode solveRidgePath}) — every shard of a
 * whole-brain job uses the same one.
 */
export interface RidgeDecomposition {
  /** Training rows (n). */
  trainRows: number;
  /** Test rows (nt). */
  testRows: number;
  /** Whether the intercept is fitted (Y is then centred with its training means). */
  fitIntercept: boolean;
  /** Eigenvalues s of K = Xc·Xcᵀ (+ 1·1ᵀ with the intercept), ascending (n). */
  values: Float64Array;
  /** Eigenvectors Q, row j = eigenvector j (n × n, row-major). */
  vectors: Float64Array;
  /** The eigenvector carrying the intercept (not penalised); -1 without intercept. */
  interceptDim: number;
  /** Kt·Q, the test kernel (test rows centred with the training means) times Q (nt × n). */
  testProjection: Float64Array;
}

/**
 * The feature side of a ridge path: centring, the kernels and one
 * eigendecomposition (see the module doc). `fitRidgePath(x, y, xt)` is
 * `solveRidgePath(await ridgeDecomposition(x, xt), y)`.
 *
 * @throws {RangeError} when the shapes disagree or there are fewer than 2 training rows
 * @example
 * ```ts
 * import { matrix, ridgeDecomposition, solveRidgePath } from "@laion/fmri/analysis";
 * const x = matrix(4, 1, [0, 1, 2, 3]), xt = matrix(1, 1, [4]);
 * const basis = await ridgeDecomposition(x, xt); // once
 * const a = await solveRidgePath(basis, matrix(4, 1, [0, 2, 4, 7]), { alphas: [0.001, 100] });
 * const b = await solveRidgePath(basis, matrix(4, 1, [1, 1, 2, 2]), { alphas: [0.001, 100] });
 * console.log(a.prediction.data, b.bestAlpha);
 * ```
 */
export async function ridgeDecomposition(
  xTrain: Matrix,
  xTest: Matrix,
  options: RidgeDecompositionOptions = {},
): Promise<RidgeDecomposition> {
  checkMatrix(xTrain, "xTrain");
  checkMatrix(xTest, "xTest");
  if (xTest.cols !== xTrain.cols) {
    throw new RangeError(
      `xTest (${shapeOf(xTest)}) needs the columns of xTrain (${shapeOf(xTrain)})`,
    );
  }
  if (xTrain.rows < 2) throw new RangeError(`ridge needs 2+ training rows, got ${xTrain.rows}`);
  const la = backendOf(options.backend);
  const { signal } = options;
  const intercept = options.fitIntercept ?? true;
  signal?.throwIfAborted();
  const xMean = intercept ? means(xTrain) : undefined;
  const xc = centre(xTrain, xMean), xt = centre(xTest, xMean);
  const n = xTrain.rows;
  const k = la.multiplyTransposed(xc, xc);
  if (intercept) { for (let i = 0; i < n * n; i++) k.data[i] += 1; // + 1·1ᵀ: the intercept column
   }
  const kt = la.multiplyTransposed(xt, xc);
  await tick();
  signal?.throwIfAborted();
  const { values, vectors } = la.symmetricEigen(k); // row j of vectors = eigenvector j
  await tick();
  signal?.throwIfAborted();
  // The eigenvector most aligned with the ones vector carries the intercept
  // (sklearn's _find_smallest_angle: the first largest |cosine|).
  let interceptDim = -1;
  if (intercept) {
    let best = -1;
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += vectors[j * n + i];
      const cos = Math.abs(dot) / Math.sqrt(n);
      if (cos > best) best = cos, interceptDim = j;
    }
  }
  const testProjection = la.multiplyTransposed(kt, { rows: n, cols: n, data: vectors }).data;
  return {
    trainRows: n,
    testRows: xTest.rows,
    fitIntercept: intercept,
    values,
    vectors,
    interceptDim,
    testProjection,
  };
}

function backendOf(backend: RidgePathOptions["backend"]): LinearAlgebra {
  return typeof backend === "object" ? backend : linearAlgebra(backend ?? "auto");
}

/** Throws a RangeError naming the first part of `d` that is not a decomposition of n train and nt test rows. */
function checkDecomposition(d: RidgeDecomposition): void {
  const n = d.trainRows, nt = d.testRows;
  const bad = !Number.isInteger(n) || n < 2 || !Number.isInteger(nt) || nt < 0
    ? `trainRows ${n} / testRows ${nt}`
    : d.values.length !== n
    ? `values (${d.values.length}, expected ${n})`
    : d.vectors.length !== n * n
    ? `vectors (${d.vectors.length}, expected ${n * n})`
    : d.testProjection.length !== nt * n
    ? `testProjection (${d.testProjection.length}, expected ${nt * n})`
    : !Number.isInteger(d.interceptDim) || d.interceptDim < -1 || d.interceptDim >= n ||
        (d.interceptDim >= 0) !== d.fitIntercept
    ? `interceptDim ${d.interceptDim} (fitIntercept ${d.fitIntercept})`
    : undefined;
  if (bad) throw new RangeError(`not a ridge decomposition: ${bad}`);
}

/**
 * Fits ridge regressions of `yTrain` on `xTrain` for every alpha from one
 * eigendecomposition, picks each target's alpha by efficient leave-one-out
 * on the training rows only (scored as `options.scoring` says), and
 * predicts `xTest`. See the module doc for the algebra; with many target
 * blocks on the same features, {@linkcode ridgeDecomposition} once and
 * {@linkcode solveRidgePath} per block give the same numbers.
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
  if (yTrain.rows !== xTrain.rows) {
    throw new RangeError(
      `xTrain (${shapeOf(xTrain)}) and yTrain (${shapeOf(yTrain)}) need the same rows`,
    );
  }
  checkOptions(options);
  const la = backendOf(options.backend);
  const decomposition = await ridgeDecomposition(xTrain, xTest, {
    fitIntercept: options.fitIntercept,
    backend: la,
    signal: options.signal,
  });
  return await solveRidgePath(decomposition, yTrain, { ...options, backend: la });
}

/** Throws a RangeError for bad alphas or scoring. */
function checkOptions(options: SolveRidgePathOptions): void {
  const alphas = options.alphas ?? TUTORIAL_ALPHAS;
  if (alphas.length === 0 || alphas.some((a) => !(a > 0) || !Number.isFinite(a))) {
    throw new RangeError(`alphas must be finite and > 0, got [${[...alphas].join(", ")}]`);
  }
  const scoring = options.scoring ?? "correlation";
  if (scoring !== "correlation" && scoring !== "squaredError") {
    throw new RangeError(
      `scoring must be "correlation" or "squaredError", got ${JSON.stringify(scoring)}`,
    );
  }
}

/** Options of {@linkcode solveRidgePath}: those of a path, less the decomposition's own. */
export type SolveRidgePathOptions = Omit<RidgePathOptions, "fitIntercept">;

/**
 * The target side of a ridge path (steps 3–6 of the module doc) on a
 * decomposition from {@linkcode ridgeDecomposition}: every alpha's LOO
 * score, each target's choice and its test predictions. Blocks of targets
 * solved on one decomposition give each target the numbers it gets in one
 * call with all of them, up to the last bit of BLAS's blocking.
 *
 * @throws {RangeError} when `yTrain` does not have the decomposition's training rows
 * @example
 * ```ts
 * import { matrix, ridgeDecomposition, solveRidgePath } from "@laion/fmri/analysis";
 * const basis = await ridgeDecomposition(matrix(4, 1, [0, 1, 2, 3]), matrix(1, 1, [4]));
 * const fit = await solveRidgePath(basis, matrix(4, 1, [0, 2, 4, 7]), { alphas: [0.001, 100] });
 * console.log(fit.bestAlpha); // [0.001]
 * ```
 */
export async function solveRidgePath(
  decomposition: RidgeDecomposition,
  yTrain: Matrix,
  options: SolveRidgePathOptions = {},
): Promise<RidgePath> {
  checkDecomposition(decomposition);
  checkMatrix(yTrain, "yTrain");
  const { trainRows: n, testRows: nt, values: s, interceptDim } = decomposition;
  if (yTrain.rows !== n) {
    throw new RangeError(
      `yTrain (${shapeOf(yTrain)}) needs the decomposition's ${n} training rows`,
    );
  }
  checkOptions(options);
  const alphas = Float64Array.from(options.alphas ?? TUTORIAL_ALPHAS);
  const scoring = options.scoring ?? "correlation";
  const la = backendOf(options.backend);
  const signal = options.signal;
  signal?.throwIfAborted();
  const t0 = performance.now();
  let looProducts = 0, scoringMs = 0;
  const yMean = decomposition.fitIntercept ? means(yTrain) : undefined;
  const m = yTrain.cols;
  const eMat: Matrix = { rows: n, cols: n, data: decomposition.vectors };
  // Voxel-major (targets × rows) layouts, so that every target's LOO
  // predictions and their score are one contiguous pass per alpha.
  const ycT = centredTranspose(yTrain, yMean); // m × n
  const aT = la.multiplyTransposed(ycT, eMat).data; // (QᵀYc)ᵀ = Ycᵀ·Q: m × n
  const b: Matrix = { rows: nt, cols: n, data: decomposition.testProjection }; // Kt·Q
  const vt = centredTranspose(eMat, undefined); // row i = Q_i·
  const q2 = vt.data.map((x) => x * x); // Q², for diag(G⁻¹) = Q²·w
  // Per target, the alpha-independent half of its correlation score: the
  // mean of its training values and the sum of squares around it.
  const yMeanC = new Float64Array(m), ySs = new Float64Array(m);
  if (scoring === "correlation") rowMeansAndSquares(ycT.data, n, yMeanC, ySs);

  const looScore = new Float64Array(alphas.length * m);
  const predictions: Matrix[] = [];
  const waT = new Float64Array(m * n); // (diag(w)·QᵀYc)ᵀ: m × n
  const waMat: Matrix = { rows: m, cols: n, data: waT };
  // One m × n buffer for every alpha's dual coefficients: a fresh multi-megabyte
  // array per alpha costs its page faults again (measured: twice the product's time).
  const cT = new Float64Array(m * n);
  const qw: Matrix = { rows: n, cols: n, data: new Float64Array(n * n) }; // Q·diag(w)
  const d = new Float64Array(n); // 1 / diag(G⁻¹)
  const loo = new Float64Array(n);
  const everyAlpha = options.everyAlphaPrediction ?? true;
  const weights: Float64Array[] = [];
  const t1 = performance.now();
  for (let q = 0; q < alphas.length; q++) {
    const ta = performance.now();
    const alpha = alphas[q];
    const w = s.map((sj) => 1 / (sj + alpha));
    if (interceptDim >= 0) w[interceptDim] = 0; // the intercept is not penalised
    weights.push(w);
    // (G⁻¹·Yc)ᵀ = (Q·diag(w)·QᵀYc)ᵀ = Ycᵀ·Q · (Q·diag(w))ᵀ: the weights scale the n × n
    // factor, not the m × n one.
    scaleRows(vt.data, w, qw.data, n, n);
    la.multiplyTransposed({ rows: m, cols: n, data: aT }, qw, cT);
    for (let i = 0; i < n; i++) {
      let di = 0; // diag(G⁻¹)_i
      for (let j = 0; j < n; j++) di += q2[i * n + j] * w[j];
      d[i] = 1 / di;
    }
    const tb = performance.now();
    // One pass per target: its LOO predictions, then their score.
    if (scoring === "correlation") {
      looCorrelations(ycT.data, cT, d, yMeanC, ySs, loo, looScore.subarray(q * m, (q + 1) * m));
    } else looSquaredErrors(ycT.data, cT, d, looScore.subarray(q * m, (q + 1) * m));
    looProducts += tb - ta;
    scoringMs += performance.now() - tb;
    if (everyAlpha) {
      scaleRows(aT, w, waT, m, n);
      const p = la.multiplyTransposed(b, waMat); // Kt·c: nt × m
      if (yMean) addToRows(p.data, yMean);
      predictions.push(p);
    }
    await tick();
    signal?.throwIfAborted();
  }

  const t2 = performance.now();
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
    seconds: {
      projection: (t1 - t0) / 1000,
      // with every alpha's predictions, their products count here too
      looProducts: looProducts / 1000,
      scoring: scoringMs / 1000,
      prediction: (performance.now() - t2) / 1000,
    },
  };
}

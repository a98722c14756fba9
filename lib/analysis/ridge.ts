/**
 * Ridge regression for many targets at once, for every alpha from one
 * eigendecomposition of the training kernel K = X·Xᵀ, with each target's
 * (voxel's) alpha chosen by exact leave-one-out cross-validation on the
 * training rows, the way sklearn's `RidgeCV(alphas, alpha_per_target=True)`
 * does it (its default "efficient LOO"/GCV mode, intercept not penalised).
 *
 * With K = V·diag(s)·Vᵀ and G(α) = K + αI, the dual coefficients are
 * c = G⁻¹·Y = V·diag(1/(s+α))·Vᵀ·Y, the leave-one-out residual of row i is
 * c_i / (G⁻¹)_ii, and the unpenalised intercept (data centred with the
 * training means) removes 1·1ᵀ/(nα) from G⁻¹ (K·1 = 0 after centring).
 * The error of an alpha is the mean squared LOO residual over the training
 * rows; the smallest error wins (the first, i.e. smallest, alpha on ties).
 * Test predictions are X_test·X_trainᵀ·c + mean(Y_train).
 * @module
 */
import { type LinearAlgebra, linearAlgebra, type LinearAlgebraChoice } from "./linalg.ts";
import { checkMatrix, type Matrix, shapeOf } from "./matrix.ts";

/** The tutorial's alphas: `numpy.logspace(0, 6, 13)` (1 … 10⁶, half-decade steps). */
export const TUTORIAL_ALPHAS: readonly number[] = Object.freeze(
  Array.from({ length: 13 }, (_, i) => 10 ** (i / 2)),
);

/** Options of {@linkcode fitRidgePath}. */
export interface RidgePathOptions {
  /** Candidate penalties, all > 0. @default TUTORIAL_ALPHAS (logspace(0, 6, 13)) */
  alphas?: readonly number[];
  /** Fit an unpenalised intercept (centre X and Y with the training means). @default true */
  fitIntercept?: boolean;
  /** Linear algebra: OpenBLAS when available, else TypeScript. @default "auto" */
  backend?: LinearAlgebraChoice | LinearAlgebra;
  /** Stops between steps and alphas. */
  signal?: AbortSignal;
}

/** Every alpha's predictions and LOO errors, and the per-target choice. */
export interface RidgePath {
  /** The candidate alphas, in the order given. */
  alphas: Float64Array;
  /** Mean squared leave-one-out residual on the training rows (alphas × targets). */
  looError: Matrix;
  /** Index into `alphas` chosen for each target. */
  bestAlphaIndex: Int32Array;
  /** The alpha chosen for each target. */
  bestAlpha: Float64Array;
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
 * Fits ridge regressions of `yTrain` on `xTrain` for every alpha from one
 * eigendecomposition, picks each target's alpha by leave-one-out CV on the
 * training rows only, and predicts `xTest`.
 *
 * @example
 * ```ts
 * import { fitRidgePath, matrix } from "@laion/fmri";
 * const x = matrix(4, 1, [0, 1, 2, 3]), y = matrix(4, 1, [0, 2, 4, 6]);
 * const fit = await fitRidgePath(x, y, matrix(1, 1, [4]), { alphas: [0.001, 1] });
 * console.log(fit.bestAlpha, fit.prediction.data); // [0.001] [~8]
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
  const kt = la.multiplyTransposed(xt, xc);
  await tick();
  signal?.throwIfAborted();
  const { values: s, vectors: e } = la.symmetricEigen(k); // row j of e = eigenvector j
  await tick();
  signal?.throwIfAborted();
  const eMat: Matrix = { rows: n, cols: n, data: e };
  const a = la.multiplyTransposed(eMat, transpose(yc)); // Vᵀ·Y: n × m
  const b = la.multiplyTransposed(kt, eMat); // K_test·V: nt × m
  const vt = transpose(eMat); // row i = V_i·

  const looError = new Float64Array(alphas.length * m);
  const predictions: Matrix[] = [];
  const wa = new Float64Array(m * n); // (diag(w)·A)ᵀ: m × n
  for (let q = 0; q < alphas.length; q++) {
    const alpha = alphas[q];
    const w = s.map((sj) => 1 / (sj + alpha));
    for (let j = 0; j < n; j++) {
      for (let v = 0; v < m; v++) wa[v * n + j] = a.data[j * m + v] * w[j];
    }
    const waMat: Matrix = { rows: m, cols: n, data: wa };
    const c = la.multiplyTransposed(vt, waMat); // n × m
    const dropOne = intercept ? 1 / (n * alpha) : 0;
    for (let i = 0; i < n; i++) {
      let d = -dropOne;
      for (let j = 0; j < n; j++) d += vt.data[i * n + j] ** 2 * w[j];
      for (let v = 0; v < m; v++) looError[q * m + v] += (c.data[i * m + v] / d) ** 2;
    }
    for (let v = 0; v < m; v++) looError[q * m + v] /= n;
    const p = la.multiplyTransposed(b, waMat); // nt × m
    if (yMean) {
      for (let t = 0; t < nt; t++) for (let v = 0; v < m; v++) p.data[t * m + v] += yMean[v];
    }
    predictions.push(p);
    await tick();
    signal?.throwIfAborted();
  }

  const bestAlphaIndex = new Int32Array(m);
  const bestAlpha = new Float64Array(m);
  const prediction = new Float64Array(nt * m);
  for (let v = 0; v < m; v++) {
    let best = 0;
    for (let q = 1; q < alphas.length; q++) {
      if (looError[q * m + v] < looError[best * m + v]) best = q;
    }
    bestAlphaIndex[v] = best;
    bestAlpha[v] = alphas[best];
    for (let t = 0; t < nt; t++) prediction[t * m + v] = predictions[best].data[t * m + v];
  }
  return {
    alphas,
    looError: { rows: alphas.length, cols: m, data: looError },
    bestAlphaIndex,
    bestAlpha,
    predictions,
    prediction: { rows: nt, cols: m, data: prediction },
    backend: la.name,
  };
}

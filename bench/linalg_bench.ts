/**
 * The encoding model's two heavy steps at the tutorial's shapes: the kernel
 * X·Xᵀ of 900 images × 1024 CLIP features, and the 900×900 symmetric
 * eigendecomposition that gives every ridge alpha from one decomposition.
 * Four ways: OpenBLAS through Deno FFI, plain TypeScript (lib/analysis),
 * ml-matrix (npm), and numpy in Debian's /usr/bin/python3 (the reference).
 * Prints the median time of a few runs and the ratio against numpy.
 *
 *   deno task bench:linalg
 */
import { EigenvalueDecomposition, Matrix as MlMatrix } from "ml-matrix";
import { symmetricEigenTs } from "../lib/analysis/eigen_ts.ts";
import { type Matrix, matrix, multiplyTransposedTs } from "../lib/analysis/matrix.ts";
import { fitRidgePath } from "../lib/analysis/ridge.ts";

/** The numpy side's `np.logspace(0, 6, 13)`. */
const ALPHAS = Array.from({ length: 13 }, (_, i) => 10 ** (i / 2));
import { linearAlgebra } from "../lib/analysis/linalg.ts";
import {
  multiplyTransposedBlas,
  openblasAvailable,
  symmetricEigenBlas,
} from "../lib/analysis/openblas.ts";

const N = 900, P = 1024;

function data(): Matrix {
  // A deterministic generator shared with the Python side (same formula).
  const x = new Float64Array(N * P);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.618034) + Math.cos(i * 0.0013);
  return matrix(N, P, x);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time<T>(runs: number, f: () => T): { ms: number; last: T } {
  const t: number[] = [];
  let last!: T;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    last = f();
    t.push(performance.now() - t0);
  }
  return { ms: median(t), last };
}

const PY = `
import json, time, numpy as np
N, P = ${N}, ${P}
i = np.arange(N * P, dtype=np.float64)
X = (np.sin(i * 0.618034) + np.cos(i * 0.0013)).reshape(N, P)
def med(f, runs):
    t = []
    for _ in range(runs):
        t0 = time.perf_counter(); r = f(); t.append((time.perf_counter() - t0) * 1000)
    return sorted(t)[len(t) // 2], r
g, K = med(lambda: X @ X.T, 5)
e, (w, V) = med(lambda: np.linalg.eigh(K), 3)
s, _ = med(lambda: np.linalg.svd(X, full_matrices=False), 3)
import numpy.__config__ as c
blas = "?"
try:
    blas = c.get_info("blas_opt_info").get("libraries", ["?"])
except Exception:
    pass
# The whole ridge path at the tutorial's shapes, same algorithm as lib/analysis/ridge.ts.
Y = np.cos(np.arange(N * 222, dtype=np.float64) * 0.37).reshape(N, 222) + X[:, :222] * 0.01
def ridge_path():
    xtr, xte, ytr = X[0::2], X[1::2], Y[0::2]
    xm, ym = xtr.mean(0), ytr.mean(0)
    xc, xt, yc = xtr - xm, xte - xm, ytr - ym
    n = xc.shape[0]
    s, V = np.linalg.eigh(xc @ xc.T)
    A = V.T @ yc
    B = (xt @ xc.T) @ V
    errs, preds = [], []
    for a in np.logspace(0, 6, 13):
        w = 1 / (s + a)
        c = V @ (w[:, None] * A)
        d = (V ** 2) @ w - 1 / (n * a)
        errs.append(((c / d[:, None]) ** 2).mean(0))
        preds.append(B @ (w[:, None] * A) + ym)
    return np.argmin(np.array(errs), 0)
rp, best = med(ridge_path, 3)
print(json.dumps({"gram": g, "eigh": e, "svd": s, "ridge": rp, "best": best.tolist(), "top": float(w[-1]), "numpy": np.__version__, "blas": str(blas)}))
`;

async function numpy(): Promise<Record<string, number | string>> {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", PY],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

const x = data();
const py = await numpy();
const rows: [string, number, number, number][] = [];

if (openblasAvailable()) {
  const g = time(5, () => multiplyTransposedBlas(x, x));
  const e = time(3, () => symmetricEigenBlas(g.last));
  rows.push(["OpenBLAS via Deno FFI", g.ms, e.ms, e.last.values[N - 1]]);
} else {
  console.log("OpenBLAS: not available (needs --allow-ffi and libopenblas0-pthread)");
}
{
  const g = time(3, () => multiplyTransposedTs(x, x));
  const e = time(3, () => symmetricEigenTs(g.last));
  rows.push(["plain TypeScript (lib/analysis)", g.ms, e.ms, e.last.values[N - 1]]);
}
{
  const xm = new MlMatrix(N, P);
  for (let i = 0; i < N; i++) for (let j = 0; j < P; j++) xm.set(i, j, x.data[i * P + j]);
  const g = time(3, () => xm.mmul(xm.transpose()));
  const e = time(1, () => new EigenvalueDecomposition(g.last, { assumeSymmetric: true }));
  const ev = e.last.realEigenvalues;
  rows.push(["ml-matrix 6.15.1", g.ms, e.ms, Math.max(...ev)]);
}
rows.push([
  `numpy ${py.numpy} (/usr/bin/python3)`,
  py.gram as number,
  py.eigh as number,
  py.top as number,
]);

const ref = rows[rows.length - 1];
console.log(`X ${N}x${P} float64; K = X·Xᵀ ${N}x${N}; median of runs (ms); ratio = time / numpy`);
console.log(
  "backend".padEnd(34) + "X·Xᵀ ms".padStart(10) + "ratio".padStart(8) + "eigh ms".padStart(10) +
    "ratio".padStart(8) + "  largest eigenvalue",
);
for (const [name, g, e, top] of rows) {
  console.log(
    name.padEnd(34) + g.toFixed(1).padStart(10) + (g / ref[1]).toFixed(2).padStart(8) +
      e.toFixed(1).padStart(10) + (e / ref[2]).toFixed(2).padStart(8) + `  ${top.toPrecision(12)}`,
  );
}
console.log(`numpy thin SVD of X (${N}x${P}): ${(py.svd as number).toFixed(1)} ms`);

// The whole ridge path: 450 train / 450 test images x 1024 features x 222 voxels, 13 alphas.
const y = matrix(N, 222);
for (let i = 0; i < N; i++) {
  for (let j = 0; j < 222; j++) {
    y.data[i * 222 + j] = Math.cos((i * 222 + j) * 0.37) + x.data[i * P + j] * 0.01;
  }
}
const pick = (m: Matrix, start: number) => {
  const idx = Array.from({ length: m.rows / 2 }, (_, k) => 2 * k + start);
  const out = matrix(idx.length, m.cols);
  idx.forEach((r, k) => out.data.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), k * m.cols));
  return out;
};
const [xTrain, xTest, yTrain] = [pick(x, 0), pick(x, 1), pick(y, 0)];
console.log(
  `fitRidgePath: ${N / 2} train / ${
    N / 2
  } test x ${P} features x 222 voxels, ${ALPHAS.length} alphas (squared-error LOO, as numpy below)`,
);
for (const backend of ["openblas", "typescript"] as const) {
  if (backend === "openblas" && !openblasAvailable()) continue;
  const t: number[] = [];
  let same = true;
  for (let r = 0; r < (backend === "openblas" ? 3 : 1); r++) {
    const t0 = performance.now();
    const fit = await fitRidgePath(xTrain, yTrain, xTest, {
      alphas: ALPHAS,
      scoring: "squaredError",
      backend: linearAlgebra(backend),
    });
    t.push(performance.now() - t0);
    same &&= [...fit.bestAlphaIndex].every((b, v) => b === (py.best as unknown as number[])[v]);
  }
  const ms = median(t);
  console.log(
    `  ${backend.padEnd(12)} ${ms.toFixed(1).padStart(9)} ms  ratio ${
      (ms / (py.ridge as number)).toFixed(2)
    }` +
      `  alphas equal to numpy's: ${same}`,
  );
}
console.log(`  numpy (same algorithm) ${(py.ridge as number).toFixed(1)} ms`);

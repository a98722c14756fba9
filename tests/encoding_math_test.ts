// The encoding-model math (lib/analysis) on hand-checkable cases, and a
// planted-signal problem checked against an independent numpy reference
// (tests/reference/tutorial_ref.py: scikit-learn's RidgeCV and scipy in Debian's
// /usr/bin/python3).
import assert from "node:assert/strict";
import { averageRepeatRows, averageRepeats } from "../lib/analysis/repeats.ts";
import { alternateSplit } from "../lib/analysis/split.ts";
import { indicesAbove, splitHalfReliability } from "../lib/analysis/reliability.ts";
import { columnStats, standardize } from "../lib/analysis/standardize.ts";
import {
  median,
  pearson,
  pearsonColumns,
  pearsonColumnsOfRows,
  ranks,
  spearman,
} from "../lib/analysis/stats.ts";
import { correlationRdm, wrsa } from "../lib/analysis/rdm.ts";
import {
  fitRidgePath,
  ridgeDecomposition,
  solveRidgePath,
  TUTORIAL_ALPHAS,
} from "../lib/analysis/ridge.ts";
import { fitVoxelwise, voxelwiseDecomposition } from "../lib/jobs/voxelwise.ts";
import { fitEncodingModel } from "../lib/analysis/encoding.ts";
import { linearAlgebra } from "../lib/analysis/linalg.ts";
import { symmetricEigenTs } from "../lib/analysis/eigen_ts.ts";
import { type Matrix, matrix, multiplyTransposedTs, takeRows } from "../lib/analysis/matrix.ts";
import {
  multiplyTransposedBlas,
  openblasAvailable,
  symmetricEigenBlas,
} from "../lib/analysis/openblas.ts";
import { repoPath } from "./_helpers.ts";

const close = (a: number, b: number, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b} (tol ${tol})`);

Deno.test("averageRepeats: means, odd/even repeats in trial order, sorted images", () => {
  const trials = matrix(5, 2, [1, 0, 10, 5, 3, 2, 20, 7, 5, 4]);
  const a = averageRepeats(trials, ["b", "a", "b", "a", "b"]);
  assert.deepEqual(a.images, ["a", "b"]);
  assert.deepEqual([...a.counts], [2, 3]);
  assert.deepEqual([...a.mean.data], [15, 6, 3, 2]);
  assert.deepEqual([...a.oddMean.data], [10, 5, 3, 2]); // b: repeats 1 and 3 -> (1+5)/2
  assert.deepEqual([...a.evenMean.data], [20, 7, 3, 2]); // b: repeat 2 -> 3
  assert.deepEqual(averageRepeats(trials, ["x", "a", "x", "a", "y"]).images, ["a", "x"]);
  assert.throws(
    () => averageRepeats(trials, ["a"]),
    /1 image names for 5 trial rows \(shape 5x2\)/,
  );
});

Deno.test("matrix widens float16 (CLIP features) and float32 to float64; shape errors name shapes", () => {
  assert.deepEqual([...matrix(1, 3, new Float16Array([0.5, 1.5, -2])).data], [0.5, 1.5, -2]);
  assert.ok(matrix(1, 1, new Float32Array([0.1])).data instanceof Float64Array);
  assert.throws(() => matrix(2, 3, [1, 2]), /2 values do not fill a 2x3 matrix/);
  assert.throws(
    () => multiplyTransposedTs(matrix(2, 3), matrix(2, 4)),
    /A \(2x3\) · Bᵀ \(B 2x4\) needs equal column counts/,
  );
});

Deno.test("alternateSplit: sorted order, train = [::2], test = [1::2]", () => {
  assert.deepEqual(alternateSplit(["d", "b", "a", "c", "e"]), { train: [2, 3, 4], test: [1, 0] });
  assert.deepEqual(alternateSplit(4), { train: [0, 2], test: [1, 3] });
  assert.throws(() => alternateSplit(-1), RangeError);
});

Deno.test("pearson, spearman, ranks, median, pearsonColumns", () => {
  close(pearson([1, 2, 3], [2, 4, 6]), 1);
  close(pearson([1, 2, 3], [3, 2, 1]), -1);
  close(pearson([1, 2, 3, 4], [1, 3, 2, 4]), 0.8);
  assert.ok(Number.isNaN(pearson([1, 1, 1], [1, 2, 3])));
  assert.deepEqual([...ranks([10, 30, 20, 20])], [1, 4, 2.5, 2.5]);
  close(spearman([1, 2, 3, 4], [1, 8, 27, 64]), 1);
  close(spearman([1, 2, 3, 4], [1, 3, 2, 4]), 0.8);
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, NaN, 2, 3]), 2.5);
  const r = pearsonColumns(matrix(3, 2, [1, 1, 2, 0, 3, 1]), matrix(3, 2, [1, 0, 2, 1, 3, 0]));
  close(r[0], 1);
  close(r[1], -1);
  assert.throws(
    () => pearsonColumns(matrix(3, 2), matrix(2, 3)),
    /a \(3x2\) and b \(2x3\) must have the same shape/,
  );
});

Deno.test("splitHalfReliability: per-voxel r of odd vs even means, Spearman-Brown optional", () => {
  const odd = matrix(4, 2, [1, 1, 2, 2, 3, 1, 4, 2]);
  const even = matrix(4, 2, [1, 2, 2, 1, 3, 2, 4, 1]);
  const r = splitHalfReliability(odd, even);
  close(r[0], 1);
  close(r[1], -1);
  const r2 = splitHalfReliability(
    matrix(4, 1, [1, 2, 3, 4]),
    matrix(4, 1, [1, 3, 2, 4]),
    { spearmanBrown: true },
  );
  close(r2[0], 1.6 / 1.8); // r = 0.8 -> 2r/(1+r)
  assert.deepEqual(indicesAbove([0.2, 0.21, NaN, -1, 0.9], 0.2), [1, 4]);
});

Deno.test("standardize: training statistics (ddof 0) applied to test; constant columns centred", () => {
  const { train, test, stats } = standardize(
    matrix(2, 2, [1, 5, 3, 5]),
    matrix(1, 2, [5, 7]),
  );
  assert.deepEqual([...train.data], [-1, 0, 1, 0]);
  assert.deepEqual([...test.data], [3, 2]);
  assert.deepEqual([...stats.std], [1, 1]);
  assert.deepEqual([...columnStats(matrix(3, 1, [0, 0, 3])).mean], [1]);
  assert.throws(() => standardize(matrix(2, 2), matrix(2, 3)), /train \(2x2\) and test \(2x3\)/);
});

Deno.test("correlationRdm in pdist order, and wrsa", () => {
  const y = matrix(3, 2, [1, 2, 2, 1, 1, 3]);
  correlationRdm(y).forEach((d, i) => close(d, [2, 0, 2][i], 1e-12));
  const a = matrix(4, 3, [1, 2, 3, 3, 1, 2, 2, 3, 9, 0, 5, 1]);
  close(wrsa(a, a), 1);
  // A monotone change of every distance keeps rho = 1 only if the order holds:
  // scaling each row keeps correlation distances exactly.
  const scaled = matrix(4, 3, a.data.map((v, i) => v * (1 + Math.floor(i / 3))));
  close(wrsa(a, scaled), 1);
  assert.throws(() => wrsa(a, matrix(3, 3)), /measured \(4x3\) and predicted \(3x3\)/);
});

Deno.test("ridge: one alpha, no noise, matches the closed form; LOO picks the small alpha", async () => {
  const x = matrix(5, 1, [0, 1, 2, 3, 4]), y = matrix(5, 1, [1, 3, 5, 7, 9]);
  const fit = await fitRidgePath(x, y, matrix(1, 1, [5]), {
    alphas: [1e-6, 10],
    backend: "typescript",
  });
  assert.deepEqual([...fit.bestAlphaIndex], [0]);
  close(fit.prediction.data[0], 11, 1e-5);
  // alpha 10 on centred x (sum x^2 = 10): slope 2*10/(10+10) = 1, prediction 5 + (5-2)*1 = 8.
  close(fit.predictions[1].data[0], 8, 1e-12);
  assert.deepEqual([...TUTORIAL_ALPHAS], [0.1, 1, 10, 100, 1000, 10000, 100000]);
  await assert.rejects(
    fitRidgePath(matrix(3, 2), matrix(4, 1), matrix(1, 2)),
    /xTrain \(3x2\) and yTrain \(4x1\) need the same rows/,
  );
  await assert.rejects(fitRidgePath(x, y, x, { alphas: [0] }), /alphas must be finite and > 0/);
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(fitRidgePath(x, y, x, { signal: ac.signal }), { name: "AbortError" });
});

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
}

function gaussian(u: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

Deno.test("linear algebra: TypeScript and OpenBLAS agree on A·Bᵀ and eigenpairs", () => {
  const g = gaussian(lcg(7));
  const a = matrix(40, 30, Array.from({ length: 1200 }, g));
  const k = multiplyTransposedTs(a, a);
  const eig = symmetricEigenTs(k);
  for (let j = 0; j < 40; j++) {
    const v = eig.vectors.subarray(j * 40, (j + 1) * 40);
    for (let i = 0; i < 40; i++) {
      let s = 0;
      for (let t = 0; t < 40; t++) s += k.data[i * 40 + t] * v[t];
      close(s, eig.values[j] * v[i], 1e-9);
    }
  }
  if (!openblasAvailable()) {
    throw new Error("OpenBLAS missing: apt-get install libopenblas0-pthread");
  }
  assert.equal(linearAlgebra().name, "openblas");
  const kb = multiplyTransposedBlas(a, a);
  k.data.forEach((v, i) => close(v, kb.data[i], 1e-10));
  const b = matrix(7, 30, Array.from({ length: 210 }, g));
  const ab = multiplyTransposedBlas(a, b), at = multiplyTransposedTs(a, b);
  at.data.forEach((v, i) => close(v, ab.data[i], 1e-10));
  symmetricEigenBlas(k).values.forEach((v, i) => close(v, eig.values[i], 1e-9));
});

interface Problem {
  trials: Matrix;
  names: string[];
  features: Matrix;
}

/** 200 images x 64 features, 50 voxels with SNR from high to none, 4 repeats each. */
function plantedProblem(): Problem {
  const g = gaussian(lcg(2024));
  const nImg = 200, nFeat = 64, nVox = 50, reps = 4;
  const features = matrix(nImg, nFeat, Array.from({ length: nImg * nFeat }, () => 0.5 + g()));
  const w = Array.from({ length: nFeat * nVox }, g);
  const signal = new Float64Array(nImg * nVox);
  for (let i = 0; i < nImg; i++) {
    for (let v = 0; v < nVox; v++) {
      let s = 0;
      for (let f = 0; f < nFeat; f++) s += features.data[i * nFeat + f] * w[f * nVox + v];
      signal[i * nVox + v] = s / Math.sqrt(nFeat);
    }
  }
  const noise = Array.from({ length: nVox }, (_, v) => 0.3 * Math.exp(v / 10)); // SNR falls
  const order = Array.from({ length: nImg * reps }, (_, t) => t % nImg);
  const u = lcg(99);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(u() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const trials = matrix(order.length, nVox);
  order.forEach((img, t) => {
    for (let v = 0; v < nVox; v++) {
      trials.data[t * nVox + v] = signal[img * nVox + v] + noise[v] * g() + 0.1 * v;
    }
  });
  const names = order.map((i) => `shared_img_${String(i).padStart(4, "0")}.jpg`);
  return { trials, names, features };
}

Deno.test("encoding model agrees with sklearn's RidgeCV + scipy (1e-6; alphas exact)", async () => {
  const p = plantedProblem();
  const averages = averageRepeats(p.trials, p.names, { minRepeats: 1 });
  const rows = (m: Matrix) =>
    Array.from({ length: m.rows }, (_, i) => [...m.data.subarray(i * m.cols, (i + 1) * m.cols)]);
  // features are per image in sorted-name order: image k is "shared_img_000k".
  const dir = await Deno.makeTempDir({ prefix: "encoding_ref_" });
  try {
    await Deno.writeTextFile(
      `${dir}/problem.json`,
      JSON.stringify({
        subject: "sub-01",
        roi: "FFA1",
        sessions: ["ses-01"],
        betas: rows(p.trials),
        labels: p.names,
        featureImages: averages.images,
        features: rows(p.features),
        alphas: TUTORIAL_ALPHAS,
        threshold: 0.2,
      }),
    );
    const out = await new Deno.Command("/usr/bin/python3", {
      args: [repoPath("tests/reference/tutorial_ref.py"), `${dir}/problem.json`, `${dir}/out.json`],
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const ref = JSON.parse(await Deno.readTextFile(`${dir}/out.json`));
    assert.deepEqual(averages.images, ref.images);
    for (const backend of ["typescript", "openblas"] as const) {
      const fit = await fitEncodingModel(averages, p.features, { backend });
      assert.equal(fit.ridge.backend, backend);
      fit.reliability.forEach((r, i) => close(r, ref.reliability[i], 1e-9));
      assert.deepEqual(fit.voxels, ref.voxels);
      assert.ok(fit.voxels.length > 10 && fit.voxels.length < 50, `${fit.voxels.length} kept`);
      assert.deepEqual([...fit.ridge.bestAlpha], ref.bestAlpha, "every chosen alpha");
      assert.ok(new Set(fit.ridge.bestAlphaIndex).size > 1, "alphas vary across voxels");
      fit.voxelR.forEach((r, i) => close(r, ref.voxelR[i], 1e-6));
      close(fit.medianR, ref.medianR, 1e-6);
      close(fit.meanResponseR, ref.meanResponseR, 1e-6);
      close(fit.wrsa, ref.wrsa, 1e-6);
      assert.ok(fit.medianR > 0.3 && fit.wrsa > 0, `median r ${fit.medianR}, wRSA ${fit.wrsa}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("without --allow-ffi: auto falls back to TypeScript, openblas names the flag", async () => {
  const dir = await Deno.makeTempDir({ prefix: "no_ffi_" });
  try {
    const script = `${dir}/probe.ts`;
    await Deno.writeTextFile(
      script,
      `import { linearAlgebra } from ${JSON.stringify(repoPath("lib/analysis/linalg.ts"))};
console.log(linearAlgebra().name);
try { linearAlgebra("openblas"); } catch (e) { console.log(e.name, e.message); }`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-config", "--no-lock", script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    assert.equal(
      text,
      "typescript\nPermissionMissingError Permission needed to call OpenBLAS through FFI: " +
        "run deno with --allow-ffi\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("efficient LOO scores equal explicit leave-one-out refits (correlation and squared error)", async () => {
  const g = gaussian(lcg(11));
  const n = 12, p = 20, m = 3;
  const x = matrix(n, p, Array.from({ length: n * p }, g));
  const y = matrix(n, m, Array.from({ length: n * m }, (_, k) => g() + x.data[(k % m) * 3]));
  const alphas = [0.1, 10, 1000];
  for (const scoring of ["correlation", "squaredError"] as const) {
    const fit = await fitRidgePath(x, y, x, { alphas, scoring, backend: "typescript" });
    for (let q = 0; q < alphas.length; q++) {
      // Row i predicted by a model fitted on the other n-1 rows.
      const loo = new Float64Array(n * m);
      for (let i = 0; i < n; i++) {
        const keep = Array.from({ length: n }, (_, r) => r).filter((r) => r !== i);
        const pick = (a: Matrix, rows: number[]) =>
          matrix(
            rows.length,
            a.cols,
            rows.flatMap((r) => [...a.data.subarray(r * a.cols, (r + 1) * a.cols)]),
          );
        const one = await fitRidgePath(pick(x, keep), pick(y, keep), pick(x, [i]), {
          alphas: [alphas[q]],
          backend: "typescript",
        });
        loo.set(one.prediction.data, i * m);
      }
      for (let v = 0; v < m; v++) {
        const yv = Array.from({ length: n }, (_, i) => y.data[i * m + v]);
        const lv = Array.from({ length: n }, (_, i) => loo[i * m + v]);
        const want = scoring === "correlation"
          ? pearson(yv, lv)
          : -yv.reduce((s, t, i) => s + (t - lv[i]) ** 2, 0) / n;
        close(fit.looScore.data[q * m + v], want, 1e-9);
      }
    }
    for (let v = 0; v < m; v++) {
      const scores = alphas.map((_, q) => fit.looScore.data[q * m + v]);
      assert.equal(fit.bestAlphaIndex[v], scores.indexOf(Math.max(...scores)));
    }
  }
});

Deno.test("ridge: everyAlphaPrediction false predicts each target's own alpha only, the same values", async () => {
  const g = gaussian(lcg(29));
  const n = 30, nt = 9, p = 40, m = 7;
  const x = matrix(n, p, Array.from({ length: n * p }, g));
  const xt = matrix(nt, p, Array.from({ length: nt * p }, g));
  // Targets of different noise levels, so that they choose different alphas.
  const y = matrix(
    n,
    m,
    Array.from({ length: n * m }, (_, k) => x.data[(k % m) * 2] + g() * (k % m) ** 2),
  );
  for (
    const backend of openblasAvailable()
      ? ["typescript", "openblas"] as const
      : ["typescript"] as const
  ) {
    const every = await fitRidgePath(x, y, xt, { backend });
    const own = await fitRidgePath(x, y, xt, { backend, everyAlphaPrediction: false });
    assert.equal(own.predictions.length, 0);
    assert.equal(every.predictions.length, TUTORIAL_ALPHAS.length);
    assert.ok(new Set(every.bestAlphaIndex).size > 1, `one alpha for all: ${every.bestAlphaIndex}`);
    assert.deepEqual([...own.bestAlphaIndex], [...every.bestAlphaIndex]);
    assert.deepEqual([...own.looScore.data], [...every.looScore.data]);
    for (let t = 0; t < nt; t++) {
      for (let v = 0; v < m; v++) {
        const want = every.predictions[every.bestAlphaIndex[v]].data[t * m + v];
        close(own.prediction.data[t * m + v], want, 1e-12 * Math.max(1, Math.abs(want)));
        close(every.prediction.data[t * m + v], want, 0);
      }
    }
  }
});

Deno.test("ridge: one decomposition, solved block by block = fitRidgePath on all targets", async () => {
  const g = gaussian(lcg(31));
  const n = 40, nt = 12, p = 60, m = 11;
  const x = matrix(n, p, Array.from({ length: n * p }, g));
  const xt = matrix(nt, p, Array.from({ length: nt * p }, g));
  const y = matrix(
    n,
    m,
    Array.from({ length: n * m }, (_, k) => x.data[(k % m) * 3] + g() * (k % m) ** 2),
  );
  const cols = (a: number, b: number) => {
    const out = matrix(y.rows, b - a);
    for (let i = 0; i < y.rows; i++) {
      out.data.set(y.data.subarray(i * m + a, i * m + b), i * (b - a));
    }
    return out;
  };
  for (
    const backend of openblasAvailable()
      ? ["typescript", "openblas"] as const
      : ["typescript"] as const
  ) {
    const whole = await fitRidgePath(x, y, xt, { backend });
    const basis = await ridgeDecomposition(x, xt, { backend });
    assert.equal(basis.trainRows, n);
    assert.equal(basis.testRows, nt);
    assert.ok(basis.interceptDim >= 0);
    // The same calls as fitRidgePath: bit for bit.
    const same = await solveRidgePath(basis, y, { backend });
    assert.deepEqual([...same.looScore.data], [...whole.looScore.data]);
    assert.deepEqual([...same.prediction.data], [...whole.prediction.data]);
    // Blocks of targets on the one decomposition: each target's choice, score and prediction.
    for (const [a, b] of [[0, 4], [4, 5], [5, 11]]) {
      const part = await solveRidgePath(basis, cols(a, b), {
        backend,
        everyAlphaPrediction: false,
      });
      for (let v = a; v < b; v++) {
        assert.equal(part.bestAlpha[v - a], whole.bestAlpha[v], `target ${v}`);
        close(part.bestScore[v - a], whole.bestScore[v], 1e-12);
        for (let t = 0; t < nt; t++) {
          const want = whole.prediction.data[t * m + v];
          close(
            part.prediction.data[t * (b - a) + v - a],
            want,
            1e-12 * Math.max(1, Math.abs(want)),
          );
        }
      }
    }
  }
  // Without an intercept: no eigenvector is left unpenalised.
  const plain = await ridgeDecomposition(x, xt, { fitIntercept: false });
  assert.equal(plain.interceptDim, -1);
  assert.equal(plain.fitIntercept, false);
  const a = await solveRidgePath(plain, y);
  const b = await fitRidgePath(x, y, xt, { fitIntercept: false });
  assert.deepEqual([...a.prediction.data], [...b.prediction.data]);
  // Wrong inputs name what is wrong.
  const basis = await ridgeDecomposition(x, xt);
  await assert.rejects(
    solveRidgePath(basis, matrix(n - 1, 2)),
    /yTrain \(39x2\) needs the decomposition's 40 training rows/,
  );
  await assert.rejects(
    solveRidgePath({ ...basis, vectors: basis.vectors.subarray(1) }, y),
    /not a ridge decomposition: vectors \(1599, expected 1600\)/,
  );
  await assert.rejects(
    solveRidgePath({ ...basis, interceptDim: -1 }, y),
    /not a ridge decomposition: interceptDim -1 \(fitIntercept true\)/,
  );
  await assert.rejects(solveRidgePath(basis, y, { alphas: [] }), /alphas must be finite and > 0/);
  await assert.rejects(
    ridgeDecomposition(x, matrix(2, p + 1)),
    /xTest \(2x61\) needs the columns/,
  );
});

Deno.test("fitVoxelwise on the features' decomposition = on the features, bit for bit", async () => {
  const g = gaussian(lcg(37));
  const nImg = 24, p = 30, m = 9;
  const images = Array.from({ length: nImg }, (_, i) => `img${String(i).padStart(2, "0")}`);
  const labels = [...images, ...images];
  const features = matrix(nImg, p, Array.from({ length: nImg * p }, g));
  const trials = matrix(
    labels.length,
    m,
    Array.from({ length: labels.length * m }, (_, k) => {
      const img = Math.floor(k / m) % nImg, v = k % m;
      return features.data[img * p + v] * (v % 3) + g();
    }),
  );
  const av = averageRepeats(trials, labels, { minRepeats: 1 });
  const direct = await fitVoxelwise(av, features);
  const basis = await voxelwiseDecomposition(av.images, features);
  const shared = await fitVoxelwise(av, basis);
  assert.equal(shared.fitted, m);
  for (const k of ["reliability", "alpha", "looScore", "r"] as const) {
    assert.deepEqual([...shared[k]], [...direct[k]], k);
  }
  // A decomposition of other images is refused before any fit.
  const other = await voxelwiseDecomposition(images.slice(0, 20), takeFirst(features, 20));
  await assert.rejects(
    fitVoxelwise(av, other),
    /the decomposition is of 10 train and 10 test images, the averages split into 12 and 12/,
  );
  await assert.rejects(
    voxelwiseDecomposition(images.slice(1), features),
    /features \(24x30\) need one row per image \(23\)/,
  );
});

function takeFirst(m: Matrix, rows: number): Matrix {
  return { rows, cols: m.cols, data: m.data.slice(0, rows * m.cols) };
}

Deno.test("pearsonColumnsOfRows = pearsonColumns of takeRows copies, bit for bit; shapes named", () => {
  const g = gaussian(lcg(41));
  const a = matrix(9, 5, Array.from({ length: 45 }, g));
  const b = matrix(4, 5, Array.from({ length: 20 }, g));
  const rows = [7, 0, 3, 5];
  const bits = (x: Float64Array) => [...new BigUint64Array(x.buffer)];
  assert.deepEqual(
    bits(pearsonColumnsOfRows(a, rows, b, undefined)),
    bits(pearsonColumns(takeRows(a, rows), b)),
  );
  assert.deepEqual(
    bits(pearsonColumnsOfRows(a, rows, a, [1, 2, 4, 6])),
    bits(pearsonColumns(takeRows(a, rows), takeRows(a, [1, 2, 4, 6]))),
  );
  assert.throws(
    () => pearsonColumnsOfRows(a, [0, 1], b, undefined),
    /2 rows x 5 columns of a against 4 x 5 of b/,
  );
});

Deno.test("A·Bᵀ into a given buffer (both backends): the same values, a wrong size named", () => {
  const g = gaussian(lcg(43));
  const a = matrix(6, 4, Array.from({ length: 24 }, g));
  const b = matrix(5, 4, Array.from({ length: 20 }, g));
  for (
    const backend of openblasAvailable()
      ? ["typescript", "openblas"] as const
      : ["typescript"] as const
  ) {
    const la = linearAlgebra(backend);
    const fresh = la.multiplyTransposed(a, b);
    const out = new Float64Array(30).fill(NaN);
    const into = la.multiplyTransposed(a, b, out);
    assert.equal(into.data, out, `${backend}: the given buffer is the result`);
    assert.deepEqual([...out], [...fresh.data], backend);
    // X·Xᵀ (dsyrk on OpenBLAS) into a dirty buffer: every value overwritten.
    const sq = new Float64Array(36).fill(7);
    la.multiplyTransposed(a, a, sq);
    assert.deepEqual([...sq], [...la.multiplyTransposed(a, a).data], `${backend} X·Xᵀ`);
    assert.throws(
      () => la.multiplyTransposed(a, b, new Float64Array(29)),
      /the output holds 29 values, 6x5 needs 30/,
    );
  }
});

Deno.test("averageRepeatRows of float32 rows in place = averageRepeats of the float64 copy, bit for bit", () => {
  const g = gaussian(lcg(47));
  const names = ["b.jpg", "a.jpg", "b.jpg", "c.jpg", "a.jpg", "b.jpg", "a.jpg"];
  const rows = names.map(() => Float32Array.from({ length: 6 }, g));
  const copy = matrix(rows.length, 6);
  rows.forEach((r, t) => copy.data.set(r, t * 6));
  const a = averageRepeats(copy, names, { minRepeats: 1 });
  const b = averageRepeatRows((t) => rows[t], 6, names, { minRepeats: 1 });
  assert.deepEqual(b.images, a.images);
  assert.deepEqual([...b.counts], [...a.counts]);
  for (const k of ["mean", "oddMean", "evenMean"] as const) {
    assert.deepEqual([...b[k].data], [...a[k].data], k);
  }
  assert.throws(
    () => averageRepeatRows((t) => rows[t].subarray(0, t === 1 ? 5 : 6), 6, names),
    /trial 1 has 5 values, expected 6/,
  );
});

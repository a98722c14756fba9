/**
 * Benchmark: upstream's encoding tutorial end to end on the realistic
 * current layout, step by step, with the sklearn/scipy reference of the
 * comparable steps timed in the same run.
 *
 *   deno task bench:encoding [--sessions 4] [--data /tmp/laion-bench-encoding]
 *
 * Set-up (first run): generates the realistic current layout (stimuli and
 * the planted CLIP signal included), starts its own Ceph RGW on
 * 127.0.0.1:7492 (monitor 7491) with an 8 GiB memstore (stopped at the end)
 * and uploads sub-01's GLMsingle model file and trial table under N session
 * keys (the realistic profile has one session: the copies make N sessions
 * to read, so every image has N repeats; what is measured is the reading
 * and the fit, not the science), the anatomical files, the face ROIs and
 * the CLIP embeddings.
 *
 * Steps: remote reads (FFA1 rows of N model files by range), embedding
 * lookup (CLIP rows by image name; h5py doing the same), fit (reliability,
 * split, standardization, ridge path with per-voxel LOO alpha, r, wRSA;
 * sklearn's RidgeCV reference on the same matrices), pictures (voxel
 * map, scatter, histogram).
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { bidsifyLocalKey } from "../lib/core/ids.ts";
import { averageRepeats } from "../lib/analysis/repeats.ts";
import { fitEncodingModel } from "../lib/analysis/encoding.ts";
import { matrix } from "../lib/analysis/matrix.ts";
import { TUTORIAL_ALPHAS } from "../lib/analysis/ridge.ts";
import { plotHistogram } from "../lib/display/histogram.ts";
import { plotScatter } from "../lib/display/scatter.ts";
import { plotVoxelValues } from "../lib/display/voxel_map.ts";
import { loadEmbeddings } from "../lib/stimuli/embeddings.ts";
import { loadSubject } from "../lib/subject/subject.ts";
import { stimuliKeys } from "../scripts/synth/stimuli_layout.ts";
import {
  type BenchRgw,
  ensureRealisticCurrent,
  putGenerated,
  run,
  startBenchRgw,
  stopBenchRgw,
  uploadSessionCopies,
} from "./_bench_rgw.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    sessions: { type: "string", default: "4" },
    data: { type: "string", default: "/tmp/laion-bench-encoding" },
    pictures: { type: "string", default: "/tmp/laion-bench-encoding-pictures" },
  },
});
const N = Number(values.sessions);
const DATA = values.data!;
const BUCKET = "laion-fmri-bench-encoding";
const RGW: BenchRgw = {
  dir: "/tmp/laion-bench-encoding-rgw",
  port: 7492,
  monPort: 7491,
  memstoreGiB: 8,
};
const SUB = "sub-01";
const ROI = "FFA1";
const local = (key: string) => `${DATA}/bucket/${key}`;

async function python(code: string, ...args: string[]): Promise<string> {
  return await run("/usr/bin/python3", ["-c", code, ...args]);
}

await ensureRealisticCurrent(DATA, "ground-truth/encoding.json");

const sessions = Array.from({ length: N }, (_, i) => `ses-${String(i + 1).padStart(2, "0")}`);
const { endpoint, s3 } = await startBenchRgw(RGW, BUCKET);
const dataDir = await Deno.makeTempDir({ prefix: "laion-bench-encoding-" });
try {
  console.log(`Uploading ${N} session copies of ${SUB}'s model file and the small files ...`);
  await uploadSessionCopies(s3, BUCKET, `${DATA}/bucket`, SUB, sessions);
  for await (const f of Deno.readDir(local(`derivatives/rois/${SUB}/face`))) {
    if (f.name.includes("res-1pt8")) {
      await putGenerated(s3, BUCKET, `${DATA}/bucket`, `derivatives/rois/${SUB}/face/${f.name}`);
    }
  }
  s3.destroy();
  // The embeddings are public downloads: here they are simply on disk.
  const clipKey = stimuliKeys.embeddings("CLIP");
  await Deno.mkdir(join(dataDir, "stimuli"), { recursive: true });
  await Deno.copyFile(local(clipKey), join(dataDir, bidsifyLocalKey(clipKey)));

  const steps: [string, number, string][] = [];
  const t = performance.now();
  // 1. Remote reads.
  const t1 = performance.now();
  const sub = await loadSubject(SUB, {
    dataDir,
    betasSource: "remote",
    remote: { endpoint, bucket: BUCKET },
  });
  const betas = (await sub.getRoiBetaMatrices({ sessions, rois: [ROI], stimuli: "shared" }))
    .get(ROI)!;
  const labels = betas.trials.getColumn("label").toArray() as string[];
  const regular = labels.flatMap((l, i) => (l.includes("_OOD_") ? [] : [i]));
  const trials = matrix(regular.length, betas.shape[1]);
  regular.forEach((r, i) => trials.data.set(betas.row(r), i * betas.shape[1]));
  const names = regular.map((r) => labels[r]);
  const averages = averageRepeats(trials, names, { minRepeats: 1 });
  steps.push(["remote reads", performance.now() - t1, ""]);

  // 2. Embedding lookup, vs h5py doing the same (ids, name -> row, fancy read).
  const t2 = performance.now();
  const emb = await loadEmbeddings({ models: ["CLIP"], dataDir });
  const got = emb.get("CLIP", averages.images);
  emb.close();
  const features = matrix(got.rows, got.cols, got.data);
  const lookupMs = performance.now() - t2;
  const namesFile = join(dataDir, "names.json");
  await Deno.writeTextFile(namesFile, JSON.stringify(averages.images));
  const h5pyMs = Number(
    await python(
      `
import sys, json, time, h5py, numpy as np
names = json.load(open(sys.argv[2]))
t0 = time.perf_counter()
with h5py.File(sys.argv[1], "r") as f:
    ids = [b.decode() for b in f["image_ids"][...]]
    row = {n: i for i, n in enumerate(ids)}
    idx = np.array([row[n] for n in names])
    order = np.argsort(idx)
    x = np.empty((len(names), f["embedding"].shape[1]), dtype=np.float32)
    x[order] = f["embedding"][idx[order]]
print((time.perf_counter() - t0) * 1000)
`,
      join(dataDir, bidsifyLocalKey(clipKey)),
      namesFile,
    ),
  );
  steps.push(["embedding lookup", lookupMs, `h5py ${h5pyMs.toFixed(0)} ms`]);

  // 3. The fit, vs the sklearn/scipy reference (tests/reference/tutorial_ref.py) on the same matrices.
  const t3 = performance.now();
  const fit = await fitEncodingModel(averages, features);
  const fitMs = performance.now() - t3;
  const problem = join(dataDir, "problem.json");
  const rows = (m: { rows: number; cols: number; data: Float64Array }) =>
    Array.from(
      { length: m.rows },
      (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)),
    );
  await Deno.writeTextFile(
    problem,
    JSON.stringify({
      subject: SUB,
      roi: ROI,
      sessions,
      betas: rows(trials),
      labels: names,
      featureImages: averages.images,
      features: rows(features),
      alphas: TUTORIAL_ALPHAS,
      threshold: 0.2,
    }),
  );
  await run("/usr/bin/python3", [
    "tests/reference/tutorial_ref.py",
    problem,
    join(dataDir, "numpy.json"),
  ]);
  const numpy = JSON.parse(
    (await Deno.readTextFile(join(dataDir, "numpy.json"))).replaceAll("NaN", "null"),
  );
  steps.push([
    "fit",
    fitMs,
    `sklearn RidgeCV reference (same steps) ${(numpy.seconds * 1000).toFixed(0)} ms; ` +
    `median r ${fit.medianR.toFixed(4)} vs ${numpy.medianR.toFixed(4)}, wRSA ${
      fit.wrsa.toFixed(4)
    } vs ${numpy.wrsa.toFixed(4)}`,
  ]);

  // 4. Pictures.
  const t4 = performance.now();
  const rValues = new Float64Array(betas.shape[1]).fill(NaN);
  fit.voxels.forEach((v, c) => (rValues[v] = fit.voxelR[c]));
  const best = fit.voxelR.indexOf(Math.max(...fit.voxelR));
  const col = (m: typeof fit.measured) =>
    Array.from({ length: m.rows }, (_, r) => m.data[r * m.cols + best]);
  // rendered to PNG here, so that the step's time includes sharp's rendering
  const pictures = [
    await (await plotVoxelValues(sub, rValues, {
      roi: ROI,
      title: `${SUB} ${ROI}: voxel r (test images)`,
      label: "r",
      vmin: 0,
    })).toPicture(),
    await plotScatter(col(fit.measured), col(fit.ridge.prediction), {
      title: "Best voxel (test images)",
      xLabel: "measured (beta)",
      yLabel: "predicted (beta)",
      identity: true,
    }).toPicture(),
    await plotHistogram(fit.voxelR, {
      title: "Prediction accuracy per voxel",
      xLabel: "held-out Pearson r",
      range: [-1, 1],
      bins: 30,
    }).toPicture(),
  ];
  steps.push(["pictures (3)", performance.now() - t4, ""]);
  await Deno.mkdir(values.pictures!, { recursive: true });
  for (const [i, name] of ["voxel_r_map", "predicted_vs_measured", "voxel_r_histogram"].entries()) {
    await pictures[i].save(join(values.pictures!, `${name}.png`));
  }
  const total = performance.now() - t;

  console.log(
    `\nEncoding tutorial, realistic profile: ${ROI} ${betas.shape[1]} voxels x ${N} sessions ` +
      `(${betas.shape[0]} shared trials), ${averages.images.length} non-OOD images, ` +
      `CLIP ${features.cols}-d, ${fit.voxels.length} reliable voxels, backend ${fit.ridge.backend}`,
  );
  for (const [step, ms, ref] of steps) {
    console.log(`  ${step.padEnd(18)} ${ms.toFixed(0).padStart(7)} ms   ${ref}`);
  }
  console.log(`  ${"total".padEnd(18)} ${total.toFixed(0).padStart(7)} ms`);
  const planted = JSON.parse(await Deno.readTextFile(`${DATA}/ground-truth/encoding.json`));
  console.log(`  planted: ${planted.snrDistribution}`);
} finally {
  await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  await stopBenchRgw(RGW);
}

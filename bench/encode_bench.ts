/**
 * Benchmark: whole-brain voxelwise encoding as a Slurm array (lib/jobs,
 * `laion-fmri encode`) on the realistic current layout, against Python
 * references on the same rows in the same run.
 *
 *   deno task bench:encode [--sessions 4] [--shard-size 5000] [--sklearn-blocks 2]
 *
 * Set-up (first run): generates the realistic current layout, starts its own
 * Ceph RGW (127.0.0.1:7530, monitor 6745, 12 GiB memstore; stopped at the
 * end) and uploads sub-01's model file and trial table under N session keys
 * (the realistic profile has one session: the copies make N sessions to read,
 * so every image has N repeats), the anatomical files and the CLIP
 * embeddings; the single-node Slurm of scripts/slurm.sh.
 *
 * Measured:
 * 1. the plan, with shard 0 run as a task: per-shard peak RSS at the shard size;
 * 2. the whole array on Slurm (2 tasks at a time on 2 cores) against the same
 *    shards one at a time (`--array=…%1`) over `--compare-shards` shards;
 * 3. bytes read against the rows' payload (from the shard records), and one
 *    shard's read time direct and through a loopback proxy adding 50 ms to
 *    every request;
 * 4. the fit of the whole brain against a vectorized numpy implementation of
 *    the same maths (where its time goes) and scikit-learn's RidgeCV called
 *    as the tutorial calls it, block by block (`--sklearn-blocks` blocks of
 *    the shard size, then scaled to the whole brain — stated as such);
 * 5. a projection for 5 subjects × 30 sessions × 4 models on N nodes of 16 cores.
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { bidsifyLocalKey } from "../lib/core/ids.ts";
import { stimuliKeys } from "../scripts/synth/stimuli_layout.ts";
import { planEncodingJob, planPaths, readPlanFeatures } from "../lib/jobs/encode_plan.ts";
import { encodeVoxelBlock, type EncodingShardRecord } from "../lib/jobs/encode_shard.ts";
import { mergeEncodingJob } from "../lib/jobs/encode_merge.ts";
import type { VoxelwiseSeconds } from "../lib/jobs/voxelwise.ts";
import { FaultProxy } from "../tests/fault_proxy.ts";
import { slurm, waitForJob } from "../tests/_slurm.ts";
import {
  type BenchRgw,
  ensureRealisticCurrent,
  run,
  startBenchRgw,
  stopBenchRgw,
  uploadSessionCopies,
} from "./_bench_rgw.ts";

const PYTHON = `
import sys, json, time
import numpy as np
from sklearn.linear_model import RidgeCV
from sklearn.metrics import make_scorer
from sklearn.preprocessing import StandardScaler
n_img, n_vox, n_feat = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
Y = np.fromfile(sys.argv[1], dtype=np.float64).reshape(n_img, n_vox)
X = np.fromfile(sys.argv[2], dtype=np.float64).reshape(n_img, n_feat)
p = json.loads(sys.argv[6]); block = int(sys.argv[7]); n_blocks = int(sys.argv[8])
tr, te, alphas = np.array(p["train"]), np.array(p["test"]), p["alphas"]
Ytr, Yte = Y[tr], Y[te]
usable = np.isfinite(Y).all(0) & (Ytr.max(0) > Ytr.min(0))
def corr_cols(a, b):
    a = a - a.mean(0); b = b - b.mean(0)
    den = np.linalg.norm(a, axis=0) * np.linalg.norm(b, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (a * b).sum(0) / den, 0.0)
# numpy: the same maths vectorized
t0 = time.perf_counter()
sc = StandardScaler().fit(X[tr]); Xtr, Xte = sc.transform(X[tr]), sc.transform(X[te])
xm = Xtr.mean(0); Xc, Xt = Xtr - xm, Xte - xm
K = Xc @ Xc.T + 1.0
s, Q = np.linalg.eigh(K)
icpt = np.argmax(np.abs(Q.sum(0)))
B = (Xt @ Xc.T) @ Q
t1 = time.perf_counter()
r = np.full(n_vox, np.nan); loo_t = 0.0; score_t = 0.0; pred_t = 0.0
W = np.array([1.0 / (s + a) for a in alphas]); W[:, icpt] = 0.0
for j0 in range(0, n_vox, 20000):
    cols = np.arange(j0, min(n_vox, j0 + 20000)); cols = cols[usable[cols]]
    yt = Ytr[:, cols]; ym = yt.mean(0); Yc = yt - ym
    QtY = Q.T @ Yc
    best = np.full(len(cols), -np.inf); bi = np.zeros(len(cols), dtype=int)
    for q, w in enumerate(W):
        ta = time.perf_counter()
        c = Q @ (w[:, None] * QtY)
        d = (Q ** 2) @ w
        loo = Yc - c / d[:, None]
        tb = time.perf_counter()
        sc_a = corr_cols(Yc, loo)
        better = sc_a > best
        best = np.where(better, sc_a, best); bi[better] = q
        tc = time.perf_counter()
        loo_t += tb - ta; score_t += tc - tb
    # only each voxel's own alpha is predicted (as ours does)
    tc = time.perf_counter()
    pred = B @ (W[bi].T * QtY) + ym
    r[cols] = corr_cols(Yte[:, cols], pred)
    pred_t += time.perf_counter() - tc
t2 = time.perf_counter()
numpy = {"total": t2 - t0, "decomposition": t1 - t0, "loo": loo_t, "scoring": score_t,
  "prediction": pred_t}
# sklearn as the tutorial calls it, block by block (the first n_blocks blocks)
def correlation_score(observed, predicted):
    observed = observed - observed.mean(); predicted = predicted - predicted.mean()
    den = np.linalg.norm(observed) * np.linalg.norm(predicted)
    return float(observed @ predicted / den) if den > 0 else 0.0
t0 = time.perf_counter(); done = 0
for b in range(n_blocks):
    cols = np.arange(b * block, min(n_vox, (b + 1) * block)); cols = cols[usable[cols]]
    enc = RidgeCV(alphas=alphas, alpha_per_target=True, scoring=make_scorer(correlation_score))
    enc.fit(Xtr, Ytr[:, cols]); enc.predict(Xte); done += len(cols)
sk = time.perf_counter() - t0
print(json.dumps({"numpy": numpy, "r": [None if np.isnan(v) else float(v) for v in r],
  "sklearn": {"seconds": sk, "blocks": n_blocks, "projected": sk * usable.sum() / max(done, 1)}}))
`;

const { values } = parseArgs({
  args: Deno.args,
  options: {
    sessions: { type: "string", default: "4" },
    "shard-size": { type: "string", default: "5000" },
    "sklearn-blocks": { type: "string", default: "2" },
    "compare-shards": { type: "string", default: "8" },
    data: { type: "string", default: "/tmp/laion-bench-encode" },
  },
});
const N = Number(values.sessions), SHARD = Number(values["shard-size"]);
const DATA = values.data!;
const BUCKET = "laion-fmri-bench-encode";
const RGW: BenchRgw = {
  dir: "/tmp/laion-bench-encode-rgw",
  port: 7530,
  monPort: 6745,
  memstoreGiB: 12,
};
const SUB = "sub-01";
const local = (key: string) => `${DATA}/bucket/${key}`;
const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
const sec = (s: number) => `${s.toFixed(1)} s`;

/** The 1-minute load average now (other jobs on the machine skew every figure). */
const load = () => Deno.loadavg()[0].toFixed(2);

/**
 * Busy and total CPU ticks of the machine (/proc/stat), and the S3 server's
 * own ticks (its daemons' /proc/PID/stat) — read by `cat`, since Deno lets
 * only --allow-all read /proc/stat. Zeros when they cannot be read.
 */
async function cpuTicks(): Promise<{ busy: number; all: number; server: number }> {
  try {
    const pids = [];
    for (const d of ["client.rgw.a", "osd.0", "mon.a"]) {
      pids.push((await Deno.readTextFile(`${RGW.dir}/${d}.pid`)).trim());
    }
    const [stat, ...daemons] = await Promise.all(
      ["/proc/stat", ...pids.map((p) => `/proc/${p}/stat`)].map((f) => run("cat", [f])),
    );
    const f = stat.split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const all = f.reduce((x, y) => x + y, 0), idle = f[3] + (f[4] ?? 0);
    let server = 0;
    for (const st of daemons) {
      const fields = st.split(") ")[1].split(" ");
      server += Number(fields[11]) + Number(fields[12]); // utime + stime
    }
    return { busy: all - idle, all, server };
  } catch (e) {
    console.log(`(CPU ticks not read: ${(e as Error).message})`);
    return { busy: 0, all: 0, server: 0 };
  }
}

/** What one array run cost: wall seconds, machine CPU busy (of 2 cores), S3 server CPU, load. */
interface ArrayRun {
  seconds: number;
  busyCores: number;
  serverCpuSeconds: number;
  load: string;
}

/** Submits the plan's script for `array`, waits, returns what it cost. */
async function array(dir: string, spec: string): Promise<ArrayRun> {
  const c0 = await cpuTicks();
  const t0 = performance.now();
  const job = await slurm("sbatch", "--parsable", `--array=${spec}`, planPaths.sbatch(dir));
  await waitForJob(job, 3_600_000);
  const seconds = (performance.now() - t0) / 1000, c1 = await cpuTicks();
  const cores = navigator.hardwareConcurrency;
  return {
    seconds,
    busyCores: (c1.busy - c0.busy) / Math.max(1, c1.all - c0.all) * cores,
    serverCpuSeconds: (c1.server - c0.server) / 100,
    load: load(),
  };
}
const cost = (a: ArrayRun) =>
  `${sec(a.seconds)} (${a.busyCores.toFixed(2)} cores busy, S3 server CPU ` +
  `${sec(a.serverCpuSeconds)}, load ${a.load})`;

/** The records of the finished shards; a missing one is named, not fatal. */
async function records(dir: string, n: number): Promise<EncodingShardRecord[]> {
  const out = [];
  for (let i = 0; i < n; i++) {
    try {
      out.push(JSON.parse(await Deno.readTextFile(planPaths.record(dir, i))));
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
      console.log(`shard ${i} has no record (see ${dir}/logs)`);
    }
  }
  return out;
}

await ensureRealisticCurrent(DATA, "ground-truth/encoding.json");
const sessions = Array.from({ length: N }, (_, i) => `ses-${String(i + 1).padStart(2, "0")}`);
const { endpoint, s3 } = await startBenchRgw(RGW, BUCKET);
const work = await Deno.makeTempDir({ prefix: "laion-bench-encode-" });
const dataDir = join(work, "data");
const proxy = new FaultProxy(endpoint, BUCKET);
try {
  console.log(`Uploading ${N} session copies of ${SUB}'s model file and the small files ...`);
  await uploadSessionCopies(s3, BUCKET, `${DATA}/bucket`, SUB, sessions);
  s3.destroy();
  const clipKey = stimuliKeys.embeddings("CLIP");
  await Deno.mkdir(join(dataDir, "stimuli"), { recursive: true });
  await Deno.copyFile(local(clipKey), join(dataDir, bidsifyLocalKey(clipKey)));
  const remote = { endpoint, bucket: BUCKET };

  // 1. The plan (shard 0 as a task: the per-shard peak).
  const dir = join(work, "plan");
  const t = performance.now();
  const plan = await planEncodingJob({
    subjects: [SUB],
    sessions,
    model: "CLIP",
    shardSize: SHARD,
    outDir: dir,
    dataDir,
    remote,
    onProgress: (line) => line.includes("ridge decomposition") && console.log(`plan: ${line}`),
  });
  const planSeconds = (performance.now() - t) / 1000;
  const s = plan.subjects[0];
  const nShards = plan.shards.length;
  console.log(
    `\n${SUB}: ${s.nVoxels.toLocaleString("en-US")} voxels, ${N} sessions ` +
      `(${s.trialsPerSession.reduce((a, b) => a + b, 0)} trials), ${s.images.length} images ` +
      `(${s.train.length} train / ${s.test.length} test), CLIP ${s.nFeatures}-d -> ${nShards} ` +
      `shards of ${SHARD}`,
  );
  console.log(`plan: ${sec(planSeconds)}; ${plan.resources.basis}`);

  // 2. The whole array, 2 at a time; then the same shards one at a time in a second plan folder.
  const k = Math.min(Number(values["compare-shards"]), nShards - 1);
  const arrayRun = await array(dir, `1-${nShards - 1}`);
  const recs = await records(dir, nShards);
  const failed = recs.length !== nShards;
  // The same plan in fresh folders (no shard done), with the first plan's requests.
  const copyOf = async (name: string, endpointOf = remote) => {
    const out = join(work, name);
    const p = await planEncodingJob({
      subjects: [SUB],
      sessions,
      model: "CLIP",
      shardSize: SHARD,
      outDir: out,
      dataDir,
      remote: endpointOf,
      measure: false,
    });
    return { out, p };
  };
  const seqRun = await array((await copyOf("plan-sequential")).out, `1-${k}%1`);
  const par2Run = await array((await copyOf("plan-parallel")).out, `1-${k}`);

  // 3. Bytes and latency.
  const bytesRead = recs.reduce((a, r) => a + r.bytesRead, 0);
  const payload = recs.reduce((a, r) => a + r.payloadBytes, 0);
  const readS = recs.reduce((a, r) => a + r.seconds.read, 0);
  const fitS = recs.reduce((a, r) => a + r.seconds.fit, 0);
  const peaks = recs.map((r) => r.peakRssBytes ?? 0);
  proxy.latencyMs = 50;
  const { out: dirProxy, p: viaProxy } = await copyOf("plan-proxy", {
    endpoint: proxy.url,
    bucket: BUCKET,
  });
  const direct = await encodeVoxelBlock(dir, plan, s, SHARD, 2 * SHARD);
  const far = await encodeVoxelBlock(dirProxy, viaProxy, viaProxy.subjects[0], SHARD, 2 * SHARD);
  const requests = proxy.gets().length;

  // 4. The whole brain in this process, block by block (2 BLAS threads), and the Python
  // references on the same averaged rows.
  const merged = await mergeEncodingJob(dir, { write: false });
  const nImg = s.images.length;
  const y = new Float64Array(nImg * s.nVoxels);
  let oursRead = 0, oursFit = 0;
  const where: Partial<VoxelwiseSeconds> = {}; // summed over the shards
  const features = (await readPlanFeatures(dir, s)).data;
  for (const sh of plan.shards) {
    const b = await encodeVoxelBlock(dir, plan, s, sh.start, sh.end);
    oursRead += b.seconds.read;
    oursFit += b.seconds.fit;
    for (const [k, v] of Object.entries(b.fit.seconds) as [keyof VoxelwiseSeconds, number][]) {
      where[k] = (where[k] ?? 0) + v;
    }
    const w = sh.end - sh.start;
    for (let i = 0; i < nImg; i++) {
      y.set(b.averages.mean.data.subarray(i * w, (i + 1) * w), i * s.nVoxels + sh.start);
    }
  }
  const loadOurs = load();
  const yFile = join(work, "y.f64"), xFile = join(work, "x.f64");
  await Deno.writeFile(yFile, new Uint8Array(y.buffer));
  await Deno.writeFile(
    xFile,
    new Uint8Array(features.buffer, features.byteOffset, features.byteLength),
  );
  const ref = JSON.parse(
    await run("/usr/bin/python3", [
      "-c",
      PYTHON,
      yFile,
      xFile,
      String(nImg),
      String(s.nVoxels),
      String(s.nFeatures),
      JSON.stringify({ train: s.train, test: s.test, alphas: plan.alphas }),
      String(SHARD),
      values["sklearn-blocks"]!,
    ]),
  );
  const loadRef = load();
  let worstR = 0;
  merged.subjects[0].values.r.forEach((v, i) => {
    const w = ref.r[i];
    if (w !== null && Number.isFinite(v)) worstR = Math.max(worstR, Math.abs(v - w));
  });

  // 5. Projection from the measured per-shard costs.
  const perShard = (readS + fitS) / recs.length;
  const readPerSession = readS / recs.length / N;
  const coreSeconds = (sessions30: number) =>
    5 * 4 * Math.ceil(272080 / SHARD) *
    (readPerSession * sessions30 + (fitS / recs.length) * (sessions30 / N) ** 2);

  console.log(
    `\nWhole brain, ${N} sessions, shard size ${SHARD}${failed ? " (SOME SHARDS MISSING)" : ""}`,
  );
  console.log(
    `  array on Slurm (2 tasks at a time, 2 cores): ${cost(arrayRun)} for ${nShards - 1} shards`,
  );
  console.log(
    `  ${k} shards: one at a time ${cost(seqRun)}, 2 at a time ${cost(par2Run)} -> ` +
      `${(seqRun.seconds / par2Run.seconds).toFixed(2)}x`,
  );
  console.log(
    `  per shard: read ${sec(readS / recs.length)}, fit ${sec(fitS / recs.length)}; peak RSS ` +
      `${mib(Math.min(...peaks))}–${
        mib(Math.max(...peaks))
      } (requests ${plan.resources.memoryMiB} MiB)`,
  );
  console.log(
    `  bytes read ${mib(bytesRead)} for a payload of ${mib(payload)} ` +
      `(${(bytesRead / payload).toFixed(3)}x)`,
  );
  console.log(
    `  one shard's read: direct ${sec(direct.seconds.read)}, through +50 ms per request ` +
      `${sec(far.seconds.read)} (${requests} requests)`,
  );
  const sum = (k: keyof VoxelwiseSeconds) => sec(where[k] ?? 0);
  console.log(
    `  whole brain in one process, shard by shard (2 BLAS threads): read ${sec(oursRead)}, fit ` +
      `${sec(oursFit)} = reliability ${sum("reliability")}, projection QᵀY ` +
      `${sum("projection")}, LOO products per alpha ${sum("looProducts")}, scoring ` +
      `${sum("scoring")}, test prediction ${sum("prediction")} and r ${sum("testR")}` +
      ` (decomposition: once in the plan, ${plan.subjects[0].ridge ? "stored" : "NOT stored"}; ` +
      `load ${loadOurs})`,
  );
  console.log(
    `  numpy, same maths vectorized (2 BLAS threads): ${sec(ref.numpy.total)} = decomposition ` +
      `${sec(ref.numpy.decomposition)}, LOO per alpha ${sec(ref.numpy.loo)}, scoring ` +
      `${sec(ref.numpy.scoring)}, test prediction and r ${
        sec(ref.numpy.prediction)
      }; max |r - ours| ${worstR.toExponential(1)} (load ${loadRef})`,
  );
  console.log(
    `  sklearn RidgeCV block by block: ${sec(ref.sklearn.seconds)} for ${ref.sklearn.blocks} ` +
      `block(s) of ${SHARD} -> ${sec(ref.sklearn.projected)} for the whole brain (scaled); ours ` +
      `${(ref.sklearn.projected / oursFit).toFixed(1)}x faster; numpy/ours ${
        (ref.numpy.total / oursFit).toFixed(2)
      }`,
  );
  console.log(`  per shard (read + fit, 1 core): ${sec(perShard)}`);
  for (const nodes of [1, 4, 16]) {
    const h = coreSeconds(30) / (16 * nodes) / 3600;
    console.log(
      `  projection, 5 subjects x 30 sessions x 4 models on ${nodes} node(s) of 16 cores: ` +
        `${h.toFixed(1)} h (reads x sessions, fit x sessions^2; ${
          (coreSeconds(30) / 3600).toFixed(0)
        } core-hours)`,
    );
  }
} finally {
  await proxy.close();
  await Deno.remove(work, { recursive: true }).catch(() => {});
  await stopBenchRgw(RGW);
}

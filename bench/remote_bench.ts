/**
 * Benchmark: an ROI's betas read remotely from the GLMsingle model files by
 * HTTP range, against downloading and decoding a session's betas NIfTI, and
 * one session's NIfTI decode against `igzip -d` (ISA-L's CLI).
 *
 *   deno task bench:remote [--sessions 4] [--repeat-b 3] [--repeat-c 5] [--data /tmp/laion-bench-current]
 *
 * Set-up (first run): generates the realistic current-layout dataset
 * (`scripts/generate.ts --layout current --size realistic`), starts its own
 * Ceph RGW on 127.0.0.1:7490 (monitor 7489; OSDs take ports from 6800) with a 12 GiB memstore (state in
 * /tmp/laion-bench-rgw; stopped at the end), and uploads sub-01's model file
 * under N session keys (the same bytes each time: what is measured is the
 * reading, not the content), the anatomical mask, FFA1 and the betas NIfTI.
 *
 * Cases, each timed in this process:
 *  (a) remote: `readRemoteModelRows` of FFA1 for N sessions; bytes on the
 *      wire counted from every response body; 30 sessions extrapolated
 *      (marked) from the per-session time at the same concurrency;
 *      reference: GET of one session's betas NIfTI to disk + decode of FFA1;
 *  (b) parallel vs serial: `Subject.getRoiBetaMatrices` of the face ROI over
 *      4 sessions (a local data dir whose 4 sessions link to the one
 *      realistic betas file), `workers: 0` (one session at a time) vs the
 *      default (cores - 1 workers plus the calling thread), in turn
 *      `--repeat-b` times; the ceiling: one bare inflate vs two on two
 *      threads, and one `igzip -d` vs two at once;
 *  (c) floor: `Subject.getBetas` of one session at the face ROI vs
 *      `igzip -d -c file > /dev/null`, in turn `--repeat-c` times after one
 *      untimed ISA-L run (node:zlib once; the whole brain once, for the
 *      record). Goals are judged on medians: timings here vary by 10-20%,
 *      most right after the RGW frees its memstore.
 * Goals (issue): (a) bytes <= 1.2 x payload + 1 MB per session, 30 sessions
 * < 5 s; (b) >= 1.7x serial; (c) >= 0.85x igzip's throughput.
 * @module
 */
import { parseArgs } from "node:util";
import { PutObjectCommand } from "npm:@aws-sdk/client-s3@3.1175.0";
import { type ByteRange, type ByteReadOptions, FileByteSource } from "../lib/core/byte_source.ts";
import { readModelRows } from "../lib/formats/glmsingle_model.ts";
import { readNifti4dMasked, readNiftiMask } from "../lib/formats/nifti.ts";
import { setInflater, useIsal } from "../lib/formats/inflate_isal.ts";
import { S3Source } from "../lib/bucket/s3_source.ts";
import {
  modelKey,
  readRemoteModelRows,
  type RemoteModelOptions,
} from "../lib/subject/remote_model.ts";
import { loadSubject } from "../lib/subject/subject.ts";
import { defaultWorkers } from "../lib/formats/nifti_pool.ts";
import { bidsifyLocalKey } from "../lib/core/ids.ts";
import { dirname, join } from "node:path";
import { currentKeys } from "../scripts/synth/current_keys.ts";
import {
  type BenchRgw,
  ensureRealisticCurrent,
  run,
  startBenchRgw,
  stopBenchRgw,
} from "./_bench_rgw.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    sessions: { type: "string", default: "4" },
    data: { type: "string", default: "/tmp/laion-bench-current" },
    "repeat-b": { type: "string", default: "3" },
    "repeat-c": { type: "string", default: "5" },
  },
});
const REPEAT_B = Number(values["repeat-b"]);
const REPEAT_C = Number(values["repeat-c"]);
const N = Number(values.sessions);
const DATA = values.data!;
const BUCKET = "laion-fmri-bench";
const RGW: BenchRgw = { dir: "/tmp/laion-bench-rgw", port: 7490, monPort: 7489, memstoreGiB: 12 };

const sub = "sub-01";
const betasKey =
  `derivatives/glmsingle-tedana/${sub}/ses-01/func/${sub}_ses-01_task-images_space-T1w_stat-effect_desc-SingletrialBetas_statmap.nii.gz`;
const maskKey = currentKeys.anatomical(
  sub,
  { res: "1pt8", desc: "brain", suffix: "mask" },
);
const roiKey = (label: string) =>
  `derivatives/rois/${sub}/face/${sub}_space-T1w_res-1pt8_label-${label}_mask.nii.gz`;
const local = (key: string) => `${DATA}/bucket/${key}`;

await ensureRealisticCurrent(DATA, "ground-truth");
const { endpoint, s3 } = await startBenchRgw(RGW, BUCKET);
try {
  const model = await Deno.readFile(local(modelKey(sub, "ses-01")));
  const sessions = Array.from({ length: N }, (_, i) => `ses-${String(i + 1).padStart(2, "0")}`);
  console.log(
    `Uploading ${N} x ${(model.length / 1e6).toFixed(0)} MB model files and the betas NIfTI ...`,
  );
  for (const ses of sessions) {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: modelKey(sub, ses), Body: model }));
  }
  await s3.send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: betasKey,
      Body: await Deno.readFile(local(betasKey)),
    }),
  );
  s3.destroy();

  // FFA1's rows: indices of its voxels among the anatomical mask's C-order voxels.
  const brain = await readNiftiMask(local(maskKey));
  const ffa = await readNiftiMask(local(roiKey("FFA-1")));
  const rows: number[] = [];
  let nBrain = 0;
  const roiGrid = new Uint8Array(brain.length);
  for (let i = 0; i < brain.length; i++) {
    if (brain[i]) {
      if (ffa[i]) rows.push(nBrain), roiGrid[i] = 1;
      nBrain++;
    }
  }
  const face = new Uint8Array(brain.length);
  for (const l of ["FFA-1", "FFA-2", "OFA", "pSTS-faces"]) {
    const m = await readNiftiMask(local(roiKey(l)));
    for (let i = 0; i < m.length; i++) if (m[i] && brain[i]) face[i] = 1;
  }

  // (a) remote rows for N sessions: the defaults, then fewer requests in flight, then wider gaps.
  const settings: [string, RemoteModelOptions][] = [
    ["defaults (8 sessions x 8 requests, gap 16 KiB)", {}],
    ["4 sessions x 4 requests, gap 16 KiB", { concurrency: 4, requestsPerSession: 4 }],
    ["8 sessions x 8 requests, gap 64 KiB", { maxGap: 65536 }],
  ];
  const sweep: { name: string; ms: number; wire: number }[] = [];
  let got!: Awaited<ReturnType<typeof readRemoteModelRows>>;
  for (const [name, o] of settings) {
    let bytes = 0;
    const ts = performance.now();
    got = await readRemoteModelRows(sub, sessions, rows, {
      endpoint,
      bucket: BUCKET,
      ...o,
      onBytes: (n) => (bytes += n),
    });
    sweep.push({ name, ms: performance.now() - ts, wire: bytes });
  }
  const { ms: remoteMs, wire } = sweep[0];
  const nTrials = got.get("ses-01")!.nTrials;
  const payload = rows.length * nTrials * 4;
  // Reference: one session's NIfTI fetched to disk, then decoded for FFA1.
  const tmp = await Deno.makeTempFile({ suffix: ".nii.gz" });
  const t1 = performance.now();
  const body = await new S3Source({ endpoint, bucket: BUCKET }).get(betasKey);
  await Deno.writeFile(tmp, body.body);
  const tGot = performance.now();
  await readNifti4dMasked(tmp, roiGrid);
  const downloadMs = performance.now() - t1;
  const niftiBytes = (await Deno.stat(tmp)).size;
  // The rest reads local files: stop the RGW first, so its memstore does not share the cores.
  await stopBenchRgw(RGW);

  // Local model file vs local NIfTI, same session and ROI: time and bytes read.
  let localRead = 0;
  const tl = performance.now();
  const fileSource = new FileByteSource(local(modelKey(sub, "ses-01")));
  const countingSource = {
    name: fileSource.name,
    size: (o?: ByteReadOptions) => fileSource.size(o),
    read: async (ranges: readonly ByteRange[], o?: ByteReadOptions) => {
      const chunks = await fileSource.read(ranges, o);
      localRead += chunks.reduce((n, c) => n + c.length, 0);
      return chunks;
    },
  };
  await readModelRows(countingSource, rows);
  const localModelMs = performance.now() - tl;
  const tn = performance.now();
  await readNifti4dMasked(local(betasKey), roiGrid);
  const localNiftiMs = performance.now() - tn;

  await Deno.remove(tmp);

  // (c) one session's getBetas (face ROI) vs igzip: node:zlib once, then ISA-L (the default when
  // it loads) and igzip in turn, REPEAT_C times after one untimed run (warms the FFI path's JIT).
  const par = await fourSessionDataDir();
  const subject = await loadSubject(sub, { dataDir: par, maskSource: "anatomical" });
  const betasFile = local(betasKey);
  setInflater("zlib");
  const t2 = performance.now();
  const faceFrame = await subject.getBetas({ session: "ses-01", roi: "face" });
  const zlibMs = performance.now() - t2;
  setInflater("isal");
  const isal = await useIsal();
  await subject.getBetas({ session: "ses-01", roi: "face" });
  const floor: { isalMs: number; igzipMs: number }[] = [];
  for (let r = 0; r < REPEAT_C; r++) {
    const t3 = performance.now();
    await subject.getBetas({ session: "ses-01", roi: "face" });
    const t4 = performance.now();
    await run("bash", ["-c", `igzip -d -c ${betasFile} > /dev/null`]);
    floor.push({ isalMs: t4 - t3, igzipMs: performance.now() - t4 });
  }
  const igzipMs = median(floor.map((f) => f.igzipMs));
  const floorRatio = median(floor.map((f) => f.igzipMs / f.isalMs));
  // Not a goal, for the record: the whole brain (a 1.1 GB result) in one run.
  const tw = performance.now();
  const brainFrame = await subject.getBetas({ session: "ses-01" });
  const brainMs = performance.now() - tw;

  // (b) 4 sessions x face: serial vs parallel workers, through the Subject API, in turn.
  const four = ["ses-01", "ses-02", "ses-03", "ses-04"];
  const spread: { serialMs: number; parallelMs: number }[] = [];
  let sameBits = true;
  let shape: number[] = [];
  for (let r = 0; r < REPEAT_B; r++) {
    const tb0 = performance.now();
    const serial = await subject.getRoiBetaMatrices({ sessions: four, rois: ["face"], workers: 0 });
    const tb1 = performance.now();
    const parallel = await subject.getRoiBetaMatrices({ sessions: four, rois: ["face"] });
    spread.push({ serialMs: tb1 - tb0, parallelMs: performance.now() - tb1 });
    const a = new Uint32Array(serial.get("face")!.values.buffer);
    const b = new Uint32Array(parallel.get("face")!.values.buffer);
    sameBits &&= a.length === b.length && a.every((x, i) => x === b[i]);
    shape = serial.get("face")!.shape;
  }
  const speedup = median(spread.map((s) => s.serialMs / s.parallelMs));
  await Deno.remove(par, { recursive: true });
  // The ceiling of (b) on this machine: one bare inflate vs two at once on two threads
  // (no gather, no Polars), and the same for igzip processes.
  const oneInflateMs = (await inflateInWorkers(1))[0];
  const twoInflates = await inflateInWorkers(2);
  const twoInflatesMs = Math.max(...twoInflates);
  const ti0 = performance.now();
  await run("bash", ["-c", `igzip -d -c ${local(betasKey)} > /dev/null`]);
  const ti1 = performance.now();
  await run("bash", [
    "-c",
    `igzip -d -c ${local(betasKey)} > /dev/null & igzip -d -c ${local(betasKey)} > /dev/null; wait`,
  ]);
  const oneIgzipMs = ti1 - ti0;
  const twoIgzipsMs = performance.now() - ti1;

  const mb = (b: number) => `${(b / 1e6).toFixed(2)} MB`;
  const perSession = remoteMs / N;
  console.log(
    `\nRemote ROI reads vs download + decode (FFA1: ${rows.length} voxels x ${nTrials} trials)`,
  );
  console.log(
    `  (a) remote, ${N} sessions:            ${remoteMs.toFixed(0)} ms, ${mb(wire)} on the wire`,
  );
  console.log(
    `      ROI payload:                      ${mb(payload * N)} (${mb(payload)} per session)`,
  );
  console.log(
    `      bytes / (1.2 x payload + 1 MB/session): ${
      (wire / (1.2 * payload * N + 1e6 * N)).toFixed(3)
    }`,
  );
  console.log(
    `      30 sessions (EXTRAPOLATED from ${perSession.toFixed(0)} ms/session): ${
      (perSession * 30).toFixed(0)
    } ms`,
  );
  console.log(
    `      reference, 1 session downloaded (${mb(niftiBytes)}) + decoded: ${
      downloadMs.toFixed(0)
    } ms ` +
      `(GET ${(tGot - t1).toFixed(0)} ms)`,
  );
  console.log(
    `      speed-up, ${N} remote sessions vs 1 downloaded: ${(downloadMs / remoteMs).toFixed(1)}x`,
  );
  for (const { name, ms, wire: w } of sweep) {
    console.log(
      `      ${name}: ${ms.toFixed(0)} ms, ${mb(w)}; 30 sessions EXTRAPOLATED ${
        (ms / N * 30).toFixed(0)
      } ms`,
    );
  }
  console.log(
    `  local .h5 FFA1 rows: ${localModelMs.toFixed(0)} ms, ${mb(localRead)} read; NIfTI decode ` +
      `of the same session: ${localNiftiMs.toFixed(0)} ms, ${mb(niftiBytes)} read ` +
      `(${(localNiftiMs / localModelMs).toFixed(0)}x)`,
  );
  const nFace = face.reduce((n, v) => n + v, 0);
  console.log(
    `  (c) one session's getBetas, face ROI (${faceFrame.height} trials x ${nFace} voxels):`,
  );
  console.log(
    `      ours (node:zlib) ${zlibMs.toFixed(0)} ms: ` +
      `${(igzipMs / zlibMs).toFixed(2)}x of igzip's throughput (median igzip below)`,
  );
  for (const [r, f] of floor.entries()) {
    console.log(
      `      run ${r + 1}: ours (ISA-L via FFI${isal ? "" : ": not available, zlib"}) ` +
        `${f.isalMs.toFixed(0)} ms vs igzip -d ${f.igzipMs.toFixed(0)} ms: ` +
        `${(f.igzipMs / f.isalMs).toFixed(2)}x`,
    );
  }
  console.log(`      median: ${floorRatio.toFixed(2)}x of igzip's throughput`);
  console.log(
    `      not a goal: the whole brain (${brainFrame.height} trials x ${nBrain} voxels) ` +
      `${brainMs.toFixed(0)} ms: ${(igzipMs / brainMs).toFixed(2)}x`,
  );
  console.log(`  (b) 4 sessions x face (${shape.join(" x ")}):`);
  for (const [r, { serialMs, parallelMs }] of spread.entries()) {
    console.log(
      `      run ${r + 1}: serial (workers: 0) ${serialMs.toFixed(0)} ms; parallel ` +
        `(${defaultWorkers()} worker(s) + this thread, ${navigator.hardwareConcurrency} cores) ` +
        `${parallelMs.toFixed(0)} ms: ${(serialMs / parallelMs).toFixed(2)}x`,
    );
  }
  console.log(`      median: ${speedup.toFixed(2)}x; results bit-identical: ${sameBits}`);
  console.log(
    `      ceiling on this machine: one bare ISA-L inflate ${oneInflateMs.toFixed(0)} ms, two at ` +
      `once on two threads ${twoInflatesMs.toFixed(0)} ms: ` +
      `${(2 * oneInflateMs / twoInflatesMs).toFixed(2)}x; igzip -d ${oneIgzipMs.toFixed(0)} ms, ` +
      `two at once ${twoIgzipsMs.toFixed(0)} ms: ${(2 * oneIgzipMs / twoIgzipsMs).toFixed(2)}x`,
  );
  console.log("\nGoals:");
  const g = (ok: boolean, text: string) => console.log(`  [${ok ? "met " : "MISS"}] ${text}`);
  g(wire <= 1.2 * payload * N + 1e6 * N, "(a) bytes <= 1.2 x payload + 1 MB per session");
  g(perSession * 30 < 5000, "(a) 30 sessions (extrapolated) < 5 s on loopback");
  g(floorRatio >= 0.85, "(c) >= 0.85x igzip's throughput (median)");
  g(speedup >= 1.7, "(b) 4 sessions in parallel >= 1.7x serial (median)");
} finally {
  await stopBenchRgw(RGW);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Inflates the betas file in `n` Workers at once; each one's milliseconds. */
function inflateInWorkers(n: number): Promise<number[]> {
  return Promise.all(Array.from({ length: n }, () =>
    new Promise<number>((resolve, reject) => {
      const w = new Worker(new URL("./_inflate_worker.ts", import.meta.url), { type: "module" });
      w.onmessage = (e: MessageEvent<number>) => (w.terminate(), resolve(e.data));
      w.onerror = (e) => (w.terminate(), reject(e.error ?? e.message));
      w.postMessage(local(betasKey));
    })));
}

/** A data dir with sub-01's masks and ROIs, and 4 sessions linked to ses-01's betas and trials. */
async function fourSessionDataDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "laion-bench-par-" });
  const link = async (key: string, as = key) => {
    const dest = join(dir, bidsifyLocalKey(as));
    await Deno.mkdir(dirname(dest), { recursive: true });
    await Deno.symlink(local(key), dest);
  };
  await link(maskKey);
  for await (const cat of Deno.readDir(local(`derivatives/rois/${sub}`))) {
    for await (const f of Deno.readDir(local(`derivatives/rois/${sub}/${cat.name}`))) {
      if (f.name.includes("res-1pt8")) await link(`derivatives/rois/${sub}/${cat.name}/${f.name}`);
    }
  }
  const trialsKey = betasKey.replace(
    "space-T1w_stat-effect_desc-SingletrialBetas_statmap.nii.gz",
    "desc-SingletrialBetas_trials.tsv",
  );
  for (const ses of ["ses-01", "ses-02", "ses-03", "ses-04"]) {
    await link(betasKey, betasKey.replaceAll("ses-01", ses));
    await link(trialsKey, trialsKey.replaceAll("ses-01", ses));
  }
  return dir;
}

/**
 * Benchmark: the stimulus-side readers versus h5py / Pillow (Debian's
 * /usr/bin/python3) on the realistic stimulus files.
 *
 * Run: `deno task bench:stimuli` [--data DIR] [--reps 3]
 *
 * Set-up: unless `--data` is given, runs `scripts/generate.ts --size
 * realistic --layout current --only stimuli --out /tmp/laion-stimuli-bench`
 * (once; kept for later runs) and uses `DIR/bucket` as the data directory
 * (its `stimuli/` folder is laid out as a download leaves it). A session of
 * 1,044 trials (labels drawn with repeats from the metadata, as a real
 * session repeats shared images) is written beside it for `sub-01`.
 *
 * Cases, each repetition in its own subprocess (peak RSS per case: GNU
 * time's maximum resident set size of the child, Deno or Python); time is measured inside the
 * child around the work only: start-up and imports excluded on both
 * sides, so our lazy Polars / h5wasm / sharp loads happen before the clock
 * and are printed apart ("our lib load ms"):
 *  - `sub.embeddings.all("CLIP")` for the 1,044 trials vs h5py (trial TSV,
 *    `image_ids` map, deduplicated sorted fancy read, gather);
 *  - `loadEmbeddings().get("CLIP", names)` for 10,000 names vs h5py (same way);
 *  - `loadStimuli().images.array(names)` of 100 images as displayed (RGB on
 *    grey, one `[100, H, W, 3]` array; sharp decodes on its threads) vs
 *    Pillow (`as_displayed_rgb` + `np.asarray`, `np.stack`).
 * Prints the median time, max peak RSS and the ratios (ours / reference),
 * and checks that both sides computed the same sums.
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { generateSynth, PY_AS_DISPLAYED, runTimed } from "./_gnu_time.ts";

const PY = "/usr/bin/python3";
const MB = 1e6;
const N_TRIALS = 1044;
const N_NAMES = 10_000;
const N_IMAGES = 100;

interface Sample {
  ms: number;
  /** Loading Polars, h5wasm and sharp (ours only; not in `ms`). */
  loadMs?: number;
  rss: number;
  check: number;
}

/** Filled in by the parent from GNU time's maximum resident set size. */
const peakRss = () => NaN;

/** A seeded list of `n` names drawn from `names` (repeats allowed). */
function draw(names: string[], n: number, seed: number): string[] {
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  return Array.from({ length: n }, () => names[Math.floor(next() * names.length)]);
}

/**
 * Loads the lazily imported libraries (Polars, h5wasm, sharp) as Python's
 * imports are loaded before its clock starts; returns the milliseconds.
 */
async function warmUp(dataDir: string): Promise<number> {
  const t0 = performance.now();
  const { loadPolars } = await import("../lib/frames/polars.ts");
  await loadPolars();
  const { Hdf5File } = await import("../lib/formats/hdf5.ts");
  (await Hdf5File.open(join(dataDir, "stimuli", "task-images_desc-segmentations.h5"))).close();
  const { decodeImage } = await import("../lib/stimuli/decode.ts");
  const { encodePng } = await import("../lib/formats/png_write.ts");
  await decodeImage(encodePng({ width: 1, height: 1, channels: 3, data: new Uint8Array(3) }));
  return performance.now() - t0;
}

async function child(kind: string, dataDir: string): Promise<Sample> {
  const names: string[] = JSON.parse(await Deno.readTextFile(join(dataDir, "bench-names.json")));
  const loadMs = await warmUp(dataDir);
  const sample = await work(kind, dataDir, names);
  return { ...sample, loadMs };
}

async function work(kind: string, dataDir: string, names: string[]): Promise<Sample> {
  if (kind === "sub") {
    const { loadSubject } = await import("../lib/subject/subject.ts");
    const t0 = performance.now();
    const sub = await loadSubject("sub-01", { dataDir, maskSource: "rsquare" });
    const m = await sub.embeddings.all("CLIP");
    const ms = performance.now() - t0;
    return { ms, rss: peakRss(), check: m.data.reduce((a, b) => a + b, 0) };
  }
  if (kind === "get") {
    const { loadEmbeddings } = await import("../lib/stimuli/embeddings.ts");
    const t0 = performance.now();
    using emb = await loadEmbeddings({ dataDir, models: "CLIP" });
    const m = emb.get("CLIP", names);
    const ms = performance.now() - t0;
    return { ms, rss: peakRss(), check: m.data.reduce((a, b) => a + b, 0) };
  }
  const { loadStimuli } = await import("../lib/stimuli/stimuli.ts");
  const t0 = performance.now();
  using stim = await loadStimuli({ dataDir });
  const batch = await stim.images.array(names.slice(0, N_IMAGES));
  const ms = performance.now() - t0;
  const size = batch.shape[1] * batch.shape[2] * 3;
  let check = 0;
  for (let k = 0; k < N_IMAGES; k++) check += batch.data[k * size] + batch.data[(k + 1) * size - 1];
  return { ms, rss: peakRss(), check };
}

const PYTHON = `
import csv, io, json, resource, sys, time
import numpy as np
import h5py
from PIL import Image
kind, d = sys.argv[1], sys.argv[2]
names = json.load(open(d + "/bench-names.json"))
def gather(path, wanted):
    with h5py.File(path, "r") as f:
        ids = [x.decode() if isinstance(x, bytes) else x for x in f["image_ids"][:]]
        index = {n: i for i, n in enumerate(ids)}
        rows = np.array([index[n] for n in wanted])
        uniq, inv = np.unique(rows, return_inverse=True)
        return f["embedding"][uniq][inv].astype(np.float32)
${PY_AS_DISPLAYED}
t0 = time.perf_counter()
emb = d + "/stimuli/task-images_desc-CLIP_embeddings.h5"
if kind == "sub":
    tsv = d + "/derivatives/glmsingle-tedana/sub-01/ses-01/func/sub-01_ses-01_task-images_desc-SingletrialBetas_trials.tsv"
    labels = [r["label"] for r in csv.DictReader(open(tsv), delimiter="\\t")]
    check = float(gather(emb, labels).sum(dtype=np.float64))
elif kind == "get":
    check = float(gather(emb, names).sum(dtype=np.float64))
else:
    meta = [r["image_name"] for r in csv.DictReader(open(d + "/stimuli/task-images_metadata.csv"))]
    index = {n: i for i, n in enumerate(meta)}
    with h5py.File(d + "/stimuli/task-images_stimuli.h5", "r") as f:
        ds = f["images"]
        batch = np.stack([np.asarray(as_displayed_rgb(Image.open(io.BytesIO(ds[index[n]].tobytes()))))
                          for n in names[:${N_IMAGES}]])
ms = (time.perf_counter() - t0) * 1000
if kind == "decode":
    flat = batch.reshape(len(batch), -1)
    check = int(flat[:, 0].sum()) + int(flat[:, -1].sum())
print(json.dumps({"ms": ms, "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "check": check}))
`;

const run = (cmd: string, args: string[]) => runTimed<Sample>(cmd, args);

/** The realistic stimulus files (generated once) plus a 1,044-trial session of sub-01. */
async function prepare(data: string | undefined): Promise<string> {
  let dataDir = data;
  if (!dataDir) {
    const out = "/tmp/laion-stimuli-bench";
    dataDir = join(out, "bucket");
    try {
      await Deno.stat(join(out, "ground-truth", "stimuli.json"));
    } catch {
      console.log(`generating the realistic stimulus files into ${out} ...`);
      await generateSynth(out, ["--size", "realistic", "--layout", "current", "--only", "stimuli"]);
    }
  }
  const csv = await Deno.readTextFile(join(dataDir, "stimuli", "task-images_metadata.csv"));
  const all = csv.trim().split("\n").slice(1).map((l) => l.slice(0, l.indexOf(",")));
  await Deno.writeTextFile(
    join(dataDir, "bench-names.json"),
    JSON.stringify(draw(all, N_NAMES, 7)),
  );
  const func = join(dataDir, "derivatives", "glmsingle-tedana", "sub-01", "ses-01", "func");
  await Deno.mkdir(func, { recursive: true });
  const labels = draw(all.slice(0, 400), N_TRIALS, 11); // ~2.6 repeats per image
  await Deno.writeTextFile(
    join(func, "sub-01_ses-01_task-images_desc-SingletrialBetas_trials.tsv"),
    "session\trun\tbeta_index\tlabel\n" +
      labels.map((l, i) => `ses-01\t${1 + Math.floor(i / 87)}\t${i}\t${l}`).join("\n") + "\n",
  );
  return dataDir;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { data: { type: "string" }, reps: { type: "string" }, child: { type: "string" } },
  });
  if (values.child) {
    console.log(JSON.stringify(await child(values.child, values.data!)));
    Deno.exit(0);
  }
  const dataDir = await prepare(values.data);
  const reps = Number(values.reps ?? 3);
  const self = new URL(import.meta.url).pathname;
  const flags = [
    "--allow-read",
    "--allow-env",
    "--allow-ffi",
    "--allow-sys=cpus,networkInterfaces,hostname",
  ];
  const cases = [
    ["sub", `sub.embeddings.all("CLIP"), ${N_TRIALS} trials`],
    ["get", `loadEmbeddings().get("CLIP", ${N_NAMES} names)`],
    ["decode", `images.array of ${N_IMAGES} images (as displayed)`],
  ] as const;
  const rows: string[][] = [];
  for (const [kind, label] of cases) {
    const ours: Sample[] = [], ref: Sample[] = [];
    for (let r = 0; r < reps; r++) {
      ours.push(
        await run(Deno.execPath(), ["run", ...flags, self, "--child", kind, "--data", dataDir]),
      );
      ref.push(await run(PY, ["-c", PYTHON, kind, dataDir]));
    }
    const [a, b] = [ours, ref].map((s) => ({
      ms: median(s.map((x) => x.ms)),
      loadMs: median(s.map((x) => x.loadMs ?? 0)),
      rss: Math.max(...s.map((x) => x.rss)),
      check: s[0].check,
    }));
    const agree = Math.abs(a.check - b.check) <= 1e-3 * Math.max(1, Math.abs(b.check));
    rows.push([
      label,
      a.ms.toFixed(1),
      b.ms.toFixed(1),
      (a.ms / b.ms).toFixed(2),
      a.loadMs.toFixed(0),
      (a.rss / MB).toFixed(0),
      (b.rss / MB).toFixed(0),
      (a.rss / b.rss).toFixed(2),
      agree ? "yes" : `NO (${a.check} vs ${b.check})`,
    ]);
  }
  const head = [
    "case",
    "ours ms",
    "python ms",
    "time ratio",
    "our lib load ms",
    "ours RSS MB",
    "python RSS MB",
    "RSS ratio",
    "same sums",
  ];
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r.map((c, i) => i === 0 ? c.padEnd(width[i]) : c.padStart(width[i])).join("  ");
  console.log(`stimulus readers on ${dataDir} (median of ${reps}; peak RSS max, MB = 1e6 bytes)`);
  console.log(line(head));
  for (const r of rows) console.log(line(r));
}

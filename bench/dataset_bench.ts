/**
 * Benchmark: the training dataset (`openTrainingDataset`, upstream's
 * `LaionFMRIDataset`) on the realistic current layout versus an
 * upstream-style Python loop (nibabel + h5py + Pillow, Debian's
 * /usr/bin/python3) on the same files.
 *
 * Run: `deno task bench:dataset` [--data /tmp/laion-dataset-bench] [--items 1044]
 *
 * Set-up: unless `DIR/ground-truth/ground-truth.json` exists, runs
 * `scripts/generate.ts --size realistic --layout current --out DIR` (sub-01
 * ses-01 at the real size: 100x120x100 grid, ~272,000 brain voxels, 1044
 * trials, ~1.25 GB of betas; 25,052 stimulus images of 64 px). `DIR/data`
 * holds hard links with the local (bidsified) names.
 *
 * Cases, each in its own subprocess under GNU time (peak RSS of the child):
 *  - ours, ROI `face`: open (the betas pass) then `items({ shuffle, seed: 0,
 *    prefetch: 8 })` over `--items` items;
 *  - Python, ROI `face`: the betas of the ROI's bounding box through nibabel
 *    (one pass over the gzip stream, as upstream's reader), masked, then per
 *    item in the same order: the image bytes from h5py, Pillow decode,
 *    composite on grey, CHW float32 / 255;
 *  - ours, whole brain (~272,000 voxels per item): the case whose session
 *    matrix (1044 x 272,000 float32 = 1.1 GB) a loader holding the session
 *    would keep in memory; no Python run (upstream's reader would hold it).
 * Prints open time, items per second over the iteration, peak RSS, and
 * whether both sides summed the same betas and pixels.
 * @module
 */
import { dirname, join, relative } from "node:path";
import { parseArgs } from "node:util";
import { generateSynth, PY_AS_DISPLAYED, runTimed } from "./_gnu_time.ts";
import { bidsifyLocalKey } from "../lib/core/ids.ts";

const PY = "/usr/bin/python3";
const MB = 1e6;

interface Sample {
  openMs: number;
  iterMs: number;
  items: number;
  nVoxels: number;
  rss: number;
  check: number;
}

async function child(kind: string, dataDir: string, nItems: number): Promise<Sample> {
  const { loadSubject } = await import("../lib/subject/subject.ts");
  const { openTrainingDataset } = await import("../lib/subject/dataset.ts");
  const sub = await loadSubject("sub-01", { dataDir });
  const t0 = performance.now();
  await using ds = await openTrainingDataset(sub, {
    session: "ses-01",
    roi: kind === "brain" ? undefined : "face",
    tmpDir: "/tmp",
  });
  const openMs = performance.now() - t0;
  const t1 = performance.now();
  let check = 0, items = 0;
  for await (const it of ds.items({ shuffle: true, seed: 0, prefetch: 8 })) {
    for (const v of it.betas) if (v === v) check += v; // NaN (voxels not fitted) left out
    for (const v of it.image.data) check += v;
    if (++items === nItems) break;
  }
  return {
    openMs,
    iterMs: performance.now() - t1,
    items,
    nVoxels: ds.nVoxels,
    rss: NaN,
    check,
  };
}

const PYTHON = `
import csv, glob, io, json, sys, time
import numpy as np, nibabel as nib, h5py
from PIL import Image
d, order_path, n_items = sys.argv[1], sys.argv[2], int(sys.argv[3])
order = json.load(open(order_path))[:n_items]
sub = d + "/derivatives/glmsingle-tedana/sub-01/ses-01/func/sub-01_ses-01_task-images_"
${PY_AS_DISPLAYED}
t0 = time.perf_counter()
brain = np.asarray(nib.load(glob.glob(d + "/derivatives/anatomical/sub-01/*/anat/*_res-1pt8_desc-brain_mask.nii.gz")[0]).dataobj) != 0
roi = np.zeros(brain.shape, bool)
for p in glob.glob(d + "/derivatives/rois/sub-01/face/*_res-1pt8_*_mask.nii.gz"):
    roi |= np.asarray(nib.load(p).dataobj) != 0
sel = roi & brain
idx = np.nonzero(sel)  # C order, as the brain axis
lo = [int(a.min()) for a in idx]; hi = [int(a.max()) + 1 for a in idx]
img = nib.load(sub + "space-T1w_stat-effect_desc-SingletrialBetas_statmap.nii.gz")
box = np.asarray(img.dataobj[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2], :], dtype=np.float32)
betas = box[idx[0] - lo[0], idx[1] - lo[1], idx[2] - lo[2], :].T.copy()  # trials x voxels
labels = [r["label"] for r in csv.DictReader(open(sub + "desc-SingletrialBetas_trials.tsv"), delimiter="\\t")]
meta = [r["image_name"] for r in csv.DictReader(open(d + "/stimuli/task-images_metadata.csv"))]
row = {n: i for i, n in enumerate(meta)}
f = h5py.File(d + "/stimuli/task-images_stimuli.h5", "r")
images = f["images"]
open_ms = (time.perf_counter() - t0) * 1000
t1 = time.perf_counter()
check = 0.0
for t in order:
    b = betas[t]
    im = as_displayed_rgb(Image.open(io.BytesIO(images[row[labels[t]]].tobytes())))
    chw = np.asarray(im, dtype=np.float32).transpose(2, 0, 1) / np.float32(255)
    check += float(np.nansum(b, dtype=np.float64)) + float(chw.sum(dtype=np.float64))
iter_ms = (time.perf_counter() - t1) * 1000
print(json.dumps({"openMs": open_ms, "iterMs": iter_ms, "items": len(order), "nVoxels": int(sel.sum()), "rss": 0, "check": check}))
`;

const run = (cmd: string, args: string[]) => runTimed<Sample>(cmd, args);

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) yield* walk(p);
    else yield p;
  }
}

/** The realistic current layout (generated once) and `root/data` of hard links, local names. */
async function prepare(root: string): Promise<string> {
  try {
    await Deno.stat(join(root, "ground-truth", "ground-truth.json"));
  } catch {
    console.log(`generating the realistic current layout into ${root} ...`);
    await generateSynth(root, ["--size", "realistic", "--layout", "current"]);
  }
  const bucket = join(root, "bucket");
  const data = join(root, "data");
  for await (const file of walk(bucket)) {
    const key = relative(bucket, file);
    if (/\/ses-3\d\//.test(key)) continue; // held out: a download leaves them out
    const dest = join(data, bidsifyLocalKey(key));
    try {
      await Deno.stat(dest);
    } catch {
      await Deno.mkdir(dirname(dest), { recursive: true });
      await Deno.link(file, dest);
    }
  }
  return data;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      data: { type: "string", default: "/tmp/laion-dataset-bench" },
      items: { type: "string", default: "1044" },
      child: { type: "string" },
    },
  });
  const nItems = Number(values.items);
  if (values.child) {
    console.log(JSON.stringify(await child(values.child, values.data!, nItems)));
    Deno.exit(0);
  }
  const dataDir = await prepare(values.data!);
  const { permutation } = await import("../lib/subject/dataset.ts");
  const tsv = join(
    dataDir,
    "derivatives/glmsingle-tedana/sub-01/ses-01/func",
    "sub-01_ses-01_task-images_desc-SingletrialBetas_trials.tsv",
  );
  const nTrials = (await Deno.readTextFile(tsv)).trim().split("\n").length - 1;
  const orderPath = join(values.data!, "bench-order.json");
  await Deno.writeTextFile(orderPath, JSON.stringify(Array.from(permutation(nTrials, 0))));
  const self = new URL(import.meta.url).pathname;
  const flags = [
    "--allow-read",
    "--allow-write=/tmp",
    "--allow-env",
    "--allow-ffi",
    "--allow-sys=cpus,networkInterfaces,hostname",
  ];
  const ours = (kind: string) =>
    run(Deno.execPath(), [
      "run",
      ...flags,
      self,
      "--child",
      kind,
      "--data",
      dataDir,
      "--items",
      String(nItems),
    ]);
  const roiOurs = await ours("roi");
  const roiPy = await run(PY, ["-c", PYTHON, dataDir, orderPath, String(nItems)]);
  const brain = await ours("brain");
  const agree = Math.abs(roiOurs.check - roiPy.check) <= 1e-4 * Math.max(1, Math.abs(roiPy.check));
  const rows = [
    ["ours, ROI face", roiOurs],
    ["Python (nibabel + h5py + Pillow), ROI face", roiPy],
    ["ours, whole brain", brain],
  ] as const;
  const head = ["case", "voxels", "items", "open s", "items/s", "peak RSS MB"];
  const table = rows.map(([label, s]) => [
    label,
    String(s.nVoxels),
    String(s.items),
    (s.openMs / 1000).toFixed(1),
    (s.items / (s.iterMs / 1000)).toFixed(0),
    (s.rss / MB).toFixed(0),
  ]);
  const width = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r.map((c, i) => i === 0 ? c.padEnd(width[i]) : c.padStart(width[i])).join("  ");
  console.log(
    `training dataset on ${dataDir} (sub-01 ses-01, ${nTrials} trials; shuffled, seed 0, ` +
      `prefetch 8; MB = 1e6 bytes)`,
  );
  console.log(line(head));
  for (const r of table) console.log(line(r));
  console.log(
    `same betas + pixel sums (ours vs Python, ROI): ${
      agree ? "yes" : `NO (${roiOurs.check} vs ${roiPy.check})`
    }; the whole-brain session matrix would be ${(nTrials * brain.nVoxels * 4 / MB).toFixed(0)} MB`,
  );
}

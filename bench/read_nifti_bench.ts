/**
 * Benchmark: masked 4-D NIfTI extraction versus the gunzip floor and nibabel.
 *
 * Run:
 *   deno run --allow-read --allow-write=/tmp --allow-run=/usr/bin/python3 bench/read_nifti_bench.ts [--small]
 *
 * Writes a synthetic float32 `.nii.gz` with /usr/bin/python3 + nibabel
 * (100x120x100 x 100 volumes, ~27 % in-brain ellipsoid mask, zeros outside,
 * gzip ratio ~0.26), then measures
 * in one run:
 *  1. streaming gunzip alone into a preallocated buffer (the floor),
 *  2. our `readNifti4dMasked` — wall time and peak RSS (sampled),
 *  3. nibabel `get_fdata(dtype=np.float32)` + mask — time and peak RSS
 *     (`resource.getrusage`),
 * and checks that both outputs agree (NaN-aware sum and spot values).
 * @module
 */
import { createReadStream } from "node:fs";
import { createGunzip } from "node:zlib";
import { readNifti4dMasked } from "../lib/formats/nifti.ts";

const PY = "/usr/bin/python3";
const small = Deno.args.includes("--small");
const [NX, NY, NZ, NT] = small ? [50, 60, 50, 20] : [100, 120, 100, 100];

const GENERATE = String.raw`
import sys, time, numpy as np, nibabel as nib
out, nx, ny, nz, nt = sys.argv[1], *map(int, sys.argv[2:6])
i, j, k = np.meshgrid(np.arange(nx), np.arange(ny), np.arange(nz), indexing="ij")
r = 0.80  # semi-axes 0.8 x half-size -> ~27 % of the box
mask = (((i - (nx - 1) / 2) / (r * nx / 2)) ** 2 + ((j - (ny - 1) / 2) / (r * ny / 2)) ** 2
        + ((k - (nz - 1) / 2) / (r * nz / 2)) ** 2) <= 1
rng = np.random.default_rng(1)
data = np.zeros((nx, ny, nz, nt), np.float32)
n = int(mask.sum())
for t in range(nt):
    data[..., t][mask] = rng.normal(0, 2, n).astype(np.float32)
data[mask.nonzero()[0][0], mask.nonzero()[1][0], mask.nonzero()[2][0], 0] = np.nan
nib.save(nib.Nifti1Image(data, np.diag([1.8, 1.8, 1.8, 1])), out + "/betas.nii.gz")
mask.astype(np.uint8).reshape(-1, order="C").tofile(out + "/mask.u8")
print(n)
`;

const REFERENCE = String.raw`
import sys, time, resource, json
t0 = time.perf_counter()
import numpy as np, nibabel as nib
t_import = time.perf_counter() - t0
out = sys.argv[1]
mask = np.fromfile(out + "/mask.u8", np.uint8).astype(bool)
t1 = time.perf_counter()
img = nib.load(out + "/betas.nii.gz")
d = img.get_fdata(dtype=np.float32)
x, y, z = d.shape[:3]
sel = d.reshape(x * y * z, -1)[mask].T.copy()   # (n_volumes, n_selected), C-order voxels
t2 = time.perf_counter()
print(json.dumps({
    "seconds": t2 - t1,
    "importSeconds": t_import,
    "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "sum": float(np.nansum(sel, dtype=np.float64)),
    "shape": list(sel.shape),
    "probe": [float(sel[3, 5]), float(sel[-1, -1]), float(sel[50 % sel.shape[0], sel.shape[1] // 2])],
}))
`;

const MiB = 1024 * 1024;
const fmt = (x: number, d = 2) => x.toFixed(d);

async function py(args: string[]): Promise<string> {
  const out = await new Deno.Command(PY, { args, stderr: "inherit" }).output();
  if (!out.success) throw new Error(`${PY} failed`);
  return new TextDecoder().decode(out.stdout).trim();
}

/** Streaming gunzip into a preallocated buffer, nothing else: the floor. */
async function gunzipFloor(path: string, bufBytes: number): Promise<number> {
  const buf = new Uint8Array(bufBytes);
  let fill = 0;
  let total = 0;
  const gz = createReadStream(path, { highWaterMark: MiB }).pipe(createGunzip({ chunkSize: MiB }));
  for await (const c of gz as AsyncIterable<Uint8Array>) {
    let off = 0;
    while (off < c.length) {
      const n = Math.min(c.length - off, bufBytes - fill);
      buf.set(c.subarray(off, off + n), fill);
      fill = (fill + n) % bufBytes;
      off += n;
    }
    total += c.length;
  }
  return total;
}

/** Samples RSS every 5 ms (and on demand) while `fn` runs. */
async function withPeakRss<T>(fn: (sample: () => void) => Promise<T>) {
  let peak = Deno.memoryUsage().rss;
  const sample = () => {
    const r = Deno.memoryUsage().rss;
    if (r > peak) peak = r;
  };
  const timer = setInterval(sample, 5);
  const t0 = performance.now();
  try {
    const value = await fn(sample);
    sample();
    return { value, seconds: (performance.now() - t0) / 1000, peakRss: peak };
  } finally {
    clearInterval(timer);
  }
}

const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "laion_fmri_bench_" });
try {
  console.log(`Generating ${NX}x${NY}x${NZ} x ${NT} float32 .nii.gz with nibabel in ${dir} ...`);
  let t = performance.now();
  const nMask = Number(
    await py(["-c", GENERATE, dir, String(NX), String(NY), String(NZ), String(NT)]),
  );
  const gzBytes = (await Deno.stat(`${dir}/betas.nii.gz`)).size;
  const rawBytes = NX * NY * NZ * NT * 4;
  console.log(
    `  done in ${fmt((performance.now() - t) / 1000, 1)} s: ${fmt(gzBytes / MiB, 1)} MiB gz, ` +
      `${fmt(rawBytes / MiB, 1)} MiB raw (ratio ${fmt(gzBytes / rawBytes)}), ` +
      `mask ${nMask} voxels (${fmt((100 * nMask) / (NX * NY * NZ), 1)} %)`,
  );
  const mask = await Deno.readFile(`${dir}/mask.u8`);
  const path = `${dir}/betas.nii.gz`;

  const baseRss = Deno.memoryUsage().rss;

  // 1. floor first, so that whatever heap it leaves behind can only inflate our figure
  const floor = await withPeakRss(() => gunzipFloor(path, NX * NY * NZ * 4));

  // 2. ours
  const ours = await withPeakRss((sample) => readNifti4dMasked(path, mask, { onProgress: sample }));
  let sum = 0;
  for (const v of ours.value.data) if (v === v) sum += v;
  const outMiB = ours.value.data.byteLength / MiB;

  // 3. nibabel
  t = performance.now();
  const ref = JSON.parse(await py(["-c", REFERENCE, dir]));
  const refWall = (performance.now() - t) / 1000;

  // agreement
  const d = ours.value.data;
  const n = ours.value.nSelected;
  const probe = [d[3 * n + 5], d[d.length - 1], d[(50 % NT) * n + Math.floor(n / 2)]];
  const agree = JSON.stringify(ref.shape) === JSON.stringify([ours.value.nVolumes, n]) &&
    probe.every((v, i) => Object.is(v, ref.probe[i]) || v === ref.probe[i]) &&
    Math.abs(sum - ref.sum) <= 1e-6 * Math.max(1, Math.abs(ref.sum));

  const rawMBs = (s: number) => fmt(rawBytes / 1e6 / s, 0);
  console.log(`\nOutput: ${ours.value.nVolumes} x ${n} float32 = ${fmt(outMiB, 1)} MiB`);
  console.log(`Deno RSS before reading: ${fmt(baseRss / MiB, 0)} MiB\n`);
  const rows = [
    ["", "seconds", "MB/s (raw)", "peak RSS MiB", "vs floor", "vs nibabel"],
    [
      "ours readNifti4dMasked",
      fmt(ours.seconds),
      rawMBs(ours.seconds),
      fmt(ours.peakRss / MiB, 0),
      `${fmt(ours.seconds / floor.seconds)}x`,
      `${fmt(ours.seconds / ref.seconds)}x time, ${fmt(ours.peakRss / MiB / ref.peakRssMiB)}x RSS`,
    ],
    [
      "gunzip floor (node:zlib)",
      fmt(floor.seconds),
      rawMBs(floor.seconds),
      fmt(floor.peakRss / MiB, 0),
      "1.00x",
      "",
    ],
    [
      "nibabel get_fdata(f32)+mask",
      fmt(ref.seconds),
      rawMBs(ref.seconds),
      fmt(ref.peakRssMiB, 0),
      `${fmt(ref.seconds / floor.seconds)}x`,
      `(+${fmt(ref.importSeconds)} s import; ${fmt(refWall)} s process wall)`,
    ],
  ];
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) console.log(r.map((x, c) => x.padEnd(w[c])).join("  "));
  console.log(
    `\nOutputs agree with nibabel: ${agree ? "yes" : "NO"} (sum ours ${sum.toFixed(3)}, ` +
      `nibabel ${ref.sum.toFixed(3)})`,
  );
  if (!agree) Deno.exitCode = 1;
} finally {
  await Deno.remove(dir, { recursive: true });
}

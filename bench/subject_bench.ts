/**
 * Benchmark: the Subject API on a realistic session versus the gunzip floor
 * and nibabel/numpy.
 *
 * Run (minimal flags; the children get their own, see `CHILD_FLAGS`):
 *   deno run --allow-read --allow-write=/tmp --allow-run bench/subject_bench.ts \
 *     [--data /tmp/laion-bench-realistic] [--size realistic|small] [--reps 3]
 * (`--allow-env --allow-ffi --allow-sys` may be added; the parent does not need them.)
 *
 * Set-up: when `DATA/ground-truth/ground-truth.json` is missing, runs
 * `scripts/generate.ts --size realistic --out DATA` (sub-01/ses-01 at the real
 * size: 100x120x100 grid, ~272,000 brain voxels, 1044 trials, ~1.25 GB betas);
 * then builds `DATA/data/` from `DATA/bucket/` with bidsified paths as
 * symlinks, without the held-out sessions (as a download would lay it out).
 *
 * Cases on sub-01 / ses-01, each repetition in its own subprocess so that the
 * peak RSS is per case (`VmHWM` of the Deno child, `ru_maxrss` of Python);
 * wall time is measured inside the child around the work only (Deno start-up,
 * module loading and `import nibabel` excluded; the lazy Polars load is
 * included):
 *  - ours: `loadSubject` + `getBetas({ roi: "face" })` (DataFrame),
 *    `getBetaMatrix({ roi: "all" })` (Float32Array), `getBetas({ roi: "all" })`;
 *  - floor: streaming gunzip of the betas file (node:zlib), output discarded;
 *  - reference: Debian /usr/bin/python3 nibabel `get_fdata(dtype=np.float32)`
 *    + brain mask (R2mean non-zero or NaN) [+ union of the face ROI masks]
 *    + `data[mask].T` (trials x voxels, C-contiguous).
 * Reports the median time, throughput over the uncompressed data size
 * (`nx*ny*nz*nt*4` bytes), max peak RSS, ratios, the goals, and checks that
 * the face-ROI sums (NaN-aware) of ours and nibabel agree.
 * @module
 */
import { dirname, join, relative } from "node:path";
import { parseArgs } from "node:util";
import { pathExists } from "../lib/core/fs.ts";
import { bidsifyLocalKey, isHeldOutKey } from "../lib/core/ids.ts";
import { readNiftiHeader } from "../lib/formats/nifti.ts";
import { SubjectPaths } from "../lib/local/paths.ts";

const PY = "/usr/bin/python3";
/**
 * GNU time, for the peak RSS of the Deno children: Deno grants
 * `/proc/self/status` only with --allow-all, and `%M` is the same figure
 * (`ru_maxrss` of the child = its `VmHWM`).
 */
const TIME = "/usr/bin/time";
const SUBJECT = "sub-01";
const SESSION = "ses-01";
const MB = 1e6;
/** Permissions of the Deno children (reading files, Polars through FFI). */
const CHILD_FLAGS = ["--allow-read", "--allow-env", "--allow-ffi", "--allow-sys"];
/** A nibabel run that takes longer than this is killed and reported. */
const PY_TIMEOUT_MS = 6 * 60_000;

type CaseId =
  | "floor"
  | "ours-face-df"
  | "ours-all-matrix"
  | "ours-all-df"
  | "ours-brain-matrix"
  | "nibabel-face"
  | "nibabel-all"
  | "nibabel-brain";

/** What a child reports (one JSON line on stdout); Deno children get `peakRssBytes` from `time`. */
interface Sample {
  seconds: number;
  peakRssBytes?: number;
  shape?: [number, number];
  sum?: number;
  bytes?: number;
}

/** `extra`: not one of the goals' cases (reported, not counted). */
const CASES: { id: CaseId; label: string; roi?: "face" | "all"; ref?: CaseId; extra?: boolean }[] =
  [
    { id: "floor", label: "gunzip floor (node:zlib, discard)" },
    {
      id: "ours-face-df",
      label: "ours getBetas roi=face (DataFrame)",
      roi: "face",
      ref: "nibabel-face",
    },
    {
      id: "ours-all-matrix",
      label: "ours getBetaMatrix roi=all (Float32Array)",
      roi: "all",
      ref: "nibabel-all",
    },
    {
      id: "ours-all-df",
      label: "ours getBetas roi=all (DataFrame)",
      roi: "all",
      ref: "nibabel-all",
    },
    {
      id: "ours-brain-matrix",
      label: "ours getBetaMatrix no roi (whole brain)",
      ref: "nibabel-brain",
      extra: true,
    },
    { id: "nibabel-face", label: "nibabel get_fdata(f32) + face ROIs mask", roi: "face" },
    { id: "nibabel-all", label: "nibabel get_fdata(f32) + all ROIs mask", roi: "all" },
    { id: "nibabel-brain", label: "nibabel get_fdata(f32) + brain mask" },
  ];

// ------------------------------------------------------------------ children

function nanSum(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === v) s += v;
  }
  return s;
}

async function gunzipDiscard(path: string): Promise<number> {
  const { createReadStream } = await import("node:fs");
  const { createGunzip } = await import("node:zlib");
  let total = 0;
  const gz = createReadStream(path, { highWaterMark: 1 << 20 }).pipe(
    createGunzip({ chunkSize: 1 << 20 }),
  );
  for await (const c of gz as AsyncIterable<Uint8Array>) total += c.length;
  return total;
}

async function runDenoChild(id: CaseId, dataDir: string): Promise<Sample> {
  const paths = new SubjectPaths(dataDir, SUBJECT);
  if (id === "floor") {
    const t0 = performance.now();
    const bytes = await gunzipDiscard(paths.betas(SESSION));
    return { seconds: (performance.now() - t0) / 1000, bytes };
  }
  const { loadSubject } = await import("../lib/subject/subject.ts");
  const t0 = performance.now();
  const sub = await loadSubject(SUBJECT, { dataDir });
  if (id === "ours-all-matrix" || id === "ours-brain-matrix") {
    const roi = id === "ours-all-matrix" ? "all" : undefined;
    const m = await sub.getBetaMatrix({ session: SESSION, roi });
    const seconds = (performance.now() - t0) / 1000;
    return { seconds, shape: m.shape, sum: nanSum(m.values) };
  }
  const roi = id === "ours-face-df" ? "face" : "all";
  const df = await sub.getBetas({ session: SESSION, roi });
  const seconds = (performance.now() - t0) / 1000;
  const col = df.getColumn("betas");
  const width = (col.dtype as unknown as { inner: [unknown, number] }).inner[1];
  const out: Sample = { seconds, shape: [df.height, width] };
  if (id === "ours-face-df") {
    // The DataFrame's own values, back out of Polars (small: the face selection only).
    out.sum = nanSum(col.explode().toTypedArray() as Float32Array);
  }
  return out;
}

const PY_CHILD = String.raw`
import sys, os, time, json, resource
try:  # this process, not a colleague's, is the one the OOM killer should pick
    with open("/proc/self/oom_score_adj", "w") as f: f.write("1000")
except OSError:
    pass
import numpy as np, nibabel as nib
betas, r2mean, rois_dir, subject, category = sys.argv[1:6]
t0 = time.perf_counter()
r2 = nib.load(r2mean).get_fdata()
mask = (r2 != 0) | np.isnan(r2)
if category != "-":  # "-": every brain voxel; "all": every ROI; else one category
    head, tail = f"{subject}_space-T1w_res-1pt8_label-", "_mask.nii.gz"
    seen, roi = set(), np.zeros(mask.shape, bool)
    cats = sorted(d for d in os.listdir(rois_dir) if os.path.isdir(os.path.join(rois_dir, d)))
    for cat in (cats if category == "all" else [category]):
        for f in sorted(os.listdir(os.path.join(rois_dir, cat))):
            if not (f.startswith(head) and f.endswith(tail)) or f in seen:
                continue  # an ROI name found in two categories counts once (first wins)
            seen.add(f)
            m = nib.load(os.path.join(rois_dir, cat, f)).get_fdata()
            roi |= (m != 0) | np.isnan(m)
    mask &= roi
img = nib.load(betas)
data = img.get_fdata(dtype=np.float32)
sel = np.ascontiguousarray(data[mask].T)  # (trials, voxels), voxels in C-order
t1 = time.perf_counter()
print(json.dumps({
    "seconds": t1 - t0,
    "peakRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    "shape": list(sel.shape),
    "sum": float(np.nansum(sel, dtype=np.float64)),
}))
`;

// ------------------------------------------------------------------ parent

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) yield* walk(p);
    else yield p;
  }
}

/** Generates the dataset when its ground truth is missing. */
async function ensureDataset(root: string, size: string): Promise<void> {
  if (await pathExists(join(root, "ground-truth", "ground-truth.json"))) return;
  console.log(`Generating the ${size} dataset in ${root} ...`);
  const t0 = performance.now();
  const gen = join(dirname(new URL(import.meta.url).pathname), "..", "scripts", "generate.ts");
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      `--allow-write=${root}`,
      "--allow-env",
      gen,
      "--size",
      size,
      "--out",
      root,
      "--quiet",
    ],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`scripts/generate.ts failed (exit ${out.code})`);
  console.log(`  generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/**
 * `root/data/`: the bucket tree with bidsified paths as symlinks, held-out
 * sessions left out. Rebuilt (into a temp folder, then renamed) when missing.
 */
async function ensureDataDir(root: string): Promise<string> {
  const dataDir = join(root, "data");
  const bucket = join(root, "bucket");
  const stamp = join(dataDir, ".bench-links");
  const truthMtime = (await Deno.stat(join(root, "ground-truth", "ground-truth.json"))).mtime;
  const want = String(truthMtime?.getTime() ?? 0);
  if ((await pathExists(stamp)) && (await Deno.readTextFile(stamp)) === want) return dataDir;
  const tmp = await Deno.makeTempDir({ dir: root, prefix: ".data-" });
  // Deno.symlink needs unscoped --allow-write; `ln -s` (through xargs) does not.
  const pairs: string[] = [];
  for await (const file of walk(bucket)) {
    const key = relative(bucket, file);
    if (isHeldOutKey(key)) continue;
    const dest = join(tmp, bidsifyLocalKey(key));
    await Deno.mkdir(dirname(dest), { recursive: true });
    pairs.push(file, dest);
  }
  const ln = new Deno.Command("xargs", {
    args: ["-0", "-n", "2", "ln", "-s", "--"],
    stdin: "piped",
    stderr: "inherit",
  }).spawn();
  const w = ln.stdin.getWriter();
  await w.write(new TextEncoder().encode(pairs.map((p) => p + "\0").join("")));
  await w.close();
  if (!(await ln.status).success) throw new Error("xargs ln -s failed");
  const n = pairs.length / 2;
  await Deno.writeTextFile(join(tmp, ".bench-links"), want);
  if (await pathExists(dataDir)) await Deno.remove(dataDir, { recursive: true }); // links only
  await Deno.rename(tmp, dataDir);
  console.log(`Linked ${n} files into ${dataDir}`);
  return dataDir;
}

async function runChild(id: CaseId, dataDir: string): Promise<Sample | string> {
  const paths = new SubjectPaths(dataDir, SUBJECT);
  let cmd: Deno.Command;
  if (id.startsWith("nibabel")) {
    const category = id === "nibabel-face" ? "face" : id === "nibabel-all" ? "all" : "-";
    cmd = new Deno.Command(PY, {
      args: ["-c", PY_CHILD, paths.betas(SESSION), paths.r2mean, paths.roisDir, SUBJECT, category],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(PY_TIMEOUT_MS),
    });
  } else {
    cmd = new Deno.Command(TIME, {
      args: [
        "-f",
        "MAXRSS_KB=%M",
        Deno.execPath(),
        "run",
        ...CHILD_FLAGS,
        new URL(import.meta.url).pathname,
        "--child",
        id,
        "--data-dir",
        dataDir,
      ],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    });
  }
  const t0 = performance.now();
  const out = await cmd.output();
  const wall = (performance.now() - t0) / 1000;
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-3).join(" | ");
    const why = out.signal === "SIGKILL" && wall * 1000 >= PY_TIMEOUT_MS - 1000
      ? `killed after ${PY_TIMEOUT_MS / 60_000} min`
      : out.signal === "SIGKILL"
      ? "killed (SIGKILL: out of memory?)"
      : `exit ${out.code}${out.signal ? ` (${out.signal})` : ""}`;
    return `${why}${err ? `: ${err}` : ""}`;
  }
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  const sample = JSON.parse(lines[lines.length - 1]) as Sample;
  if (sample.peakRssBytes === undefined) {
    const m = new TextDecoder().decode(out.stderr).match(/MAXRSS_KB=(\d+)/);
    if (!m) return `no MAXRSS_KB from ${TIME}`;
    sample.peakRssBytes = Number(m[1]) * 1024;
  }
  return sample;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Needs --allow-sys (optional). */
function loadAvg(): string {
  try {
    return Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
  } catch {
    return "? (needs --allow-sys)";
  }
}

function table(rows: string[][]): void {
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) {
    console.log(r.map((x, c) => (c === 0 ? x.padEnd(w[c]) : x.padStart(w[c]))).join("  "));
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      data: { type: "string", default: "/tmp/laion-bench-realistic" },
      size: { type: "string", default: "realistic" },
      reps: { type: "string", default: "3" },
      child: { type: "string" },
      "data-dir": { type: "string" },
    },
  });
  if (values.child) {
    const sample = await runDenoChild(values.child as CaseId, values["data-dir"]!);
    console.log(JSON.stringify(sample));
    return;
  }
  const root = values.data;
  const reps = Number(values.reps);
  await ensureDataset(root, values.size);
  const dataDir = await ensureDataDir(root);
  const betasPath = new SubjectPaths(dataDir, SUBJECT).betas(SESSION);
  const h = await readNiftiHeader(betasPath);
  const [nx, ny, nz] = h.shape3d;
  const rawBytes = nx * ny * nz * h.nVolumes * 4;
  const gzBytes = (await Deno.stat(betasPath)).size;
  console.log(
    `${SUBJECT}/${SESSION} betas: ${nx}x${ny}x${nz} x ${h.nVolumes} ${h.datatypeName}, ` +
      `${(gzBytes / MB).toFixed(0)} MB gz, ${(rawBytes / MB).toFixed(0)} MB uncompressed`,
  );
  // Warm the page cache, so that no case pays for the first read from disk.
  {
    const f = await Deno.open(betasPath);
    const buf = new Uint8Array(1 << 22);
    while ((await f.read(buf)) !== null) { /* discard */ }
    f.close();
  }
  console.log(`${reps} repetitions per case, round-robin; load average ${loadAvg()}`);

  const samples = new Map<CaseId, Sample[]>(CASES.map((c) => [c.id, []]));
  const failures = new Map<CaseId, string>();
  for (let r = 0; r < reps; r++) {
    for (const c of CASES) {
      if (failures.has(c.id)) continue; // a case that failed once (OOM, timeout) is not retried
      const res = await runChild(c.id, dataDir);
      if (typeof res === "string") {
        failures.set(c.id, res);
        console.log(`  rep ${r + 1} ${c.id}: FAILED ${res}`);
      } else {
        samples.get(c.id)!.push(res);
        console.log(
          `  rep ${r + 1} ${c.id.padEnd(17)} ${res.seconds.toFixed(2).padStart(7)} s  ` +
            `${(res.peakRssBytes! / MB).toFixed(0).padStart(5)} MB` +
            (res.shape ? `  ${res.shape[0]} x ${res.shape[1]}` : ""),
        );
      }
    }
  }
  console.log(`load average after: ${loadAvg()}\n`);

  const stat = (id: CaseId) => {
    const s = samples.get(id)!;
    if (s.length === 0) return undefined;
    const seconds = median(s.map((x) => x.seconds));
    return {
      seconds,
      mbps: rawBytes / MB / seconds,
      rss: Math.max(...s.map((x) => x.peakRssBytes!)),
      shape: s[0].shape,
      sum: s[0].sum,
    };
  };
  const floor = stat("floor");
  const rows = [[
    "case",
    "wall s",
    "MB/s",
    "peak RSS MB",
    "x floor thrpt",
    "speed-up vs nib",
    "RSS / nib",
  ]];
  for (const c of CASES) {
    const s = stat(c.id);
    if (!s) {
      rows.push([c.label, "FAILED", "", "", "", "", ""]);
      continue;
    }
    const ref = c.ref ? stat(c.ref) : undefined;
    rows.push([
      c.label,
      s.seconds.toFixed(2),
      s.mbps.toFixed(0),
      (s.rss / MB).toFixed(0),
      floor ? (s.mbps / floor.mbps).toFixed(2) : "-",
      ref ? (ref.seconds / s.seconds).toFixed(1) + "x" : "",
      ref ? (s.rss / ref.rss).toFixed(3) : "",
    ]);
  }
  console.log(
    `Median of ${reps} runs (work only, measured in the child); MB/s of uncompressed data ` +
      `(${(rawBytes / MB).toFixed(0)} MB); max peak RSS (MB = 1e6 bytes)`,
  );
  table(rows);
  for (const [id, why] of failures) console.log(`FAILED ${id}: ${why}`);

  console.log("\nGoals:");
  let allMet = true;
  let extra = false;
  const goal = (name: string, ok: boolean | undefined, detail: string) => {
    if (ok !== true && !extra) allMet = false;
    console.log(
      `  [${ok === undefined ? "n/a " : ok ? "met " : "MISS"}] ${name}: ${detail}` +
        (extra ? " (extra case, not counted)" : ""),
    );
  };
  for (const c of CASES.filter((c) => c.id.startsWith("ours"))) {
    extra = c.extra ?? false;
    const s = stat(c.id);
    const ref = stat(c.ref!);
    const tput = s && floor ? s.mbps / floor.mbps : undefined;
    goal(
      `${c.id} throughput >= 0.85x floor`,
      tput === undefined ? undefined : tput >= 0.85,
      tput === undefined ? "no data" : `${tput.toFixed(2)}x`,
    );
    const speed = s && ref ? ref.seconds / s.seconds : undefined;
    goal(
      `${c.id} >= 3x faster than nibabel`,
      speed === undefined ? undefined : speed >= 3,
      speed === undefined ? `no data (${failures.get(c.ref!) ?? "?"})` : `${speed.toFixed(1)}x`,
    );
    const frac = s && ref ? s.rss / ref.rss : undefined;
    goal(
      `${c.id} peak RSS <= 1/5 of nibabel's`,
      frac === undefined ? undefined : frac <= 0.2,
      frac === undefined
        ? "no data"
        : `${(s!.rss / MB).toFixed(0)} / ${(ref!.rss / MB).toFixed(0)} MB = ${frac.toFixed(3)}`,
    );
  }

  console.log("\nCorrectness (shape, and NaN-aware float64 sum, relative tolerance 1e-6):");
  for (const c of CASES.filter((c) => c.ref)) {
    const s = stat(c.id), ref = stat(c.ref!);
    if (!s || !ref) {
      console.log(`  ${c.id}: not compared (a case failed)`);
      continue;
    }
    const sameShape = JSON.stringify(s.shape) === JSON.stringify(ref.shape);
    const hasSum = s.sum !== undefined && ref.sum !== undefined;
    const diff = hasSum ? Math.abs(s.sum! - ref.sum!) : 0;
    const ok = sameShape && diff <= 1e-6 * Math.max(1, Math.abs(ref.sum ?? 0));
    if (!ok) allMet = false;
    console.log(
      `  ${c.id} vs ${c.ref}: ${ok ? "agree" : "DIFFER"}; shape ${s.shape?.join(" x ")} vs ` +
        `${ref.shape?.join(" x ")}` +
        (hasSum
          ? `, sum ${s.sum!.toFixed(4)} vs ${ref.sum!.toFixed(4)} (|diff| ${diff.toExponential(2)})`
          : " (sum not taken from this DataFrame)"),
    );
  }
  console.log(allMet ? "\nAll goals met." : "\nNot all goals met.");
}

if (import.meta.main) await main();

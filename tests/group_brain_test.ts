// Group API and brain space on a data directory made from the synthetic bucket.
import assert from "node:assert/strict";
import { join } from "node:path";
import pl from "nodejs-polars";
import {
  getSplitMasks,
  getTrainTestIds,
  LaionFmriError,
  loadSubject,
  loadSubjects,
  setWarningHandler,
  UnknownRoiError,
} from "../mod.ts";
import { SharedBetas } from "../lib/subject/group.ts";
import { CachedSource, S3Source } from "../lib/bucket/mod.ts";
import { readNiftiHeader, readNiftiMaskedValues } from "../lib/formats/mod.ts";
import { groundTruth, makeDataDir } from "./_data_dir.ts";
import { localEndpoint } from "./_helpers.ts";

const dataDir = await makeDataDir();
const gt = groundTruth();

function sharedLabels(subject: string, sessions: string[]): Set<string> {
  const out = new Set<string>();
  for (const s of sessions) {
    for (const l of gt.subjects[subject].sessions[s].labels as string[]) {
      if (l.startsWith("shared_")) out.add(l);
    }
  }
  return out;
}

Deno.test("loadSubjects: sorted iteration, lookup by id and position, clear errors", async () => {
  const group = await loadSubjects(["sub-03", "01"], { dataDir });
  assert.equal(group.size, 2);
  assert.deepEqual([...group].map(([id]) => id), ["sub-01", "sub-03"]);
  assert.equal(group.get("sub-03").subjectId, "sub-03");
  assert.equal(group.get(0).subjectId, "sub-01");
  assert.equal(group.get(-1).subjectId, "sub-03");
  assert.throws(
    () => group.get("sub-99"),
    /Subject 'sub-99' not in group\. Members: sub-01, sub-03/,
  );
  assert.throws(() => group.get(2), LaionFmriError);
  await assert.rejects(() => loadSubjects(["sub-01", "sub-42"], { dataDir }), /sub-42/);
  const all = await loadSubjects("all", {
    dataDir,
    source: new CachedSource(new S3Source({ endpoint: localEndpoint() })),
  });
  assert.deepEqual(all.ids, ["sub-01", "sub-03", "sub-05", "sub-06", "sub-07"]);
});

Deno.test("getSharedBetas aligns rows by shared stimulus and averages repetitions", async () => {
  const group = await loadSubjects(["sub-01", "sub-05"], { dataDir });
  const shared = await group.getSharedBetas({ roi: "face" });
  const s1 = sharedLabels("sub-01", ["ses-01", "ses-02", "ses-03"]);
  const s5 = sharedLabels("sub-05", ["ses-01", "ses-02"]);
  const expected = [...s1].filter((l) => s5.has(l)).sort();
  assert.deepEqual(shared.labels, expected);
  assert.ok(expected.length > 0);
  // Recompute one row of sub-05 by hand from the raw trials.
  const sub = await loadSubject("sub-05", { dataDir });
  const label = expected[0];
  const n = shared.subjects.get("sub-05")!.nVoxels;
  const sum = new Float64Array(n);
  let reps = 0;
  for (const session of ["ses-01", "ses-02"]) {
    const m = await sub.getBetaMatrix({ session, roi: "face" });
    (m.trials.getColumn("label").toArray() as string[]).forEach((l, t) => {
      if (l !== label) return;
      reps++;
      m.row(t).forEach((v, c) => sum[c] += v);
    });
  }
  const mine = shared.subjects.get("sub-05")!;
  assert.equal(mine.repetitions[0], reps);
  assert.deepEqual(
    Array.from(mine.values.subarray(0, n)),
    Array.from(sum, (v) => Math.fround(v / reps)),
  );
  const df = await shared.toDataFrame();
  assert.deepEqual(df.columns, ["subject", "label", "repetitions", "betas"]);
  assert.equal(df.height, 2 * expected.length);
  const trials = await group.getSharedTrials({ sessions: ["ses-01"], roi: "FFA1" });
  assert.ok(trials.get("sub-01")!.labels.every((l) => l.startsWith("shared_")));
});

Deno.test("toNifti round trip: our reader and nibabel read back the values (.nii and .nii.gz)", async () => {
  for (const name of ["roundtrip.nii.gz", "roundtrip.nii"]) await toNiftiRoundTrip(name);
  const sub = await loadSubject("sub-01", { dataDir });
  for (const bad of ["x.nifti", "x.nii.zip", "x"]) {
    await assert.rejects(
      () => sub.toNifti(new Float32Array(3), join(dataDir, bad), { roi: "face" }),
      (e: unknown) =>
        e instanceof TypeError && e.message.includes(bad) && /"\.nii".*"\.nii\.gz"/.test(e.message),
    );
  }
});

async function toNiftiRoundTrip(name: string) {
  const sub = await loadSubject("sub-01", { dataDir });
  const out = join(dataDir, name);
  const n = (await sub.getRoiMask("face")).reduce((a, b) => a + b, 0);
  const values = Float32Array.from({ length: n }, (_, i) => i + 0.5);
  await sub.toNifti(values, out, { roi: "face" });
  const brain = await sub.getBrainMask();
  const roi = await sub.getRoiMask("face");
  const full = new Uint8Array(brain.length);
  let c = 0;
  brain.forEach((v, f) => {
    if (v && roi[c++]) full[f] = 1;
  });
  assert.deepEqual(await readNiftiMaskedValues(out, full), values);
  const h = await readNiftiHeader(out);
  const r2 = await readNiftiHeader(sub.paths.r2mean);
  assert.deepEqual(h.affine, r2.affine);
  const py = new Deno.Command("/usr/bin/python3", {
    args: [
      "-c",
      `import nibabel as nib, numpy as np, json, sys
img = nib.load(sys.argv[1]); d = np.asarray(img.dataobj).reshape(-1)
idx = json.loads(sys.argv[2])
print(json.dumps({"v": d[idx].tolist(), "nz": int(np.count_nonzero(d)), "shape": list(img.shape)}))`,
      out,
      JSON.stringify([...full.keys()].filter((f) => full[f])),
    ],
  });
  const res = await py.output();
  assert.equal(res.code, 0, new TextDecoder().decode(res.stderr));
  const got = JSON.parse(new TextDecoder().decode(res.stdout));
  assert.deepEqual(got.v, Array.from(values));
  assert.equal(got.nz, n);
  assert.deepEqual(got.shape, gt.grid.dims);
  // The extension decides the bytes: gzip magic 1f 8b, or sizeof_hdr 348 (LE).
  const head = (await Deno.readFile(out)).subarray(0, 2);
  assert.deepEqual([...head], name.endsWith(".gz") ? [0x1f, 0x8b] : [0x5c, 0x01]);
  await assert.rejects(
    () => sub.toNifti(new Float32Array(3), out, { roi: "face" }),
    /got 3, expected \d+/,
  );
}

Deno.test("a group names the subject that lacks an ROI", async () => {
  const labels = (id: string) =>
    new Set(
      (Object.values(gt.subjects[id].rois) as { label: string }[][]).flat().map((r) => r.label),
    );
  const [one, three] = [labels("sub-01"), labels("sub-03")];
  const only = [...three].find((l) => !one.has(l)) ?? "FFA9";
  const group = await loadSubjects(["sub-01", "sub-03"], { dataDir });
  await assert.rejects(() => group.getSharedBetas({ roi: only }), (e: unknown) => {
    assert.ok(e instanceof UnknownRoiError);
    assert.equal(e.subject, "sub-01");
    assert.match(e.message, new RegExp(`for sub-01: '${only}'`));
    return true;
  });
});

Deno.test("SharedBetas is made by the library only", () => {
  // @ts-expect-error the constructor is private (was public with @internal)
  assert.ok(typeof (() => new SharedBetas([], new Map())) === "function");
});

Deno.test("getSplitMasks warns when a subject pool meets another subject's trials", async () => {
  const [train, test] = await getTrainTestIds("random_0", { pool: "sub-05" });
  const own = [...train, ...test].filter((l) => !l.startsWith("shared_")).slice(0, 40);
  const warnings: string[] = [];
  const prev = setWarningHandler((w) => warnings.push(w));
  try {
    await getSplitMasks(own, "random_0", { pool: "sub-05" });
    assert.deepEqual(warnings, []);
    await getSplitMasks(own, "random_0", { pool: "sub-01" });
    assert.match(warnings[0], /40 of 40 labels are in neither .* pool "sub-01"/);
    const trials = pl.DataFrame({ subject: own.map(() => "sub-05"), label: own });
    await getSplitMasks(trials, "random_0", { pool: "sub-01" });
    assert.match(warnings[1], /pool "sub-01" applied to trials of \['sub-05'\]/);
  } finally {
    setWarningHandler(prev);
  }
});

Deno.test("getVoxelCoordinates: T1w scanner coordinates in voxel-axis order", async () => {
  const sub = await loadSubject("sub-01", { dataDir });
  const xyz = await sub.getVoxelCoordinates({ roi: "FFA1" });
  const m = await sub.getBetaMatrix({ session: "ses-01", roi: "FFA1" });
  const vox = await m.voxels();
  const [i, j, k] = ["i", "j", "k"].map((c) => vox.getColumn(c).toArray() as number[]);
  const a = gt.grid.affine;
  assert.equal(xyz.length, 3 * i.length);
  i.forEach((_, c) => {
    for (let r = 0; r < 3; r++) {
      const want = a[r][0] * i[c] + a[r][1] * j[c] + a[r][2] * k[c] + a[r][3];
      assert.ok(Math.abs(xyz[3 * c + r] - want) < 1e-4, `voxel ${c} axis ${r}`);
    }
  });
  assert.equal((await sub.getVoxelCoordinates()).length, 3 * gt.subjects["sub-01"].nBrainVoxels);
});

Deno.test({ name: "cleanup", fn: () => Deno.remove(dataDir, { recursive: true }) });

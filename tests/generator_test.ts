import assert from "node:assert/strict";
import {
  expectedBeta,
  generateDataset,
  type GeneratedDataset,
  INT16_SCALING,
  ROI_INVENTORY,
  SYNTH_SUBJECTS,
  synthKeys,
} from "../scripts/generate.ts";
import { ROI_CATEGORIES } from "../lib/core/constants.ts";
import { ROI_TOTALS } from "./_helpers.ts";

const SPLITS = "/work/shared/laion-fmri-splits";
const splitsDir = await Deno.stat(`${SPLITS}/shared/ood.json`).then(() => SPLITS, () => null);

async function gen(seed: number): Promise<GeneratedDataset> {
  const out = await Deno.makeTempDir({ prefix: "laion-synth-test-" });
  return await generateDataset({ out, size: "small", seed, splitsDir });
}

const ds1 = await gen(1);
const hashes = (d: GeneratedDataset) => new Map(d.manifest.map((m) => [m.key, m.sha256]));

Deno.test("same seed gives byte-identical files, another seed differs", async () => {
  const again = await gen(1);
  const other = await gen(2);
  try {
    assert.deepEqual(hashes(again), hashes(ds1));
    // recompute the hashes from disk, do not trust the manifest
    for (const m of again.manifest.slice(0, 50)) {
      const a = await Deno.readFile(`${again.bucketDir}/${m.key}`);
      const b = await Deno.readFile(`${ds1.bucketDir}/${m.key}`);
      assert.deepEqual(a, b, m.key);
    }
    assert.equal(
      await Deno.readTextFile(`${again.groundTruthDir}/ground-truth.json`),
      await Deno.readTextFile(`${ds1.groundTruthDir}/ground-truth.json`),
    );
    const h2 = hashes(other);
    const betas = synthKeys.betas("sub-01", "ses-01");
    assert.notEqual(h2.get(betas), hashes(ds1).get(betas));
    assert.notEqual(
      h2.get(synthKeys.r2mean("sub-01")),
      hashes(ds1).get(synthKeys.r2mean("sub-01")),
    );
  } finally {
    await Deno.remove(again.out, { recursive: true });
    await Deno.remove(other.out, { recursive: true });
  }
});

Deno.test("key layout, ROI counts, hyphenated bucket labels", () => {
  const keys = new Set(ds1.manifest.map((m) => m.key));
  for (const k of ["dataset_description.json", "participants.tsv", "participants.json", "README"]) {
    assert.ok(keys.has(k), k);
  }
  for (const s of SYNTH_SUBJECTS) {
    const inv = ROI_INVENTORY[s];
    const n = ROI_CATEGORIES.reduce((a, c) => a + inv[c].length, 0);
    assert.deepEqual([n, inv.face.length], ROI_TOTALS[s], s);
    for (const c of ROI_CATEGORIES) assert.ok(inv[c].length > 0, `${s} ${c}`);
    const roiKeys = [...keys].filter((k) => k.startsWith(`derivatives/rois/${s}/`));
    assert.equal(roiKeys.length, 5 * n, s);
    for (const c of ROI_CATEGORIES) {
      for (const r of inv[c]) {
        assert.ok(keys.has(synthKeys.roiVolume(s, c, r.bucketLabel)));
        for (const h of ["L", "R"]) {
          assert.ok(keys.has(synthKeys.roiGifti(s, c, r.bucketLabel, h)));
          assert.ok(keys.has(synthKeys.roiLabel(s, c, r.bucketLabel, h)));
        }
      }
    }
    assert.ok(keys.has(synthKeys.r2mean(s)));
    for (const ses of ["ses-01", "ses-02", "ses-31", "ses-34"]) {
      assert.ok(keys.has(synthKeys.betas(s, ses)), `${s} ${ses}`);
      assert.ok(keys.has(synthKeys.trials(s, ses)));
      assert.ok(keys.has(synthKeys.sessionNc(s, ses)));
    }
  }
  assert.deepEqual(ROI_INVENTORY["sub-01"].face.map((r) => r.bucketLabel), [
    "FFA-1",
    "FFA-2",
    "OFA",
    "pSTS-faces",
  ]);
  for (
    const k of [
      "derivatives/rois/sub-01/face/sub-01_space-T1w_res-1pt8_label-FFA-1_mask.nii.gz",
      "derivatives/rois/sub-01/laion/sub-01_hemi-L_space-fsnative_label-laion-dorsal_mask.func.gii",
      "derivatives/rois/sub-01/face/sub-01_hemi-R_space-fsnative_label-pSTS-faces_mask.label",
    ]
  ) assert.ok(keys.has(k), k);
  assert.ok(![...keys].some((k) => k.includes("label-FFA1_")));
  // some ROI voxels lie outside the brain
  const gt = ds1.groundTruth.subjects["sub-01"];
  const all = ROI_CATEGORIES.flatMap((c) => gt.rois[c]);
  assert.ok(all.some((r) => r.nVoxelsInBrain < r.nVoxels));
});

Deno.test("trial TSV joins onto split ids; shared ids repeat", async () => {
  const tsv = await Deno.readTextFile(`${ds1.bucketDir}/${synthKeys.trials("sub-01", "ses-01")}`);
  const lines = tsv.trimEnd().split("\n");
  assert.equal(lines[0], "session\trun\tbeta_index\tlabel");
  const rows = lines.slice(1).map((l) => l.split("\t"));
  const gt = ds1.groundTruth.subjects["sub-01"].sessions["ses-01"];
  assert.equal(rows.length, gt.nTrials);
  assert.deepEqual(rows.map((r) => r[3]), gt.labels);
  let prevRun = 1, expect = 0;
  for (const [ses, run, bi] of rows) {
    assert.equal(ses, "ses-01");
    if (Number(run) !== prevRun) {
      assert.equal(Number(run), prevRun + 1);
      prevRun = Number(run);
      expect = 0;
    }
    assert.equal(Number(bi), expect++);
  }
  const labels = rows.map((r) => r[3]);
  const shared = labels.filter((l) => l.startsWith("shared_"));
  assert.ok(shared.length > 0 && shared.length < labels.length);
  assert.ok(new Set(shared).size < shared.length, "shared ids repeat within a session");
  const ses2 = new Set(ds1.groundTruth.subjects["sub-01"].sessions["ses-02"].labels);
  assert.ok(shared.some((l) => ses2.has(l)), "shared ids repeat across sessions");
  if (splitsDir) {
    const ids = new Set<string>();
    for (const name of ["random_0", "ood"]) {
      const split = JSON.parse(await Deno.readTextFile(`${splitsDir}/sub-01/${name}.json`));
      for (const id of [...split.variants[0].train_ids, ...split.variants[0].test_ids]) ids.add(id);
    }
    assert.ok(labels.every((l) => ids.has(l)));
  }
});

Deno.test("expectedBeta recomputes the sampled ground truth", () => {
  const samples = ds1.groundTruth.sampledBetas;
  assert.ok(samples.length >= 5 * 5);
  assert.ok(samples.some((s) => s.value === null), "a NaN sample");
  for (const s of samples) {
    const v = expectedBeta(s.subject, s.session, s.trial, s.i, s.j, s.k, "small", 1, splitsDir);
    assert.equal(Number.isNaN(v) ? null : v, s.value);
  }
  assert.equal(expectedBeta("sub-01", "ses-01", 0, 0, 0, 0, "small", 1), 0);
});

const PY = `
import gzip, json, sys, nibabel as nib, numpy as np
root, gt_path = sys.argv[1], sys.argv[2]
gt = json.load(open(gt_path))
out = {}
def load(key):
    # img.header has scaling reset by nibabel; read the raw header separately
    with gzip.open(f"{root}/{key}", "rb") as f:
        hdr = nib.Nifti1Header.from_fileobj(f)
    return nib.load(f"{root}/{key}"), hdr
for key, kind in json.loads(sys.argv[3]).items():
    img, hdr = load(key)
    d = np.asarray(img.dataobj)
    r = {"shape": list(d.shape), "affine": img.affine.tolist(), "dtype": str(hdr.get_data_dtype()),
         "slope_inter": [None if np.isnan(x) else float(x) for x in (hdr["scl_slope"], hdr["scl_inter"])],
         "vox_offset": float(hdr["vox_offset"]), "magic": hdr["magic"].item().decode(),
         "sizeof_hdr": int(hdr["sizeof_hdr"])}
    if kind == "r2":
        r["n_brain"] = int(np.count_nonzero(d != 0))
        r["n_nan"] = int(np.isnan(d).sum())
        r["outside_zero"] = bool(np.all((d == 0) | np.isnan(d) | (d > 0)))
    else:
        sub, ses = kind.split("/")
        vals = []
        for s in gt["sampledBetas"]:
            if s["subject"] == sub and s["session"] == ses:
                v = float(d[s["i"], s["j"], s["k"], s["trial"]])
                vals.append([s["i"], s["j"], s["k"], s["trial"], None if np.isnan(v) else v])
        r["values"] = vals
        r["corner"] = float(d[0, 0, 0, 0])
    out[key] = r
print(json.dumps(out))
`;

Deno.test({
  name: "independent check with nibabel (Debian /usr/bin/python3)",
  ignore: await Deno.stat("/usr/bin/python3").then(() => false, () => true),
  fn: async () => {
    const gt = ds1.groundTruth;
    // pick sessions that have samples
    const sesOf = (sub: string) => gt.sampledBetas.find((s) => s.subject === sub)!.session;
    const files: Record<string, string> = {
      [synthKeys.r2mean("sub-01")]: "r2",
      [synthKeys.r2mean("sub-05")]: "r2",
      [synthKeys.betas("sub-01", sesOf("sub-01"))]: `sub-01/${sesOf("sub-01")}`,
      [synthKeys.betas("sub-05", sesOf("sub-05"))]: `sub-05/${sesOf("sub-05")}`,
    };
    const res = await new Deno.Command("/usr/bin/python3", {
      args: [
        "-c",
        PY,
        ds1.bucketDir,
        `${ds1.groundTruthDir}/ground-truth.json`,
        JSON.stringify(files),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(res.code, 0, new TextDecoder().decode(res.stderr));
    const py = JSON.parse(new TextDecoder().decode(res.stdout));
    const close = (a: number[][], b: number[][]) =>
      a.every((row, i) => row.every((x, j) => Math.abs(x - b[i][j]) < 1e-5));
    for (const [key, kind] of Object.entries(files)) {
      const r = py[key];
      assert.equal(r.sizeof_hdr, 348);
      assert.equal(r.magic, "n+1");
      assert.equal(r.vox_offset, 352);
      assert.ok(close(r.affine, gt.grid.affine), `${key} affine ${JSON.stringify(r.affine)}`);
      if (kind === "r2") {
        const sub = key.split("/")[2];
        assert.deepEqual(r.shape, gt.grid.dims);
        assert.equal(r.dtype, "float32");
        assert.equal(r.n_brain, gt.subjects[sub].nBrainVoxels);
        assert.equal(r.n_nan, gt.subjects[sub].nBrainNaN);
        assert.ok(r.n_nan > 0);
      } else {
        const [sub, ses] = kind.split("/");
        assert.deepEqual(r.shape, [...gt.grid.dims, gt.subjects[sub].sessions[ses].nTrials]);
        if (sub === "sub-05") {
          assert.equal(r.dtype, "int16");
          assert.deepEqual(r.slope_inter, [INT16_SCALING.sclSlope, INT16_SCALING.sclInter]);
        } else {
          assert.equal(r.dtype, "float32");
        }
        assert.equal(r.corner, 0, "zero outside the brain after scaling");
        const expected = gt.sampledBetas.filter((s) => s.subject === sub && s.session === ses);
        assert.ok(expected.length > 0);
        assert.equal(r.values.length, expected.length);
        r.values.forEach((v: (number | null)[], n: number) => {
          const e = expected[n].value;
          if (e === null) assert.equal(v[4], null);
          else assert.ok(Math.abs((v[4] as number) - e) < 1e-6, `${key} ${v} vs ${e}`);
          const again = expectedBeta(sub, ses, v[3]!, v[0]!, v[1]!, v[2]!, "small", 1, splitsDir);
          assert.equal(Number.isNaN(again) ? null : again, e);
        });
      }
    }
  },
});

Deno.test("cleanup", async () => {
  await Deno.remove(ds1.out, { recursive: true });
});

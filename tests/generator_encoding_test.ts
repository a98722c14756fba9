// The planted encoding signal (scripts/synth/encoding.ts): FFA-1 betas of
// shared non-OOD trials = signal-free betas + a·(w·clip), with clip the
// float16 CLIP rows h5py reads from the embedding file; NIfTI (nibabel) and
// the GLMsingle model (h5py) hold the same values; other trials and voxels
// are untouched.
import assert from "node:assert/strict";
import {
  betaRowProducer,
  brainGeometry,
  embeddingVariance,
  type EncodingTruth,
  encodingVoxels,
  INT16_SCALING,
  isPlantedLabel,
  normals,
  SNR_RANGE,
  splitHalfReliability,
} from "../scripts/generate.ts";
import { synthCurrentDir } from "./_helpers.ts";

const dir = synthCurrentDir();
const truth: EncodingTruth = JSON.parse(
  Deno.readTextFileSync(`${dir}/ground-truth/encoding.json`),
);
const gt = JSON.parse(Deno.readTextFileSync(`${dir}/ground-truth/ground-truth.json`));

const PY = String.raw`
import json, sys
import h5py, nibabel as nib, numpy as np
d, sub, ses = sys.argv[1], sys.argv[2], sys.argv[3]
ranks = json.loads(sys.argv[4])
g = d + "/bucket/derivatives/glmsingle-tedana/%s/%s/func/" % (sub, ses)
labels = [l.split("\t")[3] for l in open(g + "%s_%s_task-images_desc-SingletrialBetas_trials.tsv" % (sub, ses)).read().splitlines()[1:]]
with h5py.File(d + "/bucket/stimuli/task-images_desc-CLIP_embeddings.h5", "r") as f:
    ids = {x.decode(): i for i, x in enumerate(f["image_ids"][:])}
    emb = f["embedding"][:]
clip = {l: emb[ids[l]].astype(np.float64).tolist() for l in set(labels) if l in ids}
model = d + "/bucket/derivatives/glmsingle-tedana/%s/%s/func/" % (sub, ses)
import glob
h5 = glob.glob(model + "*.h5")[0]
with h5py.File(h5, "r") as f:
    b = f["betasmd"][:]
    rows = b.reshape(b.shape[0], -1)[ranks].astype(np.float64)
mask = nib.load(d + "/bucket/derivatives/anatomical/%s/ses-PrismaAnat/anat/%s_ses-PrismaAnat_space-T1w_res-1pt8_desc-brain_mask.nii.gz" % (sub, sub))
flat = np.flatnonzero(np.asarray(mask.dataobj).astype(bool).ravel(order="C"))
vol = np.asarray(nib.load(g + "%s_%s_task-images_space-T1w_stat-effect_desc-SingletrialBetas_statmap.nii.gz" % (sub, ses)).get_fdata(dtype=np.float32))
nii = vol.reshape(-1, vol.shape[3])[flat[ranks]].astype(np.float64)
same = bool(np.array_equal(np.nan_to_num(nii, nan=1e9), np.nan_to_num(rows, nan=1e9)))
print(json.dumps({"labels": labels, "clip": clip, "rows": np.nan_to_num(rows, nan=1e9).tolist(), "nii_equal": same, "flat": flat[ranks].tolist()}))
`;

async function read(subject: string, session: string, ranks: number[]) {
  const r = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", PY, dir, subject, session, JSON.stringify(ranks)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(r.success, new TextDecoder().decode(r.stderr));
  return JSON.parse(new TextDecoder().decode(r.stdout)) as {
    labels: string[];
    clip: Record<string, number[]>;
    rows: number[][];
    nii_equal: boolean;
    flat: number[];
  };
}

function corr(a: number[], b: number[]): number {
  const n = a.length, ma = a.reduce((x, y) => x + y) / n, mb = b.reduce((x, y) => x + y) / n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

for (const subject of ["sub-01", "sub-05"]) { // float32 betas; int16 betas with scaling
  Deno.test(`encoding: ${subject} FFA-1 betas = signal-free betas + a·(w·clip) on shared non-OOD trials`, async () => {
    const t = truth.subjects[subject];
    assert.ok(t.voxels.length > 0, "FFA-1 has voxels");
    assert.deepEqual(
      t.voxels.map((v) => v.brainIndex),
      encodingVoxels("small", 1, subject).map((v) => v.brainIndex),
    );
    const ranks = t.voxels.map((v) => v.brainIndex);
    // a non-FFA voxel as a control
    const control = ranks[0] > 0 ? ranks[0] - 1 : ranks[ranks.length - 1] + 1;
    assert.ok(!ranks.includes(control));
    // betasmd rows = the anatomical mask's voxels: brain ranks shifted by the rim voxels before them
    const rim: number[] = gt.current.subjects[subject].anatomicalRim;
    const controlFlat = brainGeometry("small", 1, subject).brainC[control];
    const controlRow = control + rim.filter((f) => f < controlFlat).length;
    const rows = [...t.voxels.map((v) => v.modelRow), controlRow];
    const py = await read(subject, "ses-01", rows);
    assert.deepEqual(py.flat, [...t.voxels.map((v) => v.flat), controlFlat], "rows of betasmd");
    assert.ok(py.nii_equal, "NIfTI betas equal betasmd at these voxels");
    const n = py.labels.length;
    assert.equal(py.labels.filter(isPlantedLabel).length, t.plantedTrials["ses-01"]);
    assert.ok(t.plantedTrials["ses-01"] > 0);
    const plain = betaRowProducer("small", 1, subject, "ses-01", n); // no labels: no signal
    const tol = subject === "sub-05" ? INT16_SCALING.sclSlope : 1e-5;
    const pooledBeta: number[] = [], pooledSignal: number[] = [];
    [...ranks, control].forEach((r, v) => {
      const base = Array.from(plain(r, 1));
      const voxel = t.voxels[v];
      const w = voxel ? normals(voxel.wKey, 1024) : null;
      py.labels.forEach((label, k) => {
        const got = py.rows[v][k];
        if (Number.isNaN(base[k])) return assert.equal(got, 1e9); // NaN voxel stays NaN
        if (!w || !isPlantedLabel(label)) {
          assert.equal(got, base[k], `${subject} voxel ${r} trial ${k}: untouched`);
          return;
        }
        const clip = py.clip[label];
        let dot = 0;
        for (let d = 0; d < 1024; d++) dot += w[d] * clip[d];
        const signal = voxel.amplitude * dot;
        assert.ok(
          Math.abs(got - (base[k] + signal)) <= tol * Math.max(1, Math.abs(got)),
          `${subject} voxel ${r} trial ${k}: ${got} vs ${base[k]} + ${signal}`,
        );
        if (voxel.snr > 1) {
          pooledBeta.push(got);
          pooledSignal.push(signal);
        }
      });
    });
    if (pooledBeta.length >= 10) {
      // with SNR > 1 the stored betas follow the planted signal (expected r > 0.7)
      assert.ok(corr(pooledBeta, pooledSignal) > 0.5, `r = ${corr(pooledBeta, pooledSignal)}`);
    }
  });
}

const CLIP_ROWS = String.raw`
import json, sys
import h5py, numpy as np
with h5py.File(sys.argv[1] + "/bucket/stimuli/task-images_desc-CLIP_embeddings.h5", "r") as f:
    print(json.dumps(f["embedding"][:].astype(np.float64).tolist()))
`;

Deno.test("encoding: the stated SNR distribution, amplitudes and reliabilities", async () => {
  const r = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", CLIP_ROWS, dir],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(r.success, new TextDecoder().decode(r.stderr));
  const clip: number[][] = JSON.parse(new TextDecoder().decode(r.stdout));
  assert.ok(clip.length > 300, `${clip.length} CLIP rows`);
  const [lo, hi] = SNR_RANGE;
  let n = 0;
  for (const [s, t] of Object.entries(truth.subjects)) {
    for (const v of t.voxels) {
      n++;
      assert.ok(v.snr >= lo && v.snr <= hi, `${s} ${v.snr}`);
      assert.ok(Math.abs(v.amplitude - v.snr * Math.sqrt(3)) < 1e-12);
      const w = normals(v.wKey, 1024);
      assert.ok(Math.abs(v.signalVar - v.amplitude ** 2 * embeddingVariance(1, w)) < 1e-9);
      // the stated signal variance is the variance of a·(w·clip) over the stored CLIP rows
      const dots = clip.map((c) => c.reduce((a, x, d) => a + x * w[d], 0));
      const mean = dots.reduce((a, x) => a + x, 0) / dots.length;
      const empirical = v.amplitude ** 2 *
        dots.reduce((a, x) => a + (x - mean) ** 2, 0) / (dots.length - 1);
      assert.ok(
        Math.abs(empirical / v.signalVar - 1) < 0.25,
        `${s} voxel ${v.brainIndex}: signalVar ${v.signalVar} vs ${empirical} over the CLIP rows`,
      );
      assert.equal(v.reliability12, splitHalfReliability(v.signalVar, 12));
      assert.ok(v.reliability12 > v.reliability4 && v.reliability4 > 0 && v.reliability12 < 1);
    }
  }
  assert.ok(n >= 5, "planted voxels over the subjects");
  assert.deepEqual(Object.keys(truth.subjects).sort(), [
    "sub-01",
    "sub-03",
    "sub-05",
    "sub-06",
    "sub-07",
  ]);
  assert.equal(truth.roi, "FFA-1");
});

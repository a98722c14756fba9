// The generator's current-layout profile (scripts/synth/current_*.ts),
// checked against Debian's nibabel and h5py as independent readers: the
// GLMsingle model's betasmd rows are exactly the NIfTI betas at the
// res-1pt8 anatomical brain voxels in C order.
import assert from "node:assert/strict";
import {
  currentKeys,
  encodingVoxels,
  expectedSessionR2,
  FREESURFER_SURFACES,
  FREESURFER_VOLUMES,
  generateDataset,
  type GeneratedDataset,
  LOCALIZER_SPACES,
  localizerMaps,
  ROI_INVENTORY,
  SESSION_R2_RULE,
  synthKeys,
} from "../scripts/generate.ts";
import { Hdf5File } from "../lib/formats/hdf5.ts";
import { hdf5ContiguousLayout } from "../lib/formats/hdf5_layout.ts";
import { ROI_CATEGORIES } from "../lib/core/constants.ts";

const SUBJECTS = ["sub-01", "sub-05"]; // float32 betas and int16-with-scaling betas
const root = await Deno.makeTempDir({ prefix: "laion-synth-current-" });
const gen = (layout: "seed" | "current") =>
  generateDataset({
    out: `${root}/${layout}`,
    size: "small",
    seed: 1,
    layout,
    subjects: SUBJECTS,
    splitsDir: null,
  });
const seed = await gen("seed");
const ds: GeneratedDataset = await gen("current");
const keys = new Set(ds.manifest.map((m) => m.key));
const truth = ds.groundTruth.current!;

Deno.test("current layout: holds the seed profile byte for byte (but its larger trial plan), plus the new areas", () => {
  const current = new Map(ds.manifest.map((m) => [m.key, m.sha256]));
  // The current layout's small profile has more trials per session (so the planted signal
  // shows in the encoding tutorial): the betas and trial tables differ, every other seed
  // object is byte-identical.
  const perTrial = /_desc-SingletrialBetas_(statmap\.nii\.gz|trials\.tsv)$/;
  for (const m of seed.manifest) {
    assert.ok(current.has(m.key), m.key);
    if (!perTrial.test(m.key)) assert.equal(current.get(m.key), m.sha256, m.key);
    else if (!/\/ses-3\d\//.test(m.key)) assert.notEqual(current.get(m.key), m.sha256, m.key);
  }
  assert.equal(seed.groundTruth.current, undefined);
  for (const s of SUBJECTS) {
    const { sessions: a, ...restA } = ds.groundTruth.subjects[s];
    const { sessions: b, ...restB } = seed.groundTruth.subjects[s];
    assert.deepEqual(restA, restB);
    assert.deepEqual(Object.keys(a), Object.keys(b));
    for (const ses of Object.keys(a)) {
      if (a[ses].heldOut) assert.equal(a[ses].nTrials, b[ses].nTrials, `${s} ${ses}`);
      else assert.ok(a[ses].nTrials > b[ses].nTrials, `${s} ${ses}: more trials`);
      assert.equal(a[ses].labels.length, a[ses].nTrials);
    }
  }
  const areas = new Set(ds.manifest.map((m) => {
    const [a, b] = m.key.split("/");
    return a === "derivatives"
      ? `${a}/${b}`
      : a.startsWith("sub-")
      ? "raw"
      : a === "stimuli"
      ? a
      : "root";
  }));
  assert.deepEqual([...areas].sort(), [
    "derivatives/anatomical",
    "derivatives/freesurfer",
    "derivatives/glmsingle-tedana",
    "derivatives/localizers",
    "derivatives/rois",
    "derivatives/tedana",
    "raw",
    "root",
    "stimuli",
  ]);
  for (const s of SUBJECTS) {
    for (const res of [undefined, "1pt8" as const]) {
      for (const suffix of ["T1w", "T2w"] as const) {
        assert.ok(keys.has(currentKeys.anatomical(s, { suffix, res })));
      }
      assert.ok(keys.has(currentKeys.anatomical(s, { suffix: "mask", res, desc: "brain" })));
    }
    assert.ok(
      keys.has(
        `derivatives/anatomical/${s}/ses-PrismaAnat/anat/${s}_ses-PrismaAnat_space-T1w_res-1pt8_desc-brain_mask.nii.gz`,
      ),
    );
    for (const ses of Object.keys(ds.groundTruth.subjects[s].sessions)) {
      assert.ok(keys.has(currentKeys.glmModel(s, ses)), `${s} ${ses}`);
    }
    for (const c of ROI_CATEGORIES) {
      for (const r of ROI_INVENTORY[s][c]) {
        assert.ok(keys.has(currentKeys.roiVolume1pt5(s, c, r.bucketLabel)));
      }
    }
    for (const m of localizerMaps()) {
      for (const space of LOCALIZER_SPACES) assert.ok(keys.has(currentKeys.localizer(s, m, space)));
    }
    for (const h of ["lh", "rh"]) {
      for (const surf of FREESURFER_SURFACES) {
        assert.ok(keys.has(`derivatives/freesurfer/${s}/surf/${h}.${surf}`));
      }
    }
    for (const v of FREESURFER_VOLUMES) assert.ok(keys.has(`derivatives/freesurfer/${s}/mri/${v}`));
    assert.ok(keys.has(`derivatives/freesurfer/${s}/mri/transforms/talairach.lta`));
    for (const ses of ["ses-01", "ses-31"]) {
      assert.ok(
        keys.has(`${s}/${ses}/func/${s}_${ses}_task-images_run-01_echo-3_part-phase_bold.nii.gz`),
      );
      assert.ok(keys.has(`${s}/${ses}/func/${s}_${ses}_task-images_run-02_events.tsv`));
      assert.ok(keys.has(`${s}/${ses}/fmap/${s}_${ses}_run-01_phasediff.json`));
      assert.ok(keys.has(currentKeys.tedana(s, ses, 1, "nii.gz")));
    }
  }
  // the ses-31 object-localizer maps, exempt from the embargo
  assert.ok(keys.has(
    "derivatives/localizers/sub-01/ses-31/func/sub-01_ses-31_task-oloc_space-T1w_res-1pt5_contrast-objectVsScrambled_stat-z_statmap.nii.gz",
  ));
  assert.ok(keys.has(
    "derivatives/localizers/sub-05/ses-MotionLocBarsSML/func/sub-05_ses-MotionLocBarsSML_task-MotionLeft_run-01_hemi-R_space-fsnative_contrast-moving_stat-effect_statmap.func.gii",
  ));
});

Deno.test("current layout: our HDF5 reader and layout parser on the GLMsingle model", async () => {
  const s = "sub-01", ses = "ses-01";
  const path = `${ds.bucketDir}/${currentKeys.glmModel(s, ses)}`;
  using f = await Hdf5File.open(path);
  const n = truth.subjects[s].nAnatomicalBrainVoxels;
  const t = ds.groundTruth.subjects[s].sessions[ses].nTrials;
  assert.deepEqual(f.info("betasmd"), {
    name: "betasmd",
    dtype: "float32",
    shape: [n, 1, 1, t],
    chunks: null,
    filters: [],
  });
  assert.deepEqual(truth.subjects[s].glmModel[ses], [n, 1, 1, t]);
  const bytes = await Deno.readFile(path);
  const layout = hdf5ContiguousLayout(bytes.subarray(0, 1024), "betasmd")!;
  assert.equal(layout.byteLength, n * t * 4);
  const rows = f.read("betasmd", { rows: [5, 9] }) as Float32Array;
  assert.deepEqual(
    new Uint8Array(rows.buffer),
    bytes.subarray(layout.offset + 5 * layout.rowBytes, layout.offset + 9 * layout.rowBytes),
  );
});

const PY = `
import json, sys, numpy as np, nibabel as nib, h5py
root, subjects, truth = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
out = {}
def anat(s, suffix, res=None, desc=None):
    parts = [s, "ses-PrismaAnat", "space-T1w"] + ([f"res-{res}"] if res else []) + ([f"desc-{desc}"] if desc else [])
    return nib.load(f"{root}/derivatives/anatomical/{s}/ses-PrismaAnat/anat/{'_'.join(parts)}_{suffix}.nii.gz")
for s in subjects:
    r = {}
    mask = np.asarray(anat(s, "mask", "1pt8", "brain").dataobj) > 0
    r2 = np.asarray(nib.load(f"{root}/derivatives/glmsingle-tedana/{s}/{s}_task-images_space-T1w_stat-rsquare_desc-R2mean_statmap.nii.gz").dataobj)
    r["mask_sum"] = int(mask.sum())
    r2_mask = (r2 != 0) | np.isnan(r2)
    r["r2_nonzero_or_nan"] = int(r2_mask.sum())
    r["r2_inside_mask"] = bool(not (r2_mask & ~mask).any())
    r["extra"] = np.flatnonzero((mask & ~r2_mask).ravel(order="C")).tolist()
    r["nan_in_mask"] = int((np.isnan(r2) & mask).sum())
    r["rsquare"] = int(((r2 != 0) & np.isfinite(r2)).sum())
    full = anat(s, "mask", None, "brain")
    r["full_sum"] = int(np.asarray(full.dataobj).sum())
    r["full_shape"] = list(full.shape)
    r["t1_1pt8_shape"] = list(anat(s, "T1w", "1pt8").shape)
    r["t2_dtype"] = str(anat(s, "T2w").get_data_dtype())
    r["sessions"] = {}
    for ses in truth[s]:
        img = nib.load(f"{root}/derivatives/glmsingle-tedana/{s}/{ses}/func/{s}_{ses}_task-images_space-T1w_stat-effect_desc-SingletrialBetas_statmap.nii.gz")
        betas = img.get_fdata(dtype=np.float32) if img.get_data_dtype() != np.float32 else np.asarray(img.dataobj)
        rows = betas[mask]  # C order of the mask, (n_voxels, n_trials)
        with h5py.File(f"{root}/derivatives/glmsingle-tedana/{s}/{ses}/func/{s}_{ses}_task-images_space-T1w_desc-GLMsingle_model.h5", "r") as f:
            d = f["betasmd"]
            h = d[...]
            r["sessions"][ses] = {"shape": list(h.shape), "dtype": str(d.dtype), "chunks": d.chunks,
                                 "contiguous_offset": d.id.get_offset() is not None,
                                 "equal": bool(np.array_equal(h[:, 0, 0, :].view(np.uint32), rows.astype(np.float32).view(np.uint32))),
                                 "nan_rows": int(np.isnan(h[:, 0, 0, 0]).sum())}
    fs = f"{root}/derivatives/freesurfer/{s}"
    coords, faces = nib.freesurfer.read_geometry(f"{fs}/surf/lh.white")
    r["lh_white"] = [list(coords.shape), list(faces.shape), int(faces.max())]
    r["rh_sphere_radius"] = float(np.linalg.norm(nib.freesurfer.read_geometry(f"{fs}/surf/rh.sphere")[0], axis=1).mean())
    mgz = nib.load(f"{fs}/mri/aparc+aseg.mgz")
    r["aseg"] = [list(mgz.shape), sorted(int(x) for x in np.unique(np.asarray(mgz.dataobj)))]
    r["t1_mgz_dtype"] = str(nib.load(f"{fs}/mri/T1.mgz").get_data_dtype())
    loc = f"{root}/derivatives/localizers/{s}/ses-31/func/{s}_ses-31_task-oloc"
    gii = nib.load(f"{loc}_hemi-L_space-fsnative_contrast-objectVsScrambled_stat-z_statmap.func.gii")
    r["gii"] = [len(gii.darrays), int(gii.darrays[0].data.shape[0]), str(gii.darrays[0].data.dtype)]
    v15 = nib.load(f"{loc}_space-T1w_res-1pt5_contrast-objectVsScrambled_stat-z_statmap.nii.gz")
    v18 = np.asarray(nib.load(f"{loc}_space-T1w_res-1pt8_contrast-objectVsScrambled_stat-z_statmap.nii.gz").dataobj)
    r["loc15"] = [list(v15.shape), float(v15.header.get_zooms()[0])]
    r["loc18_nan_outside"] = bool(np.isnan(v18[~mask]).all() and np.isfinite(v18[mask]).all())
    bold = nib.load(f"{root}/{s}/ses-01/func/{s}_ses-01_task-images_run-01_echo-2_part-mag_bold.nii.gz")
    r["bold"] = [list(bold.shape), str(bold.get_data_dtype())]
    r["optcom"] = list(nib.load(f"{root}/derivatives/tedana/{s}/ses-01/func/{s}_ses-01_task-images_run-01_space-T1w_desc-optcom_bold.nii.gz").shape)
    out[s] = r
print(json.dumps(out, default=int))
`;

Deno.test("current layout: nibabel and h5py agree (betasmd = masked NIfTI betas, C order)", async () => {
  const sessions = Object.fromEntries(
    SUBJECTS.map((s) => [s, Object.keys(truth.subjects[s].glmModel)]),
  );
  const res = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", PY, ds.bucketDir, JSON.stringify(SUBJECTS), JSON.stringify(sessions)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(res.code, 0, new TextDecoder().decode(res.stderr));
  const py = JSON.parse(new TextDecoder().decode(res.stdout));
  const G = truth.grids;
  for (const s of SUBJECTS) {
    const r = py[s], t = truth.subjects[s], gt = ds.groundTruth.subjects[s];
    assert.equal(r.mask_sum, t.nAnatomicalBrainVoxels);
    // the anatomical mask is a strict superset of the R2mean mask (as on the real bucket):
    // the non-zero-or-NaN R2mean voxels plus the rim voxels, where R2mean is 0
    assert.equal(r.r2_nonzero_or_nan, gt.nBrainVoxels);
    assert.ok(r.r2_inside_mask, "every non-zero-or-NaN R2mean voxel is in the anatomical mask");
    assert.deepEqual(
      r.extra,
      t.anatomicalRim,
      "anatomical minus R2mean = the rim voxels (C order)",
    );
    assert.ok(t.anatomicalRim.length >= 3, `${s}: ${t.anatomicalRim.length} rim voxels`);
    assert.equal(t.nAnatomicalBrainVoxels, gt.nBrainVoxels + t.anatomicalRim.length);
    assert.equal(r.nan_in_mask, gt.nBrainNaN, "R2mean NaN voxels lie inside the anatomical mask");
    assert.equal(r.rsquare, t.nRsquareBrainVoxels);
    assert.ok(t.nRsquareBrainVoxels < gt.nBrainVoxels);
    assert.equal(r.full_sum, t.nAnatomicalBrainVoxelsFull);
    assert.deepEqual(r.full_shape, G.full.dims);
    assert.deepEqual(r.t1_1pt8_shape, G["1pt8"].dims);
    assert.equal(r.t2_dtype, "int16");
    for (const [ses, shape] of Object.entries(t.glmModel)) {
      const h = r.sessions[ses];
      assert.deepEqual(h.shape, shape, `${s} ${ses}`);
      assert.equal(h.dtype, "float32");
      assert.equal(h.chunks, null);
      assert.ok(h.contiguous_offset);
      assert.ok(h.equal, `${s} ${ses}: betasmd equals the NIfTI betas at the masked voxels`);
      assert.equal(h.nan_rows, s === "sub-05" ? 0 : gt.nBrainNaN);
    }
    // a closed triangulated sphere (scripts/synth/recon.ts): 2n - 4 triangles
    assert.deepEqual(r.lh_white, [
      [gt.surfaces.L, 3],
      [2 * gt.surfaces.L - 4, 3],
      gt.surfaces.L - 1,
    ]);
    assert.ok(Math.abs(r.rh_sphere_radius - 100) < 1e-3);
    assert.deepEqual(r.aseg, [G.full.dims, [0, 2, 41]]);
    assert.equal(r.t1_mgz_dtype, "uint8");
    assert.deepEqual(r.gii, [1, gt.surfaces.L, "float32"]);
    assert.deepEqual(r.loc15, [G["1pt5"].dims, 1.5]);
    assert.ok(r.loc18_nan_outside);
    assert.deepEqual(r.bold, [[...G["1pt8"].dims, t.raw.volumes], "int16"]);
    assert.deepEqual(r.optcom, [...G["1pt8"].dims, t.raw.volumes]);
  }
});

Deno.test("current layout: deterministic, and the seed keys stay where the seed has them", async () => {
  const again = await generateDataset({
    out: `${root}/again`,
    size: "small",
    seed: 1,
    layout: "current",
    subjects: ["sub-01"],
    splitsDir: null,
  });
  const sha = new Map(ds.manifest.map((m) => [m.key, m.sha256]));
  for (const m of again.manifest) assert.equal(sha.get(m.key), m.sha256, m.key);
  assert.ok(keys.has(synthKeys.betas("sub-01", "ses-01")));
});

const PY_R2 = `
import json, sys, numpy as np, nibabel as nib, h5py
root, s, sessions = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
g = f"{root}/derivatives/glmsingle-tedana/{s}"
r2mean = np.asarray(nib.load(f"{g}/{s}_task-images_space-T1w_stat-rsquare_desc-R2mean_statmap.nii.gz").dataobj)
out = {}
for ses in sessions:
    pre = f"{g}/{ses}/func/{s}_{ses}_task-images"
    img = nib.load(f"{pre}_space-T1w_stat-rsquare_desc-R2_statmap.nii.gz")
    betas = nib.load(f"{pre}_space-T1w_stat-effect_desc-SingletrialBetas_statmap.nii.gz")
    v = np.asarray(img.dataobj).astype(np.float64)
    with h5py.File(f"{pre}_space-T1w_desc-GLMsingle_model.h5", "r") as f:
        model_shape = list(f["betasmd"].shape)
    out[ses] = {
        "dtype": str(img.get_data_dtype()),
        "shape": list(img.shape),
        "same_affine": bool(np.allclose(img.affine, betas.affine)),
        "flat": np.nan_to_num(v.ravel(order="C"), nan=-1.0).tolist(),
        "nan_where_r2mean_nan": bool(np.array_equal(np.isnan(v), np.isnan(r2mean))),
        "zero_where_r2mean_zero": bool((v[r2mean == 0] == 0).all()),
        "sidecar": json.load(open(f"{pre}_space-T1w_stat-rsquare_desc-R2_statmap.json")),
        "trials_json": json.load(open(f"{pre}_desc-SingletrialBetas_trials.json")),
        "trials_header": open(f"{pre}_desc-SingletrialBetas_trials.tsv").readline().rstrip("\\n").split("\\t"),
        "model_json": json.load(open(f"{pre}_space-T1w_desc-GLMsingle_model.json")),
        "model_shape": model_shape,
    }
print(json.dumps(out))
`;

Deno.test("current layout: per-session R² maps (percent) and the R², trials and model sidecars", async () => {
  for (const s of SUBJECTS) {
    const sessions = Object.keys(truth.subjects[s].glmModel);
    const res = await new Deno.Command("/usr/bin/python3", {
      args: ["-c", PY_R2, ds.bucketDir, s, JSON.stringify(sessions)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(res.code, 0, new TextDecoder().decode(res.stderr));
    const py = JSON.parse(new TextDecoder().decode(res.stdout));
    const planted = new Set(encodingVoxels("small", 1, s).map((v) => v.flat));
    assert.ok(planted.size > 0);
    for (const ses of sessions) {
      const r = py[ses];
      for (const ext of ["nii.gz", "json"] as const) {
        assert.ok(keys.has(currentKeys.sessionR2(s, ses, ext)), `${s} ${ses} R² .${ext}`);
      }
      assert.equal(r.dtype, "float32");
      assert.deepEqual(r.shape, truth.grids["1pt8"].dims);
      assert.ok(r.same_affine, "R² map on the betas' grid");
      assert.ok(r.nan_where_r2mean_nan, "NaN exactly where R2mean is NaN");
      assert.ok(r.zero_where_r2mean_zero, "0 outside the R2mean mask");
      // values as the stated rule, and the planted voxels above all others
      let minPlanted = Infinity, maxOther = -Infinity;
      (r.flat as number[]).forEach((v, f) => {
        const want = expectedSessionR2("small", 1, s, ses, f);
        if (Number.isNaN(want)) return assert.equal(v, -1);
        assert.equal(v, want, `${s} ${ses} voxel ${f}`);
        if (want === 0) return;
        assert.ok(want > 0 && want <= 100, "percent");
        if (planted.has(f)) minPlanted = Math.min(minPlanted, v);
        else maxOther = Math.max(maxOther, v);
      });
      assert.ok(minPlanted > maxOther, `${s} ${ses}: planted R² ${minPlanted} > ${maxOther}`);
      assert.equal(r.sidecar.Units, "percent");
      assert.deepEqual(r.sidecar.Sources, [synthKeys.betas(s, ses).split("/").pop()]);
      assert.deepEqual(Object.keys(r.trials_json), r.trials_header, "one entry per TSV column");
      for (const c of r.trials_header) assert.equal(typeof r.trials_json[c].Description, "string");
      assert.deepEqual(r.model_json.Datasets.betasmd.Shape, r.model_shape);
      assert.equal(
        r.model_json.BrainMask,
        currentKeys.anatomical(s, { suffix: "mask", res: "1pt8", desc: "brain" }),
      );
      assert.ok(
        keys.has(currentKeys.glmModelJson(s, ses)) && keys.has(currentKeys.trialsJson(s, ses)),
      );
    }
  }
  assert.equal(truth.sessionR2, SESSION_R2_RULE);
});

Deno.test("cleanup", async () => {
  await Deno.remove(root, { recursive: true });
});

/**
 * Subject on the current layout: mask sources, anatomical / FreeSurfer /
 * localizer / raw accessors, res-1pt5 ROIs, and the GLMsingle model file as
 * a betas source (bit-identical to the NIfTI path).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DataNotDownloadedError, InvalidChoiceError } from "../lib/core/errors.ts";
import { loadSubject } from "../lib/subject/subject.ts";
import { makeCurrentDataDir, makeDataDir } from "./_data_dir.ts";
import { synthCurrentDir } from "./_helpers.ts";

// deno-lint-ignore no-explicit-any
function truth(): any {
  const dir = join(synthCurrentDir(), "ground-truth", "ground-truth.json");
  return JSON.parse(Deno.readTextFileSync(dir));
}

/** Volumes read by nibabel (Debian's Python): `[path, volume]` -> C-order values. */
async function nibabelVolumes(files: [string, number][]): Promise<number[][]> {
  const code = `
import json, sys
import nibabel as nib, numpy as np
out = []
for path, t in json.loads(sys.argv[1]):
    img = nib.load(path)
    d = np.asarray(img.get_fdata(dtype=np.float64))
    if d.ndim == 4:
        d = d[..., t]
    out.append(np.ravel(d, order="C").tolist())
print(json.dumps(out))
`;
  const run = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", code, JSON.stringify(files)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!run.success) throw new Error(new TextDecoder().decode(run.stderr));
  return JSON.parse(new TextDecoder().decode(run.stdout));
}

const sum = (m: Uint8Array) => m.reduce((a, b) => a + b, 0);
const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

Deno.test("subject current layout", async (t) => {
  const dataDir = await makeCurrentDataDir();
  const gt = truth();
  const cur = gt.current.subjects["sub-01"];
  try {
    const sub = await loadSubject("sub-01", { dataDir });

    await t.step("maskSource defaults to anatomical; counts of both sources", async () => {
      assert.equal(sub.maskSource, "anatomical");
      assert.equal(await sub.getNVoxels(), cur.nAnatomicalBrainVoxels);
      assert.equal(sum(await sub.getBrainMask()), cur.nAnatomicalBrainVoxels);
      assert.equal(sum(await sub.getBrainMask({ res: null })), cur.nAnatomicalBrainVoxelsFull);
      assert.equal(
        await sub.getNVoxels({ source: "anatomical", res: null }),
        cur.nAnatomicalBrainVoxelsFull,
      );
      // rsquare with upstream's NaN rule (nanInMask) vs finite non-zero only.
      const rsq = await loadSubject("sub-01", { dataDir, maskSource: "rsquare", nanInMask: false });
      assert.equal(await rsq.getNVoxels(), cur.nRsquareBrainVoxels);
      const nR2 = gt.subjects["sub-01"].nBrainVoxels; // non-zero-or-NaN R2mean
      assert.equal(sum(await sub.getBrainMask({ source: "rsquare", res: null })), nR2);
      // the anatomical mask is a strict superset of the R2mean mask (as on the real bucket)
      assert.equal(await sub.getNVoxels({ maskSource: "rsquare" }), nR2);
      assert.ok(cur.nAnatomicalBrainVoxels > nR2 && nR2 > cur.nRsquareBrainVoxels);
      const noNan = await loadSubject("sub-01", { dataDir, nanInMask: false });
      assert.equal(
        await noNan.getNVoxels({ maskSource: "rsquare" }),
        cur.nRsquareBrainVoxels,
      );
      const nc = await rsq.getNoiseCeiling({ session: "ses-01" });
      assert.equal(nc.length, cur.nRsquareBrainVoxels);
      const ncA = await rsq.getNoiseCeiling({ session: "ses-01", maskSource: "anatomical" });
      assert.equal(ncA.length, cur.nAnatomicalBrainVoxels);
      const coords = await rsq.getVoxelCoordinates({ roi: "face" });
      const roi = await rsq.getRoiMask("face");
      assert.equal(coords.length, 3 * sum(roi));
      await assert.rejects(
        loadSubject("sub-01", { dataDir, maskSource: "bogus" as "rsquare" }),
        InvalidChoiceError,
      );
      await assert.rejects(sub.getNVoxels({ maskSource: "bogus" as "rsquare" }), /source/);
    });

    await t.step("seed layout keeps the R2mean rule", async () => {
      const seedDir = await makeDataDir();
      try {
        const seed = await loadSubject("sub-01", { dataDir: seedDir });
        assert.equal(seed.maskSource, "rsquare");
        assert.equal(await seed.hasAnatomical(), false);
        await assert.rejects(
          seed.getNVoxels({ maskSource: "anatomical" }),
          (e: Error) =>
            e instanceof DataNotDownloadedError && e.message.includes("includeAnatomical: true") &&
            e.message.includes("--include-anatomical"),
        );
        assert.equal(await seed.hasFreesurfer(), false);
        await assert.rejects(
          seed.getFreesurferDir(),
          (e: Error) =>
            e instanceof DataNotDownloadedError && /freesurfer/i.test(e.message) &&
            e.message.includes("includeFreesurfer: true") &&
            e.message.includes("--include-freesurfer"),
        );
        await assert.rejects(seed.getAnatomicalDir(), /anatomical/i);
        await assert.rejects(seed.getT1w(), /includeAnatomical/);
        assert.equal(await seed.hasRaw(), false);
      } finally {
        await Deno.remove(seedDir, { recursive: true });
      }
    });

    await t.step("anatomical and FreeSurfer accessors", async () => {
      assert.equal(await sub.hasAnatomical(), true);
      assert.equal(await sub.getAnatomicalDir(), join(dataDir, "derivatives/anatomical/sub-01"));
      assert.equal(await sub.hasFreesurfer(), true);
      assert.equal(await sub.getFreesurferDir(), join(dataDir, "derivatives/freesurfer/sub-01"));
      const t1 = await sub.getT1w();
      assert.ok(t1.path.endsWith("sub-01_ses-PrismaAnat_space-T1w_T1w.nii.gz"));
      assert.deepEqual((await t1.load()).shape, gt.current.grids.full.dims);
      const t1r = await sub.getT1w({ res: "1pt8" });
      assert.ok(t1r.path.includes("res-1pt8"));
      assert.deepEqual((await t1r.load()).shape, gt.current.grids["1pt8"].dims);
      assert.ok((await sub.getT2w()).path.endsWith("_space-T1w_T2w.nii.gz"));
      const m = await sub.getAnatomicalBrainMask({ res: "1pt8" });
      assert.ok(m.path.endsWith("_res-1pt8_desc-brain_mask.nii.gz"));
      const vol = await m.load();
      assert.equal(vol.data.filter((v) => v !== 0).length, cur.nAnatomicalBrainVoxels);
    });

    await t.step("missing anatomical mask names the download", async () => {
      const dir = await makeCurrentDataDir();
      try {
        const mask = join(
          dir,
          "derivatives/anatomical/sub-01/ses-PrismaAnat/anat",
          "sub-01_ses-PrismaAnat_space-T1w_res-1pt8_desc-brain_mask.nii.gz",
        );
        await Deno.remove(mask);
        const s = await loadSubject("sub-01", { dataDir: dir });
        assert.equal(s.maskSource, "anatomical");
        await assert.rejects(
          s.getBetaMatrix({ session: "ses-01" }),
          (e: Error) =>
            e instanceof DataNotDownloadedError && e.message.includes(mask) &&
            e.message.includes(
              'download({ subject: "sub-01", includeAnatomical: true, acceptLicense: true })',
            ) &&
            e.message.includes(
              "laion-fmri download --subject sub-01 --include-anatomical --accept-license",
            ),
        );
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });

    await t.step("localizer maps", async () => {
      const p = await sub.getLocalizerMapPath({
        task: "MotionLeft",
        contrast: "movingVsStatic",
        hemi: "L",
      });
      assert.equal(
        p,
        join(
          dataDir,
          "derivatives/localizers/sub-01/ses-MotionLocBarsSML/func",
          "sub-01_ses-MotionLocBarsSML_task-MotionLeft_hemi-L_space-fsnative_contrast-movingVsStatic_stat-z_statmap.func.gii",
        ),
      );
      const oloc = await sub.getLocalizerMapPath({
        task: "oloc",
        contrast: "scrambled",
        run: 2,
        hemi: "R",
      });
      assert.ok(oloc.endsWith(
        "sub-01_ses-31_task-oloc_run-02_hemi-R_space-fsnative_contrast-scrambled_stat-effect_statmap.func.gii",
      ));
      const v = await sub.readLocalizerVolume({ task: "floc", contrast: "faceVsOthers" });
      assert.deepEqual(v.shape, gt.current.grids["1pt5"].dims);
      const v8 = await sub.readLocalizerVolume({
        task: "floc",
        contrast: "faceVsOthers",
        res: "1pt8",
      });
      assert.deepEqual(v8.shape, gt.current.grids["1pt8"].dims);
      const z = await sub.readLocalizerSurface({
        task: "floc",
        contrast: "faceVsOthers",
        hemi: "L",
      });
      assert.equal(z.length, gt.subjects["sub-01"].surfaces.L);
      await assert.rejects(
        sub.getLocalizerMapPath({ task: "MotionLoc", contrast: "moving", run: 1, hemi: "L" }),
        RangeError,
      );
      await assert.rejects(sub.getLocalizerMapPath({ task: "floc", contrast: "x" }), RangeError);
      await assert.rejects(
        sub.getLocalizerMapPath({ task: "floc", contrast: "nope", space: "T1w" }),
        (e: Error) =>
          e instanceof DataNotDownloadedError && e.message.includes("includeLocalizers: true") &&
          e.message.includes("--include-localizers"),
      );
    });

    await t.step("raw accessors", async () => {
      assert.equal(await sub.hasRaw(), true);
      assert.equal(await sub.hasRaw({ session: "ses-01" }), true);
      assert.equal(await sub.hasRaw({ session: "ses-31" }), false); // held out
      const r1 = await sub.getEvents({ session: "ses-01", run: 1 });
      assert.ok(r1.columns.includes("onset"));
      const all = await sub.getEvents({ session: "ses-01" });
      assert.equal(all.columns[0], "run");
      const r2 = await sub.getEvents({ session: "ses-01", run: 2 });
      assert.equal(all.height, r1.height + r2.height);
      assert.deepEqual([...new Set(all.getColumn("run").toArray())], ["01", "02"]);
      const bold = await sub.getRawBoldPath({ session: "ses-01", run: 1, echo: 2 });
      assert.ok(bold.endsWith("sub-01_ses-01_task-images_run-01_echo-2_part-mag_bold.nii.gz"));
      const sbref = await sub.getSbrefPath({ session: "ses-01", run: 2 });
      assert.ok(sbref.endsWith("_run-02_echo-1_part-mag_sbref.nii.gz"));
      await assert.rejects(
        sub.getRawBoldPath({ session: "ses-01", run: 9 }),
        (e: Error) =>
          e instanceof DataNotDownloadedError &&
          e.message.includes('downloadRaw({ subject: "sub-01", ses: "ses-01", run: "09"') &&
          e.message.includes("laion-fmri download-raw --subject sub-01 --ses ses-01 --run 09"),
      );
    });

    await t.step("ROI masks at res-1pt5", async () => {
      const rois = await sub.getAvailableRois({ category: "face" });
      const ffa = rois.find((r) => r.startsWith("FFA") && r.endsWith("1"))!;
      const vol = await sub.getRoiVolume(ffa, { res: "1pt5" });
      assert.deepEqual(vol.shape, gt.current.grids["1pt5"].dims);
      assert.equal(sum(vol.mask), cur.rois1pt5["FFA-1"]);
      assert.ok((await sub.getRoiMaskPath(ffa, { res: "1pt5" })).includes("_res-1pt5_"));
      const v8 = await sub.getRoiVolume(ffa);
      assert.deepEqual(v8.shape, gt.current.grids["1pt8"].dims);
      await assert.rejects(sub.getRoiVolume(ffa, { res: "2" as "1pt5" }), RangeError);
    });

    await t.step("every single-file accessor returns one handle: path + load()", async () => {
      const rois = await sub.getAvailableRois({ category: "face" });
      const ffa = rois.find((r) => r.startsWith("FFA") && r.endsWith("1"))!;
      const t1 = await sub.getT1w({ res: "1pt8" });
      const mapT1w = await sub.getLocalizerMap({
        task: "floc",
        contrast: "faceVsOthers",
        space: "T1w",
      });
      const mapL = await sub.getLocalizerMap({ task: "floc", contrast: "faceVsOthers", hemi: "L" });
      const bold = await sub.getRawBold({ session: "ses-01", run: 1, echo: 2 });
      const sbref = await sub.getSbref({ session: "ses-01", run: 2 });
      const roi = await sub.getRoiMaskFile(ffa, { res: "1pt5" });
      for (const f of [t1, mapT1w, mapL, bold, sbref, roi]) {
        assert.deepEqual(Object.keys(f).sort(), ["load", "path"]);
        assert.ok((await Deno.stat(f.path)).isFile, f.path);
      }
      // The deprecated path / loader methods are thin delegates of the handles.
      assert.equal(await sub.getRawBoldPath({ session: "ses-01", run: 1, echo: 2 }), bold.path);
      assert.equal(await sub.getSbrefPath({ session: "ses-01", run: 2 }), sbref.path);
      assert.equal(await sub.getRoiMaskPath(ffa, { res: "1pt5" }), roi.path);
      const q = { task: "floc", contrast: "faceVsOthers" } as const;
      assert.equal(await sub.getLocalizerMapPath({ ...q, space: "T1w" }), mapT1w.path);
      assert.deepEqual(
        bits((await mapT1w.load()).data),
        bits((await sub.readLocalizerVolume(q)).data),
      );
      const z = await mapL.load();
      assert.deepEqual(bits(z), bits(await sub.readLocalizerSurface({ ...q, hemi: "L" })));
      const { mask, shape } = await roi.load();
      assert.deepEqual(shape, gt.current.grids["1pt5"].dims);
      assert.equal(sum(mask), cur.rois1pt5["FFA-1"]);
      // Values against nibabel (an independent reader): C-order, one volume of the 4-D run.
      const ref = await nibabelVolumes([[t1.path, 0], [bold.path, 1], [sbref.path, 0]]);
      const got = [
        (await t1.load()).data,
        (await bold.load({ volume: 1 })).data,
        (await sbref.load()).data,
      ];
      got.forEach((g, i) => {
        assert.equal(g.length, ref[i].length);
        let worst = 0;
        g.forEach((v, k) => worst = Math.max(worst, Math.abs(v - ref[i][k])));
        assert.ok(worst <= 1e-4 * (1 + Math.max(...ref[i].map(Math.abs))), `file ${i}: ${worst}`);
      });
      assert.notDeepEqual(
        bits((await bold.load({ volume: 1 })).data),
        bits((await bold.load()).data),
      );
    });

    await t.step("model file betas are bit-identical to the NIfTI path", async () => {
      for (const roi of ["face", "all", undefined]) {
        const nifti = await sub.getBetaMatrix({ session: "ses-01", roi });
        const model = await sub.getBetaMatrix({ session: "ses-01", roi, betasSource: "model" });
        assert.deepEqual(model.shape, nifti.shape);
        assert.deepEqual(bits(model.values), bits(nifti.values));
        assert.deepEqual(model.brainIndex, nifti.brainIndex);
      }
      const shared = { session: "ses-01", roi: "face", stimuli: "shared" as const };
      const a = await sub.getBetaMatrix(shared);
      const b = await sub.getBetaMatrix({ ...shared, betasSource: "model" });
      assert.deepEqual(bits(b.values), bits(a.values));
      // rsquare axis (NaN voxels excluded): rows mapped into the anatomical mask.
      const rsq = await loadSubject("sub-01", { dataDir, maskSource: "rsquare", nanInMask: false });
      const c = await rsq.getBetaMatrix({ session: "ses-02", roi: "all" });
      const d = await rsq.getBetaMatrix({ session: "ses-02", roi: "all", betasSource: "model" });
      assert.deepEqual(bits(d.values), bits(c.values));
      const fa = await sub.getBetas({ session: "ses-01", roi: "face" });
      const fb = await sub.getBetas({ session: "ses-01", roi: "face", betasSource: "model" });
      assert.equal(fb.height, fa.height);
      assert.deepEqual(fb.columns, fa.columns);
      assert.deepEqual(
        fb.getColumn("betas").toArray().map((r) => Array.from(r as Iterable<number>)),
        fa.getColumn("betas").toArray().map((r) => Array.from(r as Iterable<number>)),
      );
      await assert.rejects(
        sub.getBetas({ session: "ses-01", betasSource: "h5" as "model" }),
        InvalidChoiceError,
      );
      const dir = await makeCurrentDataDir();
      try {
        const s = await loadSubject("sub-01", { dataDir: dir });
        await Deno.remove(
          join(
            dir,
            "derivatives/glmsingle-tedana/sub-01/ses-01/func",
            "sub-01_ses-01_task-images_space-T1w_desc-GLMsingle_model.h5",
          ),
        );
        await assert.rejects(
          s.getBetaMatrix({ session: "ses-01", betasSource: "model" }),
          (e: Error) =>
            e instanceof DataNotDownloadedError && e.message.includes("GLMsingle") &&
            e.message.includes("--desc GLMsingle --suffix model"),
        );
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

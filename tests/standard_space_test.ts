/**
 * Subject.toTemplate / volumeToSurface / volumeToTemplate /
 * surfaceToTemplate on the synthetic current-layout subject with a recon of
 * known geometry and a local TemplateFlow home (tests/_templates_world.ts):
 * shapes, the planted pattern where the truth puts it, invariants, errors,
 * BIDS outputs, and both whole chains against NumPy/SciPy/nibabel
 * (tests/reference/templates_ref.py).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { InvalidChoiceError } from "../lib/core/errors.ts";
import { readGiftiDataArrays } from "../lib/formats/gifti.ts";
import { readNiftiHeader, readNiftiVolume } from "../lib/formats/nifti.ts";
import { invertMatrix4 } from "../lib/core/matrix4.ts";
import { geodesicSphere } from "../lib/space/icosphere.ts";
import { loadSubject } from "../lib/subject/subject.ts";
import { templateflowHome } from "../lib/subject/standard_space.ts";
import { makeCurrentDataDir } from "./_data_dir.ts";
import {
  DENSITY_FREQ,
  MNI305_AFFINE_ROWS,
  MNI305_SHAPE,
  runTemplatesReference,
  writeTemplatesWorld,
} from "./_templates_world.ts";

const apply = (m: number[][], p: number[]) =>
  [0, 1, 2].map((r) => m[r][0] * p[0] + m[r][1] * p[1] + m[r][2] * p[2] + m[r][3]);

Deno.test("standard space: the four entry points", async (t) => {
  const dataDir = await makeCurrentDataDir();
  try {
    const sub = await loadSubject("sub-01", { dataDir });
    const maskPath = (await sub.getAnatomicalBrainMask({ res: "1pt8" })).path;
    const h = await readNiftiHeader(maskPath);
    const grid = { shape: h.shape3d, affine: h.affine };
    const world = await writeTemplatesWorld(dataDir, "sub-01", grid, ["10k", "41k"]);
    const templates = templateflowHome(join(dataDir, "templateflow"));
    const nBrain = await sub.getNVoxels();
    const [nx, ny, nz] = grid.shape;
    const size = nx * ny * nz;
    const mniSize = MNI305_SHAPE[0] * MNI305_SHAPE[1] * MNI305_SHAPE[2];
    const random = Float32Array.from({ length: nBrain }, (_, i) => Math.sin(i * 0.37) + 1);

    await t.step("shapes: MNI305 172x220x156, fsaverage5 / 6 per hemisphere", async () => {
      const mni = await sub.toTemplate(random, "MNI305", { templates });
      assert.deepEqual(mni.shape, MNI305_SHAPE);
      assert.deepEqual(mni.affine, MNI305_AFFINE_ROWS);
      assert.equal(mni.nVolumes, 1);
      assert.equal(mni.data.length, mniSize);
      assert.ok(mni.data.some((v) => v !== 0) && mni.data.every(Number.isFinite));
      const both = await sub.toTemplate(random, "fsaverage", { templates });
      assert.equal(both.L.length, 10242);
      assert.equal(both.R.length, 10242);
      const l6 = await sub.volumeToSurface(random, "fsaverage", {
        hemi: "L",
        fsaverageDensity: "fsaverage6",
        templates,
      });
      assert.equal(l6.length, 40962);
      assert.ok(l6 instanceof Float32Array);
    });

    await t.step("the planted MNI305 pattern lands where the talairach matrix says", async () => {
      const ijk = [Math.floor(nx / 2), Math.floor(ny / 2), Math.floor(nz / 2)];
      const data = new Float32Array(size);
      for (let di = -1; di <= 1; di++) {
        for (let dj = -1; dj <= 1; dj++) {
          for (let dk = -1; dk <= 1; dk++) {
            data[((ijk[0] + di) * ny + ijk[1] + dj) * nz + ijk[2] + dk] = 7;
          }
        }
      }
      const p = apply(grid.affine, ijk);
      const q = apply(world.talairach, p); // truth: where the blob centre goes
      const m = apply(invertMatrix4(MNI305_AFFINE_ROWS), q).map(Math.round);
      for (const interpolation of ["nearest", "linear"] as const) {
        const mni = await sub.volumeToTemplate({ data, shape: grid.shape }, "MNI305", {
          templates,
          interpolation,
        });
        const at = (i: number, j: number, k: number) =>
          mni.data[(i * MNI305_SHAPE[1] + j) * MNI305_SHAPE[2] + k];
        assert.ok(Math.abs(at(m[0], m[1], m[2]) - 7) < 1e-4, `${interpolation} centre`);
        // centroid of the blob in MNI305 mm = the truth's point
        let sw = 0;
        const c = [0, 0, 0];
        for (let i = 0; i < MNI305_SHAPE[0]; i++) {
          for (let j = 0; j < MNI305_SHAPE[1]; j++) {
            for (let k = 0; k < MNI305_SHAPE[2]; k++) {
              const v = at(i, j, k);
              if (v === 0) continue;
              sw += v;
              apply(MNI305_AFFINE_ROWS, [i, j, k]).forEach((x, r) => (c[r] += v * x));
            }
          }
        }
        const dist = Math.hypot(...c.map((x, r) => x / sw - q[r]));
        assert.ok(dist < 0.6, `${interpolation}: centroid ${dist.toFixed(3)} mm from the truth`);
        if (interpolation === "nearest") assert.ok(mni.data.every((v) => v === 0 || v === 7));
      }
    });

    await t.step("the planted surface blob peaks at the truth's fsaverage vertex", async () => {
      const d = [-0.6, 0.5, 0.62]; // lateral on the left hemisphere
      const n = Math.hypot(...d);
      const dir = d.map((x) => x / n);
      const peak = world.centre.L.map((x, r) => x + world.radius * dir[r]);
      const sigma = world.radius / 3;
      const data = new Float32Array(size);
      for (let i = 0; i < nx; i++) {
        for (let j = 0; j < ny; j++) {
          for (let k = 0; k < nz; k++) {
            const x = apply(grid.affine, [i, j, k]);
            const r2 = (x[0] - peak[0]) ** 2 + (x[1] - peak[1]) ** 2 + (x[2] - peak[2]) ** 2;
            data[(i * ny + j) * nz + k] = Math.exp(-r2 / (2 * sigma ** 2));
          }
        }
      }
      const out = await sub.toTemplate({ data, shape: grid.shape }, "fsaverage", { templates });
      const fs5 = geodesicSphere(DENSITY_FREQ["10k"], { radius: 1 }).vertices;
      let best = 0;
      for (let v = 1; v < 10242; v++) if (out.L[v] > out.L[best]) best = v;
      const cos = fs5[3 * best] * dir[0] + fs5[3 * best + 1] * dir[1] + fs5[3 * best + 2] * dir[2];
      const angle = Math.acos(Math.min(1, cos));
      // within one voxel of the planted point, on the white surface (the volume is sampled
      // on a grid of that spacing; fsaverage5's vertices are ~0.035 rad apart)
      const voxel = Math.hypot(grid.affine[0][0], grid.affine[1][0], grid.affine[2][0]);
      assert.ok(
        angle * world.radius < voxel,
        `peak ${(angle * world.radius).toFixed(2)} mm from the truth (voxel ${voxel} mm, ` +
          `radius ${world.radius} mm)`,
      );
      // truth at the planted vertex: the mean of the blob over vol_to_surf's 10 samples
      // (±3 mm on the normal); trilinear sampling of the voxelized blob loses some of it
      const line = Array.from({ length: 10 }, (_, s) => 3 - (6 * s) / 9);
      const expected = line.reduce((a, o) => a + Math.exp(-(o ** 2) / (2 * sigma ** 2)), 0) / 10;
      assert.ok(
        out.L[best] > 0.5 * expected && out.L[best] <= expected + 1e-3,
        `peak value ${out.L[best]}, truth ${expected}`,
      );
      // the right hemisphere sees at most the blob at its closest sample (3 mm inside its sphere)
      const far = Math.hypot(...peak.map((x, r) => x - world.centre.R[r])) - world.radius - 3;
      const maxR = out.R.reduce((a, b) => Math.max(a, b), 0);
      assert.ok(
        far > 0 && maxR <= Math.exp(-(far ** 2) / (2 * sigma ** 2)) + 1e-3,
        `R max ${maxR}`,
      );
      assert.ok(maxR < 0.5 * out.L[best]);
    });

    await t.step("invariants: a constant map stays constant", async () => {
      const data = new Float32Array(size).fill(3);
      const fs = await sub.toTemplate({ data, shape: grid.shape }, "fsaverage", { templates });
      for (const m of [fs.L, fs.R]) assert.ok(m.every((v) => Math.abs(v - 3) < 1e-5));
      for (const interpolation of ["nearest", "linear"] as const) {
        const mni = await sub.toTemplate({ data, shape: grid.shape }, "MNI305", {
          templates,
          interpolation,
        });
        assert.ok(mni.data.every((v) => v === 0 || Math.abs(v - 3) < 1e-5));
        assert.ok(mni.data.filter((v) => v !== 0).length > 1000);
      }
      const ones = new Float32Array(world.nFsnative).fill(2);
      const fs6 = await sub.surfaceToTemplate({ L: ones, R: ones }, "fsaverage", {
        fsaverageDensity: "fsaverage6",
        templates,
      });
      assert.equal(fs6.L.length, 40962);
      assert.ok(fs6.R.every((v) => Math.abs(v - 2) < 1e-6));
    });

    await t.step("NaN counts as 0 inside the transform only; maskSource is respected", async () => {
      const withNan = random.slice();
      withNan[5] = NaN;
      const before = withNan.slice();
      const mni = await sub.toTemplate(withNan, "MNI305", { templates });
      assert.ok(mni.data.every(Number.isFinite));
      assert.ok(Number.isNaN(withNan[5]) && withNan.every((v, i) => Object.is(v, before[i])));
      const nR = await sub.getNVoxels({ maskSource: "rsquare" });
      assert.notEqual(nR, nBrain);
      const r = new Float32Array(nR).fill(1);
      await assert.rejects(sub.toTemplate(r, "MNI305", { templates }), (e: Error) => {
        assert.ok(e instanceof RangeError);
        assert.match(e.message, new RegExp(`${nR}.*${nBrain}`));
        return true;
      });
      const ok = await sub.toTemplate(r, "MNI305", { templates, maskSource: "rsquare" });
      assert.equal(ok.data.filter((v) => v === 1).length > 0, true);
    });

    await t.step("trials x voxels: per-volume results, streamed into the 4-D file", async () => {
      const a = random, b = Float32Array.from(random, (v) => 2 * v);
      const rows = await sub.toTemplate([a, b], "MNI305", { templates });
      const one = await sub.toTemplate(b, "MNI305", { templates });
      assert.equal(rows.nVolumes, 2);
      assert.deepEqual(rows.data.subarray(mniSize), one.data);
      const matrix = { values: new Float32Array([...a, ...b]), shape: [2, nBrain] as const };
      const dir = await Deno.makeTempDir();
      const seen: number[] = [];
      const streamed = await sub.volumeToTemplate(matrix, "MNI305", {
        templates,
        outputDir: dir,
        session: "ses-01",
        onProgress: (done) => seen.push(done),
      });
      assert.deepEqual(seen, [1, 2]);
      assert.equal(streamed.data.length, 0);
      assert.equal(streamed.path, join(dir, "sub-01_ses-01_space-MNI305_statmap.nii.gz"));
      const back = await readNiftiVolume(streamed.path!, { volume: 1 });
      assert.deepEqual(back.shape, MNI305_SHAPE);
      assert.deepEqual(back.data, one.data);
      const fs = await sub.volumeToSurface(matrix, "fsaverage", { templates, hemi: "R" });
      const fsB = await sub.volumeToSurface(b, "fsaverage", { templates, hemi: "R" });
      assert.equal(fs.length, 2);
      assert.deepEqual(fs[1], fsB);
      await Deno.remove(dir, { recursive: true });
    });

    await t.step("BIDS outputs under upstream's names", async () => {
      const dir = await Deno.makeTempDir();
      const mni = await sub.toTemplate(random, "MNI305", {
        templates,
        outputDir: join(dir, "new"),
        desc: "MeanBeta",
        session: "01",
      });
      const name = "sub-01_ses-01_space-MNI305_desc-MeanBeta_statmap.nii.gz";
      assert.equal(mni.path, join(dir, "new", name));
      assert.deepEqual((await readNiftiVolume(mni.path!)).data, mni.data);
      const fs = await sub.toTemplate(random, "fsaverage", {
        templates,
        outputDir: dir,
        desc: "MeanBeta",
        session: "ses-01",
      });
      for (const hemi of ["L", "R"] as const) {
        const p = join(
          dir,
          `sub-01_ses-01_space-fsaverage_den-10k_hemi-${hemi}_desc-MeanBeta_statmap.func.gii`,
        );
        const [arr] = await readGiftiDataArrays(p);
        assert.deepEqual(arr.data, fs[hemi]);
      }
      await sub.surfaceToTemplate(new Float32Array(world.nFsnative), "fsaverage", {
        hemi: "L",
        templates,
        outputDir: dir,
      });
      await Deno.stat(join(dir, "sub-01_space-fsaverage_den-10k_hemi-L_statmap.func.gii"));
      await Deno.remove(dir, { recursive: true });
    });

    await t.step("errors name the bad value and the valid ones", async () => {
      for (const bad of ["fsLR", "CIVET", "MNI152NLin2009cAsym", "MNI152NLin6Asym"]) {
        await assert.rejects(
          // deno-lint-ignore no-explicit-any
          sub.toTemplate(random, bad as any, { templates }),
          (e: Error) =>
            e instanceof InvalidChoiceError && e.message.includes(bad) &&
            e.message.includes("MNI305") && e.message.includes("fsaverage"),
        );
      }
      await assert.rejects(
        sub.toTemplate(random, "fsaverage", { templates, route: "volume" }),
        (e: Error) => e instanceof InvalidChoiceError && /surface-only/.test(e.message),
      );
      await assert.rejects(
        sub.toTemplate(random, "MNI305", { templates, route: "surface" }),
        (e: Error) => e instanceof InvalidChoiceError && /volume-only/.test(e.message),
      );
      await assert.rejects(
        // deno-lint-ignore no-explicit-any
        sub.toTemplate(random, "fsaverage", { templates, fsaverageDensity: "fsaverage4" as any }),
        (e: Error) => e instanceof InvalidChoiceError && /fsaverage4.*fsaverage5/.test(e.message),
      );
      await assert.rejects(
        // deno-lint-ignore no-explicit-any
        sub.volumeToSurface(random, "MNI305" as any, { templates }),
        (e: Error) => e instanceof InvalidChoiceError && /volumeToTemplate/.test(e.message),
      );
      await assert.rejects(
        // deno-lint-ignore no-explicit-any
        sub.volumeToTemplate(random, "fsaverage" as any, { templates }),
        (e: Error) => e instanceof InvalidChoiceError && /volumeToSurface/.test(e.message),
      );
      await assert.rejects(
        sub.toTemplate(random.subarray(1), "MNI305", { templates }),
        (e: Error) => e instanceof RangeError && e.message.includes(String(nBrain - 1)),
      );
      await assert.rejects(
        sub.surfaceToTemplate(new Float32Array(world.nFsnative), "fsaverage", { templates }),
        (e: Error) => e instanceof TypeError && /hemi/.test(e.message),
      );
      await assert.rejects(
        sub.surfaceToTemplate(new Float32Array(7), "fsaverage", { templates, hemi: "R" }),
        (e: Error) =>
          e instanceof RangeError && /"R".*7 vertices.*\d+/.test(e.message) &&
          e.message.includes(String(world.nFsnative)),
      );
      await assert.rejects(
        sub.toTemplate(random, "MNI305", { templates: templateflowHome("/nonexistent/tf") }),
        /tpl-MNI305_T1w\.nii\.gz/,
      );
      const ac = new AbortController();
      ac.abort();
      await assert.rejects(
        sub.toTemplate([random, random], "MNI305", { templates, signal: ac.signal }),
        (e: Error) => e.name === "AbortError",
      );
    });

    await t.step("both whole chains agree with NumPy/SciPy/nibabel", async () => {
      const dir = await Deno.makeTempDir();
      const vol = join(dir, "values.nii.gz");
      await sub.toNifti(random, vol);
      const fsDir = await sub.getFreesurferDir();
      const tasks = [
        {
          id: "mni",
          chain: "mni305",
          volume: vol,
          lta: join(fsDir, "mri/transforms/talairach.lta"),
          template: await templates.mni305T1w(),
          order: 0,
        },
        {
          id: "mniLinear",
          chain: "mni305",
          volume: vol,
          lta: join(fsDir, "mri/transforms/talairach.lta"),
          template: await templates.mni305T1w(),
          order: 1,
        },
        {
          id: "fsL",
          chain: "fsaverage",
          volume: vol,
          surface: join(fsDir, "surf/lh.white"),
          sphere: join(fsDir, "surf/lh.sphere.reg"),
          template: await templates.fsaverageSphere("L", "41k"),
        },
      ];
      const { arr: ref } = await runTemplatesReference(tasks, dir);
      for (const [id, interpolation] of [["mni", "nearest"], ["mniLinear", "linear"]] as const) {
        const file = join(dir, `${id}_out`);
        const ours = await sub.toTemplate(vol, "MNI305", {
          templates,
          interpolation,
          outputDir: file,
        });
        const disk = (await readNiftiVolume(ours.path!)).data; // C order
        const r = await ref(id); // F order
        let bad = 0, maxDiff = 0;
        for (let i = 0; i < MNI305_SHAPE[0]; i++) {
          for (let j = 0; j < MNI305_SHAPE[1]; j++) {
            for (let k = 0; k < MNI305_SHAPE[2]; k++) {
              const a = disk[(i * MNI305_SHAPE[1] + j) * MNI305_SHAPE[2] + k];
              const b = r[i + MNI305_SHAPE[0] * (j + MNI305_SHAPE[1] * k)];
              const d = Math.abs(a - b);
              maxDiff = Math.max(maxDiff, d);
              if (d > 1e-4) bad++;
            }
          }
        }
        // nearest: boundary voxels may round the other way on float noise (none expected)
        assert.ok(bad <= mniSize * 1e-5, `${id}: ${bad} voxels differ (max ${maxDiff})`);
      }
      const fsL = await sub.toTemplate(vol, "fsaverage", {
        templates,
        hemi: "L",
        fsaverageDensity: "fsaverage6",
      }) as Float32Array;
      const r = await ref("fsL");
      let maxDiff = 0;
      for (let v = 0; v < r.length; v++) {
        assert.equal(Number.isNaN(fsL[v]), Number.isNaN(r[v]));
        if (!Number.isNaN(r[v])) maxDiff = Math.max(maxDiff, Math.abs(fsL[v] - r[v]));
      }
      assert.ok(maxDiff < 1e-4, `fsaverage6 L max |diff| ${maxDiff}`);
      await Deno.remove(dir, { recursive: true });
    });
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

// the BIDS name builder, alone
Deno.test("templateFileName follows upstream's _bids_filename", async () => {
  const { templateFileName } = await import("../lib/subject/standard_space.ts");
  assert.equal(
    templateFileName({
      subjectId: "sub-01",
      target: "MNI305",
      session: "ses-01",
      desc: "MeanBeta",
    }),
    "sub-01_ses-01_space-MNI305_desc-MeanBeta_statmap.nii.gz",
  );
  assert.equal(
    templateFileName({ subjectId: "sub-01", target: "fsaverage", den: "10k", hemi: "L" }),
    "sub-01_space-fsaverage_den-10k_hemi-L_statmap.func.gii",
  );
});

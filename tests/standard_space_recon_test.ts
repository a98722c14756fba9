/**
 * The four standard-space entry points on the generator's synthetic recon
 * (scripts/synth/recon.ts: surfaces with a c_ras footer, a rotated
 * sphere.reg, talairach.lta) with templates fetched from the synthetic
 * `templateflow` bucket on the local RGW: the planted blob lands on the
 * MNI305 voxels and surface vertices the generator's truth lists.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readFreesurferSurface } from "../lib/formats/freesurfer_surface.ts";
import { readGiftiSurface } from "../lib/formats/gifti.ts";
import { loadSubject } from "../lib/subject/subject.ts";
import { templateflowFiles } from "../lib/subject/standard_space.ts";
import { makeCurrentDataDir } from "./_data_dir.ts";
import { synthCurrentDir } from "./_helpers.ts";

// deno-lint-ignore no-explicit-any
function recon(): any {
  const p = join(synthCurrentDir(), "ground-truth", "ground-truth.json");
  return JSON.parse(Deno.readTextFileSync(p)).current.subjects["sub-01"].recon;
}

Deno.test("standard space on the synthetic recon and templateflow bucket", async (t) => {
  const dataDir = await makeCurrentDataDir();
  const cacheDir = await Deno.makeTempDir({ prefix: "laion-tf-cache-" });
  const templates = templateflowFiles({ cacheDir });
  try {
    const truth = recon();
    const planted = truth.planted;
    // the truth's brainIndices are ranks on the R2mean ("rsquare") voxel axis
    const sub = await loadSubject("sub-01", { dataDir, maskSource: "rsquare" });
    const values = new Float32Array(await sub.getNVoxels());
    for (const b of planted.brainIndices) values[b] = planted.value;

    await t.step("MNI305: the blob's voxels are exactly the truth's", async () => {
      const mni = await sub.volumeToTemplate(values, "MNI305", { templates });
      assert.deepEqual(mni.shape, [172, 220, 156]);
      // the same blob as a volume on the grid, from the truth's (i, j, k): the same result
      const [gx, gy, gz] = planted.grid.dims;
      const data = new Float32Array(gx * gy * gz);
      for (const [i, j, k] of planted.voxels) data[(i * gy + j) * gz + k] = planted.value;
      const fromVolume = await sub.volumeToTemplate({ data, shape: [gx, gy, gz] }, "MNI305", {
        templates,
        maskSource: "anatomical",
      });
      assert.deepEqual(fromVolume.data, mni.data);
      const [, ny, nz] = mni.shape;
      const got: number[][] = [];
      for (let i = 0; i < mni.data.length; i++) {
        if (mni.data[i] === 0) continue;
        assert.equal(mni.data[i], planted.value);
        got.push([Math.floor(i / (ny * nz)), Math.floor(i / nz) % ny, i % nz]);
      }
      assert.ok(planted.mni305Voxels.length > 0);
      assert.deepEqual(got, planted.mni305Voxels);
    });

    await t.step(
      "fsaverage: the peak sits on a truth vertex, the right hemisphere stays 0",
      async () => {
        const out = await sub.volumeToSurface(values, "fsaverage", {
          templates,
          fsaverageDensity: "fsaverage6",
        });
        assert.equal(out.L.length, 40962);
        const maxR = out.R.reduce((a, b) => Math.max(a, Number.isNaN(b) ? a : b), 0);
        assert.equal(maxR, 0);
        let best = 0;
        for (let v = 1; v < out.L.length; v++) if (out.L[v] > out.L[best]) best = v;
        assert.ok(out.L[best] > 0.3 * planted.value, `peak ${out.L[best]}`);
        // follow the peak back: fsaverage sphere vertex -> nearest subject sphere.reg vertex
        const fs6 = await readGiftiSurface(await templates.fsaverageSphere("L", "41k"));
        const fsDir = await sub.getFreesurferDir();
        const reg = await readFreesurferSurface(join(fsDir, "surf", "lh.sphere.reg"));
        const p = fs6.vertices.subarray(3 * best, 3 * best + 3);
        const pn = Math.hypot(p[0], p[1], p[2]);
        let near = 0, bestCos = -2;
        for (let v = 0; v < reg.nVertices; v++) {
          const q = reg.vertices.subarray(3 * v, 3 * v + 3);
          const cos = (p[0] * q[0] + p[1] * q[1] + p[2] * q[2]) /
            (pn * Math.hypot(q[0], q[1], q[2]));
          if (cos > bestCos) [bestCos, near] = [cos, v];
        }
        assert.ok(
          planted.vertices.white.L.includes(near),
          `fsnative vertex ${near} not among the truth's ${planted.vertices.white.L}`,
        );
        // and every truth vertex carries signal on the subject's own mesh
        const fsnative = new Float32Array(reg.nVertices);
        for (const v of planted.vertices.white.L) fsnative[v] = 1;
        const back = await sub.surfaceToTemplate(fsnative, "fsaverage", {
          hemi: "L",
          templates,
          fsaverageDensity: "fsaverage6",
        });
        assert.ok(back[best] > 0, "the peak's fsaverage vertex lies in the truth's patch");
      },
    );

    await t.step(
      "pial surface, fsaverage5: the blob is seen, vertex counts follow the recon",
      async () => {
        const out = await sub.toTemplate(values, "fsaverage", {
          templates,
          surface: "pial",
          hemi: "L",
        });
        assert.equal(out.length, 10242);
        assert.ok(out.some((v) => v > 0));
        await assert.rejects(
          sub.surfaceToTemplate(new Float32Array(truth.nVertices.R + 1), "fsaverage", {
            hemi: "R",
            templates,
          }),
          new RegExp(`has ${truth.nVertices.R}`),
        );
      },
    );
  } finally {
    await Deno.remove(dataDir, { recursive: true });
    await Deno.remove(cacheDir, { recursive: true });
  }
});

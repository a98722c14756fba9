/**
 * The two voxel axes of the current layout told apart. The small current
 * profile's `res-1pt8` anatomical brain mask is a strict superset of the
 * R2mean mask (rim voxels where R2mean is 0, as on the real bucket), so a
 * port that takes the wrong axis gets a wrong voxel count; and every value
 * must land at its own coordinate, checked against the generator's ground
 * truth (expectedBeta, expectedNoiseCeiling, ROI balls, rim voxels) for the
 * NIfTI betas, the local GLMsingle model file and remote reads.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { unflattenC } from "../lib/formats/voxel_order.ts";
import { readNiftiVolume } from "../lib/formats/nifti.ts";
import type { BetaMatrix } from "../lib/subject/beta_matrix.ts";
import { loadSubject, type Subject } from "../lib/subject/subject.ts";
import { loadSubjects } from "../lib/subject/group.ts";
import {
  brainGeometry,
  expectedBeta,
  expectedNoiseCeiling,
  roiGeometry,
} from "../scripts/generate.ts";
import { CURRENT_BUCKET } from "../scripts/seed.ts";
import { makeCurrentDataDir } from "./_data_dir.ts";
import { localEndpoint, synthCurrentDir } from "./_helpers.ts";

const gt = JSON.parse(
  Deno.readTextFileSync(join(synthCurrentDir(), "ground-truth", "ground-truth.json")),
);
const SES = "ses-01";
const dims = gt.grid.dims as [number, number, number];

/** The two axes of a subject per the ground truth: C-order flat indices. */
function axes(s: string): { rsquare: number[]; anatomical: number[]; rim: number[] } {
  const rsquare = Array.from(brainGeometry("small", 1, s).brainC);
  const rim: number[] = gt.current.subjects[s].anatomicalRim;
  assert.equal(rsquare.length, gt.subjects[s].nBrainVoxels);
  const anatomical = [...rsquare, ...rim].sort((a, b) => a - b);
  assert.equal(anatomical.length, gt.current.subjects[s].nAnatomicalBrainVoxels);
  return { rsquare, anatomical, rim };
}

/** An ROI whose ball reaches a rim voxel (its masks differ between the axes). */
function rimRoi(s: string, rim: number[]) {
  const roi = roiGeometry("small", 1, s).find((r) => r.fullIndices.some((f) => rim.includes(f)));
  assert.ok(roi, `${s}: an ROI holds a rim voxel`);
  return roi;
}

function trueFlat(mask: Uint8Array, axis: number[]): number[] {
  const out: number[] = [];
  mask.forEach((v, c) => v && out.push(axis[c]));
  return out;
}

/** C-order flat index of each column of `m` (from its voxel table's i, j, k). */
async function flatOf(m: BetaMatrix): Promise<number[]> {
  const v = await m.voxels();
  const [i, j, k] = ["i", "j", "k"].map((c) => v.getColumn(c).toArray() as number[]);
  return i.map((_, c) => (i[c] * dims[1] + j[c]) * dims[2] + k[c]);
}

/** Every value of `m` equals the generator's beta at its column's coordinate. */
async function checkBetas(s: string, m: BetaMatrix, axis: number[], what: string) {
  const [nT, nV] = m.shape;
  assert.equal(nT, gt.subjects[s].sessions[SES].nTrials, `${what}: trials`);
  assert.deepEqual(await flatOf(m), axis, `${what}: columns are the axis' voxels`);
  const brainAxis = Array.from(brainGeometry("small", 1, s).brainC);
  assert.deepEqual(
    Array.from(m.brainIndex),
    axis.map((_, c) => c),
    `${what}: brainIndex counts the chosen axis`,
  );
  for (let t = 0; t < nT; t++) {
    for (let c = 0; c < nV; c++) {
      const [i, j, k] = unflattenC(axis[c], dims);
      const want = expectedBeta(s, SES, t, i, j, k, "small", 1, undefined, "current");
      const got = m.values[t * nV + c];
      if (Number.isNaN(want)) assert.ok(Number.isNaN(got), `${what} t${t} (${i},${j},${k})`);
      else assert.equal(got, want, `${what} t${t} (${i},${j},${k})`);
    }
  }
  // rim voxels (outside the R2mean mask) read 0 on the anatomical axis
  for (let c = 0; c < nV; c++) {
    if (!brainAxis.includes(axis[c])) assert.equal(m.values[c], 0, `${what}: rim voxel ${c}`);
  }
}

for (const s of ["sub-01", "sub-05"]) { // float32 betas with NaN voxels; int16 with scaling
  Deno.test(`mask axes (${s}): counts, betas, noise ceiling and ROI masks per axis`, async (t) => {
    const { rsquare, anatomical, rim } = axes(s);
    assert.ok(anatomical.length > rsquare.length, "the anatomical mask is a strict superset");
    const roi = rimRoi(s, rim);
    const dataDir = await makeCurrentDataDir((k) => !k.startsWith("stimuli/"));
    try {
      const subs: Record<"anatomical" | "rsquare", Subject> = {
        anatomical: await loadSubject(s, { dataDir }),
        rsquare: await loadSubject(s, { dataDir, maskSource: "rsquare" }),
      };
      assert.equal(subs.anatomical.maskSource, "anatomical");
      const axis = { anatomical, rsquare };

      for (const source of ["anatomical", "rsquare"] as const) {
        const sub = subs[source];
        const other = source === "anatomical" ? "rsquare" : "anatomical";
        await t.step(`${source}: voxel count and coordinates`, async () => {
          assert.equal(await sub.getNVoxels(), axis[source].length);
          assert.equal(await subs[other].getNVoxels({ maskSource: source }), axis[source].length);
          const xyz = await sub.getVoxelCoordinates();
          assert.equal(xyz.length, 3 * axis[source].length);
        });

        await t.step(`${source}: NIfTI betas at their coordinates`, async () => {
          await checkBetas(s, await sub.getBetaMatrix({ session: SES }), axis[source], source);
          // the per-call override takes the other subject's axis
          await checkBetas(
            s,
            await subs[other].getBetaMatrix({ session: SES, maskSource: source }),
            axis[source],
            `${other} subject, maskSource ${source}`,
          );
        });

        await t.step(`${source}: GLMsingle model file betas at their coordinates`, async () => {
          await checkBetas(
            s,
            await sub.getBetaMatrix({ session: SES, betasSource: "model" }),
            axis[source],
            `${source} (model file)`,
          );
        });

        await t.step(`${source}: noise ceiling per voxel`, async () => {
          const nc = await sub.getNoiseCeiling({ session: SES });
          assert.equal(nc.length, axis[source].length);
          axis[source].forEach((f, c) => {
            const want = expectedNoiseCeiling("small", 1, s, SES, f);
            if (Number.isNaN(want)) assert.ok(Number.isNaN(nc[c]), `${source} NC ${c}`);
            else assert.equal(nc[c], want, `${source} NC voxel ${c}`);
          });
        });

        await t.step(`${source}: ncThreshold keeps the axis' voxels above it`, async () => {
          const m = await sub.getBetaMatrix({ session: SES, ncThreshold: 50 });
          const want = axis[source].filter((f) =>
            expectedNoiseCeiling("small", 1, s, SES, f) >= 50
          );
          assert.ok(want.length > 0);
          assert.deepEqual(await flatOf(m), want);
        });

        await t.step(`${source}: toNifti writes each value at its voxel`, async () => {
          const path = join(dataDir, `axis-${source}.nii`);
          await sub.toNifti(axis[source].map((_, c) => c + 1), path);
          const vol = await readNiftiVolume(path);
          const at = new Map(axis[source].map((f, c) => [f, c + 1]));
          vol.data.forEach((v, f) => assert.equal(v, at.get(f) ?? 0, `voxel ${f}`));
          const data = await sub.getRoiData(roi.label, { format: "volume" });
          assert.deepEqual(
            trueFlat(data[roi.label].volume!, axis[source]),
            roi.fullIndices.filter((f) => axis[source].includes(f)),
          );
        });

        await t.step(`${source}: ROI mask ${roi.label} over the chosen axis`, async () => {
          const mask = await sub.getRoiMask(roi.label);
          assert.equal(mask.length, axis[source].length);
          const inAxis = roi.fullIndices.filter((f) => axis[source].includes(f));
          assert.deepEqual(trueFlat(mask, axis[source]), inAxis);
          const m = await sub.getBetaMatrix({ session: SES, roi: roi.label });
          assert.deepEqual(await flatOf(m), inAxis);
          const rows = await sub.getRoiBetaMatrices({ sessions: [SES], rois: [roi.label] });
          assert.deepEqual(await flatOf(rows.get(roi.label)!), inAxis);
          // the other subject with a per-call maskSource
          const over = await subs[other].getRoiBetaMatrices({
            sessions: [SES],
            rois: [roi.label],
            maskSource: source,
          });
          assert.deepEqual(await flatOf(over.get(roi.label)!), inAxis);
          const overMask = await subs[other].getRoiMask(roi.label, { maskSource: source });
          assert.deepEqual(trueFlat(overMask, axis[source]), inAxis);
        });
      }

      await t.step("the ROI differs between the axes by its rim voxels", async () => {
        const a = trueFlat(await subs.anatomical.getRoiMask(roi.label), anatomical);
        const r = trueFlat(await subs.rsquare.getRoiMask(roi.label), rsquare);
        assert.deepEqual(
          a.filter((f) => !r.includes(f)),
          roi.fullIndices.filter((f) => rim.includes(f)),
        );
        assert.ok(a.length > r.length);
      });
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  });
}

Deno.test("mask axes: remote reads take the chosen axis", async () => {
  const s = "sub-01";
  const { rsquare, anatomical, rim } = axes(s);
  const roi = rimRoi(s, rim);
  const empty = await Deno.makeTempDir({ prefix: "laion-axis-remote-" });
  try {
    const remote = { endpoint: localEndpoint(), bucket: CURRENT_BUCKET };
    for (const [source, axis] of [["anatomical", anatomical], ["rsquare", rsquare]] as const) {
      const sub = await loadSubject(s, {
        dataDir: empty,
        betasSource: "remote",
        remote,
        maskSource: source,
      });
      await checkBetas(s, await sub.getBetaMatrix({ session: SES }), axis, `remote ${source}`);
      const m = await sub.getBetaMatrix({ session: SES, roi: roi.label });
      assert.deepEqual(await flatOf(m), roi.fullIndices.filter((f) => axis.includes(f)));
    }
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
});

Deno.test("mask axes: Group.getSharedBetas takes maskSource (upstream's mask_source)", async () => {
  const dataDir = await makeCurrentDataDir((k) => !k.startsWith("stimuli/"));
  try {
    const ids = ["sub-01", "sub-05"];
    const group = await loadSubjects(ids, { dataDir });
    for (const source of ["anatomical", "rsquare"] as const) {
      const shared = await group.getSharedBetas({ sessions: [SES], maskSource: source });
      for (const s of ids) {
        const want = source === "anatomical"
          ? gt.current.subjects[s].nAnatomicalBrainVoxels
          : gt.subjects[s].nBrainVoxels;
        assert.equal(shared.subjects.get(s)!.nVoxels, want, `${s} ${source}`);
      }
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

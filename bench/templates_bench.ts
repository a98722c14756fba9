/**
 * The four standard-space entry points on Subject at realistic sizes, from
 * files on disk, vs the NumPy/SciPy/nibabel reference of the same chain
 * (tests/reference/templates_ref.py in Debian's Python):
 *
 * 1. a whole-brain map (272,080 voxels of a 143³ grid at 1.778 mm) to
 *    fsaverage5, both hemispheres (subject surfaces of 129,962 vertices per
 *    hemisphere): the first call (reads the recon, builds the maps), the
 *    second (maps cached; the sampling is merged into a sparse map) and the
 *    third (two gathers per hemisphere) — the goal is well under a second;
 * 2. the same to fsaverage7 (163,842 vertices per hemisphere);
 * 3. a 1,044-trial session (trials × 272,080 voxels in memory, as
 *    getBetaMatrix returns it) to MNI305 (nearest), streamed into its 4-D
 *    NIfTI: time and peak RSS; the reference runs the step on a few volumes
 *    and is scaled per volume.
 *
 * The subject is the synthetic current-layout sub-01 with its anatomical
 * brain mask replaced by a 143³ one, a recon of bumpy ellipsoids (sphere.reg
 * rotated) and a local TemplateFlow home (icospheres, MNI305 grid): templates
 * "cached" means they are on disk.
 *
 * Run: deno task bench:templates (TEMPLATES_BENCH_TRIALS=n for fewer trials)
 */
import { join } from "node:path";
import { writeNifti1 } from "../lib/formats/nifti_write.ts";
import { cOrderToDisk } from "../lib/formats/voxel_order.ts";
import { geodesicSphere } from "../lib/space/icosphere.ts";
import { loadSubject } from "../lib/subject/subject.ts";
import { templateflowHome } from "../lib/subject/standard_space.ts";
import { makeCurrentDataDir } from "../tests/_data_dir.ts";
import { ellipsoidBrain, rng, rotation } from "../tests/_space_ref.ts";
import {
  freesurferSurfaceBytes,
  giftiSurfaceXml,
  ltaText,
  MNI305_AFFINE_ROWS,
  runTemplatesReference,
} from "../tests/_templates_world.ts";

if (!Deno.env.get("LAION_FMRI_SYNTH_CURRENT_DIR")) {
  Deno.env.set(
    "LAION_FMRI_SYNTH_CURRENT_DIR",
    new URL("../.scratch/synth-current-small", import.meta.url).pathname,
  );
}
const N_BRAIN = 272_080;
const N_TRIALS = Number(Deno.env.get("TEMPLATES_BENCH_TRIALS") ?? 1044);
const REF_VOLUMES = 6;
const FREQ = 114; // 129,962 vertices per hemisphere
const rand = rng(2026);
const shape: [number, number, number] = [143, 143, 143];
const affine = [[1.778, 0, 0, -126.9], [0, 1.778, 0, -145.3], [0, 0, 1.778, -110.7], [0, 0, 0, 1]];
const nVox = 143 ** 3;
const world = (i: number, j: number, k: number) =>
  [0, 1, 2].map((r) => affine[r][0] * i + affine[r][1] * j + affine[r][2] * k + affine[r][3]);

const dataDir = await makeCurrentDataDir();
const work = await Deno.makeTempDir({ prefix: "templates_bench_" });
const fmt = (s: number) => (s < 1 ? `${(s * 1000).toFixed(0)} ms` : `${s.toFixed(2)} s`);
const rows: string[][] = [];

try {
  // ---- the subject: brain mask 143³ with 272,080 voxels (ellipsoid), recon, templates
  const CENTRE = [0, -18, 10], RADII = [70, 90, 65];
  const brain = ellipsoidBrain(shape, affine, N_BRAIN, CENTRE, RADII);
  const mask = new Uint8Array(nVox);
  for (const v of brain) mask[v] = 1;
  const sub0 = await loadSubject("sub-01", { dataDir });
  const maskPath = (await sub0.getAnatomicalBrainMask({ res: "1pt8" })).path;
  await writeNifti1(maskPath, {
    dims: shape,
    datatype: "uint8",
    data: cOrderToDisk(mask, shape, new Uint8Array(nVox)),
    affine,
  });
  const fsDir = await sub0.getFreesurferDir();
  for (const [h, sign] of [["lh", -1], ["rh", 1]] as const) {
    const s = geodesicSphere(FREQ, { radius: 1 });
    const c = new Float32Array(s.vertices.length), reg = new Float32Array(c.length);
    const m = rotation(rand, 0.4 + sign * 0.1);
    for (let v = 0; v < c.length; v += 3) {
      const [x, y, z] = [s.vertices[v], s.vertices[v + 1], s.vertices[v + 2]];
      const bump = 1 + 0.06 * Math.sin(7 * x + 3 * y) * Math.cos(5 * z - 2 * y);
      c[v] = sign * 32 + 28 * x * bump + CENTRE[0];
      c[v + 1] = 75 * y * bump + CENTRE[1];
      c[v + 2] = 52 * z * bump + CENTRE[2];
      for (let a = 0; a < 3; a++) reg[v + a] = 100 * (m[a][0] * x + m[a][1] * y + m[a][2] * z);
    }
    await Deno.writeFile(
      join(fsDir, "surf", `${h}.white`),
      freesurferSurfaceBytes(c, s.faces, "sub-01"),
    );
    await Deno.writeFile(
      join(fsDir, "surf", `${h}.sphere.reg`),
      freesurferSurfaceBytes(reg, s.faces, "sub-01"),
    );
  }
  const lta = join(fsDir, "mri", "transforms", "talairach.lta");
  await Deno.writeTextFile(
    lta,
    ltaText([[1.02, 0.03, -0.01, 1.5], [-0.02, 1.05, 0.04, -3], [0.01, -0.05, 1.08, 4], [
      0,
      0,
      0,
      1,
    ]]),
  );
  const tf = join(work, "templateflow");
  await Deno.mkdir(join(tf, "tpl-MNI305"), { recursive: true });
  await Deno.mkdir(join(tf, "tpl-fsaverage"), { recursive: true });
  const mniShape: [number, number, number] = [172, 220, 156];
  await writeNifti1(join(tf, "tpl-MNI305", "tpl-MNI305_T1w.nii.gz"), {
    dims: mniShape,
    datatype: "uint8",
    data: new Uint8Array(172 * 220 * 156),
    affine: MNI305_AFFINE_ROWS,
    level: 1,
  });
  for (const [den, f] of [["10k", 32], ["164k", 128]] as const) {
    const s = geodesicSphere(f, { radius: 100 });
    for (const h of ["L", "R"]) {
      await Deno.writeTextFile(
        join(tf, "tpl-fsaverage", `tpl-fsaverage_hemi-${h}_den-${den}_sphere.surf.gii`),
        giftiSurfaceXml(Float32Array.from(s.vertices), s.faces),
      );
    }
  }
  const templates = templateflowHome(tf);
  const sub = await loadSubject("sub-01", { dataDir });
  if ((await sub.getNVoxels()) !== N_BRAIN) throw new Error("brain mask not in place");

  // a smooth map plus noise over the brain voxels
  const values = new Float32Array(N_BRAIN);
  for (let q = 0; q < N_BRAIN; q++) {
    const v = brain[q];
    const [x, y, z] = world(Math.floor(v / 20449), Math.floor(v / 143) % 143, v % 143);
    values[q] = Math.sin(x / 9) * Math.cos(y / 13) + z / 60 + 0.2 * (rand() - 0.5);
  }
  const mapPath = join(work, "map.nii.gz");
  await sub.toNifti(values, mapPath);

  const maxDiff = (a: Float32Array, b: Float32Array) => {
    let m = 0;
    for (let i = 0; i < a.length; i++) {
      if (Number.isNaN(a[i]) !== Number.isNaN(b[i])) return Infinity;
      if (!Number.isNaN(a[i])) m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  };

  // ---- 1 and 2: whole map -> fsaverage5 / fsaverage7, both hemispheres
  for (const [density, den] of [["fsaverage5", "10k"], ["fsaverage7", "164k"]] as const) {
    let t0 = performance.now();
    const first = await sub.toTemplate(values, "fsaverage", {
      templates,
      fsaverageDensity: density,
    });
    const cold = (performance.now() - t0) / 1000;
    // the second call also merges the sampling into one sparse map (lib/space's vol_to_surf
    // does that on its second apply); from the third on a call is two gathers per hemisphere
    t0 = performance.now();
    await sub.toTemplate(values, "fsaverage", { templates, fsaverageDensity: density });
    const second = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const again = await sub.toTemplate(values, "fsaverage", {
      templates,
      fsaverageDensity: density,
    });
    const warm = (performance.now() - t0) / 1000;
    const tasks = (["L", "R"] as const).map((h) => ({
      id: `fs${h}`,
      chain: "fsaverage",
      volume: mapPath,
      surface: join(fsDir, "surf", `${h === "L" ? "lh" : "rh"}.white`),
      sphere: join(fsDir, "surf", `${h === "L" ? "lh" : "rh"}.sphere.reg`),
      template: join(tf, "tpl-fsaverage", `tpl-fsaverage_hemi-${h}_den-${den}_sphere.surf.gii`),
    }));
    const ref = await runTemplatesReference(tasks, work);
    const refBuild = ref.timings.fsL.build + ref.timings.fsR.build;
    const refApply = ref.timings.fsL.apply + ref.timings.fsR.apply;
    const diff = Math.max(
      maxDiff(again.L, await ref.arr("fsL")),
      maxDiff(again.R, await ref.arr("fsR")),
    );
    rows.push([
      `272,080-voxel map -> ${density} (${first.L.length}/hemi), both hemis`,
      fmt(cold),
      `${fmt(second)} / ${fmt(warm)}`,
      fmt(refBuild + refApply),
      fmt(refApply),
      `${((refBuild + refApply) / cold).toFixed(1)}x / ${(refApply / warm).toFixed(1)}x`,
      `max |diff| ${diff.toExponential(1)}`,
    ]);
  }

  // ---- 3: a 1,044-trial session streamed to MNI305
  const matrix = {
    values: new Float32Array(N_TRIALS * N_BRAIN),
    shape: [N_TRIALS, N_BRAIN] as const,
  };
  for (let t = 0; t < N_TRIALS; t++) {
    const s = 1 + t / N_TRIALS;
    for (let q = 0; q < N_BRAIN; q++) matrix.values[t * N_BRAIN + q] = values[q] * s;
  }
  const rssBefore = Deno.memoryUsage().rss;
  let peak = rssBefore;
  const t0 = performance.now();
  const mni = await sub.volumeToTemplate(matrix, "MNI305", {
    templates,
    outputDir: join(work, "out"),
    session: "ses-01",
    onProgress: (d) => {
      if (d % 20 === 0) peak = Math.max(peak, Deno.memoryUsage().rss);
    },
  });
  const tMni = (performance.now() - t0) / 1000;
  peak = Math.max(peak, Deno.memoryUsage().rss);
  const fileMiB = (await Deno.stat(mni.path!)).size / 2 ** 20;
  // reference: the same step on REF_VOLUMES volumes, scaled per volume
  const ref4d = join(work, "ref4d.nii.gz");
  const [gx, gy, gz] = shape;
  const vol = new Float32Array(nVox), disk = new Float32Array(nVox);
  await writeNifti1(ref4d, {
    dims: [gx, gy, gz, REF_VOLUMES],
    datatype: "float32",
    affine,
    level: 1,
    data: (t) => {
      vol.fill(0);
      const s = 1 + t / N_TRIALS;
      for (let q = 0; q < N_BRAIN; q++) vol[brain[q]] = values[q] * s;
      return cOrderToDisk(vol, shape, t % 2 ? disk : new Float32Array(nVox));
    },
  });
  const ref = await runTemplatesReference([{
    id: "mni",
    chain: "mni305",
    volume: ref4d,
    lta,
    template: join(tf, "tpl-MNI305", "tpl-MNI305_T1w.nii.gz"),
    order: 0,
  }], work);
  const perRef = ref.timings.mni.apply / REF_VOLUMES;
  const one = await sub.volumeToTemplate(values, "MNI305", { templates });
  const r = await ref.arr("mni"); // F order, volume 0 = values · 1
  let mismatches = 0;
  for (let i = 0; i < 172; i++) {
    for (let j = 0; j < 220; j++) {
      for (let k = 0; k < 156; k++) {
        if (one.data[(i * 220 + j) * 156 + k] !== r[i + 172 * (j + 220 * k)]) mismatches++;
      }
    }
  }
  rows.push([
    `${N_TRIALS}-trial session -> MNI305, streamed to .nii.gz (ref: ${REF_VOLUMES} vols, scaled)`,
    fmt(tMni),
    `${(tMni / N_TRIALS * 1000).toFixed(0)} ms/vol`,
    fmt(ref.timings.mni.build + perRef * N_TRIALS),
    `${(perRef * 1000).toFixed(0)} ms/vol`,
    `${((ref.timings.mni.build + perRef * N_TRIALS) / tMni).toFixed(1)}x`,
    `${mismatches} of ${one.data.length} voxels differ`,
  ]);
  console.log(
    `MNI305 session: ${N_TRIALS} volumes in ${fmt(tMni)} (incl. gzip level 1 into a ${
      fileMiB.toFixed(0)
    } MiB file); RSS ${(rssBefore / 2 ** 20).toFixed(0)} MiB before (input matrix ${
      (matrix.values.byteLength / 2 ** 20).toFixed(0)
    } MiB), peak ${(peak / 2 ** 20).toFixed(0)} MiB; reference process peak ${
      ref.timings.maxRssMiB.toFixed(0)
    } MiB for ${REF_VOLUMES} volumes`,
  );
  const head = [
    "step",
    "ours 1st",
    "ours 2nd / 3rd",
    "numpy 1st",
    "numpy apply",
    "numpy 1st/ours 1st, apply/3rd",
    "agreement",
  ];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  console.log(`Deno ${Deno.version.deno}; subject surfaces ${10 * FREQ ** 2 + 2} vertices/hemi`);
  for (const r of [head, ...rows]) console.log(r.map((x, c) => x.padEnd(widths[c])).join(" | "));
} finally {
  await Deno.remove(dataDir, { recursive: true });
  await Deno.remove(work, { recursive: true });
}

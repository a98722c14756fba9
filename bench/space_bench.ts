/**
 * Standard-space chains at realistic sizes, ours (lib/space) vs the NumPy/SciPy
 * reference of the same step (tests/reference/space_ref.py in Debian's Python):
 *
 * 1. a whole-brain map (272,080 brain voxels on a 143³ grid at 1.778 mm) sampled onto a
 *    ~130k-vertex subject surface per hemisphere (nilearn's vol_to_surf: line, 10 samples,
 *    linear), then resampled from the subject sphere to fsaverage5 (10,242) and fsaverage7
 *    (163,842) (nitransforms' barycentric SurfaceResampler), both hemispheres;
 * 2. a 1,044-trial session streamed volume by volume to MNI305's 172×220×156 grid
 *    (nearest, as upstream): time and peak RSS; the reference runs the same step on a few
 *    volumes (scipy map_coordinates order=0) and is scaled per volume.
 *
 * Everything is synthetic and generated here (geodesic spheres, an ellipsoidal brain).
 * Run: deno task bench:space (SPACE_BENCH_SMOKE=1 for a quick check of the code paths)
 */
import {
  buildSphereResampling,
  buildSurfaceSampling,
  buildVolumeResampling,
  geodesicSphere,
  type Mesh,
  type VolumeGrid,
} from "../lib/space/mod.ts";
import { ellipsoidBrain, rng, rotation, runReference } from "../tests/_space_ref.ts";

const N_BRAIN = 272_080;
// SPACE_BENCH_SMOKE=1: a quick run of every code path at small sizes (not a measurement)
const SMOKE = Deno.env.get("SPACE_BENCH_SMOKE") === "1";
const N_TRIALS = SMOKE ? 3 : 1044;
const REF_VOLUMES = SMOKE ? 1 : 8;
const rand = rng(2024);

const grid: VolumeGrid = {
  shape: [143, 143, 143],
  affine: [[1.778, 0, 0, -126.9], [0, 1.778, 0, -145.3], [0, 0, 1.778, -110.7], [0, 0, 0, 1]],
};
const mni305: VolumeGrid = {
  shape: [172, 220, 156],
  affine: [[1, 0, 0, -86], [0, 1, 0, -126], [0, 0, 1, -72], [0, 0, 0, 1]],
};
const nVox = 143 ** 3;

function world(i: number, j: number, k: number): [number, number, number] {
  const a = grid.affine;
  return [0, 1, 2].map((r) => a[r][0] * i + a[r][1] * j + a[r][2] * k + a[r][3]) as [
    number,
    number,
    number,
  ];
}

// brain mask: the 272,080 voxels nearest the centre in an ellipsoidal metric
const BRAIN_RADII = [70, 90, 65];
const BRAIN_CENTRE = [0, -18, 10];
const brain = ellipsoidBrain(grid.shape, grid.affine, N_BRAIN, BRAIN_CENTRE, BRAIN_RADII);
// a smooth map plus noise, scattered into the grid (zeros outside the brain)
const values = new Float32Array(N_BRAIN);
for (let q = 0; q < N_BRAIN; q++) {
  const v = brain[q];
  const [x, y, z] = world(Math.floor(v / 20449), Math.floor(v / 143) % 143, v % 143);
  values[q] = Math.sin(x / 9) * Math.cos(y / 13) + z / 60 + 0.2 * (rand() - 0.5);
}
const volume = new Float32Array(nVox);
for (let q = 0; q < N_BRAIN; q++) volume[brain[q]] = values[q];

// subject surfaces: a 129,962-vertex geodesic sphere (frequency 114) shaped into a bumpy
// half-ellipsoid per hemisphere inside the brain; sphere.reg = the sphere rotated
const FREQ = SMOKE ? 30 : 114;
function hemisphere(sign: number): { white: Mesh; sphereReg: Mesh } {
  const s = geodesicSphere(FREQ, { radius: 1 });
  const c = new Float64Array(s.vertices.length);
  for (let v = 0; v < c.length; v += 3) {
    const [x, y, z] = [s.vertices[v], s.vertices[v + 1], s.vertices[v + 2]];
    const bump = 1 + 0.06 * Math.sin(7 * x + 3 * y) * Math.cos(5 * z - 2 * y);
    c[v] = sign * 32 + 28 * x * bump + BRAIN_CENTRE[0];
    c[v + 1] = 75 * y * bump + BRAIN_CENTRE[1];
    c[v + 2] = 52 * z * bump + BRAIN_CENTRE[2];
  }
  const m = rotation(rand, 0.4 + sign * 0.1);
  const r = new Float64Array(c.length);
  for (let v = 0; v < c.length; v += 3) {
    const p = [s.vertices[v], s.vertices[v + 1], s.vertices[v + 2]];
    const jitter = 100 * (1 + 0.0004 * (rand() - 0.5));
    for (let a = 0; a < 3; a++) {
      r[v + a] = (m[a][0] * p[0] + m[a][1] * p[1] + m[a][2] * p[2]) * jitter;
    }
  }
  return {
    white: { vertices: c, faces: s.faces },
    sphereReg: { vertices: r, faces: s.faces },
  };
}
const hemis = { L: hemisphere(-1), R: hemisphere(1) };
const fsaverage = { fsaverage5: geodesicSphere(32), fsaverage7: geodesicSphere(128) };

function time<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const r = f();
  return [r, (performance.now() - t0) / 1000];
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i], y = b[i];
    if (Number.isNaN(x) !== Number.isNaN(y)) return Infinity;
    if (!Number.isNaN(x)) m = Math.max(m, Math.abs(x - y));
  }
  return m;
}

const rows: string[][] = [];
const fmt = (s: number) => (s < 1 ? `${(s * 1000).toFixed(1)} ms` : `${s.toFixed(2)} s`);
function row(step: string, ours: [number, number], ref: [number, number], agree: string) {
  const o = ours[0] + ours[1], r = ref[0] + ref[1];
  rows.push([
    step,
    fmt(ours[0]),
    fmt(ours[1]),
    fmt(ref[0]),
    fmt(ref[1]),
    `${(r / o).toFixed(1)}x`,
    agree,
  ]);
}

console.log(
  `brain: ${N_BRAIN} voxels on 143³ at 1.778 mm; surfaces: ${
    hemis.L.white.vertices.length / 3
  } vertices per hemisphere; Deno ${Deno.version.deno}`,
);

// ---- 1. volume -> subject surface -> fsaverage, both hemispheres
const fsnative: Record<string, Float64Array> = {};
for (const h of ["L", "R"] as const) {
  const [s, tb] = time(() => buildSurfaceSampling(hemis[h].white, grid));
  const [out, ta] = time(() => s.apply(volume));
  fsnative[h] = out;
  const { outputs, timings } = await runReference([{
    id: "s",
    type: "surface",
    coordinates: hemis[h].white.vertices,
    faces: hemis[h].white.faces,
    shape: grid.shape,
    affine: grid.affine,
    volumes: volume,
    kind: "line",
    radius: 3,
    nSamples: 10,
    interpolation: "linear",
  }]);
  row(
    `vol_to_surf hemi-${h} (${s.nVertices} vertices)`,
    [tb, ta],
    [timings.s.build, timings.s.apply],
    `max |diff| ${maxDiff(out, outputs.s.out).toExponential(1)}`,
  );
}
for (const [name, tpl] of Object.entries(fsaverage)) {
  let total = 0;
  for (const h of ["L", "R"] as const) {
    const [r, tb] = time(() => buildSphereResampling(hemis[h].sphereReg, tpl));
    const [out, ta] = time(() => r.apply(fsnative[h]));
    total += tb + ta;
    const { outputs, timings } = await runReference([{
      id: "p",
      type: "sphere",
      search: "kdtree",
      moving: hemis[h].sphereReg.vertices,
      faces: hemis[h].sphereReg.faces,
      reference: tpl.vertices,
      maps: fsnative[h].map((x) => (Number.isNaN(x) ? 0 : x)),
    }]);
    const clean = r.apply(fsnative[h].map((x) => (Number.isNaN(x) ? 0 : x)));
    row(
      `sphere -> ${name} hemi-${h} (${r.nReference} vertices)`,
      [tb, ta],
      [timings.p.build, timings.p.apply],
      `max |diff| ${maxDiff(clean, outputs.p.out).toExponential(1)}; ${r.outsideCount} outside`,
    );
    void out;
  }
  console.log(`  ${name}: both hemispheres, sphere step build+apply ${fmt(total)}`);
}

// ---- the whole map -> fsaverage chain once more, end to end (templates "cached" = meshes in memory)
for (const [name, tpl] of Object.entries(fsaverage)) {
  const [, t] = time(() => {
    for (const h of ["L", "R"] as const) {
      const s = buildSurfaceSampling(hemis[h].white, grid);
      buildSphereResampling(hemis[h].sphereReg, tpl).apply(s.apply(volume));
    }
  });
  console.log(`  whole map -> ${name}, both hemispheres, end to end (build + apply): ${fmt(t)}`);
}

// ---- 2. a session streamed to MNI305 (nearest)
const talairach = [[1.02, 0.03, -0.01, 1.5], [-0.02, 1.05, 0.04, -3], [0.01, -0.05, 1.08, 4], [
  0,
  0,
  0,
  1,
]];
const [mni, tb] = time(() =>
  buildVolumeResampling(grid, mni305, { sourceToTarget: talairach, interpolation: "nearest" })
);
async function* session() {
  const vol = new Float32Array(nVox);
  for (let t = 0; t < N_TRIALS; t++) {
    const scale = 1 + t / N_TRIALS;
    for (let q = 0; q < N_BRAIN; q++) vol[brain[q]] = values[q] * scale;
    yield vol;
  }
}
let peakRss = Deno.memoryUsage().rss, checksum = 0, n = 0;
const t0 = performance.now();
for await (const out of mni.applyStream(session())) {
  checksum += out[2_000_000];
  if (++n % 50 === 0) peakRss = Math.max(peakRss, Deno.memoryUsage().rss);
}
const ta = (performance.now() - t0) / 1000;
peakRss = Math.max(peakRss, Deno.memoryUsage().rss);
const { outputs, timings, maxRssMiB } = await runReference([{
  id: "v",
  type: "volume",
  srcShape: grid.shape,
  srcAffine: grid.affine,
  tgtShape: mni305.shape,
  tgtAffine: mni305.affine,
  sourceToTarget: talairach,
  volumes: volume,
  interpolation: "nearest",
  repeat: REF_VOLUMES,
}]);
const one = mni.apply(volume);
let mismatches = 0;
for (let i = 0; i < one.length; i++) if (one[i] !== outputs.v.out[i]) mismatches++;
const perRef = timings.v.apply / timings.v.n;
row(
  `MNI305 stream, ${N_TRIALS} volumes (ref: ${REF_VOLUMES}, scaled)`,
  [tb, ta],
  [timings.v.build, perRef * N_TRIALS],
  `${mismatches} of ${one.length} voxels differ`,
);
console.log(
  `  MNI305: ${N_TRIALS} volumes in ${fmt(ta)} (${
    (ta / N_TRIALS * 1000).toFixed(1)
  } ms/volume incl. ` +
    `scatter; reference ${(perRef * 1000).toFixed(0)} ms/volume); peak RSS ${
      (peakRss / 2 ** 20).toFixed(0)
    } MiB (reference process ${maxRssMiB.toFixed(0)} MiB for ${REF_VOLUMES}); checksum ${
      checksum.toFixed(3)
    }`,
);

const head = [
  "step",
  "ours build",
  "ours apply",
  "numpy build",
  "numpy apply",
  "numpy/ours",
  "agreement",
];
const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
for (const r of [head, ...rows]) console.log(r.map((x, c) => x.padEnd(widths[c])).join(" | "));

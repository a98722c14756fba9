/**
 * Benchmark: the software surface rasteriser on a mesh of fsaverage's size
 * (163,842 vertices, 327,680 faces: the icosphere at level 7, folded into
 * a hemisphere-like shape with a synthetic `sulc`), rendered to 800 x 600.
 *
 * Run:
 *   deno task bench:surface            (or: deno run --allow-read --allow-env --allow-ffi
 *                                       --allow-sys bench/surface_bench.ts [--reps 7])
 *
 * Rows (median of `reps` warm runs after one cold run, milliseconds; the CPU time of the
 * process beside it, which is what a loaded machine does not inflate for the single-threaded
 * rasteriser — sharp's PNG rendering adds its own threads):
 *  - raster, per-pixel values (Gouraud background + thresholded values looked up per pixel,
 *    headlight, a ROI contour), supersample 1 and 2 (the plots' default);
 *  - raster, one colour per face (nilearn's matplotlib style), supersample 1;
 *  - `plotSurfStatMap` (colours, contour, raster, embedded PNG, colour bar and text as SVG),
 *    and the same rendered to PNG through sharp (`toPicture`);
 *  - `plotSurfViews` with both hemispheres x lateral/medial (4 panels of 400 x 300), to PNG.
 * Memory: the raster buffers are `w * h * k^2 * 7` bytes (RGB + float depth), 13 MB at
 * 800 x 600 with k = 2, plus 4 float arrays per vertex.
 * @module
 */
import { cpuUsage } from "node:process";
import { parseArgs } from "node:util";
import { foldedHemisphere } from "../tests/_icosphere.ts";
import {
  plotSurfStatMap,
  plotSurfViews,
  surfaceColormapTable,
} from "../lib/display/surface_plot.ts";
import { rasterizeSurface, roiContour, viewCamera } from "../lib/display/surface_render.ts";

const { values: args } = parseArgs({ options: { reps: { type: "string", default: "7" } } });
const reps = Number(args.reps);

const t0 = performance.now();
const lh = foldedHemisphere(7, "left"), rh = foldedHemisphere(7, "right");
const meshMs = performance.now() - t0;
const { mesh, sulc } = lh;
console.log(
  `mesh: ${mesh.nVertices} vertices, ${mesh.nFaces} faces (built in ${meshMs.toFixed(0)} ms)`,
);

const field = (m: typeof mesh) => {
  const p = m.vertices, v = new Float32Array(m.nVertices);
  for (let i = 0; i < v.length; i++) {
    const y = p[3 * i + 1], z = p[3 * i + 2];
    v[i] = 4 * Math.exp(-(((y + 60) / 25) ** 2 + ((z - 5) / 20) ** 2)) -
      3 * Math.exp(-(((y - 40) / 20) ** 2 + ((z - 40) / 15) ** 2));
  }
  return v;
};
const values = field(mesh);
const roi: number[] = [];
for (let i = 0; i < mesh.nVertices; i++) {
  if (Math.hypot(mesh.vertices[3 * i + 1] + 60, mesh.vertices[3 * i + 2] - 5) < 22) roi.push(i);
}
const grey = new Uint8Array(3 * mesh.nVertices);
for (let i = 0; i < mesh.nVertices; i++) {
  grey.fill(Math.round(255 * (1 - 0.7 * (sulc[i] + 1) / 2)), 3 * i, 3 * i + 3);
}
const lut = surfaceColormapTable("cold_hot");
const segments = roiContour(mesh, roi);
const faceColors = new Uint8Array(3 * mesh.nFaces).fill(180);

/** CPU milliseconds (user + system) of this process since `since`. */
const cpuMs = (since: NodeJS.CpuUsage) => {
  const d = cpuUsage(since);
  return (d.user + d.system) / 1000;
};

async function time(name: string, run: () => unknown | Promise<unknown>) {
  let t = performance.now();
  await run();
  const cold = performance.now() - t;
  const warm: number[] = [], cpu: number[] = [];
  for (let r = 0; r < reps; r++) {
    t = performance.now();
    const c = cpuUsage();
    await run();
    warm.push(performance.now() - t);
    cpu.push(cpuMs(c));
  }
  const median = (a: number[]) => a.sort((x, y) => x - y)[a.length >> 1].toFixed(0).padStart(5);
  console.log(
    `${name.padEnd(60)} cold ${cold.toFixed(0).padStart(5)} ms   warm median ${
      median(warm)
    } ms (CPU ${median(cpu)} ms)`,
  );
}

const raster = (supersample: number) => () =>
  rasterizeSurface(mesh, {
    camera: viewCamera("left", "lateral"),
    width: 800,
    height: 600,
    vertexColors: grey,
    valueMap: { values, lut, vmin: -4, vmax: 4, threshold: 1 },
    outlines: [{ segments, color: [0, 170, 0] }],
    supersample,
  });
await time("raster 800x600, per-pixel values + contour, supersample 1", raster(1));
await time("raster 800x600, per-pixel values + contour, supersample 2", raster(2));
await time("raster 800x600, per-face colours, supersample 1", () =>
  rasterizeSurface(mesh, {
    camera: viewCamera("left", "lateral"),
    width: 800,
    height: 600,
    faceColors,
    supersample: 1,
  }));
await time("roiContour (one ROI)", () => roiContour(mesh, roi));
const statMap = () =>
  plotSurfStatMap(
    { mesh, values, bgMap: sulc, rois: [{ vertices: roi, name: "ROI" }] },
    { hemi: "left", view: "lateral", threshold: 1, label: "t" },
  );
await time("plotSurfStatMap 800x600 (the SVG Figure the kernel shows)", statMap);
await time("plotSurfStatMap 800x600 + toPicture (PNG via sharp)", () => statMap().toPicture());
const rvalues = field(rh.mesh);
await time("plotSurfViews, 2 hemis x lateral/medial, 400x300 each, PNG", () =>
  plotSurfViews(
    {
      left: { mesh, values, bgMap: sulc },
      right: { mesh: rh.mesh, values: rvalues, bgMap: rh.sulc },
    },
    { threshold: 1, label: "t" },
  ).toPicture());

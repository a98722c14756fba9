// The plot* figures: their SVG carries the axis labels, ticks and colour-legend
// numbers; their PNG (rendered by sharp, decoded by Debian's Pillow) has the
// expected size and colours; brain slices follow nilearn's conventions (cut
// coordinates in mm checked with nibabel's apply_affine, orientation markers,
// thresholded overlay over grey anatomy, zoom to the ROI); and showing a
// figure in a notebook needs no permission at all (a subprocess without flags).
import assert from "node:assert/strict";
import { join } from "node:path";
import { colormap } from "../lib/display/colormaps.ts";
import { Figure } from "../lib/display/figure.ts";
import { plotHeatmap } from "../lib/display/heatmap.ts";
import { plotHistogram } from "../lib/display/histogram.ts";
import { plotImages } from "../lib/display/image_grid.ts";
import { colorLegend } from "../lib/display/plot_dom.ts";
import { plotScatter } from "../lib/display/scatter.ts";
import { type Affine, plotStatMap, type StatMapInput } from "../lib/display/stat_map.ts";
import { brainMap } from "../lib/display/brain_map.ts";
import { repoPath } from "./_helpers.ts";

/** Pillow's view of a PNG: its size and RGB bytes. */
async function pillow(png: Uint8Array): Promise<{ w: number; h: number; px: Uint8Array }> {
  const dir = await Deno.makeTempDir({ prefix: "fig_px_" });
  try {
    await Deno.writeFile(join(dir, "f.png"), png);
    const out = await new Deno.Command("/usr/bin/python3", {
      args: [
        "-c",
        "import sys; from PIL import Image; im = Image.open(sys.argv[1]).convert('RGB'); " +
        "sys.stdout.write('%d %d\\n' % im.size); sys.stdout.flush(); sys.stdout.buffer.write(im.tobytes())",
        join(dir, "f.png"),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const nl = out.stdout.indexOf(10);
    const [w, h] = new TextDecoder().decode(out.stdout.subarray(0, nl)).split(" ").map(Number);
    return { w, h, px: out.stdout.subarray(nl + 1) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function rendered(fig: Figure) {
  const pic = await fig.toPicture();
  const img = await pillow(pic.png);
  assert.deepEqual([img.w, img.h], [fig.width, fig.height], "PNG size = figure size");
  const at = (
    x: number,
    y: number,
  ) => [...img.px.subarray((y * img.w + x) * 3, (y * img.w + x) * 3 + 3)];
  const count = ([r, g, b]: number[], tol = 0) => {
    let n = 0;
    for (let i = 0; i < img.px.length; i += 3) {
      if (
        Math.abs(img.px[i] - r) <= tol && Math.abs(img.px[i + 1] - g) <= tol &&
        Math.abs(img.px[i + 2] - b) <= tol
      ) n++;
    }
    return n;
  };
  return { ...img, at, count };
}

/** The text content of every SVG <text>, in order. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1].trim());
}

Deno.test("plotScatter: axis labels and ticks in the SVG, dots and identity line in the PNG", async () => {
  const x = Array.from({ length: 100 }, (_, i) => Math.sin(i));
  const y = x.map((v, i) => 0.7 * v + 0.3 * Math.cos(3 * i));
  const fig = plotScatter(x, y, { title: "voxel 3", width: 400, height: 360 });
  assert.ok(fig instanceof Figure);
  assert.deepEqual([fig.width, fig.height], [400, 360]);
  assert.match(fig.caption, /^voxel 3: r = 0\.\d{3} \(n = 100\)$/);
  const t = texts(fig.svg);
  for (const want of ["measured", "predicted", fig.caption, "0.0", "0.5"]) {
    assert.ok(t.includes(want), `SVG text ${JSON.stringify(want)} in ${t.join("|")}`);
  }
  assert.equal((fig.svg.match(/<circle/g) ?? []).length, 100, "one dot per pair");
  const png = await rendered(fig);
  assert.ok(png.count([0x1f, 0x77, 0xb4], 70) > 200, "blue dots");
  assert.ok(png.count([0xd6, 0x27, 0x28], 30) > 50, "red identity line");
  assert.equal(plotScatter(x, y, { title: "voxel 3", width: 400, height: 360 }).svg, fig.svg);
  assert.throws(() => plotScatter([1, 2], [1]), /x 2 and y 1/);
});

Deno.test("plotHistogram: bars, median line, labels", async () => {
  const r = Array.from({ length: 300 }, (_, i) => 0.45 + 0.2 * Math.sin(i * 1.7));
  const fig = plotHistogram(r, { xLabel: "voxel r", bins: 15 });
  assert.deepEqual([fig.width, fig.height], [480, 320]);
  assert.match(fig.caption, /^median = 0\.4\d\d \(n = 300\)$/);
  const t = texts(fig.svg);
  assert.ok(t.includes("voxel r") && t.includes("count"), t.join("|"));
  const png = await rendered(fig);
  assert.ok(png.count([0x1f, 0x77, 0xb4]) > 2000, "bars");
  assert.ok(png.count([0xd6, 0x27, 0x28], 30) > 50, "median line");
});

Deno.test("plotHeatmap and colorLegend: panel titles, legend numbers, colours of the exact map", async () => {
  const m = { rows: 4, cols: 5, data: Array.from({ length: 20 }, (_, i) => i), title: "ramp" };
  const fig = plotHeatmap([m, { ...m, title: "again" }], { label: "value", title: "two" });
  assert.match(fig.caption, /^two: ramp 4x5, again 4x5; viridis 0\.\.19$/);
  const t = texts(fig.svg);
  for (const want of ["ramp", "again", "value", "0", "19"]) assert.ok(t.includes(want), want);
  const png = await rendered(fig);
  assert.ok(png.count(colormap("viridis", 0)) > 500, "the lowest cell in viridis' first colour");
  assert.ok(png.count(colormap("viridis", 1)) > 500, "the highest cell in its last colour");

  const bar = colorLegend({
    colormap: "cold_hot",
    vmin: -3,
    vmax: 3,
    threshold: 1.2,
    ticks: [1.2, -1.2],
    label: "t",
  });
  assert.deepEqual(texts(bar.svg), ["-3", "-2", "-1.2", "0", "1.2", "2", "3", "t"]);
  assert.throws(() => colorLegend({ colormap: "gray", vmin: 1, vmax: 1 }), /vmax > vmin/);
});

Deno.test("plotImages: cells, colours, captions", async () => {
  const solid = (c: number[], w: number, h: number, label: string) => ({
    rgb: Uint8Array.from({ length: w * h * 3 }, (_, i) => c[i % 3]),
    width: w,
    height: h,
    label,
  });
  const fig = plotImages([
    solid([200, 30, 30], 32, 32, "red"),
    solid([30, 160, 60], 40, 20, "green"),
  ], {
    cell: 96,
    title: "test images",
  });
  assert.deepEqual(texts(fig.svg), ["red", "green", "test images"]);
  const png = await rendered(fig);
  assert.ok(png.count([200, 30, 30], 2) > 90 * 90);
  assert.ok(png.count([30, 160, 60], 2) > 90 * 45);
});

/** A head-shaped phantom on a 2 mm grid whose x axis is flipped (as in many RAS files). */
function phantom() {
  const dims = [30, 36, 28] as const;
  const [ni, nj, nk] = dims;
  const affine: Affine = [[-2, 0, 0, 30], [0, 2, 0, -40], [0, 0, 2, -20], [0, 0, 0, 1]];
  const anatomy = new Float32Array(ni * nj * nk);
  const overlay = new Float32Array(ni * nj * nk);
  const roi = new Uint8Array(ni * nj * nk);
  const flat = (i: number, j: number, k: number) => (i * nj + j) * nk + k;
  for (let i = 0; i < ni; i++) {
    for (let j = 0; j < nj; j++) {
      for (let k = 0; k < nk; k++) {
        const e = ((i - 15) / 13) ** 2 + ((j - 18) / 16) ** 2 + ((k - 14) / 12) ** 2;
        if (e < 1) anatomy[flat(i, j, k)] = 300 + 500 * (1 - e) + 40 * Math.sin(i + j * k);
        if ((i - 20) ** 2 + (j - 12) ** 2 + (k - 10) ** 2 <= 4) {
          roi[flat(i, j, k)] = 1;
          overlay[flat(i, j, k)] = 0.5;
        }
      }
    }
  }
  overlay[flat(21, 12, 10)] = 1; // A: the peak
  overlay[flat(19, 13, 10)] = 0.8; // B: 4 mm right of A (x flipped) and 2 mm anterior
  overlay[flat(20, 11, 10)] = 0.2; // C: below the threshold, so grey
  return { input: { anatomy, dims, affine, overlay, roi } as StatMapInput, flat };
}

async function nibabelWorld(affine: Affine, ijk: number[]): Promise<number[]> {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [
      "-c",
      "import sys, json, numpy as np; from nibabel.affines import apply_affine; " +
      "a = np.array(json.loads(sys.argv[1])); print(json.dumps(apply_affine(a, json.loads(sys.argv[2])).tolist()))",
      JSON.stringify(affine),
      JSON.stringify(ijk),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test("plotStatMap: mm cuts (nibabel), markers, colour bar numbers, threshold, zoom to the ROI", async () => {
  const { input } = phantom();
  const options = {
    colormap: "viridis",
    vmin: 0,
    vmax: 1,
    threshold: 0.3,
    label: "r",
    title: "phantom",
    scale: 6,
  } as const;
  const fig = plotStatMap(input, options);
  // the cuts pass through the ROI's centre voxel (20, 12, 10): its mm by nibabel
  const [x, y, z] = await nibabelWorld(input.affine!, [20, 12, 10]);
  const t = texts(fig.svg);
  for (const want of [`x = ${x} mm`, `y = ${y} mm`, `z = ${z} mm`]) {
    assert.ok(t.includes(want), `${want} in ${t.join("|")}`);
  }
  for (const m of ["L", "R", "A", "P", "S", "I"]) assert.ok(t.includes(m), `marker ${m}`);
  for (const n of ["0", "0.3", "1", "r"]) assert.ok(t.includes(n), `colour bar text ${n}`);
  assert.match(fig.caption, /viridis 0\.\.1, \|value\| >= 0\.3; zoomed to the ROI$/);

  // the zoomed panels: the ROI's box (i 18..22, j 10..14) plus 20 mm = 10 voxels each side,
  // clipped to the volume: i 8..29 (22 columns), j 0..24 (25 rows)
  const images = [
    ...fig.svg.matchAll(/<image x="([\d.]+)" y="([\d.]+)" width="(\d+)" height="(\d+)"/g),
  ]
    .map((m) => m.slice(1).map(Number));
  assert.equal(images.length, 3);
  const [ax, ay, aw, ah] = images[2]; // axial: columns = world x (i from 29 down to 8), rows = y
  assert.deepEqual([aw, ah], [22 * 6, 25 * 6]);

  const png = await rendered(fig);
  const find = (rgb: number[], x0: number, y0: number, w: number, h: number) => {
    const hits: [number, number][] = [];
    for (let yy = y0; yy < y0 + h; yy++) {
      for (let xx = x0; xx < x0 + w; xx++) {
        if (png.at(xx, yy).every((v, c) => v === rgb[c])) hits.push([xx, yy]);
      }
    }
    return hits;
  };
  const a = find(colormap("viridis", 1), ax, ay, aw, ah);
  const b = find(colormap("viridis", 0.8), ax, ay, aw, ah);
  assert.equal(a.length, 36, "voxel A (inside the ROI): one 6x6 block in the peak colour");
  assert.ok(
    b.length >= 20 && b.length < 36,
    `voxel B: its block less the ROI edge line (${b.length})`,
  );
  // B is at larger world x (right) and y (anterior): 2 voxels right of A and 1 above
  // (B's top and right sides are ROI edge, so compare the blocks' bottom-left pixels)
  const corner = (hits: [number, number][]) => [
    Math.min(...hits.map((p) => p[0])),
    Math.max(...hits.map((p) => p[1])),
  ];
  assert.deepEqual([corner(b)[0] - corner(a)[0], corner(b)[1] - corner(a)[1]], [12, -6]);
  // C: one voxel right (x + 2 mm) and one below (y − 2 mm) of A, under the threshold: grey
  const [cr, cg, cb] = png.at(a[0][0] + 6 + 3, a[0][1] + 6 + 3);
  assert.ok(cr === cg && cg === cb, `C shows the grey anatomy, got ${[cr, cg, cb]}`);
  assert.ok(png.count([0, 255, 0]) > 100, "ROI outline in green");
  assert.ok(png.count(colormap("viridis", 0.5)) > 36 * 5, "the ROI's values");
  // grey anatomy around the ROI: most panel pixels have r = g = b
  let grey = 0;
  for (let yy = ay; yy < ay + ah; yy++) {
    for (let xx = ax; xx < ax + aw; xx++) {
      const [r, g, bb] = png.at(xx, yy);
      if (r === g && g === bb) grey++;
    }
  }
  assert.ok(grey > 0.8 * aw * ah, `grey anatomy: ${grey} of ${aw * ah} pixels`);

  // whole volume without zoom; row of axial cuts through the ROI
  const whole = plotStatMap(input, { zoom: false, scale: 2 });
  const wi = [...whole.svg.matchAll(/<image [^>]*width="(\d+)" height="(\d+)"/g)].map((
    m,
  ) => [+m[1], +m[2]]);
  assert.deepEqual(wi, [[36 * 2, 28 * 2], [30 * 2, 28 * 2], [30 * 2, 36 * 2]]);
  const row = plotStatMap(input, { displayMode: "z", cuts: 3 });
  assert.deepEqual(texts(row.svg).filter((s) => s.startsWith("z =")), [
    "z = -4 mm",
    "z = 0 mm",
    "z = 4 mm", // the ROI spans k 8..12, z = 2k − 20
  ]);
  assert.throws(
    () => plotStatMap(input, { cutCoords: [0, 0, 500] }),
    /cut z = 500 mm is outside the volume \(z from -20 to 34 mm\)/,
  );
  // the deprecated brainMap draws the same figure
  const old = await brainMap(input, options);
  assert.deepEqual(old.png, (await fig.toPicture()).png);
});

Deno.test("showing a figure needs no permission; saving SVG needs only the folder; PNG names --allow-ffi", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fig_noffi_" });
  try {
    const script = join(dir, "probe.ts");
    const lib = (p: string) => JSON.stringify(repoPath(p));
    await Deno.writeTextFile(
      script,
      `import { plotScatter } from ${lib("lib/display/scatter.ts")};
import { plotHistogram } from ${lib("lib/display/histogram.ts")};
import { plotHeatmap } from ${lib("lib/display/heatmap.ts")};
import { plotStatMap } from ${lib("lib/display/stat_map.ts")};
const show = Symbol.for("Jupyter.display");
const figs = [
  plotScatter([1, 2, 3], [1, 2, 4]),
  plotHistogram([1, 2, 2, 3]),
  plotHeatmap([{ rows: 2, cols: 2, data: [1, 2, 3, 4] }]),
  plotStatMap({ anatomy: new Float32Array(512).fill(1), dims: [8, 8, 8], overlay: new Float32Array(512).fill(2) }),
];
for (const f of figs) console.log(Object.keys(await f[show]()).sort().join(","));
if (Deno.args[0]) {
  await figs[0].save(Deno.args[0] + "/s.svg");
  try { await figs[0].save(Deno.args[0] + "/s.png"); } catch (e) { console.log(e.name, e.message); }
}
`,
    );
    const run = async (flags: string[], args: string[] = []) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--no-prompt",
          `--config=${repoPath("deno.json")}`,
          ...flags,
          script,
          ...args,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      return new TextDecoder().decode(out.stdout).trim().split("\n");
    };
    assert.deepEqual(await run([]), Array(4).fill("image/svg+xml,text/plain"));
    const saved = await run([`--allow-read=${dir}`, `--allow-write=${dir}`], [dir]);
    assert.match(saved[4], /^PermissionMissingError .*--allow-ffi/);
    assert.ok((await Deno.readTextFile(join(dir, "s.svg"))).startsWith("<svg"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

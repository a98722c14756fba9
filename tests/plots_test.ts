// The deprecated Picture-returning names (scatterPlot, histogramPlot, brainMap,
// imageGrid), drawn through SVG (sharp/librsvg): expected pixel sizes, not
// blank, the expected colours present (colour-bar ends, ROI outline, image
// colours), and identical bytes for identical input.
import assert from "node:assert/strict";
import sharp from "sharp";
import { scatterPlot } from "../lib/display/scatter.ts";
import { histogramCounts, histogramPlot } from "../lib/display/histogram.ts";
import { brainMap, type BrainMapInput } from "../lib/display/brain_map.ts";
import { plotStatMap } from "../lib/display/stat_map.ts";
import { imageGrid } from "../lib/display/image_grid.ts";
import { colormap } from "../lib/display/colormaps.ts";
import { escapeXml, niceTicks, svgToPicture } from "../lib/display/svg.ts";
import type { Picture } from "../lib/display/picture.ts";
import { InvalidChoiceError } from "../lib/core/errors.ts";
import { repoPath } from "./_helpers.ts";

async function pixels(pic: Picture) {
  const { data, info } = await sharp(pic.png).raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.width, pic.width);
  assert.equal(info.height, pic.height);
  assert.equal(info.channels, 3, "flattened onto white: RGB without alpha");
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

async function checkPicture(pic: Picture, width: number, height: number) {
  assert.equal(pic.width, width);
  assert.equal(pic.height, height);
  assert.deepEqual([...pic.png.subarray(1, 4)], [80, 78, 71]); // "PNG"
  const { data } = await pixels(pic);
  let sum = 0, sum2 = 0;
  for (const v of data) sum += v, sum2 += v * v;
  const mean = sum / data.length;
  assert.ok(sum2 / data.length - mean * mean > 100, "pixel variance: not blank");
  return data;
}

function hasColour(data: Uint8Array, [r, g, b]: number[], tol = 0): number {
  let n = 0;
  for (let i = 0; i < data.length; i += 3) {
    if (
      Math.abs(data[i] - r) <= tol && Math.abs(data[i + 1] - g) <= tol &&
      Math.abs(data[i + 2] - b) <= tol
    ) n++;
  }
  return n;
}

Deno.test("svg helpers: ticks, escaping, size of a rendered SVG", async () => {
  assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(-0.33, 0.71, 5), [-0.2, 0, 0.2, 0.4, 0.6]);
  assert.equal(escapeXml(`a<b & "c"`), "a&lt;b &amp; &quot;c&quot;");
  const pic = await svgToPicture(
    `<svg xmlns="http://www.w3.org/2000/svg" width="30" height="20"><rect x="10" y="5" width="10" height="10" fill="#ff0000"/></svg>`,
  );
  const { data } = await pixels(pic);
  assert.equal(hasColour(data, [255, 0, 0]), 100);
  assert.equal(hasColour(data, [255, 255, 255]), 500);
});

Deno.test("scatterPlot: size, dots and identity line drawn, r in the caption, deterministic", async () => {
  const x = Array.from({ length: 100 }, (_, i) => Math.sin(i));
  const y = x.map((v, i) => 0.7 * v + 0.3 * Math.cos(3 * i));
  const pic = await scatterPlot(x, y, { title: "voxel 3", width: 400, height: 360 });
  const data = await checkPicture(pic, 400, 360);
  assert.match(pic.caption, /^voxel 3: r = 0\.\d{3} \(n = 100\)$/);
  assert.ok(hasColour(data, [0x1f, 0x77, 0xb4], 60) > 200, "blue dots");
  assert.ok(hasColour(data, [0xd6, 0x27, 0x28], 30) > 50, "red identity line");
  const again = await scatterPlot(x, y, { title: "voxel 3", width: 400, height: 360 });
  assert.deepEqual(again.png, pic.png);
  await assert.rejects(scatterPlot([1, 2], [1]), /x 2 and y 1/);
});

Deno.test("histogramPlot: counts, median line, size, deterministic", async () => {
  assert.deepEqual(histogramCounts([0, 0.5, 1, 2, NaN], 2, 0, 1), [1, 2]);
  const r = Array.from({ length: 300 }, (_, i) => 0.45 + 0.2 * Math.sin(i * 1.7));
  const pic = await histogramPlot(r, { xLabel: "voxel r", bins: 15 });
  const data = await checkPicture(pic, 480, 320);
  assert.match(pic.caption, /^median = 0\.4\d\d \(n = 300\)$/);
  assert.ok(hasColour(data, [0x1f, 0x77, 0xb4]) > 2000, "bars");
  assert.ok(hasColour(data, [0xd6, 0x27, 0x28], 30) > 50, "median line");
  assert.deepEqual((await histogramPlot(r, { xLabel: "voxel r", bins: 15 })).png, pic.png);
});

function phantom(): BrainMapInput & { roiVoxels: number[] } {
  const dims = [30, 36, 28] as const;
  const [nx, ny, nz] = dims;
  const anatomy = new Float32Array(nx * ny * nz);
  const roi = new Uint8Array(nx * ny * nz);
  const roiVoxels: number[] = [];
  for (let x = 0; x < nx; x++) {
    for (let y = 0; y < ny; y++) {
      for (let z = 0; z < nz; z++) {
        const i = (x * ny + y) * nz + z;
        const e = ((x - 15) / 13) ** 2 + ((y - 18) / 16) ** 2 + ((z - 14) / 12) ** 2;
        if (e < 1) anatomy[i] = 300 + 500 * (1 - e) + 40 * Math.sin(x + y * z);
        if ((x - 20) ** 2 + (y - 12) ** 2 + (z - 10) ** 2 <= 9) {
          roi[i] = 1;
          roiVoxels.push(i);
        }
      }
    }
  }
  const values = Float64Array.from(roiVoxels, (_, k) => (k % 10) / 10 + 0.05);
  return { anatomy, dims, roi, values, voxels: roiVoxels, roiVoxels };
}

Deno.test("brainMap (deprecated): plotStatMap's figure as a PNG, old layout options mapped", async () => {
  const input = phantom();
  const pic = await brainMap(input, { title: "FFA1 voxel r", label: "r", vmin: 0, vmax: 1 });
  const fig = plotStatMap(input, { title: "FFA1 voxel r", label: "r", vmin: 0, vmax: 1 });
  const data = await checkPicture(pic, fig.width, fig.height);
  assert.deepEqual(pic.png, (await fig.toPicture()).png);
  // no affine: millimetres are voxel indices; the cuts pass through the ROI's centre (20, 12, 10)
  assert.match(
    pic.caption,
    /^FFA1 voxel r: x = 20 mm, y = 12 mm, z = 10 mm; hot 0\.\.1; zoomed to the ROI$/,
  );
  assert.ok(hasColour(data, [0, 255, 0]) > 50, "ROI outline");
  assert.ok(hasColour(data, colormap("hot", 0.45)) >= 9, "a value inside the ROI");

  const row = await brainMap(input, { layout: "axial", slices: 4, colormap: "viridis", scale: 2 });
  assert.match(row.caption, /^z = 7 mm, z = 9 mm, z = 11 mm, z = 13 mm; viridis 0\.\.0\.95/);
  const centred = await brainMap(input, { center: [10, 10, 10], zoom: false });
  assert.match(centred.caption, /^x = 10 mm, y = 10 mm, z = 10 mm;/);
  await assert.rejects(
    brainMap({ ...input, anatomy: new Float32Array(10) }),
    /anatomy has 10 values for dims 30x36x28/,
  );
  await assert.rejects(brainMap({ ...input, voxels: [1] }), /values \(123\) and voxels \(1\)/);
  // an unknown layout is refused (it used to fall back to "ortho" silently)
  await assert.rejects(
    brainMap(input, { layout: "coronal" as "axial" }),
    (e: unknown) =>
      e instanceof InvalidChoiceError && e.value === "coronal" &&
      /Unknown layout "coronal"/.test(e.message) && /orthogonal/.test(e.message) &&
      /axial/.test(e.message),
  );
});

Deno.test("imageGrid: cells, image colours and captions, deterministic", async () => {
  const solid = (c: number[], w: number, h: number, label: string) => ({
    rgb: Uint8Array.from({ length: w * h * 3 }, (_, i) => c[i % 3]),
    width: w,
    height: h,
    label,
  });
  const images = [
    solid([200, 30, 30], 32, 32, "shared_12rep_LAION_cluster_1003_i0.jpg"),
    solid([30, 160, 60], 40, 20, "r = 0.81"),
    solid([40, 40, 200], 20, 40, "worst"),
  ];
  const pic = await imageGrid(images, { cell: 96, columns: 2, title: "test images" });
  const data = await checkPicture(pic, 10 + 2 * 106, 36 + 2 * (96 + 20 + 10));
  assert.ok(hasColour(data, [200, 30, 30], 2) > 80 * 80, "first image scaled to its cell");
  assert.ok(hasColour(data, [30, 160, 60], 2) > 90 * 40);
  assert.ok(hasColour(data, [40, 40, 200], 2) > 40 * 90);
  assert.match(pic.caption, /^test images: shared_12rep.* \| r = 0\.81 \| worst$/);
  assert.deepEqual(
    (await imageGrid(images, { cell: 96, columns: 2, title: "test images" })).png,
    pic.png,
  );
  await assert.rejects(imageGrid([{ ...images[0], width: 5 }]), /has 3072 bytes for 5x32 RGB/);
});

Deno.test("without sharp's permissions, a picture is an error naming the flags", async () => {
  const dir = await Deno.makeTempDir({ prefix: "no_sharp_" });
  try {
    const script = `${dir}/probe.ts`;
    await Deno.writeTextFile(
      script,
      `import { svgToPicture } from ${JSON.stringify(repoPath("lib/display/svg.ts"))};
try {
  await svgToPicture('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"></svg>');
} catch (e) { console.log(e.name, e.message); }`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", `--config=${repoPath("deno.json")}`, script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.match(text, /^PermissionMissingError .*render pictures with sharp/);
    assert.ok(text.includes("--allow-ffi") && text.includes("npm_package_config_libvips"), text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

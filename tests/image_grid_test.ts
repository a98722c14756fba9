/**
 * ImageGrid.toPicture: the images with their labels, on the presentation grey
 * (128, 128, 128) the docs promise; read back by Debian's Pillow.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ImageGrid } from "../lib/display/stimulus_views.ts";
import { JUPYTER_DISPLAY } from "../lib/core/display.ts";
import { fitLabel } from "../lib/display/image_grid.ts";
import type { Pixels } from "../lib/stimuli/image.ts";

const solid = (rgb: number[], width: number, height: number): Pixels => ({
  width,
  height,
  channels: 3,
  data: Uint8Array.from({ length: width * height * 3 }, (_, i) => rgb[i % 3]),
});

/** Pillow's RGB pixels of a PNG: size and a flat byte array. */
async function pillowPixels(png: Uint8Array): Promise<{ w: number; h: number; px: Uint8Array }> {
  const dir = await Deno.makeTempDir({ prefix: "grid_px_" });
  try {
    await Deno.writeFile(join(dir, "g.png"), png);
    const out = await new Deno.Command("/usr/bin/python3", {
      args: [
        "-c",
        "import sys; from PIL import Image; im = Image.open(sys.argv[1]).convert('RGB'); " +
        "print(im.size[0], im.size[1]); sys.stdout.flush(); sys.stdout.buffer.write(im.tobytes())",
        join(dir, "g.png"),
      ],
      stdout: "piped",
    }).output();
    assert.equal(out.code, 0);
    const nl = out.stdout.indexOf(10);
    const [w, h] = new TextDecoder().decode(out.stdout.subarray(0, nl)).split(" ").map(Number);
    return { w, h, px: out.stdout.subarray(nl + 1) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("ImageGrid.toPicture: labels under each image, on the presentation grey", async () => {
  const names = ["trial 0: shared_12rep_LAION_cluster_1003_i0.jpg", "trial 1: b.png", ""];
  const grid = new ImageGrid(
    [solid([220, 40, 40], 40, 30), solid([40, 200, 60], 30, 40), solid([40, 40, 220], 40, 40)],
    names,
    { cell: 96, columns: 3 },
  );
  const pic = await grid.toPicture();
  const { w, h, px } = await pillowPixels(pic.png);
  // imageGrid's geometry: a gap of 10 around 96-pixel cells, a 20-pixel label row under each
  assert.deepEqual([w, h], [10 + 3 * 106, 10 + 96 + 20 + 10]);
  const at = (x: number, y: number) =>
    Array.from(px.subarray((y * w + x) * 3, (y * w + x) * 3 + 3));
  assert.deepEqual(
    at(2, 2),
    [128, 128, 128],
    "the background is the grey the images were shown on",
  );
  assert.deepEqual(at(w - 3, h - 3), [128, 128, 128]);
  assert.deepEqual(at(10 + 48, 10 + 48), [220, 40, 40], "first image in its cell");
  assert.deepEqual(at(10 + 106 + 48, 10 + 48), [40, 200, 60]);
  // the label row of each cell: dark text pixels where a label was given, none where it is ""
  const darkInLabelRow = (col: number) => {
    let n = 0;
    for (let y = 10 + 96; y < 10 + 96 + 20; y++) {
      for (let x = 10 + col * 106; x < 10 + col * 106 + 96; x++) {
        if (Math.max(...at(x, y)) < 64) n++;
      }
    }
    return n;
  };
  assert.ok(darkInLabelRow(0) > 60, `label 0 drawn (${darkInLabelRow(0)} dark pixels)`);
  assert.ok(darkInLabelRow(1) > 20, `label 1 drawn (${darkInLabelRow(1)} dark pixels)`);
  assert.equal(darkInLabelRow(2), 0, "an empty label draws nothing");
  // the caption keeps every label whole
  assert.ok(pic.caption.includes(names[0]) && pic.caption.includes(names[1]), pic.caption);
  if (Deno.env.get("LAION_FMRI_GRID_PNG")) await pic.save(Deno.env.get("LAION_FMRI_GRID_PNG")!);
});

Deno.test("ImageGrid: a label wider than the cell keeps its start and its end", () => {
  const name = "trial 3: shared_12rep_LAION_cluster_1003_i0.jpg";
  const cut = fitLabel(name, 150);
  assert.equal(cut, "trial 3: sh…1003_i0.jpg");
  assert.equal(fitLabel("trial 1: b.png", 150), "trial 1: b.png");
  // wide letters take more room than narrow ones: fewer of them fit
  const wide = fitLabel("W".repeat(40), 150), narrow = fitLabel("i".repeat(80), 150);
  assert.ok(wide.length < narrow.length && wide.includes("…"), `${wide} / ${narrow}`);
});

Deno.test("ImageGrid: transparent pixels are flattened onto the grey", async () => {
  const rgba: Pixels = { width: 8, height: 8, channels: 4, data: new Uint8Array(8 * 8 * 4) };
  const pic = await new ImageGrid([rgba], ["clear"], { cell: 32 }).toPicture();
  const { w, px } = await pillowPixels(pic.png);
  const o = ((10 + 16) * w + 10 + 16) * 3;
  assert.deepEqual(Array.from(px.subarray(o, o + 3)), [128, 128, 128]);
});

Deno.test("ImageGrid: the notebook's HTML and its figure embed the same PNGs (each cell encoded once)", async () => {
  const solid = (v: number): Pixels => ({
    width: 6,
    height: 4,
    channels: 4,
    data: Uint8Array.from({ length: 6 * 4 * 4 }, (_, i) => (i % 4 === 3 ? 128 : v)),
  });
  const grid = new ImageGrid([solid(10), solid(240)], ["a", "b"], { cell: 16 });
  const bundle = await grid[JUPYTER_DISPLAY]();
  const urls = (text: string) =>
    [...text.matchAll(/data:image\/png;base64,([A-Za-z0-9+/=]+)/g)].map((m) => m[1]);
  const html = urls(bundle["text/html"]);
  assert.equal(html.length, 2);
  assert.deepEqual(urls(grid.toFigure().svg), html);
});

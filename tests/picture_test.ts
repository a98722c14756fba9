// Pictures: our PNG writer decoded by Debian's Pillow, and brain slices that
// have the expected size, are not blank, and show overlay and outline colours.
import assert from "node:assert/strict";
import { encodePng } from "../lib/formats/png_write.ts";
import { Picture } from "../lib/display/picture.ts";
import { sliceImage } from "../lib/display/slices.ts";
import { colormap } from "../lib/display/colormaps.ts";

async function pillow(
  png: Uint8Array,
): Promise<{ size: number[]; mode: string; pixels: number[] }> {
  const code = `
import sys, json, io
from PIL import Image
im = Image.open(io.BytesIO(sys.stdin.buffer.read()))
im.load()
print(json.dumps({"size": list(im.size), "mode": im.mode, "pixels": list(im.tobytes())}))
`;
  const child = new Deno.Command("/usr/bin/python3", {
    args: ["-c", code],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(png);
  await w.close();
  const out = await child.output();
  if (out.code !== 0) throw new Error(new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test("encodePng: grey, RGB and RGBA images decode in Pillow to the same pixels", async () => {
  for (const [channels, mode] of [[1, "L"], [3, "RGB"], [4, "RGBA"]] as const) {
    const width = 7, height = 5;
    const data = Uint8Array.from({ length: width * height * channels }, (_, i) => (i * 37) % 256);
    const got = await pillow(encodePng({ width, height, channels, data }));
    assert.deepEqual(got.size, [width, height]);
    assert.equal(got.mode, mode);
    assert.deepEqual(got.pixels, [...data]);
  }
  assert.throws(
    () => encodePng({ width: 2, height: 2, channels: 1, data: new Uint8Array(3) }),
    RangeError,
  );
});

Deno.test("sliceImage: size, not blank, overlay colours, ROI outline, caption", async () => {
  const shape = [20, 24, 16] as const;
  const n = shape[0] * shape[1] * shape[2];
  const idx = (i: number, j: number, k: number) => (i * shape[1] + j) * shape[2] + k;
  const anat = Float32Array.from({ length: n }, (_, f) => 100 + (f % 50));
  const overlay = new Float32Array(n);
  const roi = new Uint8Array(n);
  for (let i = 5; i < 10; i++) {
    for (let j = 5; j < 10; j++) overlay[idx(i, j, 8)] = 3, roi[idx(i, j, 8)] = 1;
  }
  overlay[idx(15, 15, 8)] = -3;
  const pic = sliceImage({ data: anat, shape }, {
    view: "axial",
    index: 8,
    scale: 2,
    overlay: { data: overlay, shape },
    threshold: 1,
    outline: { data: roi, shape },
    title: "test map",
  });
  assert.equal(pic.height, 24 * 2);
  assert.equal(pic.width, (20 + 6) * 2, "slice plus colour bar");
  const { pixels } = await pillow(pic.png);
  const rgb = (x: number, y: number) =>
    pixels.slice((y * pic.width + x) * 3, (y * pic.width + x) * 3 + 3);
  assert.ok(new Set(pixels).size > 10, "not blank");
  // Voxel (7, 7): inside the ROI, positive overlay -> red/yellow; row is flipped (y up).
  const y = (j: number) => (24 - 1 - j) * 2;
  // the overlay in nilearn's cold_hot, the table plotStatMap uses
  assert.deepEqual(rgb(7 * 2, y(7)), colormap("cold_hot", 1));
  assert.deepEqual(rgb(5 * 2, y(7)), [0, 255, 0], "ROI edge in green");
  assert.deepEqual(rgb(15 * 2, y(15)), colormap("cold_hot", 0), "negative values at the cold end");
  assert.match(pic.caption, /^test map: axial slice 8\/15; overlay ±3\.00/);
  const bundle = (pic as unknown as Record<symbol, () => Record<string, string>>)[
    Symbol.for("Jupyter.display")
  ]();
  assert.ok(bundle["image/png"].length > 100);
  assert.equal(String(pic), `Picture ${pic.width}x${pic.height}: ${pic.caption}`);
  assert.throws(() => sliceImage({ data: anat, shape }, { index: 99 }), RangeError);
});

Deno.test("Picture.save writes the PNG atomically", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const p = Picture.fromPixels({ width: 1, height: 1, channels: 1, data: new Uint8Array([9]) });
    await p.save(`${dir}/a.png`);
    assert.deepEqual(await Deno.readFile(`${dir}/a.png`), p.png);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sliceImage of a binary mask shows the mask, not a black square", async () => {
  const shape = [6, 6, 3] as const;
  const data = new Uint8Array(6 * 6 * 3);
  data[(2 * 6 + 2) * 3 + 1] = 1;
  const { pixels } = await pillow(sliceImage({ data, shape }, { index: 1, scale: 1 }).png);
  assert.ok(pixels.some((v) => v === 255), "the voxel is white");
});

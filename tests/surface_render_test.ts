// The cortical surface renderer on a synthetic icosphere with known fields:
// which side each view shows (nilearn's cameras), the threshold, ROI
// contours along a known circle, the colour bar's ticks (against Python's
// `%.2g`), PNGs that Pillow decodes to the expected size, identical bytes
// on a second run.
import assert from "node:assert/strict";
import {
  plotSurfRoi,
  plotSurfStatMap,
  plotSurfViews,
  surfaceColorbarTicks,
  surfaceColormapTable,
} from "../lib/display/surface_plot.ts";
import {
  projectedExtent,
  rasterizeSurface,
  roiContour,
  viewCamera,
} from "../lib/display/surface_render.ts";
import { icosphere } from "./_icosphere.ts";
import { pillowPixels } from "./_pillow.ts";
import { JUPYTER_DISPLAY } from "../lib/core/display.ts";
import { InvalidChoiceError } from "../lib/core/errors.ts";

const R = 50;
const sphere = icosphere(5, R); // 10,242 vertices
const xs = (i: number) => sphere.vertices[3 * i];
const ys = (i: number) => sphere.vertices[3 * i + 1];
const zs = (i: number) => sphere.vertices[3 * i + 2];
const field = (f: (i: number) => number) =>
  Float32Array.from({ length: sphere.nVertices }, (_, i) => f(i));
/** 1 on the +x half, 0 on the -x half. */
const plusX = field((i) => (xs(i) > 0 ? 1 : 0));

function pixel(img: { width: number; data: Uint8Array }, x: number, y: number): number[] {
  const o = 3 * (y * img.width + x);
  return [img.data[o], img.data[o + 1], img.data[o + 2]];
}

const lut = surfaceColormapTable("cold_hot");
/** The table entry of `v` on a -vmax..vmax bar (matplotlib: floor(t * 256)). */
const lutAt = (v: number, vmax: number) => {
  const i = Math.min(255, Math.floor(((v + vmax) / (2 * vmax)) * 256));
  return [lut[3 * i], lut[3 * i + 1], lut[3 * i + 2]];
};
const GREY = [210, 210, 210]; // background without bgMap, fully lit at the centre

Deno.test("views: right lateral looks from +x, right medial from -x, left the other way round", () => {
  const valueMap = { values: plusX, lut, vmin: -2, vmax: 2, threshold: 0.5 };
  const vertexColors = new Uint8Array(3 * sphere.nVertices).fill(210);
  const centre = (hemi: "left" | "right", view: "lateral" | "medial") => {
    const img = rasterizeSurface(sphere, {
      camera: viewCamera(hemi, view),
      width: 120,
      height: 90,
      vertexColors,
      valueMap,
    });
    return pixel(img, 60, 45);
  };
  const coloured = lutAt(1, 2);
  assert.notDeepEqual(coloured, GREY);
  assert.deepEqual(centre("right", "lateral"), coloured);
  assert.deepEqual(centre("right", "medial"), GREY);
  assert.deepEqual(centre("left", "lateral"), GREY);
  assert.deepEqual(centre("left", "medial"), coloured);
});

Deno.test("views: anterior is on the left of a left lateral view and on the right of a right lateral one", () => {
  const anterior = field((i) => (ys(i) > 0 ? 1 : 0));
  const vertexColors = new Uint8Array(3 * sphere.nVertices).fill(210);
  const valueMap = { values: anterior, lut, vmin: -2, vmax: 2, threshold: 0.5 };
  const coloured = lutAt(1, 2);
  for (const [hemi, anteriorX, posteriorX] of [["left", 30, 90], ["right", 90, 30]] as const) {
    const img = rasterizeSurface(sphere, {
      camera: viewCamera(hemi, "lateral"),
      width: 120,
      height: 120,
      vertexColors,
      valueMap,
      lighting: 0,
    });
    assert.deepEqual(pixel(img, anteriorX, 60), coloured, `${hemi}: anterior at x=${anteriorX}`);
    assert.deepEqual(pixel(img, posteriorX, 60), GREY, `${hemi}: posterior at x=${posteriorX}`);
    // Up is superior: a field on z > 0 shows in the top half.
  }
  const superior = field((i) => (zs(i) > 0 ? 1 : 0));
  const img = rasterizeSurface(sphere, {
    camera: viewCamera("left", "lateral"),
    width: 120,
    height: 120,
    vertexColors,
    valueMap: { ...valueMap, values: superior },
    lighting: 0,
  });
  assert.deepEqual(pixel(img, 60, 30), coloured);
  assert.deepEqual(pixel(img, 60, 90), GREY);
});

Deno.test("the sphere is round and centred: equal extent across and down, margins kept", () => {
  const img = rasterizeSurface(sphere, {
    camera: viewCamera("right", "lateral"),
    width: 200,
    height: 100,
    vertexColors: new Uint8Array(3 * sphere.nVertices), // black on white
    lighting: 0,
  });
  let x0 = 200, x1 = -1, y0 = 100, y1 = -1;
  for (let y = 0; y < 100; y++) {
    for (let x = 0; x < 200; x++) {
      if (pixel(img, x, y)[0] < 128) {
        x0 = Math.min(x0, x), x1 = Math.max(x1, x), y0 = Math.min(y0, y), y1 = Math.max(y1, y);
      }
    }
  }
  // 100 - 2 * 8 margin = 84 px for 2R; square pixels.
  assert.ok(Math.abs(x1 - x0 + 1 - 84) <= 2, `width ${x1 - x0 + 1}`);
  assert.ok(Math.abs(y1 - y0 + 1 - 84) <= 2, `height ${y1 - y0 + 1}`);
  assert.ok(Math.abs((x0 + x1) / 2 - 99.5) <= 1 && Math.abs((y0 + y1) / 2 - 49.5) <= 1);
  assert.ok(Math.abs(img.scale - 84 / (2 * R)) < 1e-3, `scale ${img.scale}`);
});

Deno.test("threshold: values below |threshold| show the background, at or above it the colour", () => {
  const vertexColors = new Uint8Array(3 * sphere.nVertices).fill(210);
  const values = field((i) => (xs(i) > 0 ? -1.2 : 0));
  const at = (threshold: number) =>
    pixel(
      rasterizeSurface(sphere, {
        camera: viewCamera("right", "lateral"),
        width: 60,
        height: 60,
        vertexColors,
        valueMap: { values, lut, vmin: -2, vmax: 2, threshold },
      }),
      30,
      30,
    );
  assert.deepEqual(at(1), lutAt(-1.2, 2), "negative values beyond -threshold are drawn");
  assert.deepEqual(at(1.5), GREY);
  // NaN is no value.
  const nan = rasterizeSurface(sphere, {
    camera: viewCamera("right", "lateral"),
    width: 60,
    height: 60,
    vertexColors,
    valueMap: { values: field(() => NaN), lut, vmin: -2, vmax: 2 },
  });
  assert.deepEqual(pixel(nan, 30, 30), GREY);
});

Deno.test("ROI contour: a cap z > R/2 is outlined along its circle and nowhere else", () => {
  const cap = [...Array(sphere.nVertices).keys()].filter((i) => zs(i) > R / 2);
  const segments = roiContour(sphere, cap);
  assert.ok(segments.length > 0);
  // Every contour point lies between the cap's border ring and the next ring out.
  const edge = 2 * R * Math.sin(Math.PI / 5 / 2 ** 5); // about one edge length of the mesh
  for (let i = 0; i < segments.length; i += 3) {
    assert.ok(Math.abs(segments[i + 2] - R / 2) < edge, `contour z ${segments[i + 2]}`);
  }
  // The same from a per-vertex mask.
  const mask = field((i) => (zs(i) > R / 2 ? 1 : 0));
  assert.deepEqual(roiContour(sphere, mask, "mask"), segments);

  const outlined = (view: "lateral" | "ventral") =>
    rasterizeSurface(sphere, {
      camera: viewCamera("right", view),
      width: 200,
      height: 200,
      vertexColors: new Uint8Array(3 * sphere.nVertices).fill(210),
      outlines: [{ segments, color: [0, 255, 0], width: 2 }],
    });
  const img = outlined("lateral");
  const s = img.scale, cy = 100;
  const green = (x: number, y: number) => {
    const [r, g, b] = pixel(img, x, y);
    return g > 200 && r < 120 && b < 120;
  };
  const rowOfCircle = cy - (R / 2) * s;
  const tolerance = edge * s + 3;
  let found = 0, stray = 0;
  for (let y = 0; y < 200; y++) {
    for (let x = 0; x < 200; x++) {
      if (!green(x, y)) continue;
      if (Math.abs(y - rowOfCircle) <= tolerance) found++;
      else stray++;
    }
  }
  assert.ok(found > 100, `outline pixels along the circle: ${found}`);
  assert.equal(stray, 0, "no outline pixels away from the circle");
  // Seen from below (ventral) the cap is behind the sphere: no outline shows through.
  const below = outlined("ventral");
  for (let i = 0; i < below.data.length; i += 3) {
    assert.ok(!(below.data[i + 1] > 200 && below.data[i] < 120), "hidden outline drawn");
  }
});

Deno.test("colour bar: five ticks from -vmax to vmax formatted as Python's %.2g", async () => {
  const cases = [[-4, 4], [-0.37, 0.37], [0, 1234], [-5e-5, 5e-5], [-12.34, 12.34]];
  const ours = cases.map(([a, b]) => surfaceColorbarTicks(a, b).map((t) => t.label));
  const py = new Deno.Command("/usr/bin/python3", {
    args: [
      "-c",
      "import json,sys,numpy as np\n" +
      "print(json.dumps([['%.2g' % (0.0 if abs(v) < 1e-12 * (b - a) else v) for v in np.linspace(a, b, 5)] for a, b in json.loads(sys.argv[1])]))",
      JSON.stringify(cases),
    ],
    stdout: "piped",
  });
  const out = await py.output();
  assert.equal(out.code, 0);
  assert.deepEqual(ours, JSON.parse(new TextDecoder().decode(out.stdout)));

  const fig = plotSurfStatMap(
    { mesh: sphere, values: field((i) => xs(i) / R * 3) },
    { hemi: "right", label: "t value", threshold: 1, title: "sphere" },
  );
  for (const t of ["-3", "-1.5", "0", "1.5", "3", "t value", "sphere"]) {
    assert.ok(fig.svg.includes(`>${t}</text>`), `the SVG shows ${t}`);
  }
  assert.match(fig.caption, /right lateral; cold_hot -3\.\.3, \|v\| >= 1/);
});

Deno.test("plotSurfStatMap: a Figure whose PNG Pillow decodes to the expected size, the colour at the centre, identical bytes twice", async () => {
  const layer = { mesh: sphere, values: plusX };
  const options = { hemi: "right" as const, view: "lateral" as const, vmax: 2, threshold: 0.5 };
  const fig = plotSurfStatMap(layer, { ...options, width: 400, height: 300 });
  const pic = await fig.toPicture();
  // Panel 400 x 300 below an 8 px top border, colour bar to the right.
  const { size, pixels } = await pillowPixels(pic.png, [[200, 8 + 150], [3, 8 + 150]]);
  assert.deepEqual(size, [pic.width, pic.height]);
  assert.equal(pic.height, 8 + 300 + 8);
  assert.ok(pic.width > 400 + 40, `room for the colour bar: ${pic.width}`);
  assert.deepEqual(pixels[0], lutAt(1, 2));
  assert.deepEqual(pixels[1], [255, 255, 255], "white outside the surface");
  const medial = await plotSurfStatMap(layer, {
    ...options,
    view: "medial",
    width: 400,
    height: 300,
  }).toPicture();
  assert.deepEqual((await pillowPixels(medial.png, [[200, 158]])).pixels[0], GREY);
  // Shown inline by the kernel: the SVG with the surface as an embedded PNG, and the PNG itself.
  const bundle = await fig[JUPYTER_DISPLAY]();
  assert.match(String(bundle["image/svg+xml"]), /<image [^>]*href="data:image\/png;base64,/);
  assert.equal(bundle["image/png"], pic.toBase64());
  const again = plotSurfStatMap(layer, { ...options, width: 400, height: 300 });
  assert.equal(again.svg, fig.svg);
  assert.deepEqual((await again.toPicture()).png, pic.png);
});

Deno.test("plotSurfViews: both hemispheres, lateral and medial, one scale and one colour bar", async () => {
  const left = icosphere(4, R), right = icosphere(4, R);
  for (const [m, dx] of [[left, -R - 5], [right, R + 5]] as const) {
    for (let i = 0; i < m.nVertices; i++) m.vertices[3 * i] += dx;
  }
  const lateral = (m: typeof left, sign: number) =>
    Float32Array.from(
      { length: m.nVertices },
      (_, i) => (sign * (m.vertices[3 * i] - sign * (R + 5)) > 0 ? 2 : 0),
    );
  const fig = plotSurfViews(
    {
      left: { mesh: left, values: lateral(left, -1) },
      right: { mesh: right, values: lateral(right, 1) },
    },
    {
      views: ["lateral", "medial"],
      panelWidth: 200,
      panelHeight: 150,
      vmax: 2,
      threshold: 1,
      label: "r",
    },
  );
  // Columns: left, right; rows: lateral, medial; each panel under an 18 px name line.
  const top = 8, name = 18;
  const centre = (c: number, r: number): [number, number] => [
    c * 200 + 100,
    top + r * (150 + name) + name + 75,
  ];
  const pic = await fig.toPicture();
  const { size, pixels } = await pillowPixels(pic.png, [
    centre(0, 0),
    centre(1, 0),
    centre(0, 1),
    centre(1, 1),
  ]);
  assert.deepEqual(size, [fig.width, fig.height]);
  const top2 = lutAt(2, 2);
  assert.deepEqual(pixels, [top2, top2, GREY, GREY]);
  assert.match(fig.caption, /left lateral, right lateral, left medial, right medial/);
});

Deno.test("plotSurfRoi: each label in its colour over the background, a legend with the names", async () => {
  // Label 1 on the +x half, 2 on the -x half's top, 0 elsewhere.
  const labels = Int32Array.from(
    { length: sphere.nVertices },
    (_, i) => (xs(i) > 0 ? 1 : zs(i) > R / 2 ? 2 : 0),
  );
  const fig = plotSurfRoi(
    { mesh: sphere, labels },
    {
      hemi: "right",
      views: ["lateral", "medial"],
      names: { 1: "V1", 2: "hMT+" },
      colors: { 2: [200, 0, 200] },
      lighting: 0,
    },
  );
  for (const t of ["V1", "hMT+", "right lateral", "right medial"]) {
    assert.ok(fig.svg.includes(`>${t}</text>`), `the SVG shows ${t}`);
  }
  const pic = await fig.toPicture();
  const top = 8, name = 18;
  const { pixels } = await pillowPixels(pic.png, [
    [200, top + name + 150], // lateral centre: label 1
    [200, top + 2 * name + 300 + 150], // medial centre: no label
    [200, top + 2 * name + 300 + 150 - Math.round(0.8 * R * (284 / (2 * R)))], // medial, high: label 2
  ]);
  assert.deepEqual(pixels[0], [31, 119, 180], "tab20's first colour for the lowest label");
  assert.deepEqual(pixels[1], GREY);
  assert.deepEqual(pixels[2], [200, 0, 200]);
  assert.match(fig.caption, /labels: V1, hMT\+/);
});

Deno.test("ROI outlines from a per-vertex label array: one contour per label", async () => {
  const labels = Int32Array.from(
    { length: sphere.nVertices },
    (_, i) => (zs(i) > R / 2 ? 1 : zs(i) < -R / 2 ? 2 : 0),
  );
  const fig = plotSurfStatMap(
    { mesh: sphere, rois: [{ vertices: labels, kind: "labels", name: "caps" }] },
    { hemi: "right", width: 200, height: 200 },
  );
  assert.match(fig.caption, /outlines: caps/);
  // Two contours in tab10's first two colours: the rings at z = +R/2 (label 1) and -R/2 (label 2).
  const pic = await fig.toPicture();
  const s = (200 - 16) / (2 * R), cy = 8 + 100;
  const column = (y0: number) =>
    Array.from({ length: 9 }, (_, k) => [100, Math.round(y0) - 4 + k] as [number, number]);
  const ring1 = column(cy - (R / 2) * s), ring2 = column(cy + (R / 2) * s);
  const { pixels } = await pillowPixels(pic.png, [...ring1, ...ring2]);
  const near = (p: number[], c: number[]) => p.every((v, i) => Math.abs(v - c[i]) <= 12);
  assert.ok(pixels.slice(0, 9).some((p) => near(p, [31, 119, 180])), JSON.stringify(pixels));
  assert.ok(pixels.slice(9).some((p) => near(p, [255, 127, 14])), JSON.stringify(pixels));
  assert.ok(!pixels.slice(0, 9).some((p) => near(p, [255, 127, 14])));
});

Deno.test("bad arguments name the valid values", () => {
  assert.throws(
    () => viewCamera("left", "top" as never),
    /unknown view "top"; valid: lateral, medial/,
  );
  assert.throws(() => viewCamera("both" as never, "lateral"), /valid: left, right/);
  assert.throws(
    () => plotSurfStatMap({ mesh: sphere, values: new Float32Array(3) }),
    /values has 3 values for a mesh of 10242 vertices/,
  );
  assert.throws(
    () => surfaceColormapTable("jet" as never),
    /unknown colour map "jet"; valid: .*cold_hot/,
  );
  assert.throws(() => roiContour(sphere, [sphere.nVertices]), /outside 0\.\.10241/);
  assert.throws(
    () => plotSurfStatMap({ mesh: sphere, rois: [{ vertices: [1], kind: "ring" as never }] }),
    (e: unknown) =>
      e instanceof InvalidChoiceError && e.value === "ring" &&
      /Unknown ROI kind "ring"\. Valid: \['indices', 'mask', 'labels'\]/.test(e.message),
  );
  // no hemisphere: the error names the keys that were given
  assert.throws(
    () => plotSurfViews({ L: { mesh: sphere } } as never),
    /plotSurfViews needs \{ left \} or \{ right \} or both; got \{ L \}/,
  );
  assert.throws(
    () => plotSurfViews({ left: undefined }),
    /got \{ left: undefined \}/,
  );
  assert.throws(
    () => plotSurfStatMap({ mesh: sphere }, { view: "top" as never }),
    (e: unknown) => e instanceof InvalidChoiceError && /Unknown view "top"/.test(e.message),
  );
  assert.throws(
    () =>
      plotSurfStatMap(
        { mesh: sphere, bgMap: new Float32Array(sphere.nVertices) },
        { bgMode: "dark" as never },
      ),
    (e: unknown) => e instanceof InvalidChoiceError && /Unknown bgMode "dark"/.test(e.message),
  );
  assert.throws(() => plotSurfRoi({ mesh: sphere, labels: [1, 2] }), /labels has 2 values/);
  assert.deepEqual(projectedExtent(sphere, viewCamera("right", "dorsal")).u.map(Math.round), [
    -R,
    R,
  ]);
});

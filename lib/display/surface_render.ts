/**
 * A software rasteriser for triangle meshes such as cortical surfaces
 * (`lh.pial`, `lh.inflated`, fsaverage): pure TypeScript, no GPU.
 *
 * - Orthographic projection along a {@linkcode Camera}; the views of
 *   {@linkcode viewCamera} follow nilearn's `plot_surf` for lateral and
 *   medial (left hemisphere: lateral looks from −x, medial from +x; right
 *   hemisphere the other way round; up is +z, so anterior is on the left
 *   of a left lateral view and on the right of a right lateral view).
 * - A depth buffer; per-vertex colours interpolated across each triangle
 *   (Gouraud) or one colour per face.
 * - A headlight: Lambert shading `(1 − lighting) + lighting · |n · d|` with
 *   the (two-sided) normal `n` and the viewing direction `d`; `lighting: 0`
 *   is flat like nilearn's matplotlib engine.
 * - Per-pixel values: with `valueMap`, the value (not the colour) is
 *   interpolated and looked up per pixel, so a threshold cuts smoothly
 *   through the triangles instead of along their edges.
 * - Outlines: line segments of a given width over the surface, hidden
 *   where the surface is in front of them ({@linkcode roiContour}).
 * - Supersampling: rendered at `k` times the size and averaged down.
 * @module
 */
import type { SurfaceMesh } from "../formats/freesurfer_surface.ts";
import type { Rgb } from "./colormaps.ts";

/** A 3-vector. */
export type Vec3 = readonly [number, number, number];

/** An orthographic camera: where it looks and which way is up on screen. */
export interface Camera {
  /** Direction of view, from the eye towards the mesh (need not be unit length). */
  direction: Vec3;
  /** The direction drawn upwards on screen (made orthogonal to `direction`). */
  up: Vec3;
}

/** The views of {@linkcode viewCamera}, as nilearn names them. */
export const SURFACE_VIEWS = [
  "lateral",
  "medial",
  "dorsal",
  "ventral",
  "anterior",
  "posterior",
] as const;
/** One of {@linkcode SURFACE_VIEWS}. */
export type SurfaceView = typeof SURFACE_VIEWS[number];
/** The hemispheres of {@linkcode viewCamera}. */
export const HEMISPHERES = ["left", "right"] as const;
/** `"left"` or `"right"`. */
export type Hemisphere = typeof HEMISPHERES[number];

/**
 * The camera of a named view of a hemisphere, in RAS coordinates (x right,
 * y anterior, z superior). Lateral and medial follow nilearn (left lateral
 * from −x, left medial from +x, right lateral from +x, right medial from
 * −x; up is +z). Dorsal looks down from +z with anterior up and the
 * subject's right on the right; ventral looks up from −z with anterior up;
 * anterior looks from +y and posterior from −y, both with +z up.
 *
 * @throws {RangeError} an unknown view or hemisphere, listing the valid ones
 * @example
 * ```ts
 * import { viewCamera } from "@laion/fmri/plot";
 * console.log(viewCamera("left", "lateral")); // { direction: [1, 0, 0], up: [0, 0, 1] }
 * ```
 */
export function viewCamera(hemi: Hemisphere, view: SurfaceView): Camera {
  if (!HEMISPHERES.includes(hemi)) {
    throw new RangeError(`unknown hemi ${JSON.stringify(hemi)}; valid: ${HEMISPHERES.join(", ")}`);
  }
  const sign = hemi === "left" ? 1 : -1;
  switch (view) {
    case "lateral":
      return { direction: [sign, 0, 0], up: [0, 0, 1] };
    case "medial":
      return { direction: [-sign, 0, 0], up: [0, 0, 1] };
    case "dorsal":
      return { direction: [0, 0, -1], up: [0, 1, 0] };
    case "ventral":
      return { direction: [0, 0, 1], up: [0, 1, 0] };
    case "anterior":
      return { direction: [0, -1, 0], up: [0, 0, 1] };
    case "posterior":
      return { direction: [0, 1, 0], up: [0, 0, 1] };
    default:
      throw new RangeError(
        `unknown view ${JSON.stringify(view)}; valid: ${SURFACE_VIEWS.join(", ")}`,
      );
  }
}

/** The unit screen axes of a camera: right, up and towards the viewer. */
function cameraAxes(camera: Camera): { right: Vec3; up: Vec3; toward: Vec3 } {
  const norm = (v: Vec3): Vec3 => {
    const n = Math.hypot(v[0], v[1], v[2]);
    if (!(n > 0)) throw new RangeError(`camera vector [${v.join(", ")}] has no length`);
    return [v[0] / n, v[1] / n, v[2] / n];
  };
  const cross = (a: Vec3, b: Vec3): Vec3 => [
    a[1] * b[2] - a[2] * b[1],
    a[2] * b[0] - a[0] * b[2],
    a[0] * b[1] - a[1] * b[0],
  ];
  const d = norm(camera.direction);
  const right = norm(cross(d, camera.up));
  const up = cross(right, d);
  return { right, up, toward: [-d[0], -d[1], -d[2]] };
}

/** Where a mesh lands on screen: its extent along the camera's right and up axes. */
export interface ProjectedExtent {
  /** Smallest and largest coordinate along the screen's right axis. */
  u: [number, number];
  /** Smallest and largest coordinate along the screen's up axis. */
  v: [number, number];
}

/**
 * The extent of `mesh` seen through `camera` (in mesh units, e.g. mm),
 * for fitting several panels to one common scale.
 *
 * @example
 * ```ts
 * import { projectedExtent, viewCamera } from "@laion/fmri/plot";
 * const mesh = { vertices: new Float32Array([0, 0, 0, 0, 10, 0, 0, 0, 5]), faces: new Uint32Array([0, 1, 2]), nVertices: 3, nFaces: 1 };
 * console.log(projectedExtent(mesh, viewCamera("right", "lateral"))); // { u: [0, 10], v: [0, 5] }
 * ```
 */
export function projectedExtent(mesh: SurfaceMesh, camera: Camera): ProjectedExtent {
  const { right, up } = cameraAxes(camera);
  const p = mesh.vertices;
  let u0 = Infinity, u1 = -Infinity, v0 = Infinity, v1 = -Infinity;
  for (let i = 0; i < mesh.nVertices; i++) {
    const x = p[3 * i], y = p[3 * i + 1], z = p[3 * i + 2];
    const u = x * right[0] + y * right[1] + z * right[2];
    const v = x * up[0] + y * up[1] + z * up[2];
    if (u < u0) u0 = u;
    if (u > u1) u1 = u;
    if (v < v0) v0 = v;
    if (v > v1) v1 = v;
  }
  if (!(u1 >= u0)) return { u: [0, 0], v: [0, 0] };
  return { u: [u0, u1], v: [v0, v1] };
}

/** An outline: line segments drawn over the surface. */
export interface SurfaceOutline {
  /**
   * Segment end points in mesh coordinates, 6 values (`x0 y0 z0 x1 y1 z1`)
   * per segment, e.g. from {@linkcode roiContour}.
   */
  segments: Float32Array;
  /** Line colour. */
  color: Rgb;
  /** Line width in output pixels. @default 2 */
  width?: number;
}

/** Per-vertex values coloured per pixel (see {@linkcode RasterizeOptions.valueMap}). */
export interface ValueMap {
  /** One value per vertex; NaN shows the background. */
  values: ArrayLike<number>;
  /** The colour table, `3 * m` bytes (e.g. 256 entries): `vmin` maps to the first, `vmax` to the last. */
  lut: Uint8Array;
  /** Value of the table's first entry. */
  vmin: number;
  /** Value of the table's last entry. */
  vmax: number;
  /** Values with `|value|` below it show the background. @default 0 */
  threshold?: number;
}

/** Options of {@linkcode rasterizeSurface}. */
export interface RasterizeOptions {
  /** The view (see {@linkcode viewCamera}). */
  camera: Camera;
  /** Image width in pixels. @default 800 */
  width?: number;
  /** Image height in pixels. @default 600 */
  height?: number;
  /**
   * Colours per vertex, `3 * nVertices` values 0–255, interpolated across
   * each triangle (Gouraud). One of `vertexColors` and `faceColors` is needed.
   */
  vertexColors?: ArrayLike<number>;
  /** Colours per face, `3 * nFaces` values 0–255, one flat colour per triangle. */
  faceColors?: ArrayLike<number>;
  /**
   * Values per vertex interpolated per pixel and coloured through a table
   * where `|value| >= threshold` (elsewhere, and at NaN, `vertexColors`
   * shows). Needs `vertexColors`.
   */
  valueMap?: ValueMap;
  /** Share of the headlight in the shading, 0 (flat) to 1 (black at grazing angles). @default 0.4 */
  lighting?: number;
  /** Colour where no surface is. @default [255, 255, 255] */
  background?: Rgb;
  /** Pixels per mesh unit. @default the largest that fits the mesh with `margin` */
  scale?: number;
  /** Empty border in pixels when `scale` is fitted. @default 8 */
  margin?: number;
  /** Outlines drawn over the surface (hidden behind it). @default [] */
  outlines?: readonly SurfaceOutline[];
  /** Render at `supersample` times the size and average down (anti-aliasing). @default 2 */
  supersample?: number;
}

/** The pixels of {@linkcode rasterizeSurface}. */
export interface RasterImage {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** RGB, row-major, top row first: `3 * width * height` bytes. */
  data: Uint8Array;
  /** Pixels per mesh unit used. */
  scale: number;
}

function checkSize(name: string, v: number, lo: number, hi: number): number {
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw new RangeError(`${name} must be an integer in ${lo}..${hi}, got ${v}`);
  }
  return v;
}

/**
 * Renders `mesh` through an orthographic camera into RGB pixels, with a
 * depth buffer, Gouraud or flat colours, headlight shading and outlines.
 * The mesh is centred in the image; `scale` (pixels per mesh unit) fits it
 * unless given (give one to draw several views at the same scale).
 *
 * @throws {RangeError} colour arrays of the wrong length, a bad size
 * @example
 * ```ts
 * import { rasterizeSurface, viewCamera, Picture } from "@laion/fmri/plot";
 * const mesh = { vertices: new Float32Array([0, -1, -1, 0, 1, -1, 0, 0, 1]), faces: new Uint32Array([0, 1, 2]), nVertices: 3, nFaces: 1 };
 * const img = rasterizeSurface(mesh, {
 *   camera: viewCamera("right", "lateral"), width: 64, height: 64,
 *   vertexColors: [255, 0, 0, 0, 255, 0, 0, 0, 255],
 * });
 * const pic = Picture.fromPixels({ ...img, channels: 3 }, "a triangle");
 * ```
 */
export function rasterizeSurface(mesh: SurfaceMesh, options: RasterizeOptions): RasterImage {
  const outW = checkSize("width", options.width ?? 800, 1, 16384);
  const outH = checkSize("height", options.height ?? 600, 1, 16384);
  const k = checkSize("supersample", options.supersample ?? 2, 1, 8);
  const W = outW * k, H = outH * k;
  const nV = mesh.nVertices, nF = mesh.nFaces;
  const { vertexColors, faceColors } = options;
  if (vertexColors && vertexColors.length !== 3 * nV) {
    throw new RangeError(`vertexColors has ${vertexColors.length} values for ${nV} vertices x 3`);
  }
  if (faceColors && faceColors.length !== 3 * nF) {
    throw new RangeError(`faceColors has ${faceColors.length} values for ${nF} faces x 3`);
  }
  if (!vertexColors && !faceColors) {
    throw new RangeError("rasterizeSurface needs vertexColors or faceColors");
  }
  const vm = options.valueMap;
  if (vm) {
    if (!vertexColors) throw new RangeError("valueMap needs vertexColors (its background)");
    if (vm.values.length !== nV) {
      throw new RangeError(`valueMap.values has ${vm.values.length} values for ${nV} vertices`);
    }
    if (vm.lut.length < 3 || vm.lut.length % 3 !== 0) {
      throw new RangeError(`valueMap.lut has ${vm.lut.length} bytes, not 3 per colour`);
    }
    if (!(vm.vmax > vm.vmin)) {
      throw new RangeError(`valueMap.vmax (${vm.vmax}) must be larger than vmin (${vm.vmin})`);
    }
  }
  const lut = vm?.lut, nLut = lut ? lut.length / 3 : 0, thr = vm?.threshold ?? 0;
  const vmin = vm?.vmin ?? 0, vspan = vm ? vm.vmax - vm.vmin : 1;
  const vals = vm ? Float32Array.from(vm.values) : undefined;
  const lighting = options.lighting ?? 0.4;
  if (!(lighting >= 0 && lighting <= 1)) {
    throw new RangeError(`lighting must be in 0..1, got ${lighting}`);
  }
  const bg = options.background ?? [255, 255, 255];
  const { right, up, toward } = cameraAxes(options.camera);
  const ext = projectedExtent(mesh, options.camera);
  const margin = options.margin ?? 8;
  const du = ext.u[1] - ext.u[0], dv = ext.v[1] - ext.v[0];
  const fit = Math.min(
    du > 0 ? (outW - 2 * margin) / du : Infinity,
    dv > 0 ? (outH - 2 * margin) / dv : Infinity,
  );
  const scale = options.scale ?? (Number.isFinite(fit) && fit > 0 ? fit : 1);
  if (!(scale > 0) || !Number.isFinite(scale)) {
    throw new RangeError(`scale must be a positive number, got ${scale}`);
  }
  const s = scale * k;
  const uc = (ext.u[0] + ext.u[1]) / 2, vc = (ext.v[0] + ext.v[1]) / 2;

  // Project every vertex once: screen x, y (pixel units, y down) and depth (larger = nearer).
  const P = mesh.vertices, F = mesh.faces;
  const sx = new Float32Array(nV), sy = new Float32Array(nV), sz = new Float32Array(nV);
  let zMin = Infinity, zMax = -Infinity;
  for (let i = 0; i < nV; i++) {
    const x = P[3 * i], y = P[3 * i + 1], z = P[3 * i + 2];
    sx[i] = W / 2 + (x * right[0] + y * right[1] + z * right[2] - uc) * s;
    sy[i] = H / 2 - (x * up[0] + y * up[1] + z * up[2] - vc) * s;
    const d = x * toward[0] + y * toward[1] + z * toward[2];
    sz[i] = d;
    if (d < zMin) zMin = d;
    if (d > zMax) zMax = d;
  }

  // Shading: |n . toward| of the face normals (flat) or area-weighted vertex normals (Gouraud).
  const faceShade = new Float32Array(nF);
  const vnx = vertexColors ? new Float32Array(nV) : undefined;
  const vny = vertexColors ? new Float32Array(nV) : undefined;
  const vnz = vertexColors ? new Float32Array(nV) : undefined;
  for (let f = 0; f < nF; f++) {
    const a = F[3 * f], b = F[3 * f + 1], c = F[3 * f + 2];
    const ax = P[3 * a], ay = P[3 * a + 1], az = P[3 * a + 2];
    const e1x = P[3 * b] - ax, e1y = P[3 * b + 1] - ay, e1z = P[3 * b + 2] - az;
    const e2x = P[3 * c] - ax, e2y = P[3 * c + 1] - ay, e2z = P[3 * c + 2] - az;
    const nx = e1y * e2z - e1z * e2y, ny = e1z * e2x - e1x * e2z, nz = e1x * e2y - e1y * e2x;
    const len = Math.hypot(nx, ny, nz);
    faceShade[f] = len > 0
      ? (1 - lighting) + lighting * Math.abs(nx * toward[0] + ny * toward[1] + nz * toward[2]) / len
      : 1;
    if (vnx) {
      vnx[a] += nx, vnx[b] += nx, vnx[c] += nx;
      vny![a] += ny, vny![b] += ny, vny![c] += ny;
      vnz![a] += nz, vnz![b] += nz, vnz![c] += nz;
    }
  }
  let vr: Float32Array | undefined, vg: Float32Array | undefined, vb: Float32Array | undefined;
  const vs = vm ? new Float32Array(nV) : undefined;
  if (vertexColors) {
    vr = new Float32Array(nV), vg = new Float32Array(nV), vb = new Float32Array(nV);
    for (let i = 0; i < nV; i++) {
      const len = Math.hypot(vnx![i], vny![i], vnz![i]);
      const shade = len > 0
        ? (1 - lighting) +
          lighting *
            Math.abs(vnx![i] * toward[0] + vny![i] * toward[1] + vnz![i] * toward[2]) / len
        : 1;
      if (vs) vs[i] = shade;
      vr[i] = vertexColors[3 * i] * shade;
      vg[i] = vertexColors[3 * i + 1] * shade;
      vb[i] = vertexColors[3 * i + 2] * shade;
    }
  }

  const depth = new Float32Array(W * H).fill(-Infinity);
  const rgb = new Uint8Array(W * H * 3);
  for (let i = 0; i < W * H; i++) {
    rgb[3 * i] = bg[0], rgb[3 * i + 1] = bg[1], rgb[3 * i + 2] = bg[2];
  }

  for (let f = 0; f < nF; f++) {
    const a = F[3 * f];
    let b = F[3 * f + 1], c = F[3 * f + 2];
    const x0 = sx[a], y0 = sy[a];
    let x1 = sx[b], y1 = sy[b], x2 = sx[c], y2 = sy[c];
    let area = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0);
    if (area === 0 || !Number.isFinite(area)) continue;
    if (area < 0) {
      const t = b;
      b = c, c = t;
      x1 = sx[b], y1 = sy[b], x2 = sx[c], y2 = sy[c];
      area = -area;
    }
    const minX = Math.max(0, Math.ceil(Math.min(x0, x1, x2) - 0.5));
    const maxX = Math.min(W - 1, Math.floor(Math.max(x0, x1, x2) - 0.5));
    const minY = Math.max(0, Math.ceil(Math.min(y0, y1, y2) - 0.5));
    const maxY = Math.min(H - 1, Math.floor(Math.max(y0, y1, y2) - 0.5));
    if (minX > maxX || minY > maxY) continue;
    const inv = 1 / area;
    const z0 = sz[a], z1 = sz[b], z2 = sz[c];
    let fr = 0, fg = 0, fb = 0;
    let r0 = 0, r1 = 0, r2 = 0, g0 = 0, g1 = 0, g2 = 0, b0 = 0, b1 = 0, b2 = 0;
    let v0 = 0, v1 = 0, v2 = 0, s0 = 0, s1 = 0, s2 = 0;
    if (vals) v0 = vals[a], v1 = vals[b], v2 = vals[c], s0 = vs![a], s1 = vs![b], s2 = vs![c];
    const flat = !vr;
    if (flat) {
      const sh = faceShade[f];
      fr = faceColors![3 * f] * sh, fg = faceColors![3 * f + 1] * sh;
      fb = faceColors![3 * f + 2] * sh;
    } else {
      r0 = vr![a], r1 = vr![b], r2 = vr![c];
      g0 = vg![a], g1 = vg![b], g2 = vg![c];
      b0 = vb![a], b1 = vb![b], b2 = vb![c];
    }
    // Edge functions: w0 is the weight of a (opposite edge b-c), w1 of b, w2 of c.
    const A0 = y1 - y2, B0 = x2 - x1, A1 = y2 - y0, B1 = x0 - x2, A2 = y0 - y1, B2 = x1 - x0;
    for (let py = minY; py <= maxY; py++) {
      const cy = py + 0.5;
      const cx0 = minX + 0.5;
      let w0 = A0 * (cx0 - x1) + B0 * (cy - y1);
      let w1 = A1 * (cx0 - x2) + B1 * (cy - y2);
      let w2 = A2 * (cx0 - x0) + B2 * (cy - y0);
      let o = py * W + minX;
      for (let px = minX; px <= maxX; px++, o++, w0 += A0, w1 += A1, w2 += A2) {
        if (w0 < 0 || w1 < 0 || w2 < 0) continue;
        const l0 = w0 * inv, l1 = w1 * inv, l2 = w2 * inv;
        const z = l0 * z0 + l1 * z1 + l2 * z2;
        if (z <= depth[o]) continue;
        depth[o] = z;
        const q = 3 * o;
        if (flat) {
          rgb[q] = fr, rgb[q + 1] = fg, rgb[q + 2] = fb;
          continue;
        }
        if (lut) {
          const v = l0 * v0 + l1 * v1 + l2 * v2;
          if (v >= thr || v <= -thr) {
            // matplotlib's lookup: floor(t * m), clipped to the table.
            let i = Math.floor(((v - vmin) / vspan) * nLut);
            i = 3 * (i < 0 ? 0 : i >= nLut ? nLut - 1 : i);
            const sh = l0 * s0 + l1 * s1 + l2 * s2;
            rgb[q] = lut[i] * sh + 0.5, rgb[q + 1] = lut[i + 1] * sh + 0.5;
            rgb[q + 2] = lut[i + 2] * sh + 0.5;
            continue;
          }
        }
        rgb[q] = l0 * r0 + l1 * r1 + l2 * r2 + 0.5;
        rgb[q + 1] = l0 * g0 + l1 * g1 + l2 * g2 + 0.5;
        rgb[q + 2] = l0 * b0 + l1 * b1 + l2 * b2 + 0.5;
      }
    }
  }

  // Outlines: stamped squares along each segment, kept where nothing is clearly in front.
  const tol = 0.02 * Math.max(zMax - zMin, 1e-9);
  for (const outline of options.outlines ?? []) {
    const S = outline.segments;
    if (S.length % 6 !== 0) {
      throw new RangeError(`outline segments has ${S.length} values, not a multiple of 6`);
    }
    const half = Math.max(0.5, ((outline.width ?? 2) * k) / 2);
    const [cr, cg, cb] = outline.color;
    const screen = (o: number): [number, number, number] => {
      const x = S[o], y = S[o + 1], z = S[o + 2];
      return [
        W / 2 + (x * right[0] + y * right[1] + z * right[2] - uc) * s,
        H / 2 - (x * up[0] + y * up[1] + z * up[2] - vc) * s,
        x * toward[0] + y * toward[1] + z * toward[2],
      ];
    };
    for (let e = 0; e < S.length; e += 6) {
      const [xa, ya, za] = screen(e), [xb, yb, zb] = screen(e + 3);
      const steps = Math.max(1, Math.ceil(Math.hypot(xb - xa, yb - ya) / Math.max(0.5, half)));
      for (let t = 0; t <= steps; t++) {
        const f = t / steps;
        const x = xa + (xb - xa) * f, y = ya + (yb - ya) * f, z = za + (zb - za) * f;
        const xs = Math.max(0, Math.round(x - half)),
          xe = Math.min(W - 1, Math.round(x + half) - 1);
        const ys = Math.max(0, Math.round(y - half)),
          ye = Math.min(H - 1, Math.round(y + half) - 1);
        for (let py = ys; py <= ye; py++) {
          for (let px = xs; px <= xe; px++) {
            const o = py * W + px;
            if (depth[o] > z + tol) continue;
            rgb[3 * o] = cr, rgb[3 * o + 1] = cg, rgb[3 * o + 2] = cb;
          }
        }
      }
    }
  }

  if (k === 1) return { width: outW, height: outH, data: rgb, scale };
  const out = new Uint8Array(outW * outH * 3);
  const kk = k * k;
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      let r = 0, g = 0, b = 0;
      for (let dy = 0; dy < k; dy++) {
        let q = 3 * ((y * k + dy) * W + x * k);
        for (let dx = 0; dx < k; dx++, q += 3) r += rgb[q], g += rgb[q + 1], b += rgb[q + 2];
      }
      const o = 3 * (y * outW + x);
      out[o] = (r + kk / 2) / kk, out[o + 1] = (g + kk / 2) / kk, out[o + 2] = (b + kk / 2) / kk;
    }
  }
  return { width: outW, height: outH, data: out, scale };
}

/**
 * The outline of a region of a mesh, as {@linkcode SurfaceOutline}
 * segments: in every triangle with one or two of its vertices in the
 * region, the segment between the midpoints of the two edges that leave
 * the region. The segments join into closed curves halfway between the
 * region's border vertices and their outside neighbours (holes included),
 * the contour nilearn's `plot_surf_contours` traces by colouring faces.
 *
 * @param mesh the mesh
 * @param vertices the region: vertex indices (as `readFreesurferLabel`
 *   returns them), or a per-vertex mask (non-zero inside) with `kind: "mask"`
 * @param kind how `vertices` is given
 * @throws {RangeError} an index out of range, a mask of the wrong length
 * @example
 * ```ts
 * import { roiContour } from "@laion/fmri/plot";
 * // two triangles sharing the edge 1-2; the region is vertex 0 alone
 * const mesh = { vertices: new Float32Array([0, 0, 0, 2, 0, 0, 0, 2, 0, 2, 2, 0]),
 *   faces: new Uint32Array([0, 1, 2, 1, 3, 2]), nVertices: 4, nFaces: 2 };
 * console.log(roiContour(mesh, [0])); // Float32Array [1, 0, 0, 0, 1, 0]: one segment
 * ```
 */
export function roiContour(
  mesh: SurfaceMesh,
  vertices: ArrayLike<number | boolean>,
  kind: "indices" | "mask" = "indices",
): Float32Array {
  const n = mesh.nVertices;
  const member = new Uint8Array(n);
  if (kind === "mask") {
    if (vertices.length !== n) {
      throw new RangeError(`ROI mask has ${vertices.length} values for a mesh of ${n} vertices`);
    }
    for (let i = 0; i < n; i++) member[i] = vertices[i] ? 1 : 0;
  } else if (kind === "indices") {
    for (let i = 0; i < vertices.length; i++) {
      const v = Number(vertices[i]);
      if (!Number.isInteger(v) || v < 0 || v >= n) {
        throw new RangeError(`ROI vertex ${vertices[i]} is outside 0..${n - 1}`);
      }
      member[v] = 1;
    }
  } else {
    throw new RangeError(`unknown ROI kind ${JSON.stringify(kind)}; valid: indices, mask`);
  }
  const P = mesh.vertices, F = mesh.faces;
  const out: number[] = [];
  const mid = (a: number, b: number) =>
    out.push(
      (P[3 * a] + P[3 * b]) / 2,
      (P[3 * a + 1] + P[3 * b + 1]) / 2,
      (P[3 * a + 2] + P[3 * b + 2]) / 2,
    );
  for (let f = 0; f < mesh.nFaces; f++) {
    const a = F[3 * f], b = F[3 * f + 1], c = F[3 * f + 2];
    const ma = member[a], mb = member[b], mc = member[c];
    const count = ma + mb + mc;
    if (count === 0 || count === 3) continue;
    // The odd one out: the single vertex on its side of the border.
    const odd = count === 1 ? (ma ? 0 : mb ? 1 : 2) : (!ma ? 0 : !mb ? 1 : 2);
    const [o, p, q] = odd === 0 ? [a, b, c] : odd === 1 ? [b, c, a] : [c, a, b];
    mid(o, p), mid(o, q);
  }
  return Float32Array.from(out);
}

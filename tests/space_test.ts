// lib/space against independent references: scipy.ndimage.map_coordinates (nitransforms'
// resampling), a NumPy/SciPy vol_to_surf written from nilearn's documented algorithm, and a
// brute-force barycentric sphere resampler (tests/reference/space_ref.py, Debian's Python);
// plus invariants (identity, constants, linear fields, same sphere).
import assert from "node:assert/strict";
import {
  buildSphereResampling,
  buildSurfaceSampling,
  buildVolumeResampling,
  geodesicSphere,
  invertMatrix4,
  type Mesh,
  multiplyMatrix4,
  vertexNormals,
  type VolumeGrid,
} from "../lib/space/mod.ts";
import { rng, rotation, runReference } from "./_space_ref.ts";

const I4 = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]];

/** An oblique grid: rotated voxel axes of the given sizes, centred on `centre`. */
function obliqueGrid(
  rand: () => number,
  shape: [number, number, number],
  voxel: [number, number, number],
  angle: number,
  centre: [number, number, number] = [0, 0, 0],
): VolumeGrid {
  const r = rotation(rand, angle);
  const a = multiplyMatrix4(r, [
    [voxel[0], 0, 0, 0],
    [0, voxel[1], 0, 0],
    [0, 0, voxel[2], 0],
    [0, 0, 0, 1],
  ]);
  for (let row = 0; row < 3; row++) {
    let s = 0;
    for (let c = 0; c < 3; c++) s += a[row][c] * (shape[c] - 1) / 2;
    a[row][3] = centre[row] - s;
  }
  return { shape, affine: a };
}

function randomVolume(rand: () => number, n: number, nans = 0): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = rand() * 2 - 1;
  for (let q = 0; q < nans; q++) v[Math.floor(rand() * n)] = NaN;
  return v;
}

/** C-order (k fastest) → F-order (i fastest). */
function toF(v: ArrayLike<number>, [nx, ny, nz]: readonly number[]): Float32Array {
  const out = new Float32Array(v.length);
  for (let i = 0; i < nx; i++) {
    for (let j = 0; j < ny; j++) {
      for (let k = 0; k < nz; k++) out[i + nx * (j + ny * k)] = v[(i * ny + j) * nz + k];
    }
  }
  return out;
}

function concat(arrays: ArrayLike<number>[]): Float64Array {
  const n = arrays.reduce((s, a) => s + a.length, 0);
  const out = new Float64Array(n);
  let o = 0;
  for (const a of arrays) {
    out.set(Array.from(a), o);
    o += a.length;
  }
  return out;
}

/** Asserts equal NaN patterns and |a - b| <= tol elsewhere; returns how many were finite. */
function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what: string,
) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let finite = 0, worst = 0, at = -1;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i], e = expected[i];
    assert.equal(Number.isNaN(a), Number.isNaN(e), `${what}[${i}]: ${a} vs reference ${e}`);
    if (Number.isNaN(a)) continue;
    finite++;
    const d = Math.abs(a - e);
    if (d > worst) [worst, at] = [d, i];
  }
  assert.ok(
    worst <= tol,
    `${what}: max |diff| ${worst} at ${at} (${actual[at]} vs ${expected[at]})`,
  );
  return finite;
}

// ---------------------------------------------------------------------------- volumes

Deno.test("space: volume resampling matches scipy map_coordinates (nearest and linear, 4-D stream)", async () => {
  const rand = rng(24);
  const src = obliqueGrid(rand, [23, 19, 17], [2, 2.2, 1.8], 0.3);
  const tgt: VolumeGrid = {
    shape: [30, 28, 26],
    affine: [[1.5, 0, 0, -22], [0, 1.5, 0, -20], [0, 0, 1.5, -19], [0, 0, 0, 1]],
  };
  const s2t = multiplyMatrix4(rotation(rand, 0.2, [3, -2, 1]), [[1.05, 0, 0, 0], [0, 0.97, 0, 0], [
    0,
    0,
    1.02,
    0,
  ], [0, 0, 0, 1]]);
  const n = 23 * 19 * 17;
  const vols = [randomVolume(rand, n, 20), randomVolume(rand, n), randomVolume(rand, n, 3)];
  const common = {
    srcShape: src.shape,
    srcAffine: src.affine,
    tgtShape: tgt.shape,
    tgtAffine: tgt.affine,
    sourceToTarget: s2t,
    volumes: concat(vols),
  };
  const { outputs } = await runReference([
    { id: "nearest", type: "volume", interpolation: "nearest", ...common },
    { id: "linear", type: "volume", interpolation: "linear", ...common },
  ]);
  const tn = 30 * 28 * 26;
  for (const interpolation of ["nearest", "linear"] as const) {
    const r = buildVolumeResampling(src, tgt, { sourceToTarget: s2t, interpolation });
    assert.ok(r.insideCount > tn / 4 && r.insideCount < tn, `inside ${r.insideCount} of ${tn}`);
    const got: Float32Array[] = [];
    const series = async function* () {
      for (const v of vols) yield v;
    };
    for await (const v of r.applyStream(series())) got.push(v);
    assert.equal(got.length, 3);
    const stop = new AbortController();
    await assert.rejects(async () => {
      for await (const _ of r.applyStream(series(), { signal: stop.signal })) stop.abort();
    }, (e: unknown) => e instanceof DOMException && e.name === "AbortError");
    const ref = outputs[interpolation].out;
    if (interpolation === "nearest") {
      let mismatches = 0;
      for (let t = 0; t < 3 * tn; t++) if (got[Math.floor(t / tn)][t % tn] !== ref[t]) mismatches++;
      assert.equal(mismatches, 0, "nearest: voxels differing from scipy order=0");
    } else {
      assertClose(concat(got), ref, 1e-5, "linear");
    }
    // the same through the transform's inverse, and in NIfTI's F order on both sides
    const rf = buildVolumeResampling({ ...src, order: "F" }, { ...tgt, order: "F" }, {
      targetToSource: invertMatrix4(s2t),
      interpolation,
    });
    const f = rf.apply(toF(vols[0], src.shape));
    assertClose(
      f,
      toF(ref.subarray(0, tn), tgt.shape),
      interpolation === "nearest" ? 0 : 1e-5,
      `${interpolation} F order`,
    );
  }
});

Deno.test("space: volume resampling invariants (identity, whole-voxel shift, constant)", () => {
  const rand = rng(7);
  const g = obliqueGrid(rand, [11, 9, 7], [1.7, 1.9, 2.1], 0.5, [3, 4, 5]);
  const v = randomVolume(rand, 11 * 9 * 7);
  for (const interpolation of ["nearest", "linear"] as const) {
    const id = buildVolumeResampling(g, g, { sourceToTarget: I4, interpolation });
    assert.equal(id.insideCount, 11 * 9 * 7, `${interpolation}: identity keeps every voxel`);
    assert.deepEqual(Array.from(id.apply(v)), Array.from(v), `${interpolation}: identity`);
    // shifting the world by one voxel along i moves the data by one voxel
    const step = [0, 1, 2].map((r) => g.affine[r][0]);
    const shift = [[1, 0, 0, step[0]], [0, 1, 0, step[1]], [0, 0, 1, step[2]], [0, 0, 0, 1]];
    const out = buildVolumeResampling(g, g, { sourceToTarget: shift, interpolation }).apply(v);
    for (let i = 0; i < 11; i++) {
      for (let jk = 0; jk < 63; jk++) {
        assert.equal(
          out[i * 63 + jk],
          i === 0 ? 0 : v[(i - 1) * 63 + jk],
          `${interpolation} shift at i=${i}`,
        );
      }
    }
  }
  // a constant stays constant wherever the target falls inside the source
  const big: VolumeGrid = {
    shape: [20, 20, 20],
    affine: [[1.3, 0, 0, -12], [0, 1.3, 0, -12], [0, 0, 1.3, -12], [0, 0, 0, 1]],
  };
  const r = buildVolumeResampling(g, big, {
    sourceToTarget: rotation(rand, 0.4, [1, 0, -1]),
    interpolation: "linear",
  });
  const c = r.apply(new Float32Array(11 * 9 * 7).fill(3.25));
  let inside = 0;
  for (const x of c) {
    assert.ok(x === 0 || Math.abs(x - 3.25) < 1e-6, `constant map gave ${x}`);
    if (x !== 0) inside++;
  }
  assert.equal(inside, r.insideCount);
  assert.ok(inside > 0 && inside < 8000);
});

Deno.test("space: volume resampling rejects bad arguments with the valid choices", () => {
  const g: VolumeGrid = { shape: [2, 2, 2], affine: I4 };
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => buildVolumeResampling(g, g, { sourceToTarget: I4, interpolation: "cubic" as any }),
    (e: unknown) => e instanceof RangeError && /"cubic".*"nearest", "linear"/.test(e.message),
  );
  assert.throws(() => buildVolumeResampling(g, g, {}), /exactly one of options.sourceToTarget/);
  assert.throws(
    () =>
      buildVolumeResampling(g, g, {
        sourceToTarget: [[0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
      }),
    /singular/,
  );
  assert.throws(
    () => buildVolumeResampling(g, g, { sourceToTarget: I4 }).apply(new Float32Array(7)),
    /must have 8 values; got 7/,
  );
  assert.throws(
    () => buildVolumeResampling({ shape: [2, 0, 2], affine: I4 }, g, { sourceToTarget: I4 }),
    /source.shape/,
  );
});

// ---------------------------------------------------------------------------- vol_to_surf

function ellipsoid(
  freq: number,
  radii: [number, number, number],
  centre: [number, number, number],
): Mesh {
  const s = geodesicSphere(freq, { radius: 1 });
  const c = s.vertices;
  for (let v = 0; v < c.length; v += 3) {
    for (let a = 0; a < 3; a++) c[v + a] = c[v + a] * radii[a] + centre[a];
  }
  return s;
}

Deno.test("space: vol_to_surf matches a NumPy/SciPy nilearn reference (line, depth, nearest, mask, NaN)", async () => {
  const rand = rng(5);
  const grid = obliqueGrid(rand, [20, 18, 16], [1.7, 1.7, 1.7], 0.25);
  const outer = ellipsoid(6, [14, 11, 9], [8, -1, 2]);
  const inner = ellipsoid(6, [11, 8.5, 7], [8, -1, 2]);
  const n = 20 * 18 * 16;
  const vols = [randomVolume(rand, n, 25), randomVolume(rand, n)];
  const mask = new Float64Array(n).map(() => (rand() < 0.7 ? 1 : 0));
  const cases = [
    {
      id: "line",
      opts: {},
      ref: { kind: "line", radius: 3, nSamples: 10, interpolation: "linear" },
    },
    {
      id: "lineDepth",
      opts: { radius: 2, depth: [-0.5, 0, 0.5, 1] },
      ref: {
        kind: "line",
        radius: 2,
        nSamples: 4,
        depth: [-0.5, 0, 0.5, 1],
        interpolation: "linear",
      },
    },
    {
      id: "depth",
      opts: { innerMesh: inner, nSamples: 6 },
      ref: {
        kind: "depth",
        radius: 3,
        nSamples: 6,
        inner: inner.vertices,
        interpolation: "linear",
      },
    },
    {
      id: "nearest",
      opts: { interpolation: "nearest" as const },
      ref: { kind: "line", radius: 3, nSamples: 10, interpolation: "nearest" },
    },
    {
      id: "mask",
      opts: { mask },
      ref: { kind: "line", radius: 3, nSamples: 10, interpolation: "linear", mask },
    },
  ];
  const { outputs } = await runReference(cases.map((c) => ({
    id: c.id,
    type: "surface" as const,
    coordinates: outer.vertices,
    faces: outer.faces,
    shape: grid.shape,
    affine: grid.affine,
    volumes: concat(vols),
    ...c.ref,
  })));
  for (const c of cases) {
    const s = buildSurfaceSampling(outer, grid, c.opts);
    const got = concat(vols.map((v) => s.apply(v)));
    const finite = assertClose(got, outputs[c.id].out, 1e-5, c.id);
    // the first map sampled again gives the same bits: a result never depends on how often
    // the sampling was applied before
    assert.deepStrictEqual(s.apply(vols[0]), got.slice(0, 362), `${c.id} again`);
    // the same volume in NIfTI's F order on an F-order grid
    const f = buildSurfaceSampling(outer, { ...grid, order: "F" }, {
      ...c.opts,
      ...("mask" in c.opts ? { mask: toF(mask, grid.shape) } : {}),
    });
    assertClose(f.apply(toF(vols[0], grid.shape)), got.subarray(0, 362), 1e-6, `${c.id} F order`);
    // the grid cuts the surface: some vertices keep no sample (NaN), most keep some
    assert.ok(finite > 362 && finite < 2 * 362, `${c.id}: ${finite} finite values of ${2 * 362}`);
  }
});

Deno.test("space: vol_to_surf invariants (constant map, linear field exact at vertices, c_ras)", () => {
  const rand = rng(11);
  const grid = obliqueGrid(rand, [30, 30, 30], [1.5, 1.5, 1.5], 0.4);
  const mesh = ellipsoid(8, [12, 9, 8], [1, -1, 0.5]);
  const inner = ellipsoid(8, [10, 7, 6], [1, -1, 0.5]);
  const n = 27000;
  const aff = grid.affine;
  const f = (x: number, y: number, z: number) => 0.7 * x - 0.3 * y + 0.2 * z + 5;
  const field = new Float64Array(n);
  for (let i = 0; i < 30; i++) {
    for (let j = 0; j < 30; j++) {
      for (let k = 0; k < 30; k++) {
        const w = [0, 1, 2].map((r) => aff[r][0] * i + aff[r][1] * j + aff[r][2] * k + aff[r][3]);
        field[(i * 30 + j) * 30 + k] = f(w[0], w[1], w[2]);
      }
    }
  }
  const c = mesh.vertices, ic = inner.vertices;
  const line = buildSurfaceSampling(mesh, grid).apply(field);
  const depth = buildSurfaceSampling(mesh, grid, { innerMesh: inner }).apply(field);
  for (let v = 0; v < line.length; v++) {
    const [x, y, z] = [c[3 * v], c[3 * v + 1], c[3 * v + 2]];
    assert.ok(
      Math.abs(line[v] - f(x, y, z)) < 1e-4,
      `line at vertex ${v}: ${line[v]} vs ${f(x, y, z)}`,
    );
    const mid = f((x + ic[3 * v]) / 2, (y + ic[3 * v + 1]) / 2, (z + ic[3 * v + 2]) / 2);
    assert.ok(Math.abs(depth[v] - mid) < 1e-4, `depth at vertex ${v}: ${depth[v]} vs ${mid}`);
  }
  // a FreeSurfer surface in tkregister space plus its footer's c_ras samples like the moved mesh
  const cRas = [2.5, -1.25, 0.75] as const;
  const tkr = (m: Mesh): Mesh => ({
    vertices: Float64Array.from(m.vertices, (x, i) => x - cRas[i % 3]),
    faces: m.faces,
  });
  assertClose(
    buildSurfaceSampling(tkr(mesh), grid, { cRas }).apply(field),
    line,
    1e-6,
    "cRas line",
  );
  assertClose(
    buildSurfaceSampling(tkr(mesh), grid, { cRas, innerMesh: tkr(inner) }).apply(field),
    depth,
    1e-6,
    "cRas depth",
  );
  for (const interpolation of ["linear", "nearest"] as const) {
    const k = buildSurfaceSampling(mesh, grid, { interpolation }).apply(
      new Float32Array(n).fill(-2.5),
    );
    for (const x of k) assert.ok(Math.abs(x + 2.5) < 1e-6, `${interpolation}: constant gave ${x}`);
  }
  // nilearn's normals point out of a closed, outward-wound surface
  const nrm = vertexNormals(mesh);
  for (let v = 0; v < line.length; v++) {
    const d = (c[3 * v] - 1) * nrm[3 * v] + (c[3 * v + 1] + 1) * nrm[3 * v + 1] +
      (c[3 * v + 2] - 0.5) * nrm[3 * v + 2];
    assert.ok(d > 0, `normal of vertex ${v} points inwards`);
  }
  assert.throws(
    () => buildSurfaceSampling(mesh, grid, { kind: "depth" }),
    /needs options.innerMesh/,
  );
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => buildSurfaceSampling(mesh, grid, { kind: "ball" as any }),
    /Unknown kind "ball". Valid: "auto", "line", "depth"/,
  );
  assert.throws(
    () => buildSurfaceSampling(mesh, grid, { innerMesh: geodesicSphere(2) }),
    /innerMesh has 42 vertices but mesh has 642/,
  );
});

// ---------------------------------------------------------------------------- spheres

function rotated(mesh: Mesh, m: number[][], jitter: () => number): Mesh {
  const c = Float64Array.from(mesh.vertices);
  for (let v = 0; v < c.length; v += 3) {
    const p = [c[v], c[v + 1], c[v + 2]];
    const s = jitter();
    for (let r = 0; r < 3; r++) c[v + r] = (m[r][0] * p[0] + m[r][1] * p[1] + m[r][2] * p[2]) * s;
  }
  return { vertices: c, faces: mesh.faces };
}

Deno.test("space: sphere resampling matches a brute-force barycentric reference", async () => {
  const rand = rng(3);
  const moving = rotated(geodesicSphere(9), rotation(rand, 0.7), () => 1 + 0.0008 * (rand() - 0.5));
  const reference = rotated(geodesicSphere(7, { radius: 1 }), rotation(rand, 1.3), () => 1);
  const maps = [0, 1, 2].map(() => Float64Array.from({ length: 812 }, () => rand() * 10 - 5));
  const task = {
    type: "sphere" as const,
    moving: moving.vertices,
    faces: moving.faces,
    reference: reference.vertices,
    maps: concat(maps),
  };
  const { outputs } = await runReference([
    { id: "brute", search: "brute", ...task },
    { id: "kdtree", search: "kdtree", ...task },
  ]);
  const r = buildSphereResampling(moving, reference);
  assert.equal(r.nReference, 492);
  for (const id of ["brute", "kdtree"]) {
    const ref = outputs[id];
    for (let p = 0; p < r.nReference; p++) {
      const mine = new Map<number, number>(), theirs = new Map<number, number>();
      for (let q = 0; q < 3; q++) {
        mine.set(r.indices[3 * p + q], r.weights[3 * p + q]);
        theirs.set(ref.indices[3 * p + q], ref.weights[3 * p + q]);
      }
      assert.deepEqual(
        [...mine.keys()].sort(),
        [...theirs.keys()].sort(),
        `${id}: triangle of vertex ${p}`,
      );
      for (const [k, w] of mine) {
        assert.ok(Math.abs(w - theirs.get(k)!) < 1e-9, `${id}: weight ${p}/${k}`);
      }
    }
    assertClose(concat(maps.map((m) => r.apply(m))), ref.out, 1e-9, `${id} maps`);
  }
  assert.ok(r.outsideCount < 5, `${r.outsideCount} reference vertices outside their triangle`);
});

Deno.test("space: sphere resampling invariants (same sphere is the identity, constants, NaN, errors)", () => {
  const rand = rng(9);
  const s = geodesicSphere(12);
  const x = Float64Array.from({ length: s.vertices.length / 3 }, () => rand());
  const id = buildSphereResampling(s, s);
  assertClose(id.apply(x), x, 1e-12, "identity");
  const other = buildSphereResampling(rotated(s, rotation(rand, 0.3), () => 1), geodesicSphere(20));
  for (const v of other.apply(new Float32Array(other.nMoving).fill(4))) {
    assert.ok(Math.abs(v - 4) < 1e-12);
  }
  const nan = new Float64Array(other.nMoving);
  nan[17] = NaN;
  const out = other.apply(nan);
  for (let p = 0; p < other.nReference; p++) {
    let uses = false;
    for (let q = 0; q < 3; q++) {
      uses ||= other.indices[3 * p + q] === 17 && other.weights[3 * p + q] !== 0;
    }
    assert.equal(Number.isNaN(out[p]), uses, `NaN at reference vertex ${p}`);
  }
  assert.throws(
    () => buildSphereResampling(ellipsoid(4, [60, 50, 40], [0, 0, 0]), s),
    (e: unknown) =>
      e instanceof RangeError && /moving is not a sphere.*sphere\.reg/.test(e.message),
  );
  assert.throws(
    () => id.apply(new Float64Array(3)),
    /values \(moving sphere vertices\) must have 1442 values; got 3/,
  );
});

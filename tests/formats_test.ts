// deno test --allow-read --allow-write=/tmp --allow-run=/usr/bin/python3 --allow-ffi --allow-sys=cpus,networkInterfaces,hostname tests/formats_test.ts
//
// Fixtures are generated at test time in a temp dir with Debian's nibabel
// (/usr/bin/python3), and our readers are compared value by value with numpy.
import assert from "node:assert/strict";
import { gunzipSync, gzipSync } from "node:zlib";
import { MalformedFileError } from "../lib/core/errors.ts";
import {
  readNifti4dMasked,
  readNiftiHeader,
  readNiftiMask,
  readNiftiMaskedValues,
  readNiftiVolume,
} from "../lib/formats/nifti.ts";
import { writeNifti1 } from "../lib/formats/nifti_write.ts";
import { setInflater } from "../lib/formats/inflate_isal.ts";
import { readGiftiDataArrays, readGiftiMask } from "../lib/formats/gifti.ts";
import { parseXml, XmlError } from "../lib/formats/xml.ts";
import { readFreesurferLabel } from "../lib/formats/freesurfer_label.ts";
import {
  cOrderToDisk,
  diskToCOrder,
  maskDiskSelection,
  type Shape3d,
} from "../lib/formats/voxel_order.ts";

const PY = "/usr/bin/python3";

const GENERATOR = String.raw`
import json, os, sys
import numpy as np
import nibabel as nib

out = sys.argv[1]
rng = np.random.default_rng(0)
X, Y, Z, T = 5, 6, 7, 4
aff = np.array([[1.8, 0, 0, -40], [0, 1.8, 0, -50], [0, 0, 1.8, -30], [0, 0, 0, 1]])
mask = rng.random((X, Y, Z)) < 0.4
mask.astype(np.uint8).reshape(-1, order="C").tofile(os.path.join(out, "mask.u8"))
manifest = {"mask": "mask.u8", "nifti": [], "nMask": int(mask.sum())}

def expected(path):
    img = nib.load(path)
    d = np.asarray(img.dataobj).astype(np.float64)
    return img, d

def patch_scaling(path, version, slope, inter):
    import gzip, struct
    gz = path.endswith(".gz")
    raw = bytearray(gzip.open(path).read() if gz else open(path, "rb").read())
    if version == 1:
        struct.pack_into("<ff", raw, 112, slope, inter)
    else:
        struct.pack_into("<dd", raw, 176, slope, inter)
    (gzip.open(path, "wb") if gz else open(path, "wb")).write(bytes(raw))

def add(name, data, dtype, version, ext, endian="<", affine=aff, scale=None):
    cls = nib.Nifti1Image if version == 1 else nib.Nifti2Image
    hdr = (nib.Nifti1Header if version == 1 else nib.Nifti2Header)(endianness=endian)
    img = cls(data, affine, header=hdr)
    img.set_data_dtype(dtype)
    path = os.path.join(out, name + ext)
    nib.save(img, path)
    if scale:
        patch_scaling(path, version, *scale)
    img, d = expected(path)
    # nibabel moves the file's scaling into the array proxy on load
    sl, inter = img.dataobj.slope, img.dataobj.inter
    if sl == 1 and inter == 0:
        sl = inter = None
    entry = {"name": name + ext, "shape": list(d.shape), "version": version,
             "datatype": int(img.header["datatype"]),
             "slope": None if sl is None else float(sl),
             "inter": None if inter is None else float(inter),
             "affine": img.affine.tolist(),
             "littleEndian": img.header.endianness == "<"}
    if d.ndim == 4:
        vols = np.moveaxis(d, -1, 0).reshape(d.shape[-1], -1)  # per-volume C-order
        masked = np.stack([d[..., t][mask] for t in range(d.shape[-1])])
    else:
        vols = d.reshape(1, -1, order="C")
        masked = d[mask][None, :]
    vols.astype("<f8").tofile(path + ".full.f8")
    masked.astype("<f8").tofile(path + ".masked.f8")
    entry["full"] = name + ext + ".full.f8"
    entry["masked"] = name + ext + ".masked.f8"
    manifest["nifti"].append(entry)

f = rng.normal(size=(X, Y, Z, T)).astype(np.float32) * 100
f[0, 0, 0, 0] = np.nan
f[4, 5, 6, 3] = np.nan
f[1, 2, 3, 1] = np.nan
ints = {
    np.uint8: rng.integers(0, 255, size=(X, Y, Z, T)),
    np.int8: rng.integers(-128, 127, size=(X, Y, Z, T)),
    np.uint16: rng.integers(0, 65535, size=(X, Y, Z, T)),
    np.int32: rng.integers(-2**31, 2**31 - 1, size=(X, Y, Z, T)),
}
for version in (1, 2):
    for ext in (".nii", ".nii.gz"):
        v = "n%d" % version
        add(f"f32_4d_{v}", f, np.float32, version, ext)
        add(f"f64_4d_{v}", f.astype(np.float64) / 3, np.float64, version, ext)
        i16 = (np.nan_to_num(f) * 10).astype(np.int16)
        add(f"i16scaled_4d_{v}", i16, np.int16, version, ext, scale=(0.5, -3.25))
        for dt, d in ints.items():
            add(f"{np.dtype(dt).name}_4d_{v}", d.astype(dt), dt, version, ext)
        add(f"f32_3d_{v}", f[..., 1], np.float32, version, ext)
        add(f"i16scaled_3d_{v}", i16[..., 2], np.int16, version, ext, scale=(0.01, 7))
        add(f"u8scaled_3d_{v}", ints[np.uint8][..., 0].astype(np.uint8), np.uint8, version, ext, scale=(-2, 0))
add("f32_4d_be", f, np.float32, 1, ".nii.gz", endian=">")
add("i16_3d_be", ints[np.int32][..., 0].astype(np.int16) // 2, np.int16, 2, ".nii", endian=">")

# an sform that differs from the qform (sform must win)
img = nib.Nifti1Image(f[..., 0], aff)
s = aff.copy(); s[0, 3] = 12.5
img.set_sform(s, code=2); img.set_qform(aff, code=1)
nib.save(img, os.path.join(out, "sform.nii"))
manifest["sformAffine"] = s.tolist()

# masks: NaN handling
m = np.zeros((X, Y, Z), np.float32)
m[1, 2, 3] = 1; m[4, 0, 6] = -2.5; m[0, 5, 0] = np.nan
nib.save(nib.Nifti1Image(m, aff), os.path.join(out, "nanmask.nii.gz"))
manifest["nanmask"] = {"withNan": np.asarray((m != 0) | np.isnan(m)).reshape(-1).astype(int).tolist(),
                       "noNan": np.asarray((m != 0) & ~np.isnan(m)).reshape(-1).astype(int).tolist()}
u = (rng.random((X, Y, Z)) < 0.3).astype(np.uint8)
nib.save(nib.Nifti1Image(u, aff), os.path.join(out, "u8mask.nii"))
manifest["u8mask"] = u.reshape(-1).astype(int).tolist()

# a larger file for abort-while-streaming
big = np.zeros((64, 64, 64, 32), np.float32)
nib.save(nib.Nifti1Image(big, aff), os.path.join(out, "big.nii"))
nib.save(nib.Nifti1Image(big, aff), os.path.join(out, "big.nii.gz"))

# unsupported datatype
nib.save(nib.Nifti1Image(np.zeros((2, 3, 4), np.int64), aff, dtype=np.int64), os.path.join(out, "int64.nii"))
# 5-D
nib.save(nib.Nifti1Image(np.zeros((2, 3, 4, 2, 2), np.float32), aff), os.path.join(out, "five.nii"))

# GIfTI
g = np.array([0, 1.5, np.nan, 0, -2, 0, 3], np.float32)
manifest["gifti"] = {"values": [None if np.isnan(x) else float(x) for x in g]}
for enc in ("ASCII", "B64BIN", "B64GZ"):
    da = nib.gifti.GiftiDataArray(g, intent="NIFTI_INTENT_NONE", datatype="NIFTI_TYPE_FLOAT32", encoding=enc)
    da2 = nib.gifti.GiftiDataArray(np.arange(6, dtype=np.int32).reshape(2, 3) - 2,
                                   datatype="NIFTI_TYPE_INT32", encoding=enc)
    nib.save(nib.gifti.GiftiImage(darrays=[da, da2]), os.path.join(out, f"g_{enc}.func.gii"))
    gi = nib.load(os.path.join(out, f"g_{enc}.func.gii"))
    assert np.array_equal(gi.darrays[0].data, g, equal_nan=True)
for dt, npdt in (("NIFTI_TYPE_UINT8", np.uint8), ("NIFTI_TYPE_INT16", np.int16), ("NIFTI_TYPE_FLOAT64", np.float64)):
    da = nib.gifti.GiftiDataArray(np.array([0, 1, 2, 0, 5], npdt), datatype=dt, encoding="B64GZ")
    nib.save(nib.gifti.GiftiImage(darrays=[da]), os.path.join(out, f"g_{dt}.func.gii"))
# big-endian: nibabel writes little-endian only, so patch a Base64 file by hand
import base64
da = nib.gifti.GiftiDataArray(g, datatype="NIFTI_TYPE_FLOAT32", encoding="B64BIN")
xml = nib.gifti.GiftiImage(darrays=[da]).to_xml().decode()
le = base64.b64encode(g.astype("<f4").tobytes()).decode()
be = base64.b64encode(g.astype(">f4").tobytes()).decode()
assert le in xml
xml = xml.replace(le, be).replace('Endian="LittleEndian"', 'Endian="BigEndian"')
open(os.path.join(out, "g_be.func.gii"), "w").write(xml)
assert np.array_equal(nib.load(os.path.join(out, "g_be.func.gii")).darrays[0].data, g, equal_nan=True)

json.dump(manifest, open(os.path.join(out, "manifest.json"), "w"))
`;

interface NiftiEntry {
  name: string;
  shape: number[];
  version: 1 | 2;
  datatype: number;
  slope: number | null;
  inter: number | null;
  affine: number[][];
  littleEndian: boolean;
  full: string;
  masked: string;
}
interface Manifest {
  mask: string;
  nMask: number;
  nifti: NiftiEntry[];
  sformAffine: number[][];
  nanmask: { withNan: number[]; noNan: number[] };
  u8mask: number[];
  gifti: { values: (number | null)[] };
}

let fixtures: Promise<{ dir: string; m: Manifest; mask: Uint8Array }> | undefined;

/** Generates the fixtures once per test run. */
function getFixtures() {
  fixtures ??= (async () => {
    const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "laion_fmri_formats_" });
    const out = await new Deno.Command(PY, { args: ["-c", GENERATOR, dir], stderr: "piped" })
      .output();
    if (!out.success) {
      throw new Error(`fixture generator failed:\n${new TextDecoder().decode(out.stderr)}`);
    }
    const m = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`)) as Manifest;
    const mask = await Deno.readFile(`${dir}/${m.mask}`);
    return { dir, m, mask };
  })();
  return fixtures;
}

async function readF8(path: string): Promise<Float64Array> {
  const b = await Deno.readFile(path);
  return new Float64Array(b.buffer, b.byteOffset, b.byteLength / 8);
}

/** Compares float32 output with numpy's float64 expectation (NaN == NaN). */
function assertClose(actual: Float32Array, expected: Float64Array, what: string, rel = 0) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e)) {
      assert.ok(Number.isNaN(a), `${what}[${i}]: expected NaN, got ${a}`);
      continue;
    }
    const want = Math.fround(e);
    if (a === want) continue;
    const tol = rel * Math.max(1, Math.abs(e));
    assert.ok(Math.abs(a - e) <= tol, `${what}[${i}]: expected ${e}, got ${a}`);
  }
}

const cleanup = () => fixtures?.then(({ dir }) => Deno.remove(dir, { recursive: true }));
// ------------------------------------------------------------------ voxel order

Deno.test("voxel_order: disk <-> C-order round trip and mask offsets", () => {
  const shape: Shape3d = [3, 4, 5];
  const n = 60;
  const disk = Float32Array.from({ length: n }, (_, p) => p);
  const c = diskToCOrder(disk, shape, new Float32Array(n));
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 4; j++) {
      for (let k = 0; k < 5; k++) {
        assert.equal(c[(i * 4 + j) * 5 + k], i + 3 * (j + 4 * k));
      }
    }
  }
  assert.deepEqual(cOrderToDisk(c, shape, new Float32Array(n)), disk);
  const mask = new Uint8Array(n);
  mask[7] = mask[0] = mask[59] = 1;
  // the selected voxels in disk order, and where each C-order voxel lands among them
  const sel = maskDiskSelection(mask, shape);
  assert.deepEqual([...sel.disk], [c[0], c[7], c[59]].sort((a, b) => a - b));
  assert.deepEqual([...sel.slot].map((s) => disk[sel.disk[s]]), [c[0], c[7], c[59]]);
  assert.throws(() => maskDiskSelection(new Uint8Array(5), shape), RangeError);
  // scaling on the way, in double precision before the store
  const scaled = diskToCOrder(disk, shape, new Float64Array(n), { slope: 0.5, inter: -3 });
  assert.deepEqual([...scaled], [...c].map((v) => v * 0.5 - 3));
  // 1/0 mask on the way: non-zero after scaling, NaN by nanInMask
  const vals = Float32Array.from(disk, (v) => v % 4 === 0 ? 0 : v % 5 === 0 ? NaN : v);
  const want = (nanInMask: boolean) =>
    [...diskToCOrder(vals, shape, new Float32Array(n))].map((v) =>
      Number.isNaN(v) ? Number(nanInMask) : v !== 0 ? 1 : 0
    );
  for (const nanInMask of [true, false]) {
    const m = diskToCOrder(vals, shape, new Uint8Array(n), { toMask: { nanInMask } });
    assert.deepEqual([...m], want(nanInMask));
  }
  // inter alone turns zeros into non-zeros
  const shifted = diskToCOrder(vals, shape, new Uint8Array(n), {
    inter: 1,
    toMask: { nanInMask: false },
  });
  assert.equal(shifted.reduce((a, b) => a + b, 0), [...vals].filter((v) => v === v).length);
});

Deno.test("voxel order: diskToCOrder's tiles cover grids whose depth is not a multiple of the tile", () => {
  for (const shape of [[1, 1, 16], [2, 5, 17], [3, 2, 37], [4, 3, 48], [5, 1, 1]] as Shape3d[]) {
    const [nx, ny, nz] = shape;
    const n = nx * ny * nz;
    const disk = Float32Array.from(
      { length: n },
      (_, p) => p % 11 === 0 ? 0 : p % 13 === 0 ? NaN : p,
    );
    const plain = diskToCOrder(disk, shape, new Float32Array(n));
    const scaled = diskToCOrder(disk, shape, new Float32Array(n), { slope: 0.3, inter: 2 });
    const mask = diskToCOrder(disk, shape, new Uint8Array(n), { toMask: { nanInMask: true } });
    for (let i = 0; i < nx; i++) {
      for (let j = 0; j < ny; j++) {
        for (let k = 0; k < nz; k++) {
          const c = (i * ny + j) * nz + k;
          const v = disk[i + nx * (j + ny * k)];
          assert.ok(Object.is(plain[c], v), `${shape} plain (${i}, ${j}, ${k})`);
          assert.ok(Object.is(scaled[c], Math.fround(v * 0.3 + 2)), `${shape} scaled`);
          assert.equal(mask[c], v === 0 ? 0 : 1, `${shape} mask`);
        }
      }
    }
    assert.deepEqual(cOrderToDisk(plain, shape, new Float32Array(n)), disk);
  }
});

// ------------------------------------------------------------------ NIfTI vs numpy

Deno.test("nifti: every datatype, NIfTI-1/2, .nii/.nii.gz match numpy value by value", async (t) => {
  const { dir, m, mask } = await getFixtures();
  assert.equal(m.nifti.length, 42);
  for (const e of m.nifti) {
    await t.step(e.name, async () => {
      const path = `${dir}/${e.name}`;
      const scaled = e.slope !== null && !(e.slope === 1 && e.inter === 0);
      const rel = scaled ? 1e-6 : 0;
      const h = await readNiftiHeader(path);
      assert.deepEqual(h.dims, e.shape);
      assert.equal(h.niftiVersion, e.version);
      assert.equal(h.datatype, e.datatype);
      assert.equal(h.littleEndian, e.littleEndian);
      assert.deepEqual(h.shape3d, e.shape.slice(0, 3));
      assert.equal(h.nVolumes, e.shape[3] ?? 1);
      for (let r = 0; r < 4; r++) {
        for (let c = 0; c < 4; c++) {
          assert.ok(Math.abs(h.affine[r][c] - e.affine[r][c]) < 1e-5, `affine[${r}][${c}]`);
        }
      }
      if (e.name.includes("scaled")) {
        assert.ok(scaled, "fixture has scaling");
        assert.ok(Math.abs(h.sclSlope - e.slope!) < 1e-6 && Math.abs(h.sclInter - e.inter!) < 1e-6);
      }

      const full = await readF8(`${dir}/${e.full}`);
      const nvox = e.shape[0] * e.shape[1] * e.shape[2];
      const nVol = e.shape[3] ?? 1;
      // every volume, read one at a time
      for (let v = 0; v < nVol; v++) {
        const vol = await readNiftiVolume(path, e.shape.length === 4 ? { volume: v } : {});
        assert.deepEqual(vol.shape, e.shape.slice(0, 3));
        assertClose(vol.data, full.subarray(v * nvox, (v + 1) * nvox), `${e.name} vol ${v}`, rel);
      }
      const masked = await readF8(`${dir}/${e.masked}`);
      if (e.shape.length === 4) {
        const progress: number[] = [];
        const r = await readNifti4dMasked(path, mask, { onProgress: (d) => progress.push(d) });
        assert.equal(r.nVolumes, nVol);
        assert.equal(r.nSelected, m.nMask);
        assert.deepEqual(progress, [0, 1, 2, 3, 4]);
        assertClose(r.data, masked, `${e.name} masked`, rel);
        const v2 = await readNiftiMaskedValues(path, mask, { volume: 2 });
        assertClose(v2, masked.subarray(2 * m.nMask, 3 * m.nMask), `${e.name} masked vol 2`, rel);
      } else {
        assertClose(await readNiftiMaskedValues(path, mask), masked, `${e.name} masked`, rel);
        await assert.rejects(readNifti4dMasked(path, mask), (err: Error) => {
          assert.ok(err instanceof MalformedFileError);
          assert.match(err.message, /Expected 4-D NIfTI/);
          assert.ok(err.message.includes(path));
          assert.ok(err.message.includes("(5, 6, 7)"), err.message);
          return true;
        });
      }
    });
  }
});

Deno.test("nifti: sparse masks copy only the picked voxels, also across decoded pieces that split a voxel", async (t) => {
  const { dir, m } = await getFixtures();
  // Every 11th voxel: under 1/8 of the grid, so the stream copies picks, not volumes.
  const sparse = (n: number) => Uint8Array.from({ length: n }, (_, c) => (c % 11 === 3 ? 1 : 0));
  const dir2 = await Deno.makeTempDir();
  try {
    for (const e of m.nifti.filter((e) => e.shape.length === 4)) {
      await t.step(e.name, async () => {
        const scaled = e.slope !== null && !(e.slope === 1 && e.inter === 0);
        const rel = scaled ? 1e-6 : 0;
        const nvox = e.shape[0] * e.shape[1] * e.shape[2];
        const mask = sparse(nvox);
        const picked = [...mask.keys()].filter((c) => mask[c]);
        const full = await readF8(`${dir}/${e.full}`);
        const want = Float64Array.from(
          { length: e.shape[3] * picked.length },
          (_, i) => full[Math.floor(i / picked.length) * nvox + picked[i % picked.length]],
        );
        const paths = [`${dir}/${e.name}`];
        if (e.name.endsWith(".gz")) {
          // gzip members of 13 bytes each: every member's end is a decoded piece's end.
          const raw = gunzipSync(await Deno.readFile(`${dir}/${e.name}`));
          const members: Uint8Array<ArrayBuffer>[] = [];
          for (let at = 0; at < raw.length; at += 13) {
            members.push(new Uint8Array(gzipSync(raw.subarray(at, at + 13))));
          }
          const split = `${dir2}/split_${e.name}`;
          await Deno.writeFile(split, new Uint8Array(await new Blob(members).arrayBuffer()));
          paths.push(split);
        }
        for (const inflater of ["isal", "zlib"] as const) {
          setInflater(inflater);
          for (const path of paths) {
            const r = await readNifti4dMasked(path, mask);
            assert.equal(r.nSelected, picked.length);
            assertClose(r.data, want, `${path} (${inflater})`, rel);
            const v1 = await readNiftiMaskedValues(path, mask, { volume: 1 });
            assertClose(v1, want.subarray(picked.length, 2 * picked.length), `${path} vol 1`, rel);
          }
        }
      });
    }
  } finally {
    setInflater("isal");
    await Deno.remove(dir2, { recursive: true });
  }
});

Deno.test("nifti: sform wins over qform; masks with NaN rules", async () => {
  const { dir, m } = await getFixtures();
  const h = await readNiftiHeader(`${dir}/sform.nii`);
  assert.deepEqual(h.affine.map((r) => r.map((x) => Math.round(x * 1000) / 1000)), m.sformAffine);

  const withNan = await readNiftiMask(`${dir}/nanmask.nii.gz`);
  assert.deepEqual([...withNan], m.nanmask.withNan);
  const noNan = await readNiftiMask(`${dir}/nanmask.nii.gz`, { nanInMask: false });
  assert.deepEqual([...noNan], m.nanmask.noNan);
  assert.deepEqual([...await readNiftiMask(`${dir}/u8mask.nii`)], m.u8mask);
});

Deno.test("nifti: 4-D without { volume } is refused; bad volume index", async () => {
  const { dir } = await getFixtures();
  const path = `${dir}/f32_4d_n1.nii.gz`;
  await assert.rejects(readNiftiVolume(path), /pass \{ volume: t \}/);
  await assert.rejects(readNiftiVolume(path, { volume: 4 }), RangeError);
  await assert.rejects(readNiftiMask(path), MalformedFileError);
});

// ------------------------------------------------------------------ malformed NIfTI

async function expectMalformed(p: Promise<unknown>, re: RegExp, path: string) {
  await assert.rejects(p, (err: Error) => {
    assert.ok(err instanceof MalformedFileError, `${err}`);
    assert.match(err.message, re);
    assert.ok(err.message.startsWith(path), err.message);
    return true;
  });
}

Deno.test("nifti: malformed files raise MalformedFileError naming file and problem", async () => {
  const { dir, mask } = await getFixtures();
  const src = await Deno.readFile(`${dir}/f32_4d_n1.nii.gz`);
  const refetch = 'download({ subject: "sub-01" })';

  // truncated gzip
  const trunc = `${dir}/bad_truncated.nii.gz`;
  await Deno.writeFile(trunc, src.subarray(0, Math.floor(src.length * 0.6)));
  await expectMalformed(
    readNifti4dMasked(trunc, mask, { refetch }),
    /truncated: expected 3360 bytes of voxel data, got \d+/,
    trunc,
  );
  await assert.rejects(readNifti4dMasked(trunc, mask, { refetch }), (e: Error) => {
    assert.ok(e.message.includes(`Refetch it with: ${refetch}`));
    return true;
  });
  // header still readable
  assert.equal((await readNiftiHeader(trunc)).nVolumes, 4);

  // truncated uncompressed file
  const raw = await Deno.readFile(`${dir}/f32_4d_n2.nii`);
  const truncRaw = `${dir}/bad_truncated.nii`;
  await Deno.writeFile(truncRaw, raw.subarray(0, raw.length - 10));
  await expectMalformed(
    readNifti4dMasked(truncRaw, mask),
    new RegExp(`truncated: expected 3360 bytes of voxel data, got 3350`),
    truncRaw,
  );
  // trailing data is fine
  const trailing = `${dir}/trailing.nii`;
  await Deno.writeFile(trailing, new Uint8Array([...raw, 1, 2, 3, 4, 5]));
  const a = await readNifti4dMasked(trailing, mask);
  const b = await readNifti4dMasked(`${dir}/f32_4d_n2.nii`, mask);
  assert.deepEqual(a, b);

  // truncated inside the header
  const tiny = `${dir}/bad_tiny.nii.gz`;
  await Deno.writeFile(tiny, gzipSync(raw.subarray(0, 100)));
  await expectMalformed(readNiftiHeader(tiny), /truncated header/, tiny);

  // corrupt deflate data
  const corrupt = `${dir}/bad_corrupt.nii.gz`;
  const c = src.slice();
  for (let i = 200; i < 260; i++) c[i] ^= 0x5a;
  await Deno.writeFile(corrupt, c);
  await assert.rejects(readNifti4dMasked(corrupt, mask), MalformedFileError);

  // wrong magic
  const magic = `${dir}/bad_magic.nii`;
  const mg = (await Deno.readFile(`${dir}/f32_3d_n1.nii`)).slice();
  mg.set([0x78, 0x78, 0x78, 0], 344);
  await Deno.writeFile(magic, mg);
  await expectMalformed(readNiftiHeader(magic), /wrong magic/, magic);
  const notNifti = `${dir}/bad_text.nii.gz`;
  await Deno.writeFile(notNifti, gzipSync(new TextEncoder().encode("hello ".repeat(200))));
  await expectMalformed(readNiftiVolume(notNifti), /wrong magic: not a NIfTI file/, notNifti);

  // S3 XML error body saved as data
  const xml = `${dir}/bad_s3.nii.gz`;
  await Deno.writeTextFile(
    xml,
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>' +
      "<Message>Access Denied</Message></Error>",
  );
  await expectMalformed(
    readNifti4dMasked(xml, mask, { refetch }),
    /this is an S3 error response saved as data, not a NIfTI file \(S3 error AccessDenied/,
    xml,
  );
  const xml2 = `${dir}/bad_s3b.nii`;
  await Deno.writeTextFile(xml2, "<Error><Code>NoSuchKey</Code></Error>");
  await expectMalformed(readNiftiHeader(xml2), /S3 error response/, xml2);

  // empty
  const empty = `${dir}/bad_empty.nii.gz`;
  await Deno.writeFile(empty, new Uint8Array());
  await expectMalformed(readNiftiHeader(empty), /empty file/, empty);

  // mask length mismatch
  await expectMalformed(
    readNifti4dMasked(`${dir}/f32_4d_n1.nii.gz`, new Uint8Array(209)),
    /voxel mask has 209 elements but the image grid 5x6x7 .* has 210 voxels/,
    `${dir}/f32_4d_n1.nii.gz`,
  );
  await expectMalformed(
    readNiftiMaskedValues(`${dir}/f32_3d_n1.nii`, new Uint8Array(211)),
    /211 elements .* 210 voxels/,
    `${dir}/f32_3d_n1.nii`,
  );

  // unsupported datatype and 5-D
  await expectMalformed(
    readNiftiVolume(`${dir}/int64.nii`),
    /unsupported NIfTI datatype code 1024 \(int64\)/,
    `${dir}/int64.nii`,
  );
  assert.equal((await readNiftiHeader(`${dir}/int64.nii`)).datatype, 1024);
  await expectMalformed(
    readNifti4dMasked(`${dir}/five.nii`, new Uint8Array(24)),
    /Expected 4-D NIfTI at .*five\.nii, got shape \(2, 3, 4, 2, 2\)/,
    `${dir}/five.nii`,
  );
});

Deno.test("nifti: abort", async () => {
  const { dir, mask } = await getFixtures();
  const path = `${dir}/f32_4d_n1.nii.gz`;
  const aborted = AbortSignal.abort();
  await assert.rejects(
    readNiftiHeader(path, { signal: aborted }),
    (e: Error) => e.name === "AbortError",
  );
  await assert.rejects(readNiftiVolume(path, { signal: aborted, volume: 0 }));
  await assert.rejects(readNiftiMask(`${dir}/u8mask.nii`, { signal: aborted }));
  await assert.rejects(readNifti4dMasked(path, mask, { signal: aborted }));
  await assert.rejects(readNiftiMaskedValues(path, mask, { signal: aborted, volume: 0 }));
  // abort from a timer while streaming (zeros: gunzip never waits for I/O)
  for (const name of ["big.nii", "big.nii.gz"]) {
    const bigMask = new Uint8Array(64 ** 3).fill(1);
    const ac2 = new AbortController();
    let volumes = 0;
    const p = readNifti4dMasked(`${dir}/${name}`, bigMask, {
      signal: ac2.signal,
      onProgress: (d) => {
        volumes = d;
        if (d === 2) setTimeout(() => ac2.abort(), 0);
      },
    });
    await assert.rejects(p, (e: Error) => e.name === "AbortError");
    assert.ok(volumes >= 2 && volumes < 32, `stopped early (${volumes} of 32 volumes read)`);
  }
  // abort in the middle of a read (from a callback)
  const ac = new AbortController();
  await assert.rejects(
    readNifti4dMasked(path, mask, {
      signal: ac.signal,
      onProgress: (d) => d === 1 && ac.abort(new Error("stop")),
    }),
    /stop/,
  );
});

Deno.test("nifti_write: round trip, atomic (no temp file left, none on abort)", async () => {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "laion_fmri_write_" });
  try {
    const shape: Shape3d = [4, 3, 2];
    const affine = [[2, 0, 0, -4], [0, 2, 0, -3], [0, 0, 2, -2], [0, 0, 0, 1]];
    const c = Float32Array.from({ length: 24 }, (_, i) => i - 5.5);
    const path = `${dir}/x.nii.gz`;
    await writeNifti1(path, {
      dims: shape,
      datatype: "float32",
      affine,
      data: cOrderToDisk(c, shape, new Float32Array(24)),
    });
    assert.deepEqual((await readNiftiVolume(path)).data, c);
    // streamed 4-D, two writers at once into the same folder
    const four = `${dir}/y.nii.gz`;
    const vol = (t: number) => new Float32Array(24).fill(t);
    await Promise.all([0, 1].map((n) =>
      writeNifti1(n ? four : `${dir}/z.nii.gz`, {
        dims: [...shape, 3],
        datatype: "float32",
        affine,
        data: vol,
      })
    ));
    assert.deepEqual([...(await readNiftiVolume(four, { volume: 2 })).data], [...vol(2)]);
    // an abort while streaming leaves neither the file nor a temp file, also
    // when it comes before the temp file is open (volume 0)
    for (const at of [0, 2]) {
      const ac = new AbortController();
      await assert.rejects(
        writeNifti1(`${dir}/aborted.nii.gz`, {
          dims: [...shape, 5],
          datatype: "float32",
          affine,
          signal: ac.signal,
          data: async (t) => {
            if (t === at) ac.abort();
            await Promise.resolve();
            return vol(t);
          },
        }),
        (e: Error) => e.name === "AbortError",
      );
    }
    // a bad volume 0 fails while the temp file is still opening: it must not
    // appear after the failed write removed it (it did before the fix)
    await assert.rejects(
      writeNifti1(`${dir}/bad.nii.gz`, {
        dims: [...shape, 5],
        datatype: "float32",
        affine,
        data: () => new Float32Array(1),
      }),
      /volume 0: expected 24 values, got 1/,
    );
    await new Promise((r) => setTimeout(r, 50));
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(names, ["x.nii.gz", "y.nii.gz", "z.nii.gz"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ------------------------------------------------------------------ GIfTI

Deno.test("gifti: ASCII, Base64Binary, GZipBase64Binary, big-endian, types", async () => {
  const { dir, m } = await getFixtures();
  const want = m.gifti.values.map((v) => v ?? NaN);
  for (const enc of ["ASCII", "B64BIN", "B64GZ"]) {
    const arrays = await readGiftiDataArrays(`${dir}/g_${enc}.func.gii`);
    assert.equal(arrays.length, 2);
    assert.equal(arrays[0].dataType, "NIFTI_TYPE_FLOAT32");
    assert.ok(arrays[0].data instanceof Float32Array);
    assert.deepEqual([...arrays[0].data], want);
    assert.ok(arrays[1].data instanceof Int32Array);
    assert.deepEqual(arrays[1].dims, [2, 3]);
    assert.deepEqual([...arrays[1].data], [-2, -1, 0, 1, 2, 3]);
    assert.deepEqual([...await readGiftiMask(`${dir}/g_${enc}.func.gii`)], [0, 1, 1, 0, 1, 0, 1]);
    assert.deepEqual(
      [...await readGiftiMask(`${dir}/g_${enc}.func.gii`, { nanInMask: false })],
      [0, 1, 0, 0, 1, 0, 1],
    );
  }
  const be = await readGiftiDataArrays(`${dir}/g_be.func.gii`);
  assert.deepEqual([...be[0].data], want);
  for (const dt of ["NIFTI_TYPE_UINT8", "NIFTI_TYPE_INT16", "NIFTI_TYPE_FLOAT64"]) {
    const [a] = await readGiftiDataArrays(`${dir}/g_${dt}.func.gii`);
    assert.equal(a.dataType, dt);
    assert.deepEqual([...a.data], [0, 1, 2, 0, 5]);
  }
});

Deno.test("xml: predefined and numeric entities only, CDATA verbatim, no DTD entities", () => {
  const root = parseXml(
    `<?xml version="1.0"?><!-- c --><a x="&lt;&#65;&#x42;"><b><![CDATA[&amp;]]> &amp; &gt;</b><c/></a>`,
  );
  assert.equal(root.attrs.x, "<AB");
  assert.equal(root.children[0].text, "&amp; & >");
  assert.deepEqual(root.children.map((c) => c.name), ["b", "c"]);
  for (
    const [xml, re] of [
      [`<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>`, /DOCTYPE with an internal subset/],
      [`<a>&e;</a>`, /undefined entity &e;/],
      [`<a>x & y</a>`, /bare "&"/],
      [`<a><b></a>`, /mismatched end tag/],
      [`<a>`, /unclosed element <a>/],
    ] as const
  ) {
    assert.throws(() => parseXml(xml), (e: Error) => e instanceof XmlError && re.test(e.message));
  }
});

Deno.test("gifti: column-major 2-D, entities, malformed", async () => {
  const { dir } = await getFixtures();
  const wrap = (da: string, pre = "") =>
    `<?xml version="1.0"?>${pre}<GIFTI Version="1.0" NumberOfDataArrays="1">${da}</GIFTI>`;
  const cm = `${dir}/cm.func.gii`;
  await Deno.writeTextFile(
    cm,
    wrap(
      `<DataArray DataType="NIFTI_TYPE_INT32" ArrayIndexingOrder="ColumnMajorOrder" ` +
        `Dimensionality="2" Dim0="2" Dim1="3" Encoding="ASCII" Endian="LittleEndian">` +
        `<MetaData><MD><Name><![CDATA[Name]]></Name><Value>a &amp; b</Value></MD></MetaData>` +
        `<Data>1 4 2 5 3 6</Data></DataArray>`,
    ),
  );
  const [a] = await readGiftiDataArrays(cm);
  assert.deepEqual([...a.data], [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(a.metadata, { Name: "a & b" });

  // entity expansion ("billion laughs") must not be expanded
  const lol = `${dir}/lol.func.gii`;
  await Deno.writeTextFile(
    lol,
    wrap(
      `<DataArray DataType="NIFTI_TYPE_FLOAT32" Dimensionality="1" Dim0="1" Encoding="ASCII">` +
        `<MetaData><MD><Name>x</Name><Value>&lol3;</Value></MD></MetaData><Data>1</Data></DataArray>`,
      `<!DOCTYPE GIFTI [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">` +
        `<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]>`,
    ),
  );
  await expectMalformed(readGiftiDataArrays(lol), /DOCTYPE with an internal subset/, lol);
  // an undeclared entity is an error too, not expanded
  const ent = `${dir}/ent.func.gii`;
  await Deno.writeTextFile(
    ent,
    wrap(
      `<DataArray DataType="NIFTI_TYPE_FLOAT32" Dimensionality="1" Dim0="1" Encoding="ASCII">` +
        `<Data>&xxe;</Data></DataArray>`,
    ),
  );
  await expectMalformed(readGiftiDataArrays(ent), /undefined entity &xxe;/, ent);

  const short = `${dir}/short.func.gii`;
  await Deno.writeTextFile(
    short,
    wrap(
      `<DataArray DataType="NIFTI_TYPE_FLOAT32" Dimensionality="1" Dim0="3" Encoding="Base64Binary">` +
        `<Data>AAAAAA==</Data></DataArray>`,
    ),
  );
  await expectMalformed(readGiftiDataArrays(short), /expected 12 bytes .* got 4/, short);

  const trunc = `${dir}/trunc.func.gii`;
  const good = await Deno.readTextFile(`${dir}/g_B64GZ.func.gii`);
  await Deno.writeTextFile(trunc, good.slice(0, Math.floor(good.length / 2)));
  await expectMalformed(readGiftiDataArrays(trunc), /not a valid GIfTI XML file/, trunc);

  const s3 = `${dir}/s3.func.gii`;
  await Deno.writeTextFile(
    s3,
    '<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>',
  );
  await expectMalformed(
    readGiftiMask(s3),
    /S3 error response saved as data, not a GIfTI file \(S3 error AccessDenied: Access Denied\)/,
    s3,
  );
  await assert.rejects(readGiftiMask(s3, { signal: AbortSignal.abort() }));
});

// ------------------------------------------------------------------ FreeSurfer label

Deno.test("freesurfer label: vertices in file order, validated", async () => {
  const { dir } = await getFixtures();
  const path = `${dir}/lh.test.label`;
  await Deno.writeTextFile(
    path,
    "#!ascii label  , from subject sub-01 vox2ras=TkReg\n3\n" +
      "17  -1.5  2.0  3.25 0.000000\n3  1 2 3 0\n123456  0 0 0 1.5\n",
  );
  const v = await readFreesurferLabel(path);
  assert.ok(v instanceof Int32Array);
  assert.deepEqual([...v], [17, 3, 123456]);
  // cross-check with nibabel
  const out = await new Deno.Command(PY, {
    args: [
      "-c",
      "import sys, nibabel as nib; print(list(nib.freesurfer.read_label(sys.argv[1])))",
      path,
    ],
  }).output();
  assert.equal(new TextDecoder().decode(out.stdout).trim(), "[17, 3, 123456]");

  const bad = `${dir}/bad.label`;
  await Deno.writeTextFile(bad, "#!ascii label\n4\n1 0 0 0 0\n2 0 0 0 0\n");
  await expectMalformed(readFreesurferLabel(bad), /announces 4 vertices but .* 2 data lines/, bad);
  await Deno.writeTextFile(bad, "#!ascii label\nthree\n1 0 0 0 0\n");
  await expectMalformed(readFreesurferLabel(bad), /line 2 must be the vertex count/, bad);
  await Deno.writeTextFile(bad, "#!ascii label\n1\n1.5 0 0 0 0\n");
  await expectMalformed(readFreesurferLabel(bad), /not a non-negative integer/, bad);
  await Deno.writeTextFile(bad, "#!ascii label\n1\n1 0 0\n");
  await expectMalformed(readFreesurferLabel(bad), /must be "vertex x y z value"/, bad);
  await Deno.writeTextFile(bad, "<Error><Code>NoSuchKey</Code></Error>");
  await expectMalformed(
    readFreesurferLabel(bad),
    /S3 error response saved as data, not a FreeSurfer label file \(S3 error NoSuchKey\)/,
    bad,
  );
  await assert.rejects(readFreesurferLabel(path, { signal: AbortSignal.abort() }));
});

Deno.test("cleanup fixtures", async () => {
  await cleanup();
  fixtures = undefined;
});

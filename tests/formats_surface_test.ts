// deno test --allow-read --allow-write=/tmp --allow-run=/usr/bin/python3 tests/formats_surface_test.ts
//
// The readers of the standard-space chain (FreeSurfer surfaces, curv files,
// LTA/XFM transforms, MGH/MGZ volumes, GIfTI surfaces) against files that
// Debian's nibabel (/usr/bin/python3) writes, compared value by value with
// what nibabel reads back; our func.gii writer against nibabel.load; the
// LTA/XFM world matrices against an independent numpy computation.
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { MalformedFileError } from "../lib/core/errors.ts";
import {
  giftiFuncXml,
  invertMatrix4,
  multiplyMatrix4,
  parseFreesurferSurface,
  parseLta,
  readFreesurferMorph,
  readFreesurferSurface,
  readGiftiDataArrays,
  readGiftiSurface,
  readLta,
  readMgh,
  readMghHeader,
  readXfm,
  transformWorldMatrix,
  volumeGeometryAffine,
  writeGiftiFunc,
} from "../lib/formats/mod.ts";
import {
  freesurferSurface,
  mgzBytes,
  talairachLta,
  talairachXfm,
} from "../scripts/synth/freesurfer_files.ts";

const PY = "/usr/bin/python3";

const GENERATOR = String.raw`
import json, os, sys, gzip
import numpy as np
import nibabel as nib
from nibabel.freesurfer import io as fsio

out = sys.argv[1]
rng = np.random.default_rng(7)
m = {"surfaces": [], "morph": [], "mgh": [], "gifti": []}

def raw(name, arr, dt):
    np.ascontiguousarray(arr, dtype=dt).tofile(os.path.join(out, name))
    return name

# ---- a small closed mesh: an octahedron subdivided once (18 vertices, 32 faces)
v = np.array([[1,0,0],[-1,0,0],[0,1,0],[0,-1,0],[0,0,1],[0,0,-1]], float)
f = np.array([[0,2,4],[2,1,4],[1,3,4],[3,0,4],[2,0,5],[1,2,5],[3,1,5],[0,3,5]])
verts = list(v); mid = {}
def midpoint(a, b):
    k = (min(a, b), max(a, b))
    if k not in mid:
        p = (verts[a] + verts[b]) / 2; verts.append(p / np.linalg.norm(p)); mid[k] = len(verts) - 1
    return mid[k]
faces = []
for a, b, c in f:
    ab, bc, ca = midpoint(a, b), midpoint(b, c), midpoint(c, a)
    faces += [[a, ab, ca], [b, bc, ab], [c, ca, bc], [ab, bc, ca]]
coords = (np.array(verts) * 60 + rng.normal(size=(len(verts), 3))).astype(np.float32)
faces = np.array(faces, np.int32)

vol_info = {"head": np.array([2, 0, 20]), "valid": "1  # volume info valid",
            "filename": "/data/fs/sub-01/mri/filled-pretess255.mgz",
            "volume": np.array([256, 256, 256]), "voxelsize": np.array([1.0, 1.0, 1.0]),
            "xras": np.array([-1.0, 0.0, 0.0]), "yras": np.array([0.0, 0.0, -1.0]),
            "zras": np.array([0.0, 1.0, 0.0]), "cras": np.array([1.25, -17.5, 20.125])}
for name, info in [("lh.white", vol_info), ("rh.pial", dict(vol_info, head=np.array([20]), valid="0")),
                   ("lh.sphere.reg", None)]:
    p = os.path.join(out, name)
    fsio.write_geometry(p, coords * (1.1 if "pial" in name else 1), faces,
                        create_stamp=f"created by tester on Mon Dec  7 05:00:00 2026 ({name})",
                        volume_info=info)
    c, fc, vi, stamp = fsio.read_geometry(p, read_metadata=True, read_stamp=True) if info else \
        (*fsio.read_geometry(p), {}, fsio.read_geometry(p, read_stamp=True)[2])
    e = {"name": name, "stamp": stamp, "n": int(c.shape[0]), "nf": int(fc.shape[0]),
         "coords": raw(name + ".coords.f4", c, "<f4"), "faces": raw(name + ".faces.i4", fc, "<i4")}
    if vi:
        e["volumeInfo"] = {"valid": vi["valid"], "filename": vi["filename"],
                           "volume": vi["volume"].tolist(), "voxelsize": vi["voxelsize"].tolist(),
                           "xras": vi["xras"].tolist(), "yras": vi["yras"].tolist(),
                           "zras": vi["zras"].tolist(), "cras": vi["cras"].tolist()}
    m["surfaces"].append(e)

# ---- curv (new format) and an old-format file
curv = rng.normal(size=len(coords)).astype(np.float32)
curv[3] = np.nan
fsio.write_morph_data(os.path.join(out, "lh.sulc"), curv, fnum=len(faces))
m["morph"].append({"name": "lh.sulc", "values": raw("lh.sulc.f4", fsio.read_morph_data(os.path.join(out, "lh.sulc")), "<f4")})
old = (rng.normal(size=20) * 300).astype(">i2")
with open(os.path.join(out, "lh.old.curv"), "wb") as fh:
    fh.write(len(old).to_bytes(3, "big")); fh.write((36).to_bytes(3, "big")); fh.write(old.tobytes())
m["morph"].append({"name": "lh.old.curv", "values": raw("lh.old.curv.f8", fsio.read_morph_data(os.path.join(out, "lh.old.curv")), "<f8")})

# ---- MGH / MGZ volumes, every type, an oblique affine, frames
ang = 0.3
rot = np.array([[np.cos(ang), -np.sin(ang), 0], [np.sin(ang), np.cos(ang), 0], [0, 0, 1]])
aff = np.eye(4); aff[:3, :3] = rot @ np.diag([0.9, 1.1, 1.3]); aff[:3, 3] = [-40.5, 12.25, -30]
shape = (5, 6, 7)
vols = {"uint8": rng.integers(0, 255, size=shape).astype(np.uint8),
        "int16": rng.integers(-3000, 3000, size=shape + (2,)).astype(np.int16),
        "int32": rng.integers(-2**31, 2**31 - 1, size=shape).astype(np.int32),
        "float32": (rng.normal(size=shape) * 50).astype(np.float32)}
vols["float32"][1, 2, 3] = np.nan
for dt, d in vols.items():
    for ext in (".mgz", ".mgh"):
        name = f"vol_{dt}{ext}"
        img = nib.MGHImage(d, aff)
        nib.save(img, os.path.join(out, name))
        back = nib.load(os.path.join(out, name))
        a = np.asarray(back.dataobj)
        frames = a[..., None] if a.ndim == 3 else a
        per = np.stack([frames[..., t].reshape(-1, order="C") for t in range(frames.shape[-1])])
        h = back.header
        m["mgh"].append({"name": name, "type": dt, "dims": list(a.shape[:3]), "nFrames": int(frames.shape[-1]),
                         "data": raw(name + ".f8", per, "<f8"), "affine": back.affine.tolist(),
                         "tkr": h.get_vox2ras_tkr().astype(float).tolist(),
                         "delta": h["delta"].astype(float).tolist(), "mdc": h["Mdc"].astype(float).tolist(),
                         "cras": h["Pxyz_c"].astype(float).tolist(),
                         "tr": float(h["tr"])})
# goodRASFlag = 0: nibabel's default geometry
rawb = bytearray(gzip.open(os.path.join(out, "vol_uint8.mgz")).read())
rawb[28:30] = (0).to_bytes(2, "big")
open(os.path.join(out, "badras.mgh"), "wb").write(bytes(rawb))
m["badrasAffine"] = nib.load(os.path.join(out, "badras.mgh")).affine.tolist()

# ---- GIfTI surfaces: pointset with a coordinate system + triangles
for enc in ("ASCII", "B64BIN", "B64GZ"):
    name = f"lh.{enc}.surf.gii"
    cs = nib.gifti.GiftiCoordSystem(dataspace="NIFTI_XFORM_UNKNOWN", xformspace="NIFTI_XFORM_SCANNER_ANAT",
                                    xform=aff)
    pts = nib.gifti.GiftiDataArray(coords, intent="NIFTI_INTENT_POINTSET", datatype="NIFTI_TYPE_FLOAT32",
                                   encoding=enc, coordsys=cs)
    tri = nib.gifti.GiftiDataArray(faces, intent="NIFTI_INTENT_TRIANGLE", datatype="NIFTI_TYPE_INT32",
                                   encoding=enc)
    meta = nib.gifti.GiftiMetaData({"AnatomicalStructurePrimary": "CortexLeft"})
    nib.save(nib.gifti.GiftiImage(darrays=[pts, tri], meta=meta), os.path.join(out, name))
    g = nib.load(os.path.join(out, name))
    p, t = g.agg_data(("pointset", "triangle"))
    m["gifti"].append({"name": name, "coords": raw(name + ".f4", p, "<f4"), "faces": raw(name + ".i4", t, "<i4"),
                       "xform": g.darrays[0].coordsys.xform.tolist(),
                       "dataspace": "NIFTI_XFORM_UNKNOWN", "xformspace": "NIFTI_XFORM_SCANNER_ANAT"})
only = nib.gifti.GiftiImage(darrays=[nib.gifti.GiftiDataArray(coords, intent="NIFTI_INTENT_POINTSET")])
nib.save(only, os.path.join(out, "pointsonly.surf.gii"))

# ---- transforms: geometry from real MGH headers, matrices checked independently
src = nib.MGHImage(np.zeros((20, 24, 18), np.uint8), aff)
aff2 = np.array([[-1.0, 0, 0, 128.0], [0, 0, 1.0, -110.5], [0, -1.0, 0, 127.0], [0, 0, 0, 1]])
dst = nib.MGHImage(np.zeros((256, 256, 256), np.uint8), aff2)
def geom(img, name):
    h = img.header
    mdc = h["Mdc"].astype(float)
    lines = ["valid = 1  # volume info valid", f"filename = {name}",
             "volume = %d %d %d" % tuple(img.shape[:3]),
             "voxelsize = %.15e %.15e %.15e" % tuple(h["delta"]),
             "xras   = %.15e %.15e %.15e" % tuple(mdc[0]),
             "yras   = %.15e %.15e %.15e" % tuple(mdc[1]),
             "zras   = %.15e %.15e %.15e" % tuple(mdc[2]),
             "cras   = %.15e %.15e %.15e" % tuple(h["Pxyz_c"])]
    return "\n".join(lines), img.affine   # nibabel's affine of that header
def nt_affine(img):
    # nitransforms' VolumeGeometry.as_affine() on the geometry lines: float64 cosines and c_ras,
    # float32 voxel sizes
    h = img.header
    A = h["Mdc"].astype(float).T * h["delta"].astype(np.float32)
    return nib.affines.from_matvec(A, h["Pxyz_c"].astype(float) - A @ np.array(img.shape[:3]) / 2)
g_src, A_src = geom(src, "orig.mgz")
g_dst, A_dst = geom(dst, "mni305.cor.mgz")
M_v2v = np.array([[1.02, 0.01, 0.0, 3.5], [-0.02, 0.98, 0.05, -2.0], [0.0, 0.03, 1.01, 4.25], [0, 0, 0, 1]])
def lta(code, M):
    label = {0: "LINEAR_VOX_TO_VOX", 1: "LINEAR_RAS_TO_RAS"}[code]
    rows = "\n".join(" ".join("%.15e" % x for x in r) for r in M)
    return (f"# transform file talairach.lta\n# created by tester\ntype      = {code} # {label}\n"
            f"nxforms   = 1\nmean      = 0.0000 0.0000 0.0000\nsigma     = 1.0000\n1 4 4\n{rows}\n"
            f"src volume info\n{g_src}\ndst volume info\n{g_dst}\nsubject sub-01\nfscale 0.100000\n")
open(os.path.join(out, "v2v.lta"), "w").write(lta(0, M_v2v))
ras = A_dst @ M_v2v @ np.linalg.inv(A_src)   # FreeSurfer's vox2vox -> ras2ras, with nibabel's affines
open(os.path.join(out, "r2r.lta"), "w").write(lta(1, ras))
m["lta"] = {"v2v": M_v2v.tolist(), "ras": ras.tolist(), "rasInv": np.linalg.inv(ras).tolist(),
            "srcAffine": A_src.tolist(), "dstAffine": A_dst.tolist(),
            # nitransforms parses m_L as float32 (genfromtxt dtype="f4") before set_type(1) and inv()
            "ntV2v": np.linalg.inv(nt_affine(dst) @ M_v2v.astype(np.float32).astype(float)
                                   @ np.linalg.inv(nt_affine(src))).tolist(),
            "ntR2r": np.linalg.inv(ras.astype(np.float32).astype(float)).tolist()}
x = ras[:3]
open(os.path.join(out, "talairach.xfm"), "w").write(
    "MNI Transform File\n% avi2talxfm\n\nTransform_Type = Linear;\nLinear_Transform =\n" +
    "\n".join(" " + " ".join("%.15f" % v for v in r) for r in x) + ";\n")
json.dump(m, open(os.path.join(out, "manifest.json"), "w"))
`;

// deno-lint-ignore no-explicit-any
type Json = any;

let fixtures: Promise<{ dir: string; m: Json }> | undefined;

function getFixtures() {
  fixtures ??= (async () => {
    const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "laion_fmri_surface_" });
    const out = await new Deno.Command(PY, { args: ["-c", GENERATOR, dir], stderr: "piped" })
      .output();
    if (!out.success) {
      throw new Error(`fixture generator failed:\n${new TextDecoder().decode(out.stderr)}`);
    }
    return { dir, m: JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`)) };
  })();
  return fixtures;
}

async function readRaw<T>(path: string, C: { new (b: ArrayBuffer): T }): Promise<T> {
  const b = await Deno.readFile(path);
  return new C(b.slice().buffer);
}

/** Exact equality, NaN equal to NaN. */
function assertSame(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    assert.equal(a, e, `${what}[${i}]: expected ${e}, got ${a}`);
  }
}

function assertMatrixClose(a: number[][], e: number[][], tol: number, what: string) {
  for (let r = 0; r < e.length; r++) {
    for (let c = 0; c < e[r].length; c++) {
      assert.ok(
        Math.abs(a[r][c] - e[r][c]) <= tol * Math.max(1, Math.abs(e[r][c])),
        `${what}[${r}][${c}]: expected ${e[r][c]}, got ${a[r][c]}`,
      );
    }
  }
}

async function expectMalformed(p: Promise<unknown>, re: RegExp, path: string) {
  await assert.rejects(p, (err: Error) => {
    assert.ok(err instanceof MalformedFileError, `${err}`);
    assert.match(err.message, re);
    assert.ok(err.message.startsWith(path), err.message);
    assert.equal((err as MalformedFileError).path, path);
    return true;
  });
}

const cleanup = () => fixtures?.then(({ dir }) => Deno.remove(dir, { recursive: true }));

// ------------------------------------------------------------ FreeSurfer surfaces

Deno.test("freesurfer surface: vertices, faces, created-by line and footer equal nibabel's", async () => {
  const { dir, m } = await getFixtures();
  for (const e of m.surfaces) {
    const s = await readFreesurferSurface(`${dir}/${e.name}`);
    assert.equal(s.createdBy, e.stamp, e.name);
    assert.equal(s.nVertices, e.n);
    assert.equal(s.nFaces, e.nf);
    assertSame(s.vertices, await readRaw(`${dir}/${e.coords}`, Float32Array), `${e.name} vertices`);
    assertSame(s.faces, await readRaw(`${dir}/${e.faces}`, Int32Array), `${e.name} faces`);
    if (!e.volumeInfo) {
      assert.equal(s.volumeInfo, undefined, e.name);
      continue;
    }
    const vi = e.volumeInfo;
    assert.ok(s.volumeInfo, e.name);
    assert.equal(s.volumeInfo.valid, vi.valid.split("#")[0].trim() !== "0");
    assert.equal(s.volumeInfo.filename, vi.filename);
    assert.deepEqual(s.volumeInfo.volume, vi.volume);
    assert.deepEqual(s.volumeInfo.voxelSize, vi.voxelsize);
    assert.deepEqual(s.volumeInfo.xRas, vi.xras);
    assert.deepEqual(s.volumeInfo.yRas, vi.yras);
    assert.deepEqual(s.volumeInfo.zRas, vi.zras);
    assert.deepEqual(s.volumeInfo.cRas, vi.cras);
  }
  // both footer heads were exercised: [2, 0, 20] (valid) and [20] (valid = 0)
  assert.equal((await readFreesurferSurface(`${dir}/lh.white`)).volumeInfo?.valid, true);
  assert.equal((await readFreesurferSurface(`${dir}/rh.pial`)).volumeInfo?.valid, false);
});

Deno.test("freesurfer surface: the synthetic generator's surfaces read as nibabel reads them", async () => {
  const { dir } = await getFixtures();
  const path = `${dir}/synth.lh.white`;
  await Deno.writeFile(path, freesurferSurface(40, "L", "white", "sub-03"));
  const ours = await readFreesurferSurface(path);
  const py = await new Deno.Command(PY, {
    args: [
      "-c",
      "import sys, json, nibabel.freesurfer.io as f\n" +
      "c, t, s = f.read_geometry(sys.argv[1], read_stamp=True)\n" +
      "print(json.dumps({'c': c.ravel().tolist(), 't': t.ravel().tolist(), 's': s}))",
      path,
    ],
  }).output();
  assert.ok(py.success);
  const want = JSON.parse(new TextDecoder().decode(py.stdout));
  assertSame(ours.vertices, want.c, "vertices");
  assertSame(ours.faces, want.t, "faces");
  assert.equal(ours.createdBy, want.s);
  assert.equal(ours.volumeInfo, undefined);
});

Deno.test("freesurfer surface: malformed files raise MalformedFileError naming file and problem", async () => {
  const { dir } = await getFixtures();
  const good = await Deno.readFile(`${dir}/lh.white`);
  const put = async (name: string, bytes: Uint8Array) => {
    await Deno.writeFile(`${dir}/${name}`, bytes);
    return `${dir}/${name}`;
  };
  const trunc = await put("trunc.white", good.subarray(0, 200));
  await expectMalformed(
    readFreesurferSurface(trunc),
    /truncated: 18 vertices and 32 faces need \d+ bytes, the file has 200/,
    trunc,
  );
  const curv = `${dir}/lh.sulc`;
  await expectMalformed(
    readFreesurferSurface(curv),
    /magic number 0xFFFFFF .*readFreesurferMorph/,
    curv,
  );
  const junk = await put("junk.white", new TextEncoder().encode("hello world, not a surface"));
  await expectMalformed(
    readFreesurferSurface(junk),
    /magic number 0x68656C is not a FreeSurfer surface/,
    junk,
  );
  // a face index past the last vertex
  const s = parseFreesurferSurface(good, "x");
  const firstFace = good.indexOf(0x0a, good.indexOf(0x0a, 3) + 1) + 1 + 8 + 12 * s.nVertices;
  const badFace = good.slice();
  new DataView(badFace.buffer).setInt32(firstFace + 4, 99);
  const bf = await put("badface.white", badFace);
  await expectMalformed(
    readFreesurferSurface(bf),
    /face 0 refers to vertex 99, outside 0\.\.17/,
    bf,
  );
  // a damaged footer line
  const text = new TextDecoder("latin1").decode(good);
  const dmg = await put(
    "footer.white",
    Uint8Array.from(text.replace("voxelsize", "voxelsiz"), (c) => c.charCodeAt(0)),
  );
  await expectMalformed(
    readFreesurferSurface(dmg),
    /volume-geometry footer: line 4 must be "voxelsize = \.\.\."/,
    dmg,
  );
  const s3 = await put(
    "s3.white",
    new TextEncoder().encode(
      '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>x</Message></Error>',
    ),
  );
  await expectMalformed(readFreesurferSurface(s3), /S3 error/, s3);
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(readFreesurferSurface(`${dir}/lh.white`, { signal: ac.signal }), {
    name: "AbortError",
  });
});

Deno.test("freesurfer and mgh readers: an S3 error body saved as data names the file, what it should be and the refetch", async () => {
  const { dir } = await getFixtures();
  const path = `${dir}/s3-error-body`;
  await Deno.writeTextFile(path, "<Error><Code>NoSuchKey</Code></Error>");
  const refetch = "download({ subject: 'sub-01' })";
  const readers: [string, (p: string) => Promise<unknown>][] = [
    ["FreeSurfer surface", (p) => readFreesurferSurface(p, { refetch })],
    ["FreeSurfer curv file", (p) => readFreesurferMorph(p, { refetch })],
    ["MGH/MGZ volume", (p) => readMgh(p, { refetch })],
    ["MGH/MGZ volume", (p) => readMghHeader(p, { refetch })],
    ["LTA transform file", (p) => readLta(p, { refetch })],
    ["MNI xfm transform file", (p) => readXfm(p, { refetch })],
  ];
  for (const [kind, read] of readers) {
    await expectMalformed(read(path), new RegExp(`not a ${kind} \\(S3 error NoSuchKey\\)`), path);
    await assert.rejects(read(path), (e: Error) => e.message.includes(refetch));
  }
});

// ------------------------------------------------------------ curv files

Deno.test("freesurfer curv: new- and old-format values equal nibabel's read_morph_data", async () => {
  const { dir, m } = await getFixtures();
  const sulc = await readFreesurferMorph(`${dir}/lh.sulc`);
  assertSame(sulc, await readRaw(`${dir}/${m.morph[0].values}`, Float32Array), "lh.sulc");
  assert.ok(Number.isNaN(sulc[3]));
  const old = await readFreesurferMorph(`${dir}/lh.old.curv`);
  const want = await readRaw(`${dir}/${m.morph[1].values}`, Float64Array);
  assertSame(old, Float32Array.from(want), "lh.old.curv (float32 of nibabel's int16 / 100)");
  const surf = `${dir}/lh.white`;
  await expectMalformed(
    readFreesurferMorph(surf),
    /is a surface, not a curv file; read surfaces with readFreesurferSurface/,
    surf,
  );
  const bytes = await Deno.readFile(`${dir}/lh.sulc`);
  await Deno.writeFile(`${dir}/trunc.sulc`, bytes.subarray(0, 40));
  await expectMalformed(
    readFreesurferMorph(`${dir}/trunc.sulc`),
    /truncated: 18 vertices need 87 bytes, the file has 40/,
    `${dir}/trunc.sulc`,
  );
  const multi = bytes.slice();
  new DataView(multi.buffer).setInt32(11, 3);
  await Deno.writeFile(`${dir}/multi.sulc`, multi);
  await expectMalformed(
    readFreesurferMorph(`${dir}/multi.sulc`),
    /3 values per vertex; only 1 is supported/,
    `${dir}/multi.sulc`,
  );
});

// ------------------------------------------------------------ LTA / XFM

Deno.test("lta/xfm: world matrices agree with an independent numpy computation", async () => {
  const { dir, m } = await getFixtures();
  const v2v = await readLta(`${dir}/v2v.lta`);
  assert.equal(v2v.type, 0);
  assert.equal(v2v.typeName, "LINEAR_VOX_TO_VOX");
  assert.equal(v2v.subject, "sub-01");
  assert.equal(v2v.fscale, 0.1);
  assert.equal(v2v.transforms.length, 1);
  assertMatrixClose(v2v.transforms[0].matrix, m.lta.v2v, 0, "stored v2v matrix");
  // the geometry lines give nibabel's MGH affines back
  assertMatrixClose(
    volumeGeometryAffine(v2v.transforms[0].src),
    m.lta.srcAffine,
    1e-6,
    "src vox2ras",
  );
  assertMatrixClose(
    volumeGeometryAffine(v2v.transforms[0].dst),
    m.lta.dstAffine,
    1e-6,
    "dst vox2ras",
  );
  // VOX_TO_VOX -> RAS_TO_RAS: dst.vox2ras @ M @ inv(src.vox2ras), computed by numpy with nibabel's affines
  const w = transformWorldMatrix(v2v);
  assertMatrixClose(w.srcToDst, m.lta.ras, 1e-6, "v2v srcToDst");
  assertMatrixClose(w.dstToSrc, m.lta.rasInv, 1e-6, "v2v dstToSrc (nitransforms' matrix)");
  // a RAS_TO_RAS file gives its matrix as is; its inverse is nitransforms' Affine matrix
  const r2r = await readLta(`${dir}/r2r.lta`);
  assert.equal(r2r.typeName, "LINEAR_RAS_TO_RAS");
  const w2 = transformWorldMatrix(r2r);
  assertMatrixClose(w2.srcToDst, m.lta.ras, 1e-14, "r2r srcToDst");
  assertMatrixClose(w2.dstToSrc, m.lta.rasInv, 1e-12, "r2r dstToSrc");
  assertMatrixClose(
    multiplyMatrix4(w2.srcToDst, w2.dstToSrc),
    [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
    1e-12,
    "M inv(M)",
  );
  // the .xfm carries the same RAS-to-RAS matrix (3x4)
  const xfm = await readXfm(`${dir}/talairach.xfm`);
  assertMatrixClose(transformWorldMatrix(xfm).srcToDst, m.lta.ras, 1e-14, "xfm");
  assert.throws(() => transformWorldMatrix(r2r, { index: 1 }), RangeError);
  // nitransforms' own precision (float32 matrices), reproduced on request
  const ntV = transformWorldMatrix(v2v, { nitransformsPrecision: true }).dstToSrc;
  const ntR = transformWorldMatrix(r2r, { nitransformsPrecision: true }).dstToSrc;
  assertMatrixClose(ntV, m.lta.ntV2v, 1e-12, "v2v as nitransforms");
  assertMatrixClose(ntR, m.lta.ntR2r, 1e-12, "r2r as nitransforms");
  assert.ok(Math.abs(ntR[0][3] - w2.dstToSrc[0][3]) > 1e-9, "the float32 rounding shows");
});

Deno.test("lta/xfm: the synthetic generator's talairach.lta and .xfm carry the same transform", async () => {
  const { dir } = await getFixtures();
  await Deno.writeTextFile(`${dir}/synth.lta`, talairachLta("sub-03", [24, 28, 20], 0.9));
  await Deno.writeTextFile(`${dir}/synth.xfm`, talairachXfm("sub-03"));
  const lta = await readLta(`${dir}/synth.lta`);
  assert.equal(lta.typeName, "LINEAR_RAS_TO_RAS");
  assert.deepEqual(lta.transforms[0].src.volume, [24, 28, 20]);
  assert.deepEqual(lta.transforms[0].src.voxelSize, [0.9, 0.9, 0.9]);
  assertMatrixClose(
    transformWorldMatrix(lta).srcToDst,
    transformWorldMatrix(await readXfm(`${dir}/synth.xfm`)).srcToDst,
    1e-6,
    "lta vs xfm",
  );
});

Deno.test("lta/xfm: malformed files raise MalformedFileError", async () => {
  const { dir } = await getFixtures();
  const good = await Deno.readTextFile(`${dir}/r2r.lta`);
  const cases: [string, string, RegExp][] = [
    ["nomean.lta", good.replace(/^mean.*$/m, ""), /expected "mean = \.\.\." at line 3/],
    [
      "shape.lta",
      good.replace("1 4 4", "1 3 3"),
      /expected the matrix shape line "1 4 4", got "1 3 3"/,
    ],
    [
      "row.lta",
      good.replace(/^(src volume info)$/m, "1 2\n$1"),
      /expected "src volume info", got "1 2"/,
    ],
    [
      "num.lta",
      good.replace(/^sigma.*$/m, "sigma     = abc"),
      /"sigma": expected 1 numbers, got "abc"/,
    ],
    [
      "geom.lta",
      good.replace("cras   =", "crass  ="),
      /src volume info: line 8 must be "cras = \.\.\."/,
    ],
    ["empty.lta", "", /expected "type = \.\.\." at line 1/],
  ];
  for (const [name, text, re] of cases) {
    await Deno.writeTextFile(`${dir}/${name}`, text);
    await expectMalformed(readLta(`${dir}/${name}`), re, `${dir}/${name}`);
  }
  // a type that nitransforms cannot convert either
  const reg = parseLta(good.replace("type      = 1", "type      = 14"), "reg.lta");
  assert.throws(() => transformWorldMatrix(reg), (e: Error) => {
    assert.ok(e instanceof MalformedFileError);
    assert.match(
      e.message,
      /^reg\.lta: LTA type 14 \(REGISTER_DAT\) cannot be converted to RAS-to-RAS; supported types: 0 \(LINEAR_VOX_TO_VOX\), 1 \(LINEAR_RAS_TO_RAS\)/,
    );
    return true;
  });
  const xfm = await Deno.readTextFile(`${dir}/talairach.xfm`);
  const xcases: [string, string, RegExp][] = [
    [
      "nl.xfm",
      xfm.replace("= Linear;", "= Grid_Transform;"),
      /Transform_Type is "Grid_Transform"; only "Linear" is supported/,
    ],
    [
      "short.xfm",
      xfm.replace(/ [-0-9.]+;/, ";"),
      /Linear_Transform \(a 3x4 matrix\): expected 12 numbers/,
    ],
    [
      "head.xfm",
      xfm.replace("MNI Transform File", "Transform"),
      /first line must be "MNI Transform File"/,
    ],
  ];
  for (const [name, text, re] of xcases) {
    await Deno.writeTextFile(`${dir}/${name}`, text);
    await expectMalformed(readXfm(`${dir}/${name}`), re, `${dir}/${name}`);
  }
});

// ------------------------------------------------------------ MGH / MGZ

Deno.test("mgh: every type, .mgz and .mgh, frames, affines equal nibabel's", async () => {
  const { dir, m } = await getFixtures();
  for (const e of m.mgh) {
    const path = `${dir}/${e.name}`;
    const { header, data } = await readMgh(path);
    assert.equal(header.type, e.type, e.name);
    assert.equal(
      data.constructor,
      {
        uint8: Uint8Array,
        int16: Int16Array,
        int32: Int32Array,
        float32: Float32Array,
      }[header.type],
    );
    assert.deepEqual(header.dims, e.dims);
    assert.equal(header.nFrames, e.nFrames);
    assert.deepEqual(header.voxelSize, e.delta);
    assert.deepEqual(header.mdc, e.mdc);
    assert.deepEqual(header.cRas, e.cras);
    assertMatrixClose(header.vox2ras, e.affine, 0, `${e.name} vox2ras`);
    assertMatrixClose(header.vox2rasTkr, e.tkr, 0, `${e.name} vox2rasTkr`);
    assert.equal(header.scanParameters?.tr, e.tr);
    assertSame(data, await readRaw(`${dir}/${e.data}`, Float64Array), `${e.name} data`);
    const h2 = await readMghHeader(path);
    assert.deepEqual(h2.vox2ras, header.vox2ras);
    assert.deepEqual(h2.dims, header.dims);
  }
  const bad = await readMghHeader(`${dir}/badras.mgh`);
  assert.equal(bad.goodRas, false);
  assertMatrixClose(bad.vox2ras, m.badrasAffine, 0, "default geometry");
});

Deno.test("mgh: the synthetic generator's mgz reads as nibabel reads it", async () => {
  const { dir } = await getFixtures();
  const affine = [[0.9, 0, 0, -10.8], [0, 0.9, 0, -12.6], [0, 0, 0.9, -9]];
  const vals = Int32Array.from({ length: 4 * 5 * 6 }, (_, i) => i * 7 - 50);
  await Deno.writeFile(`${dir}/synth.mgz`, mgzBytes([4, 5, 6], "int32", vals, affine));
  const { header, data } = await readMgh(`${dir}/synth.mgz`);
  const py = await new Deno.Command(PY, {
    args: [
      "-c",
      "import sys, json, numpy as np, nibabel as nib\n" +
      "i = nib.load(sys.argv[1])\n" +
      "print(json.dumps({'a': i.affine.tolist(), 'd': np.asarray(i.dataobj).ravel(order='C').tolist()}))",
      `${dir}/synth.mgz`,
    ],
  }).output();
  assert.ok(py.success);
  const want = JSON.parse(new TextDecoder().decode(py.stdout));
  assertMatrixClose(header.vox2ras, want.a, 0, "affine");
  assertSame(data, want.d, "data");
});

Deno.test("mgh: malformed files raise MalformedFileError", async () => {
  const { dir } = await getFixtures();
  const raw = await Deno.readFile(`${dir}/vol_float32.mgh`);
  const put = async (name: string, b: Uint8Array) => {
    await Deno.writeFile(`${dir}/${name}`, b);
    return `${dir}/${name}`;
  };
  const t = await put("trunc.mgz", gzipSync(raw.subarray(0, 500)));
  await expectMalformed(
    readMgh(t),
    /truncated: 5x6x7x1 float32 voxels need 1124 bytes, the file has 500/,
    t,
  );
  const ver = raw.slice();
  new DataView(ver.buffer).setInt32(0, 7);
  const v = await put("ver.mgh", ver);
  await expectMalformed(readMghHeader(v), /MGH version is 7, expected 1/, v);
  const ty = raw.slice();
  new DataView(ty.buffer).setInt32(20, 2);
  const tp = await put("type.mgh", ty);
  await expectMalformed(
    readMgh(tp),
    /unsupported MGH type 2; valid: 0 \(uint8\), 1 \(int32\), 3 \(float32\), 4 \(int16\)/,
    tp,
  );
  const gz = gzipSync(raw);
  const cz = await put("corrupt.mgz", gz.subarray(0, 30));
  await expectMalformed(readMgh(cz), /corrupt gzip stream/, cz);
});

// ------------------------------------------------------------ GIfTI surfaces

Deno.test("gifti surface: pointset, triangles and coordinate system equal nibabel's", async () => {
  const { dir, m } = await getFixtures();
  for (const e of m.gifti) {
    const s = await readGiftiSurface(`${dir}/${e.name}`);
    assertSame(s.vertices, await readRaw(`${dir}/${e.coords}`, Float32Array), `${e.name} vertices`);
    assertSame(s.faces, await readRaw(`${dir}/${e.faces}`, Int32Array), `${e.name} faces`);
    assert.equal(s.nVertices, 18);
    assert.equal(s.nFaces, 32);
    assert.ok(s.coordinateSystem);
    assert.equal(s.coordinateSystem.dataSpace, e.dataspace);
    assert.equal(s.coordinateSystem.transformedSpace, e.xformspace);
    assertMatrixClose(s.coordinateSystem.matrix, e.xform, 0, `${e.name} xform`);
    assert.equal(s.metadata.AnatomicalStructurePrimary, "CortexLeft");
  }
  const p = `${dir}/pointsonly.surf.gii`;
  await expectMalformed(
    readGiftiSurface(p),
    /a surface needs exactly one NIFTI_INTENT_TRIANGLE DataArray, the file has 0 \(intents: NIFTI_INTENT_POINTSET\)/,
    p,
  );
  const xml = await Deno.readTextFile(`${dir}/lh.ASCII.surf.gii`);
  await Deno.writeTextFile(`${dir}/face.surf.gii`, xml.replace(/(<Data>\s*)0 /, "$118 "));
  await expectMalformed(
    readGiftiSurface(`${dir}/face.surf.gii`),
    /face \d+ refers to vertex 18, outside 0\.\.17/,
    `${dir}/face.surf.gii`,
  );
});

// ------------------------------------------------------------ func.gii writer

Deno.test("gifti writer: nibabel loads our func.gii with the exact values, every encoding", async () => {
  const { dir } = await getFixtures();
  const a = Float32Array.from(
    { length: 97 },
    (_, i) => Math.fround(Math.sin(i) * 10 ** ((i % 9) - 4)),
  );
  a[5] = NaN;
  a[6] = Infinity;
  a[7] = -Infinity;
  a[8] = -0;
  a[9] = 1.401298464324817e-45; // the smallest float32 subnormal
  a[10] = 3.4028234663852886e38;
  const b = Float32Array.from(a, (x) => x * -2.5);
  const files: string[] = [];
  for (const encoding of ["GZipBase64Binary", "Base64Binary", "ASCII"] as const) {
    const path = `${dir}/ours_${encoding}.func.gii`;
    await writeGiftiFunc(path, [{ values: a, metadata: { Name: 'trial <1> & "2"' } }, {
      values: b,
      intent: "NIFTI_INTENT_SHAPE",
    }], { encoding, metadata: { AnatomicalStructurePrimary: "CortexLeft" } });
    files.push(path);
    // ours reads it back too
    const back = await readGiftiDataArrays(path);
    assertSame(back[0].data, a, `ours ${encoding} [0]`);
    assertSame(back[1].data, b, `ours ${encoding} [1]`);
    assert.equal(back[0].metadata.Name, 'trial <1> & "2"');
  }
  const single = `${dir}/single.func.gii`;
  await writeGiftiFunc(single, a);
  files.push(single);
  // one 2-D array (n_samples x n_vertices), as upstream's _save_gifti writes a 2-D result
  const twoD = Float32Array.from({ length: 3 * 97 }, (_, i) => i % 97 === 5 ? NaN : i * 0.37 - 20);
  for (const encoding of ["GZipBase64Binary", "ASCII"] as const) {
    const p = `${dir}/twod_${encoding}.func.gii`;
    await writeGiftiFunc(p, [{ values: twoD, shape: [3, 97] }], { encoding });
    files.push(p);
    const back = await readGiftiDataArrays(p);
    assert.deepEqual(back[0].dims, [3, 97]);
    assertSame(back[0].data, twoD, `ours 2-D ${encoding}`);
  }
  const py = await new Deno.Command(PY, {
    args: [
      "-c",
      "import sys, json, numpy as np, nibabel as nib\n" +
      "out = []\n" +
      "for p in sys.argv[1:]:\n" +
      "    g = nib.load(p)\n" +
      "    for i, d in enumerate(g.darrays):\n" +
      "        assert d.data.dtype == np.float32, d.data.dtype\n" +
      "        d.data.astype('<f4').tofile(p + f'.{i}.f4')\n" +
      "        if d.data.ndim == 2: assert d.data.shape == (3, 97), d.data.shape\n" +
      "    out.append({'n': len(g.darrays), 'intents': [nib.nifti1.intent_codes.niistring[d.intent] for d in g.darrays],\n" +
      "                'meta': dict(g.meta), 'dmeta': [dict(d.meta) for d in g.darrays],\n" +
      "                'shapes': [list(d.data.shape) for d in g.darrays]})\n" +
      "print(json.dumps(out))",
      ...files,
    ],
    stderr: "piped",
  }).output();
  assert.ok(py.success, new TextDecoder().decode(py.stderr));
  const got = JSON.parse(new TextDecoder().decode(py.stdout));
  for (let f = 0; f < 3; f++) {
    assert.equal(got[f].n, 2);
    assert.deepEqual(got[f].intents, ["NIFTI_INTENT_NONE", "NIFTI_INTENT_SHAPE"]);
    assert.deepEqual(got[f].meta, { AnatomicalStructurePrimary: "CortexLeft" });
    assert.deepEqual(got[f].dmeta[0], { Name: 'trial <1> & "2"' });
    const x = await readRaw(`${files[f]}.0.f4`, Float32Array);
    const y = await readRaw(`${files[f]}.1.f4`, Float32Array);
    assertSame(x, a, `nibabel ${files[f]} [0]`);
    assertSame(y, b, `nibabel ${files[f]} [1]`);
    assert.ok(Object.is(x[8], -0), "-0 survives");
  }
  assert.equal(got[3].n, 1);
  assertSame(await readRaw(`${single}.0.f4`, Float32Array), a, "single map");
  for (const f of [4, 5]) {
    assert.equal(got[f].n, 1);
    assert.deepEqual(got[f].shapes, [[3, 97]]);
    assertSame(await readRaw(`${files[f]}.0.f4`, Float32Array), twoD, `nibabel 2-D ${files[f]}`);
  }
  assert.throws(
    () => giftiFuncXml([{ values: twoD, shape: [4, 97] }]),
    /shape \[4,97\] does not hold its 291 values/,
  );
  // bad arguments, and nothing half-written
  assert.throws(() => giftiFuncXml([{ values: a }, { values: new Float32Array(3) }]), RangeError);
  assert.throws(() => giftiFuncXml([]), RangeError);
  assert.throws(
    () => giftiFuncXml([{ values: a }], { encoding: "B64" as unknown as "ASCII" }),
    /Valid: GZipBase64Binary, Base64Binary, ASCII/,
  );
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(writeGiftiFunc(`${dir}/aborted.func.gii`, a, { signal: ac.signal }));
  const left = [...Deno.readDirSync(dir)].filter((e) => e.name.startsWith("aborted"));
  assert.deepEqual(left, []);
});

Deno.test("matrix helpers: inverse of a singular matrix is a RangeError", () => {
  assert.throws(
    () => invertMatrix4([[1, 0, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]),
    RangeError,
  );
});

Deno.test({ name: "formats_surface: cleanup", fn: async () => void (await cleanup()) });

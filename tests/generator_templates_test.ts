/**
 * The generator's standard-space data, read back with nibabel
 * (/usr/bin/python3): the synthetic TemplateFlow bucket (fsaverage
 * icospheres, MNI305 T1w) and the current layout's recon with consistent
 * geometry (surfaces inside the brain, c_ras footer, sphere.reg rotation,
 * talairach.lta) and its planted blob, whose MNI305 voxels and surface
 * vertices are re-derived here with numpy from the truth's numbers alone.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  fsaverageCoordinates,
  generateDataset,
  type GeneratedDataset,
  type TemplateflowTruth,
  writeTemplateflow,
} from "../scripts/generate.ts";
import { readFreesurferMorph, readFreesurferSurface } from "../lib/formats/freesurfer_surface.ts";

const root = await Deno.makeTempDir({ prefix: "laion-synth-templates-" });

async function python(code: string, ...args: string[]): Promise<Record<string, unknown>> {
  const res = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", code, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(res.code, 0, new TextDecoder().decode(res.stderr));
  return JSON.parse(new TextDecoder().decode(res.stdout));
}

Deno.test("templateflow bucket: fsaverage icospheres of exact sizes and the MNI305 T1w grid (nibabel)", async () => {
  const t0 = performance.now();
  const tf: TemplateflowTruth = await writeTemplateflow(join(root, "tf"));
  const ms = performance.now() - t0;
  console.log(
    `templateflow bucket: ${(tf.bytes / 1e6).toFixed(1)} MB in ${(ms / 1000).toFixed(1)} s`,
  );
  const py = await python(
    `
import json, sys, numpy as np, nibabel as nib
root, keys = sys.argv[1], json.loads(sys.argv[2])
out = {"surfaces": {}}
spheres = {}
for key in keys:
    g = nib.load(f"{root}/{key}")
    c, f = g.agg_data(("NIFTI_INTENT_POINTSET", "NIFTI_INTENT_TRIANGLE"))
    r = {"n": int(c.shape[0]), "nf": int(f.shape[0]), "used": int(np.unique(f).size)}
    if key.endswith("_sphere.surf.gii"):
        rad = np.linalg.norm(c, axis=1)
        r["radius"] = [float(rad.min()), float(rad.max())]
        # closed and outward: every edge in two triangles, normals away from the centre
        e = np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1)
        _, cnt = np.unique(e, axis=0, return_counts=True)
        nrm = np.cross(c[f[:, 1]] - c[f[:, 0]], c[f[:, 2]] - c[f[:, 0]])
        r["closed"] = bool((cnt == 2).all())
        r["outward"] = bool(((nrm * c[f].mean(1)).sum(1) > 0).all())
        spheres[key] = c
    out["surfaces"][key] = r
s10 = spheres["tpl-fsaverage/tpl-fsaverage_hemi-L_den-10k_sphere.surf.gii"]
s164 = spheres["tpl-fsaverage/tpl-fsaverage_hemi-L_den-164k_sphere.surf.gii"]
out["ico_order"] = float(np.abs(s164[: len(s10)] - s10).max())
img = nib.load(f"{root}/tpl-MNI305/tpl-MNI305_T1w.nii.gz")
d = np.asarray(img.dataobj)
out["mni"] = {"shape": list(img.shape), "affine": img.affine.tolist(), "dtype": str(d.dtype),
              "zooms": [float(z) for z in img.header.get_zooms()],
              "centre": int(d[86, 126 - 18, 72 + 14]), "corner": int(d[0, 0, 0])}
print(json.dumps(out))
`,
    join(root, "tf", "bucket"),
    JSON.stringify(Object.keys(tf.surfaces)),
  );
  const surfaces = py.surfaces as Record<string, Record<string, unknown>>;
  assert.equal(Object.keys(surfaces).length, 3 * 2 * 4);
  const want = { "10k": 10242, "41k": 40962, "164k": 163842 } as Record<string, number>;
  for (const [key, r] of Object.entries(surfaces)) {
    const den = key.match(/_den-(\d+k)_/)![1];
    assert.equal(r.n, want[den], key);
    assert.equal(r.n, tf.surfaces[key], key);
    assert.equal(r.nf, 2 * want[den] - 4, key);
    assert.equal(r.used, want[den], `${key}: every vertex in a triangle`);
    if (key.endsWith("_sphere.surf.gii")) {
      const [lo, hi] = r.radius as number[];
      assert.ok(lo > 99.98 && hi < 100.02, `${key}: radius ${lo}..${hi}`);
      assert.ok(r.closed, key);
      assert.ok(r.outward, key);
    }
  }
  // vertex v < 10,242 is at the same place at every density (FreeSurfer's ico order)
  assert.ok((py.ico_order as number) < 1e-6);
  const mni = py.mni as Record<string, unknown>;
  assert.deepEqual(mni.shape, [172, 220, 156]);
  assert.deepEqual(mni.affine, tf.mni305.affine);
  assert.deepEqual(mni.zooms, [1, 1, 1]);
  assert.equal(mni.dtype, "uint8");
  assert.equal(mni.corner, 0);
  assert.ok((mni.centre as number) > 150, "the brain is bright at its centre");
  assert.ok(tf.bytes < 40e6, `${tf.bytes} bytes`);
});

const SUBJECTS = ["sub-01", "sub-05"];
const ds: GeneratedDataset = await generateDataset({
  out: join(root, "current"),
  size: "small",
  layout: "current",
  seed: 1,
  subjects: SUBJECTS,
  sessions: ["ses-01"],
});

const PY_RECON = `
import json, sys, numpy as np, nibabel as nib
root, subjects, truth = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
out = {}
def nearest(aff, ras):
    q = np.rint(np.c_[ras, np.ones(len(ras))] @ np.linalg.inv(aff).T)[:, :3].astype(int)
    return q
for s in subjects:
    t = truth[s]
    fs = f"{root}/derivatives/freesurfer/{s}"
    anat = f"{root}/derivatives/anatomical/{s}/ses-PrismaAnat/anat/{s}_ses-PrismaAnat_space-T1w"
    mimg = nib.load(f"{anat}_res-1pt8_desc-brain_mask.nii.gz")
    mask = np.asarray(mimg.dataobj) > 0
    r = {"hemis": {}}
    for h, H in (("lh", "L"), ("rh", "R")):
        surf = {}
        for name in ("white", "pial", "inflated", "sphere", "sphere.reg"):
            c, f, meta = nib.freesurfer.read_geometry(f"{fs}/surf/{h}.{name}", read_metadata=True)
            surf[name] = (c, f, meta)
        c, f, meta = surf["white"]
        e = np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1)
        _, cnt = np.unique(e, axis=0, return_counts=True)
        sph = surf["sphere"][0]
        nrm = np.cross(sph[f[:, 1]] - sph[f[:, 0]], sph[f[:, 2]] - sph[f[:, 0]])
        cras = np.asarray(meta["cras"])
        hr = {"n": int(c.shape[0]), "nf": int(f.shape[0]), "closed": bool((cnt == 2).all()),
              "outward": bool(((nrm * sph[f].mean(1)).sum(1) > 0).all()),
              "same_faces": all(np.array_equal(surf[k][1], f) for k in surf),
              "cras": cras.tolist(), "volume": [int(x) for x in meta["volume"]]}
        # white inside pial, both inside the brain mask (nearest res-1pt8 voxel)
        centre = np.asarray(t["hemis"][H]["center"]) - cras
        dw = np.linalg.norm(surf["white"][0] - centre, axis=1)
        dp = np.linalg.norm(surf["pial"][0] - centre, axis=1)
        hr["white_inside_pial"] = bool((dw < dp).all())
        for name in ("white", "pial"):
            q = nearest(mimg.affine, surf[name][0] + cras)
            hr[f"{name}_in_brain"] = float(mask[q[:, 0], q[:, 1], q[:, 2]].mean())
        # sphere.reg = R @ sphere: least-squares fit of R, compared with the truth
        a, b = surf["sphere"][0].astype(float), surf["sphere.reg"][0].astype(float)
        R = np.linalg.lstsq(a, b, rcond=None)[0].T
        hr["rot_err"] = float(np.abs(R - np.asarray(t["hemis"][H]["sphereRegRotation"])).max())
        hr["sphere_radius"] = float(np.linalg.norm(b, axis=1).mean())
        hr["sulc"] = int(nib.freesurfer.read_morph_data(f"{fs}/surf/{h}.sulc").shape[0])
        hr["curv"] = int(nib.freesurfer.read_morph_data(f"{fs}/surf/{h}.curv").shape[0])
        # planted blob on white and pial: nearest voxel in the blob
        pl = t["planted"]
        blob = np.zeros(mask.shape, bool)
        for i, j, k in pl["voxels"]:
            blob[i, j, k] = True
        for name in ("white", "pial"):
            q = nearest(np.asarray(pl["grid"]["affine"]), surf[name][0] + cras)
            ok = (q >= 0).all(1) & (q < np.asarray(mask.shape)).all(1)
            hit = np.zeros(len(q), bool)
            hit[ok] = blob[q[ok, 0], q[ok, 1], q[ok, 2]]
            hr[f"planted_{name}"] = np.flatnonzero(hit).tolist()
        r["hemis"][H] = hr
    # talairach.lta: the 4x4 after "1 4 4"
    lines = open(f"{fs}/mri/transforms/talairach.lta").read().splitlines()
    i = lines.index("1 4 4")
    lta = np.array([[float(x) for x in l.split()] for l in lines[i + 1:i + 5]])
    r["lta"] = lta.tolist()
    t1 = nib.load(f"{fs}/mri/T1.mgz")
    r["t1_cras"] = (t1.affine @ np.r_[np.asarray(t1.shape) / 2, 1])[:3].tolist()
    # the blob: brain voxels, at its MNI305 place
    pl = t["planted"]
    vox = np.asarray(pl["voxels"])
    r["blob_in_mask"] = bool(mask[vox[:, 0], vox[:, 1], vox[:, 2]].all())
    # the anatomical axis: C-order rank of each blob voxel among the mask's voxels
    rank = np.cumsum(mask.ravel(order="C")) - 1
    r["anat_idx"] = sorted(rank[np.ravel_multi_index(tuple(vox.T), mask.shape)].tolist())
    aff = np.asarray(pl["grid"]["affine"])
    mni_aff = np.asarray(truth["_mni305"]["affine"])
    shape = truth["_mni305"]["dims"]
    centre = lta @ np.r_[pl["centerRas"], 1]
    r["centre_mni"] = centre[:3].tolist()
    # nearest-neighbour resampling of the blob onto the MNI305 grid (scipy's map_coordinates order=0)
    from scipy.ndimage import map_coordinates
    blobv = np.zeros(mask.shape, np.float32)
    blobv[vox[:, 0], vox[:, 1], vox[:, 2]] = pl["value"]
    ii, jj, kk = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
    lo = np.floor(np.linalg.inv(mni_aff) @ np.r_[centre[:3] - 20, 1]).astype(int)[:3]
    hi = np.ceil(np.linalg.inv(mni_aff) @ np.r_[centre[:3] + 20, 1]).astype(int)[:3]
    sub = [np.arange(max(0, lo[a]), min(shape[a], hi[a] + 1)) for a in range(3)]
    gi, gj, gk = np.meshgrid(*sub, indexing="ij")
    pts = np.c_[gi.ravel(), gj.ravel(), gk.ravel(), np.ones(gi.size)]
    src = (np.linalg.inv(aff) @ np.linalg.inv(lta) @ mni_aff @ pts.T)[:3]
    vals = map_coordinates(blobv, np.rint(src), order=0, mode="constant", cval=0.0)
    r["mni_voxels"] = sorted(pts[vals == pl["value"], :3].astype(int).tolist())
    out[s] = r
print(json.dumps(out))
`;

Deno.test("recon: surfaces inside the brain, c_ras footer, sphere.reg rotation, LTA and the planted blob (nibabel, numpy)", async () => {
  const cur = ds.groundTruth.current!;
  const truth: Record<string, unknown> = {
    _mni305: {
      affine: [[1, 0, 0, -86], [0, 1, 0, -126], [0, 0, 1, -72], [0, 0, 0, 1]],
      dims: [172, 220, 156],
    },
  };
  for (const s of SUBJECTS) truth[s] = cur.subjects[s].recon;
  const py = await python(PY_RECON, ds.bucketDir, JSON.stringify(SUBJECTS), JSON.stringify(truth));
  for (const s of SUBJECTS) {
    const t = cur.subjects[s].recon;
    // deno-lint-ignore no-explicit-any
    const r = py[s] as Record<string, any>;
    const gt = ds.groundTruth.subjects[s];
    for (const H of ["L", "R"] as const) {
      const h = r.hemis[H];
      assert.equal(h.n, gt.surfaces[H], `${s} ${H}`);
      assert.equal(h.n, t.nVertices[H]);
      assert.equal(h.nf, t.nFaces[H]);
      assert.equal(h.nf, 2 * h.n - 4);
      assert.ok(h.closed, `${s} ${H}: a closed surface`);
      assert.ok(h.outward, `${s} ${H}: triangles wound outwards`);
      assert.ok(h.same_faces, "all surfaces share one triangulation");
      for (let a = 0; a < 3; a++) assert.ok(Math.abs(h.cras[a] - t.cras[a]) < 1e-9);
      assert.deepEqual(h.volume, cur.grids.full.dims);
      assert.ok(h.white_inside_pial, `${s} ${H}`);
      assert.equal(h.white_in_brain, 1, `${s} ${H}: white vertices in the brain mask`);
      assert.equal(h.pial_in_brain, 1, `${s} ${H}: pial vertices in the brain mask`);
      assert.ok(h.rot_err < 1e-5, `${s} ${H}: sphere.reg = R sphere, err ${h.rot_err}`);
      assert.ok(Math.abs(h.sphere_radius - 100) < 1e-3);
      assert.equal(h.sulc, h.n);
      assert.equal(h.curv, h.n);
      assert.deepEqual(h.planted_white, t.planted.vertices.white[H], `${s} ${H} white`);
      assert.deepEqual(h.planted_pial, t.planted.vertices.pial[H], `${s} ${H} pial`);
    }
    assert.ok(t.planted.vertices.white.L.length > 0, `${s}: the blob reaches left white vertices`);
    assert.ok(t.planted.vertices.pial.L.length > 0, `${s}: and left pial vertices`);
    assert.deepEqual(r.lta, t.talairach);
    for (let a = 0; a < 3; a++) assert.ok(Math.abs(r.t1_cras[a] - t.cras[a]) < 1e-4);
    assert.ok(r.blob_in_mask);
    assert.deepEqual(r.anat_idx, t.planted.anatomicalIndices);
    assert.ok(t.planted.brainIndices.length >= 5, `${s}: ${t.planted.brainIndices.length} voxels`);
    for (let a = 0; a < 3; a++) {
      assert.ok(Math.abs(r.centre_mni[a] - t.planted.centerMni305[a]) < 1e-9);
    }
    assert.ok(t.planted.mni305Voxels.length > 0);
    assert.deepEqual(r.mni_voxels, t.planted.mni305Voxels, `${s}: MNI305 voxels of the blob`);
  }
});

Deno.test("recon: our FreeSurfer readers see the same geometry (footer c_ras, sphere.reg, morph)", async () => {
  const cur = ds.groundTruth.current!;
  const t = cur.subjects["sub-01"].recon;
  const fs = join(ds.bucketDir, "derivatives", "freesurfer", "sub-01", "surf");
  const reg = await readFreesurferSurface(join(fs, "lh.sphere.reg"));
  const sphere = await readFreesurferSurface(join(fs, "lh.sphere"));
  assert.equal(reg.nVertices, t.nVertices.L);
  assert.equal(reg.nFaces, t.nFaces.L);
  assert.deepEqual(reg.faces, sphere.faces);
  for (let a = 0; a < 3; a++) assert.ok(Math.abs(reg.volumeInfo!.cRas[a] - t.cras[a]) < 1e-9);
  const R = t.hemis.L.sphereRegRotation;
  for (let v = 0; v < reg.nVertices; v++) {
    for (let a = 0; a < 3; a++) {
      const want = R[a][0] * sphere.vertices[3 * v] + R[a][1] * sphere.vertices[3 * v + 1] +
        R[a][2] * sphere.vertices[3 * v + 2];
      assert.ok(Math.abs(reg.vertices[3 * v + a] - want) < 1e-3, `vertex ${v}`);
    }
  }
  const sulc = await readFreesurferMorph(join(fs, "lh.sulc"));
  assert.equal(sulc.length, t.nVertices.L);
});

Deno.test("recon: every fsaverage5 vertex lies in a triangle of each subject's sphere.reg (barycentric, numpy)", async () => {
  const cur = ds.groundTruth.current!;
  const raw = join(root, "fsaverage5_sphere.f32");
  await Deno.writeFile(raw, new Uint8Array(fsaverageCoordinates("L", "10k", "sphere").buffer));
  const py = await python(
    `
import json, sys, numpy as np, nibabel as nib
root, raw, subjects = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
target = np.fromfile(raw, dtype=np.float32).reshape(-1, 3).astype(float)
out = {}
for s in subjects:
    for h in ("lh", "rh"):
        c, f = nib.freesurfer.read_geometry(f"{root}/derivatives/freesurfer/{s}/surf/{h}.sphere.reg")
        a, b, cc = c[f[:, 0]], c[f[:, 1]], c[f[:, 2]]
        n = np.cross(b - a, cc - a)
        counts = np.zeros(len(target), int)
        for i0 in range(0, len(target), 2048):
            p = target[i0:i0 + 2048]
            t = (n * a).sum(1)[None, :] / (p @ n.T)          # ray from the centre hits each plane
            x = t[:, :, None] * p[:, None, :]
            # barycentric coordinates of x in each triangle
            v0, v1, v2 = b - a, cc - a, x - a[None]
            d00, d01, d11 = (v0 * v0).sum(1), (v0 * v1).sum(1), (v1 * v1).sum(1)
            d20, d21 = (v2 * v0[None]).sum(2), (v2 * v1[None]).sum(2)
            den = d00 * d11 - d01 * d01
            v = (d11 * d20 - d01 * d21) / den
            w = (d00 * d21 - d01 * d20) / den
            u = 1 - v - w
            inside = (t > 0) & (u >= -1e-9) & (v >= -1e-9) & (w >= -1e-9)
            counts[i0:i0 + 2048] = inside.sum(1)
        out[f"{s}/{h}"] = [int(counts.min()), int(counts.max())]
print(json.dumps(out))
`,
    ds.bucketDir,
    raw,
    JSON.stringify(SUBJECTS),
  );
  for (const [k, [lo, hi]] of Object.entries(py as Record<string, number[]>)) {
    assert.ok(lo >= 1, `${k}: an fsaverage vertex in no triangle`);
    // on an edge or a corner a vertex is in 2 to 6 triangles; never more than a corner's fan
    assert.ok(hi <= 8, `${k}: ${hi} triangles`);
  }
  assert.equal(Object.keys(py).length, 2 * SUBJECTS.length);
  assert.ok(cur.subjects["sub-01"].recon.nFaces.L > 0);
});

Deno.test("cleanup", async () => {
  await Deno.remove(root, { recursive: true });
});

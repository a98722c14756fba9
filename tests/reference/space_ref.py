"""Independent NumPy/SciPy references for lib/space (tests and bench/space_bench.ts).

Run with Debian's Python: /usr/bin/python3 tests/reference/space_ref.py DIR
DIR/job.json lists tasks; arrays are raw little-endian files in DIR
(float64 '<f8' unless 'dtype' says otherwise). Each task writes its outputs as
DIR/<task id>.<name>.f8 and the timings to DIR/result.json.

Written from the documented algorithms of nitransforms (Affine + resampling.apply
-> scipy.ndimage.map_coordinates; barycentric SurfaceResampler) and nilearn
(vol_to_surf), not from lib/space: the triangle search is brute force (or a
cKDTree + vectorised candidate test for large meshes), the point-to-triangle
distance is plane projection + edge distances, and barycentric weights come
from solving a 3x3 system.
"""

import json
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi
from scipy import sparse
from scipy.interpolate import RegularGridInterpolator
from scipy.spatial import cKDTree


def load(d, spec):
    if spec is None:
        return None
    if isinstance(spec, dict):
        a = np.fromfile(d / spec["file"], dtype=spec.get("dtype", "<f8"))
        return a.reshape(spec["shape"]) if "shape" in spec else a
    return np.asarray(spec, dtype=float)


# ---------------------------------------------------------------- volumes ----
def volume_task(d, t):
    src_shape = tuple(t["srcShape"])
    tgt_shape = tuple(t["tgtShape"])
    src_aff = np.asarray(t["srcAffine"], float)
    tgt_aff = np.asarray(t["tgtAffine"], float)
    s2t = np.asarray(t["sourceToTarget"], float)
    vols = load(d, t["volumes"]).reshape((-1,) + src_shape)  # C order
    order = {"nearest": 0, "linear": 1}[t["interpolation"]]
    t0 = time.perf_counter()
    # nitransforms: matrix maps reference (target) points to moving (source) points
    # and is the inverse of the LTA's RAS2RAS matrix.
    ref_to_mov = np.linalg.inv(s2t)
    ijk = np.indices(tgt_shape).reshape(3, -1)
    ras = tgt_aff[:3, :3] @ ijk + tgt_aff[:3, 3:4]
    mov = ref_to_mov[:3, :3] @ ras + ref_to_mov[:3, 3:4]
    inv_src = np.linalg.inv(src_aff)
    coords = inv_src[:3, :3] @ mov + inv_src[:3, 3:4]
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    outs = []
    for v in list(vols) * int(t.get("repeat", 1)):
        v = np.nan_to_num(v.astype(np.float32), nan=0.0)
        outs.append(ndi.map_coordinates(v, coords, order=order, mode="constant", cval=0.0))
    t_apply = time.perf_counter() - t0
    out = np.stack(outs[:len(vols)]).astype(np.float32).astype(np.float64)
    return {"out": out}, {"build": t_build, "apply": t_apply, "n": len(outs)}


# ---------------------------------------------------------------- surface ----
def outer_normals(coords, faces):
    fv = coords[faces]
    fn = np.cross(fv[:, 1] - fv[:, 0], fv[:, 2] - fv[:, 0])
    ln = np.linalg.norm(fn, axis=1, keepdims=True)
    fn = np.divide(fn, ln, out=np.zeros_like(fn), where=ln > 0)
    vn = np.zeros_like(coords)
    for q in range(3):
        np.add.at(vn, faces[:, q], fn)
    ln = np.linalg.norm(vn, axis=1, keepdims=True)
    return np.divide(vn, ln, out=np.zeros_like(vn), where=ln > 0)


def surface_task(d, t):
    coords = load(d, t["coordinates"]).reshape(-1, 3)
    faces = load(d, t["faces"]).astype(np.int64).reshape(-1, 3)
    inner = load(d, t.get("inner"))
    shape = tuple(t["shape"])
    aff = np.asarray(t["affine"], float)
    vols = load(d, t["volumes"]).reshape((-1,) + shape)
    mask = load(d, t.get("mask"))
    mask = None if mask is None else mask.reshape(shape)
    kind, radius, n = t["kind"], t["radius"], t["nSamples"]
    depth = t.get("depth")
    interp = t["interpolation"]
    t0 = time.perf_counter()
    if kind == "line":
        offs = np.linspace(radius, -radius, n) if depth is None else -radius * np.asarray(depth)
        nrm = outer_normals(coords, faces)
        locs = coords[:, None, :] + nrm[:, None, :] * offs[None, :, None]
    else:
        steps = np.linspace(0, 1, n) if depth is None else np.asarray(depth, float)
        inner = inner.reshape(-1, 3)
        locs = coords[:, None, :] + steps[None, :, None] * (inner - coords)[:, None, :]
    nv, ns, _ = locs.shape
    inv = np.linalg.inv(aff)
    vox = (locs.reshape(-1, 3) @ inv[:3, :3].T) + inv[:3, 3]
    if interp == "nearest":
        vox = np.round(vox)
    keep = np.all((vox >= 0) & (vox < np.asarray(shape)), axis=1)
    if mask is not None:
        fl = np.floor(vox[keep]).astype(int)
        keep[keep] = mask[fl[:, 0], fl[:, 1], fl[:, 2]] != 0
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    outs = []
    if interp == "linear":
        grid = tuple(np.arange(s, dtype=float) for s in shape)
        for v in vols:
            rgi = RegularGridInterpolator(grid, v, method="linear", bounds_error=False, fill_value=None)
            s = rgi(vox)
            s[~keep] = np.nan
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                outs.append(np.nanmean(s.reshape(nv, ns), axis=1))
    else:
        iv = vox[keep].astype(int)
        flat = np.ravel_multi_index(iv.T, shape)
        rows = np.repeat(np.arange(nv), ns)[keep]
        proj = sparse.csr_matrix((np.ones(len(rows)), (rows, flat)), shape=(nv, int(np.prod(shape))))
        cnt = np.asarray(proj.sum(axis=1)).ravel()
        for v in vols:
            tex = proj @ v.reshape(-1).astype(float)
            with np.errstate(invalid="ignore", divide="ignore"):
                tex = tex / cnt
            tex[cnt == 0] = np.nan
            outs.append(tex)
    t_apply = time.perf_counter() - t0
    return {"out": np.stack(outs)}, {"build": t_build, "apply": t_apply, "n": len(vols)}


# ----------------------------------------------------------------- sphere ----
def closest_dist2(p, a, b, c):
    """Squared distance from points p (n,3) to triangles (a,b,c) (n,m,3), broadcast."""
    p = p[:, None, :]
    e1, e2 = b - a, c - a
    nrm = np.cross(e1, e2)
    nn = np.einsum("...i,...i", nrm, nrm)
    # orthogonal projection onto the plane and its barycentric coordinates
    h = np.einsum("...i,...i", p - a, nrm) / nn
    q = p - h[..., None] * nrm
    wq = q - a
    d11, d12, d22 = (np.einsum("...i,...i", e1, e1), np.einsum("...i,...i", e1, e2),
                     np.einsum("...i,...i", e2, e2))
    r1, r2 = np.einsum("...i,...i", wq, e1), np.einsum("...i,...i", wq, e2)
    den = d11 * d22 - d12 * d12
    s = (d22 * r1 - d12 * r2) / den
    tt = (d11 * r2 - d12 * r1) / den
    inside = (s >= 0) & (tt >= 0) & (s + tt <= 1)
    d_in = h * h * nn

    def seg(x, y):
        e = y - x
        u = np.clip(np.einsum("...i,...i", p - x, e) / np.einsum("...i,...i", e, e), 0, 1)
        r = p - (x + u[..., None] * e)
        return np.einsum("...i,...i", r, r)

    d_edges = np.minimum(np.minimum(seg(a, b), seg(b, c)), seg(c, a))
    return np.where(inside, d_in, d_edges)


def central_weights(p, a, b, c):
    """Weights (w,u,v) with t*p = w a + u b + v c, w+u+v = 1 (solve [b-a, c-a, -p][u v t] = -a)."""
    m = np.stack([b - a, c - a, -p], axis=-1)
    sol = np.linalg.solve(m, -a[..., None])[..., 0]
    u, v = sol[..., 0], sol[..., 1]
    return np.stack([1 - u - v, u, v], axis=-1)


def barycentric(mv, faces, rf, search="kdtree"):
    """nitransforms' barycentric SurfaceResampler weights: per reference vertex the
    closest moving triangle (among the 10 nearest vertices' ones, or all with
    search="brute") and its normalized central-projection weights."""
    for name, x in (("moving", mv), ("reference", rf)):
        r = np.linalg.norm(x, axis=1)
        assert r.min() * 1.001 > r.max(), f"{name} is not a sphere"
    mv = mv * (100 / np.linalg.norm(mv, axis=1))[:, None]
    rf = rf * (100 / np.linalg.norm(rf, axis=1))[:, None]
    tri = mv[faces]
    best = np.empty(len(rf), dtype=np.int64)
    if search == "brute":
        for s in range(0, len(rf), 256):
            p = rf[s:s + 256]
            d2 = closest_dist2(p, tri[None, :, 0], tri[None, :, 1], tri[None, :, 2])
            best[s:s + 256] = np.argmin(d2, axis=1)
    else:  # the 10 nearest vertices' triangles, as nitransforms restricts the search
        _, nn = cKDTree(mv).query(rf, k=10)
        flat = faces.ravel()
        counts = np.bincount(flat, minlength=len(mv))
        lut = -np.ones((len(mv), counts.max()), dtype=np.int64)
        order = np.argsort(flat, kind="stable")
        starts = np.cumsum(counts) - counts
        lut[flat[order], np.arange(len(flat)) - np.repeat(starts, counts)] = order // 3
        for s in range(0, len(rf), 20000):
            cand = lut[nn[s:s + 20000]].reshape(len(nn[s:s + 20000]), -1)
            cand = np.sort(cand, axis=1)
            valid = cand >= 0
            c = np.where(valid, cand, 0)
            d2 = closest_dist2(rf[s:s + 20000], tri[c, 0], tri[c, 1], tri[c, 2])
            d2 = np.where(valid, d2, np.inf)
            best[s:s + 20000] = c[np.arange(len(c)), np.argmin(d2, axis=1)]
    bt = tri[best]
    w = central_weights(rf, bt[:, 0], bt[:, 1], bt[:, 2])
    w = w / w.sum(axis=1, keepdims=True)
    return best, w


def sphere_task(d, t):
    mv = load(d, t["moving"]).reshape(-1, 3)
    faces = load(d, t["faces"]).astype(np.int64).reshape(-1, 3)
    rf = load(d, t["reference"]).reshape(-1, 3)
    maps = load(d, t["maps"]).reshape(-1, mv.shape[0])
    t0 = time.perf_counter()
    best, w = barycentric(mv, faces, rf, t["search"])
    rows = np.repeat(np.arange(len(rf)), 3)
    mat = sparse.csr_matrix((w.ravel(), (rows, faces[best].ravel())), shape=(len(rf), len(mv)))
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = np.stack([mat @ m for m in maps])
    t_apply = time.perf_counter() - t0
    idx = faces[best]
    return ({"out": out, "indices": idx.astype(float).ravel(), "weights": w.ravel()},
            {"build": t_build, "apply": t_apply, "n": len(maps)})


def main():
    d = Path(sys.argv[1])
    job = json.loads((d / "job.json").read_text())
    result = {}
    for t in job["tasks"]:
        fn = {"volume": volume_task, "surface": surface_task, "sphere": sphere_task}[t["type"]]
        outs, timing = fn(d, t)
        for name, arr in outs.items():
            np.asarray(arr, dtype="<f8").ravel().tofile(d / f"{t['id']}.{name}.f8")
        result[t["id"]] = timing
    result["maxRssMiB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    (d / "result.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main()

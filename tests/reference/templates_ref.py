"""Whole template chains from files, in NumPy/SciPy/nibabel, independent of
the TypeScript code (tests/standard_space_test.ts, bench/templates_bench.ts).

Usage: templates_ref.py job.json out_dir

job.json: {"tasks": [...]}, each task
  {"id", "chain": "mni305", "volume": nii, "lta": path, "template": nii, "order": 0|1}
  {"id", "chain": "fsaverage", "volume": nii, "surface": lh.white, "sphere": lh.sphere.reg,
   "template": sphere.surf.gii, "interpolation": "linear"}
Writes out_dir/{id}.f4 (float32: MNI305 in NIfTI disk order, volume after
volume; fsaverage maps one after another) and out_dir/result.json (seconds
per step, peak RSS).

Algorithms as upstream's templates.py uses them:
- MNI305: nitransforms' Affine.from_filename(lta, fmt="fs") is the inverse
  of the LTA's RAS->RAS matrix (type 1); resampling.apply(..., order=0) is
  scipy.ndimage.map_coordinates(data, ijk, order=0, mode="constant", cval=0)
  on the reference grid, one volume at a time.
- fsaverage: nilearn.surface.vol_to_surf(img, surf, interpolation="linear")
  (kind "line", radius 3, 10 samples, c_ras added for FreeSurfer files), then
  nitransforms' barycentric SurfaceResampler (space_ref.py's sphere step).
"""

import json
import resource
import sys
import time
import warnings
from pathlib import Path

import nibabel as nib
import numpy as np
from scipy import ndimage, sparse
from scipy.interpolate import RegularGridInterpolator

sys.path.insert(0, str(Path(__file__).parent))
from space_ref import barycentric, outer_normals  # noqa: E402


def read_lta(path):
    lines = [ln.split("#")[0].strip() for ln in Path(path).read_text().splitlines()]
    typ = next(int(ln.split("=")[1]) for ln in lines if ln.startswith("type"))
    assert typ == 1, "reference handles LINEAR_RAS_TO_RAS only"
    i = lines.index("1 4 4")
    return np.array([[float(x) for x in lines[i + 1 + r].split()] for r in range(4)])


def mni305(t):
    t0 = time.perf_counter()
    img = nib.load(t["volume"])
    ref = nib.load(t["template"])
    m = np.linalg.inv(read_lta(t["lta"]))  # MNI RAS -> subject RAS
    ijk = np.indices(ref.shape[:3]).reshape(3, -1)
    world = ref.affine[:3, :3] @ ijk + ref.affine[:3, 3:4]
    src = np.linalg.inv(img.affine) @ (m @ np.vstack([world, np.ones(world.shape[1])]))
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    data = np.asarray(img.dataobj, dtype=np.float32)
    vols = data[..., None] if data.ndim == 3 else data
    outs = []
    for v in range(vols.shape[3]):
        o = ndimage.map_coordinates(np.nan_to_num(vols[..., v]), src[:3], order=t["order"],
                                    mode="constant", cval=0.0)
        outs.append(o.reshape(ref.shape[:3]).ravel(order="F").astype(np.float32))
    return np.concatenate(outs), {"build": build, "apply": time.perf_counter() - t0}


def sphere_matrix(mv, faces, rf):
    best, w = barycentric(mv, faces, rf)
    rows = np.repeat(np.arange(len(rf)), 3)
    return sparse.csr_matrix((w.ravel(), (rows, faces[best].ravel())), shape=(len(rf), len(mv)))


def fsaverage(t):
    t0 = time.perf_counter()
    img = nib.load(t["volume"])
    coords, faces, meta = nib.freesurfer.read_geometry(t["surface"], read_metadata=True)
    if "cras" in meta:
        coords = coords + meta["cras"]
    nrm = outer_normals(coords, faces)
    offs = np.linspace(3.0, -3.0, 10)
    locs = coords[:, None, :] + nrm[:, None, :] * offs[None, :, None]
    inv = np.linalg.inv(img.affine)
    vox = locs.reshape(-1, 3) @ inv[:3, :3].T + inv[:3, 3]
    shape = img.shape[:3]
    keep = np.all((vox >= 0) & (vox < np.asarray(shape)), axis=1)
    mv, mfaces = nib.freesurfer.read_geometry(t["sphere"])
    rf = np.asarray(nib.load(t["template"]).agg_data("pointset")).reshape(-1, 3)
    mat = sphere_matrix(mv, mfaces.astype(np.int64), rf)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    data = np.asarray(img.dataobj, dtype=np.float32)
    vols = data[..., None] if data.ndim == 3 else data
    grid = tuple(np.arange(s, dtype=float) for s in shape)
    outs = []
    for v in range(vols.shape[3]):
        rgi = RegularGridInterpolator(grid, vols[..., v].astype(float), method="linear",
                                      bounds_error=False, fill_value=None)
        s = rgi(vox)
        s[~keep] = np.nan
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            tex = np.nanmean(s.reshape(len(coords), 10), axis=1)
        outs.append((mat @ tex).astype(np.float32))
    return np.concatenate(outs), {"build": build, "apply": time.perf_counter() - t0}


def main():
    job = json.loads(Path(sys.argv[1]).read_text())
    out = Path(sys.argv[2])
    result = {}
    for t in job["tasks"]:
        arr, timing = {"mni305": mni305, "fsaverage": fsaverage}[t["chain"]](t)
        arr.astype("<f4").tofile(out / f"{t['id']}.f4")
        result[t["id"]] = timing
    result["maxRssMiB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    (out / "result.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main()

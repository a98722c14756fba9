"""Independent reference of the encoding tutorial, with the calls of upstream's
newest get-to-know-a-dataset.ipynb (ViCCo-Group/LAION-fMRI @ cee12e4):
scikit-learn's StandardScaler and RidgeCV(alphas, alpha_per_target=True,
scoring=make_scorer(correlation_score)), scipy's pearsonr and pdist, and
nibabel for the R^2 map. Debian's python3-sklearn / python3-scipy /
python3-nibabel (no pandas: the grouping is plain numpy).

Reads the problem the example dumps (`examples/encoding.ts --dump`):
  {subject, roi, sessions, betas: trials x voxels (every trial of the ROI, in
   session and trial order), labels, featureImages, features (one row per
   name), alphas, threshold, r2?: {statmap, sidecar, brainMask, t1w, trials}}
and writes a JSON result with every printed number, the lines the tutorial
prints (same format strings as the notebook), and the arrays behind them.

    /usr/bin/python3 tutorial_ref.py problem.json result.json
"""
import csv
import json
import math
import sys
import time

import numpy as np
from scipy.spatial.distance import pdist
from scipy.stats import pearsonr
from sklearn.linear_model import RidgeCV
from sklearn.metrics import make_scorer
from sklearn.preprocessing import StandardScaler


def correlation_score(observed, predicted):
    # The tutorial's scorer, as written there.
    observed = observed - observed.mean()
    predicted = predicted - predicted.mean()
    denominator = np.linalg.norm(observed) * np.linalg.norm(predicted)
    return float(observed @ predicted / denominator) if denominator > 0 else 0.0


def columnwise_pearson(a, b):
    # scipy 1.10's pearsonr has no axis argument (and refuses NaN): one call per
    # column, NaN for a column with a NaN (what pearsonr(..., axis=0) returns).
    return np.array([
        pearsonr(a[:, j], b[:, j]).statistic
        if np.isfinite(a[:, j]).all() and np.isfinite(b[:, j]).all() else np.nan
        for j in range(a.shape[1])
    ])


def r2_section(spec, subject, session):
    import nibabel as nib

    r2_img = nib.load(spec["statmap"])
    anat_img = nib.load(spec["t1w"])
    mask_img = nib.load(spec["brainMask"])
    with open(spec["sidecar"]) as f:
        r2_metadata = json.load(f)
    with open(spec["trials"]) as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    labels = [r["label"] for r in rows]
    assert r2_img.shape == anat_img.shape == mask_img.shape
    assert np.allclose(r2_img.affine, anat_img.affine)
    assert np.allclose(r2_img.affine, mask_img.affine)
    brain_mask = mask_img.get_fdata() > 0
    r2 = r2_img.get_fdata(dtype=np.float32)
    finite_in_brain = brain_mask & np.isfinite(r2)
    values = r2[finite_in_brain].astype(np.float64)
    shape = tuple(int(v) for v in r2_img.shape)
    zooms = tuple(float(v) for v in r2_img.header.get_zooms())
    return {
        "shape": list(shape),
        "zooms": list(zooms),
        "units": r2_metadata["Units"],
        "nTrials": len(rows),
        "nLabels": len(set(labels)),
        "brainVoxels": int(brain_mask.sum()),
        "finiteInBrain": int(finite_in_brain.sum()),
        "above10": int((values > 10).sum()),
        "median": float(np.median(values)),
        "lines": [
            "Volume shape: (" + ", ".join(str(v) for v in shape) + ")",
            "Voxel size (mm): (" + ", ".join(f"{v:g}" for v in zooms) + ")",
            f"R² units: {r2_metadata['Units']}",
            f"{len(rows):,} trials; {len(set(labels)):,} distinct labels",
            f"R² within the brain mask: {int(finite_in_brain.sum()):,} finite voxels, "
            f"{int((values > 10).sum()):,} above 10, median {float(np.median(values)):.3f}",
        ],
    }


def main(src, dst):
    with open(src) as f:
        p = json.load(f)
    subject, roi = p["subject"], p["roi"]
    betas = np.array(p["betas"], dtype=np.float64)
    labels = np.array(p["labels"], dtype=object)
    feature_row = {name: i for i, name in enumerate(p["featureImages"])}
    feature_rows = np.array(p["features"], dtype=np.float64)
    out = {}
    if p.get("r2"):
        out["r2"] = r2_section(p["r2"], subject, p["sessions"][0])

    t0 = time.perf_counter()
    # Average repetitions of the shared natural images (not shared_4rep_OOD_).
    shared_natural = np.array(
        [l.startswith("shared_") and not l.startswith("shared_4rep_OOD_") for l in labels]
    )
    image_ids = np.array(sorted(set(labels[shared_natural])), dtype=object)
    groups = {name: np.flatnonzero(labels == name) for name in image_ids}
    Y = np.array([betas[groups[name]].mean(axis=0) for name in image_ids])
    X = np.array([feature_rows[feature_row[name]] for name in image_ids])
    presentations = {}
    for name in image_ids:
        k = len(groups[name])
        presentations[k] = presentations.get(k, 0) + 1

    # Split the images and select reliable voxels (training images only).
    train_idx = np.arange(0, len(image_ids), 2)
    test_idx = np.arange(1, len(image_ids), 2)
    trial_groups = [groups[name] for name in image_ids[train_idx]]
    assert all(len(group) >= 2 for group in trial_groups)
    first_half = np.array([np.mean(betas[group[::2]], axis=0) for group in trial_groups])
    second_half = np.array([np.mean(betas[group[1::2]], axis=0) for group in trial_groups])
    repeat_r = columnwise_pearson(first_half, second_half)
    valid_voxels = (
        (repeat_r > p["threshold"])
        & np.isfinite(Y[train_idx]).all(axis=0)
        & (np.std(Y[train_idx], axis=0) > 0)
    )
    X_train, X_test = X[train_idx], X[test_idx]
    Y_train = Y[train_idx][:, valid_voxels]
    Y_test = Y[test_idx][:, valid_voxels]
    complete_test_images = np.isfinite(Y_test).all(axis=1)
    excluded = int((~complete_test_images).sum())
    X_test, Y_test = X_test[complete_test_images], Y_test[complete_test_images]

    # Fit the image-to-voxel mapping.
    scaler = StandardScaler()
    X_train_scaled = scaler.fit_transform(X_train)
    X_test_scaled = scaler.transform(X_test)
    encoder = RidgeCV(
        alphas=p["alphas"],
        alpha_per_target=True,
        scoring=make_scorer(correlation_score),
    )
    encoder.fit(X_train_scaled, Y_train)
    predicted_betas = encoder.predict(X_test_scaled)
    voxel_r = columnwise_pearson(Y_test, predicted_betas)
    median_r = float(np.median(voxel_r))
    mean_r = float(pearsonr(Y_test.mean(axis=1), predicted_betas.mean(axis=1)).statistic)

    # wRSA on the original betas.
    measured_rdm = pdist(Y_test, metric="correlation")
    predicted_rdm = pdist(predicted_betas, metric="correlation")
    assert np.isfinite(measured_rdm).all() and np.isfinite(predicted_rdm).all()
    wrsa = float(pearsonr(measured_rdm, predicted_rdm).statistic)
    seconds = time.perf_counter() - t0

    roi_label = roi.replace("FFA1", "FFA-1")
    alphas = np.atleast_1d(encoder.alpha_).astype(float)
    chosen = {}
    for a in alphas:
        chosen[float(a)] = chosen.get(float(a), 0) + 1
    out.update({
        "nTrials": int(len(labels)),
        "nVoxels": int(betas.shape[1]),
        "nImages": int(len(image_ids)),
        "nFeatures": int(X.shape[1]),
        "presentations": {str(k): v for k, v in sorted(presentations.items())},
        "nTrain": int(len(X_train)),
        "nTest": int(len(X_test)),
        "excludedTestImages": excluded,
        "reliableVoxels": int(Y_train.shape[1]),
        "images": list(image_ids),
        "reliability": [None if math.isnan(v) else float(v) for v in repeat_r],
        "voxels": [int(v) for v in np.flatnonzero(valid_voxels)],
        "bestAlpha": [float(a) for a in alphas],
        "alphaCounts": {f"{a:g}": n for a, n in sorted(chosen.items())},
        "voxelR": [float(v) for v in voxel_r],
        "medianR": median_r,
        "meanResponseR": mean_r,
        "wrsa": wrsa,
        "seconds": seconds,
        "lines": (out["r2"]["lines"] if "r2" in out else []) + [
            f"Loaded {len(labels):,} trials × {betas.shape[1]} {roi_label} voxels across "
            f"{len(p['sessions'])} sessions",
            f"Aligned data: {len(image_ids)} images, {X.shape[1]} features",
            "Presentations per image: "
            + ", ".join(f"{k} → {v} images" for k, v in sorted(presentations.items())),
            f"Excluded test images with missing responses: {excluded}",
            f"Train: {len(X_train)} images; test: {len(X_test)} images; "
            f"reliable voxels: {Y_train.shape[1]}",
            "Alphas chosen (leave-one-out correlation): "
            + ", ".join(f"{a:g} ×{n}" for a, n in sorted(chosen.items())),
            f"Median held-out voxel correlation: {median_r:.3f}",
            f"Correlation of mean {roi_label.split('-')[0]} responses: {mean_r:.3f}",
            f"CLIP → {roi_label}, {subject}, shared natural images: wRSA = {wrsa:.3f}",
        ],
    })
    with open(dst, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

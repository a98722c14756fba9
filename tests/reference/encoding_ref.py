"""Independent numpy reference of lib/analysis (the tutorial's encoding model).

Reads a JSON problem {trials: [[...]...], images: [...], features: [[...]...]
(one row per sorted unique image), alphas, threshold}, writes a JSON result.
Only numpy: ridge in primal form, one np.linalg.solve per alpha, leave-one-out
residuals from the diagonal of the hat matrix (intercept unpenalised, data
centred with training means) -- a different route from the TypeScript code
(dual form, one eigendecomposition of X X^T).

    /usr/bin/python3 encoding_ref.py problem.json result.json
"""
import json
import sys
import time

import numpy as np


def rankdata(x):
    """Average ranks 1..n (ties share their mean rank)."""
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    ranks = np.empty(len(x))
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and xs[j + 1] == xs[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def colcorr(a, b):
    a = a - a.mean(0)
    b = b - b.mean(0)
    return (a * b).sum(0) / np.sqrt((a * a).sum(0) * (b * b).sum(0))


def rdm(y):
    c = np.corrcoef(y)
    iu = np.triu_indices(y.shape[0], 1)
    return 1 - c[iu]


def main(src, dst):
    p = json.load(open(src))
    trials = np.array(p["trials"], dtype=np.float64)
    names = p["images"]
    feats = np.array(p["features"], dtype=np.float64)
    alphas = np.array(p["alphas"], dtype=np.float64)
    t0 = time.perf_counter()  # the computation only, for bench/encoding_bench.ts
    images = sorted(set(names))
    mean, odd, even = [], [], []
    for im in images:
        idx = [t for t, n in enumerate(names) if n == im]
        mean.append(trials[idx].mean(0))
        odd.append(trials[idx[0::2]].mean(0))
        even.append(trials[idx[1::2]].mean(0))
    mean, odd, even = np.array(mean), np.array(odd), np.array(even)
    rel = colcorr(odd, even)
    keep = np.where(rel > p["threshold"])[0]
    tr, te = np.arange(len(images))[0::2], np.arange(len(images))[1::2]
    y = mean[:, keep]

    def z(a):
        m, s = a[tr].mean(0), a[tr].std(0)
        s[s == 0] = 1
        return (a[tr] - m) / s, (a[te] - m) / s

    xtr, xte = z(feats)
    ytr, yte = z(y)
    xm, ym = xtr.mean(0), ytr.mean(0)
    xc, yc, xtc = xtr - xm, ytr - ym, xte - xm
    n, d = xc.shape
    loo = np.zeros((len(alphas), y.shape[1]))
    preds = []
    for q, a in enumerate(alphas):
        inv_xt = np.linalg.solve(xc.T @ xc + a * np.eye(d), xc.T)  # d x n
        w = inv_xt @ yc
        hat = np.einsum("ij,ji->i", xc, inv_xt) + 1.0 / n
        loo[q] = (((yc - xc @ w) / (1 - hat)[:, None]) ** 2).mean(0)
        preds.append(xtc @ w + ym)
    best = np.argmin(loo, axis=0)
    pred = np.stack([preds[best[v]][:, v] for v in range(len(best))], axis=1)
    r = colcorr(yte, pred)
    rho = np.corrcoef(rankdata(rdm(yte)), rankdata(rdm(pred)))[0, 1]
    out = {
        "images": images,
        "reliability": rel.tolist(),
        "voxels": keep.tolist(),
        "looError": loo.ravel().tolist(),
        "bestAlphaIndex": best.tolist(),
        "prediction": pred.ravel().tolist(),
        "voxelR": r.tolist(),
        "medianR": float(np.median(r)),
        "wrsa": float(rho),
        "seconds": time.perf_counter() - t0,
    }
    json.dump(out, open(dst, "w"))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

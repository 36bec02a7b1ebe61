#!/usr/bin/env python3
"""XGBoost and LightGBM on Hone's own feature rows: the anchor that tells
whether the features or Hone's learner limit the cost model.

usage: anchor.py CSV_DIR      (CSV_DIR as written by bench-model --csv)

Same protocol as bench-model: per kernel, train on the first N measured
programs (N = 64, 128, 200) and rank the next 64; and leave one kernel out.
A program is the sum of its feature rows (the pack-sum model's score is a
sum over rows, so summed rows carry what it sees); labels are throughput
relative to the best of the training set. Prints one markdown table in
bench-model's format.
"""
import csv
import glob
import os
import sys

import numpy as np
import lightgbm as lgb
import xgboost as xgb


def load(path):
    programs, seconds = {}, {}
    with open(path) as f:
        rows = csv.reader(f)
        next(rows)
        for r in rows:
            p = int(r[0])
            v = np.array([float(x) for x in r[2:]], dtype=np.float64)
            programs[p] = programs.get(p, 0) + v
            seconds[p] = float(r[1])
    order = sorted(programs)
    x = np.stack([programs[p] for p in order])
    s = np.array([seconds[p] for p in order])
    return x, s


def throughput(s):
    t = np.where(s > 0, 1 / np.where(s > 0, s, 1), 0.0)
    return t / t.max() if t.max() > 0 else t


def ranks(v):
    order = np.argsort(v, kind="stable")
    r = np.empty(len(v))
    r[order] = np.arange(len(v))
    # average ties
    _, inverse, counts = np.unique(v, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=r)
    return sums[inverse] / counts[inverse]


def quality(pred, s):
    m = throughput(s)
    out = []
    rp, rm = ranks(pred), ranks(m)
    out.append(np.corrcoef(rp, rm)[0, 1] if rp.std() > 0 and rm.std() > 0 else np.nan)
    agree = pairs = 0.0
    for i in range(len(m)):
        for j in range(i + 1, len(m)):
            if m[i] != m[j]:
                pairs += 1
                if pred[i] == pred[j]:
                    agree += 0.5
                elif (m[i] < m[j]) == (pred[i] < pred[j]):
                    agree += 1
    out.append(agree / pairs if pairs else np.nan)
    k = min(8, len(m) // 2)
    out.append(len(set(np.argsort(-m)[:k]) & set(np.argsort(-pred)[:k])) / k)
    return out


def grade(labels):
    # LightGBM's lambdarank wants integer relevance: 0..30 by relative throughput.
    return np.floor(labels * 30).astype(int)


def fit_predict(name, x, y, queries, xt):
    if name == "xgb-pairwise":
        d = xgb.DMatrix(x, label=y)
        d.set_group(queries)
        m = xgb.train({"objective": "rank:pairwise", "max_depth": 6, "eta": 0.2, "verbosity": 0, "nthread": 2}, d, 100)
        return m.predict(xgb.DMatrix(xt))
    if name == "xgb-regression":
        m = xgb.train({"objective": "reg:squarederror", "max_depth": 10, "eta": 0.2, "verbosity": 0, "nthread": 2},
                      xgb.DMatrix(x, label=y), 100)
        return m.predict(xgb.DMatrix(xt))
    if name == "lgb-lambdarank":
        m = lgb.LGBMRanker(n_estimators=100, num_leaves=31, learning_rate=0.2, min_child_samples=2, verbose=-1, n_jobs=2)
        m.fit(x, grade(y), group=queries)
        return m.predict(xt)
    raise ValueError(name)


def main():
    files = sorted(glob.glob(os.path.join(sys.argv[1], "*.csv")))
    kernels = [(os.path.basename(f)[:-4], *load(f)) for f in files]
    kernels = [k for k in kernels if len(k[2]) >= 80]
    print("| variant | situation | Spearman | pairwise accuracy | top-8 recall |")
    print("|---|---|---|---|---|")
    for name in ["xgb-pairwise", "xgb-regression", "lgb-lambdarank"]:
        for n in [64, 128, 200]:
            scores = []
            for _, x, s in kernels:
                if len(s) < n + 32:
                    continue
                pred = fit_predict(name, x[:n], throughput(s[:n]), [n], x[n:n + 64])
                scores.append(quality(pred, s[n:n + 64]))
            q = np.nanmean(np.array(scores), axis=0)
            print(f"| {name} | own first {n}, next 64 | {q[0]:.3f} | {q[1]:.3f} | {q[2]:.3f} |")
        scores = []
        for i, (_, x, s) in enumerate(kernels):
            others = [k for j, k in enumerate(kernels) if j != i]
            xs = np.concatenate([k[1] for k in others])
            ys = np.concatenate([throughput(k[2]) for k in others])
            pred = fit_predict(name, xs, ys, [len(k[2]) for k in others], x)
            scores.append(quality(pred, s))
        q = np.nanmean(np.array(scores), axis=0)
        print(f"| {name} | leave one kernel out | {q[0]:.3f} | {q[1]:.3f} | {q[2]:.3f} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()

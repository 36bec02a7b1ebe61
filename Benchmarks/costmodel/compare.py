#!/usr/bin/env python3
"""XGBoost and LightGBM on the synthetic cost-model data set, measured exactly
as bench-costmodel measures Hone's trees, and the side-by-side table of both.

  compare.py run   --data DIR [--repeats N] [--phase main|busy|seeds]   # JSON lines on stdout
  compare.py table FILE.jsonl...                                  # one markdown table

Same data (the CSVs parsed as float64, rounded to float32, as bench-costmodel
does), same splits (train / held-out), same hyper-parameters where the
libraries share them (depth 6, learning rate 0.2, lambda 1, min child weight 1,
256 bins). Training time includes building the library's data set (binning),
as Hone's includes its quantization. Prediction: one thread, the held-out rows
tiled 20x (102,400 rows), median of 5. Metrics: held-out RMSE of y, Spearman
over all held-out rows, and per group top-1, top-8 recall and the y_rel of
the predicted best (ties broken by the first row, as in bench-costmodel).
"""
import argparse, json, sys, time
from collections import defaultdict


def read_csv(path):
    import numpy as np
    M = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64)
    return M[:, 0].astype(np.int64), M[:, 3:].astype(np.float32), M[:, 1].astype(np.float32), M[:, 2].astype(np.float32)


def ranks(v):
    import numpy as np
    order = np.argsort(v, kind="stable")
    r = np.empty(len(v))
    sv = v[order]
    i = 0
    while i < len(v):
        j = i
        while j + 1 < len(v) and sv[j + 1] == sv[i]:
            j += 1
        r[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return r


def score(pred, g, y, yrel, with_rmse):
    import numpy as np
    pred = np.asarray(pred, dtype=np.float32)
    ra, rb = ranks(pred), ranks(y)
    spearman = float(np.corrcoef(ra, rb)[0, 1])
    top1 = top8 = pick = 0.0
    groups = np.unique(g)
    for k in groups:
        idx = np.nonzero(g == k)[0]
        by_pred = idx[np.lexsort((idx, -pred[idx]))]
        by_true = idx[np.lexsort((idx, -y[idx]))]
        top1 += by_pred[0] == by_true[0]
        n = min(8, len(idx))
        top8 += len(set(by_pred[:n]) & set(by_true[:n])) / n
        pick += float(yrel[by_pred[0]])
    rmse = float(np.sqrt(np.mean((pred.astype(np.float64) - y) ** 2))) if with_rmse else None
    G = len(groups)
    return {"rmse": rmse, "spearman": spearman, "top1": top1 / G, "top8": top8 / G, "yrel": pick / G}


def run(args):
    import numpy as np
    import xgboost as xgb
    import lightgbm as lgb

    g, X, y, _ = read_csv(args.data + "/costmodel_synth.csv")
    hg, hX, hy, hyrel = read_csv(args.data + "/costmodel_synth_heldout.csv")
    sizes = np.unique(g, return_counts=True)[1]  # groups are consecutive and ascending
    tiled = np.ascontiguousarray(np.tile(hX, (20, 1)))

    def emit(**r):
        print(json.dumps(r, sort_keys=True), flush=True)

    def timed(train):
        times, model = [], None
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            model = train()
            times.append(time.perf_counter() - t0)
        return times, model

    def speed(predict):
        rates = []
        for _ in range(5):
            t0 = time.perf_counter()
            p = predict(tiled)
            rates.append(len(tiled) / (time.perf_counter() - t0))
            assert len(p) == len(tiled)
        return sorted(rates)[len(rates) // 2]

    def xgb_params(objective, threads):
        return {"tree_method": "hist", "objective": objective, "max_depth": 6, "eta": 0.2, "lambda": 1.0,
                "min_child_weight": 1.0, "max_bin": 256, "nthread": threads, "verbosity": 0}

    def xgb_train(objective, trees, threads):
        def train():
            d = xgb.DMatrix(X, label=y, nthread=threads)
            if objective.startswith("rank"):
                d.set_group(sizes)
            return xgb.train(xgb_params(objective, threads), d, num_boost_round=trees)
        return train

    def xgb_predict(model):
        model.set_param({"nthread": 1})
        return lambda rows: model.inplace_predict(rows)

    def lgb_params(threads):
        # LightGBM's own defaults otherwise (lambda 0, min_data_in_leaf 20), as
        # in the reference figures of ../shared/costmodel/README.md.
        return {"objective": "regression", "num_leaves": 31, "learning_rate": 0.2, "max_bin": 255,
                "num_threads": threads, "verbose": -1}

    def lgb_train(trees, threads):
        return lambda: lgb.train(lgb_params(threads), lgb.Dataset(X, label=y, params={"verbose": -1}), num_boost_round=trees)

    if args.phase == "seeds":
        # The noise band of the held-out metrics: 5 seeds of 90% row subsampling.
        for seed in range(1, 6):
            p = xgb_params("reg:squarederror", 2)
            p.update(subsample=0.9, seed=seed)
            m = xgb.train(p, xgb.DMatrix(X, label=y, nthread=2), num_boost_round=100)
            emit(model="xgboost-bag", seed=seed, trees=100, threads=2, busy=False, trainSeconds=[],
                 scores=score(m.inplace_predict(hX), hg, hy, hyrel, True))
            p = lgb_params(2)
            p.update(bagging_fraction=0.9, bagging_freq=1, seed=seed)
            m = lgb.train(p, lgb.Dataset(X, label=y, params={"verbose": -1}), num_boost_round=100)
            emit(model="lightgbm-bag", seed=seed, trees=100, threads=2, busy=False, trainSeconds=[],
                 scores=score(m.predict(hX, num_threads=2), hg, hy, hyrel, True))
        return

    if args.phase == "busy":
        for threads in (1, 2):
            t, _ = timed(xgb_train("reg:squarederror", 100, threads))
            emit(model="xgboost", trees=100, threads=threads, busy=True, trainSeconds=t)
            t, _ = timed(lgb_train(100, threads))
            emit(model="lightgbm", trees=100, threads=threads, busy=True, trainSeconds=t)
        return

    for trees in (100, 300):
        for threads in (1, 2):
            t, m = timed(xgb_train("reg:squarederror", trees, threads))
            sp = speed(xgb_predict(m)) if threads == 1 else None
            emit(model="xgboost", trees=trees, threads=threads, busy=False, trainSeconds=t, predictRowsPerSecond=sp,
                 scores=score(m.inplace_predict(hX), hg, hy, hyrel, True))
            t, m = timed(lgb_train(trees, threads))
            sp = speed(lambda rows: m.predict(rows, num_threads=1)) if threads == 1 else None
            emit(model="lightgbm", trees=trees, threads=threads, busy=False, trainSeconds=t, predictRowsPerSecond=sp,
                 scores=score(m.predict(hX, num_threads=2), hg, hy, hyrel, True))
    for threads in (1, 2):
        t, m = timed(xgb_train("rank:pairwise", 100, threads))
        sp = speed(xgb_predict(m)) if threads == 1 else None
        emit(model="xgboost-rank", trees=100, threads=threads, busy=False, trainSeconds=t, predictRowsPerSecond=sp,
             scores=score(m.inplace_predict(hX), hg, hy, hyrel, False))


NAMES = {
    "hone": "Hone GBT, squared error, depth 6",
    "xgboost": "XGBoost hist, depth 6",
    "hone-leaves": "Hone GBT, squared error, 31 leaves (best-first)",
    "lightgbm": "LightGBM, 31 leaves",
    "hone-rank": "Hone GBT, pairwise rank, depth 6",
    "xgboost-rank": "XGBoost rank:pairwise, depth 6",
}


def table(args):
    import statistics as st
    times = defaultdict(list)
    bags = defaultdict(list)
    first = {}
    versions = {}
    for path in args.files:
        for line in open(path):
            line = line.strip()
            if not line.startswith("{"):
                continue
            r = json.loads(line)
            if "versions" in r:
                versions.update(r["versions"])
                continue
            if r["model"].endswith("-bag"):
                bags[r["model"]].append(r["scores"])
                continue
            key = (r["model"], r["trees"], r["threads"], r["busy"])
            times[key] += r["trainSeconds"]
            first.setdefault(key, r)

    def med(key):
        return st.median(times[key]) if times.get(key) else None

    def fmt_t(key):
        m = med(key)
        if m is None:
            return "-"
        return "%.2f s" % m + (" (n=%d)" % len(times[key]) if len(times[key]) > 1 else "")

    def fmt(x, f="%.3f"):
        return "-" if x is None else f % x

    out = []
    out.append("| model | trees | train, 1 thread | train, 2 threads | other core busy: 1 thread | 2 threads | "
               "predict rows/s, 1 thread | held-out RMSE | Spearman | top-1 | top-8 | y_rel of pick |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for model in ("hone", "xgboost", "hone-leaves", "lightgbm", "hone-rank", "xgboost-rank"):
        for trees in (100, 300):
            k1 = (model, trees, 1, False)
            if k1 not in first:
                continue
            r = first[k1]
            s = r.get("scores") or {}
            sp = r.get("predictRowsPerSecond")
            out.append("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                NAMES.get(model, model), trees, fmt_t(k1), fmt_t((model, trees, 2, False)),
                fmt_t((model, trees, 1, True)), fmt_t((model, trees, 2, True)),
                "-" if sp is None else "{:,.0f}".format(sp), fmt(s.get("rmse")), fmt(s.get("spearman")),
                fmt(s.get("top1")), fmt(s.get("top8")), fmt(s.get("yrel"))))
    for model in ("hone", "xgboost", "hone-leaves", "lightgbm"):
        runs = bags.get(model + "-bag")
        if not runs:
            continue
        def band(k):
            v = [r[k] for r in runs]
            return "%.3f ± %.3f" % (st.mean(v), st.stdev(v) if len(v) > 1 else 0)
        out.append("| %s, row subsample 0.9, %d seeds (mean ± sd) | 100 | | | | | | %s | %s | %s | %s | %s |" % (
            NAMES[model], len(runs), band("rmse"), band("spearman"), band("top1"), band("top8"), band("yrel")))
    print("\n".join(out))
    print()
    for trees in (100, 300):
        h, hl = med(("hone", trees, 1, False)), med(("hone-leaves", trees, 1, False))
        x, l = med(("xgboost", trees, 1, False)), med(("lightgbm", trees, 1, False))
        if h and hl and x and l:
            print("Training, %d trees, 1 thread: Hone depth 6 / XGBoost = %.2f, Hone depth 6 / LightGBM = %.2f, "
                  "Hone 31 leaves / LightGBM = %.2f (medians; < 1: Hone is faster)" % (trees, h / x, h / l, hl / l))
    for model in ("hone", "xgboost", "lightgbm"):
        one, two = med((model, 100, 1, True)), med((model, 100, 2, True))
        if one and two:
            print("Other core busy, 100 trees: %s with 2 threads takes %.2fx its 1-thread time" % (NAMES[model], two / one))
    # Accuracy against the better library, on the noise bands (5 seeds).
    def mean(model, k):
        runs = bags.get(model + "-bag")
        return st.mean(r[k] for r in runs) if runs else None
    for hone in ("hone", "hone-leaves"):
        parts = []
        for k, label in (("spearman", "Spearman"), ("top8", "top-8"), ("yrel", "y_rel of pick")):
            h, libs = mean(hone, k), [v for v in (mean("xgboost", k), mean("lightgbm", k)) if v is not None]
            if h is not None and libs:
                parts.append("%s %+.1f%%" % (label, 100 * (h / max(libs) - 1)))
        if parts:
            print("%s vs the better library (5-seed means): %s" % (NAMES[hone], ", ".join(parts)))
    if versions:
        print("Versions: " + ", ".join("%s %s" % kv for kv in sorted(versions.items())))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--data", required=True)
    r.add_argument("--repeats", type=int, default=3)
    r.add_argument("--phase", choices=["main", "busy", "seeds"], default="main")
    t = sub.add_parser("table")
    t.add_argument("files", nargs="+")
    sub.add_parser("versions")
    a = ap.parse_args()
    if a.cmd == "run":
        run(a)
    elif a.cmd == "versions":
        import numpy, xgboost, lightgbm
        print(json.dumps({"versions": {"numpy": numpy.__version__, "xgboost": xgboost.__version__,
                                       "lightgbm": lightgbm.__version__, "python": sys.version.split()[0]}}))
    else:
        table(a)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Search efficiency and model quality from `hone tune` records.

usage: analyze.py RECORDS.jsonl [RECORDS.jsonl ...] [--flops N]

For each file: the best speed after 64, 200, 300 and 1,000 search trials
per strategy, and, for the evolutionary strategy, the trained model's
held-out ranking quality on the search's own candidates: each record keeps
the score the model gave the candidate before it was measured, so for a
window of 64 trials after 200, 500 and 1,000 measured candidates this
(and the last 64) prints the Spearman correlation of score and measured throughput (failed
candidates count as throughput 0) and the top-8 recall (how many of the
window's 8 fastest are among the model's 8 best-scored).
"""
import json
import sys


def spearman(a, b):
    def ranks(v):
        order = sorted(range(len(v)), key=lambda i: v[i])
        r = [0.0] * len(v)
        i = 0
        while i < len(order):
            j = i
            while j + 1 < len(order) and v[order[j + 1]] == v[order[i]]:
                j += 1
            for k in range(i, j + 1):
                r[order[k]] = (i + j) / 2
            i = j + 1
        return r
    if len(a) < 3:
        return None
    ra, rb = ranks(a), ranks(b)
    ma, mb = sum(ra) / len(ra), sum(rb) / len(rb)
    num = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    den = (sum((x - ma) ** 2 for x in ra) * sum((y - mb) ** 2 for y in rb)) ** 0.5
    return num / den if den > 0 else None


def load(path):
    records = []
    for line in open(path):
        try:
            records.append(json.loads(line))
        except ValueError:
            pass
    return records


def main():
    args = sys.argv[1:]
    flops = None
    if "--flops" in args:
        i = args.index("--flops")
        flops = float(args[i + 1])
        del args[i:i + 2]
    for path in args:
        records = load(path)
        by_strategy = {}
        for r in records:
            strategy = (r.get("candidate") or {}).get("strategy", "measure")
            if strategy in ("final", "default"):
                continue
            by_strategy.setdefault(strategy, []).append(r)
        print(f"== {path}")
        for strategy, rs in by_strategy.items():
            best, row = float("inf"), []
            for n, r in enumerate(rs, 1):
                s = (r.get("result") or {}).get("median_s")
                if s:
                    best = min(best, s)
                if n in (64, 200, 300, 1000) or n == len(rs):
                    speed = f"{flops / best / 1e9:.1f} GFLOP/s" if flops and best < float("inf") else f"{best * 1e3:.3f} ms"
                    row.append(f"{n}: {speed}")
            print(f"  {strategy}: best after " + ", ".join(row))
            if strategy != "evolutionary":
                continue
            for checkpoint in sorted({c for c in (200, 500, 1000, len(rs) - 64) if c >= 64}):
                window = [r for r in rs[checkpoint:checkpoint + 64] if r["candidate"].get("predicted") is not None]
                if len(window) < 16:
                    continue
                score = [r["candidate"]["predicted"] for r in window]
                speed = [1 / r["result"]["median_s"] if "result" in r else 0.0 for r in window]
                rho = spearman(score, speed)
                top_true = set(sorted(range(len(window)), key=lambda i: -speed[i])[:8])
                top_model = set(sorted(range(len(window)), key=lambda i: -score[i])[:8])
                print(f"  model after {checkpoint}: held-out Spearman {rho:.2f} on {len(window)} candidates, "
                      f"top-8 recall {len(top_true & top_model) / 8:.2f}")


if __name__ == "__main__":
    main()

"""compare.py BEFORE_DIR AFTER_DIR: per feature column, how many rows of the
CSV files (hone features) differ between two directories of the same names."""
import csv, os, sys, collections
before_dir, after_dir = sys.argv[1], sys.argv[2]
def load(path):
    with open(path) as f:
        lines = [l for l in f if not l.startswith("#")]
    rows = list(csv.reader(lines))
    return rows[0], rows[1:]
diff_rows = collections.Counter(); diff_files = collections.defaultdict(set)
max_rel = collections.defaultdict(float)
total_rows = 0; mismatched_shape = []
for name in sorted(os.listdir(before_dir)):
    if not name.endswith(".csv"): continue
    a = os.path.join(after_dir, name)
    if not os.path.exists(a): mismatched_shape.append((name, "missing after")); continue
    hb, rb = load(os.path.join(before_dir, name)); ha, ra = load(a)
    if len(rb) != len(ra): mismatched_shape.append((name, f"{len(rb)} rows before, {len(ra)} after")); continue
    total_rows += len(rb)
    ia = {c: i for i, c in enumerate(ha)}
    for c in hb:
        if c not in ia: mismatched_shape.append((name, f"column {c} gone")); continue
    for c in ha:
        if c not in hb: mismatched_shape.append((name, f"column {c} new"))
    for x, y in zip(rb, ra):
        for i, c in enumerate(hb):
            if c not in ia or c in ("seconds",): continue
            u, v = x[i], y[ia[c]]
            if u == v: continue
            try:
                fu, fv = float(u), float(v)
                if fu == fv: continue
                rel = abs(fu - fv) / max(abs(fu), abs(fv), 1e-30)
            except ValueError:
                rel = float("inf")
            diff_rows[c] += 1; diff_files[c].add(name.replace(".csv", ""))
            max_rel[c] = max(max_rel[c], rel)
files = len([n for n in os.listdir(before_dir) if n.endswith(".csv")])
print(f"{files} files, {total_rows} feature rows compared")
for n, why in mismatched_shape: print(f"  {n}: {why}")
if not diff_rows: print("identical: every column of every row"); sys.exit(0 if not mismatched_shape else 1)
for c, n in diff_rows.most_common():
    fs = sorted(diff_files[c])
    print(f"  {c}: {n} rows differ (max rel {max_rel[c]:.3g}) in {len(fs)} files: {', '.join(fs[:6])}{' ...' if len(fs) > 6 else ''}")
sys.exit(1)

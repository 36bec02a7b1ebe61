#!/usr/bin/env bash
# Hone's gradient-boosted trees against XGBoost (hist) and LightGBM on the same
# synthetic cost-model data, in the same run; prints one markdown table.
#
#   Benchmarks/costmodel/run.sh            # from anywhere; ROUNDS=3 by default
#   ROUNDS=5 Benchmarks/costmodel/run.sh
#
# Creates Benchmarks/.build-venv (numpy, xgboost, lightgbm from PyPI: for this
# comparison only, never a dependency of Hone), generates the data set into
# Benchmarks/.build-data with ../shared/costmodel/gen_dataset.py (override
# with GEN_DATASET=path), builds bench-costmodel in release mode, and then
# alternates Hone and the libraries ROUNDS times so that both see the same
# machine load; times are medians. A last phase holds one core with a busy
# loop (a child of this script, stopped by its PID) and times 2-thread
# training again. Progress goes to stderr, the report to stdout.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BENCH=$(dirname "$HERE")
ROOT=$(dirname "$BENCH")
ROUNDS=${ROUNDS:-3}
VENV=$BENCH/.build-venv
DATA=$BENCH/.build-data
SCRATCH=$BENCH/.build-costmodel
LLVM_CONFIG=${LLVM_CONFIG:-llvm-config-19}
LLVM_INCLUDE=$($LLVM_CONFIG --includedir 2>/dev/null || echo /usr/lib/llvm-19/include)
say() { echo "run.sh: $*" >&2; }

# 1. The libraries, in a virtual environment of their own.
if ! "$VENV/bin/python" -c "import numpy, xgboost, lightgbm" 2>/dev/null; then
    say "creating $VENV with numpy, xgboost, lightgbm from PyPI"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet numpy xgboost lightgbm >&2
fi
PY=$VENV/bin/python

# 2. The data set (never committed: .build* is ignored).
# The generator lives beside the repository: ../shared/costmodel/gen_dataset.py.
SHARED=$(cd "$ROOT/.." && pwd)/shared
GEN=${GEN_DATASET:-$SHARED/costmodel/gen_dataset.py}
if [ ! -f "$DATA/costmodel_synth.csv" ] || [ ! -f "$DATA/costmodel_synth_heldout.csv" ]; then
    if [ ! -f "$GEN" ]; then
        if [ -n "${GEN_DATASET:-}" ]; then
            say "error: GEN_DATASET=$GEN_DATASET: no such file."
        else
            say "error: $GEN is missing: the data-set generator is expected in $SHARED/costmodel,"
            say "the shared/ folder next to the repository ($ROOT)."
        fi
        say "Set GEN_DATASET=/path/to/gen_dataset.py, or put the two CSVs in $DATA."
        exit 1
    fi
    mkdir -p "$DATA"
    say "generating the data set with $GEN"
    "$PY" "$GEN" --outdir "$DATA" >&2
fi
MD5=$(cd "$DATA" && md5sum costmodel_synth.csv costmodel_synth_heldout.csv | awk '{print $1}' | tr '\n' ' ')
if [ "$MD5" != "503c14bee6b1e49bb8a75b801ce7bb3c e6619d25c5a354992c2946299a72fa0b " ]; then
    say "warning: the CSVs' md5 ($MD5) differ from the reference in ../shared/costmodel/README.md"
fi

# 3. Hone's side, release build (debug timings mean nothing).
say "building bench-costmodel (release)"
(cd "$BENCH" && swift build -c release -Xcc -I"$LLVM_INCLUDE" --scratch-path "$SCRATCH" --product bench-costmodel >&2)
BIN=$SCRATCH/release/bench-costmodel

# 4. Alternate Hone and the libraries.
OUT=$(mktemp -d "$DATA/run.XXXXXX")  # raw JSON lines of this run (concurrent runs don't mix)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
"$PY" "$HERE/compare.py" versions > "$OUT/versions.jsonl"
for round in $(seq "$ROUNDS"); do
    say "round $round/$ROUNDS: Hone"
    "$BIN" --data "$DATA" --repeats 1 >> "$OUT/hone.jsonl"
    say "round $round/$ROUNDS: XGBoost and LightGBM"
    "$PY" "$HERE/compare.py" run --data "$DATA" --repeats 1 >> "$OUT/libraries.jsonl"
done
say "noise band: 5 seeds of row subsampling each"
"$BIN" --data "$DATA" --phase seeds >> "$OUT/hone.jsonl"
"$PY" "$HERE/compare.py" run --data "$DATA" --phase seeds >> "$OUT/libraries.jsonl"

# 5. 2-thread training while another process holds a core.
say "2 threads with one core held by a busy loop"
( while :; do :; done ) &
BUSY=$!
trap 'kill "$BUSY" 2>/dev/null || true' EXIT
for round in $(seq "$ROUNDS"); do
    "$BIN" --data "$DATA" --repeats 1 --phase busy >> "$OUT/hone.jsonl"
    "$PY" "$HERE/compare.py" run --data "$DATA" --repeats 1 --phase busy >> "$OUT/libraries.jsonl"
done
kill "$BUSY" 2>/dev/null || true
wait "$BUSY" 2>/dev/null || true
trap - EXIT
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# 6. The report.
echo "# Cost model: Hone's gradient-boosted trees vs XGBoost and LightGBM"
echo
echo "Command: ROUNDS=$ROUNDS Benchmarks/costmodel/run.sh ($(date -u '+%Y-%m-%d %H:%M UTC'))"
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); load average $LOAD_BEFORE before, $LOAD_AFTER after (other processes share the cores: ratios within this run are the result, not absolute times)"
echo "Data: gen_dataset.py, 20,000 training rows x 164 features, 5,120 held-out rows (80 groups of 64, unseen kernels); md5 $MD5"
echo "Settings: learning rate 0.2; depth 6 (Hone, XGBoost) or 31 leaves grown best-first (Hone, LightGBM); Hone and XGBoost: lambda 1, min child weight 1, 256 bins; LightGBM: its defaults otherwise (lambda 0, min_data_in_leaf 20, 255 bins). Training times include binning; medians of $ROUNDS alternating runs; prediction: 1 thread, 102,400 rows"
echo
"$PY" "$HERE/compare.py" table "$OUT/versions.jsonl" "$OUT/hone.jsonl" "$OUT/libraries.jsonl"
echo
echo "Raw measurements: $OUT"

#!/bin/bash
# corpus.sh HONE [DIR]: a corpus of measured records for comparing the cost
# model's feature rows across versions (compare.sh). With the hone binary
# HONE it measures 60 random schedules of every kernel at the small shapes of
# shapes.tsv and the hand schedules of Kernels/ at their default sizes, and
# adds the suite's tuning records (search candidates) when `make bench` has
# written them. DIR defaults to Benchmarks/results/feature-corpus; records
# already there are kept. entries.tsv lists each records file, kernel, --set.
set -e
HONE=$(realpath "${1:?usage: corpus.sh HONE [DIR]}")
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
DIR=${2:-$REPO/Benchmarks/results/feature-corpus}
mkdir -p "$DIR/records"
cd "$DIR"
: > entries.tsv
measure() { "$HONE" measure "$@" --min-repeat-ms 1 --repeats 1 >/dev/null 2>&1 || true; }
grep -v '^#' "$HERE/shapes.tsv" | while IFS=$'\t' read -r name kernel set; do
  out=records/random-$name.jsonl
  [ -s $out ] || measure "$REPO/Kernels/$kernel.hone" --set "$set" --random ${RANDOM_SCHEDULES:-60} --seed 7 --records $out
  printf '%s\t%s\t%s\n' "$out" "$kernel" "$set" >> entries.tsv
done
# A hand schedule's record: the identity of a measured record of its kernel
# at the default size, with the hand schedule in place of the random one.
for schedule in "$REPO"/Kernels/*.schedule.json; do
  kernel=$(basename "$schedule" .schedule.json)
  out=records/hand-$kernel.jsonl
  if [ ! -s $out ]; then
    one=$(mktemp)
    measure "$REPO/Kernels/$kernel.hone" --random 1 --seed 7 --records $one --run-timeout 20
    python3 -c '
import json, sys
record = json.loads(open(sys.argv[1]).readline())
record["schedule"] = json.load(open(sys.argv[2]))
record.pop("candidate", None)
open(sys.argv[3], "w").write(json.dumps(record) + "\n")' $one "$schedule" $out
    rm -f $one
  fi
  printf '%s\t%s\t\n' "$out" "$kernel" >> entries.tsv
done
grep -v '^#' "$REPO/Benchmarks/suite.tsv" | while IFS=$'\t' read -r id group kernel set rest; do
  suite="$REPO/Benchmarks/results/records/$id.jsonl"
  [ -s "$suite" ] || continue
  cp -n "$suite" records/suite-$id.jsonl
  printf '%s\t%s\t%s\n' records/suite-$id.jsonl "$kernel" "$set" >> entries.tsv
done
echo "$(wc -l < entries.tsv) records files in $DIR"

#!/bin/bash
# compare.sh BEFORE_HONE AFTER_HONE [DIR]: writes the feature rows of every
# records file of the corpus (corpus.sh) with both hone binaries and reports,
# per feature column, how many rows differ and in which files. Exits 0 when
# every row is identical. A change to the features must either leave them
# identical or explain each column that moves (and bump FeatureSchema.version).
set -e
BEFORE=$(realpath "${1:?usage: compare.sh BEFORE_HONE AFTER_HONE [DIR]}")
AFTER=$(realpath "${2:?usage: compare.sh BEFORE_HONE AFTER_HONE [DIR]}")
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
DIR=${3:-$REPO/Benchmarks/results/feature-corpus}
[ -s "$DIR/entries.tsv" ] || { echo "no corpus in $DIR: run $HERE/corpus.sh HONE first" >&2; exit 2; }
OUT=$(mktemp -d /tmp/features.XXXXXX)
mkdir -p $OUT/before $OUT/after
cd "$DIR"
while IFS=$'\t' read -r records kernel set; do
  base=$(basename $records .jsonl)
  args=("$REPO/Kernels/$kernel.hone" --records $records)
  [ -n "$set" ] && args+=(--set "$set")
  for side in before after; do
    binary=$BEFORE; [ $side = after ] && binary=$AFTER
    "$binary" features "${args[@]}" -o $OUT/$side/$base.csv >/dev/null 2>$OUT/$side/$base.err \
      || echo "$side: hone features failed on $records: $(head -c 300 $OUT/$side/$base.err)"
  done
done < entries.tsv
echo "feature rows in $OUT"
python3 "$HERE/compare.py" $OUT/before $OUT/after

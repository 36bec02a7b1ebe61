# NRM-2 on znver1: long run, kept as the fastest candidate by (from the repository's root)
# Benchmarks/.build/release/bench-ceiling --only NRM-2 --trials 100 --time-budget 4m --rounds 5 --threads 2 --hone .build/release/hone
# the long run, one line per sitting (resumed from its records):
.build/release/hone tune Kernels/norm.hone --set M=512,N=512 --trials 100 --time-budget 4m --records Benchmarks/results/ceiling-records/NRM-2.jsonl --schedule-out Benchmarks/results/ceiling-records/NRM-2.json -o Benchmarks/results/ceiling-records/NRM-2.o --curve-out Benchmarks/results/ceiling-records/NRM-2.curve.svg --seed 1 --threads 2

# HARRIS-1 on znver3: long run, kept as the fastest candidate by (from the repository's root)
# Benchmarks/.build/release/bench-ceiling --only HARRIS-1,DEP-2 --trials 500 --time-budget 270 --rounds 5 --threads 2 --hone .build/release/hone
# the long run, one line per sitting (resumed from its records):
.build/release/hone tune Kernels/harris.hone --set H=1532,W=2556 --trials 500 --time-budget 270 --records Benchmarks/results/ceiling-records/HARRIS-1.jsonl --schedule-out Benchmarks/results/ceiling-records/HARRIS-1.json -o Benchmarks/results/ceiling-records/HARRIS-1.o --curve-out Benchmarks/results/ceiling-records/HARRIS-1.curve.svg --seed 1 --threads 2

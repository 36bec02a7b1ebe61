# DIL-3 on znver3: long run, kept as the fastest candidate by (from the repository's root)
# Benchmarks/.build/release/bench-ceiling --only GRP-2,DIL-3 --trials 504 --time-budget 270 --rounds 9 --threads 2 --hone .build/release/hone
# the long run, one line per sitting (resumed from its records):
.build/release/hone tune Kernels/conv2d_general.hone --set N=1,C=256,H=14,W=14,F=256,KH=3,KW=3,S=1,P=1,D=2 --trials 504 --time-budget 270 --records Benchmarks/results/ceiling-records/DIL-3.jsonl --schedule-out Benchmarks/results/ceiling-records/DIL-3.json -o Benchmarks/results/ceiling-records/DIL-3.o --curve-out Benchmarks/results/ceiling-records/DIL-3.curve.svg --seed 1 --threads 2

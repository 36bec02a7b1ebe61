# DEP-2 on znver3: suite's tuned schedule, kept as the fastest candidate by (from the repository's root)
# Benchmarks/.build/release/bench-ceiling --only HARRIS-1,DEP-2 --trials 500 --time-budget 270 --rounds 5 --threads 2 --hone .build/release/hone
# the suite's tuned schedule (make bench-tune):
.build/release/hone tune Kernels/depthwise_conv2d.hone --set N=1,C=64,H=112,W=112,S=2 --trials 250 --time-budget 50 --records Benchmarks/results/records/DEP-2.jsonl --schedule-out Benchmarks/results/tuned/DEP-2.json --seed 1 --threads 2

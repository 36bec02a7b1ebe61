# SFM-1 on znver3: suite's tuned schedule, kept as the fastest candidate by (from the repository's root)
# Benchmarks/.build/release/bench-ceiling --only T2D-2,C3D-2,C3D-3,SFM-1 --trials 504 --time-budget 270 --rounds 9 --threads 2 --hone .build/release/hone
# the suite's tuned schedule (make bench-tune):
.build/release/hone tune Kernels/softmax.hone --set M=1024,N=1024 --trials 250 --time-budget 50 --records Benchmarks/results/records/SFM-1.jsonl --schedule-out Benchmarks/results/tuned/SFM-1.json --seed 1 --threads 2

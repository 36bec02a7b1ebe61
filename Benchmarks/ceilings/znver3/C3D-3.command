# C3D-3 on znver3: long run, kept as the fastest candidate by (from the repository's root)
# Benchmarks/.build/release/bench-ceiling --only T2D-2,C3D-2,C3D-3,SFM-1 --trials 504 --time-budget 270 --rounds 9 --threads 2 --hone .build/release/hone
# the long run, one line per sitting (resumed from its records):
.build/release/hone tune Kernels/conv3d.hone --set N=1,C=256,DI=16,H=14,W=14,F=256,K=3,S=1,P=1 --trials 504 --time-budget 270 --records Benchmarks/results/ceiling-records/C3D-3.jsonl --schedule-out Benchmarks/results/ceiling-records/C3D-3.json -o Benchmarks/results/ceiling-records/C3D-3.o --curve-out Benchmarks/results/ceiling-records/C3D-3.curve.svg --seed 1 --threads 2

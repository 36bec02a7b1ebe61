# T2D-2 on znver3: hand schedule, kept as the fastest candidate by (from the repository's root)
# Benchmarks/.build/release/bench-ceiling --only T2D-2,C3D-2,C3D-3,SFM-1 --trials 504 --time-budget 270 --rounds 9 --threads 2 --hone .build/release/hone
cp Kernels/conv2d_transpose.schedule.json Benchmarks/ceilings/znver3/T2D-2.schedule.json

# GRP-2 on znver3: hand schedule, kept as the fastest candidate by (from the repository's root)
# Benchmarks/.build/release/bench-ceiling --only GRP-2,DIL-3 --trials 504 --time-budget 270 --rounds 9 --threads 2 --hone .build/release/hone
cp Kernels/grouped_conv2d.schedule.json Benchmarks/ceilings/znver3/GRP-2.schedule.json

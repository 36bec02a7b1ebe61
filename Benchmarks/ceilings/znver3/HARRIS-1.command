# HARRIS-1 on znver3: hand schedule, kept as the fastest candidate by (from the repository's root)
# Benchmarks/.build/release/bench-ceiling --only HARRIS-1 --trials 504 --time-budget 270 --rounds 9 --threads 2 --hone .build/release/hone
cp Kernels/harris.schedule.json Benchmarks/ceilings/znver3/HARRIS-1.schedule.json

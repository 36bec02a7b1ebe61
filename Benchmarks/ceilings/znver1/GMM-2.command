# GMM-2 on znver1: hand schedule, kept as the fastest candidate by (from the repository's root)
# Benchmarks/.build/release/bench-ceiling --only GMM-2 --trials 100 --rounds 5 --threads 2 --hone .build/release/hone
cp Kernels/gemm.schedule.json Benchmarks/ceilings/znver1/GMM-2.schedule.json

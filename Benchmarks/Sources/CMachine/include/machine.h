// The machine's own limits, measured rather than looked up: the peak rate of
// fused multiply-adds of one core and the bandwidth of a STREAM-style triad.
#ifndef HONE_BENCH_MACHINE_H
#define HONE_BENCH_MACHINE_H

/// Runs `iterations` rounds of independent vector FMAs on the widest vector
/// unit the CPU has (AVX-512, AVX2 or SSE) and returns the FLOPs done (an FMA
/// counts 2 per lane). `sink` receives a value that depends on every FMA.
double machine_fma_flops(long iterations, float *sink);

/// The vector width in floats that `machine_fma_flops` uses.
int machine_fma_lanes(void);

/// a[i] = b[i] + s * c[i] for i in [0, n).
void machine_triad(float *a, const float *b, const float *c, long n, float s);

#endif

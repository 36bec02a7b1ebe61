#include "machine.h"
#include <immintrin.h>

// Independent accumulators hide the FMA latency (4 to 5 cycles) on two FMA
// pipes, and they, the multiplier and the addend must all stay in registers:
// 16 of AVX-512's 32, 12 of AVX2's and SSE's 16 (16 there spilled two
// accumulators to the stack in every iteration, and the loop timed the spills:
// 113 GFLOP/s on a 2-core Zen 3 where a tuned conv2d ran 169).
#define CHAINS_IN_32_REGISTERS 16
#define CHAINS_IN_16_REGISTERS 12
#define FMA_CHAIN(chains, fma, acc, x, y) \
    for (int j = 0; j < chains; j++) acc[j] = fma(acc[j], x, y);

__attribute__((target("avx512f")))
static double fma_avx512(long iterations, float *sink) {
    __m512 acc[CHAINS_IN_32_REGISTERS];
    for (int j = 0; j < CHAINS_IN_32_REGISTERS; j++) acc[j] = _mm512_set1_ps((float)j);
    const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
    for (long i = 0; i < iterations; i++) {
        FMA_CHAIN(CHAINS_IN_32_REGISTERS, _mm512_fmadd_ps, acc, x, y)
        __asm__ volatile("" : "+v"(acc[0]), "+v"(acc[1]), "+v"(acc[2]), "+v"(acc[3]),
                              "+v"(acc[4]), "+v"(acc[5]), "+v"(acc[6]), "+v"(acc[7]));
    }
    __m512 total = acc[0];
    for (int j = 1; j < CHAINS_IN_32_REGISTERS; j++) total = _mm512_add_ps(total, acc[j]);
    *sink = _mm512_reduce_add_ps(total);
    return (double)iterations * CHAINS_IN_32_REGISTERS * 16 * 2;
}

__attribute__((target("avx2,fma")))
static double fma_avx2(long iterations, float *sink) {
    __m256 acc[CHAINS_IN_16_REGISTERS];
    for (int j = 0; j < CHAINS_IN_16_REGISTERS; j++) acc[j] = _mm256_set1_ps((float)j);
    const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
    for (long i = 0; i < iterations; i++) {
        FMA_CHAIN(CHAINS_IN_16_REGISTERS, _mm256_fmadd_ps, acc, x, y)
        __asm__ volatile("" : "+x"(acc[0]), "+x"(acc[1]), "+x"(acc[2]), "+x"(acc[3]));
    }
    __m256 total = acc[0];
    for (int j = 1; j < CHAINS_IN_16_REGISTERS; j++) total = _mm256_add_ps(total, acc[j]);
    float lanes[8];
    _mm256_storeu_ps(lanes, total);
    *sink = lanes[0] + lanes[7];
    return (double)iterations * CHAINS_IN_16_REGISTERS * 8 * 2;
}

static double fma_sse(long iterations, float *sink) {
    __m128 acc[CHAINS_IN_16_REGISTERS];
    for (int j = 0; j < CHAINS_IN_16_REGISTERS; j++) acc[j] = _mm_set1_ps((float)j);
    const __m128 x = _mm_set1_ps(0.999999f), y = _mm_set1_ps(1e-7f);
    for (long i = 0; i < iterations; i++) {
        for (int j = 0; j < CHAINS_IN_16_REGISTERS; j++) acc[j] = _mm_add_ps(_mm_mul_ps(acc[j], x), y);
        __asm__ volatile("" : "+x"(acc[0]), "+x"(acc[1]));
    }
    __m128 total = acc[0];
    for (int j = 1; j < CHAINS_IN_16_REGISTERS; j++) total = _mm_add_ps(total, acc[j]);
    *sink = _mm_cvtss_f32(total);
    return (double)iterations * CHAINS_IN_16_REGISTERS * 4 * 2;
}

double machine_fma_flops(long iterations, float *sink) {
    if (__builtin_cpu_supports("avx512f")) return fma_avx512(iterations, sink);
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return fma_avx2(iterations, sink);
    return fma_sse(iterations, sink);
}

int machine_fma_lanes(void) {
    if (__builtin_cpu_supports("avx512f")) return 16;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 8;
    return 4;
}

void machine_triad(float *a, const float *b, const float *c, long n, float s) {
    for (long i = 0; i < n; i++) a[i] = b[i] + s * c[i];
}

// The machine's arithmetic ceiling, measured rather than looked up: benchmarks report their
// GFLOP/s as a fraction of it. Twelve independent accumulators cover an FMA latency of 4 cycles
// on two ports (8 in flight needed); the values stay finite (x = x * a + b with a < 1).
#include "fma_peak.h"
#include <immintrin.h>
#include <time.h>

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#define CHAINS 12
#define INNER 4096

__attribute__((target("avx512f")))
static double run_avx512(double seconds) {
    __m512 acc[CHAINS];
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_set1_ps(0.001f * (float)i);
    const __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(0.001f);
    long iterations = 0;
    double start = now_seconds(), end = start;
    do {
        for (int k = 0; k < INNER; k++)
            for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
        iterations += INNER;
        end = now_seconds();
    } while (end - start < seconds);
    float sink = 0;
    for (int i = 0; i < CHAINS; i++) sink += _mm512_reduce_add_ps(acc[i]);
    volatile float keep = sink; (void)keep;
    return (double)iterations * CHAINS * 16 * 2 / (end - start);
}

__attribute__((target("avx2,fma")))
static double run_avx2(double seconds) {
    __m256 acc[CHAINS];
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_set1_ps(0.001f * (float)i);
    const __m256 a = _mm256_set1_ps(0.999f), b = _mm256_set1_ps(0.001f);
    long iterations = 0;
    double start = now_seconds(), end = start;
    do {
        for (int k = 0; k < INNER; k++)
            for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
        iterations += INNER;
        end = now_seconds();
    } while (end - start < seconds);
    float lanes[8], sink = 0;
    for (int i = 0; i < CHAINS; i++) { _mm256_storeu_ps(lanes, acc[i]); for (int j = 0; j < 8; j++) sink += lanes[j]; }
    volatile float keep = sink; (void)keep;
    return (double)iterations * CHAINS * 8 * 2 / (end - start);
}

static double run_sse(double seconds) {
    __m128 acc[CHAINS];
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm_set1_ps(0.001f * (float)i);
    const __m128 a = _mm_set1_ps(0.999f), b = _mm_set1_ps(0.001f);
    long iterations = 0;
    double start = now_seconds(), end = start;
    do {
        for (int k = 0; k < INNER; k++)
            for (int i = 0; i < CHAINS; i++) acc[i] = _mm_add_ps(_mm_mul_ps(acc[i], a), b);
        iterations += INNER;
        end = now_seconds();
    } while (end - start < seconds);
    float lanes[4], sink = 0;
    for (int i = 0; i < CHAINS; i++) { _mm_storeu_ps(lanes, acc[i]); for (int j = 0; j < 4; j++) sink += lanes[j]; }
    volatile float keep = sink; (void)keep;
    return (double)iterations * CHAINS * 4 * 2 / (end - start);
}

const char *fma_peak_isa(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return "avx512f";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "avx2+fma";
    return "sse2";
}

double fma_peak_flops(double seconds) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return run_avx512(seconds);
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return run_avx2(seconds);
    return run_sse(seconds);
}

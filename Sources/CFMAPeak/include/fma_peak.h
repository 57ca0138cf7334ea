#ifndef SWIFTGAN_FMA_PEAK_H
#define SWIFTGAN_FMA_PEAK_H

/// The widest fused multiply-add this CPU runs: "avx512f", "avx2+fma", or "sse2" (no FMA:
/// a multiply and an add), as the peak loop below uses it.
const char *fma_peak_isa(void);

/// Runs independent single-precision FMA chains on this thread for about `seconds` and returns
/// the FLOP/s reached (2 FLOP per lane per FMA). Call it on several threads at once for the
/// peak of several cores. The chains are independent so that FMA latency does not limit them.
double fma_peak_flops(double seconds);

#endif

// kernel_trig.h — rotation angles for RoPE and Polar PoPE (private to libpope).
// Angles pos·θ are formed and reduced in double: at pos ≥ 65536 a float angle has
// lost most of its phase bits. Only the final cos/sin are rounded to float.
#ifndef POPE_KERNEL_TRIG_H
#define POPE_KERNEL_TRIG_H
#include <math.h>

// theta[c] = base^(−c·step/D) for c = 0..n−1 (RoPE: step 2, n = D/2; Polar: step 1, n = D)
static inline void kernel_thetas(double *theta, int n, int step, int D, float base) {
    for (int c = 0; c < n; c++) theta[c] = pow((double)base, -(double)(c * step) / D);
}

// cs[c] = cos(pos·θ_c), sn[c] = sin(pos·θ_c), in double
static inline void kernel_sincos_row(double *cs, double *sn, const double *theta, int n, long pos) {
    for (int c = 0; c < n; c++) {
        double a = (double)pos * theta[c];
        cs[c] = cos(a);
        sn[c] = sin(a);
    }
}

// The same, rounded to float: cf, sf (n) for kernels that need no further double arithmetic
// (polar_k_* combine cs, sn with δ in double first)
static inline void kernel_sincos_row_f(float *cf, float *sf, const double *theta, int n, long pos) {
    for (int c = 0; c < n; c++) {
        double a = (double)pos * theta[c];
        cf[c] = (float)cos(a);
        sf[c] = (float)sin(a);
    }
}
// rope.c and polar.c walk positions in blocks of TRIG_BLOCK: a block's cos/sin table is
// computed once, then every (b, h) row of the block is processed in memory order (t outer
// and (b, h) inner jumped T·D floats between rows: memory-latency-bound, 2–3x slower).
enum { TRIG_BLOCK = 64 };

// (nt, n) tables for the positions pos0 .. pos0+nt−1 (row j: position pos0 + j)
static inline void kernel_sincos_block(double *cs, double *sn, const double *theta, int n, long pos0,
                                       int nt) {
    for (int j = 0; j < nt; j++) kernel_sincos_row(cs + (size_t)j * n, sn + (size_t)j * n, theta, n, pos0 + j);
}
static inline void kernel_sincos_block_f(float *cf, float *sf, const double *theta, int n, long pos0,
                                         int nt) {
    for (int j = 0; j < nt; j++) kernel_sincos_row_f(cf + (size_t)j * n, sf + (size_t)j * n, theta, n, pos0 + j);
}
#endif

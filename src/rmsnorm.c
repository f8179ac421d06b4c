// rmsnorm.c — RMSNorm, out = x / sqrt(mean(x²) + eps) ⊙ g.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

// out (N,C), rstd (N) = 1/sqrt(mean(x²) + eps), inp (N,C), weight (C)
void rmsnorm_forward(float *out, float *rstd, const float *inp, const float *weight,
                     int N, int C, float eps) {
    #pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        const float *restrict x = inp + (size_t)n * C;
        float *restrict o = out + (size_t)n * C;
        float ss = 0.0f;
        for (int c = 0; c < C; c++) ss += x[c] * x[c];
        float r = 1.0f / sqrtf(ss / C + eps);
        for (int c = 0; c < C; c++) o[c] = x[c] * r * weight[c];
        if (rstd) rstd[n] = r;
    }
}

// With x̂ = x·r:  dx = r·(g⊙dout) − x·r³/C · Σ(g⊙dout⊙x),  dg += Σ_rows dout⊙x̂.
// dweight is summed per fixed block of rows, then the blocks in order: the result does
// not depend on the number of threads.
void rmsnorm_backward(float *dinp, float *dweight, const float *dout, const float *inp,
                      const float *weight, const float *rstd, int N, int C) {
    enum { ROWS = 128 };
    const int nblocks = (N + ROWS - 1) / ROWS;
    float *partial = dweight ? calloc((size_t)nblocks * C, sizeof(float)) : NULL;
    const int use_partial = partial != NULL;
    #pragma omp parallel for schedule(static)
    for (int blk = 0; blk < nblocks; blk++) {
        const int n1 = (blk + 1) * ROWS < N ? (blk + 1) * ROWS : N;
        float *restrict dw = use_partial ? partial + (size_t)blk * C : NULL;
        for (int n = blk * ROWS; n < n1; n++) {
            const float *restrict x = inp + (size_t)n * C;
            const float *restrict d = dout + (size_t)n * C;
            const float r = rstd[n];
            if (dinp) {
                float dot = 0.0f;
                for (int c = 0; c < C; c++) dot += weight[c] * d[c] * x[c];
                const float k = dot * r * r * r / C;
                float *restrict dx = dinp + (size_t)n * C;
                for (int c = 0; c < C; c++) dx[c] += r * weight[c] * d[c] - k * x[c];
            }
            if (dw)
                for (int c = 0; c < C; c++) dw[c] += d[c] * x[c] * r;
        }
    }
    if (dweight && !use_partial) {  // out of memory for the partials: serial fallback
        for (int n = 0; n < N; n++)
            for (int c = 0; c < C; c++)
                dweight[c] += dout[(size_t)n * C + c] * inp[(size_t)n * C + c] * rstd[n];
    } else if (dweight) {
        for (int blk = 0; blk < nblocks; blk++)
            for (int c = 0; c < C; c++) dweight[c] += partial[(size_t)blk * C + c];
    }
    free(partial);
}

// encoder.c — token embedding lookup (+ an absolute positional table).
#include <string.h>

#include "ops.h"

// out (B,T,C) = wte[tokens] (+ pe[t]);  wte (V,C), pe (T,C) or NULL
void encoder_forward(float *out, const int32_t *tokens, const float *wte, const float *pe,
                     int B, int T, int C) {
    #pragma omp parallel for schedule(static)
    for (int64_t bt = 0; bt < (int64_t)B * T; bt++) {
        float *restrict o = out + bt * C;
        const float *restrict w = wte + (size_t)tokens[bt] * C;
        if (pe) {
            const float *restrict p = pe + (bt % T) * C;
            for (int c = 0; c < C; c++) o[c] = w[c] + p[c];
        } else {
            memcpy(o, w, (size_t)C * sizeof(float));
        }
    }
}

// dwte (V,C) += scatter of dout (B,T,C). Tokens repeat, so threads split the channels
// (not the rows): every thread walks all rows in order, which keeps the sum race-free
// and its order independent of the thread count.
void encoder_backward(float *dwte, const float *dout, const int32_t *tokens, int B, int T, int C) {
    const int64_t N = (int64_t)B * T;
    enum { CHUNK = 64 };
    const int nchunks = (C + CHUNK - 1) / CHUNK;
    #pragma omp parallel for schedule(static)
    for (int ch = 0; ch < nchunks; ch++) {
        const int c0 = ch * CHUNK, c1 = c0 + CHUNK < C ? c0 + CHUNK : C;
        for (int64_t bt = 0; bt < N; bt++) {
            float *restrict dw = dwte + (size_t)tokens[bt] * C;
            const float *restrict d = dout + bt * C;
            for (int c = c0; c < c1; c++) dw[c] += d[c];
        }
    }
}

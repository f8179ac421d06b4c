// dropout.c — inverted dropout with a stateless, counter-based mask (kernel_hash.h).
#include <string.h>

#include "kernel_hash.h"
#include "ops.h"

enum { CHUNK = 256 };  // mask factors computed per block of elements

int dropout_keep(uint64_t seed, uint64_t index, float p) {
    return kernel_dropout_keep(seed, index, p);
}

// out (n) (+)= inp · keep / (1 − p), in blocks of CHUNK mask factors.
static void dropout_apply(float *out, const float *inp, size_t n, float p, uint64_t seed,
                          int accumulate) {
    const float s = 1.0f / (1.0f - p);
    const size_t nchunks = (n + CHUNK - 1) / CHUNK;
    #pragma omp parallel for schedule(static)
    for (size_t ch = 0; ch < nchunks; ch++) {
        float f[CHUNK];
        const size_t i0 = ch * CHUNK, m = n - i0 < CHUNK ? n - i0 : CHUNK;
        kernel_dropout_factors(f, (int)m, i0, 1, seed, p, s);
        if (accumulate)
            for (size_t j = 0; j < m; j++) out[i0 + j] += inp[i0 + j] * f[j];
        else
            for (size_t j = 0; j < m; j++) out[i0 + j] = inp[i0 + j] * f[j];
    }
}

// out (n) = inp · keep / (1 − p)
void dropout_forward(float *out, const float *inp, size_t n, float p, uint64_t seed) {
    if (p <= 0.0f) {
        if (out != inp) memmove(out, inp, n * sizeof(float));
        return;
    }
    dropout_apply(out, inp, n, p, seed, 0);
}

// dinp (n) += dout · keep / (1 − p)
void dropout_backward(float *dinp, const float *dout, size_t n, float p, uint64_t seed) {
    if (p <= 0.0f) {
        #pragma omp parallel for simd schedule(static)
        for (size_t i = 0; i < n; i++) dinp[i] += dout[i];
        return;
    }
    dropout_apply(dinp, dout, n, p, seed, 1);
}

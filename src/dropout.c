// dropout.c — inverted dropout with a stateless, counter-based mask (kernel_hash.h).
#include <string.h>

#include "kernel_hash.h"
#include "ops.h"

int dropout_keep(uint64_t seed, uint64_t index, float p) {
    return kernel_dropout_keep(seed, index, p);
}

// out (n) = inp · keep / (1 − p)
void dropout_forward(float *out, const float *inp, size_t n, float p, uint64_t seed) {
    if (p <= 0.0f) {
        if (out != inp) memmove(out, inp, n * sizeof(float));
        return;
    }
    const float s = 1.0f / (1.0f - p);
    #pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        out[i] = kernel_dropout_keep(seed, i, p) ? inp[i] * s : 0.0f;
}

// dinp (n) += dout · keep / (1 − p)
void dropout_backward(float *dinp, const float *dout, size_t n, float p, uint64_t seed) {
    const float s = p > 0.0f ? 1.0f / (1.0f - p) : 1.0f;
    #pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        if (p <= 0.0f || kernel_dropout_keep(seed, i, p)) dinp[i] += dout[i] * s;
}

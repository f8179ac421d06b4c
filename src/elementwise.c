// elementwise.c — GELU (tanh approximation) and the residual add.
// GELU is written through the identity 0.5·(1 + tanh u) = σ(2u), so one vector exp
// (kernel_vec.h) serves instead of a libm tanhf per element (≈20× faster here).
#include <math.h>

#include "kernel_vec.h"
#include "ops.h"

#define GELU_K 0.7978845608028654f  // sqrt(2/π)
#define GELU_A 0.044715f

enum { CHUNK = 8192 };  // elements per OpenMP work item (a multiple of every KV_W)

// out = 0.5·x·(1 + tanh u) = x·σ(2u),  u = k·(x + a·x³)
static inline kvec gelu_v(kvec x) {
    const kvec u2 = (2.0f * GELU_K) * (x + GELU_A * x * x * x);
    return x * kv_sigmoid(u2);
}
// d gelu/dx = σ(2u) + x·2σ(2u)(1 − σ(2u))·k·(1 + 3a·x²)   (as 0.5·(1 − tanh²u) = 2σ(1 − σ))
static inline kvec gelu_grad_v(kvec x) {
    const kvec s = kv_sigmoid((2.0f * GELU_K) * (x + GELU_A * x * x * x));
    return s + x * 2.0f * s * (1.0f - s) * GELU_K * (1.0f + (3.0f * GELU_A) * x * x);
}

void gelu_forward(float *out, const float *inp, size_t n) {
    const size_t nchunks = (n + CHUNK - 1) / CHUNK;
    #pragma omp parallel for schedule(static)
    for (size_t ch = 0; ch < nchunks; ch++) {
        const size_t i1 = (ch + 1) * CHUNK < n ? (ch + 1) * CHUNK : n;
        size_t i = ch * CHUNK;
        for (; i + KV_W <= i1; i += KV_W) kv_store(out + i, gelu_v(kv_load(inp + i)));
        for (; i < i1; i++) out[i] = gelu_v(kv_splat(inp[i]))[0];
    }
}

// dinp += dout · gelu'(inp)
void gelu_backward(float *dinp, const float *inp, const float *dout, size_t n) {
    const size_t nchunks = (n + CHUNK - 1) / CHUNK;
    #pragma omp parallel for schedule(static)
    for (size_t ch = 0; ch < nchunks; ch++) {
        const size_t i1 = (ch + 1) * CHUNK < n ? (ch + 1) * CHUNK : n;
        size_t i = ch * CHUNK;
        for (; i + KV_W <= i1; i += KV_W)
            kv_store(dinp + i, kv_load(dinp + i) + kv_load(dout + i) * gelu_grad_v(kv_load(inp + i)));
        for (; i < i1; i++) dinp[i] += dout[i] * gelu_grad_v(kv_splat(inp[i]))[0];
    }
}

void residual_forward(float *out, const float *a, const float *b, size_t n) {
    #pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

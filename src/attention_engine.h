// attention_engine.h — which kernel multiplies the bf16 attention (private to libpope).
// Two engines compute the same flash attention (attention.c's algorithm, docs/KERNELS.md
// §1–§2, §10–§11): the tile kernels (attention.c, vdpbf16ps on 64×64 tiles) and the block
// kernels (attention_dnnl.c, oneDNN matmul on 128×512 blocks: AMX tiles where the CPU has
// AMX). fp32 always runs the tile kernels.
#ifndef POPE_ATTENTION_ENGINE_H
#define POPE_ATTENTION_ENGINE_H
#include <stdint.h>
#include <string.h>

#include "kernel_vec.h"

typedef enum {
    ATTN_BF16_AUTO,    // oneDNN where its matmul kernel is AMX, else the tiles (default)
    ATTN_BF16_TILES,   // always the tile kernels
    ATTN_BF16_ONEDNN,  // oneDNN wherever it can run the shape (tests, benchmarks)
} attention_bf16_engine;

// Sets the engine for the process. The environment variable POPE_BF16_ATTENTION=tiles|onednn
// (auto, or unset: AUTO) overrides AUTO; any other value is ignored and named by
// attention_bf16_engine_name.
void attention_bf16_engine_select(attention_bf16_engine e);
// 1 when a bf16 attention call with these head sizes runs the oneDNN blocks (bf16 active,
// the engine chosen, Dk and Dv multiples of 16 and at most 256), else 0.
int attention_bf16_uses_onednn(int Dk, int Dv);
// What multiplies the attention now, for the start-up line and the bench: "fp32 tiles",
// "vdpbf16ps tiles" or "oneDNN blocks (<oneDNN kernel>)", and "; POPE_BF16_ATTENTION='…'
// ignored: …" after it when the variable holds something else.
const char *attention_bf16_engine_name(void);

// The block kernels, attention_forward/attention_backward's arguments (ops.h). 0 when done;
// 1 when oneDNN cannot run these shapes (nothing written; the caller runs the tiles, and so
// does every later call); -1 with pope_error set on failure.
int attention_forward_dnnl(float *out, float *lse, const float *q, const float *k, const float *v, int B, int H,
                           int T, int Dk, int Dv, float scale, float dropout_p, uint64_t seed);
int attention_backward_dnnl(float *dq, float *dk, float *dv, const float *dout, const float *out, const float *lse,
                            const float *q, const float *k, const float *v, int B, int H, int T, int Dk, int Dv,
                            float scale, float dropout_p, uint64_t seed);

// ---- shared by the two engines
// The dropout mask index of p[t][s] in head bh (ops.h), in 64 bits: T² passes 2³¹ at
// T = 46341. Along a row (s) consecutive indices are 1 apart, along a column (t) T.
static inline uint64_t attention_drop_index(int bh, int T, int t, int s) {
    return ((uint64_t)bh * (uint64_t)T + (uint64_t)t) * (uint64_t)T + (uint64_t)s;
}
// D_t = dout_t·out_t (= Σ_s p·dP, dropout included) for the T rows of a head.
static inline void attention_backward_dt(float *dt, const float *dout, const float *out, int T, int Dv) {
    for (int t = 0; t < T; t++) {
        float d = 0.0f;
        for (int e = 0; e < Dv; e++) d += dout[(size_t)t * Dv + e] * out[(size_t)t * Dv + e];
        dt[t] = d;
    }
}

// One query row of the backward: on entry prow = s (the raw scores q·k) and drow = dP (dO·v)
// for the n keys of a tile or chunk, of which the first ns (may be ≤ 0) are visible (s ≤ t);
// on exit prow = Pd (p with dropout) and drow = dS = scale·p·(dP·mask − D_t), both 0 past ns.
// p = 2^(scale2·s − sub) with scale2 = scale·log₂e, sub = lse_t·log₂e; dt = D_t; mask = the
// ns keys' dropout factors, or NULL without dropout.
static inline void attention_backward_row(float *prow, float *drow, int ns, int n, float scale2, float sub, float dt,
                                          float scale, const float *mask) {
    if (ns <= 0) {
        memset(prow, 0, sizeof(float) * n), memset(drow, 0, sizeof(float) * n);
        return;
    }
    int j = 0;
    for (; j + KV_W <= ns; j += KV_W) kv_store(prow + j, kv_exp2_le0(kv_load(prow + j) * scale2 - sub));
    for (; j < ns; j++) prow[j] = k_exp2_le0(scale2 * prow[j] - sub);
    if (mask)
        for (j = 0; j < ns; j++) drow[j] *= mask[j];
    for (j = 0; j + KV_W <= ns; j += KV_W) kv_store(drow + j, kv_load(prow + j) * (kv_load(drow + j) - dt) * scale);
    for (; j < ns; j++) drow[j] = prow[j] * (drow[j] - dt) * scale;
    if (mask)
        for (j = 0; j < ns; j++) prow[j] *= mask[j];
    if (ns < n) memset(prow + ns, 0, sizeof(float) * (n - ns)), memset(drow + ns, 0, sizeof(float) * (n - ns));
}

// Inside a parallel region: each thread reports whether its own scratch failed (mine); after
// the barrier every thread learns whether any did, so that all skip the work-sharing loops
// together (as OpenMP requires).
static inline int attention_team_failed(int mine, int *failed) {
    if (mine) {
        #pragma omp atomic write
        *failed = 1;
    }
    #pragma omp barrier
    int f;
    #pragma omp atomic read
    f = *failed;
    return f;
}
#endif

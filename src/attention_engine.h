// attention_engine.h — which kernel multiplies the bf16 attention (private to libpope).
// Two engines compute the same flash attention (attention.c's algorithm, docs/KERNELS.md
// §1–§2, §10–§11): the tile kernels (attention.c, vdpbf16ps on 64×64 tiles) and the block
// kernels (attention_dnnl.c, oneDNN matmul on 128×512 blocks: AMX tiles where the CPU has
// AMX). fp32 always runs the tile kernels.
#ifndef POPE_ATTENTION_ENGINE_H
#define POPE_ATTENTION_ENGINE_H
#include <stdint.h>

typedef enum {
    ATTN_BF16_AUTO,    // oneDNN where its matmul kernel is AMX, else the tiles (default)
    ATTN_BF16_TILES,   // always the tile kernels
    ATTN_BF16_ONEDNN,  // oneDNN wherever it can run the shape (tests, benchmarks)
} attention_bf16_engine;

// Sets the engine for the process. The environment variable POPE_BF16_ATTENTION=tiles|onednn,
// read once at the first bf16 attention call, overrides AUTO.
void attention_bf16_engine_select(attention_bf16_engine e);
// 1 when a bf16 attention call with these head sizes runs the oneDNN blocks (bf16 active,
// the engine chosen, Dk and Dv multiples of 16 and at most 256), else 0.
int attention_bf16_uses_onednn(int Dk, int Dv);
// What multiplies the attention now, for the start-up line and the bench: "fp32 tiles",
// "vdpbf16ps tiles" or "oneDNN blocks (<oneDNN kernel>)".
const char *attention_bf16_engine_name(void);

// The block kernels, attention_forward/attention_backward's arguments (ops.h). 0 when done;
// 1 when oneDNN cannot run these shapes (nothing written; the caller runs the tiles, and so
// does every later call); -1 with pope_error set on failure.
int attention_forward_dnnl(float *out, float *lse, const float *q, const float *k, const float *v, int B, int H,
                           int T, int Dk, int Dv, float scale, float dropout_p, uint64_t seed);
int attention_backward_dnnl(float *dq, float *dk, float *dv, const float *dout, const float *out, const float *lse,
                            const float *q, const float *k, const float *v, int B, int H, int T, int Dk, int Dv,
                            float scale, float dropout_p, uint64_t seed);
#endif

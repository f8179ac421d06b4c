// model_internal.h — the layout of pope_model inside libpope (not a public API).
//
// All parameters live in one flat float buffer (and the gradients in a second one of
// the same layout), in the order of the checkpoint tensors:
//   tok_embeddings.weight (V,C)
//   per layer l: attention_norm.weight (C), attention.wq/wk/wv/wo.weight (C,C),
//                attention.pope_delta (H,D) [polar only], ffn_norm.weight (C),
//                feed_forward.w1.weight (F,C), feed_forward.w2.weight (C,F)
//   norm.weight (C), output.weight (V,C) [absent when tied]
// wq, wk, wv are adjacent, so together they form one (3C, C) matrix: one GEMM makes
// q, k and v of a row side by side (N, 3C).
#ifndef POPE_MODEL_INTERNAL_H
#define POPE_MODEL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "kernel_alloc.h"
#include "pope.h"

// Pointers into the flat parameter (or gradient) buffer for one block.
typedef struct {
    float *attn_norm;  // (C)
    float *wqkv;       // (3C, C): wq, wk, wv stacked
    float *wo;         // (C, C)
    float *delta;      // (H, D) polar only, else NULL
    float *ffn_norm;   // (C)
    float *w1;         // (F, C)
    float *w2;         // (C, F)
} pope_layer_params;

typedef struct {
    float *wte;        // (V, C)
    pope_layer_params *layers;   // (L)
    float *norm;       // (C)
    float *wout;       // (V, C); == wte when tied
} pope_params;

// Activations of one training forward, kept for backward. N = B*T. Pointers into one
// block (model_train.c acts_table lists them with their sizes).
typedef struct {
    float *res;     // (L+1, N, C): res[0] embedding, res[l+1] output of block l
    float *ln1;     // (L, N, C)
    float *rstd1;   // (L, N)
    float *qh;      // (L, B,H,T,D) heads after split, before the encoding (rope: scratch)
    float *kh;      // (L, B,H,T,D)
    float *vh;      // (L, B,H,T,D)
    float *qe;      // (L, B,H,T,Dk) after rope/polar (rope, polar only)
    float *ke;      // (L, B,H,T,Dk)
    float *atth;    // (L, B,H,T,D) attention output per head
    float *lse;     // (L, B,H,T)
    float *att;     // (N, C) heads merged (scratch: backward re-merges from atth)
    float *hmid;    // (L, N, C) residual stream after the attention branch
    float *ln2;     // (L, N, C)
    float *rstd2;   // (L, N)
    float *fc;      // (L, N, F) before GELU
    float *fcg;     // (L, N, F) after GELU
    float *lnf;     // (N, C)
    float *rstdf;   // (N)
    float *logits;  // (N, V)
    float *losses;  // (N)
    // scratch (not kept across calls)
    float *qkv;     // (N, 3C)
    float *proj;    // (N, C)
    float *proj_drop;  // (N, C)
} pope_acts;

// Gradients of activations for backward (all scratch).
typedef struct {
    float *dlogits;   // (N, V)
    float *dx;        // (N, C) gradient of the residual stream
    float *dbranch;   // (N, C)
    float *dln;       // (N, C)
    float *datt;      // (N, C)
    float *dfcg;      // (N, F)
    float *dfc;       // (N, F)
    float *dqkv;      // (N, 3C)
    float *datth;     // (B,H,T,D)
    float *dqe;       // (B,H,T,Dk)
    float *dke;       // (B,H,T,Dk)
    float *dqh;       // (B,H,T,D)
    float *dkh;       // (B,H,T,D)
    float *dvh;       // (B,H,T,D)
} pope_grad_acts;

struct pope_model {
    pope_config cfg;
    int C, H, D, Dk, F, V, L;   // Dk = 2D for polar (q̃, k̃), else D
    float *params, *grads;      // flat, num_params each
    size_t num_params;
    pope_params p, g;           // pointers into params / grads
    int n_tensors;
    pope_tensor *tensors;       // names owned (malloc'd)
    size_t *offsets;            // (n_tensors) start of each tensor in params/grads
    // absolute encodings: table (pe_rows, C) for positions 0..pe_rows-1
    float *pe_table;
    int pe_rows;
    // the last training forward
    pope_acts a;                // pointers into acts_mem (model_train.c acts_table)
    float *acts_mem;
    size_t acts_cap_N;          // rows the activation buffers hold
    pope_grad_acts ga;          // pointers into grad_acts_mem
    float *grad_acts_mem;
    size_t grad_acts_cap_N;
    int32_t *inputs, *targets;  // copies (N)
    int B, T;
    int has_forward, has_targets;
    int n_targets;              // non-ignored targets of the last forward
    float fwd_dropout_attn, fwd_dropout_resid;
    uint64_t fwd_dropout_seed;
};

// pope_model_new, with init = 0 leaving the parameters zero (checkpoint loading).
pope_model *pope_model_create(const pope_config *cfg, int init, uint64_t seed);
// The dropout seed of one (layer, site): site 0 attention probabilities, 1 attention
// residual branch, 2 MLP residual branch.
uint64_t pope_dropout_site_seed(uint64_t seed, int layer, int site);
// The absolute position table (T, C) for positions 0..T-1, or NULL for encodings
// without one (or on allocation failure, with pope_error set: check cfg.pe).
const float *pope_model_pe_table(pope_model *m, int T, int *err);
// Validates tokens (0 <= tok < V) and targets (< V; negative = ignored).
int pope_check_tokens(const pope_model *m, const int32_t *inputs, const int32_t *targets, size_t n);

// Whether the encoding rewrites q and k before attention (rope, polar): only then do the
// qe/ke buffers exist; polar's are 2D wide (Dk).
static inline int model_encodes_qk(const pope_model *m) {
    return m->cfg.pe == POPE_PE_ROPE || m->cfg.pe == POPE_PE_POLAR;
}

// Pieces of a block shared by training (model_train.c), scoring (model_eval.c) and the
// one-token step (model_step.c), which differ in what they keep (model_block.c).
//
// The attention half's buffers for n = B·T rows; callers may alias what is dead by the time
// it is written (scoring reuses qkv for atth, the norm's output for att).
typedef struct {
    float *ln, *rstd;      // (n, C), (n): RMSNorm of the block input
    float *qkv;            // (n, 3C): q, k, v of a row side by side
    float *qh, *kh, *vh;   // (B,H,T,D) heads
    float *qe, *ke;        // (B,H,T,Dk) q, k after rope/polar; NULL (or qh, kh) for the others
    float *atth, *lse;     // (B,H,T,D) attention output per head, (B,H,T) its log-sum-exp
    float *att;            // (n, C) heads merged
} model_attn_bufs;
// q, k as attention reads them: qe, ke when the encoding rewrites them, else qh, kh.
static inline const float *model_attn_q(const pope_model *m, const model_attn_bufs *b) {
    return model_encodes_qk(m) ? b->qe : b->qh;
}
static inline const float *model_attn_k(const pope_model *m, const model_attn_bufs *b) {
    return model_encodes_qk(m) ? b->ke : b->kh;
}
// Block input x (n, C) -> ln, rstd, qkv, the heads qh, kh, vh and, for rope/polar, qe, ke
// at positions pos0..pos0+T−1.
void model_attn_qkv(const pope_model *m, const pope_layer_params *lp, const model_attn_bufs *b,
                    const float *x, int B, int T, int pos0);
// The heads atth -> att (merged) -> proj (n, C) = att·Woᵀ.
void model_attn_proj(const pope_model *m, const pope_layer_params *lp, const model_attn_bufs *b,
                     float *proj, int B, int T);
// The whole attention branch of a block over B windows of T tokens at positions 0..T−1,
// before its residual dropout: model_attn_qkv, causal attention (scale 1/sqrt(D), dropout
// p_attn on the probabilities with seed dropout_seed), model_attn_proj. -1 on failure.
int model_attn_forward(const pope_model *m, const pope_layer_params *lp, const model_attn_bufs *b,
                       float *proj, const float *x, int B, int T, float p_attn, uint64_t dropout_seed);
// Returns whether layer lp's encoding rewrites q and k: rope rotates, polar builds q̃, k̃
// (B,H,T,2D), both for positions pos0..pos0+T−1, into qe, ke; otherwise (none and the
// absolute encodings) it writes nothing and attention reads qh, kh directly.
int model_encode_qk(const pope_model *m, const pope_layer_params *lp, float *qe, float *ke,
                    const float *qh, const float *kh, int B, int T, int pos0);
// Its backward for rope/polar: dqh, dkh (B,H,T,D) = the gradients through the encoding of
// dqe, dke (overwritten); polar also adds δ's gradient to lg->delta. Nothing for the other
// encodings (their attention gradients are dqh, dkh already).
void model_encode_qk_backward(const pope_model *m, const pope_layer_params *lp, pope_layer_params *lg,
                              float *dqh, float *dkh, const float *dqe, const float *dke,
                              const float *qh, const float *kh, int B, int T, int pos0);
// The MLP branch of n rows, before its dropout and residual: ln (n,C) = RMSNorm(h) (rstd
// (n) saved), fc (n,F) = ln·W1ᵀ, fcg = gelu(fc), out (n,C) = fcg·W2ᵀ.
void model_mlp_forward(const pope_model *m, const pope_layer_params *lp, float *out, float *ln,
                       float *rstd, float *fc, float *fcg, const float *h, int n);

// The KV cache (model_step.c) as the prompt's one-pass forward (model_eval.c) fills it:
// kv_check: made for m, with room for n more positions (else -1, pope_error set);
// kv_store_layer: layer's keys k (H, n, Dk) and values v (H, n, D) at positions len..len+n−1;
// kv_set_len: then the cache holds len positions.
int kv_check(const pope_model *m, const pope_kv *kv, int n);
void kv_store_layer(pope_kv *kv, int layer, const float *k, const float *v, int n);
void kv_set_len(pope_kv *kv, int len);

#endif  // POPE_MODEL_INTERNAL_H

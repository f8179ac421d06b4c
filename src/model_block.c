// model_block.c — the parts of a transformer block that training, scoring and the KV-cache
// step share (model_internal.h). Each caller keeps its own buffers.
#include <math.h>
#include <string.h>

#include "model_internal.h"
#include "ops.h"

int model_encode_qk(const pope_model *m, const pope_layer_params *lp, float *qe, float *ke,
                    const float *qh, const float *kh, int B, int T, int pos0) {
    const int H = m->H, D = m->D;
    const float base = m->cfg.pe_base;
    switch (m->cfg.pe) {
    case POPE_PE_ROPE:
        rope_forward(qe, qh, B, H, T, D, base, pos0);
        rope_forward(ke, kh, B, H, T, D, base, pos0);
        return 1;
    case POPE_PE_POLAR:
        polar_q_forward(qe, qh, B, H, T, D, base, pos0);               // (B,H,T,2D)
        polar_k_forward(ke, kh, lp->delta, m->cfg.delta_param, B, H, T, D, base, pos0);
        return 1;
    default:
        return 0;
    }
}

void model_encode_qk_backward(const pope_model *m, const pope_layer_params *lp, pope_layer_params *lg,
                              float *dqh, float *dkh, const float *dqe, const float *dke,
                              const float *qh, const float *kh, int B, int T, int pos0) {
    const int H = m->H, D = m->D;
    const float base = m->cfg.pe_base;
    const size_t n = (size_t)B * H * T * D;
    switch (m->cfg.pe) {
    case POPE_PE_ROPE:
        memset(dqh, 0, n * sizeof(float));
        memset(dkh, 0, n * sizeof(float));
        rope_backward(dqh, dqe, B, H, T, D, base, pos0);
        rope_backward(dkh, dke, B, H, T, D, base, pos0);
        break;
    case POPE_PE_POLAR:
        memset(dqh, 0, n * sizeof(float));
        memset(dkh, 0, n * sizeof(float));
        polar_q_backward(dqh, dqe, qh, B, H, T, D, base, pos0);
        polar_k_backward(dkh, lg->delta, dke, kh, lp->delta, m->cfg.delta_param, B, H, T, D, base, pos0);
        break;
    default:
        break;
    }
}

void model_attn_qkv(const pope_model *m, const pope_layer_params *lp, const model_attn_bufs *b,
                    const float *x, int B, int T, int pos0) {
    const int C = m->C, H = m->H, D = m->D, n = B * T;
    rmsnorm_forward(b->ln, b->rstd, x, lp->attn_norm, n, C, m->cfg.norm_eps);
    matmul_forward(b->qkv, b->ln, lp->wqkv, n, C, 3 * C);              // (n, 3C)
    heads_split(b->qh, b->qkv, B, T, H, D, 3 * C);                      // (B,H,T,D)
    heads_split(b->kh, b->qkv + C, B, T, H, D, 3 * C);
    heads_split(b->vh, b->qkv + 2 * C, B, T, H, D, 3 * C);
    model_encode_qk(m, lp, b->qe, b->ke, b->qh, b->kh, B, T, pos0);
}

void model_attn_proj(const pope_model *m, const pope_layer_params *lp, const model_attn_bufs *b,
                     float *proj, int B, int T) {
    const int C = m->C;
    heads_merge(b->att, b->atth, B, T, m->H, m->D, C);                 // (B,T,C)
    matmul_forward(proj, b->att, lp->wo, B * T, C, C);
}

int model_attn_forward(const pope_model *m, const pope_layer_params *lp, const model_attn_bufs *b,
                       float *proj, const float *x, int B, int T, float p_attn, uint64_t dropout_seed) {
    const int D = m->D;
    model_attn_qkv(m, lp, b, x, B, T, 0);
    if (attention_forward(b->atth, b->lse, model_attn_q(m, b), model_attn_k(m, b), b->vh, B, m->H, T, m->Dk, D,
                          1.0f / sqrtf((float)D), p_attn, dropout_seed) != 0)
        return -1;
    model_attn_proj(m, lp, b, proj, B, T);
    return 0;
}

void model_mlp_forward(const pope_model *m, const pope_layer_params *lp, float *out, float *ln,
                       float *rstd, float *fc, float *fcg, const float *h, int n) {
    const int C = m->C, F = m->F;
    rmsnorm_forward(ln, rstd, h, lp->ffn_norm, n, C, m->cfg.norm_eps);
    matmul_forward(fc, ln, lp->w1, n, C, F);                             // (n, F)
    gelu_forward(fcg, fc, (size_t)n * F);
    matmul_forward(out, fcg, lp->w2, n, F, C);                           // (n, C)
}

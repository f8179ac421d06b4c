// model_block.c — the parts of a transformer block's forward that training, scoring and
// the KV-cache step share (model_internal.h). Each caller keeps its own buffers.
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

void model_mlp_forward(const pope_model *m, const pope_layer_params *lp, float *out, float *ln,
                       float *rstd, float *fc, float *fcg, const float *h, int n) {
    const int C = m->C, F = m->F;
    rmsnorm_forward(ln, rstd, h, lp->ffn_norm, n, C, m->cfg.norm_eps);
    matmul_forward(fc, ln, lp->w1, n, C, F);                             // (n, F)
    gelu_forward(fcg, fc, (size_t)n * F);
    matmul_forward(out, fcg, lp->w2, n, F, C);                           // (n, C)
}

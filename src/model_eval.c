// model_eval.c — pope_model_nll: the inference forward with bounded memory.
//
// One batch row at a time, no activations kept across layers, and the two wide parts
// (the MLP hidden layer (T, 4C) and the logits (T, V)) computed in chunks of rows, so
// that memory grows as 13·T·C floats (polar; 11 rope, 9 others) plus the position table:
// d = 256, T = 65536 evaluates in under 1 GB.
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"
#include "ops.h"

#define NLL_CHUNK 512   // rows per MLP / logits chunk

int pope_model_nll(pope_model *m, const int32_t *inputs, const int32_t *targets, int B, int T,
                   float *nll) {
    if (B < 1 || T < 1 || (int64_t)B * T > INT_MAX / 4)
        return pope_error("model nll: bad batch shape B=%d T=%d", B, T);
    if (!targets || !nll) return pope_error("model nll: targets and nll are required");
    if (pope_check_tokens(m, inputs, targets, (size_t)B * T) != 0) return -1;
    int err;
    const float *pe = pope_model_pe_table(m, T, &err);
    if (err) return -1;
    const int C = m->C, H = m->H, Dk = m->Dk, F = m->F, V = m->V;
    const size_t Tz = (size_t)T, HDk = (size_t)H * Dk;
    const int enc = model_encodes_qk(m);
    const float eps = m->cfg.norm_eps;
    const int chunk = T < NLL_CHUNK ? T : NLL_CHUNK;

    float *x = pope_alloc_floats(Tz * C);        // residual stream (T, C)
    float *x2 = pope_alloc_floats(Tz * C);       // the next residual stream
    float *ln = pope_alloc_floats(Tz * C);       // norm output, then merged heads
    float *rstd = pope_alloc_floats(Tz);
    float *qkv = pope_alloc_floats(Tz * 3 * C);  // (T, 3C), then the projection
    float *qh = pope_alloc_floats(Tz * C), *kh = pope_alloc_floats(Tz * C);
    float *vh = pope_alloc_floats(Tz * C);
    float *qe = enc ? pope_alloc_floats(Tz * HDk) : NULL;
    float *ke = enc ? pope_alloc_floats(Tz * HDk) : NULL;
    float *lse = pope_alloc_floats(Tz * H);
    float *fc = pope_alloc_floats((size_t)chunk * (F > V ? F : V));  // hidden or logits
    float *fcg = pope_alloc_floats((size_t)chunk * F);
    int rc = 0;
    if (!x || !x2 || !ln || !rstd || !qkv || !qh || !kh || !vh || (enc && (!qe || !ke)) || !lse ||
        !fc || !fcg) {
        rc = pope_error("model nll: out of memory for T = %d", T);
        goto done;
    }
    if (!enc) { qe = qh; ke = kh; }

    for (int b = 0; b < B; b++) {
        const int32_t *tok = inputs + (size_t)b * T, *tgt = targets + (size_t)b * T;
        encoder_forward(x, tok, m->p.wte, pe, 1, T, C);
        for (int l = 0; l < m->L; l++) {
            const pope_layer_params *lp = &m->p.layers[l];
            // q, k, v are split out before attention: qkv is free for the head outputs and
            // the projection, the norm's output for the merged heads
            const model_attn_bufs ab = {ln, rstd, qkv, qh, kh, vh, qe, ke, qkv, lse, ln};
            float *proj = qkv + Tz * C;
            if (model_attn_forward(m, lp, &ab, proj, x, 1, T, 0.0f, 0) != 0) {
                rc = -1;
                goto done;
            }
            residual_forward(x2, x, proj, Tz * C);
            // MLP, chunk by chunk: x = x2 + W2·gelu(W1·RMSNorm(x2))
            for (int r0 = 0; r0 < T; r0 += chunk) {
                int n = T - r0 < chunk ? T - r0 : chunk;
                size_t o = (size_t)r0 * C;
                model_mlp_forward(m, lp, qkv + o, ln + o, rstd + r0, fc, fcg, x2 + o, n);
                residual_forward(x + o, x2 + o, qkv + o, (size_t)n * C);
            }
        }
        for (int r0 = 0; r0 < T; r0 += chunk) {
            int n = T - r0 < chunk ? T - r0 : chunk;
            size_t o = (size_t)r0 * C;
            rmsnorm_forward(ln + o, rstd + r0, x + o, m->p.norm, n, C, eps);
            matmul_forward(fc, ln + o, m->p.wout, n, C, V);   // logits (n, V)
            crossentropy_forward(nll + (size_t)b * T + r0, fc, tgt + r0, n, V);
        }
    }
done:
    free(x); free(x2); free(ln); free(rstd); free(qkv); free(qh); free(kh); free(vh);
    if (enc) { free(qe); free(ke); }
    free(lse); free(fc); free(fcg);
    return rc;
}

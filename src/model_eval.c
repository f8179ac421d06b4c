// model_eval.c — pope_model_nll: the inference forward with bounded memory; the same forward
// fills a KV cache from a whole prompt at once (pope_model_prefill).
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
#define PREFILL_MIN 4      // shorter prompts: matrix-vector steps cost no more
#define PREFILL_MAX 8192   // prompt tokens in one pass at most

// The buffers of one window of T rows (see the header comment for their sizes).
typedef struct {
    float *x, *x2, *ln, *rstd, *qkv, *qh, *kh, *vh, *qe, *ke, *lse, *fc, *fcg;
    int enc, chunk;
} fwd_bufs;

static void bufs_free(fwd_bufs *f) {
    free(f->x); free(f->x2); free(f->ln); free(f->rstd); free(f->qkv); free(f->qh); free(f->kh); free(f->vh);
    if (f->enc) { free(f->qe); free(f->ke); }
    free(f->lse); free(f->fc); free(f->fcg);
}

static int bufs_alloc(fwd_bufs *f, const pope_model *m, int T) {
    const size_t Tz = (size_t)T, C = (size_t)m->C, HDk = (size_t)m->H * m->Dk;
    memset(f, 0, sizeof *f);
    f->enc = model_encodes_qk(m);
    f->chunk = T < NLL_CHUNK ? T : NLL_CHUNK;
    f->x = pope_alloc_floats(Tz * C);          // residual stream (T, C)
    f->x2 = pope_alloc_floats(Tz * C);         // the next residual stream
    f->ln = pope_alloc_floats(Tz * C);         // norm output, then merged heads
    f->rstd = pope_alloc_floats(Tz);
    f->qkv = pope_alloc_floats(Tz * 3 * C);    // (T, 3C), then the projection
    f->qh = pope_alloc_floats(Tz * C);
    f->kh = pope_alloc_floats(Tz * C);
    f->vh = pope_alloc_floats(Tz * C);
    f->qe = f->enc ? pope_alloc_floats(Tz * HDk) : NULL;
    f->ke = f->enc ? pope_alloc_floats(Tz * HDk) : NULL;
    f->lse = pope_alloc_floats(Tz * m->H);
    f->fc = pope_alloc_floats((size_t)f->chunk * (m->F > m->V ? m->F : m->V));  // hidden or logits
    f->fcg = pope_alloc_floats((size_t)f->chunk * m->F);
    if (!f->x || !f->x2 || !f->ln || !f->rstd || !f->qkv || !f->qh || !f->kh || !f->vh || (f->enc && (!f->qe || !f->ke)) ||
        !f->lse || !f->fc || !f->fcg) {
        bufs_free(f);
        return pope_error("model forward: out of memory for T = %d", T);
    }
    if (!f->enc) { f->qe = f->qh; f->ke = f->kh; }
    return 0;
}

// The blocks over one window tok (T) at positions 0..T−1, then the final norm: f->ln (T, C)
// (f->rstd its statistics). kv (may be NULL) receives each layer's keys and values.
static int blocks_forward(pope_model *m, fwd_bufs *f, const int32_t *tok, int T, const float *pe, pope_kv *kv) {
    const int C = m->C;
    const size_t Tz = (size_t)T;
    encoder_forward(f->x, tok, m->p.wte, pe, 1, T, C);
    for (int l = 0; l < m->L; l++) {
        const pope_layer_params *lp = &m->p.layers[l];
        // q, k, v are split out before attention: qkv is free for the head outputs and
        // the projection, the norm's output for the merged heads
        const model_attn_bufs ab = {f->ln, f->rstd, f->qkv, f->qh, f->kh, f->vh, f->qe, f->ke, f->qkv, f->lse, f->ln};
        float *proj = f->qkv + Tz * C;
        if (model_attn_forward(m, lp, &ab, proj, f->x, 1, T, 0.0f, 0) != 0) return -1;
        if (kv) kv_store_layer(kv, l, model_attn_k(m, &ab), f->vh, T);
        residual_forward(f->x2, f->x, proj, Tz * C);
        // MLP, chunk by chunk: x = x2 + W2·gelu(W1·RMSNorm(x2))
        for (int r0 = 0; r0 < T; r0 += f->chunk) {
            int n = T - r0 < f->chunk ? T - r0 : f->chunk;
            size_t o = (size_t)r0 * C;
            model_mlp_forward(m, lp, f->qkv + o, f->ln + o, f->rstd + r0, f->fc, f->fcg, f->x2 + o, n);
            residual_forward(f->x + o, f->x2 + o, f->qkv + o, (size_t)n * C);
        }
    }
    rmsnorm_forward(f->ln, f->rstd, f->x, m->p.norm, T, C, m->cfg.norm_eps);
    return 0;
}

int pope_model_nll(pope_model *m, const int32_t *inputs, const int32_t *targets, int B, int T,
                   float *nll) {
    if (B < 1 || T < 1 || (int64_t)B * T > INT_MAX / 4)
        return pope_error("model nll: bad batch shape B=%d T=%d", B, T);
    if (!targets || !nll) return pope_error("model nll: targets and nll are required");
    if (pope_check_tokens(m, inputs, targets, (size_t)B * T) != 0) return -1;
    int err;
    const float *pe = pope_model_pe_table(m, T, &err);
    if (err) return -1;
    fwd_bufs f;
    if (bufs_alloc(&f, m, T) != 0) return -1;
    int rc = 0;
    for (int b = 0; b < B && rc == 0; b++) {
        const int32_t *tgt = targets + (size_t)b * T;
        if ((rc = blocks_forward(m, &f, inputs + (size_t)b * T, T, pe, NULL)) != 0) break;
        for (int r0 = 0; r0 < T; r0 += f.chunk) {
            int n = T - r0 < f.chunk ? T - r0 : f.chunk;
            matmul_forward(f.fc, f.ln + (size_t)r0 * m->C, m->p.wout, n, m->C, m->V);   // logits (n, V)
            crossentropy_forward(nll + (size_t)b * T + r0, f.fc, tgt + r0, n, m->V);
        }
    }
    bufs_free(&f);
    return rc;
}

int pope_model_prefill(pope_model *m, pope_kv *kv, const int32_t *tokens, int n, float *logits) {
    if (n < 1) return pope_error("model prefill: no tokens");
    // one pass over the first tokens of an empty cache; the rest (past PREFILL_MAX, where the
    // one-pass buffers would grow as 13·n·C floats) one at a time
    int once = pope_kv_len(kv) == 0 && n >= PREFILL_MIN ? (n < PREFILL_MAX ? n : PREFILL_MAX) : 0;
    if (once > 0) {
        if (kv_check(m, kv, n) != 0 || pope_check_tokens(m, tokens, NULL, (size_t)once) != 0) return -1;
        int err;
        const float *pe = pope_model_pe_table(m, once, &err);
        if (err) return -1;
        fwd_bufs f;
        if (bufs_alloc(&f, m, once) != 0) return -1;
        int rc = blocks_forward(m, &f, tokens, once, pe, kv);
        if (rc == 0 && logits && once == n)
            matmul_forward(logits, f.ln + (size_t)(n - 1) * m->C, m->p.wout, 1, m->C, m->V);
        bufs_free(&f);
        if (rc != 0) return -1;
        kv_set_len(kv, once);
    }
    for (int i = once; i < n; i++)
        if (pope_model_step(m, kv, tokens[i], i == n - 1 ? logits : NULL) != 0) return -1;
    return 0;
}

// model_step.c — generation with a KV cache: one token at a time.
//
// Each layer keeps, for positions 0..len-1, the keys as attention sees them (after rope,
// or k̃ after polar: they depend only on their own position) and the values. A new token
// at position len runs the block on its one row and attends to the cache.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"
#include "ops.h"

struct pope_kv {
    int L, H, D, Dk, C, F;
    pope_pe_kind pe;
    int cap, len;
    float *kcache;   // (L, H, cap, Dk)
    float *vcache;   // (L, H, cap, D)
    float *scores;   // (H, cap) attention scores of the new token
    // one-row scratch
    float *x, *x2, *ln, *qkv, *heads, *qe, *ke, *atth, *att, *proj, *fc, *fcg, *pe_row;
    float rstd;
};

pope_kv *pope_kv_new(const pope_model *m, int max_len) {
    if (max_len < 1) { pope_error("kv cache: max_len %d must be >= 1", max_len); return NULL; }
    pope_kv *kv = calloc(1, sizeof *kv);
    if (!kv) { pope_error("kv cache: out of memory"); return NULL; }
    kv->L = m->L; kv->H = m->H; kv->D = m->D; kv->Dk = m->Dk; kv->C = m->C; kv->F = m->F;
    kv->pe = m->cfg.pe;
    kv->cap = max_len;
    size_t cap = (size_t)max_len, C = m->C;
    kv->kcache = pope_alloc_floats((size_t)m->L * m->H * cap * m->Dk + 1);
    kv->vcache = pope_alloc_floats((size_t)m->L * m->H * cap * m->D + 1);
    kv->scores = pope_alloc_floats((size_t)m->H * cap);
    kv->x = pope_alloc_floats(C);
    kv->x2 = pope_alloc_floats(C);
    kv->ln = pope_alloc_floats(C);
    kv->qkv = pope_alloc_floats(3 * C);
    kv->heads = pope_alloc_floats(3 * C);
    kv->qe = pope_alloc_floats((size_t)m->H * m->Dk);
    kv->ke = pope_alloc_floats((size_t)m->H * m->Dk);
    kv->atth = pope_alloc_floats(C);
    kv->att = pope_alloc_floats(C);
    kv->proj = pope_alloc_floats(C);
    kv->fc = pope_alloc_floats((size_t)m->F);
    kv->fcg = pope_alloc_floats((size_t)m->F);
    kv->pe_row = pope_alloc_floats(C);
    if (!kv->kcache || !kv->vcache || !kv->scores || !kv->x || !kv->x2 || !kv->ln || !kv->qkv ||
        !kv->heads || !kv->qe || !kv->ke || !kv->atth || !kv->att || !kv->proj || !kv->fc || !kv->fcg || !kv->pe_row) {
        pope_kv_free(kv);
        pope_error("kv cache: out of memory for %d positions", max_len);
        return NULL;
    }
    return kv;
}

void pope_kv_free(pope_kv *kv) {
    if (!kv) return;
    free(kv->kcache); free(kv->vcache); free(kv->scores);
    free(kv->x); free(kv->x2); free(kv->ln); free(kv->qkv); free(kv->heads); free(kv->qe); free(kv->ke); free(kv->atth); free(kv->att); free(kv->proj); free(kv->fc); free(kv->fcg);
    free(kv->pe_row);
    free(kv);
}

void pope_kv_reset(pope_kv *kv) { kv->len = 0; }
int pope_kv_len(const pope_kv *kv) { return kv->len; }

int kv_check(const pope_model *m, const pope_kv *kv, int n) {
    if (kv->L != m->L || kv->H != m->H || kv->Dk != m->Dk || kv->C != m->C || kv->pe != m->cfg.pe)
        return pope_error("model step: the KV cache was made for another model shape");
    if (n > kv->cap - kv->len)
        return pope_error("model step: KV cache full (%d positions, %d more wanted)", kv->cap, n);
    return 0;
}

void kv_store_layer(pope_kv *kv, int layer, const float *k, const float *v, int n) {
    const size_t cap = (size_t)kv->cap, H = (size_t)kv->H, pos = (size_t)kv->len;
    float *kc = kv->kcache + (size_t)layer * H * cap * kv->Dk;   // (H, cap, Dk)
    float *vc = kv->vcache + (size_t)layer * H * cap * kv->D;    // (H, cap, D)
    for (size_t h = 0; h < H; h++) {
        memcpy(kc + (h * cap + pos) * kv->Dk, k + h * n * kv->Dk, (size_t)n * kv->Dk * sizeof(float));
        memcpy(vc + (h * cap + pos) * kv->D, v + h * n * kv->D, (size_t)n * kv->D * sizeof(float));
    }
}

void kv_set_len(pope_kv *kv, int len) { kv->len = len; }

int pope_model_step(pope_model *m, pope_kv *kv, int32_t token, float *logits) {
    if (kv_check(m, kv, 1) != 0) return -1;
    if (token < 0 || token >= m->V)
        return pope_error("model step: token %d outside the vocabulary [0, %d)", (int)token, m->V);
    const int C = m->C, H = m->H, D = m->D, Dk = m->Dk, pos = kv->len;
    const pope_pe_kind kind = m->cfg.pe;
    const float eps = m->cfg.norm_eps, scale = 1.0f / sqrtf((float)D);
    const size_t cap = (size_t)kv->cap;

    const float *pe = NULL;
    if (kind == POPE_PE_SINUSOIDAL) { pe_sinusoidal_table(kv->pe_row, pos, 1, C); pe = kv->pe_row; }
    if (kind == POPE_PE_LEGENDRE) {
        // one Legendre row costs O(pos·C) (the recurrence runs from degree 0): use the
        // model's table, grown geometrically, so that generating n tokens costs O(n·C)
        int rows = m->pe_rows, err;
        if (pos >= rows) {
            rows = 2 * rows > pos + 1 ? 2 * rows : pos + 1;
            if (rows < 256) rows = 256;
        }
        const float *table = pope_model_pe_table(m, rows, &err);
        if (err) return -1;
        pe = table + (size_t)pos * C;
    }
    encoder_forward(kv->x, &token, m->p.wte, pe, 1, 1, C);
    for (int l = 0; l < m->L; l++) {
        const pope_layer_params *lp = &m->p.layers[l];
        const float *kc = kv->kcache + (size_t)l * H * cap * Dk;   // (H, cap, Dk)
        const float *vc = kv->vcache + (size_t)l * H * cap * D;    // (H, cap, D)
        const model_attn_bufs ab = {kv->ln, &kv->rstd, kv->qkv, kv->heads, kv->heads + C, kv->heads + 2 * C,
                                    kv->qe, kv->ke, kv->atth, NULL, kv->att};
        model_attn_qkv(m, lp, &ab, kv->x, 1, 1, pos);
        kv_store_layer(kv, l, model_attn_k(m, &ab), ab.vh, 1);
        attention_decode(kv->atth, kv->scores, model_attn_q(m, &ab), kc, vc, H, pos + 1, kv->cap, Dk, D, scale);  // (H,D)
        model_attn_proj(m, lp, &ab, kv->proj, 1, 1);
        residual_forward(kv->x2, kv->x, kv->proj, C);
        model_mlp_forward(m, lp, kv->proj, kv->ln, &kv->rstd, kv->fc, kv->fcg, kv->x2, 1);
        residual_forward(kv->x, kv->x2, kv->proj, C);
    }
    rmsnorm_forward(kv->ln, &kv->rstd, kv->x, m->p.norm, 1, C, eps);
    if (logits) matmul_forward(logits, kv->ln, m->p.wout, 1, C, m->V);
    kv->len = pos + 1;
    return 0;
}

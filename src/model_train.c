// model_train.c — the training forward (activations kept) and its backward.
//
// Per block (pre-norm):  h = x + drop(Attn(RMSNorm(x)))      x' = h + drop(MLP(RMSNorm(h)))
// Attn: q,k,v = n·Wqᵀ, n·Wkᵀ, n·Wvᵀ (one GEMM with the stacked (3C, C) matrix), split heads,
// encode q and k (rope: rotate; polar: q̃, k̃ of width 2D), causal attention with scale
// 1/sqrt(D), merge heads, ·Woᵀ.  MLP: W2·gelu(W1·n).  logits = RMSNorm(x_L)·Woutᵀ.
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"
#include "ops.h"

// Activations (and their gradients) live in one 64-byte aligned block each, as in llm.c: a
// table lists every tensor's field and size in floats, and the block is cut in that order,
// each tensor starting on a 64-byte line. A size of 0 leaves the field NULL.
#define MAX_TENSORS 32
typedef struct {
    int n;
    float **field[MAX_TENSORS];
    size_t size[MAX_TENSORS];
} act_table;

static void table_add(act_table *t, float **field, size_t size) {
    t->field[t->n] = field;
    t->size[t->n++] = size;
}

// (Re)allocates *mem to hold every tensor of t and points the fields into it.
static int alloc_table(float **mem, const act_table *t) {
    size_t total = 0;
    for (int i = 0; i < t->n; i++) total += (t->size[i] + 15) / 16 * 16;
    free(*mem);
    *mem = pope_alloc_floats(total);
    for (int i = 0, off = 0; i < t->n; i++) {
        *t->field[i] = *mem && t->size[i] ? *mem + off : NULL;
        off += (t->size[i] + 15) / 16 * 16;
    }
    return *mem ? 0 : -1;
}

static void acts_table(pope_model *m, size_t N, act_table *t) {
    size_t L = (size_t)m->L, C = m->C, F = m->F, V = m->V;
    size_t Dk = (size_t)m->H * m->Dk;   // per-row width of q̃/k̃
    size_t enc = model_encodes_qk(m);
    // rope's backward needs no input: its q, k before rotation are scratch, not kept
    size_t qk_layers = m->cfg.pe == POPE_PE_ROPE ? 1 : L;
    pope_acts *a = &m->a;
    t->n = 0;
    table_add(t, &a->res, (L + 1) * N * C);
    table_add(t, &a->ln1, L * N * C);
    table_add(t, &a->rstd1, L * N);
    table_add(t, &a->qh, qk_layers * N * C);
    table_add(t, &a->kh, qk_layers * N * C);
    table_add(t, &a->vh, L * N * C);
    table_add(t, &a->qe, enc * L * N * Dk);
    table_add(t, &a->ke, enc * L * N * Dk);
    table_add(t, &a->atth, L * N * C);
    table_add(t, &a->lse, L * N * m->H);
    table_add(t, &a->att, N * C);   // scratch: backward re-merges it from atth
    table_add(t, &a->hmid, L * N * C);
    table_add(t, &a->ln2, L * N * C);
    table_add(t, &a->rstd2, L * N);
    table_add(t, &a->fc, L * N * F);
    table_add(t, &a->fcg, L * N * F);
    table_add(t, &a->lnf, N * C);
    table_add(t, &a->rstdf, N);
    table_add(t, &a->logits, N * V);
    table_add(t, &a->losses, N);
    table_add(t, &a->qkv, N * 3 * C);
    table_add(t, &a->proj, N * C);
    table_add(t, &a->proj_drop, N * C);
}

static void grad_acts_table(pope_model *m, size_t N, act_table *t) {
    size_t C = m->C, F = m->F, V = m->V, Dk = (size_t)m->H * m->Dk;
    pope_grad_acts *g = &m->ga;
    t->n = 0;
    table_add(t, &g->dlogits, N * V);
    table_add(t, &g->dx, N * C);
    table_add(t, &g->dbranch, N * C);
    table_add(t, &g->dln, N * C);
    table_add(t, &g->datt, N * C);
    table_add(t, &g->dfcg, N * F);
    table_add(t, &g->dfc, N * F);
    table_add(t, &g->dqkv, N * 3 * C);
    table_add(t, &g->datth, N * C);
    table_add(t, &g->dqe, N * Dk);
    table_add(t, &g->dke, N * Dk);
    table_add(t, &g->dqh, N * C);
    table_add(t, &g->dkh, N * C);
    table_add(t, &g->dvh, N * C);
}

static int alloc_acts(pope_model *m, size_t N) {
    if (N <= m->acts_cap_N) return 0;
    act_table t;
    acts_table(m, N, &t);
    int ok = alloc_table(&m->acts_mem, &t) == 0;
    int32_t *in = realloc(m->inputs, N * sizeof(int32_t));
    if (in) m->inputs = in;
    int32_t *tg = realloc(m->targets, N * sizeof(int32_t));
    if (tg) m->targets = tg;
    if (!ok || !in || !tg) {
        m->acts_cap_N = 0;
        return pope_error("model: out of memory for the activations of %zu rows", N);
    }
    m->acts_cap_N = N;
    return 0;
}

static int alloc_grad_acts(pope_model *m, size_t N) {
    if (N <= m->grad_acts_cap_N) return 0;
    act_table t;
    grad_acts_table(m, N, &t);
    if (alloc_table(&m->grad_acts_mem, &t) != 0) {
        m->grad_acts_cap_N = 0;
        return pope_error("model: out of memory for the gradients of %zu rows", N);
    }
    m->grad_acts_cap_N = N;
    return 0;
}

static void zero(float *p, size_t n) { memset(p, 0, n * sizeof(float)); }

// Pointers to layer l's saved activations for a forward of N rows.
typedef struct {
    float *x;            // (N, C) block input
    float *ln1, *rstd1;  // (N, C), (N)
    float *qh, *kh, *vh; // (B,H,T,D) after split (rope: q, k are scratch)
    float *qe, *ke;      // (B,H,T,Dk) after the encoding (== qh, kh without rope/polar)
    float *atth, *lse;   // (B,H,T,D), (B,H,T)
    float *hmid;         // (N, C) after the attention branch
    float *ln2, *rstd2;  // (N, C), (N)
    float *fc, *fcg;     // (N, F) before and after GELU
    float *xout;         // (N, C) block output
} layer_acts;

static layer_acts layer_view(pope_model *m, int l, size_t N) {
    const size_t C = m->C, F = m->F, HDk = (size_t)m->H * m->Dk, L = (size_t)l;
    const pope_pe_kind kind = m->cfg.pe;
    pope_acts *a = &m->a;
    layer_acts v;
    v.x = a->res + L * N * C;
    v.ln1 = a->ln1 + L * N * C;
    v.rstd1 = a->rstd1 + L * N;
    const size_t qk_off = kind == POPE_PE_ROPE ? 0 : L * N * C;
    v.qh = a->qh + qk_off;
    v.kh = a->kh + qk_off;
    v.vh = a->vh + L * N * C;
    int enc = model_encodes_qk(m);
    v.qe = enc ? a->qe + L * N * HDk : v.qh;
    v.ke = enc ? a->ke + L * N * HDk : v.kh;
    v.atth = a->atth + L * N * C;
    v.lse = a->lse + L * N * m->H;
    v.hmid = a->hmid + L * N * C;
    v.ln2 = a->ln2 + L * N * C;
    v.rstd2 = a->rstd2 + L * N;
    v.fc = a->fc + L * N * F;
    v.fcg = a->fcg + L * N * F;
    v.xout = a->res + (L + 1) * N * C;
    return v;
}

int pope_model_forward(pope_model *m, const int32_t *inputs, const int32_t *targets, int B, int T,
                       int training, uint64_t dropout_seed, float *loss) {
    if (loss) *loss = 0.0f;
    m->has_forward = 0;
    if (B < 1 || T < 1 || (int64_t)B * T > INT_MAX / 4)
        return pope_error("model forward: bad batch shape B=%d T=%d", B, T);
    size_t N = (size_t)B * T;
    if (pope_check_tokens(m, inputs, targets, N) != 0) return -1;
    if (alloc_acts(m, N) != 0) return -1;
    int err;
    const float *pe = pope_model_pe_table(m, T, &err);
    if (err) return -1;

    const int C = m->C, V = m->V, Nn = (int)N;
    const float eps = m->cfg.norm_eps;
    const float p_attn = training ? m->cfg.dropout_attn : 0.0f;
    const float p_resid = training ? m->cfg.dropout_resid : 0.0f;
    pope_acts *a = &m->a;
    memcpy(m->inputs, inputs, N * sizeof(int32_t));
    if (targets) memcpy(m->targets, targets, N * sizeof(int32_t));

    encoder_forward(a->res, inputs, m->p.wte, pe, B, T, C);   // (B,T,C)
    for (int l = 0; l < m->L; l++) {
        const pope_layer_params *lp = &m->p.layers[l];
        const layer_acts v = layer_view(m, l, N);
        const model_attn_bufs ab = {v.ln1, v.rstd1, a->qkv, v.qh, v.kh, v.vh, v.qe, v.ke, v.atth, v.lse, a->att};
        float *x = v.x, *hmid = v.hmid, *ln2 = v.ln2, *rstd2 = v.rstd2, *fc = v.fc, *fcg = v.fcg;
        float *xout = v.xout;

        if (model_attn_forward(m, lp, &ab, a->proj, x, B, T, p_attn, pope_dropout_site_seed(dropout_seed, l, 0)) != 0)
            return -1;
        const float *branch = a->proj;
        if (p_resid > 0.0f) {
            dropout_forward(a->proj_drop, a->proj, N * C, p_resid,
                            pope_dropout_site_seed(dropout_seed, l, 1));
            branch = a->proj_drop;
        }
        residual_forward(hmid, x, branch, N * C);

        model_mlp_forward(m, lp, a->proj, ln2, rstd2, fc, fcg, hmid, Nn);  // (N, C)
        branch = a->proj;
        if (p_resid > 0.0f) {
            dropout_forward(a->proj_drop, a->proj, N * C, p_resid,
                            pope_dropout_site_seed(dropout_seed, l, 2));
            branch = a->proj_drop;
        }
        residual_forward(xout, hmid, branch, N * C);
    }
    const float *xL = a->res + (size_t)m->L * N * C;
    rmsnorm_forward(a->lnf, a->rstdf, xL, m->p.norm, Nn, C, eps);
    matmul_forward(a->logits, a->lnf, m->p.wout, Nn, C, V);           // (N, V)

    m->B = B;
    m->T = T;
    m->has_forward = 1;
    m->has_targets = targets != NULL;
    m->fwd_dropout_attn = p_attn;
    m->fwd_dropout_resid = p_resid;
    m->fwd_dropout_seed = dropout_seed;
    m->n_targets = 0;
    if (targets) {
        m->n_targets = crossentropy_forward(a->losses, a->logits, targets, Nn, V);
        if (loss && m->n_targets > 0) {
            double sum = 0.0;   // serial, in row order: deterministic
            for (size_t i = 0; i < N; i++) sum += a->losses[i];
            *loss = (float)(sum / m->n_targets);
        }
    }
    return 0;
}

const float *pope_model_logits(const pope_model *m) { return m->has_forward ? m->a.logits : NULL; }

int pope_model_backward(pope_model *m, float grad_scale) {
    if (!m->has_forward || !m->has_targets)
        return pope_error("model backward: no training forward with targets before it");
    if (m->n_targets == 0) return 0;   // loss 0 by definition: no gradient
    const int B = m->B, T = m->T, Nn = B * T;
    const size_t N = (size_t)Nn;
    if (alloc_grad_acts(m, N) != 0) return -1;
    const int C = m->C, H = m->H, D = m->D, Dk = m->Dk, F = m->F, V = m->V;
    const float scale = 1.0f / sqrtf((float)D);
    const float p_attn = m->fwd_dropout_attn, p_resid = m->fwd_dropout_resid;
    const uint64_t seed = m->fwd_dropout_seed;
    pope_acts *a = &m->a;
    pope_grad_acts *g = &m->ga;

    // loss = (1/n) Σ losses: each row's cross-entropy gradient is scaled by grad_scale/n
    zero(g->dlogits, N * V);
    crossentropy_backward(g->dlogits, a->logits, m->targets, Nn, V, grad_scale / (float)m->n_targets);
    zero(g->dln, N * C);
    matmul_backward(g->dln, m->g.wout, g->dlogits, a->lnf, m->p.wout, Nn, C, V);
    zero(g->dx, N * C);
    rmsnorm_backward(g->dx, m->g.norm, g->dln, a->res + (size_t)m->L * N * C, m->p.norm, a->rstdf,
                     Nn, C);

    for (int l = m->L - 1; l >= 0; l--) {
        const pope_layer_params *lp = &m->p.layers[l];
        pope_layer_params *lg = &m->g.layers[l];
        const layer_acts v = layer_view(m, l, N);
        float *x = v.x, *ln1 = v.ln1, *rstd1 = v.rstd1, *qh = v.qh, *kh = v.kh, *vh = v.vh;
        float *qe = v.qe, *ke = v.ke, *atth = v.atth, *lse = v.lse, *att = a->att;
        float *hmid = v.hmid, *ln2 = v.ln2, *rstd2 = v.rstd2, *fc = v.fc, *fcg = v.fcg;
        const int enc = model_encodes_qk(m);

        // ---- MLP branch: dx holds d(x'); the identity path passes it to dh unchanged
        const float *dbranch = g->dx;
        if (p_resid > 0.0f) {
            zero(g->dbranch, N * C);
            dropout_backward(g->dbranch, g->dx, N * C, p_resid, pope_dropout_site_seed(seed, l, 2));
            dbranch = g->dbranch;
        }
        zero(g->dfcg, N * F);
        matmul_backward(g->dfcg, lg->w2, dbranch, fcg, lp->w2, Nn, F, C);
        zero(g->dfc, N * F);
        gelu_backward(g->dfc, fc, g->dfcg, N * F);
        zero(g->dln, N * C);
        matmul_backward(g->dln, lg->w1, g->dfc, ln2, lp->w1, Nn, C, F);
        rmsnorm_backward(g->dx, lg->ffn_norm, g->dln, hmid, lp->ffn_norm, rstd2, Nn, C);  // dx = dh

        // ---- attention branch
        dbranch = g->dx;
        if (p_resid > 0.0f) {
            zero(g->dbranch, N * C);
            dropout_backward(g->dbranch, g->dx, N * C, p_resid, pope_dropout_site_seed(seed, l, 1));
            dbranch = g->dbranch;
        }
        heads_merge(att, atth, B, T, H, D, C);   // the merged heads, recomputed (a permutation)
        zero(g->datt, N * C);
        matmul_backward(g->datt, lg->wo, dbranch, att, lp->wo, Nn, C, C);
        zero(g->datth, N * C);
        heads_merge_backward(g->datth, g->datt, B, T, H, D, C);
        float *dqe = enc ? g->dqe : g->dqh, *dke = enc ? g->dke : g->dkh;
        zero(dqe, N * H * Dk);
        zero(dke, N * H * Dk);
        zero(g->dvh, N * C);
        if (attention_backward(dqe, dke, g->dvh, g->datth, atth, lse, qe, ke, vh, B, H, T, Dk, D,
                               scale, p_attn, pope_dropout_site_seed(seed, l, 0)) != 0)
            return -1;   // the parameter gradients are partly accumulated: discard them
        model_encode_qk_backward(m, lp, lg, g->dqh, g->dkh, dqe, dke, qh, kh, B, T, 0);
        zero(g->dqkv, N * 3 * C);
        heads_split_backward(g->dqkv, g->dqh, B, T, H, D, 3 * C);
        heads_split_backward(g->dqkv + C, g->dkh, B, T, H, D, 3 * C);
        heads_split_backward(g->dqkv + 2 * C, g->dvh, B, T, H, D, 3 * C);
        zero(g->dln, N * C);
        matmul_backward(g->dln, lg->wqkv, g->dqkv, ln1, lp->wqkv, Nn, C, 3 * C);
        rmsnorm_backward(g->dx, lg->attn_norm, g->dln, x, lp->attn_norm, rstd1, Nn, C);  // dx = d(x)
    }
    encoder_backward(m->g.wte, g->dx, m->inputs, B, T, C);
    return 0;
}

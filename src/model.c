// model.c — model construction: the parameter layout, initialisation, tensor list.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"
#include "ops.h"

static void *xcalloc(size_t n, size_t size) { return n && size ? calloc(n, size) : calloc(1, 1); }

// Appends a tensor descriptor; data/grad filled in once the buffers exist.
static int add_tensor(pope_model *m, size_t *off, const char *name, int ndim, int r, int c,
                      int decay) {
    pope_tensor *t = &m->tensors[m->n_tensors++];
    t->name = strdup(name);
    if (!t->name) return pope_error("model: out of memory");
    t->ndim = ndim;
    t->shape[0] = r;
    t->shape[1] = ndim == 2 ? c : 0;
    t->numel = (size_t)r * (ndim == 2 ? (size_t)c : 1);
    t->decay = decay;
    m->offsets[m->n_tensors - 1] = *off;   // data/grad point into the buffers later
    *off += t->numel;
    return 0;
}

static int build_tensors(pope_model *m) {
    int C = m->C, F = m->F, V = m->V, H = m->H, D = m->D;
    int polar = m->cfg.pe == POPE_PE_POLAR;
    int max_tensors = 3 + m->L * 9;
    m->tensors = xcalloc((size_t)max_tensors, sizeof *m->tensors);
    m->offsets = xcalloc((size_t)max_tensors, sizeof *m->offsets);
    if (!m->tensors || !m->offsets) return pope_error("model: out of memory");
    size_t off = 0;
    char name[96];
    if (add_tensor(m, &off, "tok_embeddings.weight", 2, V, C, 1)) return -1;
    for (int l = 0; l < m->L; l++) {
#define T_(suffix, nd, r, c, dec)                                            \
        snprintf(name, sizeof name, "layers.%d." suffix, l);                 \
        if (add_tensor(m, &off, name, nd, r, c, dec)) return -1;
        T_("attention_norm.weight", 1, C, 0, 0)
        T_("attention.wq.weight", 2, C, C, 1)
        T_("attention.wk.weight", 2, C, C, 1)
        T_("attention.wv.weight", 2, C, C, 1)
        T_("attention.wo.weight", 2, C, C, 1)
        if (polar) { T_("attention.pope_delta", 2, H, D, 0) }
        T_("ffn_norm.weight", 1, C, 0, 0)
        T_("feed_forward.w1.weight", 2, F, C, 1)
        T_("feed_forward.w2.weight", 2, C, F, 1)
#undef T_
    }
    if (add_tensor(m, &off, "norm.weight", 1, C, 0, 0)) return -1;
    if (!m->cfg.tie_embeddings && add_tensor(m, &off, "output.weight", 2, V, C, 1)) return -1;
    m->num_params = off;
    return 0;
}

// The model's dimensions (config_validate keeps 4·d_model and every product below in range).
static void set_dims(pope_model *m, const pope_config *cfg) {
    m->C = cfg->d_model;
    m->H = cfg->n_heads;
    m->D = cfg->d_model / cfg->n_heads;
    m->Dk = cfg->pe == POPE_PE_POLAR ? 2 * m->D : m->D;
    m->F = 4 * cfg->d_model;
    m->V = cfg->vocab_size;
    m->L = cfg->n_layers;
}

static void point_params(pope_model *m, pope_params *p, float *base) {
    int k = 0;
    p->wte = base + m->offsets[k++];
    for (int l = 0; l < m->L; l++) {
        pope_layer_params *lp = &p->layers[l];
        lp->attn_norm = base + m->offsets[k++];
        lp->wqkv = base + m->offsets[k];
        k += 3;   // wq, wk, wv: adjacent
        lp->wo = base + m->offsets[k++];
        lp->delta = m->cfg.pe == POPE_PE_POLAR ? base + m->offsets[k++] : NULL;
        lp->ffn_norm = base + m->offsets[k++];
        lp->w1 = base + m->offsets[k++];
        lp->w2 = base + m->offsets[k++];
    }
    p->norm = base + m->offsets[k++];
    p->wout = m->cfg.tie_embeddings ? p->wte : base + m->offsets[k++];
}

// The init std of tok_embeddings. Auto (0): the absolute encodings add a table whose
// entries are of size ~1 (sin/cos, Legendre values) to E[tok]; with E ~ N(0, 0.02) the
// token would be ~2% of the block input and a model barely learns from it (measured on
// JSB: sinusoidal stuck at the unigram NLL). N(0, 1) puts both on one scale, as
// torch.nn.Embedding's default does in sinusoidal reference code. With a tied output
// the same matrix makes the logits, so there it stays init_std.
float pope_embed_init_std(const pope_config *c) {
    if (c->embed_init_std > 0.0f) return c->embed_init_std;
    int absolute = c->pe == POPE_PE_SINUSOIDAL || c->pe == POPE_PE_LEGENDRE;
    return absolute && !c->tie_embeddings ? 1.0f : c->init_std;
}

// Initialisation, one RNG stream in tensor order, row-major within a tensor:
// tok_embeddings N(0, pope_embed_init_std); other matrices N(0, init_std); norm weights 1;
// δ zero or -2π·U[0,1) (sigmoid: the stored u with −2π·σ(u) = δ, σ kept in
// [POLAR_SIGMOID_EPS, 1 − POLAR_SIGMOID_EPS]).
static float delta_init_value(const pope_config *c, pope_rng *rng) {
    if (c->delta_param == POPE_DELTA_CLAMP)
        return c->delta_init == POPE_DELTA_UNIFORM ? -2.0f * (float)M_PI * pope_rng_uniform(rng) : 0.0f;
    // sigmoid: δ = −2π·σ(u), so σ(u) = −δ/2π = U (uniform) or 0 (zero), kept off the bounds
    double s = c->delta_init == POPE_DELTA_UNIFORM ? pope_rng_uniform(rng) : 0.0;
    s = fmin(fmax(s, POLAR_SIGMOID_EPS), 1.0 - POLAR_SIGMOID_EPS);
    return (float)log(s / (1.0 - s));
}

static void init_params(pope_model *m, uint64_t seed) {
    pope_rng rng;
    pope_rng_seed(&rng, seed);
    const float embed_std = pope_embed_init_std(&m->cfg);
    for (int i = 0; i < m->n_tensors; i++) {
        pope_tensor *t = &m->tensors[i];
        int is_delta = strstr(t->name, "pope_delta") != NULL;
        const float std = strcmp(t->name, "tok_embeddings.weight") == 0 ? embed_std : m->cfg.init_std;
        for (size_t j = 0; j < t->numel; j++) {
            if (is_delta)
                t->data[j] = delta_init_value(&m->cfg, &rng);
            else if (t->ndim == 1)
                t->data[j] = 1.0f;
            else
                t->data[j] = std * pope_rng_normal(&rng);
        }
    }
}

// The tensor list of a shell model gives the count: one layout rule (build_tensors), no buffers.
uint64_t pope_config_num_params(const pope_config *cfg) {
    if (!cfg || pope_config_validate(cfg) != 0) return 0;
    pope_model *m = xcalloc(1, sizeof *m);
    if (!m) return 0;
    m->cfg = *cfg;
    set_dims(m, cfg);
    uint64_t n = build_tensors(m) == 0 ? (uint64_t)m->num_params : 0;
    pope_model_free(m);
    return n;
}

pope_model *pope_model_new(const pope_config *cfg, uint64_t seed) {
    return pope_model_create(cfg, 1, seed);
}

pope_model *pope_model_create(const pope_config *cfg, int init, uint64_t seed) {
    if (!cfg) { pope_error("model: no config"); return NULL; }
    if (pope_config_validate(cfg) != 0) return NULL;
    pope_num_threads();   // make sure the runtime (BLIS kernel choice) is initialised
    pope_model *m = xcalloc(1, sizeof *m);
    if (!m) { pope_error("model: out of memory"); return NULL; }
    m->cfg = *cfg;
    set_dims(m, cfg);
    if (build_tensors(m) != 0) goto fail;
    m->params = xcalloc(m->num_params, sizeof(float));
    m->grads = xcalloc(m->num_params, sizeof(float));
    m->p.layers = xcalloc((size_t)m->L, sizeof(pope_layer_params));
    m->g.layers = xcalloc((size_t)m->L, sizeof(pope_layer_params));
    if (!m->params || !m->grads || !m->p.layers || !m->g.layers) {
        pope_error("model: out of memory for %zu parameters", m->num_params);
        goto fail;
    }
    point_params(m, &m->p, m->params);
    point_params(m, &m->g, m->grads);
    for (int i = 0; i < m->n_tensors; i++) {
        m->tensors[i].data = m->params + m->offsets[i];
        m->tensors[i].grad = m->grads + m->offsets[i];
    }
    if (init) init_params(m, seed);
    return m;
fail:
    pope_model_free(m);
    return NULL;
}

static void free_acts(pope_model *m) {
    free(m->acts_mem);
    free(m->grad_acts_mem);
    m->acts_mem = m->grad_acts_mem = NULL;
    memset(&m->a, 0, sizeof m->a);
    memset(&m->ga, 0, sizeof m->ga);
    m->acts_cap_N = m->grad_acts_cap_N = 0;
}

void pope_model_free(pope_model *m) {
    if (!m) return;
    if (m->tensors)
        for (int i = 0; i < m->n_tensors; i++) free((char *)m->tensors[i].name);
    free(m->tensors);
    free(m->offsets);
    free(m->params);
    free(m->grads);
    free(m->p.layers);
    free(m->g.layers);
    free(m->pe_table);
    free_acts(m);
    free(m->inputs);
    free(m->targets);
    free(m);
}

const pope_config *pope_model_config(const pope_model *m) { return &m->cfg; }
size_t pope_model_num_params(const pope_model *m) { return m->num_params; }

int pope_model_delta_frozen(const pope_model *m, double *share, int max) {
    if (m->cfg.pe != POPE_PE_POLAR) return 0;
    const int n = m->H * m->D;
    for (int l = 0; l < m->cfg.n_layers && l < max; l++) {
        int frozen = 0;
        for (int i = 0; i < n; i++) frozen += polar_delta_slope(m->p.layers[l].delta[i], m->cfg.delta_param) == 0.0;
        share[l] = (double)frozen / n;
    }
    return m->cfg.n_layers;
}
int pope_model_num_tensors(const pope_model *m) { return m->n_tensors; }

pope_tensor pope_model_tensor(pope_model *m, int i) {
    if (i < 0 || i >= m->n_tensors) {
        pope_tensor none;
        memset(&none, 0, sizeof none);
        return none;
    }
    return m->tensors[i];
}

int pope_model_find_tensor(pope_model *m, const char *name) {
    for (int i = 0; i < m->n_tensors; i++)
        if (strcmp(m->tensors[i].name, name) == 0) return i;
    return -1;
}

void pope_model_zero_grad(pope_model *m) { memset(m->grads, 0, m->num_params * sizeof(float)); }

// splitmix64 finaliser of seed + golden·(1 + 3l + site): distinct, decorrelated seeds.
uint64_t pope_dropout_site_seed(uint64_t seed, int layer, int site) {
    return pope_mix64(seed + 0x9e3779b97f4a7c15ULL * (uint64_t)(1 + 3 * (int64_t)layer + site));
}

const float *pope_model_pe_table(pope_model *m, int T, int *err) {
    *err = 0;
    pope_pe_kind pe = m->cfg.pe;
    if (pe != POPE_PE_SINUSOIDAL && pe != POPE_PE_LEGENDRE) return NULL;
    if (T <= m->pe_rows) return m->pe_table;
    float *t = malloc((size_t)T * m->C * sizeof(float));
    if (!t) { *err = pope_error("model: out of memory for a (%d, %d) position table", T, m->C); return NULL; }
    if (pe == POPE_PE_SINUSOIDAL) pe_sinusoidal_table(t, 0, T, m->C);
    else pe_legendre_table(t, 0, T, m->C, m->cfg.legendre_grid);
    free(m->pe_table);
    m->pe_table = t;
    m->pe_rows = T;
    return t;
}

int pope_check_tokens(const pope_model *m, const int32_t *inputs, const int32_t *targets, size_t n) {
    if (!inputs) return pope_error("model: no input tokens");
    for (size_t i = 0; i < n; i++) {
        if (inputs[i] < 0 || inputs[i] >= m->V)
            return pope_error("model: input token %d at index %zu outside the vocabulary [0, %d)",
                              (int)inputs[i], i, m->V);
        if (targets && targets[i] >= m->V)
            return pope_error("model: target token %d at index %zu outside the vocabulary [0, %d)",
                              (int)targets[i], i, m->V);
    }
    return 0;
}

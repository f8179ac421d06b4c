// config.c — the model configuration: defaults, validation, JSON (cJSON).
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "pope.h"
#include "pope_fields.h"


static const char *const grid_names[] = {"endpoint", "midpoint", NULL};
static const char *const delta_init_names[] = {"zero", "uniform", NULL};
static const char *const delta_param_names[] = {"clamp", "sigmoid", NULL};
static const char *const pe_name_list[] = {"none", "sinusoidal", "legendre", "rope", "polar", NULL};
static const char *const tokenizer_default[] = {"none", NULL};

const char *pope_pe_name(pope_pe_kind pe) {
    return (unsigned)pe < POPE_PE_COUNT ? pe_name_list[pe] : "?";
}

int pope_pe_parse(const char *name, pope_pe_kind *out) {
    for (int i = 0; i < POPE_PE_COUNT; i++)
        if (name && strcmp(name, pe_name_list[i]) == 0) { *out = (pope_pe_kind)i; return 0; }
    return pope_error("unknown positional encoding '%s' (none, sinusoidal, legendre, rope, polar)",
                      name ? name : "(null)");
}


#define F(key, kind, field) key, kind, offsetof(pope_config, field)
// Every field of pope_config: default, range, JSON key (docs/MODEL.md describes them).
const pope_field pope_config_fields[] = {
    {F("vocab_size", POPE_F_INT, vocab_size), .def = 256, .lo = 1, .hi = POPE_MAX_VOCAB, .help = "tokens in the vocabulary"},
    {F("d_model", POPE_F_INT, d_model), .def = 128, .lo = 1, .hi = POPE_MAX_D_MODEL, .help = "model width C"},
    {F("n_layers", POPE_F_INT, n_layers), .def = 4, .lo = 0, .hi = POPE_MAX_LAYERS, .help = "transformer blocks L"},
    {F("n_heads", POPE_F_INT, n_heads), .def = 4, .lo = 1, .hi = POPE_MAX_D_MODEL,
     .help = "attention heads H (at most d_model; D = C / H)"},
    {F("context_length", POPE_F_INT, context_length), .def = 512, .lo = 1, .hi = POPE_MAX_CONTEXT,
     .help = "training context T"},
    {F("pe", POPE_F_ENUM, pe), .def = POPE_PE_POLAR, .names = pe_name_list, .help = "positional encoding"},
    {F("pe_base", POPE_F_FLOAT, pe_base), .def = 10000, .lo = 1, .lo_open = 1, .hi = INFINITY, .hi_open = 1,
     .help = "frequency base of rope and polar"},
    {F("legendre_grid", POPE_F_ENUM, legendre_grid), .def = POPE_GRID_ENDPOINT, .names = grid_names,
     .help = "legendre's position grid"},
    {F("delta_init", POPE_F_ENUM, delta_init), .def = POPE_DELTA_ZERO, .names = delta_init_names,
     .help = "polar: initial phase offsets"},
    {F("delta_param", POPE_F_ENUM, delta_param), .def = POPE_DELTA_CLAMP, .names = delta_param_names,
     .help = "polar: how delta stays in [-2pi, 0]"},
    {F("norm_eps", POPE_F_FLOAT, norm_eps), .def = 1e-5, .lo = 0, .lo_open = 1, .hi = INFINITY, .hi_open = 1,
     .help = "RMSNorm epsilon"},
    {F("tie_embeddings", POPE_F_BOOL, tie_embeddings), .def = 0, .help = "output projection = token embeddings"},
    {F("dropout_attn", POPE_F_FLOAT, dropout_attn), .def = 0, .lo = 0, .hi = 1, .hi_open = 1,
     .help = "dropout on attention probabilities (training)"},
    {F("dropout_resid", POPE_F_FLOAT, dropout_resid), .def = 0, .lo = 0, .hi = 1, .hi_open = 1,
     .help = "dropout on each residual branch (training)"},
    {F("init_std", POPE_F_FLOAT, init_std), .def = 0.02, .lo = 0, .hi = INFINITY, .hi_open = 1,
     .help = "init std of the weights"},
    {F("embed_init_std", POPE_F_FLOAT, embed_init_std), .def = 0, .lo = 0, .hi = INFINITY, .hi_open = 1,
     .help = "init std of the token embeddings (0: auto)"},
    {F("tokenizer", POPE_F_STR, tokenizer), .size = POPE_TOKENIZER_MAX, .names = tokenizer_default,
     .help = "the tokenizer the model was trained with"},
    {0},
};
#undef F

void pope_config_default(pope_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    pope_fields_default(pope_config_fields, cfg);
}

// The ranges of the field table, then the rules that join fields.
int pope_config_validate(const pope_config *c) {
    if (pope_fields_validate(pope_config_fields, c, "config") != 0) return -1;
    if (c->n_heads > c->d_model)
        return pope_error("config: n_heads %d must be in 1..d_model (%d)", c->n_heads, c->d_model);
    if ((int64_t)c->vocab_size * c->d_model > POPE_MAX_TENSOR_NUMEL)
        return pope_error("config: vocab_size × d_model = %lld exceeds %lld (one tensor)",
                          (long long)c->vocab_size * c->d_model, POPE_MAX_TENSOR_NUMEL);
    if (c->d_model % c->n_heads != 0)
        return pope_error("config: d_model %d is not a multiple of n_heads %d", c->d_model, c->n_heads);
    int D = c->d_model / c->n_heads;
    if (c->pe == POPE_PE_ROPE && D % 2 != 0)
        return pope_error("config: rope needs an even head size, d_model/n_heads = %d", D);
    if (c->pe == POPE_PE_SINUSOIDAL && c->d_model % 2 != 0)
        return pope_error("config: sinusoidal needs an even d_model, got %d", c->d_model);
    return 0;
}

char *pope_config_to_json(const pope_config *c) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    pope_fields_to_json(pope_config_fields, c, o);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

int pope_config_from_json(pope_config *cfg, const char *json) {
    if (!json) return pope_error("config JSON: missing");
    cJSON *o = cJSON_Parse(json);
    if (!o) return pope_error("config JSON: not valid JSON");
    int rc = pope_fields_from_json(pope_config_fields, cfg, o, "config JSON");
    cJSON_Delete(o);
    return rc;
}

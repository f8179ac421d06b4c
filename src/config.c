// config.c — the model configuration: defaults, validation, JSON (cJSON).
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "pope.h"

static const char *pe_names[POPE_PE_COUNT] = {"none", "sinusoidal", "legendre", "rope", "polar"};

const char *pope_pe_name(pope_pe_kind pe) {
    return (unsigned)pe < POPE_PE_COUNT ? pe_names[pe] : "?";
}

int pope_pe_parse(const char *name, pope_pe_kind *out) {
    for (int i = 0; i < POPE_PE_COUNT; i++)
        if (name && strcmp(name, pe_names[i]) == 0) { *out = (pope_pe_kind)i; return 0; }
    return pope_error("unknown positional encoding '%s' (none, sinusoidal, legendre, rope, polar)",
                      name ? name : "(null)");
}

void pope_config_default(pope_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->vocab_size = 256;
    cfg->d_model = 128;
    cfg->n_layers = 4;
    cfg->n_heads = 4;
    cfg->context_length = 512;
    cfg->pe = POPE_PE_POLAR;
    cfg->pe_base = 10000.0f;
    cfg->legendre_grid = POPE_GRID_ENDPOINT;
    cfg->delta_init = POPE_DELTA_ZERO;
    cfg->delta_param = POPE_DELTA_CLAMP;
    cfg->norm_eps = 1e-5f;
    cfg->tie_embeddings = 0;
    cfg->dropout_attn = 0.0f;
    cfg->dropout_resid = 0.0f;
    cfg->init_std = 0.02f;
    cfg->embed_init_std = 0.0f;   // auto
    snprintf(cfg->tokenizer, sizeof cfg->tokenizer, "%s", "none");
}

int pope_config_validate(const pope_config *c) {
    if (c->vocab_size < 1 || c->vocab_size > POPE_MAX_VOCAB)
        return pope_error("config: vocab_size %d must be in 1..%d", c->vocab_size, POPE_MAX_VOCAB);
    if (c->d_model < 1 || c->d_model > POPE_MAX_D_MODEL)
        return pope_error("config: d_model %d must be in 1..%d", c->d_model, POPE_MAX_D_MODEL);
    if (c->n_layers < 0 || c->n_layers > POPE_MAX_LAYERS)
        return pope_error("config: n_layers %d must be in 0..%d", c->n_layers, POPE_MAX_LAYERS);
    if (c->n_heads < 1 || c->n_heads > c->d_model)
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
    if ((unsigned)c->pe >= POPE_PE_COUNT) return pope_error("config: pe %d out of range", (int)c->pe);
    if (c->context_length < 1 || c->context_length > POPE_MAX_CONTEXT)
        return pope_error("config: context_length %d must be in 1..%d", c->context_length, POPE_MAX_CONTEXT);
    if (!(c->pe_base > 1.0f) || !isfinite(c->pe_base))
        return pope_error("config: pe_base %g must be > 1", (double)c->pe_base);
    if (c->legendre_grid != POPE_GRID_ENDPOINT && c->legendre_grid != POPE_GRID_MIDPOINT)
        return pope_error("config: legendre_grid %d out of range", (int)c->legendre_grid);
    if (c->delta_init != POPE_DELTA_ZERO && c->delta_init != POPE_DELTA_UNIFORM)
        return pope_error("config: delta_init %d out of range", (int)c->delta_init);
    if (c->delta_param != POPE_DELTA_CLAMP && c->delta_param != POPE_DELTA_SIGMOID)
        return pope_error("config: delta_param %d out of range", (int)c->delta_param);
    if (!(c->norm_eps > 0.0f) || !isfinite(c->norm_eps))
        return pope_error("config: norm_eps %g must be > 0", (double)c->norm_eps);
    if (c->tie_embeddings != 0 && c->tie_embeddings != 1)
        return pope_error("config: tie_embeddings must be 0 or 1, got %d", c->tie_embeddings);
    if (!(c->dropout_attn >= 0.0f && c->dropout_attn < 1.0f))
        return pope_error("config: dropout_attn %g must be in [0, 1)", (double)c->dropout_attn);
    if (!(c->dropout_resid >= 0.0f && c->dropout_resid < 1.0f))
        return pope_error("config: dropout_resid %g must be in [0, 1)", (double)c->dropout_resid);
    if (!(c->init_std >= 0.0f) || !isfinite(c->init_std))
        return pope_error("config: init_std %g must be >= 0", (double)c->init_std);
    if (!(c->embed_init_std >= 0.0f) || !isfinite(c->embed_init_std))
        return pope_error("config: embed_init_std %g must be >= 0 (0: auto)", (double)c->embed_init_std);
    if (memchr(c->tokenizer, '\0', sizeof c->tokenizer) == NULL)
        return pope_error("config: tokenizer name is not terminated");
    return 0;
}

char *pope_config_to_json(const pope_config *c) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddNumberToObject(o, "vocab_size", c->vocab_size);
    cJSON_AddNumberToObject(o, "d_model", c->d_model);
    cJSON_AddNumberToObject(o, "n_layers", c->n_layers);
    cJSON_AddNumberToObject(o, "n_heads", c->n_heads);
    cJSON_AddNumberToObject(o, "context_length", c->context_length);
    cJSON_AddStringToObject(o, "pe", pope_pe_name(c->pe));
    // floats go through double exactly; cJSON prints 17 significant digits when needed,
    // so a float survives the round trip bit for bit.
    cJSON_AddNumberToObject(o, "pe_base", (double)c->pe_base);
    cJSON_AddStringToObject(o, "legendre_grid",
                            c->legendre_grid == POPE_GRID_MIDPOINT ? "midpoint" : "endpoint");
    cJSON_AddStringToObject(o, "delta_init", c->delta_init == POPE_DELTA_UNIFORM ? "uniform" : "zero");
    cJSON_AddStringToObject(o, "delta_param", c->delta_param == POPE_DELTA_SIGMOID ? "sigmoid" : "clamp");
    cJSON_AddNumberToObject(o, "norm_eps", (double)c->norm_eps);
    cJSON_AddBoolToObject(o, "tie_embeddings", c->tie_embeddings != 0);
    cJSON_AddNumberToObject(o, "dropout_attn", (double)c->dropout_attn);
    cJSON_AddNumberToObject(o, "dropout_resid", (double)c->dropout_resid);
    cJSON_AddNumberToObject(o, "init_std", (double)c->init_std);
    cJSON_AddNumberToObject(o, "embed_init_std", (double)c->embed_init_std);
    cJSON_AddStringToObject(o, "tokenizer", c->tokenizer);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

static int json_int(const cJSON *o, const char *key, int *out) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!it) return 0;
    if (!cJSON_IsNumber(it) || it->valuedouble != floor(it->valuedouble) ||
        fabs(it->valuedouble) > 2147483647.0)
        return pope_error("config JSON: '%s' must be an integer", key);
    *out = (int)it->valuedouble;
    return 0;
}

static int json_float(const cJSON *o, const char *key, float *out) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!it) return 0;
    if (!cJSON_IsNumber(it)) return pope_error("config JSON: '%s' must be a number", key);
    *out = (float)it->valuedouble;
    return 0;
}

static int json_string(const cJSON *o, const char *key, const char **out) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!it) return 0;
    if (!cJSON_IsString(it)) return pope_error("config JSON: '%s' must be a string", key);
    *out = it->valuestring;
    return 0;
}

int pope_config_from_json(pope_config *cfg, const char *json) {
    if (!json) return pope_error("config JSON: missing");
    cJSON *o = cJSON_Parse(json);
    if (!o) return pope_error("config JSON: not valid JSON");
    if (!cJSON_IsObject(o)) { cJSON_Delete(o); return pope_error("config JSON: not an object"); }
    pope_config c = *cfg;
    const char *pe = NULL, *grid = NULL, *dinit = NULL, *dparam = NULL, *tok = NULL;
    int rc = 0;
    rc |= json_int(o, "vocab_size", &c.vocab_size);
    rc |= json_int(o, "d_model", &c.d_model);
    rc |= json_int(o, "n_layers", &c.n_layers);
    rc |= json_int(o, "n_heads", &c.n_heads);
    rc |= json_int(o, "context_length", &c.context_length);
    rc |= json_string(o, "pe", &pe);
    rc |= json_float(o, "pe_base", &c.pe_base);
    rc |= json_string(o, "legendre_grid", &grid);
    rc |= json_string(o, "delta_init", &dinit);
    rc |= json_string(o, "delta_param", &dparam);
    rc |= json_float(o, "norm_eps", &c.norm_eps);
    rc |= json_float(o, "dropout_attn", &c.dropout_attn);
    rc |= json_float(o, "dropout_resid", &c.dropout_resid);
    rc |= json_float(o, "init_std", &c.init_std);
    rc |= json_float(o, "embed_init_std", &c.embed_init_std);
    rc |= json_string(o, "tokenizer", &tok);
    const cJSON *tie = cJSON_GetObjectItemCaseSensitive(o, "tie_embeddings");
    if (tie) {
        if (cJSON_IsBool(tie)) c.tie_embeddings = cJSON_IsTrue(tie);
        else if (cJSON_IsNumber(tie) && (tie->valuedouble == 0 || tie->valuedouble == 1))
            c.tie_embeddings = (int)tie->valuedouble;
        else rc = pope_error("config JSON: 'tie_embeddings' must be true or false");
    }
    if (rc == 0 && pe && pope_pe_parse(pe, &c.pe) != 0) rc = -1;
    if (rc == 0 && grid) {
        if (strcmp(grid, "endpoint") == 0) c.legendre_grid = POPE_GRID_ENDPOINT;
        else if (strcmp(grid, "midpoint") == 0) c.legendre_grid = POPE_GRID_MIDPOINT;
        else rc = pope_error("config JSON: legendre_grid '%s' (endpoint, midpoint)", grid);
    }
    if (rc == 0 && dinit) {
        if (strcmp(dinit, "zero") == 0) c.delta_init = POPE_DELTA_ZERO;
        else if (strcmp(dinit, "uniform") == 0) c.delta_init = POPE_DELTA_UNIFORM;
        else rc = pope_error("config JSON: delta_init '%s' (zero, uniform)", dinit);
    }
    if (rc == 0 && dparam) {
        if (strcmp(dparam, "clamp") == 0) c.delta_param = POPE_DELTA_CLAMP;
        else if (strcmp(dparam, "sigmoid") == 0) c.delta_param = POPE_DELTA_SIGMOID;
        else rc = pope_error("config JSON: delta_param '%s' (clamp, sigmoid)", dparam);
    }
    if (rc == 0 && tok) {
        if (strlen(tok) >= sizeof c.tokenizer)
            rc = pope_error("config JSON: tokenizer name '%s' longer than %d bytes", tok,
                            POPE_TOKENIZER_MAX - 1);
        else snprintf(c.tokenizer, sizeof c.tokenizer, "%s", tok);
    }
    cJSON_Delete(o);
    if (rc != 0) return -1;
    *cfg = c;
    return 0;
}

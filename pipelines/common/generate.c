// generate.c — sampling new tokens after a prompt, through the KV cache.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline_internal.h"

void pope_gen_opts_default(pope_gen_opts *o) {
    memset(o, 0, sizeof *o);
    o->n_new = 256;
    o->temperature = 1.0f;
    o->top_k = 0;
    o->top_p = 1.0f;
    o->seed = 1;
    o->stop_token = -1;
}

int pope_generate(pope_model *m, const int32_t *prompt, int64_t n_prompt, const pope_gen_opts *o,
                  int32_t **out, int64_t *n_out) {
    *out = NULL;
    *n_out = 0;
    const pope_config *cfg = pope_model_config(m);
    int V = cfg->vocab_size;
    if (n_prompt < 1) return pope_error("generate: the prompt needs at least one token (a start token)");
    if (o->n_new < 0) return pope_error("generate: negative length");
    if (n_prompt + o->n_new > (1 << 24)) return pope_error("generate: prompt + length exceeds 16M tokens");
    for (int64_t i = 0; i < n_prompt; i++)
        if (prompt[i] < 0 || prompt[i] >= V)
            return pope_error("generate: prompt token %d out of range for vocab %d", prompt[i], V);
    int max_len = (int)(n_prompt + o->n_new);
    pope_kv *kv = pope_kv_new(m, max_len > 0 ? max_len : 1);
    float *logits = malloc((size_t)V * sizeof *logits);
    int32_t *res = malloc((o->n_new > 0 ? o->n_new : 1) * sizeof *res);
    int rc = -1;
    if (!kv || !logits || !res) {
        if (kv) pope_error("generate: out of memory");
        goto done;
    }
    if (pope_model_prefill(m, kv, prompt, (int)n_prompt, logits) != 0) goto done;   // the prompt in one pass
    pope_rng rng;
    pope_rng_seed(&rng, o->seed);
    int64_t n = 0;
    pope_meter pg;
    pope_meter_begin(&pg, o->progress, "generate", "tokens", o->n_new);
    while (n < o->n_new) {
        int32_t tok = pope_sample(logits, V, o->temperature, o->top_k, o->top_p, &rng);
        if (tok < 0 || tok >= V) {
            pope_error("generate: sampler returned token %d", tok);
            goto done;
        }
        res[n++] = tok;
        if (tok == o->stop_token || n == o->n_new) break;
        if (pope_model_step(m, kv, tok, logits) != 0) goto done;
        pope_meter_update(&pg, n);
    }
    pope_meter_end(&pg);
    *out = res;
    *n_out = n;
    res = NULL;
    rc = 0;
done:
    free(res);
    free(logits);
    pope_kv_free(kv);
    return rc;
}

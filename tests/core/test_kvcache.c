// test_kvcache.c — generation with the KV cache: step-by-step logits equal the full
// forward's logits at every position, for every encoding; so do the logits after a prompt
// read in one pass (pope_model_prefill) and the steps after it; reset restarts; a full
// cache is an error.
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "pope.h"

#define T 23

static void check_encoding(pope_pe_kind pe, int tie) {
    pope_config cfg;
    pope_config_default(&cfg);
    cfg.vocab_size = 17;
    cfg.d_model = 24;
    cfg.n_layers = 3;
    cfg.n_heads = 3;
    cfg.pe = pe;
    cfg.delta_init = POPE_DELTA_UNIFORM;
    cfg.tie_embeddings = tie;
    cfg.init_std = 0.2f;
    const int V = cfg.vocab_size;
    pope_model *m = pope_model_new(&cfg, 11);
    pope_kv *kv = m ? pope_kv_new(m, T) : NULL;
    CHECK(m && kv, "model/kv: %s", pope_last_error());
    if (!m || !kv) return;
    int32_t in[T];
    pope_rng rng;
    pope_rng_seed(&rng, 21);
    for (int i = 0; i < T; i++) in[i] = (int32_t)pope_rng_below(&rng, V);
    CHECK(pope_model_forward(m, in, NULL, 1, T, 0, 0, NULL) == 0, "forward: %s", pope_last_error());
    const float *full = pope_model_logits(m);
    float step[64];
    for (int pass = 0; pass < 2; pass++) {   // the second pass after pope_kv_reset
        double maxerr = 0.0;
        for (int t = 0; t < T; t++) {
            CHECK(pope_kv_len(kv) == t, "kv len %d, want %d", pope_kv_len(kv), t);
            int rc = pope_model_step(m, kv, in[t], step);
            CHECK(rc == 0, "step %d: %s", t, pope_last_error());
            for (int v = 0; v < V; v++) {
                double e = fabs(step[v] - full[(size_t)t * V + v]);
                maxerr = e > maxerr ? e : maxerr;
            }
        }
        CHECK(maxerr < 1e-4, "%s%s pass %d: step logits differ from the forward by %g",
              pope_pe_name(pe), tie ? " tied" : "", pass, maxerr);
        CHECK(pope_model_step(m, kv, in[0], step) == -1, "a step beyond max_len accepted");
        pope_kv_reset(kv);
    }
    // a prompt of 9 in one pass, 5 more through prefill into the non-empty cache (steps), then
    // steps: every logit row as the forward's
    double maxerr = 0.0;
    int ok = pope_model_prefill(m, kv, in, 9, step) == 0 && pope_kv_len(kv) == 9;
    CHECK(ok, "prefill 9: %s", pope_last_error());
    for (int v = 0; ok && v < V; v++) maxerr = fmax(maxerr, fabs(step[v] - full[(size_t)8 * V + v]));
    ok = ok && pope_model_prefill(m, kv, in + 9, 5, step) == 0 && pope_kv_len(kv) == 14;
    CHECK(ok, "prefill 5 more: %s", pope_last_error());
    for (int v = 0; ok && v < V; v++) maxerr = fmax(maxerr, fabs(step[v] - full[(size_t)13 * V + v]));
    for (int t = 14; ok && t < T; t++) {
        ok = pope_model_step(m, kv, in[t], step) == 0;
        for (int v = 0; ok && v < V; v++) maxerr = fmax(maxerr, fabs(step[v] - full[(size_t)t * V + v]));
    }
    CHECK(ok && maxerr < 1e-4, "%s%s: prefill + steps differ from the forward by %g", pope_pe_name(pe), tie ? " tied" : "",
          maxerr);
    pope_kv_reset(kv);
    CHECK(pope_model_prefill(m, kv, in, 2, step) == 0 && pope_kv_len(kv) == 2, "a 2-token prompt (steps)");
    for (int v = 0; v < V; v++) maxerr = fmax(maxerr, fabs(step[v] - full[(size_t)1 * V + v]));
    CHECK(maxerr < 1e-4, "2-token prompt logits differ by %g", maxerr);
    pope_kv_reset(kv);
    int32_t big[T + 1] = {0};
    CHECK(pope_model_prefill(m, kv, big, T + 1, step) == -1 && pope_kv_len(kv) == 0, "a prompt beyond max_len accepted");
    big[3] = V;
    CHECK(pope_model_prefill(m, kv, big, 5, step) == -1 && pope_kv_len(kv) == 0, "a token outside the vocabulary accepted");
    pope_kv_free(kv);
    pope_model_free(m);
}

int main(void) {
    pope_runtime_init(1);
    for (int pe = 0; pe < POPE_PE_COUNT; pe++) check_encoding((pope_pe_kind)pe, 0);
    check_encoding(POPE_PE_POLAR, 1);
    return check_summary("test_kvcache");
}

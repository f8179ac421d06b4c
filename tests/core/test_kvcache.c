// test_kvcache.c — generation with the KV cache: step-by-step logits equal the full
// forward's logits at every position, for every encoding; reset restarts; a full cache
// is an error.
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
    pope_kv_free(kv);
    pope_model_free(m);
}

int main(void) {
    pope_runtime_init(1);
    for (int pe = 0; pe < POPE_PE_COUNT; pe++) check_encoding((pope_pe_kind)pe, 0);
    check_encoding(POPE_PE_POLAR, 1);
    return check_summary("test_kvcache");
}

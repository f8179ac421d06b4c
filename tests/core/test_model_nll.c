// test_model_nll.c — the memory-lean evaluation path (pope_model_nll) against the
// training forward: per-position -log p(target) computed here in double from the
// forward's logits, for every encoding, with ignored targets, B > 1, and T longer than
// the evaluation chunk; also the training forward's mean loss against the same numbers.
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "pope.h"

static double nll_from_logits(const float *logits, int V, int target) {
    double mx = logits[0], s = 0.0;
    for (int i = 1; i < V; i++) mx = logits[i] > mx ? logits[i] : mx;
    for (int i = 0; i < V; i++) s += exp(logits[i] - mx);
    return log(s) + mx - logits[target];
}

static void check_encoding(pope_pe_kind pe, int B, int T) {
    pope_config cfg;
    pope_config_default(&cfg);
    cfg.vocab_size = 13;
    cfg.d_model = 16;
    cfg.n_layers = 2;
    cfg.n_heads = 2;
    cfg.pe = pe;
    cfg.delta_init = POPE_DELTA_UNIFORM;
    cfg.init_std = 0.2f;
    cfg.dropout_attn = 0.3f;    // must be off in both paths when not training
    cfg.dropout_resid = 0.3f;
    const int V = cfg.vocab_size;
    pope_model *m = pope_model_new(&cfg, 3);
    CHECK(m != NULL, "model_new: %s", pope_last_error());
    if (!m) return;
    size_t N = (size_t)B * T;
    int32_t *in = malloc(N * sizeof *in), *tg = malloc(N * sizeof *tg);
    float *nll = malloc(N * sizeof *nll);
    pope_rng rng;
    pope_rng_seed(&rng, 5);
    for (size_t i = 0; i < N; i++) {
        in[i] = (int32_t)pope_rng_below(&rng, V);
        tg[i] = pope_rng_below(&rng, 7) == 0 ? POPE_IGNORE : (int32_t)pope_rng_below(&rng, V);
    }
    float loss = 0.0f;
    CHECK(pope_model_forward(m, in, tg, B, T, 0, 0, &loss) == 0, "forward: %s", pope_last_error());
    const float *logits = pope_model_logits(m);
    CHECK(pope_model_nll(m, in, tg, B, T, nll) == 0, "nll: %s", pope_last_error());
    double sum = 0.0, maxerr = 0.0;
    int n = 0;
    for (size_t i = 0; i < N; i++) {
        double want = tg[i] < 0 ? 0.0 : nll_from_logits(logits + i * V, V, tg[i]);
        double err = fabs(nll[i] - want);
        maxerr = err > maxerr ? err : maxerr;
        if (tg[i] >= 0) { sum += want; n++; }
    }
    CHECK(maxerr < 2e-5, "%s B=%d T=%d: nll differs from the forward's logits by %g", pope_pe_name(pe),
          B, T, maxerr);
    CHECK_NEAR(loss, sum / n, 1e-6, 1e-5, "mean loss over non-ignored targets");
    pope_model_free(m);
    free(in);
    free(tg);
    free(nll);
}

int main(void) {
    pope_runtime_init(1);
    for (int pe = 0; pe < POPE_PE_COUNT; pe++) {
        check_encoding((pope_pe_kind)pe, 2, 9);
        check_encoding((pope_pe_kind)pe, 1, 700);   // more than one 512-row chunk
    }
    // bad input: a token outside the vocabulary is an error, not a crash
    pope_config cfg;
    pope_config_default(&cfg);
    cfg.vocab_size = 5;
    cfg.d_model = 8;
    cfg.n_layers = 1;
    cfg.n_heads = 2;
    pope_model *m = pope_model_new(&cfg, 1);
    int32_t in[3] = {0, 5, 1}, tg[3] = {1, 2, 3};
    float nll[3];
    CHECK(pope_model_nll(m, in, tg, 1, 3, nll) == -1, "token 5 with V = 5 accepted");
    in[1] = 1;
    tg[2] = 9;
    CHECK(pope_model_nll(m, in, tg, 1, 3, nll) == -1, "target 9 with V = 5 accepted");
    CHECK(pope_model_forward(m, in, tg, 1, 3, 1, 0, NULL) == -1, "forward: target 9 accepted");
    CHECK(pope_model_backward(m, 1.0f) == -1, "backward after a failed forward accepted");
    pope_model_free(m);
    return check_summary("test_model_nll");
}

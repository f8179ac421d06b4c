// test_model_overfit.c — a tiny model of each encoding learns one short sequence by
// heart: the training loss falls from ~log V to near zero. The sequence repeats tokens
// with different successors, so it cannot be learnt from the current token alone.
#include <math.h>

#include "check.h"
#include "pope.h"

#define T 24
#define V 6
#define STEPS 300

int main(void) {
    pope_runtime_init(1);
    int32_t seq[T + 1];
    pope_rng rng;
    pope_rng_seed(&rng, 8);
    for (int i = 0; i <= T; i++) seq[i] = (int32_t)pope_rng_below(&rng, V);
    for (int pe = 0; pe < POPE_PE_COUNT; pe++) {
        pope_config cfg;
        pope_config_default(&cfg);
        cfg.vocab_size = V;
        cfg.d_model = 32;
        cfg.n_layers = 2;
        cfg.n_heads = 2;
        cfg.pe = (pope_pe_kind)pe;
        cfg.delta_init = POPE_DELTA_UNIFORM;
        pope_model *m = pope_model_new(&cfg, 3);
        pope_adamw *opt = pope_adamw_new(m);
        pope_adamw_config ac;
        pope_adamw_config_default(&ac);
        ac.weight_decay = 0.0f;
        float first = 0.0f, loss = 0.0f;
        for (int step = 0; step < STEPS; step++) {
            pope_model_zero_grad(m);
            pope_model_forward(m, seq, seq + 1, 1, T, 1, (uint64_t)step, &loss);
            if (step == 0) first = loss;
            pope_model_backward(m, 1.0f);
            pope_adamw_step(opt, m, &ac, pope_lr_schedule(step, 20, STEPS, 1e-2f, 1e-3f), NULL);
        }
        pope_model_forward(m, seq, seq + 1, 1, T, 0, 0, &loss);
        CHECK(fabs(first - log(V)) < 0.3, "%s: initial loss %g, want ~log V = %g", pope_pe_name(cfg.pe),
              first, log(V));
        CHECK(loss < 0.05, "%s: loss after %d steps %g (from %g)", pope_pe_name(cfg.pe), STEPS, loss, first);
        printf("%-10s loss %.4f -> %.5f\n", pope_pe_name(cfg.pe), first, loss);
        pope_adamw_free(opt);
        pope_model_free(m);
    }
    return check_summary("test_model_overfit");
}

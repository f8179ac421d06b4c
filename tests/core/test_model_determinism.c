// test_model_determinism.c — the same seed (and thread count) gives a bit-identical loss
// curve, with dropout and gradient accumulation on; resuming from a training checkpoint
// continues bit-identically (parameters, AdamW moments, step, RNG).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "pope.h"

#define B 2
#define T 12
#define STEPS 6
#define ACCUM 2

static pope_config config(void) {
    pope_config cfg;
    pope_config_default(&cfg);
    cfg.vocab_size = 9;
    cfg.d_model = 16;
    cfg.n_layers = 2;
    cfg.n_heads = 2;
    cfg.pe = POPE_PE_POLAR;
    cfg.delta_init = POPE_DELTA_UNIFORM;
    cfg.dropout_attn = 0.1f;
    cfg.dropout_resid = 0.1f;
    return cfg;
}

// Trains steps [from, to): every draw (data, dropout seeds) comes from *rng.
static void train(pope_model *m, pope_adamw *opt, pope_rng *rng, int from, int to, float *losses) {
    pope_adamw_config ac;
    pope_adamw_config_default(&ac);
    int32_t in[B * T], tg[B * T];
    for (int step = from; step < to; step++) {
        pope_model_zero_grad(m);
        float sum = 0.0f;
        for (int micro = 0; micro < ACCUM; micro++) {
            for (int i = 0; i < B * T; i++) {
                in[i] = (int32_t)pope_rng_below(rng, 9);
                tg[i] = (in[i] + 1) % 9;
            }
            float loss;
            pope_model_forward(m, in, tg, B, T, 1, pope_rng_u64(rng), &loss);
            pope_model_backward(m, 1.0f / ACCUM);
            sum += loss / ACCUM;
        }
        pope_adamw_step(opt, m, &ac, pope_lr_schedule(step, 2, STEPS, 1e-2f, 1e-3f), NULL);
        losses[step] = sum;
    }
}

static int same_params(pope_model *a, pope_model *b) {
    for (int i = 0; i < pope_model_num_tensors(a); i++) {
        pope_tensor x = pope_model_tensor(a, i), y = pope_model_tensor(b, i);
        if (memcmp(x.data, y.data, x.numel * sizeof(float)) != 0) return 0;
    }
    return 1;
}

static void run(float *losses, int steps, pope_model **out) {
    pope_config cfg = config();
    pope_model *m = pope_model_new(&cfg, 1234);
    pope_adamw *opt = pope_adamw_new(m);
    pope_rng rng;
    pope_rng_seed(&rng, 99);
    train(m, opt, &rng, 0, steps, losses);
    pope_adamw_free(opt);
    *out = m;
}

int main(void) {
    // 2 threads too (few steps: OpenMP threads crawl when ctest -j2 shares the cores)
    for (int threads = 1; threads <= 2; threads++) {
        pope_runtime_init(threads);
        int steps = threads == 1 ? STEPS : 2;
        float a[STEPS], b[STEPS];
        pope_model *ma, *mb;
        run(a, steps, &ma);
        run(b, steps, &mb);
        CHECK(memcmp(a, b, steps * sizeof(float)) == 0, "%d threads: two runs with one seed differ: "
              "%.9g vs %.9g", threads, a[steps - 1], b[steps - 1]);
        CHECK(same_params(ma, mb), "%d threads: parameters differ", threads);
        CHECK(a[steps - 1] < a[0], "loss did not go down: %g -> %g", a[0], a[steps - 1]);
        pope_model_free(ma);
        pope_model_free(mb);
    }
    pope_runtime_init(1);

    // resume: 3 steps, checkpoint, 3 more; against a load of the checkpoint and 3 more
    char path[256];
    snprintf(path, sizeof path, "/tmp/pope_test_resume_%d.safetensors", (int)getpid());
    pope_config cfg = config();
    pope_model *m = pope_model_new(&cfg, 1234);
    pope_adamw *opt = pope_adamw_new(m);
    pope_rng rng;
    pope_rng_seed(&rng, 99);
    float straight[STEPS], resumed[STEPS];
    train(m, opt, &rng, 0, 3, straight);
    pope_train_state st = {.step = 3, .tokens_seen = 3 * ACCUM * B * T, .rng = rng, .user_json = NULL};
    CHECK(pope_save(path, m, opt, &st, NULL) == 0, "save: %s", pope_last_error());
    train(m, opt, &rng, 3, STEPS, straight);

    pope_adamw *opt2 = NULL;
    pope_train_state st2;
    pope_model *m2 = pope_load(path, &opt2, &st2);
    CHECK(m2 && opt2, "load: %s", pope_last_error());
    if (m2 && opt2) {
        CHECK(st2.step == 3 && st2.tokens_seen == 3 * ACCUM * B * T && st2.user_json == NULL,
              "train state");
        train(m2, opt2, &st2.rng, (int)st2.step, STEPS, resumed);
        CHECK(memcmp(straight + 3, resumed + 3, 3 * sizeof(float)) == 0,
              "resumed losses differ: %.9g vs %.9g", straight[STEPS - 1], resumed[STEPS - 1]);
        CHECK(same_params(m, m2), "resumed parameters differ");
        CHECK(pope_adamw_steps(opt2) == STEPS, "resumed optimizer steps %lld",
              (long long)pope_adamw_steps(opt2));
    }
    remove(path);
    pope_adamw_free(opt2);
    pope_model_free(m2);
    pope_adamw_free(opt);
    pope_model_free(m);
    return check_summary("test_model_determinism");
}

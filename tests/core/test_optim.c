// test_optim.c — AdamW against the update computed here in double, step by step:
// bias correction, decoupled weight decay only on tensors with decay = 1, global-norm
// clipping; the learning-rate schedule at warm-up, peak, mid-decay and end.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pope.h"

static void check_adamw(float grad_clip, float grad_mul) {
    pope_config cfg;
    pope_config_default(&cfg);
    cfg.vocab_size = 5;
    cfg.d_model = 4;
    cfg.n_layers = 1;
    cfg.n_heads = 2;
    cfg.pe = POPE_PE_POLAR;
    cfg.delta_init = POPE_DELTA_UNIFORM;
    pope_model *m = pope_model_new(&cfg, 1);
    pope_adamw *opt = pope_adamw_new(m);
    CHECK(m && opt, "new: %s", pope_last_error());
    pope_adamw_config ac;
    pope_adamw_config_default(&ac);
    CHECK(ac.beta1 == 0.9f && ac.beta2 == 0.999f && ac.eps == 1e-8f && ac.weight_decay == 0.1f &&
          ac.grad_clip == 1.0f, "adamw defaults");
    ac.grad_clip = grad_clip;
    ac.weight_decay = 0.5f;   // large, so that a decay where none belongs shows
    size_t P = pope_model_num_params(m);
    double *p = calloc(P, sizeof *p), *mm = calloc(P, sizeof *mm), *vv = calloc(P, sizeof *vv);
    int *decay = calloc(P, sizeof *decay);
    int nt = pope_model_num_tensors(m);
    size_t k = 0;
    int n_nodecay = 0;
    for (int i = 0; i < nt; i++) {
        pope_tensor t = pope_model_tensor(m, i);
        // decay exactly on 2-D weights that are not δ
        int want = t.ndim == 2 && strstr(t.name, "pope_delta") == NULL;
        CHECK(t.decay == want, "%s: decay %d, want %d", t.name, t.decay, want);
        n_nodecay += !t.decay;
        for (size_t j = 0; j < t.numel; j++, k++) { p[k] = t.data[j]; decay[k] = t.decay; }
    }
    CHECK(k == P && n_nodecay == 4, "tensor layout: %zu of %zu, %d without decay", k, P, n_nodecay);
    pope_rng rng;
    pope_rng_seed(&rng, 3);
    const float lrs[3] = {1e-2f, 3e-2f, 5e-3f};
    for (int step = 1; step <= 3; step++) {
        double norm2 = 0.0;
        k = 0;
        for (int i = 0; i < nt; i++) {
            pope_tensor t = pope_model_tensor(m, i);
            for (size_t j = 0; j < t.numel; j++) {
                t.grad[j] = grad_mul * (pope_rng_uniform(&rng) - 0.5f);
                norm2 += (double)t.grad[j] * t.grad[j];
            }
        }
        double norm = sqrt(norm2), clip = grad_clip > 0 && norm > grad_clip ? grad_clip / norm : 1.0;
        float got_norm = 0.0f;
        CHECK(pope_adamw_step(opt, m, &ac, lrs[step - 1], &got_norm) == 0, "step: %s", pope_last_error());
        CHECK_NEAR(got_norm, norm, 0, 1e-5, "gradient norm before clipping");
        CHECK(pope_adamw_steps(opt) == step, "steps %lld", (long long)pope_adamw_steps(opt));
        double lr = lrs[step - 1], maxerr = 0.0;
        k = 0;
        for (int i = 0; i < nt; i++) {
            pope_tensor t = pope_model_tensor(m, i);
            for (size_t j = 0; j < t.numel; j++, k++) {
                double g = t.grad[j] * clip;
                mm[k] = 0.9 * mm[k] + 0.1 * g;
                vv[k] = 0.999 * vv[k] + 0.001 * g * g;
                double mhat = mm[k] / (1 - pow(0.9, step)), vhat = vv[k] / (1 - pow(0.999, step));
                if (decay[k]) p[k] -= lr * 0.5 * p[k];
                p[k] -= lr * mhat / (sqrt(vhat) + 1e-8);
                double e = fabs(t.data[j] - p[k]) / (fabs(p[k]) + 1e-3);
                maxerr = e > maxerr ? e : maxerr;
            }
        }
        CHECK(maxerr < 1e-4, "clip %g x%g step %d: parameters differ from the double reference by "
              "%g (relative)", grad_clip, grad_mul, step, maxerr);
    }
    // a non-finite gradient is refused and changes nothing
    pope_tensor t0 = pope_model_tensor(m, 0);
    float before = t0.data[0];
    t0.grad[1] = NAN;
    CHECK(pope_adamw_step(opt, m, &ac, 1e-2f, NULL) == -1, "NaN gradient accepted");
    CHECK(t0.data[0] == before && pope_adamw_steps(opt) == 3, "NaN step changed the state");
    free(p); free(mm); free(vv); free(decay);
    pope_adamw_free(opt);
    pope_model_free(m);
}

int main(void) {
    pope_runtime_init(1);
    check_adamw(0.0f, 1.0f);     // no clipping
    check_adamw(1.0f, 1.0f);     // norm ~3: clipped
    check_adamw(100.0f, 1.0f);   // threshold above the norm: unchanged
    check_adamw(0.5f, 0.01f);    // below the threshold: not clipped

    // schedule: warm-up (step+1)/warmup · lr_max, cosine to lr_min over [warmup, total)
    const float lmax = 1e-3f, lmin = 1e-4f;
    CHECK_NEAR(pope_lr_schedule(0, 10, 110, lmax, lmin), 1e-4, 0, 1e-6, "warm-up step 0");
    CHECK_NEAR(pope_lr_schedule(4, 10, 110, lmax, lmin), 5e-4, 0, 1e-6, "warm-up step 4");
    CHECK_NEAR(pope_lr_schedule(9, 10, 110, lmax, lmin), 1e-3, 0, 1e-6, "end of warm-up");
    CHECK_NEAR(pope_lr_schedule(10, 10, 110, lmax, lmin), 1e-3, 0, 1e-6, "peak");
    CHECK_NEAR(pope_lr_schedule(60, 10, 110, lmax, lmin), 5.5e-4, 0, 1e-6, "half-way (cos = 0)");
    CHECK_NEAR(pope_lr_schedule(35, 10, 110, lmax, lmin), 1e-4 + 0.5 * 9e-4 * (1 + cos(M_PI / 4)), 0,
               1e-6, "quarter");
    CHECK_NEAR(pope_lr_schedule(110, 10, 110, lmax, lmin), 1e-4, 0, 1e-6, "end");
    CHECK_NEAR(pope_lr_schedule(500, 10, 110, lmax, lmin), 1e-4, 0, 1e-6, "after the end");
    CHECK_NEAR(pope_lr_schedule(0, 0, 100, lmax, lmin), 1e-3, 0, 1e-6, "no warm-up");
    return check_summary("test_optim");
}

// test_model_grad.c — finite-difference check of d(loss)/d(params) of the whole model,
// for each positional encoding (and with dropout on, tied embeddings, ignored targets).
// For every tensor a sample of entries is perturbed by ±h and the central difference
// of the loss is compared with the backward's gradient.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pope.h"

#define B 2
#define T 7
#define V 11

typedef struct {
    const char *what;
    pope_pe_kind pe;
    int tie;
    float dropout;
    pope_delta_param delta_param;
} grad_case;

static double loss_at(pope_model *m, const int32_t *in, const int32_t *tg, int training) {
    float loss = 0.0f;
    pope_model_forward(m, in, tg, B, T, training, 1234, &loss);
    return loss;
}

// The model of every check: V tokens, d 16, 2 layers of 2 heads, δ drawn uniformly.
static pope_config small_config(pope_pe_kind pe) {
    pope_config cfg;
    pope_config_default(&cfg);
    cfg.vocab_size = V;
    cfg.d_model = 16;
    cfg.n_layers = 2;
    cfg.n_heads = 2;
    cfg.pe = pe;
    cfg.delta_init = POPE_DELTA_UNIFORM;
    cfg.init_std = 0.3f;   // large enough that every gradient is far above float noise
    return cfg;
}

static void check_case(const grad_case *gc) {
    pope_config cfg = small_config(gc->pe);
    cfg.context_length = T;
    cfg.tie_embeddings = gc->tie;
    cfg.dropout_attn = gc->dropout;
    cfg.dropout_resid = gc->dropout;
    cfg.delta_param = gc->delta_param;
    pope_model *m = pope_model_new(&cfg, 7);
    CHECK(m != NULL, "%s: model_new: %s", gc->what, pope_last_error());
    if (!m) return;
    int32_t in[B * T], tg[B * T];
    pope_rng rng;
    pope_rng_seed(&rng, 99);
    for (int i = 0; i < B * T; i++) {
        in[i] = (int32_t)pope_rng_below(&rng, V);
        tg[i] = (int32_t)pope_rng_below(&rng, V);
    }
    tg[3] = POPE_IGNORE;   // ignored targets must not count, in the mean either
    tg[9] = POPE_IGNORE;
    int training = gc->dropout > 0.0f;   // the dropout masks are a pure function of the seed

    pope_model_zero_grad(m);
    float loss = 0.0f;
    CHECK(pope_model_forward(m, in, tg, B, T, training, 1234, &loss) == 0, "%s: forward", gc->what);
    CHECK(isfinite(loss) && loss > 0.0f, "%s: loss %g", gc->what, loss);
    // backward with grad_scale 0.5 twice: accumulation must give the full gradient
    CHECK(pope_model_backward(m, 0.5f) == 0, "%s: backward: %s", gc->what, pope_last_error());
    CHECK(pope_model_backward(m, 0.5f) == 0, "%s: backward", gc->what);

    const double h = 1e-2;
    int nt = pope_model_num_tensors(m);
    for (int ti = 0; ti < nt; ti++) {
        pope_tensor t = pope_model_tensor(m, ti);
        int is_delta = strstr(t.name, "pope_delta") != NULL;
        double num2 = 0.0, den2 = 0.0;
        int n_checked = 0;
        for (int s = 0; s < 6; s++) {
            size_t j = (size_t)pope_rng_below(&rng, t.numel);
            float orig = t.data[j];
            // δ is used clamped to [-2π, 0]: stay away from the kinks
            if (is_delta && (orig > -2 * h || orig < -2 * M_PI + 2 * h)) continue;
            t.data[j] = orig + (float)h;
            double lp = loss_at(m, in, tg, training);
            t.data[j] = orig - (float)h;
            double lm = loss_at(m, in, tg, training);
            t.data[j] = orig;
            double fd = (lp - lm) / (2 * h), an = t.grad[j];
            num2 += (fd - an) * (fd - an);
            den2 += fd * fd > an * an ? fd * fd : an * an;
            n_checked++;
            // entrywise: loose, catches sign errors on any large entry
            CHECK(fabs(fd - an) <= 2e-3 + 5e-2 * fabs(fd), "%s: %s[%zu]: backward %.6g, finite "
                  "difference %.6g", gc->what, t.name, j, an, fd);
        }
        if (n_checked == 0) continue;
        // per tensor: relative error of the sampled gradient vector (a factor 1.1 fails)
        double rel = sqrt(num2) / (sqrt(den2) + 1e-12);
        CHECK(rel < 2e-2 || sqrt(den2) < 1e-4, "%s: %s: relative gradient error %.3g (|g| %.3g)",
              gc->what, t.name, rel, sqrt(den2));
        CHECK(sqrt(den2) > 0.0, "%s: %s: gradient all zero", gc->what, t.name);
    }
    pope_model_free(m);
}

// Two micro-batches of one row each, grad_scale 1/2, give the gradient of the two-row
// batch (same number of targets per row, so the two means agree).
static void check_accumulation(void) {
    pope_config cfg = small_config(POPE_PE_POLAR);
    pope_model *m = pope_model_new(&cfg, 5);
    int32_t in[B * T], tg[B * T];
    pope_rng rng;
    pope_rng_seed(&rng, 4);
    for (int i = 0; i < B * T; i++) {
        in[i] = (int32_t)pope_rng_below(&rng, V);
        tg[i] = (int32_t)pope_rng_below(&rng, V);
    }
    size_t P = pope_model_num_params(m);
    float *full = malloc(P * sizeof *full);
    pope_model_zero_grad(m);
    pope_model_forward(m, in, tg, B, T, 0, 0, NULL);
    pope_model_backward(m, 1.0f);
    size_t k = 0;
    for (int i = 0; i < pope_model_num_tensors(m); i++) {
        pope_tensor t = pope_model_tensor(m, i);
        memcpy(full + k, t.grad, t.numel * sizeof(float));
        k += t.numel;
    }
    pope_model_zero_grad(m);
    for (int b = 0; b < B; b++) {
        pope_model_forward(m, in + b * T, tg + b * T, 1, T, 0, 0, NULL);
        pope_model_backward(m, 1.0f / B);
    }
    double maxerr = 0.0, maxg = 0.0;
    k = 0;
    for (int i = 0; i < pope_model_num_tensors(m); i++) {
        pope_tensor t = pope_model_tensor(m, i);
        for (size_t j = 0; j < t.numel; j++, k++) {
            maxerr = fmax(maxerr, fabs(t.grad[j] - full[k]));
            maxg = fmax(maxg, fabs(full[k]));
        }
    }
    CHECK(maxerr <= 1e-5 * maxg, "accumulated micro-batch gradient differs by %g (max |g| %g)", maxerr,
          maxg);
    free(full);
    pope_model_free(m);
}

int main(void) {
    pope_runtime_init(1);
    const grad_case cases[] = {
        {"none", POPE_PE_NONE, 0, 0.0f, POPE_DELTA_CLAMP},
        {"sinusoidal", POPE_PE_SINUSOIDAL, 0, 0.0f, POPE_DELTA_CLAMP},
        {"legendre", POPE_PE_LEGENDRE, 0, 0.0f, POPE_DELTA_CLAMP},
        {"rope", POPE_PE_ROPE, 0, 0.0f, POPE_DELTA_CLAMP},
        {"polar", POPE_PE_POLAR, 0, 0.0f, POPE_DELTA_CLAMP},
        {"polar tied", POPE_PE_POLAR, 1, 0.0f, POPE_DELTA_CLAMP},
        {"rope dropout", POPE_PE_ROPE, 0, 0.2f, POPE_DELTA_CLAMP},
        {"polar dropout", POPE_PE_POLAR, 0, 0.2f, POPE_DELTA_CLAMP},
        {"polar sigmoid δ", POPE_PE_POLAR, 0, 0.0f, POPE_DELTA_SIGMOID},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_case(&cases[i]);
    check_accumulation();
    return check_summary("test_model_grad");
}

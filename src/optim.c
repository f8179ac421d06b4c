// optim.c — AdamW with decoupled weight decay, global-norm clipping, and the
// warm-up + cosine learning-rate schedule.
//
// Determinism: the gradient norm is a sum of per-block partial sums (fixed blocks of
// NORM_BLOCK elements, each summed in order in double) added in block order, so the
// result does not depend on the thread count or the scheduling.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"
#include "optim_internal.h"

#define NORM_BLOCK 16384

void pope_adamw_config_default(pope_adamw_config *c) {
    c->beta1 = 0.9f;
    c->beta2 = 0.999f;
    c->eps = 1e-8f;
    c->weight_decay = 0.1f;
    c->grad_clip = 1.0f;
}

pope_adamw *pope_adamw_new(const pope_model *m) {
    pope_adamw *opt = calloc(1, sizeof *opt);
    if (!opt) { pope_error("adamw: out of memory"); return NULL; }
    opt->numel = m->num_params;
    opt->m = calloc(opt->numel ? opt->numel : 1, sizeof(float));
    opt->v = calloc(opt->numel ? opt->numel : 1, sizeof(float));
    if (!opt->m || !opt->v) {
        pope_adamw_free(opt);
        pope_error("adamw: out of memory for %zu moments", m->num_params);
        return NULL;
    }
    return opt;
}

void pope_adamw_free(pope_adamw *opt) {
    if (!opt) return;
    free(opt->m);
    free(opt->v);
    free(opt);
}

int64_t pope_adamw_steps(const pope_adamw *opt) { return opt->t; }

static double grad_norm2(const float *g, size_t n) {
    size_t nblocks = (n + NORM_BLOCK - 1) / NORM_BLOCK;
    double *part = malloc((nblocks ? nblocks : 1) * sizeof(double));
    if (!part) {   // out of memory: the serial sum is just as deterministic
        double s = 0.0;
        for (size_t i = 0; i < n; i++) s += (double)g[i] * g[i];
        return s;
    }
#pragma omp parallel for schedule(static)
    for (size_t b = 0; b < nblocks; b++) {
        size_t lo = b * NORM_BLOCK, hi = lo + NORM_BLOCK < n ? lo + NORM_BLOCK : n;
        double s = 0.0;
        for (size_t i = lo; i < hi; i++) s += (double)g[i] * g[i];
        part[b] = s;
    }
    double s = 0.0;
    for (size_t b = 0; b < nblocks; b++) s += part[b];
    free(part);
    return s;
}

int pope_adamw_step(pope_adamw *opt, pope_model *m, const pope_adamw_config *c, float lr,
                    float *grad_norm) {
    if (opt->numel != m->num_params) return pope_error("adamw: optimizer made for another model");
    double norm = sqrt(grad_norm2(m->grads, m->num_params));
    if (grad_norm) *grad_norm = (float)norm;
    if (!isfinite(norm))
        return pope_error("adamw: gradient norm is not finite (%g); step skipped", norm);
    float clip = 1.0f;
    if (c->grad_clip > 0.0f && norm > c->grad_clip) clip = (float)(c->grad_clip / norm);
    opt->t++;
    const float b1 = c->beta1, b2 = c->beta2, eps = c->eps;
    const float bc1 = 1.0f - powf(b1, (float)opt->t), bc2 = 1.0f - powf(b2, (float)opt->t);
    // One parallel region for all tensors (not one per tensor): with many small tensors
    // the fork/join cost dominated the step, above all when the cores are shared.
    // Tensors are disjoint and the update is element-wise, so `nowait` is safe and the
    // result does not depend on the thread count.
#pragma omp parallel
    for (int i = 0; i < m->n_tensors; i++) {
        const pope_tensor *t = &m->tensors[i];
        size_t off = m->offsets[i];
        float *p = t->data, *g = t->grad, *mm = opt->m + off, *vv = opt->v + off;
        const float decay = t->decay ? 1.0f - lr * c->weight_decay : 1.0f;
        const long n = (long)t->numel;
#pragma omp for schedule(static) nowait
        for (long j = 0; j < n; j++) {
            float gj = g[j] * clip;
            float mj = b1 * mm[j] + (1.0f - b1) * gj;
            float vj = b2 * vv[j] + (1.0f - b2) * gj * gj;
            mm[j] = mj;
            vv[j] = vj;
            float mhat = mj / bc1, vhat = vj / bc2;
            p[j] = p[j] * decay - lr * mhat / (sqrtf(vhat) + eps);
        }
    }
    return 0;
}

float pope_lr_schedule(int64_t step, int64_t warmup, int64_t total, float lr_max, float lr_min) {
    if (step < warmup) return lr_max * (float)(step + 1) / (float)warmup;
    if (step >= total) return lr_min;
    double progress = (double)(step - warmup) / (double)(total - warmup);   // [0, 1)
    return (float)(lr_min + 0.5 * (lr_max - lr_min) * (1.0 + cos(M_PI * progress)));
}

// sample.c — drawing the next token from logits: temperature, top-k, top-p.
//
// Exactly: temperature <= 0 returns the argmax (the lowest index among ties). Otherwise
// the candidates are the tokens sorted by logit, descending (ties: lower index first);
// top-k keeps the first k; top-p then keeps the shortest prefix whose softmax mass
// (softmax of logit/temperature over the kept candidates) reaches top_p. One uniform
// u = pope_rng_uniform() picks the first candidate whose cumulative mass exceeds
// u · (total mass). Every call consumes exactly one draw (none for argmax).
#include <math.h>
#include <stdlib.h>

#include "pope.h"

typedef struct { float logit; int index; } cand;

static int cand_cmp(const void *a, const void *b) {
    const cand *x = a, *y = b;
    if (x->logit > y->logit) return -1;
    if (x->logit < y->logit) return 1;
    return (x->index > y->index) - (x->index < y->index);
}

static int32_t argmax(const float *logits, int V) {
    int best = 0;
    for (int i = 1; i < V; i++)
        if (logits[i] > logits[best] || (isnan(logits[best]) && !isnan(logits[i]))) best = i;
    return best;
}

int32_t pope_sample(const float *logits, int V, float temperature, int top_k, float top_p,
                    pope_rng *rng) {
    if (!logits || V < 1) return pope_error("sample: no logits (V = %d)", V);
    if (!(temperature > 0.0f)) return argmax(logits, V);
    cand *c = malloc((size_t)V * sizeof *c);
    double *w = malloc((size_t)V * sizeof *w);
    if (!c || !w) {
        free(c);
        free(w);
        return pope_error("sample: out of memory");
    }
    int n = 0;
    for (int i = 0; i < V; i++)
        if (!isnan(logits[i])) c[n++] = (cand){logits[i], i};   // NaN never wins
    if (n == 0) { free(c); free(w); return pope_error("sample: every logit is NaN"); }
    int sorted = (top_k > 0 && top_k < n) || top_p < 1.0f;
    if (sorted) qsort(c, (size_t)n, sizeof *c, cand_cmp);
    if (top_k > 0 && top_k < n) n = top_k;
    float maxl = c[0].logit;
    if (!sorted)
        for (int i = 1; i < n; i++) maxl = c[i].logit > maxl ? c[i].logit : maxl;
    double total = 0.0;
    for (int i = 0; i < n; i++) {
        w[i] = exp(((double)c[i].logit - maxl) / temperature);
        total += w[i];
    }
    if (top_p < 1.0f) {
        double target = (top_p > 0.0f ? top_p : 0.0) * total, cum = 0.0;
        int keep = n;
        for (int i = 0; i < n; i++) {
            cum += w[i];
            if (cum >= target) { keep = i + 1; break; }
        }
        n = keep;
        total = cum;
    }
    double u = (double)pope_rng_uniform(rng) * total, cum = 0.0;
    int32_t tok = c[n - 1].index;   // rounding fallback: the last kept candidate
    for (int i = 0; i < n; i++) {
        cum += w[i];
        if (u < cum) { tok = c[i].index; break; }
    }
    free(c);
    free(w);
    return tok;
}

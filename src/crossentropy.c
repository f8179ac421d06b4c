// crossentropy.c — softmax cross-entropy over the vocabulary, with an ignore index.
// Stable log-softmax: lse = m + log Σ exp(x − m), m the row max; the exps are the
// vector exp of kernel_vec.h (~2 ulp), summed in KV_W float lanes, then in double.
#include <math.h>

#include "kernel_vec.h"
#include "ops.h"

static float row_max(const float *x, int V) {
    float m = x[0];
    int v = 0;
    if (V >= KV_W) {
        kvec mv = kv_load(x);
        for (v = KV_W; v + KV_W <= V; v += KV_W) mv = kv_max(mv, kv_load(x + v));
        m = kv_hmax(mv);
    }
    for (; v < V; v++) m = x[v] > m ? x[v] : m;
    return m;
}

// log Σ_v exp(row[v])
static double row_logsumexp(const float *row, int V) {
    const float m = row_max(row, V);
    kvec sv = kv_splat(0.0f);
    int v = 0;
    for (; v + KV_W <= V; v += KV_W) sv += kv_exp(kv_load(row + v) - m);
    double s = 0.0;
    for (int i = 0; i < KV_W; i++) s += sv[i];
    for (; v < V; v++) s += k_exp(row[v] - m);
    return m + log(s);
}

// losses (N) = logsumexp(logits[n]) − logits[n][target]; 0 where target < 0.
int crossentropy_forward(float *losses, const float *logits, const int32_t *targets, int N, int V) {
    int count = 0;
    #pragma omp parallel for schedule(static) reduction(+ : count)
    for (int n = 0; n < N; n++) {
        if (targets[n] < 0) {
            losses[n] = 0.0f;
            continue;
        }
        const float *row = logits + (size_t)n * V;
        losses[n] = (float)(row_logsumexp(row, V) - row[targets[n]]);
        count++;
    }
    return count;
}

// dlogits (N,V) += dloss · (softmax − onehot(target)), rows with target < 0 untouched.
void crossentropy_backward(float *dlogits, const float *logits, const int32_t *targets,
                           int N, int V, float dloss) {
    #pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        if (targets[n] < 0) continue;
        const float *row = logits + (size_t)n * V;
        float *d = dlogits + (size_t)n * V;
        const float lse = (float)row_logsumexp(row, V);
        int v = 0;
        for (; v + KV_W <= V; v += KV_W)
            kv_store(d + v, kv_load(d + v) + dloss * kv_exp(kv_load(row + v) - lse));
        for (; v < V; v++) d[v] += dloss * k_exp(row[v] - lse);
        d[targets[n]] -= dloss;
    }
}

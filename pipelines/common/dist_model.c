// dist_model.c — what training and evaluation do with ranks (dist.h): summing gradients,
// checking that the ranks' weights agree, summing eval results.
#include <stdlib.h>
#include <string.h>

#include "dist.h"
#include "pipeline_internal.h"

int dist_sum_grads(pope_model *m, float **flat, size_t *cap) {
    if (dist_size() == 1) return 0;
    size_t n = pope_model_num_params(m);
    if (*cap < n) {
        float *f = realloc(*flat, n * sizeof *f);
        if (!f) return pope_error("out of memory for the gradient buffer (%zu floats)", n);
        *flat = f, *cap = n;
    }
    int nt = pope_model_num_tensors(m);
    size_t off = 0;
    for (int i = 0; i < nt; i++) {
        pope_tensor t = pope_model_tensor(m, i);
        memcpy(*flat + off, t.grad, t.numel * sizeof(float));
        off += t.numel;
    }
    if (dist_allreduce_sum_f32(*flat, off) != 0) return -1;
    off = 0;
    for (int i = 0; i < nt; i++) {
        pope_tensor t = pope_model_tensor(m, i);
        memcpy(t.grad, *flat + off, t.numel * sizeof(float));
        off += t.numel;
    }
    return 0;
}

uint64_t dist_weights_checksum(pope_model *m) {
    uint64_t h = 0xCBF29CE484222325ull;   // FNV-1a over the 32-bit words
    int nt = pope_model_num_tensors(m);
    for (int i = 0; i < nt; i++) {
        pope_tensor t = pope_model_tensor(m, i);
        for (size_t j = 0; j < t.numel; j++) {
            uint32_t w;
            memcpy(&w, &t.data[j], sizeof w);
            h = (h ^ w) * 0x100000001B3ull;
        }
    }
    return h;
}

int dist_check_weights(pope_model *m, int64_t step) {
    if (dist_size() == 1) return 0;
    if (dist_same_u64(dist_weights_checksum(m))) return 0;
    return pope_error("the %d ranks disagree on the weights at step %lld (checksums differ): the ranks must "
                      "run the same build, command line and data", dist_size(), (long long)step);
}

int dist_reduce_eval_result(pope_eval_result *r) {
    if (dist_size() == 1) {
        r->nll = r->targets > 0 ? r->nll_sum / (double)r->targets : r->nll;
        return 0;
    }
    // every sum of the result, in one f64 and one i64 allreduce: totals, per split, per bucket
    enum { NS = POPE_SPLIT_COUNT, ND = 1 + NS, NK = 3 + 2 * NS };
    int nb = r->n_buckets;
    double *d = malloc((ND + (size_t)nb) * sizeof *d);
    int64_t *k = malloc((NK + (size_t)nb) * sizeof *k);
    int rc = -1;
    if (!d || !k) {
        pope_error("out of memory");
        goto done;
    }
    d[0] = r->nll_sum, k[0] = r->targets, k[1] = r->windows, k[2] = r->units;
    for (int s = 0; s < NS; s++)
        d[1 + s] = r->split_nll_sum[s], k[3 + s] = r->split_targets[s], k[3 + NS + s] = r->split_units[s];
    for (int b = 0; b < nb; b++) d[ND + b] = r->bucket_nll[b], k[NK + b] = r->bucket_count[b];
    if (dist_allreduce_sum_f64(d, ND + (size_t)nb) != 0 || dist_allreduce_sum_i64(k, NK + (size_t)nb) != 0) goto done;
    r->nll_sum = d[0], r->targets = k[0], r->windows = k[1], r->units = k[2];
    for (int s = 0; s < NS; s++)
        r->split_nll_sum[s] = d[1 + s], r->split_targets[s] = k[3 + s], r->split_units[s] = k[3 + NS + s];
    for (int b = 0; b < nb; b++) r->bucket_nll[b] = d[ND + b], r->bucket_count[b] = k[NK + b];
    r->nll = r->targets > 0 ? r->nll_sum / (double)r->targets : r->nll;
    rc = 0;
done:
    free(d);
    free(k);
    return rc;
}

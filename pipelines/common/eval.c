// eval.c — windowed evaluation: mean NLL in nats per target over a split, over the
// windows of window.c. Inputs are tokens 0..n−2 of a window, targets 1..n−1. See
// docs/PIPELINE.md.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dist.h"
#include "pipeline_internal.h"

void pope_eval_opts_default(pope_eval_opts *o) {
    memset(o, 0, sizeof *o);
    o->split = POPE_SPLIT_TEST;
}

void pope_eval_result_free(pope_eval_result *r) {
    free(r->bucket_nll);
    free(r->bucket_count);
    r->bucket_nll = NULL;
    r->bucket_count = NULL;
    r->n_buckets = 0;
}

int eval_result_init(pope_eval_result *r, int context, int bucket_size, int max_pos) {
    memset(r, 0, sizeof *r);
    r->nll = NAN;
    r->context = context;
    if (bucket_size > 0) {
        r->bucket_size = bucket_size;
        r->n_buckets = (max_pos + bucket_size - 1) / bucket_size;
        r->bucket_nll = calloc(r->n_buckets, sizeof(double));
        r->bucket_count = calloc(r->n_buckets, sizeof(int64_t));
        if (!r->bucket_nll || !r->bucket_count) {
            pope_eval_result_free(r);
            return pope_error("eval: out of memory");
        }
    }
    return 0;
}

int score_windows(pope_model *m, const pope_corpus *c, const int32_t *tok, int B, int n,
                  pope_eval_result *r) {
    int T = n - 1, V = pope_model_config(m)->vocab_size;
    size_t N = (size_t)B * T;
    int32_t *in = malloc(N * sizeof *in), *tg = malloc(N * sizeof *tg);
    float *nll = malloc(N * sizeof *nll);
    int rc = -1;
    if (!in || !tg || !nll) {
        pope_error("eval: out of memory for %d windows of %d tokens", B, n);
        goto done;
    }
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            int32_t x = tok[(size_t)b * n + t], y = tok[(size_t)b * n + t + 1];
            if (x < 0 || x >= V || y < 0 || y >= V) {
                int32_t bad = (x < 0 || x >= V) ? x : y;
                pope_error("eval: token id %d out of range for vocab %d", bad, V);
                goto done;
            }
            in[(size_t)b * T + t] = x;
            tg[(size_t)b * T + t] = c->ignore_target ? c->ignore_target(c->ctx, y) : y;
        }
    if (pope_model_nll(m, in, tg, B, T, nll) != 0) goto done;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            size_t i = (size_t)b * T + t;
            if (tg[i] < 0) continue;
            r->nll_sum += nll[i];
            r->targets++;
            if (c->target_units) r->units += c->target_units(c->ctx, tg[i]);
            if (r->n_buckets > 0) {
                int k = t / r->bucket_size;
                if (k < r->n_buckets) {
                    r->bucket_nll[k] += nll[i];
                    r->bucket_count[k]++;
                }
            }
        }
    r->windows += B;
    rc = 0;
done:
    free(in);
    free(tg);
    free(nll);
    return rc;
}

// Windows of one split, enumerated in order; `pick` decides which are scored.
typedef struct {
    int64_t total, next_pick_i, k_pick;   // evenly spaced selection: index floor(i·total/k)
    int64_t seen;
} picker;

static int picked(picker *p) {
    int64_t idx = p->seen++;
    if (p->k_pick <= 0) return 1;
    if (p->next_pick_i >= p->k_pick) return 0;
    int64_t want = (int64_t)((double)p->next_pick_i * (double)p->total / (double)p->k_pick);
    if (idx == want) {
        p->next_pick_i++;
        return 1;
    }
    return 0;
}

int pope_eval(pope_model *m, const pope_corpus *c, const pope_eval_opts *o, pope_eval_result *r) {
    memset(r, 0, sizeof *r);
    r->nll = NAN;
    if (pope_check_compat(m, c) != 0) return -1;
    int T = o->context > 0 ? o->context : pope_model_config(m)->context_length;
    if (T < 1) return pope_error("eval: context must be at least 1 token");
    if (eval_result_init(r, T, o->bucket_size, T) != 0) return -1;
    int B = o->batch > 0 ? o->batch : (8192 / T > 0 ? 8192 / T : 1);
    int n = T + 1;
    int32_t *buf = malloc((size_t)B * n * sizeof *buf);
    if (!buf) {
        pope_eval_result_free(r);
        return pope_error("eval: out of memory for %d windows of %d tokens", B, n);
    }
    pope_split first = o->split == POPE_SPLIT_ALL ? POPE_SPLIT_TRAIN : o->split;
    pope_split last = o->split == POPE_SPLIT_ALL ? POPE_SPLIT_TEST : o->split;
    if ((int)first < 0 || last > POPE_SPLIT_TEST) {
        free(buf);
        pope_eval_result_free(r);
        return pope_error("eval: invalid split %d", (int)o->split);
    }

    // count the windows (and targets) first: the selection and the progress need them
    picker pk = {0};
    int64_t all_targets;
    pk.total = pope_split_windows(c, o->split, T, &all_targets);
    if (pk.total == 0) {
        free(buf);
        pope_eval_result_free(r);
        return pope_error("eval: the %s split has no window of at least 2 tokens", pope_split_name(o->split));
    }
    if (o->max_targets > 0 && o->max_targets < all_targets) {
        pk.k_pick = (o->max_targets + T - 1) / T;
        if (pk.k_pick > pk.total) pk.k_pick = 0;
    }
    int64_t to_score = pk.k_pick > 0 ? pk.k_pick : pk.total;
    char label[32];
    snprintf(label, sizeof label, "eval %s", pope_split_name(o->split));
    pope_meter pg;
    pope_meter_begin(&pg, o->progress && dist_is_root(), label, "windows", to_score);

    int nb = 0, rc = 0;
    r->sampled = pk.k_pick > 0;
    r->all_positions = all_targets;
    int64_t pick_i = 0;   // scored windows are shared out among the ranks round-robin
    for (int s = first; s <= (int)last && rc == 0; s++) {
        double nll0 = r->nll_sum;
        int64_t targets0 = r->targets, units0 = r->units;
        pope_window_iter it;
        pope_window w;
        rc = pope_window_iter_init(&it, c, (pope_split)s, T);
        while (rc == 0 && pope_window_next(&it, &w)) {
            int32_t *row = buf + (size_t)nb * n;   // nb < B: a free row
            if (picked(&pk) && dist_mine(pick_i++) && (rc = c->read(c->ctx, w.split, w.seq, w.off, w.n, row)) == 0) {
                if (w.n < n) {   // the shorter last window of the sequence, scored on its own
                    rc = score_windows(m, c, row, 1, w.n, r);
                } else if (++nb == B) {
                    rc = score_windows(m, c, buf, nb, n, r);
                    nb = 0;
                    pope_meter_update(&pg, r->windows * dist_size());   // a long contig holds many batches; the ranks score equal shares
                }
            }
            if (w.ends_seq) pope_meter_update(&pg, r->windows * dist_size());
        }
        if (rc == 0 && nb > 0) rc = score_windows(m, c, buf, nb, n, r);   // batches stay within a split
        nb = 0;
        r->split_nll_sum[s] = r->nll_sum - nll0;
        r->split_targets[s] = r->targets - targets0;
        r->split_units[s] = r->units - units0;
    }
    if (rc == 0) rc = dist_reduce_eval_result(r);
    pope_meter_end(&pg);
    free(buf);
    if (rc != 0) {
        pope_eval_result_free(r);
        return -1;
    }
    r->nll = r->targets > 0 ? r->nll_sum / (double)r->targets : NAN;
    return 0;
}

void pipeline_json_add_result(cJSON *o, const pope_eval_result *r) {
    cJSON_AddNumberToObject(o, "context", r->context);
    if (isfinite(r->nll)) cJSON_AddNumberToObject(o, "nll", r->nll);
    else cJSON_AddNullToObject(o, "nll");
    cJSON_AddNumberToObject(o, "targets", (double)r->targets);
    cJSON_AddNumberToObject(o, "windows", (double)r->windows);
}

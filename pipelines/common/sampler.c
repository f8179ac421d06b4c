// sampler.c — drawing training windows: uniform over all window starts of the train
// split (a sequence with probability ∝ its number of windows, a uniform offset in it),
// or the corpus's own sample_train; re-drawn while window_ok refuses.
#include <stdlib.h>
#include <string.h>

#include "pipeline_internal.h"

int sampler_init(sampler *s, const pope_corpus *c, int64_t n) {
    memset(s, 0, sizeof *s);
    if (c->sample_train) return 0;
    s->n_seqs = c->n_seqs(c->ctx, POPE_SPLIT_TRAIN);
    if (s->n_seqs <= 0) return pope_error("the train split is empty");
    s->cum = malloc(s->n_seqs * sizeof *s->cum);
    if (!s->cum) return pope_error("out of memory for %lld sequences", (long long)s->n_seqs);
    int64_t longest = 0;
    for (int64_t q = 0; q < s->n_seqs; q++) {
        int64_t len = c->seq_len(c->ctx, POPE_SPLIT_TRAIN, q);
        if (len > longest) longest = len;
        s->total += len >= n ? len - n + 1 : 0;
        s->cum[q] = s->total;
    }
    if (s->total == 0) {
        free(s->cum);
        s->cum = NULL;
        return pope_error("no training sequence has %lld tokens (context + 1); the longest has %lld: "
                          "use a smaller --context", (long long)n, (long long)longest);
    }
    return 0;
}

// Draws one window: a start offset uniform over all windows of all sequences, i.e. a
// sequence with probability ∝ (len − n + 1) and a uniform offset in it.
int draw_window(const pope_corpus *c, const sampler *s, pope_rng *rng, int64_t n, int V, int32_t *out) {
    enum { MAX_TRIES = 1000 };
    for (int tries = 0; tries < MAX_TRIES; tries++) {
        if (c->sample_train) {
            if (c->sample_train(c->ctx, rng, n, out) != 0) return -1;
        } else {
            int64_t u = (int64_t)pope_rng_below(rng, (uint64_t)s->total);
            int64_t lo = 0, hi = s->n_seqs - 1;   // first q with cum[q] > u
            while (lo < hi) {
                int64_t mid = lo + (hi - lo) / 2;
                if (s->cum[mid] > u) hi = mid;
                else lo = mid + 1;
            }
            int64_t off = u - (lo > 0 ? s->cum[lo - 1] : 0);
            if (c->read(c->ctx, POPE_SPLIT_TRAIN, lo, off, n, out) != 0) return -1;
        }
        for (int64_t i = 0; i < n; i++)
            if (out[i] < 0 || (out[i] & ~POPE_INPUT_ONLY) >= V)
                return pope_error("training data: token id %d out of range for vocab %d", out[i], V);
        if (!c->window_ok || c->window_ok(c->ctx, out, n)) return 0;
    }
    return pope_error("no usable training window in %d draws: the data's windows are all rejected "
                      "(e.g. more than half N)", MAX_TRIES);
}


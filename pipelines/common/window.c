// window.c — the evaluation windows of a corpus, the one rule that eval, validation and
// the test report share: a sequence of len tokens is cut into consecutive non-overlapping
// windows of T+1 tokens (offsets 0, T+1, 2(T+1), ...); a last window of r = len mod (T+1)
// tokens is kept when r >= 2 and dropped otherwise. Windows never cross sequences.
// docs/PIPELINE.md "Evaluation".
#include "pipeline_internal.h"

int64_t pope_eval_windows(int64_t len, int T, int64_t *targets) {
    if (T < 1 || len < 2) {
        if (targets) *targets = 0;
        return 0;
    }
    int64_t full = len / (T + 1), rest = len % (T + 1);
    int64_t w = full + (rest >= 2), t = full * T + (rest >= 2 ? rest - 1 : 0);
    if (targets) *targets = t;
    return w;
}

// The splits a walk covers: one, or train..test for POPE_SPLIT_ALL.
static int split_range(pope_split split, int *first, int *last) {
    *first = split == POPE_SPLIT_ALL ? POPE_SPLIT_TRAIN : (int)split;
    *last = split == POPE_SPLIT_ALL ? POPE_SPLIT_TEST : (int)split;
    if (*first < 0 || *last > POPE_SPLIT_TEST) return pope_error("invalid split %d", (int)split);
    return 0;
}

int64_t pope_split_windows(const pope_corpus *c, pope_split split, int T, int64_t *targets) {
    int first, last;
    int64_t w = 0, t = 0;
    if (split_range(split, &first, &last) == 0)
        for (int s = first; s <= last; s++) {
            int64_t ns = c->n_seqs(c->ctx, (pope_split)s);
            for (int64_t q = 0; q < ns; q++) {
                int64_t tq;
                w += pope_eval_windows(c->seq_len(c->ctx, (pope_split)s, q), T, &tq);
                t += tq;
            }
        }
    if (targets) *targets = t;
    return w;
}

int pope_window_iter_init(pope_window_iter *it, const pope_corpus *c, pope_split split, int T) {
    int first, last;
    if (T < 1) return pope_error("windows: context must be at least 1 token");
    if (split_range(split, &first, &last) != 0) return -1;
    // before the first split: pope_window_next moves on to it
    *it = (pope_window_iter){.c = c, .T = T, .split = first - 1, .last = last};
    return 0;
}

int pope_window_next(pope_window_iter *it, pope_window *w) {
    const pope_corpus *c = it->c;
    while (it->len - it->off < 2) {   // this sequence has no window left: the next sequence
        if (++it->seq >= it->n_seqs) {   // this split has none left: the next split
            if (it->split >= it->last) return 0;
            it->split++;
            it->n_seqs = c->n_seqs(c->ctx, (pope_split)it->split);
            it->seq = -1;
            continue;
        }
        it->len = c->seq_len(c->ctx, (pope_split)it->split, it->seq);
        it->off = 0;
    }
    const int64_t n = (int64_t)it->T + 1;
    int64_t take = it->len - it->off < n ? it->len - it->off : n;
    *w = (pope_window){.split = (pope_split)it->split, .seq = it->seq, .off = it->off, .n = (int)take};
    it->off += take;
    w->ends_seq = it->len - it->off < 2;
    return 1;
}

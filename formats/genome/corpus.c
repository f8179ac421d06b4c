// corpus.c — a pope_corpus over a packed genome: each split piece is one token sequence,
// read straight from the packed bases through a pope_gtok_view per split (nothing but the
// packed genome and the views' segment lists in memory).
#include <stdlib.h>
#include <string.h>

#include "pope_genome.h"

typedef struct {
    pope_gtok tok;
    pope_gtok_view *view[POPE_SPLIT_COUNT];
} genome_corpus;

static int64_t gc_n_seqs(void *ctx, pope_split split) {
    genome_corpus *c = ctx;
    return split >= 0 && split < POPE_SPLIT_COUNT ? pope_gtok_view_n(c->view[split]) : 0;
}

static int64_t gc_seq_len(void *ctx, pope_split split, int64_t seq) {
    genome_corpus *c = ctx;
    return split >= 0 && split < POPE_SPLIT_COUNT ? pope_gtok_view_len(c->view[split], seq) : 0;
}

static int gc_read(void *ctx, pope_split split, int64_t seq, int64_t off, int64_t n, int32_t *out) {
    genome_corpus *c = ctx;
    if (split < 0 || split >= POPE_SPLIT_COUNT) return pope_error("corpus: no split %d", (int)split);
    return pope_gtok_view_read(c->view[split], seq, off, n, out);
}

static int gc_window_ok(void *ctx, const int32_t *win, int64_t n) {
    genome_corpus *c = ctx;
    int64_t n_n = 0;
    for (int64_t i = 0; i < n; i++) n_n += pope_gtok_is_n(c->tok, win[i]);
    return 2 * n_n <= n;   // more than half N: skip
}

static int gc_ignore_target(void *ctx, int32_t token) {
    genome_corpus *c = ctx;
    if (pope_gtok_is_n(c->tok, token) || pope_gtok_bases(c->tok, token) == 0) return POPE_IGNORE;
    return token;
}

static int64_t gc_target_units(void *ctx, int32_t token) {
    return pope_gtok_bases(((genome_corpus *)ctx)->tok, token);
}

int pope_genome_corpus_init(pope_corpus *corpus, const pope_genome *g, const pope_genome_split *s, pope_gtok t) {
    genome_corpus *c = calloc(1, sizeof *c);
    if (!c) return pope_error("out of memory");
    memset(corpus, 0, sizeof *corpus);
    corpus->ctx = c;
    c->tok = t;
    for (int k = 0; k < POPE_SPLIT_COUNT; k++)
        if (!(c->view[k] = pope_gtok_view_new(g, s->pieces[k], s->n_pieces[k], t))) {
            pope_genome_corpus_free(corpus);
            return -1;
        }
    corpus->vocab_size = pope_gtok_vocab(t);
    corpus->tokenizer = pope_gtok_name(t);
    corpus->n_seqs = gc_n_seqs;
    corpus->seq_len = gc_seq_len;
    corpus->read = gc_read;
    corpus->window_ok = gc_window_ok;
    corpus->ignore_target = gc_ignore_target;
    corpus->target_units = gc_target_units;
    return 0;
}

void pope_genome_corpus_free(pope_corpus *corpus) {
    genome_corpus *c = corpus->ctx;
    if (c)
        for (int k = 0; k < POPE_SPLIT_COUNT; k++) pope_gtok_view_free(c->view[k]);
    free(c);
    corpus->ctx = NULL;
}

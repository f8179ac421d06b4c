// corpus.c — a pope_corpus over a packed genome: each split piece is one token sequence,
// tokenized on the fly from the packed bases (nothing but the packed genome in memory).
#include <stdlib.h>
#include <string.h>

#include "pope_genome.h"

typedef struct {
    const pope_genome *g;
    const pope_genome_split *s;
    pope_gtok tok;
} genome_corpus;

static int64_t gc_n_seqs(void *ctx, pope_split split) {
    genome_corpus *c = ctx;
    return split >= 0 && split < POPE_SPLIT_COUNT ? c->s->n_pieces[split] : 0;
}

static int64_t gc_seq_len(void *ctx, pope_split split, int64_t seq) {
    genome_corpus *c = ctx;
    if (seq < 0 || seq >= gc_n_seqs(ctx, split)) return 0;
    return pope_gtok_count(c->tok, c->s->pieces[split][seq].len);
}

// First base of token k in a sequence of `len` bases.
static int64_t token_base(pope_gtok t, int64_t len, int64_t k) {
    if (t != POPE_GTOK_KMER6) return k;
    int64_t full = len / 6;
    return k <= full ? 6 * k : 6 * full + (k - full);
}

static int gc_read(void *ctx, pope_split split, int64_t seq, int64_t off, int64_t n, int32_t *out) {
    genome_corpus *c = ctx;
    if (seq < 0 || seq >= gc_n_seqs(ctx, split)) return pope_error("corpus: no sequence %lld", (long long)seq);
    const pope_genome_piece *p = &c->s->pieces[split][seq];
    int64_t n_tok = pope_gtok_count(c->tok, p->len);
    if (off < 0 || n < 0 || off + n > n_tok)
        return pope_error("corpus: tokens %lld+%lld outside a sequence of %lld", (long long)off, (long long)n,
                          (long long)n_tok);
    int64_t b0 = token_base(c->tok, p->len, off), b1 = token_base(c->tok, p->len, off + n);
    char *bases = malloc((size_t)(b1 - b0) + 1);
    if (!bases) return pope_error("out of memory");
    int rc = pope_genome_fetch(c->g, p->contig, p->start + b0, b1 - b0, c->tok == POPE_GTOK_NT_CASE, bases);
    if (rc == 0) {
        if (c->tok == POPE_GTOK_KMER6) {
            // the 6-mers among the tokens, then the tail singles (as pope_gtok_encode does)
            int64_t full = p->len / 6, n6 = off < full ? (off + n < full ? n : full - off) : 0;
            pope_gtok_encode(c->tok, bases, 6 * n6, out);
            for (int64_t i = 6 * n6; i < b1 - b0; i++) {
                int32_t one;
                // a lone base through the 1-base path of the encoder: the tail token
                pope_gtok_encode(c->tok, bases + i, 1, &one);
                out[n6 + (i - 6 * n6)] = one;
            }
        } else {
            pope_gtok_encode(c->tok, bases, b1 - b0, out);
        }
    }
    free(bases);
    return rc;
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

int pope_genome_corpus_init(pope_corpus *corpus, const pope_genome *g, const pope_genome_split *s, pope_gtok t) {
    genome_corpus *c = calloc(1, sizeof *c);
    if (!c) return pope_error("out of memory");
    c->g = g;
    c->s = s;
    c->tok = t;
    memset(corpus, 0, sizeof *corpus);
    corpus->ctx = c;
    corpus->vocab_size = pope_gtok_vocab(t);
    corpus->tokenizer = pope_gtok_name(t);
    corpus->n_seqs = gc_n_seqs;
    corpus->seq_len = gc_seq_len;
    corpus->read = gc_read;
    corpus->window_ok = gc_window_ok;
    corpus->ignore_target = gc_ignore_target;
    return 0;
}

void pope_genome_corpus_free(pope_corpus *corpus) {
    free(corpus->ctx);
    corpus->ctx = NULL;
}

int64_t pope_genome_corpus_bases(const pope_corpus *corpus, const int32_t *tokens, int64_t n) {
    const genome_corpus *c = corpus->ctx;
    int64_t b = 0;
    for (int64_t i = 0; i < n; i++)
        if (gc_ignore_target(corpus->ctx, tokens[i]) != POPE_IGNORE) b += pope_gtok_bases(c->tok, tokens[i]);
    return b;
}

// view.c — tokens straight from the packed genome (pope_gtok_view): no ASCII, no allocation
// per read. nt/nt-case: token i is base i, so a read is the 2-bit codes with the N and
// lowercase runs laid over them. kmer6: a piece is a list of segments (N-free runs and N
// runs, from the genome's sorted N runs) with the token each starts at, so a read finds its
// first segment by binary search and emits from there with the rule in tokenizer.c.
#include <stdlib.h>
#include <string.h>

#include "genome_internal.h"

typedef struct { int64_t base, tok, is_n; } gseg;   // base: relative to the piece

struct pope_gtok_view {
    const pope_genome *g;
    const pope_genome_piece *pieces;
    int64_t n_pieces;
    pope_gtok t;
    int64_t *len;         // (n_pieces) tokens per piece
    int64_t *first_seg;   // (n_pieces + 1) kmer6: the piece's segments are seg[first_seg[p] .. first_seg[p+1])
    gvec seg;             // gseg
};

static uint64_t piece_g0(const pope_gtok_view *v, const pope_genome_piece *p) {
    return v->g->contigs[p->contig].start + (uint64_t)p->start;
}

// Appends the segments of piece p; returns its token count, or -1 (out of memory).
static int64_t add_segments(pope_gtok_view *v, const pope_genome_piece *p) {
    const pope_genome *g = v->g;
    uint64_t g0 = piece_g0(v, p), g1 = g0 + (uint64_t)p->len;
    int64_t cur = 0, tok = 0;
    for (uint64_t k = genome_runs_lower_bound(g->nruns, g->n_nruns, g0); k < g->n_nruns && g->nruns[k].start < g1; k++) {
        int64_t a = (int64_t)(g->nruns[k].start > g0 ? g->nruns[k].start - g0 : 0);
        int64_t b = (int64_t)(g->nruns[k].start + g->nruns[k].len < g1 ? g->nruns[k].start + g->nruns[k].len - g0 : g1 - g0);
        if (a > cur) {
            if (gvec_push(&v->seg, &(gseg){cur, tok, 0})) return -1;
            tok += k6_run_tokens(a - cur);
        }
        if (gvec_push(&v->seg, &(gseg){a, tok, 1})) return -1;
        tok += b - a;   // one N token per N base
        cur = b;
    }
    if (cur < p->len) {
        if (gvec_push(&v->seg, &(gseg){cur, tok, 0})) return -1;
        tok += k6_run_tokens(p->len - cur);
    }
    return tok;
}

pope_gtok_view *pope_gtok_view_new(const pope_genome *g, const pope_genome_piece *pieces, int64_t n, pope_gtok t) {
    for (int64_t k = 0; k < n; k++)
        if (pieces[k].contig < 0 || (uint64_t)pieces[k].contig >= g->n_contigs || pieces[k].start < 0 || pieces[k].len < 0 ||
            (uint64_t)(pieces[k].start + pieces[k].len) > g->contigs[pieces[k].contig].len) {
            pope_error("tokens: piece %lld (contig %lld, %lld+%lld) outside the genome", (long long)k,
                       (long long)pieces[k].contig, (long long)pieces[k].start, (long long)pieces[k].len);
            return NULL;
        }
    pope_gtok_view *v = calloc(1, sizeof *v);
    if (!v) {
        pope_error("out of memory");
        return NULL;
    }
    *v = (pope_gtok_view){g, pieces, n, t, NULL, NULL, {NULL, 0, 0, sizeof(gseg)}};
    v->len = malloc((size_t)(n + 1) * sizeof *v->len);
    v->first_seg = malloc((size_t)(n + 1) * sizeof *v->first_seg);
    int ok = v->len && v->first_seg;
    for (int64_t k = 0; k < n && ok; k++) {
        v->first_seg[k] = (int64_t)v->seg.n;
        v->len[k] = t == POPE_GTOK_KMER6 ? add_segments(v, &pieces[k]) : pieces[k].len;
        ok = v->len[k] >= 0;
    }
    if (!ok) {
        pope_gtok_view_free(v);
        pope_error("out of memory for the token index of %lld pieces", (long long)n);
        return NULL;
    }
    v->first_seg[n] = (int64_t)v->seg.n;
    return v;
}

void pope_gtok_view_free(pope_gtok_view *v) {
    if (!v) return;
    free(v->len);
    free(v->first_seg);
    free(v->seg.data);
    free(v);
}

int64_t pope_gtok_view_n(const pope_gtok_view *v) { return v->n_pieces; }

int64_t pope_gtok_view_len(const pope_gtok_view *v, int64_t piece) {
    return piece >= 0 && piece < v->n_pieces ? v->len[piece] : 0;
}

// nt / nt-case: codes (nt ids 0..4 are the codes A C G T N), then N over the N runs and
// lowercase ids over the soft-masked runs.
static void read_nt(const pope_gtok_view *v, uint64_t g0, int64_t n, int32_t *out) {
    const pope_genome *g = v->g;
    gbase_src src = {NULL, g->packed, g0};
    uint64_t g1 = g0 + (uint64_t)n;
    for (int64_t i = 0; i < n; i++) out[i] = nt_token(gbase_code(&src, i), 0);
    for (uint64_t k = genome_runs_lower_bound(g->nruns, g->n_nruns, g0); k < g->n_nruns && g->nruns[k].start < g1; k++) {
        uint64_t a = g->nruns[k].start > g0 ? g->nruns[k].start : g0;
        uint64_t b = g->nruns[k].start + g->nruns[k].len < g1 ? g->nruns[k].start + g->nruns[k].len : g1;
        for (uint64_t i = a; i < b; i++) out[i - g0] = nt_token(4, 0);
    }
    if (v->t != POPE_GTOK_NT_CASE) return;
    for (uint64_t k = genome_runs_lower_bound(g->lruns, g->n_lruns, g0); k < g->n_lruns && g->lruns[k].start < g1; k++) {
        uint64_t a = g->lruns[k].start > g0 ? g->lruns[k].start : g0;
        uint64_t b = g->lruns[k].start + g->lruns[k].len < g1 ? g->lruns[k].start + g->lruns[k].len : g1;
        for (uint64_t i = a; i < b; i++) out[i - g0] = nt_token(out[i - g0], 1);
    }
}

int pope_gtok_view_read(const pope_gtok_view *v, int64_t piece, int64_t off, int64_t n, int32_t *out) {
    if (piece < 0 || piece >= v->n_pieces) return pope_error("tokens: no sequence %lld", (long long)piece);
    int64_t len = v->len[piece];
    if (off < 0 || n < 0 || off > len - n)
        return pope_error("tokens: %lld+%lld outside a sequence of %lld", (long long)off, (long long)n, (long long)len);
    const pope_genome_piece *p = &v->pieces[piece];
    uint64_t g0 = piece_g0(v, p);
    if (v->t != POPE_GTOK_KMER6) {
        read_nt(v, g0 + (uint64_t)off, n, out);
        return 0;
    }
    const gseg *seg = (const gseg *)v->seg.data + v->first_seg[piece];
    int64_t n_seg = v->first_seg[piece + 1] - v->first_seg[piece];
    int64_t lo = 0, hi = n_seg - 1;   // the last segment starting at or before token off
    while (lo < hi) {
        int64_t mid = lo + (hi - lo + 1) / 2;
        if (seg[mid].tok <= off) lo = mid;
        else hi = mid - 1;
    }
    gbase_src src = {NULL, v->g->packed, g0};
    for (int64_t s = lo, end = off + n; off < end; s++) {
        int64_t seg_end_tok = s + 1 < n_seg ? seg[s + 1].tok : len;
        int64_t seg_len = (s + 1 < n_seg ? seg[s + 1].base : p->len) - seg[s].base;
        int64_t j0 = off - seg[s].tok, j1 = (end < seg_end_tok ? end : seg_end_tok) - seg[s].tok;
        if (seg[s].is_n)
            for (int64_t j = j0; j < j1; j++) *out++ = k6_n_token();
        else {
            k6_run_emit(&src, seg[s].base, seg_len, j0, j1, out);
            out += j1 - j0;
        }
        off += j1 - j0;
    }
    return 0;
}

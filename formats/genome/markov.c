// markov.c — the order-k Markov baseline that eval prints beside a model's bits per base:
// what counting (k+1)-mers of the training split alone achieves (docs/GENOME.md).
//
// One table of (k+1)-mer counts over the N-free runs of the fit pieces; the tables of the
// shorter orders (used for the first k bases of a run) are its marginals over the leading
// bases. Add-one smoothing: p(b | ctx) = (count(ctx b) + 1) / (count(ctx ·) + 4).
#include <math.h>
#include <stdlib.h>

#include "genome_internal.h"

// The N-free runs [*a, *b) (global bases) of one piece, in order.
typedef struct { const pope_genome *g; uint64_t cur, end, k; } run_iter;

static run_iter runs_of(const pope_genome *g, const pope_genome_piece *p) {
    uint64_t g0 = g->contigs[p->contig].start + (uint64_t)p->start;
    return (run_iter){g, g0, g0 + (uint64_t)p->len, genome_runs_lower_bound(g->nruns, g->n_nruns, g0)};
}

static int next_run(run_iter *it, uint64_t *a, uint64_t *b) {
    const genome_run *n = it->g->nruns;
    while (it->cur < it->end) {
        if (it->k < it->g->n_nruns && n[it->k].start <= it->cur) {   // inside an N run: skip it
            if (n[it->k].start + n[it->k].len > it->cur) it->cur = n[it->k].start + n[it->k].len;
            it->k++;
            continue;
        }
        *a = it->cur;
        *b = it->k < it->g->n_nruns && n[it->k].start < it->end ? n[it->k].start : it->end;
        it->cur = *b;
        return 1;
    }
    return 0;
}

// The tables of all orders in one array: order j (j bases of context) holds 4^(j+1) entries
// (context · 4 + base) from offset 4 + 16 + ... + 4^j.
static size_t table_off(int j) { return (((size_t)1 << (2 * (j + 1))) - 4) / 3; }

// Every base of the N-free runs of the pieces with its context (the up to k bases before it
// in its run). count != NULL: counts the bases with a full context into the order-k table;
// else sums and returns the bits of each base under `bits` (the shorter orders where the run
// is shorter) and sets *scored.
// pr (may be NULL) hears the bases passed (N runs included) every PROGRESS_BASES.
#define PROGRESS_BASES ((uint64_t)1 << 20)
static double walk(const pope_genome *g, const pope_genome_piece *pieces, int64_t n, int k, uint64_t *count,
                   const double *bits, int64_t *scored, const pope_genome_progress *pr) {
    uint64_t mask = ((uint64_t)1 << (2 * k)) - 1, a, b;
    double sum = 0;
    int64_t passed = 0;   // bases of the pieces before this one
    for (int64_t p = 0; p < n; passed += pieces[p].len, p++)
        for (run_iter it = runs_of(g, &pieces[p]); next_run(&it, &a, &b);) {
            gbase_src src = {NULL, g->packed, a};
            uint64_t ctx = 0, piece0 = g->contigs[pieces[p].contig].start + (uint64_t)pieces[p].start;
            for (uint64_t i = 0; i < b - a; i++) {
                if (pr && pr->fn && ((a + i) & (PROGRESS_BASES - 1)) == 0)
                    pr->fn(pr->ctx, passed + (int64_t)(a + i - piece0));
                int c = gbase_code(&src, (int64_t)i);
                int h = i < (uint64_t)k ? (int)i : k;   // context length available in this run
                if (count && h == k) count[ctx * 4 + (uint64_t)c]++;
                else if (!count) sum += bits[table_off(h) + (ctx & (((uint64_t)1 << (2 * h)) - 1)) * 4 + (uint64_t)c];
                ctx = ((ctx << 2) | (uint64_t)c) & mask;
            }
            if (scored) *scored += (int64_t)(b - a);
        }
    return sum;
}

struct pope_genome_markov {
    const pope_genome *g;
    int k;
    double *bits;   // −log2 p(base | context), all orders (table_off)
};

pope_genome_markov *pope_genome_markov_fit(const pope_genome *g, const pope_genome_piece *fit, int64_t n_fit, int k,
                                           const pope_genome_progress *pr) {
    if (k < 0 || k > 8) {
        pope_error("markov: order %d outside 0..8", k);
        return NULL;
    }
    size_t total = table_off(k + 1), top = table_off(k);
    uint64_t *cnt = calloc(total, sizeof *cnt);
    pope_genome_markov *m = malloc(sizeof *m);
    double *bits = malloc(total * sizeof *bits);
    if (!cnt || !m || !bits) {
        free(cnt);
        free(m);
        free(bits);
        pope_error("out of memory");
        return NULL;
    }
    walk(g, fit, n_fit, k, cnt + top, NULL, NULL, pr);
    for (int j = k - 1; j >= 0; j--) {   // marginals: drop the leading context base
        size_t off = table_off(j), up = table_off(j + 1), n = (size_t)1 << (2 * (j + 1));
        for (size_t lead = 0; lead < 4; lead++)
            for (size_t x = 0; x < n; x++) cnt[off + x] += cnt[up + lead * n + x];
    }
    for (size_t x = 0; x < total; x += 4) {   // add-one smoothing
        double sum = (double)(cnt[x] + cnt[x + 1] + cnt[x + 2] + cnt[x + 3]) + 4;
        for (int c = 0; c < 4; c++) bits[x + (size_t)c] = -log2(((double)cnt[x + (size_t)c] + 1) / sum);
    }
    free(cnt);
    *m = (pope_genome_markov){g, k, bits};
    return m;
}

double pope_genome_markov_score(const pope_genome_markov *m, const pope_genome_piece *score, int64_t n_score,
                                int64_t *n_scored, const pope_genome_progress *pr) {
    int64_t scored = 0;
    double sum = walk(m->g, score, n_score, m->k, NULL, m->bits, &scored, pr);
    if (n_scored) *n_scored = scored;
    return scored > 0 ? sum / (double)scored : NAN;
}

void pope_genome_markov_free(pope_genome_markov *m) {
    if (!m) return;
    free(m->bits);
    free(m);
}

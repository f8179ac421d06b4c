// test_genome_shared.c — integration on the real genomes of ../shared/data/genome (skipped
// when absent): GRCh37 chr20 (BGZF), dm3 chr2R (plain gzip, soft-masked) and the hg38 region,
// with the lengths stated in the data README, and the packed cache equal to the direct read.
#include "check.h"
#include "genome_fixtures.h"
#include "pope_genome.h"

static pope_genome *open_nocache(const char *path) {
    pope_genome_opts o;
    pope_genome_opts_default(&o);
    o.cache = 0;
    o.n_threads = 1;
    o.faidx = 0;   // the streaming parser; test_genome_faidx covers the faidx route
    return pope_genome_open(path, &o);
}

// N bases of a piece, from the ASCII read (independent of the run lists the baseline walks).
static int64_t count_n(const pope_genome *g, const pope_genome_piece *p) {
    char *b = malloc((size_t)p->len);
    pope_genome_fetch(g, p->contig, p->start, p->len, 0, b);
    int64_t n = 0;
    for (int64_t i = 0; i < p->len; i++) n += b[i] == 'N';
    free(b);
    return n;
}

// kmer6 read straight from the packed genome equals kmer6 of the ASCII bases, on real
// pieces around N gaps: starting inside the 60,000-N telomere gap, across its end, and
// mid-chromosome; reads at random token offsets.
static void kmer6_real(const pope_genome *g) {
    pope_genome_piece pieces[3] = {{0, 59000, 200000}, {0, 59999, 7}, {0, 31234567, 1 << 20}};
    pope_gtok_view *v = pope_gtok_view_new(g, pieces, 3, POPE_GTOK_KMER6);
    CHECK(v != NULL, "view: %s", pope_last_error());
    if (!v) return;
    for (int k = 0; k < 3; k++) {
        char *b = malloc((size_t)pieces[k].len);
        int32_t *whole = malloc((size_t)pieces[k].len * 4), *part = malloc((size_t)pieces[k].len * 4);
        pope_genome_fetch(g, 0, pieces[k].start, pieces[k].len, 1, b);
        int64_t n = pope_gtok_encode(POPE_GTOK_KMER6, b, pieces[k].len, whole);
        CHECK(pope_gtok_view_len(v, k) == n, "piece %d: %lld tokens, want %lld", k, (long long)pope_gtok_view_len(v, k),
              (long long)n);
        int ok = pope_gtok_view_read(v, k, 0, n, part) == 0 && memcmp(part, whole, (size_t)n * 4) == 0;
        uint64_t x = 99;
        for (int t = 0; t < 200 && ok; t++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            int64_t off = (int64_t)((x >> 33) % (uint64_t)n), m = (int64_t)((x >> 7) % 5000);
            if (m > n - off) m = n - off;
            ok = pope_gtok_view_read(v, k, off, m, part) == 0 && memcmp(part, whole + off, (size_t)m * 4) == 0;
        }
        CHECK(ok, "piece %d: view reads equal the ASCII tokenization", k);
        free(b);
        free(whole);
        free(part);
    }
    pope_gtok_view_free(v);
}

int main(void) {
    const char *data = check_shared_data();
    if (!data) return CHECK_SKIP;
    char path[4200];

    snprintf(path, sizeof path, "%s/genome/GRCh37_chr20.fa.gz", data);
    pope_genome *chr20 = open_nocache(path);
    CHECK(chr20 != NULL, "chr20: %s", pope_last_error());
    if (chr20) {
        CHECK(pope_genome_n_contigs(chr20) == 1 && strcmp(pope_genome_contig_name(chr20, 0), "20") == 0, "header >20");
        CHECK(pope_genome_contig_len(chr20, 0) == 63025520, "chr20 length %lld", (long long)pope_genome_contig_len(chr20, 0));
        double n_frac = (double)pope_genome_n_bases_n(chr20) / 63025520.0;
        CHECK(n_frac > 0.04 && n_frac < 0.07, "about 3.5 M N (%lld)", (long long)pope_genome_n_bases_n(chr20));
        // chr20 of GRCh37 starts with 60,000 N (the telomere gap)
        char head[8];
        pope_genome_fetch(chr20, 0, 59996, 8, 0, head);
        CHECK(memcmp(head, "NNNN", 4) == 0 && strchr("ACGT", head[4]) != NULL, "telomere gap ends at 60,000: %.8s", head);
        // the cache of the real file equals the direct read, in two windows
        pope_genome_opts o;
        pope_genome_opts_default(&o);
        o.cache = 2;
        o.cache_dir = fx_path("cache");
        pope_genome *cached = pope_genome_open(path, &o);
        CHECK(cached && strstr(pope_genome_source(cached), "cache written"), "cache written");
        pope_genome_free(cached);
        cached = pope_genome_open(path, &o);
        CHECK(cached && strncmp(pope_genome_source(cached), "cache: ", 7) == 0, "cache mapped");
        if (cached) {
            static char a[1 << 20], b[1 << 20];
            int64_t offs[3] = {0, 31234567, 63025520 - (1 << 20)};
            for (int k = 0; k < 3; k++) {
                pope_genome_fetch(chr20, 0, offs[k], 1 << 20, 1, a);
                pope_genome_fetch(cached, 0, offs[k], 1 << 20, 1, b);
                CHECK(memcmp(a, b, sizeof a) == 0, "window %d equal", k);
            }
            CHECK(pope_genome_n_bases_n(cached) == pope_genome_n_bases_n(chr20) &&
                      pope_genome_n_bases_lower(cached) == pope_genome_n_bases_lower(chr20),
                  "counts equal");
        }
        pope_genome_free(cached);
        kmer6_real(chr20);
        // the order-5 Markov baseline on real DNA: below 2 bits (human DNA is not uniform),
        // well above what a model of long repeats reaches
        pope_genome_piece first = {0, 0, 31512760}, second = {0, 31512760, 31512760};
        int64_t scored = 0;
        pope_genome_markov *m = pope_genome_markov_fit(chr20, &first, 1, 5, NULL);
        double mk = m ? pope_genome_markov_score(m, &second, 1, &scored, NULL) : NAN;
        pope_genome_markov_free(m);
        CHECK(mk > 1.8 && mk < 1.99 && scored == 31512760 - count_n(chr20, &second), "markov on chr20: %.4f bits/base over %lld",
              mk, (long long)scored);
    }
    pope_genome_free(chr20);

    snprintf(path, sizeof path, "%s/genome/dm3_chr2R.fa.gz", data);
    pope_genome *dm3 = open_nocache(path);
    CHECK(dm3 != NULL, "dm3: %s", pope_last_error());
    if (dm3) {
        CHECK(pope_genome_n_contigs(dm3) == 1 && pope_genome_contig_len(dm3, 0) == 21146708, "dm3 chr2R length %lld",
              (long long)pope_genome_contig_len(dm3, 0));
        double lower = (double)pope_genome_n_bases_lower(dm3) / 21146708.0;
        CHECK(lower > 0.05 && lower < 0.2, "about 10%% soft-masked (%.3f)", lower);
    }
    pope_genome_free(dm3);

    snprintf(path, sizeof path, "%s/genome/hg38_chr16_region.fa", data);
    pope_genome *hg38 = open_nocache(path);
    CHECK(hg38 && pope_genome_contig_len(hg38, 0) == 397118 - 186964 + 1, "hg38 region: 210,155 bases");
    pope_genome_free(hg38);
    fx_cleanup();
    return check_summary("test_genome_shared");
}

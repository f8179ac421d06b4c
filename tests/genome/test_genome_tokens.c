// test_genome_tokens.c — nt / nt-case / kmer6 ids and round trips, the split rules, and the
// corpus (random-access token reads equal slices of the whole-sequence tokenization).
#include "check.h"
#include "genome_fixtures.h"
#include "pope_genome.h"

static void test_kmer6_ids(void) {
    // hand-computed: A=0 C=1 G=2 T=3, first base most significant (base 4)
    struct { const char *s; int32_t id; } cases[] = {
        {"AAAAAA", 0}, {"AAAAAC", 1}, {"AAAAAT", 3}, {"AAAACA", 4}, {"CAAAAA", 1024},
        {"TTTTTT", 4095}, {"ACGTAC", 0 * 1024 + 1 * 256 + 2 * 64 + 3 * 16 + 0 * 4 + 1}, {"ACGNAC", POPE_K6_N6},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int32_t id = -7;
        pope_gtok_encode(POPE_GTOK_KMER6, cases[i].s, 6, &id);
        CHECK(id == cases[i].id, "%s -> %d, want %d", cases[i].s, id, cases[i].id);
    }
    // a 15-base sequence: two 6-mers and three tail singles
    int32_t t[8];
    pope_gtok_encode(POPE_GTOK_KMER6, "AAAAACTTTTTTGNa", 15, t);
    CHECK(pope_gtok_count(POPE_GTOK_KMER6, 15) == 5, "count 15 -> 5");
    CHECK(t[0] == 1 && t[1] == 4095 && t[2] == POPE_K6_TAIL_A + 2 && t[3] == POPE_K6_TAIL_A + 4 && t[4] == POPE_K6_TAIL_A,
          "tail tokens %d %d %d %d %d", t[0], t[1], t[2], t[3], t[4]);
    CHECK(pope_gtok_vocab(POPE_GTOK_KMER6) == 4104 && pope_gtok_vocab(POPE_GTOK_NT) == 7 && pope_gtok_vocab(POPE_GTOK_NT_CASE) == 12,
          "vocab sizes");
    CHECK(pope_gtok_bases(POPE_GTOK_KMER6, 17) == 6 && pope_gtok_bases(POPE_GTOK_KMER6, POPE_K6_TAIL_A) == 1 &&
          pope_gtok_bases(POPE_GTOK_KMER6, POPE_K6_PAD) == 0,
          "bases per token");
    int32_t nt[6];
    pope_gtok_encode(POPE_GTOK_NT_CASE, "ACgtNn", 6, nt);
    CHECK(nt[0] == 0 && nt[1] == 1 && nt[2] == 9 && nt[3] == 10 && nt[4] == 4 && nt[5] == 11, "nt-case ids");
    pope_gtok_encode(POPE_GTOK_NT, "ACgtNn", 6, nt);
    CHECK(nt[0] == 0 && nt[1] == 1 && nt[2] == 2 && nt[3] == 3 && nt[4] == 4 && nt[5] == 4, "nt ids (case folded)");
    pope_gtok tk;
    CHECK(pope_gtok_parse("kmer6", 1, &tk) != 0, "kmer6 + keep-case refused");
    CHECK(pope_gtok_parse("nt", 1, &tk) == 0 && tk == POPE_GTOK_NT_CASE, "nt + keep-case = nt-case");
    CHECK(pope_gtok_parse("bpe", 0, &tk) != 0, "unknown tokenizer");
}

static void test_round_trips(void) {
    for (int len = 0; len < 40; len++) {
        char *s = fx_random_seq(len, "ACGT", (uint64_t)len + 1), out[64];
        int32_t tok[64];
        for (int t = 0; t < POPE_GTOK_COUNT; t++) {
            pope_gtok_encode((pope_gtok)t, s, len, tok);
            int64_t n = pope_gtok_count((pope_gtok)t, len);
            int64_t w = pope_gtok_decode((pope_gtok)t, tok, n, out, sizeof out);
            CHECK(w == len && memcmp(out, s, (size_t)len) == 0, "round trip %s len %d", pope_gtok_name((pope_gtok)t), len);
        }
        free(s);
    }
    char *s = fx_random_seq(500, "ACGTacgtN", 99), out[600];
    int32_t tok[600];
    pope_gtok_encode(POPE_GTOK_NT_CASE, s, 500, tok);
    CHECK(pope_gtok_decode(POPE_GTOK_NT_CASE, tok, 500, out, 600) == 500 && memcmp(out, s, 500) == 0, "nt-case keeps case");
    int32_t bad = 5000;
    CHECK(pope_gtok_decode(POPE_GTOK_KMER6, &bad, 1, out, 600) < 0, "id outside vocab");
    free(s);
}

static pope_genome *make_genome(int n, const char *const *names, const int64_t *lens) {
    char **seqs = calloc((size_t)n, sizeof *seqs);
    for (int i = 0; i < n; i++) seqs[i] = fx_random_seq(lens[i], "ACGTACGTACGTacgtN", (uint64_t)i + 7);
    char *text = fx_fasta_text(n, names, (const char *const *)seqs, 60, "\n");
    fx_write(fx_path("split.fa"), text, strlen(text));
    pope_genome_opts o;
    pope_genome_opts_default(&o);
    o.cache = 0;
    pope_genome *g = pope_genome_open(fx_path("split.fa"), &o);
    for (int i = 0; i < n; i++) free(seqs[i]);
    free(seqs);
    free(text);
    return g;
}

static void test_splits(void) {
    pope_genome_split s;
    // one contig of 1000: train [0,900), test [900,950), valid [950,1000)
    const char *one[] = {"chr20"};
    int64_t len1[] = {1000};
    pope_genome *g = make_genome(1, one, len1);
    CHECK(g && pope_genome_split_make(g, NULL, NULL, &s) == 0, "split one");
    CHECK(s.n_pieces[POPE_SPLIT_TRAIN] == 1 && s.pieces[POPE_SPLIT_TRAIN][0].start == 0 && s.pieces[POPE_SPLIT_TRAIN][0].len == 900,
          "train piece");
    CHECK(s.n_pieces[POPE_SPLIT_TEST] == 1 && s.pieces[POPE_SPLIT_TEST][0].start == 900 && s.pieces[POPE_SPLIT_TEST][0].len == 50,
          "test piece");
    CHECK(s.n_pieces[POPE_SPLIT_VALID] == 1 && s.pieces[POPE_SPLIT_VALID][0].start == 950 && s.pieces[POPE_SPLIT_VALID][0].len == 50,
          "valid piece");
    char *js = pope_genome_split_json(g, &s);
    CHECK(js && strstr(js, "\"rule\":\"tail-5%\"") && strstr(js, "[\"chr20\",900,50]"), "split json %s", js);
    free(js);
    pope_genome_split_free(&s);
    pope_genome_free(g);

    // several contigs with chr14 and chrX: those are test, chr21 valid
    const char *many[] = {"chr1", "chr14", "chr21", "chrX", "chrM"};
    int64_t lens[] = {500, 300, 200, 100, 20};
    g = make_genome(5, many, lens);
    CHECK(g && pope_genome_split_make(g, NULL, NULL, &s) == 0, "split many");
    CHECK(s.n_bases[POPE_SPLIT_TEST] == 400 && s.n_bases[POPE_SPLIT_VALID] == 200 && s.n_bases[POPE_SPLIT_TRAIN] == 520,
          "default contigs: test %lld valid %lld train %lld", (long long)s.n_bases[POPE_SPLIT_TEST],
          (long long)s.n_bases[POPE_SPLIT_VALID], (long long)s.n_bases[POPE_SPLIT_TRAIN]);
    pope_genome_split_free(&s);
    CHECK(pope_genome_split_make(g, "chrM", "chr1", &s) == 0 && s.n_bases[POPE_SPLIT_TEST] == 500 && s.n_bases[POPE_SPLIT_VALID] == 20,
          "named contigs");
    pope_genome_split_free(&s);
    CHECK(pope_genome_split_make(g, NULL, "chr99", &s) != 0 && strstr(pope_last_error(), "chr99"), "absent contig named");
    CHECK(pope_genome_split_make(g, "chr1,chr14", "chr21,chrX,chrM", &s) != 0, "nothing left to train on");
    pope_genome_free(g);

    // several contigs without the default names: whole contigs from the end, >= 5% each
    const char *plain[] = {"a", "b", "c", "d"};
    int64_t lens2[] = {1000, 1000, 100, 30};
    g = make_genome(4, plain, lens2);
    CHECK(g && pope_genome_split_make(g, NULL, NULL, &s) == 0, "split plain");
    // valid takes d (30) then c (130 >= 5% of 2130); test takes b
    CHECK(s.n_bases[POPE_SPLIT_VALID] == 130 && s.n_bases[POPE_SPLIT_TEST] == 1000 && s.n_bases[POPE_SPLIT_TRAIN] == 1000,
          "from-end rule: valid %lld test %lld", (long long)s.n_bases[POPE_SPLIT_VALID], (long long)s.n_bases[POPE_SPLIT_TEST]);
    pope_genome_split_free(&s);
    pope_genome_free(g);
}

static void test_corpus(void) {
    const char *names[] = {"c1", "c2"};
    int64_t lens[] = {2003, 611};
    pope_genome *g = make_genome(2, names, lens);
    pope_genome_split s;
    CHECK(g && pope_genome_split_make(g, NULL, NULL, &s) == 0, "split");
    if (!g) return;
    for (int t = 0; t < POPE_GTOK_COUNT; t++) {
        pope_corpus c;
        CHECK(pope_genome_corpus_init(&c, g, &s, (pope_gtok)t) == 0, "corpus init");
        CHECK(strcmp(c.tokenizer, pope_gtok_name((pope_gtok)t)) == 0 && c.vocab_size == pope_gtok_vocab((pope_gtok)t), "names");
        for (int sp = 0; sp < POPE_SPLIT_COUNT; sp++)
            for (int64_t q = 0; q < c.n_seqs(c.ctx, (pope_split)sp); q++) {
                const pope_genome_piece *p = &s.pieces[sp][q];
                char *bases = malloc((size_t)p->len);
                pope_genome_fetch(g, p->contig, p->start, p->len, t == POPE_GTOK_NT_CASE, bases);
                int64_t n = c.seq_len(c.ctx, (pope_split)sp, q);
                CHECK(n == pope_gtok_count((pope_gtok)t, p->len), "seq_len");
                int32_t *whole = malloc((size_t)n * 4), *part = malloc((size_t)n * 4);
                pope_gtok_encode((pope_gtok)t, bases, p->len, whole);
                uint64_t x = 12345;
                int ok = 1;
                for (int trial = 0; trial < 50 && ok; trial++) {
                    x = x * 6364136223846793005ull + 1442695040888963407ull;
                    int64_t off = (int64_t)((x >> 33) % (uint64_t)n);
                    int64_t m = (int64_t)((x >> 13) % (uint64_t)(n - off + 1));
                    ok = c.read(c.ctx, (pope_split)sp, q, off, m, part) == 0 && memcmp(part, whole + off, (size_t)m * 4) == 0;
                }
                CHECK(ok, "random-access read equals slice (%s, split %d seq %lld)", c.tokenizer, sp, (long long)q);
                CHECK(c.read(c.ctx, (pope_split)sp, q, n - 1, 2, part) != 0, "read past the end fails");
                free(whole);
                free(part);
                free(bases);
            }
        // window_ok: at most half N; ignore_target: N and PAD
        int32_t N = t == POPE_GTOK_KMER6 ? POPE_K6_N6 : POPE_NT_N, A = t == POPE_GTOK_KMER6 ? 0 : POPE_NT_A;
        int32_t win[4] = {N, N, A, A}, win2[4] = {N, N, N, A};
        CHECK(c.window_ok(c.ctx, win, 4) == 1 && c.window_ok(c.ctx, win2, 4) == 0, "window_ok");
        CHECK(c.ignore_target(c.ctx, N) == POPE_IGNORE && c.ignore_target(c.ctx, A) == A &&
              c.ignore_target(c.ctx, pope_gtok_pad((pope_gtok)t)) == POPE_IGNORE,
              "ignore_target");
        int32_t tg[3] = {A, N, A};
        CHECK(pope_genome_corpus_bases(&c, tg, 3) == (t == POPE_GTOK_KMER6 ? 12 : 2), "bases of targets");
        pope_genome_corpus_free(&c);
    }
    pope_genome_split_free(&s);
    pope_genome_free(g);
}

int main(void) {
    test_kmer6_ids();
    test_round_trips();
    test_splits();
    test_corpus();
    fx_cleanup();
    return check_summary("test_genome_tokens");
}

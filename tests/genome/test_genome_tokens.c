// test_genome_tokens.c — nt / nt-case / kmer6 ids and round trips, the split rules, and the
// corpus (random-access token reads equal slices of the whole-sequence tokenization).
#include "check.h"
#include "genome_fixtures.h"
#include "pope_genome.h"

// kmer6 = the Nucleotide Transformer's tokenizer. Ids worked out by hand from NT's
// vocabulary (<unk> <pad> <mask> <cls>, product("ATCG", repeat=6), A T C G N, <eos> <bos>):
// a 6-mer's id is 4 + Σ rank(b_i)·4^(6−i) with ranks A=0 T=1 C=2 G=3.
enum { A1 = 4100, T1 = 4101, C1 = 4102, G1 = 4103, N1 = 4104 };

static void test_kmer6_ids(void) {
    struct { const char *s; int32_t id; } kmers[] = {
        {"AAAAAA", 4},    {"AAAAAT", 5},    {"AAAAAC", 6},    {"AAAAAG", 7}, {"AAAATA", 8},
        {"TAAAAA", 1028}, {"GGGGGG", 4099}, {"CCCCCC", 2734}, // 4 + 2·(1024+256+64+16+4+1)
        {"ACGTAC", 726},  // 4 + 0·1024 + 2·256 + 3·64 + 1·16 + 0·4 + 2
    };
    for (size_t i = 0; i < sizeof kmers / sizeof *kmers; i++) {
        int32_t id[6] = {-7};
        int64_t n = pope_gtok_encode(POPE_GTOK_KMER6, kmers[i].s, 6, id);
        CHECK(n == 1 && id[0] == kmers[i].id, "%s -> %d (%lld tokens), want %d", kmers[i].s, id[0], (long long)n, kmers[i].id);
    }
    // whole sequences, tokenized by hand with NT's rule (cut at every N; 6-mers from the start
    // of each N-free run, its last len % 6 bases single; each N a single N)
    struct { const char *s; int n; int32_t want[8]; const char *what; } seqs[] = {
        {"ACGTACGTA", 4, {726, G1, T1, A1}, "length 9: a 6-mer, then 3 singles"},
        {"AAAAAANNACGTACG", 5, {4, N1, N1, 726, G1}, "an N run: one N token per N"},
        {"NACGTACN", 3, {N1, 726, N1}, "N at both ends"},
        {"ACGTNACGTACGT", 8, {A1, C1, G1, T1, N1, 726, G1, T1}, "a run shorter than 6 before N"},
        {"acgtacGT", 3, {726, G1, T1}, "lowercase folded"},
        {"ACRTAC", 6, {A1, C1, N1, T1, A1, C1}, "IUPAC R is an N"},
        {"CCCCCCAT", 3, {2734, A1, T1}, "6-mer then tail"},
        {"", 0, {0}, "empty"},
    };
    for (size_t i = 0; i < sizeof seqs / sizeof *seqs; i++) {
        int32_t t[32];
        int64_t n = pope_gtok_encode(POPE_GTOK_KMER6, seqs[i].s, (int64_t)strlen(seqs[i].s), t);
        int ok = n == seqs[i].n;
        for (int k = 0; ok && k < seqs[i].n; k++) ok = t[k] == seqs[i].want[k];
        CHECK(ok, "%s: %s (%lld tokens)", seqs[i].what, seqs[i].s, (long long)n);
    }
    CHECK(pope_gtok_vocab(POPE_GTOK_KMER6) == 4107 && pope_gtok_vocab(POPE_GTOK_NT) == 7 && pope_gtok_vocab(POPE_GTOK_NT_CASE) == 12,
          "vocab sizes");
    CHECK(pope_gtok_pad(POPE_GTOK_KMER6) == 1 && pope_gtok_bos(POPE_GTOK_KMER6) == 4106, "NT's <pad> and <bos> ids");
    CHECK(pope_gtok_bases(POPE_GTOK_KMER6, 17) == 6 && pope_gtok_bases(POPE_GTOK_KMER6, A1) == 1 &&
              pope_gtok_bases(POPE_GTOK_KMER6, N1) == 1 && pope_gtok_bases(POPE_GTOK_KMER6, 1) == 0 &&
              pope_gtok_bases(POPE_GTOK_KMER6, 3) == 0 && pope_gtok_bases(POPE_GTOK_KMER6, 4105) == 0,
          "bases per token");
    CHECK(pope_gtok_is_n(POPE_GTOK_KMER6, N1) && !pope_gtok_is_n(POPE_GTOK_KMER6, A1), "is_n");
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
    // decode(encode(s)) = s for every tokenizer: lengths 0..39 (every len % 6), with and
    // without N (kmer6 keeps each N as its own token, so N runs survive too)
    for (int len = 0; len < 40; len++)
        for (int with_n = 0; with_n < 2; with_n++) {
            char *s = fx_random_seq(len, with_n ? "ACGTNN" : "ACGT", (uint64_t)len + 1), out[64];
            int32_t tok[64];
            for (int t = 0; t < POPE_GTOK_COUNT; t++) {
                int64_t n = pope_gtok_encode((pope_gtok)t, s, len, tok);
                int64_t w = pope_gtok_decode((pope_gtok)t, tok, n, out, sizeof out);
                CHECK(w == len && memcmp(out, s, (size_t)len) == 0, "round trip %s len %d %s", pope_gtok_name((pope_gtok)t),
                      len, s);
            }
            free(s);
        }
    char *s = fx_random_seq(500, "ACGTacgtN", 99), out[600];
    int32_t tok[600];
    pope_gtok_encode(POPE_GTOK_NT_CASE, s, 500, tok);
    CHECK(pope_gtok_decode(POPE_GTOK_NT_CASE, tok, 500, out, 600) == 500 && memcmp(out, s, 500) == 0, "nt-case keeps case");
    int32_t bad = 4107;
    CHECK(pope_gtok_decode(POPE_GTOK_KMER6, &bad, 1, out, 600) < 0, "id outside vocab");
    int32_t specials[3] = {3, 4, 4106};   // <cls> AAAAAA <bos>: specials carry no bases
    CHECK(pope_gtok_decode(POPE_GTOK_KMER6, specials, 3, out, 600) == 6 && memcmp(out, "AAAAAA", 6) == 0, "specials skipped");
    free(s);
}

// Writes the sequences as FASTA file `name` in the test folder and opens it (no cache).
static pope_genome *open_fasta(const char *name, int n, const char *const *names, const char *const *seqs) {
    char *text = fx_fasta_text(n, names, seqs, 60, "\n");
    fx_write(fx_path(name), text, strlen(text));
    free(text);
    pope_genome_opts o;
    pope_genome_opts_default(&o);
    o.cache = 0;
    pope_genome *g = pope_genome_open(fx_path(name), &o);
    CHECK(g != NULL, "open %s: %s", name, g ? "" : pope_last_error());
    return g;
}

// tests/genome/fixtures/nt_kmer6.txt: sequences with N runs and every length mod 6, and their
// ids under the Nucleotide Transformer's own rule (made by make_nt_kmer6.py there, which
// re-states NT's Python tokenizer). pope's kmer6 must give the same ids from the ASCII text
// and from the packed genome of a FASTA holding the same sequences.
static void test_nt_fixture(void) {
    char path[4200];
    snprintf(path, sizeof path, "%s/tests/genome/fixtures/nt_kmer6.txt", check_source_dir());
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "%s readable", path);
    if (!f) return;
    enum { MAXSEQ = 16, MAXLEN = 1024 };
    static char line[16384], seqs[MAXSEQ][MAXLEN], names[MAXSEQ][8];
    static int32_t want[MAXSEQ][MAXLEN];
    int64_t n_want[MAXSEQ];
    int n = 0;
    while (n < MAXSEQ && fgets(line, sizeof line, f)) {
        char *save = NULL, *name = strtok_r(line, "\t", &save), *seq = strtok_r(NULL, "\t", &save);
        if (!name || !seq || strlen(seq) >= MAXLEN) break;
        snprintf(names[n], sizeof names[n], "%.7s", name);
        snprintf(seqs[n], MAXLEN, "%s", seq);
        n_want[n] = 0;
        for (char *id = strtok_r(NULL, " \n", &save); id && n_want[n] < MAXLEN; id = strtok_r(NULL, " \n", &save))
            want[n][n_want[n]++] = (int32_t)atoi(id);
        n++;
    }
    fclose(f);
    CHECK(n == 12, "12 fixture sequences, read %d", n);
    int32_t got[MAXLEN];
    for (int k = 0; k < n; k++) {
        int64_t m = pope_gtok_encode(POPE_GTOK_KMER6, seqs[k], (int64_t)strlen(seqs[k]), got);
        CHECK(m == n_want[k] && memcmp(got, want[k], (size_t)m * 4) == 0, "%s: ASCII kmer6 = NT's ids", names[k]);
    }
    const char *np[MAXSEQ], *sp[MAXSEQ];
    for (int k = 0; k < n; k++) {
        np[k] = names[k];
        sp[k] = seqs[k];
    }
    pope_genome *g = open_fasta("nt.fa", n, np, sp);
    if (!g) return;
    CHECK(pope_genome_n_contigs(g) == n, "fixture FASTA: %lld sequences", (long long)pope_genome_n_contigs(g));
    pope_genome_piece pieces[MAXSEQ];
    for (int k = 0; k < n; k++) pieces[k] = (pope_genome_piece){k, 0, pope_genome_contig_len(g, k)};
    pope_gtok_view *v = pope_gtok_view_new(g, pieces, n, POPE_GTOK_KMER6);
    for (int k = 0; v && k < n; k++) {
        int64_t m = pope_gtok_view_len(v, k);
        CHECK(m == n_want[k] && pope_gtok_view_read(v, k, 0, m, got) == 0 && memcmp(got, want[k], (size_t)m * 4) == 0,
              "%s: kmer6 from the packed genome = NT's ids", names[k]);
    }
    pope_gtok_view_free(v);
    pope_genome_piece outside[2] = {{0, 0, 1}, {0, 1, pope_genome_contig_len(g, 0)}};
    CHECK(pope_gtok_view_new(g, outside, 2, POPE_GTOK_KMER6) == NULL && strstr(pope_last_error(), "outside"),
          "a piece outside its contig is refused");
    pope_genome_free(g);
}

static pope_genome *make_genome(int n, const char *const *names, const int64_t *lens) {
    char **seqs = calloc((size_t)n, sizeof *seqs);
    for (int i = 0; i < n; i++) seqs[i] = fx_random_seq(lens[i], "ACGTACGTACGTacgtN", (uint64_t)i + 7);
    pope_genome *g = open_fasta("split.fa", n, names, (const char *const *)seqs);
    for (int i = 0; i < n; i++) free(seqs[i]);
    free(seqs);
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
                int32_t *whole = malloc((size_t)p->len * 4 + 4), *part = malloc((size_t)p->len * 4 + 4);
                CHECK(n == pope_gtok_encode((pope_gtok)t, bases, p->len, whole), "seq_len = tokens of the ASCII bases");
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
        int32_t N = t == POPE_GTOK_KMER6 ? N1 : POPE_NT_N, A = t == POPE_GTOK_KMER6 ? 4 : POPE_NT_A;
        int32_t win[4] = {N, N, A, A}, win2[4] = {N, N, N, A};
        CHECK(c.window_ok(c.ctx, win, 4) == 1 && c.window_ok(c.ctx, win2, 4) == 0, "window_ok");
        CHECK(c.ignore_target(c.ctx, N) == POPE_IGNORE && c.ignore_target(c.ctx, A) == A &&
              c.ignore_target(c.ctx, pope_gtok_pad((pope_gtok)t)) == POPE_IGNORE,
              "ignore_target");
        CHECK(c.target_units(c.ctx, A) == (t == POPE_GTOK_KMER6 ? 6 : 1), "bases of a target");
        pope_genome_corpus_free(&c);
    }
    pope_genome_split_free(&s);
    pope_genome_free(g);
}

// The Markov baseline, worked by hand. fit "AAAC": order-1 pairs AA AA AC (the first base
// has no context); order 0 is their marginal: A 2, C 1. score "ANCA": runs "A" and "CA";
// A and C have no context (order 0: p(A) = 3/7, p(C) = 2/7), the last A follows C, a
// context never seen: p(A|C) = 1/4.
static void test_markov(void) {
    const char *names[] = {"fit", "score"}, *seqs[] = {"AAAC", "ANCA"};
    pope_genome *g = open_fasta("markov.fa", 2, names, seqs);
    if (!g) return;
    pope_genome_piece fit = {0, 0, 4}, score = {1, 0, 4};
    int64_t n = 0;
    pope_genome_markov *m = pope_genome_markov_fit(g, &fit, 1, 1, NULL);
    double bits = m ? pope_genome_markov_score(m, &score, 1, &n, NULL) : NAN;
    CHECK(n == 3, "N not scored: %lld bases", (long long)n);
    CHECK_NEAR(bits, -(log2(3.0 / 7) + log2(2.0 / 7) + log2(1.0 / 4)) / 3, 1e-12, 1e-12, "order 1");
    pope_genome_markov_free(m);
    // order 0 on "AAAC": counts A 3 C 1 -> p(A) = 4/8, p(C) = 2/8
    m = pope_genome_markov_fit(g, &fit, 1, 0, NULL);
    bits = m ? pope_genome_markov_score(m, &score, 1, &n, NULL) : NAN;
    CHECK_NEAR(bits, -(log2(4.0 / 8) + log2(2.0 / 8) + log2(4.0 / 8)) / 3, 1e-12, 1e-12, "order 0");
    pope_genome_markov_free(m);
    CHECK(pope_genome_markov_fit(g, &fit, 1, 9, NULL) == NULL, "order outside 0..8 refused");
    pope_genome_free(g);
}

// The Markov passes report their progress: bases passed, rising, within the pieces' length.
typedef struct { int calls, rising; int64_t last, max; } heard;
static void hear(void *ctx, int64_t passed) {
    heard *h = ctx;
    h->rising &= passed >= h->last;
    h->last = passed;
    h->max = passed > h->max ? passed : h->max;
    h->calls++;
}

static void test_markov_progress(void) {
    enum { LEN = 3 << 20 };   // three million bases: the callback comes about every 2^20
    char *seq = malloc(LEN + 1);
    if (!seq) return;
    uint64_t x = 7;
    for (int i = 0; i < LEN; i++) seq[i] = "ACGT"[(x = x * 6364136223846793005ULL + 1442695040888963407ULL) >> 62];
    seq[1000] = 'N';   // an N run inside: passed bases still count it
    seq[LEN] = 0;
    const char *names[] = {"big"}, *seqs[] = {seq};
    pope_genome *g = open_fasta("markov-progress.fa", 1, names, seqs);
    free(seq);
    if (!g) return;
    pope_genome_piece all = {0, 0, LEN};
    heard h = {0, 1, 0, 0};
    pope_genome_progress pr = {hear, &h};
    pope_genome_markov *m = pope_genome_markov_fit(g, &all, 1, 3, &pr);
    CHECK(m != NULL, "fit");
    CHECK(h.calls >= 2 && h.rising && h.max < LEN && h.max >= LEN / 2, "fit progress: %d calls, max %lld", h.calls,
          (long long)h.max);
    h = (heard){0, 1, 0, 0};
    int64_t n = 0;
    double bits = m ? pope_genome_markov_score(m, &all, 1, &n, &pr) : NAN;
    CHECK(n == LEN - 1 && bits > 1.9 && bits < 2.01, "score: %lld bases, %.4f bits (random: ~2)", (long long)n, bits);
    CHECK(h.calls >= 2 && h.rising && h.max < LEN, "score progress: %d calls", h.calls);
    pope_genome_markov_free(m);
    pope_genome_free(g);
}

int main(void) {
    test_kmer6_ids();
    test_markov_progress();
    test_round_trips();
    test_nt_fixture();
    test_splits();
    test_corpus();
    test_markov();
    fx_cleanup();
    return check_summary("test_genome_tokens");
}

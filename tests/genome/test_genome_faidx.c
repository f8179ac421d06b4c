// test_genome_faidx.c — the faidx route (formats/genome/faidx.c) against the streaming parser
// and against the sequences the test wrote: plain and BGZF FASTA (index next to the input,
// or in the cache directory when the input's directory is read-only), a stale index
// (rebuilt), a corrupt or mismatched one (a clear error), and the files faidx cannot read
// like the streaming parser (ragged lines, empty or repeated records, ';' lines, plain
// gzip), which must stream. Ends with GRCh37 chr20 from ../shared/data when present.
#include <ctype.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#include "check.h"
#include "genome_fixtures.h"
#include "pope_genome.h"

// faidx: 0 stream, 2 faidx whatever the size; cache_dir NULL: default placement.
static pope_genome *open_route(const char *path, int faidx, const char *cache_dir) {
    pope_genome_opts o;
    pope_genome_opts_default(&o);
    o.cache = 0;
    o.faidx = faidx;
    o.n_threads = 1;
    o.cache_dir = cache_dir;
    return pope_genome_open(path, &o);
}

static int exists(const char *path) { return access(path, F_OK) == 0; }

// Bases of contig c as written (upper-cased, IUPAC -> N unless keep_case keeps lowercase).
static int same_as_written(const pope_genome *g, int64_t c, const char *want) {
    int64_t n = (int64_t)strlen(want);
    if (pope_genome_contig_len(g, c) != n) return 0;
    char *got = malloc((size_t)n + 1);
    int ok = pope_genome_fetch(g, c, 0, n, 1, got) == 0;
    for (int64_t i = 0; ok && i < n; i++) {
        char u = (char)toupper((unsigned char)want[i]);
        char e = strchr("ACGT", u) ? u : 'N';
        if (islower((unsigned char)want[i])) e = (char)tolower(e);
        ok = got[i] == e;
    }
    free(got);
    return ok;
}

// Both genomes hold the same contigs, names, bases (with case) and counts.
static int same_genome(const pope_genome *a, const pope_genome *b) {
    if (!a || !b || pope_genome_n_contigs(a) != pope_genome_n_contigs(b) ||
        pope_genome_total_bases(a) != pope_genome_total_bases(b) ||
        pope_genome_n_bases_n(a) != pope_genome_n_bases_n(b) ||
        pope_genome_n_bases_lower(a) != pope_genome_n_bases_lower(b))
        return 0;
    const int64_t step = 1 << 20;
    char *x = malloc(step), *y = malloc(step);
    int ok = 1;
    for (int64_t c = 0; ok && c < pope_genome_n_contigs(a); c++) {
        int64_t n = pope_genome_contig_len(a, c);
        ok = strcmp(pope_genome_contig_name(a, c), pope_genome_contig_name(b, c)) == 0 && n == pope_genome_contig_len(b, c);
        for (int64_t off = 0; ok && off < n; off += step) {
            int64_t m = n - off < step ? n - off : step;
            ok = pope_genome_fetch(a, c, off, m, 1, x) == 0 && pope_genome_fetch(b, c, off, m, 1, y) == 0 &&
                 memcmp(x, y, (size_t)m) == 0;
        }
    }
    free(x);
    free(y);
    return ok;
}

static int routed(const pope_genome *g, const char *route) {
    return g && strstr(pope_genome_source(g), route) != NULL;
}

// Plain and BGZF, several contigs (one longer than a 4 Mi-base fetch chunk), lowercase,
// IUPAC, LF and CRLF: faidx equals streaming equals what was written.
static void test_routes_agree(void) {
    char *big = fx_random_seq(4200007, "ACGTACGTACGTacgtNRY", 11);
    char *s2 = fx_random_seq(1000, "ACGTacgtnNKM", 12);
    char *s3 = fx_random_seq(3, "ACG", 13);
    const char *names[] = {"chr1", "chr2", "tiny"};
    const char *seqs[] = {big, s2, s3};
    const char *eols[] = {"\n", "\r\n"};
    for (int e = 0; e < 2; e++)
        for (int z = 0; z < 2; z++) {
            char name[32];
            snprintf(name, sizeof name, "r%d%d.fa%s", e, z, z ? ".gz" : "");
            const char *path = fx_path(name);
            char *text = fx_fasta_text(3, names, seqs, 61, eols[e]);
            if (z) fx_write_bgzf(path, text, strlen(text));
            else fx_write(path, text, strlen(text));
            free(text);
            pope_genome *st = open_route(path, 0, NULL);
            pope_genome *fx = open_route(path, 2, NULL);
            CHECK(routed(st, "(streamed)"), "eol %d bgzf %d: streamed: %s", e, z, st ? pope_genome_source(st) : pope_last_error());
            CHECK(routed(fx, "(faidx)"), "eol %d bgzf %d: faidx: %s", e, z, fx ? pope_genome_source(fx) : pope_last_error());
            CHECK(same_genome(st, fx), "eol %d bgzf %d: faidx and streaming differ", e, z);
            for (int c = 0; fx && c < 3; c++)
                CHECK(same_as_written(fx, c, seqs[c]), "eol %d bgzf %d: contig %d as written", e, z, c);
            char idx[600];
            snprintf(idx, sizeof idx, "%s.fai", path);
            CHECK(exists(idx), "index built next to the writable input: %s", idx);
            snprintf(idx, sizeof idx, "%s.gzi", path);
            CHECK(exists(idx) == z, "a .gzi exactly for BGZF (%d)", z);
            pope_genome_free(st);
            pope_genome_free(fx);
            // the second open uses the index now present, same result
            fx = open_route(path, 2, NULL);
            CHECK(routed(fx, "(faidx)") && same_as_written(fx, 0, big), "index reused");
            pope_genome_free(fx);
        }
    free(big);
    free(s2);
    free(s3);
}

// A read-only input directory: the index goes into the cache directory, nothing next to the input.
static void test_readonly_dir(void) {
    const char *dir = fx_path("ro");
    mkdir(dir, 0755);
    char path[600], idx[700];
    snprintf(path, sizeof path, "%s/x.fa.gz", dir);
    char *s = fx_random_seq(5000, "ACGTacgtN", 21);
    const char *names[] = {"x"};
    const char *seqs[] = {s};
    char *text = fx_fasta_text(1, names, seqs, 50, "\n");
    fx_write_bgzf(path, text, strlen(text));
    chmod(dir, 0555);
    const char *cache = fx_path("ro-cache");
    pope_genome *g = open_route(path, 2, cache);
    CHECK(routed(g, "(faidx)") && same_as_written(g, 0, s), "read-only dir: %s", g ? pope_genome_source(g) : pope_last_error());
    snprintf(idx, sizeof idx, "%s.fai", path);
    CHECK(!exists(idx), "nothing written next to the read-only input");
    char *cpath = NULL;
    pope_genome_opts o;
    pope_genome_opts_default(&o);
    o.cache_dir = cache;
    cpath = pope_genome_cache_path(path, &o);   // DIR/x.fa.gz.<hash>.pope
    CHECK(cpath && strlen(cpath) > 5, "cache path");
    if (cpath) {
        strcpy(cpath + strlen(cpath) - 5, ".fai");
        CHECK(exists(cpath), "index in the cache dir: %s", cpath);
        strcpy(cpath + strlen(cpath) - 4, ".gzi");
        CHECK(exists(cpath), "gzi in the cache dir: %s", cpath);
    }
    free(cpath);
    pope_genome_free(g);
    chmod(dir, 0755);
    free(s);
    free(text);
}

static void set_mtime(const char *path, time_t t) {
    struct timespec ts[2] = {{t, 0}, {t, 0}};
    utimensat(AT_FDCWD, path, ts, 0);
}

// Stale index (older than the input): rebuilt. Corrupt or mismatched (newer): a clear error.
static void test_stale_and_corrupt(void) {
    const char *path = fx_path("s.fa");
    char idx[600];
    snprintf(idx, sizeof idx, "%s.fai", path);
    char *a = fx_random_seq(700, "ACGT", 31), *b = fx_random_seq(900, "ACGT", 32);
    const char *names[] = {"a", "b"};
    const char *seqs[] = {a, b};
    char *text = fx_fasta_text(2, names, seqs, 60, "\n");
    fx_write(path, text, strlen(text));
    free(text);
    pope_genome_free(open_route(path, 2, NULL));
    CHECK(exists(idx), "index built");
    // the FASTA changes (other widths, so other offsets); the old index is older than it
    text = fx_fasta_text(2, names, seqs, 70, "\n");
    fx_write(path, text, strlen(text));
    free(text);
    set_mtime(idx, time(NULL) - 100);
    pope_genome *g = open_route(path, 2, NULL);
    CHECK(routed(g, "(faidx)") && same_as_written(g, 0, a) && same_as_written(g, 1, b), "stale index rebuilt: %s",
          g ? pope_genome_source(g) : pope_last_error());
    pope_genome_free(g);
    struct stat st;
    CHECK(stat(idx, &st) == 0 && st.st_mtim.tv_sec > time(NULL) - 50, "the index file was rewritten");
    // a mismatched index that is newer than the file (e.g. the FASTA copied with its old mtime)
    fx_write(idx, "a\t700\t3\t60\t61\nb\t900\t800\t60\t61\n", 30);
    g = open_route(path, 2, NULL);
    CHECK(g == NULL && strstr(pope_last_error(), ".fai") && strstr(pope_last_error(), "does not describe"),
          "mismatched index: %s", g ? pope_genome_source(g) : pope_last_error());
    pope_genome_free(g);
    fx_write(idx, "garbage\n", 8);
    g = open_route(path, 2, NULL);
    CHECK(g == NULL && strstr(pope_last_error(), ".fai") && strstr(pope_last_error(), "not a readable"),
          "corrupt index: %s", g ? pope_genome_source(g) : pope_last_error());
    pope_genome_free(g);
    // streaming ignores indexes entirely
    g = open_route(path, 0, NULL);
    CHECK(routed(g, "(streamed)") && same_as_written(g, 1, b), "streaming unaffected by a bad index");
    pope_genome_free(g);
    free(a);
    free(b);
}

// Files that faidx cannot read as the streaming parser does: they stream, same result.
static void test_fallbacks(void) {
    struct {
        const char *name, *text, *note;   // note: NULL = silent
        int n_contigs;
        const char *first;                // the first contig's bases
    } cases[] = {
        {"ragged.fa", ">r\nACGTACGT\nACG\nACGTACGT\n>s\nGG\n", "lines of different lengths", 2, "ACGTACGTACGACGTACGT"},
        {"empty.fa", ">a\nACGT\n>e\n>b\nGGCC\n", "empty or repeated", 3, "ACGT"},
        {"dup.fa", ">a\nACGT\n>a\nGGCC\n", "empty or repeated", 2, "ACGT"},
        {"comment.fa", ">a\nACGT\n;comment\n>b\nGGCC\n", NULL, 2, "ACGT"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const char *path = fx_path(cases[k].name);
        fx_write(path, cases[k].text, strlen(cases[k].text));
        pope_genome *g = open_route(path, 2, NULL);
        CHECK(routed(g, "(streamed"), "%s: %s", cases[k].name, g ? pope_genome_source(g) : pope_last_error());
        if (cases[k].note) CHECK(routed(g, cases[k].note), "%s: note: %s", cases[k].name, g ? pope_genome_source(g) : "");
        CHECK(g && pope_genome_n_contigs(g) == cases[k].n_contigs, "%s: contigs", cases[k].name);
        CHECK(g && same_as_written(g, 0, cases[k].first), "%s: bases", cases[k].name);
        pope_genome_free(g);
    }
    // a ragged file leaves no index (nor temporary files) behind
    char idx[600];
    snprintf(idx, sizeof idx, "%s.fai", fx_path("ragged.fa"));
    CHECK(!exists(idx), "no index for a ragged file");
    // plain gzip: faidx cannot seek in it; streamed without a note
    const char *gz = fx_path("plain.fa.gz");
    char *s = fx_random_seq(3000, "ACGTacgtN", 41);
    const char *names[] = {"z"};
    const char *seqs[] = {s};
    char *text = fx_fasta_text(1, names, seqs, 60, "\n");
    fx_write_gzip(gz, text, strlen(text));
    pope_genome *g = open_route(gz, 2, NULL);
    CHECK(g && strstr(pope_genome_source(g), "(streamed)") && same_as_written(g, 0, s), "plain gzip streams silently: %s",
          g ? pope_genome_source(g) : pope_last_error());
    snprintf(idx, sizeof idx, "%s.fai", gz);
    CHECK(!exists(idx), "no index for plain gzip");
    pope_genome_free(g);
    // the default (faidx = 1) builds no index for a small file, but uses one that is there
    const char *small = fx_path("small.fa");
    fx_write(small, text, strlen(text));
    pope_genome_opts o;
    pope_genome_opts_default(&o);
    o.cache = 0;
    g = pope_genome_open(small, &o);
    snprintf(idx, sizeof idx, "%s.fai", small);
    CHECK(routed(g, "(streamed)") && !exists(idx), "small file: no index built");
    pope_genome_free(g);
    pope_genome_free(open_route(small, 2, NULL));
    g = pope_genome_open(small, &o);
    CHECK(routed(g, "(faidx)") && same_as_written(g, 0, s), "small file: present index used");
    pope_genome_free(g);
    free(s);
    free(text);
}

// Odd files (issue 12): the faidx route and the streaming route accept and reject the same
// files, with the same message or the same genome, plain and BGZF. faidx_fetch_seq64 dropped
// non-printing bytes that streaming refused; names with a NUL or of 1024+ bytes streamed but
// made the faidx route report a corrupt .fai.
static void test_odd_files_agree(void) {
    char long_name[3100];
    memset(long_name, 'n', sizeof long_name);
    // ok: 1 both accept, 0 both refuse, -1 either as long as they agree (htslib's format sniffing
    // calls some of these "unknown data", compressed or not, before either route reads them)
    struct { const char *name; const char *text; size_t len; int ok; } cases[] = {
        {"stray01", ">a\nACGT\nAC\x01GT\nACGT\n", 0, 0},            // a control byte, middle line
        {"stray01last", ">a\nACGT\nACGT\nAC\x01\n", 0, 0},          // ... in the last line
        {"stray7f", ">a\nACGT\nAC\x7fT\nAC\n", 0, 0},
        {"stray_hi", ">a\nACGT\nAC\xe9T\nAC\n", 0, 0},
        {"nul_name", ">a\0b desc\nACGT\nAC\n", 19, 0},                // a NUL in the name
        {"ctl_name", ">a\x01b\nACGT\n", 0, 0},
        {"vt_desc", ">chr1\vdesc\nACGT\nAC\n", 0, -1},                // a name ends at \v as in htslib
        {"ff_desc", ">chr1\fdesc\nACGT\nAC\n>chr2\tx\nGG\n", 0, -1},
        {"lead_space", "> chr1\nACGT\nAC\n", 0, 1},
        {"empty_name", ">\nACGT\n", 0, 0},
        {"tabs", ">a\nACGT\t\nACGT\t\nAC\n", 0, -1},                 // whitespace in lines: skipped
        {"ff_in_line", ">a\nAC\fG\nACGT\nAC\n", 0, -1},
        {"crlf_mixed", ">a\r\nACGT\r\nACGT\nAC\r\n", 0, 1},
        {"gt_mid", ">a\nACGT\nAC>T\nAC\n", 0, 0},
        {"trailing_junk", ">a\nACGT\nAC\n\x01\x02\n", 0, 0},
        {"blank_inside", ">a\nACGT\n   \nACGT\nAC\n", 0, 1},
        {"cr_line_start", ">s0\n\rCAA\nANAN\nCGgG\nT\n", 0, 1},      // htslib's line arithmetic reads past the end
        {"cr_mixed_count", ">s0\nAC\r\nACG\nA\n>s1\nGG\n", 0, -1},
        {"name1023", NULL, 0, 1},
        {"name1024", NULL, 0, 0},
        {"name3000", NULL, 0, 0},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        for (int z = 0; z < 2; z++) {
            char fname[64], text[4200];
            size_t len;
            if (cases[k].text) {
                len = cases[k].len ? cases[k].len : strlen(cases[k].text);
                memcpy(text, cases[k].text, len);
            } else {   // a name of 1023, 1024 or 3000 bytes
                size_t nl = k == sizeof cases / sizeof cases[0] - 3 ? 1023 : k == sizeof cases / sizeof cases[0] - 2 ? 1024 : 3000;
                text[0] = '>';
                memcpy(text + 1, long_name, nl);
                memcpy(text + 1 + nl, "\nACGT\nAC\n", 9);
                len = 1 + nl + 9;
            }
            snprintf(fname, sizeof fname, "odd-%s.fa%s", cases[k].name, z ? ".gz" : "");
            const char *path = fx_path(fname);
            if (z) fx_write_bgzf(path, text, len);
            else fx_write(path, text, len);
            pope_genome *st = open_route(path, 0, NULL);
            char st_err[2048];
            snprintf(st_err, sizeof st_err, "%s", st ? "" : pope_last_error());
            pope_genome *fx = open_route(path, 2, NULL);
            const char *fx_err = fx ? "" : pope_last_error();
            CHECK(cases[k].ok < 0 || (st != NULL) == cases[k].ok, "%s (bgzf %d): streaming %s: %s", cases[k].name, z,
                  st ? "accepts" : "refuses", st_err);
            CHECK((st != NULL) == (fx != NULL), "%s (bgzf %d): streaming %s, faidx %s (%s)", cases[k].name, z,
                  st ? "accepts" : "refuses", fx ? "accepts" : "refuses", fx_err);
            if (st && fx) CHECK(same_genome(st, fx), "%s (bgzf %d): the routes give different genomes", cases[k].name, z);
            if (!st && !fx)
                CHECK(strcmp(st_err, fx_err) == 0 && strstr(st_err, path), "%s (bgzf %d): messages differ: '%s' / '%s'",
                      cases[k].name, z, st_err, fx_err);
            pope_genome_free(st);
            pope_genome_free(fx);
        }
}

// GRCh37 chr20 (BGZF, read-only): the faidx route, index in a temporary cache dir.
static void test_chr20(void) {
    const char *data = check_shared_data();
    if (!data) return;
    char path[4200], idx[4300];
    snprintf(path, sizeof path, "%s/genome/GRCh37_chr20.fa.gz", data);
    if (!exists(path)) return;
    snprintf(idx, sizeof idx, "%s.fai", path);
    int had_index = exists(idx);
    const char *cache = fx_path("chr20-cache");
    pope_genome *fx = open_route(path, 2, cache);
    CHECK(routed(fx, "(faidx)"), "chr20 faidx: %s", fx ? pope_genome_source(fx) : pope_last_error());
    CHECK(fx && pope_genome_n_contigs(fx) == 1 && pope_genome_total_bases(fx) == 63025520, "chr20: 63,025,520 bases");
    CHECK(had_index || !exists(idx), "nothing written next to the read-only chr20");
    pope_genome *st = open_route(path, 0, NULL);
    CHECK(same_genome(st, fx), "chr20: faidx equals streaming");
    pope_genome_free(st);
    pope_genome_free(fx);
}

int main(void) {
    test_routes_agree();
    test_readonly_dir();
    test_stale_and_corrupt();
    test_fallbacks();
    test_odd_files_agree();
    test_chr20();
    fx_cleanup();
    return check_summary("test_genome_faidx");
}

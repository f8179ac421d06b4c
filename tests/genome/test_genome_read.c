// test_genome_read.c — the readers: FASTA plain/gzip/BGZF, line widths, CRLF, lowercase,
// IUPAC, multi-record; SAM/BAM written with htslib; FASTQ; and every kind of bad input.
#include <ctype.h>

#include <htslib/sam.h>

#include "check.h"
#include "genome_fixtures.h"
#include "pope_genome.h"

static pope_genome *open_nocache(const char *path) {
    pope_genome_opts o;
    pope_genome_opts_default(&o);
    o.cache = 0;
    return pope_genome_open(path, &o);
}

// The contig's bases as the reader returns them, compared with what was written
// (upper-cased and IUPAC->N unless keep_case).
static int same_bases(const pope_genome *g, int64_t c, const char *want, int keep_case) {
    int64_t n = (int64_t)strlen(want);
    if (pope_genome_contig_len(g, c) != n) return 0;
    char *got = malloc((size_t)n + 1);
    int ok = pope_genome_fetch(g, c, 0, n, keep_case, got) == 0;
    for (int64_t i = 0; ok && i < n; i++) {
        char w = want[i];
        char u = (char)toupper((unsigned char)w);
        char expect = strchr("ACGT", u) ? u : 'N';
        if (keep_case && islower((unsigned char)w)) expect = (char)tolower(expect);
        if (got[i] != expect) {
            fprintf(stderr, "  base %lld: got %c want %c (from %c)\n", (long long)i, got[i], expect, w);
            ok = 0;
        }
    }
    free(got);
    return ok;
}

static void test_fasta_variants(void) {
    char *s1 = fx_random_seq(1000, "ACGTACGTACGTacgtNRYnKM", 1);
    char *s2 = fx_random_seq(77, "ACGT", 2);
    char *s3 = fx_random_seq(5, "acgtn", 3);
    const char *names[] = {"chr1", "chrUn_x", "tiny"};
    const char *seqs[] = {s1, s2, s3};
    const int widths[] = {60, 61, 7, 1, 0};
    const char *eols[] = {"\n", "\r\n"};
    for (int wi = 0; wi < 5; wi++)
        for (int e = 0; e < 2; e++)
            for (int z = 0; z < 3; z++) {
                char *text = fx_fasta_text(3, names, seqs, widths[wi], eols[e]);
                const char *path = fx_path("v.fa");
                if (z == 0) fx_write(path, text, strlen(text));
                if (z == 1) fx_write_gzip(path, text, strlen(text));
                if (z == 2) fx_write_bgzf(path, text, strlen(text));
                pope_genome *g = open_nocache(path);
                CHECK(g != NULL, "width %d eol %d comp %d: %s", widths[wi], e, z, pope_last_error());
                if (g) {
                    CHECK(strcmp(pope_genome_format(g), "fasta") == 0, "format %s", pope_genome_format(g));
                    CHECK(pope_genome_n_contigs(g) == 3, "contigs %lld", (long long)pope_genome_n_contigs(g));
                    for (int c = 0; c < 3; c++) {
                        CHECK(strcmp(pope_genome_contig_name(g, c), names[c]) == 0, "name %s", pope_genome_contig_name(g, c));
                        CHECK(same_bases(g, c, seqs[c], 0), "bases contig %d width %d eol %d comp %d", c, widths[wi], e, z);
                        CHECK(same_bases(g, c, seqs[c], 1), "cased bases contig %d", c);
                    }
                    CHECK(pope_genome_total_bases(g) == 1000 + 77 + 5, "total");
                    pope_genome_free(g);
                }
                free(text);
            }
    // count of N and lowercase over the file agrees with the input
    int64_t want_n = 0, want_lower = 0;
    for (int c = 0; c < 3; c++)
        for (const char *p = seqs[c]; *p; p++) {
            want_n += !strchr("ACGTacgt", *p);
            want_lower += islower((unsigned char)*p) != 0;
        }
    char *text = fx_fasta_text(3, names, seqs, 60, "\n");
    fx_write(fx_path("c.fa"), text, strlen(text));
    pope_genome *g = open_nocache(fx_path("c.fa"));
    CHECK(g && pope_genome_n_bases_n(g) == want_n, "N count");
    CHECK(g && pope_genome_n_bases_lower(g) == want_lower, "lowercase count");
    // a sub-range fetch equals the slice of a whole fetch
    if (g) {
        char whole[1000], part[100];
        pope_genome_fetch(g, 0, 0, 1000, 1, whole);
        CHECK(pope_genome_fetch(g, 0, 333, 100, 1, part) == 0 && memcmp(part, whole + 333, 100) == 0, "sub-range");
        CHECK(pope_genome_fetch(g, 0, 950, 51, 0, part) != 0, "out of range fetch fails");
        CHECK(pope_genome_find_contig(g, "tiny") == 2 && pope_genome_find_contig(g, "nope") == -1, "find");
    }
    pope_genome_free(g);
    free(text);
    free(s1);
    free(s2);
    free(s3);
}

static void expect_fail(const char *path, const char *want_in_msg, const char *what) {
    pope_genome *g = open_nocache(path);
    CHECK(g == NULL, "%s: should fail", what);
    if (!g) CHECK(strstr(pope_last_error(), want_in_msg) != NULL, "%s: message '%s' lacks '%s'", what, pope_last_error(), want_in_msg);
    pope_genome_free(g);
}

static void test_bad_inputs(void) {
    fx_write(fx_path("empty.fa"), "", 0);
    expect_fail(fx_path("empty.fa"), "empty", "empty file");
    fx_write_gzip(fx_path("empty.fa.gz"), "", 0);
    expect_fail(fx_path("empty.fa.gz"), "", "empty gzip");
    const char *txt = "hello world\nthis is not a genome\n";
    fx_write(fx_path("text.fa"), txt, strlen(txt));
    expect_fail(fx_path("text.fa"), "not a FASTA", "plain text");
    unsigned char bin[4096];
    for (int i = 0; i < 4096; i++) bin[i] = (unsigned char)(i * 7 + 3);
    fx_write(fx_path("bin.fa"), bin, sizeof bin);
    expect_fail(fx_path("bin.fa"), "not a FASTA", "binary garbage");
    const char *badch = ">x\nACGT\nAC!GT\n";
    fx_write(fx_path("bad.fa"), badch, strlen(badch));
    expect_fail(fx_path("bad.fa"), "line 3", "bad character");
    // binary bytes right at the start: htslib's detection refuses; deep inside: the parser
    const char *nul = ">x\nAC\0GT\n";
    fx_write(fx_path("nul.fa"), nul, 9);
    expect_fail(fx_path("nul.fa"), "not a FASTA", "NUL byte at the start");
    char *late = fx_random_seq(100000, "ACGT", 5);
    memcpy(late, ">x\n", 3);
    late[90000] = '\0';
    fx_write(fx_path("nul2.fa"), late, 100000);
    expect_fail(fx_path("nul2.fa"), "0x00", "NUL byte late in the file");
    free(late);
    const char *header_only = ">x\n>y\n";
    fx_write(fx_path("hdr.fa"), header_only, strlen(header_only));
    expect_fail(fx_path("hdr.fa"), "no bases", "headers only");
    expect_fail(fx_path("does-not-exist.fa"), "No such file", "missing file");
    expect_fail(fx_tmpdir(), "directory", "a directory");
    // truncated gzip: a real compressed FASTA cut in the middle
    char *seq = fx_random_seq(200000, "ACGT", 9);
    const char *nm[] = {"t"};
    const char *sq[] = {seq};
    char *text = fx_fasta_text(1, nm, sq, 60, "\n");
    fx_write_gzip(fx_path("full.fa.gz"), text, strlen(text));
    FILE *f = fopen(fx_path("full.fa.gz"), "rb");
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    fx_write(fx_path("trunc.fa.gz"), buf, n / 2);
    expect_fail(fx_path("trunc.fa.gz"), "", "truncated gzip");
    fx_write_bgzf(fx_path("full.fa.bgz"), text, strlen(text));
    f = fopen(fx_path("full.fa.bgz"), "rb");
    n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    fx_write(fx_path("trunc.fa.bgz"), buf, n / 2);
    expect_fail(fx_path("trunc.fa.bgz"), "", "truncated BGZF");
    // leading blank lines and a ';' comment are still FASTA
    const char *lead = "\n\n>a\nACGT\n;comment\nGG\n";
    fx_write(fx_path("lead.fa"), lead, strlen(lead));
    pope_genome *g = open_nocache(fx_path("lead.fa"));
    CHECK(g && pope_genome_contig_len(g, 0) == 6, "leading blank lines: %s", g ? "" : pope_last_error());
    pope_genome_free(g);
    free(seq);
    free(text);
}

// A SAM/BAM with mapped, unmapped, secondary and supplementary reads, written with htslib.
static void write_alignments(const char *path, const char *mode) {
    samFile *fp = sam_open(path, mode);
    sam_hdr_t *h = sam_hdr_parse(strlen("@HD\tVN:1.6\n@SQ\tSN:ref\tLN:1000\n"), "@HD\tVN:1.6\n@SQ\tSN:ref\tLN:1000\n");
    CHECK(fp && h && sam_hdr_write(fp, h) == 0, "write header");
    struct { const char *name, *seq; uint16_t flag; } r[] = {
        {"mapped1", "ACGTACGTNN", 0},
        {"unmapped1", "GGGGCCCCAT", BAM_FUNMAP},
        {"secondary", "TTTTTTTTTT", BAM_FSECONDARY},
        {"supp", "CCCCCCCCCC", BAM_FSUPPLEMENTARY},
        {"mapped2", "ACGTRYKM", BAM_FREVERSE},
    };
    bam1_t *b = bam_init1();
    for (int i = 0; i < 5; i++) {
        size_t L = strlen(r[i].seq);
        uint32_t cigar = bam_cigar_gen(L, BAM_CMATCH);
        int unm = (r[i].flag & BAM_FUNMAP) != 0;
        int rc = bam_set1(b, strlen(r[i].name), r[i].name, r[i].flag, unm ? -1 : 0, unm ? -1 : 10 * i, 60,
                          unm ? 0 : 1, &cigar, -1, -1, 0, L, r[i].seq, NULL, 0);
        CHECK(rc >= 0 && sam_write1(fp, h, b) >= 0, "write record %d", i);
    }
    bam_destroy1(b);
    sam_hdr_destroy(h);
    sam_close(fp);
}

static void test_alignments(void) {
    const char *modes[] = {"w", "wb"};
    const char *files[] = {"reads.sam", "reads.bam"};
    const char *formats[] = {"sam", "bam"};
    for (int m = 0; m < 2; m++) {
        const char *path = fx_path(files[m]);
        write_alignments(path, modes[m]);
        pope_genome_opts o;
        pope_genome_opts_default(&o);
        o.cache = 0;
        pope_genome *g = pope_genome_open(path, &o);
        CHECK(g != NULL, "%s: %s", files[m], pope_last_error());
        if (!g) continue;
        CHECK(strcmp(pope_genome_format(g), formats[m]) == 0, "format %s", pope_genome_format(g));
        CHECK(pope_genome_n_contigs(g) == 3, "%s: 3 primary reads, got %lld", files[m], (long long)pope_genome_n_contigs(g));
        CHECK(pope_genome_n_contigs(g) == 3 && strcmp(pope_genome_contig_name(g, 1), "unmapped1") == 0, "read names");
        CHECK(same_bases(g, 0, "ACGTACGTNN", 0), "read 0 bases");
        CHECK(same_bases(g, 2, "ACGTNNNN", 0), "IUPAC in reads -> N");
        pope_genome_free(g);
        o.mapped_only = 1;
        g = pope_genome_open(path, &o);
        CHECK(g && pope_genome_n_contigs(g) == 2, "mapped only");
        pope_genome_free(g);
        o.mapped_only = 0;
        o.unmapped_only = 1;
        g = pope_genome_open(path, &o);
        CHECK(g && pope_genome_n_contigs(g) == 1 && same_bases(g, 0, "GGGGCCCCAT", 0), "unmapped only");
        pope_genome_free(g);
    }
    // an empty QNAME (issue 12: UBSan, arithmetic on a NULL name buffer): one read, bases kept
    const char *noname = "@HD\tVN:1.6\n\t4\t*\t0\t0\t*\t*\t0\t0\tACGT\t*\nr2\t4\t*\t0\t0\t*\t*\t0\t0\tGG\t*\n";
    fx_write(fx_path("noname.sam"), noname, strlen(noname));
    pope_genome *ng = open_nocache(fx_path("noname.sam"));
    CHECK(ng && pope_genome_n_contigs(ng) == 2 && same_bases(ng, 0, "ACGT", 0) && !strcmp(pope_genome_contig_name(ng, 1), "r2"),
          "empty QNAME: %s", ng ? "wrong reads" : pope_last_error());
    pope_genome_free(ng);
    // a truncated BAM is an error, not a short read
    FILE *f = fopen(fx_path("reads.bam"), "rb");
    char buf[65536];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    fx_write(fx_path("trunc.bam"), buf, n - 40);
    pope_genome *g = open_nocache(fx_path("trunc.bam"));
    CHECK(g == NULL, "truncated BAM must fail");
    pope_genome_free(g);
    // CRAM without a reference: a clear error (never a download). Written with a reference.
    const char *ref = ">ref\nACGTACGTACGTACGTACGT\n";
    fx_write(fx_path("ref.fa"), ref, strlen(ref));
    samFile *fp = sam_open(fx_path("reads.cram"), "wc");
    if (fp) {
        hts_set_fai_filename(fp, fx_path("ref.fa"));
        sam_hdr_t *h = sam_hdr_parse(strlen("@SQ\tSN:ref\tLN:20\n"), "@SQ\tSN:ref\tLN:20\n");
        bam1_t *b = bam_init1();
        uint32_t cigar = bam_cigar_gen(8, BAM_CMATCH);
        int ok = sam_hdr_write(fp, h) == 0 && bam_set1(b, 1, "r", 0, 0, 0, 60, 1, &cigar, -1, -1, 0, 8, "ACGTACGT", NULL, 0) >= 0 &&
                 sam_write1(fp, h, b) >= 0;
        bam_destroy1(b);
        sam_hdr_destroy(h);
        ok = sam_close(fp) == 0 && ok;
        CHECK(ok, "write CRAM");
        g = open_nocache(fx_path("reads.cram"));
        CHECK(g == NULL && strstr(pope_last_error(), "--reference"), "CRAM without reference: %s", pope_last_error());
        pope_genome_free(g);
        pope_genome_opts o;
        pope_genome_opts_default(&o);
        o.cache = 0;
        o.reference = fx_path("ref.fa");
        g = pope_genome_open(fx_path("reads.cram"), &o);
        CHECK(g && pope_genome_n_contigs(g) == 1 && same_bases(g, 0, "ACGTACGT", 0), "CRAM with reference: %s",
              g ? "" : pope_last_error());
        pope_genome_free(g);
    }
}

static void test_fastq(void) {
    const char *fq = "@r1 desc\nACGTNacgt\n+\nIIIIIIIII\n@r2\nGGCC\n+r2\n!!!!\n";
    fx_write(fx_path("reads.fq"), fq, strlen(fq));
    fx_write_gzip(fx_path("reads.fq.gz"), fq, strlen(fq));
    const char *paths[] = {fx_path("reads.fq"), fx_path("reads.fq.gz")};
    for (int i = 0; i < 2; i++) {
        pope_genome *g = open_nocache(paths[i]);
        CHECK(g != NULL, "fastq %d: %s", i, pope_last_error());
        if (!g) continue;
        CHECK(strcmp(pope_genome_format(g), "fastq") == 0, "format %s", pope_genome_format(g));
        CHECK(pope_genome_n_contigs(g) == 2 && strcmp(pope_genome_contig_name(g, 0), "r1") == 0, "fastq records");
        CHECK(same_bases(g, 0, "ACGTNACGT", 0) && same_bases(g, 1, "GGCC", 0), "fastq bases");
        pope_genome_free(g);
    }
}

// Random corruptions of a valid FASTA (plain and gzip): each either parses or fails with a
// message — never a crash (ASan/UBSan builds make this meaningful) or a silent empty genome.
static void test_corruptions(void) {
    char *seq = fx_random_seq(5000, "ACGTacgtN", 21);
    const char *nm[] = {"a", "b"};
    const char *sq[] = {seq, seq + 2500};
    char *text = fx_fasta_text(2, nm, sq, 61, "\n");
    size_t n = strlen(text);
    uint64_t x = 77;
    int ok_count = 0, fail_with_msg = 0, total = 0;
    for (int trial = 0; trial < 120; trial++) {
        char *t = malloc(n);
        memcpy(t, text, n);
        for (int k = 0; k < 1 + trial % 5; k++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            t[(x >> 20) % n] = (char)(x >> 56);
        }
        size_t len = trial % 3 == 0 ? (size_t)((x >> 8) % n) : n;   // also truncated
        const char *path = fx_path(trial % 2 ? "fuzz.fa.gz" : "fuzz.fa");
        if (trial % 2) fx_write_gzip(path, t, len);
        else fx_write(path, t, len);
        pope_genome *g = open_nocache(path);
        total++;
        if (g) ok_count += pope_genome_total_bases(g) > 0;
        else fail_with_msg += pope_last_error()[0] != 0;
        pope_genome_free(g);
        free(t);
    }
    CHECK(ok_count + fail_with_msg == total, "every corrupted input parses or explains (%d ok, %d errors, %d total)",
          ok_count, fail_with_msg, total);
    free(text);
    free(seq);
}

int main(void) {
    test_corruptions();
    test_fasta_variants();
    test_bad_inputs();
    test_alignments();
    test_fastq();
    fx_cleanup();
    return check_summary("test_genome_read");
}

// fuzz_genome.c — any bytes as a sequence file (FASTA, FASTQ, SAM, BAM, CRAM, plain, gzip or
// BGZF: pope_genome_open detects the format from the content, as `pope-genome` does). A FASTA
// is read on both routes — through a faidx index (opts.faidx = 2) and streamed (faidx = 0) —
// and the two must agree: both reject, or both accept with the same contigs (names, lengths)
// and the same bases, case and N included (docs/GENOME.md "faidx"). SAM and BAM are also read
// with --mapped-only and --unmapped-only, which must split the reads between them.
#include <htslib/hts.h>

#include "fuzz_util.h"
#include "pope_genome.h"

static char in[96], fai_path[128], gzi_path[128], cache_path[128];

static void remove_side_files(void) {
    unlink(fai_path);
    unlink(gzi_path);
    unlink(cache_path);
}

static pope_genome *open_route(int faidx, int mapped_only, int unmapped_only) {
    pope_genome_opts o;
    pope_genome_opts_default(&o);
    o.mapped_only = mapped_only;
    o.unmapped_only = unmapped_only;
    o.cache = 0;        // the packed cache has its own tests; here the parsers
    o.faidx = faidx;
    o.n_threads = 1;
    remove_side_files();
    pope_genome *g = pope_genome_open(in, &o);
    remove_side_files();
    return g;
}

static void check_same(const pope_genome *a, const pope_genome *b) {
    const char *ra = pope_genome_source(a), *rb = pope_genome_source(b);
    int64_t n = pope_genome_n_contigs(a);
    FUZZ_CHECK(n == pope_genome_n_contigs(b), "%lld vs %lld contigs (%s | %s)", (long long)n,
               (long long)pope_genome_n_contigs(b), ra, rb);
    FUZZ_CHECK(pope_genome_total_bases(a) == pope_genome_total_bases(b) &&
                   pope_genome_n_bases_n(a) == pope_genome_n_bases_n(b) &&
                   pope_genome_n_bases_lower(a) == pope_genome_n_bases_lower(b),
               "base counts differ (%s | %s)", ra, rb);
    for (int64_t c = 0; c < n; c++) {
        int64_t len = pope_genome_contig_len(a, c);
        FUZZ_CHECK(strcmp(pope_genome_contig_name(a, c), pope_genome_contig_name(b, c)) == 0 &&
                       len == pope_genome_contig_len(b, c),
                   "contig %lld: '%s' (%lld) vs '%s' (%lld) (%s | %s)", (long long)c, pope_genome_contig_name(a, c),
                   (long long)len, pope_genome_contig_name(b, c), (long long)pope_genome_contig_len(b, c), ra, rb);
        char *sa = malloc((size_t)len + 1), *sb = malloc((size_t)len + 1);
        FUZZ_CHECK(sa && sb, "out of memory for %lld bases", (long long)len);
        FUZZ_CHECK(pope_genome_fetch(a, c, 0, len, 1, sa) == 0 && pope_genome_fetch(b, c, 0, len, 1, sb) == 0,
                   "contig %lld: fetch failed", (long long)c);
        for (int64_t i = 0; i < len; i++)
            FUZZ_CHECK(strchr("ACGTNacgtn", sa[i]) && sa[i], "contig %lld base %lld is '%c'", (long long)c,
                       (long long)i, sa[i]);
        FUZZ_CHECK(memcmp(sa, sb, (size_t)len) == 0, "contig %lld: different bases (%s | %s)", (long long)c, ra, rb);
        free(sa);
        free(sb);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!in[0]) {
        hts_set_log_level(HTS_LOG_OFF);   // htslib's own complaints about broken input, by the thousand
        fuzz_path(in, sizeof in, "in.fa");
        snprintf(fai_path, sizeof fai_path, "%s.fai", in);
        snprintf(gzi_path, sizeof gzi_path, "%s.gzi", in);
        snprintf(cache_path, sizeof cache_path, "%s.pope", in);
    }
    fuzz_write(in, data, size);
    pope_genome *streamed = open_route(0, 0, 0);
    char why_streamed[1200];
    snprintf(why_streamed, sizeof why_streamed, "%s", streamed ? "" : pope_last_error());
    pope_genome *indexed = open_route(2, 0, 0);
    FUZZ_CHECK(!streamed == !indexed, "streamed %s, faidx route %s", streamed ? "accepts" : why_streamed,
               indexed ? "accepts" : pope_last_error());
    if (streamed) check_same(streamed, indexed);
    if (streamed && (!strcmp(pope_genome_format(streamed), "sam") || !strcmp(pope_genome_format(streamed), "bam"))) {
        int64_t n = 0, bases = 0;
        for (int only = 0; only < 2; only++) {   // a subset without reads is an error ("no bases")
            pope_genome *g = open_route(0, only == 0, only == 1);
            if (g) n += pope_genome_n_contigs(g), bases += pope_genome_total_bases(g);
            pope_genome_free(g);
        }
        FUZZ_CHECK(n == pope_genome_n_contigs(streamed) && bases == pope_genome_total_bases(streamed),
                   "mapped + unmapped: %lld reads, %lld bases; all: %lld, %lld", (long long)n, (long long)bases,
                   (long long)pope_genome_n_contigs(streamed), (long long)pope_genome_total_bases(streamed));
    }
    pope_genome_free(streamed);
    pope_genome_free(indexed);
    return 0;
}

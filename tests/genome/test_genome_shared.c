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

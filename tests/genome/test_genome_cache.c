// test_genome_cache.c — the packed cache file: written atomically, mapped on the next open,
// equal base for base (and case for case) to a direct read, rebuilt when the input changes
// or the cache is damaged.
#include <fcntl.h>
#include <sys/stat.h>

#include "check.h"
#include "genome_fixtures.h"
#include "pope_genome.h"

static pope_genome *open_with(const char *path, int cache, const char *dir) {
    pope_genome_opts o;
    pope_genome_opts_default(&o);
    o.cache = cache;
    o.cache_dir = dir;
    return pope_genome_open(path, &o);
}

static int genomes_equal(const pope_genome *a, const pope_genome *b) {
    if (pope_genome_n_contigs(a) != pope_genome_n_contigs(b) || pope_genome_total_bases(a) != pope_genome_total_bases(b) ||
        pope_genome_n_bases_n(a) != pope_genome_n_bases_n(b) || pope_genome_n_bases_lower(a) != pope_genome_n_bases_lower(b))
        return 0;
    for (int64_t c = 0; c < pope_genome_n_contigs(a); c++) {
        int64_t n = pope_genome_contig_len(a, c);
        if (n != pope_genome_contig_len(b, c) || strcmp(pope_genome_contig_name(a, c), pope_genome_contig_name(b, c)))
            return 0;
        char *x = malloc((size_t)n + 1), *y = malloc((size_t)n + 1);
        int same = 1;
        for (int kc = 0; kc < 2 && same; kc++) {
            pope_genome_fetch(a, c, 0, n, kc, x);
            pope_genome_fetch(b, c, 0, n, kc, y);
            same = memcmp(x, y, (size_t)n) == 0;
        }
        free(x);
        free(y);
        if (!same) return 0;
    }
    return 1;
}

static void set_mtime(const char *path, long sec) {
    struct timespec ts[2] = {{sec, 0}, {sec, 0}};
    utimensat(AT_FDCWD, path, ts, 0);
}

int main(void) {
    // three contigs with N runs, soft-masked runs and lengths not multiples of 4
    char *a = fx_random_seq(100003, "ACGTACGTACGTacgtNNn", 11);
    char *b = fx_random_seq(4097, "ACGT", 12);
    char *c = fx_random_seq(13, "NNNNacgtACGT", 13);
    const char *names[] = {"chrA", "chrB", "chrC"};
    const char *seqs[] = {a, b, c};
    char *text = fx_fasta_text(3, names, seqs, 70, "\n");
    const char *in = fx_path("g.fa.gz");
    fx_write_bgzf(in, text, strlen(text));
    set_mtime(in, 1000000);
    const char *dir = fx_path("cache");

    pope_genome *direct = open_with(in, 0, NULL);
    CHECK(direct != NULL, "direct read: %s", pope_last_error());
    pope_genome *first = open_with(in, 2, dir);
    CHECK(first && strstr(pope_genome_source(first), "cache written"), "first open writes: %s",
          first ? pope_genome_source(first) : pope_last_error());
    pope_genome *second = open_with(in, 2, dir);
    CHECK(second && strncmp(pope_genome_source(second), "cache: ", 7) == 0, "second open maps: %s",
          second ? pope_genome_source(second) : pope_last_error());
    CHECK(direct && first && genomes_equal(direct, first), "cache written equals direct read");
    CHECK(direct && second && genomes_equal(direct, second), "mapped cache equals direct read");
    char *cpath = pope_genome_cache_path(in, &(pope_genome_opts){.cache_dir = dir});
    CHECK(cpath && access(cpath, R_OK) == 0, "cache file at %s", cpath ? cpath : "(null)");
    pope_genome_free(first);
    pope_genome_free(second);

    // the input changes (same size, new content, new mtime): the cache is rebuilt
    for (char *p = a; *p; p++)
        if (*p == 'A') *p = 'T';
    free(text);
    text = fx_fasta_text(3, names, seqs, 70, "\n");
    fx_write_bgzf(in, text, strlen(text));
    set_mtime(in, 2000000);
    pope_genome *changed = open_with(in, 2, dir);
    CHECK(changed && strstr(pope_genome_source(changed), "cache written"), "changed input rebuilds: %s",
          changed ? pope_genome_source(changed) : pope_last_error());
    pope_genome *changed_direct = open_with(in, 0, NULL);
    CHECK(changed && changed_direct && genomes_equal(changed, changed_direct), "rebuilt cache equals new input");
    CHECK(changed && direct && !genomes_equal(changed, direct), "and differs from the old one");
    pope_genome_free(changed);

    // only the mtime changes: rebuilt too (the key is size + mtime)
    set_mtime(in, 3000000);
    pope_genome *touched = open_with(in, 2, dir);
    CHECK(touched && strstr(pope_genome_source(touched), "cache written"), "touched input rebuilds");
    pope_genome_free(touched);

    // a damaged cache (truncated) is rebuilt, not trusted
    if (cpath) CHECK(truncate(cpath, 5000) == 0, "truncate");
    pope_genome *repaired = open_with(in, 2, dir);
    CHECK(repaired && strstr(pope_genome_source(repaired), "cache written") && genomes_equal(repaired, changed_direct),
          "damaged cache rebuilt: %s", repaired ? pope_genome_source(repaired) : pope_last_error());
    pope_genome_free(repaired);

    // a cache whose sizes add up but whose tables lie (hand-edited, or a bit flipped): an N run
    // past the genome, a contig count wrapped by 2^61 (x 24 bytes = 0 mod 2^64): rebuilt
    for (int k = 0; k < 2 && cpath; k++) {
        uint64_t hdr[16];
        int fd = open(cpath, O_RDWR);
        int ok = fd >= 0 && pread(fd, hdr, sizeof hdr, 0) == sizeof hdr && hdr[9] > 0;
        if (ok && k == 0) {
            uint64_t run[2] = {hdr[8] + 5, 1};   // (start, len) of the first N run
            ok = pwrite(fd, run, sizeof run, (off_t)(hdr[13] + hdr[7] * 3 * sizeof(uint64_t))) == sizeof run;
        } else if (ok) {
            hdr[7] += (uint64_t)1 << 61;
            ok = pwrite(fd, hdr, sizeof hdr, 0) == sizeof hdr;
        }
        if (fd >= 0) close(fd);
        CHECK(ok, "tamper the cache (%d)", k);
        pope_genome *again = open_with(in, 2, dir);
        CHECK(again && strstr(pope_genome_source(again), "cache written") && genomes_equal(again, changed_direct),
              "lying cache (%d) rebuilt: %s", k, again ? pope_genome_source(again) : pope_last_error());
        pope_genome_free(again);
    }

    // default location: next to the input when its directory is writable; no leftover tmp
    pope_genome *beside = open_with(in, 2, NULL);
    char want[600];
    snprintf(want, sizeof want, "%s.pope", in);
    CHECK(beside && access(want, R_OK) == 0, "cache beside the input at %s", want);
    pope_genome_free(beside);
    char cmd[800];
    snprintf(cmd, sizeof cmd, "ls %s/*.tmp.* %s/*.tmp.* >/dev/null 2>&1", fx_tmpdir(), dir);
    CHECK(system(cmd) != 0, "no temporary files left behind");

    // cache = 1 with a large threshold: small inputs are parsed, nothing written
    pope_genome_opts o;
    pope_genome_opts_default(&o);
    o.cache_dir = fx_path("nocache");
    pope_genome *small = pope_genome_open(in, &o);
    CHECK(small && strncmp(pope_genome_source(small), "parsed", 6) == 0 && access(o.cache_dir, F_OK) != 0,
          "below cache_min_bytes: no cache");
    pope_genome_free(small);

    // an explicit cache directory that cannot be created is an error, not a silent
    // fall-back to keeping the genome in memory (a file stands where a folder must go)
    const char *blocker = fx_path("not-a-dir");
    FILE *bf = fopen(blocker, "w");
    if (bf) fclose(bf);
    char bad_dir[4200];
    snprintf(bad_dir, sizeof bad_dir, "%s/cache", blocker);
    pope_genome *unwritable = open_with(in, 2, bad_dir);
    CHECK(unwritable == NULL && strstr(pope_last_error(), "--cache-dir") && strstr(pope_last_error(), bad_dir),
          "unwritable cache dir: %s", unwritable ? "opened" : pope_last_error());
    pope_genome_free(unwritable);

    pope_genome_free(changed_direct);
    pope_genome_free(direct);
    free(cpath);
    free(text);
    free(a);
    free(b);
    free(c);
    fx_cleanup();
    return check_summary("test_genome_cache");
}

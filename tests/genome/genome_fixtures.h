// genome_fixtures.h — test helpers: a scratch directory, random sequences and FASTA writers
// (plain, gzip via zlib, BGZF via htslib), so that every reader test builds its own input.
#ifndef POPE_GENOME_FIXTURES_H
#define POPE_GENOME_FIXTURES_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <htslib/bgzf.h>
#include <zlib.h>

static char fx_dir[256];

static inline const char *fx_tmpdir(void) {
    if (!fx_dir[0]) {
        snprintf(fx_dir, sizeof fx_dir, "/tmp/pope-genome-test-XXXXXX");
        if (!mkdtemp(fx_dir)) {
            perror("mkdtemp");
            exit(2);
        }
    }
    return fx_dir;
}

// A path in the scratch directory; each call gets its own buffer (never reused).
static inline const char *fx_path(const char *name) {
    static char buf[512][512];
    static int k;
    if (k == 512) {
        fprintf(stderr, "fx_path: too many paths\n");
        exit(2);
    }
    snprintf(buf[k], sizeof buf[k], "%s/%s", fx_tmpdir(), name);
    return buf[k++];
}

static inline void fx_cleanup(void) {
    char cmd[600];
    if (fx_dir[0] && getenv("POPE_KEEP_TEST_FILES") == NULL) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx_dir);
        if (system(cmd) != 0) fprintf(stderr, "cleanup failed\n");
    }
}

// A random sequence of n bases from the alphabet `alpha` (xorshift, deterministic in seed).
static inline char *fx_random_seq(int64_t n, const char *alpha, uint64_t seed) {
    char *s = malloc((size_t)n + 1);
    size_t k = strlen(alpha);
    uint64_t x = seed * 2654435761u + 88172645463325252ull;
    for (int64_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s[i] = alpha[x % k];
    }
    s[n] = 0;
    return s;
}

// FASTA text of records (names[i], seqs[i]) with `width` bases per line (<= 0: one line),
// line ending `eol`. malloc'd.
static inline char *fx_fasta_text(int n, const char *const *names, const char *const *seqs, int width, const char *eol) {
    size_t cap = 64, len = 0;
    for (int i = 0; i < n; i++) cap += strlen(names[i]) + strlen(seqs[i]) * 3 + 64;
    char *t = malloc(cap);
    for (int i = 0; i < n; i++) {
        len += (size_t)sprintf(t + len, ">%s description here%s", names[i], eol);
        size_t L = strlen(seqs[i]);
        size_t w = width > 0 ? (size_t)width : (L ? L : 1);
        for (size_t o = 0; o < L; o += w) {
            size_t m = L - o < w ? L - o : w;
            memcpy(t + len, seqs[i] + o, m);
            len += m;
            len += (size_t)sprintf(t + len, "%s", eol);
        }
    }
    t[len] = 0;
    return t;
}

static inline void fx_write(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n) {
        perror(path);
        exit(2);
    }
    fclose(f);
}

static inline void fx_write_gzip(const char *path, const void *data, size_t n) {
    gzFile f = gzopen(path, "wb");
    if (!f || gzwrite(f, data, (unsigned)n) != (int)n) {
        perror(path);
        exit(2);
    }
    gzclose(f);
}

static inline void fx_write_bgzf(const char *path, const void *data, size_t n) {
    BGZF *f = bgzf_open(path, "w");
    if (!f || bgzf_write(f, data, n) != (ssize_t)n || bgzf_close(f) != 0) {
        perror(path);
        exit(2);
    }
}
#endif

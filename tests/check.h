// check.h — the tiny assertion harness every pope test binary uses.
// CHECK(cond, fmt, ...) records a failure with its location and goes on;
// CHECK_NEAR compares with an absolute+relative tolerance; check_summary()
// prints "<name>: N passed, N failed" and returns the process exit code.
#ifndef POPE_TEST_CHECK_H
#define POPE_TEST_CHECK_H
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int check_passed_, check_failed_;

#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        if (cond) {                                                             \
            check_passed_++;                                                    \
        } else {                                                                \
            check_failed_++;                                                    \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);     \
            fprintf(stderr, __VA_ARGS__);                                       \
            fputc('\n', stderr);                                                \
        }                                                                       \
    } while (0)

// |a - b| <= atol + rtol * |b|
#define CHECK_NEAR(a, b, atol, rtol, what)                                      \
    do {                                                                        \
        double a_ = (a), b_ = (b);                                              \
        CHECK(fabs(a_ - b_) <= (atol) + (rtol) * fabs(b_) && a_ == a_,          \
              "%s: got %.9g, want %.9g", (what), a_, b_);                       \
    } while (0)

static inline int check_summary(const char *name) {
    printf("%s: %d passed, %d failed\n", name, check_passed_, check_failed_);
    return check_failed_ == 0 && check_passed_ > 0 ? 0 : 1;
}

// Directory of the source tree (set by CTest), for shipped fixtures.
static inline const char *check_source_dir(void) {
    const char *d = getenv("POPE_SOURCE_DIR");
    return d ? d : ".";
}
// Directory of ../shared/data when present, else NULL (tests that need it skip:
// return CHECK_SKIP from main, which CTest reports as skipped).
#define CHECK_SKIP 77
static inline const char *check_shared_data(void) {
    static char buf[4096];
    const char *env = getenv("POPE_SHARED_DATA");
    if (env) return env;
    snprintf(buf, sizeof buf, "%s/../shared/data", check_source_dir());
    return access(buf, R_OK) == 0 ? buf : NULL;
}
// The size of a file in bytes (0 when it cannot be read).
static inline size_t check_file_size(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    return size > 0 ? (size_t)size : 0;
}
// Copies the first `keep` bytes of `from` to `to`: a file cut short, as a stopped download
// leaves it. 0 ok, -1 when `from` is shorter or unreadable.
static inline int check_truncated_copy(const char *from, const char *to, size_t keep) {
    FILE *f = fopen(from, "rb"), *g = NULL;
    unsigned char *buf = f ? malloc(keep ? keep : 1) : NULL;
    int rc = buf && fread(buf, 1, keep, f) == keep && (g = fopen(to, "wb")) && fwrite(buf, 1, keep, g) == keep ? 0 : -1;
    if (g) fclose(g);
    if (f) fclose(f);
    free(buf);
    return rc;
}
#endif

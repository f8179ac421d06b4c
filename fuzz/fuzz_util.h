// fuzz_util.h — what every harness in fuzz/ shares: a private scratch directory (/dev/shm)
// (for the entry points that take a path, exactly as the programs call them), writing the
// input there, and the check that turns a broken invariant into a crash libFuzzer records.
// Plain C: the same harness sources build under libFuzzer (clang, POPE_FUZZ) and, with
// tests/regress/regress_main.c, as the regression tests of the normal gcc build.
#ifndef POPE_FUZZ_UTIL_H
#define POPE_FUZZ_UTIL_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

// An invariant the code promises (not an input error): abort so that the fuzzer keeps the input.
#define FUZZ_CHECK(cond, ...)                                                         \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                             \
            fputc('\n', stderr);                                                      \
            abort();                                                                  \
        }                                                                             \
    } while (0)

static char fuzz_dir[64];

static void fuzz_dir_remove(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_dir);
    if (fuzz_dir[0] && system(cmd) != 0) fprintf(stderr, "fuzz: could not remove %s\n", fuzz_dir);
}

// DIR/name in this process's scratch directory (created on first use, removed at exit).
// The returned buffer is static per call site name; copy it if two are needed at once.
static inline const char *fuzz_path(char *buf, size_t cap, const char *name) {
    if (!fuzz_dir[0]) {
        // $POPE_FUZZ_TMP, else /dev/shm (memory: 4x the executions of /tmp on a busy disk), else /tmp
        const char *env = getenv("POPE_FUZZ_TMP");
        const char *base = env && *env ? env : access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(fuzz_dir, sizeof fuzz_dir, "%.40s/pope-fuzz-XXXXXX", base);
        if (!mkdtemp(fuzz_dir)) {
            perror("fuzz: mkdtemp");
            abort();
        }
        atexit(fuzz_dir_remove);
    }
    snprintf(buf, cap, "%s/%s", fuzz_dir, name);
    return buf;
}

// Writes the input to path (aborts on a write error: that is the machine, not the input).
// A new file each time: truncating one that has data makes ext4 flush it on close
// (auto_da_alloc), a disk wait that cut the harnesses to a tenth of their speed.
static inline void fuzz_write(const char *path, const uint8_t *data, size_t size) {
    unlink(path);
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(path);
        abort();
    }
}
// The input as the file DIR/name: path (a static buffer of the harness, cap bytes) is filled
// on the first call; returns it.
static inline const char *fuzz_input(char *path, size_t cap, const char *name, const uint8_t *data, size_t size) {
    if (!path[0]) fuzz_path(path, cap, name);
    fuzz_write(path, data, size);
    return path;
}
#endif  // POPE_FUZZ_UTIL_H

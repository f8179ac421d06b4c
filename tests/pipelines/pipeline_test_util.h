// pipeline_test_util.h — small file helpers the libpope_pipeline tests share.
#ifndef POPE_PIPELINE_TEST_UTIL_H
#define POPE_PIPELINE_TEST_UTIL_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

// A whole file as a NUL-terminated string (malloc'd), or NULL when it cannot be opened.
static inline char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc(n + 1);
    if (fread(b, 1, n, f) != (size_t)n) n = 0;
    b[n] = '\0';
    fclose(f);
    return b;
}

// Occurrences of needle in hay (0 when hay is NULL).
static inline int count(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = hay; hay && (p = strstr(p, needle)); p++) n++;
    return n;
}

// Sends stderr (fd 2) to `path` until stderr_restore(saved): usage errors print there.
static inline int stderr_to(const char *path) {
    fflush(stderr);
    int saved = dup(2), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        dup2(fd, 2);
        close(fd);
    }
    return saved;
}
static inline void stderr_restore(int saved) {
    fflush(stderr);
    if (saved >= 0) {
        dup2(saved, 2);
        close(saved);
    }
}
#endif

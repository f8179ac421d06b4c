// files.c — the two file chores every pope library needs (reading a whole file,
// creating a directory path), in one place so that the readers and the pipelines
// report the same errors the same way.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pope.h"

char *pope_read_file(const char *path, size_t *len) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        int e = errno;
        pope_error("%s: %s", path, strerror(e));
        errno = e;   // callers may still word their own message from errno
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        char *p = realloc(buf, 2 * cap + 1);
        if (!p) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = p;
        cap *= 2;
    }
    int err = ferror(f) ? errno : 0;   // e.g. EISDIR: fopen accepts a directory, fread does not
    if (f != stdin) fclose(f);
    if (!buf) {
        pope_error("%s: out of memory", path);
        errno = ENOMEM;
        return NULL;
    }
    if (err) {
        free(buf);
        pope_error("%s: read error: %s", path, strerror(err));
        errno = err;
        return NULL;
    }
    buf[n] = 0;
    if (len) *len = n;
    return buf;
}

int pope_mkdir_p(const char *dir) {
    if (!dir || !*dir) return pope_error("mkdir: empty path");
    char buf[4096];
    if (strlen(dir) >= sizeof buf) return pope_error("mkdir: path too long");
    strcpy(buf, dir);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
                int e = errno;
                pope_error("%s: cannot create directory: %s", buf, strerror(e));
                errno = e;
                return -1;
            }
            *p = c;
            if (c == '\0') break;
        }
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        pope_error("%s: not a directory", dir);
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

int pope_path_is_special(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

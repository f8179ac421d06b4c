// files.c — the file chores every pope library needs (reading a whole file, creating a
// directory path, writing a file atomically), in one place so that the readers and the
// pipelines behave and report errors the same way.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pope.h"

char *pope_read_file(const char *path, size_t *len) {
    // Only regular files by name ("-" is stdin): opening a FIFO blocks until a writer comes,
    // and /dev/zero or /dev/urandom would be read until memory runs out.
    if (strcmp(path, "-") != 0 && pope_path_is_special(path)) {
        pope_error("%s: not a regular file (give '-' to read standard input)", path);
        errno = EINVAL;
        return NULL;
    }
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

int pope_atomic_begin(pope_atomic *a, const char *path, const char *mode) {
    a->f = NULL;
    a->tmp[0] = '\0';
    a->in_place = 1;
    if (!strcmp(path, "-")) {   // stdout: written as it goes, nothing to rename
        if (!mode) return pope_error("'-' (stdout) cannot be written by name here");
        snprintf(a->path, sizeof a->path, "-");
        a->f = stdout;
        return 0;
    }
    if (snprintf(a->path, sizeof a->path, "%s", path) >= (int)sizeof a->path)
        return pope_error("%.200s...: path too long", path);
    // /dev/null, a FIFO, a terminal: written in place (a rename would replace the node)
    a->in_place = pope_path_is_special(path);
    if (a->in_place) snprintf(a->tmp, sizeof a->tmp, "%s", path);
    else snprintf(a->tmp, sizeof a->tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(a->tmp, mode ? mode : (a->in_place ? "ab" : "wb"));
    if (!f) {
        int e = errno;
        a->tmp[0] = '\0';
        pope_error("%s: cannot write: %s", path, strerror(e));
        errno = e;   // callers may word their own message
        return -1;
    }
    if (mode) a->f = f;
    else fclose(f);   // the writer opens the name (a->tmp) itself
    return 0;
}

void pope_atomic_abort(pope_atomic *a) {
    if (a->f && a->f != stdout) fclose(a->f);
    a->f = NULL;
    if (a->tmp[0] && !a->in_place) unlink(a->tmp);
    a->tmp[0] = '\0';
}

int pope_atomic_commit(pope_atomic *a, int sync) {
    int bad = 0, e = 0;
    if (a->f) {
        bad = ferror(a->f) || fflush(a->f) != 0 || (sync && !a->in_place && fsync(fileno(a->f)) != 0);
        if (bad) e = errno;
        if (a->f != stdout && fclose(a->f) != 0 && !bad) bad = 1, e = errno;
        a->f = NULL;
    }
    if (!bad && !a->in_place && rename(a->tmp, a->path) != 0) bad = 1, e = errno;
    if (bad && !a->in_place) unlink(a->tmp);
    a->tmp[0] = '\0';
    if (bad) return pope_error("%s: write failed: %s", a->path, e ? strerror(e) : "I/O error");
    return 0;
}

// regress_main.c — the driver that turns a fuzz/ harness into a regression test of the normal
// build: runs LLVMFuzzerTestOneInput over every file in the folders given (the harness's seed
// corpus and tests/regress/<harness>/, the inputs that once crashed it). A broken invariant
// aborts inside the harness; under the sanitizer build ASan/UBSan/LSan report as in fuzzing.
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

// Runs every regular file of dir (sorted, so that a failure names the same file each time).
static int run_dir(const char *dir, int *n_run) {
    DIR *d = opendir(dir);
    if (!d) {
        perror(dir);
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        if (n == cap && !(names = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof *names))) abort();
        if (!(names[n++] = strdup(e->d_name))) abort();
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *f = fopen(path, "rb");
        uint8_t *buf = NULL;
        long len = -1;
        if (f && fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
            (buf = malloc((size_t)len + 1)) && fread(buf, 1, (size_t)len, f) == (size_t)len) {
            fprintf(stderr, "%s\n", path);
            LLVMFuzzerTestOneInput(buf, (size_t)len);
            (*n_run)++;
        } else {
            fprintf(stderr, "%s: cannot read\n", path);
            rc = -1;
        }
        free(buf);
        if (f) fclose(f);
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv) {
    int rc = 0, n_run = 0;
    for (int i = 1; i < argc; i++)
        if (run_dir(argv[i], &n_run) != 0) rc = 1;
    fprintf(stderr, "%d inputs, none crashed\n", n_run);
    return rc;
}

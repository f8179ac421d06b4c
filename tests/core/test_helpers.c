// test_helpers.c — the small shared helpers of libpope: splitmix64 and FNV-1a against their
// published reference values, the monotonic clock, and atomic writes (commit puts the file
// in place and leaves no temporary; abort and a failed begin leave nothing).
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "pope.h"

static int files_in(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) n += e->d_name[0] != '.';
    if (d) closedir(d);
    return n;
}

int main(void) {
    // splitmix64 seeded with 0: the first outputs (Vigna's splitmix64.c)
    CHECK(pope_splitmix64(0) == 0xe220a8397b1dcdafULL, "splitmix64(0) = %016llx",
          (unsigned long long)pope_splitmix64(0));
    CHECK(pope_splitmix64(0x9e3779b97f4a7c15ULL) == 0x6e789e6aa1b965f4ULL, "second output");
    CHECK(pope_mix64(0) == 0, "the mixer fixes 0");
    // FNV-1a 64 test vectors (Fowler/Noll/Vo): "" and "a" and "foobar"
    CHECK(pope_fnv1a(POPE_FNV1A_INIT, "", 0) == 0xcbf29ce484222325ULL, "fnv1a('')");
    CHECK(pope_fnv1a(POPE_FNV1A_INIT, "a", 1) == 0xaf63dc4c8601ec8cULL, "fnv1a('a')");
    CHECK(pope_fnv1a(POPE_FNV1A_INIT, "foobar", 6) == 0x85944171f73967e8ULL, "fnv1a('foobar')");
    CHECK(pope_fnv1a(pope_fnv1a(POPE_FNV1A_INIT, "foo", 3), "bar", 3) == 0x85944171f73967e8ULL, "fnv1a in parts");
    double t0 = pope_now(), t1 = pope_now();
    CHECK(t0 > 0 && t1 >= t0, "monotonic clock");

    char dir[] = "/tmp/pope_test_helpers_XXXXXX", path[300];
    if (!mkdtemp(dir)) return 1;
    // pope_read_file: a FIFO would block at open, /dev/zero would never end — both refused
    char fifo[300];
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    CHECK(mkfifo(fifo, 0600) == 0, "mkfifo");
    CHECK(pope_read_file(fifo, NULL) == NULL && strstr(pope_last_error(), "not a regular file"),
          "a FIFO is refused: %s", pope_last_error());
    unlink(fifo);
    CHECK(pope_read_file("/dev/zero", NULL) == NULL, "/dev/zero is refused");
    snprintf(path, sizeof path, "%s/out.txt", dir);
    pope_atomic a;
    CHECK(pope_atomic_begin(&a, path, "wb") == 0 && a.f, "begin: %s", pope_last_error());
    fputs("hello", a.f);
    CHECK(access(path, F_OK) != 0, "nothing at the path before the commit");
    CHECK(pope_atomic_commit(&a, 1) == 0, "commit: %s", pope_last_error());
    char *text = pope_read_file(path, NULL);
    CHECK(text && !strcmp(text, "hello"), "committed content");
    free(text);
    CHECK(files_in(dir) == 1, "no temporary file left: %d files", files_in(dir));
    // abort: the old content stays, no temporary
    CHECK(pope_atomic_begin(&a, path, "wb") == 0, "begin 2");
    fputs("half", a.f);
    pope_atomic_abort(&a);
    text = pope_read_file(path, NULL);
    CHECK(text && !strcmp(text, "hello") && files_in(dir) == 1, "abort keeps the old file and leaves nothing");
    free(text);
    // a writer that takes a path (mode NULL)
    CHECK(pope_atomic_begin(&a, path, NULL) == 0 && !a.f && access(a.tmp, W_OK) == 0, "begin without a FILE");
    FILE *f = fopen(a.tmp, "w");
    if (f) {
        fputs("by name", f);
        fclose(f);
    }
    CHECK(pope_atomic_commit(&a, 0) == 0, "commit by name");
    text = pope_read_file(path, NULL);
    CHECK(text && !strcmp(text, "by name") && files_in(dir) == 1, "written by name");
    free(text);
    // an unwritable place: -1, the path in the message
    CHECK(pope_atomic_begin(&a, "/nonexistent-dir/x.txt", "wb") == -1 && strstr(pope_last_error(), "/nonexistent-dir/x.txt") &&
              strstr(pope_last_error(), "cannot write"),
          "unwritable: %s", pope_last_error());
    // "-": stdout, nothing renamed; by name it is refused
    CHECK(pope_atomic_begin(&a, "-", "wb") == 0 && a.f == stdout && pope_atomic_commit(&a, 0) == 0, "'-' is stdout");
    CHECK(pope_atomic_begin(&a, "-", NULL) == -1, "'-' by name refused");
    // a device is written in place, never replaced by a rename (checked only while /dev/null
    // is one: on a shared machine another program may have broken it)
    struct stat st;
    if (stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode)) {
        CHECK(pope_atomic_begin(&a, "/dev/null", "wb") == 0 && a.in_place, "/dev/null in place");
        fputs("x", a.f);
        CHECK(pope_atomic_commit(&a, 1) == 0 && stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode),
              "/dev/null still a device");
        CHECK(pope_atomic_begin(&a, "/dev/null", NULL) == 0 && a.in_place && !strcmp(a.tmp, "/dev/null"),
              "by name in place");
        pope_atomic_abort(&a);
        CHECK(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode), "abort leaves /dev/null alone");
    } else {
        fprintf(stderr, "test_helpers: /dev/null is not a character device here: its checks skipped\n");
    }
    unlink(path);
    rmdir(dir);
    return check_summary("test_helpers");
}

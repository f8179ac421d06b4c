// mididir.c — any folder of MIDI files as a data set: every *.mid / *.midi below it
// (recursive, symlinks not followed), split by a seeded hash of the path relative to it.
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "pope.h"
#include "pope_music.h"
#include "filelist.h"


// FNV-1a 64 over the seed's 8 little-endian bytes then the name, finished with splitmix64's
// mixer.
uint64_t pope_music_name_hash(const char *name, uint64_t seed) {
    unsigned char le[8];
    for (int i = 0; i < 8; i++) le[i] = (unsigned char)(seed >> (8 * i));
    return pope_mix64(pope_fnv1a(pope_fnv1a(POPE_FNV1A_INIT, le, 8), name, strlen(name)));
}

// h % 100 < 80 train, < 90 valid, else test.
pope_split pope_mididir_split(const char *relpath, uint64_t seed) {
    int bucket = (int)(pope_music_name_hash(relpath, seed) % 100);
    return bucket < 80 ? POPE_SPLIT_TRAIN : bucket < 90 ? POPE_SPLIT_VALID : POPE_SPLIT_TEST;
}

static int is_midi_name(const char *name) {
    size_t n = strlen(name);
    return (n > 4 && strcasecmp(name + n - 4, ".mid") == 0) || (n > 5 && strcasecmp(name + n - 5, ".midi") == 0);
}

static int walk(pope_music_filelist *out, const char *root, const char *rel, uint64_t seed, int depth) {
    if (depth > 32) return 0;
    char dirpath[8192];
    snprintf(dirpath, sizeof dirpath, "%s%s%s", root, *rel ? "/" : "", rel);
    DIR *d = opendir(dirpath);
    if (!d) return pope_error("%s: %s", dirpath, strerror(errno));
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char sub[4096], full[8192];
        if (snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name) >= (int)sizeof sub) continue;
        snprintf(full, sizeof full, "%s/%s", root, sub);
        struct stat st;
        if (lstat(full, &st)) continue;
        if (S_ISDIR(st.st_mode)) rc = walk(out, root, sub, seed, depth + 1);
        // a link counts when it leads to a regular file (not a FIFO or device, whose read never ends)
        else if ((S_ISREG(st.st_mode) || (S_ISLNK(st.st_mode) && stat(full, &st) == 0 && S_ISREG(st.st_mode))) &&
                 is_midi_name(e->d_name))
            rc = music_filelist_push(out, full, pope_mididir_split(sub, seed));
    }
    closedir(d);
    return rc;
}

static int file_cmp(const void *a, const void *b) {
    return strcmp(((const pope_music_file *)a)->path, ((const pope_music_file *)b)->path);
}

int pope_mididir_list(pope_music_filelist *out, const char *dir, uint64_t seed) {
    memset(out, 0, sizeof *out);
    char root[4096];
    snprintf(root, sizeof root, "%s", dir);
    size_t n = strlen(root);
    while (n > 1 && root[n - 1] == '/') root[--n] = 0;
    int rc = walk(out, root, "", seed, 0);
    if (rc == 0 && out->n == 0) rc = pope_error("%s: no *.mid or *.midi files", dir);
    if (rc) { pope_music_filelist_free(out); return -1; }
    qsort(out->files, out->n, sizeof *out->files, file_cmp);
    return 0;
}

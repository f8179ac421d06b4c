// split_random.c — the Polar PoPE paper's random 90/5/5 split of a list of MIDI files
// (MAESTRO), seeded and independent of where the files are or the order they are listed in.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pope.h"
#include "pope_music.h"

typedef struct { uint64_t h; const char *path; size_t i; } ranked;

static int ranked_cmp(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    if (x->h != y->h) return x->h < y->h ? -1 : 1;
    return strcmp(x->path, y->path);
}

int pope_music_split_random(pope_music_filelist *l, uint64_t seed) {
    ranked *r = malloc((l->n + 1) * sizeof *r);
    if (!r) return pope_error("out of memory");
    for (size_t i = 0; i < l->n; i++) {
        const char *slash = strrchr(l->files[i].path, '/');
        r[i] = (ranked){pope_music_name_hash(slash ? slash + 1 : l->files[i].path, seed), l->files[i].path, i};
    }
    qsort(r, l->n, sizeof *r, ranked_cmp);
    size_t n_train = (size_t)lround(0.90 * (double)l->n), n_valid = (size_t)lround(0.05 * (double)l->n);
    for (size_t k = 0; k < l->n; k++)
        l->files[r[k].i].split = k < n_train ? POPE_SPLIT_TRAIN : k < n_train + n_valid ? POPE_SPLIT_VALID : POPE_SPLIT_TEST;
    free(r);
    return 0;
}

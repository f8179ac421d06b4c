// test_music_split.c — the paper's random 90/5/5 MAESTRO split (pope_music_split_random):
// exact proportions, seeded, the same whatever the folders or the order of the list.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pope.h"
#include "pope_music.h"

static void make_list(pope_music_filelist *l, size_t n, const char *prefix, int reversed) {
    l->n = n;
    l->files = calloc(n, sizeof *l->files);
    for (size_t i = 0; i < n; i++) {
        char path[256];
        size_t k = reversed ? n - 1 - i : i;
        snprintf(path, sizeof path, "%s/%s/piece_%03zu.midi", prefix, k % 3 ? "train" : "test", k);
        l->files[i].path = strdup(path);
        l->files[i].split = POPE_SPLIT_TEST;
    }
}

// The split of the file named piece_NNN.midi in l.
static pope_split split_of(const pope_music_filelist *l, size_t k) {
    char name[64];
    snprintf(name, sizeof name, "/piece_%03zu.midi", k);
    for (size_t i = 0; i < l->n; i++) {
        size_t len = strlen(l->files[i].path), nl = strlen(name);
        if (len >= nl && strcmp(l->files[i].path + len - nl, name) == 0) return l->files[i].split;
    }
    return (pope_split)-1;
}

int main(void) {
    pope_music_filelist a, b, c;
    make_list(&a, 519, "/data/maestro", 0);
    make_list(&b, 519, "elsewhere", 1);   // other folders, listed backwards
    make_list(&c, 519, "/data/maestro", 0);
    CHECK(pope_music_split_random(&a, 1) == 0 && pope_music_split_random(&b, 1) == 0 &&
          pope_music_split_random(&c, 2) == 0, "split: %s", pope_last_error());
    size_t count[3] = {0}, same_b = 0, same_c = 0;
    for (size_t k = 0; k < 519; k++) {
        pope_split s = split_of(&a, k);
        if ((unsigned)s < 3) count[s]++;
        same_b += split_of(&b, k) == s;
        same_c += split_of(&c, k) == s;
    }
    // 519 files: round(467.1) = 467 train, round(25.95) = 26 valid, 26 test.
    CHECK(count[0] == 467 && count[1] == 26 && count[2] == 26, "counts %zu/%zu/%zu, want 467/26/26", count[0],
          count[1], count[2]);
    CHECK(same_b == 519, "the split depends on folders or list order (%zu of 519 agree)", same_b);
    CHECK(same_c < 519, "seed 2 gives the same split as seed 1");
    // The valid and test files of seed 1 are those ranked 467.. by the hash: recompute the
    // ranking independently (selection of the 52 largest hashes).
    size_t bad = 0;
    for (size_t k = 0; k < 519; k++) {
        char name[64];
        snprintf(name, sizeof name, "piece_%03zu.midi", k);
        uint64_t h = pope_music_name_hash(name, 1);
        size_t below = 0;
        for (size_t j = 0; j < 519; j++) {
            char other[64];
            snprintf(other, sizeof other, "piece_%03zu.midi", j);
            below += pope_music_name_hash(other, 1) < h;
        }
        pope_split want = below < 467 ? POPE_SPLIT_TRAIN : below < 493 ? POPE_SPLIT_VALID : POPE_SPLIT_TEST;
        bad += split_of(&a, k) != want;
    }
    CHECK(bad == 0, "%zu files not in the split their hash rank gives", bad);
    pope_music_filelist_free(&a);
    pope_music_filelist_free(&b);
    pope_music_filelist_free(&c);
    return check_summary("test_music_split");
}

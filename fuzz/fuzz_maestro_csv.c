// fuzz_maestro_csv.c — any bytes as a MAESTRO metadata CSV, through pope_maestro_parse_csv
// (what pope_maestro_list and `--data maestro DIR` call). Every listed file must have a
// non-empty path and a known split.
#include "fuzz_util.h"
#include "pope_music.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char path[128];
    fuzz_input(path, sizeof path, "maestro-v3.0.0.csv", data, size);
    pope_music_filelist l = {0};
    if (pope_maestro_parse_csv(&l, path, "/base") != 0) return 0;
    for (size_t i = 0; i < l.n; i++) {
        FUZZ_CHECK(l.files[i].path && l.files[i].path[0], "file %zu: '%s'", i,
                   l.files[i].path ? l.files[i].path : "(null)");
        FUZZ_CHECK(l.files[i].split >= 0 && l.files[i].split < POPE_SPLIT_COUNT, "file %zu: split %d",
                   i, (int)l.files[i].split);
    }
    pope_music_filelist_free(&l);
    return 0;
}

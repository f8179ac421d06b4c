// fuzz_npy.c — any bytes as a token .npy through `pope-music detokenize`'s path:
// pope_npy_read_i32, every detokenizer on the ids as read (out-of-vocabulary ids included, as
// the program passes them), pope_midi_write, and the written file read back (pope writes only
// what pope reads).
#include "fuzz_music.h"
#include "pope_pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char npy[128], mid[128];
    if (!mid[0]) fuzz_path(mid, sizeof mid, "out.mid");
    fuzz_input(npy, sizeof npy, "tokens.npy", data, size);
    int32_t *tok = NULL;
    int64_t n = 0;
    if (pope_npy_read_i32(npy, &tok, &n) != 0) return 0;
    FUZZ_CHECK(n >= 0 && (n == 0 || tok), "npy read gave %lld values", (long long)n);
    for (int t = 0; t < POPE_TOK_COUNT; t++) {
        pope_midi m;
        if (fuzz_detokenize((pope_music_tok)t, tok, (size_t)n, &m, 1) != 0) continue;
        if (pope_midi_write(mid, &m) == 0) {
            pope_midi back;
            FUZZ_CHECK(pope_midi_read(&back, mid) == 0, "%s: pope cannot read the MIDI it wrote: %s",
                       pope_music_tok_name((pope_music_tok)t), pope_last_error());
            fuzz_check_piece(&back, "written and read back");
            pope_midi_free(&back);
        }
        unlink(mid);
        pope_midi_free(&m);
    }
    free(tok);
    return 0;
}

// fuzz_jsb_json.c — any bytes as a JSB JSON file, through what `--data jsb FILE.json` does
// (pipelines/music/data.c): pope_jsb_load, each piece's grid -> jsb tokens, and for the other
// vocabularies the chorale as notes (jsb detokenizer) -> perf and remi tokens.
#include "fuzz_music.h"

static void one_piece(const pope_jsb_piece *p) {
    pope_tokens t = {0};
    if (pope_jsb_tokenize_grid(p->grid, p->n_steps, &t) == 0) {
        for (size_t i = 0; i < t.n; i++)
            FUZZ_CHECK(t.data[i] >= 0 && t.data[i] < POPE_JSB_VOCAB, "jsb token %zu = %d", i, t.data[i]);
        pope_midi m;
        if (fuzz_detokenize(POPE_TOK_JSB, t.data, t.n, &m, 1) == 0) {
            for (int k = POPE_TOK_PERF; k <= POPE_TOK_REMI; k++) {
                pope_tokens o = {0};
                pope_music_tokenize((pope_music_tok)k, &m, &o);
                pope_tokens_free(&o);
            }
            pope_midi_free(&m);
        }
    }
    pope_tokens_free(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char path[128];
    fuzz_input(path, sizeof path, "jsb.json", data, size);
    pope_jsb_data d;
    if (pope_jsb_load(&d, path) != 0) return 0;
    for (int s = 0; s < 3; s++)
        for (size_t i = 0; i < d.n[s]; i++) {
            const pope_jsb_piece *p = &d.pieces[s][i];
            for (size_t k = 0; k < 4 * p->n_steps; k++)
                FUZZ_CHECK(p->grid[k] == -1 || (p->grid[k] >= 0 && p->grid[k] < 128), "grid value %d", p->grid[k]);
            one_piece(p);
        }
    pope_jsb_free(&d);
    return 0;
}

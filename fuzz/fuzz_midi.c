// fuzz_midi.c — a MIDI file through the reader (pope_midi_read_memory: what pope_midi_read,
// `pope-music tokenize` and the MIDI-folder / MAESTRO loaders call), then every tokenizer
// (perf, also with the training loader's time stretch; remi; jsb), the readable token
// names, transposition, and each detokenizer on the tokens just made.
#include "fuzz_music.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    pope_midi m;
    if (pope_midi_read_memory(&m, data, size, "fuzz.mid") != 0) return 0;
    fuzz_check_piece(&m, "midi read");
    for (int t = 0; t < POPE_TOK_COUNT; t++) {
        pope_tokens tk = {0};
        if (pope_music_tokenize((pope_music_tok)t, &m, &tk) == 0) {
            int V = pope_music_vocab_size((pope_music_tok)t);
            char name[64];
            for (size_t i = 0; i < tk.n; i++) {
                FUZZ_CHECK(tk.data[i] >= 0 && tk.data[i] < V, "%s token %zu = %d", pope_music_tok_name((pope_music_tok)t),
                           i, tk.data[i]);
                pope_music_token_str((pope_music_tok)t, tk.data[i], name, sizeof name);
            }
            FUZZ_CHECK(tk.n >= 2 && tk.data[0] == POPE_MUSIC_BOS && tk.data[tk.n - 1] == POPE_MUSIC_EOS,
                       "%s: not BOS ... EOS", pope_music_tok_name((pope_music_tok)t));
            pope_music_transpose((pope_music_tok)t, tk.data, tk.n, 3);
            fuzz_detokenize((pope_music_tok)t, tk.data, tk.n, NULL, 0);
        }
        pope_tokens_free(&tk);
    }
    pope_tokens stretched = {0};
    if (pope_perf_tokenize(&m, 1.05, &stretched) == 0) fuzz_detokenize(POPE_TOK_PERF, stretched.data, stretched.n, NULL, 0);
    pope_tokens_free(&stretched);
    pope_midi_free(&m);
    return 0;
}

// fuzz_music.h — the music harnesses' shared checks: what docs/MUSIC.md promises about any
// piece the reader or a detokenizer returns, and one tokenize -> detokenize pass.
#ifndef POPE_FUZZ_MUSIC_H
#define POPE_FUZZ_MUSIC_H
#include <math.h>

#include "fuzz_util.h"
#include "pope.h"
#include "pope_music.h"

// Every note in range and of positive length, times finite, sorted by (start, pitch).
static inline void fuzz_check_piece(const pope_midi *m, const char *what) {
    FUZZ_CHECK(m->n_tempos >= 1 && m->tempos, "%s: no tempo map", what);
    for (size_t i = 0; i < m->n_notes; i++) {
        const pope_note *n = &m->notes[i];
        FUZZ_CHECK(n->pitch < 128 && n->velocity >= 1 && n->velocity <= 127 && n->channel < 16 && n->program < 128,
                   "%s: note %zu out of range (pitch %d, velocity %d, channel %d, program %d)", what, i, n->pitch,
                   n->velocity, n->channel, n->program);
        FUZZ_CHECK(isfinite(n->start) && isfinite(n->end) && n->start >= 0 && n->end > n->start,
                   "%s: note %zu has times [%g, %g]", what, i, n->start, n->end);
        if (i > 0) {
            const pope_note *p = &m->notes[i - 1];
            FUZZ_CHECK(p->start < n->start || (p->start == n->start && p->pitch <= n->pitch),
                       "%s: notes %zu and %zu out of order", what, i - 1, i);
        }
    }
    FUZZ_CHECK(isfinite(m->duration) && m->duration >= 0, "%s: duration %g", what, m->duration);
}

// Tokens of tokenizer t -> a piece (as `pope-music detokenize` does), checked; the piece is
// returned in *out (caller frees) when keep != 0. Returns the detokenizer's status.
static inline int fuzz_detokenize(pope_music_tok t, const int32_t *tok, size_t n, pope_midi *out, int keep) {
    pope_midi m;
    int rc = pope_music_detokenize(t, tok, n, &m);
    if (rc != 0) return rc;
    fuzz_check_piece(&m, pope_music_tok_name(t));
    if (keep) *out = m;
    else pope_midi_free(&m);
    return 0;
}
#endif  // POPE_FUZZ_MUSIC_H

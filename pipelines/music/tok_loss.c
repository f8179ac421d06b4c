// tok_loss.c — says when tokenizing a MIDI file loses something (notes beyond jsb's four
// voices, REMI played back at 120 qpm, remi-pope's clamped tempos, perf's 10 ms grid when it
// moves a piece's end): the tokens are decoded again and compared with the notes read.
#include <math.h>

#include "music_cli.h"

static const char *why(pope_music_tok tok) {
    switch (tok) {
    case POPE_TOK_JSB: return "jsb holds 4 voices on a 16th-note grid, played back at 120 qpm";
    case POPE_TOK_REMI: return "MidiTok's REMI keeps beats, not the tempo: it plays back at 120 qpm";
    case POPE_TOK_REMI_POPE: return "remi-pope's tempos are 30..216 qpm in steps of 6";
    default: return "the tokenizer's time and velocity grids";
    }
}

int music_report_loss(pope_music_tok tok, const pope_midi *in, const int32_t *t, size_t n, const char *what) {
    pope_midi back;
    if (pope_music_detokenize(tok, t, n, &back) != 0) return -1;
    size_t kept = back.n_notes;
    double d_in = in->duration, d_out = back.duration;
    pope_midi_free(&back);
    int lost = kept < in->n_notes, retimed = fabs(d_out - d_in) > fmax(0.5, 0.02 * d_in);
    if (!lost && !retimed) return 0;
    fprintf(stderr, PROG ": note: %s as %s tokens", what, pope_music_tok_name(tok));
    if (lost) fprintf(stderr, " keeps %zu of %zu notes", kept, in->n_notes);
    if (lost && retimed) fputs(" and", stderr);
    if (retimed) fprintf(stderr, " lasts %.1f s instead of %.1f s", d_out, d_in);
    fprintf(stderr, " (%s)\n", why(tok));
    return 1;
}

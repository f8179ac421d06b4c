// tok_jsb.c — the Polar PoPE paper's JSB setting: czhuang's 16th-note SATB grid serialised
// raster-scan (soprano, alto, tenor, bass of a step, then the next step), silence as its own
// token. Exact rules in docs/MUSIC.md.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pope.h"
#include "pope_music.h"
#include "tokenizers.h"

#define JSB_VELOCITY 80

static int pitch_token(int pitch, int32_t *tok) {
    if (pitch < 0) { *tok = POPE_JSB_SILENCE; return 0; }
    if (pitch < POPE_JSB_MIN_PITCH || pitch > POPE_JSB_MAX_PITCH)
        return pope_error("jsb: pitch %d outside the vocabulary's %d..%d", pitch, POPE_JSB_MIN_PITCH,
                          POPE_JSB_MAX_PITCH);
    *tok = POPE_JSB_PITCH0 + (pitch - POPE_JSB_MIN_PITCH);
    return 0;
}

int pope_jsb_tokenize_grid(const int16_t *grid, size_t n_steps, pope_tokens *out) {
    int rc = pope_tokens_push(out, POPE_MUSIC_BOS);
    for (size_t i = 0; i < n_steps * POPE_JSB_VOICES && rc == 0; i++) {
        int32_t t = POPE_JSB_SILENCE;
        rc = pitch_token(grid[i], &t);
        if (rc == 0) rc = pope_tokens_push(out, t);
    }
    if (rc == 0) rc = pope_tokens_push(out, POPE_MUSIC_EOS);
    if (rc) pope_tokens_free(out);
    return rc;
}

// Any MIDI onto the grid: notes snapped to 16ths of the file's beats (onset and offset
// rounded). When every note is on channels 1-4 (0..3, as jsb_detokenize writes them), the
// channel is the voice (so pope's own files come back exactly, unisons and crossings
// included; a voice with two pitches keeps the higher). Otherwise, at each step the
// distinct sounding pitches, highest first, fill soprano, alto, tenor, bass; more than four
// are dropped, fewer leave the lower voices silent.
//
// One sweep over the steps with a count of sounding notes per (voice, pitch), so the cost is
// O(notes log notes + steps × pitches), not notes × their lengths; the steps are bounded by
// POPE_JSB_MAX_STEPS (a few bytes of MIDI can place a note a million bars away).
typedef struct { long step; int delta; uint8_t pitch, voice; } jsb_edge;

static int jsb_edge_cmp(const void *a, const void *b) {
    const jsb_edge *x = a, *y = b;
    return x->step < y->step ? -1 : x->step > y->step;
}

int jsb_tokenize_midi(const pope_midi *m, pope_tokens *out) {
    double last = 0;
    for (size_t i = 0; i < m->n_notes; i++)
        if (m->notes[i].end_beat * 4 > last) last = m->notes[i].end_beat * 4;
    if (!(last < POPE_JSB_MAX_STEPS + 0.5))
        return pope_error("jsb: piece too long (%.0f 16th steps, at most %d)", last, POPE_JSB_MAX_STEPS);
    long n_steps = lround(last);
    int by_channel = m->n_notes > 0;
    for (size_t i = 0; i < m->n_notes; i++)
        if (m->notes[i].channel >= POPE_JSB_VOICES) by_channel = 0;
    int16_t *grid = malloc(((size_t)n_steps + 1) * POPE_JSB_VOICES * sizeof *grid);
    jsb_edge *edge = malloc((2 * m->n_notes + 1) * sizeof *edge);
    if (!grid || !edge) { free(grid); free(edge); return pope_error("jsb: out of memory"); }
    size_t n_edges = 0;
    for (size_t i = 0; i < m->n_notes; i++) {
        const pope_note *nt = &m->notes[i];
        if (nt->pitch < POPE_JSB_MIN_PITCH || nt->pitch > POPE_JSB_MAX_PITCH) continue;
        long on = lround(nt->start_beat * 4 > 0 ? nt->start_beat * 4 : 0), off = lround(nt->end_beat * 4);
        if (off <= on) off = on + 1;
        uint8_t voice = by_channel ? nt->channel : 0;
        edge[n_edges++] = (jsb_edge){on, 1, nt->pitch, voice};
        edge[n_edges++] = (jsb_edge){off, -1, nt->pitch, voice};
    }
    qsort(edge, n_edges, sizeof *edge, jsb_edge_cmp);
    int count[POPE_JSB_VOICES][128] = {{0}};   // notes sounding per (voice, pitch)
    size_t e = 0;
    for (long s = 0; s < n_steps; s++) {
        for (; e < n_edges && edge[e].step <= s; e++) count[edge[e].voice][edge[e].pitch] += edge[e].delta;
        int16_t *cell = grid + s * POPE_JSB_VOICES;
        for (int v = 0; v < POPE_JSB_VOICES; v++) cell[v] = -1;
        if (by_channel) {   // each voice's highest sounding pitch
            for (int v = 0; v < POPE_JSB_VOICES; v++)
                for (int q = POPE_JSB_MAX_PITCH; q >= POPE_JSB_MIN_PITCH; q--)
                    if (count[v][q] > 0) { cell[v] = (int16_t)q; break; }
        } else {            // the four highest sounding pitches
            int v = 0;
            for (int q = POPE_JSB_MAX_PITCH; q >= POPE_JSB_MIN_PITCH && v < POPE_JSB_VOICES; q--)
                if (count[0][q] > 0) cell[v++] = (int16_t)q;
        }
    }
    free(edge);
    int rc = pope_jsb_tokenize_grid(grid, (size_t)n_steps, out);
    free(grid);
    return rc;
}

// Tokens -> grid -> notes at 120 qpm (a 16th = 0.125 s). A voice's pitch repeated on
// consecutive steps is one held note (the grid does not mark re-articulation). Voice v
// plays on channel v so that unisons stay two notes.
static int jsb_note(pope_midi *out, int voice, int pitch, long from, long to) {
    pope_note nt = {.start = from * POPE_JSB_STEP_SECONDS, .end = to * POPE_JSB_STEP_SECONDS,
                    .start_beat = from / 4.0, .end_beat = to / 4.0,
                    .pitch = (uint8_t)pitch, .velocity = JSB_VELOCITY, .channel = (uint8_t)voice};
    return pope_midi_add_note(out, nt);
}

int jsb_detokenize(const int32_t *tok, size_t n, pope_midi *out) {
    pope_midi_init(out);
    if (!out->tempos) return pope_error("jsb: out of memory");
    int held[POPE_JSB_VOICES], rc = 0;   // the pitch each voice sounds, -1 = silent
    long since[POPE_JSB_VOICES] = {0};
    for (int v = 0; v < POPE_JSB_VOICES; v++) held[v] = -1;
    long k = 0;   // grid cell of the next pitch/silence token: step k / 4, voice k % 4
    for (size_t i = 0; i < n && rc == 0; i++) {
        int32_t t = tok[i];
        if (t == POPE_MUSIC_EOS) break;
        int pitch = pope_jsb_token_pitch(t);
        if (pitch == -2) continue;   // BOS, PAD, out of range
        int v = (int)(k % POPE_JSB_VOICES);
        long step = k / POPE_JSB_VOICES;
        k++;
        if (held[v] == pitch) continue;   // same pitch on the next step: held
        if (held[v] >= 0) rc = jsb_note(out, v, held[v], since[v], step);
        held[v] = pitch;
        since[v] = step;
    }
    // Every voice ends with the last (possibly incomplete) step.
    long end_step = (k + POPE_JSB_VOICES - 1) / POPE_JSB_VOICES;
    for (int v = 0; v < POPE_JSB_VOICES && rc == 0; v++)
        if (held[v] >= 0) rc = jsb_note(out, v, held[v], since[v], end_step);
    if (rc) { pope_midi_free(out); return -1; }
    pope_midi_sort(out);
    return 0;
}

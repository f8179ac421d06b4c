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
    return rc;
}

// Any MIDI onto the grid: notes snapped to 16ths of the file's beats (onset and offset
// rounded). When every note is on channels 1-4 (0..3, as jsb_detokenize writes them), the
// channel is the voice (so pope's own files come back exactly, unisons and crossings
// included; a voice with two pitches keeps the higher). Otherwise, at each step the
// distinct sounding pitches, highest first, fill soprano, alto, tenor, bass; more than four
// are dropped, fewer leave the lower voices silent.
int jsb_tokenize_midi(const pope_midi *m, pope_tokens *out) {
    long n_steps = 0;
    for (size_t i = 0; i < m->n_notes; i++) {
        long off = lround(m->notes[i].end_beat * 4);
        if (off > n_steps) n_steps = off;
    }
    if (n_steps > 10000000) return pope_error("jsb: piece too long (%ld 16th steps)", n_steps);
    int16_t *grid = malloc(((size_t)n_steps + 1) * POPE_JSB_VOICES * sizeof *grid);
    uint32_t *sounding = calloc(((size_t)n_steps + 1) * 4, sizeof *sounding);   // 128-bit set per step
    if (!grid || !sounding) { free(grid); free(sounding); return pope_error("jsb: out of memory"); }
    for (size_t i = 0; i < m->n_notes; i++) {
        const pope_note *nt = &m->notes[i];
        if (nt->pitch < POPE_JSB_MIN_PITCH || nt->pitch > POPE_JSB_MAX_PITCH) continue;
        long on = lround(nt->start_beat * 4), off = lround(nt->end_beat * 4);
        if (on < 0) on = 0;
        if (off <= on) off = on + 1;
        for (long s = on; s < off && s < n_steps; s++) sounding[s * 4 + nt->pitch / 32] |= 1u << (nt->pitch % 32);
    }
    int by_channel = m->n_notes > 0;
    for (size_t i = 0; i < m->n_notes; i++)
        if (m->notes[i].channel >= POPE_JSB_VOICES) by_channel = 0;
    for (long s = 0; s < n_steps; s++) {
        int v = 0;
        for (int q = 127; q >= 0 && v < POPE_JSB_VOICES; q--)   // highest first
            if (sounding[s * 4 + q / 32] & (1u << (q % 32))) grid[s * POPE_JSB_VOICES + v++] = (int16_t)q;
        for (; v < POPE_JSB_VOICES; v++) grid[s * POPE_JSB_VOICES + v] = -1;
    }
    if (by_channel) {
        for (size_t k = 0; k < (size_t)n_steps * POPE_JSB_VOICES; k++) grid[k] = -1;
        for (size_t i = 0; i < m->n_notes; i++) {
            const pope_note *nt = &m->notes[i];
            if (nt->pitch < POPE_JSB_MIN_PITCH || nt->pitch > POPE_JSB_MAX_PITCH) continue;
            long on = lround(nt->start_beat * 4), off = lround(nt->end_beat * 4);
            if (on < 0) on = 0;
            if (off <= on) off = on + 1;
            for (long s = on; s < off && s < n_steps; s++) {
                int16_t *cell = &grid[s * POPE_JSB_VOICES + nt->channel];
                if (*cell < nt->pitch) *cell = nt->pitch;
            }
        }
    }
    int rc = pope_jsb_tokenize_grid(grid, (size_t)n_steps, out);
    free(grid);
    free(sounding);
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
        int pitch;
        if (t == POPE_JSB_SILENCE) pitch = -1;
        else if (t >= POPE_JSB_PITCH0 && t < POPE_JSB_VOCAB) pitch = t - POPE_JSB_PITCH0 + POPE_JSB_MIN_PITCH;
        else continue;   // BOS, PAD, out of range
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

// tok_remi.c — REMI (Huang & Yang 2020, "Pop Music Transformer"): Bar, Position (16 per 4/4
// bar), Tempo (32 classes), Pitch, Velocity (32 bins), Duration (1..64 sixteenths), on the
// file's own beat grid (its tempo map). No chord tokens. Exact rules in docs/MUSIC.md.
#include <math.h>
#include <stdlib.h>

#include "pope.h"
#include "pope_music.h"
#include "tokenizers.h"

#define STEPS_PER_BAR 16      // 16th notes in a 4/4 bar
#define MAX_DURATION 64       // 4 bars
#define TEMPO_MIN 30.0        // class k = 30 + 6 k qpm, k = 0..31 (120 qpm is class 15)
#define TEMPO_STEP 6.0
#define DEFAULT_VELOCITY 64
#define MAX_BARS 1000000      // ~ 33 hours at 120 qpm: beyond it a file is broken

int pope_remi_tempo_class(double qpm) {
    long k = lround((qpm - TEMPO_MIN) / TEMPO_STEP);
    return k < 0 ? 0 : k > 31 ? 31 : (int)k;
}
double pope_remi_class_tempo(int cls) { return TEMPO_MIN + TEMPO_STEP * cls; }

typedef struct { long onset; int duration, pitch, velocity; } remi_note;   // in 16ths

static int remi_note_cmp(const void *a, const void *b) {
    const remi_note *x = a, *y = b;
    if (x->onset != y->onset) return x->onset < y->onset ? -1 : 1;
    if (x->pitch != y->pitch) return x->pitch - y->pitch;
    return x->duration - y->duration;
}

// The tempo in force at a beat, for beats asked in increasing order: *at is the index of the
// tempo found last time, so the bars walk the tempo map once (bars × tempos made a 32 KB
// file take seconds).
static double qpm_at_beat(const pope_midi *m, double beat, size_t *at) {
    if (!m->n_tempos) return 120;
    while (*at + 1 < m->n_tempos && m->tempos[*at + 1].beat <= beat + 1e-9) ++*at;
    return m->tempos[*at].qpm;
}

int remi_tokenize(const pope_midi *m, pope_tokens *out) {
    remi_note *notes = malloc((m->n_notes + 1) * sizeof *notes);
    if (!notes) return pope_error("remi: out of memory");
    for (size_t i = 0; i < m->n_notes; i++) {
        double on_beat = m->notes[i].start_beat, off_beat = m->notes[i].end_beat;
        if (!(off_beat < 4.0 * MAX_BARS + 64)) off_beat = 4.0 * MAX_BARS + 64;   // checked below
        if (!(on_beat < 4.0 * MAX_BARS + 64)) on_beat = 4.0 * MAX_BARS + 64;
        long on = lround(on_beat * 4), off = lround(off_beat * 4);
        if (on < 0) on = 0;
        long d = off - on;
        notes[i] = (remi_note){on, d < 1 ? 1 : d > MAX_DURATION ? MAX_DURATION : (int)d,
                               m->notes[i].pitch & 127, m->notes[i].velocity};
    }
    qsort(notes, m->n_notes, sizeof *notes, remi_note_cmp);
    long n_bars = m->n_notes ? notes[m->n_notes - 1].onset / STEPS_PER_BAR + 1 : 0;
    if (n_bars > MAX_BARS) {
        free(notes);
        return pope_error("remi: %ld bars (more than %d): not a piece", n_bars, MAX_BARS);
    }
    int rc = pope_tokens_push(out, POPE_MUSIC_BOS);
    int last_tempo = -1;
    size_t i = 0, tempo_at = 0;
    for (long bar = 0; bar < n_bars && rc == 0; bar++) {
        rc = pope_tokens_push(out, POPE_REMI_BAR);
        int tempo = pope_remi_tempo_class(qpm_at_beat(m, 4.0 * bar, &tempo_at));
        if (rc == 0 && tempo != last_tempo) {
            rc = pope_tokens_push(out, POPE_REMI_TEMPO + tempo);
            last_tempo = tempo;
        }
        long last_pos = -1;
        for (; i < m->n_notes && notes[i].onset / STEPS_PER_BAR == bar && rc == 0; i++) {
            long pos = notes[i].onset % STEPS_PER_BAR;
            if (pos != last_pos) {
                rc = pope_tokens_push(out, POPE_REMI_POSITION + (int32_t)pos);
                last_pos = pos;
            }
            if (rc == 0) rc = pope_tokens_push(out, POPE_REMI_PITCH + notes[i].pitch);
            if (rc == 0) rc = pope_tokens_push(out, POPE_REMI_VELOCITY + pope_perf_velocity_bin(notes[i].velocity));
            if (rc == 0) rc = pope_tokens_push(out, POPE_REMI_DURATION + notes[i].duration - 1);
        }
    }
    if (rc == 0) rc = pope_tokens_push(out, POPE_MUSIC_EOS);
    free(notes);
    return rc;
}

int remi_detokenize(const int32_t *tok, size_t n, pope_midi *out) {
    pope_midi_init(out);
    if (!out->tempos) return pope_error("remi: out of memory");
    // Pass 1: the tempo map in beats (a Tempo token applies from the start of its bar).
    long bar = -1;
    size_t cap = 8;
    pope_tempo *tempos = malloc(cap * sizeof *tempos);
    if (!tempos) { pope_midi_free(out); return pope_error("remi: out of memory"); }
    size_t n_tempos = 1;
    tempos[0] = (pope_tempo){0, 0, 120};
    for (size_t i = 0; i < n; i++) {
        int32_t t = tok[i];
        if (t == POPE_MUSIC_EOS) break;
        if (t == POPE_REMI_BAR) bar++;
        if (t < POPE_REMI_TEMPO || t >= POPE_REMI_PITCH) continue;
        double beat = 4.0 * (bar < 0 ? 0 : bar), qpm = pope_remi_class_tempo(t - POPE_REMI_TEMPO);
        if (tempos[n_tempos - 1].beat == beat) { tempos[n_tempos - 1].qpm = qpm; continue; }
        if (tempos[n_tempos - 1].qpm == qpm) continue;
        if (n_tempos == cap) {
            pope_tempo *p = realloc(tempos, 2 * cap * sizeof *p);
            if (!p) { free(tempos); pope_midi_free(out); return pope_error("remi: out of memory"); }
            tempos = p;
            cap *= 2;
        }
        tempos[n_tempos++] = (pope_tempo){0, beat, qpm};
    }
    for (size_t k = 1; k < n_tempos; k++)
        tempos[k].time = tempos[k - 1].time + (tempos[k].beat - tempos[k - 1].beat) * 60.0 / tempos[k - 1].qpm;
    free(out->tempos);
    out->tempos = tempos;
    out->n_tempos = n_tempos;
    // Pass 2: notes. A note is Pitch [Velocity] Duration; an incomplete one is dropped.
    bar = -1;
    int pos = 0, pitch = -1, velocity = DEFAULT_VELOCITY, rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        int32_t t = tok[i];
        if (t == POPE_MUSIC_EOS) break;
        if (t == POPE_REMI_BAR) { bar++; pos = 0; pitch = -1; }
        else if (t >= POPE_REMI_POSITION && t < POPE_REMI_TEMPO) { pos = t - POPE_REMI_POSITION; pitch = -1; }
        else if (t >= POPE_REMI_PITCH && t < POPE_REMI_VELOCITY) { pitch = t - POPE_REMI_PITCH; velocity = DEFAULT_VELOCITY; }
        else if (t >= POPE_REMI_VELOCITY && t < POPE_REMI_DURATION) velocity = pope_perf_bin_velocity(t - POPE_REMI_VELOCITY);
        else if (t >= POPE_REMI_DURATION && t < POPE_REMI_VOCAB && pitch >= 0) {
            double start = ((bar < 0 ? 0 : bar) * STEPS_PER_BAR + pos) / 4.0;
            double end = start + (t - POPE_REMI_DURATION + 1) / 4.0;
            pope_note nt = {.start = pope_midi_beats_to_seconds(out, start),
                            .end = pope_midi_beats_to_seconds(out, end),
                            .start_beat = start, .end_beat = end,
                            .pitch = (uint8_t)pitch, .velocity = (uint8_t)velocity};
            rc = pope_midi_add_note(out, nt);
            pitch = -1;
        }
    }
    if (rc) { pope_midi_free(out); return -1; }
    pope_midi_sort(out);
    return 0;
}

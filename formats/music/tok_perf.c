// tok_perf.c — the Music Transformer / Magenta performance encoding (Oore et al. 2018):
// NOTE_ON(pitch), NOTE_OFF(pitch), TIME_SHIFT(10 ms .. 1 s), VELOCITY(32 bins), on a
// 10 ms grid. Exact rules in docs/MUSIC.md.
#include <math.h>
#include <stdlib.h>

#include "pope.h"
#include "pope_music.h"
#include "tokenizers.h"

#define STEPS_PER_SECOND 100
#define MAX_SHIFT 100
#define DEFAULT_VELOCITY 64   // before the first VELOCITY token
#define MAX_SECONDS 86400.0   // a day: beyond it a file is broken, and its TIME_SHIFTs would not fit

typedef struct { long step; int is_on; int pitch; int velocity; } perf_event;

static int perf_event_cmp(const void *a, const void *b) {
    const perf_event *x = a, *y = b;
    if (x->step != y->step) return x->step < y->step ? -1 : 1;
    if (x->is_on != y->is_on) return x->is_on - y->is_on;   // note-offs first
    if (x->pitch != y->pitch) return x->pitch - y->pitch;
    return x->velocity - y->velocity;
}

int pope_perf_tokenize(const pope_midi *m, double time_scale, pope_tokens *out) {
    perf_event *ev = malloc((2 * m->n_notes + 1) * sizeof *ev);
    if (!ev) return pope_error("perf: out of memory");
    size_t n = 0;
    for (size_t i = 0; i < m->n_notes; i++) {
        const pope_note *nt = &m->notes[i];
        if (!(nt->end * time_scale <= MAX_SECONDS)) {
            free(ev);
            return pope_error("perf: a note ends after %.0f s (more than a day): not a piece", nt->end * time_scale);
        }
        long on = lround(nt->start * time_scale * STEPS_PER_SECOND);
        long off = lround(nt->end * time_scale * STEPS_PER_SECOND);
        if (on < 0) on = 0;
        if (off <= on) off = on + 1;   // a note keeps at least one step
        ev[n++] = (perf_event){on, 1, nt->pitch & 127, nt->velocity};
        ev[n++] = (perf_event){off, 0, nt->pitch & 127, 0};
    }
    qsort(ev, n, sizeof *ev, perf_event_cmp);
    int rc = pope_tokens_push(out, POPE_MUSIC_BOS);
    long cur = 0;
    int cur_bin = -1;
    for (size_t i = 0; i < n && rc == 0; i++) {
        while (rc == 0 && ev[i].step > cur) {
            long shift = ev[i].step - cur < MAX_SHIFT ? ev[i].step - cur : MAX_SHIFT;
            rc = pope_tokens_push(out, POPE_PERF_TIME_SHIFT + (int32_t)shift - 1);
            cur += shift;
        }
        if (rc) break;
        if (ev[i].is_on) {
            int bin = pope_perf_velocity_bin(ev[i].velocity);
            if (bin != cur_bin) {
                rc = pope_tokens_push(out, POPE_PERF_VELOCITY + bin);
                cur_bin = bin;
            }
            if (rc == 0) rc = pope_tokens_push(out, POPE_PERF_NOTE_ON + ev[i].pitch);
        } else {
            rc = pope_tokens_push(out, POPE_PERF_NOTE_OFF + ev[i].pitch);
        }
    }
    if (rc == 0) rc = pope_tokens_push(out, POPE_MUSIC_EOS);
    free(ev);
    if (rc) pope_tokens_free(out);
    return rc;
}

// Ends the sounding note at `time`; a note that would have no length is dropped.
static int end_note(pope_midi *out, pope_note *sounding, double time) {
    if (time <= sounding->start) return 0;
    sounding->end = time;
    sounding->start_beat = sounding->end_beat = -1;
    return pope_midi_add_note(out, *sounding);
}

int perf_detokenize(const int32_t *tok, size_t n, pope_midi *out) {
    pope_midi_init(out);
    if (!out->tempos) return pope_error("perf: out of memory");
    pope_note sounding[128];
    int is_sounding[128] = {0};
    long step = 0;
    int velocity = DEFAULT_VELOCITY, rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        int32_t t = tok[i];
        if (t == POPE_MUSIC_EOS) break;
        double now = (double)step / STEPS_PER_SECOND;
        if (t >= POPE_PERF_NOTE_ON && t < POPE_PERF_NOTE_OFF) {
            int p = t - POPE_PERF_NOTE_ON;
            if (is_sounding[p]) rc = end_note(out, &sounding[p], now);   // re-strike
            sounding[p] = (pope_note){.start = now, .pitch = (uint8_t)p, .velocity = (uint8_t)velocity};
            is_sounding[p] = 1;
        } else if (t >= POPE_PERF_NOTE_OFF && t < POPE_PERF_TIME_SHIFT) {
            int p = t - POPE_PERF_NOTE_OFF;
            if (is_sounding[p]) rc = end_note(out, &sounding[p], now);
            is_sounding[p] = 0;
        } else if (t >= POPE_PERF_TIME_SHIFT && t < POPE_PERF_VELOCITY) {
            step += t - POPE_PERF_TIME_SHIFT + 1;
        } else if (t >= POPE_PERF_VELOCITY && t < POPE_PERF_VOCAB) {
            velocity = pope_perf_bin_velocity(t - POPE_PERF_VELOCITY);
        }   // BOS, PAD and out-of-range ids are ignored
    }
    // Notes never released end where the tokens end.
    double end = (double)step / STEPS_PER_SECOND;
    for (int p = 0; p < 128 && rc == 0; p++)
        if (is_sounding[p]) rc = end_note(out, &sounding[p], end);
    if (rc) { pope_midi_free(out); return -1; }
    pope_midi_sort(out);
    return 0;
}

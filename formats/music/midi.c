// midi.c — the in-memory piece (pope_midi): notes with seconds and beats, and its tempo map.
#include <stdlib.h>
#include <string.h>

#include "pope.h"
#include "pope_music.h"

void pope_midi_init(pope_midi *m) {
    memset(m, 0, sizeof *m);
    m->tempos = malloc(sizeof *m->tempos);
    if (m->tempos) {
        m->tempos[0] = (pope_tempo){.time = 0, .beat = 0, .qpm = 120};
        m->n_tempos = 1;
    }
}

void pope_midi_free(pope_midi *m) {
    if (!m) return;
    free(m->notes);
    free(m->tempos);
    memset(m, 0, sizeof *m);
}

// The last tempo starting at or before x (in seconds or in beats; tempos[0] when none does).
// A binary search: the tempo map is sorted, and a remi .npy can give it 10^5 entries, which a
// scan per note made quadratic.
static const pope_tempo *tempo_at(const pope_midi *m, double x, int by_beat) {
    size_t lo = 0, hi = m->n_tempos;   // tempos[lo] starts at or before x; tempos[hi] after it
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if ((by_beat ? m->tempos[mid].beat : m->tempos[mid].time) <= x) lo = mid;
        else hi = mid;
    }
    return &m->tempos[lo];
}

double pope_midi_seconds_to_beats(const pope_midi *m, double seconds) {
    if (m->n_tempos == 0) return seconds * 2.0;  // 120 qpm
    const pope_tempo *t = tempo_at(m, seconds, 0);
    return t->beat + (seconds - t->time) * t->qpm / 60.0;
}

double pope_midi_beats_to_seconds(const pope_midi *m, double beats) {
    if (m->n_tempos == 0) return beats * 0.5;
    const pope_tempo *t = tempo_at(m, beats, 1);
    return t->time + (beats - t->beat) * 60.0 / t->qpm;
}

int pope_midi_add_note(pope_midi *m, pope_note note) {
    // The capacity is implicit: 64, then doubled each time n_notes reaches a power of two.
    size_t n = m->n_notes;
    if (n == 0 || (n >= 64 && (n & (n - 1)) == 0)) {
        size_t cap = n ? 2 * n : 64;
        pope_note *p = realloc(m->notes, cap * sizeof *p);
        if (!p) return pope_error("midi: out of memory for %zu notes", cap);
        m->notes = p;
    }
    if (note.start_beat < 0) note.start_beat = pope_midi_seconds_to_beats(m, note.start);
    if (note.end_beat < 0) note.end_beat = pope_midi_seconds_to_beats(m, note.end);
    m->notes[m->n_notes++] = note;
    if (note.end > m->duration) m->duration = note.end;
    return 0;
}

static int note_cmp(const void *a, const void *b) {
    const pope_note *x = a, *y = b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    if (x->pitch != y->pitch) return x->pitch < y->pitch ? -1 : 1;
    if (x->channel != y->channel) return x->channel < y->channel ? -1 : 1;
    return (x->end > y->end) - (x->end < y->end);
}

void pope_midi_sort(pope_midi *m) {
    if (m->n_notes > 1) qsort(m->notes, m->n_notes, sizeof *m->notes, note_cmp);
}

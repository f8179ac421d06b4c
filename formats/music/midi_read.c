// midi_read.c — Standard MIDI File -> pope_midi (notes in seconds and beats, tempo map).
//
// The bytes are checked first (midi_validate.c: everything libsmf would abort on or misread)
// for clear messages on non-MIDI, truncated and hostile files, then libsmf parses them
// (running status, tempo map, merging the tracks in time order). Note pairing and the sustain
// pedal are ours: docs/MUSIC.md.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <smf.h>

#include "pope.h"
#include "pope_music.h"
#include "smf_util.h"

#define DRUM_CHANNEL 9   // MIDI channel 10
#define MAX_FILE_BYTES (256u << 20)

// ---------------------------------------------------------------- sustain (Magenta's rule)
// Event kinds in the order Magenta sorts them at equal times.
enum { EV_SUS_ON = 0, EV_SUS_OFF = 1, EV_NOTE_ON = 2, EV_NOTE_OFF = 3 };
typedef struct { double time, beat; int kind, channel, note; } sus_event;

static int sus_event_cmp(const void *a, const void *b) {
    const sus_event *x = a, *y = b;
    if (x->time != y->time) return x->time < y->time ? -1 : 1;
    if (x->kind != y->kind) return x->kind - y->kind;
    return x->note - y->note;   // keeps the sort deterministic (qsort is not stable)
}

typedef struct { int *idx; int n, cap; } int_list;
static int int_list_push(int_list *l, int v) {
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        int *p = realloc(l->idx, (size_t)cap * sizeof *p);
        if (!p) return -1;
        l->idx = p;
        l->cap = cap;
    }
    l->idx[l->n++] = v;
    return 0;
}

// notes: raw notes (pedal ignored). pedal: the CC64 events as sus_event (kind, time, channel).
// Extends note ends as magenta.music.sequences_lib.apply_sustain_control_changes; removed
// notes get end = start (dropped by the caller).
static int apply_sustain(pope_note *notes, size_t n_notes, const sus_event *pedal, size_t n_pedal,
                         double *max_time) {
    size_t n_ev = n_pedal + 2 * n_notes;
    sus_event *ev = malloc((n_ev ? n_ev : 1) * sizeof *ev);
    if (!ev) return pope_error("midi: out of memory");
    size_t k = 0;
    for (size_t i = 0; i < n_pedal; i++) ev[k++] = pedal[i];
    for (size_t i = 0; i < n_notes; i++) {
        ev[k++] = (sus_event){notes[i].start, notes[i].start_beat, EV_NOTE_ON, notes[i].channel, (int)i};
        ev[k++] = (sus_event){notes[i].end, notes[i].end_beat, EV_NOTE_OFF, notes[i].channel, (int)i};
    }
    qsort(ev, n_ev, sizeof *ev, sus_event_cmp);
    int_list active[16] = {{0}};
    int sus_down[16] = {0};
    double max_beat = 0;
    for (size_t i = 0; i < n_notes; i++)
        if (notes[i].end_beat > max_beat) max_beat = notes[i].end_beat;
    int rc = 0;
    for (size_t e = 0; e < n_ev && rc == 0; e++) {
        const sus_event *x = &ev[e];
        int_list *act = &active[x->channel];
        if (x->kind == EV_SUS_ON) {
            sus_down[x->channel] = 1;
        } else if (x->kind == EV_SUS_OFF) {
            sus_down[x->channel] = 0;
            int keep = 0;
            for (int j = 0; j < act->n; j++) {
                pope_note *nt = &notes[act->idx[j]];
                if (nt->end < x->time) {   // held only by the pedal: ends now
                    nt->end = x->time;
                    nt->end_beat = x->beat;
                    if (x->time > *max_time) { *max_time = x->time; max_beat = x->beat; }
                } else {
                    act->idx[keep++] = act->idx[j];
                }
            }
            act->n = keep;
        } else if (x->kind == EV_NOTE_ON) {
            if (sus_down[x->channel]) {   // a re-strike ends the sustained note of that pitch
                int keep = 0;
                for (int j = 0; j < act->n; j++) {
                    pope_note *nt = &notes[act->idx[j]];
                    if (nt->pitch == notes[x->note].pitch) {
                        nt->end = x->time;
                        nt->end_beat = x->beat;
                    } else {
                        act->idx[keep++] = act->idx[j];
                    }
                }
                act->n = keep;
            }
            if (int_list_push(act, x->note)) rc = pope_error("midi: out of memory");
        } else if (!sus_down[x->channel]) {   // note-off without pedal: no longer active
            for (int j = 0; j < act->n; j++)
                if (act->idx[j] == x->note) {
                    memmove(act->idx + j, act->idx + j + 1, (size_t)(act->n - j - 1) * sizeof(int));
                    act->n--;
                    break;
                }
        }
    }
    // Notes still held by a pedal that never came up last until the end of the piece.
    for (int c = 0; c < 16; c++) {
        for (int j = 0; j < active[c].n; j++) {
            pope_note *nt = &notes[active[c].idx[j]];
            if (nt->end < *max_time) { nt->end = *max_time; nt->end_beat = max_beat; }
        }
        free(active[c].idx);
    }
    free(ev);
    return rc;
}

// ---------------------------------------------------------------- events -> notes
// Raw notes, and per note its onset tick and the next open note of its (channel, pitch).
typedef struct {
    pope_note *notes; size_t n, cap;
    int64_t *tick; int *next;
    sus_event *pedal; size_t n_pedal, cap_pedal;
} raw_notes;

static int raw_push_note(raw_notes *r, pope_note nt, int64_t tick) {
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 256;
        pope_note *p = realloc(r->notes, cap * sizeof *p);
        if (p) r->notes = p;
        int64_t *t = p ? realloc(r->tick, cap * sizeof *t) : NULL;
        if (t) r->tick = t;
        int *x = t ? realloc(r->next, cap * sizeof *x) : NULL;
        if (!x) return pope_error("midi: out of memory");
        r->next = x;
        r->cap = cap;
    }
    r->tick[r->n] = tick;
    r->next[r->n] = -1;
    r->notes[r->n++] = nt;
    return 0;
}
static int raw_push_pedal(raw_notes *r, sus_event e) {
    if (r->n_pedal == r->cap_pedal) {
        size_t cap = r->cap_pedal ? 2 * r->cap_pedal : 256;
        sus_event *p = realloc(r->pedal, cap * sizeof *p);
        if (!p) return pope_error("midi: out of memory");
        r->pedal = p;
        r->cap_pedal = cap;
    }
    r->pedal[r->n_pedal++] = e;
    return 0;
}

static int read_tempo_map(smf_t *smf, pope_midi *out) {
    size_t cap = 8, n = 0;
    pope_tempo *t = malloc(cap * sizeof *t);
    if (!t) return pope_error("midi: out of memory");
    t[n++] = (pope_tempo){0, 0, 120};
    smf_tempo_t *st;
    for (int i = 0; (st = smf_get_tempo_by_number(smf, i)) != NULL; i++) {
        if (st->microseconds_per_quarter_note <= 0) continue;
        pope_tempo x = {st->time_seconds, (double)st->time_pulses / smf->ppqn,
                        60e6 / st->microseconds_per_quarter_note};
        if (x.time <= 0) { t[0] = x; t[0].time = 0; t[0].beat = 0; continue; }
        if (x.qpm == t[n - 1].qpm) continue;   // a time-signature change repeats the tempo
        if (x.time == t[n - 1].time) { t[n - 1] = x; continue; }
        if (n == cap) {
            cap *= 2;
            pope_tempo *p = realloc(t, cap * sizeof *p);
            if (!p) { free(t); return pope_error("midi: out of memory"); }
            t = p;
        }
        t[n++] = x;
    }
    free(out->tempos);
    out->tempos = t;
    out->n_tempos = n;
    return 0;
}

// The open (sounding) notes of one (channel, pitch), oldest first: a queue threaded through
// raw_notes.next. Onset ticks never decrease along it (events come in time order).
typedef struct { int head, tail; } open_queue;

// pretty_midi's pairing (PrettyMIDI._load_instruments): a note-off at tick T ends every open
// note that started before T (first in, first out) and leaves those started at T sounding;
// when all open notes started at T, they are dropped (a note-on and its note-off on one tick).
// So a note-on written before the previous note's note-off on the same tick (notation
// exports) starts a note instead of losing it. Amortised O(1): each note leaves the queue once.
// symusic's pairing (what MidiTok reads) is strictly first in, first out: a note-off ends the
// oldest open note, whatever its tick (a note-on and its note-off on one tick make a note of
// length zero).
static void note_off(raw_notes *r, open_queue *q, int64_t tick, double t, double beat, int symusic) {
    if (symusic) {
        if (q->head < 0) return;
        r->notes[q->head].end = t;
        r->notes[q->head].end_beat = beat;
        q->head = r->next[q->head];
        if (q->head < 0) q->tail = -1;
        return;
    }
    int closed = 0;
    while (q->head >= 0 && r->tick[q->head] < tick) {
        pope_note *nt = &r->notes[q->head];
        nt->end = t;
        nt->end_beat = beat;
        q->head = r->next[q->head];
        closed = 1;
    }
    if (closed) {
        if (q->head < 0) q->tail = -1;
        return;
    }
    for (int i = q->head; i >= 0; i = r->next[i]) {   // all started at T: dropped
        r->notes[i].end = r->notes[i].start;
        r->notes[i].end_beat = r->notes[i].start_beat;
    }
    q->head = q->tail = -1;
}

static int notes_from_events(smf_t *smf, pope_midi *out, const char *name, int flags) {
    int sustain = !(flags & POPE_MIDI_NO_SUSTAIN), symusic = flags & POPE_MIDI_SYMUSIC;
    raw_notes r = {0};
    open_queue open[16][128];
    for (int c = 0; c < 16; c++)
        for (int p = 0; p < 128; p++) open[c][p] = (open_queue){-1, -1};
    uint8_t program[16] = {0};
    double last_time = 0, last_beat = 0;
    int rc = 0;
    smf_rewind(smf);
    smf_event_t *ev;
    while (rc == 0 && (ev = smf_get_next_event(smf)) != NULL) {
        if (ev->time_seconds > last_time) { last_time = ev->time_seconds; last_beat = (double)ev->time_pulses / smf->ppqn; }
        if (smf_event_is_metadata(ev) || ev->midi_buffer_length < 2) continue;
        const uint8_t *b = ev->midi_buffer;
        int status = b[0] & 0xF0, ch = b[0] & 0x0F;
        if (b[0] >= 0xF0 || ch == DRUM_CHANNEL) continue;
        double t = ev->time_seconds, beat = (double)ev->time_pulses / smf->ppqn;
        if (status == 0xC0) {
            program[ch] = b[1] & 0x7F;
        } else if (status == 0xB0 && b[1] == 64 && ev->midi_buffer_length >= 3) {
            if (sustain) rc = raw_push_pedal(&r, (sus_event){t, beat, b[2] >= 64 ? EV_SUS_ON : EV_SUS_OFF, ch, 0});
        } else if ((status == 0x90 || status == 0x80) && ev->midi_buffer_length >= 3) {
            int pitch = b[1] & 0x7F, vel = b[2] & 0x7F;
            open_queue *q = &open[ch][pitch];
            if (status == 0x90 && vel > 0) {
                rc = raw_push_note(&r, (pope_note){t, -1, beat, -1, (uint8_t)pitch, (uint8_t)vel,
                                                   (uint8_t)ch, program[ch], (uint32_t)r.n}, ev->time_pulses);
                int i = (int)r.n - 1;
                if (rc == 0 && q->tail >= 0) r.next[q->tail] = i;
                if (rc == 0 && q->head < 0) q->head = i;
                if (rc == 0) q->tail = i;
            } else {
                note_off(&r, q, ev->time_pulses, t, beat, symusic);
            }
        }
    }
    size_t kept = 0;
    if (rc == 0) {
        // A note never released ends with the file (its last event; symusic drops it);
        // zero-length notes go before the pedal is applied (pretty_midi never makes them, so
        // Magenta never sees them; symusic keeps them).
        for (size_t i = 0; i < r.n; i++) {
            if (r.notes[i].end < 0 && symusic) continue;
            if (r.notes[i].end < 0) { r.notes[i].end = last_time; r.notes[i].end_beat = last_beat; }
            if (r.notes[i].end > r.notes[i].start || symusic) r.notes[kept++] = r.notes[i];
        }
        double max_time = 0;
        for (size_t i = 0; i < kept; i++)
            if (r.notes[i].end > max_time) max_time = r.notes[i].end;
        if (r.n_pedal) rc = apply_sustain(r.notes, kept, r.pedal, r.n_pedal, &max_time);
    }
    for (size_t i = 0; rc == 0 && i < kept; i++) {
        if (!(r.notes[i].end > r.notes[i].start) && !symusic) continue;   // zero length: dropped
        rc = pope_midi_add_note(out, r.notes[i]);
    }
    if (rc == 0) {
        pope_midi_sort(out);
        if (last_time > out->duration) out->duration = last_time;
    } else if (!*pope_last_error()) {
        pope_error("%s: cannot read notes", name);
    }
    free(r.notes);
    free(r.tick);
    free(r.next);
    free(r.pedal);
    return rc;
}

int pope_midi_read_memory_opt(pope_midi *out, const void *buf, size_t len, const char *name, int flags) {
    pope_midi_init(out);
    if (!out->tempos) return pope_error("%s: out of memory", name);
    if (midi_validate(buf, len, name)) { pope_midi_free(out); return -1; }
    if (len > (size_t)1 << 30) { pope_midi_free(out); return pope_error("%s: file too large", name); }
    smf_log_begin();
    smf_t *smf = smf_load_from_memory(buf, (int)len);
    const char *why = smf_log_failure();
    if (!smf || why) {
        if (smf) smf_fast_delete(smf);
        pope_midi_free(out);
        return pope_error("%s: malformed MIDI file: %s", name, why ? why : "libsmf cannot parse it");
    }
    out->format = smf->format;
    out->n_tracks = smf->number_of_tracks;
    out->ppqn = smf->ppqn;
    int rc = read_tempo_map(smf, out);
    if (rc == 0) rc = notes_from_events(smf, out, name, flags);
    if (rc == 0 && (why = smf_log_failure()) != NULL)
        rc = pope_error("%s: malformed MIDI file: %s", name, why);
    smf_fast_delete(smf);
    if (rc) pope_midi_free(out);
    return rc;
}

int pope_midi_read_memory(pope_midi *out, const void *buf, size_t len, const char *name) {
    return pope_midi_read_memory_opt(out, buf, len, name, 0);
}

int pope_midi_read_opt(pope_midi *out, const char *path, int flags) {
    if (strcmp(path, "-") != 0 && pope_path_is_special(path))   // a FIFO would block at open
        return pope_error("%s: not a regular file (give '-' to read standard input)", path);
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) return pope_error("%s: %s", path, strerror(errno));
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    int rc = 0;
    while (buf) {
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (len < cap || memcmp(buf, "MThd", 4) != 0) break;   // not MIDI: no need to read it all
        if (cap >= MAX_FILE_BYTES) { rc = pope_error("%s: larger than %u MiB, not a MIDI file", path, MAX_FILE_BYTES >> 20); break; }
        uint8_t *p = realloc(buf, cap * 2);
        if (!p) { free(buf); buf = NULL; break; }
        buf = p;
        cap *= 2;
    }
    if (!buf) rc = pope_error("%s: out of memory", path);
    else if (rc == 0 && ferror(f)) rc = pope_error("%s: read error: %s", path, strerror(errno));
    if (f != stdin) fclose(f);
    if (rc == 0) rc = pope_midi_read_memory_opt(out, buf, len, path, flags);
    free(buf);
    return rc;
}

int pope_midi_read(pope_midi *out, const char *path) { return pope_midi_read_opt(out, path, 0); }

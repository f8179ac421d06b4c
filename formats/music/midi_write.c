// midi_write.c — pope_midi -> a format-0 Standard MIDI File through libsmf.
//
// ppqn 960 (0.5 ms at 120 qpm: libsmf's default 120 would round onsets by up to 4 ms), the
// tempo map as tempo meta events, one program change per channel used, and events sorted
// so that at the same tick note-offs come before note-ons (a re-struck pitch stays two notes).
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <smf.h>

#include "pope.h"
#include "pope_music.h"
#include "smf_util.h"

#define WRITE_PPQN 960
// The last tick written: a delta time is a variable-length quantity of at most 28 bits, and
// libsmf keeps times as int. Past it (~39 hours at 120 qpm: only a decoded token sequence of
// millions of bars gets there) a time would wrap and land silently somewhere else.
#define MAX_PULSE 0x0FFFFFFFL

enum { W_TEMPO = 0, W_PROGRAM = 1, W_NOTE_OFF = 2, W_NOTE_ON = 3 };
typedef struct { long pulse; int kind; uint8_t b[6]; int len; } wevent;

static int wevent_cmp(const void *a, const void *b) {
    const wevent *x = a, *y = b;
    if (x->pulse != y->pulse) return x->pulse < y->pulse ? -1 : 1;
    if (x->kind != y->kind) return x->kind - y->kind;
    return memcmp(x->b, y->b, 3);
}

// The tick of a time in seconds; -1 when it is past MAX_PULSE (or not a number).
static long to_pulses(const pope_midi *m, double seconds) {
    double pulses = pope_midi_seconds_to_beats(m, seconds < 0 ? 0 : seconds) * WRITE_PPQN;
    return pulses <= MAX_PULSE ? lround(pulses) : -1;
}

// Writes `path`; messages name `shown` (the file the user asked for, not its temporary).
static int save_smf(const pope_midi *m, const char *path, const char *shown) {
    size_t cap = 2 * m->n_notes + m->n_tempos + 16, n = 0;
    wevent *ev = calloc(cap, sizeof *ev);
    if (!ev) return pope_error("%s: out of memory", shown);
    for (size_t i = 0; i < m->n_tempos; i++) {
        long us = lround(60e6 / m->tempos[i].qpm);
        if (us < 1) us = 1;
        if (us > 0xFFFFFF) us = 0xFFFFFF;
        double at = m->tempos[i].beat * WRITE_PPQN;
        if (!(at >= 0 && at <= MAX_PULSE)) {
            free(ev);
            return pope_error("%s: a tempo change at beat %g: outside the %ld ticks a MIDI file holds", shown,
                              m->tempos[i].beat, MAX_PULSE);
        }
        ev[n++] = (wevent){lround(at), W_TEMPO,
                           {0xFF, 0x51, 0x03, (uint8_t)(us >> 16), (uint8_t)(us >> 8), (uint8_t)us}, 6};
    }
    int program_set[16] = {0};
    for (size_t i = 0; i < m->n_notes; i++) {
        const pope_note *nt = &m->notes[i];
        int ch = nt->channel & 15;
        if (!program_set[ch]) {
            program_set[ch] = 1;
            ev[n++] = (wevent){0, W_PROGRAM, {(uint8_t)(0xC0 | ch), nt->program & 0x7F}, 2};
        }
        long on = to_pulses(m, nt->start), off = to_pulses(m, nt->end);
        if (on < 0 || off < 0 || on >= MAX_PULSE) {   // on + 1 must fit too
            free(ev);
            return pope_error("%s: a note at %.0f s: past the %ld ticks (%.0f hours at 120 qpm) a MIDI file holds",
                              shown, nt->start, MAX_PULSE, MAX_PULSE / (WRITE_PPQN * 2.0 * 3600));
        }
        if (off <= on) off = on + 1;   // a note keeps at least one tick
        int vel = nt->velocity < 1 ? 1 : nt->velocity > 127 ? 127 : nt->velocity;
        ev[n++] = (wevent){on, W_NOTE_ON, {(uint8_t)(0x90 | ch), nt->pitch & 0x7F, (uint8_t)vel}, 3};
        ev[n++] = (wevent){off, W_NOTE_OFF, {(uint8_t)(0x80 | ch), nt->pitch & 0x7F, 64}, 3};
    }
    qsort(ev, n, sizeof *ev, wevent_cmp);

    smf_log_begin();
    smf_t *smf = smf_new();
    int rc = 0;
    if (!smf || smf_set_ppqn(smf, WRITE_PPQN)) rc = pope_error("%s: libsmf cannot make a file", shown);
    smf_track_t *track = rc ? NULL : smf_track_new();
    if (!rc && !track) rc = pope_error("%s: libsmf cannot make a track", shown);
    if (!rc) smf_add_track(smf, track);   // before any event: libsmf asserts otherwise
    long last = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        smf_event_t *e;
        if (ev[i].len == 6) {
            uint8_t *bytes = malloc(6);   // smf_event_new_from_pointer copies it
            if (!bytes) { rc = pope_error("%s: out of memory", shown); break; }
            memcpy(bytes, ev[i].b, 6);
            e = smf_event_new_from_pointer(bytes, 6);
            free(bytes);
        } else {
            e = smf_event_new_from_bytes(ev[i].b[0], ev[i].b[1], ev[i].len == 3 ? ev[i].b[2] : -1);
        }
        if (!e) { rc = pope_error("%s: libsmf rejected an event", shown); break; }
        smf_track_add_event_pulses(track, e, (int)ev[i].pulse);
        last = ev[i].pulse;
    }
    if (!rc && smf_track_add_eot_pulses(track, (int)last))
        rc = pope_error("%s: libsmf cannot end the track", shown);
    if (!rc && smf_save(smf, path)) {
        const char *why = smf_log_failure();
        rc = pope_error("%s: cannot write MIDI file: %s", shown, why ? why : strerror(errno));
    }
    if (!rc && smf_log_failure()) rc = pope_error("%s: cannot write MIDI file: %s", shown, smf_log_failure());
    if (smf) smf_fast_delete(smf);
    free(ev);
    return rc;
}

static int copy_to_stdout(const char *tmp) {
    FILE *f = fopen(tmp, "rb");
    if (!f) return pope_error("-: %s", strerror(errno));
    char buf[1 << 14];
    size_t got;
    int rc = 0;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        if (fwrite(buf, 1, got, stdout) != got) { rc = pope_error("-: write error: %s", strerror(errno)); break; }
    fclose(f);
    if (!rc && fflush(stdout)) rc = pope_error("-: write error: %s", strerror(errno));
    return rc;
}

int pope_midi_write(const char *path, const pope_midi *m) {
    // Written to a temporary name and renamed, so that a failed write leaves no half file.
    char tmp[4096];
    int to_stdout = strcmp(path, "-") == 0;
    if (to_stdout) {
        const char *dir = getenv("TMPDIR");
        snprintf(tmp, sizeof tmp, "%s/pope-music-XXXXXX", dir && *dir ? dir : "/tmp");
        int fd = mkstemp(tmp);
        if (fd < 0) return pope_error("%s: cannot make a temporary file: %s", tmp, strerror(errno));
        close(fd);
    } else {
        if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) return pope_error("%s: path too long", path);
        // libsmf's own message for an unwritable path is misleading ("Cannot open input file").
        FILE *probe = fopen(tmp, "wb");
        if (!probe) return pope_error("%s: cannot write: %s", path, strerror(errno));
        fclose(probe);
    }
    int rc = save_smf(m, tmp, to_stdout ? "-" : path);
    if (rc == 0) {
        if (to_stdout) rc = copy_to_stdout(tmp);
        else if (rename(tmp, path)) rc = pope_error("%s: %s", path, strerror(errno));
    }
    if (rc || to_stdout) unlink(tmp);
    return rc;
}

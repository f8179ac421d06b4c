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

enum { W_TEMPO = 0, W_PROGRAM = 1, W_NOTE_OFF = 2, W_NOTE_ON = 3 };
typedef struct { long pulse; int kind; uint8_t b[6]; int len; } wevent;

static int wevent_cmp(const void *a, const void *b) {
    const wevent *x = a, *y = b;
    if (x->pulse != y->pulse) return x->pulse < y->pulse ? -1 : 1;
    if (x->kind != y->kind) return x->kind - y->kind;
    return memcmp(x->b, y->b, 3);
}

static long to_pulses(const pope_midi *m, double seconds) {
    double beats = pope_midi_seconds_to_beats(m, seconds < 0 ? 0 : seconds);
    return lround(beats * WRITE_PPQN);
}

static int save_smf(const pope_midi *m, const char *path) {
    size_t cap = 2 * m->n_notes + m->n_tempos + 16, n = 0;
    wevent *ev = calloc(cap, sizeof *ev);
    if (!ev) return pope_error("%s: out of memory", path);
    for (size_t i = 0; i < m->n_tempos; i++) {
        long us = lround(60e6 / m->tempos[i].qpm);
        if (us < 1) us = 1;
        if (us > 0xFFFFFF) us = 0xFFFFFF;
        ev[n++] = (wevent){lround(m->tempos[i].beat * WRITE_PPQN), W_TEMPO,
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
        if (off <= on) off = on + 1;   // a note keeps at least one tick
        int vel = nt->velocity < 1 ? 1 : nt->velocity > 127 ? 127 : nt->velocity;
        ev[n++] = (wevent){on, W_NOTE_ON, {(uint8_t)(0x90 | ch), nt->pitch & 0x7F, (uint8_t)vel}, 3};
        ev[n++] = (wevent){off, W_NOTE_OFF, {(uint8_t)(0x80 | ch), nt->pitch & 0x7F, 64}, 3};
    }
    qsort(ev, n, sizeof *ev, wevent_cmp);

    smf_log_begin();
    smf_t *smf = smf_new();
    int rc = 0;
    if (!smf || smf_set_ppqn(smf, WRITE_PPQN)) rc = pope_error("%s: libsmf cannot make a file", path);
    smf_track_t *track = rc ? NULL : smf_track_new();
    if (!rc && !track) rc = pope_error("%s: libsmf cannot make a track", path);
    if (!rc) smf_add_track(smf, track);   // before any event: libsmf asserts otherwise
    long last = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        smf_event_t *e;
        if (ev[i].len == 6) {
            uint8_t *bytes = malloc(6);   // smf_event_new_from_pointer copies it
            if (!bytes) { rc = pope_error("%s: out of memory", path); break; }
            memcpy(bytes, ev[i].b, 6);
            e = smf_event_new_from_pointer(bytes, 6);
            free(bytes);
        } else {
            e = smf_event_new_from_bytes(ev[i].b[0], ev[i].b[1], ev[i].len == 3 ? ev[i].b[2] : -1);
        }
        if (!e) { rc = pope_error("%s: libsmf rejected an event", path); break; }
        smf_track_add_event_pulses(track, e, (int)ev[i].pulse);
        last = ev[i].pulse;
    }
    if (!rc && smf_track_add_eot_pulses(track, (int)last))
        rc = pope_error("%s: libsmf cannot end the track", path);
    if (!rc && smf_save(smf, path)) {
        const char *why = smf_log_failure();
        rc = pope_error("%s: cannot write MIDI file: %s", path, why ? why : strerror(errno));
    }
    if (!rc && smf_log_failure()) rc = pope_error("%s: cannot write MIDI file: %s", path, smf_log_failure());
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
    char tmp[4200];
    pope_atomic a = {0};
    int to_stdout = strcmp(path, "-") == 0;
    if (to_stdout) {
        const char *dir = getenv("TMPDIR");
        snprintf(tmp, sizeof tmp, "%s/pope-music-XXXXXX", dir && *dir ? dir : "/tmp");
        int fd = mkstemp(tmp);
        if (fd < 0) return pope_error("%s: cannot make a temporary file: %s", tmp, strerror(errno));
        close(fd);
    } else {
        // libsmf's own message for an unwritable path is misleading ("Cannot open input file").
        if (pope_atomic_begin(&a, path, NULL) != 0) return -1;
        snprintf(tmp, sizeof tmp, "%s", a.tmp);
    }
    int rc = save_smf(m, tmp);
    if (rc == 0) rc = to_stdout ? copy_to_stdout(tmp) : pope_atomic_commit(&a, 0);
    if (to_stdout) unlink(tmp);
    else if (rc) pope_atomic_abort(&a);
    return rc;
}

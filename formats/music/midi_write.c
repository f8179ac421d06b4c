// midi_write.c — pope_midi -> a format-0 Standard MIDI File (bytes written here: libsmf's
// writer is quadratic and asserts, see write_smf).
//
// ppqn 960 (0.5 ms at 120 qpm: libsmf's default 120 would round onsets by up to 4 ms), the
// tempo map as tempo meta events, one program change per channel used, and events sorted
// so that at the same tick note-offs come before note-ons (a re-struck pitch stays two notes).
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pope.h"
#include "pope_music.h"

#define WRITE_PPQN 960

enum { W_TEMPO = 0, W_PROGRAM = 1, W_NOTE_OFF = 2, W_NOTE_ON = 3 };
typedef struct { long pulse; int kind; uint8_t b[6]; int len; } wevent;

static int wevent_cmp(const void *a, const void *b) {
    const wevent *x = a, *y = b;
    if (x->pulse != y->pulse) return x->pulse < y->pulse ? -1 : 1;
    if (x->kind != y->kind) return x->kind - y->kind;
    return memcmp(x->b, y->b, 3);
}

// The ticks a file can hold: readers (libsmf among them) keep an event's tick in an int, and a
// delta time is a VLQ of at most 4 bytes (midi_validate.c refuses longer ones on reading).
#define MAX_TICK ((double)INT_MAX - 1)
#define MAX_DELTA 0x0FFFFFFFL

// Ticks at WRITE_PPQN, or -1 when the time is past MAX_TICK (or not a number).
static long to_pulses(const pope_midi *m, double seconds) {
    double beats = pope_midi_seconds_to_beats(m, seconds < 0 ? 0 : seconds);
    double ticks = beats * WRITE_PPQN;
    return ticks >= 0 && ticks < MAX_TICK ? lround(ticks) : -1;
}

static size_t vlq_put(uint8_t out[4], uint32_t v) {   // v < 2^28: at most 4 bytes
    uint8_t tmp[4];
    size_t k = 0;
    do tmp[k++] = v & 0x7F, v >>= 7; while (v);
    for (size_t i = 0; i < k; i++) out[i] = tmp[k - 1 - i] | (i + 1 < k ? 0x80 : 0);
    return k;
}

// The file's bytes, written here rather than by libsmf 1.3: its smf_save re-loads every file
// it writes and frees it event by event (quadratic: 80,000 notes took 11 s), and it asserts
// where pope reports. MThd (format 0, one track, WRITE_PPQN), one MTrk of delta time + event
// (no running status), End of Track at the last event's tick. ev is sorted, its gaps checked.
static int write_smf(const char *path, const wevent *ev, size_t n) {
    uint64_t track_len = 4;   // End of Track: 00 FF 2F 00
    uint8_t v[4];
    for (size_t i = 0; i < n; i++)
        track_len += vlq_put(v, (uint32_t)(ev[i].pulse - (i ? ev[i - 1].pulse : 0))) + (size_t)ev[i].len;
    if (track_len > UINT32_MAX) return pope_error("%s: %zu events do not fit in one MIDI track", path, n);
    FILE *f = fopen(path, "wb");
    if (!f) return pope_error("%s: cannot write: %s", path, strerror(errno));
    const uint8_t head[22] = {'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 0, 0, 1, WRITE_PPQN >> 8, WRITE_PPQN & 0xFF,
                              'M', 'T', 'r', 'k', (uint8_t)(track_len >> 24), (uint8_t)(track_len >> 16),
                              (uint8_t)(track_len >> 8), (uint8_t)track_len};
    int bad = fwrite(head, 1, sizeof head, f) != sizeof head;
    for (size_t i = 0; i < n && !bad; i++) {
        size_t k = vlq_put(v, (uint32_t)(ev[i].pulse - (i ? ev[i - 1].pulse : 0)));
        bad = fwrite(v, 1, k, f) != k || fwrite(ev[i].b, 1, (size_t)ev[i].len, f) != (size_t)ev[i].len;
    }
    bad |= fwrite("\x00\xff\x2f\x00", 1, 4, f) != 4;
    bad |= fclose(f) != 0;
    return bad ? pope_error("%s: write failed: %s", path, strerror(errno)) : 0;
}

static int save_smf(const pope_midi *m, const char *path) {
    size_t cap = 2 * m->n_notes + m->n_tempos + 16, n = 0;
    wevent *ev = calloc(cap, sizeof *ev);
    if (!ev) return pope_error("%s: out of memory", path);
    for (size_t i = 0; i < m->n_tempos; i++) {
        double tick = m->tempos[i].beat * WRITE_PPQN;
        if (!(m->tempos[i].qpm > 0 && m->tempos[i].qpm < 1e9) || !(tick >= 0 && tick < MAX_TICK)) {
            free(ev);
            return pope_error("%s: tempo %g qpm at beat %g cannot be written (a MIDI file ends at tick %d)",
                              path, m->tempos[i].qpm, m->tempos[i].beat, INT_MAX);
        }
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
        if (on < 0 || off < 0) {
            free(ev);
            return pope_error("%s: a note at %.0f s ends past tick %d, the end of a MIDI file's time "
                              "(%d ticks per quarter note)", path, nt->start, INT_MAX, WRITE_PPQN);
        }
        if (off <= on) off = on + 1;   // a note keeps at least one tick
        int vel = nt->velocity < 1 ? 1 : nt->velocity > 127 ? 127 : nt->velocity;
        ev[n++] = (wevent){on, W_NOTE_ON, {(uint8_t)(0x90 | ch), nt->pitch & 0x7F, (uint8_t)vel}, 3};
        ev[n++] = (wevent){off, W_NOTE_OFF, {(uint8_t)(0x80 | ch), nt->pitch & 0x7F, 64}, 3};
    }
    qsort(ev, n, sizeof *ev, wevent_cmp);
    for (size_t i = 0; i < n; i++)
        if (ev[i].pulse - (i ? ev[i - 1].pulse : 0) > MAX_DELTA) {
            long gap = ev[i].pulse - (i ? ev[i - 1].pulse : 0);
            free(ev);
            return pope_error("%s: a silence of %ld ticks (more than %ld, the longest delta time a MIDI "
                              "file holds)", path, gap, MAX_DELTA);
        }

    int rc = write_smf(path, ev, n);
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

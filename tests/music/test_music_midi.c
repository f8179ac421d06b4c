// test_music_midi.c — MIDI reading and writing: hand-written files (format 0 and 1, running status,
// tempo changes, sustain pedal, velocity-0 note-offs, re-struck pitches, drums), write ->
// read round trips, and corrupt / truncated / non-MIDI inputs.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "pope.h"
#include "pope_music.h"

// ---------------------------------------------------------------- a tiny SMF builder
typedef struct { uint8_t b[4096]; size_t n; } bytes;
static void put(bytes *x, int v) { x->b[x->n++] = (uint8_t)v; }
static void put32(bytes *x, uint32_t v) { put(x, v >> 24); put(x, v >> 16); put(x, v >> 8); put(x, v); }
static void put_vlq(bytes *x, uint32_t v) {
    uint8_t tmp[5]; int k = 0;
    tmp[k++] = v & 0x7F;
    while ((v >>= 7)) tmp[k++] = 0x80 | (v & 0x7F);
    while (k--) put(x, tmp[k]);
}
static void header(bytes *x, int format, int ntracks, int ppqn) {
    memcpy(x->b + x->n, "MThd", 4); x->n += 4;
    put32(x, 6); put(x, 0); put(x, format); put(x, 0); put(x, ntracks); put(x, ppqn >> 8); put(x, ppqn & 0xFF);
}
static void track(bytes *x, const bytes *events) {
    memcpy(x->b + x->n, "MTrk", 4); x->n += 4;
    put32(x, (uint32_t)events->n + 4);
    memcpy(x->b + x->n, events->b, events->n); x->n += events->n;
    put(x, 0); put(x, 0xFF); put(x, 0x2F); put(x, 0);   // end of track
}
static void tempo(bytes *e, uint32_t delta, uint32_t us) {
    put_vlq(e, delta); put(e, 0xFF); put(e, 0x51); put(e, 3); put(e, us >> 16); put(e, us >> 8); put(e, us);
}
// A channel event; status < 0 means running status (data bytes only).
static void ev3(bytes *e, uint32_t delta, int status, int d1, int d2) {
    put_vlq(e, delta);
    if (status >= 0) put(e, status);
    put(e, d1); put(e, d2);
}

static int find_note(const pope_midi *m, int pitch, double start, double tol) {
    for (size_t i = 0; i < m->n_notes; i++)
        if (m->notes[i].pitch == pitch && m->notes[i].start > start - tol && m->notes[i].start < start + tol) return (int)i;
    return -1;
}

static void check_note(const pope_midi *m, int pitch, double start, double end, int velocity, const char *what) {
    int i = find_note(m, pitch, start, 1e-6);
    CHECK(i >= 0, "%s: no note %d at %.4f", what, pitch, start);
    if (i < 0) return;
    CHECK_NEAR(m->notes[i].end, end, 1e-6, 0, what);
    if (velocity > 0) CHECK(m->notes[i].velocity == velocity, "%s: velocity %d, want %d", what, m->notes[i].velocity, velocity);
}

// Format 1: a tempo track (120 qpm, then 240 qpm at beat 2) and a note track written with
// running status and velocity-0 note-offs.
static void test_format1_tempo_running_status(void) {
    bytes f = {0}, t1 = {0}, t2 = {0}, t3 = {0};
    header(&f, 1, 3, 480);
    tempo(&t1, 0, 500000);
    tempo(&t1, 960, 250000);
    track(&f, &t1);
    ev3(&t2, 0, 0x90, 60, 100);
    ev3(&t2, 480, -1, 60, 0);       // running status, velocity 0 = note-off
    ev3(&t2, 480, -1, 62, 90);      // beat 2 = 1.0 s
    ev3(&t2, 480, -1, 62, 0);       // beat 3 = 1.0 + 0.25 s
    ev3(&t2, 0, 0x80, 64, 0);       // a note-off with nothing sounding: ignored
    track(&f, &t2);
    ev3(&t3, 0, 0xC1, 40, 0);   // program change 40 on channel 2: ev3 writes two data bytes,
    t3.n--;                     // a program change has one
    ev3(&t3, 240, 0x91, 67, 70);
    ev3(&t3, 480, 0x81, 67, 0);
    track(&f, &t3);
    pope_midi m;
    int rc = pope_midi_read_memory(&m, f.b, f.n, "format1");
    CHECK(rc == 0, "format 1 read: %s", pope_last_error());
    if (rc) return;
    CHECK(m.format == 1 && m.n_tracks == 3 && m.ppqn == 480, "format %d tracks %d ppqn %d", m.format, m.n_tracks, m.ppqn);
    CHECK(m.n_notes == 3, "format 1: %zu notes, want 3", m.n_notes);
    check_note(&m, 67, 0.25, 0.75, 70, "format 1 note 67 from the third track");
    int k = find_note(&m, 67, 0.25, 1e-6);
    if (k >= 0) CHECK(m.notes[k].channel == 1 && m.notes[k].program == 40, "channel %d program %d", m.notes[k].channel, m.notes[k].program);
    check_note(&m, 60, 0.0, 0.5, 100, "format 1 note 60");
    check_note(&m, 62, 1.0, 1.25, 90, "format 1 note 62 (after the tempo change)");
    int i = find_note(&m, 62, 1.0, 1e-6);
    if (i >= 0) {
        CHECK_NEAR(m.notes[i].start_beat, 2.0, 1e-9, 0, "start beat");
        CHECK_NEAR(m.notes[i].end_beat, 3.0, 1e-9, 0, "end beat");
    }
    CHECK(m.n_tempos == 2, "tempo map: %zu entries, want 2", m.n_tempos);
    if (m.n_tempos == 2) {
        CHECK_NEAR(m.tempos[0].qpm, 120, 1e-9, 0, "first tempo");
        CHECK_NEAR(m.tempos[1].qpm, 240, 1e-9, 0, "second tempo");
        CHECK_NEAR(m.tempos[1].time, 1.0, 1e-9, 0, "second tempo time");
    }
    pope_midi_free(&m);
}

// Format 0 at the default 120 qpm (ppqn 480: a tick is 1/960 s) with the sustain pedal,
// a re-strike under the pedal, a re-strike without it (pretty_midi: one note-off ends both),
// and a drum note.
static void test_format0_pedal(void) {
    bytes f = {0}, t = {0};
    header(&f, 0, 1, 480);
    ev3(&t, 0, 0xB0, 64, 127);     // t=0 pedal down
    ev3(&t, 0, 0x90, 60, 80);      // 60 on
    ev3(&t, 0, 0x99, 36, 100);     // drum channel: left out
    ev3(&t, 0, 0x90, 72, 70);      // 72 on (pedal applies to it too)
    ev3(&t, 240, -1, 72, 0);       // 0.25 s: 72 released (held by the pedal)
    ev3(&t, 240, -1, 60, 0);       // 0.5 s: 60 released (held by the pedal)
    ev3(&t, 0, -1, 64, 50);        // 0.5 s: 64 on
    ev3(&t, 120, 0x80, 64, 0);     // 0.625 s: 64 released (held)
    ev3(&t, 120, 0x90, 60, 81);    // 0.75 s: 60 struck again: the held 60 ends here
    ev3(&t, 120, -1, 60, 0);       // 0.875 s: released (held)
    ev3(&t, 120, 0xB0, 64, 0);     // 960 ticks = 1.0 s: pedal up: 64, 60, 72 end
    ev3(&t, 40, 0x90, 67, 60);     // 1000 ticks
    ev3(&t, 40, 0x90, 67, 61);     // 1040: re-strike without pedal: both 67 sound
    ev3(&t, 60, 0x80, 67, 0);      // 1100: ends both (pretty_midi's pairing)
    ev3(&t, 20, 0x80, 67, 0);      // 1120: nothing sounding: ignored
    ev3(&t, 0, 0x89, 36, 0);
    track(&f, &t);
    pope_midi m;
    int rc = pope_midi_read_memory(&m, f.b, f.n, "pedal");
    CHECK(rc == 0, "pedal file: %s", pope_last_error());
    if (rc) return;
    CHECK(m.n_notes == 6, "pedal: %zu notes, want 6", m.n_notes);
    check_note(&m, 60, 0.0, 0.75, 80, "60 held by the pedal until re-struck");
    check_note(&m, 60, 0.75, 1.0, 81, "re-struck 60 held until pedal up");
    check_note(&m, 64, 0.5, 1.0, 50, "64 held until pedal up");
    check_note(&m, 72, 0.0, 1.0, 70, "72 held until pedal up");
    check_note(&m, 67, 1000 / 960.0, 1100 / 960.0, 60, "67 re-struck without pedal");
    check_note(&m, 67, 1040 / 960.0, 1100 / 960.0, 61, "second 67");
    for (size_t i = 0; i < m.n_notes; i++) CHECK(m.notes[i].pitch != 36, "drum note read");
    for (size_t i = 1; i < m.n_notes; i++)
        CHECK(m.notes[i - 1].start <= m.notes[i].start, "notes not sorted by onset");
    pope_midi_free(&m);
}

static char tmpdir[256];

// The writer's bytes against the SMF spec, by hand: one note C4 (channel 0, velocity 100) from
// beat 0 to beat 1 at 120 qpm; then 200,000 notes, which libsmf's writer took minutes over
// (quadratic), written and read back.
static void test_write_bytes(void) {
    pope_midi m;
    pope_midi_init(&m);
    pope_note nt = {.start = 0, .end = 0.5, .start_beat = 0, .end_beat = 1, .pitch = 60, .velocity = 100};
    pope_midi_add_note(&m, nt);
    char path[600];
    snprintf(path, sizeof path, "%s/bytes.mid", tmpdir);
    CHECK(pope_midi_write(path, &m) == 0, "write: %s", pope_last_error());
    static const uint8_t want[] = {
        'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 0, 0, 1, 0x03, 0xC0,        // format 0, 1 track, 960 ppqn
        'M', 'T', 'r', 'k', 0, 0, 0, 23,
        0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20,                       // tempo 500,000 µs (120 qpm)
        0x00, 0xC0, 0x00,                                               // program 0
        0x00, 0x90, 60, 100,                                            // note on at tick 0
        0x87, 0x40, 0x80, 60, 64,                                       // note off 960 ticks later
        0x00, 0xFF, 0x2F, 0x00};                                        // end of track
    FILE *f = fopen(path, "rb");
    uint8_t got[128];
    size_t n = f ? fread(got, 1, sizeof got, f) : 0;
    if (f) fclose(f);
    CHECK(n == sizeof want && memcmp(got, want, n) == 0, "written bytes differ from the SMF by hand (%zu bytes)", n);
    pope_midi_free(&m);
    pope_midi_init(&m);
    for (int i = 0; i < 200000; i++) {
        pope_note k = {.start = i * 0.25, .end = i * 0.25 + 0.2, .start_beat = -1, .end_beat = -1,
                       .pitch = (uint8_t)(40 + i % 40), .velocity = 80};
        pope_midi_add_note(&m, k);
    }
    pope_midi r;
    CHECK(pope_midi_write(path, &m) == 0 && pope_midi_read(&r, path) == 0 && r.n_notes == 200000,
          "200,000 notes: %s", pope_last_error());
    if (r.n_notes == 200000) CHECK(fabs(r.notes[199999].start - 199999 * 0.25) < 1e-3, "last onset %g", r.notes[199999].start);
    pope_midi_free(&r);
    pope_midi_free(&m);
}

static void test_write_read(void) {
    pope_midi m;
    pope_midi_init(&m);
    // A tempo map 100 qpm, then 150 qpm from beat 4 (2.4 s).
    free(m.tempos);
    m.tempos = malloc(2 * sizeof *m.tempos);
    m.tempos[0] = (pope_tempo){0, 0, 100};
    m.tempos[1] = (pope_tempo){2.4, 4, 150};
    m.n_tempos = 2;
    pope_rng rng;
    pope_rng_seed(&rng, 7);
    double last_end[128] = {0};
    int n_want = 0;
    for (int i = 0; i < 300; i++) {
        int pitch = 21 + (int)pope_rng_below(&rng, 88);
        double start = last_end[pitch] + 0.01 + 0.3 * pope_rng_uniform(&rng);
        double end = start + 0.02 + 0.8 * pope_rng_uniform(&rng);
        last_end[pitch] = end;
        pope_note nt = {.start = start, .end = end, .start_beat = -1, .end_beat = -1, .pitch = (uint8_t)pitch,
                        .velocity = (uint8_t)(1 + pope_rng_below(&rng, 127)), .channel = (uint8_t)(i % 3), .program = 0};
        CHECK(pope_midi_add_note(&m, nt) == 0, "add note");
        n_want++;
    }
    pope_midi_sort(&m);
    char path[512];
    snprintf(path, sizeof path, "%s/roundtrip.mid", tmpdir);
    int rc = pope_midi_write(path, &m);
    CHECK(rc == 0, "write: %s", pope_last_error());
    pope_midi r;
    rc = rc ? rc : pope_midi_read(&r, path);
    CHECK(rc == 0, "read back: %s", pope_last_error());
    if (rc == 0) {
        CHECK(r.n_notes == (size_t)n_want, "read back %zu notes, wrote %d", r.n_notes, n_want);
        CHECK(r.ppqn == 960, "ppqn %d", r.ppqn);
        CHECK(r.n_tempos == 2 && fabs(r.tempos[1].qpm - 150) < 1e-3 && fabs(r.tempos[1].time - 2.4) < 1e-3,
              "tempo map not kept (%zu tempos)", r.n_tempos);
        // Notes starting within a tick of each other may swap places: match by content.
        int bad = 0;
        for (size_t i = 0; i < m.n_notes; i++) {
            const pope_note *a = &m.notes[i];
            int found = 0;
            for (size_t j = 0; j < r.n_notes && !found; j++) {
                const pope_note *b = &r.notes[j];
                // ppqn 960 at <= 150 qpm: a tick is <= 0.625 ms
                found = a->pitch == b->pitch && a->velocity == b->velocity && a->channel == b->channel &&
                        fabs(a->start - b->start) <= 7e-4 && fabs(a->end - b->end) <= 7e-4;
            }
            if (!found && bad++ < 3)
                fprintf(stderr, "note %zu: %d %.4f-%.4f v%d c%d not read back\n", i, a->pitch, a->start, a->end,
                        a->velocity, a->channel);
        }
        CHECK(bad == 0, "%d notes changed in the write/read round trip", bad);
        pope_midi_free(&r);
    }
    // An empty piece is still a valid file.
    pope_midi empty;
    pope_midi_init(&empty);
    snprintf(path, sizeof path, "%s/empty.mid", tmpdir);
    CHECK(pope_midi_write(path, &empty) == 0, "write empty: %s", pope_last_error());
    CHECK(pope_midi_read(&r, path) == 0 && r.n_notes == 0, "read empty: %s", pope_last_error());
    pope_midi_free(&r);
    pope_midi_free(&empty);
    pope_midi_free(&m);
}

// A note past what a MIDI file's ticks hold (an int) is refused: a remi sequence of 3 million
// 12/8 bars was written wrapped modulo 2^32 ticks (a note at 14 hours instead of 2500). A note
// 2^28 − 2 ticks in (one delta time) still writes and reads back.
static void test_write_far_note(void) {
    const double tick_s = 0.5 / 960;   // 120 qpm, ppqn 960
    const long max_tick = 0x0FFFFFFF;
    char path[512];
    snprintf(path, sizeof path, "%s/far.mid", tmpdir);
    for (int fits = 1; fits >= 0; fits--) {
        pope_midi m;
        pope_midi_init(&m);
        double start = (fits ? max_tick - 1 : 17280000000.0) * tick_s;
        pope_note nt = {.start = start, .end = start + tick_s, .start_beat = -1, .end_beat = -1, .pitch = 60,
                        .velocity = 64};
        CHECK(pope_midi_add_note(&m, nt) == 0, "add note");
        int rc = pope_midi_write(path, &m);
        if (fits) {
            pope_midi r;
            CHECK(rc == 0, "a note at the last tick: %s", pope_last_error());
            CHECK(rc == 0 && pope_midi_read(&r, path) == 0 && r.n_notes == 1 && fabs(r.notes[0].start - start) < 1e-6,
                  "the note at the last tick read back (%s)", pope_last_error());
            if (rc == 0) pope_midi_free(&r);
        } else {
            CHECK(rc != 0 && strstr(pope_last_error(), "MIDI file"), "a note past 2^31 ticks: rc %d, '%s'", rc,
                  pope_last_error());
        }
        pope_midi_free(&m);
    }
}

static void expect_fail(const void *buf, size_t len, const char *what, const char *msg_part) {
    pope_midi m;
    int rc = pope_midi_read_memory(&m, buf, len, what);
    CHECK(rc == -1, "%s accepted", what);
    CHECK(strstr(pope_last_error(), msg_part) != NULL, "%s: message '%s' lacks '%s'", what, pope_last_error(), msg_part);
    if (rc == 0) pope_midi_free(&m);
}

static void test_corrupt(void) {
    expect_fail("hello, world\n", 13, "text", "not a MIDI file");
    expect_fail("", 0, "empty", "not a MIDI file");
    expect_fail("MThd\0\0\0\6\0", 9, "short header", "truncated");
    bytes f = {0}, t = {0};
    header(&f, 0, 1, 480);
    for (int i = 0; i < 50; i++) { ev3(&t, 10, 0x90, 60, 100); ev3(&t, 10, 0x80, 60, 0); }
    track(&f, &t);
    pope_midi m;
    CHECK(pope_midi_read_memory(&m, f.b, f.n, "whole") == 0, "whole file: %s", pope_last_error());
    pope_midi_free(&m);
    for (size_t cut = 10; cut < f.n; cut += 37) expect_fail(f.b, cut, "truncated", "truncated");
    bytes g = f;
    g.b[9] = 2;   // format 2
    expect_fail(g.b, g.n, "format 2", "format 2");
    g = f;
    g.b[12] = 0x80 | 25;   // SMPTE division
    expect_fail(g.b, g.n, "smpte", "SMPTE");
    g = f;
    g.b[11] = 3;   // header says 3 tracks, 1 present
    expect_fail(g.b, g.n, "missing tracks", "truncated");
    // A track whose bytes are garbage inside a well-formed chunk: libsmf complains.
    bytes h = {0}, junk = {0};
    header(&h, 0, 1, 480);
    put(&junk, 0); put(&junk, 0x90); put(&junk, 60);   // missing data byte, then end of track
    memcpy(h.b + h.n, "MTrk", 4); h.n += 4; put32(&h, (uint32_t)junk.n); memcpy(h.b + h.n, junk.b, junk.n); h.n += junk.n;
    expect_fail(h.b, h.n, "garbage track", "runs past the track");
    // Tracks on which libsmf asserts (aborting the program) instead of failing: refused first.
    static const struct { const char *what, *events, *msg; size_t n; } abort_cases[] = {
        {"no end of track", "\x00\x90\x3c\x40\x60\x80\x3c\x40", "without an End of Track", 8},
        {"running status after sysex", "\x00\xf0\x03\x7e\x01\xf7\x00\x3c\x40\x00\xff\x2f\x00", "after a SysEx", 13},
        {"escaped event", "\x00\xf7\x02\xf8\xfa\x00\xff\x2f\x00", "escaped (0xF7)", 9},
        // issue 12: delta times adding up past INT_MAX ticks (9 × (2^28 - 1))
        {"ticks past INT_MAX", "\xff\xff\xff\x7f\x90\x3c\x40\xff\xff\xff\x7f\x3c\x40\xff\xff\xff\x7f\x3c\x40"
                               "\xff\xff\xff\x7f\x3c\x40\xff\xff\xff\x7f\x3c\x40\xff\xff\xff\x7f\x3c\x40"
                               "\xff\xff\xff\x7f\x3c\x40\xff\xff\xff\x7f\x3c\x40\xff\xff\xff\x7f\x3c\x40\x00\xff\x2f\x00",
         "INT_MAX", 59},
        {"5-byte delta time", "\x81\x80\x80\x80\x00\x90\x3c\x40\x00\xff\x2f\x00", "delta time", 12},
        {"tempo of 0 bytes", "\x00\xff\x51\x00\x00\xff\x2f\x00", "tempo", 8},
        {"tempo 0", "\x00\xff\x51\x03\x00\x00\x00\x00\xff\x2f\x00", "tempo", 11},
        {"time signature 4/2^200", "\x00\xff\x58\x04\x04\xc8\x18\x08\x00\xff\x2f\x00", "time signature", 12},
        {"meta past the track", "\x00\xff\x01\x7f\x41\x00\xff\x2f\x00", "runs past", 9},
        {"sysex past the track", "\x00\xf0\x8f\x7f\x41\x00\xff\x2f\x00", "runs past", 9},
        {"unknown status", "\x00\xf4\x00\xff\x2f\x00", "unknown status", 6},
        {"data byte first", "\x00\x3c\x40\x00\xff\x2f\x00", "without a status", 7},
        {"cut inside an event", "\x00\x90\x3c", "runs past", 3},
        {"cut after a delta", "\x00", "inside an event", 1},
    };
    for (size_t k = 0; k < sizeof abort_cases / sizeof *abort_cases; k++) {
        bytes a = {0};
        header(&a, 0, 1, 96);
        memcpy(a.b + a.n, "MTrk", 4); a.n += 4; put32(&a, (uint32_t)abort_cases[k].n);
        memcpy(a.b + a.n, abort_cases[k].events, abort_cases[k].n); a.n += abort_cases[k].n;
        expect_fail(a.b, a.n, abort_cases[k].what, abort_cases[k].msg);
    }
    {   // a second chunk whose id is not 4 letters
        bytes a = {0}, at = {0};
        header(&a, 1, 2, 96);
        ev3(&at, 0, 0x90, 60, 64); ev3(&at, 96, 0x80, 60, 64);
        track(&a, &at);
        memcpy(a.b + a.n, "MT\x01k", 4); a.n += 4; put32(&a, 4);
        memcpy(a.b + a.n, "\x00\xff\x2f\x00", 4); a.n += 4;
        expect_fail(a.b, a.n, "chunk id", "no chunk id");
    }
    {   // 3 MB of running-status notes: more events than a piece has (libsmf would hold 450 MB)
        size_t nev = (1u << 21) + 10, len = 14 + 8 + 4 + 3 * nev + 4;
        uint8_t *big = malloc(len), *q = big + 14;
        bytes hd = {0};
        header(&hd, 0, 1, 96);
        memcpy(big, hd.b, 14);
        memcpy(q, "MTrk", 4);
        uint32_t tl = (uint32_t)(4 + 3 * nev + 4);
        q[4] = tl >> 24, q[5] = tl >> 16, q[6] = tl >> 8, q[7] = tl;
        q += 8;
        memcpy(q, "\x00\x90\x3c\x40", 4), q += 4;
        for (size_t k = 0; k < nev; k++) q[0] = 0, q[1] = 0x3c, q[2] = k % 2 ? 0x40 : 0, q += 3;
        memcpy(q, "\x00\xff\x2f\x00", 4);
        expect_fail(big, len, "too many events", "more than 2097152 MIDI events");
        free(big);
    }
    {   // 24,000 tempo changes in a conductor track and 24,000 notes: libsmf's time grows with the
        // product (a file of 260 KB would take ~2.5 s): refused
        size_t nt = 24000, l0 = 7 * nt + 4, l1 = 4 * nt + 4, len = 14 + 8 + l0 + 8 + l1;
        uint8_t *big = malloc(len), *q = big;
        bytes hd = {0};
        header(&hd, 1, 2, 96);
        memcpy(q, hd.b, 14), q += 14;
        size_t lens[2] = {l0, l1};
        for (int t = 0; t < 2; t++) {
            memcpy(q, "MTrk", 4);
            q[4] = (uint8_t)(lens[t] >> 24), q[5] = (uint8_t)(lens[t] >> 16), q[6] = (uint8_t)(lens[t] >> 8), q[7] = (uint8_t)lens[t];
            q += 8;
            for (size_t k = 0; k < nt; k++) {
                if (t == 0) memcpy(q, (const uint8_t[]){10, 0xFF, 0x51, 3, 0x07, 0xA1, (uint8_t)(k % 2 ? 0x20 : 0x40)}, 7), q += 7;
                else memcpy(q, (const uint8_t[]){10, 0x90, 60, (uint8_t)(k % 2 ? 0 : 64)}, 4), q += 4;
            }
            memcpy(q, "\x00\xff\x2f\x00", 4), q += 4;
        }
        expect_fail(big, len, "tempo work", "24000 tempo and time-signature changes and 2 tracks among 48002 events");
        free(big);
    }
    {   // 16,000 tracks of one note each (5.7 s): libsmf merges the tracks scanning all of them per event
        size_t nt = 16000, len = 14 + nt * 20;
        uint8_t *big = malloc(len), *q = big;
        bytes hd = {0};
        header(&hd, 1, 0, 96);
        hd.b[10] = (uint8_t)(nt >> 8), hd.b[11] = (uint8_t)nt;   // header() writes one byte of it
        memcpy(q, hd.b, 14), q += 14;
        for (size_t k = 0; k < nt; k++)
            memcpy(q, "MTrk\x00\x00\x00\x0c\x00\x90\x3c\x40\x10\x80\x3c\x00\x00\xff\x2f\x00", 20), q += 20;
        expect_fail(big, len, "tracks", "and 16000 tracks among 48000 events");
        free(big);
    }
    // ... while what libsmf reads stays readable: a SysEx, and running status after a meta event
    bytes ok = {0}, okt = {0};
    header(&ok, 0, 1, 96);
    static const uint8_t sysex[] = {0x00, 0xF0, 0x03, 0x7E, 0x01, 0xF7, 0x00, 0xFF, 0x01, 0x01, 0x41, 0x00, 0x01, 0x01, 0x42};
    memcpy(okt.b, sysex, sizeof sysex); okt.n = sizeof sysex;
    ev3(&okt, 0, 0x90, 60, 64); ev3(&okt, 96, 0x80, 60, 64);
    track(&ok, &okt);
    CHECK(pope_midi_read_memory(&m, ok.b, ok.n, "sysex") == 0 && m.n_notes == 1, "sysex + meta running status: %s",
          pope_last_error());
    pope_midi_free(&m);
    // Files on disk: a missing file and a directory.
    CHECK(pope_midi_read(&m, "/nonexistent/x.mid") == -1 && strstr(pope_last_error(), "No such file"),
          "missing file: %s", pope_last_error());
}

// A FIFO named as a MIDI file (a MAESTRO CSV can name one) is refused, not waited on.
static void test_fifo(void) {
    char fifo[512];
    snprintf(fifo, sizeof fifo, "%s/pipe.mid", tmpdir);
    CHECK(mkfifo(fifo, 0600) == 0, "mkfifo");
    pope_midi m;
    CHECK(pope_midi_read(&m, fifo) != 0 && strstr(pope_last_error(), "not a regular file"),
          "a FIFO is refused: %s", pope_last_error());
    unlink(fifo);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/pope-test-midi-XXXXXX");
    if (!mkdtemp(tmpdir)) { perror("mkdtemp"); return 1; }
    test_format1_tempo_running_status();
    test_format0_pedal();
    test_write_read();
    test_write_bytes();
    test_write_far_note();
    test_corrupt();
    test_fifo();
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", tmpdir);
    return check_summary("test_music_midi");
}

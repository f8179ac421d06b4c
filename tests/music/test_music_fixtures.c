// test_music_fixtures.c — pope against what MidiTok and pretty_midi make of real MAESTRO
// files (tests/music/data/miditok/, made by tools/make_music_fixtures.py): the remi
// vocabulary id by id, remi's token sequences one for one, and the MIDI reader's notes
// (pedal not applied) against pretty_midi's. Plus REMI cases worked out by hand.
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pope.h"
#include "pope_music.h"

static char dir[2048];

// Reads 'id text' lines: ids[i], names[i] (malloc'd); returns the count, -1 if no file.
static long read_id_lines(const char *path, int32_t **ids, char ***names) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    long n = 0, cap = 0;
    *ids = NULL; *names = NULL;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        char name[200];
        int id;
        if (sscanf(line, "%d %199s", &id, name) != 2) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 1024;
            *ids = realloc(*ids, cap * sizeof **ids);
            *names = realloc(*names, cap * sizeof **names);
        }
        (*ids)[n] = id;
        (*names)[n++] = strdup(name);
    }
    fclose(f);
    return n;
}
static void free_names(char **names, long n) {
    for (long i = 0; i < n; i++) free(names[i]);
    free(names);
}

static void test_vocab(void) {
    char path[2560], buf[64];
    snprintf(path, sizeof path, "%s/vocab.txt", dir);
    int32_t *ids; char **names;
    long n = read_id_lines(path, &ids, &names);
    CHECK(n == POPE_MIDITOK_VOCAB && n == pope_music_vocab_size(POPE_TOK_REMI), "MidiTok vocab %ld, pope %d", n,
          pope_music_vocab_size(POPE_TOK_REMI));
    int bad = 0;
    for (long i = 0; i < n; i++) {
        const char *ours = pope_music_token_str(POPE_TOK_REMI, ids[i], buf, sizeof buf);
        if (ids[i] != i || strcmp(ours, names[i]) != 0) {
            if (bad++ < 5) fprintf(stderr, "vocab id %d: MidiTok %s, pope %s\n", ids[i], names[i], ours);
        }
    }
    CHECK(bad == 0, "%d vocabulary entries differ", bad);
    if (n > 0) free_names(names, n), free(ids);
}

static void test_piece_tokens(const char *name) {
    char path[2560], buf[64];
    snprintf(path, sizeof path, "%s/%s.remi.txt", dir, name);
    int32_t *ids; char **names;
    long n = read_id_lines(path, &ids, &names);
    CHECK(n > 0, "%s: no MidiTok tokens", path);
    if (n <= 0) return;
    snprintf(path, sizeof path, "%s/%s.mid", dir, name);
    pope_midi m;
    pope_tokens t = {0};
    int rc = pope_midi_read_opt(&m, path, pope_music_tok_read_flags(POPE_TOK_REMI));
    CHECK(rc == 0, "%s: %s", path, pope_last_error());
    if (rc == 0) {
        rc = pope_music_tokenize(POPE_TOK_REMI, &m, &t);
        CHECK(rc == 0, "%s: tokenize: %s", name, pope_last_error());
        pope_midi_free(&m);
    }
    if (rc == 0) {
        // pope's sequence is BOS, MidiTok's tokens, EOS.
        CHECK(t.n == (size_t)n + 2 && t.data[0] == POPE_MUSIC_BOS && t.data[t.n - 1] == POPE_MUSIC_EOS,
              "%s: %zu tokens, MidiTok %ld (+ BOS, EOS)", name, t.n, n);
        long first_bad = -1, n_bad = 0;
        for (long i = 0; i < n && i + 1 < (long)t.n; i++)
            if (t.data[i + 1] != ids[i]) { n_bad++; if (first_bad < 0) first_bad = i; }
        CHECK(n_bad == 0, "%s: %ld tokens differ, first at %ld: MidiTok %s, pope %s", name, n_bad, first_bad,
              first_bad >= 0 ? names[first_bad] : "",
              first_bad >= 0 ? pope_music_token_str(POPE_TOK_REMI, t.data[first_bad + 1], buf, sizeof buf) : "");
    }
    pope_tokens_free(&t);
    free_names(names, n);
    free(ids);
}

typedef struct { double start, end; int pitch, velocity; } ref_note;
static int note_cmp(const void *a, const void *b) {
    const ref_note *x = a, *y = b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    if (x->pitch != y->pitch) return x->pitch - y->pitch;
    return x->end < y->end ? -1 : x->end > y->end;
}

// pope's notes without the pedal = pretty_midi's (its note-off pairing, issue 13).
static void test_piece_notes(const char *name) {
    char path[2560];
    snprintf(path, sizeof path, "%s/%s.notes.txt", dir, name);
    FILE *f = fopen(path, "r");
    if (!f) return;   // only some pieces carry pretty_midi's notes
    size_t n = 0, cap = 4096;
    ref_note *want = malloc(cap * sizeof *want);
    while (want && n < cap && fscanf(f, "%lf %lf %d %d", &want[n].start, &want[n].end, &want[n].pitch, &want[n].velocity) == 4)
        n++;
    fclose(f);
    snprintf(path, sizeof path, "%s/%s.mid", dir, name);
    pope_midi m;
    int rc = pope_midi_read_opt(&m, path, POPE_MIDI_NO_SUSTAIN);
    CHECK(rc == 0 && want, "%s: %s", path, pope_last_error());
    if (rc == 0) {
        ref_note *got = malloc((m.n_notes + 1) * sizeof *got);
        for (size_t i = 0; i < m.n_notes; i++)
            got[i] = (ref_note){m.notes[i].start, m.notes[i].end, m.notes[i].pitch, m.notes[i].velocity};
        qsort(got, m.n_notes, sizeof *got, note_cmp);
        CHECK(m.n_notes == n, "%s: pope %zu notes, pretty_midi %zu", name, m.n_notes, n);
        size_t bad = 0;
        for (size_t i = 0; i < n && i < m.n_notes; i++) {
            int same = fabs(got[i].start - want[i].start) < 1e-6 && fabs(got[i].end - want[i].end) < 1e-6 &&
                       got[i].pitch == want[i].pitch && got[i].velocity == want[i].velocity;
            if (!same && bad++ < 3)
                fprintf(stderr, "%s note %zu: pope %.6f-%.6f p%d v%d, pretty_midi %.6f-%.6f p%d v%d\n", name, i,
                        got[i].start, got[i].end, got[i].pitch, got[i].velocity, want[i].start, want[i].end,
                        want[i].pitch, want[i].velocity);
        }
        CHECK(bad == 0, "%s: %zu notes differ from pretty_midi's", name, bad);
        free(got);
        pope_midi_free(&m);
    }
    free(want);
}

static void add(pope_midi *m, double start_beat, double end_beat, int pitch, int velocity, uint32_t order) {
    pope_note nt = {.start = start_beat / 2, .end = end_beat / 2, .start_beat = start_beat, .end_beat = end_beat,
                    .pitch = (uint8_t)pitch, .velocity = (uint8_t)velocity, .order = order};
    pope_midi_add_note(m, nt);
}

// Cases worked out by hand from MidiTok's rules (docs/MUSIC.md): a made-up piece is on a
// grid of 8 ticks per beat, 32 per 4/4 bar.
static void test_by_hand(void) {
    pope_midi m;
    pope_midi_init(&m);
    add(&m, 0.0, 1.0, 60, 64, 0);      // bar 0 pos 0, 8 ticks = Duration_1.0.8, velocity 64 -> 63 (bins 63, 67)
    add(&m, 0.0, 0.0625, 64, 5, 1);    // same onset; 0.5 tick -> 1 tick (half up) = 0.1.8; 5: tie 3|7 -> 7
    add(&m, 4.0 + 1.0 / 16, 4.5, 21, 127, 0);   // 0.5 tick: rounds up to bar 1 pos 1; 0.4375 beats = 3.5 -> 4 ticks
    add(&m, 12.0, 12.0 + 4.125, 109, 1, 0);    // bar 3 pos 0; 33 ticks: tie 32|34 -> 34 = Duration_4.1.4; v 1 -> 3
    add(&m, 12.0, 40.0, 108, 100, 0);          // 224 ticks > 96: Duration_12.0.4; 100 -> 99 (99|103)
                                               // (made-up notes of one onset: by pitch, 108 first)
    add(&m, 13.0, 14.0, 20, 64, 0);            // pitch 20: outside 21..109, left out
    pope_midi_sort(&m);
    pope_tokens t = {0};
    CHECK(pope_music_tokenize(POPE_TOK_REMI, &m, &t) == 0, "by hand: %s", pope_last_error());
    const char *want[] = {"BOS_None", "Bar_None", "TimeSig_4/4", "Position_0", "Pitch_60", "Velocity_63", "Duration_1.0.8",
                          "Pitch_64", "Velocity_7", "Duration_0.1.8",
                          "Bar_None", "TimeSig_4/4", "Position_1", "Pitch_21", "Velocity_127", "Duration_0.4.8",
                          "Bar_None", "TimeSig_4/4",
                          "Bar_None", "TimeSig_4/4", "Position_0", "Pitch_108", "Velocity_99", "Duration_12.0.4",
                          "Pitch_109", "Velocity_3", "Duration_4.1.4", "EOS_None"};
    size_t nw = sizeof want / sizeof *want;
    CHECK(t.n == nw, "by hand: %zu tokens, want %zu", t.n, nw);
    char buf[64];
    for (size_t i = 0; i < nw && i < t.n; i++) {
        const char *got = pope_music_token_str(POPE_TOK_REMI, t.data[i], buf, sizeof buf);
        CHECK(strcmp(got, want[i]) == 0, "by hand token %zu: %s, want %s", i, got, want[i]);
    }
    // Decoding: onsets and durations on the grid, velocities of the bins, 120 qpm.
    pope_midi r;
    CHECK(pope_music_detokenize(POPE_TOK_REMI, t.data, t.n, &r) == 0 && r.n_notes == 5, "decode: %zu notes", r.n_notes);
    if (r.n_notes == 5) {
        // sorted by (start, pitch): 60, 64 at 0; 21 at bar 1 + 1/8 beat; 108, 109 at bar 3
        CHECK_NEAR(r.notes[0].end_beat, 1.0, 1e-12, 0, "60 ends at beat 1");
        CHECK(r.notes[1].pitch == 64 && r.notes[1].velocity == 7, "64 velocity 7");
        CHECK_NEAR(r.notes[2].start_beat, 4.125, 1e-12, 0, "21 at beat 4 1/8");
        CHECK_NEAR(r.notes[2].end_beat - r.notes[2].start_beat, 0.5, 1e-12, 0, "21 lasts 4 ticks");
        CHECK_NEAR(r.notes[3].start, 6.0, 1e-12, 0, "bar 3 at 6 s (120 qpm)");
        CHECK_NEAR(r.notes[3].end_beat, 24.0, 1e-12, 0, "108 lasts 12 beats");
        CHECK_NEAR(r.notes[4].end_beat, 12.0 + 34 / 8.0, 1e-12, 0, "109 lasts 34 ticks");
        // Re-tokenizing the decoded piece gives the same tokens (the grid is a fixed point).
        pope_tokens t2 = {0};
        CHECK(pope_music_tokenize(POPE_TOK_REMI, &r, &t2) == 0 && t2.n == t.n &&
              memcmp(t2.data, t.data, t.n * sizeof *t.data) == 0, "re-tokenized decode differs");
        pope_tokens_free(&t2);
    }
    pope_midi_free(&r);
    // No notes: bar 0 only.
    pope_midi e;
    pope_midi_init(&e);
    pope_tokens te = {0};
    CHECK(pope_music_tokenize(POPE_TOK_REMI, &e, &te) == 0 && te.n == 4 && te.data[1] == POPE_MIDITOK_BAR &&
          te.data[2] == POPE_MIDITOK_TIME_SIG_4_4, "empty piece: %zu tokens", te.n);
    pope_tokens_free(&te);
    pope_midi_free(&e);
    pope_tokens_free(&t);
    pope_midi_free(&m);
}

// Issue 13: a note-on written before the previous note's note-off on the same tick starts
// a note (pretty_midi's pairing) instead of losing it; a note-off ends every earlier note
// of its pitch; a note-on and its note-off on one tick make no note.
static void test_pairing_by_hand(void) {
    // ppqn 480, 120 qpm: tick = 1/960 s. Events: 60 on @0, 60 on @480, 60 off @480 (the
    // first's), 60 off @960; 62 on @0, 62 on @100, 62 off @200 (ends both); 64 on+off @300.
    uint8_t mid[] = {
        'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 0, 0, 1, 0x01, 0xE0,
        'M', 'T', 'r', 'k', 0, 0, 0, 0,   // length set below
        0x00, 0x90, 60, 80,  0x00, 0x90, 62, 70,  0x64, 0x90, 62, 71,  0x64, 0x80, 62, 0,
        0x64, 0x90, 64, 50,  0x00, 0x80, 64, 0,   0x81, 0x34, 0x90, 60, 81,  0x00, 0x80, 60, 0,
        0x83, 0x60, 0x80, 60, 0,  0x00, 0xFF, 0x2F, 0x00};
    mid[21] = (uint8_t)(sizeof mid - 22);
    pope_midi m;
    int rc = pope_midi_read_memory(&m, mid, sizeof mid, "pairing");
    CHECK(rc == 0, "pairing file: %s", pope_last_error());
    if (rc) return;
    CHECK(m.n_notes == 4, "pairing: %zu notes, want 4", m.n_notes);
    if (m.n_notes == 4) {   // sorted by (start, pitch)
        CHECK(m.notes[0].pitch == 60 && fabs(m.notes[0].end - 0.5) < 1e-9, "first 60 ends at 0.5 s");
        CHECK(m.notes[1].pitch == 62 && fabs(m.notes[1].end - 200 / 960.0) < 1e-9, "first 62 ends at tick 200");
        CHECK(m.notes[2].pitch == 62 && fabs(m.notes[2].start - 100 / 960.0) < 1e-9 &&
              fabs(m.notes[2].end - 200 / 960.0) < 1e-9, "second 62: 100..200 ticks");
        CHECK(m.notes[3].pitch == 60 && fabs(m.notes[3].start - 0.5) < 1e-9 && fabs(m.notes[3].end - 1.0) < 1e-9 &&
              m.notes[3].velocity == 81, "second 60 kept: 0.5..1 s");
    }
    pope_midi_free(&m);
    // symusic's pairing (MidiTok's reading): strictly first in, first out; the 62 struck at
    // tick 100 is never released (dropped); 64 on and off at 300 is a note of length zero.
    rc = pope_midi_read_memory_opt(&m, mid, sizeof mid, "pairing", POPE_MIDI_NO_SUSTAIN | POPE_MIDI_SYMUSIC);
    CHECK(rc == 0 && m.n_notes == 4, "symusic pairing: %zu notes, want 4", m.n_notes);
    if (rc == 0 && m.n_notes == 4) {
        CHECK(m.notes[1].pitch == 62 && m.notes[1].velocity == 70 && fabs(m.notes[1].end - 200 / 960.0) < 1e-9,
              "62 of tick 0 ends at 200");
        CHECK(m.notes[2].pitch == 64 && m.notes[2].start == m.notes[2].end, "64: length zero, kept");
        CHECK(m.notes[3].pitch == 60 && m.notes[3].start == 0.5, "second 60 kept");
    }
    if (rc == 0) pope_midi_free(&m);
}

int main(void) {
    snprintf(dir, sizeof dir, "%s/tests/music/data/miditok", check_source_dir());
    test_by_hand();
    test_pairing_by_hand();
    test_vocab();
    char path[2560], name[256];
    snprintf(path, sizeof path, "%s/pieces.txt", dir);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "%s missing", path);
    int pieces = 0;
    while (f && fscanf(f, "%255s", name) == 1) {
        test_piece_tokens(name);
        test_piece_notes(name);
        pieces++;
    }
    if (f) fclose(f);
    CHECK(pieces >= 5, "%d pieces, want >= 5", pieces);
    return check_summary("test_music_fixtures");
}

// test_music_tokenizers.c — perf, remi and jsb: vocabulary layout, MIDI -> tokens -> MIDI round
// trips (perf: pitch, onset and offset within 10 ms, velocity within its bin; remi: exact on
// quantised input; jsb: grid -> tokens -> MIDI -> tokens exact), transposition, and
// robustness of detokenize to arbitrary token soup.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pope.h"
#include "pope_music.h"

static void test_vocab(void) {
    CHECK(pope_music_vocab_size(POPE_TOK_PERF) == 3 + 128 + 128 + 100 + 32, "perf vocab");
    CHECK(POPE_PERF_NOTE_OFF - POPE_PERF_NOTE_ON == 128 && POPE_PERF_TIME_SHIFT - POPE_PERF_NOTE_OFF == 128 &&
          POPE_PERF_VELOCITY - POPE_PERF_TIME_SHIFT == 100 && POPE_PERF_VOCAB - POPE_PERF_VELOCITY == 32, "perf ranges");
    CHECK(pope_music_vocab_size(POPE_TOK_REMI_POPE) == 3 + 1 + 16 + 32 + 128 + 32 + 64, "remi-pope vocab");
    CHECK(POPE_REMI_TEMPO - POPE_REMI_POSITION == 16 && POPE_REMI_PITCH - POPE_REMI_TEMPO == 32 &&
          POPE_REMI_VELOCITY - POPE_REMI_PITCH == 128 && POPE_REMI_DURATION - POPE_REMI_VELOCITY == 32 &&
          POPE_REMI_VOCAB - POPE_REMI_DURATION == 64, "remi-pope ranges");
    CHECK(pope_music_vocab_size(POPE_TOK_JSB) == 3 + 1 + 88, "jsb vocab");
    pope_music_tok t;
    CHECK(pope_music_tok_parse("remi", &t) == 0 && t == POPE_TOK_REMI, "parse remi");
    CHECK(pope_music_tok_parse("remi-pope", &t) == 0 && t == POPE_TOK_REMI_POPE, "parse remi-pope");
    CHECK(pope_music_tok_parse("midi", &t) == -1, "bad name accepted");
    char buf[64];
    CHECK(strcmp(pope_music_token_str(POPE_TOK_PERF, POPE_PERF_NOTE_ON + 60, buf, sizeof buf), "NOTE_ON_60") == 0, "%s", buf);
    CHECK(strcmp(pope_music_token_str(POPE_TOK_PERF, POPE_PERF_TIME_SHIFT + 99, buf, sizeof buf), "TIME_SHIFT_1000") == 0, "%s", buf);
    CHECK(strcmp(pope_music_token_str(POPE_TOK_JSB, POPE_JSB_PITCH0, buf, sizeof buf), "Pitch_21") == 0, "%s", buf);
    // Magenta's velocity bins: 1..4 -> bin 0, 125..127 -> bin 31.
    CHECK(pope_perf_velocity_bin(1) == 0 && pope_perf_velocity_bin(4) == 0 && pope_perf_velocity_bin(5) == 1 &&
          pope_perf_velocity_bin(127) == 31, "velocity bins");
    for (int v = 1; v < 128; v++)
        CHECK(pope_perf_velocity_bin(pope_perf_bin_velocity(pope_perf_velocity_bin(v))) == pope_perf_velocity_bin(v), "bin %d", v);
    CHECK(pope_remi_tempo_class(120) == 15 && pope_remi_class_tempo(15) == 120, "remi tempo 120");
}

// Random piano-like notes: per pitch, never overlapping, with gaps long enough for 10 ms
// quantisation to keep their order, and some silences longer than a TIME_SHIFT (1 s).
static void random_notes(pope_midi *m, uint64_t seed, int n) {
    pope_midi_init(m);
    pope_rng rng;
    pope_rng_seed(&rng, seed);
    double last_end[128] = {0}, t = 0;
    for (int i = 0; i < n; i++) {
        t += pope_rng_uniform(&rng) < 0.03 ? 1.0 + 2.5 * pope_rng_uniform(&rng) : 0.15 * pope_rng_uniform(&rng);
        int pitch = 21 + (int)pope_rng_below(&rng, 88);
        double start = t > last_end[pitch] + 0.03 ? t : last_end[pitch] + 0.03;
        double end = start + 0.012 + 1.5 * pope_rng_uniform(&rng);
        last_end[pitch] = end;
        pope_note nt = {.start = start, .end = end, .start_beat = -1, .end_beat = -1, .pitch = (uint8_t)pitch,
                        .velocity = (uint8_t)(1 + pope_rng_below(&rng, 127))};
        pope_midi_add_note(m, nt);
    }
    pope_midi_sort(m);
}

// Every note of a has a note of b with the same pitch, onset and offset within tol seconds
// and the same velocity bin; and the counts agree.
static int notes_match(const pope_midi *a, const pope_midi *b, double tol, const char *what) {
    CHECK(a->n_notes == b->n_notes, "%s: %zu notes became %zu", what, a->n_notes, b->n_notes);
    int bad = 0;
    char *used = calloc(b->n_notes + 1, 1);
    for (size_t i = 0; i < a->n_notes; i++) {
        const pope_note *x = &a->notes[i];
        int found = 0;
        for (size_t j = 0; j < b->n_notes && !found; j++) {
            const pope_note *y = &b->notes[j];
            if (used[j] || y->pitch != x->pitch || fabs(y->start - x->start) > tol || fabs(y->end - x->end) > tol ||
                pope_perf_velocity_bin(y->velocity) != pope_perf_velocity_bin(x->velocity)) continue;
            used[j] = 1;
            found = 1;
        }
        if (!found && bad++ < 3) fprintf(stderr, "%s: note %d %.4f-%.4f v%d lost\n", what, x->pitch, x->start, x->end, x->velocity);
    }
    free(used);
    CHECK(bad == 0, "%s: %d notes not kept", what, bad);
    return bad;
}

static void test_perf_roundtrip(void) {
    for (uint64_t seed = 1; seed <= 3; seed++) {
        pope_midi m, r;
        random_notes(&m, seed, 400);
        pope_tokens tok = {0};
        CHECK(pope_music_tokenize(POPE_TOK_PERF, &m, &tok) == 0, "perf tokenize: %s", pope_last_error());
        CHECK(tok.n > 2 && tok.data[0] == POPE_MUSIC_BOS && tok.data[tok.n - 1] == POPE_MUSIC_EOS, "BOS/EOS");
        int n_on = 0, n_off = 0, bad_id = 0;
        for (size_t i = 0; i < tok.n; i++) {
            if (tok.data[i] < 0 || tok.data[i] >= POPE_PERF_VOCAB) bad_id++;
            n_on += tok.data[i] >= POPE_PERF_NOTE_ON && tok.data[i] < POPE_PERF_NOTE_OFF;
            n_off += tok.data[i] >= POPE_PERF_NOTE_OFF && tok.data[i] < POPE_PERF_TIME_SHIFT;
        }
        CHECK(bad_id == 0 && n_on == 400 && n_off == 400, "perf: %d bad ids, %d on, %d off", bad_id, n_on, n_off);
        CHECK(pope_music_detokenize(POPE_TOK_PERF, tok.data, tok.n, &r) == 0, "perf detokenize: %s", pope_last_error());
        notes_match(&m, &r, 0.005 + 1e-9, "perf round trip");   // rounding to 10 ms: at most 5 ms
        // Time stretch: every time scales (within the 10 ms grid).
        pope_tokens st = {0};
        pope_midi rs;
        CHECK(pope_perf_tokenize(&m, 1.05, &st) == 0, "stretch");
        CHECK(pope_music_detokenize(POPE_TOK_PERF, st.data, st.n, &rs) == 0, "stretch detok");
        pope_midi scaled;
        pope_midi_init(&scaled);
        for (size_t i = 0; i < m.n_notes; i++) {
            pope_note nt = m.notes[i];
            nt.start *= 1.05, nt.end *= 1.05, nt.start_beat = nt.end_beat = -1;
            pope_midi_add_note(&scaled, nt);
        }
        notes_match(&scaled, &rs, 0.005 + 1e-9, "perf stretch 1.05");
        // Transposing the tokens = tokenizing the transposed notes.
        pope_tokens tr = {0};
        for (size_t i = 0; i < m.n_notes; i++) m.notes[i].pitch += 3;
        pope_music_tokenize(POPE_TOK_PERF, &m, &tr);
        CHECK(pope_music_transpose(POPE_TOK_PERF, tok.data, tok.n, 3) == 0, "transpose +3");
        CHECK(tr.n == tok.n && memcmp(tr.data, tok.data, tok.n * sizeof(int32_t)) == 0, "perf transpose != retokenize");
        pope_tokens_free(&tr);
        pope_tokens_free(&tok);
        pope_tokens_free(&st);
        pope_midi_free(&m);
        pope_midi_free(&r);
        pope_midi_free(&rs);
        pope_midi_free(&scaled);
    }
    // Out of range: transposing NOTE_ON_127 up must refuse and leave the tokens alone.
    int32_t t[3] = {POPE_MUSIC_BOS, POPE_PERF_NOTE_ON + 127, POPE_PERF_NOTE_OFF + 127};
    CHECK(pope_music_transpose(POPE_TOK_PERF, t, 3, 1) == -1 && t[1] == POPE_PERF_NOTE_ON + 127, "range check");
}

// Through a real file too: write, read, tokenize, detokenize, compare.
static void test_perf_file(void) {
    pope_midi m, r, d;
    random_notes(&m, 11, 200);
    char path[] = "/tmp/pope-test-tok-XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) close(fd);
    CHECK(pope_midi_write(path, &m) == 0, "write: %s", pope_last_error());
    CHECK(pope_midi_read(&r, path) == 0, "read: %s", pope_last_error());
    pope_tokens tok = {0};
    CHECK(pope_music_tokenize(POPE_TOK_PERF, &r, &tok) == 0, "tokenize");
    CHECK(pope_music_detokenize(POPE_TOK_PERF, tok.data, tok.n, &d) == 0, "detokenize");
    notes_match(&m, &d, 0.0051 + 7e-4, "perf through a MIDI file");
    unlink(path);
    pope_tokens_free(&tok);
    pope_midi_free(&m);
    pope_midi_free(&r);
    pope_midi_free(&d);
}

static void test_remi_roundtrip(void) {
    pope_midi m;
    pope_midi_init(&m);
    // Tempo 120, then 90 qpm from bar 3 (beat 12): both class centres.
    free(m.tempos);
    m.tempos = malloc(2 * sizeof *m.tempos);
    m.tempos[0] = (pope_tempo){0, 0, 120};
    m.tempos[1] = (pope_tempo){6.0, 12, 90};
    m.n_tempos = 2;
    pope_rng rng;
    pope_rng_seed(&rng, 5);
    for (int i = 0; i < 300; i++) {
        long on = (long)pope_rng_below(&rng, 16 * 12);   // 12 bars of 16ths
        long dur = 1 + (long)pope_rng_below(&rng, 64);
        int vel = pope_perf_bin_velocity((int)pope_rng_below(&rng, 32));
        pope_note nt = {.start_beat = on / 4.0, .end_beat = (on + dur) / 4.0, .pitch = (uint8_t)(21 + pope_rng_below(&rng, 88)),
                        .velocity = (uint8_t)vel};
        nt.start = pope_midi_beats_to_seconds(&m, nt.start_beat);
        nt.end = pope_midi_beats_to_seconds(&m, nt.end_beat);
        pope_midi_add_note(&m, nt);
    }
    pope_midi_sort(&m);
    pope_tokens tok = {0};
    pope_midi r;
    CHECK(pope_music_tokenize(POPE_TOK_REMI_POPE, &m, &tok) == 0, "remi tokenize: %s", pope_last_error());
    int bars = 0, tempos = 0;
    for (size_t i = 0; i < tok.n; i++) {
        bars += tok.data[i] == POPE_REMI_BAR;
        tempos += tok.data[i] >= POPE_REMI_TEMPO && tok.data[i] < POPE_REMI_PITCH;
        CHECK(tok.data[i] >= 0 && tok.data[i] < POPE_REMI_VOCAB, "remi id %d", tok.data[i]);
    }
    long last_onset = 0;
    for (size_t i = 0; i < m.n_notes; i++) if (lround(m.notes[i].start_beat * 4) > last_onset) last_onset = lround(m.notes[i].start_beat * 4);
    CHECK(bars == last_onset / 16 + 1, "remi: %d bars, want %ld", bars, last_onset / 16 + 1);
    CHECK(tempos == 2, "remi: %d tempo tokens, want 2 (120, then 90)", tempos);
    CHECK(pope_music_detokenize(POPE_TOK_REMI_POPE, tok.data, tok.n, &r) == 0, "remi detokenize: %s", pope_last_error());
    notes_match(&m, &r, 1e-9, "remi round trip (seconds through the tempo map)");
    int beat_bad = 0;
    for (size_t i = 0; i < m.n_notes && i < r.n_notes; i++) {
        int found = 0;
        for (size_t j = 0; j < r.n_notes && !found; j++)
            found = r.notes[j].pitch == m.notes[i].pitch && fabs(r.notes[j].start_beat - m.notes[i].start_beat) < 1e-9 &&
                    fabs(r.notes[j].end_beat - m.notes[i].end_beat) < 1e-9;
        beat_bad += !found;
    }
    CHECK(beat_bad == 0, "remi: %d notes moved on the beat grid", beat_bad);
    pope_tokens_free(&tok);
    pope_midi_free(&r);
    pope_midi_free(&m);
}

static void test_jsb_roundtrip(void) {
    enum { STEPS = 64 };
    int16_t grid[STEPS * 4];
    pope_rng rng;
    pope_rng_seed(&rng, 3);
    int16_t cur[4] = {72, 67, 60, 48};
    for (int s = 0; s < STEPS; s++) {
        for (int v = 0; v < 4; v++) {
            float u = pope_rng_uniform(&rng);
            if (u < 0.3f) cur[v] = (int16_t)(cur[v] + (int)pope_rng_below(&rng, 5) - 2);   // moves
            int16_t p = (u > 0.95f && s < STEPS - 1) ? -1 : cur[v];                        // rests
            grid[s * 4 + v] = p;
        }
    }
    grid[5 * 4 + 1] = grid[5 * 4 + 0];   // a unison
    pope_tokens tok = {0};
    CHECK(pope_jsb_tokenize_grid(grid, STEPS, &tok) == 0, "jsb tokenize: %s", pope_last_error());
    CHECK(tok.n == STEPS * 4 + 2, "jsb: %zu tokens, want %d", tok.n, STEPS * 4 + 2);
    int bad = 0;
    for (int k = 0; k < STEPS * 4; k++) {
        int32_t want = grid[k] < 0 ? POPE_JSB_SILENCE : POPE_JSB_PITCH0 + grid[k] - 21;
        bad += tok.data[k + 1] != want;
    }
    CHECK(bad == 0, "jsb: %d tokens differ from the raster scan", bad);
    pope_midi m;
    CHECK(pope_music_detokenize(POPE_TOK_JSB, tok.data, tok.n, &m) == 0, "jsb detokenize");
    // Held notes: a voice's note lasts while its pitch repeats; onsets on the 16th grid at 120 qpm.
    for (size_t i = 0; i < m.n_notes; i++) {
        double steps = m.notes[i].start / 0.125;
        CHECK(fabs(steps - lround(steps)) < 1e-9 && m.notes[i].channel < 4, "jsb note off grid");
    }
    pope_tokens back = {0};
    CHECK(pope_music_tokenize(POPE_TOK_JSB, &m, &back) == 0, "jsb re-tokenize");
    CHECK(back.n == tok.n && memcmp(back.data, tok.data, tok.n * sizeof(int32_t)) == 0,
          "jsb grid -> tokens -> MIDI -> tokens changed (%zu vs %zu tokens)", back.n, tok.n);
    // And through a MIDI file.
    char path[] = "/tmp/pope-test-jsb-XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) close(fd);
    pope_midi r;
    pope_tokens file_tok = {0};
    CHECK(pope_midi_write(path, &m) == 0 && pope_midi_read(&r, path) == 0, "jsb file: %s", pope_last_error());
    CHECK(pope_music_tokenize(POPE_TOK_JSB, &r, &file_tok) == 0 && file_tok.n == tok.n &&
          memcmp(file_tok.data, tok.data, tok.n * sizeof(int32_t)) == 0, "jsb through a MIDI file changed");
    unlink(path);
    // A pitch outside 21..108 is an error, not a silent clip.
    int16_t low[4] = {60, 55, 50, 12};
    pope_tokens bad_tok = {0};
    CHECK(pope_jsb_tokenize_grid(low, 1, &bad_tok) == -1, "pitch 12 accepted");
    // Transposition keeps silences.
    CHECK(pope_music_transpose(POPE_TOK_JSB, tok.data, tok.n, -3) == 0, "jsb transpose");
    bad = 0;
    for (int k = 0; k < STEPS * 4; k++) {
        int32_t want = grid[k] < 0 ? POPE_JSB_SILENCE : POPE_JSB_PITCH0 + grid[k] - 3 - 21;
        bad += tok.data[k + 1] != want;
    }
    CHECK(bad == 0, "jsb transpose: %d tokens wrong", bad);
    pope_tokens_free(&tok);
    pope_tokens_free(&back);
    pope_tokens_free(&file_tok);
    pope_tokens_free(&bad_tok);
    pope_midi_free(&m);
    pope_midi_free(&r);
}

// Detokenize must survive any token sequence (generated tokens are not always well formed).
static void test_token_soup(void) {
    pope_rng rng;
    pope_rng_seed(&rng, 9);
    for (int t = 0; t < POPE_TOK_COUNT; t++) {
        int V = pope_music_vocab_size((pope_music_tok)t);
        int32_t tok[3000];
        for (int i = 0; i < 3000; i++) tok[i] = (int32_t)pope_rng_below(&rng, (uint64_t)V + 5) - 2;
        pope_midi m;
        int rc = pope_music_detokenize((pope_music_tok)t, tok, 3000, &m);
        CHECK(rc == 0, "%s soup: %s", pope_music_tok_name((pope_music_tok)t), pope_last_error());
        if (rc) continue;
        int bad = 0;
        for (size_t i = 0; i < m.n_notes; i++) bad += !(m.notes[i].end > m.notes[i].start) || m.notes[i].pitch > 127;
        CHECK(bad == 0, "%s soup: %d malformed notes", pope_music_tok_name((pope_music_tok)t), bad);
        pope_midi_free(&m);
    }
}

// A broken file with a note a month away must be refused, not turned into gigabytes of tokens.
static void test_limits(void) {
    pope_midi m;
    pope_midi_init(&m);
    pope_note nt = {.start = 30 * 86400.0, .end = 30 * 86400.0 + 1, .start_beat = -1, .end_beat = -1, .pitch = 60, .velocity = 64};
    pope_midi_add_note(&m, nt);
    pope_tokens t = {0};
    CHECK(pope_music_tokenize(POPE_TOK_PERF, &m, &t) == -1 && strstr(pope_last_error(), "day"), "perf: %s", pope_last_error());
    CHECK(pope_music_tokenize(POPE_TOK_REMI_POPE, &m, &t) == -1 && strstr(pope_last_error(), "bars"), "remi-pope: %s", pope_last_error());
    CHECK(pope_music_tokenize(POPE_TOK_REMI, &m, &t) == -1 && strstr(pope_last_error(), "bars"), "remi: %s", pope_last_error());
    CHECK(pope_music_tokenize(POPE_TOK_JSB, &m, &t) == -1 && strstr(pope_last_error(), "too long"), "jsb: %s", pope_last_error());
    CHECK(t.data == NULL && t.n == 0, "a failed tokenization leaves its tokens allocated");
    pope_tokens_free(&t);
    pope_midi_free(&m);
    // jsb's limit is on steps (a note ending just past it is refused, one inside is not)
    pope_midi_init(&m);
    pope_note far = {.start = 0, .end = 1, .start_beat = POPE_JSB_MAX_STEPS / 4.0 - 1,
                     .end_beat = POPE_JSB_MAX_STEPS / 4.0, .pitch = 60, .velocity = 64, .channel = 7};
    pope_midi_add_note(&m, far);
    CHECK(pope_music_tokenize(POPE_TOK_JSB, &m, &t) == 0 && t.n == 4 * (size_t)POPE_JSB_MAX_STEPS + 2,
          "jsb at the limit: %zu tokens (%s)", t.n, pope_last_error());
    pope_tokens_free(&t);
    m.notes[0].end_beat += 0.25;
    CHECK(pope_music_tokenize(POPE_TOK_JSB, &m, &t) == -1 && t.data == NULL, "jsb past the limit accepted");
    pope_midi_free(&m);
}

// The cost must follow the input: 50,000 tempo changes and a note 200,000 bars later made
// remi-pope walk bars × tempos (10^10); jsb walked every note's length. Each finishes at once now.
static void test_cost(void) {
    pope_midi m;
    pope_midi_init(&m);
    size_t nt = 50000;
    pope_tempo *tp = realloc(m.tempos, nt * sizeof *tp);
    if (!tp) return;
    m.tempos = tp;
    for (size_t i = 0; i < nt; i++) tp[i] = (pope_tempo){.time = i * 0.5, .beat = (double)i, .qpm = i % 2 ? 90 : 120};
    m.n_tempos = nt;
    pope_note a = {.start = 0, .end = 1, .start_beat = 0, .end_beat = 2, .pitch = 60, .velocity = 64};
    pope_midi_add_note(&m, a);
    a.start_beat = 800000, a.end_beat = 800001;
    pope_midi_add_note(&m, a);
    pope_tokens t = {0};
    CHECK(pope_music_tokenize(POPE_TOK_REMI_POPE, &m, &t) == 0 && t.n > 200000, "remi-pope: %s", pope_last_error());
    // Bar tokens: one per bar up to the last onset's (bar 200000)
    size_t bars = 0;
    for (size_t i = 0; i < t.n; i++) bars += t.data[i] == POPE_REMI_BAR;
    CHECK(bars == 200001, "remi-pope: %zu bars", bars);
    pope_tokens_free(&t);
    CHECK(pope_music_tokenize(POPE_TOK_REMI, &m, &t) == 0 && t.n > 200000, "remi: %s", pope_last_error());
    pope_tokens_free(&t);
    pope_midi_free(&m);
    // jsb: 20,000 notes each sounding for 200,000 steps (4·10^9 cell visits the old way); the
    // five highest distinct pitches (64..60 on channel 5) leave S, A, T, B = 64, 63, 62, 61.
    pope_midi_init(&m);
    for (int i = 0; i < 20000; i++) {
        pope_note n = {.start = 0, .end = 1, .start_beat = 0, .end_beat = 50000, .pitch = (uint8_t)(60 + i % 5),
                       .velocity = 64, .channel = 5};
        pope_midi_add_note(&m, n);
    }
    CHECK(pope_music_tokenize(POPE_TOK_JSB, &m, &t) == 0 && t.n == 4 * 200000 + 2, "jsb: %zu tokens", t.n);
    int bad = 0;
    for (size_t s = 0; t.n == 4 * 200000 + 2 && s < 200000; s++)
        for (int v = 0; v < 4; v++) bad += t.data[1 + 4 * s + v] != POPE_JSB_PITCH0 + 64 - v - 21;
    CHECK(bad == 0, "jsb: %d cells wrong", bad);
    pope_tokens_free(&t);
    pope_midi_free(&m);
}

// jsb voice ranges (formats/music/jsb_ranges.c): the voice of the next token, ranges widened
// by tokens, the metadata string both ways, and the logit mask.
static void test_jsb_ranges(void) {
    const int16_t grid[3 * 4] = {72, 67, -1, 48, 74, 65, 57, 50, 71, 64, 55, -1};
    pope_tokens t = {0};
    CHECK(pope_jsb_tokenize_grid(grid, 3, &t) == 0, "tokenize grid");
    for (size_t n = 0; n <= 13 && t.n == 14; n++)   // BOS, 12 cells, EOS
        CHECK(pope_jsb_next_voice(t.data, n) == (n ? (int)(n - 1) % 4 : 0), "next voice after %zu tokens", n);
    int32_t two[3] = {POPE_MUSIC_BOS, POPE_JSB_SILENCE, POPE_MUSIC_BOS};   // a new piece restarts at the soprano
    CHECK(pope_jsb_next_voice(two, 2) == 1 && pope_jsb_next_voice(two, 3) == 0, "BOS restarts the voices");
    pope_jsb_ranges r;
    pope_jsb_ranges_empty(&r);
    pope_jsb_ranges_add(&r, t.data, t.n);
    char buf[96];
    CHECK(pope_jsb_ranges_format(&r, buf, sizeof buf) == 0 && !strcmp(buf, "S 71-74, A 64-67, T 55-57, B 48-50"),
          "ranges '%s'", buf);
    pope_jsb_ranges back;
    CHECK(pope_jsb_ranges_parse(buf, &back) == 0 && !memcmp(&back, &r, sizeof r), "parse(format) '%s'", buf);
    CHECK(pope_jsb_ranges_format(&r, buf, 20) == -1, "a short buffer is refused");
    pope_jsb_ranges_empty(&r);
    CHECK(pope_jsb_ranges_format(&r, buf, sizeof buf) == 0 && !strcmp(buf, "S none, A none, T none, B none") &&
              pope_jsb_ranges_parse(buf, &back) == 0 && !memcmp(&back, &r, sizeof r),
          "empty ranges '%s'", buf);
    const char *bad[] = {"", "S 60-81", "S 60-81, A 52-74, T 46-69, B 36-66, X", "A 60-81, S 52-74, T 46-69, B 36-66",
                         "S 81-60, A 52-74, T 46-69, B 36-66", "S 10-81, A 52-74, T 46-69, B 36-66",
                         "S 60-81, A 52-74, T 46-69, B 36-200", "S 60-81, A 52-74, T 46-69, B 36-99999999999999999999",
                         "S 60-81,A 52-74, T 46-69, B 36-66", "S -60-81, A 52-74, T 46-69, B 36-66",
                         "S 60-81, A 52-74, T 46-69, B 36-66 "};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++)
        CHECK(pope_jsb_ranges_parse(bad[k], &back) == -1 && strstr(pope_last_error(), "voice ranges"), "parsed '%s'", bad[k]);
    CHECK(pope_jsb_ranges_parse("S 60-81, A 52-74, T 46-69, B 36-66", &r) == 0, "parse");
    float logits[POPE_JSB_VOCAB];
    for (int v = 0; v < 4; v++) {
        for (int i = 0; i < POPE_JSB_VOCAB; i++) logits[i] = 1.0f;
        pope_jsb_ranges_mask(&r, v, logits);
        int wrong = 0;
        for (int i = 0; i < POPE_JSB_VOCAB; i++) {
            int p = pope_jsb_token_pitch(i), keep = p < 0 || (p >= r.lo[v] && p <= r.hi[v]);
            wrong += keep ? logits[i] != 1.0f : !isinf(logits[i]);
        }
        CHECK(wrong == 0, "voice %d: %d logits masked wrongly", v, wrong);
    }
    pope_tokens_free(&t);
}

int main(void) {
    test_limits();
    test_cost();
    test_vocab();
    test_perf_roundtrip();
    test_perf_file();
    test_remi_roundtrip();
    test_jsb_roundtrip();
    test_token_soup();
    test_jsb_ranges();
    return check_summary("test_music_tokenizers");
}

// tok_remi_miditok.c — REMI exactly as MidiTok 3.1 (with symusic 0.6) tokenizes a piano
// piece with its default TokenizerConfig: the Polar PoPE paper's MAESTRO tokenization.
// Its vocabulary id for id, its 8-positions-per-beat grid, its velocity and duration bins,
// and its token order. Pope reads no time signatures, so every bar is 4/4 (all of MAESTRO
// is). The rules, and where they come from in MidiTok, are in docs/MUSIC.md; the fixtures
// in tests/music/data/miditok/ hold MidiTok's own output.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "pope.h"
#include "pope_music.h"
#include "tokenizers.h"

#define POS_PER_BEAT 8         // max of beat_res {(0, 4): 8, (4, 12): 4}: the grid, 1 tick
#define TICKS_PER_BAR 32       // 4/4
#define N_DURATIONS 64
#define N_VELOCITIES 32
#define N_POSITIONS 96         // 12 beats (12/8) x 8
#define N_TIME_SIGS 9
#define DEFAULT_VELOCITY 100   // MidiTok's DEFAULT_VELOCITY, for a Pitch without Velocity
#define MAX_BARS 1000000       // ~ 33 hours at 120 qpm: beyond it a file is broken

// The time signatures of the vocabulary, in MidiTok's order ({8: [3, 12, 6], 4: [5, 6, 3, 2, 1, 4]}).
static const int time_sigs[N_TIME_SIGS][2] = {{3, 8}, {12, 8}, {6, 8}, {5, 4}, {6, 4},
                                              {3, 4}, {2, 4}, {1, 4}, {4, 4}};

// Velocity bin b: MidiTok's np.linspace(0, 127, 33).astype(int)[1:] = 3, 7, 11, ... 127.
static int bin_velocity(int b) { return (int)((b + 1) * (127.0 / N_VELOCITIES)); }

// Duration token d as (beat, position, resolution) and its length in grid ticks: beats
// 0..3 in eighths of a beat (0.1.8 .. 3.7.8 = 1..31 ticks), 4..11 in quarters of a beat
// (4.0.4 .. 11.3.4 = 32, 34, .. 94 ticks), then 12.0.4 (96 ticks).
static void duration_parts(int d, int *beat, int *pos, int *res) {
    if (d < 31) { *beat = (d + 1) / 8; *pos = (d + 1) % 8; *res = 8; }
    else if (d < 63) { *beat = 4 + (d - 31) / 4; *pos = (d - 31) % 4; *res = 4; }
    else { *beat = 12; *pos = 0; *res = 4; }
}
static int duration_ticks(int d) {
    int beat, pos, res;
    duration_parts(d, &beat, &pos, &res);
    return (beat * res + pos) * POS_PER_BEAT / res;
}

// MidiTok's np_get_closest: the nearest value, a tie going to the larger one.
static int closest_duration(long ticks) {
    if (ticks >= 96) return N_DURATIONS - 1;
    if (ticks <= 31) return ticks < 1 ? 0 : (int)ticks - 1;
    long k = (ticks - 32 + 1) / 2;   // 32 + 2k nearest, ties (odd ticks) up
    return 31 + (int)k;
}
static int closest_velocity_bin(int v) {
    int best = 0;
    for (int b = 1; b < N_VELOCITIES; b++)   // ascending: "<=" takes the larger on a tie
        if (abs(bin_velocity(b) - v) <= abs(bin_velocity(best) - v)) best = b;
    return best;
}

const char *miditok_remi_token_str(int32_t tok, char *buf, size_t n) {
    static const char *const specials[4] = {"PAD_None", "BOS_None", "EOS_None", "MASK_None"};
    if (tok < 0 || tok >= POPE_MIDITOK_VOCAB) snprintf(buf, n, "?%d", (int)tok);
    else if (tok < POPE_MIDITOK_BAR) snprintf(buf, n, "%s", specials[tok]);
    else if (tok == POPE_MIDITOK_BAR) snprintf(buf, n, "Bar_None");
    else if (tok < POPE_MIDITOK_VELOCITY) snprintf(buf, n, "Pitch_%d", tok - POPE_MIDITOK_PITCH + POPE_MIDITOK_MIN_PITCH);
    else if (tok < POPE_MIDITOK_DURATION) snprintf(buf, n, "Velocity_%d", bin_velocity(tok - POPE_MIDITOK_VELOCITY));
    else if (tok < POPE_MIDITOK_POSITION) {
        int beat, pos, res;
        duration_parts(tok - POPE_MIDITOK_DURATION, &beat, &pos, &res);
        snprintf(buf, n, "Duration_%d.%d.%d", beat, pos, res);
    } else if (tok < POPE_MIDITOK_PITCH_DRUM) snprintf(buf, n, "Position_%d", tok - POPE_MIDITOK_POSITION);
    else if (tok < POPE_MIDITOK_TIME_SIG) snprintf(buf, n, "PitchDrum_%d", tok - POPE_MIDITOK_PITCH_DRUM + 27);
    else snprintf(buf, n, "TimeSig_%d/%d", time_sigs[tok - POPE_MIDITOK_TIME_SIG][0], time_sigs[tok - POPE_MIDITOK_TIME_SIG][1]);
    return buf;
}

typedef struct {
    double start, dur;   // in the file's ticks (beats for made-up pieces): the sort keys
    uint32_t order;      // the note-on's rank in the file
    long tick;           // onset on the grid (8 per beat)
    int duration, pitch, velocity;   // duration token index, MIDI pitch, velocity bin
} mt_note;

// symusic keeps notes in note-on order, and MidiTok sorts events stably by grid time.
static int mt_note_cmp(const void *a, const void *b) {
    const mt_note *x = a, *y = b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    if (x->order != y->order) return x->order < y->order ? -1 : 1;
    return x->pitch - y->pitch;   // made-up notes (order 0): by pitch
}

// symusic's Score.resample(8, min_dur=1): ticks * 8 / tpq rounded half up, computed on the
// onset and on the duration separately (not on the offset).
static double to_grid(double ticks, int tpq) { return floor(ticks * POS_PER_BEAT / tpq + 0.5); }

int miditok_remi_tokenize(const pope_midi *m, pope_tokens *out) {
    mt_note *notes = malloc((m->n_notes + 1) * sizeof *notes);
    if (!notes) return pope_error("remi: out of memory");
    size_t n = 0;
    const double limit = (double)MAX_BARS * TICKS_PER_BAR;
    for (size_t i = 0; i < m->n_notes; i++) {
        const pope_note *nt = &m->notes[i];
        if (nt->pitch < POPE_MIDITOK_MIN_PITCH || nt->pitch > POPE_MIDITOK_MAX_PITCH) continue;
        // The file's own ticks where it has them (beats are exact multiples of 1/ppqn).
        int tpq = m->ppqn > 0 ? m->ppqn : 1;
        double start = m->ppqn > 0 ? nearbyint(nt->start_beat * tpq) : nt->start_beat;
        double dur = m->ppqn > 0 ? nearbyint(nt->end_beat * tpq) - start : nt->end_beat - nt->start_beat;
        double tick = to_grid(start, tpq), dticks = to_grid(dur, tpq);
        if (!(tick >= 0)) tick = 0;
        if (!(tick < limit)) {
            free(notes);
            return pope_error("remi: a note at beat %.0f (more than %d bars): not a piece", nt->start_beat, MAX_BARS);
        }
        if (!(dticks >= 1)) dticks = 1;
        notes[n++] = (mt_note){start, dur, nt->order, (long)tick, closest_duration(dticks > 96 ? 96 : (long)dticks),
                               nt->pitch, closest_velocity_bin(nt->velocity)};
    }
    qsort(notes, n, sizeof *notes, mt_note_cmp);
    int rc = pope_tokens_push(out, POPE_MUSIC_BOS);
    long bar = -1, last_tick = -1;
    for (size_t i = 0; i <= n && rc == 0; i++) {
        // Bars up to the note's (bar 0 always, even without notes), each "Bar TimeSig_4/4".
        long to_bar = i < n ? notes[i].tick / TICKS_PER_BAR : bar < 0 ? 0 : bar;
        while (bar < to_bar && rc == 0) {
            bar++;
            rc = pope_tokens_push(out, POPE_MIDITOK_BAR);
            if (rc == 0) rc = pope_tokens_push(out, POPE_MIDITOK_TIME_SIG_4_4);
            last_tick = -1;   // a Position follows every Bar
        }
        if (i == n || rc) break;
        if (notes[i].tick != last_tick) {
            rc = pope_tokens_push(out, POPE_MIDITOK_POSITION + (int32_t)(notes[i].tick % TICKS_PER_BAR));
            last_tick = notes[i].tick;
        }
        if (rc == 0) rc = pope_tokens_push(out, POPE_MIDITOK_PITCH + notes[i].pitch - POPE_MIDITOK_MIN_PITCH);
        if (rc == 0) rc = pope_tokens_push(out, POPE_MIDITOK_VELOCITY + notes[i].velocity);
        if (rc == 0) rc = pope_tokens_push(out, POPE_MIDITOK_DURATION + notes[i].duration);
    }
    if (rc == 0) rc = pope_tokens_push(out, POPE_MUSIC_EOS);
    free(notes);
    return rc;
}

// Decoding as MidiTok's REMI._tokens_to_score: a Bar starts a bar after the previous one
// (its length from the TimeSig in force), Position p is p eighths of a beat into it (a
// beat is the time signature's denominator), a note is Pitch|PitchDrum [Velocity] Duration.
// 120 qpm (the default configuration has no Tempo tokens); drum notes go to channel 10.
int miditok_remi_detokenize(const int32_t *tok, size_t n, pope_midi *out) {
    pope_midi_init(out);
    if (!out->tempos) return pope_error("remi: out of memory");
    double bar_start = 0, bar_len = 4, beat_len = 1, pos = 0;   // in quarter notes
    int started = 0, pitch = -1, drum = 0, velocity = DEFAULT_VELOCITY, rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        int32_t t = tok[i];
        if (t == POPE_MUSIC_EOS) break;
        if (t == POPE_MIDITOK_BAR) {
            if (started) bar_start += bar_len;
            started = 1;
            pos = bar_start;
            pitch = -1;
        } else if (t >= POPE_MIDITOK_TIME_SIG && t < POPE_MIDITOK_VOCAB) {
            const int *ts = time_sigs[t - POPE_MIDITOK_TIME_SIG];
            beat_len = 4.0 / ts[1];
            bar_len = ts[0] * beat_len;
        } else if (t >= POPE_MIDITOK_POSITION && t < POPE_MIDITOK_PITCH_DRUM) {
            pos = bar_start + (t - POPE_MIDITOK_POSITION) * beat_len / POS_PER_BEAT;
            pitch = -1;
        } else if (t >= POPE_MIDITOK_PITCH && t < POPE_MIDITOK_VELOCITY) {
            pitch = t - POPE_MIDITOK_PITCH + POPE_MIDITOK_MIN_PITCH; drum = 0; velocity = DEFAULT_VELOCITY;
        } else if (t >= POPE_MIDITOK_PITCH_DRUM && t < POPE_MIDITOK_TIME_SIG) {
            pitch = t - POPE_MIDITOK_PITCH_DRUM + 27; drum = 1; velocity = DEFAULT_VELOCITY;
        } else if (t >= POPE_MIDITOK_VELOCITY && t < POPE_MIDITOK_DURATION) {
            velocity = bin_velocity(t - POPE_MIDITOK_VELOCITY);
        } else if (t >= POPE_MIDITOK_DURATION && t < POPE_MIDITOK_POSITION && pitch >= 0) {
            double end = pos + duration_ticks(t - POPE_MIDITOK_DURATION) * beat_len / POS_PER_BEAT;
            pope_note nt = {.start = pope_midi_beats_to_seconds(out, pos),
                            .end = pope_midi_beats_to_seconds(out, end),
                            .start_beat = pos, .end_beat = end, .pitch = (uint8_t)pitch,
                            .velocity = (uint8_t)velocity, .channel = drum ? 9 : 0};
            rc = pope_midi_add_note(out, nt);
            pitch = -1;
        }
    }
    if (rc) { pope_midi_free(out); return -1; }
    pope_midi_sort(out);
    return 0;
}

// jsb_ranges.c — each voice's pitch range in jsb tokens: measured on a model's training split,
// recorded in its metadata, and used when sampling to keep each voice in the range it had
// (as DeepBach's per-voice vocabularies do). Why: with one shared vocabulary a soprano slot
// can draw a bass note from the distribution's tail (top-p 1.0); the model then reads the
// four channels one voice off for the rest of the piece (models/README.md).
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pope.h"
#include "pope_music.h"

static const char voice_letter[POPE_JSB_VOICES] = {'S', 'A', 'T', 'B'};

// The count of grid tokens since the last BOS after token t, from k before it: a grid token's
// voice is the count before it, mod 4 (pope_jsb_next_voice, pope_jsb_ranges_add).
static size_t grid_count_after(size_t k, int32_t t) {
    return t == POPE_MUSIC_BOS ? 0 : k + (pope_jsb_token_pitch(t) != -2);
}

int pope_jsb_next_voice(const int32_t *tok, size_t n) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k = grid_count_after(k, tok[i]);
    return (int)(k % POPE_JSB_VOICES);
}

void pope_jsb_ranges_empty(pope_jsb_ranges *r) {
    for (int v = 0; v < POPE_JSB_VOICES; v++) {
        r->lo[v] = POPE_JSB_MAX_PITCH + 1;
        r->hi[v] = POPE_JSB_MIN_PITCH - 1;
    }
}

void pope_jsb_ranges_add(pope_jsb_ranges *r, const int32_t *tok, size_t n) {
    size_t k = 0;   // grid tokens since the last BOS, before tok[i]
    for (size_t i = 0; i < n; k = grid_count_after(k, tok[i]), i++) {
        const int p = pope_jsb_token_pitch(tok[i]), v = (int)(k % POPE_JSB_VOICES);
        if (p < 0) continue;   // silence, specials
        if (p < r->lo[v]) r->lo[v] = p;
        if (p > r->hi[v]) r->hi[v] = p;
    }
}

int pope_jsb_ranges_format(const pope_jsb_ranges *r, char *buf, size_t size) {
    size_t k = 0;
    for (int v = 0; v < POPE_JSB_VOICES; v++) {
        int w = r->lo[v] <= r->hi[v] ? snprintf(buf + k, size - k, "%s%c %d-%d", v ? ", " : "", voice_letter[v], r->lo[v], r->hi[v])
                                     : snprintf(buf + k, size - k, "%s%c none", v ? ", " : "", voice_letter[v]);
        if (w < 0 || (size_t)w >= size - k) return -1;
        k += (size_t)w;
    }
    return 0;
}

// A MIDI pitch of the vocabulary at *p (digits only), advancing *p; -1 if there is none.
static int parse_pitch(const char **p) {
    if (**p < '0' || **p > '9') return -1;
    char *end;
    long v = strtol(*p, &end, 10);   // clamps on overflow: out of range below
    *p = end;
    return v >= POPE_JSB_MIN_PITCH && v <= POPE_JSB_MAX_PITCH ? (int)v : -1;
}

int pope_jsb_ranges_parse(const char *s, pope_jsb_ranges *r) {
    pope_jsb_ranges_empty(r);
    const char *p = s;
    for (int v = 0; v < POPE_JSB_VOICES; v++) {
        if (v && strncmp(p, ", ", 2) == 0) p += 2;
        else if (v) goto bad;
        if (p[0] != voice_letter[v] || p[1] != ' ') goto bad;
        p += 2;
        if (strncmp(p, "none", 4) == 0) {   // a voice that never sounds keeps the empty range
            p += 4;
            continue;
        }
        int lo = parse_pitch(&p);
        if (lo < 0 || *p++ != '-') goto bad;
        int hi = parse_pitch(&p);
        if (hi < lo) goto bad;
        r->lo[v] = lo;
        r->hi[v] = hi;
    }
    if (*p == 0) return 0;
bad:
    pope_jsb_ranges_empty(r);
    return pope_error("voice ranges '%s': expected \"S lo-hi, A lo-hi, T lo-hi, B lo-hi\" (MIDI pitches %d..%d, "
                      "lo <= hi, or 'none' for a silent voice)", s, POPE_JSB_MIN_PITCH, POPE_JSB_MAX_PITCH);
}

void pope_jsb_ranges_mask(const pope_jsb_ranges *r, int voice, float *logits) {
    for (int p = POPE_JSB_MIN_PITCH; p <= POPE_JSB_MAX_PITCH; p++)
        if (p < r->lo[voice] || p > r->hi[voice]) logits[POPE_JSB_PITCH0 + p - POPE_JSB_MIN_PITCH] = -INFINITY;
}

// tokenizer.c — the four music vocabularies behind one interface: names, sizes, readable
// token names, transposition, and dispatch to tok_perf.c, tok_remi_miditok.c, tok_jsb.c,
// tok_remi.c.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pope.h"
#include "pope_music.h"
#include "tokenizers.h"

static const char *const tok_names[POPE_TOK_COUNT] = {"perf", "remi", "jsb", "remi-pope"};

const char *pope_music_tok_name(pope_music_tok t) {
    return (unsigned)t < POPE_TOK_COUNT ? tok_names[t] : "?";
}

int pope_music_tok_parse(const char *name, pope_music_tok *out) {
    for (int i = 0; i < POPE_TOK_COUNT; i++)
        if (strcmp(name, tok_names[i]) == 0) { *out = (pope_music_tok)i; return 0; }
    return pope_error("unknown tokenizer '%s' (perf, remi, jsb or remi-pope)", name);
}

int pope_music_vocab_size(pope_music_tok t) {
    switch (t) {
    case POPE_TOK_PERF: return POPE_PERF_VOCAB;
    case POPE_TOK_REMI: return POPE_MIDITOK_VOCAB;
    case POPE_TOK_JSB: return POPE_JSB_VOCAB;
    case POPE_TOK_REMI_POPE: return POPE_REMI_VOCAB;
    default: return 0;
    }
}

int pope_music_tok_read_flags(pope_music_tok t) {
    return t == POPE_TOK_REMI ? POPE_MIDI_NO_SUSTAIN | POPE_MIDI_SYMUSIC : 0;
}

int pope_tokens_push(pope_tokens *t, int32_t tok) {
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 1024;
        int32_t *p = realloc(t->data, cap * sizeof *p);
        if (!p) return pope_error("tokens: out of memory for %zu tokens", cap);
        t->data = p;
        t->cap = cap;
    }
    t->data[t->n++] = tok;
    return 0;
}

void pope_tokens_free(pope_tokens *t) {
    free(t->data);
    memset(t, 0, sizeof *t);
}

int pope_perf_velocity_bin(int velocity) {
    if (velocity < 1) velocity = 1;
    if (velocity > 127) velocity = 127;
    return (velocity - 1) / 4;   // Magenta: bins of ceil(127 / 32) = 4 velocities
}
int pope_perf_bin_velocity(int bin) {
    if (bin < 0) bin = 0;
    if (bin > 31) bin = 31;
    return 1 + 4 * bin;
}

const char *pope_music_token_str(pope_music_tok t, int32_t tok, char *buf, size_t n) {
    static const char *const specials[3] = {"PAD", "BOS", "EOS"};
    if (t == POPE_TOK_REMI) return miditok_remi_token_str(tok, buf, n);   // MidiTok's own names
    if (tok >= 0 && tok < 3) { snprintf(buf, n, "%s", specials[tok]); return buf; }
    if (tok < 0 || tok >= pope_music_vocab_size(t)) { snprintf(buf, n, "?%d", (int)tok); return buf; }
    if (t == POPE_TOK_PERF) {
        if (tok < POPE_PERF_NOTE_OFF) snprintf(buf, n, "NOTE_ON_%d", tok - POPE_PERF_NOTE_ON);
        else if (tok < POPE_PERF_TIME_SHIFT) snprintf(buf, n, "NOTE_OFF_%d", tok - POPE_PERF_NOTE_OFF);
        else if (tok < POPE_PERF_VELOCITY) snprintf(buf, n, "TIME_SHIFT_%d", 10 * (tok - POPE_PERF_TIME_SHIFT + 1));
        else snprintf(buf, n, "VELOCITY_%d", tok - POPE_PERF_VELOCITY);
    } else if (t == POPE_TOK_REMI_POPE) {
        if (tok == POPE_REMI_BAR) snprintf(buf, n, "Bar");
        else if (tok < POPE_REMI_TEMPO) snprintf(buf, n, "Position_%d/16", tok - POPE_REMI_POSITION + 1);
        else if (tok < POPE_REMI_PITCH) snprintf(buf, n, "Tempo_%g", pope_remi_class_tempo(tok - POPE_REMI_TEMPO));
        else if (tok < POPE_REMI_VELOCITY) snprintf(buf, n, "Pitch_%d", tok - POPE_REMI_PITCH);
        else if (tok < POPE_REMI_DURATION) snprintf(buf, n, "Velocity_%d", tok - POPE_REMI_VELOCITY);
        else snprintf(buf, n, "Duration_%d", tok - POPE_REMI_DURATION + 1);
    } else {
        if (tok == POPE_JSB_SILENCE) snprintf(buf, n, "Silence");
        else snprintf(buf, n, "Pitch_%d", tok - POPE_JSB_PITCH0 + POPE_JSB_MIN_PITCH);
    }
    return buf;
}

// The [first, first + count) id range of pitch-bearing tokens and the pitch of the first.
static int pitch_ranges(pope_music_tok t, int32_t first[2], int count[2], int lowest[2]) {
    switch (t) {
    case POPE_TOK_PERF:
        first[0] = POPE_PERF_NOTE_ON; first[1] = POPE_PERF_NOTE_OFF;
        count[0] = count[1] = 128; lowest[0] = lowest[1] = 0;
        return 2;
    case POPE_TOK_REMI:
        first[0] = POPE_MIDITOK_PITCH; count[0] = POPE_MIDITOK_MAX_PITCH - POPE_MIDITOK_MIN_PITCH + 1;
        lowest[0] = POPE_MIDITOK_MIN_PITCH;
        return 1;
    case POPE_TOK_REMI_POPE:
        first[0] = POPE_REMI_PITCH; count[0] = 128; lowest[0] = 0;
        return 1;
    case POPE_TOK_JSB:
        first[0] = POPE_JSB_PITCH0; count[0] = POPE_JSB_MAX_PITCH - POPE_JSB_MIN_PITCH + 1;
        lowest[0] = POPE_JSB_MIN_PITCH;
        return 1;
    default: return 0;
    }
}

int pope_music_is_pitch(pope_music_tok t, int32_t tok) {
    int32_t first[2]; int count[2], lowest[2];
    int nr = pitch_ranges(t, first, count, lowest);
    for (int r = 0; r < nr; r++)
        if (tok >= first[r] && tok < first[r] + count[r]) return 1;
    return 0;
}

int pope_music_transpose(pope_music_tok t, int32_t *tok, size_t n, int semitones) {
    if (semitones == 0) return 0;
    int32_t first[2]; int count[2], lowest[2];
    int nr = pitch_ranges(t, first, count, lowest);
    for (int pass = 0; pass < 2; pass++) {   // pass 0 checks the range, pass 1 shifts
        for (size_t i = 0; i < n; i++)
            for (int r = 0; r < nr; r++) {
                if (tok[i] < first[r] || tok[i] >= first[r] + count[r]) continue;
                int32_t moved = tok[i] + semitones;
                if (pass == 0 && (moved < first[r] || moved >= first[r] + count[r])) return -1;
                if (pass == 1) tok[i] = moved;
                break;
            }
    }
    return 0;
}

int pope_music_tokenize(pope_music_tok t, const pope_midi *m, pope_tokens *out) {
    int rc;
    switch (t) {
    case POPE_TOK_PERF: rc = pope_perf_tokenize(m, 1.0, out); break;
    case POPE_TOK_REMI: rc = miditok_remi_tokenize(m, out); break;
    case POPE_TOK_JSB: rc = jsb_tokenize_midi(m, out); break;
    case POPE_TOK_REMI_POPE: rc = remi_tokenize(m, out); break;
    default: rc = pope_error("tokenize: unknown tokenizer %d", (int)t);
    }
    if (rc) pope_tokens_free(out);   // a failed tokenization leaves nothing to release
    return rc;
}

int pope_music_detokenize(pope_music_tok t, const int32_t *tok, size_t n, pope_midi *out) {
    switch (t) {
    case POPE_TOK_PERF: return perf_detokenize(tok, n, out);
    case POPE_TOK_REMI: return miditok_remi_detokenize(tok, n, out);
    case POPE_TOK_JSB: return jsb_detokenize(tok, n, out);
    case POPE_TOK_REMI_POPE: return remi_detokenize(tok, n, out);
    default: return pope_error("detokenize: unknown tokenizer %d", (int)t);
    }
}

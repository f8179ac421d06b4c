// tokenizer.c — nt, nt-case and kmer6 (ids in pope_genome.h and docs/GENOME.md).
//
// kmer6 follows the Nucleotide Transformer: non-overlapping 6-mers from the start of each
// sequence; the last len % 6 bases, which cannot form a 6-mer, become single-base tokens.
// A 6-mer containing any N is the single N6 token (its bases decode as NNNNNN).
#include <string.h>

#include "pope_genome.h"

static const char *const names[POPE_GTOK_COUNT] = {"nt", "nt-case", "kmer6"};
static const int vocab[POPE_GTOK_COUNT] = {7, 12, POPE_K6_VOCAB};

const char *pope_gtok_name(pope_gtok t) { return t >= 0 && t < POPE_GTOK_COUNT ? names[t] : "?"; }
int pope_gtok_vocab(pope_gtok t) { return vocab[t]; }
int pope_gtok_pad(pope_gtok t) { return t == POPE_GTOK_KMER6 ? POPE_K6_PAD : POPE_NT_PAD; }
int pope_gtok_bos(pope_gtok t) { return t == POPE_GTOK_KMER6 ? POPE_K6_BOS : POPE_NT_BOS; }

int pope_gtok_parse(const char *name, int keep_case, pope_gtok *out) {
    if (strcmp(name, "nt") == 0 || strcmp(name, "nt-case") == 0) {
        *out = keep_case || strcmp(name, "nt-case") == 0 ? POPE_GTOK_NT_CASE : POPE_GTOK_NT;
        return 0;
    }
    if (strcmp(name, "kmer6") == 0) {
        if (keep_case) return pope_error("--keep-case: kmer6 has no lowercase tokens; use --tokenizer nt");
        *out = POPE_GTOK_KMER6;
        return 0;
    }
    return pope_error("unknown tokenizer '%s' (nt, kmer6)", name);
}

int64_t pope_gtok_count(pope_gtok t, int64_t n) { return t == POPE_GTOK_KMER6 ? n / 6 + n % 6 : n; }

int pope_gtok_bases(pope_gtok t, int32_t tok) {
    if (t == POPE_GTOK_KMER6) return tok >= 0 && tok <= POPE_K6_N6 ? 6 : tok > POPE_K6_N6 && tok < POPE_K6_PAD ? 1 : 0;
    if (tok < 0 || tok >= vocab[t] || tok == POPE_NT_PAD || tok == POPE_NT_BOS) return 0;
    return 1;
}

int pope_gtok_is_n(pope_gtok t, int32_t tok) {
    if (t == POPE_GTOK_KMER6) return tok == POPE_K6_N6 || tok == POPE_K6_TAIL_A + 4;
    return tok == POPE_NT_N || (t == POPE_GTOK_NT_CASE && tok == POPE_NT_LOWER_A + 4);
}

// 0..3 for A C G T in either case, 4 for anything else (N)
static int base_code(char c) {
    switch (c) {
    case 'A': case 'a': return 0;
    case 'C': case 'c': return 1;
    case 'G': case 'g': return 2;
    case 'T': case 't': return 3;
    default: return 4;
    }
}

int pope_gtok_encode(pope_gtok t, const char *b, int64_t n, int32_t *out) {
    if (t != POPE_GTOK_KMER6) {
        for (int64_t i = 0; i < n; i++) {
            int code = base_code(b[i]);
            int lower = t == POPE_GTOK_NT_CASE && b[i] >= 'a';
            out[i] = lower ? POPE_NT_LOWER_A + code : code;
        }
        return 0;
    }
    int64_t full = n / 6, k = 0;
    for (; k < full; k++) {
        int32_t id = 0;
        for (int j = 0; j < 6; j++) {
            int code = base_code(b[6 * k + j]);
            if (code == 4) {
                id = POPE_K6_N6;
                break;
            }
            id = id * 4 + code;
        }
        out[k] = id;
    }
    for (int64_t i = 6 * full; i < n; i++) out[k++] = POPE_K6_TAIL_A + base_code(b[i]);
    return 0;
}

int64_t pope_gtok_decode(pope_gtok t, const int32_t *tok, int64_t n, char *out, int64_t cap) {
    static const char upper[5] = {'A', 'C', 'G', 'T', 'N'}, lower[5] = {'a', 'c', 'g', 't', 'n'};
    int64_t w = 0;
    for (int64_t i = 0; i < n; i++) {
        int32_t id = tok[i];
        if (id < 0 || id >= vocab[t]) return pope_error("token %d outside the %s vocabulary", (int)id, names[t]);
        if (t == POPE_GTOK_KMER6) {
            if (id < 4096) {
                for (int j = 5; j >= 0 && w + 6 <= cap; j--) out[w + 5 - j] = upper[(id >> (2 * j)) & 3];
                if (w + 6 <= cap) w += 6;
            } else if (id == POPE_K6_N6) {
                if (w + 6 <= cap) {
                    memset(out + w, 'N', 6);
                    w += 6;
                }
            } else if (id < POPE_K6_PAD && w < cap) {
                out[w++] = upper[id - POPE_K6_TAIL_A];
            }
        } else if (id < POPE_NT_PAD) {
            if (w < cap) out[w++] = upper[id];
        } else if (id >= POPE_NT_LOWER_A) {
            if (w < cap) out[w++] = lower[id - POPE_NT_LOWER_A];
        }
    }
    return w;
}

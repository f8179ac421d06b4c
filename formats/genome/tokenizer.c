// tokenizer.c — nt, nt-case and kmer6: the one place their ids and rules are written
// (pope_genome.h and docs/GENOME.md "Tokenizers" list them).
//
// kmer6 is the Nucleotide Transformer's tokenizer (instadeepai/nucleotide-transformer,
// NucleotidesKmersTokenizer with k = 6): the sequence is cut at every N; each N-free run is
// cut into non-overlapping 6-mers from its first base, and its last len % 6 bases, which
// cannot form a 6-mer, become single-base tokens; every N is a single N token. Ids follow
// NT's vocabulary: <unk> <pad> <mask> <cls>, the 6-mers of itertools.product("ATCG",
// repeat=6), A T C G N, <eos> <bos>.
#include <string.h>

#include "genome_internal.h"

static const char *const names[POPE_GTOK_COUNT] = {"nt", "nt-case", "kmer6"};
static const int vocab[POPE_GTOK_COUNT] = {7, 12, POPE_K6_VOCAB};
// NT orders bases A T C G; pope's 2-bit codes are A C G T
static const int32_t nt_rank[4] = {0, 2, 3, 1};
static const char nt_order[5] = {'A', 'T', 'C', 'G', 'N'};

const char *pope_gtok_name(pope_gtok t) { return t >= 0 && t < POPE_GTOK_COUNT ? names[t] : "?"; }
int pope_gtok_vocab(pope_gtok t) { return vocab[t]; }
int pope_gtok_pad(pope_gtok t) { return t == POPE_GTOK_KMER6 ? POPE_K6_PAD : POPE_NT_PAD; }
int pope_gtok_bos(pope_gtok t) { return t == POPE_GTOK_KMER6 ? POPE_K6_BOS : POPE_NT_BOS; }
int pope_gtok_max_bases(pope_gtok t) { return t == POPE_GTOK_KMER6 ? 6 : 1; }
int pope_gtok_n_words(pope_gtok t) { return t == POPE_GTOK_KMER6 ? 4096 : 4; }
int32_t pope_gtok_word(pope_gtok t, int i) { return t == POPE_GTOK_KMER6 ? POPE_K6_KMER0 + i : i; }

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

int pope_gtok_bases(pope_gtok t, int32_t tok) {
    if (t == POPE_GTOK_KMER6)
        return tok >= POPE_K6_KMER0 && tok < POPE_K6_SINGLE_A ? 6 : tok >= POPE_K6_SINGLE_A && tok <= POPE_K6_SINGLE_N;
    if (tok < 0 || tok >= vocab[t] || tok == POPE_NT_PAD || tok == POPE_NT_BOS) return 0;
    return 1;
}

int pope_gtok_is_n(pope_gtok t, int32_t tok) {
    if (t == POPE_GTOK_KMER6) return tok == POPE_K6_SINGLE_N;
    return tok == POPE_NT_N || (t == POPE_GTOK_NT_CASE && tok == POPE_NT_LOWER_A + 4);
}

int32_t nt_token(int code, int lower) { return lower ? POPE_NT_LOWER_A + code : code; }
int32_t k6_n_token(void) { return POPE_K6_SINGLE_N; }

int64_t k6_run_tokens(int64_t len) { return len / 6 + len % 6; }

void k6_run_emit(const gbase_src *s, int64_t run, int64_t len, int64_t j0, int64_t j1, int32_t *out) {
    int64_t full = len / 6;
    for (int64_t j = j0; j < j1; j++) {
        if (j < full) {
            int32_t id = 0;
            for (int i = 0; i < 6; i++) id = id * 4 + nt_rank[gbase_code(s, run + 6 * j + i)];
            *out++ = POPE_K6_KMER0 + id;
        } else {
            *out++ = POPE_K6_SINGLE_A + nt_rank[gbase_code(s, run + 6 * full + (j - full))];
        }
    }
}

int64_t pope_gtok_encode(pope_gtok t, const char *b, int64_t n, int32_t *out) {
    gbase_src src = {b, NULL, 0};
    if (t != POPE_GTOK_KMER6) {
        for (int64_t i = 0; i < n; i++) out[i] = nt_token(gbase_code(&src, i), t == POPE_GTOK_NT_CASE && b[i] >= 'a');
        return n;
    }
    int64_t w = 0;
    for (int64_t i = 0; i < n;) {
        if (gbase_code(&src, i) == 4) {
            out[w++] = POPE_K6_SINGLE_N;
            i++;
            continue;
        }
        int64_t run = i;
        while (i < n && gbase_code(&src, i) != 4) i++;
        int64_t m = k6_run_tokens(i - run);
        k6_run_emit(&src, run, i - run, 0, m, out + w);
        w += m;
    }
    return w;
}

int64_t pope_gtok_decode(pope_gtok t, const int32_t *tok, int64_t n, char *out, int64_t cap) {
    static const char upper[5] = {'A', 'C', 'G', 'T', 'N'}, lower[5] = {'a', 'c', 'g', 't', 'n'};
    int64_t w = 0;
    for (int64_t i = 0; i < n; i++) {
        int32_t id = tok[i];
        if (id < 0 || id >= vocab[t]) return pope_error("token %d outside the %s vocabulary", (int)id, names[t]);
        if (t == POPE_GTOK_KMER6) {
            if (id >= POPE_K6_KMER0 && id < POPE_K6_SINGLE_A) {
                if (w + 6 > cap) break;
                for (int j = 0; j < 6; j++) out[w + j] = nt_order[((id - POPE_K6_KMER0) >> (2 * (5 - j))) & 3];
                w += 6;
            } else if (id >= POPE_K6_SINGLE_A && id <= POPE_K6_SINGLE_N && w < cap) {
                out[w++] = nt_order[id - POPE_K6_SINGLE_A];
            }
        } else if (id < POPE_NT_PAD) {
            if (w < cap) out[w++] = upper[id];
        } else if (id >= POPE_NT_LOWER_A) {
            if (w < cap) out[w++] = lower[id - POPE_NT_LOWER_A];
        }
    }
    return w;
}

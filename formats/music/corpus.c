// corpus.c — a music data set as a pope_corpus (include/pope_music.h "corpus"): JSB
// chorales or a list of MIDI files, every piece tokenized once; training windows augmented
// by transposition (uniform -3..+3 semitones) and, for perf, time stretch (0.95, 0.975, 1,
// 1.025, 1.05, re-tokenizing the stretched notes). docs/MUSIC.md.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pope.h"
#include "pope_music.h"

typedef struct {
    int32_t *tok;
    int64_t len;
    pope_midi notes;   // kept only for perf time stretch (train split, augmenting)
    int has_notes;
} mpiece;

typedef struct {
    pope_music_tok tok;
    int augment, joined;
    double voice_noise;   // jsb: share of training windows with one voice's input garbled (noise_one_voice)
    int grid_only;   // jsb tokens: only the SATB grid's tokens are targets (BOS/EOS ignored)
    mpiece *pieces[POPE_SPLIT_COUNT];
    int64_t n[POPE_SPLIT_COUNT];
    int64_t *start[POPE_SPLIT_COUNT];   // (n + 1) cumulative token offsets
    char tok_name[POPE_TOKENIZER_MAX];
} mcorpus;

static int64_t mc_n_seqs(void *ctx, pope_split s) {
    mcorpus *c = ctx;
    if (s >= POPE_SPLIT_COUNT) return 0;
    return c->joined ? (c->n[s] > 0) : c->n[s];
}

static int64_t mc_seq_len(void *ctx, pope_split s, int64_t seq) {
    mcorpus *c = ctx;
    if (c->joined) return c->start[s][c->n[s]];
    return c->pieces[s][seq].len;
}

// The piece holding joined offset `off` (binary search over the cumulative starts).
static int64_t piece_at(const mcorpus *c, pope_split s, int64_t off) {
    int64_t lo = 0, hi = c->n[s] - 1;
    while (lo < hi) {
        int64_t mid = (lo + hi + 1) / 2;
        if (c->start[s][mid] <= off) lo = mid; else hi = mid - 1;
    }
    return lo;
}

static int mc_read(void *ctx, pope_split s, int64_t seq, int64_t off, int64_t n, int32_t *out) {
    mcorpus *c = ctx;
    if (s >= POPE_SPLIT_COUNT || seq < 0 || seq >= mc_n_seqs(ctx, s) || off < 0 || n < 0 ||
        off + n > mc_seq_len(ctx, s, seq))
        return pope_error("music corpus: read out of range (split %d, seq %lld, [%lld, %lld))", (int)s,
                          (long long)seq, (long long)off, (long long)(off + n));
    if (!c->joined) {
        memcpy(out, c->pieces[s][seq].tok + off, (size_t)n * sizeof *out);
        return 0;
    }
    int64_t p = piece_at(c, s, off);
    while (n > 0) {
        int64_t in = off - c->start[s][p];
        int64_t take = c->pieces[s][p].len - in < n ? c->pieces[s][p].len - in : n;
        memcpy(out, c->pieces[s][p].tok + in, (size_t)take * sizeof *out);
        out += take, off += take, n -= take, p++;
    }
    return 0;
}

static int mc_ignore(void *ctx, int32_t tok) {
    const mcorpus *c = ctx;
    if (tok == POPE_MUSIC_PAD) return POPE_IGNORE;
    if (c->grid_only && (tok == POPE_MUSIC_BOS || tok == POPE_MUSIC_EOS)) return POPE_IGNORE;
    return tok;
}

// Voice noise (jsb, --voice-noise): in a share of the training windows one voice reads wrong
// tokens for 1 step or 2-16, in the model's input but not in its targets (POPE_INPUT_ONLY): a
// third of the time a rest, a third a pitch drawn uniformly from the vocabulary's (held), a
// third the next lower voice's notes, swapped with it (a crossing). The jsb vocabulary names
// no voice: the model tells the voices apart by their pitches, and a model trained on Bach
// alone read an unlikely token it had sampled (a silent soprano or an E3 in the soprano as the
// first token, a tenor below the bass) as "the voices moved one channel" and kept the channels
// rotated or swapped to the end (models/README.md). Here it learns to keep each voice in its
// channel through tokens that do not fit; as targets, rests taught it to drop voices for whole
// pieces (tried: docs/MUSIC.md §5). Half the spans of a window at BOS begin at its first
// step, where sampling starts. Cell (step s, voice v) of a window at a voice-step offset is
// token 1 + 4 s + v (token 0 ends the step before, or is BOS); BOS, EOS and PAD stay.
static void noise_one_voice(int32_t *win, int64_t n, int at_bos, pope_rng *rng) {
    // one step half the time (a sampling slip: the voice's very next token is a target
    // again), else 2-16 steps (a wrong note held)
    int64_t steps = (n - 1) / POPE_JSB_VOICES, len = pope_rng_below(rng, 2) ? 1 : 2 + (int64_t)pope_rng_below(rng, 15);
    int64_t first = at_bos && pope_rng_below(rng, 2) == 0 ? 0 : (int64_t)pope_rng_below(rng, (uint64_t)steps);
    int kind = (int)pope_rng_below(rng, 3);   // 0 rest, 1 pitch, 2 swap with the voice below
    int64_t voice = (int64_t)pope_rng_below(rng, kind == 2 ? POPE_JSB_VOICES - 1 : POPE_JSB_VOICES);
    int32_t wrong = kind == 0 ? POPE_JSB_SILENCE   // (a swap draws a pitch too and does not use it)
                    : POPE_JSB_PITCH0 + (int32_t)pope_rng_below(rng, POPE_JSB_MAX_PITCH - POPE_JSB_MIN_PITCH + 1);
    for (int64_t s = first; s < first + len && s < steps; s++) {
        int32_t *cell = &win[1 + POPE_JSB_VOICES * s + voice];
        if (kind == 2) {
            int32_t *below = cell + 1, t = *cell;
            if (t >= POPE_JSB_SILENCE && *below >= POPE_JSB_SILENCE)
                *cell = *below | POPE_INPUT_ONLY, *below = t | POPE_INPUT_ONLY;
        } else if (*cell >= POPE_JSB_SILENCE) {
            *cell = wrong | POPE_INPUT_ONLY;
        }
    }
}

static const double stretch_factors[5] = {0.95, 0.975, 1.0, 1.025, 1.05};

// A training window: a piece drawn with probability proportional to its length, a time
// stretch (perf) and a transposition, a uniform offset; short pieces padded with PAD.
static int mc_sample_train(void *ctx, pope_rng *rng, int64_t n, int32_t *out) {
    mcorpus *c = ctx;
    int64_t total = c->start[POPE_SPLIT_TRAIN][c->n[POPE_SPLIT_TRAIN]];
    if (total <= 0) return pope_error("music corpus: the train split is empty");
    const mpiece *p = &c->pieces[POPE_SPLIT_TRAIN][piece_at(c, POPE_SPLIT_TRAIN, (int64_t)pope_rng_below(rng, (uint64_t)total))];
    int shift = c->augment ? (int)pope_rng_below(rng, 7) - 3 : 0;
    double stretch = c->augment && p->has_notes ? stretch_factors[pope_rng_below(rng, 5)] : 1.0;
    const int32_t *src = p->tok;
    int64_t len = p->len;
    pope_tokens stretched = {0};
    if (stretch != 1.0) {
        if (pope_perf_tokenize(&p->notes, stretch, &stretched) != 0) return -1;
        src = stretched.data;
        len = (int64_t)stretched.n;
    }
    // Aligned offsets (jsb: a multiple of 4, pope_music_window_align): uniform offsets taught
    // the model every voice phase, and a generation from BOS came out with the voices rotated.
    // A quarter of jsb windows start at the piece's BOS, where sampling starts: a model with a
    // relative encoding knows the voice only from what came before, and after BOS from nothing
    // but such windows (with pieces of ~970 tokens and context 512, 1 window in 450 otherwise).
    int64_t align = pope_music_window_align(c->tok);
    int64_t off = len > n ? align * (int64_t)pope_rng_below(rng, (uint64_t)((len - n) / align + 1)) : 0;
    if (align > 1 && len > n && pope_rng_below(rng, 4) == 0) off = 0;
    int64_t take = len - off < n ? len - off : n;
    memcpy(out, src + off, (size_t)take * sizeof *out);
    for (int64_t i = take; i < n; i++) out[i] = POPE_MUSIC_PAD;
    pope_tokens_free(&stretched);
    // Out of the vocabulary's range: the window stays untransposed (returns -1, no message).
    if (shift) pope_music_transpose(c->tok, out, (size_t)n, shift);
    // after the transposition: it must not see POPE_INPUT_ONLY tokens
    if (c->voice_noise > 0 && align == POPE_JSB_VOICES && n > POPE_JSB_VOICES && pope_rng_uniform(rng) < c->voice_noise)
        noise_one_voice(out, n, off == 0, rng);
    return 0;
}

static int add_piece(mcorpus *c, pope_split s, mpiece p) {
    int64_t n = c->n[s];
    if ((n & (n - 1)) == 0) {   // grow at powers of two
        mpiece *q = realloc(c->pieces[s], (size_t)(n ? 2 * n : 1) * sizeof *q);
        if (!q) return pope_error("out of memory");
        c->pieces[s] = q;
    }
    c->pieces[s][c->n[s]++] = p;
    return 0;
}

// Tokenizes one piece; keeps its notes when time stretch needs them.
static int make_piece(mcorpus *c, pope_midi *m, int keep_notes, mpiece *out) {
    pope_tokens t = {0};
    memset(out, 0, sizeof *out);
    if (pope_music_tokenize(c->tok, m, &t) != 0) return -1;
    out->tok = t.data;
    out->len = (int64_t)t.n;
    if (keep_notes) {
        out->notes = *m;
        out->has_notes = 1;
        memset(m, 0, sizeof *m);
    }
    return 0;
}

static int load_jsb(mcorpus *c, const char *path) {
    pope_jsb_data d;
    if (pope_jsb_load(&d, path) != 0) return -1;
    int rc = 0;
    for (int s = 0; s < 3 && rc == 0; s++) {
        for (size_t i = 0; i < d.n[s] && rc == 0; i++) {
            pope_tokens t = {0};
            rc = pope_jsb_tokenize_grid(d.pieces[s][i].grid, d.pieces[s][i].n_steps, &t);
            if (rc) { rc = pope_error("%s: %s piece %zu: %s", path, pope_split_name((pope_split)s), i, pope_last_error()); break; }
            mpiece p = {.tok = t.data, .len = (int64_t)t.n};
            if (c->tok != POPE_TOK_JSB) {   // the chorale as notes, then the other vocabulary
                pope_midi m;
                rc = pope_music_detokenize(POPE_TOK_JSB, t.data, t.n, &m);
                pope_tokens_free(&t);
                if (rc == 0) rc = make_piece(c, &m, c->augment && s == 0 && c->tok == POPE_TOK_PERF, &p);
                pope_midi_free(&m);
            }
            if (rc == 0) rc = add_piece(c, (pope_split)s, p);
        }
    }
    pope_jsb_free(&d);
    return rc;
}

static int load_files(mcorpus *c, const pope_music_filelist *l, int verbose, const char *prog) {
    size_t n = l->n;
    mpiece *pieces = calloc(n, sizeof *pieces);
    char **errors = calloc(n, sizeof *errors);
    if (!pieces || !errors) { free(pieces); free(errors); return pope_error("out of memory"); }
    int tty = verbose && isatty(fileno(stderr));
    int done = 0;
    double t0 = pope_now();
    if (verbose && !tty) fprintf(stderr, "%s: reading %zu MIDI files\n", prog, n);
    // libsmf is thread-safe per file; its log capture is per thread (formats/music/smf_util.c).
    #pragma omp parallel for schedule(dynamic, 4)
    for (size_t i = 0; i < n; i++) {
        pope_midi m;
        int rc = pope_midi_read_opt(&m, l->files[i].path, pope_music_tok_read_flags(c->tok));
        if (rc == 0) {
            int keep = c->augment && l->files[i].split == POPE_SPLIT_TRAIN && c->tok == POPE_TOK_PERF;
            rc = make_piece(c, &m, keep, &pieces[i]);
            pope_midi_free(&m);
        }
        if (rc) {   // the message names the file (a tokenizer's does not)
            const char *why = pope_last_error(), *path = l->files[i].path;
            size_t len = strlen(why) + strlen(path) + 3;
            if ((errors[i] = malloc(len)) != NULL)
                snprintf(errors[i], len, "%s%s%s", strstr(why, path) ? "" : path, strstr(why, path) ? "" : ": ", why);
        }
        #pragma omp critical(music_progress)
        {
            done++;
            if (tty && (done % 16 == 0 || done == (int)n))
                fprintf(stderr, "\r\033[K%s: reading MIDI %d/%zu", prog, done, n);
        }
    }
    if (tty) fputs("\r\033[K", stderr);
    int rc = 0, n_bad = 0;
    for (size_t i = 0; i < n; i++) n_bad += !pieces[i].tok;   // a read piece has BOS..EOS
    if (verbose)
        fprintf(stderr, "%s: read %zu MIDI files in %.1f s (%d unreadable, skipped)\n", prog, n - (size_t)n_bad,
                pope_now() - t0, n_bad);
    n_bad = 0;
    for (size_t i = 0; i < n; i++) {
        if (!pieces[i].tok) {
            // One unreadable file does not sink a data set: say so and go on without it.
            if (n_bad++ < 10) fprintf(stderr, "%s: warning: skipping %s\n", prog, errors[i] ? errors[i] : l->files[i].path);
            free(errors[i]);
            continue;
        }
        if (rc == 0) rc = add_piece(c, (pope_split)l->files[i].split, pieces[i]);
    }
    if (n_bad) fprintf(stderr, "%s: warning: skipped %d unreadable MIDI file%s of %zu\n", prog, n_bad, n_bad > 1 ? "s" : "", n);
    if (rc == 0 && n_bad == (int)n) rc = pope_error("none of the %zu MIDI files could be read", n);
    free(pieces);
    free(errors);
    return rc;
}

static void mcorpus_free(mcorpus *c) {
    if (!c) return;
    for (int s = 0; s < POPE_SPLIT_COUNT; s++) {
        for (int64_t i = 0; i < c->n[s]; i++) {
            free(c->pieces[s][i].tok);
            if (c->pieces[s][i].has_notes) pope_midi_free(&c->pieces[s][i].notes);
        }
        free(c->pieces[s]);
        free(c->start[s]);
    }
    free(c);
}

// The cumulative starts, then the corpus's functions.
static int finish(pope_corpus *corpus, mcorpus *c) {
    for (int s = 0; s < POPE_SPLIT_COUNT; s++) {
        c->start[s] = malloc((size_t)(c->n[s] + 1) * sizeof(int64_t));
        if (!c->start[s]) { mcorpus_free(c); return pope_error("out of memory"); }
        c->start[s][0] = 0;
        for (int64_t i = 0; i < c->n[s]; i++) c->start[s][i + 1] = c->start[s][i] + c->pieces[s][i].len;
    }
    *corpus = (pope_corpus){.ctx = c, .vocab_size = pope_music_vocab_size(c->tok), .tokenizer = c->tok_name,
                            .n_seqs = mc_n_seqs, .seq_len = mc_seq_len, .read = mc_read,
                            .ignore_target = mc_ignore, .sample_train = mc_sample_train};
    return 0;
}

static mcorpus *mcorpus_new(const pope_music_corpus_opts *o) {
    mcorpus *c = calloc(1, sizeof *c);
    if (!c) { pope_error("out of memory"); return NULL; }
    c->tok = o->tok;
    c->augment = o->augment;
    c->voice_noise = o->voice_noise;
    c->joined = o->joined;
    c->grid_only = o->grid_only;
    snprintf(c->tok_name, sizeof c->tok_name, "%s", pope_music_tok_name(o->tok));
    return c;
}

int pope_music_corpus_jsb(pope_corpus *corpus, const char *path, const pope_music_corpus_opts *o) {
    memset(corpus, 0, sizeof *corpus);
    mcorpus *c = mcorpus_new(o);
    if (!c) return -1;
    if (load_jsb(c, path) != 0) { mcorpus_free(c); return -1; }
    return finish(corpus, c);
}

int pope_music_corpus_files(pope_corpus *corpus, const pope_music_filelist *l, const pope_music_corpus_opts *o) {
    memset(corpus, 0, sizeof *corpus);
    mcorpus *c = mcorpus_new(o);
    if (!c) return -1;
    if (load_files(c, l, o->verbose, o->prog ? o->prog : "pope-music") != 0) { mcorpus_free(c); return -1; }
    return finish(corpus, c);
}

void pope_music_corpus_count(const pope_corpus *corpus, pope_split s, int64_t *pieces, int64_t *tokens) {
    const mcorpus *c = corpus->ctx;
    *pieces = c->n[s];
    *tokens = c->start[s][c->n[s]];
}

void pope_music_corpus_free(pope_corpus *corpus) {
    if (!corpus) return;
    mcorpus_free(corpus->ctx);
    memset(corpus, 0, sizeof *corpus);
}

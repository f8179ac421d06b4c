// data.c — pope-music's data sets as a pope_corpus: MAESTRO (CSV split), JSB chorales
// (JSON split) and MIDI folders (hashed split), tokenized with perf / remi / jsb; training
// windows augmented by transposition (uniform -3..+3 semitones) and, for perf, time stretch
// (0.95, 0.975, 1, 1.025, 1.05, re-tokenizing the stretched notes). docs/MUSIC.md.
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "music_cli.h"

// ---------------------------------------------------------------- errors and options
int die(const char *what) { return pope_die(PROG, what); }
int usage_error(const char *cmd, const char *msg) { return pope_usage_error(PROG, cmd, msg); }

static const char *const kind_names[] = {"", "maestro", "jsb", "midi"};

const char *mdata_kind_name(mdata_kind k) { return kind_names[k]; }

int mdata_parse_kind(const char *s, mdata_kind *k) {
    for (int i = 1; i < 4; i++)
        if (!strcmp(s, kind_names[i])) { *k = (mdata_kind)i; return 0; }
    return pope_error("unknown data kind '%s' (maestro DIR, jsb FILE.json or midi DIR)", s);
}

static int set_data(void *dst, const char *kind, const char *path) {
    mdata_opts *o = dst;
    if (mdata_parse_kind(kind, &o->kind) != 0) return -1;
    o->path = path;
    return 0;
}

static int check_tokenizer(const char *v) {
    pope_music_tok t;
    return pope_music_tok_parse(v, &t);
}

#define MDATA(field) .dst = POPE_DST_DATA, .off = offsetof(mdata_opts, field)
const pope_opt mdata_options[] = {
    {.name = "--data", .kind = POPE_OPT_PAIR, .dst = POPE_DST_DATA, .set = set_data, .arg = "KIND PATH",
     .help = "maestro DIR (MAESTRO CSV split) | jsb FILE.json (229/76/77) | midi DIR\n"
             "(every *.mid/*.midi below DIR, split 80/10/10 by a hash of its path)"},
    {.name = "--tokenizer", .kind = POPE_OPT_STR, MDATA(tokenizer), .arg = "NAME", .check = check_tokenizer,
     .help = "perf | remi (MidiTok's) | jsb | remi-pope; eval: the model's",
     .def = "the preset's, else jsb for jsb data, else perf"},
    {.name = "--no-augment", .kind = POPE_OPT_FLAG, MDATA(no_augment), .cmds = "train,bench",
     .help = "train without transposition (+-3 semitones) and time stretch (perf)"},
    {.name = "--augment", .kind = POPE_OPT_FLAG, MDATA(augment), .cmds = "train,bench",
     .help = "jsb data: train with transposition (off by default, as in the paper)"},
    {.name = "--score-eos", .kind = POPE_OPT_FLAG, MDATA(score_eos),
     .help = "jsb tokens: also score EOS (and BOS where pieces are joined) as targets;\n"
             "by default the NLL is over the raster-scanned grid tokens only (the paper's)"},
    {.name = "--split-mode", .kind = POPE_OPT_CHOICE, MDATA(split_random), .arg = "MODE",
     .choices = "official|random-90-5-5",
     .help = "maestro: official (the CSV's) | random-90-5-5 (the Polar PoPE\n"
             "paper's: files ranked by a seeded hash of their name)", .def = "official"},
    {.name = "--split-seed", .kind = POPE_OPT_U64, MDATA(split_seed), .arg = "N",
     .help = "seed of the midi-folder split and of random-90-5-5", .def = "1"},
    {.name = "--whole-pieces", .kind = POPE_OPT_FLAG, MDATA(whole_pieces), .cmds = "extrapolate",
     .help = "do not join the pieces of the split"},
    POPE_OPT_END,
};

int mdata_positional(mdata_opts *o, int argc, char **argv, int *i) {
    mdata_kind k = MDATA_NONE;
    if (o->kind != MDATA_NONE || mdata_parse_kind(argv[*i], &k) != 0) return 0;
    if (*i + 1 >= argc) return pope_error("%s: expected a PATH after it", argv[*i]);
    o->kind = k;
    o->path = argv[++*i];
    return 1;
}

int mdata_pick_tokenizer(const mdata_opts *o, const char *preset_tok, pope_music_tok *out) {
    if (o->tokenizer) return pope_music_tok_parse(o->tokenizer, out);
    // A preset that fixes no tokenizer reports "".
    if (preset_tok && *preset_tok) return pope_music_tok_parse(preset_tok, out);
    *out = o->kind == MDATA_JSB ? POPE_TOK_JSB : POPE_TOK_PERF;
    return 0;
}

// ---------------------------------------------------------------- the corpus
typedef struct {
    int32_t *tok;
    int64_t len;
    pope_midi notes;   // kept only for perf time stretch (train split, augmenting)
    int has_notes;
} mpiece;

struct mcorpus {
    pope_music_tok tok;
    int augment, joined;
    int grid_only;   // jsb tokens: only the SATB grid's tokens are targets (BOS/EOS ignored)
    mpiece *pieces[POPE_SPLIT_COUNT];
    int64_t n[POPE_SPLIT_COUNT];
    int64_t *start[POPE_SPLIT_COUNT];   // (n + 1) cumulative token offsets
    char tok_name[POPE_TOKENIZER_MAX];
};

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
    int64_t align = pope_music_window_align(c->tok);
    int64_t off = len > n ? align * (int64_t)pope_rng_below(rng, (uint64_t)((len - n) / align + 1)) : 0;
    int64_t take = len - off < n ? len - off : n;
    memcpy(out, src + off, (size_t)take * sizeof *out);
    for (int64_t i = take; i < n; i++) out[i] = POPE_MUSIC_PAD;
    pope_tokens_free(&stretched);
    // Out of the vocabulary's range: the window stays untransposed (returns -1, no message).
    if (shift) pope_music_transpose(c->tok, out, (size_t)n, shift);
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

static int load_files(mcorpus *c, const pope_music_filelist *l, int verbose) {
    size_t n = l->n;
    mpiece *pieces = calloc(n, sizeof *pieces);
    char **errors = calloc(n, sizeof *errors);
    if (!pieces || !errors) { free(pieces); free(errors); return pope_error("out of memory"); }
    int tty = verbose && isatty(fileno(stderr));
    int done = 0;
    double t0 = pope_now();
    if (verbose && !tty) fprintf(stderr, PROG ": reading %zu MIDI files\n", n);
    // libsmf is thread-safe per file; its log capture is per thread (formats/music/smf_util.c).
    #pragma omp parallel for schedule(dynamic, 4)
    for (size_t i = 0; i < n; i++) {
        pope_midi m;
        int rc = pope_midi_read_opt(&m, l->files[i].path, pope_music_tok_read_flags(c->tok));
        if (rc == 0) {
            int keep = c->augment && l->files[i].split == POPE_MSPLIT_TRAIN && c->tok == POPE_TOK_PERF;
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
                fprintf(stderr, "\r\033[K" PROG ": reading MIDI %d/%zu", done, n);
        }
    }
    if (tty) fputs("\r\033[K", stderr);
    int rc = 0, n_bad = 0;
    for (size_t i = 0; i < n; i++) n_bad += !pieces[i].tok;   // a read piece has BOS..EOS
    if (verbose)
        fprintf(stderr, PROG ": read %zu MIDI files in %.1f s (%d unreadable, skipped)\n", n - (size_t)n_bad,
                pope_now() - t0, n_bad);
    n_bad = 0;
    for (size_t i = 0; i < n; i++) {
        if (!pieces[i].tok) {
            // One unreadable file does not sink a data set: say so and go on without it.
            if (n_bad++ < 10) fprintf(stderr, PROG ": warning: skipping %s\n", errors[i] ? errors[i] : l->files[i].path);
            free(errors[i]);
            continue;
        }
        if (rc == 0) rc = add_piece(c, (pope_split)l->files[i].split, pieces[i]);
    }
    if (n_bad) fprintf(stderr, PROG ": warning: skipped %d unreadable MIDI file%s of %zu\n", n_bad, n_bad > 1 ? "s" : "", n);
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

int mdata_load(mdata *d, const mdata_opts *o, pope_music_tok tok, int augment, int joined, int verbose) {
    memset(d, 0, sizeof *d);
    if (o->kind == MDATA_NONE || !o->path) return pope_error("no data: give --data maestro DIR, jsb FILE.json or midi DIR");
    mcorpus *c = calloc(1, sizeof *c);
    if (!c) return pope_error("out of memory");
    c->tok = tok;
    c->augment = augment;
    c->joined = joined;
    c->grid_only = tok == POPE_TOK_JSB && !o->score_eos;
    snprintf(c->tok_name, sizeof c->tok_name, "%s", pope_music_tok_name(tok));
    int rc = 0;
    char what[64];
    snprintf(what, sizeof what, "%s data", mdata_kind_name(o->kind));
    if (o->split_random && o->kind != MDATA_MAESTRO) {
        rc = pope_error("--split-mode random-90-5-5: only for --data maestro");
    } else if (o->kind == MDATA_JSB) {
        rc = load_jsb(c, o->path);
    } else {
        pope_music_filelist l;
        rc = o->kind == MDATA_MAESTRO ? pope_maestro_list(&l, o->path)
                                      : pope_mididir_list(&l, o->path, o->split_seed ? o->split_seed : 1);
        if (rc == 0 && o->split_random) rc = pope_music_split_random(&l, o->split_seed ? o->split_seed : 1);
        if (rc == 0) {
            rc = load_files(c, &l, verbose);
            pope_music_filelist_free(&l);
        }
    }
    for (int s = 0; s < POPE_SPLIT_COUNT && rc == 0; s++) {
        c->start[s] = malloc((size_t)(c->n[s] + 1) * sizeof(int64_t));
        if (!c->start[s]) { rc = pope_error("out of memory"); break; }
        c->start[s][0] = 0;
        for (int64_t i = 0; i < c->n[s]; i++) c->start[s][i + 1] = c->start[s][i] + c->pieces[s][i].len;
    }
    if (rc) { mcorpus_free(c); return -1; }
    d->mc = c;
    d->tok = tok;
    d->corpus = (pope_corpus){.ctx = c, .vocab_size = pope_music_vocab_size(tok), .tokenizer = c->tok_name,
                              .n_seqs = mc_n_seqs, .seq_len = mc_seq_len, .read = mc_read,
                              .ignore_target = mc_ignore, .sample_train = mc_sample_train};
    cJSON *meta = cJSON_CreateObject();
    cJSON_AddStringToObject(meta, "pope.music.data", mdata_kind_name(o->kind));
    cJSON_AddStringToObject(meta, "pope.music.path", o->path);
    cJSON_AddStringToObject(meta, "pope.music.tokenizer", c->tok_name);
    if (tok == POPE_TOK_JSB) cJSON_AddStringToObject(meta, "pope.music.targets", c->grid_only ? "grid" : "grid+eos");
    if (o->split_random) {
        char split[64];
        snprintf(split, sizeof split, "random-90-5-5 seed %llu", (unsigned long long)(o->split_seed ? o->split_seed : 1));
        cJSON_AddStringToObject(meta, "pope.music.split", split);
    }
    cJSON_AddStringToObject(meta, "pope.music.augment",
                            !augment ? "none" : tok == POPE_TOK_PERF ? "transpose -3..3, stretch 0.95..1.05" : "transpose -3..3");
    d->metadata = cJSON_PrintUnformatted(meta);
    cJSON_Delete(meta);
    if (verbose) {
        fprintf(stderr, PROG ": %s %s, tokenizer %s (vocab %d):", mdata_kind_name(o->kind), o->path, c->tok_name,
                d->corpus.vocab_size);
        for (int s = 0; s < POPE_SPLIT_COUNT; s++)
            fprintf(stderr, " %s %lld pieces (%lld tokens)%s", pope_split_name((pope_split)s), (long long)c->n[s],
                    (long long)c->start[s][c->n[s]], s < 2 ? "," : "\n");
    }
    return 0;
}

void mdata_free(mdata *d) {
    if (!d) return;
    mcorpus_free(d->mc);
    free(d->metadata);
    memset(d, 0, sizeof *d);
}

// ---------------------------------------------------------------- models
#ifndef POPE_SOURCE_DIR
#define POPE_SOURCE_DIR "."
#endif
#define DEFAULT_MODEL "music-default.safetensors"

char *mmodel_file(const char *model) {
    if (!model) {
        char *found = pope_models_find(DEFAULT_MODEL);
        if (!found)
            pope_error("no --model given and the default model " DEFAULT_MODEL
                       " is in none of $POPE_MODELS_DIR, %s/models, the installed share/pope/models",
                       POPE_SOURCE_DIR);
        return found;
    }
    // A shipped model by name ("piano", "default", "chorale"): models/music-NAME.safetensors,
    // unless a file or directory of that name exists here.
    if (!strchr(model, '/') && !strchr(model, '.') && access(model, F_OK) != 0) {
        char name[128];
        snprintf(name, sizeof name, "music-%s.safetensors", model);
        char *found = pope_models_find(name);
        if (!found)
            pope_error("--model %s: no such file or directory, and no shipped model %s in $POPE_MODELS_DIR, "
                       "%s/models or the installed share/pope/models (shipped: default, piano)",
                       model, name, POPE_SOURCE_DIR);
        return found;
    }
    return pope_model_file(model);
}

int mmodel_tokenizer(const char *file, pope_music_tok *out) {
    pope_config cfg;
    if (pope_model_file_config(file, &cfg) != 0) return -1;
    if (pope_music_tok_parse(cfg.tokenizer, out) != 0)
        return pope_error("%s: the model was trained with tokenizer '%s', not a music tokenizer", file, cfg.tokenizer);
    return 0;
}

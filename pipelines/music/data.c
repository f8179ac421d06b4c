// data.c — pope-music's data options and data sets: MAESTRO (CSV split), JSB chorales
// (JSON split) and MIDI folders (hashed split), loaded into a pope_corpus by
// formats/music/corpus.c; the data's metadata for checkpoints; finding models.
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static int check_split_mode(const char *v) {
    if (!strcmp(v, "official") || !strcmp(v, "random-90-5-5")) return 0;
    return pope_error("expected official or random-90-5-5, got '%s'", v);
}

static int split_is_random(const mdata_opts *o) { return o->split_mode && !strcmp(o->split_mode, "random-90-5-5"); }

// The model's pope.music.split, "MODE seed S", when its split is not the data's default: MAESTRO's
// random-90-5-5 split (any seed), a midi folder's hashed split with a seed other than 1.
#define SPLIT_MIDI_HASH "hash-80-10-10"

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
    {.name = "--voice-noise", .kind = POPE_OPT_F64, MDATA(voice_noise), .arg = "P", .lo = 0, .hi = 1,
     .cmds = "train,bench",
     .help = "jsb tokens: the share of training windows in which one voice reads wrong\n"
             "tokens (a rest, a random pitch, or the voice below swapped in) for 1 step or\n"
             "2-16, in the input only (an experiment against rotated voices; docs/MUSIC.md\n"
             "section 5 has what it did)",
     .def = "0"},
    {.name = "--score-eos", .kind = POPE_OPT_FLAG, MDATA(score_eos),
     .help = "jsb tokens: also score EOS (and BOS where pieces are joined) as targets;\n"
             "by default the NLL is over the raster-scanned grid tokens only (the paper's)"},
    {.name = "--split-mode", .kind = POPE_OPT_STR, MDATA(split_mode), .arg = "MODE", .check = check_split_mode,
     .help = "maestro: official (the CSV's) | random-90-5-5 (the Polar PoPE\n"
             "paper's: files ranked by a seeded hash of their name)",
     .def = "official; eval, extrapolate: the model's"},
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

// Each voice's pitch range over the training split, as pope.music.voice_ranges records it.
static int train_voice_ranges(const pope_corpus *c, char *buf, size_t size) {
    pope_jsb_ranges r;
    pope_jsb_ranges_empty(&r);
    int32_t *tok = NULL;
    int rc = 0;
    for (int64_t q = 0; q < c->n_seqs(c->ctx, POPE_SPLIT_TRAIN) && rc == 0; q++) {
        int64_t n = c->seq_len(c->ctx, POPE_SPLIT_TRAIN, q);
        int32_t *grown = realloc(tok, (size_t)(n > 0 ? n : 1) * sizeof *tok);
        if (!grown) { rc = pope_error("voice ranges: out of memory"); break; }
        tok = grown;
        if ((rc = c->read(c->ctx, POPE_SPLIT_TRAIN, q, 0, n, tok)) == 0) pope_jsb_ranges_add(&r, tok, (size_t)n);
    }
    free(tok);
    return rc ? rc : pope_jsb_ranges_format(&r, buf, size);
}

int mdata_load(mdata *d, const mdata_opts *o, pope_music_tok tok, int augment, int joined, int verbose) {
    memset(d, 0, sizeof *d);
    if (o->kind == MDATA_NONE || !o->path) return pope_error("no data: give --data maestro DIR, jsb FILE.json or midi DIR");
    const pope_music_corpus_opts co = {.tok = tok, .augment = augment, .joined = joined,
                                       .voice_noise = o->voice_noise,
                                       .grid_only = tok == POPE_TOK_JSB && !o->score_eos,
                                       .verbose = verbose, .prog = PROG};
    int rc = 0;
    if (split_is_random(o) && o->kind != MDATA_MAESTRO) {
        rc = pope_error("--split-mode random-90-5-5: only for --data maestro");
    } else if (o->kind == MDATA_JSB) {
        rc = pope_music_corpus_jsb(&d->corpus, o->path, &co);
    } else {
        pope_music_filelist l;
        rc = o->kind == MDATA_MAESTRO ? pope_maestro_list(&l, o->path)
                                      : pope_mididir_list(&l, o->path, o->split_seed ? o->split_seed : 1);
        if (rc == 0 && split_is_random(o)) rc = pope_music_split_random(&l, o->split_seed ? o->split_seed : 1);
        if (rc == 0) {
            rc = pope_music_corpus_files(&d->corpus, &l, &co);
            pope_music_filelist_free(&l);
        }
    }
    if (rc) return -1;
    d->tok = tok;
    const char *tok_name = d->corpus.tokenizer;
    cJSON *meta = cJSON_CreateObject();
    cJSON_AddStringToObject(meta, "pope.music.data", mdata_kind_name(o->kind));
    cJSON_AddStringToObject(meta, "pope.music.path", o->path);
    cJSON_AddStringToObject(meta, "pope.music.tokenizer", tok_name);
    if (tok == POPE_TOK_JSB) {
        char ranges[96];
        cJSON_AddStringToObject(meta, "pope.music.targets", co.grid_only ? "grid" : "grid+eos");
        if (train_voice_ranges(&d->corpus, ranges, sizeof ranges) != 0) {
            cJSON_Delete(meta);
            mdata_free(d);
            return -1;
        }
        cJSON_AddStringToObject(meta, "pope.music.voice_ranges", ranges);
    }
    if (split_is_random(o) || (o->kind == MDATA_MIDI && o->split_seed > 1)) {
        char split[64];
        snprintf(split, sizeof split, "%s seed %llu", split_is_random(o) ? o->split_mode : SPLIT_MIDI_HASH,
                 (unsigned long long)(o->split_seed ? o->split_seed : 1));
        cJSON_AddStringToObject(meta, "pope.music.split", split);
    }
    char aug[96];
    int k = snprintf(aug, sizeof aug, "%s", !augment ? "" : tok == POPE_TOK_PERF ? "transpose -3..3, stretch 0.95..1.05" : "transpose -3..3");
    if (co.voice_noise > 0) snprintf(aug + k, sizeof aug - (size_t)k, "%svoice noise %g", k ? ", " : "", co.voice_noise);
    cJSON_AddStringToObject(meta, "pope.music.augment", *aug ? aug : "none");
    d->metadata = cJSON_PrintUnformatted(meta);
    cJSON_Delete(meta);
    if (verbose) {
        fprintf(stderr, PROG ": %s %s, tokenizer %s (vocab %d):", mdata_kind_name(o->kind), o->path, tok_name,
                d->corpus.vocab_size);
        for (int s = 0; s < POPE_SPLIT_COUNT; s++) {
            int64_t pieces, tokens;
            pope_music_corpus_count(&d->corpus, (pope_split)s, &pieces, &tokens);
            fprintf(stderr, " %s %lld pieces (%lld tokens)%s", pope_split_name((pope_split)s), (long long)pieces,
                    (long long)tokens, s < 2 ? "," : "\n");
        }
    }
    return 0;
}

void mdata_free(mdata *d) {
    if (!d) return;
    pope_music_corpus_free(&d->corpus);
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

// So that eval's "test" is the pieces the model never trained on (the official split's test
// files are mostly in a random-90-5-5 model's training split; another seed, another split).
// The format is mdata_load's; what the command line gives stays.
void mmodel_split(const char *file, mdata_opts *o) {
    int maestro = o->kind == MDATA_MAESTRO && !o->split_mode, midi = o->kind == MDATA_MIDI && !o->split_seed;
    char *v = maestro || midi ? pope_load_metadata(file, "pope.music.split") : NULL;
    char mode[32], end;
    unsigned long long seed;
    if (v && sscanf(v, "%31s seed %llu%c", mode, &seed, &end) == 2) {
        if (maestro && !strcmp(mode, "random-90-5-5")) {
            o->split_mode = "random-90-5-5";
            if (!o->split_seed) o->split_seed = seed;
        }
        if (midi && !strcmp(mode, SPLIT_MIDI_HASH)) o->split_seed = seed;
    }
    free(v);
}

int mmodel_tokenizer(const char *file, pope_music_tok *out) {
    pope_config cfg;
    if (pope_model_file_config(file, &cfg) != 0) return -1;
    if (pope_music_tok_parse(cfg.tokenizer, out) != 0)
        return pope_error("%s: the model was trained with tokenizer '%s', not a music tokenizer", file, cfg.tokenizer);
    return 0;
}

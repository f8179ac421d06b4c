// data.c — pope-music's data options and data sets: MAESTRO (CSV split), JSB chorales
// (JSON split) and MIDI folders (hashed split), loaded into a pope_corpus by
// formats/music/corpus.c; the data's metadata for checkpoints; finding models.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "music_cli.h"

// ---------------------------------------------------------------- errors and options
int die(const char *what) { return pope_die(PROG, what); }
int usage_error(const char *cmd, const char *msg) { return pope_usage_error(PROG, cmd, msg); }

const char mdata_help[] =
    "  --data KIND PATH     maestro DIR (MAESTRO CSV split) | jsb FILE.json (229/76/77) | midi DIR\n"
    "                       (every *.mid/*.midi below DIR, split 80/10/10 by a hash of its path)\n"
    "  --tokenizer NAME     perf (default) | remi (MidiTok's) | jsb (default for --data jsb) | remi-pope\n"
    "  --no-augment         train without transposition (+-3 semitones) and time stretch (perf)\n"
    "  --augment            jsb data: train with transposition (off by default, as in the paper)\n"
    "  --score-eos          jsb tokens: also score EOS (and BOS where pieces are joined) as targets;\n"
    "                       by default the NLL is over the raster-scanned grid tokens only (the paper's)\n"
    "  --split-mode MODE    maestro: official (the CSV's, default) | random-90-5-5 (the Polar PoPE\n"
    "                       paper's: files ranked by a seeded hash of their name)\n"
    "  --split-seed N       seed of the midi-folder split and of random-90-5-5 (default 1)\n";

static const char *const kind_names[] = {"", "maestro", "jsb", "midi"};

const char *mdata_kind_name(mdata_kind k) { return kind_names[k]; }

int mdata_parse_kind(const char *s, mdata_kind *k) {
    for (int i = 1; i < 4; i++)
        if (!strcmp(s, kind_names[i])) { *k = (mdata_kind)i; return 0; }
    return pope_error("unknown data kind '%s' (maestro DIR, jsb FILE.json or midi DIR)", s);
}

int mdata_option(mdata_opts *o, int argc, char **argv, int *i) {
    const char *a = argv[*i];
    if (!strcmp(a, "--data")) {
        if (*i + 2 >= argc) return pope_error("--data: expected KIND PATH (maestro DIR, jsb FILE.json, midi DIR)");
        if (mdata_parse_kind(argv[*i + 1], &o->kind)) return -1;
        o->path = argv[*i + 2];
        *i += 2;
        return 1;
    }
    if (!strcmp(a, "--tokenizer")) {
        if (*i + 1 >= argc) return pope_error("--tokenizer: missing value");
        pope_music_tok t;
        if (pope_music_tok_parse(argv[*i + 1], &t)) return -1;
        o->tokenizer = argv[++*i];
        return 1;
    }
    if (!strcmp(a, "--split-seed")) {
        if (*i + 1 >= argc) return pope_error("--split-seed: missing value");
        char *end;
        errno = 0;
        unsigned long long v = strtoull(argv[*i + 1], &end, 10);
        if (!*argv[*i + 1] || *end || errno) return pope_error("--split-seed: expected an integer, got '%s'", argv[*i + 1]);
        o->split_seed = v;
        (*i)++;
        return 1;
    }
    if (!strcmp(a, "--split-mode")) {
        if (*i + 1 >= argc) return pope_error("--split-mode: missing value (official or random-90-5-5)");
        const char *v = argv[++*i];
        if (!strcmp(v, "official")) o->split_random = 0;
        else if (!strcmp(v, "random-90-5-5")) o->split_random = 1;
        else return pope_error("--split-mode: expected official or random-90-5-5, got '%s'", v);
        return 1;
    }
    if (!strcmp(a, "--no-augment")) { o->no_augment = 1; o->augment = 0; return 1; }
    if (!strcmp(a, "--augment")) { o->augment = 1; o->no_augment = 0; return 1; }
    if (!strcmp(a, "--score-eos")) { o->score_eos = 1; return 1; }
    if (!strcmp(a, "--whole-pieces")) { o->whole_pieces = 1; return 1; }
    return 0;
}

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

int mdata_load(mdata *d, const mdata_opts *o, pope_music_tok tok, int augment, int joined, int verbose) {
    memset(d, 0, sizeof *d);
    if (o->kind == MDATA_NONE || !o->path) return pope_error("no data: give --data maestro DIR, jsb FILE.json or midi DIR");
    const pope_music_corpus_opts co = {.tok = tok, .augment = augment, .joined = joined,
                                       .grid_only = tok == POPE_TOK_JSB && !o->score_eos,
                                       .verbose = verbose, .prog = PROG};
    int rc = 0;
    if (o->split_random && o->kind != MDATA_MAESTRO) {
        rc = pope_error("--split-mode random-90-5-5: only for --data maestro");
    } else if (o->kind == MDATA_JSB) {
        rc = pope_music_corpus_jsb(&d->corpus, o->path, &co);
    } else {
        pope_music_filelist l;
        rc = o->kind == MDATA_MAESTRO ? pope_maestro_list(&l, o->path)
                                      : pope_mididir_list(&l, o->path, o->split_seed ? o->split_seed : 1);
        if (rc == 0 && o->split_random) rc = pope_music_split_random(&l, o->split_seed ? o->split_seed : 1);
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
    if (tok == POPE_TOK_JSB) cJSON_AddStringToObject(meta, "pope.music.targets", co.grid_only ? "grid" : "grid+eos");
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
    return pope_model_file(model);
}

int mmodel_tokenizer(const char *file, pope_music_tok *out) {
    char *js = pope_load_metadata(file, "pope.config");
    if (!js) return -1;   // the loader's message: truncated, not safetensors, no pope.config...
    cJSON *o = cJSON_Parse(js);
    free(js);
    const cJSON *t = o ? cJSON_GetObjectItemCaseSensitive(o, "tokenizer") : NULL;
    int rc = cJSON_IsString(t) ? pope_music_tok_parse(t->valuestring, out)
                               : pope_error("%s: the model's config names no tokenizer", file);
    if (rc && cJSON_IsString(t))
        rc = pope_error("%s: the model was trained with tokenizer '%s', not a music tokenizer", file, t->valuestring);
    cJSON_Delete(o);
    return rc;
}

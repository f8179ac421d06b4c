// main.c — pope-music: train, evaluate, extrapolate, generate, tokenize, detokenize and bench
// on MIDI (MAESTRO, JSB chorales, any MIDI folder). train, bench, eval and extrapolate are
// the shared pope_cmd_* of libpope_pipeline, given the music data through the pope_program
// below; generate, tokenize and detokenize live in their own cmd_*.c files.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "music_cli.h"

static const char usage[] =
    "usage: " PROG " <command> [options]\n"
    "\n"
    "Train and evaluate decoder-only transformers with Polar PoPE, Legendre PoPE, RoPE,\n"
    "sinusoidal or no positional encoding on symbolic music (MIDI; MAESTRO, Bach chorales).\n"
    "\n"
    "commands:\n"
    "  train --data KIND PATH      train a model (default preset music-jsb-small for jsb,\n"
    "                              music-maestro-small otherwise; output ./pope-music-run)\n"
    "  eval --model M --data ...   NLL (nats/token) of a model on a split\n"
    "  extrapolate --model M ...   NLL at contexts longer than the training context\n"
    "  generate --midi out.mid     sample music (the shipped default model without --model)\n"
    "  tokenize FILE.mid -o t.npy  token ids as an int32 .npy\n"
    "  detokenize t.npy -o out.mid token ids back to MIDI\n"
    "  render in.mid -o out.wav    listen: MIDI to audio (FluidSynth)\n"
    "  bench KIND PATH             train every positional encoding with one budget and compare\n"
    "\n"
    "KIND PATH: maestro DIR | jsb FILE.json | midi DIR.\n"
    "'" PROG " <command> --help' or '" PROG " help <command>' lists a command's options.\n"
    "Details: docs/MUSIC.md.\n"
    "example: " PROG " train --data jsb data/jsb/Jsb16thSeparated.json --time 10m\n"
    "         " PROG " generate --midi out.mid --roll out.svg\n";

// ---------------------------------------------------------------- the data of one command
typedef struct {
    mdata_opts opts;   // --data KIND PATH, --tokenizer ...
    mdata data;        // loaded by open_train / open_eval
} music_state;

static int music_positional(void *ctx, int argc, char **argv, int *i) {
    return mdata_positional(&((music_state *)ctx)->opts, argc, argv, i);
}

static const char *music_missing(void *ctx) {
    return ((music_state *)ctx)->opts.kind == MDATA_NONE ? "no data: give --data maestro DIR, jsb FILE.json or midi DIR"
                                                         : NULL;
}

static const char *music_default_preset(void *ctx) {
    return ((music_state *)ctx)->opts.kind == MDATA_JSB ? "music-jsb-small" : "music-maestro-small";
}

// Tokenizer (--tokenizer, else the preset's, else by data), then the data, augmented
// as the command line (--augment, --no-augment), else the preset's train.augment, else the
// data's default: jsb not augmented (the paper transposes MAESTRO only), the others augmented.
static int music_open_train(void *ctx, const pope_preset *p, int verbose, const pope_corpus **c, const char **metadata) {
    music_state *s = ctx;
    pope_music_tok tok;
    if (mdata_pick_tokenizer(&s->opts, p->tokenizer, &tok) != 0) return POPE_PROGRAM_USAGE;
    if (s->opts.voice_noise > 0 && tok != POPE_TOK_JSB) {   // jsb's grid: voices by position
        pope_error("--voice-noise: only for the jsb tokenizer (this run's is %s)", pope_music_tok_name(tok));
        return POPE_PROGRAM_USAGE;
    }
    int augment = s->opts.kind != MDATA_JSB;
    if (p->train.augment >= 0) augment = p->train.augment;
    if (s->opts.augment) augment = 1;
    if (s->opts.no_augment) augment = 0;
    if (mdata_load(&s->data, &s->opts, tok, augment, 0, verbose) != 0) return -1;
    *c = &s->data.corpus;
    *metadata = s->data.metadata;
    return 0;
}

// The data tokenized as the model was trained (--tokenizer must agree). Extrapolation
// joins a split's pieces into one stream unless --whole-pieces.
static int music_open_eval(void *ctx, const char *model, int extrapolate, const pope_corpus **c, char **model_file) {
    music_state *s = ctx;
    char *file = mmodel_file(model);
    if (!file) return -1;
    pope_music_tok tok;
    if (mmodel_tokenizer(file, &tok) != 0) {
        free(file);
        return -1;
    }
    if (s->opts.tokenizer && strcmp(s->opts.tokenizer, pope_music_tok_name(tok)) != 0) {
        pope_error("--tokenizer %s, but %s was trained with %s", s->opts.tokenizer, file, pope_music_tok_name(tok));
        free(file);
        return -1;
    }
    mmodel_split(file, &s->opts);
    if (mdata_load(&s->data, &s->opts, tok, 0, extrapolate && !s->opts.whole_pieces, 0) != 0) {
        free(file);
        return -1;
    }
    *c = &s->data.corpus;
    *model_file = file;
    return 0;
}

static void music_close(void *ctx) { mdata_free(&((music_state *)ctx)->data); }

static void music_describe(void *ctx, char *buf, size_t size) {
    const mdata_opts *o = &((music_state *)ctx)->opts;
    snprintf(buf, size, "%s %s", mdata_kind_name(o->kind), o->path);
}

static void music_json_fields(void *ctx, const char *cmd, struct cJSON *o) {
    const mdata_opts *mo = &((music_state *)ctx)->opts;
    if (!strcmp(cmd, "eval")) {
        cJSON_AddStringToObject(o, "data", mdata_kind_name(mo->kind));
        cJSON_AddStringToObject(o, "input", mo->path);
    } else {
        cJSON_AddBoolToObject(o, "joined", !mo->whole_pieces);
    }
}

// ---------------------------------------------------------------- the program
static const pope_command commands[] = {
    {"train", pope_cmd_train}, {"eval", pope_cmd_eval},       {"extrapolate", pope_cmd_extrapolate},
    {"generate", cmd_generate}, {"tokenize", cmd_tokenize}, {"detokenize", cmd_detokenize},
    {"render", cmd_render},
    {"bench", pope_cmd_bench}, {NULL, NULL},
};

static music_state state;

static const pope_program music_program = {
    .name = PROG,
    .version = "0.1.0",
    .usage = usage,
    .commands = commands,
    .ctx = &state,
    .test_targets = 1 << 20,   // bound of the test NLL printed after training (evenly spaced windows)
    .tokenizers = (const char *const[]){"perf", "remi", "jsb", "remi-pope", NULL},
    .preset_prefix = "music-",
    .help_train =
        "usage: " PROG " train --data KIND PATH [options]\n\n"
        "Trains on the data set's train split (augmented: transposition -3..+3 semitones, and for\n"
        "perf time stretch 0.95..1.05; not on jsb data without --augment, nor with a preset's\n"
        "\"augment\": false), validates on its valid split, and prints the test NLL (jsb tokens: over\n"
        "the SATB grid's tokens, the paper's) at the end. Writes DIR/model.safetensors,\n"
        "DIR/checkpoint.safetensors, DIR/log.jsonl, DIR/curve.svg and DIR/test.json. Ctrl-C\n"
        "stops after a checkpoint; --resume continues.\n\n",
    .help_train_presets = "presets (default music-jsb-small for jsb data, music-maestro-small otherwise;\n"
                          "output directory ./" PROG "-run):\n",
    .help_bench = "usage: " PROG " bench KIND PATH [options]     (KIND PATH: maestro DIR | jsb FILE.json | midi DIR)\n",
    .help_eval =
        "usage: " PROG " eval --model M --data KIND PATH [options]\n\n"
        "Each piece's token stream (BOS, events, EOS) is cut into consecutive non-overlapping windows\n"
        "of T+1 tokens (a last shorter window of >= 2 tokens included); inputs are tokens 0..T-1 of a\n"
        "window, targets 1..T. Prints the mean NLL in nats per target token (PAD never counts).\n\n",
    .help_extrap = "usage: " PROG " extrapolate --model M --data KIND PATH [options]\n",
    .help_extrap_note = " The\n"   // continues the common description's last line
                        "pieces of the split are joined into one stream (each keeps its BOS ... EOS) so that contexts\n"
                        "longer than a piece can be measured; --whole-pieces keeps them apart (regions never cross a\n"
                        "piece, so pieces shorter than the largest context are not scored).",
    .data_opts = mdata_options,
    .data_dst = &state.opts,
    .positional = music_positional,
    .missing = music_missing,
    .default_preset = music_default_preset,
    .open_train = music_open_train,
    .open_eval = music_open_eval,
    .close = music_close,
    .describe = music_describe,
    .json_fields = music_json_fields,
};

int main(int argc, char **argv) { return pope_program_main(&music_program, argc, argv); }

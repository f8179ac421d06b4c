// music_cli.h — what the pope-music subcommands share: the data options (--data KIND PATH,
// --tokenizer, augmentation), loading a data set into a pope_corpus, finding models, and
// error printing.
#ifndef POPE_MUSIC_CLI_H
#define POPE_MUSIC_CLI_H

#include <stdio.h>

#include "pope_music.h"
#include "pope_pipeline.h"

#define PROG "pope-music"

typedef enum { MDATA_NONE = 0, MDATA_MAESTRO, MDATA_JSB, MDATA_MIDI } mdata_kind;

typedef struct {
    mdata_kind kind;          // --data maestro|jsb|midi PATH (or the positional KIND PATH)
    const char *path;
    const char *tokenizer;    // --tokenizer perf|remi|jsb|remi-pope (NULL: the model's, else by data)
    int no_augment;           // --no-augment: no transposition / time stretch in training
    int augment;              // --augment: transposition on jsb data too (off there by default)
    double voice_noise;       // --voice-noise P: jsb windows with one voice garbled (0: none)
    int score_eos;            // --score-eos: jsb also scores EOS/BOS targets (not the paper's units)
    uint64_t split_seed;      // --split-seed N (midi folders, random MAESTRO split; default 1)
    const char *split_mode;   // --split-mode official|random-90-5-5 (maestro; random: the paper's
                              // split); NULL: not given (official; eval: the model's, mmodel_split)
    int whole_pieces;         // --whole-pieces (extrapolate): do not join a split's pieces
} mdata_opts;

// The options above (POPE_DST_DATA: an mdata_opts), for the shared commands.
extern const pope_opt mdata_options[];
// A positional "KIND PATH" pair (bench, and train/eval without --data). 1 consumed.
int mdata_positional(mdata_opts *o, int argc, char **argv, int *i);
int mdata_parse_kind(const char *s, mdata_kind *k);
const char *mdata_kind_name(mdata_kind k);

typedef struct {
    pope_corpus corpus;           // pope_music_corpus_*
    pope_music_tok tok;
    char *metadata;               // JSON object of strings for checkpoints: pope.music.*
} mdata;

// Loads the data set into a corpus tokenized with `tok`. augment: training windows are
// transposed (and for perf time-stretched). joined: each split is one stream (pieces one
// after another), for extrapolation past a piece's length. verbose: progress + summary.
int mdata_load(mdata *d, const mdata_opts *o, pope_music_tok tok, int augment, int joined, int verbose);
void mdata_free(mdata *d);
// The tokenizer to use: --tokenizer, else jsb for JSB data, else perf.
int mdata_pick_tokenizer(const mdata_opts *o, const char *preset_tok, pope_music_tok *out);

// The model file behind --model M (a file, or DIR/model.safetensors, else
// DIR/checkpoint.safetensors; a bare name such as "piano" is the shipped
// models/music-NAME.safetensors); NULL M: the shipped default model models/music-default.safetensors
// ($POPE_MODELS_DIR first, then the source tree). Returns a malloc'd path or NULL.
char *mmodel_file(const char *model);
// The tokenizer name recorded in a model file's config.
int mmodel_tokenizer(const char *file, pope_music_tok *out);
// The split the model was trained on (pope.music.split) where the command line gives none:
// MAESTRO without --split-mode, a midi folder without --split-seed.
void mmodel_split(const char *file, mdata_opts *o);

// Piano-roll SVG of a piece (roll_svg.c). voice_names: labels of channels 1–4 in the legend
// (NULL: "channel N"); prompt_end > 0: a dashed line there (seconds).
int music_roll_svg(const char *path, const pope_midi *m, const char *title, const char *const *voice_names,
                   double prompt_end);
// The legend's names for a tokenizer's channels (jsb: soprano, alto, tenor, bass), or NULL.
const char *const *music_voice_names(pope_music_tok tok);

// When decoding tokens t (of the notes read into `in`) loses notes or changes the length by
// more than max(0.5 s, 2%), says so on stderr ("<what> as jsb tokens keeps 40 of 52 notes
// (why)"). 1 when it did, 0 when nothing is lost, -1 when the tokens do not decode.
int music_report_loss(pope_music_tok tok, const pope_midi *in, const int32_t *t, size_t n, const char *what);

// "pope-music: <what>: <why>" on stderr; returns the exit status 1 (2 for usage errors).
int die(const char *what);
int usage_error(const char *cmd, const char *msg);

// The subcommands of their own (train, bench, eval and extrapolate are pope_cmd_*).
int cmd_generate(const pope_program *p, int argc, char **argv);
int cmd_tokenize(const pope_program *p, int argc, char **argv);
int cmd_detokenize(const pope_program *p, int argc, char **argv);
int cmd_render(const pope_program *p, int argc, char **argv);

#endif

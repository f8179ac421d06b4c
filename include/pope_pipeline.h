// pope_pipeline.h — the code shared by pope-genome and pope-music (libpope_pipeline):
// a corpus interface (token streams by split), presets, the training loop, windowed
// evaluation, extrapolation sweeps, generation, and report writers (JSON, Markdown, SVG).
//
// The programs' own files only parse arguments, choose readers and tokenizers, and fill
// a pope_corpus; everything else lives here.
#ifndef POPE_PIPELINE_H
#define POPE_PIPELINE_H

#include <stdint.h>
#include <stdio.h>
#include "pope.h"

#ifdef __cplusplus
extern "C" {
#endif

// ---------------------------------------------------------------- corpus
typedef enum { POPE_SPLIT_TRAIN = 0, POPE_SPLIT_VALID, POPE_SPLIT_TEST, POPE_SPLIT_COUNT } pope_split;
const char *pope_split_name(pope_split s);                 // "train", "valid", "test"
int pope_split_parse(const char *name, pope_split *out);   // also accepts "validation"

// Token streams by split: each split holds n_seqs sequences (contigs, pieces), each a
// stream of token ids. Random access, so that a multi-gigabyte genome can stay packed
// on disk/in memory and be read window by window. Evaluation windows never cross a
// sequence boundary.
typedef struct pope_corpus {
    void *ctx;
    int vocab_size;
    const char *tokenizer;   // name recorded in the model config; eval checks it matches
    int64_t (*n_seqs)(void *ctx, pope_split split);
    int64_t (*seq_len)(void *ctx, pope_split split, int64_t seq);   // in tokens
    // Copies tokens [off, off+n) of sequence `seq` into out. 0 ok, -1 error (pope_error).
    int (*read)(void *ctx, pope_split split, int64_t seq, int64_t off, int64_t n, int32_t *out);
    // Optional (may be NULL): 0 if a training window of n tokens must be skipped
    // (genome: more than half N). The trainer draws another.
    int (*window_ok)(void *ctx, const int32_t *win, int64_t n);
    // Optional: maps a target token to POPE_IGNORE when it must not count in NLL or
    // loss (genome: N targets; both: padding).
    int (*ignore_target)(void *ctx, int32_t token);
    // Optional: writes a training window of n tokens of its own choosing (music: draws a
    // piece, transposes it, time-stretches it). When NULL, the trainer draws a sequence
    // with probability proportional to its length and a uniform offset in it.
    int (*sample_train)(void *ctx, pope_rng *rng, int64_t n, int32_t *out);
} pope_corpus;

#ifdef __cplusplus
}
#endif
#endif  // POPE_PIPELINE_H

// pope_corpus.h — the corpus interface between the data formats and the pipelines: token
// streams by split (train/valid/test). Part of the core (libpope) so that formats/ can
// serve a corpus without knowing the pipelines, and the pipelines can consume one without
// knowing genomes or music.
#ifndef POPE_CORPUS_H
#define POPE_CORPUS_H

#include <stdint.h>
#include "pope.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { POPE_SPLIT_TRAIN = 0, POPE_SPLIT_VALID, POPE_SPLIT_TEST, POPE_SPLIT_COUNT } pope_split;
// "all" for pope_eval: every split in turn (accepted by pope_split_parse). Not an index.
#define POPE_SPLIT_ALL POPE_SPLIT_COUNT
const char *pope_split_name(pope_split s);                 // "train", "valid", "test" ("all" otherwise)
int pope_split_parse(const char *name, pope_split *out);   // also accepts "validation" and "all"

// A sample_train token with this bit set is an input (the token without the bit) but not a
// target: an augmentation the model must cope with in its context without learning to
// produce it (music: a voice given a wrong token, formats/music/corpus.c).
#define POPE_INPUT_ONLY ((int32_t)1 << 30)

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
    // with probability proportional to its length and a uniform offset in it. A token may
    // carry POPE_INPUT_ONLY.
    int (*sample_train)(void *ctx, pope_rng *rng, int64_t n, int32_t *out);
    // Optional: the units a counted target covers (genome: bases, 6 for a 6-mer), summed
    // by pope_eval into pope_eval_result.units in the same pass (bits per unit).
    int64_t (*target_units)(void *ctx, int32_t token);
} pope_corpus;

#ifdef __cplusplus
}
#endif
#endif

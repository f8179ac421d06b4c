// genome_cli.h — what the pope-genome subcommands share: the data options (tokenizer,
// cache, splits, read filters), loading FILE into a pope_corpus, and error printing.
#ifndef POPE_GENOME_CLI_H
#define POPE_GENOME_CLI_H

#include <stdio.h>

#include "pope_genome.h"
#include "pope_pipeline.h"

#define PROG "pope-genome"

typedef struct {
    const char *tokenizer;       // --tokenizer nt|kmer6 (NULL: preset's / model's)
    int keep_case;               // --keep-case
    const char *cache_dir;       // --cache-dir DIR
    int no_cache;                // --no-cache
    const char *valid_contigs;   // --valid-contigs a,b
    const char *test_contigs;    // --test-contigs a,b
    int mapped_only, unmapped_only;
    const char *reference;       // --reference REF.fa (CRAM)
    char *from_model[2];         // valid/test contig lists read from a model (owned; gdata_opts_free)
} gdata_opts;

// The options above (POPE_DST_DATA: a gdata_opts), for the shared commands and tokenize.
extern const pope_opt gdata_options[];
void gdata_opts_free(gdata_opts *o);

typedef struct {
    pope_genome *g;
    pope_genome_split split;
    pope_corpus corpus;
    pope_gtok tok;
    char *metadata;   // JSON object of strings for checkpoints: pope.genome.*
} gdata;

// Reads FILE and, when `split`, splits it and makes the corpus with tokenizer `tok_name`
// (NULL: "nt"); without it only d->g and d->tok are set. verbose: a summary on stderr.
int gdata_load(gdata *d, const char *path, const gdata_opts *o, const char *tok_name, int split, int verbose);
void gdata_free(gdata *d);

// The genome tokenizer of a model's config (name and vocabulary must both match one of ours;
// `what` names the model in the message). 0, or -1 with pope_error set.
int gmodel_tokenizer(const char *what, const pope_config *cfg, pope_gtok *out);
// For eval/extrapolate/generate: the tokenizer a model was trained with and, unless the
// user gave them, the contig lists its training split used (from the file's metadata).
int gmodel_data_opts(const char *model, gdata_opts *o, char tok_name[POPE_TOKENIZER_MAX]);

// "pope-genome: <what>: <why>" on stderr; returns the exit status 1 (2 for usage errors).
int die(const char *what);
int usage_error(const char *cmd, const char *msg);

// Bits per base of an eval result (of one split of it, or POPE_SPLIT_ALL): its NLL / ln 2 /
// the bases its counted targets cover (pope_eval sums them through the corpus's target_units).
double gbits_per_base(const pope_eval_result *r, pope_split split);
// The baselines printed beside it: order-MARKOV_ORDER Markov chain fitted on the train split.
#define MARKOV_ORDER 5

// The subcommands of their own (train, bench, eval and extrapolate are pope_cmd_*).
int cmd_generate(const pope_program *p, int argc, char **argv);
int cmd_tokenize(const pope_program *p, int argc, char **argv);

#endif

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
} gdata_opts;

// The options above (POPE_DST_DATA: a gdata_opts), for the shared commands and tokenize.
extern const pope_opt gdata_options[];

typedef struct {
    pope_genome *g;
    pope_genome_split split;
    pope_corpus corpus;
    pope_gtok tok;
    char *metadata;   // JSON object of strings for checkpoints: pope.genome.*
} gdata;

// Reads FILE, splits it and makes the corpus with tokenizer `tok_name` (NULL: "nt").
// verbose: a summary of the data and split on stderr.
int gdata_load(gdata *d, const char *path, const gdata_opts *o, const char *tok_name, int verbose);
void gdata_free(gdata *d);

// For eval/extrapolate/generate: the tokenizer a model was trained with and, unless the
// user gave them, the contig lists its training split used (from the file's metadata).
int gmodel_data_opts(const char *model, gdata_opts *o, char tok_name[POPE_TOKENIZER_MAX]);

// "pope-genome: <what>: <why>" on stderr; returns the exit status 1 (2 for usage errors).
int die(const char *what);
int usage_error(const char *cmd, const char *msg);

// Counts the bases covered by the counted targets of pope_eval's windows (all of them) and
// (*targets, may be NULL) the number of counted targets. -1 on a read error.
int64_t gcount_target_bases(const pope_corpus *c, pope_split split, int T, int64_t *targets);
// Bits per base of an eval result: total NLL / ln 2 / bases covered by the scored targets
// (exact for a full eval; for a bounded one, the split's mean bases per target is used).
// *all_targets (may be NULL): the counted targets of the full split.
double gbits_per_base(const pope_corpus *c, pope_split split, const pope_eval_result *r, int64_t *all_targets);

// The subcommands of their own (train, bench, eval and extrapolate are pope_cmd_*).
int cmd_generate(const pope_program *p, int argc, char **argv);
int cmd_tokenize(const pope_program *p, int argc, char **argv);

#endif

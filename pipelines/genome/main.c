// main.c — pope-genome: train, evaluate, extrapolate, generate, tokenize and bench on
// genomes (FASTA/FASTQ/SAM/BAM/CRAM). train, bench, eval and extrapolate are the shared
// pope_cmd_* of libpope_pipeline, given the genome's data through the pope_program below;
// generate and tokenize live in their own cmd_*.c files.
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "genome_cli.h"

#define DEFAULT_PRESET "genome-small"
#define FINAL_TEST_TARGETS (1 << 20)   // bound of the test NLL printed after training

static const char usage[] =
    "usage: " PROG " <command> [options] FILE\n"
    "\n"
    "Train and evaluate decoder-only transformers with Polar PoPE, Legendre PoPE, RoPE,\n"
    "sinusoidal or no positional encoding on genomes (FASTA plain/gzip/BGZF, FASTQ, SAM, BAM, CRAM).\n"
    "\n"
    "commands:\n"
    "  train FILE        train a model (default preset genome-small, output ./pope-genome-run)\n"
    "  eval FILE         NLL (nats/token) and bits per base of a model on a split\n"
    "  extrapolate FILE  NLL at contexts longer than the training context (zero-shot)\n"
    "  generate          sample a sequence from a model (FASTA out)\n"
    "  tokenize FILE     token ids as an int32 .npy\n"
    "  bench FILE        train every positional encoding with one budget and compare\n"
    "\n"
    "'" PROG " <command> --help' lists each command's options. Details: docs/GENOME.md.\n"
    "example: " PROG " train data/genome/hg38_chr16_region.fa\n";

// ---------------------------------------------------------------- the data of one command
typedef struct {
    gdata_opts opts;    // --tokenizer, --valid-contigs ...
    const char *file;   // the input FILE
    gdata data;         // loaded by open_train / open_eval
} genome_state;

static int genome_positional(void *ctx, int argc, char **argv, int *i) {
    genome_state *g = ctx;
    (void)argc;
    if (g->file) return pope_error("one FILE only");
    g->file = argv[*i];
    return 1;
}

static const char *genome_missing(void *ctx) { return ((genome_state *)ctx)->file ? NULL : "no input FILE"; }

static const char *genome_default_preset(void *ctx) {
    (void)ctx;
    return DEFAULT_PRESET;
}

// Tokenizer: --tokenizer, else the preset's, else nt.
static int genome_open_train(void *ctx, const pope_preset *p, int verbose, const pope_corpus **c, const char **metadata) {
    genome_state *g = ctx;
    const char *tok = g->opts.tokenizer ? g->opts.tokenizer : p->tokenizer[0] ? p->tokenizer : "nt";
    if (gdata_load(&g->data, g->file, &g->opts, tok, verbose) != 0) return -1;
    *c = &g->data.corpus;
    *metadata = g->data.metadata;
    return 0;
}

// The model's tokenizer and, unless given, its training split's contig lists.
static int genome_open_eval(void *ctx, const char *model, int extrapolate, const pope_corpus **c, char **model_file) {
    genome_state *g = ctx;
    (void)extrapolate;
    char tok[POPE_TOKENIZER_MAX];
    if (gmodel_data_opts(model, &g->opts, tok) != 0 || gdata_load(&g->data, g->file, &g->opts, tok, 0) != 0) return -1;
    *c = &g->data.corpus;
    *model_file = NULL;
    return 0;
}

static void genome_close(void *ctx) { gdata_free(&((genome_state *)ctx)->data); }

static void genome_describe(void *ctx, char *buf, size_t size) { snprintf(buf, size, "%s", ((genome_state *)ctx)->file); }

static void genome_json_fields(void *ctx, const char *cmd, struct cJSON *o) {
    if (!strcmp(cmd, "eval")) cJSON_AddStringToObject(o, "input", ((genome_state *)ctx)->file);
}

static double genome_bits_per_base(void *ctx, const pope_corpus *c, pope_split split, const pope_eval_result *r,
                                   int64_t *all_targets) {
    (void)ctx;
    return gbits_per_base(c, split, r, all_targets);
}

// ---------------------------------------------------------------- the program
static const pope_command commands[] = {
    {"train", pope_cmd_train},   {"eval", pope_cmd_eval},         {"extrapolate", pope_cmd_extrapolate},
    {"generate", cmd_generate},  {"tokenize", cmd_tokenize},      {"bench", pope_cmd_bench},
    {NULL, NULL},
};

static genome_state state;

static const pope_program genome_program = {
    .name = PROG,
    .version = "0.1.0",
    .usage = usage,
    .commands = commands,
    .ctx = &state,
    .tokenizers = (const char *const[]){"nt", "nt-case", "kmer6", NULL},
    .preset_prefix = "genome-",
    .help_train =
        "usage: " PROG " train FILE [options]\n\n"
        "Trains on FILE's train split, validates on its valid split, and prints the test NLL\n"
        "(nats/token and bits/base) at the end. Writes DIR/model.safetensors, DIR/checkpoint.safetensors,\n"
        "DIR/log.jsonl, DIR/curve.svg and DIR/test.json. Ctrl-C stops after a checkpoint; --resume continues.\n\n",
    .help_train_presets = "presets (default " DEFAULT_PRESET ", output directory ./" PROG "-run):\n",
    .help_bench = "usage: " PROG " bench FILE [options]\n",
    .help_eval =
        "usage: " PROG " eval --model M FILE [options]\n\n"
        "Cuts the split's token stream into consecutive non-overlapping windows of T+1 tokens (never\n"
        "crossing a sequence; a last window shorter than 2 tokens is dropped), scores targets 1..T of\n"
        "each window (N targets excluded) and reports the mean NLL in nats per token, bits per base\n"
        "(total NLL / ln 2 / bases covered by the scored targets) and the number of targets.\n\n",
    .help_extrap = "usage: " PROG " extrapolate --model M FILE [options]\n",
    .data_opts = gdata_options,
    .data_dst = &state.opts,
    .positional = genome_positional,
    .missing = genome_missing,
    .default_preset = genome_default_preset,
    .open_train = genome_open_train,
    .open_eval = genome_open_eval,
    .close = genome_close,
    .describe = genome_describe,
    .json_fields = genome_json_fields,
    .unit = "base",
    .units = "bases",
    .bits_per_unit = genome_bits_per_base,
    .eval_bounded = 1,
    .test_targets = FINAL_TEST_TARGETS,
};

int main(int argc, char **argv) { return pope_program_main(&genome_program, argc, argv); }

// main.c — pope-genome: train, evaluate, extrapolate, generate, tokenize and bench on
// genomes (FASTA/FASTQ/SAM/BAM/CRAM). train, bench, eval and extrapolate are the shared
// pope_cmd_* of libpope_pipeline, given the genome's data through the pope_program below;
// generate and tokenize live in their own cmd_*.c files.
#include <math.h>
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
    "'" PROG " <command> --help' or '" PROG " help <command>' lists a command's options.\n"
    "Details: docs/GENOME.md.\n"
    "example: " PROG " train data/genome/hg38_chr16_region.fa\n";

// ---------------------------------------------------------------- the data of one command
typedef struct {
    gdata_opts opts;    // --tokenizer, --valid-contigs ...
    const char *file;   // the input FILE
    gdata data;         // loaded by open_train / open_eval
} genome_state;

static int genome_positional(void *ctx, int argc, char **argv, int *i) {
    return pope_positional_file(&((genome_state *)ctx)->file, argc, argv, i);
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
    if (gdata_load(&g->data, g->file, &g->opts, tok, 1, verbose) != 0) return -1;
    *c = &g->data.corpus;
    *metadata = g->data.metadata;
    return 0;
}

// The model's tokenizer and, unless given, its training split's contig lists.
static int genome_open_eval(void *ctx, const char *model, int extrapolate, const pope_corpus **c, char **model_file) {
    genome_state *g = ctx;
    (void)extrapolate;
    char tok[POPE_TOKENIZER_MAX];
    if (gmodel_data_opts(model, &g->opts, tok) != 0 || gdata_load(&g->data, g->file, &g->opts, tok, 1, 0) != 0) return -1;
    *c = &g->data.corpus;
    *model_file = NULL;
    return 0;
}

static void genome_close(void *ctx) {
    genome_state *g = ctx;
    gdata_free(&g->data);
    gdata_opts_free(&g->opts);
}

static void genome_describe(void *ctx, char *buf, size_t size) { snprintf(buf, size, "%s", ((genome_state *)ctx)->file); }

static void genome_json_fields(void *ctx, const char *cmd, struct cJSON *o) {
    if (!strcmp(cmd, "eval")) cJSON_AddStringToObject(o, "input", ((genome_state *)ctx)->file);
}

static double genome_bits_per_base(void *ctx, const pope_eval_result *r, pope_split split) {
    (void)ctx;
    return gbits_per_base(r, split);
}

static void meter_heard(void *meter, int64_t done) { pope_meter_update(meter, done); }

// What the model adds: bits/base beside the uniform baseline (2 bits) and an order-k Markov
// chain fitted on the train split, on the same split(s); with --split all, each split too.
static void genome_eval_report(void *ctx, pope_split split, const pope_eval_result *r, cJSON *json, int progress) {
    genome_state *g = ctx;
    const pope_genome_split *sp = &g->data.split;
    int first = split == POPE_SPLIT_ALL ? 0 : (int)split, last = split == POPE_SPLIT_ALL ? POPE_SPLIT_COUNT - 1 : (int)split;
    cJSON *splits = json && split == POPE_SPLIT_ALL ? cJSON_AddObjectToObject(json, "splits") : NULL;
    double markov_sum = 0;
    int64_t markov_bases = 0;
    // each is a pass over the packed bases (seconds on a human genome): a progress line
    pope_meter pg;
    pope_genome_progress pr = {meter_heard, &pg};
    pope_meter_begin(&pg, progress, PROG ": Markov baseline, fit on train", "bases", sp->n_bases[POPE_SPLIT_TRAIN]);
    pope_genome_markov *chain = pope_genome_markov_fit(g->data.g, sp->pieces[POPE_SPLIT_TRAIN], sp->n_pieces[POPE_SPLIT_TRAIN],
                                                       MARKOV_ORDER, &pr);   // NULL (out of memory): NAN below
    pope_meter_end(&pg);
    for (int s = first; s <= last; s++) {
        int64_t scored = 0;
        char label[64];
        snprintf(label, sizeof label, PROG ": Markov baseline, %s", pope_split_name((pope_split)s));
        pope_meter_begin(&pg, progress, label, "bases", sp->n_bases[s]);
        double mk = chain ? pope_genome_markov_score(chain, sp->pieces[s], sp->n_pieces[s], &scored, &pr) : NAN;
        pope_meter_end(&pg);
        if (scored > 0) {
            markov_sum += mk * (double)scored;
            markov_bases += scored;
        }
        if (split != POPE_SPLIT_ALL) continue;
        double bpb = gbits_per_base(r, (pope_split)s);
        int64_t n = r->split_targets[s];
        if (splits) {
            cJSON *o = cJSON_AddObjectToObject(splits, pope_split_name((pope_split)s));
            cJSON_AddNumberToObject(o, "targets", (double)n);
            if (n > 0) {
                cJSON_AddNumberToObject(o, "nll", r->split_nll_sum[s] / (double)n);
                cJSON_AddNumberToObject(o, "bits_per_base", bpb);
                cJSON_AddNumberToObject(o, "bases", (double)r->split_units[s]);
            }
            if (scored > 0) cJSON_AddNumberToObject(o, "markov_bits_per_base", mk);
        } else if (!json) {
            if (n > 0)
                printf("  %-5s NLL %.4f nats/token, %.4f bits/base over %lld targets; order-%d Markov %.4f bits/base\n",
                       pope_split_name((pope_split)s), r->split_nll_sum[s] / (double)n, bpb, (long long)n, MARKOV_ORDER, mk);
            else
                printf("  %-5s no targets\n", pope_split_name((pope_split)s));
        }
    }
    pope_genome_markov_free(chain);
    double markov = markov_bases > 0 ? markov_sum / (double)markov_bases : NAN;
    if (json) {
        cJSON_AddNumberToObject(json, "uniform_bits_per_base", 2.0);
        cJSON_AddNumberToObject(json, "markov_order", MARKOV_ORDER);
        if (markov_bases > 0) cJSON_AddNumberToObject(json, "markov_bits_per_base", markov);
    } else {
        printf("  baselines over the split's bases: uniform 2.0000 bits/base; order-%d Markov chain fitted on the train split %.4f bits/base\n",
               MARKOV_ORDER, markov);
    }
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
        "(total NLL / ln 2 / bases covered by the scored targets) and the number of targets, beside\n"
        "two baselines in bits per base: uniform (2) and an order-5 Markov chain fitted on the train\n"
        "split. --split all reports each split as well.\n\n",
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
    .eval_report = genome_eval_report,
    .eval_bounded = 1,
    .test_targets = FINAL_TEST_TARGETS,
};

int main(int argc, char **argv) { return pope_program_main(&genome_program, argc, argv); }

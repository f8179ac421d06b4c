// main.c — pope-genome: train, evaluate, extrapolate, generate, tokenize and bench on
// genomes (FASTA/FASTQ/SAM/BAM/CRAM). Each subcommand lives in its own cmd_*.c file.
#include <stdio.h>
#include <string.h>

#include "genome_cli.h"

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

int main(int argc, char **argv) {
    if (argc < 2) {
        fputs(usage, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(usage, stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        puts(PROG " 0.1.0");
        return 0;
    }
    pope_runtime_init(0);
    if (!strcmp(cmd, "train")) return cmd_train(argc - 1, argv + 1);
    if (!strcmp(cmd, "eval")) return cmd_eval(argc - 1, argv + 1);
    if (!strcmp(cmd, "extrapolate")) return cmd_extrapolate(argc - 1, argv + 1);
    if (!strcmp(cmd, "generate")) return cmd_generate(argc - 1, argv + 1);
    if (!strcmp(cmd, "tokenize")) return cmd_tokenize(argc - 1, argv + 1);
    if (!strcmp(cmd, "bench")) return cmd_bench(argc - 1, argv + 1);
    fprintf(stderr, PROG ": unknown command '%s'\n\n%s", cmd, usage);
    return 2;
}

// main.c — pope-music: train, evaluate, extrapolate, generate, tokenize, detokenize and bench
// on MIDI (MAESTRO, JSB chorales, any MIDI folder). Each subcommand lives in a cmd_*.c file.
#include <stdio.h>
#include <string.h>

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
    "  bench KIND PATH             train every positional encoding with one budget and compare\n"
    "\n"
    "KIND PATH: maestro DIR | jsb FILE.json | midi DIR.\n"
    "'" PROG " <command> --help' lists each command's options. Details: docs/MUSIC.md.\n"
    "example: " PROG " train --data jsb data/jsb/Jsb16thSeparated.json --time 10m\n"
    "         " PROG " generate --midi out.mid --roll out.svg\n";

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
    if (!strcmp(cmd, "detokenize")) return cmd_detokenize(argc - 1, argv + 1);
    if (!strcmp(cmd, "bench")) return cmd_bench(argc - 1, argv + 1);
    fprintf(stderr, PROG ": unknown command '%s'\n\n%s", cmd, usage);
    return 2;
}

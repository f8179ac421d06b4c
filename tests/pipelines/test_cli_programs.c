// test_cli_programs.c — the option rules through both programs (pope-genome, pope-music;
// paths from CMake in $POPE_GENOME_BIN / $POPE_MUSIC_BIN): each command accepts only its
// own options (exit 2, "PROG: CMD: ..."), --x=v works, `help CMD` is `CMD --help`, each
// program lists only its own presets, eval/extrapolate list no training options, and every
// command's --help lists what it accepts.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "pipeline_test_util.h"

static char dir[256];
static char *out_text, *err_text;

// Runs `bin args`; the exit status, with stdout and stderr in out_text / err_text.
static int run(const char *bin, const char *args) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s >out.txt 2>err.txt", dir, bin, args);
    int st = system(cmd);
    free(out_text);
    free(err_text);
    char path[512];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    out_text = slurp(path);
    snprintf(path, sizeof path, "%s/err.txt", dir);
    err_text = slurp(path);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// A usage error: exit 2 and "PROG: CMD: <want>" on stderr.
static void usage_error(const char *bin, const char *prog, const char *cmd, const char *args, const char *want) {
    char line[1024], head[128];
    snprintf(line, sizeof line, "%s %s", cmd, args);
    int rc = run(bin, line);
    snprintf(head, sizeof head, "%s: %s: ", prog, cmd);
    CHECK(rc == 2 && !strncmp(err_text, head, strlen(head)) && strstr(err_text, want), "'%s %s': rc %d, %s", prog, line,
          rc, err_text);
}

static int lists(const char *help, const char *opt) {
    char pat[64];
    snprintf(pat, sizeof pat, "\n  %s ", opt);
    return strstr(help, pat) != NULL;
}

// Every command of a program: --help prints its usage and options, `help CMD` the same,
// and an unknown option (given as `bad`) is a usage error naming it.
static void every_command(const char *bin, const char *prog, const char *const *cmds, const char *bad) {
    for (int k = 0; cmds[k]; k++) {
        char args[128], head[64];
        snprintf(args, sizeof args, "%s --help", cmds[k]);
        snprintf(head, sizeof head, "usage: %s ", prog);
        CHECK(run(bin, args) == 0 && strstr(out_text, head) && strstr(out_text, "\noptions:\n"), "%s --help", cmds[k]);
        char *help = strdup(out_text);
        // option lines are wrapped at 100 columns, with no trailing blanks (preset lines are data)
        int bad_lines = 0;
        for (char *line = help; line && *line;) {
            size_t n = strcspn(line, "\n");
            int preset = !strncmp(line, "  genome-", 9) || !strncmp(line, "  music-", 8);
            bad_lines += !preset && (n > 100 || (n > 0 && line[n - 1] == ' '));
            line += n + (line[n] ? 1 : 0);
        }
        CHECK(bad_lines == 0, "%s --help: %d lines over 100 columns or with trailing blanks", cmds[k], bad_lines);
        snprintf(args, sizeof args, "help %s", cmds[k]);
        CHECK(run(bin, args) == 0 && !strcmp(out_text, help), "'help %s' is '%s --help'", cmds[k], cmds[k]);
        free(help);
        usage_error(bin, prog, cmds[k], bad, "unknown option '--frobnicate'");
    }
}

static void test_genome(const char *g) {
    static const char *const cmds[] = {"train", "eval", "extrapolate", "generate", "tokenize", "bench", NULL};
    every_command(g, "pope-genome", cmds, "--frobnicate");
    CHECK(run(g, "help frobnicate") == 2, "help of an unknown command");
    // presets: the genome ones only
    CHECK(run(g, "train --help") == 0 && strstr(out_text, "genome-small") && !strstr(out_text, "music-"),
          "genome lists only genome presets:\n%s", out_text);
    CHECK(run(g, "bench --help") == 0 && strstr(out_text, "genome-small") && !strstr(out_text, "music-"),
          "bench lists only genome presets");
    // eval and extrapolate: no training options
    const char *training[] = {"--steps", "--lr", "--resume", "--preset", "--time", "--batch", "--pe", NULL};
    for (int k = 0; training[k]; k++) {
        CHECK(run(g, "eval --help") == 0 && !lists(out_text, training[k]), "eval --help lists %s", training[k]);
        CHECK(run(g, "extrapolate --help") == 0 && !lists(out_text, training[k]), "extrapolate --help lists %s",
              training[k]);
        char args[128];
        snprintf(args, sizeof args, "%s 1 --model m x.fa", training[k]);
        usage_error(g, "pope-genome", "eval", args, " is not an option of this command");
    }
    CHECK(run(g, "eval --help") == 0 && lists(out_text, "--eval-tokens") && lists(out_text, "--valid-contigs"),
          "genome eval takes --eval-tokens and the data options");
    CHECK(run(g, "generate --help") == 0 && lists(out_text, "--threads") && strstr(out_text, "(default: 1000)") &&
              !lists(out_text, "--cache-dir"),
          "generate --help: --threads, defaults, no data options:\n%s", out_text);
    // --x=v: a real run of tokenize on a small FASTA
    char path[512];
    snprintf(path, sizeof path, "%s/t.fa", dir);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(">a\nACGTACGTNNACGT\n>b\nGGGCCCAAATTT\n", f);
        fclose(f);
    }
    CHECK(run(g, "tokenize t.fa --output=t.npy --no-cache --tokenizer=nt") == 0, "tokenize --output=: %s", err_text);
    CHECK(run(g, "tokenize t.fa -o - --no-cache") == 0 && out_text && !strncmp(out_text, "\x93NUMPY", 6),
          "tokenize -o - writes .npy to stdout: %s", err_text);
    usage_error(g, "pope-genome", "tokenize", "t.fa -o x.npy --steps 3", "--steps is not an option of this command");
    usage_error(g, "pope-genome", "train", "t.fa --steps=abc", "--steps: expected an integer");
    usage_error(g, "pope-genome", "train", "t.fa --resume=1", "--resume takes no value");
    usage_error(g, "pope-genome", "train", "t.fa --extend", "--extend goes with --resume");
    usage_error(g, "pope-genome", "train", "t.fa --delta-init=gaussian", "--delta-init: expected zero or uniform");
    usage_error(g, "pope-genome", "bench", "t.fa --pe rope,alibi", "--pe: ");
    usage_error(g, "pope-genome", "generate", "--model m --prompt", "--prompt: missing value");
    usage_error(g, "pope-genome", "train", "t.fa u.fa", "one FILE only");
    usage_error(g, "pope-genome", "train", "t.fa --preset no-such-preset", "preset 'no-such-preset' not found");
}

// train --resume through the program: the run's own end, differing options refused by
// name, --extend; an unwritable --out reported before the data is read.
static void test_resume(const char *g) {
    char path[512];
    snprintf(path, sizeof path, "%s/r.fa", dir);
    FILE *f = fopen(path, "w");
    if (!f) return;
    const char *names[3] = {"chr1", "chr21", "chr14"};
    uint64_t x = 88172645463325252ull;
    for (int k = 0; k < 3; k++) {
        fprintf(f, ">%s\n", names[k]);
        for (int i = 0; i < 1200; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            fputc("ACGT"[x % 4], f);
            if (i % 60 == 59) fputc('\n', f);
        }
    }
    fclose(f);
    snprintf(path, sizeof path, "%s/tiny.json", dir);
    f = fopen(path, "w");
    if (!f) return;
    fputs("{\"name\": \"tiny\", \"tokenizer\": \"nt\", \"model\": {\"d_model\": 16, \"n_layers\": 1, "
          "\"n_heads\": 2, \"context_length\": 16}, \"train\": {\"batch\": 2, \"steps\": 40, \"warmup\": 1, "
          "\"eval_every\": 0, \"eval_tokens\": 64, \"checkpoint_every\": 2, \"log_every\": 1}}", f);
    fclose(f);
    const char *base = "train r.fa --preset tiny.json --out run --no-cache --quiet --threads 1";
    char args[1024];
    snprintf(args, sizeof args, "%s --steps 4", base);
    CHECK(run(g, args) == 0, "train 4 steps: %s", err_text);
    snprintf(args, sizeof args, "%s --resume --steps 6", base);
    CHECK(run(g, args) == 1 && strstr(err_text, "steps 4 -> 6") && strstr(err_text, "--extend"),
          "more steps without --extend: %s", err_text);
    snprintf(args, sizeof args, "%s --resume --lr 0.5 --batch 3", base);
    CHECK(run(g, args) == 1 && strstr(err_text, "batch 2 -> 3") && strstr(err_text, "lr 0.001 -> 0.5") &&
              strlen(err_text) < 400,
          "differing options named: %s", err_text);
    snprintf(args, sizeof args, "%s --resume --pe rope", base);
    CHECK(run(g, args) == 1 && strstr(err_text, "pe polar -> rope"), "another encoding: %s", err_text);
    snprintf(args, sizeof args, "%s --resume --steps 6 --extend", base);
    CHECK(run(g, args) == 0, "--extend: %s", err_text);
    snprintf(path, sizeof path, "%s/run/log.jsonl", dir);
    char *log = slurp(path);
    CHECK(count(log, "\"loss\":") == 6, "6 steps logged after --extend: %d", count(log, "\"loss\":"));
    free(log);
    // without --steps: the run's recorded end (6), not the preset file's 40
    snprintf(args, sizeof args, "%s --resume", base);
    CHECK(run(g, args) == 0, "resume a finished run: %s", err_text);
    log = slurp(path);
    CHECK(count(log, "\"loss\":") == 6, "still 6 steps, not the preset's 40: %d", count(log, "\"loss\":"));
    free(log);
    CHECK(run(g, "train r.fa --preset tiny.json --out /proc/pope-no --steps 2") == 1 &&
              strstr(err_text, "pope-genome: train: --out: ") && !strstr(err_text, "r.fa"),
          "unwritable --out before the data: %s", err_text);
}

static void test_music(const char *m) {
    static const char *const cmds[] = {"train",    "eval",       "extrapolate", "generate",
                                       "tokenize", "detokenize", "bench",       NULL};
    every_command(m, "pope-music", cmds, "--frobnicate=3");
    CHECK(run(m, "train --help") == 0 && strstr(out_text, "music-jsb-small") && !strstr(out_text, "genome-"),
          "music lists only music presets:\n%s", out_text);
    // the example: training options given to eval were silently accepted
    usage_error(m, "pope-music", "eval", "--pe rope --preset genome-paper --steps 5 --lr 3 --model x --data jsb y",
                "--pe is not an option of this command");
    usage_error(m, "pope-music", "eval", "--model x --data jsb y --no-augment", "--no-augment is not an option");
    usage_error(m, "pope-music", "eval", "--model x --data jsb y --whole-pieces", "--whole-pieces is not an option");
    usage_error(m, "pope-music", "train", "--data jsb", "--data: missing value");
    usage_error(m, "pope-music", "train", "--data abc y", "--data: unknown data kind 'abc'");
    usage_error(m, "pope-music", "train", "--data jsb y --tokenizer=abc", "--tokenizer: ");
    usage_error(m, "pope-music", "generate", "--midi o.mid --tokens=0", "--tokens: expected an integer in [1,");
    usage_error(m, "pope-music", "generate", "--midi o.mid --data jsb y", "--data is not an option of this command");
    usage_error(m, "pope-music", "detokenize", "t.npy --text", "--text");
    CHECK(run(m, "extrapolate --help") == 0 && lists(out_text, "--whole-pieces") && !lists(out_text, "--no-augment"),
          "extrapolate's data options");
}

int main(void) {
    const char *g = getenv("POPE_GENOME_BIN"), *m = getenv("POPE_MUSIC_BIN");
    if (!g || !m) {
        fprintf(stderr, "test_cli_programs: POPE_GENOME_BIN / POPE_MUSIC_BIN not set\n");
        return CHECK_SKIP;
    }
    snprintf(dir, sizeof dir, "/tmp/pope_test_cli_XXXXXX");
    if (!mkdtemp(dir)) return 1;
    test_genome(g);
    test_resume(g);
    test_music(m);
    free(out_text);
    free(err_text);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return check_summary("test_cli_programs");
}

// cmd_train.c — `pope-music train` and `pope-music bench`: parse options, load the data set
// into a corpus, hand it to the shared trainer / bench, then report the test NLL.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "music_cli.h"

#define DEFAULT_OUT "pope-music-run"

static const char *default_preset(const mdata_opts *o) {
    return o->kind == MDATA_JSB ? "music-jsb-small" : "music-maestro-small";
}

static void train_help(void) {
    printf("usage: " PROG " train --data KIND PATH [options]\n\n"
           "Trains on the data set's train split (augmented: transposition -3..+3 semitones, and for\n"
           "perf time stretch 0.95..1.05), validates on its valid split, and prints the test NLL at\n"
           "the end. Writes DIR/model.safetensors, DIR/checkpoint.safetensors, DIR/log.jsonl,\n"
           "DIR/curve.svg and DIR/test.json. Ctrl-C stops after a checkpoint; --resume continues.\n\n"
           "options:\n%s%s\npresets (default music-jsb-small for jsb data, music-maestro-small otherwise;\n"
           "output directory ./" DEFAULT_OUT "):\n",
           pope_help_train, mdata_help);
    pope_preset_list(stdout);
}

static void bench_help(void) {
    printf("usage: " PROG " bench KIND PATH [options]     (KIND PATH: maestro DIR | jsb FILE.json | midi DIR)\n\n"
           "Trains every positional encoding (none, sinusoidal, legendre, rope, polar) with the same\n"
           "preset and budget, then writes DIR/report.md, DIR/report.json, DIR/curves.svg and\n"
           "DIR/extrapolation.svg (default DIR ./pope-music-bench).\n\n"
           "options:\n%s%s\npresets:\n",
           pope_help_bench, mdata_help);
    pope_preset_list(stdout);
}

// Options shared by train and bench. Returns -1 after printing help, > 0 on a usage error.
static int parse(const char *cmd, int argc, char **argv, pope_cli *cli, mdata_opts *mo, void (*help)(void)) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            help();
            return -1;
        }
        int r = mcli_option(cli, argc, argv, &i);
        if (r == 0) r = mdata_option(mo, argc, argv, &i);
        if (r == 0 && a[0] != '-') r = mdata_positional(mo, argc, argv, &i);
        if (r < 0) return usage_error(cmd, pope_last_error());
        if (r > 0) continue;
        char msg[300];
        snprintf(msg, sizeof msg, a[0] == '-' ? "unknown option '%s'" : "unexpected argument '%s'", a);
        return usage_error(cmd, msg);
    }
    if (mo->kind == MDATA_NONE) return usage_error(cmd, "no data: give --data maestro DIR, jsb FILE.json or midi DIR");
    return 0;
}

static int report_test(const char *out_dir, const mdata *d) {
    char path[4200];
    snprintf(path, sizeof path, "%s/model.safetensors", out_dir);
    pope_model *m = pope_model_open(path, &d->corpus);
    if (!m) return die("test");
    pope_eval_opts eo;
    pope_eval_opts_default(&eo);
    eo.split = POPE_SPLIT_TEST;
    pope_eval_result r;
    if (pope_eval(m, &d->corpus, &eo, &r) != 0) {
        pope_model_free(m);
        return die("test");
    }
    if (r.targets > 0)
        printf("test NLL %.4f nats/token (%lld targets, context %d, tokenizer %s) -> %s/test.json\n", r.nll,
               (long long)r.targets, r.context, d->corpus.tokenizer, out_dir);
    else
        printf("test split has no targets; see %s/log.jsonl for validation\n", out_dir);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "nll", r.targets > 0 ? r.nll : 0);
    cJSON_AddNumberToObject(o, "targets", (double)r.targets);
    cJSON_AddNumberToObject(o, "context", r.context);
    cJSON_AddStringToObject(o, "split", "test");
    cJSON_AddStringToObject(o, "tokenizer", d->corpus.tokenizer);
    char *js = cJSON_Print(o);
    snprintf(path, sizeof path, "%s/test.json", out_dir);
    int rc = pope_write_file_atomic(path, js);
    free(js);
    cJSON_Delete(o);
    pope_eval_result_free(&r);
    pope_model_free(m);
    return rc ? die("test.json") : 0;
}

// Preset, tokenizer and data, in that order (the preset may fix the tokenizer).
static int setup(const char *cmd, const pope_cli *cli, const mdata_opts *mo, pope_preset *p, mdata *d) {
    if (pope_cli_preset(cli, default_preset(mo), p) != 0) return die("preset");
    pope_music_tok tok;
    if (mdata_pick_tokenizer(mo, p->tokenizer, &tok) != 0) return usage_error(cmd, pope_last_error());
    if (mdata_load(d, mo, tok, !mo->no_augment, 0, !cli->quiet) != 0) return die(cmd);
    return 0;
}

int cmd_train(int argc, char **argv) {
    pope_cli cli;
    pope_cli_init(&cli);
    mdata_opts mo = {0};
    int rc = parse("train", argc, argv, &cli, &mo, train_help);
    if (rc) return rc < 0 ? 0 : rc;
    pope_preset p;
    mdata d;
    if ((rc = setup("train", &cli, &mo, &p, &d))) return rc;
    pope_train_opts to = {0};
    to.out_dir = cli.out_dir ? cli.out_dir : DEFAULT_OUT;
    to.resume = cli.resume;
    to.quiet = cli.quiet;
    to.program = PROG;
    to.extra_metadata = d.metadata;
    pope_train_result res;
    if (pope_train(&d.corpus, &p, &to, &res) != 0) {
        rc = die("train");
    } else if (res.interrupted) {
        fprintf(stderr, PROG ": interrupted at step %lld; continue with the same command plus --resume\n",
                (long long)res.steps);
        rc = 130;
    } else {
        rc = report_test(to.out_dir, &d);
    }
    mdata_free(&d);
    return rc;
}

int cmd_bench(int argc, char **argv) {
    pope_cli cli;
    pope_cli_init(&cli);
    mdata_opts mo = {0};
    int rc = parse("bench", argc, argv, &cli, &mo, bench_help);
    if (rc) return rc < 0 ? 0 : rc;
    int mult[32], n_mult = 0;
    if (cli.contexts && pope_parse_int_list(cli.contexts, mult, 32, &n_mult) != 0)
        return usage_error("bench", pope_last_error());
    pope_preset p;
    mdata d;
    if ((rc = setup("bench", &cli, &mo, &p, &d))) return rc;
    pope_bench_opts bo = {0};
    bo.out_dir = cli.out_dir ? cli.out_dir : "pope-music-bench";
    bo.time_per_run_s = isnan(cli.time_per_run_s) ? 0 : cli.time_per_run_s;
    bo.steps_per_run = cli.steps > 0 ? cli.steps : 0;
    bo.contexts = n_mult ? mult : NULL;
    bo.n_contexts = n_mult;
    bo.eval_tokens = cli.eval_tokens > 0 ? cli.eval_tokens : 0;
    bo.resume = cli.resume;
    bo.program = PROG;
    bo.extra_metadata = d.metadata;
    bo.quiet = cli.quiet;
    rc = pope_bench(&d.corpus, &p, &bo, stdout) != 0 ? die("bench") : 0;
    mdata_free(&d);
    return rc;
}

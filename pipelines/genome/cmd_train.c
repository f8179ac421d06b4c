// cmd_train.c — `pope-genome train` and `pope-genome bench`: parse options, load the
// genome into a corpus, hand it to the shared trainer / bench, then report the test NLL.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "genome_cli.h"

#define DEFAULT_PRESET "genome-small"
#define DEFAULT_OUT "pope-genome-run"
#define FINAL_TEST_TARGETS (1 << 20)   // bound of the test NLL printed after training

static void train_help(void) {
    printf("usage: " PROG " train FILE [options]\n\n"
           "Trains on FILE's train split, validates on its valid split, and prints the test NLL\n"
           "(nats/token and bits/base) at the end. Writes DIR/model.safetensors, DIR/checkpoint.safetensors,\n"
           "DIR/log.jsonl, DIR/curve.svg and DIR/test.json. Ctrl-C stops after a checkpoint; --resume continues.\n\n"
           "options:\n%s%s\npresets (default " DEFAULT_PRESET ", output directory ./" DEFAULT_OUT "):\n",
           pope_help_train, gdata_help);
    pope_preset_list(stdout);
}

static void bench_help(void) {
    printf("usage: " PROG " bench FILE [options]\n\n"
           "Trains every positional encoding (none, sinusoidal, legendre, rope, polar) with the same\n"
           "preset and budget, then writes DIR/report.md, DIR/report.json, DIR/curves.svg and\n"
           "DIR/extrapolation.svg (default DIR ./pope-genome-bench).\n\n"
           "options:\n%s%s\npresets:\n",
           pope_help_bench, gdata_help);
    pope_preset_list(stdout);
}

// Parses the options shared by train and bench. Returns -1 after printing help (exit 0),
// or an exit status > 0 on a usage error, 0 when parsed.
static int parse(const char *cmd, int argc, char **argv, pope_cli *cli, gdata_opts *go, const char **file,
                 void (*help)(void)) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            help();
            return -1;
        }
        int r = gcli_option(cli, argc, argv, &i);
        if (r == 0) r = gdata_option(go, argc, argv, &i);
        if (r < 0) return usage_error(cmd, pope_last_error());
        if (r > 0) continue;
        if (a[0] == '-' && a[1]) {
            char msg[300];
            snprintf(msg, sizeof msg, "unknown option '%s'", a);
            return usage_error(cmd, msg);
        }
        if (*file) return usage_error(cmd, "one FILE only");
        *file = a;
    }
    if (!*file) return usage_error(cmd, "no input FILE");
    return 0;
}

// Evaluates DIR's final model on the test split and prints/writes the result.
static int report_test(const char *out_dir, const gdata *d) {
    char path[4200];
    snprintf(path, sizeof path, "%s/model.safetensors", out_dir);
    pope_model *m = pope_model_open(path, &d->corpus);
    if (!m) return die("test");
    pope_eval_opts eo;
    pope_eval_opts_default(&eo);
    eo.split = POPE_SPLIT_TEST;
    eo.max_targets = FINAL_TEST_TARGETS;   // a whole-genome test split would take hours
    pope_eval_result r;
    if (pope_eval(m, &d->corpus, &eo, &r) != 0) {
        pope_model_free(m);
        return die("test");
    }
    int T = r.context;
    int64_t all_targets = 0;
    double bpb = gbits_per_base(&d->corpus, POPE_SPLIT_TEST, &r, &all_targets);
    if (r.targets > 0)
        printf("test NLL %.4f nats/token, %.4f bits/base (%lld targets%s, context %d, tokenizer %s) -> %s/test.json\n",
               r.nll, bpb, (long long)r.targets, r.targets < all_targets ? " sampled; 'eval' scores all" : "",
               T, d->corpus.tokenizer, out_dir);
    else
        printf("test split has no targets (too short for a window); see %s/log.jsonl for validation\n", out_dir);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "nll", r.targets > 0 ? r.nll : 0);
    cJSON_AddNumberToObject(o, "bits_per_base", r.targets > 0 ? bpb : 0);
    cJSON_AddNumberToObject(o, "targets", (double)r.targets);
    cJSON_AddNumberToObject(o, "split_targets", (double)all_targets);
    cJSON_AddNumberToObject(o, "context", T);
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

static const char *pick_tokenizer(const gdata_opts *go, const pope_preset *p) {
    if (go->tokenizer) return go->tokenizer;
    return p->tokenizer[0] ? p->tokenizer : "nt";
}

int cmd_train(int argc, char **argv) {
    pope_cli cli;
    pope_cli_init(&cli);
    gdata_opts go = {0};
    const char *file = NULL;
    int rc = parse("train", argc, argv, &cli, &go, &file, train_help);
    if (rc) return rc < 0 ? 0 : rc;
    pope_preset p;
    if (pope_cli_preset(&cli, DEFAULT_PRESET, &p) != 0) return die("preset");
    gdata d;
    if (gdata_load(&d, file, &go, pick_tokenizer(&go, &p), !cli.quiet) != 0) return die("train");
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
    gdata_free(&d);
    return rc;
}

int cmd_bench(int argc, char **argv) {
    pope_cli cli;
    pope_cli_init(&cli);
    gdata_opts go = {0};
    const char *file = NULL;
    int rc = parse("bench", argc, argv, &cli, &go, &file, bench_help);
    if (rc) return rc < 0 ? 0 : rc;
    pope_preset p;
    if (pope_cli_preset(&cli, DEFAULT_PRESET, &p) != 0) return die("preset");
    gdata d;
    if (gdata_load(&d, file, &go, pick_tokenizer(&go, &p), !cli.quiet) != 0) return die("bench");
    int mult[32], n_mult = 0;
    if (cli.contexts && pope_parse_int_list(cli.contexts, mult, 32, &n_mult) != 0) {
        gdata_free(&d);
        return usage_error("bench", pope_last_error());
    }
    pope_bench_opts bo = {0};
    bo.out_dir = cli.out_dir ? cli.out_dir : "pope-genome-bench";
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
    gdata_free(&d);
    return rc;
}

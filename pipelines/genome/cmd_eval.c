// cmd_eval.c — `pope-genome eval` (windowed NLL and bits per base on one split) and
// `pope-genome extrapolate` (NLL at multiples of the training context, same tokens).
#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "genome_cli.h"

// Options of eval/extrapolate: common + data + FILE. Returns -1 after help, > 0 on error.
static int parse(const char *cmd, int argc, char **argv, pope_cli *cli, gdata_opts *go, const char **file,
                 const char *help) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(help, stdout);
            printf("%s", gdata_help);
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
    if (!cli->model) return usage_error(cmd, "--model M is required");
    if (!*file) return usage_error(cmd, "no input FILE");
    return 0;
}

// The model and a corpus tokenized as the model expects.
static int open_model_and_data(const char *cmd, const pope_cli *cli, gdata_opts *go, const char *file, pope_model **m,
                               gdata *d) {
    char tok[POPE_TOKENIZER_MAX];
    if (gmodel_data_opts(cli->model, go, tok) != 0) return die(cmd);
    if (gdata_load(d, file, go, tok, 0) != 0) return die(cmd);
    *m = pope_model_open(cli->model, &d->corpus);
    if (!*m) {
        gdata_free(d);
        return die(cmd);
    }
    if (cli->threads > 0) pope_runtime_init(cli->threads);
    return 0;
}

int cmd_eval(int argc, char **argv) {
    static const char help[] =
        "usage: " PROG " eval --model M FILE [options]\n\n"
        "Cuts the split's token stream into consecutive non-overlapping windows of T+1 tokens (never\n"
        "crossing a sequence; a last window shorter than 2 tokens is dropped), scores targets 1..T of\n"
        "each window (N targets excluded) and reports the mean NLL in nats per token, bits per base\n"
        "(total NLL / ln 2 / bases covered by the scored targets) and the number of targets.\n\n"
        "options:\n";
    pope_cli cli;
    pope_cli_init(&cli);
    gdata_opts go = {0};
    const char *file = NULL;
    char full_help[4096];
    snprintf(full_help, sizeof full_help, "%s%s  --eval-tokens N       score about N targets in evenly spaced windows (default: all)\n",
             help, pope_help_eval);
    int rc = parse("eval", argc, argv, &cli, &go, &file, full_help);
    if (rc) return rc < 0 ? 0 : rc;
    pope_model *m;
    gdata d;
    if ((rc = open_model_and_data("eval", &cli, &go, file, &m, &d))) return rc;
    pope_eval_opts eo;
    pope_eval_opts_default(&eo);
    eo.split = POPE_SPLIT_TEST;
    if (cli.split && pope_split_parse(cli.split, &eo.split) != 0) {
        rc = usage_error("eval", pope_last_error());
        goto done;
    }
    eo.context = cli.context > 0 ? cli.context : 0;
    if (cli.eval_tokens > 0) eo.max_targets = cli.eval_tokens;   // evenly spaced windows
    eo.progress = !cli.json && !cli.quiet;
    pope_eval_result r;
    if (pope_eval(m, &d.corpus, &eo, &r) != 0) {
        rc = die("eval");
        goto done;
    }
    if (r.targets == 0) {
        pope_eval_result_free(&r);
        pope_error("the %s split has no windows of at least 2 tokens", cli.split ? cli.split : "test");
        rc = die("eval");
        goto done;
    }
    int64_t all_targets = 0;
    double bpb = gbits_per_base(&d.corpus, eo.split, &r, &all_targets);
    double bases = isnan(bpb) ? 0 : r.nll_sum / log(2.0) / bpb;
    const char *split_name = eo.split == POPE_SPLIT_ALL ? "all" : pope_split_name(eo.split);
    if (cli.json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "nll", r.nll);
        cJSON_AddNumberToObject(o, "bits_per_base", bpb);
        cJSON_AddNumberToObject(o, "bits_per_token", r.nll / log(2.0));
        cJSON_AddNumberToObject(o, "targets", (double)r.targets);
        cJSON_AddNumberToObject(o, "bases", round(bases));
        cJSON_AddNumberToObject(o, "windows", (double)r.windows);
        cJSON_AddNumberToObject(o, "split_targets", (double)all_targets);
        cJSON_AddNumberToObject(o, "context", r.context);
        cJSON_AddStringToObject(o, "split", split_name);
        cJSON_AddStringToObject(o, "tokenizer", d.corpus.tokenizer);
        cJSON_AddStringToObject(o, "pe", pope_pe_name(pope_model_config(m)->pe));
        cJSON_AddStringToObject(o, "model", cli.model);
        cJSON_AddStringToObject(o, "input", file);
        char *js = cJSON_PrintUnformatted(o);
        printf("%s\n", js);
        free(js);
        cJSON_Delete(o);
    } else {
        printf("%s: %s split, context %d, %s: NLL %.4f nats/token, %.4f bits/base over %lld targets (%lld windows)\n",
               file, split_name, r.context, d.corpus.tokenizer, r.nll, bpb, (long long)r.targets, (long long)r.windows);
    }
    pope_eval_result_free(&r);
done:
    pope_model_free(m);
    gdata_free(&d);
    return rc;
}

int cmd_extrapolate(int argc, char **argv) {
    static const char help[] =
        "usage: " PROG " extrapolate --model M FILE [options]\n\n"
        "Zero-shot length extrapolation: scores the same tokens at each evaluation context (multiples\n"
        "of the training context), by position bucket, and writes extrapolate.md/.json/.svg.\n"
        "Prints the Markdown table (or with --json one JSON object).\n\n"
        "options:\n";
    pope_cli cli;
    pope_cli_init(&cli);
    gdata_opts go = {0};
    const char *file = NULL;
    char full_help[4096];
    snprintf(full_help, sizeof full_help, "%s%s  --json               print one JSON object instead of the table\n", help,
             pope_help_extrap);
    int rc = parse("extrapolate", argc, argv, &cli, &go, &file, full_help);
    if (rc) return rc < 0 ? 0 : rc;
    pope_model *m;
    gdata d;
    if ((rc = open_model_and_data("extrapolate", &cli, &go, file, &m, &d))) return rc;
    int contexts[32], n = 0;
    char *out_dir = NULL;
    pope_extrap_opts eo;
    pope_extrap_opts_default(&eo);
    if (pope_cli_contexts(&cli, m, contexts, 32, &n) != 0) {
        rc = usage_error("extrapolate", pope_last_error());
        goto done;
    }
    if (cli.split && pope_split_parse(cli.split, &eo.split) != 0) {
        rc = usage_error("extrapolate", pope_last_error());
        goto done;
    }
    if (eo.split == POPE_SPLIT_ALL) {
        rc = usage_error("extrapolate", "--split all is not supported here (test, valid or train)");
        goto done;
    }
    eo.contexts = contexts;
    eo.n_contexts = n;
    if (cli.eval_tokens > 0) eo.max_tokens = cli.eval_tokens;
    if (cli.out_dir) {
        out_dir = strdup(cli.out_dir);
    } else {   // next to the model: the training directory, or the model file's directory
        char *mf = gmodel_file(cli.model);
        out_dir = strdup(mf ? dirname(mf) : ".");
        free(mf);
    }
    eo.out_dir = out_dir;
    eo.progress = !cli.json && !cli.quiet;
    pope_extrap_result r;
    if (pope_extrapolate(m, &d.corpus, &eo, &r, cli.json ? NULL : stdout) != 0) {
        rc = die("extrapolate");
        goto done;
    }
    if (cli.json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "training_context", pope_model_config(m)->context_length);
        cJSON_AddNumberToObject(o, "regions", (double)r.regions);
        cJSON_AddStringToObject(o, "tokenizer", d.corpus.tokenizer);
        cJSON_AddStringToObject(o, "pe", pope_pe_name(pope_model_config(m)->pe));
        cJSON *arr = cJSON_AddArrayToObject(o, "results");
        for (int k = 0; k < r.n_contexts; k++) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddNumberToObject(e, "context", r.contexts[k]);
            cJSON_AddNumberToObject(e, "nll", r.res[k].nll);
            cJSON_AddNumberToObject(e, "targets", (double)r.res[k].targets);
            cJSON_AddItemToArray(arr, e);
        }
        char *js = cJSON_PrintUnformatted(o);
        printf("%s\n", js);
        free(js);
        cJSON_Delete(o);
    } else {
        fprintf(stderr, PROG ": wrote %s/extrapolate.md, .json, .svg\n", out_dir);
    }
    pope_extrap_result_free(&r);
done:
    free(out_dir);
    pope_model_free(m);
    gdata_free(&d);
    return rc;
}

// cmd_eval.c — `pope-music eval` (windowed NLL on one split) and `pope-music extrapolate`
// (NLL at multiples of the training context, the same tokens scored at every context).
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "music_cli.h"

static int parse(const char *cmd, int argc, char **argv, pope_cli *cli, mdata_opts *mo, const char *help) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(help, stdout);
            fputs(mdata_help, stdout);
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
    if (!cli->model) return usage_error(cmd, "--model M is required");
    if (mo->kind == MDATA_NONE) return usage_error(cmd, "no data: give --data maestro DIR, jsb FILE.json or midi DIR");
    return 0;
}

// The model and the data tokenized as the model was trained (--tokenizer must agree).
static int open_model_and_data(const char *cmd, const pope_cli *cli, const mdata_opts *mo, int joined, pope_model **m,
                               mdata *d) {
    char *file = mmodel_file(cli->model);
    if (!file) return die(cmd);
    pope_music_tok tok;
    if (mmodel_tokenizer(file, &tok) != 0) {
        free(file);
        return die(cmd);
    }
    if (mo->tokenizer && strcmp(mo->tokenizer, pope_music_tok_name(tok)) != 0) {
        pope_error("--tokenizer %s, but %s was trained with %s", mo->tokenizer, file, pope_music_tok_name(tok));
        free(file);
        return die(cmd);
    }
    if (mdata_load(d, mo, tok, 0, joined, 0) != 0) {
        free(file);
        return die(cmd);
    }
    *m = pope_model_open(file, &d->corpus);
    free(file);
    if (!*m) {
        mdata_free(d);
        return die(cmd);
    }
    if (cli->threads > 0) pope_runtime_init(cli->threads);
    return 0;
}

int cmd_eval(int argc, char **argv) {
    static const char help[] =
        "usage: " PROG " eval --model M --data KIND PATH [options]\n\n"
        "Each piece's token stream (BOS, events, EOS) is cut into consecutive non-overlapping windows\n"
        "of T+1 tokens (a last shorter window of >= 2 tokens included); inputs are tokens 0..T-1 of a\n"
        "window, targets 1..T. Prints the mean NLL in nats per target token (PAD never counts).\n\n"
        "options:\n";
    pope_cli cli;
    pope_cli_init(&cli);
    mdata_opts mo = {0};
    char full_help[4096];
    snprintf(full_help, sizeof full_help, "%s%s", help, pope_help_eval);
    int rc = parse("eval", argc, argv, &cli, &mo, full_help);
    if (rc) return rc < 0 ? 0 : rc;
    pope_model *m;
    mdata d;
    if ((rc = open_model_and_data("eval", &cli, &mo, 0, &m, &d))) return rc;
    pope_eval_opts eo;
    pope_eval_opts_default(&eo);
    eo.split = POPE_SPLIT_TEST;
    if (cli.split && pope_split_parse(cli.split, &eo.split) != 0) {
        rc = usage_error("eval", pope_last_error());
        goto done;
    }
    eo.context = cli.context > 0 ? cli.context : 0;
    eo.progress = !cli.json && !cli.quiet;
    pope_eval_result r;
    if (pope_eval(m, &d.corpus, &eo, &r) != 0) {
        rc = die("eval");
        goto done;
    }
    const char *split_name = eo.split == POPE_SPLIT_ALL ? "all" : pope_split_name(eo.split);
    if (r.targets == 0) {
        pope_eval_result_free(&r);
        pope_error("the %s split has no windows of at least 2 tokens", split_name);
        rc = die("eval");
        goto done;
    }
    if (cli.json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "nll", r.nll);
        cJSON_AddNumberToObject(o, "targets", (double)r.targets);
        cJSON_AddNumberToObject(o, "windows", (double)r.windows);
        cJSON_AddNumberToObject(o, "context", r.context);
        cJSON_AddStringToObject(o, "split", split_name);
        cJSON_AddStringToObject(o, "tokenizer", d.corpus.tokenizer);
        cJSON_AddStringToObject(o, "pe", pope_pe_name(pope_model_config(m)->pe));
        cJSON_AddStringToObject(o, "model", cli.model);
        cJSON_AddStringToObject(o, "data", mdata_kind_name(mo.kind));
        cJSON_AddStringToObject(o, "input", mo.path);
        char *js = cJSON_PrintUnformatted(o);
        printf("%s\n", js);
        free(js);
        cJSON_Delete(o);
    } else {
        printf("%s %s: %s split, context %d, %s: NLL %.4f nats/token over %lld targets (%lld windows)\n",
               mdata_kind_name(mo.kind), mo.path, split_name, r.context, d.corpus.tokenizer, r.nll,
               (long long)r.targets, (long long)r.windows);
    }
    pope_eval_result_free(&r);
done:
    pope_model_free(m);
    mdata_free(&d);
    return rc;
}

int cmd_extrapolate(int argc, char **argv) {
    static const char help[] =
        "usage: " PROG " extrapolate --model M --data KIND PATH [options]\n\n"
        "Zero-shot length extrapolation: scores the same tokens at each evaluation context (multiples\n"
        "of the training context), by position bucket, and writes extrapolate.md/.json/.svg. The\n"
        "pieces of the split are joined into one stream (each keeps its BOS ... EOS) so that contexts\n"
        "longer than a piece can be measured; --whole-pieces keeps them apart (regions never cross a\n"
        "piece, so pieces shorter than the largest context are not scored).\n"
        "Prints the Markdown table (or with --json one JSON object).\n\n"
        "options:\n";
    pope_cli cli;
    pope_cli_init(&cli);
    mdata_opts mo = {0};
    char full_help[4096];
    snprintf(full_help, sizeof full_help, "%s%s  --json               print one JSON object instead of the table\n"
             "  --whole-pieces       do not join the pieces of the split\n", help, pope_help_extrap);
    int rc = parse("extrapolate", argc, argv, &cli, &mo, full_help);
    if (rc) return rc < 0 ? 0 : rc;
    pope_model *m;
    mdata d;
    if ((rc = open_model_and_data("extrapolate", &cli, &mo, !mo.whole_pieces, &m, &d))) return rc;
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
    } else {   // next to the model
        char *mf = mmodel_file(cli.model);
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
        cJSON_AddBoolToObject(o, "joined", !mo.whole_pieces);
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
    mdata_free(&d);
    return rc;
}

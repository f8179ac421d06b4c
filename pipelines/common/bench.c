// bench.c — the NLL benchmark: the five encodings trained with the same preset, data and
// budget, then test NLL and length extrapolation of each, in one report
// (DIR/report.md, DIR/report.json, DIR/curves.svg, DIR/extrapolation.svg).
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline_internal.h"

static const pope_pe_kind bench_pes[] = {POPE_PE_POLAR, POPE_PE_ROPE, POPE_PE_LEGENDRE, POPE_PE_SINUSOIDAL,
                                         POPE_PE_NONE};
enum { N_PE = 5, MAX_CTX = 32 };

typedef struct {
    pope_pe_kind pe;
    int64_t steps, tokens;
    double seconds, train_loss, valid_nll, test_nll;
    double tokens_per_s;         // training throughput of the last logged step
    int64_t test_targets;
    int n_ctx;
    int ctx[MAX_CTX];
    double ctx_nll[MAX_CTX];
    double *curve_x, *curve_y;   // smoothed training loss
    int curve_n;
} run_result;

static double json_num(const cJSON *o, const char *k) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
    return it && cJSON_IsNumber(it) ? it->valuedouble : NAN;
}

static cJSON *result_to_json(const run_result *r) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "pe", pope_pe_name(r->pe));
    cJSON_AddNumberToObject(o, "steps", (double)r->steps);
    cJSON_AddNumberToObject(o, "tokens", (double)r->tokens);
    cJSON_AddNumberToObject(o, "seconds", r->seconds);
#define NUM_OR_NULL(key, v) \
    if (isfinite(v)) cJSON_AddNumberToObject(o, key, v); else cJSON_AddNullToObject(o, key);
    NUM_OR_NULL("tokens_per_s", r->tokens_per_s);
    NUM_OR_NULL("train_loss", r->train_loss);
    NUM_OR_NULL("valid_nll", r->valid_nll);
    NUM_OR_NULL("test_nll", r->test_nll);
    cJSON_AddNumberToObject(o, "test_targets", (double)r->test_targets);
    cJSON *a = cJSON_AddArrayToObject(o, "extrapolation");
    for (int i = 0; i < r->n_ctx; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "context", r->ctx[i]);
        if (isfinite(r->ctx_nll[i])) cJSON_AddNumberToObject(e, "nll", r->ctx_nll[i]);
        else cJSON_AddNullToObject(e, "nll");
        cJSON_AddItemToArray(a, e);
    }
#undef NUM_OR_NULL
    return o;
}

static int result_from_json(run_result *r, const char *path) {
    char *text = pope_read_file(path, NULL);
    cJSON *o = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (!o) return pope_error("%s: unreadable result", path);
    r->steps = (int64_t)json_num(o, "steps");
    r->tokens = (int64_t)json_num(o, "tokens");
    r->seconds = json_num(o, "seconds");
    r->train_loss = json_num(o, "train_loss");
    r->tokens_per_s = json_num(o, "tokens_per_s");
    r->valid_nll = json_num(o, "valid_nll");
    r->test_nll = json_num(o, "test_nll");
    r->test_targets = (int64_t)json_num(o, "test_targets");
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "extrapolation"), *e;
    r->n_ctx = 0;
    cJSON_ArrayForEach(e, a) {
        if (r->n_ctx == MAX_CTX) break;
        r->ctx[r->n_ctx] = (int)json_num(e, "context");
        r->ctx_nll[r->n_ctx++] = json_num(e, "nll");
    }
    cJSON_Delete(o);
    return 0;
}

// Training loss from DIR/log.jsonl, smoothed by a moving average over ~1% of the run so
// that five noisy curves stay readable on one chart.
static void load_curve(run_result *r, const char *dir) {
    char path[4200];
    snprintf(path, sizeof path, "%s/log.jsonl", dir);
    char *text = pope_read_file(path, NULL);
    if (!text) return;
    int cap = 1024, n = 0;
    double *xs = malloc(cap * sizeof *xs), *ys = malloc(cap * sizeof *ys);
    for (char *line = strtok(text, "\n"); line && xs && ys; line = strtok(NULL, "\n")) {
        cJSON *o = cJSON_Parse(line);
        double st = json_num(o, "step"), l = json_num(o, "loss"), tps = json_num(o, "tokens_per_s");
        cJSON_Delete(o);
        if (isfinite(tps)) r->tokens_per_s = tps;
        if (!isfinite(st) || !isfinite(l)) continue;
        if (n == cap) {
            cap *= 2;
            double *nx = realloc(xs, cap * sizeof *xs), *ny = realloc(ys, cap * sizeof *ys);
            if (nx) xs = nx;
            if (ny) ys = ny;
            if (!nx || !ny) break;
        }
        xs[n] = st, ys[n] = l, n++;
    }
    free(text);
    if (!xs || !ys) {
        free(xs);
        free(ys);
        return;
    }
    int w = n / 100 > 1 ? n / 100 : 1;
    double *sm = malloc((n ? n : 1) * sizeof *sm), acc = 0;
    if (!sm) {
        free(xs);
        free(ys);
        return;
    }
    for (int i = 0; i < n; i++) {
        acc += ys[i];
        if (i >= w) acc -= ys[i - w];
        sm[i] = acc / (i + 1 < w ? i + 1 : w);
    }
    free(ys);
    r->curve_x = xs, r->curve_y = sm, r->curve_n = n;
}

static int run_one(const pope_corpus *c, const pope_preset *base, const pope_bench_opts *o, const int *mult,
                   int n_mult, run_result *r, const char *dir) {
    char path[4200];
    snprintf(path, sizeof path, "%s/result.json", dir);
    if (o->resume && access(path, R_OK) == 0) {
        if (result_from_json(r, path) != 0) return -1;
        load_curve(r, dir);
        if (!o->quiet) fprintf(stderr, "bench: %s: reusing the finished run in %s\n", pope_pe_name(r->pe), dir);
        return 0;
    }
    pope_preset p = *base;
    p.model.pe = r->pe;
    if (o->steps_per_run > 0) p.train.steps = o->steps_per_run;
    if (o->time_per_run_s > 0) {
        p.train.time_s = o->time_per_run_s;
        if (o->steps_per_run <= 0) p.train.steps = POPE_STEPS_UNBOUNDED;   // the budget decides
    }
    char ckpt[4200];
    snprintf(ckpt, sizeof ckpt, "%s/checkpoint.safetensors", dir);
    pope_train_opts to = {0};
    to.out_dir = dir;
    to.resume = o->resume && access(ckpt, R_OK) == 0;
    to.quiet = o->quiet;
    to.program = o->program;
    to.extra_metadata = o->extra_metadata;
    to.interrupt = o->interrupt;
    if (!o->quiet) fprintf(stderr, "bench: training %s in %s\n", pope_pe_name(r->pe), dir);
    pope_train_result tr;
    if (pope_train(c, &p, &to, &tr) != 0) return -1;
    if (tr.interrupted) return pope_error("interrupted during the %s run; rerun with --resume", pope_pe_name(r->pe));
    r->steps = tr.steps, r->tokens = tr.tokens, r->seconds = tr.seconds;
    r->train_loss = tr.last_loss, r->valid_nll = tr.valid_nll;

    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    pope_model *m = pope_model_open(path, c);
    if (!m) return -1;
    pope_eval_opts eo;
    pope_eval_opts_default(&eo);
    eo.split = POPE_SPLIT_TEST;
    eo.max_targets = o->test_tokens;
    eo.progress = !o->quiet;
    pope_eval_result er;
    int rc = pope_eval(m, c, &eo, &er);
    r->n_ctx = 0;
    if (rc == 0) {
        r->test_nll = er.nll, r->test_targets = er.targets;
        pope_eval_result_free(&er);
    }
    if (rc == 0 && n_mult > 0) {   // n_mult == 0: no context fits the test split
        pope_extrap_opts xo;
        pope_extrap_opts_default(&xo);
        int T0 = pope_model_config(m)->context_length;
        int ctx[MAX_CTX];
        for (int i = 0; i < n_mult; i++) ctx[i] = mult[i] * T0;
        xo.contexts = ctx, xo.n_contexts = n_mult;
        if (o->eval_tokens > 0) xo.max_tokens = o->eval_tokens;
        xo.out_dir = dir;
        pope_extrap_result xr;
        if (pope_extrapolate(m, c, &xo, &xr, NULL) == 0) {
            r->n_ctx = xr.n_contexts;
            for (int i = 0; i < xr.n_contexts; i++) r->ctx[i] = xr.contexts[i], r->ctx_nll[i] = xr.res[i].nll;
            pope_extrap_result_free(&xr);
        } else {
            // a test split too short for the longest context still gives a report
            if (!o->quiet) fprintf(stderr, "bench: %s: extrapolation skipped: %s\n", pope_pe_name(r->pe), pope_last_error());
            r->n_ctx = 0;
        }
    }
    pope_model_free(m);
    if (rc != 0) return -1;
    load_curve(r, dir);   // also the throughput of result.json
    cJSON *j = result_to_json(r);
    char *js = cJSON_Print(j);
    cJSON_Delete(j);
    snprintf(path, sizeof path, "%s/result.json", dir);
    rc = js ? pope_write_file_atomic(path, js) : pope_error("bench: JSON failed");
    cJSON_free(js);
    return rc;
}

int pope_bench(const pope_corpus *c, const pope_preset *p, const pope_bench_opts *o, FILE *report) {
    if (!o->out_dir) return pope_error("bench: no output directory");
    int mult[MAX_CTX], n_mult = o->n_contexts;
    if (n_mult <= 0) {
        static const int def[] = {1, 2, 4, 8};
        n_mult = 4;
        memcpy(mult, def, sizeof def);
    } else {
        if (n_mult > MAX_CTX) return pope_error("bench: more than %d contexts", MAX_CTX);
        memcpy(mult, o->contexts, n_mult * sizeof(int));
    }
    // Extrapolation scores whole regions of the largest context + 1 tokens: a context longer
    // than the longest test sequence would leave no region and so empty every column (a
    // small test split with kmer6 did). Measure the contexts that fit; the report says why
    // the others are empty.
    int64_t longest = 0;
    for (int64_t q = 0; q < c->n_seqs(c->ctx, POPE_SPLIT_TEST); q++) {
        int64_t len = c->seq_len(c->ctx, POPE_SPLIT_TEST, q);
        if (len > longest) longest = len;
    }
    int T0 = p->model.context_length, fit[MAX_CTX], n_fit = 0;
    for (int k = 0; k < n_mult; k++)
        if ((int64_t)mult[k] * T0 + 1 <= longest) fit[n_fit++] = mult[k];
    if (n_fit < n_mult && !o->quiet)
        fprintf(stderr, "bench: the longest test sequence has %lld tokens: contexts above %lld tokens are not "
                        "measured (%d of %d)\n", (long long)longest, (long long)(longest - 1), n_mult - n_fit, n_mult);
    if (pope_mkdir_p(o->out_dir) != 0) return -1;
    run_result runs[N_PE];
    memset(runs, 0, sizeof runs);
    int rc = 0;
    for (int i = 0; i < N_PE && rc == 0; i++) {
        runs[i].pe = bench_pes[i];
        runs[i].train_loss = runs[i].valid_nll = runs[i].test_nll = runs[i].tokens_per_s = NAN;
        char dir[2048];   // shorter than the paths built from it
        if (snprintf(dir, sizeof dir, "%s/%s", o->out_dir, pope_pe_name(bench_pes[i])) >= (int)sizeof dir) {
            rc = pope_error("bench: output directory name too long");
            break;
        }
        rc = run_one(c, p, o, fit, n_fit, &runs[i], dir);
        if (rc != 0) {
            char why[1024];
            snprintf(why, sizeof why, "%s", pope_last_error());
            pope_error("bench: %s run: %s", pope_pe_name(bench_pes[i]), why);
        }
    }
    if (rc != 0) goto done;

    // ---- report.md
    {
        size_t cap = 16384, len = 0;
        char *md = malloc(cap);
        if (!md) {
            rc = pope_error("bench: out of memory");
            goto done;
        }
        char budget[64];
        if (o->time_per_run_s > 0) pope_format_duration(o->time_per_run_s, budget, sizeof budget);
        else snprintf(budget, sizeof budget, "%lld steps",
                      (long long)(o->steps_per_run > 0 ? o->steps_per_run : p->train.steps));
        len += snprintf(md + len, cap - len,
                        "# NLL benchmark: %s\n\nPreset `%s` (d %d, %d layers, %d heads, context %d, batch %d), "
                        "tokenizer `%s`, budget %s per encoding. NLL in nats per token; test NLL over %s.\n\n"
                        "| encoding | steps | time | tokens/s | train loss | valid NLL | test NLL |",
                        p->name, p->name, p->model.d_model, p->model.n_layers, p->model.n_heads,
                        p->model.context_length, p->train.batch, c->tokenizer ? c->tokenizer : "", budget,
                        o->test_tokens > 0 ? "a bounded, evenly spaced part of the test split" : "the whole test split");
        for (int k = 0; k < n_mult; k++) len += snprintf(md + len, cap - len, " NLL @%dx |", mult[k]);
        len += snprintf(md + len, cap - len, "\n|---|---:|---:|---:|---:|---:|---:|");
        for (int k = 0; k < n_mult; k++) len += snprintf(md + len, cap - len, "---:|");
        len += snprintf(md + len, cap - len, "\n");
        for (int i = 0; i < N_PE; i++) {
            char t[32];
            len += snprintf(md + len, cap - len, "| %s | %lld | %s | %.0f | %.4f | %.4f | %.4f |",
                            pope_pe_name(runs[i].pe), (long long)runs[i].steps,
                            pope_format_duration(runs[i].seconds, t, sizeof t), runs[i].tokens_per_s,
                            runs[i].train_loss, runs[i].valid_nll, runs[i].test_nll);
            for (int k = 0; k < n_mult; k++) {   // by context: a resumed run may hold other ones
                int j = 0;
                while (j < runs[i].n_ctx && runs[i].ctx[j] != mult[k] * T0) j++;
                if (j < runs[i].n_ctx && isfinite(runs[i].ctx_nll[j]))
                    len += snprintf(md + len, cap - len, " %.4f |", runs[i].ctx_nll[j]);
                else len += snprintf(md + len, cap - len, " – |");
            }
            len += snprintf(md + len, cap - len, "\n");
        }
        len += snprintf(md + len, cap - len,
                        "\nExtrapolation: the same test tokens scored at each context (see docs/PIPELINE.md).\n"
                        "Charts: `curves.svg` (training loss), `extrapolation.svg` (NLL vs context).\n");
        if (n_fit < n_mult)
            len += snprintf(md + len, cap - len,
                            "\n– = not measured: the longest test sequence has %lld tokens, and extrapolation needs "
                            "whole windows of context + 1 tokens (at most %lld here). Use smaller `--contexts` or a "
                            "larger test split.\n",
                            (long long)longest, (long long)(longest - 1));
        if (report) fputs(md, report);
        char path[4200];
        snprintf(path, sizeof path, "%s/report.md", o->out_dir);
        rc = pope_write_file_atomic(path, md);
        free(md);
        if (rc) goto done;
    }
    // ---- report.json
    {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "preset", p->name);
        cJSON_AddStringToObject(j, "tokenizer", c->tokenizer ? c->tokenizer : "");
        cJSON_AddNumberToObject(j, "context", p->model.context_length);
        cJSON_AddNumberToObject(j, "test_longest_tokens", (double)longest);
        cJSON *nm = cJSON_AddArrayToObject(j, "contexts_not_measured");   // too long for the test split
        for (int k = 0; k < n_mult; k++)
            if ((int64_t)mult[k] * T0 + 1 > longest) cJSON_AddItemToArray(nm, cJSON_CreateNumber(mult[k] * T0));
        if (o->time_per_run_s > 0) cJSON_AddNumberToObject(j, "time_per_run_s", o->time_per_run_s);
        cJSON *a = cJSON_AddArrayToObject(j, "runs");
        for (int i = 0; i < N_PE; i++) cJSON_AddItemToArray(a, result_to_json(&runs[i]));
        char *js = cJSON_Print(j);
        cJSON_Delete(j);
        char path[4200];
        snprintf(path, sizeof path, "%s/report.json", o->out_dir);
        rc = js ? pope_write_file_atomic(path, js) : pope_error("bench: JSON failed");
        cJSON_free(js);
        if (rc) goto done;
    }
    // ---- charts
    {
        pope_series s[N_PE];
        double cx[N_PE][MAX_CTX], cy[N_PE][MAX_CTX];
        for (int i = 0; i < N_PE; i++)
            s[i] = (pope_series){pope_pe_name(runs[i].pe), runs[i].curve_x, runs[i].curve_y, runs[i].curve_n, 0};
        pope_chart ch = {"Training loss (moving average)", "step", "loss (nats/token)", 0};
        char path[4200];
        snprintf(path, sizeof path, "%s/curves.svg", o->out_dir);
        if ((rc = pope_svg_line_chart(path, &ch, s, N_PE)) != 0) goto done;
        for (int i = 0; i < N_PE; i++) {
            for (int k = 0; k < runs[i].n_ctx; k++) cx[i][k] = runs[i].ctx[k], cy[i][k] = runs[i].ctx_nll[k];
            s[i] = (pope_series){pope_pe_name(runs[i].pe), cx[i], cy[i], runs[i].n_ctx, 0};
        }
        pope_chart ce = {"Test NLL vs evaluation context", "context (tokens)", "NLL (nats/token)", 1};
        snprintf(path, sizeof path, "%s/extrapolation.svg", o->out_dir);
        rc = pope_svg_line_chart(path, &ce, s, N_PE);
    }
done:
    for (int i = 0; i < N_PE; i++) free(runs[i].curve_x), free(runs[i].curve_y);
    return rc;
}

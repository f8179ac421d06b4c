// bench_report.c — the bench report over every finished run of a folder: per encoding the
// test NLL mean ± std over seeds and each seed's number, which differences between
// encodings exceed the seed spread (pope_beyond_spread), the extrapolation table with NLL
// relative to 1×, the runs, the record of each invocation; as Markdown, JSON and SVG.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_internal.h"

// ---------------------------------------------------------------- statistics
int pope_mean_std(const double *x, int n, double *mean, double *std) {
    int k = 0;
    double s = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(x[i])) s += x[i], k++;
    if (k == 0) {
        *mean = *std = NAN;
        return 0;
    }
    double m = s / k, ss = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(x[i])) ss += (x[i] - m) * (x[i] - m);
    *mean = m;
    *std = k > 1 ? sqrt(ss / (k - 1)) : 0;
    return k;
}

int pope_beyond_spread(double m1, double s1, int n1, double m2, double s2, int n2, double *threshold) {
    if (threshold) *threshold = NAN;
    if (n1 < 2 || n2 < 2 || !isfinite(m1) || !isfinite(m2)) return -1;
    double t = 2 * sqrt(s1 * s1 / n1 + s2 * s2 / n2);
    if (threshold) *threshold = t;
    return fabs(m1 - m2) > t;
}

// ---------------------------------------------------------------- arms
const bench_arm bench_arms[BENCH_MAX_ARMS] = {
    {POPE_PE_POLAR, POPE_DELTA_CLAMP},      {POPE_PE_POLAR, POPE_DELTA_SIGMOID}, {POPE_PE_ROPE, POPE_DELTA_CLAMP},
    {POPE_PE_LEGENDRE, POPE_DELTA_CLAMP},   {POPE_PE_SINUSOIDAL, POPE_DELTA_CLAMP}, {POPE_PE_NONE, POPE_DELTA_CLAMP}};

const char *bench_arm_name(bench_arm a, char *buf, size_t size) {
    snprintf(buf, size, "%s%s", pope_pe_name(a.pe), a.pe == POPE_PE_POLAR && a.dp == POPE_DELTA_SIGMOID ? "-sigmoid" : "");
    return buf;
}

int bench_arm_parse(const char *name, bench_arm *a) {
    char buf[32];
    for (int k = 0; k < BENCH_MAX_ARMS; k++)
        if (!strcmp(name, bench_arm_name(bench_arms[k], buf, sizeof buf))) {
            *a = bench_arms[k];
            return 0;
        }
    return pope_error("unknown arm '%s' (polar, polar-sigmoid, rope, legendre, sinusoidal, none)", name);
}

int bench_arm_same(bench_arm a, bench_arm b) { return a.pe == b.pe && a.dp == b.dp; }

static const char *run_name(const bench_run *r, char *buf, size_t size) {
    return bench_arm_name((bench_arm){r->pe, r->dp}, buf, size);
}

// ---------------------------------------------------------------- result.json
static double json_num(const cJSON *o, const char *k) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
    return it && cJSON_IsNumber(it) ? it->valuedouble : NAN;
}

static void add_num(cJSON *o, const char *key, double v) {   // JSON has no NaN: null
    if (isfinite(v)) cJSON_AddNumberToObject(o, key, v);
    else cJSON_AddNullToObject(o, key);
}

cJSON *bench_run_to_json(const bench_run *r) {
    cJSON *o = cJSON_CreateObject();
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)r->seed);
    cJSON_AddStringToObject(o, "pe", pope_pe_name(r->pe));
    if (r->pe == POPE_PE_POLAR) cJSON_AddStringToObject(o, "delta_param", r->dp == POPE_DELTA_SIGMOID ? "sigmoid" : "clamp");
    cJSON_AddStringToObject(o, "seed", seed);   // a string: JSON numbers are doubles
    cJSON_AddNumberToObject(o, "steps", (double)r->steps);
    cJSON_AddNumberToObject(o, "tokens", (double)r->tokens);
    add_num(o, "seconds", r->seconds);
    add_num(o, "wall_s", r->wall_s);
    add_num(o, "tokens_per_s", r->tokens_per_s);
    add_num(o, "train_loss", r->train_loss);
    add_num(o, "valid_nll", r->valid_nll);
    add_num(o, "test_nll", r->test_nll);
    cJSON_AddNumberToObject(o, "test_targets", (double)r->test_targets);
    if (r->threads > 0) cJSON_AddNumberToObject(o, "threads", r->threads);
    cJSON *a = cJSON_AddArrayToObject(o, "extrapolation");
    for (int i = 0; i < r->n_ctx; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "context", r->ctx[i]);
        add_num(e, "nll", r->ctx_nll[i]);
        cJSON_AddItemToArray(a, e);
    }
    if (r->n_frozen > 0) {
        cJSON *f = cJSON_AddArrayToObject(o, "delta_frozen");
        for (int i = 0; i < r->n_frozen; i++) cJSON_AddItemToArray(f, cJSON_CreateNumber(r->frozen[i]));
    }
    return o;
}

int bench_run_from_json(bench_run *r, const char *path) {
    char *text = pope_read_file(path, NULL);
    cJSON *o = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (!o) return pope_error("%s: unreadable result", path);
    memset(r, 0, sizeof *r);
    const cJSON *pe = cJSON_GetObjectItemCaseSensitive(o, "pe");
    if (!cJSON_IsString(pe) || pope_pe_parse(pe->valuestring, &r->pe) != 0) {
        cJSON_Delete(o);
        return pope_error("%s: no valid \"pe\"", path);
    }
    const cJSON *dp = cJSON_GetObjectItemCaseSensitive(o, "delta_param");
    r->dp = r->pe == POPE_PE_POLAR && cJSON_IsString(dp) && !strcmp(dp->valuestring, "sigmoid") ? POPE_DELTA_SIGMOID
                                                                                              : POPE_DELTA_CLAMP;
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(o, "seed");
    if (cJSON_IsString(seed)) r->seed = strtoull(seed->valuestring, NULL, 10);
    r->steps = (int64_t)json_num(o, "steps");
    r->tokens = (int64_t)json_num(o, "tokens");
    r->seconds = json_num(o, "seconds");
    r->wall_s = json_num(o, "wall_s");
    r->train_loss = json_num(o, "train_loss");
    r->tokens_per_s = json_num(o, "tokens_per_s");
    r->valid_nll = json_num(o, "valid_nll");
    r->test_nll = json_num(o, "test_nll");
    r->test_targets = (int64_t)json_num(o, "test_targets");
    double th = json_num(o, "threads");
    r->threads = isfinite(th) ? (int)th : 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(o, "extrapolation")) {
        if (r->n_ctx == BENCH_MAX_CTX) break;
        r->ctx[r->n_ctx] = (int)json_num(e, "context");
        r->ctx_nll[r->n_ctx++] = json_num(e, "nll");
    }
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(o, "delta_frozen")) {
        if (r->n_frozen == BENCH_MAX_LAYERS) break;
        r->frozen[r->n_frozen++] = cJSON_IsNumber(e) ? e->valuedouble : NAN;
    }
    cJSON_Delete(o);
    return 0;
}

// Training loss from DIR/log.jsonl, smoothed by a moving average over ~1% of the run so
// that several noisy curves stay readable on one chart.
void bench_load_curve(bench_run *r, const char *dir) {
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
    double *sm = xs && ys ? malloc((n ? n : 1) * sizeof *sm) : NULL;
    if (!sm) {
        free(xs);
        free(ys);
        return;
    }
    int w = n / 100 > 1 ? n / 100 : 1;
    double acc = 0;
    for (int i = 0; i < n; i++) {
        acc += ys[i];
        if (i >= w) acc -= ys[i - w];
        sm[i] = acc / (i + 1 < w ? i + 1 : w);
    }
    free(ys);
    r->curve_x = xs, r->curve_y = sm, r->curve_n = n;
}

// ---------------------------------------------------------------- aggregation
typedef struct {
    double mean, std;
    int n;
} stat;

typedef struct {
    pope_pe_kind pe;
    char name[32];         // the arm's name
    const bench_run *r;    // its runs, r[0..n)
    int n;
    stat test, steps, seconds, tps;
    stat nll[BENCH_MAX_CTX], rel[BENCH_MAX_CTX];   // by multiple index; rel: NLL ÷ NLL at 1×
} enc_agg;

static stat stat_of(const double *x, int n) {
    stat s;
    s.n = pope_mean_std(x, n, &s.mean, &s.std);
    return s;
}

static double run_nll_at(const bench_run *r, int context) {
    for (int j = 0; j < r->n_ctx; j++)
        if (r->ctx[j] == context) return r->ctx_nll[j];
    return NAN;
}

static void aggregate(enc_agg *a, const bench_run *r, int n, const int *mult, int n_mult, int T0) {
    memset(a, 0, sizeof *a);
    a->pe = r[0].pe, a->r = r, a->n = n;
    run_name(&r[0], a->name, sizeof a->name);
    double *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        return;
    }
#define OVER_RUNS(field, dst)                        \
    for (int i = 0; i < n; i++) x[i] = (double)r[i].field; \
    dst = stat_of(x, n);
    OVER_RUNS(test_nll, a->test)
    OVER_RUNS(steps, a->steps)
    OVER_RUNS(seconds, a->seconds)
    OVER_RUNS(tokens_per_s, a->tps)
#undef OVER_RUNS
    for (int k = 0; k < n_mult; k++) {
        for (int i = 0; i < n; i++) {
            x[i] = run_nll_at(&r[i], mult[k] * T0);
            y[i] = x[i] / run_nll_at(&r[i], T0);   // NAN when 1× was not measured
        }
        a->nll[k] = stat_of(x, n);
        a->rel[k] = stat_of(y, n);
    }
    free(x);
    free(y);
}

// ---------------------------------------------------------------- Markdown
static void md_stat(FILE *f, stat s, int digits) {
    if (s.n == 0) fputs("–", f);
    else if (s.n == 1) fprintf(f, "%.*f", digits, s.mean);
    else fprintf(f, "%.*f ± %.*f", digits, s.mean, digits, s.std);
}

static const char rule_text[] =
    "a difference between two encodings' means counts as beyond the seed spread when "
    "|Δmean| > 2·sqrt(s1²/n1 + s2²/n2) (s: sample standard deviation over seeds, n: seeds; "
    "Welch-style, about a 95% band for normal errors). With one seed there is no spread to compare with.";

// One comparison row per pair of encodings for the metric `which` (0: test NLL, 1: NLL
// relative to 1× at multiple index k); to Markdown and/or JSON.
static void compare(FILE *md, cJSON *arr, const enc_agg *a, int n_enc, int which, int k, const char *metric) {
    for (int i = 0; i < n_enc; i++)
        for (int j = i + 1; j < n_enc; j++) {
            stat s1 = which ? a[i].rel[k] : a[i].test, s2 = which ? a[j].rel[k] : a[j].test;
            if (s1.n == 0 || s2.n == 0) continue;
            double t, d = s1.mean - s2.mean;
            int v = pope_beyond_spread(s1.mean, s1.std, s1.n, s2.mean, s2.std, s2.n, &t);
            const char *lower = d < 0 ? a[i].name : a[j].name;
            if (md) {
                fprintf(md, "| %s | %s | %s | %+.4f | ", metric, a[i].name, a[j].name, d);
                if (v < 0) fprintf(md, "– | one seed, no spread |\n");
                else if (v) fprintf(md, "%.4f | **%s lower, beyond the seed spread** |\n", t, lower);
                else fprintf(md, "%.4f | within the seed spread |\n", t);
            }
            if (arr) {
                cJSON *o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "metric", metric);
                cJSON_AddStringToObject(o, "a", a[i].name);
                cJSON_AddStringToObject(o, "b", a[j].name);
                add_num(o, "difference", d);
                add_num(o, "threshold", t);
                if (v < 0) cJSON_AddNullToObject(o, "beyond_spread");
                else cJSON_AddBoolToObject(o, "beyond_spread", v);
                cJSON_AddItemToArray(arr, o);
            }
        }
}

// The largest multiple with a relative NLL for at least one encoding (-1: none).
static int last_rel_index(const enc_agg *a, int n_enc, const int *mult, int n_mult) {
    int best = -1;
    for (int k = 0; k < n_mult; k++)
        for (int i = 0; i < n_enc; i++)
            if (mult[k] > 1 && a[i].rel[k].n > 0 && (best < 0 || mult[k] > mult[best])) best = k;
    return best;
}

static void write_md(FILE *f, const bench_report_info *in, const enc_agg *a, int n_enc, const bench_run *runs,
                     int n_runs) {
    const pope_preset *p = in->p;
    const int T0 = p->model.context_length;
    char budget[64], t[32];
    if (p->train.time_s > 0 && p->train.steps >= POPE_STEPS_UNBOUNDED) pope_format_duration(p->train.time_s, budget, sizeof budget);
    else if (p->train.time_s > 0)
        snprintf(budget, sizeof budget, "%lld steps or %s", (long long)p->train.steps,
                 pope_format_duration(p->train.time_s, t, sizeof t));
    else snprintf(budget, sizeof budget, "%lld steps", (long long)p->train.steps);
    fprintf(f,
            "# NLL benchmark: %s\n\nPreset `%s` (d %d, %d layers, %d heads, context %d, batch %d × %d, lr %g, "
            "weight decay %g, dropout %g/%g, δ init %s), tokenizer `%s`, budget %s per run. "
            "NLL in nats per token; test NLL over %s. `polar` is Polar PoPE with the paper's "
            "clamped δ, `polar-sigmoid` with δ = −2π·σ(u) (docs/MODEL.md §3).\n\n",
            p->name, p->name, p->model.d_model, p->model.n_layers, p->model.n_heads, T0, p->train.batch,
            p->train.accum, p->train.lr, p->train.adamw.weight_decay, p->model.dropout_attn, p->model.dropout_resid,
            p->model.delta_init == POPE_DELTA_UNIFORM ? "uniform" : "zero", in->tokenizer, budget,
            in->test_tokens > 0 ? "a bounded, evenly spaced part of the test split" : "the whole test split");

    fputs("## Test NLL\n\n| encoding | seeds | test NLL (mean ± std) | each seed | steps | train time | tokens/s |\n"
          "|---|---:|---:|---|---:|---:|---:|\n", f);
    for (int i = 0; i < n_enc; i++) {
        fprintf(f, "| %s | %d | ", a[i].name, a[i].n);
        md_stat(f, a[i].test, 4);
        fputs(" | ", f);
        for (int s = 0; s < a[i].n; s++)
            fprintf(f, "%s%.4f (seed %llu)", s ? ", " : "", a[i].r[s].test_nll, (unsigned long long)a[i].r[s].seed);
        fprintf(f, " | %.0f | %s | %.0f |\n", a[i].steps.mean, pope_format_duration(a[i].seconds.mean, t, sizeof t),
                a[i].tps.mean);
    }

    fprintf(f, "\n## Differences beyond the seed spread\n\nRule: %s\n\n"
               "| metric | A | B | A − B | threshold | verdict |\n|---|---|---|---:|---:|---|\n", rule_text);
    compare(f, NULL, a, n_enc, 0, 0, "test NLL");
    if (n_enc < 2) fputs("| – | – | – | – | – | one encoding: nothing to compare |\n", f);
    int kl = last_rel_index(a, n_enc, in->mult, in->n_mult);
    char metric[64];
    if (kl >= 0) {
        snprintf(metric, sizeof metric, "NLL @%dx ÷ NLL @1x", in->mult[kl]);
        compare(f, NULL, a, n_enc, 1, kl, metric);
    }

    fprintf(f, "\n## Extrapolation\n\nNLL on the same test tokens at each context (docs/PIPELINE.md), mean ± std over "
               "seeds; in brackets relative to 1× (the mean of each seed's ratio).\n\n| encoding |");
    for (int k = 0; k < in->n_mult; k++) fprintf(f, " %d× (%d) |", in->mult[k], in->mult[k] * T0);
    fputs("\n|---|", f);
    for (int k = 0; k < in->n_mult; k++) fputs("---:|", f);
    fputs("\n", f);
    for (int i = 0; i < n_enc; i++) {
        fprintf(f, "| %s |", a[i].name);
        for (int k = 0; k < in->n_mult; k++) {
            fputs(" ", f);
            md_stat(f, a[i].nll[k], 4);
            if (a[i].rel[k].n > 0) fprintf(f, " [%.4f]", a[i].rel[k].mean);
            fputs(" |", f);
        }
        fputs("\n", f);
    }
    int not_measured = 0;
    for (int k = 0; k < in->n_mult; k++) not_measured |= (int64_t)in->mult[k] * T0 + 1 > in->test_longest;
    if (not_measured)
        fprintf(f, "\n– = not measured: the longest test sequence has %lld tokens, and extrapolation needs whole "
                   "windows of context + 1 tokens (at most %lld here). Use smaller `--contexts` or a larger test "
                   "split.\n", (long long)in->test_longest, (long long)(in->test_longest - 1));

    fputs("\n## Runs\n\n| encoding | seed | steps | time | tokens/s | train loss | valid NLL | test NLL | δ frozen "
          "share by layer |\n|---|---:|---:|---:|---:|---:|---:|---:|---|\n", f);
    for (int i = 0; i < n_runs; i++) {
        const bench_run *r = &runs[i];
        char nb[32];
        fprintf(f, "| %s | %llu | %lld | %s | %.0f | %.4f | %.4f | %.4f | ", run_name(r, nb, sizeof nb),
                (unsigned long long)r->seed, (long long)r->steps, pope_format_duration(r->seconds, t, sizeof t),
                r->tokens_per_s, r->train_loss, r->valid_nll, r->test_nll);
        if (!r->n_frozen) fputs("–", f);
        for (int l = 0; l < r->n_frozen; l++) fprintf(f, "%s%.2f", l ? " " : "", r->frozen[l]);
        fputs(" |\n", f);
    }

    fputs("\n## Record\n\n", f);
    const cJSON *inv;
    cJSON_ArrayForEach(inv, in->invocations) {
        const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(inv, "command");
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(inv, "started");
        const cJSON *cpu = cJSON_GetObjectItemCaseSensitive(inv, "cpu");
        double w = json_num(inv, "wall_s");
        fprintf(f, "- `%s` — started %s, wall time %s, %.0f threads, %.0f jobs, %s\n",
                cJSON_IsString(cmd) ? cmd->valuestring : "?", cJSON_IsString(st) ? st->valuestring : "?",
                isfinite(w) ? pope_format_duration(w, t, sizeof t) : "unfinished", json_num(inv, "threads"),
                json_num(inv, "jobs"), cJSON_IsString(cpu) ? cpu->valuestring : "?");
    }
    fputs("\nEach run: `<arm>/seed-<s>/` (result.json, log.jsonl, model, extrapolate.*). Settings shared by all runs: "
          "`bench.json`. Charts: `curves.svg` (training loss, mean over seeds), `extrapolation.svg` (NLL vs "
          "context, mean over seeds).\n", f);
}

// ---------------------------------------------------------------- JSON
static cJSON *stat_json(cJSON *o, const char *key, stat s) {
    char k[64];
    snprintf(k, sizeof k, "%s_mean", key);
    add_num(o, k, s.mean);
    snprintf(k, sizeof k, "%s_std", key);
    add_num(o, k, s.n > 1 ? s.std : NAN);
    return o;
}

static char *build_json(const bench_report_info *in, const enc_agg *a, int n_enc, const bench_run *runs, int n_runs) {
    const int T0 = in->p->model.context_length;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "preset", in->p->name);
    cJSON_AddStringToObject(j, "tokenizer", in->tokenizer);
    cJSON_AddNumberToObject(j, "context", T0);
    cJSON_AddNumberToObject(j, "test_longest_tokens", (double)in->test_longest);
    cJSON *nm = cJSON_AddArrayToObject(j, "contexts_not_measured");   // too long for the test split
    for (int k = 0; k < in->n_mult; k++)
        if ((int64_t)in->mult[k] * T0 + 1 > in->test_longest) cJSON_AddItemToArray(nm, cJSON_CreateNumber(in->mult[k] * T0));
    cJSON_AddStringToObject(j, "rule", rule_text);
    cJSON *enc = cJSON_AddArrayToObject(j, "encodings");
    for (int i = 0; i < n_enc; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "arm", a[i].name);
        cJSON_AddStringToObject(e, "pe", pope_pe_name(a[i].pe));
        cJSON_AddNumberToObject(e, "seeds", a[i].n);
        stat_json(e, "test_nll", a[i].test);
        cJSON *per = cJSON_AddArrayToObject(e, "test_nll");
        for (int s = 0; s < a[i].n; s++) {
            cJSON *o = cJSON_CreateObject();
            char seed[32];
            snprintf(seed, sizeof seed, "%llu", (unsigned long long)a[i].r[s].seed);
            cJSON_AddStringToObject(o, "seed", seed);
            add_num(o, "nll", a[i].r[s].test_nll);
            cJSON_AddItemToArray(per, o);
        }
        cJSON *x = cJSON_AddArrayToObject(e, "extrapolation");
        for (int k = 0; k < in->n_mult; k++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "multiple", in->mult[k]);
            cJSON_AddNumberToObject(o, "context", in->mult[k] * T0);
            cJSON_AddNumberToObject(o, "n", a[i].nll[k].n);
            stat_json(o, "nll", a[i].nll[k]);
            stat_json(o, "relative", a[i].rel[k]);
            cJSON_AddItemToArray(x, o);
        }
        cJSON_AddItemToArray(enc, e);
    }
    cJSON *cmp = cJSON_AddArrayToObject(j, "comparisons");
    compare(NULL, cmp, a, n_enc, 0, 0, "test NLL");
    int kl = last_rel_index(a, n_enc, in->mult, in->n_mult);
    if (kl >= 0) {
        char metric[64];
        snprintf(metric, sizeof metric, "NLL @%dx ÷ NLL @1x", in->mult[kl]);
        compare(NULL, cmp, a, n_enc, 1, kl, metric);
    }
    cJSON_AddItemToObject(j, "settings", cJSON_Duplicate(in->settings, 1));
    cJSON_AddItemToObject(j, "invocations", cJSON_Duplicate(in->invocations, 1));
    cJSON *ra = cJSON_AddArrayToObject(j, "runs");
    for (int i = 0; i < n_runs; i++) cJSON_AddItemToArray(ra, bench_run_to_json(&runs[i]));
    char *s = cJSON_Print(j);
    cJSON_Delete(j);
    return s;
}

// ---------------------------------------------------------------- charts
// Per encoding the mean smoothed training loss over its runs, up to the shortest run.
static int write_charts(const char *dir, const bench_report_info *in, const enc_agg *a, int n_enc) {
    enum { M = BENCH_MAX_ARMS };
    pope_series s[M];
    char names[M][64];
    double *mean[M] = {0}, cx[M][BENCH_MAX_CTX], cy[M][BENCH_MAX_CTX];
    int rc = 0;
    for (int i = 0; i < n_enc && i < M; i++) {
        int n = a[i].r[0].curve_n;
        for (int r = 1; r < a[i].n; r++)
            if (a[i].r[r].curve_n < n) n = a[i].r[r].curve_n;
        mean[i] = malloc((size_t)(n > 0 ? n : 1) * sizeof **mean);
        if (!mean[i]) n = 0;
        for (int t = 0; t < n; t++) {
            double acc = 0;
            for (int r = 0; r < a[i].n; r++) acc += a[i].r[r].curve_y[t];
            mean[i][t] = acc / a[i].n;
        }
        if (a[i].n > 1) snprintf(names[i], sizeof names[i], "%s (mean of %d)", a[i].name, a[i].n);
        else snprintf(names[i], sizeof names[i], "%s", a[i].name);
        s[i] = (pope_series){names[i], a[i].r[0].curve_x, mean[i], n, 0};
    }
    int ns = n_enc < M ? n_enc : M;
    pope_chart ch = {"Training loss (moving average, mean over seeds)", "step", "loss (nats/token)", 0};
    char path[4200];
    snprintf(path, sizeof path, "%s/curves.svg", dir);
    rc = pope_svg_line_chart(path, &ch, s, ns);
    for (int i = 0; i < ns; i++) {
        for (int k = 0; k < in->n_mult; k++) cx[i][k] = in->mult[k] * in->p->model.context_length, cy[i][k] = a[i].nll[k].mean;
        s[i] = (pope_series){names[i], cx[i], cy[i], in->n_mult, 0};
    }
    pope_chart ce = {"Test NLL vs evaluation context (mean over seeds)", "context (tokens)", "NLL (nats/token)", 1};
    snprintf(path, sizeof path, "%s/extrapolation.svg", dir);
    if (rc == 0) rc = pope_svg_line_chart(path, &ce, s, ns);
    for (int i = 0; i < M; i++) free(mean[i]);
    return rc;
}

// ---------------------------------------------------------------- the report
int bench_write_report(const char *dir, const bench_report_info *in, const bench_run *runs, int n, FILE *md_out) {
    enc_agg a[BENCH_MAX_ARMS];
    int n_enc = 0;
    for (int i = 0; i < n && n_enc < BENCH_MAX_ARMS;) {   // runs come grouped by arm
        int j = i;
        while (j < n && runs[j].pe == runs[i].pe && runs[j].dp == runs[i].dp) j++;
        aggregate(&a[n_enc++], runs + i, j - i, in->mult, in->n_mult, in->p->model.context_length);
        i = j;
    }
    char *md = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&md, &len);
    if (!f) return pope_error("bench: out of memory");
    write_md(f, in, a, n_enc, runs, n);
    fclose(f);
    char path[4200];
    snprintf(path, sizeof path, "%s/report.md", dir);
    int rc = md ? pope_write_file_atomic(path, md) : pope_error("bench: out of memory");
    if (rc == 0 && md_out) fputs(md, md_out);
    free(md);
    if (rc) return rc;
    char *js = build_json(in, a, n_enc, runs, n);
    snprintf(path, sizeof path, "%s/report.json", dir);
    rc = js ? pope_write_file_atomic(path, js) : pope_error("bench: JSON failed");
    cJSON_free(js);
    if (rc) return rc;
    return write_charts(dir, in, a, n_enc);
}

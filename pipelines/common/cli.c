// cli.c — the command-line options pope-genome and pope-music share, parsed in one
// place so that both programs accept and explain them identically.
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pope_pipeline.h"

void pope_cli_init(pope_cli *o) {
    memset(o, 0, sizeof *o);
    o->context = -1;
    o->steps = -1;
    o->time_s = NAN;
    o->batch = -1;
    o->accum = -1;
    o->lr = NAN;
    o->threads = -1;
    o->seed = -1;
    o->eval_tokens = -1;
    o->time_per_run_s = NAN;
    o->temperature = NAN;
    o->top_k = -1;
    o->top_p = NAN;
    o->seeds = -1;
    o->jobs = -1;
}

int pope_pe_list_parse(const char *s, pope_pe_kind *out, int max, int *n) {
    *n = 0;
    for (const char *p = s;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char name[32];
        pope_pe_kind pe;
        if (len == 0 || len >= sizeof name)
            return pope_error("'%s': expected encodings separated by commas", s);
        memcpy(name, p, len);
        name[len] = '\0';
        if (pope_pe_parse(name, &pe) != 0)
            return pope_error("unknown encoding '%s' (polar, rope, legendre, sinusoidal, none)", name);
        for (int k = 0; k < *n; k++)
            if (out[k] == pe) return pope_error("'%s' is listed twice", name);
        if (*n == max) return pope_error("more than %d encodings", max);
        out[(*n)++] = pe;
        if (!comma) return 0;
        p = comma + 1;
    }
}

static int parse_i64(const char *opt, const char *s, int64_t lo, int64_t hi, int64_t *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || errno || v < lo || v > hi)
        return pope_error("%s: expected an integer in [%lld, %lld], got '%s'", opt, (long long)lo,
                          (long long)hi, s);
    *out = v;
    return 0;
}

static int parse_f64(const char *opt, const char *s, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno || !isfinite(v) || v < lo || v > hi)
        return pope_error("%s: expected a number in [%g, %g], got '%s'", opt, lo, hi, s);
    *out = v;
    return 0;
}

int pope_cli_option(pope_cli *o, int argc, char **argv, int *i) {
    const char *arg = argv[*i];
    if (strncmp(arg, "--", 2) != 0) return 0;
    char name[64];
    const char *eq = strchr(arg, '=');
    size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
    if (nlen >= sizeof name) return 0;
    memcpy(name, arg, nlen);
    name[nlen] = '\0';

    // flags
    int *flag = NULL;
    if (!strcmp(name, "--resume")) flag = &o->resume;
    else if (!strcmp(name, "--json")) flag = &o->json;
    else if (!strcmp(name, "--quiet")) flag = &o->quiet;
    if (flag) {
        if (eq) return pope_error("%s takes no value", name);
        *flag = 1;
        (*i)++;
        return 1;
    }

    static const char *const valued[] = {
        "--preset", "--out", "--pe", "--context", "--steps", "--time", "--batch", "--accum", "--lr",
        "--threads", "--seed", "--model", "--split", "--contexts", "--eval-tokens",
        "--time-per-run", "--temperature", "--top-k", "--top-p", "--delta-init", "--delta-param",
        "--seeds", "--jobs", "--bench-run", NULL};
    int known = 0;
    for (int k = 0; valued[k]; k++) known |= !strcmp(name, valued[k]);
    if (!known) return 0;
    const char *val;
    int used;
    if (eq) {
        val = eq + 1;
        used = 1;
    } else {
        if (*i + 1 >= argc) return pope_error("%s: missing value", name);
        val = argv[*i + 1];
        used = 2;
    }
    int64_t iv;
    double dv;
    int rc = 0;
    if (!strcmp(name, "--preset")) o->preset = val;
    else if (!strcmp(name, "--out")) o->out_dir = val;
    else if (!strcmp(name, "--model")) o->model = val;
    else if (!strcmp(name, "--contexts")) {
        int tmp[32], n;
        rc = pope_parse_int_list(val, tmp, 32, &n);
        if (rc) rc = pope_error("--contexts: %s", pope_last_error());
        o->contexts = val;
    } else if (!strcmp(name, "--pe")) {
        pope_pe_kind pes[8];
        int n;
        if (pope_pe_list_parse(val, pes, 8, &n) != 0) rc = pope_error("--pe: %s", pope_last_error());
        o->pe = val;
    } else if (!strcmp(name, "--delta-init")) {
        if (strcmp(val, "zero") && strcmp(val, "uniform"))
            rc = pope_error("--delta-init: expected zero or uniform, got '%s'", val);
        o->delta_init = val;
    } else if (!strcmp(name, "--delta-param")) {   // bench: a list
        if (strcmp(val, "clamp") && strcmp(val, "sigmoid") && strcmp(val, "clamp,sigmoid") && strcmp(val, "sigmoid,clamp"))
            rc = pope_error("--delta-param: expected clamp, sigmoid or (bench) clamp,sigmoid, got '%s'", val);
        o->delta_param = val;
    } else if (!strcmp(name, "--bench-run")) {
        o->bench_run = val;   // checked by pope_cmd_bench
    } else if (!strcmp(name, "--seeds")) {
        if (!(rc = parse_i64(name, val, 1, 1000, &iv))) o->seeds = (int)iv;
    } else if (!strcmp(name, "--jobs")) {
        if (!(rc = parse_i64(name, val, 1, 256, &iv))) o->jobs = (int)iv;
    } else if (!strcmp(name, "--split")) {
        pope_split s;
        rc = pope_split_parse(val, &s);
        if (rc) rc = pope_error("--split: %s", pope_last_error());
        o->split = val;
    } else if (!strcmp(name, "--context")) {
        if (!(rc = parse_i64(name, val, 2, 1 << 24, &iv))) o->context = (int)iv;
    } else if (!strcmp(name, "--steps")) {
        if (!(rc = parse_i64(name, val, 1, INT64_C(1) << 50, &iv))) o->steps = iv;
    } else if (!strcmp(name, "--batch")) {
        if (!(rc = parse_i64(name, val, 1, 1 << 20, &iv))) o->batch = (int)iv;
    } else if (!strcmp(name, "--accum")) {
        if (!(rc = parse_i64(name, val, 1, 1 << 20, &iv))) o->accum = (int)iv;
    } else if (!strcmp(name, "--threads")) {
        if (!(rc = parse_i64(name, val, 1, 4096, &iv))) o->threads = (int)iv;
    } else if (!strcmp(name, "--seed")) {
        if (!(rc = parse_i64(name, val, 0, INT64_MAX, &iv))) o->seed = iv;
    } else if (!strcmp(name, "--eval-tokens")) {
        if (!(rc = parse_i64(name, val, 1, INT64_C(1) << 50, &iv))) o->eval_tokens = iv;
    } else if (!strcmp(name, "--top-k")) {
        if (!(rc = parse_i64(name, val, 0, 1 << 30, &iv))) o->top_k = (int)iv;
    } else if (!strcmp(name, "--lr")) {
        if (!(rc = parse_f64(name, val, 1e-12, 10, &dv))) o->lr = dv;
    } else if (!strcmp(name, "--temperature")) {
        if (!(rc = parse_f64(name, val, 0, 100, &dv))) o->temperature = (float)dv;
    } else if (!strcmp(name, "--top-p")) {
        if (!(rc = parse_f64(name, val, 0, 1, &dv))) o->top_p = (float)dv;
    } else if (!strcmp(name, "--time") || !strcmp(name, "--time-per-run")) {
        rc = pope_parse_duration(val, &dv);
        if (rc) rc = pope_error("%s: %s", name, pope_last_error());
        else if (!strcmp(name, "--time")) o->time_s = dv;
        else o->time_per_run_s = dv;
    }
    if (rc) return -1;
    *i += used;
    return 1;
}

int pope_cli_consume(pope_cli *o, int argc, char **argv, int *i) {
    int r = pope_cli_option(o, argc, argv, i);
    if (r > 0) (*i)--;   // pope_cli_option leaves *i past the option; the caller's loop advances itself
    return r;
}

int pope_cli_preset(const pope_cli *o, const char *default_preset, pope_preset *p) {
    const char *name = o->preset ? o->preset : default_preset;
    if (!name) return pope_error("no preset given (--preset NAME)");
    if (pope_preset_load(p, name) != 0) return -1;
    if (o->pe && !strchr(o->pe, ',') && pope_pe_parse(o->pe, &p->model.pe) != 0)
        return pope_error("--pe: unknown encoding '%s'", o->pe);
    if (o->delta_init) p->model.delta_init = !strcmp(o->delta_init, "zero") ? POPE_DELTA_ZERO : POPE_DELTA_UNIFORM;
    if (o->delta_param && !strchr(o->delta_param, ','))
        p->model.delta_param = !strcmp(o->delta_param, "clamp") ? POPE_DELTA_CLAMP : POPE_DELTA_SIGMOID;
    if (o->context > 0) p->model.context_length = o->context;
    if (o->steps > 0) {
        p->train.steps = o->steps;
        // a run shorter than its warm-up would never reach the peak LR
        if (p->train.warmup >= p->train.steps) p->train.warmup = p->train.steps / 10;
    }
    if (!isnan(o->time_s)) {
        p->train.time_s = o->time_s;
        // --time alone: the budget, not the preset's step count, decides when to stop
        if (o->steps <= 0) p->train.steps = POPE_STEPS_UNBOUNDED;
    }
    if (o->batch > 0) p->train.batch = o->batch;
    if (o->accum > 0) p->train.accum = o->accum;
    if (!isnan(o->lr)) {
        float ratio = p->train.lr > 0 ? p->train.lr_min / p->train.lr : 0.1f;
        p->train.lr = (float)o->lr;
        p->train.lr_min = (float)o->lr * ratio;
    }
    if (o->threads > 0) p->train.threads = o->threads;
    if (o->seed >= 0) p->train.seed = (uint64_t)o->seed;
    return 0;
}

int pope_cli_contexts(const pope_cli *o, const pope_model *m, int *out, int max, int *n) {
    int mult[32], k;
    if (pope_parse_int_list(o->contexts ? o->contexts : "1,2,4,8", mult, 32, &k) != 0) return -1;
    if (k > max) return pope_error("--contexts: more than %d values", max);
    int T0 = pope_model_config(m)->context_length;
    if (T0 <= 0) return pope_error("model has no training context_length");
    for (int i = 0; i < k; i++) {
        if ((int64_t)mult[i] * T0 > (1 << 24)) return pope_error("--contexts: %d x %d tokens is too long", mult[i], T0);
        out[i] = mult[i] * T0;
    }
    *n = k;
    return 0;
}

const char pope_help_train[] =
    "  --preset NAME|FILE   preset from models/ (or a .json file); see the list below\n"
    "  --pe KIND            positional encoding: polar, rope, legendre, sinusoidal, none\n"
    "  --context N          training context in tokens\n"
    "  --steps N            optimizer steps (the LR schedule ends there)\n"
    "  --time DUR           wall-clock budget, e.g. 90s, 30m, 2h, 1h30m (stops early)\n"
    "  --batch N            windows per micro-batch\n"
    "  --accum N            micro-batches per step (per rank under mpirun: the step takes N x ranks)\n"
    "  --lr X               peak learning rate (lr_min keeps its ratio)\n"
    "  --seed N             seed of initialisation, data sampling and dropout\n"
    "  --delta-init I       polar's δ at initialisation: zero or uniform in [-2π, 0]\n"
    "  --delta-param P      polar's δ: clamp (the paper's clamp to [-2π, 0]) or sigmoid (-2π·sigmoid(u))\n"
    "  --threads N          threads (default: OMP_NUM_THREADS, else the cores / the ranks on the node)\n"
    "  --out DIR            output directory (checkpoint, model, log.jsonl, curve.svg)\n"
    "  --resume             continue DIR/checkpoint.safetensors exactly\n"
    "  --quiet              no progress line\n";
const char pope_help_eval[] =
    "  --model M            model file, or a training directory\n"
    "  --split S            test (default), valid, train or all\n"
    "  --context T          evaluation context (default: the model's training context)\n"
    "  --json               print exactly one JSON object on stdout\n"
    "  --threads N          threads\n";
const char pope_help_extrap[] =
    "  --model M            model file, or a training directory\n"
    "  --contexts LIST      multiples of the training context (default 1,2,4,8)\n"
    "  --eval-tokens N      bound on the scored tokens (default 65536)\n"
    "  --split S            test (default), valid or train\n"
    "  --out DIR            where extrapolate.md/.json/.svg go (default: the model's directory)\n"
    "  --threads N          threads\n";
const char pope_help_generate[] =
    "  --model M            model file, or a training directory\n"
    "  --temperature X      sampling temperature (0: greedy; default 1)\n"
    "  --top-k N            keep the N most likely tokens (0: off)\n"
    "  --top-p X            nucleus sampling mass (1: off)\n"
    "  --seed N             sampling seed\n";
const char pope_help_bench[] =
    "  --preset NAME|FILE   the preset every run trains with\n"
    "  --pe LIST            encodings, e.g. polar,rope (default: all five)\n"
    "  --seeds N            independent runs per encoding, seeds S..S+N-1 (default 1)\n"
    "  --seed S             the first seed (default: the preset's)\n"
    "  --jobs N             runs at once, as processes; --threads are split among them\n"
    "  --time-per-run DUR   wall-clock budget of each run (e.g. 10m)\n"
    "  --steps N            steps per run (instead of the preset's)\n"
    "  --context N          training context (the extrapolation multiples refer to it)\n"
    "  --delta-init I       polar's δ at initialisation: zero or uniform\n"
    "  --delta-param P      polar's δ: clamp, sigmoid, or both (clamp,sigmoid: arms polar and polar-sigmoid)\n"
    "  --contexts LIST      extrapolation contexts, multiples of the training context (default 1,2,4,8)\n"
    "  --eval-tokens N      bound on the scored extrapolation tokens\n"
    "  --out DIR            report directory (runs in DIR/<arm>/seed-<s>/); a rerun adds runs\n"
    "  --threads N          threads in all\n"
    "  --resume             accepted; interrupted runs always continue, finished ones are kept\n"
    "  --quiet              no progress lines\n";

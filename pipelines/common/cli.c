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
        "--time-per-run", "--temperature", "--top-k", "--top-p", "--precision", NULL};
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
    else if (!strcmp(name, "--precision")) {
        pope_precision pr;
        if (pope_precision_parse(val, &pr) != 0)
            rc = pope_error("--precision: expected fp32, bf16 or auto, got '%s'", val);
        o->precision = val;
    } else if (!strcmp(name, "--contexts")) {
        int tmp[32], n;
        rc = pope_parse_int_list(val, tmp, 32, &n);
        if (rc) rc = pope_error("--contexts: %s", pope_last_error());
        o->contexts = val;
    } else if (!strcmp(name, "--pe")) {
        pope_pe_kind pe;
        if (pope_pe_parse(val, &pe) != 0)
            rc = pope_error("--pe: unknown encoding '%s' (polar, rope, legendre, sinusoidal, none)", val);
        o->pe = val;
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
    if (o->pe && pope_pe_parse(o->pe, &p->model.pe) != 0)
        return pope_error("--pe: unknown encoding '%s'", o->pe);
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

int pope_cli_precision(const pope_cli *o, const char *dflt) {
    const char *name = o->precision ? o->precision : dflt;
    pope_precision pr;
    if (pope_precision_parse(name, &pr) != 0) return pope_error("--precision: unknown precision '%s'", name);
    if (pope_set_precision(pr) != 0) return pope_error("--precision %s: %s", name, pope_last_error());
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
    "  --threads N          threads (default: OMP_NUM_THREADS, else the cores / the ranks on the node)\n"
    "  --precision P        fp32, bf16 or auto (default: bf16 where the CPU has AVX512-BF16/AMX\n"
    "                       and pope has oneDNN, else fp32); weights and optimizer stay fp32\n"
    "  --out DIR            output directory (checkpoint, model, log.jsonl, curve.svg)\n"
    "  --resume             continue DIR/checkpoint.safetensors exactly\n"
    "  --quiet              no progress line\n";
const char pope_help_eval[] =
    "  --model M            model file, or a training directory\n"
    "  --split S            test (default), valid, train or all\n"
    "  --context T          evaluation context (default: the model's training context)\n"
    "  --json               print exactly one JSON object on stdout\n"
    "  --threads N          threads\n"
    "  --precision P        fp32 (default: exact reference NLL), bf16 or auto\n";
const char pope_help_extrap[] =
    "  --model M            model file, or a training directory\n"
    "  --contexts LIST      multiples of the training context (default 1,2,4,8)\n"
    "  --eval-tokens N      bound on the scored tokens (default 65536)\n"
    "  --split S            test (default), valid or train\n"
    "  --out DIR            where extrapolate.md/.json/.svg go (default: the model's directory)\n"
    "  --threads N          threads\n"
    "  --precision P        fp32 (default: exact reference NLL), bf16 or auto\n";
const char pope_help_generate[] =
    "  --model M            model file, or a training directory\n"
    "  --temperature X      sampling temperature (0: greedy; default 1)\n"
    "  --top-k N            keep the N most likely tokens (0: off)\n"
    "  --top-p X            nucleus sampling mass (1: off)\n"
    "  --seed N             sampling seed\n"
    "  --precision P        accepted (fp32, bf16, auto); one-token steps are matrix-vector\n"
    "                       products and run in fp32 whatever it says\n";
const char pope_help_bench[] =
    "  --preset NAME|FILE   the preset every encoding trains with\n"
    "  --time-per-run DUR   wall-clock budget of each encoding's run (e.g. 10m)\n"
    "  --steps N            steps per run (instead of the preset's)\n"
    "  --contexts LIST      extrapolation contexts, multiples of the training context\n"
    "  --eval-tokens N      bound on the scored extrapolation tokens\n"
    "  --out DIR            report directory (runs in DIR/<pe>/)\n"
    "  --resume             reuse finished runs, continue interrupted ones\n"
    "  --threads N          threads\n"
    "  --precision P        fp32, bf16 or auto (default: bf16 where the CPU has AVX512-BF16/AMX\n"
    "                       and pope has oneDNN, else fp32); weights and optimizer stay fp32\n";

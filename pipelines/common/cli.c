// cli.c — the command-line options pope-genome and pope-music share (pope_cli_options,
// declared once; the commands' tables reference them), and applying them to a preset.
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    o->seeds = -1;
    o->jobs = -1;
    o->temperature = NAN;
    o->top_k = -1;
    o->top_p = NAN;
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

// ---------------------------------------------------------------- value checks
static int check_pe(const char *v) {
    pope_pe_kind pe;
    return pope_pe_parse(v, &pe);
}


static int check_split(const char *v) {
    pope_split s;
    return pope_split_parse(v, &s);
}

static int check_contexts(const char *v) {
    int tmp[32], n;
    return pope_parse_int_list(v, tmp, 32, &n);
}

static int check_choice(const char *v, const char *names) { return pope_opt_choice(names, v) < 0 ? -1 : 0; }

#define DELTA_INITS "zero|uniform"
#define DELTA_PARAMS "clamp|sigmoid"
#define PRECISIONS "fp32|bf16|auto"
static int check_delta_init(const char *v) { return check_choice(v, DELTA_INITS); }
static int check_delta_param(const char *v) { return check_choice(v, DELTA_PARAMS); }
static int check_precision(const char *v) { return check_choice(v, PRECISIONS); }

// ---------------------------------------------------------------- the common options
#define CLI(field) .dst = POPE_DST_CLI, .off = offsetof(pope_cli, field)
#define BIG ((double)(INT64_C(1) << 50))

const pope_opt pope_cli_options[] = {
    {.name = "--preset", .kind = POPE_OPT_STR, CLI(preset), .arg = "NAME|FILE",
     .help = "preset from models/ (or a .json file); see the list below"},
    {.name = "--pe", .kind = POPE_OPT_STR, CLI(pe), .arg = "KIND", .check = check_pe,
     .help = "positional encoding: polar, rope, legendre, sinusoidal, none"},
    {.name = "--context", .kind = POPE_OPT_INT, CLI(context), .arg = "N", .lo = 2, .hi = 1 << 24,
     .help = "training context in tokens"},
    {.name = "--steps", .kind = POPE_OPT_I64, CLI(steps), .arg = "N", .lo = 1, .hi = BIG,
     .help = "optimizer steps (the LR schedule ends there)"},
    {.name = "--time", .kind = POPE_OPT_DURATION, CLI(time_s), .arg = "DUR",
     .help = "wall-clock budget, e.g. 90s, 30m, 2h, 1h30m (stops early)"},
    {.name = "--batch", .kind = POPE_OPT_INT, CLI(batch), .arg = "N", .lo = 1, .hi = 1 << 20,
     .help = "windows per micro-batch"},
    {.name = "--accum", .kind = POPE_OPT_INT, CLI(accum), .arg = "N", .lo = 1, .hi = 1 << 20,
     .help = "micro-batches per step (per rank under mpirun: the step takes N x ranks)"},
    {.name = "--lr", .kind = POPE_OPT_F64, CLI(lr), .arg = "X", .lo = 1e-12, .hi = 10,
     .help = "peak learning rate (lr_min keeps its ratio)"},
    {.name = "--seed", .kind = POPE_OPT_I64, CLI(seed), .arg = "N", .lo = 0, .hi = (double)INT64_MAX,
     .help = "seed of initialisation, data sampling and dropout"},
    {.name = "--delta-init", .kind = POPE_OPT_STR, CLI(delta_init), .arg = "I", .check = check_delta_init,
     .help = "polar's delta at initialisation: zero or uniform in [-2pi, 0]", .def = "the preset's"},
    {.name = "--delta-param", .kind = POPE_OPT_STR, CLI(delta_param), .arg = "P", .check = check_delta_param,
     .help = "polar's delta: clamp (the paper's clamp to [-2pi, 0]) or sigmoid (-2pi sigmoid(u))",
     .def = "the preset's"},
    {.name = "--precision", .kind = POPE_OPT_STR, CLI(precision), .arg = "P", .check = check_precision,
     .help = "fp32, bf16 or auto (bf16 where the CPU has it)"},
    {.name = "--threads", .kind = POPE_OPT_INT, CLI(threads), .arg = "N", .lo = 1, .hi = 4096,
     .help = "threads", .def = "OMP_NUM_THREADS, else the cores / the ranks on the node"},
    {.name = "--out", .kind = POPE_OPT_STR, CLI(out_dir), .arg = "DIR",
     .help = "output directory (checkpoint, model, log.jsonl, curve.svg)"},
    {.name = "--resume", .kind = POPE_OPT_FLAG, CLI(resume),
     .help = "continue DIR/checkpoint.safetensors exactly: its config, steps and schedule"},
    {.name = "--extend", .kind = POPE_OPT_FLAG, CLI(extend),
     .help = "with --resume and a larger --steps: train on past the checkpoint's end\n"
             "(the LR schedule is stretched to the new end)"},
    {.name = "--quiet", .kind = POPE_OPT_FLAG, CLI(quiet), .help = "no progress line"},
    {.name = "--model", .kind = POPE_OPT_STR, CLI(model), .arg = "M", .help = "model file, or a training directory"},
    {.name = "--split", .kind = POPE_OPT_STR, CLI(split), .arg = "S", .check = check_split,
     .help = "test, valid, train or all", .def = "test"},
    {.name = "--json", .kind = POPE_OPT_FLAG, CLI(json), .help = "print exactly one JSON object on stdout"},
    {.name = "--contexts", .kind = POPE_OPT_STR, CLI(contexts), .arg = "LIST", .check = check_contexts,
     .help = "multiples of the training context", .def = "1,2,4,8"},
    {.name = "--eval-tokens", .kind = POPE_OPT_I64, CLI(eval_tokens), .arg = "N", .lo = 1, .hi = BIG,
     .help = "bound on the scored tokens"},
    {.name = "--time-per-run", .kind = POPE_OPT_DURATION, CLI(time_per_run_s), .arg = "DUR",
     .help = "wall-clock budget of each run (e.g. 10m)"},
    {.name = "--seeds", .kind = POPE_OPT_INT, CLI(seeds), .arg = "N", .lo = 1, .hi = 1000,
     .help = "independent runs per encoding (seeds base, base+1, ...)", .def = "1"},
    {.name = "--jobs", .kind = POPE_OPT_INT, CLI(jobs), .arg = "N", .lo = 1, .hi = 256,
     .help = "runs at once (the threads are divided among them)", .def = "1"},
    {.name = "--temperature", .kind = POPE_OPT_F32, CLI(temperature), .arg = "X", .lo = 0, .hi = 100,
     .help = "sampling temperature (0: greedy)", .def = "1"},
    {.name = "--top-k", .kind = POPE_OPT_INT, CLI(top_k), .arg = "N", .lo = 0, .hi = 1 << 30,
     .help = "keep the N most likely tokens (0: off)", .def = "off"},
    {.name = "--top-p", .kind = POPE_OPT_F32, CLI(top_p), .arg = "X", .lo = 0, .hi = 1,
     .help = "nucleus sampling mass (1: off)"},
    {.name = "--bench-run", .kind = POPE_OPT_STR, CLI(bench_run), .arg = "ARM:SEED",
     .help = "the one run of a --jobs child (bench starts these itself)"},
    POPE_OPT_END,
};

// The options given on the command line, on top of preset p.
// A --pe or --delta-param list (bench) is left to the caller.
static int apply_overrides(const pope_cli *o, pope_preset *p) {
    if (o->pe && !strchr(o->pe, ',') && pope_pe_parse(o->pe, &p->model.pe) != 0)
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
    if (o->delta_init) p->model.delta_init = strcmp(o->delta_init, "uniform") ? POPE_DELTA_ZERO : POPE_DELTA_UNIFORM;
    if (o->delta_param && !strchr(o->delta_param, ','))
        p->model.delta_param = strcmp(o->delta_param, "sigmoid") ? POPE_DELTA_CLAMP : POPE_DELTA_SIGMOID;
    return 0;
}

int pope_cli_preset(const pope_cli *o, const char *default_preset, pope_preset *p) {
    const char *name = o->preset ? o->preset : default_preset;
    if (!name) return pope_error("no preset given (--preset NAME)");
    if (pope_preset_load(p, name) != 0) return -1;
    return apply_overrides(o, p);
}

int pope_cli_resume_preset(const pope_cli *o, const char *out_dir, const char *default_preset, pope_preset *p) {
    char ckpt[4200];
    snprintf(ckpt, sizeof ckpt, "%s/checkpoint.safetensors", out_dir);
    pope_preset run;
    if (access(ckpt, R_OK) != 0 || pope_preset_from_checkpoint(&run, ckpt) != 0)
        return pope_cli_preset(o, default_preset, p);   // pope_train says what is missing
    if (o->seed >= 0 && (uint64_t)o->seed != run.train.seed)
        return pope_error("--seed %lld: the run in %s was started with seed %llu, which a resumed run keeps",
                          (long long)o->seed, out_dir, (unsigned long long)run.train.seed);
    if (o->preset) {   // the same command plus --resume: its file, but the run's end
        if (pope_preset_load(p, o->preset) != 0) return -1;
        p->train.steps = run.train.steps;
        p->train.time_s = run.train.time_s;
        p->train.warmup = run.train.warmup;
    } else {
        *p = run;
    }
    return apply_overrides(o, p);
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

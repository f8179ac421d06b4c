// program.c — the program layer (pope_program, include/pope_pipeline.h): the subcommands
// train, bench, eval and extrapolate, dispatch, help and error printing, written once for
// pope-genome and pope-music. A program supplies only its data (options, loading, what a
// model expects) and its extra report fields through callbacks.
#include <libgen.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dist.h"
#include "pipeline_internal.h"

#define MAX_CONTEXTS 32   // --contexts entries (pope_extrap_result holds 32)

int pope_die(const char *prog, const char *what) {
    const char *why = pope_last_error();
    size_t n = strlen(what);
    // library messages often start with the operation ("extrapolate: ..."): say it once
    if (!strncmp(why, what, n) && !strncmp(why + n, ": ", 2)) why += n + 2;
    if (dist_is_root()) fprintf(stderr, "%s: %s: %s\n", prog, what, why);
    else fprintf(dist_stderr(), "%s: %s: %s (rank %d)\n", prog, what, why, dist_rank());
    return 1;
}

int pope_usage_error(const char *prog, const char *cmd, const char *msg) {
    fprintf(stderr, "%s: %s: %s (see '%s %s --help')\n", prog, cmd, msg, prog, cmd);
    return 2;
}

// Exit status of a data callback's return value (0 ok, -1 error, POPE_PROGRAM_USAGE).
static int callback_status(const pope_program *p, const char *cmd, int r) {
    if (r == 0) return 0;
    if (r == POPE_PROGRAM_USAGE) return pope_usage_error(p->name, cmd, pope_last_error());
    return pope_die(p->name, cmd);
}

// ---------------------------------------------------------------- option tables
// The options of the shared commands; the program's data options (p->data_opts) follow.
static const pope_opt train_opts[] = {
    POPE_COMMON("--preset"), POPE_COMMON("--pe"), POPE_COMMON("--context"), POPE_COMMON("--steps"),
    POPE_COMMON("--time"), POPE_COMMON("--batch"), POPE_COMMON("--accum"), POPE_COMMON("--lr"), POPE_COMMON("--seed"),
    POPE_COMMON("--delta-init"), POPE_COMMON("--delta-param"),
    POPE_COMMON_HELP("--precision", NULL, "auto"), POPE_COMMON("--threads"), POPE_COMMON("--out"),
    POPE_COMMON("--resume"), POPE_COMMON("--extend"), POPE_COMMON("--quiet"), POPE_OPT_END,
};

// bench's lists: encodings (known, each once) and δ parameterisations (its arms)
static int check_pe_list(const char *v) {
    pope_pe_kind pes[8];
    int n;
    return pope_pe_list_parse(v, pes, 8, &n);
}

static int check_dparam_list(const char *v) {
    if (!strcmp(v, "clamp") || !strcmp(v, "sigmoid") || !strcmp(v, "clamp,sigmoid") || !strcmp(v, "sigmoid,clamp"))
        return 0;
    return pope_error("expected clamp, sigmoid or both (clamp,sigmoid), got '%s'", v);
}

static const pope_opt bench_opts[] = {
    POPE_COMMON_HELP("--preset", "the preset every run trains with; see the list below", NULL),
    {.name = "--pe", .kind = POPE_OPT_COMMON, .arg = "LIST", .check = check_pe_list, .help = "encodings, e.g. polar,rope",
     .def = "all five"},
    POPE_COMMON_HELP("--seeds", "independent runs per encoding, seeds S..S+N-1", "1"),
    POPE_COMMON_HELP("--seed", "the first seed S", "the preset's"),
    POPE_COMMON_HELP("--jobs", "runs at once, as processes; --threads are split among them", "1"),
    POPE_COMMON_HELP("--time-per-run", "wall-clock budget of each run (e.g. 10m)", NULL),
    POPE_COMMON_HELP("--steps", "steps per run (instead of the preset's)", NULL),
    POPE_COMMON_HELP("--context", "training context (the extrapolation multiples refer to it)", NULL),
    POPE_COMMON("--delta-init"),
    {.name = "--delta-param", .kind = POPE_OPT_COMMON, .arg = "P", .check = check_dparam_list,
     .help = "polar's delta: clamp, sigmoid, or both (clamp,sigmoid: arms polar and polar-sigmoid)"},
    POPE_COMMON_HELP("--contexts", "extrapolation contexts, multiples of the training context", "1,2,4,8"),
    POPE_COMMON_HELP("--eval-tokens", "bound on the scored extrapolation tokens", NULL),
    POPE_COMMON_HELP("--precision", NULL, "auto"), POPE_COMMON_HELP("--threads", "threads in all", NULL),
    POPE_COMMON_HELP("--out", "report directory (runs in DIR/<arm>/seed-<s>/); a rerun adds runs", NULL),
    POPE_COMMON_HELP("--resume", "accepted; interrupted runs always continue, finished ones are kept", NULL),
    POPE_COMMON("--quiet"), POPE_COMMON("--bench-run"), POPE_OPT_END,
};

static const pope_opt eval_opts[] = {
    POPE_COMMON("--model"), POPE_COMMON("--split"),
    POPE_COMMON_HELP("--context", "evaluation context T", "the model's training context"), POPE_COMMON("--json"),
    POPE_COMMON_HELP("--precision", NULL, "fp32"), POPE_COMMON("--threads"), POPE_COMMON("--quiet"), POPE_OPT_END,
};

static const pope_opt extrap_opts[] = {
    POPE_COMMON("--model"), POPE_COMMON("--contexts"),
    POPE_COMMON_HELP("--eval-tokens", "bound on the scored tokens", "65536"),
    POPE_COMMON_HELP("--split", "test, valid or train", "test"),
    POPE_COMMON_HELP("--out", "where extrapolate.md/.json/.svg go", "the model's directory"),
    POPE_COMMON_HELP("--json", "print one JSON object instead of the table", NULL),
    POPE_COMMON_HELP("--precision", NULL, "fp32"), POPE_COMMON("--threads"), POPE_COMMON("--quiet"), POPE_OPT_END,
};

const pope_opt *pope_command_options(const char *cmd) {
    return !strcmp(cmd, "train")         ? train_opts
           : !strcmp(cmd, "bench")       ? bench_opts
           : !strcmp(cmd, "eval")        ? eval_opts
           : !strcmp(cmd, "extrapolate") ? extrap_opts
                                         : NULL;
}

// ---------------------------------------------------------------- help texts
static void presets_tail(const void *ctx, FILE *f) {
    const pope_program *p = ctx;
    fprintf(f, "\n%s", p->help_train_presets);
    pope_preset_list_for(f, p->tokenizers, p->preset_prefix);
}

// The command line of command `cmd`: its table `own`, the data options, values into cli
// (initialised here), p->data_dst and local, positional arguments to the program's.
static void program_cmdline(const pope_program *p, const char *cmd, const pope_opt *own, pope_cli *cli, void *local,
                            pope_cmdline *c) {
    memset(c, 0, sizeof *c);
    c->prog = p->name;
    c->cmd = cmd;
    c->tables[0] = own;
    c->tables[1] = p->data_opts;
    c->dst[POPE_DST_CLI] = cli;
    c->dst[POPE_DST_DATA] = p->data_dst;
    c->dst[POPE_DST_LOCAL] = local;
    c->positional = p->positional;
    c->ctx = p->ctx;
    pope_cli_init(cli);
}

int pope_program_parse(const pope_program *p, const char *cmd, const pope_opt *own, const char *usage, pope_cli *cli,
                       void *local, int (*positional)(void *ctx, int argc, char **argv, int *i), void *pctx, int argc,
                       char **argv) {
    pope_cmdline c;
    program_cmdline(p, cmd, own, cli, local, &c);
    c.positional = positional;
    c.ctx = pctx;
    c.usage = usage;
    int rc = pope_opts_parse(&c, argc, argv);
    // own commands compute in fp32 unless --precision says otherwise (those that take it)
    if (rc == 0 && pope_cli_precision(cli, "fp32") != 0) return pope_usage_error(p->name, cmd, pope_last_error());
    return rc == 1 ? -1 : rc;
}

// The command line of a shared command: its table, the data options, its help head.
static void shared_cmdline(const pope_program *p, const char *cmd, pope_cli *cli, pope_cmdline *c, char *head,
                           size_t size) {
    static const char bench_what[] =
        "Trains each positional encoding (--pe, default all five) with --seeds seeds, the same\n"
        "preset, data and budget, each run in DIR/<arm>/seed-<s>/, then writes DIR/report.md,\n"
        "DIR/report.json, DIR/curves.svg and DIR/extrapolation.svg over every finished run of DIR\n"
        "(default DIR ./%s-bench): test NLL mean ± std over seeds, which differences exceed the\n"
        "seed spread, and the extrapolation table. Rerunning with more seeds or encodings adds runs\n"
        "and keeps the finished ones; other settings in the same DIR are refused.\n\n";
    static const char extrap_what[] =
        "Zero-shot length extrapolation: scores the same tokens at each evaluation context (multiples\n"
        "of the training context), by position bucket, and writes extrapolate.md/.json/.svg.%s\n"
        "Prints the Markdown table (or with --json one JSON object).\n\n";
    program_cmdline(p, cmd, pope_command_options(cmd), cli, NULL, c);
    int n = 0;
    if (!strcmp(cmd, "train")) n = snprintf(head, size, "%s", p->help_train);
    else if (!strcmp(cmd, "eval")) n = snprintf(head, size, "%s", p->help_eval);
    else if (!strcmp(cmd, "bench")) {
        n = snprintf(head, size, "%s\n", p->help_bench);
        if (n > 0 && (size_t)n < size) snprintf(head + n, size - (size_t)n, bench_what, p->name);
    } else {
        n = snprintf(head, size, "%s\n", p->help_extrap);
        if (n > 0 && (size_t)n < size)
            snprintf(head + n, size - (size_t)n, extrap_what, p->help_extrap_note ? p->help_extrap_note : "");
    }
    c->usage = head;
    if (!strcmp(cmd, "train") || !strcmp(cmd, "bench")) {
        c->help_tail = presets_tail;
        c->tail_ctx = p;
    }
}

// ---------------------------------------------------------------- argument parsing
// Returns -1 after printing help (exit 0), an exit status > 0 on a usage error, 0 when parsed.
static int parse(const pope_program *p, const char *cmd, int argc, char **argv, pope_cli *cli, int need_model) {
    pope_cmdline c;
    char head[4096];
    shared_cmdline(p, cmd, cli, &c, head, sizeof head);
    int rc = pope_opts_parse(&c, argc, argv);
    if (rc) return rc == 1 ? -1 : rc;
    if (need_model && !cli->model) return pope_usage_error(p->name, cmd, "--model M is required");
    if (cli->extend && !cli->resume) return pope_usage_error(p->name, cmd, "--extend goes with --resume");
    const char *missing = p->missing ? p->missing(p->ctx) : NULL;
    if (missing) return pope_usage_error(p->name, cmd, missing);
    return 0;
}

// ---------------------------------------------------------------- train and bench
// Evaluates DIR's final model on the test split, prints one line and writes DIR/test.json.
static int report_test(const pope_program *p, const char *out_dir, const pope_corpus *c) {
    char path[4200];
    snprintf(path, sizeof path, "%s/model.safetensors", out_dir);
    pope_model *m = pope_model_open(path, c);
    if (!m) return pope_die(p->name, "test");
    pope_eval_opts eo;
    pope_eval_opts_default(&eo);
    eo.split = POPE_SPLIT_TEST;
    eo.max_targets = p->test_targets;   // a whole-genome (or all-MAESTRO) test split would take hours
    eo.progress = 1;                    // on a terminal, or a line per 10% after 10 s
    pope_eval_result r;
    // a test split too short for one window is reported below ("no targets"), not an error:
    // the training itself succeeded
    int T = pope_model_config(m)->context_length;
    int64_t windows = pope_split_windows(c, POPE_SPLIT_TEST, T, NULL);
    if (windows == 0 ? eval_result_init(&r, T, 0, 0) != 0 : pope_eval(m, c, &eo, &r) != 0) {
        pope_model_free(m);
        return pope_die(p->name, "test");
    }
    double bpu = p->bits_per_unit ? p->bits_per_unit(p->ctx, &r, POPE_SPLIT_TEST) : NAN;
    if (r.targets > 0) {
        printf("test NLL %.4f nats/token", r.nll);
        if (p->bits_per_unit) printf(", %.4f bits/%s", bpu, p->unit);
        printf(" (%lld targets%s, context %d, tokenizer %s) -> %s/test.json\n", (long long)r.targets,
               r.sampled ? " sampled; 'eval' scores all" : "", r.context, c->tokenizer, out_dir);
    } else {
        printf("test split has no targets (too short for a window); see %s/log.jsonl for validation\n", out_dir);
    }
    char key[64];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "nll", r.targets > 0 ? r.nll : 0);
    if (p->bits_per_unit) {
        snprintf(key, sizeof key, "bits_per_%s", p->unit);
        cJSON_AddNumberToObject(o, key, r.targets > 0 ? bpu : 0);
    }
    cJSON_AddNumberToObject(o, "targets", (double)r.targets);
    if (p->bits_per_unit) cJSON_AddNumberToObject(o, "split_targets", (double)r.all_positions);
    cJSON_AddNumberToObject(o, "context", r.context);
    cJSON_AddStringToObject(o, "split", "test");
    cJSON_AddStringToObject(o, "tokenizer", c->tokenizer);
    char *js = cJSON_Print(o);
    snprintf(path, sizeof path, "%s/test.json", out_dir);
    int rc = dist_is_root() ? pope_write_file_atomic(path, js) : 0;
    free(js);
    cJSON_Delete(o);
    pope_eval_result_free(&r);
    pope_model_free(m);
    return rc ? pope_die(p->name, "test.json") : 0;
}

// ---------------------------------------------------------------- Ctrl-C
// The programs own the signal: the first SIGINT asks the training loop to stop after the
// current step with a checkpoint (pope_train_opts.interrupt); a second one kills as usual.
static volatile sig_atomic_t g_interrupt;
static void on_sigint(int sig) {
    (void)sig;
    g_interrupt = 1;
}

static void catch_sigint(struct sigaction *old) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    g_interrupt = 0;
    sigaction(SIGINT, &sa, old);
}

// The output directory, made now and checked writable, so that a bad --out is reported
// before the data is read.
static int prepare_out(const pope_program *p, const char *cmd, const char *dir) {
    if (pope_mkdir_p(dir) != 0 || access(dir, W_OK) != 0) {
        if (access(dir, F_OK) == 0) pope_error("%s: not writable", dir);
        char what[300];
        snprintf(what, sizeof what, "%s: --out", cmd);
        return pope_die(p->name, what);
    }
    return 0;
}

int pope_cmd_train(const pope_program *p, int argc, char **argv) {
    pope_cli cli;
    int rc = parse(p, "train", argc, argv, &cli, 0);
    if (rc) return rc < 0 ? 0 : rc;
    if (pope_cli_precision(&cli, "auto") != 0) return pope_usage_error(p->name, "train", pope_last_error());
    char default_out[256];
    snprintf(default_out, sizeof default_out, "%s-run", p->name);
    const char *out_dir = cli.out_dir ? cli.out_dir : default_out;
    pope_preset preset;
    // a resumed run continues with its own settings; the options given change them
    if ((cli.resume ? pope_cli_resume_preset(&cli, out_dir, p->default_preset(p->ctx), &preset)
                    : pope_cli_preset(&cli, p->default_preset(p->ctx), &preset)) != 0)
        return pope_usage_error(p->name, "train", pope_last_error());
    if ((rc = prepare_out(p, "train", out_dir))) return rc;
    const pope_corpus *c;
    const char *metadata;
    if ((rc = callback_status(p, "train", p->open_train(p->ctx, &preset, !cli.quiet, &c, &metadata)))) return rc;
    pope_train_opts to = {0};
    to.out_dir = out_dir;
    to.resume = cli.resume;
    to.extend = cli.extend;
    to.quiet = cli.quiet;
    to.program = p->name;
    to.extra_metadata = metadata;
    to.interrupt = &g_interrupt;
    pope_train_result res;
    struct sigaction old;
    catch_sigint(&old);
    int trc = pope_train(c, &preset, &to, &res);
    sigaction(SIGINT, &old, NULL);
    if (trc != 0) {
        rc = pope_die(p->name, "train");
    } else if (res.interrupted) {
        fprintf(stderr, "%s: interrupted at step %lld, checkpoint written; continue with the same command plus --resume\n",
                p->name, (long long)res.steps);
        rc = 130;
    } else {
        rc = report_test(p, to.out_dir, c);
    }
    p->close(p->ctx);
    return rc;
}

// "PROG bench ARGS" with the arguments quoted where the shell would need it, for the record.
static char *command_line(const char *prog, int argc, char **argv) {
    size_t cap = strlen(prog) + 1;
    for (int i = 0; i < argc; i++) cap += 4 * strlen(argv[i]) + 3;
    char *s = malloc(cap), *w = s;
    if (!s) return NULL;
    w += sprintf(w, "%s", prog);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int plain = *a != '\0';
        for (const char *q = a; *q; q++) plain &= strchr("@%+=:,./-_", *q) || (*q >= '0' && *q <= '9') ||
                                                 ((*q | 32) >= 'a' && (*q | 32) <= 'z');
        *w++ = ' ';
        if (plain) {
            w += sprintf(w, "%s", a);
            continue;
        }
        *w++ = '\'';
        for (const char *q = a; *q; q++) w += *q == '\'' ? sprintf(w, "'\\''") : sprintf(w, "%c", *q);
        *w++ = '\'';
    }
    *w = '\0';
    return s;
}

int pope_cmd_bench(const pope_program *p, int argc, char **argv) {
    pope_cli cli;
    int rc = parse(p, "bench", argc, argv, &cli, 0);
    if (rc) return rc < 0 ? 0 : rc;
    if (pope_cli_precision(&cli, "auto") != 0) return pope_usage_error(p->name, "bench", pope_last_error());
    int mult[MAX_CONTEXTS], n_mult = 0;
    if (cli.contexts && pope_parse_int_list(cli.contexts, mult, MAX_CONTEXTS, &n_mult) != 0)
        return pope_usage_error(p->name, "bench", pope_last_error());
    pope_pe_kind pes[8];
    int n_pes = 0;
    if (cli.pe && pope_pe_list_parse(cli.pe, pes, 8, &n_pes) != 0)
        return pope_usage_error(p->name, "bench", pope_last_error());
    pope_delta_param dps[2];
    int n_dps = 0;
    for (const char *q = cli.delta_param; q && n_dps < 2; q = strchr(q, ','), q = q ? q + 1 : NULL)
        dps[n_dps++] = strncmp(q, "sigmoid", 7) ? POPE_DELTA_CLAMP : POPE_DELTA_SIGMOID;   // checked by the parser
    pope_preset preset;
    if (pope_cli_preset(&cli, p->default_preset(p->ctx), &preset) != 0)
        return pope_usage_error(p->name, "bench", pope_last_error());
    char default_out[256];
    snprintf(default_out, sizeof default_out, "%s-bench", p->name);
    if ((rc = prepare_out(p, "bench", cli.out_dir ? cli.out_dir : default_out))) return rc;
    const pope_corpus *c;
    const char *metadata;
    if ((rc = callback_status(p, "bench", p->open_train(p->ctx, &preset, !cli.quiet, &c, &metadata)))) return rc;
    char **child = malloc((size_t)(argc + 2) * sizeof *child);   // PROG bench ARGS...
    char *command = command_line(p->name, argc, argv);
    if (child) {
        child[0] = (char *)p->name;
        for (int i = 0; i < argc; i++) child[i + 1] = argv[i];
        child[argc + 1] = NULL;
    }
    pope_bench_opts bo = {0};
    bo.out_dir = cli.out_dir ? cli.out_dir : default_out;
    bo.interrupt = &g_interrupt;
    bo.pes = pes, bo.n_pes = n_pes;
    bo.dparams = dps, bo.n_dparams = n_dps;
    bo.one_run = cli.bench_run;
    bo.seeds = cli.seeds > 0 ? cli.seeds : 1;
    bo.jobs = cli.jobs > 0 ? cli.jobs : 1;
    bo.child_argv = child;
    bo.command = command;
    bo.time_per_run_s = isnan(cli.time_per_run_s) ? 0 : cli.time_per_run_s;
    bo.steps_per_run = cli.steps > 0 ? cli.steps : 0;
    bo.contexts = n_mult ? mult : NULL;
    bo.n_contexts = n_mult;
    bo.eval_tokens = cli.eval_tokens > 0 ? cli.eval_tokens : 0;
    bo.test_tokens = p->test_targets;   // as train's final test NLL (genome: bounded)
    bo.program = p->name;
    bo.extra_metadata = metadata;
    bo.quiet = cli.quiet;
    struct sigaction old;
    catch_sigint(&old);
    rc = !child || !command ? (pope_error("out of memory"), pope_die(p->name, "bench"))
         : pope_bench(c, &preset, &bo, bo.one_run ? NULL : stdout) != 0 ? pope_die(p->name, "bench") : 0;
    sigaction(SIGINT, &old, NULL);
    free(child);
    free(command);
    p->close(p->ctx);
    return rc;
}

// ---------------------------------------------------------------- eval and extrapolate
// The data as the model expects it, then the model. 0 or the exit status (printed).
static int open_model_and_data(const pope_program *p, const char *cmd, const pope_cli *cli, int extrapolate,
                               pope_model **m, const pope_corpus **c) {
    if (pope_cli_precision(cli, "fp32") != 0) return pope_usage_error(p->name, cmd, pope_last_error());
    char *model_file = NULL;
    int rc = callback_status(p, cmd, p->open_eval(p->ctx, cli->model, extrapolate, c, &model_file));
    if (rc) return rc;
    *m = pope_model_open(model_file ? model_file : cli->model, *c);
    free(model_file);
    if (!*m) {
        p->close(p->ctx);
        return pope_die(p->name, cmd);
    }
    if (cli->threads > 0) pope_runtime_init(cli->threads);
    return 0;
}

static void print_json(cJSON *o) {
    char *js = cJSON_PrintUnformatted(o);
    printf("%s\n", js);
    free(js);
    cJSON_Delete(o);
}

int pope_cmd_eval(const pope_program *p, int argc, char **argv) {
    pope_cli cli;
    int rc = parse(p, "eval", argc, argv, &cli, 1);
    if (rc) return rc < 0 ? 0 : rc;
    pope_model *m;
    const pope_corpus *c;
    if ((rc = open_model_and_data(p, "eval", &cli, 0, &m, &c))) return rc;
    pope_eval_opts eo;
    pope_eval_opts_default(&eo);
    eo.split = POPE_SPLIT_TEST;
    if (cli.split && pope_split_parse(cli.split, &eo.split) != 0) {
        rc = pope_usage_error(p->name, "eval", pope_last_error());
        goto done;
    }
    eo.context = cli.context > 0 ? cli.context : 0;
    if (p->eval_bounded && cli.eval_tokens > 0) eo.max_targets = cli.eval_tokens;   // evenly spaced windows
    eo.progress = !cli.json && !cli.quiet;
    pope_eval_result r;
    if (pope_eval(m, c, &eo, &r) != 0) {
        rc = pope_die(p->name, "eval");
        goto done;
    }
    const char *split_name = eo.split == POPE_SPLIT_ALL ? "all" : pope_split_name(eo.split);
    if (r.targets == 0) {
        pope_eval_result_free(&r);
        pope_error("the %s split has no windows of at least 2 tokens", split_name);
        rc = pope_die(p->name, "eval");
        goto done;
    }
    double bpu = p->bits_per_unit ? p->bits_per_unit(p->ctx, &r, eo.split) : NAN;
    if (cli.json) {
        char key[64];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "nll", r.nll);
        if (p->bits_per_unit) {
            snprintf(key, sizeof key, "bits_per_%s", p->unit);
            cJSON_AddNumberToObject(o, key, bpu);
            cJSON_AddNumberToObject(o, "bits_per_token", r.nll / log(2.0));
        }
        cJSON_AddNumberToObject(o, "targets", (double)r.targets);
        if (p->bits_per_unit) cJSON_AddNumberToObject(o, p->units, (double)r.units);   // covered by the scored targets
        cJSON_AddNumberToObject(o, "windows", (double)r.windows);
        if (p->bits_per_unit) cJSON_AddNumberToObject(o, "split_targets", (double)r.all_positions);
        cJSON_AddNumberToObject(o, "context", r.context);
        cJSON_AddStringToObject(o, "split", split_name);
        cJSON_AddStringToObject(o, "tokenizer", c->tokenizer);
        cJSON_AddStringToObject(o, "pe", pope_pe_name(pope_model_config(m)->pe));
        cJSON_AddStringToObject(o, "model", cli.model);
        if (p->json_fields) p->json_fields(p->ctx, "eval", o);
        if (p->eval_report) p->eval_report(p->ctx, eo.split, &r, o, eo.progress);
        print_json(o);
    } else {
        char what[1200];
        p->describe(p->ctx, what, sizeof what);
        printf("%s: %s split, context %d, %s: NLL %.4f nats/token", what, split_name, r.context, c->tokenizer, r.nll);
        if (p->bits_per_unit) printf(", %.4f bits/%s", bpu, p->unit);
        printf(" over %lld targets (%lld windows)\n", (long long)r.targets, (long long)r.windows);
        if (p->eval_report) p->eval_report(p->ctx, eo.split, &r, NULL, eo.progress);
    }
    pope_eval_result_free(&r);
done:
    pope_model_free(m);
    p->close(p->ctx);
    return rc;
}

// The program's keys of the extrapolation JSON (music: joined).
static void extrap_json_fields(void *ctx, cJSON *o) {
    const pope_program *p = ctx;
    if (p->json_fields) p->json_fields(p->ctx, "extrapolate", o);
}

int pope_cmd_extrapolate(const pope_program *p, int argc, char **argv) {
    pope_cli cli;
    int rc = parse(p, "extrapolate", argc, argv, &cli, 1);
    if (rc) return rc < 0 ? 0 : rc;
    if (cli.out_dir && (rc = prepare_out(p, "extrapolate", cli.out_dir))) return rc;
    pope_model *m;
    const pope_corpus *c;
    if ((rc = open_model_and_data(p, "extrapolate", &cli, 1, &m, &c))) return rc;
    int contexts[MAX_CONTEXTS], n = 0;
    char *out_dir = NULL;
    pope_extrap_opts eo;
    pope_extrap_opts_default(&eo);
    if (pope_cli_contexts(&cli, m, contexts, MAX_CONTEXTS, &n) != 0 ||
        (cli.split && pope_split_parse(cli.split, &eo.split) != 0)) {
        rc = pope_usage_error(p->name, "extrapolate", pope_last_error());
        goto done;
    }
    if (eo.split == POPE_SPLIT_ALL) {
        rc = pope_usage_error(p->name, "extrapolate", "--split all is not supported here (test, valid or train)");
        goto done;
    }
    eo.contexts = contexts;
    eo.n_contexts = n;
    if (cli.eval_tokens > 0) eo.max_tokens = cli.eval_tokens;
    if (cli.out_dir) {
        out_dir = strdup(cli.out_dir);
    } else {   // next to the model: the training directory, or the model file's directory
        char *mf = pope_model_file(cli.model);
        out_dir = strdup(mf ? dirname(mf) : ".");
        free(mf);
    }
    eo.out_dir = out_dir;
    eo.progress = !cli.json && !cli.quiet;
    eo.json_fields = extrap_json_fields;
    eo.json_ctx = (void *)p;
    pope_extrap_result r;
    if (pope_extrapolate(m, c, &eo, &r, cli.json ? NULL : stdout) != 0) {
        rc = pope_die(p->name, "extrapolate");
        goto done;
    }
    if (cli.json) {
        print_json(pope_extrap_json(m, &eo, &r));   // the object of extrapolate.json
    } else {
        fprintf(stderr, "%s: wrote %s/extrapolate.md, .json, .svg\n", p->name, out_dir);
    }
    pope_extrap_result_free(&r);
done:
    free(out_dir);
    pope_model_free(m);
    p->close(p->ctx);
    return rc;
}

// ---------------------------------------------------------------- dispatch
int pope_program_main(const pope_program *p, int argc, char **argv) {
    if (argc < 2) {
        fputs(p->usage, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "help") && argc > 2) {   // "help CMD" is "CMD --help"
        for (const pope_command *k = p->commands; k->name; k++)
            if (!strcmp(argv[2], k->name)) return k->run(p, 2, (char *[]){argv[2], "--help", NULL});
        fprintf(stderr, "%s: help: unknown command '%s'\n\n%s", p->name, argv[2], p->usage);
        return 2;
    }
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(p->usage, stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("%s %s\n", p->name, p->version);
        return 0;
    }
    if (dist_init(&argc, &argv) != 0) return pope_die(p->name, cmd);
    pope_runtime_init(dist_default_threads());   // --threads, applied later, overrides it
    for (const pope_command *k = p->commands; k->name; k++) {
        if (strcmp(cmd, k->name)) continue;
        int shared = k->run == pope_cmd_train || k->run == pope_cmd_bench || k->run == pope_cmd_eval ||
                     k->run == pope_cmd_extrapolate;
        if (!shared && dist_size() > 1)   // generate, tokenize...: N ranks would all write the same files
            return dist_finish(pope_usage_error(p->name, cmd, "runs as one process: start it without mpirun"));
        return dist_finish(k->run(p, argc - 1, argv + 1));
    }
    dist_finish(0);
    fprintf(stderr, "%s: unknown command '%s'\n\n%s", p->name, cmd, p->usage);
    return 2;
}

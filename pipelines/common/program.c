// program.c — the program layer (pope_program, include/pope_pipeline.h): the subcommands
// train, bench, eval and extrapolate, dispatch, help and error printing, written once for
// pope-genome and pope-music. A program supplies only its data (options, loading, what a
// model expects) and its extra report fields through callbacks.
#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dist.h"
#include "pipeline_internal.h"

#define MAX_CONTEXTS 32   // --contexts entries (pope_extrap_result holds 32)

int pope_die(const char *prog, const char *what) {
    if (dist_is_root()) fprintf(stderr, "%s: %s: %s\n", prog, what, pope_last_error());
    else fprintf(dist_stderr(), "%s: %s: %s (rank %d)\n", prog, what, pope_last_error(), dist_rank());
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

// ---------------------------------------------------------------- help texts
static void train_help(const pope_program *p) {
    printf("%s%s%s\n%s", p->help_train, pope_help_train, p->data_help, p->help_train_presets);
    pope_preset_list_for(stdout, p->tokenizers);
}

static void bench_help(const pope_program *p) {
    printf("%s\n"
           "Trains each positional encoding (--pe, default all five) with --seeds seeds, the same\n"
           "preset, data and budget, each run in DIR/<pe>/seed-<s>/, then writes DIR/report.md,\n"
           "DIR/report.json, DIR/curves.svg and DIR/extrapolation.svg over every finished run of DIR\n"
           "(default DIR ./%s-bench): test NLL mean ± std over seeds, which differences exceed the\n"
           "seed spread, and the extrapolation table. Rerunning with more seeds or encodings adds runs\n"
           "and keeps the finished ones; other settings in the same DIR are refused.\n\n"
           "options:\n%s%s\npresets:\n",
           p->help_bench, p->name, pope_help_bench, p->data_help);
    pope_preset_list_for(stdout, p->tokenizers);
}

static void eval_help(const pope_program *p) {
    printf("%s%s%s%s", p->help_eval, pope_help_eval, p->help_eval_extra ? p->help_eval_extra : "", p->data_help);
}

static void extrap_help(const pope_program *p) {
    printf("%s\n"
           "Zero-shot length extrapolation: scores the same tokens at each evaluation context (multiples\n"
           "of the training context), by position bucket, and writes extrapolate.md/.json/.svg.%s\n"
           "Prints the Markdown table (or with --json one JSON object).\n\n"
           "options:\n%s  --json               print one JSON object instead of the table\n%s%s",
           p->help_extrap, p->help_extrap_note ? p->help_extrap_note : "", pope_help_extrap,
           p->help_extrap_extra ? p->help_extrap_extra : "", p->data_help);
}

// ---------------------------------------------------------------- argument parsing
// The common options, then the program's data options and positional arguments. Returns
// -1 after printing help (exit 0), an exit status > 0 on a usage error, 0 when parsed.
static int parse(const pope_program *p, const char *cmd, int argc, char **argv, pope_cli *cli, int need_model,
                 void (*help)(const pope_program *)) {
    pope_cli_init(cli);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            help(p);
            return -1;
        }
        int r = pope_cli_consume(cli, argc, argv, &i);
        if (r == 0) r = p->option(p->ctx, argc, argv, &i);
        if (r == 0 && !(a[0] == '-' && a[1]) && p->positional) r = p->positional(p->ctx, argc, argv, &i);
        if (r < 0) return pope_usage_error(p->name, cmd, pope_last_error());
        if (r > 0) continue;
        char msg[300];
        snprintf(msg, sizeof msg, a[0] == '-' ? "unknown option '%s'" : "unexpected argument '%s'", a);
        return pope_usage_error(p->name, cmd, msg);
    }
    if (need_model && !cli->model) return pope_usage_error(p->name, cmd, "--model M is required");
    const char *missing = p->missing(p->ctx);
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
    int64_t windows = 0;
    for (int64_t q = 0; q < c->n_seqs(c->ctx, POPE_SPLIT_TEST); q++)
        windows += pope_eval_windows(c->seq_len(c->ctx, POPE_SPLIT_TEST, q), T, NULL);
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

int pope_cmd_train(const pope_program *p, int argc, char **argv) {
    pope_cli cli;
    int rc = parse(p, "train", argc, argv, &cli, 0, train_help);
    if (rc) return rc < 0 ? 0 : rc;
    if ((cli.pe && strchr(cli.pe, ',')) || (cli.delta_param && strchr(cli.delta_param, ',')) || cli.seeds > 0 ||
        cli.jobs > 0 || cli.bench_run)
        return pope_usage_error(p->name, "train",
                                "one encoding and one seed per run (lists, --seeds, --jobs and --bench-run are for bench)");
    pope_preset preset;
    if (pope_cli_preset(&cli, p->default_preset(p->ctx), &preset) != 0) return pope_die(p->name, "preset");
    const pope_corpus *c;
    const char *metadata;
    if ((rc = callback_status(p, "train", p->open_train(p->ctx, &preset, !cli.quiet, &c, &metadata)))) return rc;
    char default_out[256];
    snprintf(default_out, sizeof default_out, "%s-run", p->name);
    pope_train_opts to = {0};
    to.out_dir = cli.out_dir ? cli.out_dir : default_out;
    to.resume = cli.resume;
    to.quiet = cli.quiet;
    to.program = p->name;
    to.extra_metadata = metadata;
    pope_train_result res;
    if (pope_train(c, &preset, &to, &res) != 0) {
        rc = pope_die(p->name, "train");
    } else if (res.interrupted) {
        fprintf(stderr, "%s: interrupted at step %lld; continue with the same command plus --resume\n", p->name,
                (long long)res.steps);
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
    int rc = parse(p, "bench", argc, argv, &cli, 0, bench_help);
    if (rc) return rc < 0 ? 0 : rc;
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
        dps[n_dps++] = strncmp(q, "sigmoid", 7) ? POPE_DELTA_CLAMP : POPE_DELTA_SIGMOID;   // checked by pope_cli_option
    pope_bench_opts bo = {0};
    pope_preset preset;
    if (pope_cli_preset(&cli, p->default_preset(p->ctx), &preset) != 0) return pope_die(p->name, "preset");
    const pope_corpus *c;
    const char *metadata;
    if ((rc = callback_status(p, "bench", p->open_train(p->ctx, &preset, !cli.quiet, &c, &metadata)))) return rc;
    char default_out[256];
    snprintf(default_out, sizeof default_out, "%s-bench", p->name);
    char **child = malloc((size_t)(argc + 2) * sizeof *child);   // PROG bench ARGS...
    char *command = command_line(p->name, argc, argv);
    if (child) {
        child[0] = (char *)p->name;
        for (int i = 0; i < argc; i++) child[i + 1] = argv[i];
        child[argc + 1] = NULL;
    }
    bo.out_dir = cli.out_dir ? cli.out_dir : default_out;
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
    rc = !child || !command ? (pope_error("out of memory"), pope_die(p->name, "bench"))
         : pope_bench(c, &preset, &bo, bo.one_run ? NULL : stdout) != 0 ? pope_die(p->name, "bench") : 0;
    free(child);
    free(command);
    p->close(p->ctx);
    return rc;
}

// ---------------------------------------------------------------- eval and extrapolate
// The data as the model expects it, then the model. 0 or the exit status (printed).
static int open_model_and_data(const pope_program *p, const char *cmd, const pope_cli *cli, int extrapolate,
                               pope_model **m, const pope_corpus **c) {
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
    int rc = parse(p, "eval", argc, argv, &cli, 1, eval_help);
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
        if (p->eval_report) p->eval_report(p->ctx, eo.split, &r, o);
        print_json(o);
    } else {
        char what[1200];
        p->describe(p->ctx, what, sizeof what);
        printf("%s: %s split, context %d, %s: NLL %.4f nats/token", what, split_name, r.context, c->tokenizer, r.nll);
        if (p->bits_per_unit) printf(", %.4f bits/%s", bpu, p->unit);
        printf(" over %lld targets (%lld windows)\n", (long long)r.targets, (long long)r.windows);
        if (p->eval_report) p->eval_report(p->ctx, eo.split, &r, NULL);
    }
    pope_eval_result_free(&r);
done:
    pope_model_free(m);
    p->close(p->ctx);
    return rc;
}

int pope_cmd_extrapolate(const pope_program *p, int argc, char **argv) {
    pope_cli cli;
    int rc = parse(p, "extrapolate", argc, argv, &cli, 1, extrap_help);
    if (rc) return rc < 0 ? 0 : rc;
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
    pope_extrap_result r;
    if (pope_extrapolate(m, c, &eo, &r, cli.json ? NULL : stdout) != 0) {
        rc = pope_die(p->name, "extrapolate");
        goto done;
    }
    if (cli.json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "training_context", pope_model_config(m)->context_length);
        cJSON_AddNumberToObject(o, "regions", (double)r.regions);
        cJSON_AddStringToObject(o, "tokenizer", c->tokenizer);
        cJSON_AddStringToObject(o, "pe", pope_pe_name(pope_model_config(m)->pe));
        if (p->json_fields) p->json_fields(p->ctx, "extrapolate", o);
        cJSON *arr = cJSON_AddArrayToObject(o, "results");
        for (int k = 0; k < r.n_contexts; k++) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddNumberToObject(e, "context", r.contexts[k]);
            cJSON_AddNumberToObject(e, "nll", r.res[k].nll);
            cJSON_AddNumberToObject(e, "targets", (double)r.res[k].targets);
            cJSON_AddItemToArray(arr, e);
        }
        print_json(o);
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

// bench.c — the NLL benchmark protocol: chosen arms (encodings, and for polar its δ
// parameterisation) × seeds trained with the same preset, data and budget, each run in
// DIR/<arm>/seed-<s>/ with its result.json, then one
// report over every finished run of DIR (bench_report.c). DIR/bench.json holds the
// settings every run of the folder shares; a rerun with other settings is refused, one
// with more seeds or encodings adds runs and keeps the finished ones.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_internal.h"
#include "dist.h"

extern char **environ;

static const pope_pe_kind all_pes[] = {POPE_PE_POLAR, POPE_PE_ROPE, POPE_PE_LEGENDRE, POPE_PE_SINUSOIDAL,
                                       POPE_PE_NONE};
enum { N_ALL_PES = 5, MAX_RUNS = 4096 };

// The arms of the encodings × δ parameterisations asked for, without repeats (δ only
// splits polar), in the order given. Returns how many (<= BENCH_MAX_ARMS).
static int arms_of(const pope_pe_kind *pes, int n_pes, const pope_delta_param *dps, int n_dps, bench_arm *out) {
    int n = 0;
    for (int i = 0; i < n_pes; i++)
        for (int j = 0; j < n_dps; j++) {
            bench_arm a = {pes[i], pes[i] == POPE_PE_POLAR ? dps[j] : POPE_DELTA_CLAMP};
            int seen = 0;
            for (int k = 0; k < n; k++) seen |= bench_arm_same(out[k], a);
            if (!seen && n < BENCH_MAX_ARMS) out[n++] = a;
        }
    return n;
}

// ---------------------------------------------------------------- settings
// What must be equal for runs to be compared: the preset as trained (the budget applied)
// without pe, delta_param (the arm says them), seed and threads, the data, the tokenizer,
// and the evaluation.
static cJSON *bench_settings(const pope_preset *p, const pope_corpus *c, const pope_bench_opts *o, const int *mult,
                             int n_mult) {
    char *pj = pope_preset_to_json(p);
    cJSON *preset = pj ? cJSON_Parse(pj) : NULL;
    free(pj);
    if (!preset) return NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(preset, "description");
    cJSON *model = cJSON_GetObjectItemCaseSensitive(preset, "model");
    cJSON_DeleteItemFromObjectCaseSensitive(model, "pe");
    cJSON_DeleteItemFromObjectCaseSensitive(model, "delta_param");
    cJSON *train = cJSON_GetObjectItemCaseSensitive(preset, "train");
    cJSON_DeleteItemFromObjectCaseSensitive(train, "seed");
    cJSON_DeleteItemFromObjectCaseSensitive(train, "threads");
    cJSON *s = cJSON_CreateObject();
    cJSON_AddItemToObject(s, "preset", preset);
    cJSON_AddStringToObject(s, "tokenizer", c->tokenizer ? c->tokenizer : "");
    cJSON_AddNumberToObject(s, "vocab_size", c->vocab_size);
    cJSON *data = o->extra_metadata ? cJSON_Parse(o->extra_metadata) : NULL;
    if (data) cJSON_AddItemToObject(s, "data", data);
    else cJSON_AddNullToObject(s, "data");
    cJSON *cx = cJSON_AddArrayToObject(s, "contexts");
    for (int k = 0; k < n_mult; k++) cJSON_AddItemToArray(cx, cJSON_CreateNumber(mult[k]));
    cJSON_AddNumberToObject(s, "test_tokens", (double)o->test_tokens);
    cJSON_AddNumberToObject(s, "eval_tokens", (double)o->eval_tokens);
    return s;
}

// The first place where a and b differ, as "preset.train.lr: 0.001 here, 0.002 in DIR".
static int first_difference(const cJSON *a, const cJSON *b, char *path, size_t size, char *msg, size_t msize) {
    if (cJSON_Compare(a, b, 1)) return 0;
    if (cJSON_IsObject(a) && cJSON_IsObject(b)) {
        size_t len = strlen(path);
        for (const cJSON *x = a->child; x; x = x->next) {
            snprintf(path + len, size - len, "%s%s", len ? "." : "", x->string);
            const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
            if (!y) return snprintf(msg, msize, "%s: set here, absent in the folder", path), 1;
            if (first_difference(x, y, path, size, msg, msize)) return 1;
        }
        for (const cJSON *y = b->child; y; y = y->next) {
            if (cJSON_GetObjectItemCaseSensitive(a, y->string)) continue;
            snprintf(path + len, size - len, "%s%s", len ? "." : "", y->string);
            return snprintf(msg, msize, "%s: absent here, set in the folder", path), 1;
        }
        path[len] = '\0';
    }
    char *x = cJSON_PrintUnformatted(a), *y = cJSON_PrintUnformatted(b);
    snprintf(msg, msize, "%s: %.200s here, %.200s in the folder", path[0] ? path : "settings", x ? x : "?", y ? y : "?");
    free(x);
    free(y);
    return 1;
}

// DIR/bench.json: {"settings": {...}, "invocations": [...]}. Loads it (*state) or starts one;
// refuses settings that differ from the folder's.
static int settings_check(const char *dir, cJSON *settings, cJSON **state) {
    char path[4200];
    snprintf(path, sizeof path, "%s/bench.json", dir);
    char *text = pope_read_file(path, NULL);
    if (!text) {
        if (errno != ENOENT) return pope_error("%s: cannot read: %s", path, strerror(errno));
        *state = cJSON_CreateObject();
        cJSON_AddItemToObject(*state, "settings", cJSON_Duplicate(settings, 1));
        cJSON_AddArrayToObject(*state, "invocations");
        return 0;
    }
    cJSON *o = cJSON_Parse(text);
    free(text);
    const cJSON *old = o ? cJSON_GetObjectItemCaseSensitive(o, "settings") : NULL;
    if (!old || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(o, "invocations"))) {
        cJSON_Delete(o);
        return pope_error("%s: not a bench settings file", path);
    }
    char where[512] = "", why[1024];
    if (first_difference(settings, old, where, sizeof where, why, sizeof why)) {
        cJSON_Delete(o);
        return pope_error("%s holds runs with other settings (%s): use another --out, or the same settings", dir, why);
    }
    *state = o;
    return 0;
}

// ---------------------------------------------------------------- record of the machine
static void cpu_model(char *buf, size_t size) {
    snprintf(buf, size, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0) continue;
        const char *v = strchr(line, ':');
        if (!v) break;
        v++;
        while (*v == ' ' || *v == '\t') v++;
        snprintf(buf, size, "%s", v);
        buf[strcspn(buf, "\n")] = '\0';
        break;
    }
    fclose(f);
}

static void utc_now(char *buf, size_t size) {
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

// ---------------------------------------------------------------- one run
static int run_dir(char *buf, size_t size, const char *out, bench_arm arm, uint64_t seed) {
    char name[32];
    if (snprintf(buf, size, "%s/%s/seed-%llu", out, bench_arm_name(arm, name, sizeof name), (unsigned long long)seed) >=
        (int)size)
        return pope_error("bench: output directory name too long");
    return 0;
}

static int file_exists(const char *dir, const char *file) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    return access(path, R_OK) == 0;
}

// Trains (or continues) the run in `dir`, then test NLL and extrapolation; writes
// dir/result.json. p: the preset with the budget applied; pe and seed are set here.
static int run_one(const pope_corpus *c, const pope_preset *base, const pope_bench_opts *o, const int *mult,
                   int n_mult, bench_arm arm, uint64_t seed, const char *dir) {
    bench_run r;
    memset(&r, 0, sizeof r);
    r.pe = arm.pe, r.dp = arm.dp, r.seed = seed;
    r.train_loss = r.valid_nll = r.test_nll = r.tokens_per_s = NAN;
    pope_preset p = *base;
    p.model.pe = arm.pe;
    p.model.delta_param = arm.dp;
    p.train.seed = seed;
    char name[32];
    bench_arm_name(arm, name, sizeof name);
    double t0 = pope_now();
    pope_train_opts to = {0};
    to.out_dir = dir;
    to.resume = file_exists(dir, "checkpoint.safetensors");   // an interrupted run continues exactly
    to.quiet = o->quiet;
    to.program = o->program;
    to.extra_metadata = o->extra_metadata;
    to.interrupt = o->interrupt;
    if (!o->quiet)
        fprintf(stderr, "bench: %s %s seed %llu in %s\n", to.resume ? "continuing" : "training", name,
                (unsigned long long)seed, dir);
    pope_train_result tr;
    if (pope_train(c, &p, &to, &tr) != 0) return -1;
    if (tr.interrupted) return pope_error("interrupted; the same command continues it");
    r.steps = tr.steps, r.tokens = tr.tokens, r.seconds = tr.seconds;
    r.train_loss = tr.last_loss, r.valid_nll = tr.valid_nll;
    r.threads = pope_num_threads();

    char path[4200];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    pope_model *m = pope_model_open(path, c);
    if (!m) return -1;
    r.n_frozen = pope_model_delta_frozen(m, r.frozen, BENCH_MAX_LAYERS);
    if (r.n_frozen > BENCH_MAX_LAYERS) r.n_frozen = BENCH_MAX_LAYERS;
    pope_eval_opts eo;
    pope_eval_opts_default(&eo);
    eo.split = POPE_SPLIT_TEST;
    eo.max_targets = o->test_tokens;
    eo.progress = !o->quiet;
    pope_eval_result er;
    int rc = pope_eval(m, c, &eo, &er);
    if (rc == 0) {
        r.test_nll = er.nll, r.test_targets = er.targets;
        pope_eval_result_free(&er);
    }
    if (rc == 0 && n_mult > 0) {   // n_mult == 0: no context fits the test split
        pope_extrap_opts xo;
        pope_extrap_opts_default(&xo);
        int T0 = pope_model_config(m)->context_length, ctx[BENCH_MAX_CTX];
        for (int i = 0; i < n_mult; i++) ctx[i] = mult[i] * T0;
        xo.contexts = ctx, xo.n_contexts = n_mult;
        if (o->eval_tokens > 0) xo.max_tokens = o->eval_tokens;
        xo.out_dir = dir;
        pope_extrap_result xr;
        if (pope_extrapolate(m, c, &xo, &xr, NULL) == 0) {
            r.n_ctx = xr.n_contexts;
            for (int i = 0; i < xr.n_contexts; i++) r.ctx[i] = xr.contexts[i], r.ctx_nll[i] = xr.res[i].nll;
            pope_extrap_result_free(&xr);
        } else if (!o->quiet) {   // a test split too short for the longest context still gives a report
            fprintf(stderr, "bench: %s: extrapolation skipped: %s\n", name, pope_last_error());
        }
    }
    pope_model_free(m);
    if (rc != 0) return -1;
    bench_load_curve(&r, dir);   // the last logged tokens/s
    free(r.curve_x);
    free(r.curve_y);
    r.curve_x = r.curve_y = NULL;
    r.wall_s = pope_now() - t0;
    cJSON *j = bench_run_to_json(&r);
    if (o->command) cJSON_AddStringToObject(j, "command", o->command);
    char cpu[256];
    cpu_model(cpu, sizeof cpu);
    cJSON_AddStringToObject(j, "cpu", cpu);
    char *js = cJSON_Print(j);
    cJSON_Delete(j);
    snprintf(path, sizeof path, "%s/result.json", dir);
    rc = !js ? pope_error("bench: JSON failed") : dist_is_root() ? pope_write_file_atomic(path, js) : 0;
    cJSON_free(js);
    return rc;
}

// ---------------------------------------------------------------- runs as processes (--jobs)
typedef struct {
    bench_arm arm;
    uint64_t seed;
    pid_t pid;
} job;

// Starts `argv0 bench ... --bench-run PE:SEED --threads K --quiet` with stdout and stderr
// appended to dir/bench.log.
static int spawn_run(const pope_bench_opts *o, bench_arm arm, uint64_t seed, int threads, const char *dir,
                     pid_t *pid) {
    int n = 0;
    while (o->child_argv[n]) n++;
    char **argv = calloc((size_t)n + 7, sizeof *argv);
    if (!argv) return pope_error("out of memory");
    char which[64], th[32], log[4200], name[32];
    snprintf(which, sizeof which, "%s:%llu", bench_arm_name(arm, name, sizeof name), (unsigned long long)seed);
    snprintf(th, sizeof th, "%d", threads);
    snprintf(log, sizeof log, "%s/bench.log", dir);
    for (int i = 0; i < n; i++) argv[i] = o->child_argv[i];
    argv[n++] = "--bench-run", argv[n++] = which;
    argv[n++] = "--threads", argv[n++] = th;
    argv[n++] = "--quiet";
    argv[n] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    int e = posix_spawn(pid, "/proc/self/exe", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    free(argv);
    if (e) return pope_error("cannot start a run: %s", strerror(e));
    return 0;
}

// Runs todo[0..n) as up to o->jobs processes at once. Failures are counted; each one's
// log is named on stderr.
static int run_jobs(const pope_bench_opts *o, const job *todo, int n, int threads) {
    int jobs = o->jobs < n ? o->jobs : n, per = threads / jobs > 0 ? threads / jobs : 1;
    job *live = calloc((size_t)jobs, sizeof *live);
    if (!live) return pope_error("out of memory");
    int next = 0, running = 0, done = 0, failed = 0;
    char first_log[4200] = "";
    while (next < n || running > 0) {
        while (running < jobs && next < n) {
            char dir[2048];
            if (run_dir(dir, sizeof dir, o->out_dir, todo[next].arm, todo[next].seed) != 0 || pope_mkdir_p(dir) != 0) {
                failed++, next++;
                continue;
            }
            int slot = 0;
            while (live[slot].pid) slot++;
            live[slot] = todo[next];
            if (spawn_run(o, todo[next].arm, todo[next].seed, per, dir, &live[slot].pid) != 0) {
                live[slot].pid = 0;
                free(live);
                return -1;
            }
            char name[32];
            if (!o->quiet)
                fprintf(stderr, "bench: started %s seed %llu (%d threads; log in %s/bench.log)\n",
                        bench_arm_name(todo[next].arm, name, sizeof name), (unsigned long long)todo[next].seed, per, dir);
            running++, next++;
        }
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR) continue;
            break;
        }
        int slot = 0;
        while (slot < jobs && live[slot].pid != pid) slot++;
        if (slot == jobs) continue;   // not one of ours
        running--, done++;
        int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        char dir[2048], name[32];
        run_dir(dir, sizeof dir, o->out_dir, live[slot].arm, live[slot].seed);
        if (!ok) {
            failed++;
            if (!first_log[0]) snprintf(first_log, sizeof first_log, "%s/bench.log", dir);
        }
        if (!o->quiet)
            fprintf(stderr, "bench: %s seed %llu %s (%d of %d)\n", bench_arm_name(live[slot].arm, name, sizeof name),
                    (unsigned long long)live[slot].seed, ok ? "done" : "FAILED", done, n);
        live[slot].pid = 0;
    }
    free(live);
    if (failed) return pope_error("%d of %d runs failed (see %s)", failed, n, first_log[0] ? first_log : "their bench.log");
    return 0;
}

// ---------------------------------------------------------------- the folder's runs
static int seed_of(const char *name, uint64_t *seed) {
    if (strncmp(name, "seed-", 5) != 0 || !name[5]) return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(name + 5, &end, 10);
    if (*end || errno) return 0;
    *seed = v;
    return 1;
}

static int cmp_run(const void *a, const void *b) {
    const bench_run *x = a, *y = b;
    return x->seed < y->seed ? -1 : x->seed > y->seed;
}

// Every finished run of DIR (DIR/<arm>/seed-<s>/result.json), by arm in bench_arms order
// and by seed. *runs malloc'd.
static int load_runs(const char *out, bench_run **runs, int *n) {
    *n = 0;
    *runs = NULL;
    int cap = 0;
    for (int k = 0; k < BENCH_MAX_ARMS; k++) {
        char pdir[2200], name[32];
        snprintf(pdir, sizeof pdir, "%s/%s", out, bench_arm_name(bench_arms[k], name, sizeof name));
        DIR *d = opendir(pdir);
        if (!d) continue;
        int first = *n;
        struct dirent *e;
        while ((e = readdir(d))) {
            uint64_t seed;
            if (!seed_of(e->d_name, &seed)) continue;
            char sub[4200], path[4300];
            snprintf(sub, sizeof sub, "%s/%s", pdir, e->d_name);
            snprintf(path, sizeof path, "%s/result.json", sub);
            if (access(path, R_OK) != 0) continue;   // unfinished
            if (*n == cap) {
                cap = cap ? 2 * cap : 16;
                bench_run *nr = cap <= MAX_RUNS ? realloc(*runs, (size_t)cap * sizeof *nr) : NULL;
                if (!nr) {
                    closedir(d);
                    return pope_error("bench: too many runs in %s", out);
                }
                *runs = nr;
            }
            bench_run *r = &(*runs)[*n];
            if (bench_run_from_json(r, path) != 0) {
                closedir(d);
                return -1;
            }
            r->pe = bench_arms[k].pe, r->dp = bench_arms[k].dp, r->seed = seed;
            bench_load_curve(r, sub);
            (*n)++;
        }
        closedir(d);
        qsort(*runs + first, (size_t)(*n - first), sizeof **runs, cmp_run);
    }
    return 0;
}

// ---------------------------------------------------------------- the benchmark
// Extrapolation scores whole regions of the largest context + 1 tokens: a context longer
// than the longest test sequence would leave no region and so empty every column (a small
// test split with kmer6 did). The multiples of T0 that fit into fit[] (their count is
// returned); *longest = the longest test sequence. The report says why the others are empty.
static int fit_contexts(const pope_corpus *c, int T0, const int *mult, int n_mult, int *fit, int64_t *longest) {
    *longest = 0;
    for (int64_t q = 0; q < c->n_seqs(c->ctx, POPE_SPLIT_TEST); q++) {
        int64_t len = c->seq_len(c->ctx, POPE_SPLIT_TEST, q);
        if (len > *longest) *longest = len;
    }
    int n_fit = 0;
    for (int k = 0; k < n_mult; k++)
        if ((int64_t)mult[k] * T0 + 1 <= *longest) fit[n_fit++] = mult[k];
    return n_fit;
}

// A --jobs child (--bench-run "ARM:SEED"): the one run, no report.
static int bench_one_run(const pope_corpus *c, const pope_preset *p, const pope_bench_opts *o, const int *fit,
                         int n_fit) {
    const char *colon = strrchr(o->one_run, ':');
    char name[32], *end = NULL, dir[2048];
    bench_arm arm;
    int rc;
    unsigned long long seed = colon && colon[1] ? strtoull(colon + 1, &end, 10) : 0;
    if (!colon || colon - o->one_run >= (long)sizeof name || !end || *end)
        rc = pope_error("--bench-run: expected ARM:SEED, got '%s'", o->one_run);
    else {
        snprintf(name, sizeof name, "%.*s", (int)(colon - o->one_run), o->one_run);
        rc = bench_arm_parse(name, &arm);
    }
    if (rc == 0) rc = run_dir(dir, sizeof dir, o->out_dir, arm, seed);
    if (rc == 0 && !file_exists(dir, "result.json")) rc = run_one(c, p, o, fit, n_fit, arm, seed, dir);
    return rc;
}

// The invocation on record in bench.json (state's "invocations") before any run starts;
// *inv is its entry, to which the end adds the wall time.
static int record_invocation(const pope_bench_opts *o, int threads, cJSON *state, const char *path, cJSON **inv) {
    char cpu[256], started[32];
    cpu_model(cpu, sizeof cpu);
    utc_now(started, sizeof started);
    *inv = cJSON_CreateObject();
    cJSON_AddStringToObject(*inv, "command", o->command ? o->command : "");
    cJSON_AddStringToObject(*inv, "started", started);
    cJSON_AddStringToObject(*inv, "cpu", cpu);
    cJSON_AddNumberToObject(*inv, "threads", threads);
    cJSON_AddNumberToObject(*inv, "jobs", o->jobs > 1 ? o->jobs : 1);
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(state, "invocations"), *inv);
    char *js = cJSON_Print(state);
    int rc = !js ? pope_error("bench: JSON failed") : dist_is_root() ? pope_write_file_atomic(path, js) : 0;
    cJSON_free(js);
    if (rc == 0 && o->jobs > 1 && dist_size() > 1)
        rc = pope_error("--jobs runs processes of its own: not under mpirun (the ranks already share each run)");
    return rc;
}

// The runs of the folder still to do (arms first, then seeds; a run with a result.json is
// kept), run here or as --jobs children. *n_todo = how many were to do.
static int run_missing(const pope_corpus *c, const pope_preset *p, const pope_bench_opts *o, const int *fit,
                       int n_fit, const bench_arm *arms, int n_arms, int seeds, int threads, int *n_todo_out) {
    char dir[2048];
    job *todo = malloc((size_t)n_arms * seeds * sizeof *todo);
    int n_todo = 0, n_kept = 0, rc = 0;
    *n_todo_out = 0;
    if (!todo) return pope_error("out of memory");
    for (int k = 0; k < n_arms && rc == 0; k++)
        for (int s = 0; s < seeds && rc == 0; s++) {
            uint64_t seed = p->train.seed + (uint64_t)s;
            if ((rc = run_dir(dir, sizeof dir, o->out_dir, arms[k], seed)) != 0) break;
            if (file_exists(dir, "result.json")) n_kept++;
            else todo[n_todo++] = (job){arms[k], seed, 0};
        }
    if (rc == 0 && !o->quiet && n_kept)
        fprintf(stderr, "bench: keeping %d finished run%s of %s; %d to do\n", n_kept, n_kept == 1 ? "" : "s",
                o->out_dir, n_todo);
    if (rc == 0 && n_todo > 0) {
        if (o->jobs > 1 && o->child_argv) {
            rc = run_jobs(o, todo, n_todo, threads);
        } else {
            for (int i = 0; i < n_todo && rc == 0; i++) {
                run_dir(dir, sizeof dir, o->out_dir, todo[i].arm, todo[i].seed);
                if ((rc = run_one(c, p, o, fit, n_fit, todo[i].arm, todo[i].seed, dir)) != 0) {
                    char why[1024], name[32];
                    snprintf(why, sizeof why, "%s", pope_last_error());
                    pope_error("bench: %s seed %llu: %s", bench_arm_name(todo[i].arm, name, sizeof name),
                               (unsigned long long)todo[i].seed, why);
                }
            }
        }
    }
    free(todo);
    *n_todo_out = n_todo;
    return rc;
}

int pope_bench(const pope_corpus *c, const pope_preset *preset, const pope_bench_opts *o, FILE *report) {
    if (!o->out_dir) return pope_error("bench: no output directory");
    double t_start = pope_now();
    int mult[BENCH_MAX_CTX], n_mult = o->n_contexts;
    if (n_mult <= 0) {
        static const int def[] = {1, 2, 4, 8};
        n_mult = 4;
        memcpy(mult, def, sizeof def);
    } else {
        if (n_mult > BENCH_MAX_CTX) return pope_error("bench: more than %d contexts", BENCH_MAX_CTX);
        memcpy(mult, o->contexts, n_mult * sizeof(int));
    }
    pope_preset p = *preset;   // the budget applied: every run of the folder trains with this
    if (o->steps_per_run > 0) p.train.steps = o->steps_per_run;
    if (o->time_per_run_s > 0) {
        p.train.time_s = o->time_per_run_s;
        if (o->steps_per_run <= 0) p.train.steps = POPE_STEPS_UNBOUNDED;   // the budget decides
    }
    bench_arm arms[BENCH_MAX_ARMS];
    const pope_delta_param preset_dp = p.model.delta_param;
    int n_arms = arms_of(o->n_pes > 0 ? o->pes : all_pes, o->n_pes > 0 ? o->n_pes : N_ALL_PES,
                         o->n_dparams > 0 ? o->dparams : &preset_dp, o->n_dparams > 0 ? o->n_dparams : 1, arms);
    int seeds = o->seeds > 0 ? o->seeds : 1;
    int64_t longest;
    int fit[BENCH_MAX_CTX], n_fit = fit_contexts(c, p.model.context_length, mult, n_mult, fit, &longest);
    if (n_fit < n_mult && !o->quiet && !o->one_run)
        fprintf(stderr, "bench: the longest test sequence has %lld tokens: contexts above %lld tokens are not "
                        "measured (%d of %d)\n", (long long)longest, (long long)(longest - 1), n_mult - n_fit, n_mult);

    if (pope_mkdir_p(o->out_dir) != 0) return -1;
    cJSON *settings = bench_settings(&p, c, o, mult, n_mult), *state = NULL;
    if (!settings) return pope_error("bench: out of memory");
    int rc = settings_check(o->out_dir, settings, &state);
    cJSON_Delete(settings);
    if (rc) return -1;
    if (o->one_run) {
        rc = bench_one_run(c, &p, o, fit, n_fit);
        cJSON_Delete(state);
        return rc;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/bench.json", o->out_dir);
    int threads = p.train.threads > 0 ? p.train.threads : pope_num_threads(), n_todo = 0;
    cJSON *inv;
    rc = record_invocation(o, threads, state, path, &inv);
    if (rc == 0) rc = run_missing(c, &p, o, fit, n_fit, arms, n_arms, seeds, threads, &n_todo);
    if (!dist_is_root()) {   // rank 0 alone records and reports
        cJSON_Delete(state);
        return rc;
    }
    // The report, from every finished run of the folder (also after a failed run: what
    // finished is reported).
    bench_run *runs = NULL;
    int n_runs = 0;
    char why[1024] = "";
    if (rc) snprintf(why, sizeof why, "%s", pope_last_error());
    cJSON_AddNumberToObject(inv, "wall_s", pope_now() - t_start);
    cJSON_AddNumberToObject(inv, "runs_added", n_todo);
    char *js = cJSON_Print(state);
    int rc2 = js ? pope_write_file_atomic(path, js) : pope_error("bench: JSON failed");
    cJSON_free(js);
    if (rc2 == 0) rc2 = load_runs(o->out_dir, &runs, &n_runs);
    if (rc2 == 0) {
        bench_report_info info = {&p,
                                  c->tokenizer ? c->tokenizer : "",
                                  mult,
                                  n_mult,
                                  longest,
                                  cJSON_GetObjectItemCaseSensitive(state, "settings"),
                                  cJSON_GetObjectItemCaseSensitive(state, "invocations"),
                                  o->test_tokens};
        rc2 = bench_write_report(o->out_dir, &info, runs, n_runs, rc ? NULL : report);
    }
    for (int i = 0; i < n_runs; i++) free(runs[i].curve_x), free(runs[i].curve_y);
    free(runs);
    cJSON_Delete(state);
    if (rc) return pope_error("%s", why);
    return rc2;
}

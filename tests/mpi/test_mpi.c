// test_mpi.c — pope-genome as N data-parallel ranks (docs/SCALING.md), against the same
// program started plainly as one process:
//  - `mpirun -np 2` with accum 1 = one process with accum 2, same seed: per-step losses
//    within 1e-5 relative over 20 steps, final weights within 1e-5, eval and extrapolation
//    NLL within 1e-6, and rank 0 alone prints;
//  - killing one rank ends the job non-zero within a bounded time; the last checkpoint
//    loads and, resumed by one process, continues the one-process curve;
//  - a checkpoint whose micro-batches the ranks cannot share is refused with a message.
// Every run is --precision fp32, the reference these equalities hold in: train's default
// (auto) is bf16 on AVX512-BF16/AMX CPUs, where two ranks and one process with accum 2 differ
// by more (measured on Zen 5: 1.5e-5 relative in a step's loss, 4e-4 in the final weights).
#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "genome_fixtures.h"
#include "pope.h"

#ifndef POPE_GENOME_BIN
#define POPE_GENOME_BIN "pope-genome"
#endif
#ifndef POPE_MPIEXEC
#define POPE_MPIEXEC "mpirun"
#endif
#define MPIRUN2 POPE_MPIEXEC " --oversubscribe -np 2 "

static char out_text[1 << 16], err_text[1 << 16];

// The file's text (at most cap − 1 bytes) in buf; "" when unreadable.
static void slurp(const char *path, char *buf, size_t cap) {
    char *t = pope_read_file(path, NULL);
    snprintf(buf, cap, "%s", t ? t : "");
    free(t);
}

// Runs a shell command line; returns its exit status, stdout/stderr in out_text/err_text.
static int sh(const char *fmt, ...) {
    char cmd[8192], full[8400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(full, sizeof full, "%s > %s 2> %s", cmd, fx_path("out.txt"), fx_path("err.txt"));
    int st = system(full);
    slurp(fx_path("out.txt"), out_text, sizeof out_text);
    slurp(fx_path("err.txt"), err_text, sizeof err_text);
    int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
    if (getenv("POPE_TEST_VERBOSE")) fprintf(stderr, "$ %s -> %d\n%s%s", cmd, rc, out_text, err_text);
    return rc;
}

static double json_num(const cJSON *o, const char *k) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(it) ? it->valuedouble : NAN;
}

// The training losses of DIR/log.jsonl by step (loss[s] for step s, NAN when absent);
// *ranks = the "ranks" field of the last step line (1 when absent: one process).
static int read_losses(const char *dir, double *loss, int max_step, int *ranks) {
    char path[1024];
    snprintf(path, sizeof path, "%s/log.jsonl", dir);
    for (int s = 0; s <= max_step; s++) loss[s] = NAN;
    char *text = pope_read_file(path, NULL);
    if (!text) return 0;
    int n = 0;
    *ranks = 1;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *o = cJSON_Parse(line);
        double st = json_num(o, "step"), l = json_num(o, "loss"), r = json_num(o, "ranks");
        if (isfinite(st) && isfinite(l) && st >= 0 && st <= max_step) loss[(int)st] = l, n++;
        if (isfinite(l)) *ranks = isfinite(r) ? (int)r : 1;
        cJSON_Delete(o);
    }
    free(text);
    return n;
}

// Largest |a−b| / max(1, |b|) over all weights of two model files (INFINITY if they differ in shape).
static double weight_diff(const char *fa, const char *fb) {
    pope_model *a = pope_load(fa, NULL, NULL), *b = pope_load(fb, NULL, NULL);
    double worst = a && b ? 0 : INFINITY;
    if (a && b && pope_model_num_tensors(a) != pope_model_num_tensors(b)) worst = INFINITY;
    for (int i = 0; isfinite(worst) && i < pope_model_num_tensors(a); i++) {
        pope_tensor x = pope_model_tensor(a, i), y = pope_model_tensor(b, i);
        if (x.numel != y.numel) worst = INFINITY;
        for (size_t j = 0; isfinite(worst) && j < x.numel; j++) {
            double d = fabs((double)x.data[j] - y.data[j]) / fmax(1.0, fabs((double)y.data[j]));
            if (d > worst) worst = d;
        }
    }
    if (a) pope_model_free(a);
    if (b) pope_model_free(b);
    return worst;
}

static int count_lines(const char *s) {
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

static const char *preset_fmt =
    "{\"name\": \"tiny\", \"tokenizer\": \"nt\",\n"
    " \"model\": {\"d_model\": 16, \"n_layers\": 1, \"n_heads\": 2, \"context_length\": 32, \"pe\": \"polar\"},\n"
    " \"train\": {\"batch\": 2, \"accum\": %d, \"steps\": %d, \"warmup\": 2, \"lr\": 1e-2, \"lr_min\": 1e-3,\n"
    "           \"eval_every\": %d, \"eval_tokens\": 256, \"checkpoint_every\": %d, \"log_every\": 100, \"seed\": 3}}\n";

static const char *write_preset(const char *name, int accum, int steps, int eval_every, int ckpt_every) {
    char text[1024];
    snprintf(text, sizeof text, preset_fmt, accum, steps, eval_every, ckpt_every);
    const char *p = fx_path(name);
    fx_write(p, text, strlen(text));
    return p;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// ---- 1. two ranks = one process with twice the accumulation
static void same_numbers(const char *fa) {
    enum { STEPS = 20 };
    const char *p1 = write_preset("accum1.json", 1, STEPS, 10, 10);
    const char *one = fx_path("one"), *two = fx_path("two");
    int rc = sh("%s train %s --preset %s --accum 2 --out %s --threads 1 --precision fp32", POPE_GENOME_BIN, fa, p1, one);
    CHECK(rc == 0, "one process: exit %d: %s", rc, err_text);
    rc = sh(MPIRUN2 "%s train %s --preset %s --out %s --threads 1 --precision fp32", POPE_GENOME_BIN, fa, p1, two);
    CHECK(rc == 0, "two ranks: exit %d: %s", rc, err_text);
    CHECK(count_lines(out_text) == 1 && strstr(out_text, "test NLL"), "rank 0 alone prints the test line: %s", out_text);
    CHECK(strstr(err_text, "step 20/20") && !strstr(strstr(err_text, "step 20/20") + 1, "step 20/20"),
          "one progress line per step, not one per rank: %s", err_text);

    double l1[STEPS + 1], l2[STEPS + 1];
    int r1 = 0, r2 = 0;
    CHECK(read_losses(one, l1, STEPS, &r1) == STEPS && read_losses(two, l2, STEPS, &r2) == STEPS,
          "20 logged steps each");
    CHECK(r1 == 1 && r2 == 2, "the logs say 1 and 2 ranks (%d, %d)", r1, r2);
    for (int s = 1; s <= STEPS; s++) CHECK_NEAR(l2[s], l1[s], 0, 1e-5, "loss of a step, 2 ranks vs 1");
    char a[1024], b[1024];
    snprintf(a, sizeof a, "%s/model.safetensors", one);
    snprintf(b, sizeof b, "%s/model.safetensors", two);
    double wd = weight_diff(a, b);
    CHECK(wd <= 1e-5, "final weights differ by %g", wd);

    // eval and extrapolation: windows shared out among the ranks, sums reduced
    rc = sh("%s eval --model %s %s --split all --context 64 --json --threads 1", POPE_GENOME_BIN, one, fa);
    cJSON *e1 = rc == 0 ? cJSON_Parse(out_text) : NULL;
    CHECK(e1, "eval one process: %s", err_text);
    rc = sh(MPIRUN2 "%s eval --model %s %s --split all --context 64 --json --threads 1", POPE_GENOME_BIN, one, fa);
    cJSON *e2 = rc == 0 ? cJSON_Parse(out_text) : NULL;
    CHECK(e2 && count_lines(out_text) == 1, "eval two ranks, one line: %s%s", out_text, err_text);
    if (e1 && e2) {
        CHECK_NEAR(json_num(e2, "nll"), json_num(e1, "nll"), 0, 1e-6, "eval NLL, 2 ranks vs 1");
        CHECK(json_num(e2, "targets") == json_num(e1, "targets") && json_num(e2, "windows") == json_num(e1, "windows"),
              "same targets and windows");
        CHECK(json_num(e1, "windows") > 100, "many windows to share (%g)", json_num(e1, "windows"));
    }
    cJSON_Delete(e1), cJSON_Delete(e2);
    const char *xo = fx_path("x");
    rc = sh("%s extrapolate --model %s %s --contexts 1,2,3 --eval-tokens 4000 --json --threads 1 --out %s",
            POPE_GENOME_BIN, one, fa, xo);
    cJSON *x1 = rc == 0 ? cJSON_Parse(out_text) : NULL;
    rc = sh(MPIRUN2 "%s extrapolate --model %s %s --contexts 1,2,3 --eval-tokens 4000 --json --threads 1 --out %s",
            POPE_GENOME_BIN, one, fa, xo);
    cJSON *x2 = rc == 0 ? cJSON_Parse(out_text) : NULL;
    CHECK(x1 && x2, "extrapolate: %s", err_text);
    const cJSON *a1 = cJSON_GetObjectItemCaseSensitive(x1, "results"), *a2 = cJSON_GetObjectItemCaseSensitive(x2, "results");
    CHECK(cJSON_GetArraySize(a1) == 3 && cJSON_GetArraySize(a2) == 3, "three contexts each");
    for (int k = 0; k < 3 && a1 && a2; k++) {
        const cJSON *u = cJSON_GetArrayItem(a1, k), *v = cJSON_GetArrayItem(a2, k);
        CHECK_NEAR(json_num(v, "nll"), json_num(u, "nll"), 0, 1e-6, "extrapolation NLL, 2 ranks vs 1");
        CHECK(json_num(v, "targets") == json_num(u, "targets"), "same targets");
    }
    CHECK(json_num(x1, "regions") >= 2 && json_num(x1, "regions") == json_num(x2, "regions"), "regions shared out");
    cJSON_Delete(x1), cJSON_Delete(x2);

    // the program's own commands run as one process
    rc = sh(MPIRUN2 "%s generate --model %s --length 10", POPE_GENOME_BIN, one);
    CHECK(rc != 0 && strstr(err_text, "generate: runs as one process: start it without mpirun"), "generate: %d %s", rc,
          err_text);

    // a 1-rank checkpoint of accum 1 cannot be shared by 2 ranks: a message, not a hang
    double t0 = now_s();
    rc = sh(MPIRUN2 "%s train %s --preset %s --out %s --threads 1 --precision fp32 --resume --steps 30 --extend", POPE_GENOME_BIN, fa, p1,
            one);
    CHECK(rc == 0, "resuming accum 2 on 2 ranks works (1 micro-batch each): %s", err_text);
    const char *odd = fx_path("odd");
    rc = sh("%s train %s --preset %s --out %s --threads 1 --precision fp32 --steps 3 --quiet", POPE_GENOME_BIN, fa, p1, odd);
    CHECK(rc == 0, "one process, accum 1");
    rc = sh(MPIRUN2 "%s train %s --preset %s --out %s --threads 1 --precision fp32 --resume --steps 5 --extend", POPE_GENOME_BIN, fa, p1,
            odd);
    CHECK(rc != 0 && strstr(err_text, "1 micro-batches per step, which 2 ranks cannot share evenly"),
          "uneven resume refused: exit %d: %s", rc, err_text);
    CHECK(now_s() - t0 < 120, "the failures end promptly");
}

// ---- 2. a rank killed: the job ends non-zero; the last checkpoint resumes on one process
static void kill_and_resume(const char *fa) {
    enum { STEPS = 600, EVERY = 25, COMPARE = 20 };   // long enough to be killed after step 25
    const char *p1 = write_preset("long1.json", 1, STEPS, 0, EVERY);
    const char *p2 = write_preset("long2.json", 2, STEPS, 0, EVERY);
    const char *ref = fx_path("ref"), *run = fx_path("killed");
    int rc = sh("%s train %s --preset %s --out %s --threads 1 --precision fp32 --quiet", POPE_GENOME_BIN, fa, p2, ref);
    CHECK(rc == 0, "reference run: %s", err_text);

    char cmd[4096], ckpt[1024], pidf[1024];
    snprintf(ckpt, sizeof ckpt, "%s/checkpoint.safetensors", run);
    snprintf(pidf, sizeof pidf, "%s.pid1", run);
    // each rank records its pid (the shell execs the program in its place)
    snprintf(cmd, sizeof cmd,
             "exec " MPIRUN2 "sh -c 'echo $$ > %s.pid$OMPI_COMM_WORLD_RANK; exec %s train %s --preset %s --out %s "
             "--threads 1 --precision fp32 --quiet' > %s 2> %s",
             run, POPE_GENOME_BIN, fa, p1, run, fx_path("kout.txt"), fx_path("kerr.txt"));
    pid_t job = fork();
    if (job == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    double t0 = now_s();
    while (access(ckpt, R_OK) != 0 && now_s() - t0 < 120) usleep(2000);   // the first checkpoint
    char pid_text[64];
    slurp(pidf, pid_text, sizeof pid_text);
    pid_t victim = (pid_t)atol(pid_text);
    CHECK(access(ckpt, R_OK) == 0 && victim > 0, "the run checkpointed and rank 1 has a pid");
    if (victim > 0) kill(victim, SIGKILL);
    double tk = now_s();
    int st = 0;
    pid_t w = 0;
    while ((w = waitpid(job, &st, WNOHANG)) == 0 && now_s() - tk < 60) usleep(10000);
    CHECK(w == job, "the job ended within 60 s of the kill");
    if (w != job) {
        kill(job, SIGKILL);
        waitpid(job, &st, 0);
    }
    slurp(fx_path("kerr.txt"), err_text, sizeof err_text);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) != 0, "killing a rank ends the job non-zero (status %d): %s", st, err_text);

    pope_train_state ts = {0};
    pope_adamw *opt = NULL;
    pope_model *m = pope_load(ckpt, &opt, &ts);
    CHECK(m && opt && ts.step > 0 && ts.step % EVERY == 0 && ts.step < STEPS, "the last checkpoint loads (step %lld): %s",
          (long long)ts.step, m ? "" : pope_last_error());
    int64_t S = ts.step;
    if (m) pope_model_free(m);
    if (opt) pope_adamw_free(opt);
    free(ts.user_json);

    // the same command without mpirun: one process takes both micro-batches of each step
    rc = sh("%s train %s --preset %s --out %s --threads 1 --precision fp32 --resume", POPE_GENOME_BIN, fa, p1, run);
    CHECK(rc == 0 && strstr(err_text, "2 micro-batches per rank per step"), "resumed on one process: %s", err_text);
    static double la[STEPS + 1], lb[STEPS + 1];
    int ra, rb;
    read_losses(ref, la, STEPS, &ra);
    read_losses(run, lb, STEPS, &rb);
    CHECK(S > 0 && S < 500, "checkpoint step %lld early enough to compare", (long long)S);
    // The two-rank steps before S summed in another order, a difference that grows step by
    // step (~1e-6 relative at step 100, ~1e-5 at 500): 1e-4 over the next 20 steps.
    for (int64_t s = S + 1; s <= S + COMPARE && s <= STEPS; s++) CHECK_NEAR(lb[s], la[s], 0, 1e-4, "resumed loss");
    CHECK(isfinite(lb[STEPS]) && rb == 1, "the resumed run reached the last step on one process");
}

int main(void) {
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0);   // CI runs as root; mpirun refuses without these
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);
    char fa[1024];
    snprintf(fa, sizeof fa, "%s/data/genome/hg38_chr16_region.fa", check_source_dir());
    if (access(fa, R_OK) != 0) {
        fprintf(stderr, "test_mpi: %s missing\n", fa);
        return 1;
    }
    same_numbers(fa);
    kill_and_resume(fa);
    fx_cleanup();
    return check_summary("test_mpi");
}

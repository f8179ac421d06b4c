// pope_bench.c — the speed benchmark of libpope (issue 5). One command measures:
//   (a) sgemm GFLOP/s with BLIS on the model's own GEMM shapes (forward NT, backward NN
//       and TN), and the FMA peak of the cores (AVX-512 where present, else AVX2);
//   (b) training tokens/s, model FLOP/s and MFU per encoding, for the music-jsb-paper
//       shape and a genome preset;
//   (c) evaluation tokens/s and peak memory (VmHWM of a fresh child process) at long
//       contexts with pope_model_nll;
//   (d) generation tokens/s with the KV cache (pope_model_step);
//   (e) the same training step in PyTorch (bench/torch_bench.py via popen), and the ratio;
//   (g) the bf16 precision (issue 10): oneDNN's bf16 GEMM rate on the same shapes, pope
//       bf16 training steps against pope fp32 and PyTorch fp32 / bf16 autocast, polar and rope.
// Times are medians of several repetitions after warm-up. A table is printed and
// everything goes to a JSON file (bench/results/<date>.json) so runs can be compared.
// The FLOP formulas are in bench/README.md.
//
// Usage: pope_bench [--quick] [--threads N] [--out FILE] [--pe LIST] [--skip LIST]
//                   [--contexts LIST] [--eval-pe LIST] [--genome-preset FILE] [--source DIR]
#include <ctype.h>
#include <errno.h>
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <unistd.h>

#include <blis.h>
#include <cjson/cJSON.h>

#include "pope_genome.h"
#include "pope_pipeline.h"
#include <omp.h>

#include "attention_engine.h"
#include "bf16.h"
#include "kernel_alloc.h"
#include "ops.h"
#include "pope.h"

// ---------------------------------------------------------------- small helpers
static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *x, int n) {
    if (n <= 0) return NAN;
    double tmp[64];
    if (n > 64) n = 64;
    memcpy(tmp, x, n * sizeof *x);
    qsort(tmp, n, sizeof *tmp, cmp_double);
    return n % 2 ? tmp[n / 2] : 0.5 * (tmp[n / 2 - 1] + tmp[n / 2]);
}

// The machine's capability (sgemm rates, FMA peak) is the best of the repetitions, not
// their median: on shared cores a median measured at a busy moment understates it and
// would put the model's MFU above 100%.
static double minimum(const double *x, int n) {
    double m = NAN;
    for (int i = 0; i < n; i++)
        if (!(x[i] >= m)) m = x[i];
    return m;
}

static void die(const char *what, const char *why) {
    fprintf(stderr, "pope_bench: %s: %s\n", what, why);
    exit(1);
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) die("out of memory", "malloc failed");
    return p;
}

static int file_exists(const char *path) { return access(path, R_OK) == 0; }

// VmHWM (peak resident set) of this process, in KiB; -1 when unknown.
static long vm_hwm_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0) kb = atol(line + 6);
    fclose(f);
    return kb;
}

// ---------------------------------------------------------------- options
typedef struct {
    const char *name;   // "music-jsb-paper", "genome-small", ...
    int V, d, L, H, T, B;
} bench_shape;

typedef struct {
    int quick;
    int threads;
    const char *out;
    const char *source;         // repository root (for bench/, models/, tools/)
    int pe_on[POPE_PE_COUNT];
    int eval_pe_on[POPE_PE_COUNT];
    int long_pe_on[POPE_PE_COUNT];   // encodings evaluated at contexts > 16384
    int contexts[8], n_contexts;
    const char *genome_preset;
    int skip_gemm, skip_train, skip_eval, skip_gen, skip_torch, skip_genome, skip_ops, skip_pair, skip_bf16;
    int train_warmup, train_reps, torch_warmup, torch_reps, gen_tokens, pair_reps;
} bench_opts;

static void parse_pe_list(const char *s, int *on) {
    memset(on, 0, POPE_PE_COUNT * sizeof *on);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        pope_pe_kind pe;
        if (pope_pe_parse(tok, &pe) != 0) die("--pe", pope_last_error());
        on[pe] = 1;
    }
}

static void usage(void) {
    printf(
        "usage: pope_bench [options]     (run from the repository root, or give --source)\n"
        "  --quick            short run: T 512 for training, contexts 2048,8192, fewer reps\n"
        "  --threads N        threads for BLIS, OpenMP and PyTorch (default: OMP_NUM_THREADS\n"
        "                     or all cores)\n"
        "  --out FILE         JSON output (default bench/results/<UTC date-time>.json)\n"
        "  --pe LIST          encodings to train (default polar,rope,legendre,sinusoidal,none)\n"
        "  --eval-pe LIST     encodings to evaluate at long contexts (default polar,rope)\n"
        "  --contexts LIST    evaluation contexts (default 2048,16384,65536)\n"
        "  --long-pe LIST     encodings evaluated at contexts above 16384 (default polar)\n"
        "  --reps N           timed training steps after the warm-up (default 3, quick 2)\n"
        "  --torch-reps N     timed PyTorch steps after the warm-up (default 2, quick 1)\n"
        "  --pair-reps N      alternating rope/polar step pairs (default 6, quick 3)\n"
        "  --skip LIST        sections to skip: gemm,train,pair,bf16,ops,eval,gen,torch,genome\n"
        "  --genome-preset F  genome shape (default models/genome-small.json, else fallback)\n"
        "  --source DIR       repository root (default: . or the parent of the build dir)\n");
}

static void parse_args(bench_opts *o, int argc, char **argv) {
    memset(o, 0, sizeof *o);
    parse_pe_list("polar,rope,legendre,sinusoidal,none", o->pe_on);
    parse_pe_list("polar,rope", o->eval_pe_on);
    parse_pe_list("polar", o->long_pe_on);
    int have_contexts = 0, reps = 0, torch_reps = 0, pair_reps = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_VALUE() do { if (!v) die(a, "needs a value"); i++; } while (0)
        if (!strcmp(a, "--quick")) o->quick = 1;
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(); exit(0); }
        else if (!strcmp(a, "--threads")) { NEED_VALUE(); o->threads = atoi(v); if (o->threads < 1) die(a, "must be >= 1"); }
        else if (!strcmp(a, "--out")) { NEED_VALUE(); o->out = v; }
        else if (!strcmp(a, "--source")) { NEED_VALUE(); o->source = v; }
        else if (!strcmp(a, "--pe")) { NEED_VALUE(); parse_pe_list(v, o->pe_on); }
        else if (!strcmp(a, "--eval-pe")) { NEED_VALUE(); parse_pe_list(v, o->eval_pe_on); }
        else if (!strcmp(a, "--reps")) { NEED_VALUE(); reps = atoi(v); if (reps < 1) die(a, "must be >= 1"); }
        else if (!strcmp(a, "--torch-reps")) { NEED_VALUE(); torch_reps = atoi(v); if (torch_reps < 1) die(a, "must be >= 1"); }
        else if (!strcmp(a, "--pair-reps")) { NEED_VALUE(); pair_reps = atoi(v); if (pair_reps < 1 || pair_reps > 64) die(a, "must be 1..64"); }
        else if (!strcmp(a, "--long-pe")) { NEED_VALUE(); parse_pe_list(v, o->long_pe_on); }
        else if (!strcmp(a, "--genome-preset")) { NEED_VALUE(); o->genome_preset = v; }
        else if (!strcmp(a, "--contexts")) {
            NEED_VALUE();
            char buf[256];
            snprintf(buf, sizeof buf, "%s", v);
            o->n_contexts = 0;
            for (char *t = strtok(buf, ","); t && o->n_contexts < 8; t = strtok(NULL, ",")) {
                int c = atoi(t);
                if (c < 2) die("--contexts", "each context must be >= 2");
                o->contexts[o->n_contexts++] = c;
            }
            have_contexts = 1;
        } else if (!strcmp(a, "--skip")) {
            NEED_VALUE();
            char buf[256];
            snprintf(buf, sizeof buf, "%s", v);
            for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
                if (!strcmp(t, "gemm")) o->skip_gemm = 1;
                else if (!strcmp(t, "train")) o->skip_train = 1;
                else if (!strcmp(t, "eval")) o->skip_eval = 1;
                else if (!strcmp(t, "gen")) o->skip_gen = 1;
                else if (!strcmp(t, "torch")) o->skip_torch = 1;
                else if (!strcmp(t, "genome")) o->skip_genome = 1;
                else if (!strcmp(t, "ops")) o->skip_ops = 1;
                else if (!strcmp(t, "pair")) o->skip_pair = 1;
                else if (!strcmp(t, "bf16")) o->skip_bf16 = 1;
                else die("--skip", "sections are gemm, train, pair, bf16, ops, eval, gen, torch, genome");
            }
        } else {
            fprintf(stderr, "pope_bench: unknown option '%s' (try --help)\n", a);
            exit(2);
        }
#undef NEED_VALUE
    }
    if (!have_contexts) {
        if (o->quick) { o->contexts[0] = 2048; o->contexts[1] = 8192; o->n_contexts = 2; }
        else { o->contexts[0] = 2048; o->contexts[1] = 16384; o->contexts[2] = 65536; o->n_contexts = 3; }
    }
    o->train_warmup = 1;
    o->train_reps = reps ? reps : o->quick ? 2 : 3;
    o->torch_warmup = 1;
    o->torch_reps = torch_reps ? torch_reps : o->quick ? 1 : 2;
    o->gen_tokens = o->quick ? 128 : 512;
    o->pair_reps = pair_reps ? pair_reps : o->quick ? 3 : 6;
}

// The repository root: --source, else "." when it holds bench/torch_bench.py, else the
// parent of the directory holding this executable (build dirs live in the repo).
static const char *find_source(const char *given) {
    static char buf[4096];
    if (given) return given;
    if (file_exists("bench/torch_bench.py")) return ".";
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 64);
    if (n > 0) {
        buf[n] = 0;
        for (int up = 0; up < 2; up++) {
            char *slash = strrchr(buf, '/');
            if (!slash) break;
            *slash = 0;
        }
        char probe[4160];
        snprintf(probe, sizeof probe, "%s/bench/torch_bench.py", buf);
        if (file_exists(probe)) return buf;
    }
    return ".";
}

// ---------------------------------------------------------------- FLOP formulas
// See bench/README.md. Dk = 2D for polar (the attention kernel works on q~, k~), else D.
static double attn_dk(const bench_shape *s, pope_pe_kind pe) {
    int D = s->d / s->H;
    return pe == POPE_PE_POLAR ? 2.0 * D : (double)D;
}

// Matmul parameters: 12 d^2 per layer (q, k, v, o, w1, w2) plus the output projection V d.
static double matmul_params(const bench_shape *s) {
    return (double)s->L * 12.0 * s->d * s->d + (double)s->V * s->d;
}

// Forward FLOPs of one (B, T) batch: 2 per matmul parameter per token, plus causal
// attention: per layer, head and pair s <= t, 2 Dk (q.k) + 2 Dv (p.v).
static double forward_flops(const bench_shape *s, pope_pe_kind pe, int B, int T) {
    double D = (double)(s->d / s->H);
    double dense = 2.0 * (double)B * T * matmul_params(s);
    double pairs = (double)T * (T + 1) / 2.0;
    double attn = 2.0 * s->L * (double)B * s->H * pairs * (attn_dk(s, pe) + D);
    return dense + attn;
}

// Training = forward + backward, backward = 2x forward (no recomputation counted).
static double train_flops(const bench_shape *s, pope_pe_kind pe) {
    return 3.0 * forward_flops(s, pe, s->B, s->T);
}

// ---------------------------------------------------------------- (a) sgemm
typedef struct {
    char kind[3];    // "NT", "NN", "TN"
    int M, N, K;
    int count;       // how many per training step
    const char *what;
    double gflops;   // measured
    double seconds;  // median per call
} gemm_shape;

// One product C(M,N) (+)= op(A) op(B), row-major like pope's matmul:
// NT: out = inp · Wᵀ   NN: dinp += dout · W   TN: dW += doutᵀ · inp
// in fp32 (BLIS sgemm) or bf16 (bf16_gemm: oneDNN, the operands rounded to bf16 on every
// call as matmul_forward/backward do in bf16 precision).
static void gemm_call(int bf16, const char *kind, int M, int N, int K, const float *A, const float *Bm, float *C) {
    const int ta = kind[0] == 'T', tb = kind[1] == 'T', acc = strcmp(kind, "NT") != 0;
    if (bf16) {
        if (bf16_gemm(C, A, ta, Bm, tb, M, N, K, acc) != 0) die("bf16 GEMM", pope_last_error());
        return;
    }
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, 1.0f, A,
                ta ? M : K, Bm, tb ? K : N, acc ? 1.0f : 0.0f, C, N);
}

// Best seconds of gemm_call (≥ 3 calls and ≥ budget_s, after a warm-up call).
static double time_gemm(int bf16, const char *kind, int M, int N, int K, double budget_s) {
    size_t na = (size_t)M * K, nb = (size_t)K * N, nc = (size_t)M * N;
    float *A = xmalloc(na * sizeof(float)), *Bm = xmalloc(nb * sizeof(float)),
          *C = xmalloc(nc * sizeof(float));
    for (size_t i = 0; i < na; i++) A[i] = (float)((i * 7919) % 1000) * 1e-3f - 0.5f;
    for (size_t i = 0; i < nb; i++) Bm[i] = (float)((i * 104729) % 1000) * 1e-3f - 0.5f;
    memset(C, 0, nc * sizeof(float));
    double times[64];
    int n = 0;
    double t_start = pope_now();
    gemm_call(bf16, kind, M, N, K, A, Bm, C);  // warm-up
    while (n < 64 && (n < 3 || pope_now() - t_start < budget_s)) {
        double t0 = pope_now();
        gemm_call(bf16, kind, M, N, K, A, Bm, C);
        times[n++] = pope_now() - t0;
    }
    free(A);
    free(Bm);
    free(C);
    return minimum(times, n);
}
static double time_sgemm(const char *kind, int M, int N, int K, double budget_s) {
    return time_gemm(0, kind, M, N, K, budget_s);
}
static double time_bf16gemm(const char *kind, int M, int N, int K, double budget_s) {
    return time_gemm(1, kind, M, N, K, budget_s);
}

// The GEMMs of one training step of shape s (pope's matmul_forward/backward contract,
// N = B·T rows), counted per layer and for the output projection.
static int model_gemms(const bench_shape *s, gemm_shape *g) {
    int N = s->B * s->T, d = s->d, F = 4 * s->d, V = s->V, L = s->L, n = 0;
    struct { const char *kind; int M, N, K, count; const char *what; } list[] = {
        {"NT", N, 3 * d, d, L, "fwd qkv"},       {"NT", N, d, d, L, "fwd o"},
        {"NT", N, F, d, L, "fwd w1"},            {"NT", N, d, F, L, "fwd w2"},
        {"NT", N, V, d, 1, "fwd output"},
        {"NN", N, d, 3 * d, L, "dinp qkv"},      {"NN", N, d, d, L, "dinp o"},
        {"NN", N, d, F, L, "dinp w1"},           {"NN", N, F, d, L, "dinp w2"},
        {"NN", N, d, V, 1, "dinp output"},
        {"TN", 3 * d, d, N, L, "dW qkv"},        {"TN", d, d, N, L, "dW o"},
        {"TN", F, d, N, L, "dW w1"},             {"TN", d, F, N, L, "dW w2"},
        {"TN", V, d, N, 1, "dW output"},
    };
    for (size_t i = 0; i < sizeof list / sizeof *list; i++) {
        snprintf(g[n].kind, sizeof g[n].kind, "%s", list[i].kind);
        g[n].M = list[i].M; g[n].N = list[i].N; g[n].K = list[i].K;
        g[n].count = list[i].count; g[n].what = list[i].what;
        n++;
    }
    return n;
}

// Measures the GEMMs of shape s; returns the FLOP-weighted rate (GFLOP/s) of one
// step's GEMM set = total GEMM FLOPs / total GEMM time.
static double measure_model_gemms(const bench_shape *s, gemm_shape *g, int ng, double budget,
                                  cJSON *jarr, double (*timer)(const char *, int, int, int, double)) {
    double flops = 0, secs = 0;
    for (int i = 0; i < ng; i++) {
        // the same (kind, M, N, K) measured once
        int dup = -1;
        for (int j = 0; j < i; j++)
            if (!strcmp(g[j].kind, g[i].kind) && g[j].M == g[i].M && g[j].N == g[i].N && g[j].K == g[i].K)
                dup = j;
        g[i].seconds = dup >= 0 ? g[dup].seconds : timer(g[i].kind, g[i].M, g[i].N, g[i].K, budget);
        double f = 2.0 * g[i].M * g[i].N * (double)g[i].K;
        g[i].gflops = f / g[i].seconds * 1e-9;
        flops += f * g[i].count;
        secs += g[i].seconds * g[i].count;
        printf("  %-16s %-12s %s M %6d N %6d K %6d  x%-3d %7.1f GFLOP/s\n", s->name, g[i].what,
               g[i].kind, g[i].M, g[i].N, g[i].K, g[i].count, g[i].gflops);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "shape", s->name);
        cJSON_AddStringToObject(o, "what", g[i].what);
        cJSON_AddStringToObject(o, "kind", g[i].kind);
        cJSON_AddNumberToObject(o, "M", g[i].M);
        cJSON_AddNumberToObject(o, "N", g[i].N);
        cJSON_AddNumberToObject(o, "K", g[i].K);
        cJSON_AddNumberToObject(o, "count_per_step", g[i].count);
        cJSON_AddNumberToObject(o, "gflops", g[i].gflops);
        cJSON_AddItemToArray(jarr, o);
    }
    return flops / secs * 1e-9;
}

// FMA peak: independent FMA chains (enough to cover latency x ports) on every thread.
#define FMA_CHAINS 12
__attribute__((target("avx512f"))) static float fma_loop_avx512(long iters) {
    __m512 acc[FMA_CHAINS];
    __m512 a = _mm512_set1_ps(0.9999999f), b = _mm512_set1_ps(1e-7f);
    for (int j = 0; j < FMA_CHAINS; j++) acc[j] = _mm512_set1_ps((float)j);
    for (long i = 0; i < iters; i++)
        for (int j = 0; j < FMA_CHAINS; j++) acc[j] = _mm512_fmadd_ps(acc[j], a, b);
    __m512 s = acc[0];
    for (int j = 1; j < FMA_CHAINS; j++) s = _mm512_add_ps(s, acc[j]);
    return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2,fma"))) static float fma_loop_avx2(long iters) {
    __m256 acc[FMA_CHAINS];
    __m256 a = _mm256_set1_ps(0.9999999f), b = _mm256_set1_ps(1e-7f);
    for (int j = 0; j < FMA_CHAINS; j++) acc[j] = _mm256_set1_ps((float)j);
    for (long i = 0; i < iters; i++)
        for (int j = 0; j < FMA_CHAINS; j++) acc[j] = _mm256_fmadd_ps(acc[j], a, b);
    __m256 s = acc[0];
    for (int j = 1; j < FMA_CHAINS; j++) s = _mm256_add_ps(s, acc[j]);
    float out[8];
    _mm256_storeu_ps(out, s);
    return out[0] + out[1] + out[2] + out[3] + out[4] + out[5] + out[6] + out[7];
}

// GFLOP/s of fp32 FMAs on n_threads threads (median of 5); *isa gets the ISA used.
static double fma_peak(int n_threads, const char **isa) {
    __builtin_cpu_init();
    int avx512 = __builtin_cpu_supports("avx512f");
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    *isa = avx512 ? "avx512f" : avx2 ? "avx2+fma" : "none";
    if (!avx512 && !avx2) return NAN;
    int lanes = avx512 ? 16 : 8;
    long iters = 20L * 1000 * 1000;
    double times[5];
    volatile float sink = 0;
    for (int r = 0; r < 5; r++) {
        double t0 = pope_now();
#pragma omp parallel num_threads(n_threads)
        {
            float v = avx512 ? fma_loop_avx512(iters) : fma_loop_avx2(iters);
#pragma omp atomic
            sink += v;
        }
        times[r] = pope_now() - t0;
    }
    (void)sink;
    double flops = 2.0 * lanes * FMA_CHAINS * (double)iters * n_threads;
    return flops / minimum(times, 5) * 1e-9;
}

// ---------------------------------------------------------------- model helpers
static void shape_config(const bench_shape *s, pope_pe_kind pe, pope_config *cfg) {
    pope_config_default(cfg);
    cfg->vocab_size = s->V;
    cfg->d_model = s->d;
    cfg->n_layers = s->L;
    cfg->n_heads = s->H;
    cfg->context_length = s->T;
    cfg->pe = pe;
    cfg->delta_init = POPE_DELTA_UNIFORM;   // a trained-looking δ; speed does not depend on it
}

static void random_tokens(int32_t *x, size_t n, int V, uint64_t seed) {
    pope_rng rng;
    pope_rng_seed(&rng, seed);
    for (size_t i = 0; i < n; i++) x[i] = (int32_t)pope_rng_below(&rng, (uint64_t)V);
}

// ---------------------------------------------------------------- (b) training
typedef struct {
    int ok;
    double step_s, fwd_s, bwd_s, opt_s;
    double tokens_per_s, model_tflops, mfu, loss;
} train_result;

// One model + optimizer + batch of random tokens, stepped by trainer_step.
typedef struct {
    const bench_shape *s;
    pope_pe_kind pe;
    pope_model *m;
    pope_adamw *opt;
    pope_adamw_config ac;
    int32_t *x, *y;
    int steps;
} trainer;

static int trainer_init(trainer *t, const bench_shape *s, pope_pe_kind pe) {
    memset(t, 0, sizeof *t);
    t->s = s;
    t->pe = pe;
    pope_config cfg;
    shape_config(s, pe, &cfg);
    t->m = pope_model_new(&cfg, 1234);
    t->opt = t->m ? pope_adamw_new(t->m) : NULL;
    if (!t->m || !t->opt) {
        fprintf(stderr, "pope_bench: train %s %s: %s\n", s->name, pope_pe_name(pe), pope_last_error());
        pope_adamw_free(t->opt);
        pope_model_free(t->m);
        return -1;
    }
    pope_adamw_config_default(&t->ac);
    size_t n = (size_t)s->B * s->T;
    t->x = xmalloc(n * sizeof *t->x);
    t->y = xmalloc(n * sizeof *t->y);
    random_tokens(t->x, n, s->V, 1);
    random_tokens(t->y, n, s->V, 2);
    return 0;
}

static void trainer_free(trainer *t) {
    free(t->x);
    free(t->y);
    pope_adamw_free(t->opt);
    pope_model_free(t->m);
}

// One training step; times (s): sec[0] step, [1] forward, [2] backward, [3] AdamW.
static int trainer_step(trainer *t, double sec[4], float *loss) {
    double t0 = pope_now();
    pope_model_zero_grad(t->m);
    int rc = pope_model_forward(t->m, t->x, t->y, t->s->B, t->s->T, 1, (uint64_t)t->steps, loss);
    double t1 = pope_now();
    if (rc == 0) rc = pope_model_backward(t->m, 1.0f);
    double t2 = pope_now();
    if (rc == 0) rc = pope_adamw_step(t->opt, t->m, &t->ac, 3e-4f, NULL);
    double t3 = pope_now();
    if (rc != 0) {
        fprintf(stderr, "pope_bench: train %s %s: %s\n", t->s->name, pope_pe_name(t->pe), pope_last_error());
        return -1;
    }
    sec[0] = t3 - t0, sec[1] = t1 - t0, sec[2] = t2 - t1, sec[3] = t3 - t2;
    fprintf(stderr, "  train %-14s %-10s step %d: %.3f s (fwd %.3f bwd %.3f adamw %.3f) loss %.4f\n",
            t->s->name, pope_pe_name(t->pe), t->steps, sec[0], sec[1], sec[2], sec[3], *loss);
    t->steps++;
    return 0;
}

static train_result bench_train(const bench_shape *s, pope_pe_kind pe, const bench_opts *o) {
    train_result r = {0};
    trainer t;
    if (trainer_init(&t, s, pe) != 0) return r;
    double step[64], fwd[64], bwd[64], upd[64];
    int nr = 0;
    for (int i = 0; i < o->train_warmup + o->train_reps && nr < 64; i++) {
        float loss = 0;
        double sec[4];
        if (trainer_step(&t, sec, &loss) != 0) goto out;
        r.loss = loss;
        if (i >= o->train_warmup) {
            step[nr] = sec[0]; fwd[nr] = sec[1]; bwd[nr] = sec[2]; upd[nr] = sec[3];
            nr++;
        }
    }
    r.ok = nr > 0;
    r.step_s = median(step, nr);
    r.fwd_s = median(fwd, nr);
    r.bwd_s = median(bwd, nr);
    r.opt_s = median(upd, nr);
    r.tokens_per_s = (double)s->B * s->T / r.step_s;
    r.model_tflops = train_flops(s, pe) / r.step_s * 1e-12;
out:
    trainer_free(&t);
    return r;
}

// Polar against RoPE with their steps alternating (rope, polar, then polar, rope, ...), so
// that both see the same moments of a shared machine: the ratio of the issue-5 target
// measured without the drift between two sequential runs. Returns the median of the
// per-pair ratios polar step / rope step (NAN on failure) and fills the JSON object.
static double bench_pair(const bench_shape *s, int pairs, cJSON *jo) {
    trainer tr, tp;
    if (trainer_init(&tr, s, POPE_PE_ROPE) != 0) return NAN;
    if (trainer_init(&tp, s, POPE_PE_POLAR) != 0) {
        trainer_free(&tr);
        return NAN;
    }
    double ratio[64], rs[64], ps[64], sec[4];
    float loss;
    int n = 0, ok = trainer_step(&tr, sec, &loss) == 0 && trainer_step(&tp, sec, &loss) == 0;  // warm-up
    for (int i = 0; ok && i < pairs && i < 64; i++) {
        trainer *first = i % 2 ? &tp : &tr, *second = i % 2 ? &tr : &tp;
        double a[4], b[4];
        ok = trainer_step(first, a, &loss) == 0 && trainer_step(second, b, &loss) == 0;
        if (!ok) break;
        rs[n] = i % 2 ? b[0] : a[0];
        ps[n] = i % 2 ? a[0] : b[0];
        ratio[n] = ps[n] / rs[n];
        n++;
    }
    trainer_free(&tr);
    trainer_free(&tp);
    if (n == 0) return NAN;
    double med = median(ratio, n);
    cJSON_AddNumberToObject(jo, "pairs", n);
    cJSON_AddNumberToObject(jo, "ratio_median", med);
    cJSON_AddNumberToObject(jo, "ratio_of_fastest_steps", minimum(ps, n) / minimum(rs, n));
    cJSON_AddNumberToObject(jo, "rope_step_s_median", median(rs, n));
    cJSON_AddNumberToObject(jo, "polar_step_s_median", median(ps, n));
    cJSON *jr = cJSON_AddArrayToObject(jo, "ratios");
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(jr, cJSON_CreateNumber(ratio[i]));
    double hi = ratio[0];
    for (int i = 1; i < n; i++) hi = ratio[i] > hi ? ratio[i] : hi;
    printf("  %-16s %d pairs: polar/rope per pair median %.3f (range %.3f-%.3f); fastest steps "
           "%.3f / %.3f s = %.3f\n", s->name, n, med, minimum(ratio, n), hi, minimum(ps, n),
           minimum(rs, n), minimum(ps, n) / minimum(rs, n));
    return med;
}

// ---------------------------------------------------------------- (c) evaluation (child)
// Runs in a fresh process (pope_bench --child-eval ...), so that VmHWM is this context's
// own peak. Prints "RESULT <median s> <VmHWM KiB> <mean nll>".
static int child_eval(int argc, char **argv) {
    if (argc != 11) die("--child-eval", "expects pe V d L H T reps warmup threads");
    pope_pe_kind pe;
    if (pope_pe_parse(argv[2], &pe) != 0) die("--child-eval", pope_last_error());
    bench_shape s = {"eval", atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), atoi(argv[6]), atoi(argv[7]), 1};
    int reps = atoi(argv[8]), warmup = atoi(argv[9]);
    pope_runtime_init(atoi(argv[10]));
    pope_config cfg;
    shape_config(&s, pe, &cfg);
    pope_model *m = pope_model_new(&cfg, 1234);
    if (!m) die("eval: model", pope_last_error());
    size_t n = (size_t)s.T;
    int32_t *x = xmalloc(n * sizeof *x), *y = xmalloc(n * sizeof *y);
    float *nll = xmalloc(n * sizeof *nll);
    random_tokens(x, n, s.V, 1);
    random_tokens(y, n, s.V, 2);
    double times[64];
    int nr = 0;
    for (int i = 0; i < warmup + reps && nr < 64; i++) {
        double t0 = pope_now();
        if (pope_model_nll(m, x, y, 1, s.T, nll) != 0) die("eval: pope_model_nll", pope_last_error());
        double dt = pope_now() - t0;
        if (i >= warmup) times[nr++] = dt;
    }
    double mean = 0;
    for (size_t i = 0; i < n; i++) mean += nll[i];
    mean /= (double)n;
    printf("RESULT %.6f %ld %.6f\n", median(times, nr), vm_hwm_kb(), mean);
    free(x);
    free(y);
    free(nll);
    pope_model_free(m);
    return 0;
}

typedef struct {
    int ok;
    double seconds, tokens_per_s, gflops, nll;
    long peak_kb;
} eval_result;

static eval_result bench_eval(const bench_shape *s, pope_pe_kind pe, int T, const bench_opts *o) {
    eval_result r = {0};
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return r;
    exe[n] = 0;
    int reps = T <= 4096 ? 3 : 1, warmup = T <= 4096 ? 1 : 0;
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' --child-eval %s %d %d %d %d %d %d %d %d", exe, pope_pe_name(pe),
             s->V, s->d, s->L, s->H, T, reps, warmup, o->threads);
    FILE *p = popen(cmd, "r");
    if (!p) return r;
    char line[512];
    while (fgets(line, sizeof line, p))
        if (sscanf(line, "RESULT %lf %ld %lf", &r.seconds, &r.peak_kb, &r.nll) == 3) r.ok = 1;
    int status = pclose(p);
    if (status != 0) r.ok = 0;
    if (r.ok) {
        r.tokens_per_s = T / r.seconds;
        r.gflops = forward_flops(s, pe, 1, T) / r.seconds * 1e-9;
    }
    return r;
}

// ---------------------------------------------------------------- (d) generation
typedef struct {
    int ok;
    double tokens_per_s;
} gen_result;

static gen_result bench_gen(const bench_shape *s, pope_pe_kind pe, const bench_opts *o) {
    gen_result r = {0};
    pope_config cfg;
    shape_config(s, pe, &cfg);
    pope_model *m = pope_model_new(&cfg, 1234);
    pope_kv *kv = m ? pope_kv_new(m, o->gen_tokens) : NULL;
    float *logits = xmalloc((size_t)s->V * sizeof *logits);
    double times[16];
    int nr = 0;
    if (!m || !kv) goto fail;
    for (int rep = 0; rep < 4; rep++) {    // rep 0 is a short warm-up
        pope_kv_reset(kv);
        int32_t tok = 0;
        int n = rep == 0 ? (o->gen_tokens < 64 ? o->gen_tokens : 64) : o->gen_tokens;
        double t0 = pope_now();
        for (int i = 0; i < n; i++) {
            if (pope_model_step(m, kv, tok, logits) != 0) goto fail;
            int best = 0;   // greedy: the step is what we time, not the sampler
            for (int v = 1; v < s->V; v++) if (logits[v] > logits[best]) best = v;
            tok = best;
        }
        if (rep > 0) times[nr++] = pope_now() - t0;
    }
    r.ok = 1;
    r.tokens_per_s = o->gen_tokens / median(times, nr);
    goto done;
fail:
    fprintf(stderr, "pope_bench: gen %s: %s\n", pope_pe_name(pe), pope_last_error());
done:
    free(logits);
    pope_kv_free(kv);
    pope_model_free(m);
    return r;
}

// ---------------------------------------------------------------- (f) per-op breakdown
// Times each kernel of ops.h once on the training shape and multiplies by how often one
// training step calls it (per encoding), to show where a step's time goes. The sum is an
// estimate: the real step also pays allocation, copies and the optimizer.
typedef struct {
    const char *name;
    double ms;        // median per call
    int count;        // calls per training step
} op_time;

// 64-byte aligned, as the model's activations
static float *rand_buf(size_t n, uint64_t seed, float scale) {
    float *p = pope_alloc_floats(n);
    if (!p) die("out of memory", "aligned_alloc failed");
    pope_rng rng;
    pope_rng_seed(&rng, seed);
    for (size_t i = 0; i < n; i++) p[i] = scale * pope_rng_normal(&rng);
    return p;
}

#define TIME_OP(dst, reps, stmt)                                                   \
    do {                                                                           \
        double ts_[16];                                                            \
        stmt;                                                                      \
        for (int r_ = 0; r_ < (reps); r_++) {                                      \
            double t0_ = pope_now();                                                  \
            stmt;                                                                  \
            ts_[r_] = pope_now() - t0_;                                               \
        }                                                                          \
        (dst) = 1e3 * median(ts_, (reps));                                         \
    } while (0)

// Fills ops[] for encoding pe on shape s; returns the number of entries.
static int bench_ops(const bench_shape *s, pope_pe_kind pe, int reps, op_time *ops) {
    int B = s->B, T = s->T, C = s->d, H = s->H, D = C / H, F = 4 * C, V = s->V, L = s->L;
    size_t N = (size_t)B * T;
    int Dk = pe == POPE_PE_POLAR ? 2 * D : D;
    float scale = 1.0f / sqrtf((float)D);
    float *x = rand_buf(N * F, 1, 1.0f), *y = rand_buf(N * F, 2, 1.0f), *dy = rand_buf(N * F, 3, 1.0f);
    float *dx = rand_buf(N * F, 4, 0.0f), *w = rand_buf((size_t)F * C > (size_t)V * C ? (size_t)F * C : (size_t)V * C, 5, 0.02f);
    float *dw = rand_buf((size_t)F * C > (size_t)V * C ? (size_t)F * C : (size_t)V * C, 6, 0.0f);
    float *g = rand_buf(C, 7, 1.0f), *dg = rand_buf(C, 8, 0.0f), *rstd = rand_buf(N, 9, 1.0f);
    size_t NQ = N * H * Dk, NV = N * H * D;   // (B,H,T,Dk), (B,H,T,D)
    float *q = rand_buf(NQ, 10, 1.0f), *k = rand_buf(NQ, 11, 1.0f), *v = rand_buf(NV, 12, 1.0f);
    float *o = rand_buf(NV, 13, 0.0f), *lse = rand_buf((size_t)B * H * T, 14, 0.0f);
    float *dq = rand_buf(NQ, 15, 0.0f), *dk = rand_buf(NQ, 16, 0.0f), *dv = rand_buf(NV, 17, 0.0f);
    float *delta = rand_buf((size_t)H * D, 18, 0.0f), *ddelta = rand_buf((size_t)H * D, 19, 0.0f);
    float *logits = rand_buf(N * V, 20, 1.0f), *dlogits = rand_buf(N * V, 21, 0.0f), *losses = rand_buf(N, 22, 0.0f);
    int32_t *tgt = xmalloc(N * sizeof *tgt);
    random_tokens(tgt, N, V, 23);
    for (int i = 0; i < H * D; i++) delta[i] = -3.0f;
    int n = 0;
#define OP(label, cnt, stmt) do { ops[n].name = label; ops[n].count = (cnt); TIME_OP(ops[n].ms, reps, stmt); n++; } while (0)
    OP("matmul_forward C->3C (qkv)", L, matmul_forward(y, x, w, (int)N, C, 3 * C));
    OP("matmul_forward C->C (o)", L, matmul_forward(y, x, w, (int)N, C, C));
    OP("matmul_forward C->4C (w1)", L, matmul_forward(y, x, w, (int)N, C, F));
    OP("matmul_forward 4C->C (w2)", L, matmul_forward(y, x, w, (int)N, F, C));
    OP("matmul_forward C->V (output)", 1, matmul_forward(logits, x, w, (int)N, C, V));
    OP("matmul_backward C->3C (qkv)", L, matmul_backward(dx, dw, dy, x, w, (int)N, C, 3 * C));
    OP("matmul_backward C->C (o)", L, matmul_backward(dx, dw, dy, x, w, (int)N, C, C));
    OP("matmul_backward C->4C (w1)", L, matmul_backward(dx, dw, dy, x, w, (int)N, C, F));
    OP("matmul_backward 4C->C (w2)", L, matmul_backward(dx, dw, dy, x, w, (int)N, F, C));
    OP("matmul_backward C->V (output)", 1, matmul_backward(dx, dw, dlogits, x, w, (int)N, C, V));
    OP("attention_forward", L, attention_forward(o, lse, q, k, v, B, H, T, Dk, D, scale, 0.0f, 1));
    OP("attention_backward", L, attention_backward(dq, dk, dv, dy, o, lse, q, k, v, B, H, T, Dk, D, scale, 0.0f, 1));
    if (pe == POPE_PE_ROPE) {
        OP("rope_forward (q and k)", 2 * L, rope_forward(q, x, B, H, T, D, 10000.0f, 0));
        OP("rope_backward (q and k)", 2 * L, rope_backward(dq, dy, B, H, T, D, 10000.0f, 0));
    } else if (pe == POPE_PE_POLAR) {
        OP("polar_q_forward", L, polar_q_forward(q, x, B, H, T, D, 10000.0f, 0));
        OP("polar_k_forward", L, polar_k_forward(k, x, delta, POPE_DELTA_CLAMP, B, H, T, D, 10000.0f, 0));
        OP("polar_q_backward", L, polar_q_backward(dx, dq, x, B, H, T, D, 10000.0f, 0));
        OP("polar_k_backward", L, polar_k_backward(dx, ddelta, dk, x, delta, POPE_DELTA_CLAMP, B, H, T, D, 10000.0f, 0));
    }
    OP("heads_split (q,k,v)", 3 * L, heads_split(q, x, B, T, H, D, C));
    OP("heads_merge", L, heads_merge(y, o, B, T, H, D, C));
    OP("heads_split_backward (q,k,v)", 3 * L, heads_split_backward(dx, dq, B, T, H, D, C));
    OP("heads_merge_backward", L, heads_merge_backward(dx, dy, B, T, H, D, C));
    OP("rmsnorm_forward", 2 * L + 1, rmsnorm_forward(y, rstd, x, g, (int)N, C, 1e-5f));
    OP("rmsnorm_backward", 2 * L + 1, rmsnorm_backward(dx, dg, dy, x, g, rstd, (int)N, C));
    OP("gelu_forward", L, gelu_forward(y, x, N * F));
    OP("gelu_backward", L, gelu_backward(dx, x, dy, N * F));
    OP("residual_forward", 2 * L, residual_forward(y, x, dy, N * C));
    OP("crossentropy_forward", 1, crossentropy_forward(losses, logits, tgt, (int)N, V));
    OP("crossentropy_backward", 1, crossentropy_backward(dlogits, logits, tgt, (int)N, V, 1.0f / N));
#undef OP
    float *bufs[] = {x, y, dy, dx, w, dw, g, dg, rstd, q, k, v, o, lse, dq, dk, dv, delta, ddelta, logits, dlogits, losses};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) free(bufs[i]);
    free(tgt);
    return n;
}

static int cmp_op_desc(const void *a, const void *b) {
    const op_time *x = a, *y = b;
    double tx = x->ms * x->count, ty = y->ms * y->count;
    return (tx < ty) - (tx > ty);
}

// Runs and prints the breakdown for pe; adds it to jarr.
static void report_ops(const bench_shape *s, pope_pe_kind pe, int reps, double measured_step_s, cJSON *jarr) {
    op_time ops[40];
    int n = bench_ops(s, pe, reps, ops);
    qsort(ops, n, sizeof *ops, cmp_op_desc);
    double total = 0;
    for (int i = 0; i < n; i++) total += ops[i].ms * ops[i].count;
    printf("  %s %s (B %d T %d): sum of ops %.0f ms per step%s", s->name, pope_pe_name(pe), s->B, s->T, total,
           measured_step_s > 0 ? "" : "\n");
    if (measured_step_s > 0) printf(" (measured step %.0f ms)\n", 1e3 * measured_step_s);
    cJSON *jo = cJSON_CreateObject();
    cJSON_AddStringToObject(jo, "shape", s->name);
    cJSON_AddStringToObject(jo, "pe", pope_pe_name(pe));
    cJSON_AddNumberToObject(jo, "sum_ms_per_step", total);
    cJSON *ja = cJSON_AddArrayToObject(jo, "ops");
    for (int i = 0; i < n; i++) {
        double t = ops[i].ms * ops[i].count;
        if (i < 12) printf("    %-32s %8.2f ms x %-3d = %8.1f ms  %5.1f%%\n", ops[i].name, ops[i].ms, ops[i].count, t,
                           100.0 * t / total);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "op", ops[i].name);
        cJSON_AddNumberToObject(e, "ms_per_call", ops[i].ms);
        cJSON_AddNumberToObject(e, "calls_per_step", ops[i].count);
        cJSON_AddNumberToObject(e, "share", t / total);
        cJSON_AddItemToArray(ja, e);
    }
    cJSON_AddItemToArray(jarr, jo);
}

// ---------------------------------------------------------------- (e) PyTorch
// Runs bench/torch_bench.py on shape s; returns its JSON (cJSON, caller deletes) or NULL.
// pes: the encodings (NULL: those of --pe); precisions: torch_bench.py's --precision.
static cJSON *run_torch(const bench_shape *s, const bench_opts *o, const char *pes_given, const char *precisions,
                        char *why, size_t why_len) {
    // Debian's python3-torch lives in /usr/bin/python3; $POPE_PYTHON picks another
    // interpreter (a venv with a newer torch).
    const char *py = getenv("POPE_PYTHON");
    if (!py || !*py) py = "/usr/bin/python3";
    if (strchr(py, '\'')) {
        snprintf(why, why_len, "POPE_PYTHON must not contain a quote: %s", py);
        return NULL;
    }
    char probe[4300];
    snprintf(probe, sizeof probe, "'%s' -c 'import torch' >/dev/null 2>&1", py);
    if (system(probe) != 0) {
        snprintf(why, why_len, "PyTorch is not importable by %s (apt-get install python3-torch, or set POPE_PYTHON)", py);
        return NULL;
    }
    char script[4200];
    snprintf(script, sizeof script, "%s/bench/torch_bench.py", o->source);
    if (!file_exists(script)) {
        snprintf(why, why_len, "%s not found (give --source)", script);
        return NULL;
    }
    char pes[128] = "";
    if (pes_given) snprintf(pes, sizeof pes, "%s", pes_given);
    for (int pe = POPE_PE_COUNT - 1; pe >= 0 && !pes_given; pe--)   // polar, rope, legendre, ... order
        if (o->pe_on[pe]) {
            if (pes[0]) strcat(pes, ",");
            strcat(pes, pope_pe_name((pope_pe_kind)pe));
        }
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "'%s' '%s' --V %d --d %d --layers %d --heads %d --T %d --B %d "
             "--threads %d --warmup %d --reps %d --pe %s --precision %s",
             py, script, s->V, s->d, s->L, s->H, s->T, s->B, o->threads, o->torch_warmup, o->torch_reps, pes,
             precisions);
    fprintf(stderr, "  %s\n", cmd);
    FILE *p = popen(cmd, "r");
    if (!p) {
        snprintf(why, why_len, "popen failed: %s", strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = xmalloc(cap);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += got;
        if (len + 1 >= cap) { cap *= 2; buf = realloc(buf, cap); if (!buf) die("torch", "out of memory"); }
    }
    buf[len] = 0;
    int status = pclose(p);
    char *last = strchr(buf, '{');   // stdout holds only the JSON object
    cJSON *j = last ? cJSON_Parse(last) : NULL;
    free(buf);
    if (status != 0 || !j) {
        snprintf(why, why_len, "torch_bench.py failed (exit status %d)", status);
        cJSON_Delete(j);
        return NULL;
    }
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(j, "error");
    if (cJSON_IsString(err)) {
        snprintf(why, why_len, "%s", err->valuestring);
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

// tokens/s of encoding pe in precision prec ("fp32" also matches results without one)
static double torch_tokens_per_s(const cJSON *j, pope_pe_kind pe, const char *prec) {
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(j, "results"), *it;
    cJSON_ArrayForEach(it, res) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "pe");
        const cJSON *tps = cJSON_GetObjectItemCaseSensitive(it, "tokens_per_s");
        const cJSON *pr = cJSON_GetObjectItemCaseSensitive(it, "precision");
        const char *p = cJSON_IsString(pr) ? pr->valuestring : "fp32";
        if (cJSON_IsString(name) && !strcmp(name->valuestring, pope_pe_name(pe)) && cJSON_IsNumber(tps) &&
            !strcmp(p, prec))
            return tps->valuedouble;
    }
    return NAN;
}

// ---------------------------------------------------------------- genome preset
// The genome shape: the preset's model and batch through the library's loader
// (pope_preset_load), the vocabulary from its tokenizer as formats/genome defines it.
static void genome_shape(const bench_opts *o, bench_shape *s, char *source, size_t source_len) {
    // fallback: nt tokens, d 256, 6 layers, 8 heads, 4096 bp windows, batch 2
    pope_gtok nt;
    pope_gtok_parse("nt", 0, &nt);
    *s = (bench_shape){"genome-fallback", pope_gtok_vocab(nt), 256, 6, 8, 4096, 2};
    snprintf(source, source_len, "fallback (no preset file)");
    char path[4200];
    if (o->genome_preset) snprintf(path, sizeof path, "%s", o->genome_preset);
    else snprintf(path, sizeof path, "%s/models/genome-small.json", o->source);
    if (!o->genome_preset && access(path, R_OK) != 0) return;
    pope_preset p;
    if (pope_preset_load(&p, path) != 0) {
        if (o->genome_preset) die(path, pope_last_error());
        fprintf(stderr, "pope_bench: %s, using the fallback genome shape\n", pope_last_error());
        return;
    }
    pope_gtok tok;
    if (pope_gtok_parse(p.tokenizer[0] ? p.tokenizer : "nt", 0, &tok) != 0) die(path, pope_last_error());
    static char name[64];
    snprintf(name, sizeof name, "%s", p.name);
    *s = (bench_shape){name, pope_gtok_vocab(tok), p.model.d_model, p.model.n_layers, p.model.n_heads,
                       p.model.context_length, p.train.batch};
    snprintf(source, source_len, "%s", path);
}

// ---------------------------------------------------------------- machine
static void cpu_model(char *out, size_t len) {
    snprintf(out, len, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "model name", 10) == 0) {
            char *c = strchr(line, ':');
            if (c) {
                c++;
                while (*c == ' ') c++;
                c[strcspn(c, "\n")] = 0;
                snprintf(out, len, "%s", c);
            }
            break;
        }
    fclose(f);
}

// The 1-minute load average: a run on a busy machine (load > threads) is not comparable.
static double load_avg(void) {
    double l = NAN;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1) l = NAN;
        fclose(f);
    }
    return l;
}

// Writes the JSON so far (after every section: a cut-short run keeps what it measured).
static int write_json(const cJSON *J, const char *path) {
    char *text = cJSON_Print(J);
    FILE *f = fopen(path, "w");
    int ok = f && text && fputs(text, f) >= 0;
    if (f && fclose(f) != 0) ok = 0;
    free(text);
    if (!ok) fprintf(stderr, "pope_bench: %s: cannot write: %s\n", path, strerror(errno));
    return ok ? 0 : -1;
}

// ---------------------------------------------------------------- main
// ---------------------------------------------------------------- (g) bf16 precision
// The paper's full JSB run: 3000 optimizer steps of 4 × 2048 tokens (issue 10's estimate), from
// this section's dropout-free steps (as the PyTorch peer's); the paper's dropout 0.2 costs ~10%.
enum { PAPER_JSB_STEPS = 3000 };

// The bf16 attention's two engines (attention_engine.h) on one shape's attention, forward
// and backward (dropout 0), engines alternating repetition by repetition so that a load change
// hits both: the number to read on an AMX CPU, where AUTO picks oneDNN's blocks.
typedef struct {
    int ok;
    double fwd_ms[2], bwd_ms[2];  // [0] tiles, [1] oneDNN blocks: medians
} engine_time;

static engine_time time_engines(const bench_shape *s, pope_pe_kind pe, int reps) {
    engine_time et = {0, {NAN, NAN}, {NAN, NAN}};
    const int D = s->d / s->H, Dk = pe == POPE_PE_POLAR ? 2 * D : D, Dv = D;
    const size_t nk = (size_t)s->B * s->H * s->T * Dk, nv = (size_t)s->B * s->H * s->T * Dv;
    float *q = rand_buf(nk, 1, 1.0f), *k = rand_buf(nk, 2, 1.0f), *v = rand_buf(nv, 3, 1.0f), *g = rand_buf(nv, 4, 1.0f);
    float *o = rand_buf(nv, 5, 0.0f), *lse = rand_buf((size_t)s->B * s->H * s->T, 6, 0.0f);
    float *dq = rand_buf(nk, 7, 0.0f), *dk = rand_buf(nk, 8, 0.0f), *dv = rand_buf(nv, 9, 0.0f);
    const float scale = 1.0f / sqrtf((float)D);
    double tf[2][16], tb[2][16];
    et.ok = 1;
    for (int r = 0; r <= reps && et.ok; r++)  // r = 0: warm-up (creates oneDNN's primitives)
        for (int e = 0; e < 2 && et.ok; e++) {
            attention_bf16_engine_select(e ? ATTN_BF16_ONEDNN : ATTN_BF16_TILES);
            if (e && !attention_bf16_uses_onednn(Dk, Dv)) et.ok = 0;
            const double t0 = pope_now();
            if (attention_forward(o, lse, q, k, v, s->B, s->H, s->T, Dk, Dv, scale, 0.0f, 1) != 0) et.ok = 0;
            const double t1 = pope_now();
            if (attention_backward(dq, dk, dv, g, o, lse, q, k, v, s->B, s->H, s->T, Dk, Dv, scale, 0.0f, 1) != 0)
                et.ok = 0;
            if (r) tf[e][r - 1] = t1 - t0, tb[e][r - 1] = pope_now() - t1;
        }
    attention_bf16_engine_select(ATTN_BF16_AUTO);
    for (int e = 0; e < 2 && et.ok; e++) et.fwd_ms[e] = 1e3 * median(tf[e], reps), et.bwd_ms[e] = 1e3 * median(tb[e], reps);
    free(q), free(k), free(v), free(g), free(o), free(lse), free(dq), free(dk), free(dv);
    return et;
}

typedef struct {
    int ran;
    char why[512];                           // why it did not run
    double gemm_rate[2];                     // oneDNN bf16, one step's GEMM set (GFLOP/s)
    train_result tr[2][POPE_PE_COUNT];       // pope bf16
    double torch32[2][POPE_PE_COUNT], torch16[2][POPE_PE_COUNT];  // PyTorch tokens/s
    engine_time eng[POPE_PE_COUNT];          // the attention engines on the first shape
    char kernel[96];                         // the engine the bf16 steps ran (AUTO's choice)
} bf16_results;

// pope bf16 training (polar and rope of --pe) against the fp32 results of [train] (tr32)
// and PyTorch fp32 / bf16 autocast, on every shape; the bf16 GEMM rate beside sgemm's.
static void bench_bf16(const bench_shape *const *shapes, int n_shapes, const bench_opts *o,
                       train_result tr32[2][POPE_PE_COUNT], const double *sgemm_rate, cJSON *J,
                       bf16_results *b) {
    memset(b, 0, sizeof *b);
    for (int i = 0; i < 2; i++)
        for (int pe = 0; pe < POPE_PE_COUNT; pe++) b->torch32[i][pe] = b->torch16[i][pe] = NAN;
    b->gemm_rate[0] = b->gemm_rate[1] = NAN;
    printf("\n[bf16] bf16 precision (oneDNN GEMMs, bf16 attention) vs fp32 and PyTorch bf16 autocast\n");
    if (pope_bf16_supported() != 0) {
        snprintf(b->why, sizeof b->why, "%s", pope_last_error());
        printf("  skipped: %s\n", b->why);
        cJSON_AddStringToObject(J, "bf16_skipped", b->why);
        return;
    }
    b->ran = 1;
    cJSON *jb = cJSON_AddObjectToObject(J, "bf16");
    pope_set_precision(POPE_PREC_BF16);
    if (!o->skip_gemm) {
        cJSON *jarr = cJSON_AddArrayToObject(jb, "gemm_shapes"), *jrate = cJSON_AddObjectToObject(jb, "gemm_model_rate_gflops");
        for (int i = 0; i < n_shapes; i++) {
            gemm_shape g[16];
            const int ng = model_gemms(shapes[i], g);
            b->gemm_rate[i] = measure_model_gemms(shapes[i], g, ng, o->quick ? 0.05 : 0.3, jarr, time_bf16gemm);
            printf("  %s: one step's GEMM set in bf16 runs at %.1f GFLOP/s (sgemm %.1f); oneDNN kernel %s\n",
                   shapes[i]->name, b->gemm_rate[i], sgemm_rate[i], bf16_gemm_impl(g[0].M, g[0].N, g[0].K, 0, 1, 0));
            cJSON_AddNumberToObject(jrate, shapes[i]->name, b->gemm_rate[i]);
        }
        cJSON_AddStringToObject(jb, "gemm_kernel", bf16_gemm_impl(shapes[0]->B * shapes[0]->T, 3 * shapes[0]->d,
                                                                  shapes[0]->d, 0, 1, 0));
    }
    const pope_pe_kind pes[2] = {POPE_PE_POLAR, POPE_PE_ROPE};
    cJSON *je = cJSON_AddArrayToObject(jb, "attention_engines");
    for (int k = 0; k < 2; k++)
        if (o->pe_on[pes[k]]) {
            engine_time *et = &b->eng[pes[k]];
            *et = time_engines(shapes[0], pes[k], o->quick ? 3 : 5);
            if (!et->ok) {
                printf("  attention engines, %s: the oneDNN blocks cannot run this shape (%s)\n", pope_pe_name(pes[k]),
                       pope_last_error());
                continue;
            }
            printf("  attention fwd + bwd, %s %s (ms): tiles %.1f + %.1f, oneDNN blocks %.1f + %.1f; tiles / blocks %.2f\n",
                   shapes[0]->name, pope_pe_name(pes[k]), et->fwd_ms[0], et->bwd_ms[0], et->fwd_ms[1], et->bwd_ms[1],
                   (et->fwd_ms[0] + et->bwd_ms[0]) / (et->fwd_ms[1] + et->bwd_ms[1]));
            for (int e = 0; e < 2; e++) {
                cJSON *x = cJSON_CreateObject();
                cJSON_AddStringToObject(x, "shape", shapes[0]->name);
                cJSON_AddStringToObject(x, "pe", pope_pe_name(pes[k]));
                cJSON_AddStringToObject(x, "engine", e ? "onednn" : "tiles");
                cJSON_AddNumberToObject(x, "forward_ms", et->fwd_ms[e]);
                cJSON_AddNumberToObject(x, "backward_ms", et->bwd_ms[e]);
                cJSON_AddItemToArray(je, x);
            }
        }
    snprintf(b->kernel, sizeof b->kernel, "%s", pope_attention_kernel());
    printf("  bf16 training steps below: attention by %s\n", b->kernel);
    cJSON_AddStringToObject(jb, "attention_kernel", b->kernel);
    for (int i = 0; i < n_shapes; i++)
        for (int k = 0; k < 2; k++)
            if (o->pe_on[pes[k]]) {
                train_result *r = &b->tr[i][pes[k]];
                *r = bench_train(shapes[i], pes[k], o);
                if (r->ok && b->gemm_rate[i] == b->gemm_rate[i]) r->mfu = r->model_tflops * 1e3 / b->gemm_rate[i];
            }
    pope_set_precision(POPE_PREC_FP32);
    char pe_list[64] = "";
    for (int k = 0; k < 2; k++)
        if (o->pe_on[pes[k]]) snprintf(pe_list + strlen(pe_list), sizeof pe_list - strlen(pe_list), "%s%s",
                                       pe_list[0] ? "," : "", pope_pe_name(pes[k]));
    for (int i = 0; i < n_shapes && !o->skip_torch && pe_list[0]; i++) {
        char why[4400];
        cJSON *jt = run_torch(shapes[i], o, pe_list, "fp32,bf16", why, sizeof why);
        if (!jt) {
            printf("  PyTorch skipped: %s\n", why);
            continue;
        }
        for (int k = 0; k < 2; k++) {
            b->torch32[i][pes[k]] = torch_tokens_per_s(jt, pes[k], "fp32");
            b->torch16[i][pes[k]] = torch_tokens_per_s(jt, pes[k], "bf16");
        }
        cJSON_AddItemToObject(jb, i == 0 ? "torch_jsb" : "torch_genome", jt);
    }
    cJSON *jarr = cJSON_AddArrayToObject(jb, "train");
    for (int i = 0; i < n_shapes; i++)
        for (int k = 0; k < 2; k++) {
            const train_result *r = &b->tr[i][pes[k]], *f = &tr32[i][pes[k]];
            if (!r->ok) continue;
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "shape", shapes[i]->name);
            cJSON_AddStringToObject(e, "pe", pope_pe_name(pes[k]));
            cJSON_AddNumberToObject(e, "step_s", r->step_s);
            cJSON_AddNumberToObject(e, "forward_s", r->fwd_s);
            cJSON_AddNumberToObject(e, "backward_s", r->bwd_s);
            cJSON_AddNumberToObject(e, "tokens_per_s", r->tokens_per_s);
            cJSON_AddNumberToObject(e, "model_gflops", r->model_tflops * 1e3);
            if (r->mfu > 0) cJSON_AddNumberToObject(e, "mfu_vs_bf16_gemm", r->mfu);
            if (f->ok) cJSON_AddNumberToObject(e, "fp32_tokens_per_s", f->tokens_per_s);
            if (b->torch32[i][pes[k]] == b->torch32[i][pes[k]])
                cJSON_AddNumberToObject(e, "torch_fp32_tokens_per_s", b->torch32[i][pes[k]]);
            if (b->torch16[i][pes[k]] == b->torch16[i][pes[k]])
                cJSON_AddNumberToObject(e, "torch_bf16_tokens_per_s", b->torch16[i][pes[k]]);
            if (i == 0 && shapes[0]->T == 2048 && shapes[0]->B == 4)
                cJSON_AddNumberToObject(e, "paper_jsb_run_minutes", PAPER_JSB_STEPS * r->step_s / 60.0);
            cJSON_AddItemToArray(jarr, e);
        }
}

// The [bf16] table: tokens/s of pope fp32 / bf16 and PyTorch fp32 / bf16 autocast, the
// ratios of issue 10's targets, and the paper-run estimate.
static void report_bf16(const bench_shape *const *shapes, int n_shapes, train_result tr32[2][POPE_PE_COUNT],
                        const double *sgemm_rate, const bf16_results *b) {
    if (!b->ran) {
        if (b->why[0]) printf("\nbf16: skipped: %s\n", b->why);
        return;
    }
    printf("\n%-16s %-6s %9s %9s %7s %9s %9s %9s %9s\n", "bf16 shape", "pe", "fp32 t/s", "bf16 t/s", "x fp32",
           "torch32", "torch16", "x torch16", "MFU bf16");
    const pope_pe_kind pes[2] = {POPE_PE_POLAR, POPE_PE_ROPE};
    for (int i = 0; i < n_shapes; i++)
        for (int k = 0; k < 2; k++) {
            const train_result *r = &b->tr[i][pes[k]], *f = &tr32[i][pes[k]];
            if (!r->ok) continue;
            const double t32 = b->torch32[i][pes[k]], t16 = b->torch16[i][pes[k]];
            char c[5][16];  // "-" where a section did not run
            const double v[5] = {f->ok ? f->tokens_per_s : NAN, f->ok ? r->tokens_per_s / f->tokens_per_s : NAN, t32,
                                 t16, r->tokens_per_s / t16};
            for (int x = 0; x < 5; x++) snprintf(c[x], sizeof c[x], v[x] == v[x] ? (x == 1 || x == 4 ? "%.2f" : "%.0f") : "-", v[x]);
            printf("%-16s %-6s %9s %9.0f %7s %9s %9s %9s %8.1f%%\n", shapes[i]->name, pope_pe_name(pes[k]), c[0],
                   r->tokens_per_s, c[1], c[2], c[3], c[4], 100.0 * r->mfu);
        }
    for (int i = 0; i < n_shapes; i++) {
        printf("%s:", shapes[i]->name);
        if (b->gemm_rate[i] == b->gemm_rate[i])
            printf(" GEMM set bf16 %.0f GFLOP/s, sgemm %.0f GFLOP/s;", b->gemm_rate[i], sgemm_rate[i]);
        const train_result *p = &b->tr[i][POPE_PE_POLAR], *r = &b->tr[i][POPE_PE_ROPE];
        if (p->ok && r->ok) printf(" bf16 polar step = %.2f x rope step (target <= 1.15)", p->step_s / r->step_s);
        printf("\n");
    }
    if (shapes[0]->T == 2048 && shapes[0]->B == 4)
        for (int k = 0; k < 2; k++)
            if (b->tr[0][pes[k]].ok)
                printf("paper JSB run (%d steps x 4 x 2048) in bf16, %s: %.0f minutes (target < 75; these steps\n"
                       "  have no dropout, the paper's 0.2 adds ~10%%: bench/README.md)\n",
                       PAPER_JSB_STEPS, pope_pe_name(pes[k]), PAPER_JSB_STEPS * b->tr[0][pes[k]].step_s / 60.0);
    for (int k = 0; k < 2; k++) {
        const engine_time *et = &b->eng[pes[k]];
        if (et->ok)
            printf("attention fwd+bwd in bf16, %s %s: tiles %.1f ms, oneDNN blocks %.1f ms (tiles / blocks %.2f)\n",
                   shapes[0]->name, pope_pe_name(pes[k]), et->fwd_ms[0] + et->bwd_ms[0], et->fwd_ms[1] + et->bwd_ms[1],
                   (et->fwd_ms[0] + et->bwd_ms[0]) / (et->fwd_ms[1] + et->bwd_ms[1]));
    }
    printf("bf16 steps' attention: %s\n", b->kernel);
    printf("(targets on an AMX CPU: bf16 >= 2 x fp32 and >= 3 x PyTorch bf16 autocast on %s)\n", shapes[0]->name);
}

// ---------------------------------------------------------------- main's phases
// The results file's header: machine, date, arguments, git describe, the shapes.
static cJSON *bench_header(const bench_opts *o, int argc, char **argv, const bench_shape *const *shapes,
                           int n_shapes, const char *genome_src, const char *date, const char *cpu,
                           const char *blis_arch, double load_start) {
    cJSON *J = cJSON_CreateObject();
    cJSON *jm = cJSON_AddObjectToObject(J, "machine");
    cJSON_AddStringToObject(J, "date", date);
    cJSON_AddBoolToObject(J, "quick", o->quick);
    cJSON_AddStringToObject(jm, "cpu", cpu);
    cJSON_AddNumberToObject(jm, "cores", (double)omp_get_num_procs());
    cJSON_AddNumberToObject(jm, "threads", o->threads);
    cJSON_AddStringToObject(jm, "blis_arch", blis_arch);
    cJSON_AddNumberToObject(jm, "load_avg_start", load_start);
    char args[2048] = "";
    for (int i = 1; i < argc; i++)
        snprintf(args + strlen(args), sizeof args - strlen(args), "%s%s", i > 1 ? " " : "", argv[i]);
    cJSON_AddStringToObject(J, "args", args);
    char git[128] = "", gcmd[4400];
    snprintf(gcmd, sizeof gcmd, "git -C '%s' describe --always --dirty 2>/dev/null", o->source);
    FILE *gp = popen(gcmd, "r");
    if (gp) {
        if (!fgets(git, sizeof git, gp)) git[0] = 0;
        git[strcspn(git, "\n")] = 0;
        pclose(gp);
    }
    cJSON_AddStringToObject(J, "git", git);
    cJSON *jshapes = cJSON_AddArrayToObject(J, "shapes");
    for (int i = 0; i < n_shapes; i++) {
        cJSON *js = cJSON_CreateObject();
        cJSON_AddStringToObject(js, "name", shapes[i]->name);
        cJSON_AddNumberToObject(js, "V", shapes[i]->V);
        cJSON_AddNumberToObject(js, "d", shapes[i]->d);
        cJSON_AddNumberToObject(js, "layers", shapes[i]->L);
        cJSON_AddNumberToObject(js, "heads", shapes[i]->H);
        cJSON_AddNumberToObject(js, "T", shapes[i]->T);
        cJSON_AddNumberToObject(js, "B", shapes[i]->B);
        if (i == 1) cJSON_AddStringToObject(js, "source", genome_src);
        cJSON_AddItemToArray(jshapes, js);
    }
    return J;
}

// (a) the FMA peak and BLIS sgemm on the model's GEMM shapes: gemm_rate[i] per shape.
static void section_sgemm(const bench_opts *o, const bench_shape *const *shapes, int n_shapes, cJSON *J,
                          double gemm_rate[2], double *peak, const char **isa) {
    printf("\n[sgemm] BLIS on the model's GEMM shapes (best of >= 3 calls, %d threads)\n", o->threads);
    *peak = fma_peak(o->threads, isa);
    printf("  FMA peak (%s, %d threads): %.1f GFLOP/s\n", *isa, o->threads, *peak);
    cJSON *jg = cJSON_AddObjectToObject(J, "sgemm");
    cJSON_AddNumberToObject(jg, "fma_peak_gflops", *peak);
    cJSON_AddStringToObject(jg, "fma_isa", *isa);
    cJSON *jarr = cJSON_AddArrayToObject(jg, "shapes");
    double big = 2.0 * 2048.0 * 2048.0 * 2048.0 / time_sgemm("NN", 2048, 2048, 2048, o->quick ? 0.3 : 1.0) * 1e-9;
    printf("  reference NN 2048^3: %.1f GFLOP/s\n", big);
    cJSON_AddNumberToObject(jg, "square_2048_gflops", big);
    cJSON *jrate = cJSON_AddObjectToObject(jg, "model_rate_gflops");
    for (int i = 0; i < n_shapes; i++) {
        gemm_shape g[16];
        int ng = model_gemms(shapes[i], g);
        gemm_rate[i] = measure_model_gemms(shapes[i], g, ng, o->quick ? 0.05 : 0.3, jarr, time_sgemm);
        printf("  %s: one step's GEMM set runs at %.1f GFLOP/s\n", shapes[i]->name, gemm_rate[i]);
        cJSON_AddNumberToObject(jrate, shapes[i]->name, gemm_rate[i]);
    }
}

// (b) training steps per encoding and shape, into tr and J's "train"; item[i][pe] = each
// result's object (for the PyTorch ratio).
static void section_train(const bench_opts *o, const bench_shape *const *shapes, int n_shapes,
                          const double gemm_rate[2], double peak, cJSON *J, train_result tr[2][POPE_PE_COUNT],
                          cJSON *item[2][POPE_PE_COUNT]) {
    cJSON *jtrain = cJSON_AddArrayToObject(J, "train");
    if (!o->skip_train) {
        printf("\n[train] forward + backward + AdamW, median of %d after %d warm-up\n", o->train_reps,
               o->train_warmup);
        for (int i = 0; i < n_shapes; i++)
            for (int pe = POPE_PE_COUNT - 1; pe >= 0; pe--) {
                if (!o->pe_on[pe]) continue;
                tr[i][pe] = bench_train(shapes[i], (pope_pe_kind)pe, o);
                if (tr[i][pe].ok && gemm_rate[i] == gemm_rate[i])
                    tr[i][pe].mfu = tr[i][pe].model_tflops * 1e3 / gemm_rate[i];
            }
    }
    for (int i = 0; i < n_shapes; i++)
        for (int pe = POPE_PE_COUNT - 1; pe >= 0; pe--) {
            const train_result *r = &tr[i][pe];
            if (!r->ok) continue;
            cJSON *o2 = cJSON_CreateObject();
            cJSON_AddStringToObject(o2, "shape", shapes[i]->name);
            cJSON_AddStringToObject(o2, "pe", pope_pe_name((pope_pe_kind)pe));
            cJSON_AddNumberToObject(o2, "step_s", r->step_s);
            cJSON_AddNumberToObject(o2, "forward_s", r->fwd_s);
            cJSON_AddNumberToObject(o2, "backward_s", r->bwd_s);
            cJSON_AddNumberToObject(o2, "adamw_s", r->opt_s);
            cJSON_AddNumberToObject(o2, "tokens_per_s", r->tokens_per_s);
            cJSON_AddNumberToObject(o2, "model_flops_per_step", train_flops(shapes[i], (pope_pe_kind)pe));
            cJSON_AddNumberToObject(o2, "model_gflops", r->model_tflops * 1e3);
            if (r->mfu > 0) cJSON_AddNumberToObject(o2, "mfu_vs_sgemm", r->mfu);
            if (peak == peak) cJSON_AddNumberToObject(o2, "fraction_of_fma_peak", r->model_tflops * 1e3 / peak);
            cJSON_AddNumberToObject(o2, "loss", r->loss);
            cJSON_AddItemToArray(jtrain, o2);
            item[i][pe] = o2;
        }
}

// (e) the same training step in PyTorch on the music shape (NULL when skipped: torch_why
// says why), its ratio added to the training results, and polar/rope step ratios.
static cJSON *section_torch(const bench_opts *o, const bench_shape *const *shapes, int n_shapes,
                            train_result tr[2][POPE_PE_COUNT], cJSON *item[2][POPE_PE_COUNT], cJSON *J,
                            char *torch_why, size_t why_size) {
    cJSON *jtorch = NULL;
    if (!o->skip_torch && !o->skip_train) {
        printf("\n[torch] the same model in PyTorch, %s shape\n", shapes[0]->name);
        jtorch = run_torch(shapes[0], o, NULL, "fp32", torch_why, why_size);
        if (!jtorch) printf("  PyTorch skipped: %s\n", torch_why);
    }
    for (int pe = 0; pe < POPE_PE_COUNT && jtorch; pe++) {
        double tt = torch_tokens_per_s(jtorch, (pope_pe_kind)pe, "fp32");
        if (item[0][pe] && tt == tt) {
            cJSON_AddNumberToObject(item[0][pe], "torch_tokens_per_s", tt);
            cJSON_AddNumberToObject(item[0][pe], "ratio_pope_over_torch", tr[0][pe].tokens_per_s / tt);
        }
    }
    cJSON *jratio = cJSON_AddObjectToObject(J, "polar_over_rope_step");
    for (int i = 0; i < n_shapes; i++)
        if (tr[i][POPE_PE_POLAR].ok && tr[i][POPE_PE_ROPE].ok)
            cJSON_AddNumberToObject(jratio, shapes[i]->name,
                                    tr[i][POPE_PE_POLAR].step_s / tr[i][POPE_PE_ROPE].step_s);
    if (jtorch) cJSON_AddItemToObject(J, "torch", jtorch);
    else if (torch_why[0]) cJSON_AddStringToObject(J, "torch_skipped", torch_why);
    return jtorch;
}

// (d) generation with the KV cache on the music shape, into gr and J's "generate".
static void section_gen(const bench_shape *jsb, const bench_opts *o, cJSON *J, gen_result gr[POPE_PE_COUNT]) {
    cJSON *jgen = cJSON_AddArrayToObject(J, "generate");
    if (o->skip_gen) return;
    printf("\n[generate] pope_model_step with the KV cache, %d tokens from an empty cache\n", o->gen_tokens);
    for (int pe = POPE_PE_COUNT - 1; pe >= 0; pe--) {
        if (!o->pe_on[pe]) continue;
        gr[pe] = bench_gen(jsb, (pope_pe_kind)pe, o);
        if (!gr[pe].ok) continue;
        cJSON *o2 = cJSON_CreateObject();
        cJSON_AddStringToObject(o2, "pe", pope_pe_name((pope_pe_kind)pe));
        cJSON_AddNumberToObject(o2, "tokens", o->gen_tokens);
        cJSON_AddNumberToObject(o2, "tokens_per_s", gr[pe].tokens_per_s);
        cJSON_AddItemToArray(jgen, o2);
    }
}

// (c) evaluation at each context in a fresh process, into ev and J's "eval" (written to out
// after each result).
static void section_eval(const bench_shape *jsb, const bench_opts *o, cJSON *J, const char *out,
                         eval_result ev[POPE_PE_COUNT][8]) {
    cJSON *jeval = cJSON_AddArrayToObject(J, "eval");
    bench_shape eval_shape = *jsb;
    eval_shape.T = 2048;
    if (o->skip_eval) return;
    printf("\n[eval] pope_model_nll, batch 1, %s model, fresh process per context\n", jsb->name);
    for (int c = 0; c < o->n_contexts; c++) {        // the longest (slowest) last
        for (int pe = POPE_PE_COUNT - 1; pe >= 0; pe--) {
            if (!o->eval_pe_on[pe]) continue;
            if (o->contexts[c] > 16384 && !o->long_pe_on[pe]) continue;
            eval_result *r = &ev[pe][c];
            *r = bench_eval(&eval_shape, (pope_pe_kind)pe, o->contexts[c], o);
            fprintf(stderr, "  eval %-10s T %6d: %s %.2f s, %.0f tokens/s, peak %.0f MiB\n",
                    pope_pe_name((pope_pe_kind)pe), o->contexts[c], r->ok ? "" : "FAILED", r->seconds,
                    r->tokens_per_s, r->peak_kb / 1024.0);
            if (!r->ok) continue;
            cJSON *o2 = cJSON_CreateObject();
            cJSON_AddStringToObject(o2, "pe", pope_pe_name((pope_pe_kind)pe));
            cJSON_AddNumberToObject(o2, "T", o->contexts[c]);
            cJSON_AddNumberToObject(o2, "seconds", r->seconds);
            cJSON_AddNumberToObject(o2, "tokens_per_s", r->tokens_per_s);
            cJSON_AddNumberToObject(o2, "model_gflops", r->gflops);
            cJSON_AddNumberToObject(o2, "peak_rss_mib", r->peak_kb / 1024.0);
            cJSON_AddNumberToObject(o2, "mean_nll", r->nll);
            cJSON_AddItemToArray(jeval, o2);
            write_json(J, out);
        }
    }
}

// The evaluation and generation rows of the final table.
static void print_eval_gen(const bench_opts *o, eval_result ev[POPE_PE_COUNT][8], const gen_result gr[POPE_PE_COUNT]) {
    if (!o->skip_eval) {
        printf("\n%-10s %8s %10s %10s %12s\n", "eval pe", "context", "tokens/s", "GFLOP/s", "peak MiB");
        for (int pe = POPE_PE_COUNT - 1; pe >= 0; pe--)
            for (int c = 0; c < o->n_contexts && o->eval_pe_on[pe]; c++) {
                if (o->contexts[c] > 16384 && !o->long_pe_on[pe]) continue;
                const eval_result *r = &ev[pe][c];
                if (!r->ok) { printf("%-10s %8d FAILED\n", pope_pe_name((pope_pe_kind)pe), o->contexts[c]); continue; }
                printf("%-10s %8d %10.0f %10.1f %12.0f\n", pope_pe_name((pope_pe_kind)pe), o->contexts[c],
                       r->tokens_per_s, r->gflops, r->peak_kb / 1024.0);
            }
    }
    if (!o->skip_gen) {
        printf("\n%-10s %12s\n", "generate", "tokens/s");
        for (int pe = POPE_PE_COUNT - 1; pe >= 0; pe--)
            if (o->pe_on[pe]) {
                if (gr[pe].ok) printf("%-10s %12.0f\n", pope_pe_name((pope_pe_kind)pe), gr[pe].tokens_per_s);
                else printf("%-10s %12s\n", pope_pe_name((pope_pe_kind)pe), "FAILED");
            }
    }
}

// The training rows of the final table, with the polar/rope ratios and the PyTorch columns.
static void print_train(const bench_opts *o, const bench_shape *const *shapes, int n_shapes,
                        train_result tr[2][POPE_PE_COUNT], const cJSON *jtorch, const char *torch_why,
                        const double pair_ratio[2]) {
    const bench_shape jsb = *shapes[0], genome = *shapes[1];
    printf("\n%-16s %-10s %9s %8s %8s %8s %8s %7s %9s %7s\n", "train shape", "pe", "tokens/s", "step s",
           "fwd s", "bwd s", "GFLOP/s", "MFU", "torch t/s", "ratio");
    for (int i = 0; i < n_shapes; i++)
        for (int pe = POPE_PE_COUNT - 1; pe >= 0; pe--) {
            const train_result *r = &tr[i][pe];
            if (!o->pe_on[pe]) continue;
            if (!r->ok) { printf("%-16s %-10s FAILED\n", shapes[i]->name, pope_pe_name((pope_pe_kind)pe)); continue; }
            double tt = jtorch && i == 0 ? torch_tokens_per_s(jtorch, (pope_pe_kind)pe, "fp32") : NAN;
            char mfu[16] = "-", torch_tps[16] = "-", ratio[16] = "-";
            if (r->mfu > 0) snprintf(mfu, sizeof mfu, "%.1f%%", 100.0 * r->mfu);
            if (tt == tt) {
                snprintf(torch_tps, sizeof torch_tps, "%.0f", tt);
                snprintf(ratio, sizeof ratio, "%.2f", r->tokens_per_s / tt);
            }
            printf("%-16s %-10s %9.0f %8.3f %8.3f %8.3f %8.1f %7s %9s %7s\n", shapes[i]->name,
                   pope_pe_name((pope_pe_kind)pe), r->tokens_per_s, r->step_s, r->fwd_s, r->bwd_s,
                   r->model_tflops * 1e3, mfu, torch_tps, ratio);
        }
    printf("(%s: B %d T %d; %s: B %d T %d)\n", jsb.name, jsb.B, jsb.T, genome.name, genome.B, genome.T);
    for (int i = 0; i < n_shapes; i++) {
        const train_result *p = &tr[i][POPE_PE_POLAR], *r = &tr[i][POPE_PE_ROPE];
        if (p->ok && r->ok)
            printf("%s: polar step = %.2f x rope step (issue 5 target: <= 1.15)\n", shapes[i]->name,
                   p->step_s / r->step_s);
        if (pair_ratio[i] == pair_ratio[i])
            printf("%s: polar / rope with steps alternating: %.2f (median of %d pairs)\n",
                   shapes[i]->name, pair_ratio[i], o->pair_reps);
    }
    if (!jtorch && torch_why[0]) printf("PyTorch: skipped: %s\n", torch_why);
    if (jtorch) {
        const cJSON *ver = cJSON_GetObjectItemCaseSensitive(jtorch, "torch_version");
        const cJSON *att = cJSON_GetObjectItemCaseSensitive(jtorch, "attention");
        printf("PyTorch %s, attention: %s\n", cJSON_IsString(ver) ? ver->valuestring : "?",
               cJSON_IsString(att) ? att->valuestring : "materialised");
    }
}

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "--child-eval")) return child_eval(argc, argv);
    setvbuf(stdout, NULL, _IOLBF, 0);   // progress lines in order with stderr's
    bench_opts o;
    parse_args(&o, argc, argv);
    pope_runtime_init(o.threads);   // selects the BLIS kernels (skx on AVX-512)
    o.threads = pope_num_threads();
    o.source = find_source(o.source);

    bench_shape jsb = {"music-jsb-paper", 90, 256, 6, 8, o.quick ? 512 : 2048, 4};
    bench_shape genome;
    char genome_src[4300];
    genome_shape(&o, &genome, genome_src, sizeof genome_src);
    if (o.quick && genome.T > 512) {
        genome.B = genome.B * genome.T / 512 > 0 ? genome.B * genome.T / 512 : 1;
        if (genome.B > 8) genome.B = 8;
        genome.T = 512;
    }
    const bench_shape *shapes[2] = {&jsb, &genome};
    int n_shapes = o.skip_genome ? 1 : 2;

    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    char date[64], cpu[256];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cpu_model(cpu, sizeof cpu);
    char out[4400];
    if (o.out) snprintf(out, sizeof out, "%s", o.out);
    else {
        char stamp[64];
        strftime(stamp, sizeof stamp, "%Y-%m-%d-%H%M", &tm);
        char dir[4300];
        snprintf(dir, sizeof dir, "%s/bench/results", o.source);
        mkdir(dir, 0755);
        snprintf(out, sizeof out, "%s/%s%s.json", dir, stamp, o.quick ? "-quick" : "");
    }
    const char *blis_arch = bli_arch_string(bli_arch_query_id());
    double load_start = load_avg();
    printf("pope_bench %s — %s, %d threads, BLIS arch %s%s, load average %.2f\n", date, cpu, o.threads,
           blis_arch, o.quick ? " (--quick)" : "", load_start);
    if (load_start > 0.5)
        printf("  warning: the machine is busy (load %.2f): timings will be low and noisy\n", load_start);

    cJSON *J = bench_header(&o, argc, argv, shapes, n_shapes, genome_src, date, cpu, blis_arch, load_start);
    cJSON *jm = cJSON_GetObjectItemCaseSensitive(J, "machine");
    // ---- (a) sgemm and peak
    double gemm_rate[2] = {NAN, NAN}, peak = NAN;
    const char *isa = "?";
    if (!o.skip_gemm) section_sgemm(&o, shapes, n_shapes, J, gemm_rate, &peak, &isa);
    write_json(J, out);

    // ---- (b) training and (e) PyTorch
    train_result tr[2][POPE_PE_COUNT];
    memset(tr, 0, sizeof tr);
    cJSON *jtrain_item[2][POPE_PE_COUNT] = {{0}};
    section_train(&o, shapes, n_shapes, gemm_rate, peak, J, tr, jtrain_item);
    write_json(J, out);
    char torch_why[4400] = "";
    cJSON *jtorch = section_torch(&o, shapes, n_shapes, tr, jtrain_item, J, torch_why, sizeof torch_why);
    write_json(J, out);

    // ---- polar against rope, steps alternating (the issue-5 ratio without drift)
    double pair_ratio[2] = {NAN, NAN};
    if (!o.skip_pair && o.pe_on[POPE_PE_POLAR] && o.pe_on[POPE_PE_ROPE]) {
        printf("\n[pair] polar vs rope, training steps alternating (1 warm-up each)\n");
        cJSON *jp = cJSON_AddObjectToObject(J, "polar_over_rope_paired");
        for (int i = 0; i < n_shapes; i++)
            pair_ratio[i] = bench_pair(shapes[i], o.pair_reps, cJSON_AddObjectToObject(jp, shapes[i]->name));
        write_json(J, out);
    }

    // ---- (g) bf16 precision: pope bf16 vs fp32 vs PyTorch fp32 / bf16 autocast (issue 10)
    bf16_results bf;
    memset(&bf, 0, sizeof bf);
    if (!o.skip_bf16) {
        bench_bf16(shapes, n_shapes, &o, tr, gemm_rate, J, &bf);
        write_json(J, out);
    }

    // ---- (f) per-op breakdown on the music-jsb-paper shape, polar and rope
    if (!o.skip_ops) {
        printf("\n[ops] kernel times x calls per training step (median of 3 after 1)\n");
        cJSON *jops = cJSON_AddArrayToObject(J, "ops");
        const pope_pe_kind op_pes[2] = {POPE_PE_POLAR, POPE_PE_ROPE};
        for (int i = 0; i < 2; i++)
            if (o.pe_on[op_pes[i]])
                report_ops(&jsb, op_pes[i], 3, tr[0][op_pes[i]].ok ? tr[0][op_pes[i]].step_s : 0, jops);
        write_json(J, out);
    }

    // ---- (d) generation
    gen_result gr[POPE_PE_COUNT];
    memset(gr, 0, sizeof gr);
    section_gen(&jsb, &o, J, gr);
    write_json(J, out);

    // ---- (c) evaluation
    eval_result ev[POPE_PE_COUNT][8];
    memset(ev, 0, sizeof ev);
    section_eval(&jsb, &o, J, out, ev);
    // ---- the table
    printf("\n== pope_bench %s, %s, %d threads ==\n", date, cpu, o.threads);
    if (!o.skip_gemm)
        printf("sgemm: FMA peak %.0f GFLOP/s (%s); model GEMM sets: %s %.0f, %s %.0f GFLOP/s\n", peak, isa,
               jsb.name, gemm_rate[0], n_shapes > 1 ? genome.name : "-", n_shapes > 1 ? gemm_rate[1] : NAN);
    if (!o.skip_train) print_train(&o, shapes, n_shapes, tr, jtorch, torch_why, pair_ratio);
    if (!o.skip_bf16) report_bf16(shapes, n_shapes, tr, gemm_rate, &bf);
    print_eval_gen(&o, ev, gr);
    double load_end = load_avg();
    cJSON_AddNumberToObject(jm, "load_avg_end", load_end);
    printf("load average: %.2f at start, %.2f at end (other processes share these cores)\n", load_start,
           load_end);
    if (write_json(J, out) != 0) {
        cJSON_Delete(J);
        return 1;
    }
    printf("\nresults: %s\n", out);
    cJSON_Delete(J);
    return 0;
}

// bench_internal.h — what bench.c (the runs) and bench_report.c (the report built from
// them) share: one finished run as its result.json holds it.
#ifndef POPE_BENCH_INTERNAL_H
#define POPE_BENCH_INTERNAL_H

#include "pipeline_internal.h"

enum { BENCH_MAX_CTX = 32, BENCH_MAX_LAYERS = 64, BENCH_MAX_ARMS = 6 };

// An arm: an encoding and, for polar, its δ parameterisation. Named by its folder:
// "polar" (clamp, the paper's), "polar-sigmoid", "rope", ... (δ means nothing to the others,
// whose dp is always clamp).
typedef struct {
    pope_pe_kind pe;
    pope_delta_param dp;
} bench_arm;
// All arms in report order: polar, polar-sigmoid, rope, legendre, sinusoidal, none.
extern const bench_arm bench_arms[BENCH_MAX_ARMS];
const char *bench_arm_name(bench_arm a, char *buf, size_t size);
int bench_arm_parse(const char *name, bench_arm *a);
int bench_arm_same(bench_arm a, bench_arm b);

typedef struct {
    pope_pe_kind pe;
    pope_delta_param dp;         // polar's δ parameterisation (clamp for the others)
    uint64_t seed;
    int64_t steps, tokens;
    double seconds;              // training wall time
    double wall_s;               // training + test NLL + extrapolation
    double train_loss, valid_nll, test_nll;
    double tokens_per_s;         // training throughput of the last logged step
    int64_t test_targets;
    int threads;
    int n_ctx;
    int ctx[BENCH_MAX_CTX];      // absolute contexts in tokens
    double ctx_nll[BENCH_MAX_CTX];
    int n_frozen;                // polar: layers with a δ frozen share (0 otherwise)
    double frozen[BENCH_MAX_LAYERS];
    double *curve_x, *curve_y;   // smoothed training loss (from log.jsonl)
    int curve_n;
} bench_run;

// result.json of a run <-> bench_run (curves excluded: they come from log.jsonl).
cJSON *bench_run_to_json(const bench_run *r);
int bench_run_from_json(bench_run *r, const char *path);
// The training loss of DIR/log.jsonl, moving average over ~1% of the run.
void bench_load_curve(bench_run *r, const char *dir);

typedef struct {
    const pope_preset *p;        // the preset as every run trained with it (pe, seed aside)
    const char *tokenizer;
    const int *mult;             // extrapolation contexts, multiples of the training context
    int n_mult;
    int64_t test_longest;        // tokens of the longest test sequence
    const cJSON *settings;       // DIR/bench.json's settings and invocations
    const cJSON *invocations;
    int64_t test_tokens;
} bench_report_info;

// DIR/report.md (also to `md_out` when not NULL), DIR/report.json, DIR/curves.svg and
// DIR/extrapolation.svg from runs[0..n) (grouped by encoding in the given order).
int bench_write_report(const char *dir, const bench_report_info *info, const bench_run *runs, int n, FILE *md_out);
#endif

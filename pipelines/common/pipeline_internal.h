// pipeline_internal.h — helpers shared by the files of libpope_pipeline (not public).
#ifndef POPE_PIPELINE_INTERNAL_H
#define POPE_PIPELINE_INTERNAL_H

#include <cjson/cJSON.h>
#include "pope_pipeline.h"

// Scores B windows of n tokens each, stored row after row in tok (B, n): inputs tokens
// 0..n−2, targets 1..n−1 mapped through ignore_target. Adds the NLL sum, the target
// count and the per-bucket sums (when r->n_buckets > 0, bucket = position / bucket_size)
// into r.
int score_windows(pope_model *m, const pope_corpus *c, const int32_t *tok, int B, int n,
                  pope_eval_result *r);

// Allocates r's buckets for positions 0..max_pos−1 (bucket_size > 0) and zeroes r.
int eval_result_init(pope_eval_result *r, int context, int bucket_size, int max_pos);

int pipeline_isatty_stderr(void);

// Training-window sampler (sampler.c).
typedef struct {
    int64_t n_seqs;
    int64_t *cum;      // (n_seqs) cumulative count of window starts: max(0, len − n + 1) each
    int64_t total;
} sampler;
// Prepares uniform window sampling over the train split (nothing when c->sample_train).
int sampler_init(sampler *s, const pope_corpus *c, int64_t n);
// Draws one window of n tokens into out (ids checked against V). ≤ 1000 tries.
int draw_window(const pope_corpus *c, const sampler *s, pope_rng *rng, int64_t n, int V, int32_t *out);

// --contexts as multiples of the training context T0: an error when one would be longer
// than an extrapolation context may be (2^24 tokens; also keeps mult × T0 an int).
int pipeline_check_context_multiples(const int *mult, int n, int T0);

// Markdown/JSON helpers.
void pipeline_json_add_result(cJSON *o, const pope_eval_result *r);
#endif

// train.c — the training loop shared by pope-genome and pope-music.
//
// One optimizer step = `accum` × ranks micro-batches of B windows of context+1 tokens each
// (inputs 0..T−1, targets 1..T through ignore_target), gradients averaged, AdamW at the
// LR of pope_lr_schedule. Micro-batch g of a step draws its windows and dropout from
// streams that are pure functions of (seed, step, g); rank r of N takes g = r, r+N, ...
// and the gradients are summed over the ranks (dist.h), so N ranks compute what one
// process with N× the accumulation does, and --resume continues bit-identically (same
// thread count) with any number of ranks: the data position is the step.
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dist.h"
#include "pipeline_internal.h"

enum { WEIGHT_CHECK_EVERY = 100 };   // steps between the ranks' weight comparisons

// ---------------------------------------------------------------- curve data
typedef struct {
    double *x, *y;
    int n, cap;
} series_buf;

static void series_push(series_buf *s, double x, double y) {
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 256;
        double *nx = realloc(s->x, cap * sizeof *nx), *ny = realloc(s->y, cap * sizeof *ny);
        if (nx) s->x = nx;
        if (ny) s->y = ny;
        if (!nx || !ny) return;   // the curve just stops growing
        s->cap = cap;
    }
    s->x[s->n] = x, s->y[s->n] = y, s->n++;
}

static int write_curve(const char *dir, const series_buf *tr, const series_buf *va, const char *title) {
    char path[4200];
    snprintf(path, sizeof path, "%s/curve.svg", dir);
    pope_series s[2] = {{"train loss", tr->x, tr->y, tr->n, 0}, {"valid NLL", va->x, va->y, va->n, 1}};
    pope_chart ch = {title, "step", "loss (nats/token)", 0};
    return pope_svg_line_chart(path, &ch, s, va->n > 0 ? 2 : 1);
}

// Keeps the log lines of steps <= max_step (a resumed run rewrites what came after) and
// refills the curves from them.
static int reload_log(const char *path, int64_t max_step, series_buf *tr, series_buf *va) {
    char *text = pope_read_file(path, NULL);
    if (!text) return 0;   // no log: start a new one
    size_t len = strlen(text), out = 0;
    char *keep = malloc(len + 1);
    if (!keep) {
        free(text);
        return pope_error("out of memory");
    }
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        size_t ll = nl ? (size_t)(nl - line) : strlen(line);
        char save = line[ll];
        line[ll] = '\0';
        cJSON *o = cJSON_Parse(line);
        const cJSON *st = o ? cJSON_GetObjectItemCaseSensitive(o, "step") : NULL;
        if (st && cJSON_IsNumber(st) && st->valuedouble <= (double)max_step) {
            memcpy(keep + out, line, ll);
            out += ll;
            keep[out++] = '\n';
            const cJSON *l = cJSON_GetObjectItemCaseSensitive(o, "loss");
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "valid_nll");
            if (l && cJSON_IsNumber(l)) series_push(tr, st->valuedouble, l->valuedouble);
            if (v && cJSON_IsNumber(v)) series_push(va, st->valuedouble, v->valuedouble);
        }
        cJSON_Delete(o);
        line[ll] = save;
        line += ll + (nl ? 1 : 0);
    }
    keep[out] = '\0';
    int rc = pope_write_file_atomic(path, keep);
    free(keep);
    free(text);
    return rc;
}

// Validation NLL on a bounded, evenly spaced slice of the valid split at the training
// context: logged to log.jsonl and the curve, and announced on stderr unless prog is NULL.
static int validate(pope_model *m, const pope_corpus *c, const pope_train_config *tc, int64_t step, FILE *logf,
                    series_buf *va, const char *prog, int tty, double *nll) {
    pope_eval_opts eo;
    pope_eval_opts_default(&eo);
    eo.split = POPE_SPLIT_VALID;
    eo.max_targets = tc->eval_tokens;
    pope_eval_result er;
    if (pope_eval(m, c, &eo, &er) != 0) return -1;
    *nll = er.nll;
    if (logf)   // rank 0 alone logs
        fprintf(logf, "{\"step\":%lld,\"valid_nll\":%.6f,\"valid_targets\":%lld}\n", (long long)step, er.nll,
            (long long)er.targets);
    if (logf) fflush(logf);
    series_push(va, (double)step, er.nll);
    if (prog)
        fprintf(stderr, "%s%s: step %lld: valid NLL %.4f (%lld targets)\n", tty ? "\r\033[K" : "", prog,
                (long long)step, er.nll, (long long)er.targets);
    pope_eval_result_free(&er);
    return 0;
}

// Polar: the share of frozen δ per layer (pope_model_delta_frozen) as a JSON array
// "[0.125,0]" into buf; "" for other encodings.
static void frozen_json(const pope_model *m, char *buf, size_t size) {
    double share[64];
    int n = pope_model_delta_frozen(m, share, 64), len = 0;
    buf[0] = '\0';
    if (n <= 0) return;
    if (n > 64) n = 64;
    len += snprintf(buf + len, size - len, "[");
    for (int l = 0; l < n && (size_t)len < size; l++) len += snprintf(buf + len, size - len, "%s%.4g", l ? "," : "", share[l]);
    if ((size_t)len < size) snprintf(buf + len, size - len, "]");
}

// The checkpoint metadata `meta` plus "pope.delta_frozen" (polar) at this point of the run.
static char *metadata_now(const char *meta, const pope_model *m) {
    char fz[1024];
    frozen_json(m, fz, sizeof fz);
    cJSON *o = cJSON_Parse(meta);
    if (!o) return NULL;
    if (fz[0]) cJSON_AddStringToObject(o, "pope.delta_frozen", fz);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

// A training checkpoint: model, AdamW moments, step, tokens, the data RNG, and as user
// JSON the wall time so far (for --time across resumes), the seed (as a string: JSON
// numbers are doubles) and the micro-batches per step over all ranks (the global batch,
// which a resume on another number of ranks keeps).
static int save_checkpoint(const char *path, const pope_model *m, const pope_adamw *opt, int64_t step,
                           int64_t tokens, const pope_rng *rng, double elapsed, uint64_t seed, int micro_batches,
                           const char *meta) {
    char uj[160];
    snprintf(uj, sizeof uj, "{\"elapsed_s\":%.3f,\"seed\":\"%llu\",\"micro_batches\":%d}", elapsed,
             (unsigned long long)seed, micro_batches);
    pope_train_state cs = {step, tokens, *rng, uj};
    char *md = metadata_now(meta, m);
    int rc = md ? pope_save(path, m, opt, &cs, md) : pope_error("train: metadata: out of memory");
    free(md);
    return rc;
}

// The checkpoint's __metadata__ additions: the program's own keys plus the preset.
static char *build_metadata(const pope_preset *p, const char *extra) {
    cJSON *o = extra ? cJSON_Parse(extra) : cJSON_CreateObject();
    if (!o || !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        pope_error("train: extra_metadata is not a JSON object");
        return NULL;
    }
    char *pj = pope_preset_to_json(p);
    if (pj) {
        cJSON_DeleteItemFromObjectCaseSensitive(o, "pope.preset");
        cJSON_AddStringToObject(o, "pope.preset", pj);
    }
    free(pj);
    cJSON_DeleteItemFromObjectCaseSensitive(o, "pope.precision");  // of the run that wrote it
    cJSON_AddStringToObject(o, "pope.precision", pope_precision_name(pope_get_precision()));
    cJSON_DeleteItemFromObjectCaseSensitive(o, "pope.attention_kernel");
    cJSON_AddStringToObject(o, "pope.attention_kernel", pope_attention_kernel());
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

// The data stream of micro-batch g (counted over all ranks) of step `step`.
static void microbatch_rng(pope_rng *r, uint64_t seed, int64_t step, int64_t g) {
    uint64_t h = pope_splitmix64(seed ^ 0xDA7A5A3D1E5ull);
    h = pope_splitmix64(h ^ (uint64_t)step);
    pope_rng_seed(r, h ^ (uint64_t)g);
}

// The local accumulation on a resume: the checkpoint's micro-batches per step (over all
// ranks) shared out among this run's ranks. -1 when they do not divide evenly.
static int resume_accum(const char *user_json, int accum, int *out) {
    cJSON *u = user_json ? cJSON_Parse(user_json) : NULL;
    const cJSON *g = u ? cJSON_GetObjectItemCaseSensitive(u, "micro_batches") : NULL;
    double Gd = g && cJSON_IsNumber(g) ? g->valuedouble : (double)accum * dist_size();
    cJSON_Delete(u);
    if (!(Gd >= 1 && Gd <= (1 << 20)) || Gd != (int)Gd)   // --accum's own bound
        return pope_error("--resume: the checkpoint's micro_batches per step (%g) is not an integer in [1, %d]", Gd,
                          1 << 20);
    int G = (int)Gd, N = dist_size();
    if (G % N != 0)
        return pope_error("--resume: the checkpoint took %d micro-batches per step, which %d ranks cannot share "
                          "evenly: run with a number of ranks that divides %d", G, N, G);
    *out = G / N;
    return 0;
}

// ---------------------------------------------------------------- resume
// Train settings that do not change the run's trajectory (or that the run keeps: seed, and
// accum, whose micro-batches per step the checkpoint fixes for any number of ranks), and
// those an explicit extension may grow.
static const char *const resume_free[] = {"threads", "eval_every", "eval_tokens", "checkpoint_every", "log_every",
                                          "seed", "accum", "steps", "time", NULL};

// Whether preset p (model config cfg) may continue the run in ckpt (model config had, at
// step done): the same model, the same training settings but for resume_free, and the
// same end unless extend (then any end past step done). -1 with the differing fields named.
static int check_resume(const char *ckpt, const pope_config *had, const pope_config *cfg, const pope_preset *p,
                        int extend, int64_t done) {
    char diff[1024];
    if (pope_fields_diff(pope_config_fields, had, cfg, NULL, diff, sizeof diff) > 0)
        return pope_error("--resume: %s was trained with another model config: %s", ckpt, diff);
    pope_preset run;
    if (pope_preset_from_checkpoint(&run, ckpt) != 0) return 0;   // older checkpoints: the model check only
    const pope_train_config *a = &run.train, *b = &p->train;
    if (pope_fields_diff(pope_train_fields, a, b, resume_free, diff, sizeof diff) > 0)
        return pope_error("--resume: the run in %s was started with other training settings: %s (resume with its "
                          "settings, or train into another --out)", ckpt, diff);
    pope_train_config end = *b;   // b with the run's end: the difference is the end alone
    end.steps = a->steps;
    end.time_s = a->time_s;
    if (pope_fields_diff(pope_train_fields, &end, b, NULL, diff, sizeof diff) == 0) return 0;
    if (extend && b->steps > done) return 0;
    if (extend) return pope_error("--resume: the run is at step %lld already; %s", (long long)done, diff);
    return pope_error("--resume continues the run to its end; %s: add --extend to train to the new end", diff);
}

// ---------------------------------------------------------------- the run
// One training run: what pope_train's phases (setup, start or resume, steps, log,
// checkpoint, finish) share.
typedef struct {
    const pope_corpus *c;
    const pope_preset *p;
    const pope_train_opts *o;
    const pope_train_config *tc;
    pope_config cfg;             // p->model with the corpus's vocabulary and tokenizer
    const char *prog;
    int T, B, V;
    int64_t n;                   // T + 1 tokens per window
    int N, rank, root;           // ranks (dist.h), this one, whether it is rank 0
    int accum;                   // per rank; accum × N micro-batches make a step
    int G;                       // micro-batches per step over all ranks
    char ckpt[4200], final[4200], logp[4200];
    sampler smp;
    pope_model *m;
    pope_adamw *opt;
    pope_train_state st;         // what a resumed checkpoint held
    pope_rng rng;
    double elapsed0;             // wall time of the runs before a resume
    uint64_t seed;               // a resumed run keeps the seed it started with
    series_buf tr, va;
    int32_t *win, *in, *tg;
    FILE *logf;                  // rank 0 alone writes the run's files
    char *meta;
    float *flat;                 // the gradients of all ranks, summed
    size_t flat_cap;
    int do_valid, tty;
    int64_t step, tokens, steps_here, sched_total;
    double t_start, train_time;
    double step_t0, comm_s;      // the last step's start and its time in communication
    int interrupted;             // the last step: some rank was interrupted
    float loss;
} train_run;

// Checks the preset against the corpus and prepares the paths and the sampler.
static int run_setup(train_run *r, const pope_corpus *c, const pope_preset *p, const pope_train_opts *o) {
    if (!o || !o->out_dir) return pope_error("train: no output directory");
    r->c = c, r->p = p, r->o = o;
    r->prog = o->program ? o->program : "pope";
    r->tc = &p->train;
    r->cfg = p->model;
    r->cfg.vocab_size = c->vocab_size;
    snprintf(r->cfg.tokenizer, sizeof r->cfg.tokenizer, "%s", c->tokenizer ? c->tokenizer : "");
    if (pope_config_validate(&r->cfg) != 0) return -1;
    const pope_train_config *tc = r->tc;
    if (tc->batch < 1 || tc->accum < 1 || tc->steps < 1) return pope_error("train: batch, accum and steps must be >= 1");
    if (tc->threads > 0) pope_runtime_init(tc->threads);
    r->T = r->cfg.context_length, r->B = tc->batch, r->V = r->cfg.vocab_size;
    r->n = (int64_t)r->T + 1;
    r->N = dist_size(), r->rank = dist_rank(), r->root = dist_is_root();
    r->accum = tc->accum;
    r->seed = tc->seed;
    r->loss = NAN;

    if (pope_mkdir_p(o->out_dir) != 0) return -1;
    snprintf(r->ckpt, sizeof r->ckpt, "%s/checkpoint.safetensors", o->out_dir);
    snprintf(r->final, sizeof r->final, "%s/model.safetensors", o->out_dir);
    snprintf(r->logp, sizeof r->logp, "%s/log.jsonl", o->out_dir);
    return sampler_init(&r->smp, c, r->n);
}

// --resume: the checkpoint's model, optimizer, data RNG, wall time, seed and micro-batches
// per step; the log cut back to its step.
static int run_resume(train_run *r) {
    const char *prog = r->prog;
    if (access(r->ckpt, R_OK) != 0) return pope_error("--resume: %s not found (nothing to resume)", r->ckpt);
    r->m = pope_load(r->ckpt, &r->opt, &r->st);
    if (!r->m || check_resume(r->ckpt, pope_model_config(r->m), &r->cfg, r->p, r->o->extend, r->st.step) != 0)
        return -1;
    r->rng = r->st.rng;
    if (r->st.user_json) {
        cJSON *u = cJSON_Parse(r->st.user_json);
        const cJSON *e = u ? cJSON_GetObjectItemCaseSensitive(u, "elapsed_s") : NULL;
        if (e && cJSON_IsNumber(e)) r->elapsed0 = e->valuedouble;
        const cJSON *sd = u ? cJSON_GetObjectItemCaseSensitive(u, "seed") : NULL;
        if (sd && cJSON_IsString(sd)) r->seed = strtoull(sd->valuestring, NULL, 10);
        cJSON_Delete(u);
    }
    if (resume_accum(r->st.user_json, r->tc->accum, &r->accum) != 0) return -1;
    if (r->root && reload_log(r->logp, r->st.step, &r->tr, &r->va) != 0) return -1;
    if (!r->o->quiet)
        fprintf(stderr, "%s: resuming %s at step %lld of %lld\n", prog, r->ckpt, (long long)r->st.step,
                (long long)r->tc->steps);
    if (!r->o->quiet && r->accum != r->tc->accum)
        fprintf(stderr, "%s: note: %d micro-batches per rank per step, to keep the checkpoint's %d per step\n",
                prog, r->accum, r->accum * r->N);
    return 0;
}

// A new run: a fresh model, optimizer and data RNG, and a new log.
static int run_start(train_run *r) {
    if (access(r->ckpt, F_OK) == 0)
        return pope_error("%s already holds a training run: add --resume to continue it, or choose another --out",
                          r->o->out_dir);
    const pope_train_config *tc = r->tc;
    r->m = pope_model_new(&r->cfg, tc->seed);
    if (!r->m) return -1;
    r->opt = pope_adamw_new(r->m);
    if (!r->opt) return -1;
    pope_rng_seed(&r->rng, pope_splitmix64(tc->seed ^ 0xDA7A5A3D1E5ull));
    FILE *f = r->root ? fopen(r->logp, "w") : NULL;   // a new run starts a new log
    if (r->root && !f) return pope_error("%s: cannot write: %s", r->logp, strerror(errno));
    if (f) fclose(f);
    return 0;
}

// The log (appended to), the checkpoint metadata and the batch buffers.
static int run_open(train_run *r) {
    r->logf = r->root ? fopen(r->logp, "a") : NULL;   // rank 0 alone writes the run's files
    if (r->root && !r->logf) return pope_error("%s: cannot write: %s", r->logp, strerror(errno));
    r->meta = build_metadata(r->p, r->o->extra_metadata);
    if (!r->meta) return -1;
    if (r->root && !r->o->quiet)
        fprintf(stderr, "%s: precision %s (attention: %s)\n", r->prog, pope_precision_name(pope_get_precision()),
                pope_attention_kernel());
    const int B = r->B, T = r->T;
    r->win = malloc((size_t)B * r->n * sizeof *r->win);
    r->in = malloc((size_t)B * T * sizeof *r->in);
    r->tg = malloc((size_t)B * T * sizeof *r->tg);
    if (!r->win || !r->in || !r->tg) return pope_error("out of memory for a batch of %d x %d tokens", B, T);
    r->do_valid = pope_split_windows(r->c, POPE_SPLIT_VALID, T, NULL) > 0;
    if (!r->do_valid && !r->o->quiet) fprintf(stderr, "%s: note: the valid split is empty, no validation\n", r->prog);
    return 0;
}

static void run_free(train_run *r) {
    if (r->logf) fclose(r->logf);
    free(r->meta);
    free(r->flat);
    free(r->win);
    free(r->in);
    free(r->tg);
    free(r->smp.cum);
    free(r->tr.x), free(r->tr.y), free(r->va.x), free(r->va.y);
    free(r->st.user_json);
    if (r->opt) pope_adamw_free(r->opt);
    if (r->m) pope_model_free(r->m);
}

// The LR of this step. With a time budget the cosine ends where the budget is expected
// to end (r->sched_total).
static float run_lr(train_run *r, double elapsed) {
    const pope_train_config *tc = r->tc;
    const int64_t step = r->step;
    int64_t total = tc->steps, warmup = tc->warmup;
    if (tc->time_s > 0 && step >= 3) {
        double per_step = elapsed / (double)step;   // over all sessions, so a resume needs no warm-up
        double est = step + (tc->time_s - elapsed) / per_step;
        if (est < total) total = est < step + 1 ? step + 1 : (int64_t)est;
        if (warmup >= total) warmup = total / 10;
    }
    r->sched_total = total;
    return pope_lr_schedule(step, warmup, total, tc->lr, tc->lr_min);
}

// One optimizer step: this rank's accum micro-batches of B windows, the gradients summed
// over the ranks, AdamW. r->loss = the mean loss over all G micro-batches.
static int run_step(train_run *r, float lr, float *gnorm) {
    const pope_corpus *c = r->c;
    const pope_train_config *tc = r->tc;
    const int B = r->B, T = r->T, G = r->G;
    const int64_t n = r->n;
    double ts = pope_now(), comm0 = dist_comm_seconds();
    r->step_t0 = ts;
    pope_model_zero_grad(r->m);
    double loss_sum = 0;
    for (int a = 0; a < r->accum; a++) {
        int64_t g = (int64_t)a * r->N + r->rank;   // this rank's share of the step's micro-batches
        pope_rng mrng;
        microbatch_rng(&mrng, r->seed, r->step, g);
        for (int b = 0; b < B; b++)
            if (draw_window(c, &r->smp, &mrng, n, r->V, r->win + (size_t)b * n) != 0) return -1;
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++) {
                int32_t y = r->win[(size_t)b * n + t + 1];
                r->in[(size_t)b * T + t] = r->win[(size_t)b * n + t] & ~POPE_INPUT_ONLY;
                r->tg[(size_t)b * T + t] = y & POPE_INPUT_ONLY ? POPE_IGNORE : c->ignore_target ? c->ignore_target(c->ctx, y) : y;
            }
        uint64_t dseed = pope_splitmix64(r->seed ^ pope_splitmix64((uint64_t)r->step * 1024 + (uint64_t)g));
        float l;
        if (pope_model_forward(r->m, r->in, r->tg, B, T, 1, dseed, &l) != 0) return -1;
        if (pope_model_backward(r->m, 1.0f / G) != 0) return -1;
        loss_sum += l;
    }
    // the sums over the ranks: gradients, loss, and whether any rank was interrupted
    double red[2] = {loss_sum, r->o->interrupt && *r->o->interrupt ? 1.0 : 0.0};
    if (dist_sum_grads(r->m, &r->flat, &r->flat_cap) != 0 || dist_allreduce_sum_f64(red, 2) != 0) return -1;
    r->comm_s = dist_comm_seconds() - comm0;
    r->interrupted = red[1] > 0;
    *gnorm = 0;
    if (pope_adamw_step(r->opt, r->m, &tc->adamw, lr, gnorm) != 0) return -1;
    r->loss = (float)(red[0] / G);
    r->step++, r->steps_here++;
    r->tokens += (int64_t)B * T * G;
    r->train_time += pope_now() - ts;
    if (!isfinite(r->loss))
        return pope_error("training diverged: loss is %f at step %lld (try a lower --lr)", r->loss, (long long)r->step);
    return 0;
}

// The step's line in log.jsonl (rank 0) and its point on the curve; returns the throughput.
static double run_log(train_run *r, float lr, float gnorm, double elapsed) {
    const pope_train_config *tc = r->tc;
    const int64_t step = r->step;
    double tps = r->steps_here * (double)r->B * r->T * r->G / r->train_time;
    if (r->logf) {
        FILE *logf = r->logf;
        fprintf(logf, "{\"step\":%lld,\"loss\":%.6f,\"lr\":%.6g,\"grad_norm\":%.6g,\"tokens\":%lld,"
                      "\"tokens_per_s\":%.1f,\"elapsed_s\":%.3f,\"precision\":\"%s\"",
                (long long)step, r->loss, lr, gnorm, (long long)r->tokens, tps, elapsed,
                pope_precision_name(pope_get_precision()));
        if (r->N > 1)   // the bench's communication share (docs/SCALING.md)
            fprintf(logf, ",\"ranks\":%d,\"step_s\":%.4f,\"allreduce_s\":%.4f", r->N, pope_now() - r->step_t0,
                    r->comm_s);
        // polar: the frozen δ share every log_every steps and at the last step
        char fz[1024] = "";
        if (step % (tc->log_every > 0 ? tc->log_every : 1) == 0 || step == tc->steps ||
            (tc->time_s > 0 && elapsed >= tc->time_s))
            frozen_json(r->m, fz, sizeof fz);
        if (fz[0]) fprintf(logf, ",\"delta_frozen\":%s", fz);
        fputs("}\n", logf);
        fflush(logf);
    }
    series_push(&r->tr, (double)step, r->loss);
    return tps;
}

// The progress line on stderr (in place on a terminal).
static void run_progress(const train_run *r, float lr, double tps, double elapsed) {
    const pope_train_config *tc = r->tc;
    const int64_t step = r->step, steps = tc->steps, sched_total = r->sched_total;
    char b1[32], b2[32];
    double left = (sched_total - step) * ((elapsed - r->elapsed0) / r->steps_here);
    if (tc->time_s > 0 && tc->time_s - elapsed < left) left = tc->time_s - elapsed;
    // with a time budget the total is the current estimate of the steps that fit
    char of[40] = "";
    if (sched_total < POPE_STEPS_UNBOUNDED)
        snprintf(of, sizeof of, "/%s%lld", sched_total < steps ? "~" : "", (long long)sched_total);
    fprintf(stderr, "%sstep %lld%s  loss %.4f  lr %.2e  %.0f tok/s  %s  ETA %s%s", r->tty ? "\r\033[K" : "",
            (long long)step, of, r->loss, lr, tps, pope_format_duration(elapsed, b1, sizeof b1),
            pope_format_duration(left > 0 ? left : 0, b2, sizeof b2), r->tty ? "" : "\n");
}

// After the last step: the final validation, checkpoint, model and curve (rank 0 writes).
static int run_finish(train_run *r, pope_train_result *res, double elapsed) {
    if (!res->interrupted && r->do_valid &&
        validate(r->m, r->c, r->tc, r->step, r->logf, &r->va, r->o->quiet ? NULL : r->prog, 0, &res->valid_nll) != 0)
        return -1;
    if (dist_check_weights(r->m, r->step) != 0) return -1;
    if (r->root) {
        if (save_checkpoint(r->ckpt, r->m, r->opt, r->step, r->tokens, &r->rng, elapsed, r->seed, r->G, r->meta) != 0)
            return -1;
        char *md = metadata_now(r->meta, r->m);
        int rc = md ? pope_save(r->final, r->m, NULL, NULL, md) : pope_error("train: metadata: out of memory");
        free(md);
        if (rc != 0) return -1;
        char title[128];
        snprintf(title, sizeof title, "%s (%s): training curve", r->p->name[0] ? r->p->name : "pope",
                 pope_pe_name(r->cfg.pe));
        if (write_curve(r->o->out_dir, &r->tr, &r->va, title) != 0) return -1;
    }
    return dist_barrier();   // the files are in place for every rank
}

// ---------------------------------------------------------------- the loop
int pope_train(const pope_corpus *c, const pope_preset *p, const pope_train_opts *o, pope_train_result *res) {
    pope_train_result dummy;
    if (!res) res = &dummy;
    memset(res, 0, sizeof *res);
    res->valid_nll = NAN;
    res->last_loss = NAN;
    train_run r = {0};
    int rc = -1;
    if (run_setup(&r, c, p, o) != 0) goto done;
    if ((o->resume ? run_resume(&r) : run_start(&r)) != 0 || run_open(&r) != 0) goto done;

    const pope_train_config *tc = r.tc;
    const int64_t steps = tc->steps;
    r.tty = pipeline_isatty_stderr() && !o->quiet;
    r.step = r.st.step, r.tokens = r.st.tokens_seen;
    r.t_start = pope_now();
    r.sched_total = steps;
    r.G = r.accum * r.N;
    if (dist_check_weights(r.m, r.step) != 0) goto done;
    while (r.step < steps) {
        double elapsed = r.elapsed0 + pope_now() - r.t_start;
        if (dist_bcast(&elapsed, sizeof elapsed, 0) != 0) goto done;   // rank 0's clock: the same budget and LR
        if (tc->time_s > 0 && elapsed >= tc->time_s) break;
        float lr = run_lr(&r, elapsed), gnorm;
        if (run_step(&r, lr, &gnorm) != 0) goto done;
        elapsed = r.elapsed0 + pope_now() - r.t_start;
        double tps = run_log(&r, lr, gnorm, elapsed);
        const int64_t step = r.step;
        if (r.do_valid && tc->eval_every > 0 && step % tc->eval_every == 0 && step < steps) {
            if (validate(r.m, c, tc, step, r.logf, &r.va, o->quiet ? NULL : r.prog, r.tty, &res->valid_nll) != 0)
                goto done;
        }
        int stop = r.interrupted || (o->stop_at_step > 0 && step >= o->stop_at_step);
        int last = step == steps || (tc->time_s > 0 && elapsed >= tc->time_s);
        if (!o->quiet && (r.tty || step % (tc->log_every > 0 ? tc->log_every : 1) == 0 || last || stop))
            run_progress(&r, lr, tps, elapsed);
        if (step % WEIGHT_CHECK_EVERY == 0 && dist_check_weights(r.m, step) != 0) goto done;
        if (tc->checkpoint_every > 0 && step % tc->checkpoint_every == 0 && step < steps && !stop) {
            if (r.root && save_checkpoint(r.ckpt, r.m, r.opt, step, r.tokens, &r.rng, elapsed, r.seed, r.G, r.meta) != 0)
                goto done;
        }
        if (stop) {
            res->interrupted = 1;
            break;
        }
    }
    if (r.tty) fputc('\n', stderr);

    double elapsed = r.elapsed0 + pope_now() - r.t_start;
    if (run_finish(&r, res, elapsed) != 0) goto done;
    res->steps = r.step;
    res->tokens = r.tokens;
    res->seconds = elapsed;
    res->last_loss = r.loss;
    rc = 0;
done:
    run_free(&r);
    return rc;
}

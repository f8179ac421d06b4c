// test_pipeline_train.c — the training loop, windowed eval, extrapolation, generation
// and bench of libpope_pipeline on a synthetic in-memory corpus that a tiny model can
// learn (each token follows from the previous one), with token 0 as an ignored target.
#include <math.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "pipeline_test_util.h"
#include "pope_pipeline.h"

#define V 8
static char tmpdir[256];

// ---------------------------------------------------------------- the toy corpus
typedef struct {
    int n[POPE_SPLIT_COUNT];
    int64_t len[POPE_SPLIT_COUNT][4];
    int32_t *tok[POPE_SPLIT_COUNT][4];
    int reject_all;         // window_ok says no to everything
    int reject_zero;        // window_ok says no to windows holding a 0
    int64_t rejected;
    int64_t train_reads[4]; // reads of the train split per sequence
    double train_off_sum[4];
    int sigint_after;       // sample_train raises SIGINT on this call (0: never)
    int calls;
} toy;

// The program's side of Ctrl-C (the library installs no handler): a flag set by SIGINT.
static volatile sig_atomic_t interrupt_flag;
static void on_sigint(int sig) {
    (void)sig;
    interrupt_flag = 1;
}

static int64_t toy_n(void *ctx, pope_split s) { return ((toy *)ctx)->n[s]; }
static int64_t toy_len(void *ctx, pope_split s, int64_t q) { return ((toy *)ctx)->len[s][q]; }
static int toy_read(void *ctx, pope_split s, int64_t q, int64_t off, int64_t n, int32_t *out) {
    toy *t = ctx;
    if (q < 0 || q >= t->n[s] || off < 0 || off + n > t->len[s][q]) return pope_error("toy: read out of range");
    memcpy(out, t->tok[s][q] + off, n * sizeof *out);
    if (s == POPE_SPLIT_TRAIN) t->train_reads[q]++, t->train_off_sum[q] += off;
    return 0;
}
static int toy_ok(void *ctx, const int32_t *w, int64_t n) {
    toy *t = ctx;
    int ok = !t->reject_all;
    for (int64_t i = 0; ok && t->reject_zero && i < n; i++) ok = w[i] != 0;
    t->rejected += !ok;
    return ok;
}
static int toy_ignore(void *ctx, int32_t tok) {
    (void)ctx;
    return tok == 0 ? POPE_IGNORE : tok;
}
static int toy_sample(void *ctx, pope_rng *rng, int64_t n, int32_t *out) {
    toy *t = ctx;
    if (++t->calls == t->sigint_after) raise(SIGINT);
    int32_t x = 1 + (int32_t)pope_rng_below(rng, 7);
    for (int64_t i = 0; i < n; i++) out[i] = x, x = x % 7 + 1;
    return 0;
}

// toy_sample with every 3 an input only (POPE_INPUT_ONLY), or ignored as a target by value.
static int toy_sample_3_input_only(void *ctx, pope_rng *rng, int64_t n, int32_t *out) {
    int rc = toy_sample(ctx, rng, n, out);
    for (int64_t i = 0; i < n; i++) out[i] |= out[i] == 3 ? POPE_INPUT_ONLY : 0;
    return rc;
}
static int toy_ignore_3(void *ctx, int32_t tok) {
    (void)ctx;
    return tok == 3 ? POPE_IGNORE : tok;
}

// Sequence q of a split: 1 2 3 ... 7 1 2 ... with a 0 every 23 tokens.
static void toy_add(toy *t, pope_split s, int64_t len, int phase) {
    int q = t->n[s]++;
    t->len[s][q] = len;
    t->tok[s][q] = malloc((len ? len : 1) * sizeof(int32_t));
    for (int64_t i = 0; i < len; i++) t->tok[s][q][i] = i % 23 == 22 ? 0 : (int32_t)((i + phase) % 7 + 1);
}

static void toy_init(toy *t) {
    memset(t, 0, sizeof *t);
    toy_add(t, POPE_SPLIT_TRAIN, 500, 0);
    toy_add(t, POPE_SPLIT_TRAIN, 300, 3);
    toy_add(t, POPE_SPLIT_TRAIN, 5, 1);     // too short for a training window
    toy_add(t, POPE_SPLIT_VALID, 90, 2);
    toy_add(t, POPE_SPLIT_TEST, 12, 0);
    toy_add(t, POPE_SPLIT_TEST, 7, 4);
    toy_add(t, POPE_SPLIT_TEST, 200, 5);
}

static void toy_free(toy *t) {
    for (int s = 0; s < POPE_SPLIT_COUNT; s++)
        for (int q = 0; q < t->n[s]; q++) free(t->tok[s][q]);
}

static pope_corpus toy_corpus(toy *t) {
    pope_corpus c = {0};
    c.ctx = t;
    c.vocab_size = V;
    c.tokenizer = "toy";
    c.n_seqs = toy_n;
    c.seq_len = toy_len;
    c.read = toy_read;
    c.window_ok = toy_ok;
    c.ignore_target = toy_ignore;
    return c;
}

static const char *tiny_preset =
    "{\"name\": \"tiny\", \"model\": {\"d_model\": 16, \"n_layers\": 1, \"n_heads\": 2, \"context_length\": 8, "
    "\"pe\": \"rope\"}, \"train\": {\"batch\": 4, \"lr\": 0.01, \"lr_min\": 0.001, \"warmup\": 2, \"steps\": 40, "
    "\"eval_every\": 10, \"eval_tokens\": 64, \"checkpoint_every\": 10, \"log_every\": 10, \"weight_decay\": 0.0}}";

static int exists(const char *dir, const char *name) {
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, R_OK) == 0;
}

static void test_generate_and_extrap(pope_model *m, const pope_corpus *c, const char *dir);

// ---------------------------------------------------------------- eval
// The windows of the test split written out by hand (T = 4, windows of 5 tokens):
// len 12 -> [0,5) [5,10) [10,12); len 7 -> [0,5) [5,7); len 200 -> 40 windows.
static void test_eval_matches_direct(pope_model *m, const pope_corpus *c, toy *t) {
    struct { int seq, off, n; } wins[64];
    int nw = 0;
    wins[nw++] = (typeof(wins[0])){0, 0, 5};
    wins[nw++] = (typeof(wins[0])){0, 5, 5};
    wins[nw++] = (typeof(wins[0])){0, 10, 2};
    wins[nw++] = (typeof(wins[0])){1, 0, 5};
    wins[nw++] = (typeof(wins[0])){1, 5, 2};
    for (int k = 0; k < 40; k++) wins[nw++] = (typeof(wins[0])){2, 5 * k, 5};
    double sum = 0;
    int64_t counted = 0;
    for (int w = 0; w < nw; w++) {
        const int32_t *s = t->tok[POPE_SPLIT_TEST][wins[w].seq] + wins[w].off;
        int T = wins[w].n - 1;
        int32_t in[4], tg[4];
        float nll[4];
        for (int i = 0; i < T; i++) in[i] = s[i], tg[i] = s[i + 1] == 0 ? POPE_IGNORE : s[i + 1];
        if (pope_model_nll(m, in, tg, 1, T, nll) != 0) {
            CHECK(0, "direct nll: %s", pope_last_error());
            return;
        }
        for (int i = 0; i < T; i++)
            if (tg[i] >= 0) sum += nll[i], counted++;
    }
    pope_eval_opts o;
    pope_eval_opts_default(&o);
    o.context = 4;
    o.bucket_size = 2;
    pope_eval_result r;
    CHECK(pope_eval(m, c, &o, &r) == 0, "eval: %s", pope_last_error());
    CHECK(r.windows == nw, "windows %lld, want %d", (long long)r.windows, nw);
    CHECK(r.targets == counted, "targets %lld, want %lld", (long long)r.targets, (long long)counted);
    CHECK(counted < 9 + 5 + 160 && counted > 150, "some targets ignored: %lld", (long long)counted);
    CHECK_NEAR(r.nll, sum / counted, 1e-6, 1e-5, "mean NLL vs direct pope_model_nll per window");
    double bsum = 0;
    int64_t bcount = 0;
    for (int k = 0; k < r.n_buckets; k++) bsum += r.bucket_nll[k], bcount += r.bucket_count[k];
    CHECK(r.n_buckets == 2 && bcount == r.targets, "buckets count all targets");
    CHECK_NEAR(bsum, r.nll_sum, 1e-6, 1e-9, "bucket sums");
    pope_eval_result_free(&r);

    // a batch of 1 window at a time gives the same mean
    o.batch = 1;
    o.bucket_size = 0;
    CHECK(pope_eval(m, c, &o, &r) == 0, "eval batch 1");
    CHECK_NEAR(r.nll, sum / counted, 1e-6, 1e-5, "batch 1");
    pope_eval_result_free(&r);

    // bounded: evenly spaced windows, about max_targets targets
    o.max_targets = 20;
    CHECK(pope_eval(m, c, &o, &r) == 0 && r.targets > 0 && r.targets <= 20 && r.windows == 5,
          "bounded eval: %lld targets in %lld windows", (long long)r.targets, (long long)r.windows);
    pope_eval_result_free(&r);

    // all splits
    o.max_targets = 0;
    o.split = POPE_SPLIT_ALL;
    CHECK(pope_eval(m, c, &o, &r) == 0 && r.targets > counted, "all splits");
    pope_eval_result_free(&r);

    // a corpus with another tokenizer is refused
    pope_corpus other = *c;
    other.tokenizer = "kmer6";
    o.split = POPE_SPLIT_TEST;
    CHECK(pope_eval(m, &other, &o, &r) != 0 && strstr(pope_last_error(), "kmer6"), "tokenizer mismatch: %s",
          pope_last_error());
    other = *c;
    other.vocab_size = V + 1;
    CHECK(pope_eval(m, &other, &o, &r) != 0, "vocab mismatch accepted");
}

// ---------------------------------------------------------------- train
static double mean_loss(const char *log, int first, int last) {
    double s = 0;
    int n = 0;
    for (const char *p = log; (p = strstr(p, "{\"step\":")); p++) {
        int step;
        double loss;
        if (sscanf(p, "{\"step\":%d,\"loss\":%lf", &step, &loss) == 2 && step >= first && step <= last) s += loss, n++;
    }
    return n ? s / n : NAN;
}

static void test_train(const pope_corpus *c, double fresh_nll) {
    pope_preset p;
    CHECK(pope_preset_from_json(&p, tiny_preset, "tiny") == 0, "preset: %s", pope_last_error());
    char dir[512];
    snprintf(dir, sizeof dir, "%s/run1", tmpdir);
    pope_train_opts o = {0};
    o.out_dir = dir;
    o.quiet = 1;
    o.program = "test";
    o.extra_metadata = "{\"pope.split\": \"toy split\"}";
    pope_train_result r;
    CHECK(pope_train(c, &p, &o, &r) == 0, "train: %s", pope_last_error());
    CHECK(r.steps == 40 && !r.interrupted && r.tokens == 40 * 4 * 8, "steps %lld tokens %lld", (long long)r.steps,
          (long long)r.tokens);
    CHECK(exists(dir, "model.safetensors") && exists(dir, "checkpoint.safetensors") && exists(dir, "log.jsonl") &&
              exists(dir, "curve.svg"),
          "outputs written");
    char path[600];
    snprintf(path, sizeof path, "%s/log.jsonl", dir);
    char *log = slurp(path);
    CHECK(count(log, "\"loss\":") == 40, "40 step lines, got %d", count(log, "\"loss\":"));
    CHECK(count(log, "\"valid_nll\":") == 4, "validations at 10, 20, 30 and the end: %d", count(log, "\"valid_nll\":"));
    double first = mean_loss(log, 1, 5), last = mean_loss(log, 36, 40);
    CHECK(last < 0.7 * first, "loss decreases: first steps %.3f, last steps %.3f", first, last);
    free(log);
    snprintf(path, sizeof path, "%s/curve.svg", dir);
    char *svg = slurp(path);
    CHECK(svg && count(svg, "class=\"series\"") == 2 && strstr(svg, "</svg>"), "curve with train + valid series");
    free(svg);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    char *meta = pope_load_metadata(path, "pope.split");
    CHECK(meta && !strcmp(meta, "toy split"), "extra metadata stored: %s", meta ? meta : "(none)");
    free(meta);
    meta = pope_load_metadata(path, "pope.preset");
    CHECK(meta && strstr(meta, "\"steps\""), "preset stored");
    free(meta);

    // the trained model is better than a fresh one on the test split
    pope_model *m = pope_model_open(dir, c);
    CHECK(m != NULL, "open trained: %s", pope_last_error());
    if (m) {
        pope_eval_opts eo;
        pope_eval_opts_default(&eo);
        pope_eval_result er;
        CHECK(pope_eval(m, c, &eo, &er) == 0 && er.nll < fresh_nll - 0.3, "trained %.3f vs fresh %.3f", er.nll, fresh_nll);
        CHECK(isfinite(r.valid_nll) && r.valid_nll < fresh_nll, "valid NLL reported: %.3f", r.valid_nll);
        pope_eval_result_free(&er);
        test_generate_and_extrap(m, c, dir);
        pope_model_free(m);
    }

    // a second run into the same directory without --resume is refused
    CHECK(pope_train(c, &p, &o, &r) != 0 && strstr(pope_last_error(), "--resume"), "overwrite refused: %s",
          pope_last_error());
}

// ---------------------------------------------------------------- generate + extrapolate
static void test_generate_and_extrap(pope_model *m, const pope_corpus *c, const char *dir) {
    pope_gen_opts g;
    pope_gen_opts_default(&g);
    g.n_new = 30;
    g.temperature = 0;   // greedy: the learnt rule x -> x % 7 + 1
    int32_t prompt[3] = {3, 4, 5}, *out = NULL, *out2 = NULL;
    int64_t n = 0, n2 = 0;
    CHECK(pope_generate(m, prompt, 3, &g, &out, &n) == 0 && n == 30, "generate: %s", pope_last_error());
    int follows = 0, prev = 5;
    for (int64_t i = 0; i < n; i++) {
        follows += out[i] == prev % 7 + 1;
        CHECK(out[i] >= 0 && out[i] < V, "token %d in range", out[i]);
        prev = out[i];
    }
    CHECK(follows >= 20, "greedy generation follows the pattern: %d of 30", follows);
    // sampling is deterministic in the seed
    g.temperature = 1.0f;
    g.seed = 5;
    free(out);
    CHECK(pope_generate(m, prompt, 3, &g, &out, &n) == 0, "sample 1");
    CHECK(pope_generate(m, prompt, 3, &g, &out2, &n2) == 0, "sample 2");
    CHECK(n == n2 && n > 0 && !memcmp(out, out2, n * sizeof *out), "same seed, same tokens");
    // stop token: generation ends right after emitting it
    g.stop_token = out[4];
    int64_t first_stop = 0;
    while (out[first_stop] != g.stop_token) first_stop++;
    free(out2);
    CHECK(pope_generate(m, prompt, 3, &g, &out2, &n2) == 0 && n2 == first_stop + 1 && out2[n2 - 1] == g.stop_token,
          "stop token: %lld tokens, want %lld", (long long)n2, (long long)first_stop + 1);
    free(out);
    free(out2);
    CHECK(pope_generate(m, prompt, 0, &g, &out, &n) != 0, "empty prompt refused");
    int32_t badp[1] = {V};
    CHECK(pope_generate(m, badp, 1, &g, &out, &n) != 0, "out-of-range prompt refused");

    // extrapolation at 1x, 2x, 4x the training context (8)
    char xdir[600];
    snprintf(xdir, sizeof xdir, "%s/extrap", dir);
    pope_extrap_opts xo;
    pope_extrap_opts_default(&xo);
    int ctx[4] = {16, 8, 32, 12};   // unsorted on purpose; 12 does not divide 32
    xo.contexts = ctx;
    xo.n_contexts = 4;
    xo.max_tokens = 100;
    xo.n_buckets = 8;
    xo.out_dir = xdir;
    pope_extrap_result r;
    char *tbl = NULL;
    size_t tlen = 0;
    FILE *tf = open_memstream(&tbl, &tlen);
    CHECK(pope_extrapolate(m, c, &xo, &r, tf) == 0, "extrapolate: %s", pope_last_error());
    fclose(tf);
    // test split: only the 200-token sequence holds regions of 33 tokens: 6 of them; 100 tokens -> 4 regions
    CHECK(r.n_contexts == 4 && r.contexts[0] == 8 && r.contexts[1] == 12 && r.contexts[3] == 32, "contexts sorted");
    CHECK(r.regions == 4, "regions %lld", (long long)r.regions);
    for (int i = 0; i < r.n_contexts; i++) {
        CHECK(r.res[i].targets == r.res[0].targets, "same targets at every context: %lld vs %lld",
              (long long)r.res[i].targets, (long long)r.res[0].targets);
        CHECK(isfinite(r.res[i].nll), "finite NLL");
    }
    // windows per region: 32/8 = 4; 12: [0,13) [12,25) and the short [24,33); 32/16 = 2; 1
    CHECK(r.res[0].windows == 16 && r.res[1].windows == 12 && r.res[2].windows == 8 && r.res[3].windows == 4,
          "windows %lld %lld %lld %lld", (long long)r.res[0].windows, (long long)r.res[1].windows,
          (long long)r.res[2].windows, (long long)r.res[3].windows);
    CHECK(r.res[0].targets <= 4 * 32 && r.res[0].targets > 4 * 32 * 0.8, "targets: %lld", (long long)r.res[0].targets);
    // independent check at context 32: the regions are number floor(i·6/4) = 0, 1, 3, 4 of
    // the 200-token test sequence, i.e. offsets 0, 33, 99, 132, each one window of 33 tokens
    {
        const int offs[4] = {0, 33, 99, 132};
        const int32_t *seq = ((toy *)c->ctx)->tok[POPE_SPLIT_TEST][2];
        double sum = 0;
        int64_t cnt = 0;
        for (int k = 0; k < 4; k++) {
            int32_t in[32], tg[32];
            float nll[32];
            for (int i = 0; i < 32; i++) in[i] = seq[offs[k] + i], tg[i] = seq[offs[k] + i + 1] ? seq[offs[k] + i + 1] : POPE_IGNORE;
            if (pope_model_nll(m, in, tg, 1, 32, nll) != 0) break;
            for (int i = 0; i < 32; i++)
                if (tg[i] >= 0) sum += nll[i], cnt++;
        }
        CHECK(cnt == r.res[3].targets, "targets at 32: %lld vs %lld", (long long)cnt, (long long)r.res[3].targets);
        CHECK_NEAR(r.res[3].nll, sum / cnt, 1e-6, 1e-5, "NLL at context 32 vs direct");
    }
    CHECK(tbl && count(tbl, "\n|") == 5 && strstr(tbl, "| 32 |"), "markdown table: %s", tbl ? tbl : "");
    free(tbl);
    CHECK(exists(xdir, "extrapolate.md") && exists(xdir, "extrapolate.json") && exists(xdir, "extrapolate.svg") &&
              exists(xdir, "extrapolate_positions.svg"),
          "extrapolation files");
    char path[700];
    snprintf(path, sizeof path, "%s/extrapolate.json", xdir);
    char *js = slurp(path);
    CHECK(js && count(js, "\"context\":") == 4 && count(js, "\"bucket_nll\":") == 4, "json contexts");
    free(js);
    snprintf(path, sizeof path, "%s/extrapolate_positions.svg", xdir);
    js = slurp(path);
    CHECK(js && count(js, "class=\"series\"") == 4, "one position curve per context");
    free(js);
    pope_extrap_result_free(&r);
    int big[1] = {1000};
    xo.contexts = big;
    xo.n_contexts = 1;
    CHECK(pope_extrapolate(m, c, &xo, &r, NULL) != 0 && strstr(pope_last_error(), "--contexts"),
          "too long a context: %s", pope_last_error());
}

// ---------------------------------------------------------------- resume
static int same_params(const char *a, const char *b) {
    pope_model *ma = pope_load(a, NULL, NULL), *mb = pope_load(b, NULL, NULL);
    int same = ma && mb && pope_model_num_tensors(ma) == pope_model_num_tensors(mb);
    for (int i = 0; same && i < pope_model_num_tensors(ma); i++) {
        pope_tensor ta = pope_model_tensor(ma, i), tb = pope_model_tensor(mb, i);
        same = ta.numel == tb.numel && !memcmp(ta.data, tb.data, ta.numel * sizeof(float));
    }
    pope_model_free(ma);
    pope_model_free(mb);
    return same;
}

static void test_resume(const pope_corpus *c) {
    pope_preset p;
    pope_preset_from_json(&p, tiny_preset, "tiny");
    p.train.steps = 12;
    p.train.accum = 2;
    p.train.checkpoint_every = 4;
    p.model.pe = POPE_PE_POLAR;
    p.model.dropout_attn = p.model.dropout_resid = 0.1f;
    char a[512], b[512], fa[600], fb[600];
    snprintf(a, sizeof a, "%s/resume_a", tmpdir);
    snprintf(b, sizeof b, "%s/resume_b", tmpdir);
    pope_train_opts o = {0};
    o.quiet = 1;
    pope_train_result r;
    o.out_dir = a;
    CHECK(pope_train(c, &p, &o, &r) == 0 && r.steps == 12, "uninterrupted: %s", pope_last_error());
    o.out_dir = b;
    o.stop_at_step = 5;
    CHECK(pope_train(c, &p, &o, &r) == 0 && r.interrupted && r.steps == 5, "interrupted at 5: %s", pope_last_error());
    o.stop_at_step = 0;
    o.resume = 1;
    p.train.seed = 12345;   // ignored on resume: the run keeps the seed it started with
    CHECK(pope_train(c, &p, &o, &r) == 0 && !r.interrupted && r.steps == 12, "resumed: %s", pope_last_error());
    snprintf(fa, sizeof fa, "%s/model.safetensors", a);
    snprintf(fb, sizeof fb, "%s/model.safetensors", b);
    CHECK(same_params(fa, fb), "resumed run is bit-identical to the uninterrupted one");
    snprintf(fa, sizeof fa, "%s/log.jsonl", a);
    snprintf(fb, sizeof fb, "%s/log.jsonl", b);
    char *la = slurp(fa), *lb = slurp(fb);
    CHECK(count(lb, "\"loss\":") == 12, "resumed log has each step once: %d", count(lb, "\"loss\":"));
    for (int s = 1; s <= 12; s++)
        CHECK(mean_loss(la, s, s) == mean_loss(lb, s, s), "loss at step %d: %.6f vs %.6f", s, mean_loss(la, s, s),
              mean_loss(lb, s, s));
    free(la);
    free(lb);
    // a different model config cannot resume the run
    p.model.d_model = 32;
    CHECK(pope_train(c, &p, &o, &r) != 0 && strstr(pope_last_error(), "config"), "config mismatch: %s",
          pope_last_error());
    snprintf(a, sizeof a, "%s/never_ran", tmpdir);
    o.out_dir = a;
    CHECK(pope_train(c, &p, &o, &r) != 0 && strstr(pope_last_error(), "nothing to resume"), "resume without run: %s",
          pope_last_error());
}

// The learning rate logged at step s (NAN when absent).
static double logged_lr(const char *log, int s) {
    char pat[64];
    snprintf(pat, sizeof pat, "{\"step\":%d,\"loss\"", s);
    const char *l = log ? strstr(log, pat) : NULL;
    const char *v = l ? strstr(l, "\"lr\":") : NULL;
    return v ? atof(v + 5) : NAN;
}

// Honest resume (issue 13): --resume takes the config, the step count and the schedule
// from the checkpoint; a differing setting is refused naming the fields; a new end only
// with --extend. The run is started from a preset file whose steps (40) are not the run's.
static void test_resume_honest(const pope_corpus *c) {
    char preset_path[600], dir[600], ref[600], path[700];
    snprintf(preset_path, sizeof preset_path, "%s/tiny.json", tmpdir);
    FILE *f = fopen(preset_path, "w");
    if (f) {
        fputs(tiny_preset, f);
        fclose(f);
    }
    pope_cli cli;
    pope_cli_init(&cli);
    cli.preset = preset_path;
    cli.steps = 12;
    pope_preset p;
    CHECK(pope_cli_preset(&cli, NULL, &p) == 0 && p.train.steps == 12, "preset + --steps 12: %s", pope_last_error());
    pope_train_opts o = {0};
    o.quiet = 1;
    pope_train_result r;
    snprintf(ref, sizeof ref, "%s/honest_ref", tmpdir);
    o.out_dir = ref;
    CHECK(pope_train(c, &p, &o, &r) == 0 && r.steps == 12, "reference run: %s", pope_last_error());
    snprintf(dir, sizeof dir, "%s/honest", tmpdir);
    o.out_dir = dir;
    o.stop_at_step = 5;
    CHECK(pope_train(c, &p, &o, &r) == 0 && r.interrupted && r.steps == 5, "interrupted: %s", pope_last_error());
    o.stop_at_step = 0;

    // "--preset tiny.json --resume" without --steps: the run's 12 steps, not the file's 40
    pope_cli_init(&cli);
    cli.resume = 1;
    pope_preset q;
    CHECK(pope_cli_resume_preset(&cli, dir, preset_path, &q) == 0 && q.train.steps == 12 && q.train.warmup == p.train.warmup,
          "resumed preset: steps %lld: %s", (long long)q.train.steps, pope_last_error());
    // a different seed is refused, not ignored
    cli.seed = 99;
    CHECK(pope_cli_resume_preset(&cli, dir, preset_path, &q) != 0 && strstr(pope_last_error(), "--seed 99"),
          "--seed on resume: %s", pope_last_error());
    cli.seed = -1;
    // differing settings: refused, naming the fields and both values
    pope_preset bad = p;
    bad.train.lr = 0.02f;
    bad.train.batch = 2;
    o.resume = 1;
    CHECK(pope_train(c, &bad, &o, &r) != 0 && strstr(pope_last_error(), "batch 4 -> 2") &&
              strstr(pope_last_error(), "lr 0.01 -> 0.02") && strlen(pope_last_error()) < 300,
          "differing settings: %s", pope_last_error());
    bad = p;
    bad.model.pe = POPE_PE_POLAR;
    CHECK(pope_train(c, &bad, &o, &r) != 0 && strstr(pope_last_error(), "model config: pe rope -> polar"),
          "differing model: %s", pope_last_error());
    // more steps: only with --extend
    bad = p;
    bad.train.steps = 16;
    CHECK(pope_train(c, &bad, &o, &r) != 0 && strstr(pope_last_error(), "steps 12 -> 16") &&
              strstr(pope_last_error(), "--extend"),
          "more steps without --extend: %s", pope_last_error());
    // threads and logging may change; the run continues to its own end, bit-identical
    q.train.log_every = 3;
    CHECK(pope_train(c, &q, &o, &r) == 0 && r.steps == 12 && !r.interrupted, "resumed: %s", pope_last_error());
    char fa[700], fb[700];
    snprintf(fa, sizeof fa, "%s/model.safetensors", ref);
    snprintf(fb, sizeof fb, "%s/model.safetensors", dir);
    CHECK(same_params(fa, fb), "resumed to the original end: the same model as the uninterrupted run");
    snprintf(path, sizeof path, "%s/log.jsonl", dir);
    char *log = slurp(path);
    snprintf(path, sizeof path, "%s/log.jsonl", ref);
    char *ref_log = slurp(path);
    for (int s = 5; s <= 12; s++)
        CHECK(logged_lr(log, s) == logged_lr(ref_log, s), "lr at step %d: %g vs %g (no jump)", s, logged_lr(log, s),
              logged_lr(ref_log, s));
    free(log);
    // --extend: 12 -> 20, the cosine stretched to the new end
    cli.steps = 20;
    cli.extend = 1;
    CHECK(pope_cli_resume_preset(&cli, dir, preset_path, &q) == 0 && q.train.steps == 20, "extend preset");
    o.extend = 1;
    CHECK(pope_train(c, &q, &o, &r) == 0 && r.steps == 20, "extended: %s", pope_last_error());
    snprintf(path, sizeof path, "%s/log.jsonl", dir);
    log = slurp(path);
    CHECK(count(log, "\"loss\":") == 20 && logged_lr(log, 20) < logged_lr(log, 13), "20 steps, LR decaying to the new end");
    free(log);
    free(ref_log);
    // a resume of the extended run without --steps continues to 20 (its recorded end)
    pope_cli_init(&cli);
    cli.resume = 1;
    CHECK(pope_cli_resume_preset(&cli, dir, preset_path, &q) == 0 && q.train.steps == 20, "recorded end: %lld",
          (long long)q.train.steps);
}

// ---------------------------------------------------------------- errors, SIGINT, sample_train
static void test_errors(toy *t) {
    pope_preset p;
    pope_preset_from_json(&p, tiny_preset, "tiny");
    p.train.steps = 3;
    pope_train_opts o = {0};
    o.quiet = 1;
    char dir[512];
    pope_train_result r;

    pope_corpus c = toy_corpus(t);
    t->reject_all = 1;
    snprintf(dir, sizeof dir, "%s/rejected", tmpdir);
    o.out_dir = dir;
    CHECK(pope_train(&c, &p, &o, &r) != 0 && strstr(pope_last_error(), "no usable training window"), "all rejected: %s",
          pope_last_error());
    t->reject_all = 0;

    p.model.context_length = 600;   // longer than any training sequence
    snprintf(dir, sizeof dir, "%s/too_long", tmpdir);
    o.out_dir = dir;
    CHECK(pope_train(&c, &p, &o, &r) != 0 && strstr(pope_last_error(), "--context"), "context too long: %s",
          pope_last_error());
    p.model.context_length = 8;

    // windows are drawn uniformly over all window starts: sequence 0 (500 tokens) has 492
    // starts of 9-token windows, sequence 1 (300) 292, sequence 2 (5) none
    memset(t->train_reads, 0, sizeof t->train_reads);
    memset(t->train_off_sum, 0, sizeof t->train_off_sum);
    t->reject_zero = 1;
    t->rejected = 0;
    p.train.steps = 100;
    p.train.eval_every = 0;
    snprintf(dir, sizeof dir, "%s/sampling", tmpdir);
    o.out_dir = dir;
    CHECK(pope_train(&c, &p, &o, &r) == 0, "sampling run: %s", pope_last_error());
    t->reject_zero = 0;
    int64_t total = t->train_reads[0] + t->train_reads[1] + t->train_reads[2];
    CHECK(t->train_reads[2] == 0, "a sequence shorter than a window is never drawn");
    CHECK(total == 400 + t->rejected && t->rejected > 0, "re-drawn when window_ok refuses: %lld reads, %lld refused",
          (long long)total, (long long)t->rejected);
    double frac0 = (double)t->train_reads[0] / (double)total;
    CHECK(fabs(frac0 - 492.0 / 784.0) < 0.1, "sequence 0 drawn with p = 492/784: %.3f", frac0);
    double mean_off = t->train_off_sum[0] / (double)t->train_reads[0];
    CHECK(fabs(mean_off - 491.0 / 2) < 0.15 * 491, "offsets uniform in sequence 0: mean %.1f", mean_off);
    p.train.steps = 3;
    p.train.eval_every = 10;

    // sample_train corpus; SIGINT during step 3 (calls 9..12) stops after that step
    c.sample_train = toy_sample;
    c.window_ok = NULL;
    t->sigint_after = 10;
    t->calls = 0;
    p.train.steps = 50;
    snprintf(dir, sizeof dir, "%s/sigint", tmpdir);
    o.out_dir = dir;
    struct sigaction sa = {0}, old;
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, &old);
    o.interrupt = &interrupt_flag;
    CHECK(pope_train(&c, &p, &o, &r) == 0 && r.interrupted && r.steps == 3, "SIGINT: steps %lld, interrupted %d, %s",
          (long long)r.steps, r.interrupted, pope_last_error());
    sigaction(SIGINT, &old, NULL);
    o.interrupt = NULL;
    CHECK(exists(dir, "checkpoint.safetensors"), "checkpoint written on SIGINT");
    t->sigint_after = 0;
    o.resume = 1;
    o.extend = 1;   // a new end (6 instead of 50) is asked for explicitly
    p.train.steps = 6;
    CHECK(pope_train(&c, &p, &o, &r) == 0 && r.steps == 6, "resume after SIGINT: %s", pope_last_error());
    o.extend = 0;

    // POPE_INPUT_ONLY tokens: read as inputs, not scored. Marking every 3 so trains exactly
    // as ignoring 3 as a target does (the same inputs), and not as scoring it.
    float loss[3];
    int (*samplers[3])(void *, pope_rng *, int64_t, int32_t *) = {toy_sample_3_input_only, toy_sample, toy_sample};
    int (*ignores[3])(void *, int32_t) = {NULL, toy_ignore_3, NULL};
    p.train.steps = 4;
    p.train.eval_every = 0;
    o.resume = 0;
    for (int k = 0; k < 3; k++) {
        c.sample_train = samplers[k];
        c.ignore_target = ignores[k];
        snprintf(dir, sizeof dir, "%s/input-only-%d", tmpdir, k);
        o.out_dir = dir;
        CHECK(pope_train(&c, &p, &o, &r) == 0, "input-only run %d: %s", k, pope_last_error());
        loss[k] = r.last_loss;
    }
    CHECK(loss[0] == loss[1] && loss[0] != loss[2], "input-only loss %.7g, ignored by value %.7g, scored %.7g",
          loss[0], loss[1], loss[2]);
    c.sample_train = toy_sample;
    c.ignore_target = toy_ignore;

    // a wall-clock budget with no step limit stops by itself and leaves a model
    p.train.steps = POPE_STEPS_UNBOUNDED;
    p.train.time_s = 0.3;
    p.train.eval_every = 0;
    snprintf(dir, sizeof dir, "%s/timed", tmpdir);
    o.out_dir = dir;
    o.resume = 0;
    CHECK(pope_train(&c, &p, &o, &r) == 0 && r.steps >= 1 && r.steps < POPE_STEPS_UNBOUNDED && !r.interrupted,
          "time budget: %s", pope_last_error());
    CHECK(exists(dir, "model.safetensors"), "timed run wrote its model");
}

// ---------------------------------------------------------------- bench
static char *run_file(const char *dir, const char *pe, int seed, const char *file) {
    char path[1200];
    snprintf(path, sizeof path, "%s/%s/seed-%d/%s", dir, pe, seed, file);
    return slurp(path);
}

static char *bench_report(const pope_corpus *c, const pope_preset *p, pope_bench_opts *o, int *rc) {
    char *rep = NULL;
    size_t rl = 0;
    FILE *rf = open_memstream(&rep, &rl);
    *rc = pope_bench(c, p, o, rf);
    fclose(rf);
    return rep;
}

// The protocol: encodings × seeds in DIR/<pe>/seed-<s>/, a report over all of them; a
// second invocation with more seeds and encodings keeps the finished runs and extends
// the report; other settings in the same folder are refused.
static void test_bench(const pope_corpus *c) {
    pope_preset p;
    pope_preset_from_json(&p, tiny_preset, "tiny");
    p.train.seed = 7;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/bench", tmpdir);
    pope_bench_opts o = {0};
    o.out_dir = dir;
    o.steps_per_run = 3;
    int mult[2] = {1, 2};
    o.contexts = mult;
    o.n_contexts = 2;
    o.eval_tokens = 50;
    o.quiet = 1;
    o.command = "test bench";
    pope_pe_kind two[] = {POPE_PE_POLAR, POPE_PE_ROPE};
    o.pes = two, o.n_pes = 2, o.seeds = 2;
    int rc;
    char *rep = bench_report(c, &p, &o, &rc);
    CHECK(rc == 0, "bench: %s", pope_last_error());
    CHECK(rep && strstr(rep, "| polar | 2 |") && strstr(rep, "| rope | 2 |") && !strstr(rep, "| none |"),
          "report: two encodings of two seeds:\n%s", rep ? rep : "(none)");
    CHECK(rep && strstr(rep, "(seed 7)") && strstr(rep, "(seed 8)") && !strstr(rep, "(seed 9)"), "seeds 7 and 8");
    CHECK(rep && count(rep, "\n| test NLL | ") == 1 && strstr(rep, "| test NLL | polar | rope |"), "the pair compared");
    free(rep);
    for (int s = 7; s <= 8; s++) {
        char sub[600];
        snprintf(sub, sizeof sub, "%s/polar/seed-%d", dir, s);
        CHECK(exists(sub, "model.safetensors") && exists(sub, "result.json") && exists(sub, "extrapolate.json"),
              "run dir %s", sub);
    }
    char *first = run_file(dir, "polar", 7, "result.json");
    char *r7 = run_file(dir, "rope", 7, "result.json"), *r8 = run_file(dir, "rope", 8, "result.json");
    CHECK(first && strstr(first, "\"seed\":\t\"7\"") && strstr(first, "\"command\":\t\"test bench\"") &&
              strstr(first, "\"cpu\":"),
          "result.json records seed, command, CPU: %s", first);
    CHECK(r7 && r8 && strcmp(r7, r8) != 0, "two seeds, two different runs");
    const char *tps = first ? strstr(first, "\"tokens_per_s\":") : NULL;
    CHECK(tps && atof(tps + 15) > 0, "result.json: tokens_per_s a number, not null: %s", first ? first : "(none)");
    // polar: the frozen δ share per layer in result.json, log.jsonl and the model's metadata
    CHECK(first && strstr(first, "\"delta_frozen\":") && r7 && !strstr(r7, "delta_frozen"), "δ frozen share: polar only");
    char *log = run_file(dir, "polar", 7, "log.jsonl");
    CHECK(log && count(log, "\"delta_frozen\":[") >= 1, "log.jsonl: δ frozen share");
    free(log);
    char mpath[700];
    snprintf(mpath, sizeof mpath, "%s/polar/seed-7/model.safetensors", dir);
    char *fz = pope_load_metadata(mpath, "pope.delta_frozen");
    CHECK(fz && fz[0] == '[' && strchr(fz, ']'), "model metadata pope.delta_frozen: %s", fz ? fz : "(none)");
    free(fz);
    free(r7);
    free(r8);

    // The report's numbers are the mean and std of the seeds' result.json test NLLs.
    char path[700];
    snprintf(path, sizeof path, "%s/report.json", dir);
    char *js = slurp(path);
    cJSON *j = js ? cJSON_Parse(js) : NULL;
    free(js);
    double x[2] = {NAN, NAN};
    for (int s = 0; s < 2; s++) {
        char *t = run_file(dir, "rope", 7 + s, "result.json");
        cJSON *r = t ? cJSON_Parse(t) : NULL;
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, "test_nll");
        if (cJSON_IsNumber(v)) x[s] = v->valuedouble;
        cJSON_Delete(r);
        free(t);
    }
    double mean = (x[0] + x[1]) / 2, sd = fabs(x[0] - x[1]) / sqrt(2.0);   // n − 1 = 1
    const cJSON *enc = cJSON_GetObjectItemCaseSensitive(j, "encodings"), *e;
    int found = 0;
    cJSON_ArrayForEach(e, enc) {
        const cJSON *pe = cJSON_GetObjectItemCaseSensitive(e, "pe");
        if (!cJSON_IsString(pe) || strcmp(pe->valuestring, "rope")) continue;
        found = 1;
        CHECK_NEAR(cJSON_GetObjectItemCaseSensitive(e, "test_nll_mean")->valuedouble, mean, 1e-9, 1e-9, "rope mean");
        CHECK_NEAR(cJSON_GetObjectItemCaseSensitive(e, "test_nll_std")->valuedouble, sd, 1e-9, 1e-9, "rope std");
        const cJSON *x0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(e, "extrapolation"), 0);
        CHECK(x0 && cJSON_GetObjectItemCaseSensitive(x0, "relative_mean")->valuedouble == 1.0, "relative at 1x is 1");
    }
    CHECK(found && cJSON_GetArraySize(enc) == 2, "report.json: 2 encodings");
    const cJSON *cmp = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "comparisons"), 0);
    CHECK(cmp && cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(cmp, "beyond_spread")), "two seeds: a verdict");
    cJSON_Delete(j);

    // Second invocation: a third seed and a third encoding. The finished runs stay as they were.
    pope_pe_kind three[] = {POPE_PE_POLAR, POPE_PE_ROPE, POPE_PE_NONE};
    o.pes = three, o.n_pes = 3, o.seeds = 3;
    rep = bench_report(c, &p, &o, &rc);
    CHECK(rc == 0, "bench, second invocation: %s", pope_last_error());
    CHECK(rep && strstr(rep, "| polar | 3 |") && strstr(rep, "| rope | 3 |") && strstr(rep, "| none | 3 |"),
          "report extended to 3 encodings × 3 seeds:\n%s", rep ? rep : "(none)");
    CHECK(rep && count(rep, "\n| test NLL | ") == 3, "three pairs compared:\n%s", rep ? rep : "");
    free(rep);
    char *again = run_file(dir, "polar", 7, "result.json");
    CHECK(first && again && !strcmp(first, again), "the finished run was kept, not redone");
    free(first);
    free(again);
    snprintf(path, sizeof path, "%s/bench.json", dir);
    js = slurp(path);
    CHECK(js && count(js, "\"command\":") == 2 && count(js, "\"wall_s\":") == 2, "bench.json records both invocations");
    free(js);
    snprintf(path, sizeof path, "%s/curves.svg", dir);
    js = slurp(path);
    CHECK(js && count(js, "class=\"series\"") == 3 && strstr(js, "polar (mean of 3)"), "3 mean training curves");
    free(js);
    snprintf(path, sizeof path, "%s/extrapolation.svg", dir);
    js = slurp(path);
    CHECK(js && count(js, "class=\"series\"") == 3, "3 extrapolation curves");
    free(js);

    // A δ parameterisation list adds the arm polar-sigmoid beside polar (same settings).
    pope_pe_kind polar_only[] = {POPE_PE_POLAR};
    pope_delta_param both[] = {POPE_DELTA_CLAMP, POPE_DELTA_SIGMOID};
    o.pes = polar_only, o.n_pes = 1, o.seeds = 2, o.dparams = both, o.n_dparams = 2;
    rep = bench_report(c, &p, &o, &rc);
    CHECK(rc == 0, "bench, polar-sigmoid arm: %s", pope_last_error());
    CHECK(rep && strstr(rep, "| polar | 3 |") && strstr(rep, "| polar-sigmoid | 2 |") &&
              strstr(rep, "| test NLL | polar | polar-sigmoid |"),
          "report with the sigmoid arm:\n%s", rep ? rep : "");
    free(rep);
    char *sg = run_file(dir, "polar-sigmoid", 8, "result.json");
    CHECK(sg && strstr(sg, "\"delta_param\":\t\"sigmoid\""), "the sigmoid arm trained with sigmoid: %s", sg ? sg : "");
    free(sg);
    o.dparams = NULL, o.n_dparams = 0;

    // Other settings in the same folder are refused, naming what differs.
    o.steps_per_run = 4;
    rep = bench_report(c, &p, &o, &rc);
    CHECK(rc != 0 && strstr(pope_last_error(), "other settings") && strstr(pope_last_error(), "preset.train.steps"),
          "other settings refused: %s", pope_last_error());
    free(rep);

    // A multiple whose context no int holds (8 x 10^9) is refused as extrapolate refuses it,
    // before any run (the report multiplied it out: signed overflow).
    int mult_big[2] = {1, 1000000000};
    o.contexts = mult_big;
    rep = bench_report(c, &p, &o, &rc);
    CHECK(rc != 0 && strstr(pope_last_error(), "--contexts: 1000000000 x 8 tokens is too long"),
          "huge --contexts refused: %s", pope_last_error());
    free(rep);

    // A context longer than the longest test sequence (200 tokens; 32 x 8 + 1 = 257) is not
    // measured, and must not empty the columns of the contexts that fit (8 and 16 tokens).
    snprintf(dir, sizeof dir, "%s/bench-long", tmpdir);
    int mult3[3] = {1, 2, 32};
    o.contexts = mult3;
    o.n_contexts = 3;
    o.steps_per_run = 1;
    o.pes = two + 1, o.n_pes = 1, o.seeds = 1;
    rep = bench_report(c, &p, &o, &rc);
    CHECK(rc == 0, "bench with a too long context: %s", pope_last_error());
    const char *ex = rep ? strstr(rep, "## Extrapolation") : NULL;
    const char *line = ex ? strstr(ex, "| rope |") : NULL;
    const char *end = line ? strchr(line, '\n') : NULL;
    int cells = 0, dashes = 0;
    for (const char *q = line; q && q < end; q++) cells += *q == '|';
    for (const char *q = line; q && q + 2 < end; q++) dashes += memcmp(q, "\xe2\x80\x93", 3) == 0;
    // | rope | @1x | @2x | @32x | = 5 bars; one seed: "NLL [rel]" cells, only @32x a dash
    CHECK(line && cells == 5 && dashes == 1, "rope row: %d cells, %d dashes (only @32x empty)", cells, dashes);
    CHECK(rep && strstr(rep, "longest test sequence has 200 tokens") && strstr(rep, "one seed, no spread") == NULL,
          "report says why @32x is empty");
    free(rep);
    snprintf(path, sizeof path, "%s/report.json", dir);
    js = slurp(path);
    CHECK(js && strstr(js, "\"contexts_not_measured\":\t[256]"), "report.json: 256 not measured");
    free(js);

    // A result.json and a bench.json edited by hand (numbers no integer holds, wrong types)
    // are reported as missing values, not cast to integers (undefined behaviour).
    snprintf(path, sizeof path, "%s/rope/seed-7/result.json", dir);
    CHECK(pope_write_file_atomic(path, "{\"pe\": \"rope\", \"steps\": 1e300, \"tokens\": -1e300, \"seconds\": 1e300, "
                                       "\"threads\": 1e300, \"test_targets\": \"x\", \"test_nll\": 2.5, "
                                       "\"extrapolation\": [{\"context\": 1e300, \"nll\": 1}, {\"context\": 8, "
                                       "\"nll\": 3}, 7, null]}") == 0, "tamper result.json");
    snprintf(path, sizeof path, "%s/rope/seed-7/log.jsonl", dir);
    CHECK(pope_write_file_atomic(path, "{\"step\": 1e300, \"loss\": 1}\nnot json\n[]\n") == 0, "tamper log.jsonl");
    snprintf(path, sizeof path, "%s/bench.json", dir);
    js = slurp(path);
    char *inv = js ? strstr(js, "\"invocations\":") : NULL;
    if (inv) {
        char tampered[8192];
        snprintf(tampered, sizeof tampered, "%.*s\"invocations\": [1, \"x\", {\"wall_s\": 1e300, \"threads\": \"y\"}]}",
                 (int)(inv - js), js);
        CHECK(pope_write_file_atomic(path, tampered) == 0, "tamper bench.json");
    }
    free(js);
    rep = bench_report(c, &p, &o, &rc);
    CHECK(inv && rc == 0, "bench over tampered files: %s", pope_last_error());
    CHECK(rep && strstr(rep, "| rope | 7 | 0 | ? |") && strstr(rep, "| rope | 1 | 2.5000 |") && strstr(rep, " 3.0000 "),
          "tampered numbers as missing, the sound ones kept:\n%s", rep ? rep : "");
    free(rep);
    // A FIFO as a run's result.json: a clear error, not a report that waits forever for a writer.
    char fifo[700];
    snprintf(fifo, sizeof fifo, "%s/rope/seed-9", dir);
    CHECK(pope_mkdir_p(fifo) == 0, "mkdir %s", fifo);
    snprintf(fifo, sizeof fifo, "%s/rope/seed-9/result.json", dir);
    CHECK(mkfifo(fifo, 0644) == 0, "mkfifo %s", fifo);
    rep = bench_report(c, &p, &o, &rc);
    CHECK(rc != 0 && strstr(pope_last_error(), "seed-9/result.json: not a regular file"), "FIFO result.json: %s",
          pope_last_error());
    free(rep);
}

int main(void) {
    pope_runtime_init(1);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/pope_test_train_XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    toy t;
    toy_init(&t);
    pope_corpus c = toy_corpus(&t);
    pope_preset p;
    CHECK(pope_preset_from_json(&p, tiny_preset, "tiny") == 0, "preset");
    pope_config cfg = p.model;
    cfg.vocab_size = V;
    snprintf(cfg.tokenizer, sizeof cfg.tokenizer, "toy");
    pope_model *fresh = pope_model_new(&cfg, 3);
    CHECK(fresh != NULL, "model: %s", pope_last_error());
    double fresh_nll = NAN;
    if (fresh) {
        test_eval_matches_direct(fresh, &c, &t);
        pope_eval_opts eo;
        pope_eval_opts_default(&eo);
        pope_eval_result er;
        if (pope_eval(fresh, &c, &eo, &er) == 0) fresh_nll = er.nll;
        pope_eval_result_free(&er);
        pope_model_free(fresh);
    }
    test_train(&c, fresh_nll);
    test_resume(&c);
    test_resume_honest(&c);
    test_errors(&t);
    test_bench(&c);
    toy_free(&t);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return check_summary("test_pipeline_train");
}

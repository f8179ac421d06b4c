// test_pipeline_precision.c — the --precision plumbing (issue 10): the option's parse and
// its defaults (pope_cli_precision), and what training records: "precision" on every
// log.jsonl step line and pope.precision in the checkpoint metadata, a run started in bf16
// resumed in fp32 (and each segment logged as what it ran). Where bf16 is not supported
// here, an explicit bf16 must fail with the reason and the fp32 half still runs.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "pipeline_test_util.h"
#include "pope_pipeline.h"

enum { V = 8, LEN = 400 };
static int32_t seq[LEN];

static int64_t one_n(void *ctx, pope_split s) { (void)ctx, (void)s; return 1; }
static int64_t one_len(void *ctx, pope_split s, int64_t q) { (void)ctx, (void)s, (void)q; return LEN; }
static int one_read(void *ctx, pope_split s, int64_t q, int64_t off, int64_t n, int32_t *out) {
    (void)ctx, (void)s, (void)q;
    if (off < 0 || off + n > LEN) return pope_error("read out of range");
    memcpy(out, seq + off, sizeof(int32_t) * n);
    return 0;
}

// One option through train's option table (stderr silenced): 1 parsed, -1 refused.
static int parse(pope_cli *o, const char *arg) {
    char *argv[] = {"train", (char *)arg, NULL};
    pope_cmdline c = {.prog = "prog", .cmd = "train", .tables = {pope_command_options("train")}};
    c.dst[POPE_DST_CLI] = o;
    pope_cli_init(o);
    char errpath[] = "/tmp/pope_test_precision_err_XXXXXX";
    int fd = mkstemp(errpath);
    if (fd >= 0) close(fd);
    int saved = stderr_to(errpath);
    int rc = pope_opts_parse(&c, 2, argv);
    stderr_restore(saved);
    unlink(errpath);
    return rc == 0 ? 1 : -1;
}

static void test_cli(int bf16_ok) {
    pope_cli o;
    CHECK(parse(&o, "--precision=bf17") < 0 && strstr(pope_last_error(), "fp32, bf16 or auto"), "bad name: %s",
          pope_last_error());
    CHECK(parse(&o, "--precision=fp32") == 1 && o.precision && !strcmp(o.precision, "fp32"), "fp32 parsed");
    CHECK(pope_cli_precision(&o, "auto") == 0 && pope_get_precision() == POPE_PREC_FP32, "explicit fp32");
    pope_cli_init(&o);
    CHECK(pope_cli_precision(&o, "auto") == 0, "auto never fails: %s", pope_last_error());
    CHECK(pope_get_precision() == (bf16_ok ? POPE_PREC_BF16 : POPE_PREC_FP32), "auto resolves to %s",
          bf16_ok ? "bf16" : "fp32");
    CHECK(pope_cli_precision(&o, "fp32") == 0 && pope_get_precision() == POPE_PREC_FP32, "default fp32");
    parse(&o, "--precision=bf16");
    const int rc = pope_cli_precision(&o, "fp32");
    if (bf16_ok)
        CHECK(rc == 0 && pope_get_precision() == POPE_PREC_BF16, "bf16: %s", pope_last_error());
    else
        CHECK(rc != 0 && strstr(pope_last_error(), "--precision bf16: bf16:") && pope_get_precision() == POPE_PREC_FP32,
              "unsupported bf16 refused with the reason: %s", pope_last_error());
    pope_set_precision(POPE_PREC_FP32);
}

// Trains DIR to `steps` in precision p (resuming when asked); checks the metadata.
static void train(const pope_corpus *c, const char *dir, int64_t steps, int resume, pope_precision p) {
    static const char *preset =
        "{\"name\": \"tiny\", \"model\": {\"d_model\": 16, \"n_layers\": 1, \"n_heads\": 2, \"context_length\": 8, "
        "\"pe\": \"polar\"}, \"train\": {\"batch\": 4, \"warmup\": 1, \"eval_every\": 0, \"checkpoint_every\": 2}}";
    pope_preset pr;
    CHECK(pope_preset_from_json(&pr, preset, "tiny") == 0, "preset: %s", pope_last_error());
    pr.train.steps = steps;
    pope_train_opts o = {0};
    o.out_dir = dir;
    o.quiet = 1;
    o.resume = resume;
    o.extend = resume;   // resumed to a later end, asked for explicitly
    pope_train_result r;
    CHECK(pope_set_precision(p) == 0, "precision: %s", pope_last_error());
    CHECK(pope_train(c, &pr, &o, &r) == 0 && r.steps == steps, "train to %lld: %s", (long long)steps,
          pope_last_error());
    char kernel[128];
    snprintf(kernel, sizeof kernel, "%s", pope_attention_kernel());
    pope_set_precision(POPE_PREC_FP32);
    char path[600];
    snprintf(path, sizeof path, "%s/checkpoint.safetensors", dir);
    char *meta = pope_load_metadata(path, "pope.precision");
    CHECK(meta && !strcmp(meta, pope_precision_name(p)), "checkpoint pope.precision %s, want %s",
          meta ? meta : "(none)", pope_precision_name(p));
    free(meta);
    meta = pope_load_metadata(path, "pope.attention_kernel");  // what multiplied the attention
    CHECK(meta && !strcmp(meta, kernel), "checkpoint pope.attention_kernel %s, want %s", meta ? meta : "(none)",
          kernel);
    free(meta);
}

int main(void) {
    pope_runtime_init(1);
    for (int i = 0; i < LEN; i++) seq[i] = (int32_t)(i % 7 + 1);
    pope_corpus c = {.ctx = NULL, .vocab_size = V, .tokenizer = "toy", .n_seqs = one_n, .seq_len = one_len,
                     .read = one_read};
    const int bf16_ok = pope_bf16_supported() == 0;
    if (!bf16_ok) printf("bf16 not supported here (%s): testing the fp32 half\n", pope_last_error());
    test_cli(bf16_ok);
    char dir[64] = "/tmp/pope_test_precision_XXXXXX";
    if (!mkdtemp(dir)) return perror("mkdtemp"), 1;
    const pope_precision first = bf16_ok ? POPE_PREC_BF16 : POPE_PREC_FP32;
    train(&c, dir, 4, 0, first);
    train(&c, dir, 7, 1, POPE_PREC_FP32);  // resumed in fp32
    char path[600];
    snprintf(path, sizeof path, "%s/log.jsonl", dir);
    char *log = slurp(path);
    char want[64];
    snprintf(want, sizeof want, "\"precision\":\"%s\"", pope_precision_name(first));
    const int n_first = count(log, want), n_fp32 = count(log, "\"precision\":\"fp32\"");
    CHECK(count(log, "\"loss\":") == 7, "7 step lines, got %d", count(log, "\"loss\":"));
    CHECK(bf16_ok ? n_first == 4 && n_fp32 == 3 : n_fp32 == 7, "step lines by precision: %d %s, %d fp32", n_first,
          pope_precision_name(first), n_fp32);
    free(log);
    const char *files[] = {"checkpoint.safetensors", "model.safetensors", "log.jsonl", "curve.svg", "test.json"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        remove(path);
    }
    rmdir(dir);
    return check_summary("test_pipeline_precision");
}

// test_torch_fixture.c — the C model against its PyTorch twin (tools/pope_torch.py).
//
// For each encoding, tests/core/fixtures/<pe>.safetensors is a tiny model written by
// tools/make_fixture.py and <pe>.expected.safetensors holds the inputs, targets and what
// PyTorch computed in float64: logits (B,T,V), the loss and the gradient of every
// parameter ("grad.<name>"). We load the model with pope_load, run forward + backward in
// float32 and compare. For rope and polar, <pe>.long.expected.safetensors runs the same
// model on one row of 131 tokens, so that the tiled attention (64-key tiles) is crossed.
// The same PyTorch logits also check the inference paths: pope_model_nll against
// -log softmax(logits)[target], and pope_model_step (KV cache) position by position.
//
// Tolerance, per tensor: every element must satisfy |got - want| <= 1e-5 * max|want| +
// 1e-4 * |want| (max over that tensor), i.e. 1e-4 relative, with an absolute floor
// scaled to the tensor so that near-zero entries of a gradient do not demand more than
// float32 can give. The loss: 1e-6 absolute + 1e-5 relative. Gradients that PyTorch
// gives as exactly 0 for polar δ (entries outside the clamp range [-2π, 0]) must be
// exactly 0 here too.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "pope.h"

// ---------------------------------------------------------------- tiny safetensors reader
// (test-only: the fixtures also hold int32 tensors, which pope_load never reads)
typedef struct {
    char *raw;      // whole file
    size_t size;
    cJSON *header;
    const char *data;
    size_t data_size;
} st_file;

static void st_close(st_file *f) {
    cJSON_Delete(f->header);
    free(f->raw);
    f->header = NULL;
    f->raw = NULL;
}

static int st_open(st_file *f, const char *path) {
    memset(f, 0, sizeof *f);
    FILE *fp = fopen(path, "rb");
    if (!fp) return -1;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    if (n < 8) { fclose(fp); return -1; }
    f->raw = malloc((size_t)n);
    f->size = (size_t)n;
    if (!f->raw || fread(f->raw, 1, f->size, fp) != f->size) { fclose(fp); st_close(f); return -1; }
    fclose(fp);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | (unsigned char)f->raw[i];
    if (hlen > f->size - 8) { st_close(f); return -1; }
    f->header = cJSON_ParseWithLength(f->raw + 8, (size_t)hlen);
    if (!f->header) { st_close(f); return -1; }
    f->data = f->raw + 8 + hlen;
    f->data_size = f->size - 8 - hlen;
    return 0;
}

// Pointer to the tensor's data when its dtype is `dtype`; *numel receives its size.
static const void *st_get(const st_file *f, const char *name, const char *dtype, size_t *numel) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(f->header, name);
    if (!t) return NULL;
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(t, "dtype");
    const cJSON *off = cJSON_GetObjectItemCaseSensitive(t, "data_offsets");
    if (!cJSON_IsString(dt) || strcmp(dt->valuestring, dtype) != 0 || cJSON_GetArraySize(off) != 2)
        return NULL;
    size_t a = (size_t)cJSON_GetArrayItem(off, 0)->valuedouble;
    size_t b = (size_t)cJSON_GetArrayItem(off, 1)->valuedouble;
    if (a > b || b > f->data_size || (b - a) % 4 != 0) return NULL;
    *numel = (b - a) / 4;
    return f->data + a;
}

// Copies (memcpy: the data in the file need not be aligned) a tensor into a new buffer.
static void *st_copy(const st_file *f, const char *name, const char *dtype, size_t *numel) {
    const void *p = st_get(f, name, dtype, numel);
    if (!p) return NULL;
    void *out = malloc(*numel * 4 + 4);
    if (out) memcpy(out, p, *numel * 4);
    return out;
}

// ---------------------------------------------------------------- comparison
// One CHECK per tensor: the worst element against the tolerance described at the top.
// Returns the worst |err| / tolerance ratio (for the per-encoding margin printed by main).
static double compare(const char *pe, const char *what, const float *got, const float *want, size_t n) {
    double maxref = 0;
    for (size_t i = 0; i < n; i++) maxref = fmax(maxref, fabs(want[i]));
    double atol = 1e-5 * maxref, rtol = 1e-4;
    double worst = -1, worst_ratio = 0;
    size_t worst_i = 0;
    int finite = 1;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(got[i])) finite = 0;
        double err = fabs((double)got[i] - want[i]);
        double lim = atol + rtol * fabs(want[i]);
        double ratio = lim > 0 ? err / lim : (err > 0 ? INFINITY : 0);
        if (ratio > worst_ratio || worst < 0) { worst_ratio = ratio; worst = err; worst_i = i; }
    }
    CHECK(finite && worst_ratio <= 1.0,
          "%s %s: element %zu got %.9g want %.9g (|err| %.3g, %.2fx the tolerance; max|want| %.3g)",
          pe, what, worst_i, n ? got[worst_i] : 0.0, n ? want[worst_i] : 0.0, worst, worst_ratio,
          maxref);
    return finite ? worst_ratio : INFINITY;
}

// The model <pe>.safetensors against <pe><variant>.expected.safetensors (variant "" is the
// (2, 9) batch; ".long" one row of 131 tokens, past the attention kernels' 64-key tiles).
// The inference paths against the same PyTorch logits: pope_model_nll must give
// -log softmax(logits)[target] (0 where ignored), and pope_model_step with a KV cache,
// fed a row token by token, the logits of each position.
static double check_eval_paths(pope_model *m, const char *pe, const int32_t *inputs,
                               const int32_t *targets, const float *logits, int B, int T, int V) {
    size_t n = (size_t)B * T;
    float *nll = malloc(n * sizeof *nll), *want_nll = malloc(n * sizeof *want_nll);
    float *step = malloc(n * (size_t)V * sizeof *step);
    double margin = 0;
    if (!nll || !want_nll || !step) { CHECK(0, "%s: out of memory", pe); goto out; }
    for (size_t i = 0; i < n; i++) {
        const float *row = logits + i * (size_t)V;
        double mx = row[0], sum = 0;
        for (int v = 1; v < V; v++) mx = fmax(mx, row[v]);
        for (int v = 0; v < V; v++) sum += exp(row[v] - mx);
        want_nll[i] = targets[i] < 0 ? 0.0f : (float)(mx + log(sum) - row[targets[i]]);
    }
    int rc = pope_model_nll(m, inputs, targets, B, T, nll);
    CHECK(rc == 0, "%s: pope_model_nll: %s", pe, pope_last_error());
    if (rc == 0) margin = fmax(margin, compare(pe, "nll", nll, want_nll, n));

    pope_kv *kv = pope_kv_new(m, T);
    CHECK(kv != NULL, "%s: pope_kv_new: %s", pe, pope_last_error());
    for (int b = 0; kv && b < B; b++) {
        pope_kv_reset(kv);
        for (int t = 0; t < T; t++) {
            size_t i = (size_t)b * T + t;
            rc = pope_model_step(m, kv, inputs[i], step + i * (size_t)V);
            CHECK(rc == 0, "%s: pope_model_step at (%d, %d): %s", pe, b, t, pope_last_error());
            if (rc != 0) goto out_kv;
        }
    }
    if (kv) margin = fmax(margin, compare(pe, "step logits (KV cache)", step, logits, n * (size_t)V));
out_kv:
    pope_kv_free(kv);
out:
    free(nll);
    free(want_nll);
    free(step);
    return margin;
}

static void run_fixture(const char *pe_name, const char *variant) {
    char path[4096], epath[4096], pe[64];
    snprintf(path, sizeof path, "%s/tests/core/fixtures/%s.safetensors", check_source_dir(), pe_name);
    snprintf(epath, sizeof epath, "%s/tests/core/fixtures/%s%s.expected.safetensors",
             check_source_dir(), pe_name, variant);
    snprintf(pe, sizeof pe, "%s%s", pe_name, variant);   // names the case in messages

    pope_model *m = pope_load(path, NULL, NULL);
    CHECK(m != NULL, "%s: pope_load(%s): %s", pe, path, pope_last_error());
    st_file ex;
    int ok = st_open(&ex, epath) == 0;
    CHECK(ok, "%s: cannot read %s", pe, epath);
    if (!m || !ok) {
        if (ok) st_close(&ex);
        pope_model_free(m);
        return;
    }
    const pope_config *cfg = pope_model_config(m);
    CHECK(strcmp(pope_pe_name(cfg->pe), pe_name) == 0, "%s: loaded pe is %s", pe, pope_pe_name(cfg->pe));

    size_t n_in = 0, n_tg = 0, n_lg = 0, n_loss = 0;
    int32_t *inputs = st_copy(&ex, "inputs", "I32", &n_in);
    int32_t *targets = st_copy(&ex, "targets", "I32", &n_tg);
    float *logits = st_copy(&ex, "logits", "F32", &n_lg);
    float *want_loss = st_copy(&ex, "loss", "F32", &n_loss);
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(ex.header, "inputs"), "shape");
    int B = cJSON_GetArraySize(shape) == 2 ? cJSON_GetArrayItem(shape, 0)->valueint : 0;
    int T = cJSON_GetArraySize(shape) == 2 ? cJSON_GetArrayItem(shape, 1)->valueint : 0;
    int V = cfg->vocab_size;
    CHECK(inputs && targets && logits && want_loss && n_loss == 1 && B > 0 && T > 0 &&
          n_in == (size_t)B * T && n_tg == n_in && n_lg == n_in * (size_t)V,
          "%s: expected file lacks inputs/targets/logits/loss or their shapes disagree", pe);
    if (!(inputs && targets && logits && want_loss && n_loss == 1 && B > 0 && T > 0 &&
          n_in == (size_t)B * T && n_tg == n_in && n_lg == n_in * (size_t)V))
        goto done;

    float loss = NAN;
    pope_model_zero_grad(m);
    int rc = pope_model_forward(m, inputs, targets, B, T, 0, 0, &loss);
    CHECK(rc == 0, "%s: forward: %s", pe, pope_last_error());
    if (rc != 0) goto done;
    rc = pope_model_backward(m, 1.0f);
    CHECK(rc == 0, "%s: backward: %s", pe, pope_last_error());
    if (rc != 0) goto done;

    CHECK_NEAR(loss, want_loss[0], 1e-6, 1e-5, pe);
    double margin = compare(pe, "logits", pope_model_logits(m), logits, n_lg);

    // every parameter's gradient, and no parameter the twin does not know
    int n_tensors = pope_model_num_tensors(m), n_grads = 0;
    for (const cJSON *it = ex.header->child; it; it = it->next)
        if (strncmp(it->string, "grad.", 5) == 0) n_grads++;
    CHECK(n_tensors == n_grads, "%s: model has %d tensors, fixture %d gradients", pe, n_tensors,
          n_grads);
    for (int i = 0; i < n_tensors; i++) {
        pope_tensor t = pope_model_tensor(m, i);
        char key[256];
        snprintf(key, sizeof key, "grad.%s", t.name);
        size_t n = 0;
        float *want = st_copy(&ex, key, "F32", &n);
        CHECK(want && n == t.numel, "%s: fixture has no %s of %zu floats", pe, key, t.numel);
        if (want && n == t.numel) {
            margin = fmax(margin, compare(pe, key, t.grad, want, n));
            if (strstr(t.name, "pope_delta")) {
                int zeros_ok = 1;
                for (size_t j = 0; j < n; j++)
                    if (want[j] == 0.0f && t.grad[j] != 0.0f) zeros_ok = 0;
                CHECK(zeros_ok, "%s %s: clamped δ entries must get exactly zero gradient", pe, key);
            }
        }
        free(want);
    }
    margin = fmax(margin, check_eval_paths(m, pe, inputs, targets, logits, B, T, V));
    printf("%-15s loss %.7f (torch %.7f), worst element at %.3fx the tolerance\n", pe, loss,
           want_loss[0], margin);
done:
    free(inputs);
    free(targets);
    free(logits);
    free(want_loss);
    st_close(&ex);
    pope_model_free(m);
}

int main(void) {
    pope_runtime_init(0);
    const char *pes[] = {"none", "sinusoidal", "legendre", "rope", "polar"};
    for (size_t i = 0; i < sizeof pes / sizeof *pes; i++) run_fixture(pes[i], "");
    run_fixture("rope", ".long");
    run_fixture("polar", ".long");
    return check_summary("test_torch_fixture");
}

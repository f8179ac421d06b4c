// test_safetensors.c — checkpoints: round trips (parameters, AdamW moments, train state,
// tied embeddings, metadata) and the rejection, with a message that says why, of
// malformed files: truncated, header length beyond EOF, bad JSON, wrong dtype, wrong
// shape, missing tensor, config mismatch, overlapping offsets, no file, random bytes.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "pope.h"

static char dir[256];

static const char *tmp_path(const char *name) {
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static unsigned char *read_file(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    rewind(f);
    unsigned char *b = malloc(*n + 1);
    if (fread(b, 1, *n, f) != *n) { free(b); b = NULL; }
    fclose(f);
    return b;
}

static void write_file(const char *path, const void *b, size_t n) {
    FILE *f = fopen(path, "wb");
    fwrite(b, 1, n, f);
    fclose(f);
}

static pope_config tiny_config(pope_pe_kind pe, int tie) {
    pope_config cfg;
    pope_config_default(&cfg);
    cfg.vocab_size = 11;
    cfg.d_model = 16;
    cfg.n_layers = 2;
    cfg.n_heads = 2;
    cfg.pe = pe;
    cfg.tie_embeddings = tie;
    cfg.delta_init = POPE_DELTA_UNIFORM;
    cfg.legendre_grid = POPE_GRID_MIDPOINT;
    cfg.pe_base = 500.0f;
    cfg.dropout_resid = 0.125f;
    snprintf(cfg.tokenizer, sizeof cfg.tokenizer, "kmer6");
    return cfg;
}

static int same_params(pope_model *a, pope_model *b) {
    if (pope_model_num_tensors(a) != pope_model_num_tensors(b)) return 0;
    for (int i = 0; i < pope_model_num_tensors(a); i++) {
        pope_tensor x = pope_model_tensor(a, i), y = pope_model_tensor(b, i);
        if (strcmp(x.name, y.name) || x.numel != y.numel || memcmp(x.data, y.data, x.numel * 4)) return 0;
    }
    return 1;
}

// Loads `path` expecting failure with `needle` in the message.
static void expect_reject(const char *path, const char *needle, const char *what) {
    pope_model *m = pope_load(path, NULL, NULL);
    CHECK(m == NULL, "%s: malformed file accepted", what);
    if (getenv("POPE_TEST_VERBOSE")) printf("%s: %s\n", what, pope_last_error());
    pope_model_free(m);
    CHECK(strstr(pope_last_error(), needle) != NULL, "%s: message '%s' lacks '%s'", what,
          pope_last_error(), needle);
}

// Replaces the first occurrence of `from` by `to` (same length) in a copy of the file.
static void mutate(const unsigned char *buf, size_t n, const char *from, const char *to,
                   const char *out) {
    unsigned char *c = malloc(n);
    memcpy(c, buf, n);
    size_t lf = strlen(from);
    int done = 0;
    for (size_t i = 8; i + lf <= n && !done; i++)
        if (memcmp(c + i, from, lf) == 0) { memcpy(c + i, to, lf); done = 1; }
    CHECK(done && strlen(to) == lf, "mutate: '%s' not found", from);
    write_file(out, c, n);
    free(c);
}

static void test_round_trips(void) {
    for (int tie = 0; tie < 2; tie++) {
        pope_config cfg = tiny_config(POPE_PE_POLAR, tie);
        pope_model *m = pope_model_new(&cfg, 42);
        const char *path = tmp_path(tie ? "tied.safetensors" : "plain.safetensors");
        CHECK(pope_save(path, m, NULL, NULL, "{\"pope.tokenizer_file\": \"x.json\"}") == 0, "save: %s",
              pope_last_error());
        char tmp[600];
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        CHECK(access(tmp, F_OK) != 0, "the temporary file was left behind");
        pope_model *r = pope_load(path, NULL, NULL);
        CHECK(r != NULL, "load: %s", pope_last_error());
        if (r) {
            CHECK(same_params(m, r), "tie %d: parameters differ after the round trip", tie);
            CHECK(memcmp(pope_model_config(m), pope_model_config(r), sizeof cfg) == 0,
                  "tie %d: config differs after the round trip", tie);
            CHECK((pope_model_find_tensor(r, "output.weight") < 0) == tie, "output.weight present: %d", tie);
        }
        char *extra = pope_load_metadata(path, "pope.tokenizer_file");
        CHECK(extra && strcmp(extra, "x.json") == 0, "extra metadata: %s", extra ? extra : "(null)");
        free(extra);
        char *cj = pope_load_metadata(path, "pope.config");
        pope_config back;
        pope_config_default(&back);
        CHECK(cj && pope_config_from_json(&back, cj) == 0 && back.tie_embeddings == tie &&
              back.pe_base == 500.0f && strcmp(back.tokenizer, "kmer6") == 0, "pope.config metadata");
        free(cj);
        // the header names every tensor exactly as docs/MODEL.md lists them
        size_t n;
        unsigned char *buf = read_file(path, &n);
        CHECK(buf && strstr((char *)buf + 8, "\"layers.1.attention.pope_delta\"") &&
              strstr((char *)buf + 8, "\"layers.0.feed_forward.w2.weight\"") &&
              (strstr((char *)buf + 8, "\"output.weight\"") == NULL) == tie, "tensor names in header");
        uint64_t hlen;
        memcpy(&hlen, buf, 8);
        CHECK(hlen % 8 == 0, "header length %llu not padded to 8", (unsigned long long)hlen);
        free(buf);
        // a plain model file is not a training checkpoint
        pope_adamw *opt = NULL;
        CHECK(pope_load(path, &opt, NULL) == NULL && strstr(pope_last_error(), "training checkpoint"),
              "optimizer state from a plain file: %s", pope_last_error());
        pope_model_free(r);
        pope_model_free(m);
    }
    // training checkpoint: moments, step, rng, user json
    pope_config cfg = tiny_config(POPE_PE_ROPE, 0);
    pope_model *m = pope_model_new(&cfg, 1);
    pope_adamw *opt = pope_adamw_new(m);
    pope_adamw_config ac;
    pope_adamw_config_default(&ac);
    int32_t in[8] = {1, 2, 3, 4, 5, 6, 7, 8}, tg[8] = {2, 3, 4, 5, 6, 7, 8, 9};
    for (int s = 0; s < 2; s++) {
        pope_model_zero_grad(m);
        pope_model_forward(m, in, tg, 1, 8, 1, s, NULL);
        pope_model_backward(m, 1.0f);
        pope_adamw_step(opt, m, &ac, 1e-2f, NULL);
    }
    pope_train_state st = {.step = 2, .tokens_seen = 16, .user_json = "{\"pos\": [1, 2]}"};
    pope_rng_seed(&st.rng, 77);
    pope_rng_u64(&st.rng);
    const char *path = tmp_path("train.safetensors");
    CHECK(pope_save(path, m, opt, &st, NULL) == 0, "save train: %s", pope_last_error());
    pope_adamw *opt2 = NULL;
    pope_train_state st2;
    memset(&st2, 0, sizeof st2);
    pope_model *r = pope_load(path, &opt2, &st2);
    CHECK(r && opt2, "load train: %s", pope_last_error());
    if (r && opt2) {
        CHECK(same_params(m, r), "train: parameters differ");
        CHECK(st2.step == 2 && st2.tokens_seen == 16 && memcmp(&st2.rng, &st.rng, sizeof st.rng) == 0,
              "train state: step %lld tokens %lld", (long long)st2.step, (long long)st2.tokens_seen);
        CHECK(st2.user_json && strcmp(st2.user_json, st.user_json) == 0, "user_json '%s'",
              st2.user_json ? st2.user_json : "(null)");
        CHECK(pope_adamw_steps(opt2) == 2, "adamw steps %lld", (long long)pope_adamw_steps(opt2));
        // the moments: one more identical step from both gives identical parameters
        pope_model_zero_grad(m);
        pope_model_zero_grad(r);
        pope_model_forward(m, in, tg, 1, 8, 0, 0, NULL);
        pope_model_backward(m, 1.0f);
        pope_model_forward(r, in, tg, 1, 8, 0, 0, NULL);
        pope_model_backward(r, 1.0f);
        pope_adamw_step(opt, m, &ac, 1e-2f, NULL);
        pope_adamw_step(opt2, r, &ac, 1e-2f, NULL);
        CHECK(same_params(m, r), "after a step from the loaded moments the parameters differ");
    }
    free(st2.user_json);
    pope_adamw_free(opt2);
    pope_model_free(r);
    pope_adamw_free(opt);
    pope_model_free(m);
    // saving into a directory that does not exist fails cleanly
    CHECK(pope_save("/nonexistent-dir/x.safetensors", m = pope_model_new(&cfg, 1), NULL, NULL, NULL) == -1,
          "save into a missing directory succeeded");
    CHECK(pope_save(tmp_path("bad.safetensors"), m, NULL, NULL, "{\"k\": 3}") == -1 &&
          strstr(pope_last_error(), "not a string"), "non-string extra metadata accepted");
    pope_model_free(m);
}

static void test_rejections(void) {
    pope_config cfg = tiny_config(POPE_PE_POLAR, 0);
    pope_model *m = pope_model_new(&cfg, 5);
    const char *good = tmp_path("good.safetensors");
    pope_save(good, m, NULL, NULL, NULL);
    pope_model_free(m);
    size_t n;
    unsigned char *buf = read_file(good, &n);
    CHECK(buf != NULL, "read back");
    if (!buf) return;
    const char *bad = tmp_path("bad.safetensors");

    write_file(bad, buf, n - 100);
    expect_reject(bad, "truncated: ", "truncated data");
    write_file(bad, buf, 5);
    expect_reject(bad, "truncated: ", "truncated before the header length");
    write_file(bad, buf, 200);
    expect_reject(bad, "truncated: ", "truncated inside the header");
    {
        unsigned char c[16];
        memcpy(c, buf, 16);
        uint64_t huge = 1ull << 40;
        memcpy(c, &huge, 8);
        write_file(bad, c, 16);
        expect_reject(bad, "not a safetensors file", "header length beyond EOF");
    }
    mutate(buf, n, "{", "[", bad);
    expect_reject(bad, "JSON", "bad JSON");
    mutate(buf, n, "\"F32\"", "\"F16\"", bad);
    expect_reject(bad, "dtype F16", "wrong dtype");
    mutate(buf, n, "\"shape\":[11,16]", "\"shape\":[16,11]", bad);
    expect_reject(bad, "shape [16,11] but the config wants [11,16]", "wrong shape");
    mutate(buf, n, "\"norm.weight\"", "\"norm.weighx\"", bad);
    expect_reject(bad, "'norm.weight' missing", "missing tensor");
    mutate(buf, n, "\\\"n_layers\\\":2", "\\\"n_layers\\\":1", bad);
    expect_reject(bad, "config mismatch", "config with fewer layers than the tensors");
    mutate(buf, n, "\\\"d_model\\\":16", "\\\"d_model\\\":32", bad);
    expect_reject(bad, "config wants", "config with another d_model");
    // a config for a 1.6·10^9-parameter model over a file of a few KB: refused by size before
    // anything is allocated (it asked for 12 GB)
    mutate(buf, n, "\\\"n_layers\\\":2", "\\\"n_layers\\\":9", bad);
    expect_reject(bad, "config mismatch", "config with more layers than the tensors");
    {   // header-only files: a config of 16384 × 96 layers (1.6·10^11 bytes), then d_model near INT_MAX
        pope_config big = cfg;
        big.d_model = POPE_MAX_D_MODEL;
        big.n_layers = 96;
        big.n_heads = 128;
        char *cj = pope_config_to_json(&big);
        cJSON *h = cJSON_CreateObject(), *meta = cJSON_AddObjectToObject(h, "__metadata__");
        cJSON_AddStringToObject(meta, "pope.config", cj);
        char *hs = cJSON_PrintUnformatted(h);
        uint64_t hl = strlen(hs);
        unsigned char *f = calloc(1, 8 + hl + 2048);
        memcpy(f, &hl, 8);
        memcpy(f + 8, hs, hl);
        write_file(bad, f, 8 + hl + 2048);
        expect_reject(bad, "config mismatch", "a config describing 160 GB in a 2 KB file");
        char *at = strstr((char *)f + 8, "16384");
        if (at) memcpy(at, "99999", 5);   // d_model 99999: out of range
        write_file(bad, f, 8 + hl + 2048);
        expect_reject(bad, "d_model 99999 must be in", "d_model out of range");
        free(f);
        free(hs);
        cJSON_Delete(h);
        free(cj);
    }
    mutate(buf, n, "\\\"pe\\\":\\\"polar\\\"", "\\\"pe\\\":\\\"xolar\\\"", bad);
    expect_reject(bad, "pope.config", "config with an unknown encoding");
    mutate(buf, n, "pope.config", "pope.cowfig", bad);
    expect_reject(bad, "no pope.config", "no config");
    expect_reject(tmp_path("does-not-exist.safetensors"), "No such file", "non-existent file");
    expect_reject(dir, "not a regular file", "a directory");
    {
        pope_rng rng;
        pope_rng_seed(&rng, 1);
        unsigned char rnd[4096];
        for (size_t i = 0; i < sizeof rnd; i++) rnd[i] = (unsigned char)pope_rng_u64(&rng);
        write_file(bad, rnd, sizeof rnd);
        expect_reject(bad, "", "random bytes");
        rnd[0] = 100; memset(rnd + 1, 0, 7);   // a plausible length, then garbage
        write_file(bad, rnd, sizeof rnd);
        expect_reject(bad, "JSON", "random bytes after a plausible length");
    }
    // overlapping tensors: a hand-made header in which two tensors share bytes
    {
        char *cj = pope_config_to_json(&cfg);
        cJSON *h = cJSON_CreateObject(), *meta = cJSON_AddObjectToObject(h, "__metadata__");
        cJSON_AddStringToObject(meta, "pope.config", cj);
        const char *names[2] = {"norm.weight", "layers.0.ffn_norm.weight"};
        for (int i = 0; i < 2; i++) {
            cJSON *t = cJSON_AddObjectToObject(h, names[i]);
            cJSON_AddStringToObject(t, "dtype", "F32");
            cJSON *s = cJSON_AddArrayToObject(t, "shape");
            cJSON_AddItemToArray(s, cJSON_CreateNumber(16));
            cJSON *o = cJSON_AddArrayToObject(t, "data_offsets");
            cJSON_AddItemToArray(o, cJSON_CreateNumber(i * 32));
            cJSON_AddItemToArray(o, cJSON_CreateNumber(i * 32 + 64));
        }
        char *hs = cJSON_PrintUnformatted(h);
        uint64_t hl = strlen(hs);
        size_t total = 8 + hl + 96;
        unsigned char *f = calloc(1, total);
        memcpy(f, &hl, 8);
        memcpy(f + 8, hs, hl);
        write_file(bad, f, total);
        expect_reject(bad, "overlap", "overlapping tensors");
        free(f);
        free(hs);
        cJSON_Delete(h);
        free(cj);
    }
    CHECK(pope_load_metadata(tmp_path("does-not-exist.safetensors"), "pope.config") == NULL,
          "metadata of a missing file");
    free(buf);
}

// pope.train counters: negative, or numbers no int64_t holds, are errors (not garbage
// AdamW bias corrections, not an undefined float-to-integer cast).
static void test_train_state_rejections(void) {
    pope_config cfg = tiny_config(POPE_PE_POLAR, 0);
    pope_model *m = pope_model_new(&cfg, 5);
    pope_adamw *opt = pope_adamw_new(m);
    pope_train_state st = {.step = 2, .tokens_seen = 16, .user_json = NULL};
    const char *good = tmp_path("train.safetensors");
    CHECK(pope_save(good, m, opt, &st, NULL) == 0, "save: %s", pope_last_error());
    pope_adamw_free(opt);
    pope_model_free(m);
    size_t n;
    unsigned char *buf = read_file(good, &n);
    CHECK(buf != NULL, "read back");
    if (!buf) return;
    const char *bad = tmp_path("bad_train.safetensors");
    mutate(buf, n, "\\\"tokens_seen\\\":\\\"16\\\"", "\\\"tokens_seen\\\":\\\"-6\\\"", bad);
    expect_reject(bad, "negative", "negative tokens_seen");
    mutate(buf, n, "\\\"tokens_seen\\\":\\\"16\\\"", "\\\"tokens_seen\\\":1e300 ", bad);
    expect_reject(bad, "not an integer", "tokens_seen beyond int64");
    free(buf);
}

int main(void) {
    pope_runtime_init(1);
    snprintf(dir, sizeof dir, "/tmp/pope_test_safetensors_%d", (int)getpid());
    if (mkdtemp(strcat(dir, "_XXXXXX")) == NULL) {
        fprintf(stderr, "cannot make a temporary directory\n");
        return 1;
    }
    test_round_trips();
    test_rejections();
    test_train_state_rejections();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return check_summary("test_safetensors");
}

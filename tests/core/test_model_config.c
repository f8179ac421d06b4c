// test_model_config.c — config JSON round trip (every field, bit-exact floats), partial
// JSON keeps the other values, validation messages; the RNG's stream and ranges; the
// parameter list (names, shapes, order, count) of a model.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pope.h"

static void test_config(void) {
    pope_config a;
    pope_config_default(&a);
    CHECK(pope_config_validate(&a) == 0, "defaults invalid: %s", pope_last_error());
    a.vocab_size = 4101;
    a.d_model = 96;
    a.n_layers = 3;
    a.n_heads = 6;
    a.context_length = 2048;
    a.pe = POPE_PE_LEGENDRE;
    a.pe_base = 12345.678f;
    a.legendre_grid = POPE_GRID_MIDPOINT;
    a.delta_init = POPE_DELTA_UNIFORM;
    a.norm_eps = 1e-6f;
    a.tie_embeddings = 1;
    a.dropout_attn = 0.1f;
    a.dropout_resid = 0.3f;
    a.init_std = 0.02f;
    a.embed_init_std = 0.75f;
    snprintf(a.tokenizer, sizeof a.tokenizer, "remi \"v2\"");
    char *js = pope_config_to_json(&a);
    CHECK(js && strstr(js, "\"pe\":\"legendre\"") && strstr(js, "\"legendre_grid\":\"midpoint\""),
          "json: %s", js ? js : "(null)");
    pope_config b;
    pope_config_default(&b);
    CHECK(pope_config_from_json(&b, js) == 0, "from_json: %s", pope_last_error());
    CHECK(memcmp(&a, &b, sizeof a) == 0, "config differs after a JSON round trip");
    free(js);

    pope_config c;
    pope_config_default(&c);
    CHECK(pope_config_from_json(&c, "{\"d_model\": 64, \"pe\": \"rope\"}") == 0, "partial json");
    pope_config d;
    pope_config_default(&d);
    CHECK(c.d_model == 64 && c.pe == POPE_PE_ROPE && c.n_layers == d.n_layers &&
          c.vocab_size == d.vocab_size, "partial json changed other fields");
    CHECK(pope_config_from_json(&c, "{\"pe\": \"alibi\"}") == -1 && strstr(pope_last_error(), "alibi"),
          "unknown pe: %s", pope_last_error());
    CHECK(c.pe == POPE_PE_ROPE, "a failed parse modified the config");
    CHECK(pope_config_from_json(&c, "{\"d_model\": 6.5}") == -1, "fractional d_model accepted");
    CHECK(pope_config_from_json(&c, "{\"d_model\": \"64\"}") == -1, "string d_model accepted");
    CHECK(pope_config_from_json(&c, "not json") == -1, "bad JSON accepted");
    CHECK(pope_config_from_json(&c, "[1]") == -1, "non-object accepted");

    pope_config e = d;
    e.n_heads = 5;   // 128 % 5 != 0
    CHECK(pope_config_validate(&e) == -1 && strstr(pope_last_error(), "n_heads"), "d %% H: %s",
          pope_last_error());
    e = d;
    e.pe = POPE_PE_ROPE;
    e.d_model = 12;
    e.n_heads = 4;   // D = 3, odd
    CHECK(pope_config_validate(&e) == -1 && strstr(pope_last_error(), "even"), "rope odd D");
    e = d;
    e.dropout_attn = 1.0f;
    CHECK(pope_config_validate(&e) == -1, "dropout 1 accepted");
    e = d;
    e.vocab_size = 0;
    CHECK(pope_config_validate(&e) == -1, "vocab 0 accepted");
    CHECK(pope_model_new(&e, 1) == NULL, "model_new with an invalid config");
    // Sizes near INT_MAX (a checkpoint's config is input): refused, nothing overflows on the way.
    struct { int *field; int value; const char *want; } huge[] = {
        {&e.d_model, 2147483584, "d_model"}, {&e.n_layers, 2147483647, "n_layers"},
        {&e.vocab_size, 2147483647, "vocab_size"}, {&e.context_length, 2147483647, "context_length"},
        {&e.n_heads, 2147483647, "n_heads"}, {&e.d_model, POPE_MAX_D_MODEL + 64, "d_model"},
    };
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        e = d;
        *huge[i].field = huge[i].value;
        CHECK(pope_config_validate(&e) == -1 && strstr(pope_last_error(), huge[i].want) &&
                  pope_config_num_params(&e) == 0, "%s = %d: %s", huge[i].want, huge[i].value, pope_last_error());
    }
    e = d;
    e.vocab_size = POPE_MAX_VOCAB;   // in range alone, but vocab × d_model = 2^24 · 16384 is not one tensor
    e.d_model = POPE_MAX_D_MODEL;
    e.n_heads = 16;
    CHECK(pope_config_validate(&e) == -1 && strstr(pope_last_error(), "vocab_size × d_model"), "V×C: %s", pope_last_error());
    // the largest model the ranges allow is counted in 64 bits: L (4 C² + 8 C² + 2 C) + 2 V C + C
    e.vocab_size = 65536;
    e.n_layers = POPE_MAX_LAYERS;
    e.pe = POPE_PE_ROPE;
    uint64_t C = POPE_MAX_D_MODEL;
    CHECK(pope_config_num_params(&e) == (uint64_t)POPE_MAX_LAYERS * (12 * C * C + 2 * C) + 2 * 65536 * C + C,
          "num_params of the largest config: %llu", (unsigned long long)pope_config_num_params(&e));

    pope_pe_kind k;
    for (int i = 0; i < POPE_PE_COUNT; i++)
        CHECK(pope_pe_parse(pope_pe_name((pope_pe_kind)i), &k) == 0 && (int)k == i, "pe name %d", i);
}

static void test_rng(void) {
    pope_rng a, b;
    pope_rng_seed(&a, 1);
    pope_rng_seed(&b, 1);
    CHECK(pope_rng_u64(&a) == pope_rng_u64(&b), "same seed, different stream");
    pope_rng_seed(&b, 2);
    CHECK(pope_rng_u64(&a) != pope_rng_u64(&b), "different seeds, same stream");
    double sum = 0, sum2 = 0, usum = 0;
    int below_bad = 0, counts[7] = {0};
    const int n = 100000;
    for (int i = 0; i < n; i++) {
        double z = pope_rng_normal(&a);
        sum += z;
        sum2 += z * z;
        float u = pope_rng_uniform(&a);
        if (u < 0.0f || u >= 1.0f) below_bad++;
        usum += u;
        uint64_t r = pope_rng_below(&a, 7);
        if (r >= 7) below_bad++;
        else counts[r]++;
    }
    CHECK(below_bad == 0, "%d draws out of range", below_bad);
    CHECK(fabs(sum / n) < 0.02 && fabs(sum2 / n - 1) < 0.03, "normal: mean %g var %g", sum / n, sum2 / n);
    CHECK(fabs(usum / n - 0.5) < 0.01, "uniform mean %g", usum / n);
    for (int i = 0; i < 7; i++)
        CHECK(fabs(counts[i] / (double)n - 1 / 7.0) < 0.01, "below(7) value %d frequency %g", i,
              counts[i] / (double)n);
}

static void test_tensor_list(void) {
    pope_config cfg;
    pope_config_default(&cfg);
    cfg.vocab_size = 7;
    cfg.d_model = 8;
    cfg.n_layers = 2;
    cfg.n_heads = 2;
    cfg.pe = POPE_PE_POLAR;
    cfg.delta_init = POPE_DELTA_UNIFORM;
    pope_model *m = pope_model_new(&cfg, 1);
    const char *want[] = {"tok_embeddings.weight", "layers.0.attention_norm.weight",
        "layers.0.attention.wq.weight", "layers.0.attention.wk.weight", "layers.0.attention.wv.weight",
        "layers.0.attention.wo.weight", "layers.0.attention.pope_delta", "layers.0.ffn_norm.weight",
        "layers.0.feed_forward.w1.weight", "layers.0.feed_forward.w2.weight"};
    const int rows[] = {7, 8, 8, 8, 8, 8, 2, 8, 32, 8}, cols[] = {8, 0, 8, 8, 8, 8, 4, 0, 8, 32};
    CHECK(pope_model_num_tensors(m) == 1 + 2 * 9 + 2, "tensor count %d", pope_model_num_tensors(m));
    // V C + L (2 C + 4 C² + H D + 2 · 4 C²) + C + V C, by hand: 56 + 2 (16 + 256 + 8 + 512) + 8 + 56
    CHECK(pope_config_num_params(&cfg) == 1704 && pope_model_num_params(m) == 1704,
          "num_params %llu / %zu, want 1704", (unsigned long long)pope_config_num_params(&cfg),
          pope_model_num_params(m));
    for (int i = 0; i < 10; i++) {
        pope_tensor t = pope_model_tensor(m, i);
        CHECK(strcmp(t.name, want[i]) == 0 && t.shape[0] == rows[i] && t.shape[1] == cols[i],
              "tensor %d: %s [%d,%d], want %s [%d,%d]", i, t.name, t.shape[0], t.shape[1], want[i],
              rows[i], cols[i]);
    }
    int last = pope_model_num_tensors(m) - 1;
    CHECK(strcmp(pope_model_tensor(m, last).name, "output.weight") == 0, "last tensor");
    CHECK(pope_model_find_tensor(m, "norm.weight") == last - 1, "find norm.weight");
    CHECK(pope_model_find_tensor(m, "nope") == -1, "find a missing tensor");
    size_t total = 0;
    for (int i = 0; i <= last; i++) total += pope_model_tensor(m, i).numel;
    CHECK(total == pope_model_num_params(m) && total == 2 * 7 * 8 + 8 + 2 * (2 * 8 + 4 * 64 + 8 + 2 * 256),
          "num_params %zu", total);
    // init: δ in [-2π, 0], norms 1, matrices ~N(0, 0.02)
    pope_tensor d = pope_model_tensor(m, 6), g = pope_model_tensor(m, 1), w = pope_model_tensor(m, 8);
    int ok = 1;
    for (size_t j = 0; j < d.numel; j++) ok &= d.data[j] <= 0.0f && d.data[j] >= -2 * (float)M_PI;
    CHECK(ok, "uniform δ outside [-2π, 0]");
    for (size_t j = 0; j < g.numel; j++) ok &= g.data[j] == 1.0f;
    CHECK(ok, "norm weight not 1");
    double s2 = 0;
    for (size_t j = 0; j < w.numel; j++) s2 += (double)w.data[j] * w.data[j];
    CHECK(fabs(sqrt(s2 / w.numel) - 0.02) < 0.004, "init std %g", sqrt(s2 / w.numel));
    pope_model *m2 = pope_model_new(&cfg, 1);
    CHECK(memcmp(pope_model_tensor(m, 8).data, pope_model_tensor(m2, 8).data, w.numel * 4) == 0,
          "init not deterministic in the seed");
    pope_model_free(m2);
    pope_model_free(m);
    cfg.tie_embeddings = 1;
    cfg.pe = POPE_PE_ROPE;
    m = pope_model_new(&cfg, 1);
    CHECK(pope_model_num_tensors(m) == 1 + 2 * 8 + 1 && pope_model_find_tensor(m, "output.weight") < 0,
          "tied rope: %d tensors", pope_model_num_tensors(m));
    pope_model_free(m);
}

// tok_embeddings init: auto gives std 1 for the absolute encodings (untied), init_std for
// the others and for tied outputs; an explicit embed_init_std wins. Measured sample std.
static double embed_std(pope_pe_kind pe, int tied, float explicit_std) {
    pope_config c;
    pope_config_default(&c);
    c.vocab_size = 64;
    c.d_model = 64;
    c.n_layers = 1;
    c.n_heads = 2;
    c.pe = pe;
    c.tie_embeddings = tied;
    c.embed_init_std = explicit_std;
    pope_model *m = pope_model_new(&c, 7);
    if (!m) return -1.0;
    pope_tensor t = pope_model_tensor(m, pope_model_find_tensor(m, "tok_embeddings.weight"));
    double s2 = 0.0;
    for (size_t i = 0; i < t.numel; i++) s2 += (double)t.data[i] * t.data[i];
    pope_model_free(m);
    return sqrt(s2 / (double)t.numel);
}

static void test_embed_init(void) {
    // 4096 draws: the sample std is within ~3% of the true one
    CHECK_NEAR(embed_std(POPE_PE_SINUSOIDAL, 0, 0.0f), 1.0, 0, 0.06, "sinusoidal auto");
    CHECK_NEAR(embed_std(POPE_PE_LEGENDRE, 0, 0.0f), 1.0, 0, 0.06, "legendre auto");
    CHECK_NEAR(embed_std(POPE_PE_ROPE, 0, 0.0f), 0.02, 0, 0.06, "rope auto");
    CHECK_NEAR(embed_std(POPE_PE_POLAR, 0, 0.0f), 0.02, 0, 0.06, "polar auto");
    CHECK_NEAR(embed_std(POPE_PE_NONE, 0, 0.0f), 0.02, 0, 0.06, "none auto");
    CHECK_NEAR(embed_std(POPE_PE_SINUSOIDAL, 1, 0.0f), 0.02, 0, 0.06, "sinusoidal tied");
    CHECK_NEAR(embed_std(POPE_PE_ROPE, 0, 0.5f), 0.5, 0, 0.06, "explicit");
    pope_config c;
    pope_config_default(&c);
    c.embed_init_std = -1.0f;
    CHECK(pope_config_validate(&c) == -1 && strstr(pope_last_error(), "embed_init_std"), "negative: %s",
          pope_last_error());
}

int main(void) {
    pope_runtime_init(1);
    CHECK(pope_num_threads() == 1, "threads %d", pope_num_threads());
    test_config();
    test_embed_init();
    test_rng();
    test_tensor_list();
    return check_summary("test_model_config");
}

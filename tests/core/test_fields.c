// test_fields.c — field tables (include/pope_fields.h) on a test struct and on
// pope_config_fields: defaults, JSON out and in (bit-exact floats, enums by name, booleans,
// durations through the parse hook), range checks with open and closed bounds, a failed
// read leaving the struct untouched, unknown keys, and the list of differing fields.
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "pope.h"
#include "pope_fields.h"

typedef struct {
    int n;
    int64_t big;
    uint64_t seed;
    float x;
    double t;
    int flag;
    int color;
    char name[8];
} thing;

static const char *const colors[] = {"red", "green", "blue", NULL};
static const char *const name_default[] = {"abc", NULL};

// "2m" = 120 s: a minimal duration parser for the hook
static int minutes(const char *s, double *out) {
    char *end;
    double v = strtod(s, &end);
    if (strcmp(end, "m") != 0) return pope_error("not minutes: '%s'", s);
    *out = 60 * v;
    return 0;
}

#define F(key, kind, field) key, kind, offsetof(thing, field)
static const pope_field fields[] = {
    {F("n", POPE_F_INT, n), .def = 3, .lo = 1, .hi = 10},
    {F("big", POPE_F_I64, big), .def = 5, .lo = 0, .hi = 1e12},
    {F("seed", POPE_F_U64, seed), .def = 7, .lo = 0, .hi = 9007199254740992.0},
    {F("x", POPE_F_FLOAT, x), .def = 0.5, .lo = 0, .lo_open = 1, .hi = 1, .hi_open = 1},
    {F("t", POPE_F_DURATION, t), .def = 0, .lo = 0, .hi = 1e6, .parse = minutes},
    {F("flag", POPE_F_BOOL, flag), .def = 1},
    {F("color", POPE_F_ENUM, color), .def = 2, .names = colors},
    {F("name", POPE_F_STR, name), .size = 8, .names = name_default},
    {F("keep", POPE_F_INT, n), .def = NAN, .lo = 0, .hi = 100},   // no default of its own
    {0},
};

static int from(thing *t, const char *json) {
    cJSON *o = cJSON_Parse(json);
    int rc = pope_fields_from_json(fields, t, o, "thing");
    cJSON_Delete(o);
    return rc;
}

static void test_thing(void) {
    thing a;
    memset(&a, 0xAB, sizeof a);
    pope_fields_default(fields, &a);
    CHECK(a.n == 3 && a.big == 5 && a.seed == 7 && a.x == 0.5f && a.t == 0 && a.flag == 1 && a.color == 2 &&
              !strcmp(a.name, "abc"),
          "defaults");
    CHECK(pope_fields_validate(fields, &a, "thing") == 0, "defaults valid: %s", pope_last_error());

    a.x = 0.1f;   // not exact in binary: must survive JSON bit for bit
    a.seed = 123456789012345ull;
    cJSON *o = cJSON_CreateObject();
    pope_fields_to_json(fields, &a, o);
    char *js = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    CHECK(js && strstr(js, "\"color\":\"blue\"") && strstr(js, "\"flag\":true") && strstr(js, "\"name\":\"abc\""),
          "to_json: %s", js ? js : "");
    thing b;
    pope_fields_default(fields, &b);
    int rc = from(&b, js);
    CHECK(rc == 0 && !memcmp(&a.x, &b.x, sizeof a.x) && b.seed == a.seed && b.color == 2,
          "round trip: rc %d x %.9g seed %llu: %s", rc, b.x, (unsigned long long)b.seed, pope_last_error());
    free(js);

    CHECK(from(&b, "{\"t\": \"2m\", \"color\": \"red\", \"flag\": 0, \"name\": \"xyz\"}") == 0 && b.t == 120 &&
              b.color == 0 && b.flag == 0 && !strcmp(b.name, "xyz") && b.n == 3,
          "partial JSON, duration string, enum, bool as 0");
    CHECK(from(&b, "{\"t\": 30}") == 0 && b.t == 30, "duration as seconds");

    // each bad value: -1, a message naming the key, and nothing stored (big is read first)
    static const struct {
        const char *json, *want;
    } bad[] = {
        {"{\"big\": 9, \"n\": 11}", "n 11 must be in [1, 10]"},
        {"{\"big\": 1.5}", "big must be an integer"},
        {"{\"big\": 9, \"x\": 1}", "x 1 must be in (0, 1)"},
        {"{\"big\": 9, \"x\": 0}", "x 0 must be in (0, 1)"},
        {"{\"big\": 9, \"color\": \"pink\"}", "color 'pink' (red, green, blue)"},
        {"{\"big\": 9, \"flag\": 2}", "flag must be true or false"},
        {"{\"big\": 9, \"name\": \"12345678\"}", "longer than 7 bytes"},
        {"{\"big\": 9, \"t\": \"2h\"}", "t: not minutes"},
        {"{\"big\": 9, \"n\": \"9\"}", "n must be a number"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        pope_fields_default(fields, &b);
        CHECK(from(&b, bad[k].json) == -1 && strstr(pope_last_error(), bad[k].want) &&
                  !strncmp(pope_last_error(), "thing: ", 7),
              "%s: %s", bad[k].json, pope_last_error());
        CHECK(b.big == 5, "%s: nothing stored", bad[k].json);
    }

    cJSON *k = cJSON_Parse("{\"n\": 1, \"extra\": 2, \"nn\": 3}");
    static const char *const extra[] = {"extra", NULL};
    CHECK(pope_fields_check_keys(fields, k, extra, "thing") == -1 && strstr(pope_last_error(), "unknown key 'nn'") &&
              strstr(pope_last_error(), "(known: n, big, seed, x, t, flag, color, name, keep, extra)"),
          "unknown key: %s", pope_last_error());
    cJSON_Delete(k);

    pope_fields_default(fields, &a);
    b = a;
    char buf[256];
    CHECK(pope_fields_diff(fields, &a, &b, NULL, buf, sizeof buf) == 0 && buf[0] == '\0', "no difference");
    b.big = 6;
    b.color = 0;
    CHECK(pope_fields_diff(fields, &a, &b, NULL, buf, sizeof buf) == 2 && !strcmp(buf, "big 5 -> 6, color blue -> red"),
          "diff: %s", buf);
    static const char *const skip[] = {"big", NULL};
    CHECK(pope_fields_diff(fields, &a, &b, skip, buf, sizeof buf) == 1 && !strcmp(buf, "color blue -> red"),
          "diff with skip: %s", buf);
    a.n = 0;
    CHECK(pope_fields_validate(fields, &a, "thing") == -1 && strstr(pope_last_error(), "thing: n 0 must be in [1, 10]"),
          "validate: %s", pope_last_error());
}

// pope_config_fields: the documented defaults (docs/MODEL.md), every field in the JSON.
static void test_config_table(void) {
    pope_config c;
    pope_config_default(&c);
    CHECK(c.vocab_size == 256 && c.d_model == 128 && c.n_layers == 4 && c.n_heads == 4 && c.context_length == 512 &&
              c.pe == POPE_PE_POLAR && c.pe_base == 10000.0f && c.norm_eps == 1e-5f && c.init_std == 0.02f &&
              c.embed_init_std == 0 && !c.tie_embeddings && !strcmp(c.tokenizer, "none"),
          "config defaults");
    int n = 0;
    char *js = pope_config_to_json(&c);
    for (const pope_field *f = pope_config_fields; f->key; f++, n++) {
        char pat[64];
        snprintf(pat, sizeof pat, "\"%s\":", f->key);
        CHECK(js && strstr(js, pat), "%s in the JSON", f->key);
    }
    free(js);
    CHECK(n == 17, "17 config fields, got %d", n);
    c.pe_base = 1.0f;
    CHECK(pope_config_validate(&c) == -1 && strstr(pope_last_error(), "pe_base"), "pe_base > 1: %s", pope_last_error());
    pope_config_default(&c);
    c.dropout_attn = 1.0f;
    CHECK(pope_config_validate(&c) == -1 && strstr(pope_last_error(), "dropout_attn"), "dropout < 1: %s",
          pope_last_error());
}

int main(void) {
    test_thing();
    test_config_table();
    return check_summary("test_fields");
}

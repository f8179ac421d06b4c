// test_pipeline_util.c — parsers, eval windowing arithmetic, .npy, SVG, presets and the
// shared command line of libpope_pipeline (no model needed).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "check.h"
#include "pipeline_test_util.h"
#include "pope_pipeline.h"

static char tmpdir[256];

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

static void test_duration(void) {
    double s;
    CHECK(pope_parse_duration("90s", &s) == 0 && s == 90, "90s -> %g", s);
    CHECK(pope_parse_duration("30m", &s) == 0 && s == 1800, "30m -> %g", s);
    CHECK(pope_parse_duration("2h", &s) == 0 && s == 7200, "2h -> %g", s);
    CHECK(pope_parse_duration("1h30m", &s) == 0 && s == 5400, "1h30m -> %g", s);
    CHECK(pope_parse_duration("1h2m3s", &s) == 0 && s == 3723, "1h2m3s -> %g", s);
    CHECK(pope_parse_duration("45", &s) == 0 && s == 45, "45 -> %g", s);
    CHECK(pope_parse_duration("1.5h", &s) == 0 && s == 5400, "1.5h -> %g", s);
    const char *bad[] = {"", "m", "10x", "-5m", "1h30", "0s", "abc", "5m 3s",
                         "1e308m", "1e400s", "400d", "9999999h", NULL};   // overflow / absurd
    for (int i = 0; bad[i]; i++) CHECK(pope_parse_duration(bad[i], &s) != 0, "'%s' accepted", bad[i]);
    char buf[32];
    CHECK(!strcmp(pope_format_duration(3723, buf, sizeof buf), "1h02m03s"), "format 3723: %s", buf);
    CHECK(!strcmp(pope_format_duration(65, buf, sizeof buf), "1m05s"), "format 65: %s", buf);
    CHECK(!strcmp(pope_format_duration(2.54, buf, sizeof buf), "2.5s"), "format 2.54: %s", buf);
}

static void test_int_list(void) {
    int v[8], n = 0;
    CHECK(pope_parse_int_list("1,2,4,8", v, 8, &n) == 0 && n == 4 && v[0] == 1 && v[3] == 8, "1,2,4,8 n=%d", n);
    CHECK(pope_parse_int_list("16", v, 8, &n) == 0 && n == 1 && v[0] == 16, "16");
    const char *bad[] = {"", "1,", ",1", "1,,2", "0", "-1", "1,a", "1 2", NULL};
    for (int i = 0; bad[i]; i++) CHECK(pope_parse_int_list(bad[i], v, 8, &n) != 0, "'%s' accepted", bad[i]);
    CHECK(pope_parse_int_list("1,2,3", v, 2, &n) != 0, "more than max accepted");
}

static void test_split(void) {
    pope_split s;
    CHECK(pope_split_parse("validation", &s) == 0 && s == POPE_SPLIT_VALID, "validation");
    CHECK(pope_split_parse("valid", &s) == 0 && s == POPE_SPLIT_VALID, "valid");
    CHECK(pope_split_parse("all", &s) == 0 && s == POPE_SPLIT_ALL, "all");
    CHECK(pope_split_parse("tests", &s) != 0, "tests accepted");
    CHECK(!strcmp(pope_split_name(POPE_SPLIT_TEST), "test"), "name");
}

// Hand-checked windowing: T = 4, windows of 5 tokens.
static void test_windows(void) {
    int64_t t;
    CHECK(pope_eval_windows(12, 4, &t) == 3 && t == 9, "len 12: [0,5) [5,10) [10,12) -> 3 windows, 4+4+1 targets; got %lld", (long long)t);
    CHECK(pope_eval_windows(11, 4, &t) == 2 && t == 8, "len 11: the 1-token rest is dropped; got %lld", (long long)t);
    CHECK(pope_eval_windows(10, 4, &t) == 2 && t == 8, "len 10: exactly two windows");
    CHECK(pope_eval_windows(5, 4, &t) == 1 && t == 4, "len 5: one window");
    CHECK(pope_eval_windows(4, 4, &t) == 1 && t == 3, "len 4: one short window of 3 targets");
    CHECK(pope_eval_windows(2, 4, &t) == 1 && t == 1, "len 2: one target");
    CHECK(pope_eval_windows(1, 4, &t) == 0 && t == 0, "len 1: nothing");
    CHECK(pope_eval_windows(0, 4, &t) == 0 && t == 0, "len 0: nothing");
    CHECK(pope_eval_windows(7, 1, &t) == 3 && t == 3, "T=1: pairs (0,1) (2,3) (4,5), rest 1 dropped: %lld", (long long)t);
}

// A corpus of sequence lengths only (the walk never reads tokens): train {12, 1, 0, 5},
// valid none, test {4}.
static const int64_t walk_lens[3][4] = {{12, 1, 0, 5}, {0}, {4}};
static const int64_t walk_n[3] = {4, 0, 1};
static int64_t walk_n_seqs(void *ctx, pope_split s) { (void)ctx; return walk_n[s]; }
static int64_t walk_seq_len(void *ctx, pope_split s, int64_t q) { (void)ctx; return walk_lens[s][q]; }

// Hand-listed windows of that corpus at T = 4 (windows of 5 tokens).
static void test_window_walk(void) {
    const pope_corpus c = {.n_seqs = walk_n_seqs, .seq_len = walk_seq_len};
    const pope_window want[] = {
        {POPE_SPLIT_TRAIN, 0, 0, 5, 0}, {POPE_SPLIT_TRAIN, 0, 5, 5, 0}, {POPE_SPLIT_TRAIN, 0, 10, 2, 1},
        {POPE_SPLIT_TRAIN, 3, 0, 5, 1}, {POPE_SPLIT_TEST, 0, 0, 4, 1}};
    pope_window_iter it;
    pope_window w;
    int k = 0;
    CHECK(pope_window_iter_init(&it, &c, POPE_SPLIT_ALL, 4) == 0, "init: %s", pope_last_error());
    for (; pope_window_next(&it, &w); k++)
        CHECK(k < 5 && w.split == want[k].split && w.seq == want[k].seq && w.off == want[k].off && w.n == want[k].n &&
                  w.ends_seq == want[k].ends_seq,
              "window %d: split %d seq %lld off %lld n %d ends %d", k, (int)w.split, (long long)w.seq,
              (long long)w.off, w.n, w.ends_seq);
    CHECK(k == 5, "5 windows, got %d", k);
    CHECK(pope_window_next(&it, &w) == 0, "the walk stays at its end");
    int64_t t;
    CHECK(pope_split_windows(&c, POPE_SPLIT_ALL, 4, &t) == 5 && t == 4 + 4 + 1 + 4 + 3, "count all: %lld targets", (long long)t);
    CHECK(pope_split_windows(&c, POPE_SPLIT_VALID, 4, &t) == 0 && t == 0, "valid is empty");
    CHECK(pope_window_iter_init(&it, &c, POPE_SPLIT_VALID, 4) == 0 && pope_window_next(&it, &w) == 0, "empty split: no window");
    CHECK(pope_window_iter_init(&it, &c, POPE_SPLIT_TEST, 0) != 0, "T = 0 refused");
    CHECK(pope_window_iter_init(&it, &c, (pope_split)7, 4) != 0, "split 7 refused");
}

static void test_npy(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/a.npy", tmpdir);
    int32_t data[300];
    for (int i = 0; i < 300; i++) data[i] = i * 7919 - 100000;
    CHECK(pope_npy_write_i32(path, data, 300) == 0, "write: %s", pope_last_error());
    char *raw = slurp(path);
    CHECK(raw && !memcmp(raw, "\x93NUMPY\x01\x00", 8), "magic");
    if (raw) {
        int hlen = (unsigned char)raw[8] | (unsigned char)raw[9] << 8;
        CHECK((10 + hlen) % 64 == 0, "data aligned to 64: header %d", hlen);
        CHECK(raw[10 + hlen - 1] == '\n', "header ends with newline");
        CHECK(strstr(raw + 10, "'descr': '<i4'") && strstr(raw + 10, "'shape': (300,)"), "header dict");
    }
    free(raw);
    int32_t *back;
    int64_t n;
    CHECK(pope_npy_read_i32(path, &back, &n) == 0 && n == 300, "read: %s", pope_last_error());
    if (n == 300) CHECK(!memcmp(back, data, sizeof data), "round trip differs");
    free(back);
    // empty array
    CHECK(pope_npy_write_i32(path, data, 0) == 0 && pope_npy_read_i32(path, &back, &n) == 0 && n == 0, "empty");
    free(back);
    // a streamed file: the header alone, then the data written in two parts
    FILE *sf = fopen(path, "wb");
    CHECK(sf && pope_npy_write_header(sf, 300) == 0, "header alone");
    if (sf) {
        CHECK(fwrite(data, 4, 100, sf) == 100 && fwrite(data + 100, 4, 200, sf) == 200, "stream the data");
        fclose(sf);
    }
    CHECK(pope_npy_read_i32(path, &back, &n) == 0 && n == 300 && !memcmp(back, data, sizeof data),
          "streamed file reads back: %s", pope_last_error());
    free(back);
    // an int64 file as numpy writes by default, hand-made: values 5, -3
    unsigned char i8[128 + 16];
    memset(i8, 0, sizeof i8);
    const char *dict = "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }";
    memcpy(i8, "\x93NUMPY\x01\x00", 8);
    i8[8] = 118, i8[9] = 0;
    memset(i8 + 10, ' ', 118);
    memcpy(i8 + 10, dict, strlen(dict));
    i8[127] = '\n';
    int64_t vals[2] = {5, -3};
    memcpy(i8 + 128, vals, 16);
    FILE *f = fopen(path, "wb");
    fwrite(i8, 1, sizeof i8, f);
    fclose(f);
    CHECK(pope_npy_read_i32(path, &back, &n) == 0 && n == 2 && back[0] == 5 && back[1] == -3, "int64 file");
    free(back);
    // truncated data
    f = fopen(path, "wb");
    fwrite(i8, 1, sizeof i8 - 4, f);
    fclose(f);
    CHECK(pope_npy_read_i32(path, &back, &n) != 0, "truncated file accepted");
    // not npy
    write_text(path, "hello world, not numpy at all");
    CHECK(pope_npy_read_i32(path, &back, &n) != 0 && strstr(pope_last_error(), "not a .npy"), "bad magic: %s", pope_last_error());
    // 2-D
    dict = "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }";
    memset(i8 + 10, ' ', 118);
    memcpy(i8 + 10, dict, strlen(dict));
    i8[127] = '\n';
    f = fopen(path, "wb");
    fwrite(i8, 1, sizeof i8, f);
    fclose(f);
    CHECK(pope_npy_read_i32(path, &back, &n) != 0, "2-D accepted");
    CHECK(pope_npy_read_i32("/nonexistent/x.npy", &back, &n) != 0, "missing file");
    // hostile shapes (issue 12): count × 4 wrapping size_t, a count strtoll saturates, and a
    // plausible count in a file far too small for it; each refused before anything is allocated
    struct { const char *shape, *want; } hostile[] = {
        {"(4611686018427387905,)", "larger than"},   // 2^62 + 1: × 4 wraps to 4
        {"(99999999999999999999999,)", "larger than"},
        {"(500000000,)", "truncated"},
        {"(3,)", "truncated"},
    };
    for (size_t h = 0; h < sizeof hostile / sizeof hostile[0]; h++) {
        char d[118];
        snprintf(d, sizeof d, "{'descr': '<i4', 'fortran_order': False, 'shape': %s, }", hostile[h].shape);
        memset(i8 + 10, ' ', 118);
        memcpy(i8 + 10, d, strlen(d));
        i8[127] = '\n';
        f = fopen(path, "wb");
        fwrite(i8, 1, 128 + 8, f);   // two int32 values of data
        fclose(f);
        back = NULL;
        CHECK(pope_npy_read_i32(path, &back, &n) != 0 && strstr(pope_last_error(), hostile[h].want) &&
                  strstr(pope_last_error(), path) && back == NULL,
              "shape %s: '%s'", hostile[h].shape, pope_last_error());
    }

    // "-": stdout and stdin (fd 1 and 0 pointed at a file for the test)
    int32_t small[3] = {7, -1, 65535};
    fflush(stdout);
    int saved_out = dup(1), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    int wrc = pope_npy_write_i32("-", small, 3);
    fflush(stdout);
    dup2(saved_out, 1);
    close(saved_out);
    close(fd);
    CHECK(wrc == 0, "write to stdout");
    int saved_in = dup(0);
    fd = open(path, O_RDONLY);
    dup2(fd, 0);
    clearerr(stdin);
    int rrc = pope_npy_read_i32("-", &back, &n);
    dup2(saved_in, 0);
    close(saved_in);
    close(fd);
    CHECK(rrc == 0 && n == 3 && back[0] == 7 && back[1] == -1 && back[2] == 65535, "read from stdin");
    if (rrc == 0) free(back);
}

static void test_svg(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/c.svg", tmpdir);
    double x[5] = {1, 2, 4, 8, 16}, y1[5] = {3, 2.5, 2.2, 2.1, 2.05}, y2[5] = {3, 2.6, NAN, 2.4, 2.6};
    pope_series s[3] = {{"polar", x, y1, 5, 0}, {"rope <&>", x, y2, 5, 1}, {"empty", x, y1, 0, 0}};
    pope_chart ch = {"NLL vs context", "context", "NLL", 1};
    CHECK(pope_svg_line_chart(path, &ch, s, 3) == 0, "svg: %s", pope_last_error());
    char *t = slurp(path);
    CHECK(t != NULL, "svg written");
    if (!t) return;
    CHECK(!strncmp(t, "<svg ", 5), "starts with <svg");
    size_t n = strlen(t);
    CHECK(n > 7 && strstr(t + n - 8, "</svg>"), "ends with </svg>");
    CHECK(count(t, "<svg") == 1 && count(t, "</svg>") == 1, "one svg element");
    CHECK(count(t, "class=\"series\"") == 3, "3 series paths, got %d", count(t, "class=\"series\""));
    CHECK(strstr(t, "rope &lt;&amp;&gt;") != NULL, "legend text escaped");
    CHECK(strstr(t, "<&>") == NULL, "raw markup characters leaked");
    CHECK(count(t, "<text") == count(t, "</text>"), "balanced text tags");
    // the NaN point is a gap: the second path has two M commands
    const char *p2 = strstr(t, "stroke-dasharray=\"5,3\" d=\"");
    CHECK(p2 && count(p2, " M") >= 1, "gap at NaN");
    free(t);
    // a 100k-point series is drawn with at most 2000 points
    int big = 100000;
    double *bx = malloc(big * sizeof *bx), *by = malloc(big * sizeof *by);
    for (int i = 0; i < big; i++) bx[i] = i, by[i] = 5.0 / (1 + i);
    pope_series sb = {"long", bx, by, big, 0};
    CHECK(pope_svg_line_chart(path, &ch, &sb, 1) == 0, "long series");
    free(bx);
    free(by);
    t = slurp(path);
    int points = t ? count(t, " L") + 1 : 0;
    CHECK(points >= 1000 && points <= 2000, "long series drawn with %d points", points);
    free(t);
    // no data at all still gives a valid chart
    CHECK(pope_svg_line_chart(path, &ch, s + 2, 1) == 0, "empty chart");
    t = slurp(path);
    CHECK(t && strstr(t, "no data") && strstr(t, "</svg>"), "empty chart content");
    free(t);
}

static void test_presets(void) {
    char path[512];
    pope_preset p;
    snprintf(path, sizeof path, "%s/tiny.json", tmpdir);
    write_text(path, "{\"name\": \"tiny\", \"description\": \"a test preset\", \"tokenizer\": \"nt\",\n"
                     " \"model\": {\"d_model\": 32, \"n_layers\": 2, \"n_heads\": 4, \"context_length\": 64, "
                     "\"pe\": \"rope\"},\n"
                     " \"train\": {\"batch\": 3, \"lr\": 0.002, \"lr_min\": 0.0002, \"steps\": 50, \"warmup\": 5, "
                     "\"time\": \"2m\", \"beta2\": 0.99, \"dropout\": 0.1, \"seed\": 7}}");
    CHECK(pope_preset_load(&p, path) == 0, "load: %s", pope_last_error());
    CHECK(!strcmp(p.name, "tiny") && p.model.d_model == 32 && p.model.n_layers == 2 && p.model.pe == POPE_PE_ROPE,
          "model fields");
    CHECK(p.train.batch == 3 && p.train.steps == 50 && p.train.warmup == 5 && p.train.seed == 7, "train fields");
    CHECK(p.train.time_s == 120 && p.train.adamw.beta2 == 0.99f, "time and beta2");
    CHECK(p.model.dropout_attn == 0.1f && p.model.dropout_resid == 0.1f, "dropout shorthand");
    CHECK(!strcmp(p.tokenizer, "nt") && !strcmp(p.model.tokenizer, "nt"), "tokenizer");
    CHECK(p.train.accum == 1, "default accum");

    // by name through $POPE_MODELS_DIR
    setenv("POPE_MODELS_DIR", tmpdir, 1);
    CHECK(pope_preset_load(&p, "tiny") == 0 && p.model.context_length == 64, "by name: %s", pope_last_error());
    CHECK(pope_preset_load(&p, "no-such-preset") != 0 && strstr(pope_last_error(), "not found") &&
              strstr(pope_last_error(), "tiny"),
          "unknown name lists the available: %s", pope_last_error());

    // to_json -> from_json round trip
    pope_preset q;
    pope_preset_load(&p, path);
    char *js = pope_preset_to_json(&p);
    CHECK(js && pope_preset_from_json(&q, js, "roundtrip") == 0, "round trip: %s", pope_last_error());
    CHECK(q.model.d_model == p.model.d_model && q.train.lr == p.train.lr && q.train.steps == p.train.steps &&
              q.train.time_s == p.train.time_s,
          "round trip values");
    free(js);

    // errors
    struct {
        const char *json, *want;
    } bad[] = {
        {"{\"train\": {\"lr_mni\": 0.1}}", "lr_mni"},
        {"{\"modle\": {}}", "modle"},
        {"{\"model\": {\"d_model\": 30, \"n_heads\": 4}}", "model"},
        {"{\"train\": {\"batch\": 0}}", "batch"},
        {"{\"train\": {\"steps\": 1.5}}", "steps"},
        {"{\"train\": {\"time\": \"soon\"}}", "time"},
        {"{\"train\": {\"time\": \"1e308m\"}}", "time"},   // infinity, once written back as null
        {"{\"train\": {\"time\": 1e999}}", "time"},
        {"{\"model\": {\"pe\": \"alibi\"}}", "alibi"},
        {"{\"train\": {\"lr\": 0.001, \"lr_min\": 0.01}}", "lr_min"},
        {"{\"name\": \"x\",", "JSON"},
        {"[1,2]", "object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_text(path, bad[i].json);
        int rc = pope_preset_load(&p, path);
        CHECK(rc != 0 && strstr(pope_last_error(), bad[i].want) && strstr(pope_last_error(), path),
              "bad preset %s: rc %d, message '%s'", bad[i].json, rc, pope_last_error());
    }
    CHECK(pope_preset_load(&p, "/nonexistent/dir/x.json") != 0, "missing file");
    // model paths: a missing file, a directory without a model
    CHECK(pope_model_open("/nonexistent/model.safetensors", NULL) == NULL &&
              strstr(pope_last_error(), "/nonexistent/model.safetensors"),
          "missing model: %s", pope_last_error());
    CHECK(pope_model_open(tmpdir, NULL) == NULL && strstr(pope_last_error(), "model.safetensors"),
          "directory without a model: %s", pope_last_error());
    snprintf(path, sizeof path, "%s/garbage.safetensors", tmpdir);
    write_text(path, "this is not a safetensors file");
    CHECK(pope_model_open(path, NULL) == NULL && strstr(pope_last_error(), path), "garbage model: %s",
          pope_last_error());
}

// A train-like command line for the common options (the full parser test is
// test_pipeline_options.c).
static const pope_opt cli_test_opts[] = {
    POPE_COMMON("--preset"), POPE_COMMON("--pe"), POPE_COMMON("--steps"), POPE_COMMON("--time"),
    POPE_COMMON("--lr"), POPE_COMMON("--resume"), POPE_COMMON("--seed"), POPE_COMMON("--context"),
    POPE_COMMON("--batch"), POPE_COMMON("--threads"), POPE_OPT_END,
};

static int cli_positional(void *ctx, int argc, char **argv, int *i) {
    (void)argc;
    *(int *)ctx += !strcmp(argv[*i], "FILE.fa");
    return 1;
}

// Parses argv into o with stderr silenced (usage errors print there); the parser's result.
static int cli_parse(pope_cli *o, int argc, char **argv, int *positional) {
    pope_cmdline c = {.prog = "prog", .cmd = "train", .tables = {cli_test_opts}, .positional = cli_positional,
                      .ctx = positional};
    c.dst[POPE_DST_CLI] = o;
    pope_cli_init(o);
    char path[512];
    snprintf(path, sizeof path, "%s/stderr.txt", tmpdir);
    int saved = stderr_to(path);
    int rc = pope_opts_parse(&c, argc, argv);
    stderr_restore(saved);
    return rc;
}

static void test_cli(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/tiny.json", tmpdir);
    write_text(path, "{\"model\": {\"d_model\": 32, \"n_layers\": 1, \"n_heads\": 4, \"context_length\": 64}, "
                     "\"train\": {\"lr\": 0.001, \"lr_min\": 0.0001, \"steps\": 1000, \"warmup\": 100}}");
    char *argv[] = {"prog", "--preset", path, "--pe=polar", "--steps", "20", "--time", "1h30m", "--lr", "0.01",
                    "--resume", "FILE.fa", "--seed", "42", "--context", "128", "--batch", "2", "--threads", "1", NULL};
    int argc = 20;
    pope_cli o;
    int positional = 0;
    CHECK(cli_parse(&o, argc, argv, &positional) == 0, "parse: %s", pope_last_error());
    CHECK(positional == 1, "positional argument left to the program");
    CHECK(o.resume == 1 && o.steps == 20 && o.time_s == 5400 && o.seed == 42 && o.threads == 1, "values");
    pope_preset p;
    CHECK(pope_cli_preset(&o, NULL, &p) == 0, "apply: %s", pope_last_error());
    CHECK(p.model.pe == POPE_PE_POLAR && p.model.context_length == 128 && p.train.steps == 20 &&
              p.train.batch == 2 && p.train.seed == 42 && p.train.time_s == 5400,
          "overrides");
    CHECK(p.train.lr == 0.01f && p.train.lr_min > 0.00099f && p.train.lr_min < 0.00101f, "lr keeps ratio: %g", p.train.lr_min);
    CHECK(p.train.warmup < 20, "warm-up shortened to fit 20 steps: %lld", (long long)p.train.warmup);

    char *bad1[] = {"prog", "--steps", "abc"}, *bad2[] = {"prog", "--steps"}, *bad3[] = {"prog", "--pe", "alibi"},
         *bad4[] = {"prog", "--time", "5 minutes"}, *bad5[] = {"prog", "--resume=1"};
    char **bads[] = {bad1, bad2, bad3, bad4, bad5};
    int argcs[] = {3, 2, 3, 3, 2};
    for (int k = 0; k < 5; k++) {
        CHECK(cli_parse(&o, argcs[k], bads[k], &positional) == 2, "bad option %d accepted", k);
        snprintf(path, sizeof path, "%s/stderr.txt", tmpdir);
        char *err = slurp(path);
        CHECK(err && strstr(err, bads[k][1][2] == 'r' ? "--resume" : bads[k][1]) != NULL, "message names the option: %s",
              err ? err : "");
        free(err);
    }
    char *other[] = {"prog", "--keep-case"};
    CHECK(cli_parse(&o, 2, other, &positional) == 2, "an option of no table refused");
}

// docs/PIPELINE.md documents every key of both field tables (the table is where a key is
// added: the docs must follow).
static void test_fields_documented(void) {
    char path[1024];
    snprintf(path, sizeof path, "%s/docs/PIPELINE.md", check_source_dir());
    char *doc = slurp(path);
    CHECK(doc != NULL, "read %s", path);
    if (!doc) return;
    const pope_field *tables[2] = {pope_config_fields, pope_train_fields};
    for (int t = 0; t < 2; t++)
        for (const pope_field *f = tables[t]; f->key; f++) {
            char pat[64];
            snprintf(pat, sizeof pat, "`%s`", f->key);
            CHECK(strstr(doc, pat) != NULL, "docs/PIPELINE.md documents %s", f->key);
        }
    pope_train_config d;
    pope_train_config_default(&d);
    CHECK(d.batch == 8 && d.accum == 1 && d.lr == 1e-3f && d.lr_min == 1e-4f && d.adamw.beta1 == 0.9f &&
              d.adamw.weight_decay == 0.1f && d.warmup == 100 && d.steps == 1000 && d.eval_every == 200 &&
              d.eval_tokens == 65536 && d.checkpoint_every == 500 && d.log_every == 10 && d.seed == 1,
          "train defaults as documented");
    free(doc);
}

// The progress meter into a file (not a terminal): one line per 10% once quiet_s has passed,
// each with done/total, the unit, a rate and an ETA; nothing when off or before quiet_s.
static int count_lines(FILE *f, const char *need) {
    char line[256];
    int n = 0;
    rewind(f);
    while (fgets(line, sizeof line, f)) {
        n++;
        CHECK(strstr(line, need) && strstr(line, "ETA") && strstr(line, "tokens/s") && !strchr(line, '\r'),
              "meter line: %s", line);
    }
    return n;
}

static void test_meter(void) {
    FILE *f = tmpfile();
    if (!f) return;
    pope_meter m;
    pope_meter_begin(&m, 1, "tokenize", "tokens", 1000);
    m.out = f;
    m.tty = 0;
    m.quiet_s = 0;
    for (int64_t done = 0; done <= 1000; done += 7) pope_meter_update(&m, done);
    pope_meter_update(&m, 1000);
    pope_meter_end(&m);
    CHECK(count_lines(f, "tokenize: ") == 10, "one line per 10%% of 1000 tokens");
    rewind(f);
    char first[256] = "";
    CHECK(fgets(first, sizeof first, f) && !strncmp(first, "tokenize: 105/1000 tokens", 25), "first line at 10%%: %s", first);
    fclose(f);

    f = tmpfile();
    if (!f) return;
    pope_meter_begin(&m, 1, "eval", "tokens", 1000);   // a short pass: quiet_s (10 s) not reached
    m.out = f;
    m.tty = 0;
    for (int64_t done = 0; done <= 1000; done += 100) pope_meter_update(&m, done);
    pope_meter_end(&m);
    CHECK(count_lines(f, "eval") == 0, "a pass shorter than quiet_s prints nothing");
    pope_meter_begin(&m, 0, "eval", "tokens", 1000);   // off
    m.out = f;
    m.tty = 0;
    m.quiet_s = 0;
    pope_meter_update(&m, 500);
    pope_meter_end(&m);
    CHECK(count_lines(f, "eval") == 0, "off prints nothing");
    fclose(f);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/pope_test_util_XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_duration();
    test_meter();
    test_int_list();
    test_split();
    test_windows();
    test_window_walk();
    test_npy();
    test_svg();
    test_presets();
    test_cli();
    test_fields_documented();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return check_summary("test_pipeline_util");
}

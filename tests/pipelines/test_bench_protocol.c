// test_bench_protocol.c — the bench protocol's pieces that need no training: the options
// (--pe LIST, --seeds, --jobs, --delta-init, --delta-param), the mean/std aggregation and
// the "beyond the seed spread" rule, against numbers worked out by hand below.
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "pope_pipeline.h"

static void test_mean_std(void) {
    double m, s;
    // 2.10, 2.14, 2.12: mean 2.12; deviations −0.02, +0.02, 0; Σd² = 0.0008; /(n−1) = 0.0004; std 0.02
    double a[] = {2.10, 2.14, 2.12};
    CHECK(pope_mean_std(a, 3, &m, &s) == 3, "three values");
    CHECK_NEAR(m, 2.12, 1e-12, 0, "mean of 2.10 2.14 2.12");
    CHECK_NEAR(s, 0.02, 1e-12, 0, "sample std of 2.10 2.14 2.12");
    // 1 2 3 4: mean 2.5, Σd² = 2.25+0.25+0.25+2.25 = 5, std = sqrt(5/3)
    double b[] = {1, 2, NAN, 3, 4};   // a missing value (NAN) is left out
    CHECK(pope_mean_std(b, 5, &m, &s) == 4, "NAN left out");
    CHECK_NEAR(m, 2.5, 1e-12, 0, "mean 1..4");
    CHECK_NEAR(s, sqrt(5.0 / 3.0), 1e-12, 0, "std 1..4 (n−1)");
    double c[] = {3.25};
    CHECK(pope_mean_std(c, 1, &m, &s) == 1 && m == 3.25 && s == 0, "one value: std 0");
    double d[] = {NAN, INFINITY};
    CHECK(pope_mean_std(d, 2, &m, &s) == 0 && isnan(m) && isnan(s), "no finite value: NAN");
}

static void test_rule(void) {
    double t;
    // means 2.12 and 2.22, std 0.02 each over 3 seeds: 2·sqrt(0.0004/3 + 0.0004/3) = 0.0326599
    CHECK(pope_beyond_spread(2.12, 0.02, 3, 2.22, 0.02, 3, &t) == 1, "0.1 apart: beyond");
    CHECK_NEAR(t, 0.032659863, 1e-8, 0, "threshold");
    CHECK(pope_beyond_spread(2.12, 0.02, 3, 2.14, 0.02, 3, &t) == 0, "0.02 apart: within");
    // unequal spreads and counts: 2·sqrt(0.01²/2 + 0.03²/4) = 2·sqrt(0.00005 + 0.000225) = 0.0331662
    CHECK(pope_beyond_spread(1.0, 0.01, 2, 1.033, 0.03, 4, &t) == 0, "0.033 < 0.03317: within");
    CHECK_NEAR(t, 0.033166248, 1e-8, 0, "Welch threshold");
    CHECK(pope_beyond_spread(1.0, 0.01, 2, 1.034, 0.03, 4, NULL) == 1, "0.034 > 0.03317: beyond");
    CHECK(pope_beyond_spread(1.0, 0, 1, 2.0, 0.1, 3, &t) == -1 && isnan(t), "one seed: no spread");
}

// Parses argv as bench's command line (its option table, stderr silenced): 1 parsed, -1 a
// usage error (pope_last_error says why).
static int parse_all(pope_cli *o, int argc, char **argv) {
    pope_cmdline c = {.prog = "prog", .cmd = "bench", .tables = {pope_command_options("bench")}};
    c.dst[POPE_DST_CLI] = o;
    pope_cli_init(o);
    fflush(stderr);
    int saved = dup(2), fd = open("/dev/null", O_WRONLY);
    if (fd >= 0) dup2(fd, 2), close(fd);
    int rc = pope_opts_parse(&c, argc, argv);
    fflush(stderr);
    if (saved >= 0) dup2(saved, 2), close(saved);
    return rc == 0 ? 1 : -1;
}

// The --help option lines of a shared command.
static char *help_of(const char *cmd) {
    pope_cmdline c = {.prog = "prog", .cmd = cmd, .tables = {pope_command_options(cmd)}};
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    if (!f) return NULL;
    pope_opts_help(&c, f);
    fclose(f);
    return text;
}

static void test_options(void) {
    char *argv[] = {"prog", "--pe", "rope,polar", "--seeds", "3", "--jobs=2", "--delta-init", "zero",
                    "--delta-param", "sigmoid", "--time-per-run", "10m", "--contexts", "1,2,4,8,16", NULL};
    pope_cli o;
    CHECK(parse_all(&o, 14, argv) == 1, "bench options: %s", pope_last_error());
    CHECK(o.seeds == 3 && o.jobs == 2 && o.time_per_run_s == 600, "values: seeds %d jobs %d", o.seeds, o.jobs);
    CHECK(o.pe && !strcmp(o.pe, "rope,polar") && !strcmp(o.delta_init, "zero") && !strcmp(o.delta_param, "sigmoid"),
          "strings");
    pope_pe_kind pes[8];
    int n;
    CHECK(pope_pe_list_parse(o.pe, pes, 8, &n) == 0 && n == 2 && pes[0] == POPE_PE_ROPE && pes[1] == POPE_PE_POLAR,
          "list in the given order");
    // the δ options reach the preset; a --pe list leaves the preset's encoding alone
    pope_preset p;
    const char *js = "{\"model\": {\"d_model\": 16, \"n_layers\": 1, \"n_heads\": 2, \"context_length\": 8, "
                     "\"pe\": \"legendre\", \"delta_init\": \"uniform\"}}";
    CHECK(pope_preset_from_json(&p, js, "t") == 0, "preset");
    char path[] = "/tmp/pope_test_bench_preset_XXXXXX.json";
    int fd = mkstemps(path, 5);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (f) {
        fputs(js, f);
        fclose(f);
    }
    o.preset = path;
    CHECK(pope_cli_preset(&o, NULL, &p) == 0, "apply: %s", pope_last_error());
    CHECK(p.model.pe == POPE_PE_LEGENDRE, "a --pe list does not set the preset's pe");
    CHECK(p.model.delta_init == POPE_DELTA_ZERO && p.model.delta_param == POPE_DELTA_SIGMOID, "δ options applied");
    char *one[] = {"prog", "--pe", "polar", "--delta-init", "uniform", "--delta-param", "clamp", NULL};
    CHECK(parse_all(&o, 7, one) == 1, "single pe");
    o.preset = path;
    CHECK(pope_cli_preset(&o, NULL, &p) == 0 && p.model.pe == POPE_PE_POLAR && p.model.delta_init == POPE_DELTA_UNIFORM &&
              p.model.delta_param == POPE_DELTA_CLAMP,
          "one encoding and the δ options applied");
    // a --delta-param list (bench's arms) leaves the preset's parameterisation alone
    char *both[] = {"prog", "--delta-param", "clamp,sigmoid", NULL};
    CHECK(parse_all(&o, 3, both) == 1, "--delta-param clamp,sigmoid: %s", pope_last_error());
    o.preset = path;
    CHECK(pope_cli_preset(&o, NULL, &p) == 0 && p.model.delta_param == POPE_DELTA_CLAMP, "a δ list is left to bench");
    unlink(path);

    struct { char *opt, *val, *says; } bad[] = {
        {"--pe", "polar,polar", "twice"},     {"--pe", "polar,alibi", "alibi"}, {"--pe", "polar,", "commas"},
        {"--seeds", "0", "--seeds"},          {"--jobs", "x", "--jobs"},        {"--delta-init", "half", "zero or uniform"},
        {"--delta-param", "tanh", "clamp, sigmoid"},          {"--delta-param", "clamp,tanh", "clamp, sigmoid"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        char *av[] = {"prog", bad[k].opt, bad[k].val, NULL};
        CHECK(parse_all(&o, 3, av) == -1, "%s %s accepted", bad[k].opt, bad[k].val);
        CHECK(strstr(pope_last_error(), bad[k].says) != NULL, "%s %s: message '%s' lacks '%s'", bad[k].opt, bad[k].val,
              pope_last_error(), bad[k].says);
    }
    char *help_bench = help_of("bench"), *help_train = help_of("train");
    CHECK(help_bench && help_train && strstr(help_bench, "--seeds") && strstr(help_bench, "--jobs") &&
              strstr(help_bench, "--pe LIST") && strstr(help_bench, "--delta-param") && strstr(help_train, "--delta-init"),
          "help lists the options");
    free(help_bench);
    free(help_train);
}

int main(void) {
    test_mean_std();
    test_rule();
    test_options();
    return check_summary("test_bench_protocol");
}

// test_pipeline_options.c — the table-driven option parser (pipelines/common/options.c):
// "--x=v" and "--x v" store the same, every kind of value, range and choice checks, an
// unknown option and an option of another command exit 2 with "prog: cmd: ...", flags take
// no value, "-" is a value and a positional, data-table options apply only to the commands
// they name, and --help lists exactly the options of the tables.
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pipeline_test_util.h"
#include "pope_pipeline.h"

static char tmpdir[256], errpath[300];

typedef struct {
    const char *out;
    int64_t length;
    double seconds;
    uint64_t split_seed;
    int flag;
    const char *kind, *path;
} local_opts;

static int set_pair(void *dst, const char *a, const char *b) {
    local_opts *l = dst;
    if (strcmp(a, "jsb") && strcmp(a, "midi")) return pope_error("unknown kind '%s'", a);
    l->kind = a;
    l->path = b;
    return 0;
}

#define LOC(f) .dst = POPE_DST_LOCAL, .off = offsetof(local_opts, f)
static const pope_opt own[] = {
    POPE_COMMON("--steps"), POPE_COMMON("--lr"), POPE_COMMON("--time"), POPE_COMMON("--resume"),
    POPE_COMMON_HELP("--pe", "a help of this command's own", NULL),
    {.name = "--output", .alias = "-o", .kind = POPE_OPT_STR, LOC(out), .arg = "FILE", .help = "where", .def = "-"},
    {.name = "--length", .kind = POPE_OPT_I64, LOC(length), .arg = "N", .lo = 1, .hi = 1000, .help = "how many"},
    {.name = "--seconds", .kind = POPE_OPT_F64, LOC(seconds), .arg = "S", .lo = 0.5, .hi = 10, .help = "how long"},
    {.name = "--flag", .kind = POPE_OPT_FLAG, LOC(flag), .help = "a flag"},
    POPE_OPT_END,
};
// A data table: --split-seed for every data command, --pair only for "train".
static const pope_opt data[] = {
    {.name = "--split-seed", .kind = POPE_OPT_U64, .dst = POPE_DST_DATA, .off = offsetof(local_opts, split_seed),
     .arg = "N", .help = "seed"},
    {.name = "--pair", .kind = POPE_OPT_PAIR, .dst = POPE_DST_DATA, .set = set_pair, .arg = "KIND PATH",
     .help = "two values", .cmds = "train"},
    POPE_OPT_END,
};

static int n_positional;
static const char *last_positional;
static int positional(void *ctx, int argc, char **argv, int *i) {
    (void)ctx, (void)argc;
    n_positional++;
    last_positional = argv[*i];
    return strcmp(argv[*i], "bad") ? 1 : pope_error("'bad' is not a FILE");
}

static pope_cli cli;
static local_opts loc, dat;
static char err[4096];

// Parses the space-separated words of `line` (argv[0] = cmd) as command `cmd`; the result,
// with stderr kept in err.
static int parse(const char *cmd, const char *line) {
    static char buf[1024];
    char *argv[64];
    int argc = 0;
    snprintf(buf, sizeof buf, "%s %s", cmd, line);
    for (char *t = strtok(buf, " "); t && argc < 63; t = strtok(NULL, " ")) argv[argc++] = t;
    argv[argc] = NULL;
    pope_cmdline c = {.prog = "prog", .cmd = cmd, .tables = {own, data}, .positional = positional};
    c.dst[POPE_DST_CLI] = &cli;
    c.dst[POPE_DST_DATA] = &dat;
    c.dst[POPE_DST_LOCAL] = &loc;
    pope_cli_init(&cli);
    memset(&loc, 0, sizeof loc);
    memset(&dat, 0, sizeof dat);
    n_positional = 0;
    int saved = stderr_to(errpath);
    int rc = pope_opts_parse(&c, argc, argv);
    stderr_restore(saved);
    char *e = slurp(errpath);
    snprintf(err, sizeof err, "%s", e ? e : "");
    free(e);
    return rc;
}

static void test_values(void) {
    CHECK(parse("train", "--steps 7 --lr=0.5 --time 1h30m --resume --pe rope -o x.npy --length=3 --seconds 2.5 "
                         "--flag --split-seed 18446744073709551615 --pair jsb f.json FILE") == 0,
          "parse: %s", err);
    CHECK(cli.steps == 7 && cli.lr == 0.5 && cli.time_s == 5400 && cli.resume == 1 && !strcmp(cli.pe, "rope"),
          "common values");
    CHECK(!strcmp(loc.out, "x.npy") && loc.length == 3 && loc.seconds == 2.5 && loc.flag == 1, "own values");
    CHECK(dat.split_seed == UINT64_MAX && !strcmp(dat.kind, "jsb") && !strcmp(dat.path, "f.json"), "data values");
    CHECK(n_positional == 1 && !strcmp(last_positional, "FILE"), "one positional");
    // --x=v and --x v are the same; the alias too; '-' is a value and a positional
    CHECK(parse("train", "--output=- -") == 0 && !strcmp(loc.out, "-") && n_positional == 1 &&
              !strcmp(last_positional, "-"),
          "'-' as value and positional: %s", err);
    CHECK(parse("train", "--output -") == 0 && !strcmp(loc.out, "-"), "--output -");
    CHECK(parse("train", "--steps=12") == 0 && cli.steps == 12, "--steps=12");
    // a value that looks like an option is still the value
    CHECK(parse("train", "--output --flag") == 0 && !strcmp(loc.out, "--flag") && !loc.flag, "value '--flag'");
    // no option given: the unset values
    CHECK(parse("train", "") == 0 && cli.steps == -1 && isnan(cli.lr) && !cli.pe && cli.seeds == -1, "unset values");
}

// Each bad line exits 2 with "prog: CMD: " and the text `want` in the message.
static void test_errors(void) {
    static const struct {
        const char *cmd, *line, *want;
    } bad[] = {
        {"train", "--frobnicate", "unknown option '--frobnicate'"},
        {"train", "--json", "--json is not an option of this command"},        // another command's
        {"eval", "--pair jsb x", "--pair is not an option of this command"},   // data option of train only
        {"train", "--resume=yes", "--resume takes no value"},
        {"train", "--steps", "--steps: missing value"},
        {"train", "--steps abc", "--steps: expected an integer"},
        {"train", "--steps 0", "--steps: expected an integer in [1,"},
        {"train", "--length 1001", "--length: expected an integer in [1, 1000]"},
        {"train", "--seconds 0.1", "--seconds: expected a number in [0.5, 10]"},
        {"train", "--seconds nan", "--seconds: expected a number"},
        {"train", "--lr 1e400", "--lr: expected a number"},
        {"train", "--time 5minutes", "--time: "},
        {"train", "--pe alibi", "--pe: unknown positional encoding 'alibi'"},
        {"train", "--split-seed -1", "--split-seed: expected an unsigned integer"},
        {"train", "--pair jsb", "--pair: missing value"},
        {"train", "--pair=jsb", "--pair takes two values"},
        {"train", "--pair abc x", "--pair: unknown kind 'abc'"},
        {"train", "bad", "'bad' is not a FILE"},
        {"train", "-x", "unknown option '-x'"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        int rc = parse(bad[k].cmd, bad[k].line);
        char head[64];
        snprintf(head, sizeof head, "prog: %s: ", bad[k].cmd);
        CHECK(rc == 2 && !strncmp(err, head, strlen(head)) && strstr(err, bad[k].want), "'%s': rc %d, %s", bad[k].line,
              rc, err);
    }
}

// The option lines of the help (lines starting "  -"), counted, and each name present.
static void test_help(void) {
    CHECK(parse("train", "--steps 3 --help") == 1, "--help returns 1");
    CHECK(parse("train", "-h") == 1, "-h returns 1");
    for (int t = 0; t < 2; t++) {
        const char *cmd = t ? "eval" : "train";
        pope_cmdline c = {.prog = "prog", .cmd = cmd, .tables = {own, data}, .usage = "usage: prog x\n\n"};
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        pope_opts_help(&c, f);
        fclose(f);
        // the applicable options: own's, and data's for this command
        const char *names[] = {"--steps", "--lr", "--time", "--resume", "--pe", "-o, --output", "--length", "--seconds",
                               "--flag", "--split-seed", "--pair"};
        int n_want = t ? 10 : 11, lines = 0;
        for (const char *p = text; (p = strstr(p, "\n  -")); p++) lines++;
        CHECK(lines == n_want, "%s: %d option lines, want %d:\n%s", cmd, lines, n_want, text);
        for (int k = 0; k < n_want; k++) {
            char pat[64];
            snprintf(pat, sizeof pat, "\n  %s ", names[k]);
            CHECK(strstr(text, pat) != NULL, "%s: help lists %s", cmd, names[k]);
        }
        CHECK(t == 0 || !strstr(text, "--pair"), "eval's help has no train-only option");
        CHECK(strstr(text, "a help of this command's own") && !strstr(text, "positional encoding: polar"),
              "a command's help text replaces the common one");
        CHECK(strstr(text, "where (default: -)") != NULL, "defaults shown");
        CHECK(!strncmp(text, "usage: prog x\n\noptions:\n", 24), "usage first");
        free(text);
    }
    // every common option has a help text, and no two share a name
    for (const pope_opt *o = pope_cli_options; o->name; o++) {
        CHECK(o->help && o->help[0] && o->kind != POPE_OPT_COMMON, "%s: help and a kind", o->name);
        for (const pope_opt *q = o + 1; q->name; q++) CHECK(strcmp(o->name, q->name) != 0, "%s twice", o->name);
    }
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/pope_test_options_XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    snprintf(errpath, sizeof errpath, "%s/err.txt", tmpdir);
    test_values();
    test_errors();
    test_help();
    unlink(errpath);
    rmdir(tmpdir);
    return check_summary("test_pipeline_options");
}

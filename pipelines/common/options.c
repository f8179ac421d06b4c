// options.c — the table-driven command-line parser and --help of every command of both
// programs (pope_opt, include/pope_pipeline.h). One set of rules: "--x v" and "--x=v",
// flags take no value, only the command's own options, usage errors exit 2.
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pope_pipeline.h"

#define HELP_COLUMN 23   // where the help text of an option line starts
#define HELP_WIDTH 100   // lines are wrapped at spaces before this column

static const pope_opt *common_option(const char *name) {
    for (const pope_opt *o = pope_cli_options; o->name; o++)
        if (!strcmp(o->name, name)) return o;
    return NULL;
}

// The option as it applies: a POPE_COMMON reference becomes the common option with this
// table's overrides. Returns NULL for a reference to no common option (a table bug).
static const pope_opt *resolve(const pope_opt *o, pope_opt *buf) {
    if (o->kind != POPE_OPT_COMMON) return o;
    const pope_opt *c = common_option(o->name);
    if (!c) return NULL;
    *buf = *c;
    if (o->arg) buf->arg = o->arg;
    if (o->help) buf->help = o->help;
    if (o->def) buf->def = o->def;
    if (o->list) buf->list = o->list;
    if (o->check) buf->check = o->check;
    buf->cmds = o->cmds;
    return buf;
}

// Whether option o of table number t applies to command `cmd`: every option of the
// command's own table (t == 0) does; one of a later (data) table when its .cmds names the
// command, or, when .cmds is NULL, for the commands that read data sets.
static int for_cmd(const pope_opt *o, int t, const char *cmd) {
    if (t == 0) return 1;
    const char *cmds = o->cmds ? o->cmds : "train,bench,eval,extrapolate";
    size_t n = strlen(cmd);
    for (const char *p = cmds; (p = strstr(p, cmd)); p += n)
        if ((p == cmds || p[-1] == ',') && (p[n] == ',' || p[n] == '\0')) return 1;
    return 0;
}

// Each option of c's tables that applies to c->cmd, resolved, in table order.
#define FOR_EACH_OPTION(c, o, buf)                                                   \
    for (int t_ = 0; t_ < 5 && (c)->tables[t_]; t_++)                                \
        for (const pope_opt *raw_ = (c)->tables[t_]; raw_->name; raw_++)             \
            if (for_cmd(raw_, t_, (c)->cmd) && ((o) = resolve(raw_, &(buf))) != NULL)

const pope_opt *pope_opts_find(const pope_cmdline *c, const char *name, pope_opt *resolved) {
    const pope_opt *o;
    pope_opt buf;
    FOR_EACH_OPTION(c, o, buf) {
        if (!strcmp(o->name, name) || (o->alias && !strcmp(o->alias, name))) {
            *resolved = *o;
            return resolved;
        }
    }
    return NULL;
}

// ---------------------------------------------------------------- values
int pope_opt_choice(const char *names, const char *v) {
    size_t n = strlen(v);
    int k = 0;
    for (const char *p = names; *p; k++) {
        size_t len = strcspn(p, "|");
        if (len == n && !strncmp(p, v, n)) return k;
        p += len + (p[len] ? 1 : 0);
    }
    char list[256] = "";   // "a, b or c"
    int count = 0;
    for (const char *p = names; *p; count++) p += strcspn(p, "|") + (p[strcspn(p, "|")] ? 1 : 0);
    k = 0;
    for (const char *p = names; *p; k++) {
        size_t len = strcspn(p, "|");
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%.*s", k == 0 ? "" : k == count - 1 ? " or " : ", ",
                 (int)len, p);
        p += len + (p[len] ? 1 : 0);
    }
    pope_error("expected %s, got '%s'", list, v);
    return -1;
}

static int parse_i64(const char *s, int64_t *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || errno) return -1;
    *out = v;
    return 0;
}

static int check_items(const pope_opt *o, const char *v) {
    if (!o->check) return 0;
    if (!o->list) return o->check(v);
    char item[256];
    for (const char *p = v;;) {
        size_t n = strcspn(p, ",");
        if (n == 0 || n >= sizeof item) return pope_error("expected a comma-separated list, got '%s'", v);
        memcpy(item, p, n);
        item[n] = '\0';
        if (o->check(item) != 0) return -1;
        if (!p[n]) return 0;
        p += n + 1;
    }
}

// Stores value v (and w for a PAIR) of option o into its field. 0, or -1 with a message
// that names the option.
static int store(const pope_opt *o, void *base, const char *v, const char *w) {
    char *field = (char *)base + o->off;
    int64_t iv;
    double dv;
    char *end;
    switch (o->kind) {
    case POPE_OPT_FLAG:
        *(int *)field = 1;
        return 0;
    case POPE_OPT_STR:
        if (check_items(o, v) != 0) return pope_error("%s: %s", o->name, pope_last_error());
        *(const char **)field = v;
        return 0;
    case POPE_OPT_INT:
    case POPE_OPT_I64:
        if (parse_i64(v, &iv) != 0 || (double)iv < o->lo || (double)iv > o->hi)
            return pope_error("%s: expected an integer in [%.0f, %.0f], got '%s'", o->name, o->lo, o->hi, v);
        if (o->kind == POPE_OPT_INT) *(int *)field = (int)iv;
        else *(int64_t *)field = iv;
        return 0;
    case POPE_OPT_U64: {
        errno = 0;
        unsigned long long u = strtoull(v, &end, 10);
        if (!*v || *end || errno || v[0] == '-') return pope_error("%s: expected an unsigned integer, got '%s'", o->name, v);
        *(uint64_t *)field = u;
        return 0;
    }
    case POPE_OPT_F32:
    case POPE_OPT_F64:
        errno = 0;
        dv = strtod(v, &end);
        if (!*v || *end || errno || !isfinite(dv) || dv < o->lo || dv > o->hi)
            return pope_error("%s: expected a number in [%g, %g], got '%s'", o->name, o->lo, o->hi, v);
        if (o->kind == POPE_OPT_F32) *(float *)field = (float)dv;
        else *(double *)field = dv;
        return 0;
    case POPE_OPT_DURATION:
        if (pope_parse_duration(v, &dv) != 0) return pope_error("%s: %s", o->name, pope_last_error());
        *(double *)field = dv;
        return 0;
    case POPE_OPT_CHOICE: {
        int k = pope_opt_choice(o->choices, v);
        if (k < 0) return pope_error("%s: %s", o->name, pope_last_error());
        *(int *)field = k;
        return 0;
    }
    case POPE_OPT_PAIR:
        if (o->set(base, v, w) != 0) return pope_error("%s: %s", o->name, pope_last_error());
        return 0;
    case POPE_OPT_COMMON:
        break;
    }
    return pope_error("%s: not a storable option", o->name);
}

// ---------------------------------------------------------------- parsing
static int usage(const pope_cmdline *c, const char *fmt, const char *arg) {
    char msg[600];
    snprintf(msg, sizeof msg, fmt, arg);
    return pope_usage_error(c->prog, c->cmd, msg);
}

// Whether `name` is an option of some other command (for a clearer message).
static int is_known_elsewhere(const pope_cmdline *c, const char *name) {
    if (common_option(name)) return 1;
    for (int t = 0; t < 5 && c->tables[t]; t++)
        for (const pope_opt *o = c->tables[t]; o->name; o++)
            if (!strcmp(o->name, name)) return 1;
    return 0;
}

// One option argument argv[*i] (with "=value" or the values after it).
static int parse_option(const pope_cmdline *c, int argc, char **argv, int *i) {
    const char *a = argv[*i];
    char name[128];
    const char *eq = a[1] == '-' ? strchr(a, '=') : NULL;
    size_t n = eq ? (size_t)(eq - a) : strlen(a);
    if (n >= sizeof name) return usage(c, "unknown option '%.100s...'", a);
    memcpy(name, a, n);
    name[n] = '\0';
    pope_opt buf;
    const pope_opt *o = pope_opts_find(c, name, &buf);
    if (!o) {
        if (is_known_elsewhere(c, name)) return usage(c, "%s is not an option of this command", name);
        return usage(c, "unknown option '%s'", name);
    }
    void *base = c->dst[o->dst];
    if (!base) return usage(c, "%s: no place to store it (a bug)", o->name);
    int values = o->kind == POPE_OPT_FLAG ? 0 : o->kind == POPE_OPT_PAIR ? 2 : 1;
    const char *v[2] = {NULL, NULL};
    if (eq) {
        if (values != 1) return usage(c, values ? "%s takes two values after a space, not '='" : "%s takes no value", o->name);
        v[0] = eq + 1;
    } else {
        if (*i + values >= argc) {
            char msg[300];
            snprintf(msg, sizeof msg, "%s: missing value (%s %s)", o->name, o->name, o->arg ? o->arg : "");
            return pope_usage_error(c->prog, c->cmd, msg);
        }
        for (int k = 0; k < values; k++) v[k] = argv[*i + 1 + k];
        *i += values;
    }
    if (store(o, base, v[0], v[1]) != 0) return pope_usage_error(c->prog, c->cmd, pope_last_error());
    return 0;
}

int pope_positional_file(void *ctx, int argc, char **argv, int *i) {
    const char **file = ctx;
    (void)argc;
    if (*file) return pope_error("one FILE only");
    *file = argv[*i];
    return 1;
}

int pope_opts_parse(const pope_cmdline *c, int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            pope_opts_help(c, stdout);
            return 1;
        }
        if (!strcmp(a, "--")) return usage(c, "unexpected argument '%s'", a);
        if (a[0] == '-' && a[1]) {
            if (parse_option(c, argc, argv, &i) != 0) return 2;
            continue;
        }
        int r = c->positional ? c->positional(c->ctx, argc, argv, &i) : 0;
        if (r < 0) return pope_usage_error(c->prog, c->cmd, pope_last_error());
        if (r == 0) return usage(c, "unexpected argument '%s'", a);
    }
    return 0;
}

// ---------------------------------------------------------------- help
// text from column col on, wrapped at spaces before HELP_WIDTH and at its own '\n's, each
// continuation indented to col.
static void print_help_text(FILE *f, const char *text, int col) {
    int x = col, space = 0;   // space: a blank is owed before the next word on this line
    for (const char *p = text; *p;) {
        size_t word = strcspn(p, " \n");
        if (x > col && x + space + (int)word > HELP_WIDTH) {   // the next word does not fit
            fprintf(f, "\n%*s", col, "");
            x = col, space = 0;
        }
        if (space && word) fputc(' ', f), x++;
        space = 0;
        fwrite(p, 1, word, f);
        x += (int)word;
        p += word;
        if (*p == '\n') {
            if (p[1]) fprintf(f, "\n%*s", col, "");
            x = col;
            p++;
        } else if (*p == ' ') {
            space = 1;
            p++;
        }
    }
}

void pope_opts_help(const pope_cmdline *c, FILE *f) {
    if (c->usage) fputs(c->usage, f);
    fputs("options:\n", f);
    const pope_opt *o;
    pope_opt buf;
    FOR_EACH_OPTION(c, o, buf) {
        char head[96];
        int n = snprintf(head, sizeof head, "  %s%s%s%s%s", o->alias ? o->alias : "", o->alias ? ", " : "", o->name,
                         o->arg ? " " : "", o->arg ? o->arg : "");
        fputs(head, f);
        if (n >= HELP_COLUMN - 1) fprintf(f, "\n%*s", HELP_COLUMN, "");
        else fprintf(f, "%*s", HELP_COLUMN - n, "");
        char text[1024];
        snprintf(text, sizeof text, "%s%s%s%s", o->help ? o->help : "", o->def ? " (default: " : "", o->def ? o->def : "",
                 o->def ? ")" : "");
        print_help_text(f, text, HELP_COLUMN);
        fputc('\n', f);
    }
    if (c->help_tail) c->help_tail(c->tail_ctx, f);
}

// util.c — small shared helpers: duration and list parsers, files,
// and the model/corpus compatibility check.
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline_internal.h"

// ---------------------------------------------------------------- parsers
int pope_parse_duration(const char *s, double *seconds) {
    if (!s || !*s) return pope_error("duration: empty (expected e.g. 90s, 30m, 2h, 1h30m)");
    const char *p = s;
    double total = 0;
    int n_parts = 0;
    while (*p) {
        char *end;
        errno = 0;
        if (!isdigit((unsigned char)*p) && *p != '.') goto bad;
        double v = strtod(p, &end);
        if (end == p || errno || !isfinite(v) || v < 0) goto bad;
        p = end;
        double unit;
        switch (*p) {
        case 's': unit = 1; p++; break;
        case 'm': unit = 60; p++; break;
        case 'h': unit = 3600; p++; break;
        case 'd': unit = 86400; p++; break;
        case '\0':
            if (n_parts > 0) goto bad;   // "1h30" is ambiguous: ask for "1h30m"
            unit = 1;
            break;
        default: goto bad;
        }
        total += v * unit;
        n_parts++;
    }
    if (total <= 0) goto bad;
    if (total > POPE_MAX_DURATION_S)
        return pope_error("duration '%s' is longer than %g days", s, POPE_MAX_DURATION_S / 86400);
    *seconds = total;
    return 0;
bad:
    return pope_error("bad duration '%s' (expected e.g. 90s, 30m, 2h, 1h30m)", s);
}

int pope_parse_int_list(const char *s, int *out, int max, int *n) {
    if (!s || !*s) return pope_error("empty list (expected e.g. 1,2,4,8)");
    int k = 0;
    const char *p = s;
    for (;;) {
        char *end;
        errno = 0;
        if (!isdigit((unsigned char)*p)) break;
        long v = strtol(p, &end, 10);
        if (errno || v <= 0 || v > 1000000000L) break;
        if (k == max) return pope_error("list '%s': more than %d values", s, max);
        out[k++] = (int)v;
        p = end;
        if (*p == '\0') {
            *n = k;
            return 0;
        }
        if (*p != ',') break;
        p++;
    }
    return pope_error("bad list '%s' (expected positive integers, e.g. 1,2,4,8)", s);
}

const char *pope_format_duration(double seconds, char *buf, size_t size) {
    if (!isfinite(seconds) || seconds < 0) {
        snprintf(buf, size, "?");
        return buf;
    }
    if (seconds < 10) {   // short runs (tests, tiny benches) keep a decimal
        snprintf(buf, size, "%.1fs", seconds);
        return buf;
    }
    long s = (long)(seconds + 0.5);
    if (s >= 3600) snprintf(buf, size, "%ldh%02ldm%02lds", s / 3600, s / 60 % 60, s % 60);
    else if (s >= 60) snprintf(buf, size, "%ldm%02lds", s / 60, s % 60);
    else snprintf(buf, size, "%lds", s);
    return buf;
}

// ---------------------------------------------------------------- files
int pope_write_file_atomic(const char *path, const char *text) {
    pope_atomic a;
    if (pope_atomic_begin(&a, path, "wb") != 0) return -1;
    fputs(text, a.f);
    return pope_atomic_commit(&a, 0);
}

// ---------------------------------------------------------------- models
int pope_model_file_config(const char *file, pope_config *cfg) {
    char *js = pope_load_metadata(file, "pope.config");
    if (!js) return -1;   // the loader's message: truncated, not safetensors, no pope.config...
    pope_config_default(cfg);
    int rc = pope_config_from_json(cfg, js);
    free(js);
    return rc ? pope_error("%s: %s", file, pope_last_error()) : 0;
}

int pope_check_compat(const pope_model *m, const pope_corpus *c) {
    const pope_config *cfg = pope_model_config(m);
    const char *ctok = c->tokenizer ? c->tokenizer : "";
    if (strcmp(cfg->tokenizer, ctok) != 0 || cfg->vocab_size != c->vocab_size)
        return pope_error("model was trained with tokenizer '%s' (vocab %d), the data is tokenized "
                          "with '%s' (vocab %d)",
                          cfg->tokenizer, cfg->vocab_size, ctok, c->vocab_size);
    return 0;
}

char *pope_model_file(const char *path) {
    if (!path || !*path) {
        pope_error("model: no path given");
        return NULL;
    }
    struct stat st;
    if (stat(path, &st) != 0) {
        pope_error("%s: %s", path, strerror(errno));
        return NULL;
    }
    if (!S_ISDIR(st.st_mode)) return strdup(path);
    char buf[4200];
    snprintf(buf, sizeof buf, "%s/model.safetensors", path);
    if (access(buf, R_OK) != 0) snprintf(buf, sizeof buf, "%s/checkpoint.safetensors", path);
    if (access(buf, R_OK) != 0) {
        pope_error("%s: directory holds neither model.safetensors nor checkpoint.safetensors", path);
        return NULL;
    }
    return strdup(buf);
}

pope_model *pope_model_open(const char *path, const pope_corpus *c) {
    char *file = pope_model_file(path);
    if (!file) return NULL;
    pope_model *m = pope_load(file, NULL, NULL);
    if (!m) {
        // pope_load's message usually names the file; make sure it does
        char why[1024];
        snprintf(why, sizeof why, "%s", pope_last_error());
        if (!strstr(why, file)) pope_error("%s: %s", file, why);
    } else if (c && pope_check_compat(m, c) != 0) {
        char why[1024];
        snprintf(why, sizeof why, "%s", pope_last_error());
        pope_model_free(m);
        m = NULL;
        pope_error("%s: %s", file, why);
    }
    free(file);
    return m;
}


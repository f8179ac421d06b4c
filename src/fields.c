// fields.c — the generic half of field tables (include/pope_fields.h): defaults, JSON in
// and out, range checks and differences, written once for every table.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "pope.h"
#include "pope_fields.h"

#define FIELD(s, f, type) ((type *)((char *)(s) + (f)->off))
#define CFIELD(s, f, type) ((const type *)((const char *)(s) + (f)->off))

static double get_num(const pope_field *f, const void *s) {
    switch (f->kind) {
    case POPE_F_INT: case POPE_F_BOOL: case POPE_F_ENUM: return *CFIELD(s, f, int);
    case POPE_F_I64: return (double)*CFIELD(s, f, int64_t);
    case POPE_F_U64: return (double)*CFIELD(s, f, uint64_t);
    case POPE_F_FLOAT: return *CFIELD(s, f, float);
    case POPE_F_DOUBLE: case POPE_F_DURATION: return *CFIELD(s, f, double);
    case POPE_F_STR: break;
    }
    return NAN;
}

static void set_num(const pope_field *f, void *s, double v) {
    switch (f->kind) {
    case POPE_F_INT: case POPE_F_BOOL: case POPE_F_ENUM: *FIELD(s, f, int) = (int)v; break;
    case POPE_F_I64: *FIELD(s, f, int64_t) = (int64_t)v; break;
    case POPE_F_U64: *FIELD(s, f, uint64_t) = (uint64_t)v; break;
    case POPE_F_FLOAT: *FIELD(s, f, float) = (float)v; break;
    case POPE_F_DOUBLE: case POPE_F_DURATION: *FIELD(s, f, double) = v; break;
    case POPE_F_STR: break;
    }
}

static int integral(const pope_field *f) {
    return f->kind == POPE_F_INT || f->kind == POPE_F_I64 || f->kind == POPE_F_U64;
}

static int n_names(const pope_field *f) {
    int n = 0;
    while (f->names && f->names[n]) n++;
    return n;
}

const pope_field *pope_fields_find(const pope_field *f, const char *key) {
    for (; f->key; f++)
        if (!strcmp(f->key, key)) return f;
    return NULL;
}

void pope_fields_default(const pope_field *f, void *s) {
    for (; f->key; f++) {
        if (f->kind == POPE_F_STR) {
            if (f->names && f->names[0]) snprintf(FIELD(s, f, char), f->size, "%s", f->names[0]);
            else FIELD(s, f, char)[0] = '\0';
        } else if (!isnan(f->def)) {
            set_num(f, s, f->def);
        }
    }
}

void pope_fields_to_json(const pope_field *f, const void *s, cJSON *o) {
    for (; f->key; f++) {
        if (f->kind == POPE_F_STR) cJSON_AddStringToObject(o, f->key, CFIELD(s, f, char));
        else if (f->kind == POPE_F_BOOL) {
            if (!(f->optional && *CFIELD(s, f, int) < 0)) cJSON_AddBoolToObject(o, f->key, *CFIELD(s, f, int) != 0);
        }
        else if (f->kind == POPE_F_ENUM) {
            int v = *CFIELD(s, f, int);
            cJSON_AddStringToObject(o, f->key, v >= 0 && v < n_names(f) ? f->names[v] : "?");
        } else {
            // floats go through double exactly; cJSON prints 17 significant digits when
            // needed, so a float survives the round trip bit for bit
            cJSON_AddNumberToObject(o, f->key, get_num(f, s));
        }
    }
}

// "[lo, hi]" with open bounds as "(" / ")".
static void range_text(const pope_field *f, char *buf, size_t size) {
    snprintf(buf, size, "%s%.17g, %.17g%s", f->lo_open ? "(" : "[", f->lo, f->hi, f->hi_open ? ")" : "]");
}

static int in_range(const pope_field *f, double v) {
    if (isnan(v)) return 0;
    if (f->lo_open ? !(v > f->lo) : !(v >= f->lo)) return 0;
    if (f->hi_open ? !(v < f->hi) : !(v <= f->hi)) return 0;
    return 1;
}

static int names_error(const pope_field *f, const char *name, const char *got) {
    char list[256] = "";
    for (int i = 0; f->names[i]; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", f->names[i]);
    return pope_error("%s '%s' (%s)", name, got, list);
}

// "WHAT: KEY", or "WHATKEY" when what ends with '.' ("preset x.json: train." gives
// "preset x.json: train.lr"): how messages name a field.
static void field_name(const char *what, const char *key, char *buf, size_t size) {
    size_t n = strlen(what);
    snprintf(buf, size, "%s%s%s", what, n && what[n - 1] == '.' ? "" : ": ", key);
}

// One field from JSON item it into the struct. 0 or -1.
static int read_field(const pope_field *f, void *s, const cJSON *it, const char *what) {
    char range[96], n[1200];
    range_text(f, range, sizeof range);
    field_name(what, f->key, n, sizeof n);
    if (f->kind == POPE_F_STR) {
        if (!cJSON_IsString(it)) return pope_error("%s must be a string", n);
        if (strlen(it->valuestring) >= f->size)
            return pope_error("%s '%s' longer than %zu bytes", n, it->valuestring, f->size - 1);
        snprintf(FIELD(s, f, char), f->size, "%s", it->valuestring);
        return 0;
    }
    if (f->kind == POPE_F_ENUM) {
        if (!cJSON_IsString(it)) return pope_error("%s must be a string", n);
        for (int i = 0; f->names[i]; i++)
            if (!strcmp(f->names[i], it->valuestring)) {
                *FIELD(s, f, int) = i;
                return 0;
            }
        return names_error(f, n, it->valuestring);
    }
    if (f->kind == POPE_F_BOOL) {
        if (cJSON_IsBool(it)) *FIELD(s, f, int) = cJSON_IsTrue(it);
        else if (!f->optional && cJSON_IsNumber(it) && (it->valuedouble == 0 || it->valuedouble == 1))
            *FIELD(s, f, int) = (int)it->valuedouble;
        else return pope_error("%s must be true or false", n);
        return 0;
    }
    double v;
    if (f->kind == POPE_F_DURATION && f->parse && cJSON_IsString(it)) {
        if (f->parse(it->valuestring, &v) != 0) return pope_error("%s: %s", n, pope_last_error());
    } else if (cJSON_IsNumber(it) && isfinite(it->valuedouble)) {
        v = it->valuedouble;
    } else {
        return pope_error(f->kind == POPE_F_DURATION ? "%s must be a duration (\"30m\") or seconds" : "%s must be a number",
                          n);
    }
    if (integral(f) && v != floor(v)) return pope_error("%s must be an integer, not %g", n, v);
    if (!in_range(f, v)) return pope_error("%s %g must be in %s", n, v, range);
    set_num(f, s, v);
    return 0;
}

int pope_fields_from_json(const pope_field *f, void *s, const cJSON *o, const char *what) {
    if (!o || !cJSON_IsObject(o)) return pope_error("%s: not a JSON object", what);
    for (const pope_field *k = f; k->key; k++) {   // all checked before anything is stored
        const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k->key);
        _Alignas(8) char scratch[1024];
        pope_field probe = *k;
        probe.off = 0;
        if (it && k->size <= sizeof scratch && read_field(&probe, scratch, it, what) != 0) return -1;
    }
    for (; f->key; f++) {
        const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, f->key);
        if (it) read_field(f, s, it, what);
    }
    return 0;
}

int pope_fields_check_keys(const pope_field *f, const cJSON *o, const char *const *extra, const char *what) {
    for (const cJSON *it = o->child; it; it = it->next) {
        int found = pope_fields_find(f, it->string) != NULL;
        for (int i = 0; extra && extra[i]; i++) found |= !strcmp(it->string, extra[i]);
        if (found) continue;
        char list[768] = "";
        for (const pope_field *k = f; k->key; k++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", list[0] ? ", " : "", k->key);
        for (int i = 0; extra && extra[i]; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", list[0] ? ", " : "", extra[i]);
        return pope_error("%s: unknown key '%s' (known: %s)", what, it->string, list);
    }
    return 0;
}

int pope_fields_validate(const pope_field *f, const void *s, const char *what) {
    for (; f->key; f++) {
        char range[96];
        if (f->kind == POPE_F_STR) {
            if (!memchr(CFIELD(s, f, char), '\0', f->size)) return pope_error("%s: %s is not terminated", what, f->key);
        } else if (f->kind == POPE_F_ENUM) {
            int v = *CFIELD(s, f, int);
            if (v < 0 || v >= n_names(f)) return pope_error("%s: %s %d out of range", what, f->key, v);
        } else if (f->kind == POPE_F_BOOL) {
            int v = *CFIELD(s, f, int);
            if (v != 0 && v != 1 && !(f->optional && v == -1))
                return pope_error("%s: %s must be 0 or 1, got %d", what, f->key, v);
        } else if (!in_range(f, get_num(f, s))) {
            range_text(f, range, sizeof range);
            return pope_error("%s: %s %.9g must be in %s", what, f->key, get_num(f, s), range);
        }
    }
    return 0;
}

// The value of field f in s as text; floats with `digits` significant digits.
static void value_text(const pope_field *f, const void *s, int digits, char *buf, size_t size) {
    if (f->kind == POPE_F_STR) snprintf(buf, size, "'%s'", CFIELD(s, f, char));
    else if (f->kind == POPE_F_ENUM) {
        int v = *CFIELD(s, f, int);
        snprintf(buf, size, "%s", v >= 0 && v < n_names(f) ? f->names[v] : "?");
    } else if (f->kind == POPE_F_BOOL) {
        int v = *CFIELD(s, f, int);
        snprintf(buf, size, "%s", v < 0 ? "unset" : v ? "true" : "false");
    } else if (f->kind == POPE_F_I64) snprintf(buf, size, "%lld", (long long)*CFIELD(s, f, int64_t));
    else if (f->kind == POPE_F_U64) snprintf(buf, size, "%llu", (unsigned long long)*CFIELD(s, f, uint64_t));
    else snprintf(buf, size, "%.*g", digits, get_num(f, s));
}

static int same_value(const pope_field *f, const void *a, const void *b) {
    if (f->kind == POPE_F_STR) return !strcmp(CFIELD(a, f, char), CFIELD(b, f, char));
    if (f->kind == POPE_F_I64) return *CFIELD(a, f, int64_t) == *CFIELD(b, f, int64_t);
    if (f->kind == POPE_F_U64) return *CFIELD(a, f, uint64_t) == *CFIELD(b, f, uint64_t);
    return get_num(f, a) == get_num(f, b);
}

int pope_fields_diff(const pope_field *f, const void *a, const void *b, const char *const *skip, char *buf,
                     size_t size) {
    int n = 0;
    if (size) buf[0] = '\0';
    for (; f->key; f++) {
        int skipped = 0;
        for (int i = 0; skip && skip[i]; i++) skipped |= !strcmp(skip[i], f->key);
        if (skipped || same_value(f, a, b)) continue;
        char va[96], vb[96];   // the shortest text that shows the difference
        for (int digits = 6; digits <= 17; digits++) {
            value_text(f, a, digits, va, sizeof va);
            value_text(f, b, digits, vb, sizeof vb);
            if (strcmp(va, vb)) break;
        }
        size_t len = strlen(buf);
        if (size > len) snprintf(buf + len, size - len, "%s%s %s -> %s", n ? ", " : "", f->key, va, vb);
        n++;
    }
    return n;
}

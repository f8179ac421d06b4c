// pope_fields.h — field tables: one descriptor per field of a settings struct (key, kind,
// place, default, valid range, help) that drives its defaults, JSON in and out,
// validation and the comparison of two values. pope_config (pope_config_fields, src/config.c)
// and the preset's training settings (pope_train_fields, pipelines/common/preset.c) are
// described this way, so that a field is listed once.
#ifndef POPE_FIELDS_H
#define POPE_FIELDS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct cJSON;

typedef enum {
    POPE_F_INT,        // int
    POPE_F_I64,        // int64_t
    POPE_F_U64,        // uint64_t (JSON numbers are doubles: at most 2^53 in files)
    POPE_F_FLOAT,      // float (written through double exactly: bit-exact round trip)
    POPE_F_DOUBLE,     // double
    POPE_F_DURATION,   // double seconds; JSON: a number, or a string read by .parse ("30m")
    POPE_F_BOOL,       // int 0/1; JSON: true/false (0 and 1 read too); with .optional also
                       // −1: absent (not written, the reader's default)
    POPE_F_ENUM,       // an enum stored as int; JSON: one of .names
    POPE_F_STR,        // char[.size]
} pope_field_kind;

typedef struct {
    const char *key;            // JSON key; a table ends with key NULL
    pope_field_kind kind;
    size_t off;                 // offsetof the field
    double def;                 // default (ENUM: the index; NAN: set by other code)
    double lo, hi;              // numbers: valid range; lo_open / hi_open exclude the bound
    int lo_open, hi_open;
    int optional;               // BOOL: −1 means "not set" (omitted from the JSON)
    const char *const *names;   // ENUM: the names by value, NULL-terminated
    size_t size;                // STR: buffer size; .names[0] (may be NULL) is the default
    int (*parse)(const char *text, double *out);   // DURATION: a string value (0 or -1)
    const char *help;           // one line, for documentation and messages
} pope_field;

// Every field with a default (def not NAN) set to it.
void pope_fields_default(const pope_field *f, void *s);
// Adds each field to the JSON object o.
void pope_fields_to_json(const pope_field *f, const void *s, struct cJSON *o);
// Reads the keys of JSON object o that are fields (others are left to the caller; see
// pope_fields_check_keys); absent keys keep their values. Types, integrality and ranges are
// checked: -1 with "WHAT: KEY ..." (or "WHATKEY ..." when what ends with '.') and s
// untouched on any error.
int pope_fields_from_json(const pope_field *f, void *s, const struct cJSON *o, const char *what);
// -1 with "WHAT: KEY = V must be in [lo, hi]" (or the names) when a field is out of range.
int pope_fields_validate(const pope_field *f, const void *s, const char *what);
// Every key of o is a field or one of extra (NULL-terminated, may be NULL); else -1 with
// "WHAT: unknown key 'K' (known: ...)".
int pope_fields_check_keys(const pope_field *f, const struct cJSON *o, const char *const *extra, const char *what);
// The fields that differ between a and b as "key a → b, key a → b" into buf (empty when
// none); returns how many differ. skip (NULL-terminated, may be NULL): keys not compared.
int pope_fields_diff(const pope_field *f, const void *a, const void *b, const char *const *skip, char *buf,
                     size_t size);
// The field named key, or NULL.
const pope_field *pope_fields_find(const pope_field *f, const char *key);

extern const pope_field pope_config_fields[];   // pope_config (src/config.c), in to_json order

#ifdef __cplusplus
}
#endif
#endif  // POPE_FIELDS_H

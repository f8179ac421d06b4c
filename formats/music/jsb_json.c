// jsb_json.c — czhuang's JSB chorales JSON (Jsb16thSeparated.json): {"train", "valid",
// "test"} -> lists of pieces -> lists of 16th-note steps -> 4 MIDI pitches (-1 = silence).
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "pope.h"
#include "pope_music.h"

static const char *const split_keys[3] = {"train", "valid", "test"};

void pope_jsb_free(pope_jsb_data *d) {
    if (!d) return;
    for (int s = 0; s < 3; s++) {
        for (size_t i = 0; i < d->n[s]; i++) free(d->pieces[s][i].grid);
        free(d->pieces[s]);
    }
    memset(d, 0, sizeof *d);
}

static int parse_piece(pope_jsb_piece *out, const cJSON *piece, const char *path, const char *split, int idx) {
    if (!cJSON_IsArray(piece)) return pope_error("%s: %s[%d] is not a list of steps", path, split, idx);
    int n_steps = cJSON_GetArraySize(piece);
    out->n_steps = (size_t)n_steps;
    out->grid = malloc(((size_t)n_steps + 1) * POPE_JSB_VOICES * sizeof *out->grid);
    if (!out->grid) return pope_error("%s: out of memory", path);
    int s = 0;
    const cJSON *step;
    cJSON_ArrayForEach(step, piece) {
        if (!cJSON_IsArray(step) || cJSON_GetArraySize(step) != POPE_JSB_VOICES)
            return pope_error("%s: %s[%d] step %d is not a list of %d pitches", path, split, idx, s, POPE_JSB_VOICES);
        int v = 0;
        const cJSON *p;
        cJSON_ArrayForEach(p, step) {
            double x = cJSON_IsNumber(p) ? p->valuedouble : NAN;
            if (!(x == floor(x)) || x < -1 || x > 127)
                return pope_error("%s: %s[%d] step %d voice %d: not a MIDI pitch or -1", path, split, idx, s, v);
            out->grid[(size_t)s * POPE_JSB_VOICES + v++] = (int16_t)x;
        }
        s++;
    }
    return 0;
}

int pope_jsb_load(pope_jsb_data *out, const char *path) {
    memset(out, 0, sizeof *out);
    size_t len;
    char *text = pope_read_file(path, &len);
    if (!text) return -1;
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    if (!root) return pope_error("%s: not valid JSON", path);
    int rc = 0;
    if (!cJSON_IsObject(root)) rc = pope_error("%s: expected a JSON object with train/valid/test", path);
    for (int s = 0; s < 3 && rc == 0; s++) {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, split_keys[s]);
        if (!list && s == 1) list = cJSON_GetObjectItemCaseSensitive(root, "validation");
        if (!cJSON_IsArray(list)) { rc = pope_error("%s: no \"%s\" list of chorales", path, split_keys[s]); break; }
        int n = cJSON_GetArraySize(list);
        out->pieces[s] = calloc((size_t)n + 1, sizeof *out->pieces[s]);
        if (!out->pieces[s]) { rc = pope_error("%s: out of memory", path); break; }
        const cJSON *piece;
        cJSON_ArrayForEach(piece, list) {
            rc = parse_piece(&out->pieces[s][out->n[s]], piece, path, split_keys[s], (int)out->n[s]);
            out->n[s]++;   // counted even on failure, so that pope_jsb_free frees its grid
            if (rc) break;
        }
    }
    cJSON_Delete(root);
    if (rc) pope_jsb_free(out);
    return rc;
}

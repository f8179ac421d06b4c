// preset.c — models/<name>.json presets: a model config plus training hyper-parameters.
// The format is documented in docs/PIPELINE.md. Unknown keys are errors, so that a typo
// ("lr_mni") never silently trains with a default.
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline_internal.h"
#include "pope_fields.h"

#ifndef POPE_SOURCE_DIR
#define POPE_SOURCE_DIR "."
#endif

#define F(key, kind, field) key, kind, offsetof(pope_train_config, field)
#define BIG 1e12
// Every field of the preset's "train" object: default, range (docs/PIPELINE.md §2).
// The AdamW fields' defaults are the optimizer's own (pope_adamw_config_default): NAN here.
const pope_field pope_train_fields[] = {
    {F("batch", POPE_F_INT, batch), .def = 8, .lo = 1, .hi = 1 << 20, .help = "windows per micro-batch"},
    {F("accum", POPE_F_INT, accum), .def = 1, .lo = 1, .hi = 1 << 20, .help = "micro-batches per optimizer step"},
    {F("lr", POPE_F_FLOAT, lr), .def = 1e-3, .lo = 0, .hi = 10, .help = "peak learning rate"},
    {F("lr_min", POPE_F_FLOAT, lr_min), .def = 1e-4, .lo = 0, .hi = 10, .help = "floor of the cosine decay"},
    {F("beta1", POPE_F_FLOAT, adamw.beta1), .def = NAN, .lo = 0, .hi = 0.999999, .help = "AdamW beta1"},
    {F("beta2", POPE_F_FLOAT, adamw.beta2), .def = NAN, .lo = 0, .hi = 0.99999999, .help = "AdamW beta2"},
    {F("eps", POPE_F_FLOAT, adamw.eps), .def = NAN, .lo = 0, .hi = 1, .help = "AdamW epsilon"},
    {F("weight_decay", POPE_F_FLOAT, adamw.weight_decay), .def = NAN, .lo = 0, .hi = 10, .help = "AdamW decoupled weight decay"},
    {F("grad_clip", POPE_F_FLOAT, adamw.grad_clip), .def = NAN, .lo = -1, .hi = 1e9, .help = "global gradient-norm clip (<= 0: off)"},
    {F("warmup", POPE_F_I64, warmup), .def = 100, .lo = 0, .hi = BIG, .help = "linear warm-up steps"},
    {F("steps", POPE_F_I64, steps), .def = 1000, .lo = 1, .hi = (double)POPE_STEPS_UNBOUNDED, .help = "optimizer steps"},
    {F("time", POPE_F_DURATION, time_s), .def = 0, .lo = 0, .hi = POPE_MAX_DURATION_S, .parse = pope_parse_duration,
     .help = "wall-clock budget in seconds or a duration (0: none)"},
    {F("eval_every", POPE_F_I64, eval_every), .def = 200, .lo = 0, .hi = BIG, .help = "validation every N steps"},
    {F("eval_tokens", POPE_F_I64, eval_tokens), .def = 65536, .lo = 0, .hi = 1e15, .help = "bound on validation targets"},
    {F("checkpoint_every", POPE_F_I64, checkpoint_every), .def = 500, .lo = 0, .hi = BIG,
     .help = "checkpoint every N steps"},
    {F("log_every", POPE_F_I64, log_every), .def = 10, .lo = 1, .hi = BIG, .help = "progress line every N steps"},
    {F("seed", POPE_F_U64, seed), .def = 1, .lo = 0, .hi = 9007199254740992.0, .help = "model, data and dropout seed"},
    {F("threads", POPE_F_INT, threads), .def = 0, .lo = 0, .hi = 4096, .help = "threads (0: all cores)"},
    {F("augment", POPE_F_BOOL, augment), .def = -1, .optional = 1,
     .help = "the program's training augmentation (absent: its default for the data)"},
    {0},
};
#undef F

void pope_train_config_default(pope_train_config *t) {
    memset(t, 0, sizeof *t);
    pope_adamw_config_default(&t->adamw);
    pope_fields_default(pope_train_fields, t);
}

static const char *const train_extra_keys[] = {"dropout", NULL};   // sets both model dropouts
static const char *const top_keys[] = {"name", "description", "tokenizer", "model", "train", NULL};

static int parse_train(pope_train_config *t, pope_config *mc, const cJSON *o, const char *what) {
    char where[1200];
    snprintf(where, sizeof where, "%s: \"train\"", what);
    if (pope_fields_check_keys(pope_train_fields, o, train_extra_keys, where) != 0) return -1;
    snprintf(where, sizeof where, "%s: train.", what);   // messages name "train.lr"
    if (pope_fields_from_json(pope_train_fields, t, o, where) != 0) return -1;
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "dropout");
    if (d) {
        if (!cJSON_IsNumber(d) || !(d->valuedouble >= 0 && d->valuedouble <= 0.99))
            return pope_error("%s: train.dropout must be a number in [0, 0.99]", what);
        mc->dropout_attn = mc->dropout_resid = (float)d->valuedouble;
    }
    if (t->lr_min > t->lr) return pope_error("%s: train.lr_min (%g) exceeds train.lr (%g)", what, t->lr_min, t->lr);
    return 0;
}

static int copy_string(char *dst, size_t size, const cJSON *o, const char *key, const char *what) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!it) return 0;
    if (!cJSON_IsString(it)) return pope_error("%s: '%s' must be a string", what, key);
    if (strlen(it->valuestring) >= size)
        return pope_error("%s: '%s' longer than %zu bytes", what, key, size - 1);
    snprintf(dst, size, "%s", it->valuestring);
    return 0;
}

int pope_preset_from_json(pope_preset *p, const char *json, const char *what) {
    if (!what) what = "preset";
    memset(p, 0, sizeof *p);
    pope_config_default(&p->model);
    pope_train_config_default(&p->train);
    cJSON *o = cJSON_Parse(json);
    if (!o) return pope_error("%s: not valid JSON (near byte %ld)", what,
                              cJSON_GetErrorPtr() ? (long)(cJSON_GetErrorPtr() - json) : 0L);
    int rc = -1;
    if (!cJSON_IsObject(o)) {
        pope_error("%s: not a JSON object", what);
        goto done;
    }
    static const pope_field no_fields[] = {{0}};
    if (pope_fields_check_keys(no_fields, o, top_keys, what) != 0) goto done;
    if (copy_string(p->name, sizeof p->name, o, "name", what) != 0) goto done;
    if (copy_string(p->description, sizeof p->description, o, "description", what) != 0) goto done;
    if (copy_string(p->tokenizer, sizeof p->tokenizer, o, "tokenizer", what) != 0) goto done;
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(o, "model");
    if (model) {
        if (!cJSON_IsObject(model)) {
            pope_error("%s: \"model\" must be an object", what);
            goto done;
        }
        char where[1200];
        snprintf(where, sizeof where, "%s: \"model\"", what);
        if (pope_fields_check_keys(pope_config_fields, model, NULL, where) != 0) goto done;
        char *s = cJSON_PrintUnformatted(model);
        int r = pope_config_from_json(&p->model, s);
        cJSON_free(s);
        if (r != 0) {
            pope_error("%s: \"model\": %s", what, pope_last_error());
            goto done;
        }
    }
    // the top-level tokenizer is the one the preset trains with
    if (p->tokenizer[0]) snprintf(p->model.tokenizer, sizeof p->model.tokenizer, "%s", p->tokenizer);
    else if (strcmp(p->model.tokenizer, "none") != 0)   // "none": the core's default, i.e. not fixed
        snprintf(p->tokenizer, sizeof p->tokenizer, "%s", p->model.tokenizer);
    const cJSON *train = cJSON_GetObjectItemCaseSensitive(o, "train");
    if (train) {
        if (!cJSON_IsObject(train)) {
            pope_error("%s: \"train\" must be an object", what);
            goto done;
        }
        if (parse_train(&p->train, &p->model, train, what) != 0) goto done;
    }
    // vocab_size comes from the corpus later: validate with a placeholder if unset
    pope_config check = p->model;
    if (check.vocab_size <= 0) check.vocab_size = 2;
    if (pope_config_validate(&check) != 0) {
        pope_error("%s: \"model\": %s", what, pope_last_error());
        goto done;
    }
    rc = 0;
done:
    cJSON_Delete(o);
    return rc;
}

int pope_preset_from_checkpoint(pope_preset *p, const char *file) {
    char *js = pope_load_metadata(file, "pope.preset");
    if (!js) return pope_error("%s: no preset recorded (pope.preset metadata)", file);
    char what[1100];
    snprintf(what, sizeof what, "%s: pope.preset", file);
    int rc = pope_preset_from_json(p, js, what);
    free(js);
    return rc;
}

// Where presets and shipped models are looked for, in order: $POPE_MODELS_DIR, the source
// tree's models/ (so that a build run in place sees its own edits), the installed copy.
int pope_models_dirs(const char **dirs, int max) {
    int n = 0;
    const char *env = getenv("POPE_MODELS_DIR");
    if (env && *env && n < max) dirs[n++] = env;
    if (n < max) dirs[n++] = POPE_SOURCE_DIR "/models";
#ifdef POPE_INSTALL_MODELS_DIR
    if (n < max) dirs[n++] = POPE_INSTALL_MODELS_DIR;
#endif
    return n;
}

char *pope_models_find(const char *file) {
    const char *dirs[4];
    int nd = pope_models_dirs(dirs, 4);
    char buf[4200];
    for (int i = 0; i < nd; i++) {
        snprintf(buf, sizeof buf, "%s/%s", dirs[i], file);
        if (access(buf, R_OK) == 0) return strdup(buf);
    }
    return NULL;
}

static int n_search_dirs(const char **dirs) { return pope_models_dirs(dirs, 4); }

// Calls fn for each *.json file of the preset directories; name_len: its length without ".json".
static void each_preset_file(void (*fn)(void *arg, const char *dir, const char *file, int name_len), void *arg) {
    const char *dirs[4];
    int nd = n_search_dirs(dirs);
    for (int i = 0; i < nd; i++) {
        DIR *d = opendir(dirs[i]);
        if (!d) continue;
        struct dirent *e;
        while ((e = readdir(d))) {
            size_t l = strlen(e->d_name);
            if (l > 5 && !strcmp(e->d_name + l - 5, ".json")) fn(arg, dirs[i], e->d_name, (int)(l - 5));
        }
        closedir(d);
    }
}

#define PRESET_NAMES_MAX 1024   // the "available: ..." list of an unknown preset's message

static void add_preset_name(void *names, const char *dir, const char *file, int name_len) {
    char *s = names;
    (void)dir;
    if (strlen(s) + (size_t)name_len + 8 >= PRESET_NAMES_MAX) return;   // the list is cut, not overrun
    if (s[0]) strcat(s, ", ");
    strncat(s, file, (size_t)name_len);
}

int pope_preset_load(pope_preset *p, const char *name_or_path) {
    if (!name_or_path || !*name_or_path) return pope_error("preset: no name given");
    char path[1024] = "";
    size_t len = strlen(name_or_path);
    int is_path = strchr(name_or_path, '/') || (len > 5 && !strcmp(name_or_path + len - 5, ".json"));
    if (is_path) {
        snprintf(path, sizeof path, "%s", name_or_path);
    } else {
        char file[512];
        snprintf(file, sizeof file, "%s.json", name_or_path);
        char *found = pope_models_find(file);
        if (!found) {
            const char *dirs[4];
            int nd = n_search_dirs(dirs);
            char where[2048] = "";
            for (int i = 0; i < nd; i++)
                snprintf(where + strlen(where), sizeof where - strlen(where), "%s%s",
                         i == 0 ? "" : i == nd - 1 ? " or " : ", ", dirs[i]);
            char names[PRESET_NAMES_MAX] = "";
            each_preset_file(add_preset_name, names);
            return pope_error("preset '%s' not found in %s (available: %s)", name_or_path, where,
                              names[0] ? names : "none");
        }
        snprintf(path, sizeof path, "%s", found);
        free(found);
    }
    char *text = pope_read_file(path, NULL);
    if (!text) return pope_error("preset %s: cannot read: %s", path, strerror(errno));
    char what[1100];
    snprintf(what, sizeof what, "preset %s", path);
    int rc = pope_preset_from_json(p, text, what);
    free(text);
    if (rc != 0) return -1;
    snprintf(p->path, sizeof p->path, "%s", path);
    if (!p->name[0]) {   // the file name is the name
        const char *b = strrchr(path, '/');
        b = b ? b + 1 : path;
        snprintf(p->name, sizeof p->name, "%.*s", (int)(strlen(b) > 5 ? strlen(b) - 5 : strlen(b)), b);
    }
    return 0;
}

char *pope_preset_to_json(const pope_preset *p) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", p->name);
    cJSON_AddStringToObject(o, "description", p->description);
    cJSON_AddStringToObject(o, "tokenizer", p->tokenizer);
    char *mj = pope_config_to_json(&p->model);
    cJSON *m = mj ? cJSON_Parse(mj) : NULL;
    free(mj);
    if (m) cJSON_AddItemToObject(o, "model", m);
    pope_fields_to_json(pope_train_fields, &p->train, cJSON_AddObjectToObject(o, "train"));
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

typedef struct {
    FILE *f;
    const char *const *tokenizers;   // NULL: every preset
    const char *prefix;              // names of the presets that fix no tokenizer
} preset_listing;

static int preset_listed(const preset_listing *l, const char *file, const char *tokenizer) {
    if (!l->tokenizers) return 1;
    // a preset that fixes no tokenizer leaves it to the program's data: its name says whose
    if (!tokenizer[0]) return l->prefix && !strncmp(file, l->prefix, strlen(l->prefix));
    for (const char *const *t = l->tokenizers; *t; t++)
        if (!strcmp(*t, tokenizer)) return 1;
    return 0;
}

static void print_preset(void *arg, const char *dir, const char *file, int name_len) {
    const preset_listing *l = arg;
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    char *text = pope_read_file(path, NULL);
    if (!text) return;
    pope_preset p;
    if (pope_preset_from_json(&p, text, path) == 0 && preset_listed(l, file, p.tokenizer))
        fprintf(l->f, "  %-22.*s %s\n", name_len, file, p.description);
    free(text);
}

void pope_preset_list_for(FILE *f, const char *const *tokenizers, const char *prefix) {
    preset_listing l = {f, tokenizers, prefix};
    each_preset_file(print_preset, &l);
}

void pope_preset_list(FILE *f) { pope_preset_list_for(f, NULL, NULL); }

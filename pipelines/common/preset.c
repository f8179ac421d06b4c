// preset.c — models/<name>.json presets: a model config plus training hyper-parameters.
// The format is documented in docs/PIPELINE.md. Unknown keys are errors, so that a typo
// ("lr_mni") never silently trains with a default.
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline_internal.h"

#ifndef POPE_SOURCE_DIR
#define POPE_SOURCE_DIR "."
#endif

void pope_train_config_default(pope_train_config *t) {
    memset(t, 0, sizeof *t);
    t->batch = 8;
    t->accum = 1;
    t->lr = 1e-3f;
    t->lr_min = 1e-4f;
    pope_adamw_config_default(&t->adamw);
    t->warmup = 100;
    t->steps = 1000;
    t->time_s = 0;
    t->eval_every = 200;
    t->eval_tokens = 65536;
    t->checkpoint_every = 500;
    t->log_every = 10;
    t->seed = 1;
    t->threads = 0;
    t->augment = -1;   // the program's default
}

static const char *const model_keys[] = {
    "vocab_size", "d_model", "n_layers", "n_heads", "context_length", "pe", "pe_base",
    "legendre_grid", "delta_init", "delta_param", "norm_eps", "tie_embeddings", "dropout_attn",
    "dropout_resid", "init_std", "embed_init_std", "tokenizer", NULL};
static const char *const train_keys[] = {
    "batch", "accum", "lr", "lr_min", "beta1", "beta2", "eps", "weight_decay", "grad_clip",
    "warmup", "steps", "time", "eval_every", "eval_tokens", "checkpoint_every", "log_every",
    "seed", "threads", "dropout", "augment", NULL};
static const char *const top_keys[] = {"name", "description", "tokenizer", "model", "train", NULL};

static int check_keys(const cJSON *o, const char *const *keys, const char *what, const char *section) {
    for (const cJSON *it = o->child; it; it = it->next) {
        int found = 0;
        for (int i = 0; keys[i]; i++) found |= !strcmp(it->string, keys[i]);
        if (!found) {
            char list[512] = "";
            for (int i = 0; keys[i]; i++) {
                strncat(list, keys[i], sizeof list - strlen(list) - 3);
                if (keys[i + 1]) strcat(list, ", ");
            }
            return pope_error("%s: unknown key '%s'%s%s (known: %s)", what, it->string,
                              section ? " in " : "", section ? section : "", list);
        }
    }
    return 0;
}

// Reads a number; integer fields must be integral and within [lo, hi].
static int get_num(const cJSON *o, const char *key, int integral, double lo, double hi,
                   double *out, const char *what) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!it) return 0;
    if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble))
        return pope_error("%s: train.%s must be a number", what, key);
    double v = it->valuedouble;
    if (integral && v != floor(v)) return pope_error("%s: train.%s must be an integer, not %g", what, key, v);
    if (v < lo || v > hi) return pope_error("%s: train.%s = %g is out of range [%g, %g]", what, key, v, lo, hi);
    *out = v;
    return 1;
}

static int parse_train(pope_train_config *t, pope_config *mc, const cJSON *o, const char *what) {
    if (check_keys(o, train_keys, what, "\"train\"") != 0) return -1;
    double v;
    int r;
#define NUM(key, integral, lo, hi, dst)                                   \
    if ((r = get_num(o, key, integral, lo, hi, &v, what)) < 0) return -1; \
    if (r) dst = v;
    NUM("batch", 1, 1, 1 << 20, t->batch);
    NUM("accum", 1, 1, 1 << 20, t->accum);
    NUM("lr", 0, 0, 10, t->lr);
    NUM("lr_min", 0, 0, 10, t->lr_min);
    NUM("beta1", 0, 0, 0.999999, t->adamw.beta1);
    NUM("beta2", 0, 0, 0.99999999, t->adamw.beta2);
    NUM("eps", 0, 0, 1, t->adamw.eps);
    NUM("weight_decay", 0, 0, 10, t->adamw.weight_decay);
    NUM("grad_clip", 0, -1, 1e9, t->adamw.grad_clip);
    NUM("warmup", 1, 0, 1e12, t->warmup);
    NUM("steps", 1, 1, 1e12, t->steps);
    NUM("eval_every", 1, 0, 1e12, t->eval_every);
    NUM("eval_tokens", 1, 0, 1e15, t->eval_tokens);
    NUM("checkpoint_every", 1, 0, 1e12, t->checkpoint_every);
    NUM("log_every", 1, 1, 1e12, t->log_every);
    NUM("seed", 1, 0, 9007199254740992.0, t->seed);
    NUM("threads", 1, 0, 4096, t->threads);
    if ((r = get_num(o, "dropout", 0, 0, 0.99, &v, what)) < 0) return -1;
    if (r) mc->dropout_attn = mc->dropout_resid = (float)v;
#undef NUM
    const cJSON *aug = cJSON_GetObjectItemCaseSensitive(o, "augment");
    if (aug && !cJSON_IsBool(aug)) return pope_error("%s: train.augment must be true or false", what);
    if (aug) t->augment = cJSON_IsTrue(aug);
    const cJSON *time = cJSON_GetObjectItemCaseSensitive(o, "time");
    if (time) {
        if (cJSON_IsNumber(time) && time->valuedouble >= 0) t->time_s = time->valuedouble;
        else if (cJSON_IsString(time)) {
            if (pope_parse_duration(time->valuestring, &t->time_s) != 0)
                return pope_error("%s: train.time: %s", what, pope_last_error());
        } else return pope_error("%s: train.time must be a duration (\"30m\") or seconds", what);
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
    if (check_keys(o, top_keys, what, NULL) != 0) goto done;
    if (copy_string(p->name, sizeof p->name, o, "name", what) != 0) goto done;
    if (copy_string(p->description, sizeof p->description, o, "description", what) != 0) goto done;
    if (copy_string(p->tokenizer, sizeof p->tokenizer, o, "tokenizer", what) != 0) goto done;
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(o, "model");
    if (model) {
        if (!cJSON_IsObject(model)) {
            pope_error("%s: \"model\" must be an object", what);
            goto done;
        }
        if (check_keys(model, model_keys, what, "\"model\"") != 0) goto done;
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
    cJSON *t = cJSON_AddObjectToObject(o, "train");
    const pope_train_config *c = &p->train;
    cJSON_AddNumberToObject(t, "batch", c->batch);
    cJSON_AddNumberToObject(t, "accum", c->accum);
    cJSON_AddNumberToObject(t, "lr", c->lr);
    cJSON_AddNumberToObject(t, "lr_min", c->lr_min);
    cJSON_AddNumberToObject(t, "beta1", c->adamw.beta1);
    cJSON_AddNumberToObject(t, "beta2", c->adamw.beta2);
    cJSON_AddNumberToObject(t, "eps", c->adamw.eps);
    cJSON_AddNumberToObject(t, "weight_decay", c->adamw.weight_decay);
    cJSON_AddNumberToObject(t, "grad_clip", c->adamw.grad_clip);
    cJSON_AddNumberToObject(t, "warmup", (double)c->warmup);
    cJSON_AddNumberToObject(t, "steps", (double)c->steps);
    cJSON_AddNumberToObject(t, "time", c->time_s);
    cJSON_AddNumberToObject(t, "eval_every", (double)c->eval_every);
    cJSON_AddNumberToObject(t, "eval_tokens", (double)c->eval_tokens);
    cJSON_AddNumberToObject(t, "checkpoint_every", (double)c->checkpoint_every);
    cJSON_AddNumberToObject(t, "log_every", (double)c->log_every);
    cJSON_AddNumberToObject(t, "seed", (double)c->seed);
    cJSON_AddNumberToObject(t, "threads", c->threads);
    if (c->augment >= 0) cJSON_AddBoolToObject(t, "augment", c->augment);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

typedef struct {
    FILE *f;
    const char *const *tokenizers;   // NULL: every preset
} preset_listing;

static int tokenizer_listed(const char *const *tokenizers, const char *name) {
    if (!tokenizers || !name[0]) return 1;   // a preset that fixes no tokenizer suits all
    for (; *tokenizers; tokenizers++)
        if (!strcmp(*tokenizers, name)) return 1;
    return 0;
}

static void print_preset(void *arg, const char *dir, const char *file, int name_len) {
    const preset_listing *l = arg;
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    char *text = pope_read_file(path, NULL);
    if (!text) return;
    pope_preset p;
    if (pope_preset_from_json(&p, text, path) == 0 && tokenizer_listed(l->tokenizers, p.tokenizer))
        fprintf(l->f, "  %-22.*s %s\n", name_len, file, p.description);
    free(text);
}

void pope_preset_list_for(FILE *f, const char *const *tokenizers) {
    preset_listing l = {f, tokenizers};
    each_preset_file(print_preset, &l);
}

void pope_preset_list(FILE *f) { pope_preset_list_for(f, NULL); }

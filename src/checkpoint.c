// checkpoint.c — safetensors checkpoints (model, AdamW moments, train state).
//
// File layout (https://github.com/huggingface/safetensors):
//   u64 little-endian N | N bytes of JSON header (padded with spaces to a multiple of 8) |
//   tensor data, float32 little-endian, row-major, at the header's data_offsets
//   (relative to the end of the header).
// Header: {"__metadata__": {"pope.config": <config JSON>, ["pope.train": <train JSON>],
//          <extra string keys>}, "<tensor name>": {"dtype": "F32", "shape": [...],
//          "data_offsets": [begin, end]}, ...}
// pope.train JSON: {"step": "<dec>", "tokens_seen": "<dec>", "adamw_step": "<dec>",
//                   "rng": ["<16 hex>" x 4], "user_json": <string or null>}.
// Every loader check reports what is wrong and with which tensor or key.
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "model_internal.h"
#include "optim_internal.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "pope checkpoints assume a little-endian host"
#endif

#define MAX_HEADER (100u << 20)   // the safetensors reference limit
#define MAX_SAFE_INT 9007199254740992.0

// ---------------------------------------------------------------- saving

typedef struct {
    char *name;
    const float *data;
    int ndim, shape[2];
    size_t numel;
} save_entry;

static int add_string_metadata(cJSON *meta, const char *extra) {
    if (!extra) return 0;
    cJSON *o = cJSON_Parse(extra);
    if (!o || !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return pope_error("save: extra_metadata is not a JSON object");
    }
    for (cJSON *it = o->child; it; it = it->next) {
        int rc = 0;
        if (!cJSON_IsString(it))
            rc = pope_error("save: extra_metadata key '%s' is not a string", it->string);
        else if (cJSON_GetObjectItemCaseSensitive(meta, it->string))
            rc = pope_error("save: extra_metadata key '%s' is reserved or repeated", it->string);
        if (rc != 0) {
            cJSON_Delete(o);
            return rc;
        }
        cJSON_AddStringToObject(meta, it->string, it->valuestring);
    }
    cJSON_Delete(o);
    return 0;
}

static char *train_json(const pope_adamw *opt, const pope_train_state *st) {
    char buf[64];
    cJSON *o = cJSON_CreateObject();
    snprintf(buf, sizeof buf, "%" PRId64, st ? st->step : opt->t);
    cJSON_AddStringToObject(o, "step", buf);
    snprintf(buf, sizeof buf, "%" PRId64, st ? st->tokens_seen : 0);
    cJSON_AddStringToObject(o, "tokens_seen", buf);
    snprintf(buf, sizeof buf, "%" PRId64, opt ? opt->t : 0);
    cJSON_AddStringToObject(o, "adamw_step", buf);
    cJSON *rng = cJSON_AddArrayToObject(o, "rng");
    for (int i = 0; i < 4; i++) {
        snprintf(buf, sizeof buf, "%016" PRIx64, st ? st->rng.s[i] : 0);
        cJSON_AddItemToArray(rng, cJSON_CreateString(buf));
    }
    if (st && st->user_json) cJSON_AddStringToObject(o, "user_json", st->user_json);
    else cJSON_AddNullToObject(o, "user_json");
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

static int write_all(FILE *f, const void *p, size_t n) { return fwrite(p, 1, n, f) == n ? 0 : -1; }

int pope_save(const char *path, const pope_model *m, const pope_adamw *opt,
              const pope_train_state *st, const char *extra_metadata) {
    if (!path || !m) return pope_error("save: no path or model");
    if (opt && opt->numel != m->num_params) return pope_error("save: optimizer of another model");
    int n_entries = m->n_tensors * (opt ? 3 : 1);
    save_entry *e = calloc((size_t)n_entries, sizeof *e);
    cJSON *hdr = cJSON_CreateObject();
    cJSON *meta = cJSON_AddObjectToObject(hdr, "__metadata__");
    char *cfg_json = pope_config_to_json(&m->cfg), *tj = NULL, *hs = NULL;
    int rc = -1;
    if (!e || !hdr || !meta || !cfg_json) { pope_error("save: out of memory"); goto done; }
    cJSON_AddStringToObject(meta, "pope.config", cfg_json);
    if (opt || st) {
        if (!(tj = train_json(opt, st))) { pope_error("save: out of memory"); goto done; }
        cJSON_AddStringToObject(meta, "pope.train", tj);
    }
    if (add_string_metadata(meta, extra_metadata) != 0) goto done;

    int k = 0;
    for (int pass = 0; pass < (opt ? 3 : 1); pass++) {
        for (int i = 0; i < m->n_tensors; i++, k++) {
            const pope_tensor *t = &m->tensors[i];
            const char *prefix = pass == 0 ? "" : pass == 1 ? "optimizer.m." : "optimizer.v.";
            size_t len = strlen(prefix) + strlen(t->name) + 1;
            if (!(e[k].name = malloc(len))) { pope_error("save: out of memory"); goto done; }
            snprintf(e[k].name, len, "%s%s", prefix, t->name);
            e[k].data = pass == 0 ? t->data : (pass == 1 ? opt->m : opt->v) + m->offsets[i];
            e[k].ndim = t->ndim;
            e[k].shape[0] = t->shape[0];
            e[k].shape[1] = t->shape[1];
            e[k].numel = t->numel;
        }
    }
    size_t off = 0;
    for (k = 0; k < n_entries; k++) {
        cJSON *ti = cJSON_AddObjectToObject(hdr, e[k].name);
        cJSON_AddStringToObject(ti, "dtype", "F32");
        cJSON *shape = cJSON_AddArrayToObject(ti, "shape");
        for (int d = 0; d < e[k].ndim; d++) cJSON_AddItemToArray(shape, cJSON_CreateNumber(e[k].shape[d]));
        cJSON *offs = cJSON_AddArrayToObject(ti, "data_offsets");
        cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)off));
        off += e[k].numel * sizeof(float);
        cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)off));
    }
    if (!(hs = cJSON_PrintUnformatted(hdr))) { pope_error("save: out of memory"); goto done; }
    size_t hlen = strlen(hs), padded = (hlen + 7) / 8 * 8;
    pope_atomic a;
    if (pope_atomic_begin(&a, path, "wb") != 0) goto done;
    uint64_t n8 = padded;
    static const char spaces[8] = "        ";
    int werr = write_all(a.f, &n8, 8) || write_all(a.f, hs, hlen) || write_all(a.f, spaces, padded - hlen);
    for (k = 0; k < n_entries && !werr; k++) werr = write_all(a.f, e[k].data, e[k].numel * sizeof(float));
    if (werr) {
        pope_error("save %s: write failed: %s", path, strerror(errno));
        pope_atomic_abort(&a);
        goto done;
    }
    if (pope_atomic_commit(&a, 1) != 0) goto done;   // fsync: a checkpoint must survive a crash
    rc = 0;
done:
    if (e)
        for (k = 0; k < n_entries; k++) free(e[k].name);
    free(e);
    cJSON_Delete(hdr);
    free(cfg_json);
    free(tj);
    free(hs);
    return rc;
}

// ---------------------------------------------------------------- loading

typedef struct {
    const char *name;   // points into the cJSON tree
    int ndim;
    int64_t shape[8];
    uint64_t begin, end;
    int used;
} load_entry;

typedef struct {
    const char *path;
    unsigned char *buf;   // the header (malloc'd) or the whole file (mapped)
    int mapped;
    size_t size;
    size_t data_start;    // 8 + N
    cJSON *hdr, *meta;
    load_entry *e;
    int n;
} st_file;

static void st_close(st_file *sf) {
    if (sf->mapped) munmap(sf->buf, sf->size);
    else free(sf->buf);
    cJSON_Delete(sf->hdr);
    free(sf->e);
}

static int json_uint(const cJSON *it, uint64_t *out) {
    if (!cJSON_IsNumber(it) || it->valuedouble < 0 || it->valuedouble > MAX_SAFE_INT ||
        it->valuedouble != (double)(uint64_t)it->valuedouble)
        return -1;
    *out = (uint64_t)it->valuedouble;
    return 0;
}

static int cmp_begin(const void *a, const void *b) {
    const load_entry *x = *(load_entry *const *)a, *y = *(load_entry *const *)b;
    return (x->begin > y->begin) - (x->begin < y->begin);
}

// Reads the file (header only when header_only) and validates the header structure:
// JSON, metadata of strings, each tensor F32 with a valid shape and in-range,
// non-overlapping offsets.
static int st_open(st_file *sf, const char *path, int header_only) {
    memset(sf, 0, sizeof *sf);
    sf->path = path;
    FILE *f = fopen(path, "rb");
    if (!f) return pope_error("load %s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        return pope_error("load %s: not a regular file", path);
    }
    off_t fsize = sb.st_size;
    if (fsize < 8) {
        fclose(f);
        return pope_error("load %s: truncated: %lld bytes (a safetensors file starts with an "
                          "8-byte header length)", path, (long long)fsize);
    }
    unsigned char len8[8];
    if (fread(len8, 1, 8, f) != 8) { fclose(f); return pope_error("load %s: read error", path); }
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | len8[i];
    if (hlen > MAX_HEADER || hlen < 2) {
        fclose(f);
        return pope_error("load %s: implausible header length %" PRIu64 ": not a safetensors file",
                          path, hlen);
    }
    if (hlen > (uint64_t)fsize - 8) {
        fclose(f);
        return pope_error("load %s: truncated: the header needs %" PRIu64 " bytes, the file has %lld "
                          "(or it is not a safetensors file)", path, 8 + hlen, (long long)fsize);
    }
    sf->data_start = 8 + hlen;
    if (header_only) {
        sf->size = 8 + hlen;
        sf->buf = malloc(sf->size + 1);
        if (!sf->buf) { fclose(f); return pope_error("load %s: out of memory", path); }
        memcpy(sf->buf, len8, 8);
        if (fread(sf->buf + 8, 1, hlen, f) != hlen) {
            fclose(f);
            return pope_error("load %s: read error", path);
        }
    } else {
        // mapped, not read: a multi-gigabyte training checkpoint is not held twice in memory
        void *p = mmap(NULL, (size_t)fsize, PROT_READ, MAP_PRIVATE, fileno(f), 0);
        if (p == MAP_FAILED) {
            fclose(f);
            return pope_error("load %s: cannot map the file: %s", path, strerror(errno));
        }
        sf->buf = p;
        sf->size = (size_t)fsize;
        sf->mapped = 1;
    }
    fclose(f);
    sf->hdr = cJSON_ParseWithLength((const char *)sf->buf + 8, hlen);
    if (!sf->hdr || !cJSON_IsObject(sf->hdr))
        return pope_error("load %s: the header is not a valid JSON object", path);
    sf->meta = cJSON_GetObjectItemCaseSensitive(sf->hdr, "__metadata__");
    if (sf->meta) {
        if (!cJSON_IsObject(sf->meta)) return pope_error("load %s: __metadata__ is not an object", path);
        for (cJSON *it = sf->meta->child; it; it = it->next)
            if (!cJSON_IsString(it))
                return pope_error("load %s: __metadata__ value of '%s' is not a string", path, it->string);
    }
    int n = cJSON_GetArraySize(sf->hdr) - (sf->meta ? 1 : 0);
    sf->e = calloc(n > 0 ? (size_t)n : 1, sizeof *sf->e);
    load_entry **order = calloc(n > 0 ? (size_t)n : 1, sizeof *order);
    if (!sf->e || !order) { free(order); return pope_error("load %s: out of memory", path); }
    uint64_t data_len = (uint64_t)fsize - sf->data_start;
    int k = 0;
    for (cJSON *it = sf->hdr->child; it; it = it->next) {
        if (it == sf->meta) continue;
        load_entry *le = &sf->e[k];
        le->name = it->string;
        const cJSON *dt = cJSON_GetObjectItemCaseSensitive(it, "dtype");
        const cJSON *sh = cJSON_GetObjectItemCaseSensitive(it, "shape");
        const cJSON *of = cJSON_GetObjectItemCaseSensitive(it, "data_offsets");
        int rc = 0;
        if (!cJSON_IsObject(it) || !cJSON_IsString(dt) || !cJSON_IsArray(sh) || !cJSON_IsArray(of))
            rc = pope_error("load %s: tensor '%s' lacks dtype, shape or data_offsets", path, it->string);
        else if (strcmp(dt->valuestring, "F32") != 0)
            rc = pope_error("load %s: tensor '%s' has dtype %s; only F32 is supported", path,
                            it->string, dt->valuestring);
        else if ((le->ndim = cJSON_GetArraySize(sh)) > 8)
            rc = pope_error("load %s: tensor '%s' has %d dimensions", path, it->string, le->ndim);
        uint64_t numel = 1;
        for (int d = 0; rc == 0 && d < le->ndim; d++) {
            uint64_t v;
            if (json_uint(cJSON_GetArrayItem(sh, d), &v) != 0 || v > INT32_MAX)
                rc = pope_error("load %s: tensor '%s' has an invalid shape", path, it->string);
            else {
                le->shape[d] = (int64_t)v;
                numel = v && numel > UINT64_MAX / v ? UINT64_MAX : numel * v;
            }
        }
        if (rc == 0 && (cJSON_GetArraySize(of) != 2 || json_uint(cJSON_GetArrayItem(of, 0), &le->begin) ||
                        json_uint(cJSON_GetArrayItem(of, 1), &le->end) || le->begin > le->end))
            rc = pope_error("load %s: tensor '%s' has invalid data_offsets", path, it->string);
        if (rc == 0 && le->end > data_len)
            rc = pope_error("load %s: truncated: tensor '%s' data [%" PRIu64 ", %" PRIu64 ") beyond "
                            "the end of the file (%" PRIu64 " data bytes)", path, it->string,
                            le->begin, le->end, data_len);
        if (rc == 0 && (numel > UINT64_MAX / 4 || le->end - le->begin != numel * 4))
            rc = pope_error("load %s: tensor '%s' data size %" PRIu64 " does not match its shape",
                            path, it->string, le->end - le->begin);
        if (rc != 0) { free(order); return -1; }
        order[k] = le;
        k++;
    }
    sf->n = k;
    qsort(order, (size_t)k, sizeof *order, cmp_begin);
    for (int i = 1; i < k; i++)
        if (order[i]->begin < order[i - 1]->end && order[i]->begin < order[i]->end) {
            int rc = pope_error("load %s: tensors '%s' and '%s' overlap", path, order[i - 1]->name,
                                order[i]->name);
            free(order);
            return rc;
        }
    free(order);
    return 0;
}

static load_entry *st_find(st_file *sf, const char *name) {
    for (int i = 0; i < sf->n; i++)
        if (strcmp(sf->e[i].name, name) == 0) return &sf->e[i];
    return NULL;
}

static const char *st_meta(st_file *sf, const char *key) {
    const cJSON *it = sf->meta ? cJSON_GetObjectItemCaseSensitive(sf->meta, key) : NULL;
    return it ? it->valuestring : NULL;
}

// Copies tensor `name` of the expected shape into dst.
static int st_read_tensor(st_file *sf, const char *name, const pope_tensor *t, float *dst) {
    load_entry *le = st_find(sf, name);
    if (!le) return pope_error("load %s: tensor '%s' missing", sf->path, name);
    int64_t want[2] = {t->shape[0], t->shape[1]};
    int ok = le->ndim == t->ndim;
    for (int d = 0; ok && d < t->ndim; d++) ok = le->shape[d] == want[d];
    if (!ok) {
        char got[128] = "", exp[64];
        for (int d = 0, o = 0; d < le->ndim && o < 100; d++)
            o += snprintf(got + o, sizeof got - o, d ? ",%" PRId64 : "%" PRId64, le->shape[d]);
        if (t->ndim == 2) snprintf(exp, sizeof exp, "%d,%d", t->shape[0], t->shape[1]);
        else snprintf(exp, sizeof exp, "%d", t->shape[0]);
        return pope_error("load %s: tensor '%s' has shape [%s] but the config wants [%s]", sf->path,
                          name, got, exp);
    }
    memcpy(dst, sf->buf + sf->data_start + le->begin, t->numel * sizeof(float));
    le->used = 1;
    return 0;
}

static int parse_i64(const cJSON *o, const char *key, int64_t *out) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsString(it)) {
        char *end;
        errno = 0;
        long long v = strtoll(it->valuestring, &end, 10);
        if (errno || *end || end == it->valuestring) return -1;
        *out = v;
        return 0;
    }
    // a number must be an integer that int64_t holds (the cast is undefined otherwise)
    if (cJSON_IsNumber(it) && fabs(it->valuedouble) < 9.2e18 &&
        it->valuedouble == floor(it->valuedouble)) {
        *out = (int64_t)it->valuedouble;
        return 0;
    }
    return -1;
}

static int parse_train(st_file *sf, const char *json, int64_t *adamw_step, pope_train_state *st) {
    cJSON *o = cJSON_Parse(json);
    int rc = 0;
    if (!o || !cJSON_IsObject(o)) {
        rc = pope_error("load %s: pope.train metadata is not a JSON object", sf->path);
        goto out;
    }
    pope_train_state s;
    memset(&s, 0, sizeof s);
    if (parse_i64(o, "step", &s.step) || parse_i64(o, "tokens_seen", &s.tokens_seen) ||
        parse_i64(o, "adamw_step", adamw_step)) {
        rc = pope_error("load %s: pope.train step, tokens_seen or adamw_step is missing or not "
                        "an integer", sf->path);
        goto out;
    }
    if (s.step < 0 || s.tokens_seen < 0 || *adamw_step < 0) {
        rc = pope_error("load %s: pope.train step, tokens_seen or adamw_step is negative", sf->path);
        goto out;
    }
    const cJSON *rng = cJSON_GetObjectItemCaseSensitive(o, "rng");
    if (!cJSON_IsArray(rng) || cJSON_GetArraySize(rng) != 4) {
        rc = pope_error("load %s: pope.train rng is not an array of 4 hex strings", sf->path);
        goto out;
    }
    for (int i = 0; i < 4; i++) {
        const cJSON *w = cJSON_GetArrayItem(rng, i);
        char *end;
        if (!cJSON_IsString(w) || strlen(w->valuestring) != 16 ||
            (s.rng.s[i] = strtoull(w->valuestring, &end, 16), *end)) {
            rc = pope_error("load %s: pope.train rng word %d is not 16 hex digits", sf->path, i);
            goto out;
        }
    }
    const cJSON *uj = cJSON_GetObjectItemCaseSensitive(o, "user_json");
    if (cJSON_IsString(uj)) {
        s.user_json = strdup(uj->valuestring);
        if (!s.user_json) { rc = pope_error("load: out of memory"); goto out; }
    } else if (uj && !cJSON_IsNull(uj)) {
        rc = pope_error("load %s: pope.train user_json is not a string", sf->path);
        goto out;
    }
    if (st) *st = s;
    else free(s.user_json);
out:
    cJSON_Delete(o);
    return rc;
}

pope_model *pope_load(const char *path, pope_adamw **opt, pope_train_state *st) {
    if (opt) *opt = NULL;
    if (!path) { pope_error("load: no path"); return NULL; }
    st_file sf;
    pope_model *m = NULL;
    pope_adamw *o = NULL;
    pope_train_state ts;
    memset(&ts, 0, sizeof ts);
    if (st_open(&sf, path, 0) != 0) goto fail;
    const char *cj = st_meta(&sf, "pope.config");
    if (!cj) { pope_error("load %s: no pope.config in __metadata__: not a pope checkpoint", path); goto fail; }
    pope_config cfg;
    pope_config_default(&cfg);
    if (pope_config_from_json(&cfg, cj) != 0 || pope_config_validate(&cfg) != 0) {
        pope_error("load %s: pope.config: %s", path, pope_last_error());
        goto fail;
    }
    // The parameters the config describes must be in the file before they are allocated: a
    // 2 KB file must not ask for 12 GB. (A file cut short was refused by st_open already: its
    // header's tensors reach past its end.)
    uint64_t n_params = pope_config_num_params(&cfg), data_bytes = sf.size - sf.data_start;
    if (n_params > data_bytes / sizeof(float)) {
        pope_error("load %s: its pope.config wants %" PRIu64 " parameters (%" PRIu64 " bytes) but the "
                   "file holds %" PRIu64 " bytes of tensor data (config mismatch)", path, n_params,
                   n_params * sizeof(float), data_bytes);
        goto fail;
    }
    if (!(m = pope_model_create(&cfg, 0, 0))) goto fail;
    for (int i = 0; i < m->n_tensors; i++)
        if (st_read_tensor(&sf, m->tensors[i].name, &m->tensors[i], m->tensors[i].data) != 0) goto fail;
    const char *tj = st_meta(&sf, "pope.train");
    if ((opt || st) && !tj) {
        pope_error("load %s: not a training checkpoint (no pope.train metadata)", path);
        goto fail;
    }
    int64_t adamw_step = 0;
    if (tj && parse_train(&sf, tj, &adamw_step, &ts) != 0) goto fail;
    if (opt) {
        if (!(o = pope_adamw_new(m))) goto fail;
        char name[160];
        for (int i = 0; i < m->n_tensors; i++) {
            const pope_tensor *t = &m->tensors[i];
            snprintf(name, sizeof name, "optimizer.m.%s", t->name);
            if (st_read_tensor(&sf, name, t, o->m + m->offsets[i]) != 0) goto fail;
            snprintf(name, sizeof name, "optimizer.v.%s", t->name);
            if (st_read_tensor(&sf, name, t, o->v + m->offsets[i]) != 0) goto fail;
        }
        o->t = adamw_step;
    }
    // Anything else must be the optimizer moments of this model: a tensor the config does not
    // know (e.g. output.weight with tied embeddings, a layer too many) is a config mismatch.
    for (int i = 0; i < sf.n; i++) {
        const char *nm = sf.e[i].name;
        if (sf.e[i].used) continue;
        const char *base = strncmp(nm, "optimizer.m.", 12) == 0 || strncmp(nm, "optimizer.v.", 12) == 0
                               ? nm + 12 : NULL;
        if (!base || pope_model_find_tensor(m, base) < 0) {
            pope_error("load %s: tensor '%s' is not part of the model its pope.config describes "
                       "(config mismatch)", path, nm);
            goto fail;
        }
    }
    st_close(&sf);
    if (opt) *opt = o;
    if (st) *st = ts;
    else free(ts.user_json);
    return m;
fail:
    st_close(&sf);
    pope_model_free(m);
    pope_adamw_free(o);
    free(ts.user_json);
    return NULL;
}

char *pope_load_metadata(const char *path, const char *key) {
    st_file sf;
    char *v = NULL;
    if (st_open(&sf, path, 1) == 0) {
        const char *s = st_meta(&sf, key);
        if (s) v = strdup(s);
        else pope_error("load %s: no '%s' in __metadata__ (not a pope checkpoint?)", path, key);
    }
    st_close(&sf);
    return v;
}

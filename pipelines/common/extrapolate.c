// extrapolate.c — zero-shot length extrapolation: NLL at several evaluation contexts on
// the same scored tokens, and NLL by position in the window.
//
// Rule (docs/PIPELINE.md): with Tmax the largest context, the split's sequences are cut
// into non-overlapping regions of Tmax+1 tokens (never crossing a sequence; a sequence's
// rest shorter than Tmax+1 is not used). When max_tokens bounds the work, K =
// ceil(max_tokens / Tmax) regions are taken evenly spaced (region index floor(i·R/K)).
// Inside a region, context T scores windows of T+1 tokens starting at 0, T, 2T, ...
// (the last one shorter when T does not divide Tmax), so every context scores exactly
// targets 1..Tmax of every region, each with as much left context as T allows.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dist.h"
#include "pipeline_internal.h"

void pope_extrap_opts_default(pope_extrap_opts *o) {
    memset(o, 0, sizeof *o);
    o->split = POPE_SPLIT_TEST;
    o->max_tokens = 65536;
    o->n_buckets = 32;
}

void pope_extrap_result_free(pope_extrap_result *r) {
    for (int i = 0; i < r->n_contexts; i++) pope_eval_result_free(&r->res[i]);
    r->n_contexts = 0;
}

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int write_outputs(const pope_extrap_result *r, const pope_model *m, const pope_extrap_opts *o,
                         FILE *table);

int pope_extrapolate(pope_model *m, const pope_corpus *c, const pope_extrap_opts *o,
                     pope_extrap_result *r, FILE *table) {
    memset(r, 0, sizeof *r);
    if (pope_check_compat(m, c) != 0) return -1;
    if (o->n_contexts < 1 || o->n_contexts > 32) return pope_error("extrapolate: give 1 to 32 contexts");
    if (o->split < 0 || o->split > POPE_SPLIT_TEST) return pope_error("extrapolate: choose one split (not all)");
    int ctx[32], nc = 0;
    memcpy(ctx, o->contexts, o->n_contexts * sizeof(int));
    qsort(ctx, o->n_contexts, sizeof(int), cmp_int);
    for (int i = 0; i < o->n_contexts; i++) {
        if (ctx[i] < 1) return pope_error("extrapolate: context %d is not positive", ctx[i]);
        if (nc == 0 || ctx[nc - 1] != ctx[i]) ctx[nc++] = ctx[i];
    }
    int Tmax = ctx[nc - 1];
    int64_t L = (int64_t)Tmax + 1;
    int n_buckets = o->n_buckets > 0 ? o->n_buckets : 32;
    if (n_buckets > Tmax) n_buckets = Tmax;
    int bucket_size = (Tmax + n_buckets - 1) / n_buckets;

    int64_t ns = c->n_seqs(c->ctx, o->split), R = 0;
    for (int64_t q = 0; q < ns; q++) R += c->seq_len(c->ctx, o->split, q) / L;
    if (R == 0)
        return pope_error("extrapolate: no sequence of the %s split has %lld tokens (the largest context + 1); "
                          "use smaller --contexts", pope_split_name(o->split), (long long)L);
    int64_t K = o->max_tokens > 0 ? (o->max_tokens + Tmax - 1) / Tmax : R;
    if (K < 1) K = 1;
    if (K > R) K = R;

    r->n_contexts = nc;
    for (int i = 0; i < nc; i++) {
        r->contexts[i] = ctx[i];
        if (eval_result_init(&r->res[i], ctx[i], bucket_size, Tmax) != 0) {
            r->n_contexts = i;
            pope_extrap_result_free(r);
            return -1;
        }
    }
    int32_t *region = malloc(L * sizeof *region), *wins = malloc(2 * L * sizeof *wins);
    if (!region || !wins) {
        free(region);
        free(wins);
        pope_extrap_result_free(r);
        return pope_error("extrapolate: out of memory");
    }
    int rc = 0;
    char label[48];
    snprintf(label, sizeof label, "extrapolate at %d context%s", nc, nc == 1 ? "" : "s");
    pope_meter pg;
    pope_meter_begin(&pg, o->progress && dist_is_root(), label, "regions", K);
    int64_t idx = 0, next = 0;
    for (int64_t q = 0; q < ns && rc == 0 && next < K; q++) {
        int64_t nreg = c->seq_len(c->ctx, o->split, q) / L;
        for (int64_t k = 0; k < nreg && rc == 0 && next < K; k++, idx++) {
            if (idx != (int64_t)((double)next * (double)R / (double)K)) continue;
            next++;
            if (!dist_mine(next - 1)) continue;   // regions are shared out among the ranks
            if ((rc = c->read(c->ctx, o->split, q, k * L, L, region)) != 0) break;
            for (int i = 0; i < nc && rc == 0; i++) {
                int T = ctx[i];
                int64_t n_full = Tmax / T;   // windows of T+1 tokens at stride T
                int max_b = 16384 / T > 0 ? 16384 / T : 1;
                int nb = 0;
                for (int64_t j = 0; j < n_full && rc == 0; j++) {
                    memcpy(wins + (size_t)nb * (T + 1), region + j * T, (size_t)(T + 1) * sizeof *wins);
                    if (++nb == max_b || j == n_full - 1) {
                        rc = score_windows(m, c, wins, nb, T + 1, &r->res[i]);
                        nb = 0;
                    }
                }
                int64_t start = n_full * T;
                if (rc == 0 && start < Tmax)   // the shorter last window: L − start >= 2 tokens
                    rc = score_windows(m, c, region + start, 1, (int)(L - start), &r->res[i]);
            }
            pope_meter_update(&pg, next);
        }
    }
    pope_meter_end(&pg);
    free(region);
    free(wins);
    if (rc != 0) {
        pope_extrap_result_free(r);
        return -1;
    }
    for (int i = 0; i < nc && rc == 0; i++) rc = dist_reduce_eval_result(&r->res[i]);
    if (rc != 0) {
        pope_extrap_result_free(r);
        return -1;
    }
    r->regions = K;
    for (int i = 0; i < nc; i++)
        r->res[i].nll = r->res[i].targets ? r->res[i].nll_sum / (double)r->res[i].targets : NAN;
    if (dist_is_root() && write_outputs(r, m, o, table) != 0) {   // rank 0 alone writes
        pope_extrap_result_free(r);
        return -1;
    }
    return 0;
}

cJSON *pope_extrap_json(const pope_model *m, const pope_extrap_opts *o, const pope_extrap_result *r) {
    const pope_config *cfg = pope_model_config(m);
    int T0 = cfg->context_length > 0 ? cfg->context_length : r->contexts[0];
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "pe", pope_pe_name(cfg->pe));
    cJSON_AddStringToObject(j, "tokenizer", cfg->tokenizer);
    cJSON_AddStringToObject(j, "split", pope_split_name(o->split));
    cJSON_AddNumberToObject(j, "training_context", T0);
    cJSON_AddNumberToObject(j, "regions", (double)r->regions);
    cJSON_AddNumberToObject(j, "bucket_size", r->res[0].bucket_size);
    if (o->json_fields) o->json_fields(o->json_ctx, j);
    cJSON *arr = cJSON_AddArrayToObject(j, "results");
    for (int i = 0; i < r->n_contexts; i++) {
        cJSON *e = cJSON_CreateObject();
        pipeline_json_add_result(e, &r->res[i]);
        cJSON_AddNumberToObject(e, "multiple", (double)r->contexts[i] / T0);
        cJSON *b = cJSON_AddArrayToObject(e, "bucket_nll");
        for (int k = 0; k < r->res[i].n_buckets; k++) {
            if (r->res[i].bucket_count[k] > 0)
                cJSON_AddItemToArray(b, cJSON_CreateNumber(r->res[i].bucket_nll[k] / r->res[i].bucket_count[k]));
            else cJSON_AddItemToArray(b, cJSON_CreateNull());
        }
        cJSON_AddItemToArray(arr, e);
    }
    return j;
}

static int write_outputs(const pope_extrap_result *r, const pope_model *m, const pope_extrap_opts *o,
                         FILE *table) {
    const pope_config *cfg = pope_model_config(m);
    int T0 = cfg->context_length > 0 ? cfg->context_length : r->contexts[0];
    // Markdown
    size_t cap = 4096 + 128 * r->n_contexts;
    char *md = malloc(cap);
    if (!md) return pope_error("extrapolate: out of memory");
    size_t len = 0;
    len += snprintf(md + len, cap - len,
                    "| context | × train | NLL (nats/token) | targets |\n|---:|---:|---:|---:|\n");
    for (int i = 0; i < r->n_contexts; i++)
        len += snprintf(md + len, cap - len, "| %d | %.3g | %.4f | %lld |\n", r->contexts[i],
                        (double)r->contexts[i] / T0, r->res[i].nll, (long long)r->res[i].targets);
    if (table) fputs(md, table);
    if (!o->out_dir) {
        free(md);
        return 0;
    }
    if (pope_mkdir_p(o->out_dir) != 0) {
        free(md);
        return -1;
    }
    char path[4200], head[512];
    snprintf(head, sizeof head,
             "# Length extrapolation (%s encoding, trained at context %d)\n\n"
             "Split `%s`, %lld regions of %d tokens; every context scores the same %lld targets.\n\n",
             pope_pe_name(cfg->pe), T0, pope_split_name(o->split), (long long)r->regions,
             r->contexts[r->n_contexts - 1] + 1, (long long)r->res[r->n_contexts - 1].targets);
    char *full = malloc(strlen(head) + len + 1);
    if (!full) {
        free(md);
        return pope_error("extrapolate: out of memory");
    }
    strcpy(full, head);
    strcat(full, md);
    free(md);
    snprintf(path, sizeof path, "%s/extrapolate.md", o->out_dir);
    int rc = pope_write_file_atomic(path, full);
    free(full);
    if (rc) return -1;

    // JSON: the same object --json prints
    cJSON *j = pope_extrap_json(m, o, r);
    char *js = cJSON_Print(j);
    cJSON_Delete(j);
    snprintf(path, sizeof path, "%s/extrapolate.json", o->out_dir);
    rc = js ? pope_write_file_atomic(path, js) : pope_error("extrapolate: JSON failed");
    cJSON_free(js);
    if (rc) return -1;

    // SVG: NLL vs context
    double xs[32], ys[32];
    for (int i = 0; i < r->n_contexts; i++) xs[i] = r->contexts[i], ys[i] = r->res[i].nll;
    char name[64];
    snprintf(name, sizeof name, "%s", pope_pe_name(cfg->pe));
    pope_series s = {name, xs, ys, r->n_contexts, 0};
    pope_chart ch = {"NLL vs evaluation context", "context (tokens)", "NLL (nats/token)", 1};
    snprintf(path, sizeof path, "%s/extrapolate.svg", o->out_dir);
    if (pope_svg_line_chart(path, &ch, &s, 1) != 0) return -1;

    // SVG: NLL vs position, one series per context
    int nb = r->res[0].n_buckets;
    double *px = malloc(nb * sizeof *px), *py = malloc((size_t)nb * r->n_contexts * sizeof *py);
    pope_series ser[32];
    char names[32][32];
    if (!px || !py) {
        free(px);
        free(py);
        return pope_error("extrapolate: out of memory");
    }
    for (int k = 0; k < nb; k++) px[k] = (k + 0.5) * r->res[0].bucket_size;
    for (int i = 0; i < r->n_contexts; i++) {
        for (int k = 0; k < nb; k++)
            py[i * nb + k] = r->res[i].bucket_count[k] ? r->res[i].bucket_nll[k] / r->res[i].bucket_count[k] : NAN;
        snprintf(names[i], sizeof names[i], "context %d", r->contexts[i]);
        ser[i] = (pope_series){names[i], px, py + i * nb, nb, 0};
    }
    pope_chart cp = {"NLL by position in the window", "position (tokens)", "NLL (nats/token)", 0};
    snprintf(path, sizeof path, "%s/extrapolate_positions.svg", o->out_dir);
    rc = pope_svg_line_chart(path, &cp, ser, r->n_contexts);
    free(px);
    free(py);
    return rc;
}

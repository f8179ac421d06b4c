// split.c — train/valid/test pieces of a genome (rules in docs/GENOME.md "Splits").
//
// Several sequences: whole sequences are held out (test = chr14 and chrX, valid = chr21
// when present, as named or without the "chr" prefix; a set still empty gets whole
// sequences from the end of the file until it holds >= 5% of the bases). One or two
// sequences (and no names given): the last 5% of each is valid, the 5% before it test.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "pope_genome.h"

static int add_piece(pope_genome_split *s, int split, int64_t contig, int64_t start, int64_t len) {
    if (len <= 0) return 0;
    int64_t n = s->n_pieces[split];
    if (n == 0 || (n >= 16 && (n & (n - 1)) == 0)) {   // capacity doubles at 16, 32, 64...: millions of reads stay linear
        size_t cap = n < 16 ? 16 : (size_t)n * 2;
        pope_genome_piece *p = realloc(s->pieces[split], cap * sizeof *p);
        if (!p) return pope_error("out of memory");
        s->pieces[split] = p;
    }
    s->pieces[split][s->n_pieces[split]++] = (pope_genome_piece){contig, start, len};
    s->n_bases[split] += len;
    return 0;
}

// Marks the contigs named in a comma-separated list as `split`. -1 if one is absent.
static int mark_named(const pope_genome *g, const char *list, int split, int *assign, const char *what) {
    char *dup = strdup(list), *save = NULL;
    if (!dup) return pope_error("out of memory");
    for (char *name = strtok_r(dup, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        while (*name == ' ') name++;
        if (!*name) continue;
        int64_t c = pope_genome_find_contig(g, name);
        if (c < 0) {
            pope_error("%s: no sequence named '%s' in the input", what, name);
            free(dup);
            return -1;
        }
        if (assign[c] != POPE_SPLIT_TRAIN && assign[c] != split) {
            pope_error("%s: sequence '%s' is already in another split", what, name);
            free(dup);
            return -1;
        }
        assign[c] = split;
    }
    free(dup);
    return 0;
}

static int64_t mark_default(const pope_genome *g, const char *const *names, int split, int *assign) {
    int64_t found = 0;
    for (int i = 0; names[i]; i++) {
        int64_t c = pope_genome_find_contig(g, names[i]);
        if (c >= 0 && assign[c] == POPE_SPLIT_TRAIN) {
            assign[c] = split;
            found++;
        }
    }
    return found;
}

// Whole sequences from the end of the file into `split` until it holds >= 5% of the bases.
static void fill_from_end(const pope_genome *g, int split, int *assign) {
    int64_t n = pope_genome_n_contigs(g), total = pope_genome_total_bases(g), have = 0;
    for (int64_t c = 0; c < n; c++)
        if (assign[c] == split) have += pope_genome_contig_len(g, c);
    for (int64_t c = n - 1; c >= 0 && have * 20 < total; c--) {
        if (assign[c] != POPE_SPLIT_TRAIN) continue;
        assign[c] = split;
        have += pope_genome_contig_len(g, c);
    }
}

// "A, B, C and 4 more" (the first few names of a split's pieces), or "none".
static const char *piece_names(const pope_genome *g, const pope_genome_split *s, int split, char *buf, size_t size) {
    size_t w = 0;
    buf[0] = 0;
    int64_t n = s->n_pieces[split], shown = 0;
    for (; shown < n && w + 80 < size; shown++)
        w += (size_t)snprintf(buf + w, size - w, "%s%.60s", shown ? ", " : "", pope_genome_contig_name(g, s->pieces[split][shown].contig));
    if (shown < n) snprintf(buf + w, size - w, " and %lld more", (long long)(n - shown));
    return n ? buf : "none";
}

int pope_genome_split_make(const pope_genome *g, const char *valid_contigs, const char *test_contigs,
                           pope_genome_split *s) {
    memset(s, 0, sizeof *s);
    int64_t n = pope_genome_n_contigs(g);
    int named = (valid_contigs && valid_contigs[0]) || (test_contigs && test_contigs[0]);
    if (n <= 2 && !named) {
        s->rule = strdup("tail-5%");
        for (int64_t c = 0; c < n; c++) {
            int64_t L = pope_genome_contig_len(g, c), v = L * 5 / 100, t = L * 5 / 100;
            if (add_piece(s, POPE_SPLIT_TRAIN, c, 0, L - v - t) || add_piece(s, POPE_SPLIT_TEST, c, L - v - t, t) ||
                add_piece(s, POPE_SPLIT_VALID, c, L - v, v))
                goto fail;
        }
    } else {
        s->rule = strdup("contigs");
        int *assign = calloc((size_t)n, sizeof *assign);   // POPE_SPLIT_TRAIN = 0
        if (!assign) {
            pope_error("out of memory");
            goto fail;
        }
        static const char *const def_test[] = {"chr14", "14", "chrX", "X", NULL};
        static const char *const def_valid[] = {"chr21", "21", NULL};
        int rc = 0;
        int64_t n_test = 0, n_valid = 0;
        if (test_contigs && test_contigs[0]) rc = mark_named(g, test_contigs, POPE_SPLIT_TEST, assign, "--test-contigs");
        else n_test = mark_default(g, def_test, POPE_SPLIT_TEST, assign);
        if (!rc && valid_contigs && valid_contigs[0])
            rc = mark_named(g, valid_contigs, POPE_SPLIT_VALID, assign, "--valid-contigs");
        else if (!rc) n_valid = mark_default(g, def_valid, POPE_SPLIT_VALID, assign);
        if (!rc && !n_valid && !(valid_contigs && valid_contigs[0])) fill_from_end(g, POPE_SPLIT_VALID, assign);
        if (!rc && !n_test && !(test_contigs && test_contigs[0])) fill_from_end(g, POPE_SPLIT_TEST, assign);
        for (int64_t c = 0; !rc && c < n; c++) rc = add_piece(s, assign[c], c, 0, pope_genome_contig_len(g, c));
        free(assign);
        if (rc) goto fail;
    }
    if (s->n_bases[POPE_SPLIT_TRAIN] == 0) {
        char valid[400], test[400];
        pope_error("the training split is empty: every sequence is held out (valid: %s; test: %s)",
                   piece_names(g, s, POPE_SPLIT_VALID, valid, sizeof valid),
                   piece_names(g, s, POPE_SPLIT_TEST, test, sizeof test));
        goto fail;
    }
    return 0;
fail:
    pope_genome_split_free(s);
    return -1;
}

void pope_genome_split_free(pope_genome_split *s) {
    for (int i = 0; i < POPE_SPLIT_COUNT; i++) free(s->pieces[i]);
    free(s->rule);
    memset(s, 0, sizeof *s);
}

static const char *const split_names[POPE_SPLIT_COUNT] = {"train", "valid", "test"};

char *pope_genome_split_json(const pope_genome *g, const pope_genome_split *s) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "rule", s->rule ? s->rule : "");
    for (int k = 0; k < POPE_SPLIT_COUNT; k++) {
        cJSON *o = cJSON_AddObjectToObject(root, split_names[k]);
        cJSON_AddNumberToObject(o, "bases", (double)s->n_bases[k]);
        cJSON_AddNumberToObject(o, "sequences", (double)s->n_pieces[k]);
        cJSON *arr = cJSON_AddArrayToObject(o, "pieces");   // [name, start, length], at most 64 listed
        for (int64_t i = 0; i < s->n_pieces[k] && i < 64; i++) {
            const pope_genome_piece *p = &s->pieces[k][i];
            cJSON *e = cJSON_CreateArray();
            cJSON_AddItemToArray(e, cJSON_CreateString(pope_genome_contig_name(g, p->contig)));
            cJSON_AddItemToArray(e, cJSON_CreateNumber((double)p->start));
            cJSON_AddItemToArray(e, cJSON_CreateNumber((double)p->len));
            cJSON_AddItemToArray(arr, e);
        }
    }
    char *out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return out;
}

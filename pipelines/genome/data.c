// data.c — the data options of pope-genome and FILE -> genome -> split -> corpus.
#include <cjson/cJSON.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "genome_cli.h"

int die(const char *what) { return pope_die(PROG, what); }
int usage_error(const char *cmd, const char *msg) { return pope_usage_error(PROG, cmd, msg); }

static int check_tokenizer(const char *v) {
    pope_gtok t;
    return pope_gtok_parse(v, 0, &t);
}

// every command that reads FILE
#define DATA_CMDS "train,bench,eval,extrapolate,tokenize"
#define GDATA(field) .dst = POPE_DST_DATA, .off = offsetof(gdata_opts, field)
const pope_opt gdata_options[] = {
    {.name = "--tokenizer", .kind = POPE_OPT_STR, GDATA(tokenizer), .arg = "T", .check = check_tokenizer,
     .help = "nt (one token per base) or kmer6 (the Nucleotide Transformer's 6-mers); eval: the model's",
     .def = "the preset's, else nt", .cmds = DATA_CMDS},
    {.name = "--keep-case", .kind = POPE_OPT_FLAG, GDATA(keep_case),
     .help = "keep soft-masked (lowercase) bases as their own tokens (nt only)", .cmds = DATA_CMDS},
    {.name = "--valid-contigs", .kind = POPE_OPT_STR, GDATA(valid_contigs), .arg = "A,B",
     .help = "hold out these sequences for validation", .def = "chr21", .cmds = DATA_CMDS},
    {.name = "--test-contigs", .kind = POPE_OPT_STR, GDATA(test_contigs), .arg = "A,B",
     .help = "hold out these sequences for test", .def = "chr14,chrX", .cmds = DATA_CMDS},
    {.name = "--cache-dir", .kind = POPE_OPT_STR, GDATA(cache_dir), .arg = "DIR",
     .help = "where the packed cache goes", .def = "next to FILE", .cmds = DATA_CMDS},
    {.name = "--no-cache", .kind = POPE_OPT_FLAG, GDATA(no_cache),
     .help = "never write or read the packed cache", .cmds = DATA_CMDS},
    {.name = "--mapped-only", .kind = POPE_OPT_FLAG, GDATA(mapped_only),
     .help = "SAM/BAM/CRAM: only mapped reads", .cmds = DATA_CMDS},
    {.name = "--unmapped-only", .kind = POPE_OPT_FLAG, GDATA(unmapped_only),
     .help = "SAM/BAM/CRAM: only unmapped reads", .cmds = DATA_CMDS},
    {.name = "--reference", .kind = POPE_OPT_STR, GDATA(reference), .arg = "REF.fa",
     .help = "CRAM: the reference it was compressed against", .cmds = DATA_CMDS},
    {.name = "--eval-tokens", .kind = POPE_OPT_COMMON, .help = "score about N targets in evenly spaced windows",
     .def = "all", .cmds = "eval"},
    POPE_OPT_END,
};

static void add_str(cJSON *o, const char *k, const char *v) { cJSON_AddStringToObject(o, k, v ? v : ""); }

static void meter_heard_bytes(void *meter, int64_t bytes) { pope_meter_update(meter, bytes / 1000000); }

int gdata_load(gdata *d, const char *path, const gdata_opts *o, const char *tok_name, int split, int verbose) {
    memset(d, 0, sizeof *d);
    if (pope_gtok_parse(tok_name ? tok_name : "nt", o->keep_case, &d->tok) != 0) return -1;
    pope_genome_opts go;
    pope_genome_opts_default(&go);
    go.mapped_only = o->mapped_only;
    go.unmapped_only = o->unmapped_only;
    go.reference = o->reference;
    go.cache_dir = o->cache_dir;
    go.cache = o->no_cache ? 0 : o->cache_dir ? 2 : 1;
    go.n_threads = 2;
    struct stat st;
    int regular = strcmp(path, "-") && stat(path, &st) == 0 && S_ISREG(st.st_mode);
    if (verbose && regular && st.st_size >= go.cache_min_bytes)
        fprintf(stderr, PROG ": reading %s (%.0f MB%s)...\n", path, (double)st.st_size / 1e6,
                go.cache ? "; the first read packs it into a cache, docs/GENOME.md" : "");
    pope_meter pg;   // a regular file's bytes read (MB), in place on a terminal
    pope_meter_begin(&pg, verbose && regular, PROG ": reading", "MB", regular ? (int64_t)(st.st_size / 1000000) : 0);
    go.progress = (pope_genome_progress){meter_heard_bytes, &pg};
    d->g = pope_genome_open(path, &go);
    pope_meter_end(&pg);
    if (!d->g) return -1;
    if (verbose) {
        const pope_genome *g = d->g;
        double total = (double)pope_genome_total_bases(g);
        fprintf(stderr, PROG ": %s: %s, %lld sequence%s, %lld bases (%.1f%% N, %.1f%% soft-masked); %s\n", path,
                pope_genome_format(g), (long long)pope_genome_n_contigs(g), pope_genome_n_contigs(g) == 1 ? "" : "s",
                (long long)pope_genome_total_bases(g), 100.0 * (double)pope_genome_n_bases_n(g) / total,
                100.0 * (double)pope_genome_n_bases_lower(g) / total, pope_genome_source(g));
    }
    if (!split) return 0;
    if (pope_genome_split_make(d->g, o->valid_contigs, o->test_contigs, &d->split) != 0) {
        char why[1400];
        snprintf(why, sizeof why, "%s: %s%s", path, pope_last_error(),
                 strstr(pope_last_error(), "training split is empty")
                     ? "; choose the held-out sequences with --valid-contigs A,B and --test-contigs C,D" : "");
        gdata_free(d);
        return pope_error("%s", why);
    }
    if (pope_genome_corpus_init(&d->corpus, d->g, &d->split, d->tok) != 0) {
        gdata_free(d);
        return -1;
    }
    char *split_json = pope_genome_split_json(d->g, &d->split);
    cJSON *meta = cJSON_CreateObject();
    char *abs = strcmp(path, "-") ? realpath(path, NULL) : NULL;
    add_str(meta, "pope.genome.input", abs ? abs : path);
    free(abs);
    add_str(meta, "pope.genome.format", pope_genome_format(d->g));
    add_str(meta, "pope.genome.split", split_json);
    add_str(meta, "pope.genome.valid_contigs", o->valid_contigs);
    add_str(meta, "pope.genome.test_contigs", o->test_contigs);
    add_str(meta, "pope.genome.keep_case", o->keep_case ? "1" : "0");
    d->metadata = cJSON_PrintUnformatted(meta);
    cJSON_Delete(meta);
    free(split_json);
    if (verbose)
        fprintf(stderr, PROG ": split (%s): train %lld bases in %lld piece%s, valid %lld, test %lld; tokenizer %s (vocab %d)\n",
                d->split.rule, (long long)d->split.n_bases[POPE_SPLIT_TRAIN], (long long)d->split.n_pieces[POPE_SPLIT_TRAIN],
                d->split.n_pieces[POPE_SPLIT_TRAIN] == 1 ? "" : "s", (long long)d->split.n_bases[POPE_SPLIT_VALID],
                (long long)d->split.n_bases[POPE_SPLIT_TEST], pope_gtok_name(d->tok), pope_gtok_vocab(d->tok));
    return 0;
}

void gdata_free(gdata *d) {
    if (d->corpus.ctx) pope_genome_corpus_free(&d->corpus);
    pope_genome_split_free(&d->split);
    pope_genome_free(d->g);
    free(d->metadata);
    memset(d, 0, sizeof *d);
}

int gmodel_tokenizer(const char *what, const pope_config *cfg, pope_gtok *out) {
    if (pope_gtok_parse(cfg->tokenizer, 0, out) != 0)
        return pope_error("%s: the model was trained with tokenizer '%s', not a genome tokenizer (nt, nt-case, kmer6)", what,
                          cfg->tokenizer);
    if (pope_gtok_vocab(*out) != cfg->vocab_size)   // e.g. a kmer6 model from before kmer6 became NT's (vocab 4104)
        return pope_error("%s: the model's tokenizer '%s' has vocab %d, but %s now has %d (docs/GENOME.md \"Tokenizers\")",
                          what, cfg->tokenizer, cfg->vocab_size, cfg->tokenizer, pope_gtok_vocab(*out));
    return 0;
}

int gmodel_data_opts(const char *model, gdata_opts *o, char tok_name[POPE_TOKENIZER_MAX]) {
    char *file = pope_model_file(model);
    if (!file) return -1;   // pope_model_file's message names the path
    pope_config cfg;
    if (pope_model_file_config(file, &cfg) != 0) {
        free(file);
        return -1;
    }
    pope_gtok t;
    if (gmodel_tokenizer(file, &cfg, &t) != 0) {
        free(file);
        return -1;
    }
    if (o->tokenizer) {
        pope_gtok want;
        if (pope_gtok_parse(o->tokenizer, o->keep_case, &want) != 0) {
            free(file);
            return -1;
        }
        if (want != t) {
            pope_error("%s: the model was trained with tokenizer '%s', not '%s'", file, cfg.tokenizer,
                       pope_gtok_name(want));
            free(file);
            return -1;
        }
    }
    snprintf(tok_name, POPE_TOKENIZER_MAX, "%s", cfg.tokenizer);
    // the training split's named contigs, so that "test" means the same sequences
    const char *keys[2] = {"pope.genome.valid_contigs", "pope.genome.test_contigs"};
    const char **dst[2] = {&o->valid_contigs, &o->test_contigs};
    for (int k = 0; k < 2; k++) {
        if (*dst[k]) continue;
        char *v = pope_load_metadata(file, keys[k]);
        if (v && v[0]) {
            free(o->from_model[k]);
            o->from_model[k] = v;   // o owns it: gdata_opts_free
            *dst[k] = v;
        } else {
            free(v);
        }
    }
    free(file);
    return 0;
}

void gdata_opts_free(gdata_opts *o) {
    for (int k = 0; k < 2; k++) {
        free(o->from_model[k]);
        o->from_model[k] = NULL;
    }
}

double gbits_per_base(const pope_eval_result *r, pope_split split) {
    double nll = split == POPE_SPLIT_ALL ? r->nll_sum : r->split_nll_sum[split];
    int64_t bases = split == POPE_SPLIT_ALL ? r->units : r->split_units[split];
    return bases > 0 ? nll / log(2.0) / (double)bases : NAN;
}

// cmd_generate.c — `pope-genome generate`: a prompt of bases in, a FASTA record out.
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "genome_cli.h"

typedef struct {
    const char *prompt, *out_path, *name;
    int64_t length;
} gen_opts;

#define GEN(field) .dst = POPE_DST_LOCAL, .off = offsetof(gen_opts, field)
static const pope_opt generate_opts[] = {
    POPE_COMMON("--model"),
    {.name = "--prompt", .kind = POPE_OPT_STR, GEN(prompt), .arg = "SEQ",
     .help = "bases to start from (A C G T N, any case; IUPAC codes read as N)"},
    {.name = "--length", .kind = POPE_OPT_I64, GEN(length), .arg = "N", .lo = 1, .hi = 1 << 30,
     .help = "bases to generate", .def = "1000"},
    {.name = "--name", .kind = POPE_OPT_STR, GEN(name), .arg = "NAME", .help = "FASTA record name", .def = "generated"},
    {.name = "--output", .alias = "-o", .kind = POPE_OPT_STR, GEN(out_path), .arg = "FILE",
     .help = "output FASTA ('-': stdout)", .def = "-"},
    POPE_COMMON("--temperature"), POPE_COMMON("--top-k"), POPE_COMMON_HELP("--top-p", NULL, "1, off"),
    POPE_COMMON_HELP("--seed", "sampling seed", "1"),
    POPE_COMMON_HELP("--precision", "fp32, bf16 (the prompt's one pass; new tokens are matrix-vector steps, fp32) or auto",
                     "fp32"),
    POPE_COMMON("--threads"), POPE_OPT_END,
};

static const char usage[] =
    "usage: " PROG " generate --model M [--prompt ACGT...] [--length N] [-o out.fa]\n\n"
    "Samples N bases after the prompt and writes one FASTA record (the prompt followed by the\n"
    "new bases) to -o FILE, or stdout ('-', the default).\n"
    "Without --prompt the first token is drawn uniformly (a base for nt, a 6-mer for kmer6).\n"
    "With kmer6 the prompt's last floor(L/6)*6 bases are tokenized (L >= 6; the first L % 6\n"
    "are only echoed), so that it ends on a whole 6-mer.\n\n";

static int write_fasta(FILE *f, const char *name, const char *desc, const char *seq, int64_t n) {
    fprintf(f, ">%s %s\n", name, desc);
    for (int64_t i = 0; i < n; i += 60) {
        int64_t m = n - i < 60 ? n - i : 60;
        fwrite(seq + i, 1, (size_t)m, f);
        fputc('\n', f);
    }
    return ferror(f) ? -1 : 0;
}

// The prompt's tokens (plen bases of `prompt`, NULL: none, into pbases and ptok, each with
// room for plen + 7): IUPAC codes become N, case is kept only for nt-case. So that the prompt
// ends on a whole token, its first plen % max_bases bases are only echoed. Without a prompt,
// a uniform first word (*plen becomes its bases). Returns the token count, -1 on a bad prompt.
static int64_t prompt_tokens(pope_gtok tok, const char *prompt, pope_rng *rng, char *pbases, int32_t *ptok, int64_t *plen) {
    for (int64_t i = 0; i < *plen; i++) {
        char c = prompt[i];
        if (!strchr("ACGTNacgtnRYKMSWBDHVrykmswbdhv", c)) return pope_error("--prompt: '%c' is not a base", c);
        pbases[i] = strchr("ACGTacgt", c) ? c : (c >= 'a' ? 'n' : 'N');
        if (tok != POPE_GTOK_NT_CASE && pbases[i] >= 'a') pbases[i] = (char)(pbases[i] - 32);
    }
    int per = pope_gtok_max_bases(tok);
    if (prompt && per > 1 && *plen < per)
        return pope_error("--prompt: %s needs at least %d bases, got %lld", pope_gtok_name(tok), per, (long long)*plen);
    int64_t skip = *plen % per;
    int64_t n = pope_gtok_encode(tok, pbases + skip, *plen - skip, ptok);
    if (n > 0) return n;
    ptok[0] = pope_gtok_word(tok, (int)pope_rng_below(rng, (uint64_t)pope_gtok_n_words(tok)));
    *plen = pope_gtok_decode(tok, ptok, 1, pbases, per);
    return 1;
}

// Samples after the prompt's n_ptok tokens until `length` bases exist (at most 8 rounds):
// *seq (malloc'd) = the plen prompt bases then *nb new ones. PAD/BOS carry no bases: a model
// that samples them (barely trained) gets more rounds, each continuing from everything so far.
static int sample_bases(pope_model *m, pope_gtok tok, pope_gen_opts *go, pope_rng *rng, const int32_t *ptok,
                        int64_t n_ptok, const char *pbases, int64_t plen, int64_t length, char **seq_out,
                        int64_t *nb_out) {
    int per = pope_gtok_max_bases(tok);   // bases per whole token
    int64_t cap_tok = n_ptok + 2 * go->n_new + 64, n_all = n_ptok, nb = 0;
    int32_t *all = malloc((size_t)cap_tok * sizeof *all);
    char *seq = malloc((size_t)(plen + per * (cap_tok + 1) + 1));
    if (!all || !seq) {   // --length near its bound of 2^30 bases asks for gigabytes here
        free(all);
        free(seq);
        return pope_error("out of memory for %lld bases (a smaller --length?)", (long long)length);
    }
    memcpy(all, ptok, (size_t)n_ptok * sizeof *all);
    memcpy(seq, pbases, (size_t)plen);
    for (int round = 0; round < 8 && nb < length; round++) {
        int32_t *gen = NULL;
        int64_t n_gen = 0;
        go->n_new = (length - nb + per - 1) / per;
        if (n_all + go->n_new > cap_tok) go->n_new = cap_tok - n_all;
        if (go->n_new <= 0) break;
        if (pope_generate(m, all, n_all, go, &gen, &n_gen) != 0) {
            free(all);
            free(seq);
            return -1;
        }
        memcpy(all + n_all, gen, (size_t)n_gen * sizeof *all);
        int64_t w = pope_gtok_decode(tok, gen, n_gen, seq + plen + nb, per * n_gen);
        n_all += n_gen;
        nb += w > 0 ? w : 0;
        go->seed = pope_rng_u64(rng);
        free(gen);
    }
    free(all);
    *seq_out = seq;
    *nb_out = nb > length ? length : nb;
    return 0;
}

// The FASTA record to out_path ("-": stdout); its description names the model and the sampling.
static int write_record(const gen_opts *g, const pope_cli *cli, const pope_config *cfg, float temperature,
                        const char *seq, int64_t plen, int64_t nb) {
    pope_atomic a;   // temp + rename: a failed write leaves no half FASTA ("-": stdout)
    if (pope_atomic_begin(&a, g->out_path, "w") != 0) return -1;
    char desc[1400];
    snprintf(desc, sizeof desc, "model=%s pe=%s tokenizer=%s prompt_bases=%lld new_bases=%lld temperature=%g seed=%lld",
             cli->model, pope_pe_name(cfg->pe), cfg->tokenizer, (long long)plen, (long long)nb, (double)temperature,
             (long long)(cli->seed >= 0 ? cli->seed : 1));
    if (write_fasta(a.f, g->name, desc, seq, plen + nb) != 0) {
        pope_atomic_abort(&a);
        return pope_error("%s: write error", g->out_path);
    }
    return pope_atomic_commit(&a, 0);
}

int cmd_generate(const pope_program *p, int argc, char **argv) {
    pope_cli cli;
    gen_opts g = {.out_path = "-", .name = "generated", .length = 1000};
    int prc = pope_program_parse(p, "generate", generate_opts, usage, &cli, &g, NULL, NULL, argc, argv);
    if (prc) return prc < 0 ? 0 : prc;
    if (!cli.model) return usage_error("generate", "--model M is required");
    if (cli.threads > 0) pope_runtime_init(cli.threads);
    pope_model *m = pope_model_open(cli.model, NULL);
    if (!m) return die("generate");
    const pope_config *cfg = pope_model_config(m);
    pope_gtok tok;
    if (gmodel_tokenizer(cli.model, cfg, &tok) != 0) {
        pope_model_free(m);
        return die("generate");
    }
    int rc = 0;
    int64_t plen = g.prompt ? (int64_t)strlen(g.prompt) : 0;
    char *pbases = malloc((size_t)plen + 7), *seq = NULL;
    int32_t *ptok = malloc(((size_t)plen + 1) * sizeof *ptok);
    int64_t n_ptok = 0, nb = 0;
    if (!pbases || !ptok) {
        pope_error("out of memory for a prompt of %lld bases", (long long)plen);
        rc = die("generate");
        goto done;
    }
    pope_rng rng;
    pope_rng_seed(&rng, cli.seed >= 0 ? (uint64_t)cli.seed : 1);
    int per = pope_gtok_max_bases(tok);   // bases per whole token
    if ((n_ptok = prompt_tokens(tok, g.prompt, &rng, pbases, ptok, &plen)) < 0) {
        rc = die("generate");
        goto done;
    }
    pope_gen_opts go;
    pope_gen_opts_default(&go);
    go.n_new = (g.length + per - 1) / per;
    if (!isnan(cli.temperature)) go.temperature = cli.temperature;
    if (cli.top_k >= 0) go.top_k = cli.top_k;
    if (!isnan(cli.top_p)) go.top_p = cli.top_p;
    go.seed = pope_rng_u64(&rng);
    go.stop_token = -1;
    if (sample_bases(m, tok, &go, &rng, ptok, n_ptok, pbases, plen, g.length, &seq, &nb) != 0 ||
        write_record(&g, &cli, cfg, go.temperature, seq, plen, nb) != 0)
        rc = die("generate");
done:
    free(seq);
    free(pbases);
    free(ptok);
    pope_model_free(m);
    return rc;
}

// cmd_tokenize.c — `pope-genome tokenize FILE -o tokens.npy`: token ids as an int32 .npy,
// streamed (chunks of tokens are read straight from the packed genome and written, so a
// whole human genome never has to fit in memory as int32). Without --split no split is made.
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "genome_cli.h"

#define CHUNK_TOKENS (1 << 20)   // tokens read from the packed genome and written at a time

typedef struct {
    const char *file, *out_path, *index_path;
} tok_opts;


#define TOK(field) .dst = POPE_DST_LOCAL, .off = offsetof(tok_opts, field)
static const pope_opt tokenize_opts[] = {
    {.name = "--output", .alias = "-o", .kind = POPE_OPT_STR, TOK(out_path), .arg = "FILE",
     .help = "output .npy ('-': stdout); required"},
    POPE_COMMON_HELP("--split", "only the pieces of split S (train, valid, test) instead of everything", NULL),
    {.name = "--index", .kind = POPE_OPT_STR, TOK(index_path), .arg = "FILE.tsv",
     .help = "also write name, start base, length, first token, tokens per piece"},
    POPE_COMMON("--quiet"), POPE_OPT_END,
};

static const char usage[] =
    "usage: " PROG " tokenize FILE -o tokens.npy [options]\n\n"
    "Writes the token ids of every sequence of FILE, in file order and concatenated, as a\n"
    "1-D int32 .npy (numpy.load reads it). -o - writes to stdout. Each sequence is tokenized\n"
    "on its own (kmer6: the Nucleotide Transformer's 6-mers, docs/GENOME.md).\n\n";

static int64_t total_tokens(const pope_gtok_view *v, int64_t n) {
    int64_t total = 0;
    for (int64_t k = 0; k < n; k++) total += pope_gtok_view_len(v, k);
    return total;
}

// The .npy (written to a temp file, renamed when complete; "-": stdout) and the optional
// index. 0, or -1 with pope_error set.
static int write_tokens(const gdata *d, const pope_gtok_view *view, const pope_genome_piece *pieces, int64_t n_pieces,
                        const char *out_path, const char *index_path, int progress) {
    int64_t total = total_tokens(view, n_pieces);
    pope_meter pg;
    pope_meter_begin(&pg, progress, PROG ": tokenize", "tokens", total);
    int rc = 0, to_stdout = !strcmp(out_path, "-");
    pope_atomic a = {0};
    FILE *f = stdout, *idx = NULL;
    if (!to_stdout) f = pope_atomic_begin(&a, out_path, "wb") == 0 ? a.f : NULL;
    if (index_path) idx = fopen(index_path, "w");
    int32_t *tok = malloc(CHUNK_TOKENS * sizeof *tok);
    if (!f || (index_path && !idx) || !tok) {
        rc = pope_error("%s: cannot write: %s", !f ? out_path : index_path ? index_path : "memory", strerror(errno));
        goto done;
    }
    if (pope_npy_write_header(f, total) != 0) goto write_error;
    if (idx) fprintf(idx, "name\tstart\tlength\tfirst_token\ttokens\n");
    int64_t first = 0;
    for (int64_t k = 0; k < n_pieces; k++) {
        const pope_genome_piece *p = &pieces[k];
        int64_t nt = pope_gtok_view_len(view, k);
        for (int64_t off = 0; off < nt; off += CHUNK_TOKENS) {
            int64_t n = nt - off < CHUNK_TOKENS ? nt - off : CHUNK_TOKENS;
            if ((rc = pope_gtok_view_read(view, k, off, n, tok)) != 0) goto done;
            if (fwrite(tok, sizeof *tok, (size_t)n, f) != (size_t)n) goto write_error;
            pope_meter_update(&pg, first + off + n);
        }
        if (idx)
            fprintf(idx, "%s\t%lld\t%lld\t%lld\t%lld\n", pope_genome_contig_name(d->g, p->contig), (long long)p->start,
                    (long long)p->len, (long long)first, (long long)nt);
        first += nt;
    }
    if (fflush(f) != 0) goto write_error;
    if (!to_stdout) {
        f = NULL;
        if (pope_atomic_commit(&a, 0) != 0) goto write_error;
    }
    if (idx && fclose(idx) != 0) {
        idx = NULL;
        goto write_error;
    }
    idx = NULL;
    goto done;
write_error:
    rc = pope_error("%s: write failed: %s", out_path, strerror(errno));
done:
    pope_meter_end(&pg);
    if (!to_stdout) pope_atomic_abort(&a);   // nothing left to do after a commit
    if (idx) fclose(idx);
    free(tok);
    return rc;
}

int cmd_tokenize(const pope_program *p, int argc, char **argv) {
    pope_cli cli;
    tok_opts t = {0};
    int prc = pope_program_parse(p, "tokenize", tokenize_opts, usage, &cli, &t, pope_positional_file, &t.file, argc, argv);
    if (prc) return prc < 0 ? 0 : prc;
    gdata_opts go = *(const gdata_opts *)p->data_dst;
    const char *file = t.file, *out_path = t.out_path, *index_path = t.index_path;
    if (!file) return usage_error("tokenize", "no input FILE");
    if (!out_path) return usage_error("tokenize", "-o FILE is required ('-o -' for stdout)");
    pope_split split = POPE_SPLIT_ALL;
    if (cli.split && pope_split_parse(cli.split, &split) != 0) return usage_error("tokenize", pope_last_error());
    gdata d;
    if (gdata_load(&d, file, &go, go.tokenizer ? go.tokenizer : "nt", split != POPE_SPLIT_ALL, !cli.quiet) != 0) {
        gdata_opts_free(&go);
        return die("tokenize");
    }
    // the pieces: whole sequences (no split needed), or one split's
    int64_t n_pieces = split == POPE_SPLIT_ALL ? pope_genome_n_contigs(d.g) : d.split.n_pieces[split];
    pope_genome_piece *pieces = malloc((size_t)(n_pieces ? n_pieces : 1) * sizeof *pieces);
    for (int64_t k = 0; pieces && k < n_pieces; k++)
        pieces[k] = split == POPE_SPLIT_ALL ? (pope_genome_piece){k, 0, pope_genome_contig_len(d.g, k)} : d.split.pieces[split][k];
    pope_gtok_view *view = pieces ? pope_gtok_view_new(d.g, pieces, n_pieces, d.tok) : NULL;
    if (!view) {
        if (!pieces) pope_error("out of memory for %lld pieces", (long long)n_pieces);
        free(pieces);
        gdata_free(&d);
        gdata_opts_free(&go);
        return die("tokenize");
    }
    int rc = write_tokens(&d, view, pieces, n_pieces, out_path, index_path, !cli.quiet) == 0 ? 0 : die("tokenize");
    if (rc == 0)
        fprintf(stderr, PROG ": %s: %lld tokens (%s, vocab %d) in %lld piece%s -> %s\n", file, (long long)total_tokens(view, n_pieces),
                pope_gtok_name(d.tok), pope_gtok_vocab(d.tok), (long long)n_pieces, n_pieces == 1 ? "" : "s", out_path);
    pope_gtok_view_free(view);
    free(pieces);
    gdata_free(&d);
    gdata_opts_free(&go);
    return rc;
}

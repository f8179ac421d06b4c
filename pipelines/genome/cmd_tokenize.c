// cmd_tokenize.c — `pope-genome tokenize FILE -o tokens.npy`: token ids as an int32 .npy,
// streamed (chunks of the packed genome are tokenized and written, so a whole human genome
// never has to fit in memory as int32).
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "genome_cli.h"

#define CHUNK_BASES (6 << 20)   // a multiple of 6, so kmer6 chunks stay 6-mer aligned

typedef struct {
    const char *file, *out_path, *index_path;
} tok_opts;

static int tok_positional(void *ctx, int argc, char **argv, int *i) {
    tok_opts *t = ctx;
    (void)argc;
    if (t->file) return pope_error("one FILE only");
    t->file = argv[*i];
    return 1;
}

#define TOK(field) .dst = POPE_DST_LOCAL, .off = offsetof(tok_opts, field)
static const pope_opt tokenize_opts[] = {
    {.name = "--output", .alias = "-o", .kind = POPE_OPT_STR, TOK(out_path), .arg = "FILE",
     .help = "output .npy ('-': stdout); required"},
    POPE_COMMON_HELP("--split", "only the pieces of split S (train, valid, test) instead of everything", NULL),
    {.name = "--index", .kind = POPE_OPT_STR, TOK(index_path), .arg = "FILE.tsv",
     .help = "also write name, start base, length, first token, tokens per piece"},
    POPE_OPT_END,
};

static const char usage[] =
    "usage: " PROG " tokenize FILE -o tokens.npy [options]\n\n"
    "Writes the token ids of every sequence of FILE, in file order and concatenated, as a\n"
    "1-D int32 .npy (numpy.load reads it). -o - writes to stdout. Each sequence is tokenized\n"
    "on its own (kmer6: 6-mers from its first base, its last len % 6 bases as single tokens).\n\n";

int cmd_tokenize(const pope_program *p, int argc, char **argv) {
    pope_cli cli;
    tok_opts t = {0};
    pope_cmdline cl;
    pope_program_cmdline(p, "tokenize", tokenize_opts, &cli, &t, &cl);
    cl.usage = usage;
    cl.positional = tok_positional;
    cl.ctx = &t;
    int prc = pope_opts_parse(&cl, argc, argv);
    if (prc) return prc == 1 ? 0 : prc;
    const gdata_opts go = *(const gdata_opts *)p->data_dst;
    const char *file = t.file, *out_path = t.out_path, *index_path = t.index_path;
    if (!file) return usage_error("tokenize", "no input FILE");
    if (!out_path) return usage_error("tokenize", "-o FILE is required ('-o -' for stdout)");
    pope_split split = POPE_SPLIT_ALL;
    if (cli.split && pope_split_parse(cli.split, &split) != 0) return usage_error("tokenize", pope_last_error());
    gdata d;
    if (gdata_load(&d, file, &go, go.tokenizer ? go.tokenizer : "nt", 1) != 0) return die("tokenize");
    // the pieces: whole sequences, or one split's
    int64_t n_pieces = split == POPE_SPLIT_ALL ? pope_genome_n_contigs(d.g) : d.split.n_pieces[split];
    pope_genome_piece *pieces = malloc((size_t)(n_pieces ? n_pieces : 1) * sizeof *pieces);
    if (!pieces) {
        pope_error("out of memory for %lld pieces", (long long)n_pieces);
        gdata_free(&d);
        return die("tokenize");
    }
    int64_t total = 0;
    for (int64_t k = 0; k < n_pieces; k++) {
        pieces[k] = split == POPE_SPLIT_ALL ? (pope_genome_piece){k, 0, pope_genome_contig_len(d.g, k)} : d.split.pieces[split][k];
        total += pope_gtok_count(d.tok, pieces[k].len);
    }
    int rc = 0, to_stdout = !strcmp(out_path, "-");
    pope_atomic a = {0};
    FILE *f = stdout, *idx = NULL;
    if (!to_stdout) f = pope_atomic_begin(&a, out_path, "wb") == 0 ? a.f : NULL;
    if (index_path) idx = fopen(index_path, "w");
    char *bases = malloc(CHUNK_BASES);
    int32_t *tok = malloc(CHUNK_BASES * sizeof *tok);
    if (!f || (index_path && !idx) || !bases || !tok) {
        pope_error("%s: cannot write: %s", !f ? out_path : index_path ? index_path : "memory", strerror(errno));
        rc = die("tokenize");
        goto done;
    }
    if (pope_npy_write_header(f, total) != 0) goto write_error;
    if (idx) fprintf(idx, "name\tstart\tlength\tfirst_token\ttokens\n");
    int64_t first = 0;
    for (int64_t k = 0; k < n_pieces; k++) {
        const pope_genome_piece *p = &pieces[k];
        for (int64_t off = 0; off < p->len; off += CHUNK_BASES) {
            int64_t n = p->len - off < CHUNK_BASES ? p->len - off : CHUNK_BASES;
            pope_genome_fetch(d.g, p->contig, p->start + off, n, d.tok == POPE_GTOK_NT_CASE, bases);
            pope_gtok_encode(d.tok, bases, n, tok);
            size_t nt = (size_t)pope_gtok_count(d.tok, n);
            if (fwrite(tok, sizeof *tok, nt, f) != nt) goto write_error;
        }
        int64_t nt = pope_gtok_count(d.tok, p->len);
        if (idx)
            fprintf(idx, "%s\t%lld\t%lld\t%lld\t%lld\n", pope_genome_contig_name(d.g, p->contig), (long long)p->start,
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
    fprintf(stderr, PROG ": %s: %lld tokens (%s, vocab %d) in %lld piece%s -> %s\n", file, (long long)total,
            pope_gtok_name(d.tok), pope_gtok_vocab(d.tok), (long long)n_pieces, n_pieces == 1 ? "" : "s", out_path);
    goto done;
write_error:
    pope_error("%s: write failed: %s", out_path, strerror(errno));
    rc = die("tokenize");
done:
    if (!to_stdout) pope_atomic_abort(&a);   // nothing left to do after a commit
    if (idx) fclose(idx);
    free(bases);
    free(tok);
    free(pieces);
    gdata_free(&d);
    return rc;
}

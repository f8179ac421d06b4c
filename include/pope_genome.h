// pope_genome.h — genome readers, the packed base cache, splits and the nt/kmer6
// tokenizers (libpope_genome). Knows files and DNA, nothing of transformers; the
// exact formats, vocabularies and rules are in docs/GENOME.md.
//
// Data flow: pope_genome_open(FILE) reads FASTA/FASTQ/SAM/BAM/CRAM (format detected from
// the content) into a pope_genome: every sequence's bases packed 2 bits per base plus
// sorted lists of N runs and lowercase runs, stored in a cache file that is memory-mapped
// on the next open. pope_genome_split_make() cuts it into train/valid/test pieces, and
// pope_genome_corpus_init() serves those pieces as token streams (a pope_corpus).
#ifndef POPE_GENOME_H
#define POPE_GENOME_H

#include <stdint.h>
#include "pope.h"
#include "pope_corpus.h"

#ifdef __cplusplus
extern "C" {
#endif

// ---------------------------------------------------------------- reading
// A long pass reports how far it got through fn (NULL: nobody listens), for a progress line:
// what is counted (bytes of the input file, bases) is said where it is used.
typedef struct {
    void (*fn)(void *ctx, int64_t done);
    void *ctx;
} pope_genome_progress;

typedef struct {
    int mapped_only;          // SAM/BAM/CRAM: keep only mapped reads
    int unmapped_only;        // SAM/BAM/CRAM: keep only unmapped reads
    const char *reference;    // CRAM: the reference FASTA (required for CRAM)
    const char *cache_dir;    // NULL: next to the input, else $XDG_CACHE_HOME/pope or ~/.cache/pope
    int cache;                // 0: never cache; 1: cache inputs >= cache_min_bytes; 2: always
    int64_t cache_min_bytes;  // default 16 MiB
    int n_threads;            // BGZF decompression threads (<= 1: none)
    int verbose;              // 1: say on stderr what was read/cached and how fast
    int faidx;                // plain/BGZF FASTA through an htslib .fai index: 0 never (stream);
                              // 1 (default) when one is present, or built for inputs >= cache_min_bytes;
                              // 2 always (present or built). docs/GENOME.md "faidx".
    pope_genome_progress progress;   // FASTA files: bytes of the file read so far (of its size)
} pope_genome_opts;
void pope_genome_opts_default(pope_genome_opts *o);

typedef struct pope_genome pope_genome;

// Reads `path` ("-" = stdin, never cached) or maps its valid cache. NULL + pope_last_error()
// on any bad input (empty, not a sequence file, truncated, malformed, no bases).
pope_genome *pope_genome_open(const char *path, const pope_genome_opts *o);
void pope_genome_free(pope_genome *g);

const char *pope_genome_format(const pope_genome *g);       // "fasta", "fastq", "sam", "bam", "cram"
// How the data was obtained: "parsed", "parsed, cache written: PATH", "cache: PATH".
const char *pope_genome_source(const pope_genome *g);
int64_t pope_genome_n_contigs(const pope_genome *g);
const char *pope_genome_contig_name(const pope_genome *g, int64_t contig);
int64_t pope_genome_contig_len(const pope_genome *g, int64_t contig);
int64_t pope_genome_find_contig(const pope_genome *g, const char *name);  // index or -1
int64_t pope_genome_total_bases(const pope_genome *g);
int64_t pope_genome_n_bases_n(const pope_genome *g);       // how many are N
int64_t pope_genome_n_bases_lower(const pope_genome *g);   // how many are soft-masked

// Bases [off, off+n) of a contig as ASCII: A C G T N, lowercase where soft-masked when
// keep_case != 0. 0 ok, -1 out of range.
int pope_genome_fetch(const pope_genome *g, int64_t contig, int64_t off, int64_t n,
                      int keep_case, char *out);

// The cache file that pope_genome_open would use for `path` (malloc'd) or NULL when none.
char *pope_genome_cache_path(const char *path, const pope_genome_opts *o);

// ---------------------------------------------------------------- tokenizers
typedef enum {
    POPE_GTOK_NT = 0,      // "nt":      A C G T N, PAD, BOS                      (V = 7)
    POPE_GTOK_NT_CASE,     // "nt-case": nt + a c g t n for soft-masked bases     (V = 12)
    POPE_GTOK_KMER6,       // "kmer6":   the Nucleotide Transformer's 6-mers      (V = 4107)
    POPE_GTOK_COUNT
} pope_gtok;

// nt / nt-case ids
enum { POPE_NT_A = 0, POPE_NT_C, POPE_NT_G, POPE_NT_T, POPE_NT_N, POPE_NT_PAD, POPE_NT_BOS,
       POPE_NT_LOWER_A /* = 7: a c g t n are 7..11 */ };
// kmer6 ids = the Nucleotide Transformer's vocabulary (docs/GENOME.md "Tokenizers"): its
// specials, the 4096 6-mers over A T C G (NT's base order, first base most significant),
// the single bases A T C G N, then two more specials.
enum { POPE_K6_UNK = 0, POPE_K6_PAD = 1, POPE_K6_MASK = 2, POPE_K6_CLS = 3,
       POPE_K6_KMER0 = 4,        // 4..4099: AAAAAA AAAAAT AAAAAC AAAAAG AAAATA ... GGGGGG
       POPE_K6_SINGLE_A = 4100, POPE_K6_SINGLE_T, POPE_K6_SINGLE_C, POPE_K6_SINGLE_G,
       POPE_K6_SINGLE_N = 4104,  // every N base is this token on its own
       POPE_K6_EOS = 4105, POPE_K6_BOS = 4106, POPE_K6_VOCAB = 4107 };

const char *pope_gtok_name(pope_gtok t);
// "nt" (keep_case selects nt-case), "nt-case", "kmer6". -1 on unknown names, or on kmer6
// with keep_case (kmer6 has no lowercase tokens).
int pope_gtok_parse(const char *name, int keep_case, pope_gtok *out);
int pope_gtok_vocab(pope_gtok t);
int pope_gtok_pad(pope_gtok t);
int pope_gtok_bos(pope_gtok t);
// Bases covered by token `tok` (1, or 6 for a kmer6 6-mer; 0 for specials/invalid).
int pope_gtok_bases(pope_gtok t, int32_t tok);
int pope_gtok_max_bases(pope_gtok t);           // 6 for kmer6, 1 for nt
// The "words": tokens of max_bases bases (nt: A C G T; kmer6: the 4096 6-mers), i in [0, n).
int pope_gtok_n_words(pope_gtok t);
int32_t pope_gtok_word(pope_gtok t, int i);
int pope_gtok_is_n(pope_gtok t, int32_t tok);   // N, n, kmer6's single N
// Tokenizes one whole sequence of n ASCII bases into out (room for n ids) and returns the
// number of tokens. Any byte not in ACGTacgt is an N. kmer6 (NT's rule): the sequence is cut
// at every N; each N-free run gives non-overlapping 6-mers from its first base, then its
// last len % 6 bases as single tokens; each N is a single N token; case is folded.
// nt-case maps lowercase to the lowercase ids.
int64_t pope_gtok_encode(pope_gtok t, const char *bases, int64_t n, int32_t *out);
// ASCII bases of tokens (specials skipped); returns the number of bases written (<= cap),
// or -1 on an id outside the vocabulary.
int64_t pope_gtok_decode(pope_gtok t, const int32_t *tok, int64_t n_tok, char *out, int64_t cap);

// Tokens read straight from the packed genome (no ASCII in between): a list of pieces,
// each tokenized as one sequence as pope_gtok_encode would. g and pieces must outlive it.
typedef struct { int64_t contig, start, len; } pope_genome_piece;   // in bases
typedef struct pope_gtok_view pope_gtok_view;
pope_gtok_view *pope_gtok_view_new(const pope_genome *g, const pope_genome_piece *pieces, int64_t n_pieces,
                                   pope_gtok t);
void pope_gtok_view_free(pope_gtok_view *v);
int64_t pope_gtok_view_n(const pope_gtok_view *v);                    // pieces
int64_t pope_gtok_view_len(const pope_gtok_view *v, int64_t piece);   // tokens; 0 when out of range
// Tokens [off, off+n) of a piece. 0, or -1 on a range outside it.
int pope_gtok_view_read(const pope_gtok_view *v, int64_t piece, int64_t off, int64_t n, int32_t *out);

// ---------------------------------------------------------------- splits
typedef struct {
    pope_genome_piece *pieces[POPE_SPLIT_COUNT];
    int64_t n_pieces[POPE_SPLIT_COUNT];
    int64_t n_bases[POPE_SPLIT_COUNT];
    char *rule;      // "contigs" or "tail-5%": which rule made it
} pope_genome_split;
// valid_contigs / test_contigs: comma-separated contig names, or NULL for the defaults
// (docs/GENOME.md "Splits"). -1 when a named contig is absent or the training split is empty.
int pope_genome_split_make(const pope_genome *g, const char *valid_contigs,
                           const char *test_contigs, pope_genome_split *out);
void pope_genome_split_free(pope_genome_split *s);
// The split as a JSON object (malloc'd): {"rule":..., "train":{"bases":..,"pieces":[[name,start,len],..]},...}
char *pope_genome_split_json(const pope_genome *g, const pope_genome_split *s);

// ---------------------------------------------------------------- corpus
// Fills a pope_corpus that serves the split's pieces as token streams of tokenizer t
// (window_ok: at most half N; ignore_target: N and specials are ignored; target_units:
// the bases a token covers, for bits per base). g and s must outlive
// it. Free with pope_genome_corpus_free.
int pope_genome_corpus_init(pope_corpus *c, const pope_genome *g, const pope_genome_split *s,
                            pope_gtok t);
void pope_genome_corpus_free(pope_corpus *c);

// ---------------------------------------------------------------- baseline
// An order-k Markov chain over A C G T (k <= 8), fitted on the bases of the `fit` pieces with
// add-one smoothing: p(b | c) = (n(c b) + 1) / (n(c ·) + 4). Counts restart after each N and
// at each piece start; a base with fewer than k bases of context before it in its run uses
// the shorter context (counts marginalised from the order-k table). NULL + pope_last_error().
// pr (may be NULL): told the bases passed so far (of the pieces' total length, N included)
// every million bases, for a progress line.
typedef struct pope_genome_markov pope_genome_markov;
pope_genome_markov *pope_genome_markov_fit(const pope_genome *g, const pope_genome_piece *fit, int64_t n_fit, int k,
                                           const pope_genome_progress *pr);
// Mean bits per base over every non-N base of the pieces; *n_scored (may be NULL): how many.
// NAN when there are none.
double pope_genome_markov_score(const pope_genome_markov *m, const pope_genome_piece *score, int64_t n_score,
                                int64_t *n_scored, const pope_genome_progress *pr);
void pope_genome_markov_free(pope_genome_markov *m);

#ifdef __cplusplus
}
#endif
#endif  // POPE_GENOME_H

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
#include "pope_pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

// ---------------------------------------------------------------- reading
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
    POPE_GTOK_KMER6,       // "kmer6":   4096 6-mers, N6, tail A C G T N, PAD, BOS (V = 4104)
    POPE_GTOK_COUNT
} pope_gtok;

// nt / nt-case ids
enum { POPE_NT_A = 0, POPE_NT_C, POPE_NT_G, POPE_NT_T, POPE_NT_N, POPE_NT_PAD, POPE_NT_BOS,
       POPE_NT_LOWER_A /* = 7: a c g t n are 7..11 */ };
// kmer6 ids: 0..4095 = 6-mer with A=0 C=1 G=2 T=3, first base most significant
enum { POPE_K6_N6 = 4096,        // any 6-mer that contains an N
       POPE_K6_TAIL_A = 4097,    // 4097..4101: single A C G T N (a sequence's last len % 6 bases)
       POPE_K6_PAD = 4102, POPE_K6_BOS = 4103, POPE_K6_VOCAB = 4104 };

const char *pope_gtok_name(pope_gtok t);
// "nt" (keep_case selects nt-case), "nt-case", "kmer6". -1 on unknown names, or on kmer6
// with keep_case (kmer6 has no lowercase tokens).
int pope_gtok_parse(const char *name, int keep_case, pope_gtok *out);
int pope_gtok_vocab(pope_gtok t);
int pope_gtok_pad(pope_gtok t);
int pope_gtok_bos(pope_gtok t);
// Tokens for a sequence of n bases: n (nt), n/6 + n%6 (kmer6).
int64_t pope_gtok_count(pope_gtok t, int64_t n_bases);
// Bases covered by token `tok` (1, or 6 for a kmer6 6-mer; 0 for PAD/BOS/invalid).
int pope_gtok_bases(pope_gtok t, int32_t tok);
int pope_gtok_is_n(pope_gtok t, int32_t tok);   // N, n, N6, tail N
// Tokenizes one whole sequence of n_bases ASCII bases into out (pope_gtok_count(t, n_bases)
// ids; kmer6: the 6-mers from its first base, then the len % 6 tail singles). Any byte not
// in ACGTacgt counts as N; nt-case maps lowercase to the lowercase ids. Returns 0.
int pope_gtok_encode(pope_gtok t, const char *bases, int64_t n_bases, int32_t *out);
// ASCII bases of tokens (specials skipped); returns the number of bases written (<= cap),
// or -1 on an id outside the vocabulary.
int64_t pope_gtok_decode(pope_gtok t, const int32_t *tok, int64_t n_tok, char *out, int64_t cap);

// ---------------------------------------------------------------- splits
typedef struct { int64_t contig, start, len; } pope_genome_piece;   // in bases
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
// (window_ok: at most half N; ignore_target: N and PAD are ignored). g and s must outlive
// it. Free with pope_genome_corpus_free.
int pope_genome_corpus_init(pope_corpus *c, const pope_genome *g, const pope_genome_split *s,
                            pope_gtok t);
void pope_genome_corpus_free(pope_corpus *c);
// Bases covered by the targets of a token stream: what bits per base divides by.
int64_t pope_genome_corpus_bases(const pope_corpus *c, const int32_t *tokens, int64_t n);

#ifdef __cplusplus
}
#endif
#endif  // POPE_GENOME_H

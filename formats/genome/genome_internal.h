// genome_internal.h — the packed genome and the packer that builds it (libpope_genome only).
//
// Bases are packed 2 bits each (A=0 C=1 G=2 T=3, base i in byte i/4 at bits 2*(i%4)), over
// all sequences concatenated; N bases store 0 and are listed in `nruns`, soft-masked bases
// in `lruns` (both sorted, non-overlapping (start, len) pairs in global base coordinates).
// The cache file (docs/GENOME.md) holds exactly these arrays, so a cached genome is the
// mmap of that file with the pointers below set into it.
#ifndef POPE_GENOME_INTERNAL_H
#define POPE_GENOME_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include <sys/stat.h>

#include <htslib/hfile.h>

#include "pope_genome.h"

enum { GFMT_FASTA = 0, GFMT_FASTQ, GFMT_SAM, GFMT_BAM, GFMT_CRAM, GFMT_COUNT };
extern const char *const genome_format_names[GFMT_COUNT];

typedef struct { uint64_t start, len, name_off; } genome_contig;   // start: global base index
typedef struct { uint64_t start, len; } genome_run;

struct pope_genome {
    int format;
    char *source;
    uint64_t n_contigs, total, count_n, count_lower, n_nruns, n_lruns, names_bytes;
    const genome_contig *contigs;
    const genome_run *nruns, *lruns;
    const char *names;
    const uint8_t *packed;
    // ownership: either one mapping of the cache file, or the packer's heap arrays
    void *map;
    size_t map_len;
    void *heap[5];
};

// ---- growable arrays
typedef struct { void *data; size_t n, cap, elem; } gvec;
int gvec_push(gvec *v, const void *elem);   // 0 or -1 (out of memory)
int gvec_append(gvec *v, const void *elems, size_t n);

// ---- the packer: ASCII bases in, packed genome out (to memory or straight to a cache file)
typedef struct {
    gvec contigs, nruns, lruns, names;   // genome_contig, genome_run, genome_run, char
    uint64_t pos;                        // bases packed so far (global)
    uint64_t count_n, count_lower;
    uint8_t *buf;                        // packed bytes not yet flushed
    size_t buf_len, buf_cap;
    gvec packed_mem;                     // sink when out == NULL
    FILE *out;                           // sink: the cache file being written, at offset 4096
    int in_contig;
} genome_packer;

// Per-byte class of a sequence character (pack.c): 0..3 = A C G T (U = T), +4 when
// lowercase; 8 = N (IUPAC codes, '-', '.', '*'), 9 = lowercase n; GCLASS_SKIP for
// whitespace and CR; GCLASS_BAD for anything else.
enum { GCLASS_N = 8, GCLASS_LOWER_N = 9, GCLASS_SKIP = 16, GCLASS_BAD = 255 };

// FASTA header names, one rule for both routes (fasta.c): a name ends at the first of these
// bytes (or the line's end), as htslib's faidx ends it; NULL when the name is acceptable, else
// why not (empty, GENOME_MAX_NAME bytes or more, a NUL or other control byte).
#define GENOME_MAX_NAME 1024
int genome_name_end(char c);
const char *genome_name_check(const char *name, size_t len);

int packer_init(genome_packer *p, FILE *out);
void packer_free(genome_packer *p);
int packer_begin(genome_packer *p, const char *name, size_t name_len);
// Packs n bytes of sequence characters. Returns 0, or -1 with *bad_at = index of the
// first byte whose class is GCLASS_BAD (nothing after it packed).
int packer_push(genome_packer *p, const char *s, size_t n, size_t *bad_at);
int packer_end(genome_packer *p);
// Drops everything packed so far (a file sink is truncated back to its header), so that a
// reader that gave up half-way can hand over to another. 0 or -1.
int packer_reset(genome_packer *p);
// Finishes: with a file sink, writes the tables and header (key fields given) and fills
// nothing; with memory, moves the arrays into g (which takes ownership).
typedef struct { uint64_t size; int64_t mtime_sec, mtime_nsec; uint64_t options, format; } genome_key;
int packer_finish_file(genome_packer *p, const genome_key *key);
int packer_finish_mem(genome_packer *p, pope_genome *g);

// Maps a cache file; 0 ok, 1 absent or stale (not an error), -1 corrupt.
int genome_cache_map(const char *path, const genome_key *key, pope_genome *g);

// First run that ends after pos (runs sorted and disjoint; pack.c).
uint64_t genome_runs_lower_bound(const genome_run *r, uint64_t n, uint64_t pos);

// ---- what the tokenizers read bases from: ASCII text, or the packed genome (base i of the
// source is global base g0 + i). gbase_code: 0..3 = A C G T, 4 = anything else (ASCII only:
// in the packed genome N is a run, never a code).
typedef struct { const char *ascii; const uint8_t *packed; uint64_t g0; } gbase_src;
static inline int gbase_code(const gbase_src *s, int64_t i) {
    if (s->ascii) {
        switch (s->ascii[i]) {
        case 'A': case 'a': return 0;
        case 'C': case 'c': return 1;
        case 'G': case 'g': return 2;
        case 'T': case 't': return 3;
        default: return 4;
        }
    }
    uint64_t j = s->g0 + (uint64_t)i;
    return (s->packed[j >> 2] >> (2 * (j & 3))) & 3;
}

// ---- the tokenizers' rules (tokenizer.c, written once)
int32_t nt_token(int code, int lower);   // nt / nt-case id of a base code (4 = N)
int32_t k6_n_token(void);                // kmer6's N token
int64_t k6_run_tokens(int64_t len);      // kmer6 tokens of an N-free run of len bases
// kmer6 tokens [j0, j1) of the N-free run of len bases that starts at source base `run`.
void k6_run_emit(const gbase_src *s, int64_t run, int64_t len, int64_t j0, int64_t j1, int32_t *out);

// ---- files next to the input (open.c)
// 1 when the directory of `path` may be written: access(W_OK) and, since root passes
// access() everywhere, at least one write bit in its mode (a dr-xr-xr-x data folder is
// read-only for everyone, root included).
int genome_dir_writable(const char *path);

// ---- readers (feed a packer)
// progress (may be NULL): bytes of the file read so far.
int genome_read_fasta(genome_packer *p, struct hFILE *hf, const char *path, int n_threads,
                      const pope_genome_progress *progress);
// Plain or BGZF FASTA through its faidx index (faidx.c; docs/GENOME.md "faidx"). 0 read;
// 1 faidx cannot read this file like the streaming parser does: nothing usable was packed
// (packer_reset, then genome_read_fasta), with a one-line reason in note when worth saying;
// -1 error (a corrupt or mismatched index that was already there, a read error).
int genome_read_faidx(genome_packer *p, const char *path, const pope_genome_opts *o, int bgzf,
                      const struct stat *input, char *note, size_t note_cap);
int genome_read_records(genome_packer *p, struct hFILE *hf, const char *path,
                        const pope_genome_opts *o, int format);

#endif

// fasta.c — a streaming FASTA parser over BGZF (htslib reads plain, gzip and BGZF alike):
// 1 MiB blocks, any line width, CRLF, multi-record, '>' header names cut at the first
// whitespace, ';' comment lines skipped. Faster than faidx for a full pass and works on
// the files faidx cannot index (plain gzip, ragged lines).
#include <stdlib.h>
#include <string.h>

#include <htslib/bgzf.h>
#include <htslib/hfile.h>

#include "genome_internal.h"

#define FASTA_BLOCK (1u << 20)

typedef struct {
    genome_packer *p;
    const char *path;
    int64_t line;           // 1-based line of the byte being parsed
    int at_line_start;
    int in_header;          // inside a '>' line (collecting the name)
    int in_comment;         // inside a ';' line
    int name_done;          // the name ended at whitespace; skip the description
    char name[GENOME_MAX_NAME];
    size_t name_len;        // GENOME_MAX_NAME when the name is longer than the buffer
    int n_records;
} fasta_state;

int genome_name_end(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

const char *genome_name_check(const char *name, size_t len) {
    if (len == 0) return "is empty";
    if (len >= GENOME_MAX_NAME) return "is longer than 1023 bytes";
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)name[i] < 0x21 || name[i] == 0x7f) return "contains a NUL or other control byte";
    return NULL;
}

static int end_header(fasta_state *s) {
    const char *why = genome_name_check(s->name, s->name_len);
    if (why) return pope_error("%s: line %lld: the FASTA header's name %s", s->path, (long long)s->line, why);
    s->n_records++;
    return packer_begin(s->p, s->name, s->name_len);
}

static int parse_block(fasta_state *s, const char *b, size_t n) {
    size_t i = 0;
    while (i < n) {
        if (s->in_header || s->in_comment) {
            const char *nl = memchr(b + i, '\n', n - i);
            size_t end = nl ? (size_t)(nl - b) : n;
            if (s->in_header)
                for (size_t k = i; k < end && !s->name_done; k++) {
                    char c = b[k];
                    if (genome_name_end(c)) s->name_done = s->name_len > 0;
                    else if (s->name_len < sizeof s->name) s->name[s->name_len++] = c;
                }
            i = end;
            if (nl) {
                if (s->in_header && end_header(s)) return -1;
                s->in_header = s->in_comment = 0;
                s->at_line_start = 1;
                s->line++;
                i++;
            }
            continue;
        }
        if (s->at_line_start && (b[i] == '>' || b[i] == ';')) {
            s->in_header = b[i] == '>';
            s->in_comment = b[i] == ';';
            s->name_len = 0;
            s->name_done = 0;
            i++;
            continue;
        }
        // sequence characters up to the end of the line
        const char *nl = memchr(b + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - b) : n;
        if (end > i) {
            if (s->n_records == 0) {
                for (size_t k = i; k < end; k++)
                    if (b[k] != ' ' && b[k] != '\t' && b[k] != '\r')
                        return pope_error("%s: line %lld: not a FASTA file (sequence before the first '>' header)",
                                          s->path, (long long)s->line);
            } else {
                size_t bad;
                if (packer_push(s->p, b + i, end - i, &bad)) {
                    unsigned char c = (unsigned char)b[i + bad];
                    if (c >= 0x20 && c < 0x7f)
                        return pope_error("%s: line %lld: unexpected character '%c' in a sequence", s->path,
                                          (long long)s->line, c);
                    return pope_error("%s: line %lld: unexpected byte 0x%02x in a sequence (binary data?)",
                                      s->path, (long long)s->line, c);
                }
            }
            s->at_line_start = 0;
        }
        i = end;
        if (nl) {
            s->at_line_start = 1;
            s->line++;
            i++;
        }
    }
    return 0;
}

int genome_read_fasta(genome_packer *p, hFILE *hf, const char *path, int n_threads, const pope_genome_progress *progress) {
    BGZF *bz = bgzf_hopen(hf, "r");
    if (!bz) {
        hclose_abruptly(hf);
        return pope_error("%s: cannot open for reading", path);
    }
    if (n_threads > 1 && bz->is_compressed) bgzf_mt(bz, n_threads, 64);
    char *block = malloc(FASTA_BLOCK);
    if (!block) {
        bgzf_close(bz);
        return pope_error("out of memory");
    }
    fasta_state s = {.p = p, .path = path, .line = 1, .at_line_start = 1};
    int rc = 0;
    for (;;) {
        ssize_t got = bgzf_read(bz, block, FASTA_BLOCK);
        if (got < 0) {
            rc = pope_error("%s: read error near line %lld (truncated or corrupt %s data)", path,
                            (long long)s.line, bz->is_compressed ? "compressed" : "");
            break;
        }
        if (got == 0) break;
        if ((rc = parse_block(&s, block, (size_t)got))) break;
        if (progress && progress->fn) progress->fn(progress->ctx, bgzf_tell(bz) >> 16);   // the file offset
    }
    if (rc == 0 && s.in_header && end_header(&s)) rc = -1;   // a last header without newline
    if (rc == 0 && packer_end(p)) rc = -1;
    free(block);
    if (bgzf_close(bz) != 0 && rc == 0) rc = pope_error("%s: error closing (truncated?)", path);
    if (rc == 0 && s.n_records == 0) rc = pope_error("%s: no FASTA records", path);
    return rc;
}

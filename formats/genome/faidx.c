// faidx.c — reading a plain or BGZF FASTA through its htslib faidx index (.fai, and .gzi
// for BGZF): the index is used when present next to the input, else built with fai_build3
// (next to the input when its directory is writable, else in the cache directory), and the
// file is read once, front to back, the records' bytes taken at the index's offsets.
//
// The index only says where each record's bases lie; before trusting it we check that it
// describes this file (a '>' header line with the record's name right before each record,
// only whitespace between records and after the last), because htslib silently drops
// empty and duplicate records, counts ';' lines as sequence and would read garbage through
// a stale index. Whatever faidx cannot read exactly like the streaming parser (fasta.c)
// is handed back to it (return 1), so both routes give the same genome.
#define _GNU_SOURCE   // asprintf
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <htslib/bgzf.h>
#include <htslib/faidx.h>
#include <htslib/hts_log.h>

#include "genome_internal.h"

#define FAIDX_CHUNK (4u << 20)      // bytes per read (rounded down to whole lines)
#define FAIDX_MAX_GAP (1u << 20)    // header + blank lines between two records, at most

typedef struct {
    char *name;
    uint64_t len, off, blen, llen;   // the five .fai columns
} fai_entry;

static void entries_free(fai_entry *e, size_t n) {
    for (size_t i = 0; i < n; i++) free(e[i].name);
    free(e);
}

// Parses FILE.fai (name, length, offset, bases per line, bytes per line, tab-separated).
// 0 ok, -1 malformed, 1 a name the streaming parser refuses (genome_name_check: a NUL, a
// control byte, 1024 bytes or more), which it is then left to report.
static int fai_parse(const char *fai_path, fai_entry **out, size_t *n_out) {
    FILE *f = fopen(fai_path, "r");
    if (!f) return -1;
    fai_entry *e = NULL;
    size_t n = 0, cap = 0;
    char *line = NULL;
    size_t line_cap = 0;
    ssize_t got;
    int rc = 0;
    while (rc == 0 && (got = getline(&line, &line_cap, f)) > 0) {
        const char *tab = memchr(line, '\t', (size_t)got);
        size_t name_len = tab ? (size_t)(tab - line) : 0;
        unsigned long long len, off, blen, llen;
        char tail;
        if (!tab) rc = -1;
        else if (genome_name_check(line, name_len) != NULL) rc = 1;
        else if (sscanf(tab, "%llu %llu %llu %llu %c", &len, &off, &blen, &llen, &tail) != 4) rc = -1;
        if (rc) break;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            fai_entry *ne = realloc(e, cap * sizeof *e);
            if (!ne) {
                rc = -1;
                break;
            }
            e = ne;
        }
        e[n] = (fai_entry){strndup(line, name_len), len, off, blen, llen};
        if (!e[n++].name) rc = -1;
    }
    free(line);
    fclose(f);
    if (rc == 0 && n == 0) rc = -1;
    if (rc) {
        entries_free(e, n);
        return rc;
    }
    *out = e;
    *n_out = n;
    return 0;
}

// Offset just after the last base of an entry (before its final line ending).
static uint64_t entry_end(const fai_entry *e) {
    uint64_t full = e->len / e->blen, rem = e->len % e->blen;
    return rem ? e->off + full * e->llen + rem : e->off + full * e->llen - (e->llen - e->blen);
}

// The bytes between two records (or before the first) must be: whitespace, then one line
// ">NAME" optionally followed by whitespace and a description, ending with '\n'.
static int gap_ok(const char *b, size_t n, const char *name) {
    size_t i = 0;
    while (i < n && isspace((unsigned char)b[i])) i++;
    if (i == n || b[i] != '>') return 0;
    i++;
    size_t k = strlen(name);
    if (n - i < k || memcmp(b + i, name, k) != 0) return 0;
    i += k;
    if (i < n && !genome_name_end(b[i]) && b[i] != '\n') return 0;   // a longer name
    const char *nl = memchr(b + i, '\n', n - i);
    return nl && (size_t)(nl - b) == n - 1;
}

static int mtime_older(const struct stat *a, const struct stat *b) {   // a older than b
    return a->st_mtim.tv_sec < b->st_mtim.tv_sec ||
           (a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec < b->st_mtim.tv_nsec);
}

// A usable index at (fai, gzi): both present (gzi only for BGZF) and not older than the input.
static int index_fresh(const char *fai, const char *gzi, int bgzf, const struct stat *input) {
    struct stat s1, s2;
    if (stat(fai, &s1) != 0 || mtime_older(&s1, input)) return 0;
    if (bgzf && (stat(gzi, &s2) != 0 || mtime_older(&s2, input))) return 0;
    return 1;
}

// Builds the index into PATH.tmp.PID files, then renames them into place (no reader ever
// sees half an index). 0 ok, 1 faidx cannot index the file.
static int index_build(const char *path, const char *fai, const char *gzi, int bgzf) {
    pope_atomic tfai = {0}, tgzi = {0};
    int rc = 1;
    if (pope_atomic_begin(&tfai, fai, NULL) == 0 && pope_atomic_begin(&tgzi, gzi, NULL) == 0) {
        enum htsLogLevel level = hts_get_log_level();
        hts_set_log_level(HTS_LOG_OFF);   // its "Different line length" goes into our own note
        int r = fai_build3(path, tfai.tmp, tgzi.tmp);
        hts_set_log_level(level);
        if (r == 0 && (!bgzf || pope_atomic_commit(&tgzi, 0) == 0) && pope_atomic_commit(&tfai, 0) == 0) rc = 0;
    }
    pope_atomic_abort(&tfai);
    pope_atomic_abort(&tgzi);
    return rc;
}

static void set_note(char *note, size_t cap, const char *fmt, const char *a, const char *b) {
    if (note && cap) snprintf(note, cap, fmt, a, b);
}

// 1. where the index is: next to the input when present there, else where the cache goes;
// built there when missing or stale (unless the input is small). 0: *fai and *gzi set
// (*built = 1 when made just now); 1: stream instead (nothing allocated); -1 out of memory.
static int locate_index(const char *path, const pope_genome_opts *o, int bgzf, const struct stat *input, char **fai_out,
                        char **gzi_out, int *built, char *note, size_t note_cap) {
    char *fai = NULL, *gzi = NULL;
    *built = 0;
    if (asprintf(&fai, "%s.fai", path) < 0) fai = NULL;
    if (asprintf(&gzi, "%s.gzi", path) < 0) gzi = NULL;
    if (!fai || !gzi) {
        free(fai);
        free(gzi);
        return pope_error("out of memory");
    }
    int present = access(fai, F_OK) == 0 && (!bgzf || access(gzi, F_OK) == 0);
    if (!present || !index_fresh(fai, gzi, bgzf, input)) {
        int small = o->faidx == 1 && input->st_size < o->cache_min_bytes;
        char *cache = pope_genome_cache_path(path, o);   // FILE.pope, or DIR/base.hash.pope
        size_t cl = cache ? strlen(cache) : 0;
        if (!present || !genome_dir_writable(path)) {    // a stale index we may not replace
            free(fai);
            free(gzi);
            fai = gzi = NULL;
            if (cache && cl > 5 && strcmp(cache + cl - 5, ".pope") == 0) {
                cache[cl - 5] = 0;
                if (asprintf(&fai, "%s.fai", cache) < 0) fai = NULL;
                if (asprintf(&gzi, "%s.gzi", cache) < 0) gzi = NULL;
            }
        }
        free(cache);
        if (!fai || !gzi) {
            free(fai);
            free(gzi);
            return 1;   // nowhere to put an index: stream
        }
        if (!index_fresh(fai, gzi, bgzf, input)) {
            if (small) {   // not worth a second pass: streaming parses it in well under a second
                free(fai);
                free(gzi);
                return 1;
            }
            char *dir = strdup(fai);
            char *slash = dir ? strrchr(dir, '/') : NULL;
            if (slash) {
                *slash = 0;
                pope_mkdir_p(dir);   // the cache directory may not exist yet
            }
            free(dir);
            if (index_build(path, fai, gzi, bgzf) != 0) {
                set_note(note, note_cap, "faidx cannot index %s (lines of different lengths in a record, "
                         "or blank lines inside one)%s", path, "");
                free(fai);
                free(gzi);
                return 1;
            }
            *built = 1;
        }
    }
    *fai_out = fai;
    *gzi_out = gzi;
    return 0;
}

// Reads the file once, front to back (no seeks: htslib's bgzf_useek asserts on an offset past
// the data, which an index misled by odd bytes, or a stale one, can hold), and packs the
// records at the index's offsets.
// The index must describe this file: before each record, whitespace then its '>' header line;
// after the last, whitespace only (htslib silently drops empty and repeated records and would
// read garbage through a stale index). Else 2, with *why.
// A record's bytes go through the streaming parser's own packer_push (htslib's
// faidx_fetch_seq64 silently drops non-printing bytes): any byte it refuses, a base count
// other than the index's or a short read gives 1, and the streaming parser reads the file and
// reports what is wrong with it, so both routes accept the same files with the same bases.
// 0 when packed; -1 on an error of the packer. progress hears the bytes read so far.
static int read_records(genome_packer *p, const char *path, const fai_entry *e, size_t n, char *why, size_t why_cap,
                        const pope_genome_progress *progress) {
    BGZF *bz = bgzf_open(path, "r");
    char *buf = malloc(FAIDX_CHUNK > FAIDX_MAX_GAP ? FAIDX_CHUNK : FAIDX_MAX_GAP);
    int rc = 0;
    if (!bz || !buf) {
        snprintf(why, why_cap, "cannot read the input");
        rc = 2;
    }
    uint64_t pos = 0;   // bytes read so far
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (e[i].blen == 0 || e[i].llen <= e[i].blen || e[i].llen - e[i].blen > 2 || e[i].len == 0) {
            snprintf(why, why_cap, "record '%s': line lengths %llu/%llu, length %llu", e[i].name,
                     (unsigned long long)e[i].blen, (unsigned long long)e[i].llen, (unsigned long long)e[i].len);
            rc = 2;
            break;
        }
        uint64_t gap = e[i].off - pos;
        if (e[i].off <= pos || gap > FAIDX_MAX_GAP || bgzf_read(bz, buf, gap) != (ssize_t)gap ||
            !gap_ok(buf, gap, e[i].name)) {
            snprintf(why, why_cap, "no '>%s' header line right before offset %llu", e[i].name,
                     (unsigned long long)e[i].off);
            rc = 2;
            break;
        }
        if (packer_begin(p, e[i].name, strlen(e[i].name))) {
            rc = -1;
            break;
        }
        uint64_t first = p->pos, end = entry_end(&e[i]);
        for (pos = e[i].off; pos < end && rc == 0;) {
            size_t want = end - pos < FAIDX_CHUNK ? (size_t)(end - pos) : FAIDX_CHUNK, bad;
            if (bgzf_read(bz, buf, want) != (ssize_t)want || packer_push(p, buf, want, &bad)) rc = 1;
            pos += want;
            if (progress->fn) progress->fn(progress->ctx, bgzf_tell(bz) >> 16);   // the file offset
        }
        if (rc == 0 && p->pos - first != e[i].len) rc = 1;   // a byte streaming skips
        if (rc == 0 && packer_end(p)) rc = -1;
    }
    if (rc == 0) {   // after the last base: whitespace only, up to the end of the file
        ssize_t got = bgzf_read(bz, buf, FAIDX_MAX_GAP);
        int bad = got < 0 || got == FAIDX_MAX_GAP;
        for (ssize_t k = 0; k < got && !bad; k++) bad = !isspace((unsigned char)buf[k]);
        if (bad) {
            snprintf(why, why_cap, "bytes other than blank lines after the last record '%s'", e[n - 1].name);
            rc = 2;
        }
    }
    free(buf);
    if (bz) bgzf_close(bz);
    return rc;
}

int genome_read_faidx(genome_packer *p, const char *path, const pope_genome_opts *o, int bgzf,
                      const struct stat *input, char *note, size_t note_cap) {
    if (note && note_cap) note[0] = 0;
    if (o->faidx == 0) return 1;
    int built = 0;   // 1: the index was made just now from this file
    char *fai = NULL, *gzi = NULL;
    int located = locate_index(path, o, bgzf, input, &fai, &gzi, &built, note, note_cap);
    if (located != 0) return located;
    // 2. the index's entries
    fai_entry *e = NULL;
    size_t n = 0;
    char why[1300];
    int parsed = fai_parse(fai, &e, &n);
    if (parsed != 0) {
        int rc = parsed > 0 ? 1   // a header name streaming refuses: it says why
                            : pope_error("%s: not a readable FASTA index (corrupt?); delete it (it is rebuilt)", fai);
        free(fai);
        free(gzi);
        return rc;
    }
    // 3. the records, read through the index's offsets
    int rc = read_records(p, path, e, n, why, sizeof why, &o->progress);
    if (rc == 2) {
        // htslib drops empty and duplicate records from an index it builds: then stream.
        // An index that was already there and does not describe the file usually means the
        // FASTA was replaced (with its old mtime): say so rather than guess.
        rc = built ? 1
                   : pope_error("%s: the index does not describe %s (%s); delete it (it is rebuilt, "
                                "or the file streamed)", fai, path, why);
        if (built) set_note(note, note_cap, "faidx skips records of %s (empty or repeated names): %s", path, why);
    }
    entries_free(e, n);
    free(fai);
    free(gzi);
    return rc;
}

// pack.c — packs ASCII bases 2 bits each with N/lowercase run lists, writes and maps the
// cache file, and serves bases back (pope_genome_fetch). Layout: genome_internal.h and
// docs/GENOME.md "Cache file".
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "genome_internal.h"

#define CACHE_MAGIC "POPEGNM\0"
#define CACHE_VERSION 1
#define CACHE_HEADER 4096     // the packed bases start here (page-aligned for mmap)
#define PACK_BUF (1u << 20)

const char *const genome_format_names[GFMT_COUNT] = {"fasta", "fastq", "sam", "bam", "cram"};

// ---------------------------------------------------------------- base classes
// Built once (pthread_once): a literal 256-entry table would hide the rules below.
static uint8_t base_class_rw[256];
static pthread_once_t classes_once = PTHREAD_ONCE_INIT;

static void classes_build(void) {
    memset(base_class_rw, GCLASS_BAD, sizeof base_class_rw);
    const char *upper = "ACGT";
    for (int i = 0; i < 4; i++) {
        base_class_rw[(unsigned char)upper[i]] = (uint8_t)i;
        base_class_rw[(unsigned char)(upper[i] + 32)] = (uint8_t)(i + 4);
    }
    base_class_rw['U'] = 3;      // RNA: U is T
    base_class_rw['u'] = 7;
    // IUPAC ambiguity codes, gaps and masks become N
    const char *amb = "NRYKMSWBDHVX";
    for (const char *c = amb; *c; c++) {
        base_class_rw[(unsigned char)*c] = GCLASS_N;
        base_class_rw[(unsigned char)(*c + 32)] = GCLASS_LOWER_N;
    }
    base_class_rw['-'] = GCLASS_N;
    base_class_rw['.'] = GCLASS_N;
    base_class_rw['*'] = GCLASS_N;
    base_class_rw[' '] = GCLASS_SKIP;
    base_class_rw['\t'] = GCLASS_SKIP;
    base_class_rw['\r'] = GCLASS_SKIP;
    base_class_rw['\v'] = GCLASS_SKIP;
    base_class_rw['\f'] = GCLASS_SKIP;
    base_class_rw['\n'] = GCLASS_SKIP;
}
static const uint8_t *classes(void) {
    pthread_once(&classes_once, classes_build);
    return base_class_rw;
}

// ---------------------------------------------------------------- gvec
static int gvec_reserve(gvec *v, size_t n) {
    if (n <= v->cap) return 0;
    size_t cap = v->cap ? v->cap : 64;
    while (cap < n) cap += cap / 2 + 64;
    void *d = realloc(v->data, cap * v->elem);
    if (!d) return pope_error("out of memory (%zu bytes)", cap * v->elem);
    v->data = d;
    v->cap = cap;
    return 0;
}
int gvec_append(gvec *v, const void *elems, size_t n) {
    if (n == 0) return 0;   // (an empty SAM QNAME: no arithmetic on a still-NULL data pointer)
    if (gvec_reserve(v, v->n + n)) return -1;
    memcpy((char *)v->data + v->n * v->elem, elems, n * v->elem);
    v->n += n;
    return 0;
}
int gvec_push(gvec *v, const void *elem) { return gvec_append(v, elem, 1); }

// ---------------------------------------------------------------- packer
int packer_init(genome_packer *p, FILE *out) {
    memset(p, 0, sizeof *p);
    p->contigs.elem = sizeof(genome_contig);
    p->nruns.elem = p->lruns.elem = sizeof(genome_run);
    p->names.elem = p->packed_mem.elem = 1;
    p->out = out;
    p->buf_cap = PACK_BUF;
    p->buf = calloc(1, p->buf_cap);
    if (!p->buf) return pope_error("out of memory");
    (void)classes();
    return 0;
}

void packer_free(genome_packer *p) {
    free(p->contigs.data);
    free(p->nruns.data);
    free(p->lruns.data);
    free(p->names.data);
    free(p->packed_mem.data);
    free(p->buf);
    memset(p, 0, sizeof *p);
}

// Writes buf to the sink. Called when buf is full and pos is on a byte boundary, and at
// the end (where a partly filled last byte is final).
static int packer_flush(genome_packer *p) {
    size_t full = p->buf_len;
    if (full == 0) return 0;
    if (p->out) {
        if (fwrite(p->buf, 1, full, p->out) != full)
            return pope_error("writing the cache: %s", strerror(errno));
    } else if (gvec_append(&p->packed_mem, p->buf, full)) {
        return -1;
    }
    p->buf_len = 0;   // each byte is assigned (not OR-ed) when its first base arrives
    return 0;
}

int packer_begin(genome_packer *p, const char *name, size_t name_len) {
    if (p->in_contig && packer_end(p)) return -1;
    genome_contig c = {p->pos, 0, p->names.n};
    if (gvec_push(&p->contigs, &c)) return -1;
    if (gvec_append(&p->names, name, name_len)) return -1;
    char nul = 0;
    if (gvec_push(&p->names, &nul)) return -1;
    p->in_contig = 1;
    return 0;
}

static int run_extend(gvec *runs, uint64_t pos) {
    genome_run *last = runs->n ? (genome_run *)runs->data + runs->n - 1 : NULL;
    if (last && last->start + last->len == pos) {
        last->len++;
        return 0;
    }
    genome_run r = {pos, 1};
    return gvec_push(runs, &r);
}

int packer_push(genome_packer *p, const char *s, size_t n, size_t *bad_at) {
    const uint8_t *cls = classes();
    uint64_t pos = p->pos;
    uint8_t *buf = p->buf;        // locals: the compiler cannot keep p->... in registers
    size_t len = p->buf_len;      // across the byte stores otherwise
    for (size_t i = 0; i < n; i++) {
        // fast path: four upper-case bases starting a fresh byte (most of any genome)
        while ((pos & 3) == 0 && i + 4 <= n && len < p->buf_cap) {
            uint8_t c0 = cls[(unsigned char)s[i]], c1 = cls[(unsigned char)s[i + 1]];
            uint8_t c2 = cls[(unsigned char)s[i + 2]], c3 = cls[(unsigned char)s[i + 3]];
            if ((c0 | c1 | c2 | c3) >= 4) break;
            buf[len++] = (uint8_t)(c0 | c1 << 2 | c2 << 4 | c3 << 6);
            pos += 4;
            i += 4;
        }
        if (i >= n) break;
        uint8_t c = cls[(unsigned char)s[i]], code;
        if (c < 4) {   // the common case: an upper-case base
            code = c;
        } else if (c == GCLASS_SKIP) {
            continue;
        } else if (c == GCLASS_BAD) {
            p->pos = pos;
            p->buf_len = len;
            if (bad_at) *bad_at = i;
            return -1;
        } else {
            code = c & 3;
            if (c >= GCLASS_N) {
                code = 0;
                p->count_n++;
                if (run_extend(&p->nruns, pos)) return -1;
            }
            if (c & 4 || c == GCLASS_LOWER_N) {
                p->count_lower++;
                if (run_extend(&p->lruns, pos)) return -1;
            }
        }
        unsigned shift = 2 * (unsigned)(pos & 3);
        if (shift == 0) {
            if (len == p->buf_cap) {
                p->pos = pos;
                p->buf_len = len;
                if (packer_flush(p)) return -1;
                len = 0;
            }
            buf[len++] = code;
        } else {
            buf[len - 1] |= (uint8_t)(code << shift);
        }
        pos++;
    }
    p->pos = pos;
    p->buf_len = len;
    return 0;
}

int packer_reset(genome_packer *p) {
    FILE *out = p->out;
    packer_free(p);
    if (out && (fflush(out) != 0 || ftruncate(fileno(out), CACHE_HEADER) != 0 ||
                fseeko(out, CACHE_HEADER, SEEK_SET) != 0))
        return pope_error("rewinding the cache: %s", strerror(errno));
    return packer_init(p, out);
}

int packer_end(genome_packer *p) {
    if (!p->in_contig) return 0;
    genome_contig *c = (genome_contig *)p->contigs.data + p->contigs.n - 1;
    c->len = p->pos - c->start;
    p->in_contig = 0;
    return 0;
}

static int write_all(FILE *f, const void *d, size_t n) {
    if (n && fwrite(d, 1, n, f) != n) return pope_error("writing the cache: %s", strerror(errno));
    return 0;
}

int packer_finish_file(genome_packer *p, const genome_key *key) {
    if (packer_end(p) || packer_flush(p)) return -1;
    uint64_t packed_bytes = (p->pos + 3) / 4;
    uint64_t tables = CACHE_HEADER + ((packed_bytes + 7) & ~(uint64_t)7);
    static const uint8_t zeros[8];
    if (write_all(p->out, zeros, tables - CACHE_HEADER - packed_bytes)) return -1;
    if (write_all(p->out, p->contigs.data, p->contigs.n * sizeof(genome_contig)) ||
        write_all(p->out, p->nruns.data, p->nruns.n * sizeof(genome_run)) ||
        write_all(p->out, p->lruns.data, p->lruns.n * sizeof(genome_run)) ||
        write_all(p->out, p->names.data, p->names.n))
        return -1;
    uint64_t hdr[CACHE_HEADER / 8] = {0};
    memcpy(hdr, CACHE_MAGIC, 8);
    hdr[1] = CACHE_VERSION;
    hdr[2] = key->size;
    hdr[3] = (uint64_t)key->mtime_sec;
    hdr[4] = (uint64_t)key->mtime_nsec;
    hdr[5] = key->options;
    hdr[6] = key->format;
    hdr[7] = p->contigs.n;
    hdr[8] = p->pos;
    hdr[9] = p->nruns.n;
    hdr[10] = p->lruns.n;
    hdr[11] = p->names.n;
    hdr[12] = CACHE_HEADER;
    hdr[13] = tables;
    hdr[14] = p->count_n;
    hdr[15] = p->count_lower;
    if (fseeko(p->out, 0, SEEK_SET) != 0) return pope_error("writing the cache: %s", strerror(errno));
    return write_all(p->out, hdr, sizeof hdr);
}

int packer_finish_mem(genome_packer *p, pope_genome *g) {
    if (packer_end(p) || packer_flush(p)) return -1;
    g->n_contigs = p->contigs.n;
    g->total = p->pos;
    g->n_nruns = p->nruns.n;
    g->n_lruns = p->lruns.n;
    g->names_bytes = p->names.n;
    g->count_n = p->count_n;
    g->count_lower = p->count_lower;
    g->contigs = g->heap[0] = p->contigs.data;
    g->nruns = g->heap[1] = p->nruns.data;
    g->lruns = g->heap[2] = p->lruns.data;
    g->names = g->heap[3] = p->names.data;
    g->packed = g->heap[4] = p->packed_mem.data;
    p->contigs.data = p->nruns.data = p->lruns.data = p->names.data = p->packed_mem.data = NULL;
    return 0;
}

int genome_cache_map(const char *path, const genome_key *key, pope_genome *g) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 1;
    struct stat st;
    uint64_t hdr[16];
    if (fstat(fd, &st) != 0 || st.st_size < CACHE_HEADER || pread(fd, hdr, sizeof hdr, 0) != sizeof hdr) {
        close(fd);
        return 1;
    }
    if (memcmp(hdr, CACHE_MAGIC, 8) != 0 || hdr[1] != CACHE_VERSION || hdr[2] != key->size ||
        hdr[3] != (uint64_t)key->mtime_sec || hdr[4] != (uint64_t)key->mtime_nsec ||
        hdr[5] != key->options || hdr[6] != key->format) {
        close(fd);
        return 1;   // stale: the caller rebuilds it
    }
    uint64_t nc = hdr[7], total = hdr[8], nn = hdr[9], nl = hdr[10], nb = hdr[11], tables = hdr[13];
    uint64_t want = tables + nc * sizeof(genome_contig) + (nn + nl) * sizeof(genome_run) + nb;
    if (hdr[12] != CACHE_HEADER || tables < CACHE_HEADER + (total + 3) / 4 || (tables & 7) ||
        want != (uint64_t)st.st_size) {
        close(fd);
        return pope_error("cache %s: corrupt (sizes do not add up)", path);
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED) return pope_error("cache %s: mmap: %s", path, strerror(errno));
    const char *base = map;
    g->map = map;
    g->map_len = (size_t)st.st_size;
    g->n_contigs = nc;
    g->total = total;
    g->n_nruns = nn;
    g->n_lruns = nl;
    g->names_bytes = nb;
    g->count_n = hdr[14];
    g->count_lower = hdr[15];
    g->packed = (const uint8_t *)base + CACHE_HEADER;
    g->contigs = (const genome_contig *)(base + tables);
    g->nruns = (const genome_run *)(g->contigs + nc);
    g->lruns = g->nruns + nn;
    g->names = (const char *)(g->lruns + nl);
    // a cheap consistency check of the tables, so that a damaged file cannot index out of bounds
    int bad = nb == 0 || g->names[nb - 1] != 0;
    for (uint64_t i = 0; i < nc && !bad; i++)
        bad = g->contigs[i].start + g->contigs[i].len > total || g->contigs[i].name_off >= nb;
    if (bad) {
        munmap(map, g->map_len);
        g->map = NULL;
        return pope_error("cache %s: corrupt contig table", path);
    }
    return 0;
}

// ---------------------------------------------------------------- accessors
void pope_genome_free(pope_genome *g) {
    if (!g) return;
    if (g->map) munmap(g->map, g->map_len);
    for (int i = 0; i < 5; i++) free(g->heap[i]);
    free(g->source);
    free(g);
}

const char *pope_genome_format(const pope_genome *g) { return genome_format_names[g->format]; }
const char *pope_genome_source(const pope_genome *g) { return g->source ? g->source : ""; }
int64_t pope_genome_n_contigs(const pope_genome *g) { return (int64_t)g->n_contigs; }
int64_t pope_genome_total_bases(const pope_genome *g) { return (int64_t)g->total; }
int64_t pope_genome_n_bases_n(const pope_genome *g) { return (int64_t)g->count_n; }
int64_t pope_genome_n_bases_lower(const pope_genome *g) { return (int64_t)g->count_lower; }

const char *pope_genome_contig_name(const pope_genome *g, int64_t c) {
    if (c < 0 || (uint64_t)c >= g->n_contigs) return NULL;
    return g->names + g->contigs[c].name_off;
}
int64_t pope_genome_contig_len(const pope_genome *g, int64_t c) {
    if (c < 0 || (uint64_t)c >= g->n_contigs) return -1;
    return (int64_t)g->contigs[c].len;
}
int64_t pope_genome_find_contig(const pope_genome *g, const char *name) {
    for (uint64_t i = 0; i < g->n_contigs; i++)
        if (strcmp(g->names + g->contigs[i].name_off, name) == 0) return (int64_t)i;
    return -1;
}

uint64_t genome_runs_lower_bound(const genome_run *r, uint64_t n, uint64_t pos) {
    uint64_t lo = 0, hi = n;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (r[mid].start + r[mid].len <= pos) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

int pope_genome_fetch(const pope_genome *g, int64_t contig, int64_t off, int64_t n,
                      int keep_case, char *out) {
    if (contig < 0 || (uint64_t)contig >= g->n_contigs || off < 0 || n < 0 ||
        (uint64_t)(off + n) > g->contigs[contig].len)
        return pope_error("fetch: range %lld+%lld outside contig %lld", (long long)off,
                          (long long)n, (long long)contig);
    static const char acgt[4] = {'A', 'C', 'G', 'T'};
    uint64_t g0 = g->contigs[contig].start + (uint64_t)off, g1 = g0 + (uint64_t)n;
    for (uint64_t i = g0; i < g1; i++) out[i - g0] = acgt[(g->packed[i >> 2] >> (2 * (i & 3))) & 3];
    for (uint64_t k = genome_runs_lower_bound(g->nruns, g->n_nruns, g0); k < g->n_nruns && g->nruns[k].start < g1; k++) {
        uint64_t a = g->nruns[k].start > g0 ? g->nruns[k].start : g0;
        uint64_t b = g->nruns[k].start + g->nruns[k].len < g1 ? g->nruns[k].start + g->nruns[k].len : g1;
        memset(out + (a - g0), 'N', b - a);
    }
    if (keep_case)
        for (uint64_t k = genome_runs_lower_bound(g->lruns, g->n_lruns, g0); k < g->n_lruns && g->lruns[k].start < g1; k++) {
            uint64_t a = g->lruns[k].start > g0 ? g->lruns[k].start : g0;
            uint64_t b = g->lruns[k].start + g->lruns[k].len < g1 ? g->lruns[k].start + g->lruns[k].len : g1;
            for (uint64_t i = a; i < b; i++) out[i - g0] = (char)(out[i - g0] | 0x20);
        }
    return 0;
}

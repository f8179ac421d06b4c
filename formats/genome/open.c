// open.c — pope_genome_open: detect the format from the content (htslib's magic-byte
#define _GNU_SOURCE   // asprintf
// detection), then map a valid cache file or parse the input (building the cache atomically:
// written to PATH.tmp.PID, then renamed).
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <htslib/hfile.h>
#include <htslib/hts.h>

#include "genome_internal.h"

void pope_genome_opts_default(pope_genome_opts *o) {
    memset(o, 0, sizeof *o);
    o->cache = 1;
    o->cache_min_bytes = 16 << 20;
    o->n_threads = 1;
    o->faidx = 1;
}

// FNV-1a's offset basis short of its last digit: a slip, kept so that the caches already
// written keep their names (the hash only has to be stable and spread).
#define CACHE_NAME_BASIS 1469598103934665603ull

int genome_dir_writable(const char *path) {
    char *dup = strdup(path);
    if (!dup) return 0;
    const char *dir = dirname(dup);
    struct stat st;
    int ok = access(dir, W_OK) == 0 && stat(dir, &st) == 0 && (st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH));
    free(dup);
    return ok;
}

char *pope_genome_cache_path(const char *path, const pope_genome_opts *o) {
    if (!path || strcmp(path, "-") == 0) return NULL;
    char *abs = realpath(path, NULL);
    if (!abs) return NULL;
    char *dup = strdup(abs);
    const char *base = basename(dup);
    char name[4096];
    char *out = NULL;
    snprintf(name, sizeof name, "%s.%016llx.pope", base, (unsigned long long)pope_fnv1a(CACHE_NAME_BASIS, abs, strlen(abs)));
    if (o && o->cache_dir && o->cache_dir[0]) {
        if (asprintf(&out, "%s/%s", o->cache_dir, name) < 0) out = NULL;
    } else if (genome_dir_writable(abs)) {
        if (asprintf(&out, "%s.pope", abs) < 0) out = NULL;
    } else {
        const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
        int r = xdg && xdg[0] ? asprintf(&out, "%s/pope/%s", xdg, name)
              : home && home[0] ? asprintf(&out, "%s/.cache/pope/%s", home, name) : -1;
        if (r < 0) out = NULL;
    }
    free(abs);
    free(dup);
    return out;
}

static int detect(hFILE *hf, const char *path, int *format, int *compression) {
    htsFormat fmt;
    if (hts_detect_format2(hf, path, &fmt) < 0) return pope_error("%s: cannot read: %s", path, strerror(errno));
    *compression = fmt.compression;
    switch (fmt.format) {
    case fasta_format: *format = GFMT_FASTA; return 0;
    case fastq_format: *format = GFMT_FASTQ; return 0;
    case sam: *format = GFMT_SAM; return 0;
    case bam: *format = GFMT_BAM; return 0;
    case cram: *format = GFMT_CRAM; return 0;
    default: break;
    }
    if (fmt.format == text_format && fmt.compression == no_compression) {
        // htslib wants '>' as the very first byte; a FASTA may start with blank lines
        char peek[4096];
        ssize_t n = hpeek(hf, peek, sizeof peek);
        ssize_t i = 0;
        while (i < n && (peek[i] == '\n' || peek[i] == '\r' || peek[i] == ' ' || peek[i] == '\t')) i++;
        if (i < n && (peek[i] == '>' || peek[i] == ';')) {
            *format = GFMT_FASTA;
            return 0;
        }
    }
    if (fmt.format == empty_format || (fmt.format == unknown_format && fmt.category == unknown_category &&
                                       fmt.compression == no_compression && hpeek(hf, (char[1]){0}, 1) == 0))
        return pope_error("%s: empty file", path);
    char *desc = hts_format_description(&fmt);
    pope_error("%s: not a FASTA, FASTQ, SAM, BAM or CRAM file (htslib sees: %s)", path, desc ? desc : "unknown");
    free(desc);
    return -1;
}

// Plain and BGZF FASTA files go through faidx (faidx.c) when it can read them exactly as
// the streaming parser would; everything else, and what faidx hands back, is streamed.
static int parse(genome_packer *p, hFILE *hf, const char *path, const pope_genome_opts *o, int format,
                 int compression, const struct stat *st, char *route, size_t route_cap) {
    snprintf(route, route_cap, "streamed");
    if (format == GFMT_FASTA && S_ISREG(st->st_mode) && strcmp(path, "-") != 0 &&
        (compression == no_compression || compression == bgzf)) {
        char note[1400];
        int r = genome_read_faidx(p, path, o, compression == bgzf, st, note, sizeof note);
        if (r <= 0) {
            hclose_abruptly(hf);
            if (r == 0) snprintf(route, route_cap, "faidx");
            return r;
        }
        if (packer_reset(p)) {
            hclose_abruptly(hf);
            return -1;
        }
        if (note[0]) {
            snprintf(route, route_cap, "streamed: %s", note);
            if (o->verbose) fprintf(stderr, "note: %s; streamed instead\n", note);
        }
    }
    if (format == GFMT_FASTA) return genome_read_fasta(p, hf, path, o->n_threads, &o->progress);
    return genome_read_records(p, hf, path, o, format);
}

// The input's stat (zeroed for stdin), or -1 with a message on a missing, empty or
// directory input.
static int check_input(const char *path, int is_stdin, struct stat *st) {
    memset(st, 0, sizeof *st);
    if (is_stdin) return 0;
    if (stat(path, st) != 0) return pope_error("%s: %s", path, strerror(errno));
    if (S_ISDIR(st->st_mode)) return pope_error("%s: is a directory", path);
    if (S_ISREG(st->st_mode) && st->st_size == 0) return pope_error("%s: empty file", path);
    return 0;
}

// The temporary cache file (pope_atomic: cpath.tmp.PID, its 4096-byte header zeroed) that
// the packer writes into, *out, or NULL when it cannot be written (the genome is then kept in memory).
// -1: an explicit --cache-dir that cannot be written, which is the user's mistake to hear
// about rather than a whole genome quietly kept in memory.
static int open_cache_sink(const char *cpath, const pope_genome_opts *opts, pope_atomic *cache, FILE **out) {
    *out = NULL;
    char *dir = strdup(cpath);
    int dir_ok = dir && pope_mkdir_p(dirname(dir)) == 0;
    free(dir);
    *out = dir_ok && pope_atomic_begin(cache, cpath, "w+b") == 0 ? cache->f : NULL;
    if (!*out && opts->cache == 2 && opts->cache_dir)
        return pope_error("--cache-dir %s: cannot write the cache there: %s", opts->cache_dir, strerror(errno));
    static const char zeros[4096];
    if (*out && fwrite(zeros, 1, sizeof zeros, *out) != sizeof zeros) {
        pope_atomic_abort(cache);
        *out = NULL;
    }
    return 0;
}

// After a successful parse: the cache file finished, renamed into place and mapped (out),
// or the packer's arrays moved into g (no cache); g->source says which, with `how`.
static int finish(genome_packer *p, pope_genome *g, pope_atomic *cache, const char *cpath, const genome_key *key,
                  const char *how) {
    int rc = 0;
    if (cache->f) {
        rc = packer_finish_file(p, key);
        if (rc == 0) rc = pope_atomic_commit(cache, 1);   // in place only when complete
        if (rc == 0 && genome_cache_map(cpath, key, g) != 0)
            rc = pope_error("%s: the cache just written does not map back (input changed while reading?)", cpath);
        if (rc == 0 && asprintf(&g->source, "parsed%s, cache written: %s", how, cpath) < 0) g->source = NULL;
        return rc;
    }
    rc = packer_finish_mem(p, g);
    if (rc == 0 && asprintf(&g->source, "parsed%s%s", how, cpath ? " (cache not writable, kept in memory)" : "") < 0)
        g->source = NULL;
    return rc;
}

pope_genome *pope_genome_open(const char *path, const pope_genome_opts *opts) {
    pope_genome_opts def;
    if (!opts) {
        pope_genome_opts_default(&def);
        opts = &def;
    }
    if (opts->mapped_only && opts->unmapped_only) {
        pope_error("--mapped-only and --unmapped-only exclude each other");
        return NULL;
    }
    int is_stdin = strcmp(path, "-") == 0;
    struct stat st;
    if (check_input(path, is_stdin, &st) != 0) return NULL;
    hFILE *hf = hopen(path, "r");
    if (!hf) {
        pope_error("%s: %s", path, strerror(errno));
        return NULL;
    }
    int format = GFMT_FASTA, compression = no_compression;
    if (detect(hf, path, &format, &compression)) {
        hclose_abruptly(hf);
        return NULL;
    }
    pope_genome *g = calloc(1, sizeof *g);
    if (!g) {
        hclose_abruptly(hf);
        pope_error("out of memory");
        return NULL;
    }
    g->format = format;
    genome_key key = {(uint64_t)st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
                      (uint64_t)(opts->mapped_only ? 1 : 0) | (opts->unmapped_only ? 2 : 0), (uint64_t)format};
    int want_cache = !is_stdin && S_ISREG(st.st_mode) &&
                     (opts->cache == 2 || (opts->cache == 1 && st.st_size >= opts->cache_min_bytes));
    char *cpath = want_cache ? pope_genome_cache_path(path, opts) : NULL;
    if (cpath) {
        int r = genome_cache_map(cpath, &key, g);
        if (r == 0) {
            hclose_abruptly(hf);
            if (asprintf(&g->source, "cache: %s", cpath) < 0) g->source = NULL;
            free(cpath);
            return g;
        }
        // r < 0: a damaged cache with the right key (disk trouble): rebuild it
    }
    // parse, into a temporary cache file when caching
    pope_atomic cache = {0};
    FILE *out = NULL;
    if (cpath && open_cache_sink(cpath, opts, &cache, &out) != 0) {
        hclose_abruptly(hf);
        goto fail_tmp;
    }
    genome_packer p;
    if (packer_init(&p, out)) {
        hclose_abruptly(hf);
        goto fail_tmp;
    }
    double t0 = pope_now();
    char route[1500];
    int rc = parse(&p, hf, path, opts, format, compression, &st, route, sizeof route);   // takes ownership of hf
    double dt = pope_now() - t0;
    if (rc == 0 && p.pos == 0) rc = pope_error("%s: no bases in the file", path);
    char speed[128] = "";
    if (!is_stdin && dt > 0)
        snprintf(speed, sizeof speed, " in %.2f s (%.0f MB/s of input, %.0f Mbases/s)", dt,
                 (double)st.st_size / dt / 1e6, (double)p.pos / dt / 1e6);
    // "parsed (faidx) in 0.31 s ...", "parsed (streamed: faidx cannot index ...) in ..."
    char with_route[1800];
    snprintf(with_route, sizeof with_route, " (%s)%s", route, speed);
    if (rc == 0) rc = finish(&p, g, &cache, cpath, &key, with_route);
    packer_free(&p);
    if (rc != 0) goto fail_tmp;
    pope_atomic_abort(&cache);   // closes a cache file the memory route left; nothing after a commit
    free(cpath);
    return g;
fail_tmp:
    pope_atomic_abort(&cache);
    free(cpath);
    pope_genome_free(g);
    return NULL;
}

// maestro.c — MAESTRO's metadata CSV (v2/v3, or any CSV with its columns): which MIDI file
// is in which official split. RFC 4180 quoting (titles hold commas and doubled quotes).
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pope.h"
#include "pope_music.h"
#include "filelist.h"

void pope_music_filelist_free(pope_music_filelist *l) {
    if (!l) return;
    for (size_t i = 0; i < l->n; i++) free(l->files[i].path);
    free(l->files);
    memset(l, 0, sizeof *l);
}

int music_filelist_push(pope_music_filelist *l, const char *path, pope_split split) {
    if ((l->n & (l->n - 1)) == 0 && (l->n == 0 || l->n >= 16)) {
        size_t cap = l->n ? 2 * l->n : 16;
        pope_music_file *p = realloc(l->files, cap * sizeof *p);
        if (!p) return pope_error("out of memory");
        l->files = p;
    }
    char *copy = strdup(path);
    if (!copy) return pope_error("out of memory");
    l->files[l->n++] = (pope_music_file){copy, split};
    return 0;
}

// One CSV record (which may span lines inside quotes) into fields; returns the field
// count, 0 at end of input, -1 on an unterminated quote.
#define MAX_FIELDS 64
static int csv_record(const char **pp, const char *end, char *buf, size_t bufsize, char *fields[MAX_FIELDS]) {
    const char *p = *pp;
    if (p >= end) return 0;
    int nf = 0;
    size_t o = 0;
    fields[nf++] = buf;
    int quoted = 0;
    while (p < end) {
        char c = *p++;
        if (quoted) {
            if (c == '"') {
                if (p < end && *p == '"') { if (o + 1 < bufsize) buf[o++] = '"'; p++; }
                else quoted = 0;
            } else if (o + 1 < bufsize) {
                buf[o++] = c;
            }
        } else if (c == '"') {
            quoted = 1;
        } else if (c == ',') {
            buf[o++] = 0;
            if (nf < MAX_FIELDS) fields[nf++] = buf + o;
        } else if (c == '\n') {
            break;
        } else if (c != '\r' && o + 1 < bufsize) {
            buf[o++] = c;
        }
        if (o + 2 >= bufsize) break;
    }
    buf[o] = 0;
    *pp = p;
    return quoted ? -1 : nf;
}

static int parse_split(const char *s, pope_split *out) {
    if (strcmp(s, "train") == 0) *out = POPE_SPLIT_TRAIN;
    else if (strcmp(s, "validation") == 0 || strcmp(s, "valid") == 0) *out = POPE_SPLIT_VALID;
    else if (strcmp(s, "test") == 0) *out = POPE_SPLIT_TEST;
    else return -1;
    return 0;
}

int pope_maestro_parse_csv(pope_music_filelist *out, const char *csv_path, const char *base_dir) {
    memset(out, 0, sizeof *out);
    size_t got;
    char *text = pope_read_file(csv_path, &got);
    if (!text) return -1;
    if (got > (1u << 30)) { free(text); return pope_error("%s: larger than 1 GiB: not a MAESTRO CSV", csv_path); }
    const size_t size = got;
    char *rec = malloc(size + 2);
    if (!rec) { free(text); return pope_error("%s: out of memory", csv_path); }
    const char *p = text, *end = text + got;
    if (got >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) p += 3;   // UTF-8 BOM
    char *fields[MAX_FIELDS];
    int rc = 0, col_split = -1, col_file = -1;
    int nf = csv_record(&p, end, rec, (size_t)size + 2, fields);
    for (int i = 0; i < nf; i++) {
        if (strcmp(fields[i], "split") == 0) col_split = i;
        if (strcmp(fields[i], "midi_filename") == 0) col_file = i;
    }
    if (col_split < 0 || col_file < 0)
        rc = pope_error("%s: not a MAESTRO CSV (needs the columns split and midi_filename)", csv_path);
    for (int line = 2; rc == 0; line++) {
        nf = csv_record(&p, end, rec, (size_t)size + 2, fields);
        if (nf == 0) break;
        if (nf < 0) { rc = pope_error("%s: record %d: unterminated quote", csv_path, line); break; }
        if (nf == 1 && fields[0][0] == 0) continue;   // blank line
        if (nf <= col_split || nf <= col_file) { rc = pope_error("%s: record %d: only %d fields", csv_path, line, nf); break; }
        pope_split split;
        if (parse_split(fields[col_split], &split)) {
            rc = pope_error("%s: record %d: unknown split '%s' (train, validation, test)", csv_path, line, fields[col_split]);
            break;
        }
        const char *name = fields[col_file];
        if (!*name) { rc = pope_error("%s: record %d: empty midi_filename", csv_path, line); break; }
        char path[4096];
        if (name[0] == '/' || !base_dir) snprintf(path, sizeof path, "%s", name);
        else snprintf(path, sizeof path, "%s/%s", base_dir, name);
        rc = music_filelist_push(out, path, split);
    }
    if (rc == 0 && out->n == 0) rc = pope_error("%s: no MIDI files listed", csv_path);
    free(text);
    free(rec);
    if (rc) pope_music_filelist_free(out);
    return rc;
}

int pope_maestro_list(pope_music_filelist *out, const char *dir) {
    memset(out, 0, sizeof *out);
    struct stat st;
    if (stat(dir, &st)) return pope_error("%s: %s", dir, strerror(errno));
    if (S_ISREG(st.st_mode)) {   // the CSV itself: paths relative to its folder
        char base[4096];
        snprintf(base, sizeof base, "%s", dir);
        char *slash = strrchr(base, '/');
        if (slash) *slash = 0; else snprintf(base, sizeof base, ".");
        return pope_maestro_parse_csv(out, dir, base);
    }
    static const char *const known[] = {"maestro-v3.0.0.csv", "maestro-v2.0.0.csv", "maestro-v1.0.0.csv"};
    char path[4096];
    for (size_t i = 0; i < sizeof known / sizeof *known; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, known[i]);
        if (access(path, R_OK) == 0) return pope_maestro_parse_csv(out, path, dir);
    }
    DIR *d = opendir(dir);
    if (!d) return pope_error("%s: %s", dir, strerror(errno));
    struct dirent *e;
    int n_csv = 0;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".csv") == 0) {
            if (n_csv++ == 0) snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        }
    }
    closedir(d);
    if (n_csv == 0) return pope_error("%s: no MAESTRO CSV (maestro-v3.0.0.csv, maestro-v2.0.0.csv or one *.csv)", dir);
    if (n_csv > 1) return pope_error("%s: %d *.csv files and no maestro-v3.0.0.csv: name the CSV file instead", dir, n_csv);
    return pope_maestro_parse_csv(out, path, dir);
}

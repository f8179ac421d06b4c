// npy.c — 1-D int32 arrays in numpy's .npy format (version 1.0), for tokenize/detokenize.
// Format: "\x93NUMPY", version (1, 0), a little-endian uint16 header length, then a
// Python dict literal {'descr': '<i4', 'fortran_order': False, 'shape': (N,), } padded
// with spaces and a final '\n' so that the data starts at a multiple of 64 bytes.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pope_pipeline.h"

// 2^31 - 1 values: token counts are int-sized everywhere downstream (and × 8 cannot overflow).
#define NPY_MAX_VALUES INT64_C(2147483647)

int pope_npy_write_header(FILE *f, int64_t n) {
    if (n < 0) return pope_error("npy: negative length");
    char dict[128];
    int dl = snprintf(dict, sizeof dict, "{'descr': '<i4', 'fortran_order': False, 'shape': (%lld,), }",
                      (long long)n);
    int total = 10 + dl + 1;                 // magic+version+len, dict, '\n'
    int pad = (64 - total % 64) % 64;
    int hlen = dl + pad + 1;
    unsigned char head[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 0xff),
                              (unsigned char)(hlen >> 8)};
    int bad = fwrite(head, 1, 10, f) != 10;
    bad |= fwrite(dict, 1, dl, f) != (size_t)dl;
    for (int i = 0; i < pad; i++) bad |= fputc(' ', f) == EOF;
    bad |= fputc('\n', f) == EOF;
    return bad ? -1 : 0;
}

int pope_npy_write_i32(const char *path, const int32_t *data, int64_t n) {
    if (n < 0) return pope_error("npy: negative length");
    int to_stdout = !strcmp(path, "-");
    FILE *f = to_stdout ? stdout : fopen(path, "wb");
    if (!f) return pope_error("%s: cannot write: %s", path, strerror(errno));
    int bad = pope_npy_write_header(f, n) != 0;
    // the data is little-endian int32 (x86 and every other target pope builds on)
    const int64_t chunk = 1 << 20;
    for (int64_t i = 0; i < n && !bad; i += chunk) {
        size_t k = (size_t)(n - i < chunk ? n - i : chunk);
        bad |= fwrite(data + i, sizeof(int32_t), k, f) != k;
    }
    bad |= fflush(f) != 0;
    if (!to_stdout) bad |= fclose(f) != 0;
    if (bad) return pope_error("%s: write failed: %s", path, strerror(errno));
    return 0;
}

// Finds 'key': in the header dict and returns a pointer just after the colon.
static const char *dict_value(const char *h, const char *key) {
    const char *p = strstr(h, key);
    if (!p) return NULL;
    p += strlen(key);
    while (*p == ' ' || *p == '\'' || *p == '"') p++;
    if (*p != ':') return NULL;
    p++;
    while (*p == ' ') p++;
    return p;
}

// integer dtypes numpy commonly produces; each converted to int32 with a range check
static const struct { const char *d; int size, is_signed; } npy_types[] = {
    {"'<i4'", 4, 1}, {"'<i8'", 8, 1}, {"'<i2'", 2, 1}, {"'|i1'", 1, 1},
    {"'<u4'", 4, 0}, {"'<u2'", 2, 0}, {"'|u1'", 1, 0}, {"'<u8'", 8, 0}};

// The header of a 1-D integer .npy: *t = its dtype (npy_types index), *len = its count,
// checked against NPY_MAX_VALUES and what a regular file can hold. -1 with a message.
static int read_header(FILE *f, const char *path, int from_stdin, int *t, long long *len) {
    unsigned char head[12];
    if (fread(head, 1, 10, f) != 10 || memcmp(head, "\x93NUMPY", 6) != 0)
        return pope_error("%s: not a .npy file (bad magic)", path);
    size_t hlen;
    if (head[6] == 1) hlen = head[8] | (size_t)head[9] << 8;
    else if (head[6] == 2 || head[6] == 3) {
        if (fread(head + 10, 1, 2, f) != 2) return pope_error("%s: truncated .npy header", path);
        hlen = head[8] | (size_t)head[9] << 8 | (size_t)head[10] << 16 | (size_t)head[11] << 24;
        if (hlen > (1u << 20)) return pope_error("%s: .npy header too large", path);
    } else {
        return pope_error("%s: unsupported .npy version %d.%d", path, head[6], head[7]);
    }
    char *h = malloc(hlen + 1);
    if (!h || fread(h, 1, hlen, f) != hlen) {
        free(h);
        return pope_error("%s: truncated .npy header", path);
    }
    h[hlen] = '\0';
    int rc = -1;
    const char *descr = dict_value(h, "descr");
    const char *fo = dict_value(h, "fortran_order");
    const char *shape = dict_value(h, "shape");
    *t = -1;
    if (!descr || !fo || !shape) {
        pope_error("%s: malformed .npy header", path);
        goto done;
    }
    for (int k = 0; k < 8 && *t < 0; k++)
        if (!strncmp(descr, npy_types[k].d, strlen(npy_types[k].d))) *t = k;
    if (*t < 0) {
        pope_error("%s: dtype %.8s is not a little-endian integer type (expected '<i4')", path, descr);
        goto done;
    }
    if (shape[0] != '(') {
        pope_error("%s: malformed shape", path);
        goto done;
    }
    char *end;
    errno = 0;
    *len = strtoll(shape + 1, &end, 10);
    int range = errno == ERANGE;
    while (*end == ' ') end++;
    if (end == shape + 1 || *len < 0 || *end != ',' || end[1 + strspn(end + 1, " ")] != ')') {
        pope_error("%s: expected a 1-D array, shape is %.40s", path, shape);
        goto done;
    }
    int size = npy_types[*t].size;
    // The count is checked against what the file can hold before anything is allocated for it:
    // a few bytes of header must not be able to ask for gigabytes (or wrap count × 4).
    if (range || *len > NPY_MAX_VALUES) {
        pope_error("%s: shape %.40s is larger than pope reads (at most %lld values)", path, shape,
                   (long long)NPY_MAX_VALUES);
        goto done;
    }
    struct stat st;
    long pos = from_stdin ? -1 : ftell(f);
    if (pos >= 0 && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
        (long long)(st.st_size - pos) / size < *len) {
        pope_error("%s: truncated: the header promises %lld values of %d bytes, the file holds %lld bytes of data",
                   path, *len, size, (long long)(st.st_size - pos));
        goto done;
    }
    rc = 0;
done:
    free(h);
    return rc;
}

// The len values of dtype t after the header, as int32 (each range-checked) into *out
// (malloc'd). A pipe has no size: the array grows with the data actually read.
static int read_values(FILE *f, const char *path, int t, long long len, int32_t **out_p) {
    const int size = npy_types[t].size;
    size_t cap = len < (1 << 16) ? (size_t)len : (1 << 16);
    int32_t *out = malloc(cap > 0 ? cap * sizeof(int32_t) : 1);
    unsigned char *buf = malloc(1 << 16);
    int rc = -1;
    if (!out || !buf) {
        pope_error("%s: out of memory for %lld tokens", path, len);
        goto done;
    }
    long long n_done = 0;
    while (n_done < len) {
        long long k = (len - n_done) < (1 << 16) / size ? (len - n_done) : (1 << 16) / size;
        if (fread(buf, size, (size_t)k, f) != (size_t)k) {
            pope_error("%s: truncated: data ends after %lld of %lld values", path, n_done, len);
            goto done;
        }
        if ((size_t)(n_done + k) > cap) {
            size_t ncap = cap * 2 < (size_t)len ? cap * 2 : (size_t)len;
            int32_t *p = realloc(out, ncap * sizeof(int32_t));
            if (!p) {
                pope_error("%s: out of memory for %lld tokens", path, len);
                goto done;
            }
            out = p;
            cap = ncap;
        }
        for (long long i = 0; i < k; i++) {
            const unsigned char *b = buf + i * size;
            uint64_t u = 0;
            for (int j = size - 1; j >= 0; j--) u = u << 8 | b[j];
            int64_t v;
            if (npy_types[t].is_signed && size < 8 && (u >> (size * 8 - 1)) & 1) v = (int64_t)(u | (~UINT64_C(0) << (size * 8)));
            else v = (int64_t)u;
            if ((!npy_types[t].is_signed && size == 8 && u > INT32_MAX) || v < INT32_MIN || v > INT32_MAX) {
                pope_error("%s: value at index %lld does not fit in int32", path, n_done + i);
                goto done;
            }
            out[n_done + i] = (int32_t)v;
        }
        n_done += k;
    }
    rc = 0;
done:
    free(buf);
    if (rc) free(out);
    else *out_p = out;
    return rc;
}

int pope_npy_read_i32(const char *path, int32_t **data, int64_t *n) {
    *data = NULL;
    *n = 0;
    int from_stdin = !strcmp(path, "-");
    FILE *f = from_stdin ? stdin : fopen(path, "rb");
    if (!f) return pope_error("%s: cannot open: %s", path, strerror(errno));
    int t;
    long long len = 0;
    int32_t *out = NULL;
    int rc = read_header(f, path, from_stdin, &t, &len) == 0 ? read_values(f, path, t, len, &out) : -1;
    if (!from_stdin) fclose(f);
    if (rc) return -1;
    *data = out;
    *n = len;
    return 0;
}

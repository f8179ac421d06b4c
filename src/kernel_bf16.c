// kernel_bf16.c — the AVX512-BF16 code of the bf16 precision: float → bf16 conversion and
// the flash kernel's tile product with vdpbf16ps (docs/KERNELS.md §10).
// Compiled for every x86-64 target: the functions carry target attributes instead of a
// global -mavx512bf16 (CI may be an AVX2-only Zen 3); callers run them only where
// bf16_cpu_supported() (precision.c) says the CPU has the instructions.

#include "bf16.h"
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

#define BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

static inline __mmask16 lanes(int n) { return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1); }

BF16_TARGET static void convert_range(uint16_t *dst, const float *src, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm256_storeu_si256((__m256i *)(dst + i), (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(src + i)));
    if (i < n) {
        const __mmask16 m = lanes((int)(n - i));
        _mm256_mask_storeu_epi16(dst + i, m, (__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, src + i)));
    }
}

BF16_TARGET void bf16_convert_serial(uint16_t *dst, const float *src, size_t n) { convert_range(dst, src, n); }

void bf16_convert(uint16_t *dst, const float *src, size_t n) {
    enum { CHUNK = 1 << 14 };
    const long chunks = (long)((n + CHUNK - 1) / CHUNK);
    #pragma omp parallel for schedule(static) if (chunks > 4)
    for (long c = 0; c < chunks; c++) {
        const size_t i = (size_t)c * CHUNK;
        convert_range(dst + i, src + i, n - i < CHUNK ? n - i : CHUNK);
    }
}

// Rows of A (m×k, row stride rsa, contiguous along k) as bf16 pairs: dst[i·kp + p] holds
// (A[i][2p], A[i][2p+1]) in its low and high half, kp = ⌈k/2⌉, an odd k padded with 0.
BF16_TARGET static void pack_rows(uint32_t *dst, const float *A, int rsa, int m, int k) {
    const int kp = (k + 1) / 2;
    for (int i = 0; i < m; i++) {
        uint16_t *d = (uint16_t *)(dst + (size_t)i * kp);
        convert_range(d, A + (size_t)i * rsa, (size_t)k);
        if (k & 1) d[k] = 0;
    }
}

// The "VNNI" layout vdpbf16ps multiplies against: X (rows×cols, row stride ldx) as
// dst[p·ldd + j] = (X[2p][j], X[2p+1][j]) for p < ⌈rows/2⌉ and j < ldd (a multiple of 16;
// columns past `cols` and an odd last row are 0).
BF16_TARGET static void pack_pairs(uint32_t *dst, int ldd, const float *X, int ldx, int rows, int cols) {
    // cvtne2ps_pbh(hi, lo) puts lo's 16 values in words 0..15, hi's in 16..31; this
    // index interleaves them into pairs (lo[j], hi[j]).
    const __m512i inter = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
                                           23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    for (int p = 0; p < (rows + 1) / 2; p++) {
        const float *lo = X + (size_t)(2 * p) * ldx, *hi = lo + ldx;
        const int has_hi = 2 * p + 1 < rows;
        for (int j = 0; j < ldd; j += 16) {
            const __mmask16 m = j < cols ? lanes(cols - j) : 0;
            const __m512 l = _mm512_maskz_loadu_ps(m, lo + j);
            const __m512 h = has_hi ? _mm512_maskz_loadu_ps(m, hi + j) : _mm512_setzero_ps();
            const __m512i pr = _mm512_permutexvar_epi16(inter, (__m512i)_mm512_cvtne2ps_pbh(h, l));
            _mm512_storeu_si512(dst + (size_t)p * ldd + j, pr);
        }
    }
}

// C[col..] (+)= x over the columns before n (none when col >= n).
BF16_TARGET static __attribute__((noinline)) void store_masked(float *c, int col, int n, __m512 x, int accumulate) {
    if (col >= n) return;
    const __mmask16 m = lanes(n - col);
    if (accumulate) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(m, c + col));
    _mm512_mask_storeu_ps(c + col, m, x);
}

// One mr×(nv·16) block of C at (i, j): the A pair of (row, p) is at a[row·ai + p·ap],
// the B pairs of p at b[p·nb + j ..]. mr, nv are constants after inlining (registers).
BF16_TARGET static inline __attribute__((always_inline)) void
bf16_block(float *C, int ldc, const uint32_t *a, int ai, int ap, const uint32_t *b, int nb, int kp,
           int i, int j, int n, int accumulate, const int mr, const int nv) {
    __m512 acc[8][2];
    for (int r = 0; r < mr; r++)
        for (int v = 0; v < nv; v++) acc[r][v] = _mm512_setzero_ps();
    for (int p = 0; p < kp; p++) {
        __m512i bv[2];
        for (int v = 0; v < nv; v++) bv[v] = _mm512_loadu_si512(b + (size_t)p * nb + j + 16 * v);
        for (int r = 0; r < mr; r++) {
            const __m512i av = _mm512_set1_epi32((int)a[(size_t)(i + r) * ai + (size_t)p * ap]);
            for (int v = 0; v < nv; v++)
                acc[r][v] = _mm512_dpbf16_ps(acc[r][v], (__m512bh)av, (__m512bh)bv[v]);
        }
    }
    if (j + 16 * nv <= n) {  // every column of the block in C: plain stores (the usual case)
        for (int r = 0; r < mr; r++)
            for (int v = 0; v < nv; v++) {
                float *c = C + (size_t)(i + r) * ldc + j + 16 * v;
                _mm512_storeu_ps(c, accumulate ? _mm512_add_ps(acc[r][v], _mm512_loadu_ps(c)) : acc[r][v]);
            }
    } else {  // the block reaches past column n: masked, in a function of its own (keeps acc in registers above)
        for (int r = 0; r < mr; r++)
            for (int v = 0; v < nv; v++) store_masked(C + (size_t)(i + r) * ldc, j + 16 * v, n, acc[r][v], accumulate);
    }
}

size_t tile_gemm_bf16_scratch(int maxdim) {
    const size_t kp = (size_t)(maxdim + 1) / 2, w = (size_t)maxdim + 16;
    return 2 * kp * w + 16;
}

size_t tile_bf16_packed_words(int k, int n) { return (size_t)((k + 1) / 2) * (size_t)((n + 15) / 16 * 16); }

BF16_TARGET void tile_pack_b_bf16(uint32_t *bp, const float *B, int ldb, int k, int n) {
    pack_pairs(bp, (n + 15) / 16 * 16, B, ldb, k, n);
}

size_t tile_bf16_rows_words(int m, int k) { return (size_t)m * (size_t)((k + 1) / 2); }

BF16_TARGET void tile_pack_a_bf16(uint32_t *ap, const float *A, int rsa, int m, int k) { pack_rows(ap, A, rsa, m, k); }

size_t tile_bf16_packed_offset(int k0, int n) { return (size_t)(k0 / 2) * (size_t)((n + 15) / 16 * 16); }

// C (+)= A·B over packed operands: A's pair (row i, p) at ap[i·ai + p·aps].
BF16_TARGET static void gemm_packed(float *C, int ldc, const uint32_t *ap, int ai, int aps, const uint32_t *bp,
                                    int m, int n, int k, int accumulate) {
    const int kp = (k + 1) / 2, nb = (n + 15) / 16 * 16;
    int j = 0;
    for (; j + 32 <= nb; j += 32) {
        int i = 0;
        for (; i + 8 <= m; i += 8) bf16_block(C, ldc, ap, ai, aps, bp, nb, kp, i, j, n, accumulate, 8, 2);
        for (; i + 4 <= m; i += 4) bf16_block(C, ldc, ap, ai, aps, bp, nb, kp, i, j, n, accumulate, 4, 2);
        for (; i < m; i++) bf16_block(C, ldc, ap, ai, aps, bp, nb, kp, i, j, n, accumulate, 1, 2);
    }
    if (j < nb) {  // the last 16 columns
        int i = 0;
        for (; i + 8 <= m; i += 8) bf16_block(C, ldc, ap, ai, aps, bp, nb, kp, i, j, n, accumulate, 8, 1);
        for (; i + 4 <= m; i += 4) bf16_block(C, ldc, ap, ai, aps, bp, nb, kp, i, j, n, accumulate, 4, 1);
        for (; i < m; i++) bf16_block(C, ldc, ap, ai, aps, bp, nb, kp, i, j, n, accumulate, 1, 1);
    }
}

BF16_TARGET void tile_gemm_bf16_pp(float *C, int ldc, const uint32_t *ap, const uint32_t *bp, int m, int n, int k,
                                   int accumulate) {
    gemm_packed(C, ldc, ap, (k + 1) / 2, 1, bp, m, n, k, accumulate);
}

BF16_TARGET void tile_gemm_bf16_packed(float *C, int ldc, const float *A, int rsa, int csa, const uint32_t *bp,
                                       int m, int n, int k, int accumulate, uint32_t *scratch) {
    if (csa == 1) {  // A row-major: its rows as pairs
        pack_rows(scratch, A, rsa, m, k);
        gemm_packed(C, ldc, scratch, (k + 1) / 2, 1, bp, m, n, k, accumulate);
    } else {  // rsa == 1: Aᵀ is row-major (k×m, row stride csa), packed as B is
        const int mp = (m + 15) / 16 * 16;
        pack_pairs(scratch, mp, A, csa, k, m);
        gemm_packed(C, ldc, scratch, 1, mp, bp, m, n, k, accumulate);
    }
}

BF16_TARGET void tile_gemm_bf16(float *C, int ldc, const float *A, int rsa, int csa, const float *B,
                                int ldb, int m, int n, int k, int accumulate, uint32_t *scratch) {
    tile_pack_b_bf16(scratch, B, ldb, k, n);
    tile_gemm_bf16_packed(C, ldc, A, rsa, csa, scratch, m, n, k, accumulate, scratch + tile_bf16_packed_words(k, n));
}

#else  // not x86-64: bf16 is never supported (bf16_cpu_supported() == 0); scalar stand-ins
void bf16_convert(uint16_t *dst, const float *src, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = bf16_from_float(src[i]);
}
void bf16_convert_serial(uint16_t *dst, const float *src, size_t n) { bf16_convert(dst, src, n); }
size_t tile_gemm_bf16_scratch(int maxdim) { return (size_t)maxdim; }
size_t tile_bf16_packed_words(int k, int n) { return (size_t)k * n; }
void tile_pack_b_bf16(uint32_t *bp, const float *B, int ldb, int k, int n) {  // plain floats here
    for (int p = 0; p < k; p++) memcpy((float *)bp + (size_t)p * n, B + (size_t)p * ldb, sizeof(float) * n);
}
void tile_gemm_bf16_packed(float *C, int ldc, const float *A, int rsa, int csa, const uint32_t *bp, int m, int n,
                           int k, int accumulate, uint32_t *scratch) {
    tile_gemm_bf16(C, ldc, A, rsa, csa, (const float *)bp, n, m, n, k, accumulate, scratch);
}
size_t tile_bf16_rows_words(int m, int k) { return (size_t)m * k; }
void tile_pack_a_bf16(uint32_t *ap, const float *A, int rsa, int m, int k) {  // plain floats here
    for (int i = 0; i < m; i++) memcpy((float *)ap + (size_t)i * k, A + (size_t)i * rsa, sizeof(float) * k);
}
size_t tile_bf16_packed_offset(int k0, int n) { return (size_t)k0 * n; }
void tile_gemm_bf16_pp(float *C, int ldc, const uint32_t *ap, const uint32_t *bp, int m, int n, int k,
                       int accumulate) {
    tile_gemm_bf16(C, ldc, (const float *)ap, k, 1, (const float *)bp, n, m, n, k, accumulate, NULL);
}
void tile_gemm_bf16(float *C, int ldc, const float *A, int rsa, int csa, const float *B, int ldb,
                    int m, int n, int k, int accumulate, uint32_t *scratch) {
    (void)scratch;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            float s = 0.0f;
            for (int p = 0; p < k; p++)
                s += bf16_round(A[(size_t)i * rsa + (size_t)p * csa]) * bf16_round(B[(size_t)p * ldb + j]);
            C[(size_t)i * ldc + j] = accumulate ? C[(size_t)i * ldc + j] + s : s;
        }
}
#endif

// bf16.h — bfloat16 helpers of the bf16 precision (private to libpope; docs/KERNELS.md §10).
// bf16 = the top 16 bits of an IEEE float (8-bit exponent, 7-bit mantissa). Rounding from
// float is to nearest, ties to even; NaN stays a (quiet) NaN; float denormals become ±0,
// as the AVX512-BF16 conversion instruction (vcvtneps2bf16) does, so that the scalar and
// vector forms agree bit for bit.
#ifndef POPE_BF16_H
#define POPE_BF16_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t bf16_from_float(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if ((u & 0x7F800000u) == 0x7F800000u && (u & 0x007FFFFFu))
        return (uint16_t)((u >> 16) | 0x0040u);          // NaN: keep it a quiet NaN
    if ((u & 0x7F800000u) == 0) return (uint16_t)((u >> 16) & 0x8000u);  // denormal → ±0
    u += 0x7FFFu + ((u >> 16) & 1u);                       // ties to even
    return (uint16_t)(u >> 16);
}
static inline float bf16_to_float(uint16_t h) {
    const uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}
// x rounded to bf16 and back (what a bf16 kernel sees of x)
static inline float bf16_round(float x) { return bf16_to_float(bf16_from_float(x)); }

// 1 when the CPU has AVX512-BF16 (with the AVX512-BW/VL it is used with), else 0.
int bf16_cpu_supported(void);
// 1 when libpope was built with oneDNN (the bf16 GEMMs), else 0.
int bf16_gemm_available(void);
// 1 when the current precision is bf16 (pope_get_precision() == POPE_PREC_BF16).
int bf16_active(void);

// dst[i] = bf16_from_float(src[i]), i < n; vectorised (AVX512-BF16), parallel for large n.
// Only when bf16_cpu_supported().
void bf16_convert(uint16_t *dst, const float *src, size_t n);
// The same on the calling thread only (for small n inside a parallel region).
void bf16_convert_serial(uint16_t *dst, const float *src, size_t n);

// C (M×N, row-major, fp32) = or += op(A) · op(B) with A, B dense fp32 matrices rounded to
// bf16 and fp32 accumulation, through oneDNN matmul (one primitive per shape, cached).
// op(A) is M×K: stored row-major M×K (ta = 0) or K×M (ta = 1, i.e. Aᵀ is given); op(B) is
// K×N: stored K×N (tb = 0) or N×K (tb = 1). Call from serial code. 0, or -1 with
// pope_error set (the caller then falls back to fp32).
int bf16_gemm(float *C, const float *A, int ta, const float *B, int tb, int M, int N, int K,
              int accumulate);
// The name of the oneDNN kernel bf16_gemm runs for that shape (for the bench and tests).
const char *bf16_gemm_impl(int M, int N, int K, int ta, int tb, int accumulate);

// The flash kernel's tile product in bf16 (kernel_tile.h's tile_gemm, same arguments):
// C (m×n, ldc) (+)= A·B, A[i][p] = A[i·rsa + p·csa] (rsa or csa must be 1), B row-major;
// A and B rounded to bf16 into `scratch`, products by vdpbf16ps, fp32 accumulation.
// scratch: tile_gemm_bf16_scratch(maxdim) 32-bit words, for m, n, k ≤ maxdim.
size_t tile_gemm_bf16_scratch(int maxdim);
void tile_gemm_bf16(float *C, int ldc, const float *A, int rsa, int csa, const float *B, int ldb,
                    int m, int n, int k, int accumulate, uint32_t *scratch);
// The same with B packed beforehand (for an operand that several products share, e.g. the
// query tile across all key tiles): tile_pack_b_bf16 writes tile_bf16_packed_words(k, n)
// words; tile_gemm_bf16_packed takes that packing with the same k and n, and scratch for A.
size_t tile_bf16_packed_words(int k, int n);
void tile_pack_b_bf16(uint32_t *bp, const float *B, int ldb, int k, int n);
void tile_gemm_bf16_packed(float *C, int ldc, const float *A, int rsa, int csa, const uint32_t *bp,
                           int m, int n, int k, int accumulate, uint32_t *scratch);
// Both operands packed beforehand — for a tensor that many tile products read, packed once
// for all of them: tile_pack_a_bf16 writes tile_bf16_rows_words(m, k) words of A (m×k,
// row-major, row stride rsa); the tile of rows i0.. starts tile_bf16_rows_words(i0, k) words
// in. Likewise a B packed with k rows serves the product over rows k0.. (k0 even) from
// tile_bf16_packed_offset(k0, n) words in, for k ≤ its rows − k0 (past its last row: 0).
size_t tile_bf16_rows_words(int m, int k);
void tile_pack_a_bf16(uint32_t *ap, const float *A, int rsa, int m, int k);
size_t tile_bf16_packed_offset(int k0, int n);
void tile_gemm_bf16_pp(float *C, int ldc, const uint32_t *ap, const uint32_t *bp, int m, int n, int k,
                       int accumulate);
#endif

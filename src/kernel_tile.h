// kernel_tile.h — small dense tile products for the flash attention kernel (private).
//   C (m×n, row stride ldc) (+)= A · B,  A (m×k) element (i,p) at A[i·rsa + p·csa],
//   B (k×n, row stride ldb) row-major.
// A strided A lets the kernels use Pᵀ and dSᵀ without transposing them. Register
// blocking: MR rows × NV = 2 vectors of C stay in registers across the k loop; per k
// step 2 vector loads of B, MR broadcasts of A and 2·MR FMAs. MR = 8 with AVX-512's 32
// registers (16 accumulators), 6 with AVX2's 16 (12 accumulators), so the loop is
// FMA-bound, not load-bound. Tiles are ≤ 64×64, so A and B sit in L1/L2.
#ifndef POPE_KERNEL_TILE_H
#define POPE_KERNEL_TILE_H
#include "kernel_vec.h"

#if KV_W >= 16
enum { TILE_MR = 8, TILE_NV = 2 };
#else
enum { TILE_MR = 6, TILE_NV = 2 };
#endif

// Pins a loaded B vector in a register: without it GCC folds the load into each FMA's
// memory operand, reloading B once per row and making the loop load-bound.
#if defined(__x86_64__) && defined(__AVX__)
#define TILE_PIN(x) __asm__("" : "+v"(x))
#else
#define TILE_PIN(x) ((void)0)
#endif

// One mr×(nv·KV_W) block of C at (i, j); mr, nv are compile-time constants after
// inlining, which lets the compiler keep acc[][] in registers.
static inline __attribute__((always_inline)) void
tile_block(float *restrict C, int ldc, const float *restrict A, int rsa, int csa,
           const float *restrict B, int ldb, int k, int i, int j, int accumulate,
           const int mr, const int nv) {
    kvec acc[TILE_MR][TILE_NV];
    for (int r = 0; r < mr; r++)
        for (int v = 0; v < nv; v++) acc[r][v] = kv_splat(0.0f);
    const float *a = A + (size_t)i * rsa;
    const float *b = B + j;
    #pragma GCC unroll 4  // k is 32..64 here; unrolling hides the loop overhead (~5%)
    for (int p = 0; p < k; p++) {
        kvec bv[TILE_NV];
        for (int v = 0; v < nv; v++) {
            bv[v] = kv_load(b + (size_t)p * ldb + v * KV_W);
            TILE_PIN(bv[v]);
        }
        for (int r = 0; r < mr; r++) {
            const float ar = a[(size_t)r * rsa + (size_t)p * csa];
            for (int v = 0; v < nv; v++) acc[r][v] += ar * bv[v];
        }
    }
    for (int r = 0; r < mr; r++)
        for (int v = 0; v < nv; v++) {
            float *c = C + (size_t)(i + r) * ldc + j + v * KV_W;
            kv_store(c, accumulate ? kv_load(c) + acc[r][v] : acc[r][v]);
        }
}

static inline void tile_gemm(float *restrict C, int ldc, const float *restrict A, int rsa, int csa,
                             const float *restrict B, int ldb, int m, int n, int k, int accumulate) {
    int j = 0;
    for (; j + TILE_NV * KV_W <= n; j += TILE_NV * KV_W) {
        int i = 0;
        for (; i + TILE_MR <= m; i += TILE_MR)
            tile_block(C, ldc, A, rsa, csa, B, ldb, k, i, j, accumulate, TILE_MR, TILE_NV);
        for (; i + 4 <= m; i += 4) tile_block(C, ldc, A, rsa, csa, B, ldb, k, i, j, accumulate, 4, TILE_NV);
        for (; i < m; i++) tile_block(C, ldc, A, rsa, csa, B, ldb, k, i, j, accumulate, 1, TILE_NV);
    }
    for (; j + KV_W <= n; j += KV_W) {
        int i = 0;
        for (; i + 4 <= m; i += 4)
            tile_block(C, ldc, A, rsa, csa, B, ldb, k, i, j, accumulate, 4, 1);
        for (; i < m; i++) tile_block(C, ldc, A, rsa, csa, B, ldb, k, i, j, accumulate, 1, 1);
    }
    if (j < n) {  // the last n − j < KV_W columns
        const int nt = n - j;
        for (int i = 0; i < m; i++) {
            float acc[KV_W] = {0};
            for (int p = 0; p < k; p++) {
                const float a = A[(size_t)i * rsa + (size_t)p * csa];
                const float *b = B + (size_t)p * ldb + j;
                for (int t = 0; t < nt; t++) acc[t] += a * b[t];
            }
            float *c = C + (size_t)i * ldc + j;
            for (int t = 0; t < nt; t++) c[t] = accumulate ? c[t] + acc[t] : acc[t];
        }
    }
}

// dst (cols×rows, ldd) = srcᵀ, src (rows×cols, lds)
static inline void tile_transpose(float *restrict dst, int ldd, const float *restrict src, int lds,
                                  int rows, int cols) {
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) dst[(size_t)c * ldd + r] = src[(size_t)r * lds + c];
}
#endif

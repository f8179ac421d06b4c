// kernel_hash.h — the counter-based hash behind every dropout mask (private to libpope).
//
// keep(seed, i) = u(seed, i) >= p with a 24-bit uniform u = (h >> 8)·2⁻²⁴ and
//   lo = i mod 2³², hi = i div 2³²,
//   k1 = fmix32(seed_lo ^ 0x9E3779B9), k2 = fmix32(seed_hi ^ k1 ^ 0x7F4A7C15),
//   h  = fmix32(fmix32(lo ^ k1) ^ fmix32(hi ^ k2)),
// fmix32 the MurmurHash3 finaliser (a bijection of 32-bit words with full avalanche).
// A pure function of (seed, index): forward and backward, reference and fast kernels,
// and any thread split draw the same mask, and nothing is stored. It uses only 32-bit
// lane operations, so a row of masks is computed KV_W lanes at a time (AVX2 has no
// 64-bit multiply; a splitmix64-style hash costs ~10× more per element here).
#ifndef POPE_KERNEL_HASH_H
#define POPE_KERNEL_HASH_H
#include <stdint.h>

#include "kernel_vec.h"

typedef uint32_t kvu __attribute__((vector_size(KV_W * sizeof(uint32_t))));

static inline uint32_t kernel_fmix32(uint32_t h) {
    h ^= h >> 16;
    h *= 0x85EBCA6Bu;
    h ^= h >> 13;
    h *= 0xC2B2AE35u;
    h ^= h >> 16;
    return h;
}
static inline kvu kv_fmix32(kvu h) {
    h ^= h >> 16;
    h *= 0x85EBCA6Bu;
    h ^= h >> 13;
    h *= 0xC2B2AE35u;
    h ^= h >> 16;
    return h;
}

typedef struct { uint32_t k1, k2; } kernel_hash_key;

static inline kernel_hash_key kernel_hash_keys(uint64_t seed) {
    kernel_hash_key k;
    k.k1 = kernel_fmix32((uint32_t)seed ^ 0x9E3779B9u);
    k.k2 = kernel_fmix32((uint32_t)(seed >> 32) ^ k.k1 ^ 0x7F4A7C15u);
    return k;
}

static inline uint32_t kernel_hash32(kernel_hash_key key, uint64_t index) {
    return kernel_fmix32(kernel_fmix32((uint32_t)index ^ key.k1) ^
                         kernel_fmix32((uint32_t)(index >> 32) ^ key.k2));
}

// A uniform in [0, 1) with 24 bits, exactly representable as float.
static inline float kernel_hash_uniform(uint64_t seed, uint64_t index) {
    return (float)(kernel_hash32(kernel_hash_keys(seed), index) >> 8) * (1.0f / 16777216.0f);
}

static inline int kernel_dropout_keep(uint64_t seed, uint64_t index, float p) {
    return kernel_hash_uniform(seed, index) >= p;
}

// KV_W factors from KV_W hashes: scale where the 24-bit uniform u = (h >> 8)·2⁻²⁴ >= p, else 0.
static inline void store_factors(float *factor, kvu h, float p, float scale) {
    const kvec u = __builtin_convertvector((kvi)(h >> 8), kvec) * (1.0f / 16777216.0f);
    kv_store(factor, kv_select(u >= p, kv_splat(scale), kv_splat(0.0f)));
}

// factor[j] = keep(seed, base + j·stride) ? scale : 0 for j < n (the same decisions as
// kernel_dropout_keep, KV_W lanes at a time). The flash kernels call it once per row or column
// of a score tile (n ≤ 64 indices that almost never straddle a multiple of 2³²): then every
// index has the same high word, hashed once, and the low words are 32-bit lane arithmetic.
// Building each lane's 64-bit index instead (the general path, kept for the straddling calls)
// compiled at -O3 to scalar lane inserts, 3× the time per factor: ~10% of a JSB-paper step
// (dropout 0.2; bench/README.md, "Where a bf16 step goes").
static inline void kernel_dropout_factors(float *factor, int n, uint64_t base, uint64_t stride,
                                          uint64_t seed, float p, float scale) {
    const kernel_hash_key key = kernel_hash_keys(seed);
    int j = 0;
    if (n > 0 && stride < (1ull << 32) && base >> 32 == (base + (uint64_t)(n - 1) * stride) >> 32) {
        const uint32_t hi = kernel_fmix32((uint32_t)(base >> 32) ^ key.k2), lo0 = (uint32_t)base, step = (uint32_t)stride;
        kvu lane;
        for (int l = 0; l < KV_W; l++) lane[l] = (uint32_t)l * step;
        for (; j + KV_W <= n; j += KV_W) {
            store_factors(factor + j, kv_fmix32(kv_fmix32((lane + (lo0 + (uint32_t)j * step)) ^ key.k1) ^ hi), p, scale);
        }
    } else {
        for (; j + KV_W <= n; j += KV_W) {
            kvu lo, hi;
            for (int l = 0; l < KV_W; l++) {
                const uint64_t index = base + (uint64_t)(j + l) * stride;
                lo[l] = (uint32_t)index;
                hi[l] = (uint32_t)(index >> 32);
            }
            store_factors(factor + j, kv_fmix32(kv_fmix32(lo ^ key.k1) ^ kv_fmix32(hi ^ key.k2)), p, scale);
        }
    }
    for (; j < n; j++) {
        const uint64_t index = base + (uint64_t)j * stride;
        factor[j] = (float)(kernel_hash32(key, index) >> 8) * (1.0f / 16777216.0f) >= p ? scale : 0.0f;
    }
}
#endif

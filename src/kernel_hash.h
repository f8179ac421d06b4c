// kernel_hash.h — the counter-based hash behind every dropout mask (private to libpope).
// keep(seed, i) = (splitmix64(seed ^ (i · φ64)) >> 40) · 2⁻²⁴ >= p, with φ64 the 64-bit
// golden ratio 0x9E3779B97F4A7C15: a pure function of (seed, index), so forward and
// backward, reference and fast kernels, and any thread split draw the same mask.
#ifndef POPE_KERNEL_HASH_H
#define POPE_KERNEL_HASH_H
#include <stdint.h>

static inline uint64_t kernel_splitmix64(uint64_t z) {
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// A uniform in [0, 1) with 24 bits, exactly representable as float.
static inline float kernel_hash_uniform(uint64_t seed, uint64_t index) {
    return (float)(kernel_splitmix64(seed ^ (index * 0x9E3779B97F4A7C15ull)) >> 40) *
           (1.0f / 16777216.0f);
}

static inline int kernel_dropout_keep(uint64_t seed, uint64_t index, float p) {
    return kernel_hash_uniform(seed, index) >= p;
}
#endif

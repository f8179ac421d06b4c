// kernel_alloc.h — 64-byte aligned float buffers (private to libpope; the bench uses it too).
// A large malloc is an mmap that returns page + 16 bytes, so every 64-byte vector load of a
// row would straddle two cache lines (measured: attention backward ~20% slower on an AVX-512
// Xeon). Activations, caches and kernel scratch come from here; free() releases them.
#ifndef POPE_KERNEL_ALLOC_H
#define POPE_KERNEL_ALLOC_H
#include <stdlib.h>

// n floats, the size rounded up to whole 64-byte lines as aligned_alloc requires (n = 0
// still gives one line, so NULL always means out of memory)
static inline float *pope_alloc_floats(size_t n) {
    const size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
    return aligned_alloc(64, bytes ? bytes : 64);
}
#endif

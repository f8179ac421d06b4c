// hash.c — the integer hashes libpope and the readers share: splitmix64 (seeding the RNG,
// deriving dropout and data seeds) and FNV-1a (names of caches, splits of file lists).
#include "pope.h"

uint64_t pope_mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t pope_splitmix64(uint64_t x) { return pope_mix64(x + 0x9e3779b97f4a7c15ULL); }

uint64_t pope_fnv1a(uint64_t h, const void *data, size_t n) {
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

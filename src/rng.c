// rng.c — xoshiro256** (Blackman & Vigna) seeded through splitmix64.
// The state is four plain 64-bit words so that checkpoints can save and restore it.
#include <math.h>

#include "pope.h"

void pope_rng_seed(pope_rng *rng, uint64_t seed) {
    for (int i = 0; i < 4; i++) rng->s[i] = pope_splitmix64(seed + (uint64_t)i * 0x9e3779b97f4a7c15ULL);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t pope_rng_u64(pope_rng *rng) {
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

// The top 24 bits: every value is an exact float in [0, 1).
float pope_rng_uniform(pope_rng *rng) {
    return (float)(pope_rng_u64(rng) >> 40) * (1.0f / 16777216.0f);
}

// Box-Muller in double from two 53-bit uniforms; one draw of the pair is used, so that
// the stream position depends only on the number of calls.
float pope_rng_normal(pope_rng *rng) {
    double u1 = ((pope_rng_u64(rng) >> 11) + 1.0) * (1.0 / 9007199254740993.0);  // (0, 1]
    double u2 = (pope_rng_u64(rng) >> 11) * (1.0 / 9007199254740992.0);          // [0, 1)
    return (float)(sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2));
}

// Lemire's multiply-shift with rejection: exactly uniform.
uint64_t pope_rng_below(pope_rng *rng, uint64_t n) {
    if (n <= 1) return 0;
    for (;;) {
        uint64_t x = pope_rng_u64(rng);
        __uint128_t m = (__uint128_t)x * n;
        uint64_t lo = (uint64_t)m;
        if (lo >= n || lo >= (-n) % n) return (uint64_t)(m >> 64);
    }
}

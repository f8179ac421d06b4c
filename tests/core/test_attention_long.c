// test_attention_long.c — the flash forward at a context where the dropout index
// (b·H + h)·T·T + t·T + s passes 2³¹ (T = 46500: T² > 2³¹), against rows computed
// directly here in double with 64-bit indices. Catches int overflow in the index
// arithmetic, which the small-T comparisons with attention_ref cannot.
#include <math.h>

#include "ops.h"
#include "test_ops_util.h"

int main(void) {
#ifndef __OPTIMIZE__
    // ~1e9 score elements: seconds when optimised, minutes at -O0 under ASan.
    printf("test_attention_long: skipped in an unoptimised build\n");
    return CHECK_SKIP;
#endif
    tu_seed(5);
    const int T = 46500, D = 8;
    const float p = 0.25f, scale = 0.5f;
    const uint64_t seed = 77;
    float *q = tu_rand((size_t)T * D, -1, 1), *k = tu_rand((size_t)T * D, -1, 1), *v = tu_rand((size_t)T * D, -1, 1);
    float *out = tu_fill((size_t)T * D, 0), *lse = tu_fill(T, 0);
    attention_forward(out, lse, q, k, v, 1, 1, T, D, D, scale, p, seed);
    const int rows[] = {0, 1, 30000, 46341, T - 2, T - 1};
    double *sc = malloc(sizeof(double) * T);
    for (size_t r = 0; r < sizeof rows / sizeof *rows; r++) {
        const int t = rows[r];
        double m = -INFINITY, sum = 0.0, acc[8] = {0};
        for (int s = 0; s <= t; s++) {
            sc[s] = scale * tu_dot(q + (size_t)t * D, k + (size_t)s * D, D);
            m = fmax(m, sc[s]);
        }
        for (int s = 0; s <= t; s++) sum += exp(sc[s] - m);
        for (int s = 0; s <= t; s++) {
            const uint64_t index = (uint64_t)t * (uint64_t)T + (uint64_t)s;
            if (!dropout_keep(seed, index, p)) continue;
            const double w = exp(sc[s] - m) / sum / (1.0 - p);
            for (int e = 0; e < D; e++) acc[e] += w * v[(size_t)s * D + e];
        }
        CHECK_NEAR(lse[t], m + log(sum), 1e-5, 1e-5, "lse at long context");
        for (int e = 0; e < D; e++) CHECK_NEAR(out[(size_t)t * D + e], acc[e], 1e-4, 1e-3, "out at long context");
    }
    free(sc), free(q), free(k), free(v), free(out), free(lse);
    return check_summary("test_attention_long");
}

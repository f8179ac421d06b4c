// test_ops_util.h — helpers shared by the kernel tests: a seeded RNG and a
// central-difference gradient checker.
#ifndef POPE_TEST_OPS_UTIL_H
#define POPE_TEST_OPS_UTIL_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static uint64_t tu_state = 0x1234567887654321ull;
static inline void tu_seed(uint64_t s) { tu_state = s * 2654435761ull + 1; }
static inline uint64_t tu_u64(void) {  // splitmix64 stream
    uint64_t z = (tu_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static inline float tu_uniform(float lo, float hi) {
    return lo + (hi - lo) * (float)((tu_u64() >> 40) * (1.0 / 16777216.0));
}
static inline float *tu_rand(size_t n, float lo, float hi) {
    float *x = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) x[i] = tu_uniform(lo, hi);
    return x;
}
static inline float *tu_fill(size_t n, float value) {
    float *x = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) x[i] = value;
    return x;
}
static inline double tu_dot(const float *a, const float *b, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

// The scalar loss L(x) of a gradient check, evaluated on the current inputs.
typedef double (*tu_loss_fn)(void *ctx);

// Compares grad[i] (the analytic dL/dx[i]) with (L(x+h) − L(x−h)) / 2h for up to
// `probes` indices of x spread over the array (all of them when n <= probes).
// |analytic − fd| <= atol + rtol·|fd| must hold.
static inline void tu_grad_check(const char *what, tu_loss_fn loss, void *ctx, float *x,
                                 const float *grad, size_t n, float h, double atol, double rtol,
                                 size_t probes) {
    char label[160];
    const size_t step = n <= probes ? 1 : n / probes;
    for (size_t i = (step > 1 ? step / 2 : 0); i < n; i += step) {
        const float orig = x[i];
        x[i] = orig + h;
        const double up = loss(ctx);
        const double dx_up = (double)x[i] - orig;
        x[i] = orig - h;
        const double down = loss(ctx);
        const double dx_down = (double)orig - x[i];
        x[i] = orig;
        const double fd = (up - down) / (dx_up + dx_down);
        snprintf(label, sizeof label, "%s[%zu]", what, i);
        CHECK_NEAR(grad[i], fd, atol, rtol, label);
    }
}
#endif

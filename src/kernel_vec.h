// kernel_vec.h — portable SIMD for the hand-tuned kernels (private to libpope).
// GCC/Clang vector extensions: kvec is the widest float vector of the target
// (16 lanes with AVX-512, 8 with AVX/AVX2, 4 otherwise), so one source compiles to
// zmm code on Sapphire Rapids and ymm code on Zen 3, and both paths are testable.
// Loads and stores go through memcpy (unaligned, alias-safe; compiles to one move).
#ifndef POPE_KERNEL_VEC_H
#define POPE_KERNEL_VEC_H
#include <stdint.h>
#include <string.h>
#if defined(__x86_64__) && defined(__AVX__)
#include <immintrin.h>
#endif

#if defined(__AVX512F__)
#define KV_W 16
#elif defined(__AVX__)
#define KV_W 8
#else
#define KV_W 4
#endif

typedef float kvec __attribute__((vector_size(KV_W * sizeof(float))));
typedef int32_t kvi __attribute__((vector_size(KV_W * sizeof(int32_t))));

static inline kvec kv_load(const float *p) {
    kvec v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void kv_store(float *p, kvec v) { memcpy(p, &v, sizeof v); }
static inline kvec kv_splat(float x) { return (kvec){0} + x; }
static inline kvec kv_select(kvi mask, kvec a, kvec b) {  // mask ? a : b, lane-wise
    return (kvec)(((kvi)a & mask) | ((kvi)b & ~mask));
}
#if defined(__AVX512F__)
static inline kvec kv_max(kvec a, kvec b) { return (kvec)_mm512_max_ps((__m512)a, (__m512)b); }
static inline kvec kv_min(kvec a, kvec b) { return (kvec)_mm512_min_ps((__m512)a, (__m512)b); }
#elif defined(__x86_64__) && defined(__AVX__)
static inline kvec kv_max(kvec a, kvec b) { return (kvec)_mm256_max_ps((__m256)a, (__m256)b); }
static inline kvec kv_min(kvec a, kvec b) { return (kvec)_mm256_min_ps((__m256)a, (__m256)b); }
#else
static inline kvec kv_max(kvec a, kvec b) { return kv_select(a > b, a, b); }
static inline kvec kv_min(kvec a, kvec b) { return kv_select(a < b, a, b); }
#endif
static inline kvec kv_abs(kvec a) { return (kvec)((kvi)a & 0x7FFFFFFF); }
static inline float kv_hsum(kvec v) {
    float s = 0.0f;
    for (int i = 0; i < KV_W; i++) s += v[i];
    return s;
}
static inline float kv_hmax(kvec v) {
    float m = v[0];
    for (int i = 1; i < KV_W; i++) m = v[i] > m ? v[i] : m;
    return m;
}

// exp(x), ~2 ulp: x = n·ln2 + r with n rounded to nearest by the 1.5·2²³ trick and ln2
// split in two (Cody–Waite), e^r by its degree-6 Taylor polynomial on |r| <= ln2/2
// (truncation < 1.2e−7 relative), times 2ⁿ built in the exponent bits. x < −87.3 gives
// exactly 0 (so exp(−∞) = 0: masked scores vanish); x > 88.3 gives exp(88.3) ≈ 2e38, not
// inf (attention and cross-entropy arguments are ≤ 0; σ and GELU only use it as 1/(1+e),
// where that is exact to float); NaN stays NaN.
#define KEXP_LO (-87.3f)
#define KEXP_HI 88.3f
#define KEXP_MAGIC 12582912.0f  // 1.5·2²³
static inline kvec kv_exp(kvec x0) {
    // clamp with x second: max/min return their second operand for NaN, which keeps NaN
    const kvec x = kv_min(kv_splat(KEXP_HI), kv_max(kv_splat(KEXP_LO), x0));
    const kvec z = x * 1.44269504088896341f + KEXP_MAGIC;
    const kvec n = z - KEXP_MAGIC;
    const kvi ni = (kvi)z - 0x4B400000;  // the integer n, from the bits of z
    const kvec r = x - n * 0.693145751953125f - n * 1.428606765330187e-06f;
    kvec p = r * (1.0f / 720) + (1.0f / 120);
    p = p * r + (1.0f / 24);
    p = p * r + (1.0f / 6);
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    return kv_select(x0 < KEXP_LO, kv_splat(0.0f), p * (kvec)((ni + 127) << 23));
}
// The same function for one float (vector tails), so every lane rounds alike.
static inline float k_exp(float x) {
    kvec v = kv_splat(x);
    return kv_exp(v)[0];
}

// 2^x for x <= 0 (the softmax of attention, whose arguments are score − running max):
// n = round(x) by the 1.5·2²³ trick, r = x − n ∈ [−½, ½] exactly, 2^r = e^(r·ln2) by its
// degree-6 Taylor polynomial (truncation < 1.2e−7 relative, as kv_exp), times 2ⁿ built in
// the exponent bits. x is clamped below at −127, where 2ⁿ's exponent field is 0: the
// result is then exactly 0 (so 2^−∞ = 0 and masked scores vanish) — also for
// −127 < x < −126.5, whose true value is a denormal below 1e−38. No upper clamp: valid up
// to x < 127.5 (a softmax argument is ≤ 0 up to rounding). NaN stays NaN. 13 vector ops
// against kv_exp's ~20, and the caller folds log₂e into the scores' scale for free.
#define KEXP2_LO (-127.0f)
static inline kvec kv_exp2_le0(kvec x0) {
    const kvec x = kv_max(kv_splat(KEXP2_LO), x0);  // x second: NaN stays NaN
    const kvec z = x + KEXP_MAGIC;
    const kvec n = z - KEXP_MAGIC;
    const kvi ni = (kvi)z - 0x4B400000;
    const kvec r = x - n;
    kvec p = r * 1.5403530393381606e-04f + 1.3333558146428443e-03f;
    p = p * r + 9.6181291076284772e-03f;
    p = p * r + 5.5504108664821580e-02f;
    p = p * r + 2.4022650695910071e-01f;
    p = p * r + 6.9314718055994531e-01f;
    p = p * r + 1.0f;
    return p * (kvec)((ni + 127) << 23);
}
static inline float k_exp2_le0(float x) { return kv_exp2_le0(kv_splat(x))[0]; }
#define K_LOG2E 1.44269504088896341f
#define K_LN2 0.693147180559945309f

// softplus(x) = max(x, 0) + log1p(e), e = exp(−|x|) ∈ (0, 1], with
// log1p(e) = 2·atanh(u), u = e/(2 + e) ∈ (0, 1/3], by the odd series
// 2·(u + u³/3 + … + u¹³/13) (truncation < 2e−8 relative): no cancellation, so tiny
// softplus values (x ≪ 0) keep full relative precision.
static inline kvec kv_softplus(kvec x) {
    const kvec e = kv_exp(-kv_abs(x));
    const kvec u = e / (e + 2.0f), u2 = u * u;
    kvec s = u2 * (1.0f / 13) + (1.0f / 11);
    s = s * u2 + (1.0f / 9);
    s = s * u2 + (1.0f / 7);
    s = s * u2 + (1.0f / 5);
    s = s * u2 + (1.0f / 3);
    s = s * u2 + 1.0f;
    return kv_max(x, kv_splat(0.0f)) + 2.0f * u * s;
}
// σ(x) = 1/(1 + exp(−x)), the derivative of softplus
static inline kvec kv_sigmoid(kvec x) { return 1.0f / (1.0f + kv_exp(-x)); }
static inline float k_softplus(float x) { return kv_softplus(kv_splat(x))[0]; }
static inline float k_sigmoid(float x) { return kv_sigmoid(kv_splat(x))[0]; }
#endif

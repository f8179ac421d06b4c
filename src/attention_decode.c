// attention_decode.c — one new query per head against a KV cache (generation).
// O(len·(Dk + Dv)) per head, heads in parallel; the scores go to the caller's scratch
// (row h for head h), so a generated token allocates nothing and cannot fail.
#include <math.h>
#include <stddef.h>

#include "kernel_vec.h"
#include "ops.h"

// q·k over n floats: KV_W-lane partial sums, then the lanes, then the tail.
static inline float dot(const float *restrict a, const float *restrict b, int n) {
    kvec acc = kv_splat(0.0f);
    int i = 0;
    for (; i + KV_W <= n; i += KV_W) acc += kv_load(a + i) * kv_load(b + i);
    float s = kv_hsum(acc);
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

// out (H,Dv) = Σ_{s<len} softmax_s(scale·q_h·k_s)·v_s;  q (H,Dk), kcache (H,cap,Dk),
// vcache (H,cap,Dv), scores (H,cap) scratch. len == 0 gives zeros.
void attention_decode(float *out, float *scores, const float *q, const float *kcache,
                      const float *vcache, int H, int len, int cap, int Dk, int Dv, float scale) {
    #pragma omp parallel for schedule(static)
    for (int h = 0; h < H; h++) {
        const float *qh = q + (size_t)h * Dk;
        const float *kh = kcache + (size_t)h * cap * Dk;
        const float *vh = vcache + (size_t)h * cap * Dv;
        float *restrict w = scores + (size_t)h * cap;
        float *restrict o = out + (size_t)h * Dv;
        for (int e = 0; e < Dv; e++) o[e] = 0.0f;
        if (len <= 0) continue;
        float m = -INFINITY;
        for (int s = 0; s < len; s++) {
            w[s] = scale * dot(qh, kh + (size_t)s * Dk, Dk);
            m = w[s] > m ? w[s] : m;
        }
        float sum = 0.0f;
        for (int s = 0; s < len; s++) sum += (w[s] = expf(w[s] - m));
        const float inv = 1.0f / sum;
        for (int s = 0; s < len; s++) {
            const float p = w[s] * inv;
            const float *restrict vs = vh + (size_t)s * Dv;
            for (int e = 0; e < Dv; e++) o[e] += p * vs[e];
        }
    }
}

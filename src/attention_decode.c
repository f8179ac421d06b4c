// attention_decode.c — one new query per head against a KV cache (generation).
#include <math.h>
#include <stdlib.h>

#include "ops.h"

// out (H,Dv) = softmax_s<len(scale·q_h·k_s)·v_s;  q (H,Dk), kcache (H,cap,Dk), vcache (H,cap,Dv)
void attention_decode(float *out, const float *q, const float *kcache, const float *vcache,
                      int H, int len, int cap, int Dk, int Dv, float scale) {
    #pragma omp parallel
    {
        float *w = malloc(sizeof(float) * (len > 0 ? len : 1));
        #pragma omp for schedule(static)
        for (int h = 0; h < H; h++) {
            const float *restrict qh = q + (size_t)h * Dk;
            const float *restrict kh = kcache + (size_t)h * cap * Dk;
            const float *restrict vh = vcache + (size_t)h * cap * Dv;
            float *restrict o = out + (size_t)h * Dv;
            float m = -INFINITY;
            for (int s = 0; s < len; s++) {
                float dot = 0.0f;
                for (int d = 0; d < Dk; d++) dot += qh[d] * kh[(size_t)s * Dk + d];
                w[s] = scale * dot;
                m = w[s] > m ? w[s] : m;
            }
            float sum = 0.0f;
            for (int s = 0; s < len; s++) sum += (w[s] = expf(w[s] - m));
            const float inv = len > 0 ? 1.0f / sum : 0.0f;
            for (int e = 0; e < Dv; e++) o[e] = 0.0f;
            for (int s = 0; s < len; s++) {
                const float p = w[s] * inv;
                for (int e = 0; e < Dv; e++) o[e] += p * vh[(size_t)s * Dv + e];
            }
        }
        free(w);
    }
}

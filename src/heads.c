// heads.c — (B,T,C) strided rows <-> head-major (B,H,T,D), and their backwards.
#include <string.h>

#include "ops.h"

// out (B,H,T,D)[b,h,t,:] = inp[(b·T + t)·stride + h·D + :]
void heads_split(float *out, const float *inp, int B, int T, int H, int D, int stride) {
    #pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            for (int t = 0; t < T; t++)
                memcpy(out + (((size_t)b * H + h) * T + t) * D,
                       inp + ((size_t)b * T + t) * stride + (size_t)h * D, (size_t)D * sizeof(float));
}

// out[(b·T + t)·stride + h·D + :] = inp (B,H,T,D)[b,h,t,:]   (other columns untouched)
void heads_merge(float *out, const float *inp, int B, int T, int H, int D, int stride) {
    #pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            for (int h = 0; h < H; h++)
                memcpy(out + ((size_t)b * T + t) * stride + (size_t)h * D,
                       inp + (((size_t)b * H + h) * T + t) * D, (size_t)D * sizeof(float));
}

// dinp (strided) += dout (B,H,T,D) permuted
void heads_split_backward(float *dinp, const float *dout, int B, int T, int H, int D, int stride) {
    #pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            for (int h = 0; h < H; h++) {
                float *restrict di = dinp + ((size_t)b * T + t) * stride + (size_t)h * D;
                const float *restrict d = dout + (((size_t)b * H + h) * T + t) * D;
                for (int i = 0; i < D; i++) di[i] += d[i];
            }
}

// dinp (B,H,T,D) += dout (strided) permuted
void heads_merge_backward(float *dinp, const float *dout, int B, int T, int H, int D, int stride) {
    #pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            for (int t = 0; t < T; t++) {
                float *restrict di = dinp + (((size_t)b * H + h) * T + t) * D;
                const float *restrict d = dout + ((size_t)b * T + t) * stride + (size_t)h * D;
                for (int i = 0; i < D; i++) di[i] += d[i];
            }
}

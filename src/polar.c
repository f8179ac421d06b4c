// polar.c — Polar PoPE: q̃ and k̃ of arXiv 2509.10534, so that q̃_t·k̃_s equals
//   Σ_c softplus(q_c)·softplus(k_c)·cos((s−t)·θ_c + δ_c),  θ_c = base^(−c/D), c = 0..D−1.
// q̃_t = [μq·cos(tθ), μq·sin(tθ)],  k̃_s = [μk·cos(sθ+δ), μk·sin(sθ+δ)]  (2D wide: D cos
// parts then D sin parts); δ (H,D) used clamped to [−2π, 0].
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_trig.h"
#include "kernel_vec.h"
#include "ops.h"

// The clamp bounds as float, as torch.clamp(delta, -2*math.pi, 0) rounds them.
#define DELTA_LO ((float)(-2.0 * M_PI))
#define DELTA_HI 0.0f

// softplus(x) = log(1 + eˣ) = max(x, 0) + log1p(e^−|x|), stable for any x, and its
// derivative σ(x), vectorised (kernel_vec.h). mu[c] = softplus(x[c]) for c < D.
static inline void softplus_row(float *restrict mu, const float *restrict x, int D) {
    int c = 0;
    for (; c + KV_W <= D; c += KV_W) kv_store(mu + c, kv_softplus(kv_load(x + c)));
    for (; c < D; c++) mu[c] = k_softplus(x[c]);
}
static inline void sigmoid_row(float *restrict sg, const float *restrict x, int D) {
    int c = 0;
    for (; c + KV_W <= D; c += KV_W) kv_store(sg + c, kv_sigmoid(kv_load(x + c)));
    for (; c < D; c++) sg[c] = k_sigmoid(x[c]);
}

static inline float delta_clamped(float d) { return fminf(fmaxf(d, DELTA_LO), DELTA_HI); }

// qt (B,H,T,2D) from q (B,H,T,D)
void polar_q_forward(float *qt, const float *q, int B, int H, int T, int D, float base, int pos0) {
    double theta[D];
    kernel_thetas(theta, D, 1, D, base);
    #pragma omp parallel
    {
        float cf[D], sf[D], mu[D];
        #pragma omp for schedule(static)
        for (int t = 0; t < T; t++) {
            kernel_sincos_row_f(cf, sf, theta, D, (long)pos0 + t);
            for (int bh = 0; bh < B * H; bh++) {
                const size_t row = (size_t)bh * T + t;
                float *restrict o = qt + row * 2 * D;
                softplus_row(mu, q + row * D, D);
                for (int c = 0; c < D; c++) {
                    o[c] = mu[c] * cf[c];
                    o[D + c] = mu[c] * sf[c];
                }
            }
        }
    }
}

// dq (B,H,T,D) += σ(q) · (dq̃_cos·cos(tθ) + dq̃_sin·sin(tθ))
void polar_q_backward(float *dq, const float *dqt, const float *q, int B, int H, int T, int D,
                      float base, int pos0) {
    double theta[D];
    kernel_thetas(theta, D, 1, D, base);
    #pragma omp parallel
    {
        float cf[D], sf[D], sg[D];
        #pragma omp for schedule(static)
        for (int t = 0; t < T; t++) {
            kernel_sincos_row_f(cf, sf, theta, D, (long)pos0 + t);
            for (int bh = 0; bh < B * H; bh++) {
                const size_t row = (size_t)bh * T + t;
                const float *restrict g = dqt + row * 2 * D;
                float *restrict o = dq + row * D;
                sigmoid_row(sg, q + row * D, D);
                for (int c = 0; c < D; c++) o[c] += sg[c] * (g[c] * cf[c] + g[D + c] * sf[c]);
            }
        }
    }
}

// cos/sin of (pos·θ_c + δ_hc) for all heads h: (H, D) each, by the angle-addition
// formula in double from one sincos of pos·θ per c.
static void k_angles(float *cf, float *sf, const double *cs, const double *sn,
                     const double *cd, const double *sd, int H, int D) {
    for (int h = 0; h < H; h++)
        for (int c = 0; c < D; c++) {
            const int i = h * D + c;
            cf[i] = (float)(cs[c] * cd[i] - sn[c] * sd[i]);
            sf[i] = (float)(sn[c] * cd[i] + cs[c] * sd[i]);
        }
}

static void delta_sincos(double *cd, double *sd, const float *delta, int H, int D) {
    for (int i = 0; i < H * D; i++) {
        const double d = delta_clamped(delta[i]);
        cd[i] = cos(d);
        sd[i] = sin(d);
    }
}

// kt (B,H,T,2D) from k (B,H,T,D) and delta (H,D)
void polar_k_forward(float *kt, const float *k, const float *delta, int B, int H, int T, int D,
                     float base, int pos0) {
    double theta[D];
    kernel_thetas(theta, D, 1, D, base);
    double cd[H * D], sd[H * D];  // (H·D = C values: small enough for the stack)
    delta_sincos(cd, sd, delta, H, D);
    #pragma omp parallel
    {
        double cs[D], sn[D];
        float mu[D], cf[H * D], sf[H * D];
        #pragma omp for schedule(static)
        for (int t = 0; t < T; t++) {
            kernel_sincos_row(cs, sn, theta, D, (long)pos0 + t);
            k_angles(cf, sf, cs, sn, cd, sd, H, D);
            for (int b = 0; b < B; b++)
                for (int h = 0; h < H; h++) {
                    const size_t row = ((size_t)b * H + h) * T + t;
                    float *restrict o = kt + row * 2 * D;
                    const float *restrict ch = cf + h * D, *restrict sh = sf + h * D;
                    softplus_row(mu, k + row * D, D);
                    for (int c = 0; c < D; c++) {
                        o[c] = mu[c] * ch[c];
                        o[D + c] = mu[c] * sh[c];
                    }
                }
        }
    }
}

// dk (B,H,T,D) += σ(k)·(dk̃_cos·cos a + dk̃_sin·sin a), a = sθ + δ;
// ddelta (H,D) += Σ_{b,s} μk·(−dk̃_cos·sin a + dk̃_sin·cos a) where −2π ≤ δ ≤ 0.
// ddelta is summed in double per fixed block of positions, then the blocks in order,
// so the result does not depend on the number of threads.
void polar_k_backward(float *dk, float *ddelta, const float *dkt, const float *k,
                      const float *delta, int B, int H, int T, int D, float base, int pos0) {
    int tblock = 64, nblocks = (T + tblock - 1) / tblock;
    double theta[D];
    kernel_thetas(theta, D, 1, D, base);
    double cd[H * D], sd[H * D], one_block[H * D];
    delta_sincos(cd, sd, delta, H, D);
    double *heap = ddelta ? calloc((size_t)nblocks * H * D, sizeof(double)) : NULL;
    double *partial = heap;
    if (ddelta && !heap) {  // out of memory: one block, serial, on the stack
        tblock = T > 0 ? T : 1, nblocks = 1;
        for (int i = 0; i < H * D; i++) one_block[i] = 0.0;
        partial = one_block;
    }
    #pragma omp parallel
    {
        double cs[D], sn[D];
        float mu[D], sg[D], cf[H * D], sf[H * D];
        #pragma omp for schedule(static)
        for (int blk = 0; blk < nblocks; blk++) {
            double *restrict part = partial ? partial + (size_t)blk * H * D : NULL;
            const int t1 = (blk + 1) * tblock < T ? (blk + 1) * tblock : T;
            for (int t = blk * tblock; t < t1; t++) {
                kernel_sincos_row(cs, sn, theta, D, (long)pos0 + t);
                k_angles(cf, sf, cs, sn, cd, sd, H, D);
                for (int b = 0; b < B; b++)
                    for (int h = 0; h < H; h++) {
                        const size_t row = ((size_t)b * H + h) * T + t;
                        const float *restrict g = dkt + row * 2 * D;
                        const float *restrict ch = cf + h * D, *restrict sh = sf + h * D;
                        if (dk) {
                            float *restrict o = dk + row * D;
                            sigmoid_row(sg, k + row * D, D);
                            for (int c = 0; c < D; c++) o[c] += sg[c] * (g[c] * ch[c] + g[D + c] * sh[c]);
                        }
                        if (part) {
                            softplus_row(mu, k + row * D, D);
                            for (int c = 0; c < D; c++)
                                part[h * D + c] += mu[c] * (g[D + c] * ch[c] - g[c] * sh[c]);
                        }
                    }
            }
        }
    }
    if (partial) {
        for (int i = 0; i < H * D; i++) {
            if (!(delta[i] >= DELTA_LO && delta[i] <= DELTA_HI)) continue;  // clamped: no gradient
            double s = 0.0;
            for (int blk = 0; blk < nblocks; blk++) s += partial[(size_t)blk * H * D + i];
            ddelta[i] += (float)s;
        }
    }
    free(heap);
}

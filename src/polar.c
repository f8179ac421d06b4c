// polar.c — Polar PoPE: q̃ and k̃ of arXiv 2509.10534, so that q̃_t·k̃_s equals
//   Σ_c softplus(q_c)·softplus(k_c)·cos((s−t)·θ_c + δ_c),  θ_c = base^(−c/D), c = 0..D−1.
// q̃_t = [μq·cos(tθ), μq·sin(tθ)],  k̃_s = [μk·cos(sθ+δ), μk·sin(sθ+δ)]  (2D wide: D cos
// parts then D sin parts); δ (H,D) from its stored parameters: clamped to [−2π, 0] (the
// paper) or −2π·sigmoid (no dead zone), polar_delta.
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

double polar_delta(float p, pope_delta_param param) {
    if (param == POPE_DELTA_SIGMOID) return -2.0 * M_PI / (1.0 + exp(-(double)p));
    return fminf(fmaxf(p, DELTA_LO), DELTA_HI);   // in float, as torch.clamp
}

double polar_delta_slope(float p, pope_delta_param param) {
    if (param == POPE_DELTA_SIGMOID) {   // σ(1−σ) = e^−|p| / (1 + e^−|p|)², stable for any p
        const double e = exp(-fabs((double)p));
        return -2.0 * M_PI * e / ((1.0 + e) * (1.0 + e));
    }
    return p >= DELTA_LO && p <= DELTA_HI ? 1.0 : 0.0;
}

// One row of either side, given its angles' cos/sin (ca, sa: D each); mu is D floats of
// scratch. Forward: o (2D) = [softplus(x)·ca, softplus(x)·sa]. Backward:
// dx (D) += σ(x)·(g_cos·ca + g_sin·sa), g (2D) the gradient of the row of q̃ or k̃.
static inline void row_forward(float *restrict o, const float *restrict x, const float *restrict ca,
                               const float *restrict sa, float *restrict mu, int D) {
    softplus_row(mu, x, D);
    for (int c = 0; c < D; c++) {
        o[c] = mu[c] * ca[c];
        o[D + c] = mu[c] * sa[c];
    }
}
static inline void row_backward(float *restrict dx, const float *restrict g, const float *restrict x,
                                const float *restrict ca, const float *restrict sa,
                                float *restrict sg, int D) {
    sigmoid_row(sg, x, D);
    for (int c = 0; c < D; c++) dx[c] += sg[c] * (g[c] * ca[c] + g[D + c] * sa[c]);
}

// Positions in blocks of TBLK (kernel_trig.h); threads split the blocks.
enum { TBLK = TRIG_BLOCK };
static inline int imin(int a, int b) { return a < b ? a : b; }

// The q side, both directions, one block walk:
//   forward (dqt == NULL):  out = qt (B,H,T,2D) = [μ·cos(tθ), μ·sin(tθ)],  μ = softplus(q)
//   backward:               out = dq (B,H,T,D) += σ(q)·(dq̃_cos·cos(tθ) + dq̃_sin·sin(tθ))
static void polar_q_apply(float *out, const float *dqt, const float *q, int B, int H, int T, int D,
                          float base, int pos0) {
    double theta[D];
    kernel_thetas(theta, D, 1, D, base);
    const int nblk = (T + TBLK - 1) / TBLK;
    #pragma omp parallel
    {
        float cf[TBLK * D], sf[TBLK * D], w[D];
        #pragma omp for schedule(static)
        for (int blk = 0; blk < nblk; blk++) {
            const int t0 = blk * TBLK, nt = imin(TBLK, T - t0);
            kernel_sincos_block_f(cf, sf, theta, D, (long)pos0 + t0, nt);
            for (int bh = 0; bh < B * H; bh++)
                for (int j = 0; j < nt; j++) {
                    const size_t row = (size_t)bh * T + t0 + j;
                    const float *c_ = cf + j * D, *s_ = sf + j * D;
                    if (!dqt) row_forward(out + row * 2 * D, q + row * D, c_, s_, w, D);
                    else row_backward(out + row * D, dqt + row * 2 * D, q + row * D, c_, s_, w, D);
                }
        }
    }
}

// qt (B,H,T,2D) from q (B,H,T,D)
void polar_q_forward(float *qt, const float *q, int B, int H, int T, int D, float base, int pos0) {
    polar_q_apply(qt, NULL, q, B, H, T, D, base, pos0);
}

// dq (B,H,T,D) += σ(q) · (dq̃_cos·cos(tθ) + dq̃_sin·sin(tθ))
void polar_q_backward(float *dq, const float *dqt, const float *q, int B, int H, int T, int D,
                      float base, int pos0) {
    polar_q_apply(dq, dqt, q, B, H, T, D, base, pos0);
}

// cos/sin of (pos·θ_c + δ_hc) of head h for the nt positions of a block: (nt, D) each,
// by the angle-addition formula in double from the block's cos/sin of pos·θ (cs, sn:
// (nt, D)) and δ's (cd, sd: (H, D)).
static void k_angles(float *cf, float *sf, const double *cs, const double *sn,
                     const double *cd, const double *sd, int h, int nt, int D) {
    for (int j = 0; j < nt; j++)
        for (int c = 0; c < D; c++) {
            const int i = h * D + c, a = j * D + c;
            cf[a] = (float)(cs[a] * cd[i] - sn[a] * sd[i]);
            sf[a] = (float)(sn[a] * cd[i] + cs[a] * sd[i]);
        }
}

static void delta_sincos(double *cd, double *sd, const float *delta, pope_delta_param param, int H, int D) {
    for (int i = 0; i < H * D; i++) {
        const double d = polar_delta(delta[i], param);
        cd[i] = cos(d);
        sd[i] = sin(d);
    }
}

// The k side, both directions, one block walk (cd, sd: cos/sin of δ as used, (H, D)):
//   forward (dkt == NULL):  kt (B,H,T,2D) = [μ·cos a, μ·sin a],  μ = softplus(k), a = sθ + δ
//   backward:  dk (B,H,T,D) += σ(k)·(dk̃_cos·cos a + dk̃_sin·sin a)       (dk may be NULL)
//              partial[blk] (H,D) += Σ_{b, s in blk} μ·(dk̃_sin·cos a − dk̃_cos·sin a)
//              (partial may be NULL; serial: one partial sum, the blocks in order on one thread)
static void polar_k_walk(float *kt, float *dk, double *partial, int serial, const float *dkt,
                         const float *k, const double *cd, const double *sd, int B, int H, int T,
                         int D, float base, int pos0) {
    double theta[D];
    kernel_thetas(theta, D, 1, D, base);
    const int nblk = (T + TBLK - 1) / TBLK;
    #pragma omp parallel if (!serial)
    {
        double cs[TBLK * D], sn[TBLK * D];
        float mu[D], sg[D], cf[TBLK * D], sf[TBLK * D];
        #pragma omp for schedule(static)
        for (int blk = 0; blk < nblk; blk++) {
            double *restrict part = partial ? partial + (serial ? 0 : (size_t)blk * H * D) : NULL;
            const int t0 = blk * TBLK, nt = imin(TBLK, T - t0);
            kernel_sincos_block(cs, sn, theta, D, (long)pos0 + t0, nt);
            for (int h = 0; h < H; h++) {
                k_angles(cf, sf, cs, sn, cd, sd, h, nt, D);
                for (int b = 0; b < B; b++)
                    for (int j = 0; j < nt; j++) {
                        const size_t row = ((size_t)b * H + h) * T + t0 + j;
                        const float *restrict ch = cf + j * D, *restrict sh = sf + j * D;
                        if (!dkt) {
                            row_forward(kt + row * 2 * D, k + row * D, ch, sh, mu, D);
                            continue;
                        }
                        const float *restrict g = dkt + row * 2 * D;
                        if (dk) row_backward(dk + row * D, g, k + row * D, ch, sh, sg, D);
                        if (part) {
                            softplus_row(mu, k + row * D, D);
                            for (int c = 0; c < D; c++)
                                part[h * D + c] += mu[c] * (g[D + c] * ch[c] - g[c] * sh[c]);
                        }
                    }
            }
        }
    }
}

// kt (B,H,T,2D) from k (B,H,T,D) and delta (H,D)
void polar_k_forward(float *kt, const float *k, const float *delta, pope_delta_param param, int B, int H,
                     int T, int D, float base, int pos0) {
    double cd[H * D], sd[H * D];  // (H·D = C values: small enough for the stack)
    delta_sincos(cd, sd, delta, param, H, D);
    polar_k_walk(kt, NULL, NULL, 0, NULL, k, cd, sd, B, H, T, D, base, pos0);
}

// dk (B,H,T,D) += σ(k)·(dk̃_cos·cos a + dk̃_sin·sin a), a = sθ + δ;
// ddelta (H,D) += dδ/dp · Σ_{b,s} μk·(−dk̃_cos·sin a + dk̃_sin·cos a) (clamp: where −2π ≤ δ ≤ 0).
// ddelta is summed in double per block of TBLK positions, then the blocks in order, so
// the result does not depend on the number of threads.
void polar_k_backward(float *dk, float *ddelta, const float *dkt, const float *k, const float *delta,
                      pope_delta_param param, int B, int H, int T, int D, float base, int pos0) {
    const int nblocks = (T + TBLK - 1) / TBLK;
    double cd[H * D], sd[H * D], one_sum[H * D];
    delta_sincos(cd, sd, delta, param, H, D);
    double *heap = ddelta ? calloc((size_t)nblocks * H * D, sizeof(double)) : NULL;
    double *partial = heap;
    int serial = 0;
    if (ddelta && !heap) {  // out of memory: one partial sum, the blocks in order on one thread
        for (int i = 0; i < H * D; i++) one_sum[i] = 0.0;
        partial = one_sum;
        serial = 1;
    }
    polar_k_walk(NULL, dk, partial, serial, dkt, k, cd, sd, B, H, T, D, base, pos0);
    if (partial) {
        const int np = serial ? 1 : nblocks;
        for (int i = 0; i < H * D; i++) {
            const double slope = polar_delta_slope(delta[i], param);
            if (slope == 0.0) continue;  // clamped (the dead zone): no gradient
            double s = 0.0;
            for (int blk = 0; blk < np; blk++) s += partial[(size_t)blk * H * D + i];
            ddelta[i] += (float)(s * slope);
        }
    }
    free(heap);
}

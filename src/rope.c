// rope.c — rotary position embedding on head-major q or k.
#include <stdlib.h>

#include "kernel_trig.h"
#include "ops.h"

// Rotates pair (2c, 2c+1) by sign·(pos0+t)·θ_c, θ_c = base^(−2c/D); sign −1 is the
// transpose (backward). accumulate: out += rotated, else out = rotated. An odd last
// element (odd D) passes through unrotated. Positions go in blocks of TBLK (kernel_trig.h);
// threads split the blocks.
enum { TBLK = TRIG_BLOCK };
static void rope_apply(float *out, const float *inp, int B, int H, int T, int D, float base,
                       int pos0, double sign, int accumulate) {
    const int P = D / 2, W = P > 0 ? P : 1;
    double theta[W];
    kernel_thetas(theta, P, 2, D, base);
    const int nblk = (T + TBLK - 1) / TBLK;
    #pragma omp parallel
    {
        float cft[TBLK * W], sft[TBLK * W];
        #pragma omp for schedule(static)
        for (int blk = 0; blk < nblk; blk++) {
            const int t0 = blk * TBLK, nt = T - t0 < TBLK ? T - t0 : TBLK;
            kernel_sincos_block_f(cft, sft, theta, P, (long)pos0 + t0, nt);  // row stride P = W when P > 0
            if (sign < 0)  // the transpose: sin(−a) = −sin(a), exact in float
                for (int i = 0; i < nt * P; i++) sft[i] = -sft[i];
            for (int bh = 0; bh < B * H; bh++)
                for (int j = 0; j < nt; j++) {
                    const size_t off = ((size_t)bh * T + t0 + j) * D;
                    const float *x = inp + off;  // no restrict: in place is allowed
                    float *o = out + off;
                    const float *cf = cft + j * W, *sf = sft + j * W;
                    for (int c = 0; c < P; c++) {
                        const float x0 = x[2 * c], x1 = x[2 * c + 1];
                        const float y0 = x0 * cf[c] - x1 * sf[c], y1 = x0 * sf[c] + x1 * cf[c];
                        if (accumulate) {
                            o[2 * c] += y0;
                            o[2 * c + 1] += y1;
                        } else {
                            o[2 * c] = y0;
                            o[2 * c + 1] = y1;
                        }
                    }
                    if (D & 1) o[D - 1] = accumulate ? o[D - 1] + x[D - 1] : x[D - 1];
                }
        }
    }
}

// out (B,H,T,D) = R(pos) · inp
void rope_forward(float *out, const float *inp, int B, int H, int T, int D, float base, int pos0) {
    rope_apply(out, inp, B, H, T, D, base, pos0, 1.0, 0);
}

// dinp (B,H,T,D) += R(pos)ᵀ · dout
void rope_backward(float *dinp, const float *dout, int B, int H, int T, int D, float base, int pos0) {
    rope_apply(dinp, dout, B, H, T, D, base, pos0, -1.0, 1);
}

// attention_ref.c — the plain reference attention: materialises the (T,T) probability
// matrix of each head and accumulates in double. O(T²) memory and time: tests only.
// The backward recomputes everything from q, k, v (it ignores out and lse), so that it
// checks the fast kernel's use of them instead of sharing its shortcuts.
#include <math.h>
#include <stdlib.h>

#include "kernel_hash.h"
#include "ops.h"

// P (T,T) of one head: row t = softmax_{s≤t}(scale·q_t·k_s), zero above the diagonal;
// lse (T) = log Σ_{s≤t} exp(scale·q_t·k_s).
static void ref_probs(double *P, double *lse, const float *q, const float *k, int T, int Dk,
                      float scale) {
    for (int t = 0; t < T; t++) {
        double *row = P + (size_t)t * T, m = -INFINITY, sum = 0.0;
        for (int s = 0; s <= t; s++) {
            double dot = 0.0;
            for (int d = 0; d < Dk; d++) dot += (double)q[(size_t)t * Dk + d] * k[(size_t)s * Dk + d];
            row[s] = (double)scale * dot;
            if (row[s] > m) m = row[s];
        }
        for (int s = 0; s <= t; s++) sum += exp(row[s] - m);
        for (int s = 0; s <= t; s++) row[s] = exp(row[s] - m) / sum;
        for (int s = t + 1; s < T; s++) row[s] = 0.0;
        lse[t] = m + log(sum);
    }
}

// The dropout factor of p[t][s] in head bh: keep/(1−p) (1 when p == 0).
static double ref_drop(int bh, int T, int t, int s, float p, uint64_t seed) {
    if (p <= 0.0f) return 1.0;
    const uint64_t index = ((uint64_t)bh * T + t) * (uint64_t)T + s;
    return kernel_dropout_keep(seed, index, p) ? 1.0 / (1.0 - (double)p) : 0.0;
}

void attention_forward_ref(float *out, float *lse, const float *q, const float *k, const float *v,
                           int B, int H, int T, int Dk, int Dv, float scale,
                           float dropout_p, uint64_t dropout_seed) {
    double *P = malloc(sizeof(double) * ((size_t)T * T + T));
    double *acc = malloc(sizeof(double) * Dv);
    if (!P || !acc) {
        free(P);
        free(acc);
        return;
    }
    double *L = P + (size_t)T * T;
    for (int bh = 0; bh < B * H; bh++) {
        const float *qh = q + (size_t)bh * T * Dk, *kh = k + (size_t)bh * T * Dk;
        const float *vh = v + (size_t)bh * T * Dv;
        ref_probs(P, L, qh, kh, T, Dk, scale);
        for (int t = 0; t < T; t++) {
            for (int e = 0; e < Dv; e++) acc[e] = 0.0;
            for (int s = 0; s <= t; s++) {
                const double p = P[(size_t)t * T + s] * ref_drop(bh, T, t, s, dropout_p, dropout_seed);
                for (int e = 0; e < Dv; e++) acc[e] += p * vh[(size_t)s * Dv + e];
            }
            for (int e = 0; e < Dv; e++) out[((size_t)bh * T + t) * Dv + e] = (float)acc[e];
            if (lse) lse[(size_t)bh * T + t] = (float)L[t];
        }
    }
    free(P);
    free(acc);
}

// With P the probabilities, M = dropout factors, Pd = P⊙M:
//   dv_s += Σ_t Pd[t,s]·dout_t;  dPd[t,s] = dout_t·v_s;  dP = dPd⊙M;
//   dS[t,s] = P[t,s]·(dP[t,s] − Σ_s' P[t,s']·dP[t,s']);
//   dq_t += scale·Σ_s dS[t,s]·k_s;  dk_s += scale·Σ_t dS[t,s]·q_t.
void attention_backward_ref(float *dq, float *dk, float *dv, const float *dout, const float *out,
                            const float *lse, const float *q, const float *k, const float *v,
                            int B, int H, int T, int Dk, int Dv, float scale,
                            float dropout_p, uint64_t dropout_seed) {
    (void)out;
    (void)lse;
    double *P = malloc(sizeof(double) * ((size_t)2 * T * T + T));
    if (!P) return;
    double *dS = P + (size_t)T * T, *L = dS + (size_t)T * T;
    for (int bh = 0; bh < B * H; bh++) {
        const size_t ok = (size_t)bh * T * Dk, ov = (size_t)bh * T * Dv;
        ref_probs(P, L, q + ok, k + ok, T, Dk, scale);
        for (int t = 0; t < T; t++) {
            const float *g = dout + ov + (size_t)t * Dv;
            double rowdot = 0.0;
            for (int s = 0; s <= t; s++) {
                const double m = ref_drop(bh, T, t, s, dropout_p, dropout_seed);
                const double p = P[(size_t)t * T + s];
                double dpd = 0.0;
                for (int e = 0; e < Dv; e++) dpd += (double)g[e] * v[ov + (size_t)s * Dv + e];
                if (dv)
                    for (int e = 0; e < Dv; e++) dv[ov + (size_t)s * Dv + e] += (float)(p * m * g[e]);
                dS[(size_t)t * T + s] = dpd * m;  // dP for now
                rowdot += p * dpd * m;
            }
            for (int s = 0; s <= t; s++)
                dS[(size_t)t * T + s] = P[(size_t)t * T + s] * (dS[(size_t)t * T + s] - rowdot);
        }
        for (int t = 0; t < T; t++)
            for (int s = 0; s <= t; s++) {
                const double ds = (double)scale * dS[(size_t)t * T + s];
                if (dq)
                    for (int d = 0; d < Dk; d++) dq[ok + (size_t)t * Dk + d] += (float)(ds * k[ok + (size_t)s * Dk + d]);
                if (dk)
                    for (int d = 0; d < Dk; d++) dk[ok + (size_t)s * Dk + d] += (float)(ds * q[ok + (size_t)t * Dk + d]);
            }
    }
    free(P);
}

// test_attention.c — the flash attention kernel against the materialising reference
// (forward out and lse, backward dq dk dv), and attention_decode against the last
// row of the reference.
//
// Tolerance: |fast − ref| <= 2e-5·max|ref| + 1e-4·|ref| per element. The reference
// accumulates in double; the flash kernel in float over ≤ 64-wide tiles with an online
// rescaling, so its error is a few float ulps times √T-ish growth: ~1e-6 relative here.
// A wrong mask, a missed rescale or a dropped tile gives errors of order 1e-2 and more.
#include <math.h>

#include "ops.h"
#include "test_ops_util.h"

static double max_abs(const float *x, size_t n) {
    double m = 0.0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(x[i]));
    return m;
}

// All elements within tolerance; reports the first bad one only (one CHECK per array).
static void compare(const char *what, const float *got, const float *want, size_t n) {
    const double atol = 2e-5 * max_abs(want, n) + 1e-7, rtol = 1e-4;
    size_t bad = n;
    for (size_t i = 0; i < n && bad == n; i++)
        if (!(fabs((double)got[i] - want[i]) <= atol + rtol * fabs(want[i]))) bad = i;
    CHECK(bad == n, "%s: element %zu of %zu: got %.9g, want %.9g", what, bad, n,
          bad < n ? got[bad] : 0.0, bad < n ? want[bad] : 0.0);
}

static void fast_vs_ref_amp(int B, int H, int T, int Dk, int Dv, float p, float amp) {
    const size_t nk = (size_t)B * H * T * Dk, nv = (size_t)B * H * T * Dv, nl = (size_t)B * H * T;
    const float scale = 1.0f / sqrtf((float)(Dk == Dv ? Dk : Dv));
    const uint64_t seed = 1234;
    // Scores of size ~±6: peaked softmaxes, where a wrong running max would show.
    float *q = tu_rand(nk, -amp, amp), *k = tu_rand(nk, -1.5f, 1.5f), *v = tu_rand(nv, -1, 1);
    float *out = tu_fill(nv, 0), *lse = tu_fill(nl, 0), *out_r = tu_fill(nv, 0), *lse_r = tu_fill(nl, 0);
    attention_forward(out, lse, q, k, v, B, H, T, Dk, Dv, scale, p, seed);
    attention_forward_ref(out_r, lse_r, q, k, v, B, H, T, Dk, Dv, scale, p, seed);
    char what[96];
    snprintf(what, sizeof what, "B%d H%d T%d Dk%d Dv%d p%.2f amp%g", B, H, T, Dk, Dv, p, amp);
    char w2[128];
    snprintf(w2, sizeof w2, "%s out", what), compare(w2, out, out_r, nv);
    snprintf(w2, sizeof w2, "%s lse", what), compare(w2, lse, lse_r, nl);

    float *dout = tu_rand(nv, -1, 1);
    float *dq = tu_fill(nk, 0.25f), *dk = tu_fill(nk, 0.25f), *dv = tu_fill(nv, 0.25f);
    float *dq_r = tu_fill(nk, 0.25f), *dk_r = tu_fill(nk, 0.25f), *dv_r = tu_fill(nv, 0.25f);
    attention_backward(dq, dk, dv, dout, out, lse, q, k, v, B, H, T, Dk, Dv, scale, p, seed);
    attention_backward_ref(dq_r, dk_r, dv_r, dout, out_r, lse_r, q, k, v, B, H, T, Dk, Dv, scale, p, seed);
    snprintf(w2, sizeof w2, "%s dq", what), compare(w2, dq, dq_r, nk);
    snprintf(w2, sizeof w2, "%s dk", what), compare(w2, dk, dk_r, nk);
    snprintf(w2, sizeof w2, "%s dv", what), compare(w2, dv, dv_r, nv);

    // Gradient outputs passed as NULL are skipped, the others unchanged.
    float *dq2 = tu_fill(nk, 0.25f);
    attention_backward(dq2, NULL, NULL, dout, out, lse, q, k, v, B, H, T, Dk, Dv, scale, p, seed);
    snprintf(w2, sizeof w2, "%s dq (dk, dv NULL)", what), compare(w2, dq2, dq, nk);

    free(q), free(k), free(v), free(out), free(lse), free(out_r), free(lse_r), free(dout);
    free(dq), free(dk), free(dv), free(dq_r), free(dk_r), free(dv_r), free(dq2);
}

static void fast_vs_ref(int B, int H, int T, int Dk, int Dv, float p) {
    fast_vs_ref_amp(B, H, T, Dk, Dv, p, 1.5f);
}

// A NaN in one query gives NaN in that row's output (never a silent finite value), and
// the other rows stay finite.
static void nan_propagates(void) {
    const int T = 70, D = 8;
    float *q = tu_rand(T * D, -1, 1), *k = tu_rand(T * D, -1, 1), *v = tu_rand(T * D, -1, 1);
    float *out = tu_fill(T * D, 0), *lse = tu_fill(T, 0);
    q[66 * D + 3] = NAN;
    attention_forward(out, lse, q, k, v, 1, 1, T, D, D, 0.35f, 0.0f, 0);
    CHECK(isnan(out[66 * D]) && isnan(lse[66]), "NaN query gave out %g lse %g", out[66 * D], lse[66]);
    CHECK(isfinite(out[65 * D]) && isfinite(out[67 * D]), "NaN leaked to other rows");
    free(q), free(k), free(v), free(out), free(lse);
}

// Dropout really drops: outputs with p = 0.5 differ from p = 0, and row 0 (a single
// key, p = 1 before dropout) is either 0 or 2·v_0.
static void dropout_applies(void) {
    const int T = 40, D = 8;
    float *q = tu_rand(T * D, -1, 1), *k = tu_rand(T * D, -1, 1), *v = tu_rand(T * D, -1, 1);
    float *o0 = tu_fill(T * D, 0), *o1 = tu_fill(T * D, 0), *lse = tu_fill(T, 0);
    attention_forward(o0, lse, q, k, v, 1, 1, T, D, D, 0.35f, 0.0f, 9);
    attention_forward(o1, lse, q, k, v, 1, 1, T, D, D, 0.35f, 0.5f, 9);
    int differ = 0;
    for (int i = 0; i < T * D; i++) differ += fabsf(o0[i] - o1[i]) > 1e-4f;
    CHECK(differ > T * D / 4, "dropout changed only %d of %d outputs", differ, T * D);
    const int keep = dropout_keep(9, 0, 0.5f);
    for (int e = 0; e < D; e++) CHECK_NEAR(o1[e], keep ? 2.0 * v[e] : 0.0, 1e-5, 1e-5, "row 0 with dropout");
    free(q), free(k), free(v), free(o0), free(o1), free(lse);
}

// attention_decode (one query over a cache with capacity > len) equals the last row of
// the reference forward over the same len positions.
static void decode_vs_ref(int H, int len, int cap, int Dk, int Dv) {
    const float scale = 1.0f / sqrtf((float)Dv);
    float *q = tu_rand((size_t)H * len * Dk, -1.5f, 1.5f), *k = tu_rand((size_t)H * len * Dk, -1.5f, 1.5f);
    float *v = tu_rand((size_t)H * len * Dv, -1, 1);
    float *out_r = tu_fill((size_t)H * len * Dv, 0), *lse_r = tu_fill((size_t)H * len, 0);
    attention_forward_ref(out_r, lse_r, q, k, v, 1, H, len, Dk, Dv, scale, 0.0f, 0);
    float *kc = tu_fill((size_t)H * cap * Dk, NAN), *vc = tu_fill((size_t)H * cap * Dv, NAN);  // unused slots poison
    float *qlast = tu_fill((size_t)H * Dk, 0), *out = tu_fill((size_t)H * Dv, 0);
    for (int h = 0; h < H; h++) {
        memcpy(kc + (size_t)h * cap * Dk, k + (size_t)h * len * Dk, sizeof(float) * len * Dk);
        memcpy(vc + (size_t)h * cap * Dv, v + (size_t)h * len * Dv, sizeof(float) * len * Dv);
        memcpy(qlast + (size_t)h * Dk, q + ((size_t)h * len + len - 1) * Dk, sizeof(float) * Dk);
    }
    float *scores = tu_fill((size_t)H * cap, 0);
    attention_decode(out, scores, qlast, kc, vc, H, len, cap, Dk, Dv, scale);
    float *want = tu_fill((size_t)H * Dv, 0);
    for (int h = 0; h < H; h++)
        memcpy(want + (size_t)h * Dv, out_r + ((size_t)h * len + len - 1) * Dv, sizeof(float) * Dv);
    char what[64];
    snprintf(what, sizeof what, "decode H%d len%d Dk%d Dv%d", H, len, Dk, Dv);
    compare(what, out, want, (size_t)H * Dv);
    free(q), free(k), free(v), free(out_r), free(lse_r), free(kc), free(vc), free(qlast), free(out), free(want), free(scores);
}

int main(void) {
    tu_seed(2);
    const int Ts[] = {1, 17, 64, 100, 129, 200};  // tile size is 64: below, equal, partial
    for (size_t i = 0; i < sizeof Ts / sizeof *Ts; i++) {
        fast_vs_ref(2, 3, Ts[i], 32, 32, 0.0f);  // none / rope: Dk = Dv
        fast_vs_ref(2, 2, Ts[i], 16, 8, 0.0f);   // polar: Dk = 2·Dv
    }
    fast_vs_ref(2, 2, 150, 32, 32, 0.15f);
    fast_vs_ref(1, 3, 129, 64, 32, 0.3f);
    fast_vs_ref(1, 1, 70, 5, 3, 0.0f);  // odd head sizes (vector tails)
    fast_vs_ref(1, 2, 90, 24, 20, 0.1f);
    fast_vs_ref_amp(2, 2, 130, 32, 32, 0.0f, 40.0f);  // scaled scores of tens: near one-hot softmaxes
    nan_propagates();
    dropout_applies();
    decode_vs_ref(3, 1, 4, 16, 16);
    decode_vs_ref(2, 77, 100, 32, 32);
    decode_vs_ref(2, 50, 50, 16, 8);
    return check_summary("test_attention");
}

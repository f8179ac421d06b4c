// test_encodings.c — each positional encoding against its written definition
// (docs/MODEL.md, issue 2), computed independently here in double.
#include <math.h>

#include "ops.h"
#include "test_ops_util.h"

static double softplus_d(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }

// ---------------------------------------------------------------- sinusoidal
static void test_sinusoidal(void) {
    const int T = 7, C = 10, pos0 = 100;
    float *pe = tu_fill((size_t)T * C, 0);
    pe_sinusoidal_table(pe, pos0, T, C);
    for (int t = 0; t < T; t++)
        for (int i = 0; i < C / 2; i++) {
            const double a = (pos0 + t) / pow(10000.0, 2.0 * i / C);
            CHECK_NEAR(pe[t * C + 2 * i], sin(a), 1e-6, 0, "sin column");
            CHECK_NEAR(pe[t * C + 2 * i + 1], cos(a), 1e-6, 0, "cos column");
        }
    free(pe);
}

// ---------------------------------------------------------------- legendre
static double legendre_explicit(int n, double x) {
    switch (n) {
    case 0: return 1.0;
    case 1: return x;
    case 2: return (3 * x * x - 1) / 2;
    case 3: return (5 * x * x * x - 3 * x) / 2;
    case 4: return (35 * pow(x, 4) - 30 * x * x + 3) / 8;
    case 5: return (63 * pow(x, 5) - 70 * x * x * x + 15 * x) / 8;
    }
    return NAN;
}

static void test_legendre(void) {
    const int C = 8, T = 6;
    float *pe = tu_fill((size_t)T * C, 0), *tail = tu_fill(3 * C, 0);
    for (int g = 0; g < 2; g++) {
        const pope_legendre_grid grid = g ? POPE_GRID_MIDPOINT : POPE_GRID_ENDPOINT;
        pe_legendre_table(pe, 0, T, C, grid);
        for (int n = 0; n < T; n++)
            for (int i = 0; i < C; i++) {
                const double x = g ? -1.0 + (2.0 * i + 1) / C : -1.0 + 2.0 * i / C;
                CHECK_NEAR(pe[n * C + i], legendre_explicit(n, x), 1e-6, 1e-6, g ? "P_n midpoint" : "P_n endpoint");
            }
        pe_legendre_table(tail, 3, 3, C, grid);  // a table starting at pos0 = 3
        for (int i = 0; i < 3 * C; i++) CHECK(tail[i] == pe[3 * C + i], "pos0 = 3 row %d col %d", i / C, i % C);
    }
    // High orders: P_n(−1) = (−1)ⁿ, and P_n(0) = 0 (n odd) or (−1)^{n/2}·(n−1)!!/n!! (n even);
    // the endpoint grid with C = 8 holds x_0 = −1 and x_4 = 0.
    const int pos0 = 1000, TT = 4;
    float *hi = tu_fill((size_t)TT * C, 0);
    pe_legendre_table(hi, pos0, TT, C, POPE_GRID_ENDPOINT);
    for (int t = 0; t < TT; t++) {
        const int n = pos0 + t;
        CHECK_NEAR(hi[t * C + 0], n % 2 ? -1.0 : 1.0, 1e-5, 0, "P_n(-1)");
        double p0 = 0.0;
        if (n % 2 == 0) {
            p0 = 1.0;
            for (int j = 1; j <= n; j += 2) p0 *= (double)j / (j + 1);
            if ((n / 2) % 2) p0 = -p0;
        }
        CHECK_NEAR(hi[t * C + 4], p0, 1e-6, 1e-4, "P_n(0)");
    }
    free(pe), free(tail), free(hi);
}

// ---------------------------------------------------------------- rope
// A (1,1,1,D) vector rotated at position pos.
static void rope_at(float *out, const float *x, int D, int pos) { rope_forward(out, x, 1, 1, 1, D, 10000.0f, pos); }

static void test_rope(void) {
    const int D = 16;
    float *q = tu_rand(D, -1, 1), *k = tu_rand(D, -1, 1), *a = tu_fill(D, 0), *b = tu_fill(D, 0);
    const int pos[] = {0, 5, 300, 65535};
    for (size_t p = 0; p < 4; p++) {  // the written rotation, in double
        rope_at(a, q, D, pos[p]);
        for (int c = 0; c < D / 2; c++) {
            const double th = pow(10000.0, -2.0 * c / D), ang = pos[p] * th;
            CHECK_NEAR(a[2 * c], q[2 * c] * cos(ang) - q[2 * c + 1] * sin(ang), 2e-6, 0, "rope even");
            CHECK_NEAR(a[2 * c + 1], q[2 * c] * sin(ang) + q[2 * c + 1] * cos(ang), 2e-6, 0, "rope odd");
        }
    }
    // score(t, s) depends only on t − s
    const int ts[][2] = {{7, 3}, {3, 7}, {40, 40}, {100, 1}};
    const int shifts[] = {1, 1000, 60000};
    for (int i = 0; i < 4; i++) {
        rope_at(a, q, D, ts[i][0]), rope_at(b, k, D, ts[i][1]);
        const double s0 = tu_dot(a, b, D);
        for (int j = 0; j < 3; j++) {
            rope_at(a, q, D, ts[i][0] + shifts[j]), rope_at(b, k, D, ts[i][1] + shifts[j]);
            CHECK_NEAR(tu_dot(a, b, D), s0, 1e-5, 1e-5, "rope shift invariance");
        }
    }
    // and it does depend on t − s (the rotation is not the identity)
    rope_at(a, q, D, 0), rope_at(b, k, D, 5);
    const double d5 = tu_dot(a, b, D);
    rope_at(b, k, D, 0);
    CHECK(fabs(tu_dot(a, b, D) - d5) > 1e-3, "rope score unchanged by distance");
    free(q), free(k), free(a), free(b);
}

// ---------------------------------------------------------------- polar
// q̃ at position t and k̃ at position s of head h (tables with T = 1 at pos0).
static void polar_at(float *qt, float *kt, const float *q, const float *k, const float *delta,
                     pope_delta_param param, int H, int D, int t, int s) {
    polar_q_forward(qt, q, 1, H, 1, D, 10000.0f, t);
    polar_k_forward(kt, k, delta, param, 1, H, 1, D, 10000.0f, s);
}

// δ from its stored parameter p as docs/MODEL.md §3 writes it.
static double delta_written(float p, pope_delta_param param) {
    if (param == POPE_DELTA_SIGMOID) return -2.0 * M_PI / (1.0 + exp(-(double)p));
    return fmin(fmax(p, -2.0 * M_PI), 0.0);
}

static void test_polar(pope_delta_param param) {
    const int H = 2, D = 8;
    float *q = tu_rand(H * D, -3, 3), *k = tu_rand(H * D, -3, 3);
    float delta[16] = {0.0f, -1.0f, -6.0f, -7.5f, 0.8f, -3.2f, -6.2f, -0.1f,
                       -10.f, 2.0f, -2.0f, -4.4f, -6.3f, 0.01f, -0.5f, -5.0f};  // some outside [−2π, 0]
    float *qt = tu_fill(2 * H * D, 0), *kt = tu_fill(2 * H * D, 0);
    const int ts[][2] = {{0, 0}, {9, 4}, {4, 9}, {65530, 65000}, {70000, 70000}, {3, 65535}};
    for (int i = 0; i < 6; i++) {
        const int t = ts[i][0], s = ts[i][1];
        polar_at(qt, kt, q, k, delta, param, H, D, t, s);
        for (int h = 0; h < H; h++) {
            double want = 0.0, mag = 0.0;
            for (int c = 0; c < D; c++) {
                const double th = pow(10000.0, -(double)c / D);
                const double dl = delta_written(delta[h * D + c], param);
                const double mu = softplus_d(q[h * D + c]) * softplus_d(k[h * D + c]);
                want += mu * cos((double)(s - t) * th + dl);
                mag += mu;
            }
            CHECK_NEAR(tu_dot(qt + h * 2 * D, kt + h * 2 * D, 2 * D), want, 2e-6 * mag, 0, param == POPE_DELTA_SIGMOID ? "polar (sigmoid) score vs Σ μq μk cos" : "polar (clamp) score vs Σ μq μk cos");
        }
    }
    // μ = softplus keeps its relative precision at both ends: q̃ at position 0 is [μ, 0]
    float qx[8] = {-30.0f, -12.0f, -1e-3f, 0.0f, 1e-3f, 5.0f, 20.0f, 60.0f}, qx_t[16];
    polar_q_forward(qx_t, qx, 1, 1, 1, 8, 10000.0f, 0);
    for (int c = 0; c < 8; c++) {
        CHECK_NEAR(qx_t[c], softplus_d(qx[c]), 0, 2e-6, "softplus(q) at position 0");
        CHECK(qx_t[8 + c] == 0.0f, "sin part at position 0: %g", qx_t[8 + c]);
    }
    // shift invariance with nonzero δ
    const int shifts[] = {1, 777, 65536};
    for (int i = 0; i < 3; i++) {
        polar_at(qt, kt, q, k, delta, param, H, D, 12, 5);
        const double s0 = tu_dot(qt, kt, 2 * H * D);
        polar_at(qt, kt, q, k, delta, param, H, D, 12 + shifts[i], 5 + shifts[i]);
        CHECK_NEAR(tu_dot(qt, kt, 2 * H * D), s0, 1e-5, 1e-5, "polar shift invariance");
    }
    // δ gradient: clamp: zero exactly where δ lies outside [−2π, 0], nonzero inside;
    // sigmoid: nonzero everywhere (no dead zone)
    const int T = 5;
    float *kk = tu_rand((size_t)H * T * D, -2, 2), *dkt = tu_rand((size_t)H * T * 2 * D, -1, 1);
    float *dd = tu_fill(H * D, 0.5f);
    polar_k_backward(NULL, dd, dkt, kk, delta, param, 1, H, T, D, 10000.0f, 3);
    for (int i = 0; i < H * D; i++) {
        const int inside = param == POPE_DELTA_SIGMOID || (delta[i] >= (float)(-2.0 * M_PI) && delta[i] <= 0.0f);
        if (inside)
            CHECK(dd[i] != 0.5f, "ddelta[%d] (δ = %g, inside) got no gradient", i, delta[i]);
        else
            CHECK(dd[i] == 0.5f, "ddelta[%d] (δ = %g, clamped) got %g", i, delta[i], dd[i] - 0.5f);
    }
    free(q), free(k), free(qt), free(kt), free(kk), free(dkt), free(dd);
}

// Initialisation and the frozen share (docs/MODEL.md §1, §3): the sigmoid stores u with
// −2π·σ(u) = δ, from the same draws as the clamp's δ; δ = 0 is σ = POLAR_SIGMOID_EPS.
static void test_delta_init_and_frozen(void) {
    pope_config cfg;
    pope_config_default(&cfg);
    cfg.vocab_size = 11, cfg.d_model = 32, cfg.n_layers = 2, cfg.n_heads = 2, cfg.context_length = 16;
    cfg.pe = POPE_PE_POLAR;
    const int n = 32;   // H·D δ entries per layer
    for (int init = 0; init < 2; init++) {
        cfg.delta_init = init ? POPE_DELTA_UNIFORM : POPE_DELTA_ZERO;
        cfg.delta_param = POPE_DELTA_CLAMP;
        pope_model *a = pope_model_new(&cfg, 5);
        cfg.delta_param = POPE_DELTA_SIGMOID;
        pope_model *b = pope_model_new(&cfg, 5);
        if (!a || !b) {
            CHECK(0, "models: %s", pope_last_error());
            pope_model_free(a), pope_model_free(b);
            return;
        }
        pope_tensor ta = pope_model_tensor(a, pope_model_find_tensor(a, "layers.1.attention.pope_delta"));
        pope_tensor tb = pope_model_tensor(b, pope_model_find_tensor(b, "layers.1.attention.pope_delta"));
        for (int i = 0; i < n; i++) {
            const double da = ta.data[i], s = -da / (2.0 * M_PI);   // the clamp's draw u
            const double want = -2.0 * M_PI * fmin(fmax(s, POLAR_SIGMOID_EPS), 1.0 - POLAR_SIGMOID_EPS);
            CHECK_NEAR(delta_written(tb.data[i], POPE_DELTA_SIGMOID), want, 1e-6, 1e-5, "sigmoid init maps the clamp's δ");
        }
        if (!init) CHECK_NEAR(delta_written(tb.data[0], POPE_DELTA_SIGMOID), -2.0 * M_PI * 1e-3, 1e-9, 1e-5, "zero init: δ = −2π·1e-3");
        // frozen share: clamp: entries outside [−2π, 0]; sigmoid: none
        double share[4] = {-1, -1, -1, -1};
        ta.data[0] = 0.25f, ta.data[1] = -7.0f, ta.data[2] = 0.0f, ta.data[3] = (float)(-2.0 * M_PI);
        CHECK(pope_model_delta_frozen(a, share, 4) == 2, "two layers");
        CHECK(share[0] == 0.0 && share[1] == 2.0 / n, "clamp frozen share %g %g (want 0, 2/32)", share[0], share[1]);
        tb.data[0] = 30.0f, tb.data[1] = -30.0f;
        CHECK(pope_model_delta_frozen(b, share, 4) == 2 && share[1] == 0.0, "sigmoid: no dead zone");
        pope_model_free(a);
        pope_model_free(b);
    }
    cfg.pe = POPE_PE_ROPE;
    pope_model *r = pope_model_new(&cfg, 5);
    double share[2];
    CHECK(r && pope_model_delta_frozen(r, share, 2) == 0, "rope: no δ");
    pope_model_free(r);
}

int main(void) {
    tu_seed(3);
    test_sinusoidal();
    test_legendre();
    test_rope();
    test_polar(POPE_DELTA_CLAMP);
    test_polar(POPE_DELTA_SIGMOID);
    test_delta_init_and_frozen();
    return check_summary("test_encodings");
}

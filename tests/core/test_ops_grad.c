// test_ops_grad.c — finite-difference checks of every op's backward in ops.h.
// Each check: L = Σ w ⊙ out(x) with random w; the backward gets dout = w and must
// ADD dL/dx to a gradient buffer pre-filled with GRAD0 (so a backward that overwrites
// instead of accumulating fails too). Central differences on float forwards with h ~ 1e-2
// and tolerances atol 2e-3 / rtol 2e-2: float round-off in L is ~1e-6, so FD noise is
// ~1e-4, while a wrong factor or sign is an O(1) relative error.
#include <math.h>

#include "kernel_hash.h"
#include "ops.h"
#include "test_ops_util.h"

#define GRAD0 0.5f
#define H_FD 1e-2f
#define ATOL 2e-3
#define RTOL 2e-2

// grad − GRAD0 in place: the part the backward added.
static void added(float *g, size_t n) {
    for (size_t i = 0; i < n; i++) g[i] -= GRAD0;
}

// ---------------------------------------------------------------- matmul
typedef struct { float *out, *inp, *weight, *w; int N, IN, OUT; } mm_ctx;
static double mm_loss(void *p) {
    mm_ctx *c = p;
    matmul_forward(c->out, c->inp, c->weight, c->N, c->IN, c->OUT);
    return tu_dot(c->out, c->w, (size_t)c->N * c->OUT);
}
// OUT < IN and OUT >= IN take different BLIS orientations for dweight (matmul.c)
static void test_matmul(int N, int IN, int OUT) {
    mm_ctx c = {.N = N, .IN = IN, .OUT = OUT};
    const size_t no = (size_t)N * OUT, ni = (size_t)N * IN, nw = (size_t)OUT * IN;
    c.out = tu_fill(no, 0), c.inp = tu_rand(ni, -1, 1), c.weight = tu_rand(nw, -1, 1);
    c.w = tu_rand(no, -1, 1);
    // forward against the written formula
    matmul_forward(c.out, c.inp, c.weight, c.N, c.IN, c.OUT);
    for (int n = 0; n < c.N; n++)
        for (int o = 0; o < c.OUT; o++)
            CHECK_NEAR(c.out[n * c.OUT + o], tu_dot(c.inp + n * c.IN, c.weight + o * c.IN, c.IN), 1e-5, 1e-5, "matmul out");
    float *dinp = tu_fill(ni, GRAD0), *dw = tu_fill(nw, GRAD0);
    matmul_backward(dinp, dw, c.w, c.inp, c.weight, c.N, c.IN, c.OUT);
    added(dinp, ni), added(dw, nw);
    tu_grad_check("matmul dinp", mm_loss, &c, c.inp, dinp, ni, H_FD, ATOL, RTOL, 64);
    tu_grad_check("matmul dweight", mm_loss, &c, c.weight, dw, nw, H_FD, ATOL, RTOL, 64);
    free(c.out), free(c.inp), free(c.weight), free(c.w), free(dinp), free(dw);
}

// ---------------------------------------------------------------- encoder
typedef struct { float *out, *wte, *pe, *w; int32_t *tok; int B, T, C; } enc_ctx;
static double enc_loss(void *p) {
    enc_ctx *c = p;
    encoder_forward(c->out, c->tok, c->wte, c->pe, c->B, c->T, c->C);
    return tu_dot(c->out, c->w, (size_t)c->B * c->T * c->C);
}
static void test_encoder(void) {
    int32_t tok[6] = {1, 4, 1, 0, 5, 1};  // repeats: the scatter must add them up
    enc_ctx c = {.tok = tok, .B = 2, .T = 3, .C = 4};
    c.out = tu_fill(24, 0), c.wte = tu_rand(24, -1, 1), c.pe = tu_rand(12, -1, 1), c.w = tu_rand(24, -1, 1);
    enc_loss(&c);
    for (int bt = 0; bt < 6; bt++)
        for (int i = 0; i < 4; i++)
            CHECK_NEAR(c.out[bt * 4 + i], c.wte[tok[bt] * 4 + i] + c.pe[(bt % 3) * 4 + i], 0, 0, "encoder out");
    float *dwte = tu_fill(24, GRAD0);
    encoder_backward(dwte, c.w, tok, c.B, c.T, c.C);
    added(dwte, 24);
    tu_grad_check("encoder dwte", enc_loss, &c, c.wte, dwte, 24, H_FD, ATOL, RTOL, 64);
    free(c.out), free(c.wte), free(c.pe), free(c.w), free(dwte);
}

// ---------------------------------------------------------------- rmsnorm
typedef struct { float *out, *rstd, *inp, *weight, *w; int N, C; } rms_ctx;
static double rms_loss(void *p) {
    rms_ctx *c = p;
    rmsnorm_forward(c->out, c->rstd, c->inp, c->weight, c->N, c->C, 1e-5f);
    return tu_dot(c->out, c->w, (size_t)c->N * c->C);
}
static void test_rmsnorm(void) {
    rms_ctx c = {.N = 300, .C = 8};  // N > one 128-row block of the dweight reduction
    const size_t n = (size_t)c.N * c.C;
    c.out = tu_fill(n, 0), c.rstd = tu_fill(c.N, 0), c.inp = tu_rand(n, -2, 2);
    c.weight = tu_rand(c.C, 0.5f, 1.5f), c.w = tu_rand(n, -1, 1);
    rms_loss(&c);
    for (int r = 0; r < c.N; r += 37) {
        double ms = tu_dot(c.inp + r * c.C, c.inp + r * c.C, c.C) / c.C;
        for (int i = 0; i < c.C; i++)
            CHECK_NEAR(c.out[r * c.C + i], c.inp[r * c.C + i] / sqrt(ms + 1e-5) * c.weight[i], 1e-6, 1e-5, "rmsnorm out");
    }
    float *dinp = tu_fill(n, GRAD0), *dw = tu_fill(c.C, GRAD0);
    rmsnorm_backward(dinp, dw, c.w, c.inp, c.weight, c.rstd, c.N, c.C);
    added(dinp, n), added(dw, c.C);
    tu_grad_check("rmsnorm dinp", rms_loss, &c, c.inp, dinp, n, H_FD, ATOL, RTOL, 48);
    tu_grad_check("rmsnorm dweight", rms_loss, &c, c.weight, dw, c.C, H_FD, 1e-2, RTOL, 64);
    free(c.out), free(c.rstd), free(c.inp), free(c.weight), free(c.w), free(dinp), free(dw);
}

// ---------------------------------------------------------------- gelu
typedef struct { float *out, *inp, *w; size_t n; } ew_ctx;
static double gelu_loss(void *p) {
    ew_ctx *c = p;
    gelu_forward(c->out, c->inp, c->n);
    return tu_dot(c->out, c->w, c->n);
}
static void test_gelu(void) {
    ew_ctx c = {.n = 80};
    c.out = tu_fill(c.n, 0), c.inp = tu_rand(c.n, -5, 5), c.w = tu_rand(c.n, -1, 1);
    gelu_loss(&c);
    for (size_t i = 0; i < c.n; i++) {
        double x = c.inp[i];
        double want = 0.5 * x * (1.0 + tanh(sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
        CHECK_NEAR(c.out[i], want, 1e-6, 1e-5, "gelu out");
    }
    float *dinp = tu_fill(c.n, GRAD0);
    gelu_backward(dinp, c.inp, c.w, c.n);
    added(dinp, c.n);
    tu_grad_check("gelu dinp", gelu_loss, &c, c.inp, dinp, c.n, 1e-3f, ATOL, RTOL, 80);
    float *r = tu_fill(c.n, 0);
    residual_forward(r, c.inp, c.w, c.n);
    for (size_t i = 0; i < c.n; i++) CHECK_NEAR(r[i], c.inp[i] + c.w[i], 0, 0, "residual");
    free(c.out), free(c.inp), free(c.w), free(dinp), free(r);
}

// ---------------------------------------------------------------- dropout
typedef struct { float *out, *inp, *w; size_t n; float p; uint64_t seed; } do_ctx;
static double do_loss(void *ctx) {
    do_ctx *c = ctx;
    dropout_forward(c->out, c->inp, c->n, c->p, c->seed);
    return tu_dot(c->out, c->w, c->n);
}
static void test_dropout(void) {
    do_ctx c = {.n = 20000, .p = 0.3f, .seed = 42};
    c.out = tu_fill(c.n, 0), c.inp = tu_rand(c.n, 0.5f, 1), c.w = tu_rand(c.n, -1, 1);
    do_loss(&c);
    size_t kept = 0;
    for (size_t i = 0; i < c.n; i++) {
        const int keep = dropout_keep(c.seed, i, c.p);
        kept += keep;
        CHECK_NEAR(c.out[i], keep ? c.inp[i] / (1.0 - c.p) : 0.0, 1e-6, 1e-6, "dropout out");
    }
    // 20000 Bernoulli(0.7) draws: sd ≈ 65, so ±400 fails only for a broken hash.
    CHECK(fabs((double)kept - 0.7 * c.n) < 400, "kept %zu of %zu at p = 0.3", kept, c.n);
    // neighbours independent: P(keep i and keep i+1) = 0.49, and across the 2³² boundary
    // of the index (where the hash switches its high word) the rate holds too
    size_t both = 0, kept_hi = 0;
    for (size_t i = 0; i + 1 < c.n; i++) both += dropout_keep(c.seed, i, c.p) && dropout_keep(c.seed, i + 1, c.p);
    for (uint64_t i = (1ull << 32) - 10000; i < (1ull << 32) + 10000; i++) kept_hi += dropout_keep(c.seed, i, c.p);
    CHECK(fabs((double)both - 0.49 * c.n) < 500, "adjacent pairs both kept: %zu of %zu", both, c.n);
    CHECK(fabs((double)kept_hi - 0.7 * 20000) < 400, "kept %zu of 20000 around index 2^32", kept_hi);
    // the vector form (kernel_dropout_factors, KV_W lanes) draws the scalar keep's decisions:
    // along a row (stride 1) and a column of queries (stride T), within one high word of the
    // index (its fast path) and straddling a multiple of 2³² (the general one)
    for (int k = 0; k < 4; k++) {
        float f[67];
        const uint64_t stride = k & 1 ? 4099 : 1;
        const uint64_t base = k & 2 ? (1ull << 32) - 30 * stride : (5ull << 32) + 12345;
        kernel_dropout_factors(f, 67, base, stride, c.seed, c.p, 2.0f);
        int mism = 0;
        for (int j = 0; j < 67; j++) mism += f[j] != (dropout_keep(c.seed, base + (uint64_t)j * stride, c.p) ? 2.0f : 0.0f);
        CHECK(mism == 0, "%d of 67 vector dropout factors (stride %llu, base %llu) differ from dropout_keep", mism,
              (unsigned long long)stride, (unsigned long long)base);
    }
    size_t same = 0;  // another seed gives another mask
    for (size_t i = 0; i < c.n; i++) same += dropout_keep(c.seed, i, c.p) == dropout_keep(c.seed + 1, i, c.p);
    CHECK(same < c.n * 0.7, "masks of seeds 42 and 43 agree on %zu of %zu", same, c.n);
    float *dinp = tu_fill(c.n, GRAD0);
    dropout_backward(dinp, c.w, c.n, c.p, c.seed);
    added(dinp, c.n);
    tu_grad_check("dropout dinp", do_loss, &c, c.inp, dinp, c.n, H_FD, ATOL, RTOL, 40);
    c.p = 0.0f;  // p = 0 copies
    do_loss(&c);
    for (size_t i = 0; i < c.n; i += 97) CHECK(c.out[i] == c.inp[i], "p=0 copy at %zu", i);
    free(c.out), free(c.inp), free(c.w), free(dinp);
}

// ---------------------------------------------------------------- cross-entropy
typedef struct { float *losses, *logits; int32_t *tg; int N, V; float dloss; } ce_ctx;
static double ce_loss(void *p) {
    ce_ctx *c = p;
    crossentropy_forward(c->losses, c->logits, c->tg, c->N, c->V);
    double s = 0.0;
    for (int n = 0; n < c->N; n++) s += c->dloss * c->losses[n];
    return s;
}
static void test_crossentropy(void) {
    int32_t tg[5] = {3, -1, 0, 6, POPE_IGNORE};
    ce_ctx c = {.tg = tg, .N = 5, .V = 7, .dloss = 0.7f};
    c.losses = tu_fill(5, 9), c.logits = tu_rand(35, -3, 3);
    c.logits[7] = 80.0f;  // a large logit: the log-softmax must stay finite and exact
    int count = crossentropy_forward(c.losses, c.logits, tg, c.N, c.V);
    CHECK(count == 3, "non-ignored count %d", count);
    for (int n = 0; n < c.N; n++) {
        if (tg[n] < 0) {
            CHECK(c.losses[n] == 0.0f, "ignored row %d loss %g", n, c.losses[n]);
            continue;
        }
        double m = -1e30, s = 0.0;
        for (int v = 0; v < c.V; v++) m = fmax(m, c.logits[n * c.V + v]);
        for (int v = 0; v < c.V; v++) s += exp(c.logits[n * c.V + v] - m);
        CHECK_NEAR(c.losses[n], m + log(s) - c.logits[n * c.V + tg[n]], 1e-5, 1e-5, "ce loss");
    }
    float *d = tu_fill(35, GRAD0);
    crossentropy_backward(d, c.logits, tg, c.N, c.V, c.dloss);
    added(d, 35);
    for (int v = 0; v < c.V; v++) CHECK(d[1 * c.V + v] == 0.0f, "ignored row gradient %g", d[c.V + v]);
    tu_grad_check("ce dlogits", ce_loss, &c, c.logits, d, 35, H_FD, ATOL, RTOL, 64);
    free(c.losses), free(c.logits), free(d);
}

// ---------------------------------------------------------------- heads
static void test_heads(void) {
    const int B = 2, T = 3, H = 2, D = 3, C = H * D, S = 3 * C;  // fused-qkv row stride
    float *inp = tu_rand((size_t)B * T * S, -1, 1), *hd = tu_fill((size_t)B * H * T * D, 0);
    heads_split(hd, inp + C, B, T, H, D, S);  // the k third of a fused qkv
    int ok = 1;
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            for (int t = 0; t < T; t++)
                for (int d = 0; d < D; d++)
                    ok &= hd[((b * H + h) * T + t) * D + d] == inp[(b * T + t) * S + C + h * D + d];
    CHECK(ok, "heads_split layout");
    float *merged = tu_fill((size_t)B * T * C, -7);
    heads_merge(merged, hd, B, T, H, D, C);
    ok = 1;
    for (int bt = 0; bt < B * T; bt++)
        for (int c = 0; c < C; c++) ok &= merged[bt * C + c] == inp[bt * S + C + c];
    CHECK(ok, "heads_merge inverts heads_split");
    // backward of a permutation: the permuted gradient, added
    float *dstrided = tu_fill((size_t)B * T * S, GRAD0), *w = tu_rand((size_t)B * H * T * D, -1, 1);
    heads_split_backward(dstrided + C, w, B, T, H, D, S);
    ok = 1;
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            for (int t = 0; t < T; t++)
                for (int d = 0; d < D; d++) {
                    ok &= dstrided[(b * T + t) * S + C + h * D + d] == GRAD0 + w[((b * H + h) * T + t) * D + d];
                    ok &= dstrided[(b * T + t) * S + h * D + d] == GRAD0;  // q third untouched
                }
    CHECK(ok, "heads_split_backward");
    float *dhd = tu_fill((size_t)B * H * T * D, GRAD0);
    heads_merge_backward(dhd, merged, B, T, H, D, C);
    ok = 1;
    for (size_t i = 0; i < (size_t)B * H * T * D; i++) ok &= dhd[i] == GRAD0 + hd[i];
    CHECK(ok, "heads_merge_backward");
    free(inp), free(hd), free(merged), free(dstrided), free(w), free(dhd);
}

// ---------------------------------------------------------------- rope
typedef struct { float *out, *inp, *w; int B, H, T, D, pos0; } rope_ctx;
static double rope_loss(void *p) {
    rope_ctx *c = p;
    rope_forward(c->out, c->inp, c->B, c->H, c->T, c->D, 10000.0f, c->pos0);
    return tu_dot(c->out, c->w, (size_t)c->B * c->H * c->T * c->D);
}
static void test_rope(void) {
    rope_ctx c = {.B = 2, .H = 2, .T = 5, .D = 6, .pos0 = 3};
    const size_t n = 120;
    c.out = tu_fill(n, 0), c.inp = tu_rand(n, -1, 1), c.w = tu_rand(n, -1, 1);
    float *d = tu_fill(n, GRAD0);
    rope_backward(d, c.w, c.B, c.H, c.T, c.D, 10000.0f, c.pos0);
    added(d, n);
    tu_grad_check("rope dinp", rope_loss, &c, c.inp, d, n, H_FD, ATOL, RTOL, 120);
    free(c.out), free(c.inp), free(c.w), free(d);
}

// ---------------------------------------------------------------- polar
typedef struct { float *qt, *kt, *q, *k, *delta, *wq, *wk; int B, H, T, D, pos0; pope_delta_param param; } polar_ctx;
static double polar_q_loss(void *p) {
    polar_ctx *c = p;
    polar_q_forward(c->qt, c->q, c->B, c->H, c->T, c->D, 10000.0f, c->pos0);
    return tu_dot(c->qt, c->wq, (size_t)c->B * c->H * c->T * 2 * c->D);
}
static double polar_k_loss(void *p) {
    polar_ctx *c = p;
    polar_k_forward(c->kt, c->k, c->delta, c->param, c->B, c->H, c->T, c->D, 10000.0f, c->pos0);
    return tu_dot(c->kt, c->wk, (size_t)c->B * c->H * c->T * 2 * c->D);
}
static void test_polar(pope_delta_param param) {
    polar_ctx c = {.B = 2, .H = 3, .T = 70, .D = 4, .pos0 = 5, .param = param};  // T > one 64-row block
    const size_t n = (size_t)c.B * c.H * c.T * c.D;
    c.qt = tu_fill(2 * n, 0), c.kt = tu_fill(2 * n, 0);
    c.q = tu_rand(n, -3, 3), c.k = tu_rand(n, -3, 3);
    c.wq = tu_rand(2 * n, -1, 1), c.wk = tu_rand(2 * n, -1, 1);
    // clamp: inside its range, off the edges; sigmoid: any u (here with σ(u) in ~[0.02, 0.98])
    c.delta = param == POPE_DELTA_SIGMOID ? tu_rand((size_t)c.H * c.D, -4.0f, 4.0f)
                                          : tu_rand((size_t)c.H * c.D, -6.0f, -0.3f);
    float *dq = tu_fill(n, GRAD0), *dk = tu_fill(n, GRAD0), *dd = tu_fill((size_t)c.H * c.D, GRAD0);
    polar_q_backward(dq, c.wq, c.q, c.B, c.H, c.T, c.D, 10000.0f, c.pos0);
    polar_k_backward(dk, dd, c.wk, c.k, c.delta, c.param, c.B, c.H, c.T, c.D, 10000.0f, c.pos0);
    added(dq, n), added(dk, n), added(dd, (size_t)c.H * c.D);
    tu_grad_check("polar dq", polar_q_loss, &c, c.q, dq, n, H_FD, ATOL, RTOL, 64);
    tu_grad_check("polar dk", polar_k_loss, &c, c.k, dk, n, H_FD, ATOL, RTOL, 64);
    // ddelta sums B·T terms: allow for the larger float round-off of L
    tu_grad_check("polar ddelta", polar_k_loss, &c, c.delta, dd, (size_t)c.H * c.D, H_FD, 2e-2, RTOL, 64);
    // dk and ddelta are independent outputs: NULL dk still gives the same ddelta
    float *dd2 = tu_fill((size_t)c.H * c.D, 0);
    polar_k_backward(NULL, dd2, c.wk, c.k, c.delta, c.param, c.B, c.H, c.T, c.D, 10000.0f, c.pos0);
    for (int i = 0; i < c.H * c.D; i++) CHECK_NEAR(dd2[i], dd[i], 1e-6, 1e-6, "ddelta with dk NULL");
    free(c.qt), free(c.kt), free(c.q), free(c.k), free(c.wq), free(c.wk), free(c.delta);
    free(dq), free(dk), free(dd), free(dd2);
}

// ---------------------------------------------------------------- attention
typedef struct {
    float *out, *lse, *q, *k, *v, *w;
    int B, H, T, Dk, Dv, fast;
    float p;
} att_ctx;
static double att_loss(void *ctx) {
    att_ctx *c = ctx;
    const float scale = 1.0f / sqrtf((float)c->Dv);
    if (c->fast)
        attention_forward(c->out, c->lse, c->q, c->k, c->v, c->B, c->H, c->T, c->Dk, c->Dv, scale, c->p, 7);
    else
        attention_forward_ref(c->out, c->lse, c->q, c->k, c->v, c->B, c->H, c->T, c->Dk, c->Dv, scale, c->p, 7);
    return tu_dot(c->out, c->w, (size_t)c->B * c->H * c->T * c->Dv);
}
static void test_attention_grad(int fast, int T, int Dk, int Dv, float p) {
    att_ctx c = {.B = 1, .H = 2, .T = T, .Dk = Dk, .Dv = Dv, .fast = fast, .p = p};
    const size_t nk = (size_t)c.B * c.H * T * Dk, nv = (size_t)c.B * c.H * T * Dv;
    c.out = tu_fill(nv, 0), c.lse = tu_fill((size_t)c.B * c.H * T, 0), c.w = tu_rand(nv, -1, 1);
    c.q = tu_rand(nk, -1.5f, 1.5f), c.k = tu_rand(nk, -1.5f, 1.5f), c.v = tu_rand(nv, -1, 1);
    att_loss(&c);
    float *dq = tu_fill(nk, GRAD0), *dk = tu_fill(nk, GRAD0), *dv = tu_fill(nv, GRAD0);
    const float scale = 1.0f / sqrtf((float)Dv);
    if (fast)
        attention_backward(dq, dk, dv, c.w, c.out, c.lse, c.q, c.k, c.v, c.B, c.H, T, Dk, Dv, scale, p, 7);
    else
        attention_backward_ref(dq, dk, dv, c.w, c.out, c.lse, c.q, c.k, c.v, c.B, c.H, T, Dk, Dv, scale, p, 7);
    added(dq, nk), added(dk, nk), added(dv, nv);
    char what[64];
    snprintf(what, sizeof what, "%s T%d p%.1f dq", fast ? "flash" : "ref", T, p);
    tu_grad_check(what, att_loss, &c, c.q, dq, nk, H_FD, ATOL, RTOL, 40);
    what[strlen(what) - 2] = 'd', what[strlen(what) - 1] = 'k';
    tu_grad_check(what, att_loss, &c, c.k, dk, nk, H_FD, ATOL, RTOL, 40);
    what[strlen(what) - 1] = 'v';
    tu_grad_check(what, att_loss, &c, c.v, dv, nv, H_FD, ATOL, RTOL, 40);
    free(c.out), free(c.lse), free(c.w), free(c.q), free(c.k), free(c.v), free(dq), free(dk), free(dv);
}

int main(void) {
    tu_seed(1);
    test_matmul(1, 37, 5);     // N < 4: matmul.c's own dot products (generation's one-token step)
    test_matmul(3, 300, 260);  // ... large enough to run them on threads
    test_matmul(5, 7, 3);
    test_matmul(4, 3, 6);
    test_matmul(33, 40, 24);
    test_encoder();
    test_rmsnorm();
    test_gelu();
    test_dropout();
    test_crossentropy();
    test_heads();
    test_rope();
    test_polar(POPE_DELTA_CLAMP);
    test_polar(POPE_DELTA_SIGMOID);
    test_attention_grad(0, 9, 4, 4, 0.0f);
    test_attention_grad(0, 9, 8, 4, 0.3f);
    test_attention_grad(1, 70, 8, 8, 0.0f);   // two tiles, the second partial
    test_attention_grad(1, 70, 16, 8, 0.2f);  // Dk = 2·Dv as for polar, with dropout
    return check_summary("test_ops_grad");
}

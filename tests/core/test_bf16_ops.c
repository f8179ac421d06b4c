// test_bf16_ops.c — the bf16 precision's kernels (docs/KERNELS.md §10):
//  - float → bf16 rounding: hand-worked cases (ties to even, NaN, ±inf, denormals,
//    overflow), and the vector conversion against the scalar definition bit for bit;
//  - bf16_gemm (oneDNN) and tile_gemm_bf16 (vdpbf16ps) in every layout against a double
//    product of the bf16-rounded operands (|err| ≤ 1e-5·Σ|a·b|: only fp32 accumulation
//    remains), and matmul_forward/backward in bf16 against fp32 (≤ 2^-7·Σ|a·b|);
//  - flash attention forward and backward in bf16 against the fp32 reference kernel, with
//    each engine (attention_engine.h: the vdpbf16ps tiles, and the oneDNN blocks where oneDNN
//    runs the shape — asserted, so a silent fall-back fails): max error ≤ 2.5e-2·max|ref|
//    (measured 2e-3..8e-3: 8-bit significands in q·k, P, dS; a wrong mask or a dropped tile
//    is O(1e-1)), and ≥ 1e-5 (else bf16 did not run); shapes with several key chunks of the
//    blocks, partial query blocks, head sizes 16 and 48 (padded weight layouts), heads wider
//    than a 64-column block (96, 128: one call per column block), dropout;
//    and with two threads;
//  - the AUTO engine is the oneDNN blocks exactly where oneDNN's kernel is AMX.
// Needs AVX512-BF16 and oneDNN: without them it prints which is missing and skips (77).
#include <float.h>
#include <math.h>

#include "attention_engine.h"
#include "bf16.h"
#include "ops.h"
#include "test_ops_util.h"

static void test_rounding(void) {
    const struct { uint32_t in; uint16_t want; const char *what; } cases[] = {
        {0x3F800000u, 0x3F80, "1"},
        {0x3F808000u, 0x3F80, "1 + 2^-8: tie, to even (down)"},
        {0x3F818000u, 0x3F82, "1 + 3·2^-8: tie, to even (up)"},
        {0x3F808001u, 0x3F81, "just above the tie"},
        {0x3F807FFFu, 0x3F80, "just below the tie"},
        {0xBF818000u, 0xBF82, "negative tie"},
        {0x7F800000u, 0x7F80, "+inf"},
        {0xFF800000u, 0xFF80, "-inf"},
        {0x7F7FFFFFu, 0x7F80, "FLT_MAX rounds to inf"},
        {0x7F7F7FFFu, 0x7F7F, "largest value that stays finite"},
        {0x7F800001u, 0x7FC0, "signalling NaN becomes quiet"},
        {0xFFC00000u, 0xFFC0, "quiet NaN"},
        {0x00000001u, 0x0000, "denormal to +0"},
        {0x807FFFFFu, 0x8000, "negative denormal to -0"},
        {0x00800000u, 0x0080, "smallest normal"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        float f;
        memcpy(&f, &cases[i].in, sizeof f);
        const uint16_t got = bf16_from_float(f);
        CHECK(got == cases[i].want, "%s: 0x%08X → 0x%04X, want 0x%04X", cases[i].what, cases[i].in, got,
              cases[i].want);
    }
}

static void test_convert(void) {
    enum { N = 4099 };
    float *x = tu_rand(N, -3e4f, 3e4f);
    for (int i = 0; i < N; i += 7) {  // spread over the exponent range, specials included
        const uint32_t u = (uint32_t)tu_u64();
        memcpy(&x[i], &u, sizeof u);
    }
    x[1] = INFINITY, x[2] = -INFINITY, x[3] = NAN, x[4] = 1e-40f, x[5] = -0.0f, x[6] = FLT_MAX;
    uint16_t *h = malloc(N * sizeof *h);
    for (int n = 1; n <= N; n = n < 40 ? n + 1 : n * 3) {  // every tail length, then large
        memset(h, 0xAB, N * sizeof *h);
        bf16_convert(h, x, (size_t)n);
        int bad = -1;
        for (int i = 0; i < n && bad < 0; i++)
            if (h[i] != bf16_from_float(x[i])) bad = i;
        CHECK(bad < 0, "bf16_convert n=%d: element %d is 0x%04X, want 0x%04X", n, bad, bad < 0 ? 0 : h[bad],
              bad < 0 ? 0 : bf16_from_float(x[bad]));
        CHECK(n == N || h[n] == 0xABAB, "bf16_convert n=%d wrote past the end", n);
    }
    free(x);
    free(h);
}

// C (M×N) = op(A)·op(B) in double from bf16-rounded operands; *sabs = Σ|a·b| per element.
static void ref_product(double *C, double *sabs, const float *A, int ta, const float *B, int tb, int M,
                        int N, int K, int round) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0.0, sa = 0.0;
            for (int p = 0; p < K; p++) {
                float a = ta ? A[(size_t)p * M + i] : A[(size_t)i * K + p];
                float b = tb ? B[(size_t)j * K + p] : B[(size_t)p * N + j];
                if (round) a = bf16_round(a), b = bf16_round(b);
                s += (double)a * b, sa += fabs((double)a * b);
            }
            C[(size_t)i * N + j] = s, sabs[(size_t)i * N + j] = sa;
        }
}

// got (+ base when accumulating) against want within tol·Σ|a·b| per element.
static void compare_product(const char *what, const float *got, const float *base, const double *want,
                            const double *sabs, size_t n, double tol) {
    size_t bad = n;
    for (size_t i = 0; i < n && bad == n; i++) {
        const double w = want[i] + (base ? base[i] : 0.0);
        if (!(fabs(got[i] - w) <= tol * sabs[i] + 1e-6)) bad = i;
    }
    CHECK(bad == n, "%s: element %zu of %zu: got %.9g, want %.9g", what, bad, n, bad < n ? got[bad] : 0.0,
          bad < n ? want[bad] + (base ? base[bad] : 0.0) : 0.0);
}

static void test_gemm(int M, int N, int K) {
    float *A = tu_rand((size_t)M * K, -1, 1), *B = tu_rand((size_t)K * N, -1, 1);
    double *want = malloc(sizeof(double) * M * N), *sabs = malloc(sizeof(double) * M * N);
    float *C0 = tu_rand((size_t)M * N, -1, 1), *C = malloc(sizeof(float) * M * N);
    char what[96];
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            ref_product(want, sabs, A, ta, B, tb, M, N, K, 1);
            for (int acc = 0; acc < 2; acc++) {
                memcpy(C, C0, sizeof(float) * M * N);
                snprintf(what, sizeof what, "bf16_gemm %dx%dx%d ta%d tb%d acc%d", M, N, K, ta, tb, acc);
                CHECK(bf16_gemm(C, A, ta, B, tb, M, N, K, acc) == 0, "%s: %s", what, pope_last_error());
                compare_product(what, C, acc ? C0 : NULL, want, sabs, (size_t)M * N, 1e-5);
            }
        }
    printf("bf16_gemm %dx%dx%d (NT): %s\n", M, N, K, bf16_gemm_impl(M, N, K, 0, 1, 0));
    free(A), free(B), free(want), free(sabs), free(C0), free(C);
}

// More shapes than the primitive cache holds (64): every product stays right, also a
// shape whose primitive was replaced and is created again.
static void test_gemm_cache(void) {
    enum { N = 5, K = 7, MMAX = 80 };
    float *A = tu_rand((size_t)MMAX * K, -1, 1), *B = tu_rand((size_t)K * N, -1, 1), *C = malloc(sizeof(float) * MMAX * N);
    double *want = malloc(sizeof(double) * MMAX * N), *sabs = malloc(sizeof(double) * MMAX * N);
    for (int r = 0; r < 2; r++)
        for (int M = 1; M <= (r ? 3 : MMAX); M++) {  // round 1: evicted shapes again
            char what[64];
            snprintf(what, sizeof what, "cache round %d, M %d", r, M);
            CHECK(bf16_gemm(C, A, 0, B, 0, M, N, K, 0) == 0, "%s: %s", what, pope_last_error());
            ref_product(want, sabs, A, 0, B, 0, M, N, K, 1);
            compare_product(what, C, NULL, want, sabs, (size_t)M * N, 1e-5);
        }
    free(A), free(B), free(C), free(want), free(sabs);
}

// matmul_forward/backward in bf16 against the same ops in fp32 and against the double
// product of rounded operands (which pins the layouts the dispatch passes to oneDNN).
static void test_matmul(int N, int IN, int OUT) {
    float *inp = tu_rand((size_t)N * IN, -1, 1), *w = tu_rand((size_t)OUT * IN, -1, 1);
    float *dout = tu_rand((size_t)N * OUT, -1, 1);
    float *out = malloc(sizeof(float) * N * OUT), *out32 = malloc(sizeof(float) * N * OUT);
    float *dinp0 = tu_rand((size_t)N * IN, -1, 1), *dw0 = tu_rand((size_t)OUT * IN, -1, 1);
    float *dinp = malloc(sizeof(float) * N * IN), *dw = malloc(sizeof(float) * OUT * IN);
    const size_t big = (size_t)N * (IN > OUT ? IN : OUT) + (size_t)OUT * IN;
    double *want = malloc(sizeof(double) * big), *sabs = malloc(sizeof(double) * big);
    char what[96];
    snprintf(what, sizeof what, "matmul N%d IN%d OUT%d", N, IN, OUT);
    pope_set_precision(POPE_PREC_FP32);
    matmul_forward(out32, inp, w, N, IN, OUT);
    pope_set_precision(POPE_PREC_BF16);
    matmul_forward(out, inp, w, N, IN, OUT);
    ref_product(want, sabs, inp, 0, w, 1, N, OUT, IN, 1);
    compare_product(what, out, NULL, want, sabs, (size_t)N * OUT, 1e-5);
    ref_product(want, sabs, inp, 0, w, 1, N, OUT, IN, 0);
    compare_product(what, out, NULL, want, sabs, (size_t)N * OUT, 1.0 / 128);  // vs unrounded
    compare_product(what, out32, NULL, want, sabs, (size_t)N * OUT, 1e-5);     // (the fp32 path)
    double diff = 0.0;  // the bf16 path ran: fp32 would agree to ~1e-7
    for (size_t i = 0; i < (size_t)N * OUT; i++) diff = fmax(diff, fabs(out[i] - out32[i]));
    CHECK(diff > 1e-5, "%s: bf16 result equals fp32's (max diff %g): bf16 did not run", what, diff);
    memcpy(dinp, dinp0, sizeof(float) * N * IN), memcpy(dw, dw0, sizeof(float) * OUT * IN);
    matmul_backward(dinp, dw, dout, inp, w, N, IN, OUT);
    ref_product(want, sabs, dout, 0, w, 0, N, IN, OUT, 1);
    compare_product("dinp", dinp, dinp0, want, sabs, (size_t)N * IN, 1e-5);
    ref_product(want, sabs, dout, 1, inp, 0, OUT, IN, N, 1);
    compare_product("dweight", dw, dw0, want, sabs, (size_t)OUT * IN, 1e-5);
    pope_set_precision(POPE_PREC_FP32);
    free(inp), free(w), free(dout), free(out), free(out32), free(dinp0), free(dw0), free(dinp), free(dw);
    free(want), free(sabs);
}

// tile_gemm_bf16 with A row-major (csa = 1) and transposed (rsa = 1), into a wider C.
static void test_tile(int m, int n, int k) {
    const int ldc = n + 3, lda = k + 2, ldat = m + 5, ldb = n + 1;
    float *A = tu_rand((size_t)m * lda, -2, 2), *At = malloc(sizeof(float) * (size_t)k * ldat);
    float *B = tu_rand((size_t)k * ldb, -2, 2);
    for (int i = 0; i < m; i++)
        for (int p = 0; p < k; p++) At[(size_t)p * ldat + i] = A[(size_t)i * lda + p];
    float *C0 = tu_rand((size_t)m * ldc, -1, 1), *C = malloc(sizeof(float) * m * ldc);
    uint32_t *scratch = malloc(sizeof(uint32_t) * tile_gemm_bf16_scratch(m > n ? (m > k ? m : k) : (n > k ? n : k)));
    for (int tr = 0; tr < 2; tr++)
        for (int acc = 0; acc < 2; acc++) {
            memcpy(C, C0, sizeof(float) * m * ldc);
            if (tr) tile_gemm_bf16(C, ldc, At, 1, ldat, B, ldb, m, n, k, acc, scratch);
            else tile_gemm_bf16(C, ldc, A, lda, 1, B, ldb, m, n, k, acc, scratch);
            size_t bad = (size_t)-1;
            for (int i = 0; i < m; i++)
                for (int j = 0; j < ldc; j++) {
                    double s = 0.0, sa = 0.0;
                    for (int p = 0; p < k && j < n; p++) {
                        const double ab = (double)bf16_round(A[(size_t)i * lda + p]) * bf16_round(B[(size_t)p * ldb + j]);
                        s += ab, sa += fabs(ab);
                    }
                    // columns past n must be left alone
                    const double want = j >= n ? C0[(size_t)i * ldc + j] : s + (acc ? C0[(size_t)i * ldc + j] : 0.0);
                    if (bad == (size_t)-1 && !(fabs(C[(size_t)i * ldc + j] - want) <= 1e-5 * sa + 1e-6))
                        bad = (size_t)i * ldc + j;
                }
            CHECK(bad == (size_t)-1, "tile_gemm_bf16 m%d n%d k%d transposed-A %d acc %d: element %zu wrong", m, n,
                  k, tr, acc, bad);
        }
    free(A), free(At), free(B), free(C0), free(C), free(scratch);
}

// Operands packed once for a whole "head" of R rows (tile_pack_a_bf16 / tile_pack_b_bf16) and
// read at a tile's offset give the same bits as packing that tile for the product: A's rows
// i0.. (tile_gemm_bf16_pp), B's rows k0.. with k ≤ R − k0, odd at the end (the packed path).
static void test_tile_prepacked(int R, int K, int n) {
    const int lda = K + 3, ldb = n + 2, ldc = n;
    float *A = tu_rand((size_t)R * lda, -2, 2), *B = tu_rand((size_t)K * ldb, -2, 2);
    float *Bh = tu_rand((size_t)R * ldb, -2, 2), *Ak = tu_rand((size_t)64 * R, -2, 2);
    float *C = malloc(sizeof(float) * (size_t)R * n), *want = malloc(sizeof(float) * (size_t)R * n);
    const int big = R > K ? (R > n ? R : n) : (K > n ? K : n);
    uint32_t *scratch = malloc(sizeof(uint32_t) * tile_gemm_bf16_scratch(big));
    uint32_t *ap = malloc(sizeof(uint32_t) * tile_bf16_rows_words(R, K));
    uint32_t *bp = malloc(sizeof(uint32_t) * tile_bf16_packed_words(K, n));
    uint32_t *bh = malloc(sizeof(uint32_t) * tile_bf16_packed_words(R, n));
    tile_pack_a_bf16(ap, A, lda, R, K);
    tile_pack_b_bf16(bp, B, ldb, K, n);
    tile_pack_b_bf16(bh, Bh, ldb, R, n);
    int bad = 0;
    for (int r0 = 0; r0 < R; r0 += 64) {
        const int m = R - r0 < 64 ? R - r0 : 64;
        tile_gemm_bf16(want, ldc, A + (size_t)r0 * lda, lda, 1, B, ldb, m, n, K, 0, scratch);
        tile_gemm_bf16_pp(C, ldc, ap + tile_bf16_rows_words(r0, K), bp, m, n, K, 0);
        bad += memcmp(C, want, sizeof(float) * (size_t)m * n) != 0;
        // B's rows r0..r0+m as the k of a 64-row A given as Aᵀ (the backward's dK = dSᵀ·Q)
        tile_gemm_bf16(want, ldc, Ak, 1, 64, Bh + (size_t)r0 * ldb, ldb, 64, n, m, 0, scratch);
        tile_gemm_bf16_packed(C, ldc, Ak, 1, 64, bh + tile_bf16_packed_offset(r0, n), 64, n, m, 0, scratch);
        bad += memcmp(C, want, sizeof(float) * (size_t)64 * n) != 0;
    }
    CHECK(bad == 0, "prepacked R%d K%d n%d: %d tiles differ from packing per product", R, K, n, bad);
    free(A), free(B), free(Bh), free(Ak), free(C), free(want), free(scratch), free(ap), free(bp), free(bh);
}

static double max_abs(const float *x, size_t n) {
    double m = 0.0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(x[i]));
    return m;
}
// max |got − want| / max |want|, checked against tol and printed. Also ≥ 1e-5: the fp32
// kernel is within ~1e-6 of the reference, so a smaller error means bf16 did not run.
static void compare_rel(const char *what, const float *got, const float *want, size_t n, double tol) {
    double e = 0.0;
    for (size_t i = 0; i < n; i++) e = fmax(e, fabs((double)got[i] - want[i]));
    e /= max_abs(want, n) + 1e-30;
    CHECK(e <= tol && e >= 1e-5, "%s: max error %.3g of max|ref|, want within [1e-5, %.3g]", what, e, tol);
    printf("  %-44s %.2e\n", what, e);
}

// bf16 flash attention against the fp32 reference (forward out, lse; backward dq, dk, dv),
// with engine e.
static void test_attention(attention_bf16_engine e, int B, int H, int T, int Dk, int Dv, float p) {
    const size_t nk = (size_t)B * H * T * Dk, nv = (size_t)B * H * T * Dv, nl = (size_t)B * H * T;
    const float scale = 1.0f / sqrtf((float)Dv);
    float *q = tu_rand(nk, -2, 2), *k = tu_rand(nk, -1.5f, 1.5f), *v = tu_rand(nv, -1, 1);
    float *dout = tu_rand(nv, -1, 1);
    float *out = tu_fill(nv, 0), *lse = tu_fill(nl, 0), *out_r = tu_fill(nv, 0), *lse_r = tu_fill(nl, 0);
    float *dq = tu_fill(nk, 0), *dk = tu_fill(nk, 0), *dv = tu_fill(nv, 0);
    float *dq_r = tu_fill(nk, 0), *dk_r = tu_fill(nk, 0), *dv_r = tu_fill(nv, 0);
    attention_forward_ref(out_r, lse_r, q, k, v, B, H, T, Dk, Dv, scale, p, 7);
    attention_backward_ref(dq_r, dk_r, dv_r, dout, out_r, lse_r, q, k, v, B, H, T, Dk, Dv, scale, p, 7);
    pope_set_precision(POPE_PREC_BF16);
    attention_bf16_engine_select(e);
    // the oneDNN blocks take head sizes that are multiples of 16 up to 256 (else the tiles run)
    const int blocks = e == ATTN_BF16_ONEDNN && Dk % 16 == 0 && Dv % 16 == 0 && Dk <= 256 && Dv <= 256;
    CHECK(attention_bf16_uses_onednn(Dk, Dv) == blocks, "engine %d Dk %d Dv %d: oneDNN blocks %d, want %d", (int)e,
          Dk, Dv, attention_bf16_uses_onednn(Dk, Dv), blocks);
    CHECK(attention_forward(out, lse, q, k, v, B, H, T, Dk, Dv, scale, p, 7) == 0, "forward failed: %s",
          pope_last_error());
    CHECK(attention_backward(dq, dk, dv, dout, out, lse, q, k, v, B, H, T, Dk, Dv, scale, p, 7) == 0,
          "backward failed: %s", pope_last_error());
    CHECK(attention_bf16_uses_onednn(Dk, Dv) == blocks, "the oneDNN blocks declined Dk %d Dv %d: %s", Dk, Dv,
          pope_last_error());
    const char *engine = blocks ? attention_bf16_engine_name() : "vdpbf16ps tiles";
    attention_bf16_engine_select(ATTN_BF16_AUTO);
    pope_set_precision(POPE_PREC_FP32);
    char what[128];
    printf("bf16 attention (%s) B%d H%d T%d Dk%d Dv%d p%.1f, max error / max|ref|:\n", engine, B, H, T, Dk, Dv, p);
    const char *names[] = {"out", "lse", "dq", "dk", "dv"};
    const float *got[] = {out, lse, dq, dk, dv}, *want[] = {out_r, lse_r, dq_r, dk_r, dv_r};
    const size_t n[] = {nv, nl, nk, nk, nv};
    for (int i = 0; i < 5; i++) {
        snprintf(what, sizeof what, "T%d Dk%d Dv%d p%.1f %s", T, Dk, Dv, p, names[i]);
        compare_rel(what, got[i], want[i], n[i], 2.5e-2);
    }
    free(q), free(k), free(v), free(dout), free(out), free(lse), free(out_r), free(lse_r);
    free(dq), free(dk), free(dv), free(dq_r), free(dk_r), free(dv_r);
}

int main(void) {
    pope_runtime_init(1);
    test_rounding();
    if (pope_bf16_supported() != 0) {
        printf("SKIP: %s\n", pope_last_error());
        return check_failed_ ? 1 : CHECK_SKIP;
    }
    test_convert();
    const int shapes[][3] = {{1, 1, 1}, {5, 7, 3}, {33, 17, 65}, {64, 48, 300}, {300, 13, 48}};
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) test_gemm(shapes[i][0], shapes[i][1], shapes[i][2]);
    test_gemm_cache();
    test_matmul(300, 48, 13);
    test_matmul(256, 64, 192);
    const int tiles[][3] = {{1, 1, 1}, {64, 64, 32}, {64, 32, 64}, {17, 45, 33}, {9, 16, 7}, {64, 64, 64}, {5, 70, 129}};
    for (size_t i = 0; i < sizeof tiles / sizeof *tiles; i++) test_tile(tiles[i][0], tiles[i][1], tiles[i][2]);
    test_tile_prepacked(200, 32, 32);   // a last tile of 8 rows
    test_tile_prepacked(129, 64, 32);   // odd: the last tile is one row, its pair padded
    test_tile_prepacked(77, 9, 5);      // odd K and n
    for (int e = ATTN_BF16_TILES; e <= ATTN_BF16_ONEDNN; e++) {
        test_attention(e, 1, 2, 200, 32, 32, 0.0f);   // rope / none: Dk = Dv
        test_attention(e, 2, 1, 129, 64, 32, 0.0f);   // polar: Dk = 2·Dv
        test_attention(e, 1, 2, 100, 64, 32, 0.2f);   // with dropout
        test_attention(e, 1, 1, 17, 10, 5, 0.0f);     // odd head sizes, one partial tile (tiles only)
        test_attention(e, 1, 1, 70, 128, 64, 0.0f);   // polar at D 64: tiles wider than 64; two column blocks
        test_attention(e, 1, 2, 600, 96, 48, 0.1f);   // polar at D 48 (MAESTRO paper): blocks of 64 + 32 columns
        test_attention(e, 1, 2, 1100, 64, 32, 0.2f);  // three key chunks of the blocks, a partial last one
        test_attention(e, 2, 1, 300, 16, 48, 0.1f);   // weights padded to 32 rows (16) and 48 columns
        test_attention(e, 1, 1, 40, 48, 16, 0.0f);    // one partial block
        pope_runtime_init(2);  // two threads: work items shared, per-thread scratch and oneDNN objects
        test_attention(e, 2, 3, 700, 64, 32, 0.2f);
        test_attention(e, 1, 5, 300, 96, 48, 0.0f);
        pope_runtime_init(1);
    }
    // AUTO: the blocks where oneDNN multiplies an attention block with AMX, else the tiles
    pope_set_precision(POPE_PREC_BF16);
    const int amx = strstr(bf16_gemm_impl(64, 256, 64, 0, 1, 0), "amx") != NULL;
    char env_buf[64] = "";
    const char *env = getenv("POPE_BF16_ATTENTION") ? strncpy(env_buf, getenv("POPE_BF16_ATTENTION"), 63) : NULL;
    if (env)
        printf("AUTO engine not checked: POPE_BF16_ATTENTION=%s overrides it\n", getenv("POPE_BF16_ATTENTION"));
    else CHECK(attention_bf16_uses_onednn(64, 32) == amx, "AUTO engine: oneDNN blocks %d, oneDNN's kernel %s",
          attention_bf16_uses_onednn(64, 32), bf16_gemm_impl(64, 256, 64, 0, 1, 0));
    printf("AUTO engine: %s\n", attention_bf16_engine_name());
    // the environment: a valid choice overrides AUTO, anything else is ignored and named
    setenv("POPE_BF16_ATTENTION", "onednn", 1);
    CHECK(attention_bf16_uses_onednn(64, 32) == 1, "POPE_BF16_ATTENTION=onednn: the blocks do not run");
    setenv("POPE_BF16_ATTENTION", "tiles", 1);
    CHECK(attention_bf16_uses_onednn(64, 32) == 0, "POPE_BF16_ATTENTION=tiles: the blocks run");
    setenv("POPE_BF16_ATTENTION", "oneDNN", 1);
    CHECK(attention_bf16_uses_onednn(64, 32) == amx && strstr(attention_bf16_engine_name(), "'oneDNN' ignored"),
          "POPE_BF16_ATTENTION=oneDNN (misspelt): blocks %d, name '%s'", attention_bf16_uses_onednn(64, 32),
          attention_bf16_engine_name());
    if (env) setenv("POPE_BF16_ATTENTION", env, 1);
    else unsetenv("POPE_BF16_ATTENTION");
    pope_set_precision(POPE_PREC_FP32);
    return check_summary("test_bf16_ops");
}

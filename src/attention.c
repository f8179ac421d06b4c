// attention.c — causal flash attention (FlashAttention-2 style) on head-major tensors.
// Never materialises (T,T): the forward walks key tiles with an online softmax and saves
// lse; the backward recomputes p tile by tile from lse. The algorithm, the threading and
// the tolerances against attention_ref.c are in docs/KERNELS.md. In bf16 a call may run the
// oneDNN blocks instead (attention_dnnl.c, AMX CPUs: attention_engine.h).
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attention_engine.h"
#include "bf16.h"
#include "kernel_alloc.h"
#include "kernel_hash.h"
#include "kernel_tile.h"
#include "kernel_vec.h"
#include "ops.h"

// Query / key tile sizes. BQ == BK makes the diagonal tile square. A 64-key tile of K
// (transposed) and V at D = 32 is 16 KiB, the 64×64 score tile 16 KiB: L1/L2 resident.
enum { BQ = 64, BK = 64 };

static inline int imin(int a, int b) { return a < b ? a : b; }

// The tile product in the precision of this call: with bf16 scratch (precision bf16) the
// operands are rounded to bf16 and multiplied by vdpbf16ps (kernel_bf16.c, fp32
// accumulation), B taken from bp when the caller packed it once for several products;
// else tile_gemm in fp32. Softmax statistics, the output accumulator and every
// element-wise step stay fp32 either way (docs/KERNELS.md §10).
static inline void tgemm(uint32_t *bf, const uint32_t *bp, float *C, int ldc, const float *A, int rsa,
                         int csa, const float *B, int ldb, int m, int n, int k, int accumulate) {
    if (bf && bp)
        tile_gemm_bf16_packed(C, ldc, A, rsa, csa, bp, m, n, k, accumulate, bf);
    else if (bf)
        tile_gemm_bf16(C, ldc, A, rsa, csa, B, ldb, m, n, k, accumulate, bf);
    else
        tile_gemm(C, ldc, A, rsa, csa, B, ldb, m, n, k, accumulate);
}
// 32-bit words of bf16 scratch per thread (0 in fp32): the products' own scratch (every
// tile dimension is BQ = BK, Dk or Dv) plus `packed` words of operands packed once.
static size_t bf16_words(int Dk, int Dv, size_t packed) {
    const int d = Dk > Dv ? Dk : Dv;
    return bf16_active() ? tile_gemm_bf16_scratch(d > BK ? d : BK) + packed : 0;
}

// bf16: the operands that many tile products of a head read are converted once rather than
// once per product (a query tile meets every earlier key tile). The forward's work items
// mix heads, so K and V of every head are packed here, once per call: per head of x (BH
// heads of T×D) its rows as A (tile_pack_a_bf16) or as B pairs (tile_pack_b_bf16), head
// after head. The backward's Q and dO are packed per head by the thread that owns the head
// (flash_backward_head): one call-wide allocation of all heads cost more in page faults
// than it saved (docs/KERNELS.md §10).
static size_t bf16_head_words(int bh, int T, int D, int as_b) {
    return (size_t)bh * (as_b ? tile_bf16_packed_words(T, D) : tile_bf16_rows_words(T, D));
}
static uint32_t *heads_bf16(const float *x, int BH, int T, int D, int as_b) {
    uint32_t *out = (uint32_t *)pope_alloc_floats(bf16_head_words(BH, T, D, as_b));
    if (!out) return NULL;
    #pragma omp parallel for schedule(static)
    for (int bh = 0; bh < BH; bh++) {
        const float *xh = x + (size_t)bh * T * D;
        uint32_t *o = out + bf16_head_words(bh, T, D, as_b);
        if (as_b) tile_pack_b_bf16(o, xh, D, T, D);
        else tile_pack_a_bf16(o, xh, D, T, D);
    }
    return out;
}

// Row helpers on n contiguous floats (vector body, scalar tail).
static void row_scale(float *x, int n, float a) {
    int j = 0;
    for (; j + KV_W <= n; j += KV_W) kv_store(x + j, kv_load(x + j) * a);
    for (; j < n; j++) x[j] *= a;
}

typedef struct {
    float *qt;     // (Dk, BQ)  query tile transposed, zero-padded past the last query
    float *st;     // (BK, BQ)  scores transposed (key-major), then probabilities
    float *o;      // (BQ, Dv)  unnormalised output accumulator
    float *m, *l;  // (BQ)      running max (scaled) and sum
    float *alpha;  // (BQ)      rescale factors of one key tile
    float *mask;   // (BQ)      dropout factors of one key
    uint32_t *bf;  // bf16 tile scratch, NULL in fp32
    uint32_t *bq;  // bf16: Qᵀ packed once per work item (the B of every Sᵀ = K·Qᵀ)
    const uint32_t *ka, *vb;  // bf16: K's rows and V's pairs, every head packed once (heads_bf16)
} fwd_scratch;

// Query rows [q0, q1) of head bh: walks the key tiles 0..q1−1 with an online softmax.
// Scores are kept transposed, Sᵀ = K·Qᵀ (BK × BQ): the softmax statistics of the BQ
// queries are then plain vector ops along the rows of Sᵀ (no horizontal reductions),
// and only the query tile is transposed, once per work item.
static void flash_forward_tile(const fwd_scratch *w, float *out, float *lse, const float *q,
                               const float *k, const float *v, int bh, int T, int Dk, int Dv,
                               float scale, float dropout_p, uint64_t seed, int q0, int q1) {
    const int nq = q1 - q0;
    const float *kh = k + (size_t)bh * T * Dk, *vh = v + (size_t)bh * T * Dv;
    const float inv_keep = dropout_p > 0.0f ? 1.0f / (1.0f - dropout_p) : 1.0f;
    if (nq < BQ) memset(w->qt, 0, sizeof(float) * (size_t)Dk * BQ);
    tile_transpose(w->qt, BQ, q + ((size_t)bh * T + q0) * Dk, Dk, nq, Dk);
    // Scores in base-2 units: Qᵀ scaled once by scale·log₂e, so that the softmax below is
    // 2^(s − m) with no multiply per score (m, the running max, in the same units).
    row_scale(w->qt, Dk * BQ, scale * K_LOG2E);
    if (w->bf) tile_pack_b_bf16(w->bq, w->qt, BQ, Dk, BQ);
    for (int i = 0; i < BQ; i++) w->m[i] = -INFINITY, w->l[i] = 0.0f;

    for (int k0 = 0; k0 < q1; k0 += BK) {
        const int nk = imin(BK, q1 - k0);
        const int diag = k0 + nk - 1 > q0;  // some key of this tile is after some query
        if (w->bf)  // Sᵀ = K·Qᵀ
            tile_gemm_bf16_pp(w->st, BQ, w->ka + bf16_head_words(bh, T, Dk, 0) + tile_bf16_rows_words(k0, Dk), w->bq,
                              nk, BQ, Dk, 0);
        else
            tile_gemm(w->st, BQ, kh + (size_t)k0 * Dk, Dk, 1, w->qt, BQ, nk, BQ, Dk, 0);
        if (diag)  // causal mask: key s = k0+j is hidden from query t = q0+i when s > t
            for (int j = 0; j < nk; j++)
                for (int i = 0; i < BQ && q0 + i < k0 + j; i++) w->st[(size_t)j * BQ + i] = -INFINITY;
        // new running max per query
        for (int i = 0; i < BQ; i += KV_W) {
            kvec mx = kv_load(w->m + i);
            for (int j = 0; j < nk; j++) mx = kv_max(mx, kv_load(w->st + (size_t)j * BQ + i));
            // alpha = 2^(m_old − m_new) rescales the old sum and output (2^−∞ = 0 on the
            // first tile)
            kv_store(w->alpha + i, kv_exp2_le0(kv_load(w->m + i) - mx));
            kv_store(w->m + i, mx);
        }
        // p = 2^(s − m), l = l·alpha + Σ_s p   (masked: 2^−∞ = 0 exactly)
        for (int i = 0; i < BQ; i += KV_W) {
            const kvec mx = kv_load(w->m + i);
            kvec sum = kv_splat(0.0f);
            for (int j = 0; j < nk; j++) {
                const kvec p = kv_exp2_le0(kv_load(w->st + (size_t)j * BQ + i) - mx);
                kv_store(w->st + (size_t)j * BQ + i, p);
                sum += p;
            }
            kv_store(w->l + i, kv_load(w->l + i) * kv_load(w->alpha + i) + sum);
        }
        if (k0 > 0)
            for (int i = 0; i < nq; i++) row_scale(w->o + (size_t)i * Dv, Dv, w->alpha[i]);
        if (dropout_p > 0.0f)  // dropped after the sum: lse is of the full softmax
            for (int j = 0; j < nk; j++) {  // key s = k0+j for queries q0.., index stride T
                kernel_dropout_factors(w->mask, nq, attention_drop_index(bh, T, q0, k0 + j), (uint64_t)T, seed,
                                       dropout_p, inv_keep);
                float *prow = w->st + (size_t)j * BQ;
                for (int i = 0; i < nq; i++) prow[i] *= w->mask[i];
            }
        // O (=|+=) P·V with P = (Sᵀ)ᵀ read through strides
        tgemm(w->bf, w->vb ? w->vb + bf16_head_words(bh, T, Dv, 1) + tile_bf16_packed_offset(k0, Dv) : NULL, w->o, Dv,
              w->st, 1, BQ, vh + (size_t)k0 * Dv, Dv, nq, Dv, nk, k0 > 0);
    }
    for (int i = 0; i < nq; i++) {
        const size_t row = (size_t)bh * T + q0 + i;
        const float inv = 1.0f / w->l[i];
        for (int e = 0; e < Dv; e++) out[row * Dv + e] = w->o[(size_t)i * Dv + e] * inv;
        if (lse) lse[row] = w->m[i] * K_LN2 + logf(w->l[i]);  // natural log units
    }
}

int attention_forward(float *out, float *lse, const float *q, const float *k, const float *v,
                      int B, int H, int T, int Dk, int Dv, float scale,
                      float dropout_p, uint64_t dropout_seed) {
    if (attention_bf16_uses_onednn(Dk, Dv)) {  // the oneDNN blocks (attention_dnnl.c), unless they decline
        const int rc = attention_forward_dnnl(out, lse, q, k, v, B, H, T, Dk, Dv, scale, dropout_p, dropout_seed);
        if (rc <= 0) return rc;
    }
    const int BH = B * H, nqt = (T + BQ - 1) / BQ;
    const int64_t items = (int64_t)BH * nqt;
    int failed = 0;
    uint32_t *ka = NULL, *vb = NULL;
    if (bf16_active() && (!(ka = heads_bf16(k, BH, T, Dk, 0)) || !(vb = heads_bf16(v, BH, T, Dv, 1)))) {
        free(ka);
        return pope_error("attention forward: out of memory for the bf16 keys and values");
    }
    #pragma omp parallel
    {
        fwd_scratch w;
        w.ka = ka;
        w.vb = vb;
        const size_t nf = (size_t)Dk * BQ + BK * BQ + (size_t)BQ * Dv + 4 * BQ;
        const size_t nbq = tile_bf16_packed_words(Dk, BQ), nbf = bf16_words(Dk, Dv, nbq);
        float *buf = pope_alloc_floats(nf + nbf);
        if (attention_team_failed(!buf, &failed)) goto out;
        w.qt = buf;
        w.st = w.qt + (size_t)Dk * BQ;
        w.o = w.st + BK * BQ;
        w.m = w.o + (size_t)BQ * Dv;
        w.l = w.m + BQ;
        w.alpha = w.l + BQ;
        w.mask = w.alpha + BQ;
        w.bf = nbf ? (uint32_t *)(buf + nf) : NULL;
        w.bq = nbf ? w.bf + (nbf - nbq) : NULL;
        // Latest (longest) query tiles first, so that the dynamic schedule ends balanced.
        #pragma omp for schedule(dynamic, 1)
        for (int64_t it = 0; it < items; it++) {
            const int qt = nqt - 1 - (int)(it / BH), bh = (int)(it % BH);
            const int q0 = qt * BQ;
            flash_forward_tile(&w, out, lse, q, k, v, bh, T, Dk, Dv, scale, dropout_p,
                               dropout_seed, q0, imin(q0 + BQ, T));
        }
    out:
        free(buf);
    }
    free(ka);
    free(vb);
    return failed ? pope_error("attention forward: out of memory for the tile scratch") : 0;
}

typedef struct {
    float *kt, *vt;  // (Dk, BK), (Dv, BK)  key / value tile transposed
    float *p;        // (BQ, BK)            probabilities (dropped, for dV)
    float *ds;       // (BQ, BK)            dPd, then dS (scale folded in)
    float *dk, *dv;  // (BK, Dk), (BK, Dv)  key-tile gradient accumulators
    float *drow;     // (T)                 D_t = dout_t·out_t
    float *mask;     // (BK)                dropout factors of one row
    uint32_t *bf;    // bf16 tile scratch, NULL in fp32
    uint32_t *bkt, *bvt, *bk;  // bf16: Kᵀ, Vᵀ and K of the key tile, packed once per key tile
    uint32_t *qa, *ga, *qb, *gb;  // bf16: the head's Q and dO as A rows and as B pairs, packed once per head
} bwd_scratch;

// All key tiles of head bh (one thread owns the head: its dq rows are accumulated in
// place, its dk/dv tiles once per key tile).
static void flash_backward_head(const bwd_scratch *w, float *dq, float *dk, float *dv,
                                const float *dout, const float *out, const float *lse,
                                const float *q, const float *k, const float *v, int bh, int T,
                                int Dk, int Dv, float scale, float dropout_p, uint64_t seed) {
    const size_t ok = (size_t)bh * T * Dk, ov = (size_t)bh * T * Dv;
    const float *qh = q + ok, *kh = k + ok, *vh = v + ov, *gh = dout + ov, *oh = out + ov;
    const float *lh = lse + (size_t)bh * T;
    const float inv_keep = dropout_p > 0.0f ? 1.0f / (1.0f - dropout_p) : 1.0f;
    const float scale2 = scale * K_LOG2E;  // p = 2^(scale·log₂e·s − lse·log₂e)
    if (w->bf) {  // what every (key tile, query tile) product of the head reads: packed once
        tile_pack_a_bf16(w->qa, qh, Dk, T, Dk);
        tile_pack_a_bf16(w->ga, gh, Dv, T, Dv);
        tile_pack_b_bf16(w->qb, qh, Dk, T, Dk);
        tile_pack_b_bf16(w->gb, gh, Dv, T, Dv);
    }
    attention_backward_dt(w->drow, gh, oh, T, Dv);
    for (int k0 = 0; k0 < T; k0 += BK) {
        const int nk = imin(BK, T - k0);
        tile_transpose(w->kt, BK, kh + (size_t)k0 * Dk, Dk, nk, Dk);
        tile_transpose(w->vt, BK, vh + (size_t)k0 * Dv, Dv, nk, Dv);
        if (w->bf) {  // the B operands that every query tile below shares
            tile_pack_b_bf16(w->bkt, w->kt, BK, Dk, nk);
            tile_pack_b_bf16(w->bvt, w->vt, BK, Dv, nk);
            tile_pack_b_bf16(w->bk, kh + (size_t)k0 * Dk, Dk, nk, Dk);
        }
        for (int q0 = k0 / BQ * BQ; q0 < T; q0 += BQ) {
            const int nq = imin(BQ, T - q0);
            const float *qt = qh + (size_t)q0 * Dk, *gt = gh + (size_t)q0 * Dv;
            const int first = q0 == k0 / BQ * BQ;  // first query tile of this key tile
            if (w->bf) {  // S = Q·Kᵀ, dPd = dO·Vᵀ
                tile_gemm_bf16_pp(w->p, BK, w->qa + tile_bf16_rows_words(q0, Dk), w->bkt, nq, nk, Dk, 0);
                tile_gemm_bf16_pp(w->ds, BK, w->ga + tile_bf16_rows_words(q0, Dv), w->bvt, nq, nk, Dv, 0);
            } else {
                tile_gemm(w->p, BK, qt, Dk, 1, w->kt, BK, nq, nk, Dk, 0);
                tile_gemm(w->ds, BK, gt, Dv, 1, w->vt, BK, nq, nk, Dv, 0);
            }
            for (int i = 0; i < nq; i++) {
                const int t = q0 + i;
                const int ns = t - k0 + 1 < nk ? t - k0 + 1 : nk;  // keys s <= t (may be <= 0)
                if (dropout_p > 0.0f && ns > 0)  // key s = k0+j of query t, index stride 1
                    kernel_dropout_factors(w->mask, ns, attention_drop_index(bh, T, t, k0), 1, seed, dropout_p,
                                           inv_keep);
                attention_backward_row(w->p + (size_t)i * BK, w->ds + (size_t)i * BK, ns, nk, scale2, lh[t] * K_LOG2E,
                                       w->drow[t], scale, dropout_p > 0.0f ? w->mask : NULL);
            }
            if (dv)  // dV (+)= Pdᵀ·dO: A = Pᵀ read through strides
                tgemm(w->bf, w->gb ? w->gb + tile_bf16_packed_offset(q0, Dv) : NULL,
                      w->dv, Dv, w->p, 1, BK, gt, Dv, nk, Dv, nq, !first);
            if (dq)  // dQ += dS·K, straight into dq
                tgemm(w->bf, w->bk, dq + ok + (size_t)q0 * Dk, Dk, w->ds, BK, 1, kh + (size_t)k0 * Dk, Dk, nq, Dk, nk, 1);
            if (dk)  // dK (+)= dSᵀ·Q
                tgemm(w->bf, w->qb ? w->qb + tile_bf16_packed_offset(q0, Dk) : NULL,
                      w->dk, Dk, w->ds, 1, BK, qt, Dk, nk, Dk, nq, !first);
        }
        if (dk)
            for (size_t i = 0; i < (size_t)nk * Dk; i++) dk[ok + (size_t)k0 * Dk + i] += w->dk[i];
        if (dv)
            for (size_t i = 0; i < (size_t)nk * Dv; i++) dv[ov + (size_t)k0 * Dv + i] += w->dv[i];
    }
}

int attention_backward(float *dq, float *dk, float *dv, const float *dout, const float *out,
                       const float *lse, const float *q, const float *k, const float *v,
                       int B, int H, int T, int Dk, int Dv, float scale,
                       float dropout_p, uint64_t dropout_seed) {
    if (attention_bf16_uses_onednn(Dk, Dv)) {
        const int rc = attention_backward_dnnl(dq, dk, dv, dout, out, lse, q, k, v, B, H, T, Dk, Dv, scale, dropout_p,
                                               dropout_seed);
        if (rc <= 0) return rc;
    }
    const int BH = B * H;
    int failed = 0;
    #pragma omp parallel
    {
        bwd_scratch w;
        const size_t nf = (size_t)(Dk + Dv) * BK + 2 * BQ * BK + (size_t)BK * (Dk + Dv) + T + BK;
        const size_t nkt = tile_bf16_packed_words(Dk, BK), nvt = tile_bf16_packed_words(Dv, BK);
        const size_t nbk = tile_bf16_packed_words(BK, Dk);
        const size_t nqa = tile_bf16_rows_words(T, Dk), nga = tile_bf16_rows_words(T, Dv);
        const size_t nqb = tile_bf16_packed_words(T, Dk), ngb = tile_bf16_packed_words(T, Dv);
        const size_t nbf = bf16_words(Dk, Dv, nkt + nvt + nbk + nqa + nga + nqb + ngb);
        float *buf = pope_alloc_floats(nf + nbf);
        if (attention_team_failed(!buf, &failed)) goto out;
        w.kt = buf;
        w.vt = w.kt + (size_t)Dk * BK;
        w.p = w.vt + (size_t)Dv * BK;
        w.ds = w.p + BQ * BK;
        w.dk = w.ds + BQ * BK;
        w.dv = w.dk + (size_t)BK * Dk;
        w.drow = w.dv + (size_t)BK * Dv;
        w.mask = w.drow + T;
        w.bf = nbf ? (uint32_t *)(buf + nf) : NULL;
        w.bkt = nbf ? w.bf + (nbf - nkt - nvt - nbk - nqa - nga - nqb - ngb) : NULL;
        w.bvt = nbf ? w.bkt + nkt : NULL;
        w.bk = nbf ? w.bvt + nvt : NULL;
        w.qa = nbf ? w.bk + nbk : NULL;
        w.ga = nbf ? w.qa + nqa : NULL;
        w.qb = nbf ? w.ga + nga : NULL;
        w.gb = nbf ? w.qb + nqb : NULL;
        #pragma omp for schedule(dynamic, 1)
        for (int bh = 0; bh < BH; bh++)
            flash_backward_head(&w, dq, dk, dv, dout, out, lse, q, k, v, bh, T, Dk, Dv, scale,
                                dropout_p, dropout_seed);
    out:
        free(buf);
    }
    return failed ? pope_error("attention backward: out of memory for the tile scratch") : 0;
}

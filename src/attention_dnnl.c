// attention_dnnl.c — the bf16 flash attention with its block products in oneDNN's matmul
// primitive: AMX tiles where the CPU has them (brg:avx512_core_amx_bf16), vdpbf16ps on
// AVX512-BF16 — one code path, so what the tests run on an AVX512-BF16 CPU is the code an
// AMX Xeon runs, only oneDNN's kernel differs (docs/KERNELS.md §11). The algorithm is
// attention.c's (§1–§2): causal, online softmax, lse saved, the backward recomputing p.
// Query blocks of QB rows meet keys in chunks of up to KC (not BK = 64: a oneDNN call
// costs ~0.5 µs, a 64×64 product ~1 µs), so the scores of a block are rows of KC keys.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attention_engine.h"
#include "bf16.h"
#include "dnnl_blocks.h"
#include "kernel_hash.h"
#include "kernel_vec.h"
#include "pope.h"

#ifdef POPE_HAVE_DNNL
#include <omp.h>
#include <pthread.h>

enum { QB = 128, KC = 512 };

static inline int imin(int a, int b) { return a < b ? a : b; }
static inline int round_up(int x, int m) { return (x + m - 1) / m * m; }
// Rows of a head's packings: T rounded up to whole query blocks, since the last block's
// products read QB rows of Q and dO (and key chunks end at a multiple of 64 ≤ that); the
// rows past T are zero.
static inline int padded_rows(int T) { return round_up(T, QB); }

// Every block shape a call with these sizes runs: key chunks are 64..KC keys in steps of 64.
// 0, or -1 + pope_error (then the tile kernels run).
static int blk_unusable;  // a shape oneDNN could not run: the tiles from then on
static int prepare(int Dk, int Dv, int backward) {
    int rc = 0;
    for (int L = 64; L <= KC && rc == 0; L += 64) {
        rc = blk_create(QB, L, Dk, 0, 0);                              // S = Q·Kᵀ
        if (!rc && !backward) rc = blk_create_cols(QB, Dv, L, 0, 0);   // O_c = P·V
        if (!rc && backward)
            rc = blk_create(QB, L, Dv, 0, 0) ||                        // dPd = dO·Vᵀ
                 blk_create_cols(L, Dv, QB, 1, 1) ||                   // dV += Pdᵀ·dO
                 blk_create_cols(L, Dk, QB, 1, 1) ||                   // dK += dSᵀ·Q
                 blk_create_cols(QB, Dk, L, 0, 0) || blk_create_cols(QB, Dk, L, 0, 1) ? -1 : 0;  // dQ (+)= dS·K
    }
    if (rc) blk_unusable = 1;
    return rc;
}

// The buffers kept from call to call (blk_keep), and one call at a time.
enum { KEEP_FWD, KEEP_BWD, KEEP_SHARED_K, KEEP_SHARED_V };
static pthread_mutex_t call_lock = PTHREAD_MUTEX_INITIALIZER;

// ---------------------------------------------------------------- engine choice
static attention_bf16_engine engine_set = ATTN_BF16_AUTO;  // attention_bf16_engine_select
static int engine_amx = -1;                                // oneDNN's block kernel is AMX
static char engine_impl[64];

void attention_bf16_engine_select(attention_bf16_engine e) { engine_set = e; }

// POPE_BF16_ATTENTION: tiles, onednn, or AUTO when unset or (*bad = 1) anything else.
static attention_bf16_engine engine_env(int *bad) {
    const char *env = getenv("POPE_BF16_ATTENTION");
    *bad = env && *env && strcmp(env, "onednn") && strcmp(env, "tiles") && strcmp(env, "auto");
    return env && !strcmp(env, "onednn") ? ATTN_BF16_ONEDNN : env && !strcmp(env, "tiles") ? ATTN_BF16_TILES
                                                                                          : ATTN_BF16_AUTO;
}

// The engine in force: the one selected, else the environment's, else AUTO's choice — the
// oneDNN blocks where oneDNN multiplies a block with AMX, the tiles elsewhere (on AVX512-BF16
// both multiply with vdpbf16ps and the tiles are as fast or faster: docs/KERNELS.md §11).
static attention_bf16_engine engine_now(void) {
    if (engine_amx < 0) {  // first call (serial code: attention_forward/backward's entry)
        const char *impl = blk_create(QB, KC, 64, 0, 0) == 0 ? blk_impl(QB, KC, 64, 0, 0) : NULL;
        snprintf(engine_impl, sizeof engine_impl, "%s", impl ? impl : "unavailable");
        engine_amx = impl && strstr(impl, "amx") != NULL;
        pope_error("%s", "");  // a failed probe is not an error of the caller's
    }
    int bad;
    const attention_bf16_engine env = engine_env(&bad);
    if (engine_set != ATTN_BF16_AUTO) return engine_set;
    if (env != ATTN_BF16_AUTO) return env;
    return engine_amx ? ATTN_BF16_ONEDNN : ATTN_BF16_TILES;
}

int attention_bf16_uses_onednn(int Dk, int Dv) {
    if (!bf16_active() || blk_unusable || Dk % 16 || Dv % 16 || Dk > 256 || Dv > 256) return 0;
    return engine_now() == ATTN_BF16_ONEDNN;
}

const char *attention_bf16_engine_name(void) {
    if (!bf16_active()) return "fp32 tiles";
    static char name[160];
    int bad;
    engine_env(&bad);
    if (engine_now() == ATTN_BF16_ONEDNN && !blk_unusable)
        snprintf(name, sizeof name, "oneDNN blocks (%s)", engine_impl);
    else
        snprintf(name, sizeof name, "vdpbf16ps tiles");
    if (bad)  // a misspelt choice is not silently the automatic one
        snprintf(name + strlen(name), sizeof name - strlen(name),
                 "; POPE_BF16_ATTENTION='%.24s' ignored: tiles, onednn or auto", getenv("POPE_BF16_ATTENTION"));
    return name;
}

// ---------------------------------------------------------------- shared helpers
// dst (rows×cols bf16, dense) = src (row stride lds) · a, rows past `valid` zero.
static void rows_bf16(uint16_t *dst, float *tmp, const float *src, int lds, int rows, int valid, int cols, float a) {
    for (int i = 0; i < rows; i++)
        for (int e = 0; e < cols; e++) tmp[(size_t)i * cols + e] = i < valid ? src[(size_t)i * lds + e] * a : 0.0f;
    bf16_convert_serial(dst, tmp, (size_t)rows * cols);
}

// ---------------------------------------------------------------- forward
typedef struct {
    blk_worker *wk;
    float *s;       // (QB, KC)  scores of a chunk, then probabilities
    float *o, *oc;  // (QB, Dv)  output accumulator; the chunk's product (column-block major)
    float *m, *l;   // (QB)      running max (base-2 units) and sum
    float *alpha;   // (QB)      the chunk's rescale factors
    float *mask;    // (KC)      dropout factors of a row
    float *tmp;     // (QB, max(KC, Dk)) fp32 staging of a conversion
    uint16_t *qa, *pa;  // (QB, Dk), (QB, KC) bf16 rows
} fwd_ws;

static int forward_block(fwd_ws *w, float *out, float *lse, const float *q, const uint32_t *kt, const uint32_t *vw,
                         int bh, int T, int Dk, int Dv, float scale, float dropout_p, uint64_t seed, int q0) {
    const int nq = imin(QB, T - q0), q1 = q0 + nq, kend = round_up(q1, 64);
    const float inv_keep = dropout_p > 0.0f ? 1.0f / (1.0f - dropout_p) : 1.0f;
    // scores in base-2 units: Q scaled by scale·log₂e before rounding, as attention.c
    rows_bf16(w->qa, w->tmp, q + ((size_t)bh * T + q0) * Dk, Dk, QB, nq, Dk, scale * K_LOG2E);
    for (int i = 0; i < QB; i++) w->m[i] = -INFINITY, w->l[i] = 0.0f;
    for (int c0 = 0; c0 < kend; c0 += KC) {
        const int L = imin(KC, kend - c0);
        // S (QB×L) = Qs·Kᵀ[c0..]: whole 64-key blocks of the head's Kᵀ packing
        if (blk_run(w->wk, w->s, w->qa, kt + (size_t)c0 / 64 * blk_vnni_words(Dk, 64), QB, L, Dk, 0, 0)) return -1;
        for (int i = 0; i < QB; i++) {
            float *row = w->s + (size_t)i * L;
            const int t = q0 + i, ns = i < nq ? imin(L, t - c0 + 1) : 0;  // keys s <= t
            if (ns <= 0) {  // nothing visible in this chunk: p = 0, state unchanged
                memset(row, 0, sizeof(float) * L);
                w->alpha[i] = 1.0f;
                continue;
            }
            kvec vmx = kv_splat(w->m[i]);
            int j = 0;
            for (; j + KV_W <= ns; j += KV_W) vmx = kv_max(vmx, kv_load(row + j));
            float mx = kv_hmax(vmx);
            for (; j < ns; j++) mx = row[j] > mx ? row[j] : mx;
            w->alpha[i] = k_exp2_le0(w->m[i] - mx);  // 2^−∞ = 0 on the first chunk
            w->m[i] = mx;
            float sum = 0.0f;
            kvec acc = kv_splat(0.0f);
            for (j = 0; j + KV_W <= ns; j += KV_W) {
                const kvec p = kv_exp2_le0(kv_load(row + j) - mx);
                kv_store(row + j, p);
                acc += p;
            }
            sum = kv_hsum(acc);
            for (; j < ns; j++) sum += row[j] = k_exp2_le0(row[j] - mx);
            memset(row + ns, 0, sizeof(float) * (L - ns));
            w->l[i] = w->l[i] * w->alpha[i] + sum;
            if (dropout_p > 0.0f) {  // dropped after the sum: lse is of the full softmax
                kernel_dropout_factors(w->mask, ns, attention_drop_index(bh, T, t, c0), 1, seed, dropout_p, inv_keep);
                for (j = 0; j < ns; j++) row[j] *= w->mask[j];
            }
        }
        bf16_convert_serial(w->pa, w->s, (size_t)QB * L);
        // O_c = P·V[c0..]: rows c0.. of the head's V packing, a call per 64-column block
        if (blk_run_cols(w->wk, w->oc, QB, 0, w->pa, vw, padded_rows(T), c0, QB, Dv, L, 0, 0)) return -1;
        for (int i = 0; i < nq; i++)
            for (int e = 0; e < Dv; e++) {
                float *o = w->o + (size_t)i * Dv + e;
                *o = (c0 ? *o * w->alpha[i] : 0.0f) + *blk_cb_at(w->oc, QB, Dv, i, e);
            }
    }
    for (int i = 0; i < nq; i++) {
        const size_t row = (size_t)bh * T + q0 + i;
        const float inv = 1.0f / w->l[i];
        for (int e = 0; e < Dv; e++) out[row * Dv + e] = w->o[(size_t)i * Dv + e] * inv;
        if (lse) lse[row] = w->m[i] * K_LN2 + logf(w->l[i]);
    }
    return 0;
}

int attention_forward_dnnl(float *out, float *lse, const float *q, const float *k, const float *v, int B, int H,
                           int T, int Dk, int Dv, float scale, float dropout_p, uint64_t seed) {
    if (prepare(Dk, Dv, 0)) return 1;
    const int BH = B * H, Tp = padded_rows(T), nqb = (T + QB - 1) / QB;
    const size_t nkt = blk_vnni_words(Dk, Tp), nvw = blk_vnni_words(Tp, Dv);
    pthread_mutex_lock(&call_lock);
    // K (as Kᵀ, Dk×Tp) and V (Tp×Dv) of every head in the weights layout, once per call
    uint32_t *kt = blk_keep(KEEP_SHARED_K, 0, (size_t)BH * nkt * 4);
    uint32_t *vw = blk_keep(KEEP_SHARED_V, 0, (size_t)BH * nvw * 4);
    const int64_t items = (int64_t)BH * nqb;
    int failed = !kt || !vw, run_failed = 0;
    if (!failed) {
        #pragma omp parallel
        {
            const int th = omp_get_thread_num();
            fwd_ws w;
            const int wide = KC > Dk ? KC : Dk;
            const size_t nf = (size_t)QB * KC + 2 * (size_t)QB * Dv + 3 * QB + KC + (size_t)QB * wide;
            const size_t nh = (size_t)QB * Dk + (size_t)QB * KC;  // bf16 values
            float *buf = blk_keep(KEEP_FWD, th, 4 * (nf + (nh + 1) / 2));
            w.wk = blk_worker_get(th);
            if (!attention_team_failed(!buf || !w.wk, &failed)) {
                w.s = buf, w.o = w.s + (size_t)QB * KC, w.oc = w.o + (size_t)QB * Dv, w.m = w.oc + (size_t)QB * Dv;
                w.l = w.m + QB, w.alpha = w.l + QB, w.mask = w.alpha + QB, w.tmp = w.mask + KC;
                w.qa = (uint16_t *)(w.tmp + (size_t)QB * wide), w.pa = w.qa + (size_t)QB * Dk;
                #pragma omp for schedule(static)
                for (int bh = 0; bh < BH; bh++) {
                    blk_vnni_pack_t(kt + (size_t)bh * nkt, w.tmp, k + (size_t)bh * T * Dk, Dk, Dk, Tp, T);
                    blk_vnni_pack(vw + (size_t)bh * nvw, v + (size_t)bh * T * Dv, Dv, Tp, T, Dv);
                }  // (the loop's barrier: every head is packed before any block reads it)
                #pragma omp for schedule(dynamic, 1)
                for (int64_t it = 0; it < items; it++) {  // latest query blocks first (attention.c)
                    const int qb = nqb - 1 - (int)(it / BH), bh = (int)(it % BH);
                    if (forward_block(&w, out, lse, q, kt + (size_t)bh * nkt, vw + (size_t)bh * nvw, bh, T, Dk, Dv,
                                      scale, dropout_p, seed, qb * QB)) {
                        #pragma omp atomic write
                        run_failed = 1;
                    }
                }
            }
        }
    }
    pthread_mutex_unlock(&call_lock);
    if (failed) return pope_error("attention forward: out of memory for the block scratch");
    return run_failed ? pope_error("bf16 attention: a oneDNN block product failed") : 0;
}

// ---------------------------------------------------------------- backward
typedef struct {
    blk_worker *wk;
    float *s, *dp;        // (QB, KC)  S then P; dPd then dS
    float *dq;            // (QB, Dk)  the query block's dQ over its chunks (column-block major)
    float *dka, *dva;     // (Tp, Dk), (Tp, Dv) the head's dK, dV accumulators (column-block major)
    float *drow;          // (Tp)      D_t = dout_t·out_t
    float *mask;          // (KC)
    float *tmp;           // (Tp, max(Dk, Dv)) fp32 staging of a conversion
    uint16_t *qa, *ga;    // (Tp, Dk), (Tp, Dv) the head's Q and dO as bf16 rows
    uint16_t *pa, *sa;    // (QB, KC)  Pd and dS in bf16
    uint32_t *kt, *vt, *kw, *qw, *gw;  // Kᵀ, Vᵀ (N-chunked), K, Q, dO (K-chunked) in the weights layout
} bwd_ws;

static int backward_head(bwd_ws *w, float *dq, float *dk, float *dv, const float *dout, const float *out,
                         const float *lse, const float *q, const float *k, const float *v, int bh, int T, int Tp,
                         int Dk, int Dv, float scale, float dropout_p, uint64_t seed) {
    const size_t ok = (size_t)bh * T * Dk, ov = (size_t)bh * T * Dv;
    const float *qh = q + ok, *kh = k + ok, *vh = v + ov, *gh = dout + ov, *oh = out + ov, *lh = lse + (size_t)bh * T;
    const float inv_keep = dropout_p > 0.0f ? 1.0f / (1.0f - dropout_p) : 1.0f;
    const float scale2 = scale * K_LOG2E;
    rows_bf16(w->qa, w->tmp, qh, Dk, Tp, T, Dk, 1.0f);
    rows_bf16(w->ga, w->tmp, gh, Dv, Tp, T, Dv, 1.0f);
    blk_vnni_pack_t(w->kt, w->tmp, kh, Dk, Dk, Tp, T);
    blk_vnni_pack_t(w->vt, w->tmp, vh, Dv, Dv, Tp, T);
    blk_vnni_pack(w->kw, kh, Dk, Tp, T, Dk);
    blk_vnni_pack(w->qw, qh, Dk, Tp, T, Dk);
    blk_vnni_pack(w->gw, gh, Dv, Tp, T, Dv);
    memset(w->dka, 0, sizeof(float) * (size_t)Tp * Dk);
    memset(w->dva, 0, sizeof(float) * (size_t)Tp * Dv);
    attention_backward_dt(w->drow, gh, oh, T, Dv);
    for (int q0 = 0; q0 < T; q0 += QB) {
        const int nq = imin(QB, T - q0), kend = round_up(q0 + nq, 64);
        const uint16_t *qa = w->qa + (size_t)q0 * Dk, *ga = w->ga + (size_t)q0 * Dv;
        for (int c0 = 0; c0 < kend; c0 += KC) {
            const int L = imin(KC, kend - c0);
            if (blk_run(w->wk, w->s, qa, w->kt + (size_t)c0 / 64 * blk_vnni_words(Dk, 64), QB, L, Dk, 0, 0) ||
                blk_run(w->wk, w->dp, ga, w->vt + (size_t)c0 / 64 * blk_vnni_words(Dv, 64), QB, L, Dv, 0, 0))
                return -1;
            for (int i = 0; i < QB; i++) {
                const int t = q0 + i, ns = i < nq ? imin(L, t - c0 + 1) : 0;  // keys s <= t
                if (dropout_p > 0.0f && ns > 0)
                    kernel_dropout_factors(w->mask, ns, attention_drop_index(bh, T, t, c0), 1, seed, dropout_p,
                                           inv_keep);
                attention_backward_row(w->s + (size_t)i * L, w->dp + (size_t)i * L, ns, L, scale2,
                                       i < nq ? lh[t] * K_LOG2E : 0.0f, i < nq ? w->drow[t] : 0.0f, scale,
                                       dropout_p > 0.0f ? w->mask : NULL);
            }
            bf16_convert_serial(w->pa, w->s, (size_t)QB * L);
            bf16_convert_serial(w->sa, w->dp, (size_t)QB * L);
            // dV[c0..] += Pdᵀ·dO[q0..], dK[c0..] += dSᵀ·Q[q0..], dQ[q0..] (+)= dS·K[c0..]
            if (blk_run_cols(w->wk, w->dva, Tp, c0, w->pa, w->gw, Tp, q0, L, Dv, QB, 1, 1) ||
                blk_run_cols(w->wk, w->dka, Tp, c0, w->sa, w->qw, Tp, q0, L, Dk, QB, 1, 1) ||
                blk_run_cols(w->wk, w->dq, QB, 0, w->sa, w->kw, Tp, c0, QB, Dk, L, 0, c0 > 0))
                return -1;
        }
        if (dq)
            for (int i = 0; i < nq; i++)
                for (int e = 0; e < Dk; e++) dq[ok + (size_t)(q0 + i) * Dk + e] += *blk_cb_at(w->dq, QB, Dk, i, e);
    }
    for (int t = 0; t < T; t++) {
        if (dk)
            for (int e = 0; e < Dk; e++) dk[ok + (size_t)t * Dk + e] += *blk_cb_at(w->dka, Tp, Dk, t, e);
        if (dv)
            for (int e = 0; e < Dv; e++) dv[ov + (size_t)t * Dv + e] += *blk_cb_at(w->dva, Tp, Dv, t, e);
    }
    return 0;
}

int attention_backward_dnnl(float *dq, float *dk, float *dv, const float *dout, const float *out, const float *lse,
                            const float *q, const float *k, const float *v, int B, int H, int T, int Dk, int Dv,
                            float scale, float dropout_p, uint64_t seed) {
    if (prepare(Dk, Dv, 1)) return 1;
    const int BH = B * H, Tp = padded_rows(T), dmax = Dk > Dv ? Dk : Dv;
    int failed = 0, run_failed = 0;
    pthread_mutex_lock(&call_lock);
    #pragma omp parallel
    {
        const int th = omp_get_thread_num();
        bwd_ws w;
        const size_t nf = 2 * (size_t)QB * KC + (size_t)QB * Dk + (size_t)Tp * (Dk + Dv) + Tp + KC + (size_t)dmax * Tp;
        const size_t nh = (size_t)Tp * (Dk + Dv) + 2 * (size_t)QB * KC;  // bf16 values
        const size_t nw =
            blk_vnni_words(Dk, Tp) + blk_vnni_words(Dv, Tp) + 2 * blk_vnni_words(Tp, Dk) + blk_vnni_words(Tp, Dv);
        float *buf = blk_keep(KEEP_BWD, th, 4 * (nf + (nh + 1) / 2 + nw));
        w.wk = blk_worker_get(th);
        if (!attention_team_failed(!buf || !w.wk, &failed)) {
            w.s = buf, w.dp = w.s + (size_t)QB * KC, w.dq = w.dp + (size_t)QB * KC, w.dka = w.dq + (size_t)QB * Dk;
            w.dva = w.dka + (size_t)Tp * Dk, w.drow = w.dva + (size_t)Tp * Dv, w.mask = w.drow + Tp;
            w.tmp = w.mask + KC;
            w.qa = (uint16_t *)(w.tmp + (size_t)dmax * Tp), w.ga = w.qa + (size_t)Tp * Dk;
            w.pa = w.ga + (size_t)Tp * Dv, w.sa = w.pa + (size_t)QB * KC;
            w.kt = (uint32_t *)(buf + nf + (nh + 1) / 2), w.vt = w.kt + blk_vnni_words(Dk, Tp);
            w.kw = w.vt + blk_vnni_words(Dv, Tp), w.qw = w.kw + blk_vnni_words(Tp, Dk);
            w.gw = w.qw + blk_vnni_words(Tp, Dk);
            #pragma omp for schedule(dynamic, 1)
            for (int bh = 0; bh < BH; bh++)
                if (backward_head(&w, dq, dk, dv, dout, out, lse, q, k, v, bh, T, Tp, Dk, Dv, scale, dropout_p, seed)) {
                    #pragma omp atomic write
                    run_failed = 1;
                }
        }
    }
    pthread_mutex_unlock(&call_lock);
    if (failed) return pope_error("attention backward: out of memory for the block scratch");
    return run_failed ? pope_error("bf16 attention: a oneDNN block product failed") : 0;
}

#else  // built without oneDNN: the tile kernels are the only engine
void attention_bf16_engine_select(attention_bf16_engine e) { (void)e; }
int attention_bf16_uses_onednn(int Dk, int Dv) { return (void)Dk, (void)Dv, 0; }
const char *attention_bf16_engine_name(void) { return bf16_active() ? "vdpbf16ps tiles" : "fp32 tiles"; }
int attention_forward_dnnl(float *out, float *lse, const float *q, const float *k, const float *v, int B, int H,
                           int T, int Dk, int Dv, float scale, float dropout_p, uint64_t seed) {
    (void)out, (void)lse, (void)q, (void)k, (void)v, (void)B, (void)H, (void)T, (void)Dk, (void)Dv, (void)scale;
    (void)dropout_p, (void)seed;
    return pope_error("bf16 attention: pope was built without oneDNN");
}
int attention_backward_dnnl(float *dq, float *dk, float *dv, const float *dout, const float *out, const float *lse,
                            const float *q, const float *k, const float *v, int B, int H, int T, int Dk, int Dv,
                            float scale, float dropout_p, uint64_t seed) {
    (void)dq, (void)dk, (void)dv, (void)dout, (void)out, (void)lse, (void)q, (void)k, (void)v, (void)B, (void)H;
    (void)T, (void)Dk, (void)Dv, (void)scale, (void)dropout_p, (void)seed;
    return pope_error("bf16 attention: pope was built without oneDNN");
}
#endif

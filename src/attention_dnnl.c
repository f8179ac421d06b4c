// attention_dnnl.c — the bf16 flash attention with its block products in oneDNN's matmul
// primitive: AMX tiles where the CPU has them (brg:avx512_core_amx_bf16), vdpbf16ps on
// AVX512-BF16 — one code path, so what the tests run on an AVX512-BF16 CPU is the code an
// AMX Xeon runs, only oneDNN's kernel differs (docs/KERNELS.md §11). The algorithm is
// attention.c's (§1–§2): causal, online softmax, lse saved, the backward recomputing p.
// Query blocks of QB rows meet keys in chunks of up to KC (not BK = 64: a oneDNN call
// costs ~0.5 µs, a 64×64 product ~1 µs), so the scores of a block are rows of KC keys.
#include <math.h>
#include <string.h>

#include "attention_engine.h"
#include "bf16.h"
#include "kernel_alloc.h"
#include "kernel_hash.h"
#include "kernel_tile.h"
#include "kernel_vec.h"
#include "pope.h"

#ifdef POPE_HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#include <pthread.h>

enum { QB = 128, KC = 512 };

static inline int imin(int a, int b) { return a < b ? a : b; }
static inline int round_up(int x, int m) { return (x + m - 1) / m * m; }
// Rows of a head's packings: T rounded up to whole query blocks, since the last block's
// products read QB rows of Q and dO (and key chunks end at a multiple of 64 ≤ that); the
// rows past T are zero.
static inline int padded_rows(int T) { return round_up(T, QB); }

// ---------------------------------------------------------------- weights layout
// oneDNN's matmul multiplies bf16 weights W (K×N) in its blocked "VNNI" layout
// BA16a{w}b2a: column blocks of w (64, or the width of a narrower N rounded up to 16)
// outermost, then K in blocks of 32 rows, inside a block 16 row pairs × w columns × 2.
// One column block is exactly the pair layout of kernel_bf16.c (tile_pack_b_bf16: 32-bit
// word (k/2)·w + n holds W[k & ~1][n], W[k | 1][n]), so pope packs it itself, once per head:
// a chunk of whole 64-column blocks of a wide W (Kᵀ: N = keys) is a pointer into the packing,
// and so is a chunk of rows k0.. (k0 a multiple of 32) of one column block (K, V, Q, dO: N = a
// head size; a head wider than 64 is multiplied one column block per call, blk_run_cols).
// No reorder per call, no copy inside oneDNN (which cost 40–60% with two threads).
// The tag width of a column block n columns wide (only a last block is narrower than 64).
static int block_width(int n) { return n >= 64 ? 64 : round_up(n, 16); }
static dnnl_format_tag_t block_tag(int w) {
    return w == 16 ? dnnl_BA16a16b2a : w == 32 ? dnnl_BA16a32b2a : w == 48 ? dnnl_BA16a48b2a : dnnl_BA16a64b2a;
}
// 32-bit words of W (K×N) in that layout: K padded to 32 rows, N to 64-column blocks but the
// last, which is its width rounded up to 16.
static size_t vnni_words(int K, int N) {
    return (size_t)round_up(K, 32) / 2 * (size_t)(N / 64 * 64 + (N % 64 ? round_up(N % 64, 16) : 0));
}
// The column block at n0 (a multiple of 64) of a packing of K rows: its first word.
static size_t vnni_block(int K, int n0) { return (size_t)round_up(K, 32) / 2 * (size_t)n0; }
// X (rows×N, row stride ldx, fp32) → dst, the layout of K ≥ rows rows (later rows 0).
static void vnni_pack(uint32_t *dst, const float *X, int ldx, int K, int rows, int N) {
    memset(dst, 0, vnni_words(K, N) * sizeof *dst);
    for (int n0 = 0; n0 < N; n0 += 64) tile_pack_b_bf16(dst + vnni_block(K, n0), X + n0, ldx, rows, imin(64, N - n0));
}
// The same for Xᵀ, X given as `rows` rows of K values (row stride ldx), N = rows rounded up to
// 64 (later columns 0): a word of Xᵀ's layout, (Xᵀ[2p][n], Xᵀ[2p+1][n]) = (X[n][2p],
// X[n][2p+1]), is word p of row n in bf16, so each row is converted in place and its words
// are scattered to their 64-column block. `row` holds K + 1 floats.
static void vnni_pack_t(uint32_t *dst, float *row, const float *X, int ldx, int K, int N, int rows) {
    const int kp = round_up(K, 32) / 2;
    memset(dst, 0, vnni_words(K, N) * sizeof *dst);
    uint32_t *words = (uint32_t *)row;
    for (int n = 0; n < rows; n++) {
        memcpy(row, X + (size_t)n * ldx, sizeof(float) * K);
        row[K] = 0.0f;
        bf16_convert_serial((uint16_t *)row, row, (size_t)K + (K & 1));  // in place: each store trails its load
        uint32_t *col = dst + (size_t)(n / 64) * kp * 64 + n % 64;
        for (int p = 0; p < (K + 1) / 2; p++) col[(size_t)p * 64] = words[p];
    }
}

// ---------------------------------------------------------------- primitives
// C (M×N, fp32, dense) (+)= A·W: A bf16 dense M×K (ta: stored K×M), W in the layout above
// (N ≤ 64, or a multiple of 64 for W = Kᵀ, Vᵀ).
// One primitive per shape, created in serial code before the parallel loops (prepare) with
// OpenMP's thread count at 1: a primitive plans its work split for the threads it sees at
// creation, and runs inside the attention's parallel region on one thread. Each worker
// passes its own scratchpad (user mode) and memory objects, so concurrent calls share no
// state.
typedef struct {
    int M, N, K, ta, sum;
    dnnl_primitive_t prim;
    dnnl_memory_desc_t a, w, c, scratch;
    char impl[64];
} blk_prim;

// ~50–100 shapes per (Dk, Dv) pair (8 chunk widths × 6 products, × column blocks); past the
// bound the tiles run.
enum { BLK_MAX = 1024 };
static blk_prim blk_cache[BLK_MAX];
static int blk_count;
static size_t blk_scratch_max;
static pthread_mutex_t blk_lock = PTHREAD_MUTEX_INITIALIZER;
static dnnl_engine_t blk_engine;

static blk_prim *blk_find(int M, int N, int K, int ta, int sum) {
    for (int i = 0; i < blk_count; i++) {
        blk_prim *p = &blk_cache[i];
        if (p->M == M && p->N == N && p->K == K && p->ta == ta && p->sum == sum) return p;
    }
    return NULL;
}

static int dnnl_fail(const char *what, dnnl_status_t st) {
    return pope_error("bf16 attention: oneDNN %s failed (status %d)", what, (int)st);
}

// Creates the primitive of this shape (caller holds blk_lock). 0, or -1 + pope_error; an
// implementation other than oneDNN's brgemm (which would copy or run a reference loop) is
// refused, so the caller runs the tile kernels instead.
static int blk_create(int M, int N, int K, int ta, int sum) {
    if (blk_find(M, N, K, ta, sum)) return 0;
    if (blk_count == BLK_MAX) return pope_error("bf16 attention: more than %d block shapes", BLK_MAX);
    dnnl_status_t st;
    if (!blk_engine && (st = dnnl_engine_create(&blk_engine, dnnl_cpu, 0))) return dnnl_fail("engine", st);
    blk_prim e = {M, N, K, ta, sum, NULL, {0}, {0}, {0}, {0}, ""};
    const dnnl_dims_t ad = {M, K}, as = {ta ? 1 : K, ta ? M : 1}, wd = {K, N}, cd = {M, N}, cs = {N, 1};
    dnnl_matmul_desc_t desc;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t ops = NULL;
    dnnl_primitive_desc_t pd = NULL;
    const char *impl = NULL;
    const int threads = omp_get_max_threads();
    if ((st = dnnl_memory_desc_init_by_strides(&e.a, 2, ad, dnnl_bf16, as)) ||
        (st = dnnl_memory_desc_init_by_tag(&e.w, 2, wd, dnnl_bf16, block_tag(block_width(N)))) ||
        (st = dnnl_memory_desc_init_by_strides(&e.c, 2, cd, dnnl_f32, cs)) ||
        (st = dnnl_matmul_desc_init(&desc, &e.a, &e.w, NULL, &e.c)) || (st = dnnl_primitive_attr_create(&attr)) ||
        (st = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user)))
        goto fail;
    if (sum && ((st = dnnl_post_ops_create(&ops)) || (st = dnnl_post_ops_append_sum(ops, 1.0f)) ||
                (st = dnnl_primitive_attr_set_post_ops(attr, ops))))
        goto fail;
    omp_set_num_threads(1);
    st = dnnl_primitive_desc_create(&pd, &desc, attr, blk_engine, NULL);
    if (st == dnnl_success) st = dnnl_primitive_create(&e.prim, pd);
    omp_set_num_threads(threads);
    if (st) goto fail;
    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) == dnnl_success && impl)
        snprintf(e.impl, sizeof e.impl, "%s", impl);
    if (strncmp(e.impl, "brg", 3) != 0) {
        pope_error("bf16 attention: oneDNN picks '%s' for a %d×%d×%d block, not its brgemm kernel", e.impl, M, N, K);
        dnnl_primitive_destroy(e.prim);
        st = dnnl_unimplemented;
    } else {
        e.scratch = *dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
        const size_t bytes = dnnl_memory_desc_get_size(&e.scratch);
        if (bytes > blk_scratch_max) blk_scratch_max = bytes;
        blk_cache[blk_count++] = e;
    }
fail:
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (ops) dnnl_post_ops_destroy(ops);
    return st == dnnl_success ? 0 : st == dnnl_unimplemented ? -1 : dnnl_fail("matmul primitive", st);
}

// What a worker holds to call primitives: its stream, scratchpad and, per primitive, its
// memory objects (created on first use, then only their data pointers change: creating
// four per call cost a tenth of the attention in malloc/free).
typedef struct {
    dnnl_stream_t stream;
    void *scratch;
    dnnl_memory_t mem[BLK_MAX][4];  // a, w, c, scratchpad
} blk_worker;

// Runs primitive p on the worker's memory objects. 0, or -1.
static int blk_exec(blk_worker *wk, const blk_prim *p, float *C, const uint16_t *A, const uint32_t *W) {
    dnnl_memory_t *m = wk->mem[p - blk_cache];
    dnnl_status_t st = dnnl_success;
    if (!m[0]) {
        const dnnl_memory_desc_t *mds[4] = {&p->a, &p->w, &p->c, &p->scratch};
        for (int i = 0; i < 4 && st == dnnl_success; i++)
            st = dnnl_memory_create(&m[i], mds[i], blk_engine, i == 3 ? wk->scratch : DNNL_MEMORY_NONE);
        if (st) return -1;
    }
    if ((st = dnnl_memory_set_data_handle(m[0], (void *)A)) || (st = dnnl_memory_set_data_handle(m[1], (void *)W)) ||
        (st = dnnl_memory_set_data_handle(m[2], C)))
        return -1;
    const dnnl_exec_arg_t args[] = {
        {DNNL_ARG_SRC, m[0]}, {DNNL_ARG_WEIGHTS, m[1]}, {DNNL_ARG_DST, m[2]}, {DNNL_ARG_SCRATCHPAD, m[3]}};
    st = dnnl_primitive_execute(p->prim, wk->stream, 4, args);
    if (st == dnnl_success) st = dnnl_stream_wait(wk->stream);
    return st == dnnl_success ? 0 : -1;
}

// C (+)= A·W with the primitive of that shape (created by prepare). 0, or -1.
static int blk_run(blk_worker *wk, float *C, const uint16_t *A, const uint32_t *W, int M, int N, int K, int ta,
                   int sum) {
    const blk_prim *p = blk_find(M, N, K, ta, sum);
    return p ? blk_exec(wk, p, C, A, W) : -1;
}

// Products whose N is a head size (O_c = P·V, dV, dK, dQ) keep C "column-block major": the
// 64-column blocks of a C with Mtot rows one after another, block b (n_b columns, dense) at
// C + b·Mtot·64 — so a head wider than 64 is one dense call per block (a strided C made
// oneDNN pick its reference kernel) and accumulates in place (`sum`).
static inline float *cb_at(float *C, int Mtot, int N, int i, int e) {
    const int b = e / 64, nb = imin(64, N - 64 * b);
    return C + (size_t)b * Mtot * 64 + (size_t)i * nb + (e - 64 * b);
}
// C rows m0..m0+M (column-block major, Mtot rows) (+)= A·W[k0..k0+K) for W a packing of Kw
// rows: one call per 64-column block of W.
static int blk_run_cols(blk_worker *wk, float *C, int Mtot, int m0, const uint16_t *A, const uint32_t *W, int Kw,
                        int k0, int M, int N, int K, int ta, int sum) {
    if (k0 + K > Kw) return pope_error("bf16 attention: rows %d..%d of a %d-row packing", k0, k0 + K, Kw);
    for (int n0 = 0; n0 < N; n0 += 64) {
        const int n = imin(64, N - n0);
        const blk_prim *p = blk_find(M, n, K, ta, sum);
        if (!p || blk_exec(wk, p, cb_at(C, Mtot, N, m0, n0), A, W + vnni_block(Kw, n0) + (size_t)k0 / 2 * block_width(n)))
            return -1;
    }
    return 0;
}
// The primitives blk_run_cols runs.
static int blk_create_cols(int M, int N, int K, int ta, int sum) {
    for (int n0 = 0; n0 < N; n0 += 64)
        if (blk_create(M, imin(64, N - n0), K, ta, sum)) return -1;
    return 0;
}

// Every block shape a call with these sizes runs: key chunks are 64..KC keys in steps of 64.
// 0, or -1 + pope_error (then the tile kernels run).
static int blk_unusable;  // a shape oneDNN could not run: the tiles from then on
static int prepare(int Dk, int Dv, int backward) {
    int rc = 0;
    pthread_mutex_lock(&blk_lock);
    for (int L = 64; L <= KC && rc == 0; L += 64) {
        rc = blk_create(QB, L, Dk, 0, 0);                              // S = Q·Kᵀ
        if (!rc && !backward) rc = blk_create_cols(QB, Dv, L, 0, 0);   // O_c = P·V
        if (!rc && backward)
            rc = blk_create(QB, L, Dv, 0, 0) ||                        // dPd = dO·Vᵀ
                 blk_create_cols(L, Dv, QB, 1, 1) || blk_create_cols(L, Dk, QB, 1, 1) ||  // dV += Pdᵀ·dO, dK += dSᵀ·Q
                 blk_create_cols(QB, Dk, L, 0, 0) || blk_create_cols(QB, Dk, L, 0, 1) ? -1 : 0;  // dQ (+)= dS·K
    }
    if (rc) blk_unusable = 1;
    pthread_mutex_unlock(&blk_lock);
    return rc;
}

// ---------------------------------------------------------------- kept buffers
// A training step calls the attention 2·L times with the same sizes; allocating its
// megabytes of scratch afresh each call cost page faults and TLB shootdowns (~10% of the
// attention, measured with perf). So the scratch is kept from call to call, grown when a
// call needs more: per OpenMP thread (its blocks' scratch and oneDNN objects) and per call
// (the packed K and V of all heads). One call at a time (call_lock): a second caller waits.
enum { KEEP_THREADS = 512 };
typedef enum { KEEP_FWD, KEEP_BWD, KEEP_SHARED_K, KEEP_SHARED_V, KEEP_SLOTS } keep_slot;
static void *kept[KEEP_SLOTS][KEEP_THREADS];
static size_t kept_bytes[KEEP_SLOTS][KEEP_THREADS];
static blk_worker *workers[KEEP_THREADS];
static size_t worker_scratch[KEEP_THREADS];
static pthread_mutex_t call_lock = PTHREAD_MUTEX_INITIALIZER;

// At least `bytes` of 64-byte aligned memory for (slot, thread), kept; NULL when out of memory.
static void *keep(keep_slot slot, int thread, size_t bytes) {
    if (thread >= KEEP_THREADS) return NULL;
    if (kept_bytes[slot][thread] < bytes) {
        free(kept[slot][thread]);
        kept[slot][thread] = aligned_alloc(64, (bytes + 63) / 64 * 64);
        kept_bytes[slot][thread] = kept[slot][thread] ? bytes : 0;
    }
    return kept[slot][thread];
}

// The calling thread's worker: its stream, a scratchpad for every prepared primitive, and the
// memory objects of the primitives it has run (dropped when the scratchpad grows: they point
// into it). NULL when out of memory or oneDNN fails.
static blk_worker *worker_get(int thread) {
    if (thread >= KEEP_THREADS) return NULL;
    blk_worker *wk = workers[thread];
    if (!wk) {
        if (!(wk = calloc(1, sizeof *wk))) return NULL;
        if (dnnl_stream_create(&wk->stream, blk_engine, dnnl_stream_default_flags) != dnnl_success) {
            free(wk);
            return NULL;
        }
        workers[thread] = wk;
    }
    if (worker_scratch[thread] < blk_scratch_max || !wk->scratch) {
        for (int p = 0; p < BLK_MAX; p++)
            for (int i = 0; i < 4; i++)
                if (wk->mem[p][i]) dnnl_memory_destroy(wk->mem[p][i]), wk->mem[p][i] = NULL;
        free(wk->scratch);
        wk->scratch = aligned_alloc(64, (blk_scratch_max + 64) / 64 * 64);
        worker_scratch[thread] = wk->scratch ? blk_scratch_max : 0;
        if (!wk->scratch) return NULL;
    }
    return wk;
}

// ---------------------------------------------------------------- engine choice
static attention_bf16_engine engine_set = ATTN_BF16_AUTO;  // attention_bf16_engine_select
static attention_bf16_engine engine_env = ATTN_BF16_AUTO;  // POPE_BF16_ATTENTION
static int engine_amx = -1;                                // oneDNN's block kernel is AMX
static char engine_impl[64];

void attention_bf16_engine_select(attention_bf16_engine e) { engine_set = e; }

// The engine in force: the one selected, else the environment's, else AUTO's choice — the
// oneDNN blocks where oneDNN multiplies a block with AMX, the tiles elsewhere (on AVX512-BF16
// both multiply with vdpbf16ps and the tiles are as fast or faster: docs/KERNELS.md §11).
static attention_bf16_engine engine_now(void) {
    if (engine_amx < 0) {  // first call (serial code: attention_forward/backward's entry)
        const char *env = getenv("POPE_BF16_ATTENTION");
        engine_env = env && !strcmp(env, "onednn") ? ATTN_BF16_ONEDNN
                     : env && !strcmp(env, "tiles") ? ATTN_BF16_TILES
                                                    : ATTN_BF16_AUTO;
        pthread_mutex_lock(&blk_lock);
        const blk_prim *p = blk_create(QB, KC, 64, 0, 0) == 0 ? blk_find(QB, KC, 64, 0, 0) : NULL;
        snprintf(engine_impl, sizeof engine_impl, "%s", p ? p->impl : "unavailable");
        engine_amx = p && strstr(p->impl, "amx") != NULL;
        pthread_mutex_unlock(&blk_lock);
        pope_error("%s", "");  // a failed probe is not an error of the caller's
    }
    if (engine_set != ATTN_BF16_AUTO) return engine_set;
    if (engine_env != ATTN_BF16_AUTO) return engine_env;
    return engine_amx ? ATTN_BF16_ONEDNN : ATTN_BF16_TILES;
}

int attention_bf16_uses_onednn(int Dk, int Dv) {
    if (!bf16_active() || blk_unusable || Dk % 16 || Dv % 16 || Dk > 256 || Dv > 256) return 0;
    return engine_now() == ATTN_BF16_ONEDNN;
}

const char *attention_bf16_engine_name(void) {
    if (!bf16_active()) return "fp32 tiles";
    static char name[96];
    if (engine_now() == ATTN_BF16_ONEDNN && !blk_unusable)
        snprintf(name, sizeof name, "oneDNN blocks (%s)", engine_impl);
    else
        snprintf(name, sizeof name, "vdpbf16ps tiles");
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
        if (blk_run(w->wk, w->s, w->qa, kt + (size_t)c0 / 64 * vnni_words(Dk, 64), QB, L, Dk, 0, 0)) return -1;
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
            for (int e = 0; e < Dv; e++)
                w->o[(size_t)i * Dv + e] = (c0 ? w->o[(size_t)i * Dv + e] * w->alpha[i] : 0.0f) + *cb_at(w->oc, QB, Dv, i, e);
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
    const size_t nkt = vnni_words(Dk, Tp), nvw = vnni_words(Tp, Dv);
    pthread_mutex_lock(&call_lock);
    // K (as Kᵀ, Dk×Tp) and V (Tp×Dv) of every head in the weights layout, once per call
    uint32_t *kt = keep(KEEP_SHARED_K, 0, (size_t)BH * nkt * 4), *vw = keep(KEEP_SHARED_V, 0, (size_t)BH * nvw * 4);
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
            float *buf = keep(KEEP_FWD, th, 4 * (nf + (nh + 1) / 2));
            w.wk = worker_get(th);
            if (!attention_team_failed(!buf || !w.wk, &failed)) {
                w.s = buf, w.o = w.s + (size_t)QB * KC, w.oc = w.o + (size_t)QB * Dv, w.m = w.oc + (size_t)QB * Dv;
                w.l = w.m + QB, w.alpha = w.l + QB, w.mask = w.alpha + QB, w.tmp = w.mask + KC;
                w.qa = (uint16_t *)(w.tmp + (size_t)QB * wide), w.pa = w.qa + (size_t)QB * Dk;
                #pragma omp for schedule(static)
                for (int bh = 0; bh < BH; bh++) {
                    vnni_pack_t(kt + (size_t)bh * nkt, w.tmp, k + (size_t)bh * T * Dk, Dk, Dk, Tp, T);
                    vnni_pack(vw + (size_t)bh * nvw, v + (size_t)bh * T * Dv, Dv, Tp, T, Dv);
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
    return run_failed ? dnnl_fail("matmul execution", dnnl_runtime_error) : 0;
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
    vnni_pack_t(w->kt, w->tmp, kh, Dk, Dk, Tp, T);
    vnni_pack_t(w->vt, w->tmp, vh, Dv, Dv, Tp, T);
    vnni_pack(w->kw, kh, Dk, Tp, T, Dk);
    vnni_pack(w->qw, qh, Dk, Tp, T, Dk);
    vnni_pack(w->gw, gh, Dv, Tp, T, Dv);
    memset(w->dka, 0, sizeof(float) * (size_t)Tp * Dk);
    memset(w->dva, 0, sizeof(float) * (size_t)Tp * Dv);
    for (int t = 0; t < T; t++) {
        float d = 0.0f;
        for (int e = 0; e < Dv; e++) d += gh[(size_t)t * Dv + e] * oh[(size_t)t * Dv + e];
        w->drow[t] = d;
    }
    for (int q0 = 0; q0 < T; q0 += QB) {
        const int nq = imin(QB, T - q0), kend = round_up(q0 + nq, 64);
        const uint16_t *qa = w->qa + (size_t)q0 * Dk, *ga = w->ga + (size_t)q0 * Dv;
        for (int c0 = 0; c0 < kend; c0 += KC) {
            const int L = imin(KC, kend - c0);
            if (blk_run(w->wk, w->s, qa, w->kt + (size_t)c0 / 64 * vnni_words(Dk, 64), QB, L, Dk, 0, 0) ||
                blk_run(w->wk, w->dp, ga, w->vt + (size_t)c0 / 64 * vnni_words(Dv, 64), QB, L, Dv, 0, 0))
                return -1;
            for (int i = 0; i < QB; i++) {
                const int t = q0 + i, ns = i < nq ? imin(L, t - c0 + 1) : 0;  // keys s <= t
                if (dropout_p > 0.0f && ns > 0)
                    kernel_dropout_factors(w->mask, ns, attention_drop_index(bh, T, t, c0), 1, seed, dropout_p, inv_keep);
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
                for (int e = 0; e < Dk; e++) dq[ok + (size_t)(q0 + i) * Dk + e] += *cb_at(w->dq, QB, Dk, i, e);
    }
    for (int t = 0; t < T; t++) {
        if (dk)
            for (int e = 0; e < Dk; e++) dk[ok + (size_t)t * Dk + e] += *cb_at(w->dka, Tp, Dk, t, e);
        if (dv)
            for (int e = 0; e < Dv; e++) dv[ov + (size_t)t * Dv + e] += *cb_at(w->dva, Tp, Dv, t, e);
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
        const size_t nw = vnni_words(Dk, Tp) + vnni_words(Dv, Tp) + 2 * vnni_words(Tp, Dk) + vnni_words(Tp, Dv);
        float *buf = keep(KEEP_BWD, th, 4 * (nf + (nh + 1) / 2 + nw));
        w.wk = worker_get(th);
        if (!attention_team_failed(!buf || !w.wk, &failed)) {
            w.s = buf, w.dp = w.s + (size_t)QB * KC, w.dq = w.dp + (size_t)QB * KC, w.dka = w.dq + (size_t)QB * Dk;
            w.dva = w.dka + (size_t)Tp * Dk, w.drow = w.dva + (size_t)Tp * Dv, w.mask = w.drow + Tp;
            w.tmp = w.mask + KC;
            w.qa = (uint16_t *)(w.tmp + (size_t)dmax * Tp), w.ga = w.qa + (size_t)Tp * Dk;
            w.pa = w.ga + (size_t)Tp * Dv, w.sa = w.pa + (size_t)QB * KC;
            w.kt = (uint32_t *)(buf + nf + (nh + 1) / 2), w.vt = w.kt + vnni_words(Dk, Tp);
            w.kw = w.vt + vnni_words(Dv, Tp), w.qw = w.kw + vnni_words(Tp, Dk), w.gw = w.qw + vnni_words(Tp, Dk);
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
    return run_failed ? dnnl_fail("matmul execution", dnnl_runtime_error) : 0;
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

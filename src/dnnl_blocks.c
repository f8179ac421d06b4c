// dnnl_blocks.c — the bf16 block products of the attention's oneDNN engine (dnnl_blocks.h,
// docs/KERNELS.md §11): oneDNN's blocked weights layout packed by pope, one matmul primitive
// per block shape, per-thread workers (stream, scratchpad, memory objects) and buffers kept
// from call to call.
#include "dnnl_blocks.h"

#ifdef POPE_HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bf16.h"
#include "pope.h"

static inline int imin(int a, int b) { return a < b ? a : b; }
static inline int round_up(int x, int m) { return (x + m - 1) / m * m; }

// ---------------------------------------------------------------- weights layout (dnnl_blocks.h)
int blk_block_width(int n) { return n >= 64 ? 64 : round_up(n, 16); }
static dnnl_format_tag_t block_tag(int w) {
    return w == 16 ? dnnl_BA16a16b2a : w == 32 ? dnnl_BA16a32b2a : w == 48 ? dnnl_BA16a48b2a : dnnl_BA16a64b2a;
}
size_t blk_vnni_words(int K, int N) {
    return (size_t)round_up(K, 32) / 2 * (size_t)(N / 64 * 64 + (N % 64 ? round_up(N % 64, 16) : 0));
}
size_t blk_vnni_block(int K, int n0) { return (size_t)round_up(K, 32) / 2 * (size_t)n0; }
void blk_vnni_pack(uint32_t *dst, const float *X, int ldx, int K, int rows, int N) {
    memset(dst, 0, blk_vnni_words(K, N) * sizeof *dst);
    for (int n0 = 0; n0 < N; n0 += 64)
        tile_pack_b_bf16(dst + blk_vnni_block(K, n0), X + n0, ldx, rows, imin(64, N - n0));
}
// A word of Xᵀ's layout, (Xᵀ[2p][n], Xᵀ[2p+1][n]) = (X[n][2p], X[n][2p+1]), is word p of row n
// in bf16: each row is converted in place and its words are scattered to their column block.
void blk_vnni_pack_t(uint32_t *dst, float *row, const float *X, int ldx, int K, int N, int rows) {
    const int kp = round_up(K, 32) / 2;
    memset(dst, 0, blk_vnni_words(K, N) * sizeof *dst);
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
// One primitive per shape, created in serial code before the parallel loops (the attention's
// prepare) with OpenMP's thread count at 1: a primitive plans its work split for the threads it
// sees at creation, and runs inside the attention's parallel region on one thread. Each worker
// passes its own scratchpad (user mode) and memory objects, so concurrent calls share no state.
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

// Creates the primitive of this shape (caller holds blk_lock).
static int create_locked(int M, int N, int K, int ta, int sum) {
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
        (st = dnnl_memory_desc_init_by_tag(&e.w, 2, wd, dnnl_bf16, block_tag(blk_block_width(N)))) ||
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

int blk_create(int M, int N, int K, int ta, int sum) {
    pthread_mutex_lock(&blk_lock);
    const int rc = create_locked(M, N, K, ta, sum);
    pthread_mutex_unlock(&blk_lock);
    return rc;
}

const char *blk_impl(int M, int N, int K, int ta, int sum) {
    pthread_mutex_lock(&blk_lock);
    const blk_prim *p = blk_find(M, N, K, ta, sum);
    pthread_mutex_unlock(&blk_lock);
    return p ? p->impl : NULL;
}

// What a worker holds to call primitives: its stream, scratchpad and, per primitive, its
// memory objects (created on first use, then only their data pointers change: creating
// four per call cost a tenth of the attention in malloc/free).
struct blk_worker {
    dnnl_stream_t stream;
    void *scratch;                  // blk_scratch_max bytes when it was allocated
    size_t scratch_bytes;
    dnnl_memory_t mem[BLK_MAX][4];  // a, w, c, scratchpad
};

// The memory objects a worker made for a primitive, dropped (remade on its next run).
static void drop_memory(dnnl_memory_t m[4]) {
    for (int i = 0; i < 4; i++)
        if (m[i]) dnnl_memory_destroy(m[i]), m[i] = NULL;
}

// Runs primitive p on the worker's memory objects. 0, or -1.
static int blk_exec(blk_worker *wk, const blk_prim *p, float *C, const uint16_t *A, const uint32_t *W) {
    dnnl_memory_t *m = wk->mem[p - blk_cache];
    dnnl_status_t st = dnnl_success;
    if (!m[0]) {
        const dnnl_memory_desc_t *mds[4] = {&p->a, &p->w, &p->c, &p->scratch};
        for (int i = 0; i < 4 && st == dnnl_success; i++)
            st = dnnl_memory_create(&m[i], mds[i], blk_engine, i == 3 ? wk->scratch : DNNL_MEMORY_NONE);
        if (st) {  // none kept: a later run makes all four again
            drop_memory(m);
            return -1;
        }
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

int blk_run(blk_worker *wk, float *C, const uint16_t *A, const uint32_t *W, int M, int N, int K, int ta, int sum) {
    const blk_prim *p = blk_find(M, N, K, ta, sum);
    return p ? blk_exec(wk, p, C, A, W) : -1;
}

int blk_run_cols(blk_worker *wk, float *C, int Mtot, int m0, const uint16_t *A, const uint32_t *W, int Kw, int k0,
                 int M, int N, int K, int ta, int sum) {
    if (k0 + K > Kw) return pope_error("bf16 attention: rows %d..%d of a %d-row packing", k0, k0 + K, Kw);
    for (int n0 = 0; n0 < N; n0 += 64) {
        const int n = imin(64, N - n0);
        const blk_prim *p = blk_find(M, n, K, ta, sum);
        const uint32_t *Wb = W + blk_vnni_block(Kw, n0) + (size_t)k0 / 2 * blk_block_width(n);
        if (!p || blk_exec(wk, p, blk_cb_at(C, Mtot, N, m0, n0), A, Wb)) return -1;
    }
    return 0;
}

int blk_create_cols(int M, int N, int K, int ta, int sum) {
    for (int n0 = 0; n0 < N; n0 += 64)
        if (blk_create(M, imin(64, N - n0), K, ta, sum)) return -1;
    return 0;
}

// ---------------------------------------------------------------- kept buffers
// A training step calls the attention 2·L times with the same sizes; allocating its
// megabytes of scratch afresh each call cost page faults and TLB shootdowns (~10% of the
// attention, measured with perf). So the scratch is kept from call to call, grown when a
// call needs more: per OpenMP thread (its blocks' scratch and oneDNN objects) and per call
// (the packed K and V of all heads). Callers run one call at a time (attention_dnnl.c's lock).
enum { KEEP_THREADS = 512 };
static void *kept[BLK_KEEP_SLOTS][KEEP_THREADS];
static size_t kept_bytes[BLK_KEEP_SLOTS][KEEP_THREADS];
static blk_worker *workers[KEEP_THREADS];

void *blk_keep(int slot, int thread, size_t bytes) {
    if (slot < 0 || slot >= BLK_KEEP_SLOTS || thread >= KEEP_THREADS) return NULL;
    if (kept_bytes[slot][thread] < bytes) {
        free(kept[slot][thread]);
        kept[slot][thread] = aligned_alloc(64, (bytes + 63) / 64 * 64);
        kept_bytes[slot][thread] = kept[slot][thread] ? bytes : 0;
    }
    return kept[slot][thread];
}

// A scratchpad for every prepared primitive; the memory objects are dropped when it grows (those
// of the scratchpad point into it).
blk_worker *blk_worker_get(int thread) {
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
    if (wk->scratch_bytes < blk_scratch_max || !wk->scratch) {
        for (int p = 0; p < BLK_MAX; p++) drop_memory(wk->mem[p]);
        free(wk->scratch);
        wk->scratch = aligned_alloc(64, (blk_scratch_max + 64) / 64 * 64);
        wk->scratch_bytes = wk->scratch ? blk_scratch_max : 0;
        if (!wk->scratch) return NULL;
    }
    return wk;
}

#else
typedef int dnnl_blocks_unused;  // built without oneDNN: nothing here (attention_dnnl.c's stubs run)
#endif

// matmul_bf16.c — bf16 GEMMs (bf16 inputs, fp32 accumulation and output) through oneDNN's
// matmul primitive (v2 C API of oneDNN 2.6, ../shared/notes/DEPS.md): AMX kernels where the
// CPU has them, AVX512-BF16 elsewhere. Creating a primitive costs milliseconds, so one is
// created per (shape, layout, accumulate) and cached (up to 64, then the oldest is replaced).
// fp32 operands are rounded to bf16 into grow-only scratch on every call (M·K + K·N values
// against 2·M·N·K FLOPs): no bf16 copy of the weights is kept that could go stale when the
// optimizer, a test or a checkpoint load writes them (docs/KERNELS.md §10 on the cost).
// Called from serial code (ops.h); a mutex makes concurrent calls safe, not parallel.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "bf16.h"
#include "pope.h"

#ifdef POPE_HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>

typedef struct {
    int M, N, K, ta, tb, accumulate;
    dnnl_primitive_t prim;
    dnnl_memory_t src, wei, dst;
    char impl[64];
} gemm_entry;

static pthread_mutex_t gemm_lock = PTHREAD_MUTEX_INITIALIZER;
static dnnl_engine_t gemm_engine;
static dnnl_stream_t gemm_stream;
// At most GEMM_CACHE_MAX primitives: a training run uses ~15 shapes, but evaluation's
// windows cut short at sequence ends bring one row count each; past the bound, the slots
// are reused in turn (gemm_victim).
enum { GEMM_CACHE_MAX = 64 };
static gemm_entry gemm_cache[GEMM_CACHE_MAX];
static int gemm_cached, gemm_victim;
static uint16_t *scratch_a, *scratch_b;
static size_t scratch_a_n, scratch_b_n;

int bf16_gemm_available(void) { return 1; }

// A (rows×cols, bf16) stored row-major, or transposed (stored cols×rows) when t.
static dnnl_status_t desc_2d(dnnl_memory_desc_t *md, int rows, int cols, int t, dnnl_data_type_t dt) {
    const dnnl_dims_t dims = {rows, cols};
    const dnnl_dims_t strides = {t ? 1 : cols, t ? rows : 1};
    return dnnl_memory_desc_init_by_strides(md, 2, dims, dt, strides);
}

static int gemm_fail(const char *what, dnnl_status_t st) {
    return pope_error("bf16 GEMM: oneDNN %s failed (status %d)", what, (int)st);
}

static void gemm_entry_destroy(gemm_entry *e) {
    if (e->src) dnnl_memory_destroy(e->src);
    if (e->wei) dnnl_memory_destroy(e->wei);
    if (e->dst) dnnl_memory_destroy(e->dst);
    if (e->prim) dnnl_primitive_destroy(e->prim);
    e->src = e->wei = e->dst = NULL, e->prim = NULL;
}

// The cached primitive of this shape, created on first use. NULL + pope_error on failure.
static gemm_entry *gemm_lookup(int M, int N, int K, int ta, int tb, int accumulate) {
    for (int i = 0; i < gemm_cached; i++) {
        gemm_entry *e = &gemm_cache[i];
        if (e->M == M && e->N == N && e->K == K && e->ta == ta && e->tb == tb && e->accumulate == accumulate)
            return e;
    }
    dnnl_status_t st;
    if (!gemm_engine) {
        if ((st = dnnl_engine_create(&gemm_engine, dnnl_cpu, 0)) != dnnl_success)
            return gemm_fail("engine", st), NULL;
        if ((st = dnnl_stream_create(&gemm_stream, gemm_engine, dnnl_stream_default_flags)) != dnnl_success)
            return gemm_fail("stream", st), NULL;
    }
    gemm_entry e = {M, N, K, ta, tb, accumulate, NULL, NULL, NULL, NULL, ""};
    dnnl_memory_desc_t src_md, wei_md, dst_md;
    dnnl_matmul_desc_t desc;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t ops = NULL;
    dnnl_primitive_desc_t pd = NULL;
    const char *impl = NULL;
    if ((st = desc_2d(&src_md, M, K, ta, dnnl_bf16)) || (st = desc_2d(&wei_md, K, N, tb, dnnl_bf16)) ||
        (st = desc_2d(&dst_md, M, N, 0, dnnl_f32)) ||
        (st = dnnl_matmul_desc_init(&desc, &src_md, &wei_md, NULL, &dst_md))) {
        gemm_fail("matmul descriptor", st);
        return NULL;
    }
    if ((st = dnnl_primitive_attr_create(&attr))) goto fail;
    if (accumulate) {  // C += A·B: the "sum" post-op adds the old C
        if ((st = dnnl_post_ops_create(&ops)) || (st = dnnl_post_ops_append_sum(ops, 1.0f)) ||
            (st = dnnl_primitive_attr_set_post_ops(attr, ops)))
            goto fail;
    }
    if ((st = dnnl_primitive_desc_create(&pd, &desc, attr, gemm_engine, NULL)) ||
        (st = dnnl_primitive_create(&e.prim, pd)) ||
        (st = dnnl_memory_create(&e.src, &src_md, gemm_engine, DNNL_MEMORY_NONE)) ||
        (st = dnnl_memory_create(&e.wei, &wei_md, gemm_engine, DNNL_MEMORY_NONE)) ||
        (st = dnnl_memory_create(&e.dst, &dst_md, gemm_engine, DNNL_MEMORY_NONE)))
        goto fail;
    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) == dnnl_success && impl)
        snprintf(e.impl, sizeof e.impl, "%s", impl);
    dnnl_primitive_desc_destroy(pd);
    dnnl_primitive_attr_destroy(attr);
    if (ops) dnnl_post_ops_destroy(ops);
    int slot = gemm_cached;
    if (gemm_cached == GEMM_CACHE_MAX) {  // full: replace the oldest
        slot = gemm_victim;
        gemm_victim = (gemm_victim + 1) % GEMM_CACHE_MAX;
        gemm_entry_destroy(&gemm_cache[slot]);
    } else {
        gemm_cached++;
    }
    gemm_cache[slot] = e;
    return &gemm_cache[slot];
fail:
    gemm_fail("matmul primitive", st);
    gemm_entry_destroy(&e);
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (ops) dnnl_post_ops_destroy(ops);
    return NULL;
}

// *buf with room for n bf16 values (grow-only). 0, or -1 + pope_error.
static int scratch_reserve(uint16_t **buf, size_t *have, size_t n) {
    if (n <= *have) return 0;
    uint16_t *b = aligned_alloc(64, (n * sizeof **buf + 63) / 64 * 64);
    if (!b) return pope_error("bf16 GEMM: out of memory for %zu bf16 values", n);
    free(*buf);
    *buf = b, *have = n;
    return 0;
}

int bf16_gemm(float *C, const float *A, int ta, const float *B, int tb, int M, int N, int K,
              int accumulate) {
    int rc = -1;
    pthread_mutex_lock(&gemm_lock);
    const size_t na = (size_t)M * K, nb = (size_t)K * N;
    gemm_entry *e = gemm_lookup(M, N, K, ta, tb, accumulate);
    if (!e || scratch_reserve(&scratch_a, &scratch_a_n, na) || scratch_reserve(&scratch_b, &scratch_b_n, nb))
        goto out;
    bf16_convert(scratch_a, A, na);
    bf16_convert(scratch_b, B, nb);
    dnnl_status_t st;
    if ((st = dnnl_memory_set_data_handle(e->src, scratch_a)) ||
        (st = dnnl_memory_set_data_handle(e->wei, scratch_b)) || (st = dnnl_memory_set_data_handle(e->dst, C))) {
        gemm_fail("memory handle", st);
        goto out;
    }
    const dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC, e->src}, {DNNL_ARG_WEIGHTS, e->wei}, {DNNL_ARG_DST, e->dst}};
    if ((st = dnnl_primitive_execute(e->prim, gemm_stream, 3, args)) || (st = dnnl_stream_wait(gemm_stream))) {
        gemm_fail("matmul execution", st);
        goto out;
    }
    rc = 0;
out:
    pthread_mutex_unlock(&gemm_lock);
    return rc;
}

const char *bf16_gemm_impl(int M, int N, int K, int ta, int tb, int accumulate) {
    pthread_mutex_lock(&gemm_lock);
    const gemm_entry *e = gemm_lookup(M, N, K, ta, tb, accumulate);
    pthread_mutex_unlock(&gemm_lock);
    return e ? e->impl : "?";
}

#else  // built without oneDNN: bf16 is not supported (pope_bf16_supported says so)
int bf16_gemm_available(void) { return 0; }
int bf16_gemm(float *C, const float *A, int ta, const float *B, int tb, int M, int N, int K,
              int accumulate) {
    (void)C, (void)A, (void)ta, (void)B, (void)tb, (void)M, (void)N, (void)K, (void)accumulate;
    return pope_error("bf16 GEMM: pope was built without oneDNN");
}
const char *bf16_gemm_impl(int M, int N, int K, int ta, int tb, int accumulate) {
    (void)M, (void)N, (void)K, (void)ta, (void)tb, (void)accumulate;
    return "none (built without oneDNN)";
}
#endif

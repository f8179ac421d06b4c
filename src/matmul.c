// matmul.c — the linear layers, out = inp · weightᵀ, through BLIS.
// Called from serial code only: BLIS parallelises internally with pope_num_threads()
// (the small-N path below uses its own omp parallel for instead of BLIS).
// Uses BLIS's native typed API (explicit row/column strides) rather than CBLAS.
#include <blis.h>
#include <stdlib.h>

#include "bf16.h"
#include "kernel_vec.h"
#include "ops.h"

// Rows below which matmul_forward computes dot products itself instead of calling BLIS:
// a one-token step (generation, N = 1) is a matrix-vector product, memory-bound on the
// weights. BLIS has no small-matrix ("sup") path in its skx configuration, so there it
// packs the whole weight matrix for every call (measured: 5-6x slower generation on a
// Xeon with AVX-512 than with these dot products); on Zen 3, where BLIS takes its sup path,
// the two are level (256→768: 6.3 vs 6.6 µs, 1024→256: 8.4 vs 14.5 µs, 2 threads).
enum { MATMUL_SMALL_N = 4 };

// out (n,OUT) = inp (n,IN) · weightᵀ for n < MATMUL_SMALL_N: vector dot products over
// contiguous weight rows, four outputs at a time (four independent FMA chains sharing each
// load of inp); threads split the outputs (parallel only when the weights are large enough
// to pay for waking the threads).
static inline float dot_tail(const float *x, const float *w, int i, int IN, kvec acc) {
    float s = kv_hsum(acc);
    for (; i < IN; i++) s += x[i] * w[i];
    return s;
}
static void matmul_forward_rows(float *out, const float *inp, const float *weight, int n, int IN,
                                int OUT) {
    const int OUT4 = OUT / 4 * 4;
    #pragma omp parallel for schedule(static) if ((size_t)IN * OUT >= (1u << 16))
    for (int o = 0; o < OUT; o += 4) {
        for (int r = 0; r < n; r++) {
            const float *x = inp + (size_t)r * IN;
            float *y = out + (size_t)r * OUT;
            if (o < OUT4) {
                const float *w0 = weight + (size_t)o * IN, *w1 = w0 + IN, *w2 = w1 + IN, *w3 = w2 + IN;
                kvec a0 = kv_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
                int i = 0;
                for (; i + KV_W <= IN; i += KV_W) {
                    const kvec xv = kv_load(x + i);
                    a0 += xv * kv_load(w0 + i);
                    a1 += xv * kv_load(w1 + i);
                    a2 += xv * kv_load(w2 + i);
                    a3 += xv * kv_load(w3 + i);
                }
                y[o] = dot_tail(x, w0, i, IN, a0);
                y[o + 1] = dot_tail(x, w1, i, IN, a1);
                y[o + 2] = dot_tail(x, w2, i, IN, a2);
                y[o + 3] = dot_tail(x, w3, i, IN, a3);
            } else {
                for (int oo = o; oo < OUT; oo++) {  // the last OUT % 4 outputs
                    const float *w = weight + (size_t)oo * IN;
                    kvec a = kv_splat(0.0f);
                    int i = 0;
                    for (; i + KV_W <= IN; i += KV_W) a += kv_load(x + i) * kv_load(w + i);
                    y[oo] = dot_tail(x, w, i, IN, a);
                }
            }
        }
    }
}

// out (N,OUT) = inp (N,IN) · weightᵀ, weight (OUT,IN)
// In bf16 precision the GEMMs go to oneDNN (matmul_bf16.c); if that fails (it reports
// through pope_error) the fp32 path computes the same product, so results stay valid.
void matmul_forward(float *out, const float *inp, const float *weight, int N, int IN, int OUT) {
    if (N < MATMUL_SMALL_N) {
        matmul_forward_rows(out, inp, weight, N, IN, OUT);
        return;
    }
    if (bf16_active() && bf16_gemm(out, inp, 0, weight, 1, N, OUT, IN, 0) == 0) return;
    float one = 1.0f, zero = 0.0f;
    // C (N×OUT, row-major) = A (N×IN, row-major) · Bᵀ with B (OUT×IN, row-major):
    // Bᵀ as an IN×OUT matrix has row stride 1 and column stride IN.
    bli_sgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, N, OUT, IN, &one,
              (float *)inp, IN, 1, (float *)weight, 1, IN, &zero, out, OUT, 1);
}

// dweight (OUT,IN) += tmpᵀ, tmp (IN,OUT): 32×32 blocks, parallel over row blocks of dweight.
static void add_transposed(float *dweight, const float *tmp, int IN, int OUT) {
    enum { BLK = 32 };
    #pragma omp parallel for schedule(static)
    for (int o0 = 0; o0 < OUT; o0 += BLK)
        for (int i0 = 0; i0 < IN; i0 += BLK)
            for (int o = o0; o < o0 + BLK && o < OUT; o++)
                for (int i = i0; i < i0 + BLK && i < IN; i++)
                    dweight[(size_t)o * IN + i] += tmp[(size_t)i * OUT + o];
}

// dinp (N,IN) += dout (N,OUT) · weight (OUT,IN);  dweight (OUT,IN) += doutᵀ · inp (N,IN)
void matmul_backward(float *dinp, float *dweight, const float *dout, const float *inp,
                     const float *weight, int N, int IN, int OUT) {
    if (bf16_active()) {  // dinp += dout·weight;  dweight += doutᵀ·inp (doutᵀ: dout transposed)
        if (dinp && bf16_gemm(dinp, dout, 0, weight, 0, N, IN, OUT, 1) == 0) dinp = NULL;
        if (dweight && bf16_gemm(dweight, dout, 1, inp, 0, OUT, IN, N, 1) == 0) dweight = NULL;
    }
    float one = 1.0f, zero = 0.0f;
    if (dinp)
        bli_sgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, N, IN, OUT, &one,
                  (float *)dout, OUT, 1, (float *)weight, IN, 1, &one, dinp, IN, 1);
    if (!dweight) return;
    // The weight gradient is a long-k product (k = N). BLIS keeps the orientation of C,
    // and with fewer rows than columns (OUT < IN, e.g. the MLP's W2) its packed B panel
    // outgrows L2: measured 2× slower (39 vs 81 GFLOP/s, 1024→256, k = 8192, Zen 3).
    // There we compute dWᵀ (IN×OUT, more rows than columns) into scratch and add it
    // transposed; the extra pass is O(IN·OUT) against O(N·IN·OUT) for the product.
    float *tmp = OUT < IN ? malloc(sizeof(float) * (size_t)IN * OUT) : NULL;
    if (tmp) {
        // tmp (IN×OUT) = inpᵀ (IN×N: row stride 1, column stride IN) · dout (N×OUT)
        bli_sgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, IN, OUT, N, &one,
                  (float *)inp, 1, IN, (float *)dout, OUT, 1, &zero, tmp, OUT, 1);
        add_transposed(dweight, tmp, IN, OUT);
        free(tmp);
    } else {
        // doutᵀ as an OUT×N matrix: row stride 1, column stride OUT.
        bli_sgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, OUT, IN, N, &one,
                  (float *)dout, 1, OUT, (float *)inp, IN, 1, &one, dweight, IN, 1);
    }
}

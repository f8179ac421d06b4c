// matmul.c — the linear layers, out = inp · weightᵀ, through BLIS.
// Called from serial code only: BLIS parallelises internally with pope_num_threads().
// Uses BLIS's native typed API (explicit row/column strides) rather than CBLAS.
#include <blis.h>

#include "ops.h"

// out (N,OUT) = inp (N,IN) · weightᵀ, weight (OUT,IN)
void matmul_forward(float *out, const float *inp, const float *weight, int N, int IN, int OUT) {
    float one = 1.0f, zero = 0.0f;
    // C (N×OUT, row-major) = A (N×IN, row-major) · Bᵀ with B (OUT×IN, row-major):
    // Bᵀ as an IN×OUT matrix has row stride 1 and column stride IN.
    bli_sgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, N, OUT, IN, &one,
              (float *)inp, IN, 1, (float *)weight, 1, IN, &zero, out, OUT, 1);
}

// dinp (N,IN) += dout (N,OUT) · weight (OUT,IN);  dweight (OUT,IN) += doutᵀ · inp (N,IN)
void matmul_backward(float *dinp, float *dweight, const float *dout, const float *inp,
                     const float *weight, int N, int IN, int OUT) {
    float one = 1.0f;
    if (dinp)
        bli_sgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, N, IN, OUT, &one,
                  (float *)dout, OUT, 1, (float *)weight, IN, 1, &one, dinp, IN, 1);
    if (dweight)
        // doutᵀ as an OUT×N matrix: row stride 1, column stride OUT.
        bli_sgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, OUT, IN, N, &one,
                  (float *)dout, 1, OUT, (float *)inp, IN, 1, &one, dweight, IN, 1);
}

// ops.h — the forward/backward kernels of the core (internal to libpope).
//
// One <op>_forward / <op>_backward pair per op, outputs first, shapes in comments.
// Letters: B batch, T time, C = d_model, H heads, D = C/H head size, F = 4C MLP hidden,
// V vocab, N = B*T rows. Every backward ACCUMULATES (+=) into its gradient outputs;
// a gradient output passed as NULL is not computed.
//
// Precision (pope_set_precision): in bf16 the matmuls go to oneDNN with bf16 operands and
// the attention tiles to vdpbf16ps, both accumulating in fp32 (docs/KERNELS.md §10); the
// other kernels are fp32 always.
// Threading: matmuls call BLIS from serial code (BLIS threads = pope_num_threads());
// every other kernel parallelises with its own `#pragma omp parallel for` and never
// calls BLIS inside a parallel region.
//
// Each fast kernel that is not obviously the reference has a *_ref twin kept beside it,
// and tests/core compares them.
#ifndef POPE_OPS_H
#define POPE_OPS_H

#include <stddef.h>
#include <stdint.h>
#include "pope.h"

// ---------------------------------------------------------------- linear
// out = inp · weightᵀ       inp (N, IN), weight (OUT, IN), out (N, OUT). Overwrites out.
void matmul_forward(float *out, const float *inp, const float *weight, int N, int IN, int OUT);
// dinp += dout · weight, dweight += doutᵀ · inp
void matmul_backward(float *dinp, float *dweight, const float *dout, const float *inp,
                     const float *weight, int N, int IN, int OUT);

// ---------------------------------------------------------------- embeddings
// out (B,T,C) = wte[tokens] (+ pe[t] when pe != NULL; pe (T,C), row t for position t)
void encoder_forward(float *out, const int32_t *tokens, const float *wte, const float *pe,
                     int B, int T, int C);
// dwte (V,C) += scatter of dout (B,T,C)
void encoder_backward(float *dwte, const float *dout, const int32_t *tokens, int B, int T, int C);

// ---------------------------------------------------------------- RMSNorm
// out (N,C) = inp / sqrt(mean(inp²) + eps) ⊙ weight; rstd (N) saved for backward.
void rmsnorm_forward(float *out, float *rstd, const float *inp, const float *weight,
                     int N, int C, float eps);
void rmsnorm_backward(float *dinp, float *dweight, const float *dout, const float *inp,
                      const float *weight, const float *rstd, int N, int C);

// ---------------------------------------------------------------- GELU (tanh approximation)
void gelu_forward(float *out, const float *inp, size_t n);
void gelu_backward(float *dinp, const float *inp, const float *dout, size_t n);

// ---------------------------------------------------------------- residual
void residual_forward(float *out, const float *a, const float *b, size_t n);  // out = a + b

// ---------------------------------------------------------------- dropout
// Inverted dropout: out = inp * keep / (1 - p). The keep mask is a pure function of
// (seed, index) (a counter-based hash), so backward recomputes it and stores nothing.
// p == 0 copies.
void dropout_forward(float *out, const float *inp, size_t n, float p, uint64_t seed);
void dropout_backward(float *dinp, const float *dout, size_t n, float p, uint64_t seed);
// The keep decision for element `index` (shared by dropout and attention dropout).
int dropout_keep(uint64_t seed, uint64_t index, float p);

// ---------------------------------------------------------------- cross-entropy
// losses (N) = -log softmax(logits (N,V))[target]; 0 where target < 0.
// Returns the number of non-ignored targets.
int crossentropy_forward(float *losses, const float *logits, const int32_t *targets, int N, int V);
// dlogits (N,V) += dloss * (softmax(logits) - onehot(target)) for non-ignored rows.
void crossentropy_backward(float *dlogits, const float *logits, const int32_t *targets,
                           int N, int V, float dloss);

// ---------------------------------------------------------------- head layout
// (B,T,C) rows with row stride `stride` (≥ C, e.g. 3C for a fused qkv) <-> (B,H,T,D)
void heads_split(float *out, const float *inp, int B, int T, int H, int D, int stride);
void heads_merge(float *out, const float *inp, int B, int T, int H, int D, int stride);
// backward of heads_split: dinp (strided) += permuted dout; of merge: the reverse.
void heads_split_backward(float *dinp, const float *dout, int B, int T, int H, int D, int stride);
void heads_merge_backward(float *dinp, const float *dout, int B, int T, int H, int D, int stride);

// ---------------------------------------------------------------- absolute encodings
// pe (T, C): rows for positions pos0 .. pos0+T-1
void pe_sinusoidal_table(float *pe, int pos0, int T, int C);
void pe_legendre_table(float *pe, int pos0, int T, int C, pope_legendre_grid grid);

// ---------------------------------------------------------------- RoPE
// x (B,H,T,D) head-major; pair (2c, 2c+1) rotated by angle (pos0+t)·θ_c, θ_c = base^(-2c/D).
void rope_forward(float *out, const float *inp, int B, int H, int T, int D, float base, int pos0);
void rope_backward(float *dinp, const float *dout, int B, int H, int T, int D, float base, int pos0);

// ---------------------------------------------------------------- Polar PoPE
// q (B,H,T,D) -> qt (B,H,T,2D) = [softplus(q)·cos(tθ), softplus(q)·sin(tθ)], θ_c = base^(-c/D),
// t = pos0 + time index.
void polar_q_forward(float *qt, const float *q, int B, int H, int T, int D, float base, int pos0);
void polar_q_backward(float *dq, const float *dqt, const float *q, int B, int H, int T, int D,
                      float base, int pos0);
// δ as used from its stored parameter p (docs/MODEL.md §3): clamp: min(max(p, −2π), 0);
// sigmoid: −2π·σ(p). polar_delta_slope: dδ/dp (clamp: 1 inside [−2π, 0], else 0 — the dead
// zone; sigmoid: −2π·σ(p)(1 − σ(p)), zero only where it underflows).
double polar_delta(float p, pope_delta_param param);
double polar_delta_slope(float p, pope_delta_param param);
// The sigmoid's bound on σ(p) at initialisation: p = logit(σ), σ clamped to
// [POLAR_SIGMOID_EPS, 1 − POLAR_SIGMOID_EPS] (δ = 0 would need p = −∞).
#define POLAR_SIGMOID_EPS 1e-3
// k (B,H,T,D), delta (H,D) of this layer's stored parameters, used through polar_delta:
// kt (B,H,T,2D) = [softplus(k)·cos(sθ+δ), softplus(k)·sin(sθ+δ)].
void polar_k_forward(float *kt, const float *k, const float *delta, pope_delta_param param, int B, int H,
                     int T, int D, float base, int pos0);
// ddelta (H,D) += gradient with respect to the stored parameter: dL/dδ · polar_delta_slope
// (clamp: zero where p lies outside [-2π, 0], as torch.clamp).
void polar_k_backward(float *dk, float *ddelta, const float *dkt, const float *k, const float *delta,
                      pope_delta_param param, int B, int H, int T, int D, float base, int pos0);

// ---------------------------------------------------------------- attention
// Causal attention (query t attends to keys s <= t), head-major:
//   q, k (B,H,T,Dk)  v (B,H,T,Dv)  out (B,H,T,Dv)  lse (B,H,T) log-sum-exp saved for backward
//   p = softmax(scale · q·k) over s <= t; dropout on p with probability dropout_p from
//   dropout_seed (mask via dropout_keep, index ((b·H + h)·T + t)·T + s); out = p·v.
// The fast kernel never materialises (T,T): online softmax over key tiles, forward
// and backward (recomputing p from lse). Both return -1 (pope_error set, outputs not
// written) when the per-thread tile scratch cannot be allocated, else 0.
int attention_forward(float *out, float *lse, const float *q, const float *k, const float *v,
                      int B, int H, int T, int Dk, int Dv, float scale,
                      float dropout_p, uint64_t dropout_seed);
int attention_backward(float *dq, float *dk, float *dv, const float *dout, const float *out,
                       const float *lse, const float *q, const float *k, const float *v,
                       int B, int H, int T, int Dk, int Dv, float scale,
                       float dropout_p, uint64_t dropout_seed);
// Plain reference kernels that materialise the (T,T) matrix, for tests.
void attention_forward_ref(float *out, float *lse, const float *q, const float *k, const float *v,
                           int B, int H, int T, int Dk, int Dv, float scale,
                           float dropout_p, uint64_t dropout_seed);
void attention_backward_ref(float *dq, float *dk, float *dv, const float *dout, const float *out,
                            const float *lse, const float *q, const float *k, const float *v,
                            int B, int H, int T, int Dk, int Dv, float scale,
                            float dropout_p, uint64_t dropout_seed);
// One query per head against a KV cache (generation): q (H,Dk); kcache (H,cap,Dk),
// vcache (H,cap,Dv) hold positions 0..len-1; out (H,Dv); scores (H,cap) is scratch.
// No dropout.
void attention_decode(float *out, float *scores, const float *q, const float *kcache,
                      const float *vcache, int H, int len, int cap, int Dk, int Dv, float scale);

#endif  // POPE_OPS_H

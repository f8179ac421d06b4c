// dnnl_blocks.h — bf16 block products C (+)= A·W through oneDNN's matmul primitive, for the
// attention's oneDNN engine (attention_dnnl.c; docs/KERNELS.md §11). Private to libpope; only
// in a build with oneDNN (POPE_HAVE_DNNL).
//
// Weights layout. oneDNN multiplies bf16 weights W (K×N) in its blocked "VNNI" layout
// BA16a{w}b2a: column blocks of w (64, or a narrower last block's width rounded up to 16)
// outermost, then K in blocks of 32 rows, inside a block 16 row pairs × w columns × 2. One
// column block is exactly the pair layout of kernel_bf16.c (tile_pack_b_bf16: 32-bit word
// (k/2)·w + n holds W[k & ~1][n], W[k | 1][n]), so pope packs it itself, once per head: a chunk
// of whole 64-column blocks of a wide W (Kᵀ: N = keys) is a pointer into the packing, and so
// is a chunk of rows k0.. (k0 a multiple of 32) of one column block (K, V, Q, dO: N = a head
// size; a head wider than 64 is multiplied one column block per call, blk_run_cols). No
// reorder per call, no copy inside oneDNN (which cost 40–60% with two threads).
#ifndef POPE_DNNL_BLOCKS_H
#define POPE_DNNL_BLOCKS_H
#include <stddef.h>
#include <stdint.h>

// The tag width of a column block n columns wide (only a last block is narrower than 64).
int blk_block_width(int n);
// 32-bit words of W (K×N) in that layout: K padded to 32 rows, N to 64-column blocks but the
// last, which is its width rounded up to 16.
size_t blk_vnni_words(int K, int N);
// The column block at n0 (a multiple of 64) of a packing of K rows: its first word.
size_t blk_vnni_block(int K, int n0);
// X (rows×N, row stride ldx, fp32) → dst, the layout of K ≥ rows rows (later rows 0).
void blk_vnni_pack(uint32_t *dst, const float *X, int ldx, int K, int rows, int N);
// The same for Xᵀ (K×N), X given as `rows` rows of K values (row stride ldx); N a multiple of
// 64 ≥ rows (later columns 0). `row`: scratch of K + 1 floats.
void blk_vnni_pack_t(uint32_t *dst, float *row, const float *X, int ldx, int K, int N, int rows);

// The primitive of C (M×N, fp32, dense) (+)= A·W (sum: +=) with A bf16 dense M×K (ta: stored
// K×M) and W in the layout above (N ≤ 64, or a multiple of 64): created once (serial code:
// before the parallel region that runs it). 0, or -1 + pope_error — also when oneDNN would run
// anything but its brgemm kernel (a copying or reference one): the caller then runs the tiles.
int blk_create(int M, int N, int K, int ta, int sum);
// The same for each 64-column block of an N-wide product (blk_run_cols).
int blk_create_cols(int M, int N, int K, int ta, int sum);
// oneDNN's name for the kernel of a created primitive (e.g. "brg:avx512_core_amx_bf16"), or NULL.
const char *blk_impl(int M, int N, int K, int ta, int sum);

// A thread's stream, scratchpad and memory objects; blk_worker_get(omp_get_thread_num()) inside
// the parallel region, after the primitives are created. NULL when out of memory.
typedef struct blk_worker blk_worker;
blk_worker *blk_worker_get(int thread);
// C (+)= A·W with the created primitive of that shape. 0, or -1.
int blk_run(blk_worker *wk, float *C, const uint16_t *A, const uint32_t *W, int M, int N, int K, int ta, int sum);
// Products whose N is a head size keep C "column-block major": the 64-column blocks of a C with
// Mtot rows one after another, block b (n_b columns, dense) at C + b·Mtot·64 — so a head wider
// than 64 is one dense call per block (a strided C made oneDNN pick its reference kernel) and
// accumulates in place (sum). C rows m0..m0+M (+)= A·W[k0..k0+K), W a packing of Kw rows.
int blk_run_cols(blk_worker *wk, float *C, int Mtot, int m0, const uint16_t *A, const uint32_t *W, int Kw, int k0,
                 int M, int N, int K, int ta, int sum);
// Element (i, e) of a column-block-major C (Mtot × N).
static inline float *blk_cb_at(float *C, int Mtot, int N, int i, int e) {
    const int b = e / 64, nb = N - 64 * b < 64 ? N - 64 * b : 64;
    return C + (size_t)b * Mtot * 64 + (size_t)i * nb + (e - 64 * b);
}

// At least `bytes` of 64-byte aligned memory for (slot, thread), kept from call to call (grown
// when a call needs more, freed when the process ends); NULL when out of memory.
enum { BLK_KEEP_SLOTS = 8 };
void *blk_keep(int slot, int thread, size_t bytes);
#endif

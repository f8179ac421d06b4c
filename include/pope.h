// pope.h — the public API of libpope, the transformer core.
//
// A decoder-only causal transformer (pre-norm RMSNorm blocks, GELU MLP) with five
// interchangeable positional encodings: none, sinusoidal, legendre, rope, polar (PoPE).
// The exact math is in docs/MODEL.md. The core knows nothing of genomes or music.
//
// Conventions (ggml/llm.c style):
//   - functions that can fail return 0 on success and -1 on error (or NULL), and
//     pope_last_error() says why; library code never calls exit();
//   - shapes are written in comments as (B, T, C): batch, time, channels;
//   - backward functions accumulate into gradient buffers.
#ifndef POPE_H
#define POPE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

// ---------------------------------------------------------------- errors
// The last error message of this thread ("" when none).
const char *pope_last_error(void);
// Sets the thread's last error message (printf-style). Returns -1 so that callers can
// write `return pope_error("...: %s", why);`. Used by all pope libraries.
int pope_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

// ---------------------------------------------------------------- files
// The whole file (or stdin for "-") as a NUL-terminated string (malloc'd); *len (may be
// NULL) = its length. NULL + pope_last_error() ("PATH: why"); errno is kept. Only regular
// files by name: a FIFO (would block) or a device such as /dev/zero (endless) is refused.
char *pope_read_file(const char *path, size_t *len);
// mkdir -p: 0, or -1 + pope_last_error() (errno kept) when DIR cannot be made a directory.
int pope_mkdir_p(const char *dir);
// 1 when path exists and is not a regular file or directory (/dev/null, a FIFO, a terminal):
// outputs are then written in place, since the temp file + rename of an atomic write would
// replace the device (as root, /dev/null itself) with a regular file.
int pope_path_is_special(const char *path);

// Writing a file atomically, so that no reader ever sees half of it: pope_atomic_begin
// makes a temporary name beside path (PATH.tmp.PID) and, with mode ("wb", "w+b"), opens it
// as a->f; with mode NULL (writers that take a path) it only checks it can be created.
// pope_atomic_commit flushes (and fsyncs when sync), closes and renames it into place;
// pope_atomic_abort closes and removes it. Both begin and commit: 0, or -1 with
// "PATH: cannot write: why" / "PATH: write failed: why", the temporary file removed.
// Path "-" (with a mode) writes to stdout directly; an existing path that is not a regular
// file (/dev/null, a FIFO) is written in place.
typedef struct {
    FILE *f;            // write here (mode given)
    char path[4096];    // the destination
    char tmp[4128];     // the name to write (writers that take a path): PATH.tmp.PID, or PATH in place
    int in_place;       // "-" or not a regular file: nothing renamed
} pope_atomic;
int pope_atomic_begin(pope_atomic *a, const char *path, const char *mode);
int pope_atomic_commit(pope_atomic *a, int sync);
void pope_atomic_abort(pope_atomic *a);

// ---------------------------------------------------------------- small shared helpers
// Seconds on the monotonic clock (for durations and rates).
double pope_now(void);
// splitmix64's finaliser (a bijective 64-bit mixer), and splitmix64 itself:
// pope_mix64(x + 0x9e3779b97f4a7c15), the next output of the generator whose state was x.
uint64_t pope_mix64(uint64_t z);
uint64_t pope_splitmix64(uint64_t x);
// 64-bit FNV-1a of n bytes, continuing from h (POPE_FNV1A_INIT to start).
#define POPE_FNV1A_INIT 0xcbf29ce484222325ULL
uint64_t pope_fnv1a(uint64_t h, const void *data, size_t n);

// ---------------------------------------------------------------- runtime
// Selects the BLIS kernels (skx on AVX-512 CPUs, where Debian's BLIS 0.9 would pick
// haswell), and sets the thread count used by BLIS GEMMs and OpenMP loops
// (n_threads <= 0: OMP_NUM_THREADS or the number of cores). Call once at start-up,
// before any other pope call; safe to call again to change the thread count.
void pope_runtime_init(int n_threads);
int pope_num_threads(void);

// ---------------------------------------------------------------- precision
// The arithmetic of the GEMMs and the attention kernel, for the whole process:
//   fp32: BLIS sgemm and the fp32 flash kernel (the reference; evaluation's default);
//   bf16: inputs rounded to bfloat16 (round to nearest even), products accumulated and
//         written in fp32: GEMMs through oneDNN (AMX or AVX512-BF16 kernels), attention
//         products in oneDNN on AMX CPUs, else tiles with AVX512-BF16 `vdpbf16ps`.
//         Parameters, gradients, the optimizer and every element-wise op stay fp32
//         (docs/KERNELS.md §10–§11);
//   auto: bf16 where it is supported here (pope_bf16_supported), else fp32.
typedef enum { POPE_PREC_FP32 = 0, POPE_PREC_BF16, POPE_PREC_AUTO } pope_precision;
const char *pope_precision_name(pope_precision p);                 // "fp32", "bf16", "auto"
int pope_precision_parse(const char *name, pope_precision *out);    // 0 ok, -1 unknown name
// 0 when bf16 can run here: pope built with oneDNN and a CPU with AVX512-BF16 (every
// CPU with AMX-BF16 has it too); else -1 and pope_last_error() names what is missing.
int pope_bf16_supported(void);
// Selects the precision (auto resolved as above). -1 (precision unchanged) when bf16 is
// asked for and not supported. Call from serial code, between steps.
int pope_set_precision(pope_precision p);
pope_precision pope_get_precision(void);   // the resolved choice: FP32 (the default) or BF16
// What multiplies the attention under the current precision: "fp32 tiles", "vdpbf16ps tiles"
// or "oneDNN blocks (<oneDNN kernel>)". In bf16 the oneDNN blocks run where oneDNN's kernel
// is AMX, the vdpbf16ps tiles elsewhere; POPE_BF16_ATTENTION=tiles|onednn in the environment
// overrides that (docs/KERNELS.md §11).
const char *pope_attention_kernel(void);

// ---------------------------------------------------------------- RNG
// xoshiro256** seeded through splitmix64. The state is plain data: checkpoints save it.
typedef struct { uint64_t s[4]; } pope_rng;
void pope_rng_seed(pope_rng *rng, uint64_t seed);
uint64_t pope_rng_u64(pope_rng *rng);
float pope_rng_uniform(pope_rng *rng);          // [0, 1)
float pope_rng_normal(pope_rng *rng);           // N(0, 1)
uint64_t pope_rng_below(pope_rng *rng, uint64_t n);  // uniform in [0, n), n > 0

// ---------------------------------------------------------------- config
typedef enum {
    POPE_PE_NONE = 0,
    POPE_PE_SINUSOIDAL,
    POPE_PE_LEGENDRE,
    POPE_PE_ROPE,
    POPE_PE_POLAR,
    POPE_PE_COUNT
} pope_pe_kind;
const char *pope_pe_name(pope_pe_kind pe);                 // "none", "sinusoidal", ...
int pope_pe_parse(const char *name, pope_pe_kind *out);    // 0 ok, -1 unknown name

typedef enum { POPE_GRID_ENDPOINT = 0, POPE_GRID_MIDPOINT } pope_legendre_grid;
typedef enum { POPE_DELTA_ZERO = 0, POPE_DELTA_UNIFORM } pope_delta_init;
// How polar's learnable phase δ is kept in [−2π, 0]: the paper's clamp (zero gradient
// outside the interval), or δ = −2π·sigmoid(u) with u the stored parameter (no dead zone).
typedef enum { POPE_DELTA_CLAMP = 0, POPE_DELTA_SIGMOID } pope_delta_param;

#define POPE_TOKENIZER_MAX 32

typedef struct {
    int vocab_size;
    int d_model;           // C
    int n_layers;          // L
    int n_heads;           // H; head size D = C / H
    int context_length;    // training context (informative; eval may use longer)
    pope_pe_kind pe;
    float pe_base;         // 10000 for rope and polar
    pope_legendre_grid legendre_grid;
    pope_delta_init delta_init;  // polar only
    pope_delta_param delta_param;  // polar only (docs/MODEL.md)
    float norm_eps;        // 1e-5
    int tie_embeddings;    // 0: separate output.weight
    float dropout_attn;    // on attention probabilities, training only
    float dropout_resid;   // on each residual branch, training only
    float init_std;        // 0.02
    // Init std of tok_embeddings; 0 = auto: 1 for the absolute encodings (sinusoidal,
    // legendre) with an untied output, so that E[tok] and PE[pos] (entries of size ~1)
    // start on the same scale, else init_std (docs/MODEL.md §1).
    float embed_init_std;
    char tokenizer[POPE_TOKENIZER_MAX];  // name of the tokenizer the model was trained with
} pope_config;

void pope_config_default(pope_config *cfg);        // small valid defaults
// The ranges pope_config_validate enforces, checked in 64-bit arithmetic so that no size the
// model derives from them (4·d_model, vocab × d_model, 3 + 9·n_layers tensors...) overflows an
// int: a checkpoint's config is input like any other (docs/RELIABILITY.md).
#define POPE_MAX_D_MODEL 16384
#define POPE_MAX_LAYERS 4096
#define POPE_MAX_VOCAB (1 << 24)
#define POPE_MAX_CONTEXT (1 << 24)
#define POPE_MAX_TENSOR_NUMEL 2147483647LL   // vocab_size × d_model, the largest tensor
int pope_config_validate(const pope_config *cfg);  // -1 with a message when inconsistent
// The number of parameters the model of a valid config has (the checkpoint loader compares it
// with the file's size before allocating); 0 when the config is invalid.
uint64_t pope_config_num_params(const pope_config *cfg);
// The whole config as a JSON object (malloc'd string; the caller frees it). Keys:
// vocab_size, d_model, n_layers, n_heads, context_length, pe, pe_base, legendre_grid
// ("endpoint"|"midpoint"), delta_init ("zero"|"uniform"), delta_param ("clamp"|"sigmoid"), norm_eps, tie_embeddings,
// dropout_attn, dropout_resid, init_std, embed_init_std, tokenizer.
char *pope_config_to_json(const pope_config *cfg);
// Parses such a JSON object; keys absent keep the values already in *cfg.
int pope_config_from_json(pope_config *cfg, const char *json);

// ---------------------------------------------------------------- model
typedef struct pope_model pope_model;

// A new model with freshly initialised parameters (N(0, init_std) matrices and
// embeddings, ones for norm weights, delta by delta_init), deterministic in seed.
pope_model *pope_model_new(const pope_config *cfg, uint64_t seed);
// The init std tok_embeddings gets (resolves embed_init_std = 0, "auto").
float pope_embed_init_std(const pope_config *cfg);
void pope_model_free(pope_model *m);
const pope_config *pope_model_config(const pope_model *m);
size_t pope_model_num_params(const pope_model *m);
// Polar: the share of each layer's δ entries that get no gradient, dδ/dp = 0 for the
// stored parameter p (clamp: p outside [−2π, 0], the dead zone; sigmoid: only where
// σ(p)(1 − σ(p)) underflows in double, |p| > ~745). share[l] for l < min(n_layers, max);
// returns n_layers (0 when the encoding is not polar).
int pope_model_delta_frozen(const pope_model *m, double *share, int max);

// Parameter tensors, in the order and under the names of the safetensors checkpoint
// (tok_embeddings.weight, layers.{l}.attention_norm.weight, ... see docs/MODEL.md).
typedef struct {
    const char *name;
    float *data;
    float *grad;        // same size as data
    int ndim;           // 1 or 2
    int shape[2];       // (rows, cols) for 2-D, (n, 0) for 1-D
    size_t numel;
    int decay;          // 1: AdamW weight decay applies (matrices and embeddings)
} pope_tensor;
int pope_model_num_tensors(const pope_model *m);
pope_tensor pope_model_tensor(pope_model *m, int i);
int pope_model_find_tensor(pope_model *m, const char *name);  // index or -1

// Targets equal to POPE_IGNORE (or any negative value) do not count in the loss.
#define POPE_IGNORE (-1)

// Training forward: inputs, targets (B, T). Stores the activations for backward.
// training != 0 enables dropout, drawn from dropout_seed. *loss = mean cross-entropy
// over the targets that are not ignored (0 when none). targets may be NULL (no loss).
int pope_model_forward(pope_model *m, const int32_t *inputs, const int32_t *targets,
                       int B, int T, int training, uint64_t dropout_seed, float *loss);
// The logits (B, T, V) of the last pope_model_forward.
const float *pope_model_logits(const pope_model *m);
void pope_model_zero_grad(pope_model *m);
// Backward of the last forward, d(loss)/d(params) times grad_scale, ACCUMULATED into
// the tensors' grad (grad_scale = 1/k for k accumulation micro-batches).
int pope_model_backward(pope_model *m, float grad_scale);

// Evaluation without stored activations and with chunked logits, so that T = 65536
// fits in memory: nll (B, T) receives -log p(target) per position (0 where the target
// is ignored). Positions are 0..T-1 within each row.
int pope_model_nll(pope_model *m, const int32_t *inputs, const int32_t *targets,
                   int B, int T, float *nll);

// ---------------------------------------------------------------- optimizer
typedef struct {
    float beta1, beta2, eps;
    float weight_decay;    // decoupled, only on tensors with decay = 1
    float grad_clip;       // clip the global L2 norm to this (<= 0: no clipping)
} pope_adamw_config;
void pope_adamw_config_default(pope_adamw_config *c);  // 0.9, 0.999, 1e-8, 0.1, 1.0

typedef struct pope_adamw pope_adamw;   // first and second moments, step count
pope_adamw *pope_adamw_new(const pope_model *m);
void pope_adamw_free(pope_adamw *opt);
// One update with learning rate lr; *grad_norm (may be NULL) = the norm before clipping.
int pope_adamw_step(pope_adamw *opt, pope_model *m, const pope_adamw_config *c,
                    float lr, float *grad_norm);
int64_t pope_adamw_steps(const pope_adamw *opt);
// Linear warm-up from 0 to lr_max over `warmup` steps, then cosine decay to lr_min at
// `total` steps (and lr_min after). step counts from 0.
float pope_lr_schedule(int64_t step, int64_t warmup, int64_t total, float lr_max, float lr_min);

// ---------------------------------------------------------------- generation
typedef struct pope_kv pope_kv;   // KV cache for one sequence
pope_kv *pope_kv_new(const pope_model *m, int max_len);
void pope_kv_free(pope_kv *kv);
void pope_kv_reset(pope_kv *kv);
int pope_kv_len(const pope_kv *kv);
// Appends `token` at position pope_kv_len(kv) and writes the next-token logits (V).
int pope_model_step(pope_model *m, pope_kv *kv, int32_t token, float *logits);
// Appends n tokens (a prompt) and writes the logits after the last (V; logits may be NULL).
// Into an empty cache in one pass over the whole prompt (matrix products: bf16 GEMMs in bf16
// precision), the same numbers as n pope_model_step calls up to rounding; otherwise step by step.
int pope_model_prefill(pope_model *m, pope_kv *kv, const int32_t *tokens, int n, float *logits);
// Samples from logits (V) with temperature (<= 0: argmax), top_k (<= 0: off) and
// top_p (>= 1: off). Deterministic given the rng state.
int32_t pope_sample(const float *logits, int V, float temperature, int top_k, float top_p,
                    pope_rng *rng);

// ---------------------------------------------------------------- checkpoints
// safetensors, float32 little-endian, loadable by PyTorch (safetensors.torch.load_file).
// __metadata__ holds "pope.config" (pope_config_to_json) and, for training
// checkpoints, "pope.train" (step, RNG state, user JSON) plus the AdamW moments as
// tensors "optimizer.m.<name>" / "optimizer.v.<name>".
typedef struct {
    int64_t step;           // optimizer steps done
    int64_t tokens_seen;
    pope_rng rng;           // the trainer's RNG, to resume exactly
    char *user_json;        // pipeline state (data position, split, ...): malloc'd or NULL
} pope_train_state;

// Writes atomically (path.tmp + rename). opt and st may be NULL (a plain model file).
// extra_metadata: NULL or a JSON object of string values merged into __metadata__.
int pope_save(const char *path, const pope_model *m, const pope_adamw *opt,
              const pope_train_state *st, const char *extra_metadata);
// Loads a model; when opt/st are non-NULL also the optimizer state and train state
// (an error if the file has none). Any malformed file (truncated, bad header, wrong
// shapes or dtypes, config mismatch) gives NULL and a clear pope_last_error().
pope_model *pope_load(const char *path, pope_adamw **opt, pope_train_state *st);
// The value of a __metadata__ key of a safetensors file (malloc'd), or NULL.
char *pope_load_metadata(const char *path, const char *key);

#ifdef __cplusplus
}
#endif
#endif  // POPE_H

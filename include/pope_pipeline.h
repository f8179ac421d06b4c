// pope_pipeline.h — the code shared by pope-genome and pope-music (libpope_pipeline):
// a corpus interface (token streams by split), presets, the training loop, windowed
// evaluation, extrapolation sweeps, generation, and report writers (JSON, Markdown, SVG).
//
// The programs' own files only parse arguments, choose readers and tokenizers, and fill
// a pope_corpus; everything else lives here.
#ifndef POPE_PIPELINE_H
#define POPE_PIPELINE_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include "pope.h"
#include "pope_corpus.h"
#include "pope_fields.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cJSON;

// ---------------------------------------------------------------- corpus
// pope_corpus and the splits: pope_corpus.h (the core).

// Model/corpus compatibility: the model's tokenizer name and vocab size must equal the
// corpus's. -1 with "model was trained with tokenizer X (vocab V), the data is Y (vocab W)".
int pope_check_compat(const pope_model *m, const pope_corpus *c);

// Opens a model for eval/extrapolate/generate: `path` is a .safetensors file or a training
// directory (DIR/model.safetensors, else DIR/checkpoint.safetensors). When c != NULL the
// model must pass pope_check_compat. NULL + pope_last_error() on any problem.
pope_model *pope_model_open(const char *path, const pope_corpus *c);

// ---------------------------------------------------------------- presets
// train.steps meaning "until the time budget ends" (set by --time without --steps).
#define POPE_STEPS_UNBOUNDED (INT64_C(1) << 40)

// The training hyper-parameters ("train" object of a preset). Every field has a default
// (pope_train_config_default); docs/PIPELINE.md lists them.
typedef struct {
    int batch;               // B windows per micro-batch
    int accum;               // micro-batches per optimizer step (gradient accumulation)
    float lr, lr_min;        // peak LR after warm-up, floor of the cosine decay
    pope_adamw_config adamw; // beta1, beta2, eps, weight_decay, grad_clip
    int64_t warmup;          // linear warm-up steps
    int64_t steps;           // optimizer steps (the cosine schedule ends here)
    double time_s;           // wall-clock budget in seconds (0: none); stops early
    int64_t eval_every;      // validation every N steps (0: only at the end)
    int64_t eval_tokens;     // bound on validation targets per validation (0: whole split)
    int64_t checkpoint_every;// training checkpoint every N steps (0: only at the end)
    int64_t log_every;       // a progress line every N steps when stderr is not a TTY
    uint64_t seed;           // model init, data sampling and dropout all derive from it
    int threads;             // 0: OMP_NUM_THREADS or all cores
    int augment;             // preset key "augment": 1 the program's training augmentation
                             // (pope-music: transposition, perf time stretch), 0 none, −1 (key
                             // absent) the program's default for the data; the command line wins
} pope_train_config;
void pope_train_config_default(pope_train_config *t);
// Its field table (include/pope_fields.h): defaults, the preset's "train" JSON, ranges.
extern const pope_field pope_train_fields[];

typedef struct {
    char name[64];
    char description[256];
    char tokenizer[POPE_TOKENIZER_MAX];   // "" when the preset does not fix one
    pope_config model;                    // vocab_size is overwritten by the corpus's
    pope_train_config train;
    char path[1024];                      // the file it was loaded from ("" for built-in)
} pope_preset;

// Loads a preset by name ("genome-small": searched as <dir>/genome-small.json in
// $POPE_MODELS_DIR, then <source tree>/models) or by path (anything containing '/' or
// ending in .json). Unknown keys are errors (typos must not pass silently). -1 with a
// message naming the file and the key/value at fault, or listing the available names.
int pope_preset_load(pope_preset *p, const char *name_or_path);
// Parses a preset from a JSON string (what pope_preset_load does after reading the file).
int pope_preset_from_json(pope_preset *p, const char *json, const char *what);
// The preset a training checkpoint or model file was made with (its "pope.preset" metadata,
// written by pope_train). -1 when it has none.
int pope_preset_from_checkpoint(pope_preset *p, const char *file);
// The preset as JSON (malloc'd; the caller frees), in the file format.
char *pope_preset_to_json(const pope_preset *p);
// Prints "  name  description" for each preset found, one per line (for --help).
void pope_preset_list(FILE *f);
// The folders searched for presets and shipped models, in order: $POPE_MODELS_DIR, the
// source tree's models/, the installed share/pope/models. Returns how many (<= max).
int pope_models_dirs(const char **dirs, int max);
// The first readable `file` in those folders (malloc'd), or NULL.
char *pope_models_find(const char *file);
// The same, restricted to presets whose tokenizer is in the NULL-terminated list
// `tokenizers` (NULL: all) or, for presets that fix no tokenizer, whose name starts with
// `prefix`, so that each program lists only the presets it can train.
void pope_preset_list_for(FILE *f, const char *const *tokenizers, const char *prefix);

// ---------------------------------------------------------------- option tables
// Every command of both programs is described by option tables (pope_opt) that drive
// both its parser (pope_opts_parse) and its --help (pope_opts_help), so the two cannot
// disagree. Rules, the same everywhere: "--x v" and "--x=v"; a flag takes no value; a
// command accepts only the options of its tables; every usage error is
// "PROG: CMD: what (see 'PROG CMD --help')" with exit status 2.
typedef enum {
    POPE_OPT_FLAG,       // int, set to 1
    POPE_OPT_STR,        // const char *, checked by .check (each comma-separated item when .list)
    POPE_OPT_INT,        // int in [lo, hi]
    POPE_OPT_I64,        // int64_t in [lo, hi]
    POPE_OPT_U64,        // uint64_t (any)
    POPE_OPT_F32,        // float in [lo, hi]
    POPE_OPT_F64,        // double in [lo, hi]
    POPE_OPT_DURATION,   // double seconds: "90s", "30m", "1h30m" (pope_parse_duration)
    POPE_OPT_CHOICE,     // int: the index of the value in .choices ("official|random-90-5-5")
    POPE_OPT_PAIR,       // two values ("--data KIND PATH"), stored by .set
    POPE_OPT_COMMON,     // a reference to the common option of the same name (pope_cli);
                         // a non-NULL arg/help/def/check/list here overrides the common one's
} pope_opt_kind;

// Where a value goes: the pope_cli, the program's data options, or a command's own struct.
typedef enum { POPE_DST_CLI = 0, POPE_DST_DATA, POPE_DST_LOCAL, POPE_DST_COUNT } pope_opt_dst;

typedef struct pope_opt {
    const char *name;       // "--steps"; a table ends with name NULL
    const char *alias;      // "-o" (NULL: none)
    pope_opt_kind kind;
    pope_opt_dst dst;
    size_t off;             // offsetof the field in the dst struct
    const char *arg;        // value name in help ("N", "KIND PATH"); NULL for flags
    double lo, hi;          // numeric range (INT, I64, F32, F64)
    int (*check)(const char *value);                  // STR: 0 or -1 with pope_error (may be NULL)
    int list;               // STR: a comma-separated list, each item checked
    int (*set)(void *dst, const char *a, const char *b);   // PAIR: stores both values
    const char *choices;    // CHOICE: the values, '|'-separated
    const char *help;       // one line, or lines separated by '\n'
    const char *def;        // the default shown in --help (NULL: none shown)
    const char *cmds;       // in a data table (not the command's own): the commands that
                            // take it, "train,bench" (NULL: train,bench,eval,extrapolate)
} pope_opt;

// A common option by name, optionally with its own help text / default for this command.
#define POPE_COMMON(n) {.name = (n), .kind = POPE_OPT_COMMON}
#define POPE_COMMON_HELP(n, h, d) {.name = (n), .kind = POPE_OPT_COMMON, .help = (h), .def = (d)}
#define POPE_OPT_END {0}

// The common options, each declared once here (their help and field in pope_cli);
// command tables reference them with POPE_COMMON. Terminated by POPE_OPT_END.
extern const pope_opt pope_cli_options[];

// One command line to parse: the command's tables (up to 4, NULL-terminated), the
// structs the values go to, and the positional arguments.
typedef struct {
    const char *prog, *cmd;               // "pope-genome", "train": messages and help
    const pope_opt *tables[5];            // NULL-terminated
    void *dst[POPE_DST_COUNT];            // dst[POPE_DST_CLI] is a pope_cli
    // An argument not starting with '-' (or "-" alone): 1 consumed (*i = the last argument
    // consumed), 0 unexpected, -1 bad (pope_error). NULL: none taken.
    int (*positional)(void *ctx, int argc, char **argv, int *i);
    void *ctx;
    const char *usage;                    // printed by --help before the option lines
    void (*help_tail)(const void *tail_ctx, FILE *f);   // printed after them (may be NULL)
    const void *tail_ctx;
} pope_cmdline;

// A positional callback for commands that take one input FILE: ctx is a `const char **`
// that receives it; a second one is "one FILE only".
int pope_positional_file(void *ctx, int argc, char **argv, int *i);
// Parses argv[1..argc) (argv[0] is the command). Returns 0 when parsed, 1 after printing
// --help/-h on stdout (exit 0), 2 after printing a usage error on stderr (exit 2).
int pope_opts_parse(const pope_cmdline *c, int argc, char **argv);
// The --help text: usage, "options:", one line per option of the tables (exactly those,
// in table order), then help_tail.
void pope_opts_help(const pope_cmdline *c, FILE *f);
// The index of v among the '|'-separated names (0, 1, ...), or -1 with "expected one of ...".
int pope_opt_choice(const char *names, const char *v);
// The option of the tables that `name` ("--x" or "-o") names, resolved through
// POPE_COMMON (NULL when the command has none).
const pope_opt *pope_opts_find(const pope_cmdline *c, const char *name, pope_opt *resolved);

// ---------------------------------------------------------------- common command line
// The values of the common options (pope_cli_options), "unset" (NULL / -1 / NAN) until
// given on the command line.
typedef struct {
    const char *preset;     // --preset NAME|FILE
    const char *out_dir;    // --out DIR (-o is left to the programs)
    int resume;             // --resume
    int extend;             // --extend (with --resume: train past the checkpoint's end)
    const char *pe;         // --pe polar|rope|legendre|sinusoidal|none (bench: a comma list)
    int context;            // --context N (train: training context; eval: T)
    int64_t steps;          // --steps N
    double time_s;          // --time 30m | 2h | 90s | 1h30m
    int batch;              // --batch N
    int accum;              // --accum N (micro-batches per step and rank)
    double lr;              // --lr X (lr_min keeps its ratio to lr)
    int threads;            // --threads N
    int64_t seed;           // --seed N (also the sampling seed of generate)
    const char *model;      // --model M (file or training dir)
    const char *split;      // --split test|valid|train|all
    int json;               // --json
    const char *contexts;   // --contexts 1,2,4,8 (multiples of the training context)
    int64_t eval_tokens;    // --eval-tokens N (bound on targets in validation/extrapolate)
    double time_per_run_s;  // --time-per-run 10m (bench)
    int seeds;              // --seeds N (bench: independent runs per encoding)
    int jobs;               // --jobs N (bench: runs at once)
    float temperature;      // --temperature X
    int top_k;              // --top-k N
    float top_p;            // --top-p X
    int quiet;              // --quiet (no progress line)
    const char *delta_init;   // --delta-init zero|uniform (polar's δ initialisation)
    const char *delta_param;  // --delta-param clamp|sigmoid (polar's δ parameterisation; bench: a list)
    const char *precision;    // --precision fp32|bf16|auto (pope_cli_precision applies it)
    const char *bench_run;    // --bench-run PE:SEED (bench: the one run of a --jobs child)
} pope_cli;
void pope_cli_init(pope_cli *o);
// Loads o->preset (or default_preset when none was given) into *p and applies the
// overrides (--pe, --context, --steps, --time, --batch, --accum, --lr, --threads, --seed,
// --delta-init, --delta-param). A --pe or --delta-param list (bench) is left to the caller.
// --time without --steps sets steps to POPE_STEPS_UNBOUNDED: the budget decides.
int pope_cli_preset(const pope_cli *o, const char *default_preset, pope_preset *p);
// For train --resume: the preset the run in out_dir was started with (recorded in
// out_dir/checkpoint.safetensors) with only the options given on the command line applied
// on top. --preset, when given, is loaded instead but for the run's end (steps, time,
// warm-up), and pope_train compares the rest with the run's. So a resumed run without
// --steps continues to its original end with its schedule. A --seed other than the run's
// is refused. Without a recorded preset: pope_cli_preset.
int pope_cli_resume_preset(const pope_cli *o, const char *out_dir, const char *default_preset, pope_preset *p);
// Sets the core's precision from --precision, or from dflt ("auto" for train and bench,
// "fp32" for eval and extrapolate) when not given. -1 + message when bf16 is asked for and
// not supported here.
int pope_cli_precision(const pope_cli *o, const char *dflt);
// o->contexts (default "1,2,4,8"), multiples of the model's training context, as
// absolute contexts in tokens for pope_extrap_opts.
int pope_cli_contexts(const pope_cli *o, const pope_model *m, int *out, int max, int *n);

// ---------------------------------------------------------------- parsers
// "90s", "30m", "2h", "1h30m", "1d", plain "45" (seconds), "1.5h". -1 on anything else,
// including durations above POPE_MAX_DURATION_S (a year: "1e308m" would be infinity).
#define POPE_MAX_DURATION_S (366.0 * 86400)
int pope_parse_duration(const char *s, double *seconds);
// "1,2,4,8" -> out[0..*n). Positive integers only; -1 when malformed or more than max.
int pope_parse_int_list(const char *s, int *out, int max, int *n);
// "polar,rope" -> distinct encodings out[0..*n) in the given order; -1 when an entry is unknown,
// repeated or there are more than max.
int pope_pe_list_parse(const char *s, pope_pe_kind *out, int max, int *n);
// "1h02m03s" / "4m05s" / "37s" for progress lines, "2.5s" under 10 s (buf >= 16 bytes).
const char *pope_format_duration(double seconds, char *buf, size_t size);

// The progress line of a pass over data (meter.c): "LABEL: done/total UNIT  rate UNIT/s
// elapsed  ETA left" on stderr, in place on a terminal (twice a second at most, cleared by
// end); elsewhere one line per 10% once the pass has run quiet_s (default 10) seconds.
typedef struct {
    int on, tty, shown;
    FILE *out;                  // stderr
    const char *label, *unit;   // not copied
    int64_t total, decile;
    double quiet_s, t0, last;
} pope_meter;
// on == 0 (or total <= 0): update and end print nothing.
void pope_meter_begin(pope_meter *m, int on, const char *label, const char *unit, int64_t total);
void pope_meter_update(pope_meter *m, int64_t done);
void pope_meter_end(pope_meter *m);

// ---------------------------------------------------------------- training
typedef struct {
    const char *out_dir;        // created if missing
    int resume;                 // continue DIR/checkpoint.safetensors exactly: the preset
                                // must equal the run's (pope_fields_diff) but for threads,
                                // eval_every, eval_tokens, checkpoint_every, log_every, seed
                                // (the run's is kept), and steps / time, which may grow:
    int extend;                 // with resume: a new end (steps, time) past the current
                                // step; the cosine schedule is stretched to it
    int quiet;                  // no progress on stderr
    const char *program;        // "pope-genome": prefix of messages
    // JSON object of string values stored in every checkpoint's __metadata__ (the split,
    // data source...). NULL: none. "pope.preset" (the preset JSON) is always added.
    const char *extra_metadata;
    int64_t stop_at_step;       // > 0: behave as if interrupted after this step
    // Set (e.g. by the program's SIGINT handler) to stop after the current step with a
    // checkpoint; NULL: none. The library installs no signal handlers: the programs do.
    volatile sig_atomic_t *interrupt;
} pope_train_opts;

typedef struct {
    int64_t steps;              // optimizer steps done in total (incl. before a resume)
    int64_t tokens;             // training input tokens seen in total
    double seconds;             // training wall time in total
    float last_loss;            // training loss of the last step
    double valid_nll;           // last validation NLL (NAN when no validation ran)
    int interrupted;            // 1: stopped by SIGINT / stop_at_step (checkpoint written)
} pope_train_result;

// Trains a fresh model (or resumes one) on the corpus's train split with the preset.
// model config = p->model with vocab_size and tokenizer taken from the corpus.
// Each micro-batch is B windows of context_length+1 tokens: corpus->sample_train when
// set, else a sequence drawn with probability ∝ (len − n + 1) and a uniform offset,
// re-drawn (≤ 1000 tries) while window_ok says no. Targets pass through ignore_target.
// Writes DIR/checkpoint.safetensors (every checkpoint_every steps and at the end),
// DIR/model.safetensors, DIR/log.jsonl, DIR/curve.svg. *o->interrupt set (the program's
// SIGINT handler): finishes the step, checkpoints, returns 0 with res->interrupted = 1.
// res may be NULL.
int pope_train(const pope_corpus *c, const pope_preset *p, const pope_train_opts *o,
               pope_train_result *res);

// ---------------------------------------------------------------- evaluation
// Windowing rule of eval: a sequence of len tokens gives floor(len / (T+1)) full windows
// of T+1 tokens at offsets 0, T+1, 2(T+1), ... and, when the rest r = len mod (T+1) is
// >= 2, one last window of r tokens. Returns the number of windows; *targets (may be
// NULL) = the number of target positions (T per full window, r-1 for the last).
int64_t pope_eval_windows(int64_t len, int T, int64_t *targets);
// The same summed over the sequences of a split (or POPE_SPLIT_ALL: every split).
int64_t pope_split_windows(const pope_corpus *c, pope_split split, int T, int64_t *targets);

// The windows themselves, in order (split by split, sequence by sequence, offset by
// offset): the one walk eval, validation and the test report share.
typedef struct {
    pope_split split;
    int64_t seq, off;   // tokens [off, off+n) of sequence seq
    int n;              // T+1, or 2..T for the last window of a sequence
    int ends_seq;       // 1: the last window of its sequence
} pope_window;
typedef struct {        // private to pope_window_next
    const pope_corpus *c;
    int T, split, last;
    int64_t seq, n_seqs, len, off;
} pope_window_iter;
// -1 when T < 1 or split is none of train/valid/test/all.
int pope_window_iter_init(pope_window_iter *it, const pope_corpus *c, pope_split split, int T);
// 1: *w is the next window; 0: there is none left.
int pope_window_next(pope_window_iter *it, pope_window *w);

typedef struct {
    pope_split split;           // or POPE_SPLIT_ALL
    int context;                // T; 0: the model's context_length
    int batch;                  // windows of equal length per forward; 0: ~8192 tokens
    int64_t max_targets;        // > 0: evaluate evenly spaced windows covering about this many targets
    int bucket_size;            // > 0: also sum NLL per position bucket [k·size, (k+1)·size)
    int progress;               // 1: progress on stderr
} pope_eval_opts;
void pope_eval_opts_default(pope_eval_opts *o);

typedef struct {
    double nll;                 // mean NLL in nats per counted target (NAN when none)
    double nll_sum;
    int64_t targets;            // counted targets (ignored ones excluded)
    int64_t windows;
    int64_t units;              // Σ target_units over the counted targets (0 without it)
    int sampled;                // 1: max_targets chose a subset of the windows
    int64_t all_positions;      // target positions of every window of the split(s), scored or not
    // per split (pope_eval with POPE_SPLIT_ALL fills every split; otherwise the one asked)
    double split_nll_sum[POPE_SPLIT_COUNT];
    int64_t split_targets[POPE_SPLIT_COUNT], split_units[POPE_SPLIT_COUNT];
    int context;
    int n_buckets;              // position buckets (0 when bucket_size was 0)
    int bucket_size;
    double *bucket_nll;         // (n_buckets) summed NLL per bucket; malloc'd
    int64_t *bucket_count;      // (n_buckets) counted targets per bucket; malloc'd
} pope_eval_result;
void pope_eval_result_free(pope_eval_result *r);

// Mean NLL of the model over the split, windowed as pope_eval_windows says: inputs
// tokens 0..n−2 of a window, targets 1..n−1 mapped through ignore_target, scored with
// pope_model_nll. Checks pope_check_compat first.
int pope_eval(pope_model *m, const pope_corpus *c, const pope_eval_opts *o, pope_eval_result *r);

// ---------------------------------------------------------------- extrapolation
typedef struct {
    pope_split split;           // default test
    const int *contexts;        // evaluation contexts in tokens (absolute, not multiples)
    int n_contexts;
    int64_t max_tokens;         // bound on scored targets (whole regions; at least one region)
    int n_buckets;              // position buckets over the largest context (default 32)
    const char *out_dir;        // writes extrapolate.md/.json/.svg, extrapolate_positions.svg; NULL: none
    int progress;
    // Optional: adds the caller's keys to the JSON object (extrapolate.json and --json).
    void (*json_fields)(void *ctx, struct cJSON *o);
    void *json_ctx;
} pope_extrap_opts;
void pope_extrap_opts_default(pope_extrap_opts *o);

typedef struct {
    int n_contexts;
    int contexts[32];
    pope_eval_result res[32];   // per context; buckets over positions 0..Tmax−1
    int64_t regions;            // number of regions of Tmax+1 tokens scored
} pope_extrap_result;
void pope_extrap_result_free(pope_extrap_result *r);

// The zero-shot length-extrapolation test. The scored tokens are the same at every
// context: regions of Tmax+1 tokens (Tmax = the largest context) cut from the split's
// sequences (non-overlapping, never crossing a sequence, evenly spaced when bounded by
// max_tokens); inside a region, context T uses windows of T+1 tokens at stride T, so
// each context scores exactly targets 1..Tmax of every region. table (may be NULL)
// receives the Markdown table.
int pope_extrapolate(pope_model *m, const pope_corpus *c, const pope_extrap_opts *o,
                     pope_extrap_result *r, FILE *table);
// The result as the JSON object of extrapolate.json (and of the programs' --json): pe,
// tokenizer, split, training_context, regions, bucket_size, o->json_fields' keys, results
// [{context, nll, targets, windows, multiple, bucket_nll}]. The caller deletes it.
struct cJSON *pope_extrap_json(const pope_model *m, const pope_extrap_opts *o, const pope_extrap_result *r);

// ---------------------------------------------------------------- generation
typedef struct {
    int64_t n_new;              // tokens to generate
    float temperature;          // <= 0: greedy
    int top_k;                  // <= 0: off
    float top_p;                // >= 1: off
    uint64_t seed;
    int32_t stop_token;         // < 0: none; generation stops after emitting it
    int progress;
} pope_gen_opts;
void pope_gen_opts_default(pope_gen_opts *o);  // 256 tokens, T 1.0, top-k off, top-p off, seed 1

// Feeds the prompt (n_prompt >= 1 tokens) through the KV cache and samples up to n_new
// tokens. *out (malloc'd, the caller frees) = the new tokens only, *n_out their count.
int pope_generate(pope_model *m, const int32_t *prompt, int64_t n_prompt,
                  const pope_gen_opts *o, int32_t **out, int64_t *n_out);

// ---------------------------------------------------------------- bench (NLL reports)
typedef struct {
    const char *out_dir;        // DIR/<arm>/seed-<s>/ training runs, DIR/bench.json, DIR/report.*
    const pope_pe_kind *pes;    // the encodings (n_pes of them); n_pes 0: all five
    int n_pes;
    const pope_delta_param *dparams;   // polar's δ parameterisations (n_dparams); 0: the preset's.
    int n_dparams;              // Each (encoding, δ param) pair is an arm: polar, polar-sigmoid, rope…
    int seeds;                  // runs per encoding, seeds preset seed + 0 .. seeds−1 (0: 1)
    int jobs;                   // > 1: runs at once as processes of child_argv (threads split)
    char *const *child_argv;    // the command that runs one run: it gets "--bench-run PE:SEED
                                // --threads K --quiet" appended (NULL: runs in this process)
    const char *command;        // the exact command, for the record
    double time_per_run_s;      // > 0: each run stops at this wall time (no step limit
                                //      unless steps_per_run is also given)
    int64_t steps_per_run;      // > 0: overrides the preset's steps
    const int *contexts;        // extrapolation contexts as multiples of the training context
    int n_contexts;             // 0: 1,2,4,8
    int64_t eval_tokens;        // bound on extrapolation targets (0: default)
    int64_t test_tokens;        // bound on test-NLL targets (0: the whole test split)
    int resume;                 // resume runs already started (finished ones are reused)
    volatile sig_atomic_t *interrupt;   // pope_train_opts.interrupt of each run
    const char *one_run;        // "ARM:SEED": only that run, no report (a --jobs child)
    const char *program;
    const char *extra_metadata;
    int quiet;
} pope_bench_opts;

// The bench protocol (docs/PIPELINE.md §8): each arm × seed trained with the same
// preset, budget and data into DIR/<arm>/seed-<s>/ (finished runs, those with a
// result.json, are kept; interrupted ones continue), then test NLL and extrapolation of
// each, then the report over every finished run of DIR: DIR/report.md, DIR/report.json,
// DIR/curves.svg, DIR/extrapolation.svg. DIR/bench.json holds the settings the runs share
// and every invocation; settings that differ from the folder's are refused. Prints the
// Markdown report to `report` (may be NULL).
int pope_bench(const pope_corpus *c, const pope_preset *p, const pope_bench_opts *o, FILE *report);

// Mean and sample standard deviation (n−1 in the denominator; 0 when one value) of the
// finite values of x[0..n). Returns how many were finite (mean, std NAN when none).
int pope_mean_std(const double *x, int n, double *mean, double *std);
// The report's rule for "a difference beyond the seed spread" (Welch-style): 1 when
// |m1 − m2| > 2·sqrt(s1²/n1 + s2²/n2), 0 when not, −1 when n1 or n2 is below 2 (no
// spread). *threshold (may be NULL) = 2·sqrt(...) or NAN.
int pope_beyond_spread(double m1, double s1, int n1, double m2, double s2, int n2, double *threshold);

// ---------------------------------------------------------------- report writers
typedef struct {
    const char *name;           // legend label
    const double *x, *y;        // n points; NAN y values are skipped
    int n;
    int dashed;                 // 1: dashed line with markers (e.g. validation)
} pope_series;
typedef struct {
    const char *title, *xlabel, *ylabel;
    int log_x;                  // 1: log2 x axis (contexts)
} pope_chart;
// A self-contained SVG line chart (axes, ticks, labels, legend), one <path> per series.
int pope_svg_line_chart(const char *path, const pope_chart *chart, const pope_series *s, int n_series);

// int32 .npy (format 1.0, '<i4', 1-D, C order). path "-": stdout / stdin.
int pope_npy_write_i32(const char *path, const int32_t *data, int64_t n);
// Only the header of such a file of n values, for writers that stream the data after it
// (-1 on a write error, errno set).
int pope_npy_write_header(FILE *f, int64_t n);
// The reader also takes numpy's other integer dtypes (<i8 as np.save writes by default,
// <i2, |i1, <u4, <u2, |u1, <u8) when the values fit in int32.
int pope_npy_read_i32(const char *path, int32_t **data, int64_t *n);   // *data malloc'd

// Writes a whole string to path atomically (path.tmp + rename).
int pope_write_file_atomic(const char *path, const char *text);
// mkdir -p: pope_mkdir_p, declared in pope.h (libpope), shared with the readers.

// ---------------------------------------------------------------- programs
// The program layer: pope-genome and pope-music differ only in their data (options,
// loading, what a model expects) and in a few report fields; everything else of their
// train, bench, eval and extrapolate subcommands, the dispatch, --help/--version and the
// error printing is written once here. A program fills a pope_program (docs/PIPELINE.md)
// and calls pope_program_main.
typedef struct pope_program pope_program;

typedef struct {
    const char *name;                                          // "train"
    int (*run)(const pope_program *p, int argc, char **argv);  // argv[0] is the command name
} pope_command;

// What the data callbacks return besides 0 (ok) and -1 (an error in pope_last_error,
// printed as "PROG: CMD: why", exit status 1): a usage error (exit status 2).
#define POPE_PROGRAM_USAGE (-2)

struct pope_program {
    const char *name;               // "pope-genome": prefix of every message; default
                                    // output directories ./NAME-run and ./NAME-bench
    const char *version;            // printed by --version as "NAME VERSION"
    const char *usage;              // top-level help (stdout for --help, stderr when no command)
    const pope_command *commands;   // terminated by {NULL, NULL}
    void *ctx;                      // the program's state: data options, loaded data
    const char *const *tokenizers;  // the tokenizers it knows (NULL-terminated): its --help
                                    // lists only presets that use one of them, or fix none
    const char *preset_prefix;      // and are named so ("music-")

    // Help heads (usage line and what the command does, ending in a blank line); the option
    // lines come from the tables. help_bench and help_extrap are only the usage line (the
    // description is common); help_extrap_note (may be NULL) is appended to its last sentence.
    const char *help_train;
    const char *help_train_presets; // the line before the preset list ("presets (default ...):\n")
    const char *help_bench;
    const char *help_eval;
    const char *help_extrap;
    const char *help_extrap_note;

    // The program's data options (table; .cmds says which of train, bench, eval, extrapolate
    // take each) and the struct they are stored in (POPE_DST_DATA). positional (may be
    // NULL): an argument not starting with '-' (or "-" alone): 1 consumed (*i = last
    // consumed), 0 unexpected, -1 bad. missing: after parsing, NULL or what is missing
    // ("no input FILE"), a usage error.
    const pope_opt *data_opts;
    void *data_dst;
    int (*positional)(void *ctx, int argc, char **argv, int *i);
    const char *(*missing)(void *ctx);

    // Data. default_preset: the preset without --preset. open_train: the train/bench data
    // for preset p (which may fix the tokenizer), verbose: a summary on stderr; *metadata:
    // pope_train_opts.extra_metadata. open_eval: the data tokenized as the model `model`
    // expects (extrapolate: 1 for pope_extrapolate, which may want a different layout);
    // *model_file: a malloc'd path of the model to open, or NULL for `model` itself.
    // On failure they leave nothing open; close releases what a successful open made.
    const char *(*default_preset)(void *ctx);
    int (*open_train)(void *ctx, const pope_preset *p, int verbose, const pope_corpus **c, const char **metadata);
    int (*open_eval)(void *ctx, const char *model, int extrapolate, const pope_corpus **c, char **model_file);
    void (*close)(void *ctx);

    // Reports. describe: the evaluated data for eval's text line ("FILE", "jsb PATH").
    // json_fields (may be NULL): adds the program's keys after the common ones of the
    // "eval" / "extrapolate" JSON object.
    void (*describe)(void *ctx, char *buf, size_t size);
    void (*json_fields)(void *ctx, const char *cmd, struct cJSON *o);

    // A second measure of the NLL (may be NULL): bits per `unit` ("base") of an eval result
    // (of one of its splits, or POPE_SPLIT_ALL for all it evaluated). `units` is the JSON
    // key of the units covered ("bases"). eval_report (may be NULL): after eval's line (json
    // NULL) or into its JSON object: the program's own lines (per split, baselines); progress:
    // whether a long pass may show a progress line (not with --quiet or --json).
    const char *unit, *units;
    double (*bits_per_unit)(void *ctx, const pope_eval_result *r, pope_split split);
    void (*eval_report)(void *ctx, pope_split split, const pope_eval_result *r, struct cJSON *json, int progress);
    int eval_bounded;               // 1: eval honours --eval-tokens (evenly spaced windows)
    int64_t test_targets;           // bound on the targets of train's final test NLL and of bench's (0: all)
};

// Parses the command line of a program's own command (generate, tokenize ...): the table
// `own`, then the program's data options whose .cmds name `cmd`; values into cli
// (initialised here), p->data_dst and local; positional arguments to positional(pctx, ...)
// (NULL: none taken); `usage` heads its --help. 0 when parsed, -1 after printing --help
// (exit 0), else the exit status of a usage error (printed).
int pope_program_parse(const pope_program *p, const char *cmd, const pope_opt *own, const char *usage, pope_cli *cli,
                       void *local, int (*positional)(void *ctx, int argc, char **argv, int *i), void *pctx, int argc,
                       char **argv);
// The option table of a shared command ("train", "bench", "eval", "extrapolate"; NULL for
// others); the program's data options come on top.
const pope_opt *pope_command_options(const char *cmd);
// Dispatches argv[1] to the program's commands; --help/-h, help [CMD], --version. Returns the exit status.
int pope_program_main(const pope_program *p, int argc, char **argv);
// The shared subcommands (argv[0] = the command name). Return the exit status: 0, 1 (an
// error, printed), 2 (usage), 130 (train interrupted; --resume continues).
int pope_cmd_train(const pope_program *p, int argc, char **argv);
int pope_cmd_bench(const pope_program *p, int argc, char **argv);
int pope_cmd_eval(const pope_program *p, int argc, char **argv);
int pope_cmd_extrapolate(const pope_program *p, int argc, char **argv);
// "PROG: WHAT: <pope_last_error()>" on stderr; returns 1.
int pope_die(const char *prog, const char *what);
// "PROG: CMD: MSG (see 'PROG CMD --help')" on stderr; returns 2.
int pope_usage_error(const char *prog, const char *cmd, const char *msg);
// The config recorded in a model file (pope.config metadata: tokenizer, vocab ...), read
// without loading the weights. -1 with the loader's message (truncated, not safetensors,
// no pope.config metadata) or the config's.
int pope_model_file_config(const char *file, pope_config *cfg);
// The model file behind a --model path: the file itself, or DIR/model.safetensors, else
// DIR/checkpoint.safetensors. malloc'd; NULL + pope_last_error() when there is none.
char *pope_model_file(const char *path);

#ifdef __cplusplus
}
#endif
#endif  // POPE_PIPELINE_H

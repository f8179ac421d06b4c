// cmd_generate.c — `pope-music generate`: sample tokens from a model (by default the shipped
// models/music-default.safetensors), after an optional MIDI prompt, and write a MIDI file
// and optionally a piano roll.
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "music_cli.h"

#define DEFAULT_SECONDS 30
#define DEFAULT_TOP_P 0.95
#define MAX_TOKENS 16384   // cap of --seconds generation

typedef struct {
    const char *midi_out, *prompt_path, *roll, *tokens_out, *wav_out, *soundfont, *voice_ranges;
    double seconds;
    int64_t n_tokens;
} gen_opts;

static int check_voice_ranges(const char *v) {
    pope_jsb_ranges r;
    return !strcmp(v, "model") || !strcmp(v, "off") ? 0 : pope_jsb_ranges_parse(v, &r);
}

#define GEN(field) .dst = POPE_DST_LOCAL, .off = offsetof(gen_opts, field)
#define STR_(x) #x
#define STR(x) STR_(x)
static const pope_opt generate_opts[] = {
    {.name = "--midi", .kind = POPE_OPT_STR, GEN(midi_out), .arg = "FILE",
     .help = "the MIDI file to write (required; '-' = stdout)"},
    POPE_COMMON_HELP("--model", "model file, training directory, or shipped model name (default, piano)",
                     "models/music-default.safetensors"),
    {.name = "--prompt", .kind = POPE_OPT_STR, GEN(prompt_path), .arg = "FILE.mid", .help = "a MIDI file to continue"},
    {.name = "--seconds", .kind = POPE_OPT_F64, GEN(seconds), .arg = "S", .lo = 1e-3, .hi = 36000,
     .help = "length of the new music in seconds", .def = STR(DEFAULT_SECONDS)},
    {.name = "--tokens", .kind = POPE_OPT_I64, GEN(n_tokens), .arg = "N", .lo = 1, .hi = 1 << 22,
     .help = "number of new tokens instead"},
    {.name = "--roll", .kind = POPE_OPT_STR, GEN(roll), .arg = "FILE.svg",
     .help = "also draw a piano roll of the result (prompt included)"},
    {.name = "--tokens-out", .kind = POPE_OPT_STR, GEN(tokens_out), .arg = "F.npy",
     .help = "also write all token ids (prompt + new)"},
    {.name = "--wav", .kind = POPE_OPT_STR, GEN(wav_out), .arg = "FILE.wav",
     .help = "also render the result to audio (FluidSynth; see 'render --help')"},
    {.name = "--soundfont", .kind = POPE_OPT_STR, GEN(soundfont), .arg = "FILE.sf2",
     .help = "the soundfont for --wav", .def = "fluid-soundfont-gm's FluidR3_GM.sf2"},
    {.name = "--voice-ranges", .kind = POPE_OPT_STR, GEN(voice_ranges), .arg = "R", .check = check_voice_ranges,
     .help = "jsb models: keep each voice's new notes in a pitch range: 'model' (the ranges of "
             "the model's training split, widened by the prompt's), 'off' (sample the model's "
             "whole distribution), or 'S 60-81, A 53-74, T 48-69, B 36-64' (MIDI pitches)",
     .def = "model"},
    POPE_COMMON("--temperature"), POPE_COMMON("--top-k"), POPE_COMMON_HELP("--top-p", NULL, STR(DEFAULT_TOP_P)),
    POPE_COMMON_HELP("--seed", "sampling seed", "1"),
    POPE_COMMON_HELP("--precision", "fp32, bf16 (the prompt's one pass; new tokens are matrix-vector steps, fp32) or auto",
                     "fp32"),
    POPE_COMMON("--threads"), POPE_COMMON("--quiet"), POPE_OPT_END,
};

static const char usage[] =
    "usage: " PROG " generate --midi out.mid [--model M] [--prompt in.mid] [--seconds S | --tokens N]\n"
    "                           [--temperature X] [--top-p P] [--seed N] [--roll out.svg]\n\n"
    "Samples music from a model and writes a MIDI file. Without --model it uses the shipped\n"
    "models/music-default.safetensors (found in $POPE_MODELS_DIR, then the source tree).\n"
    "Sampling starts from BOS, or from the tokens of --prompt (its EOS removed), and stops at\n"
    "EOS, after --tokens N new tokens, or once the new music lasts --seconds S (at most\n"
    STR(MAX_TOKENS) " tokens). PAD and BOS are never sampled. Past the model's training context\n"
    "the model sees a sliding window (refilled with the last half context when full).\n\n";

// Seconds of music in tokens[from..n) (as decoded; the prompt's part subtracted by the caller).
static double decoded_seconds(pope_music_tok tok, const int32_t *t, size_t n) {
    pope_midi m;
    if (pope_music_detokenize(tok, t, n, &m) != 0) return 0;
    double d = m.duration;
    pope_midi_free(&m);
    return d;
}

// Empties the cache and feeds the last `keep` tokens of all, or a few fewer so that the window
// starts where training windows start (pope_music_window_align); logits: after the last one.
static int refeed(pope_model *m, pope_kv *kv, const pope_tokens *all, size_t keep, size_t align,
                  float *logits) {
    pope_kv_reset(kv);
    size_t from = all->n > keep ? all->n - keep : 0;
    from += (align - from % align) % align;
    return from < all->n ? pope_model_prefill(m, kv, all->data + from, (int)(all->n - from), logits) : 0;   // one pass
}

// The model behind --model (default: the shipped one) and its tokenizer, whose vocabulary
// it must have. -1 with pope_last_error set (*file may be set: the caller frees it).
static int open_model(const char *model, char **file, pope_music_tok *tok, pope_model **m) {
    *m = NULL;
    if (!(*file = mmodel_file(model))) return -1;
    if (mmodel_tokenizer(*file, tok) != 0) return -1;
    if (!(*m = pope_model_open(*file, NULL))) return -1;
    int V = pope_model_config(*m)->vocab_size;
    if (V == pope_music_vocab_size(*tok)) return 0;
    pope_error("%s: vocab %d does not match tokenizer %s (%d)", *file, V, pope_music_tok_name(*tok),
               pope_music_vocab_size(*tok));
    pope_model_free(*m);
    *m = NULL;
    return -1;
}

// The tokens to continue: --prompt's (its EOS removed), else BOS. Returns the exit status.
static int prompt_tokens(pope_music_tok tok, const char *prompt_path, pope_tokens *all) {
    if (!prompt_path) return pope_tokens_push(all, POPE_MUSIC_BOS) != 0 ? die("generate") : 0;
    pope_midi pm;
    if (pope_midi_read_opt(&pm, prompt_path, pope_music_tok_read_flags(tok)) != 0) return die("generate: --prompt");
    if (pm.n_notes == 0) {
        pope_midi_free(&pm);
        pope_error("%s: no notes (drum channel 10 and zero-length notes are not read)", prompt_path);
        return die("generate: --prompt");
    }
    int rc = pope_music_tokenize(tok, &pm, all);
    if (rc == 0 && music_report_loss(tok, &pm, all->data, all->n, "the prompt") < 0) rc = -1;
    pope_midi_free(&pm);
    if (rc) return die("generate: --prompt");
    if (all->n > 1 && all->data[all->n - 1] == POPE_MUSIC_EOS) all->n--;
    return 0;
}

// The sampling settings and what sampling did.
typedef struct {
    float temperature, top_p;
    int top_k;
    long long n_new;
    int ended;   // 1: stopped at EOS
    double prompt_seconds;   // length of the prompt's music (0 without --prompt)
    int ranged;              // jsb: new pitches kept in `ranges` (--voice-ranges)
    pope_jsb_ranges ranges;
} gen_run;

// --voice-ranges for this model and prompt: run->ranged and run->ranges. Returns the exit status.
static int pick_voice_ranges(const char *opt, const char *file, pope_music_tok tok, const pope_tokens *all,
                             gen_run *run) {
    if (tok != POPE_TOK_JSB) {
        if (!opt || !strcmp(opt, "off")) return 0;
        char msg[600];
        snprintf(msg, sizeof msg, "--voice-ranges: only for jsb models (%s uses %s tokens)", file, pope_music_tok_name(tok));
        return usage_error("generate", msg);
    }
    if (opt && !strcmp(opt, "off")) return 0;
    if (opt && strcmp(opt, "model")) {   // given ranges, as they are
        run->ranged = 1;
        return pope_jsb_ranges_parse(opt, &run->ranges) != 0 ? die("generate: --voice-ranges") : 0;
    }
    char *v = pope_load_metadata(file, "pope.music.voice_ranges");
    if (!v) {
        fprintf(stderr, PROG ": warning: %s records no voice ranges (trained before pope recorded them): "
                        "sampling is not range-constrained (give --voice-ranges 'S lo-hi, ...' to constrain it)\n", file);
        return 0;
    }
    int rc = pope_jsb_ranges_parse(v, &run->ranges);
    free(v);
    if (rc) return die("generate: the model's pope.music.voice_ranges");
    pope_jsb_ranges_add(&run->ranges, all->data, all->n);   // the prompt's own register stays possible
    run->ranged = 1;
    return 0;
}

// Samples after `all` until EOS, the token bound or the seconds bound, appending to all.
// Past the training context the model sees a sliding window: when the cache is full it is
// refilled with the last half context of tokens, from an offset where training windows may
// start (pope_music_window_align; so this is in distribution; extrapolation is not needed).
// Returns the exit status.
static int sample_tokens(pope_model *m, pope_music_tok tok, const gen_opts *g, const pope_cli *cli,
                         pope_tokens *all, gen_run *run) {
    const int V = pope_model_config(m)->vocab_size;
    double prompt_seconds = run->prompt_seconds = decoded_seconds(tok, all->data, all->n);
    long long max_new = g->n_tokens > 0 ? g->n_tokens : MAX_TOKENS;
    int window = pope_model_config(m)->context_length;
    if (window < 2) window = 2;
    pope_kv *kv = pope_kv_new(m, window);
    float *logits = malloc((size_t)V * sizeof *logits);
    if (!kv || !logits) {
        pope_kv_free(kv);
        free(logits);
        return die("generate");
    }
    size_t align = (size_t)pope_music_window_align(tok);
    int rc = refeed(m, kv, all, (size_t)window, align, logits);
    pope_rng rng;
    pope_rng_seed(&rng, cli->seed >= 0 ? (uint64_t)cli->seed : 1);
    run->temperature = isnan(cli->temperature) ? 1.0f : cli->temperature;
    run->top_p = isnan(cli->top_p) ? (float)DEFAULT_TOP_P : cli->top_p;
    run->top_k = cli->top_k > 0 ? cli->top_k : 0;
    int tty = isatty(fileno(stderr)) && !cli->quiet;
    long long n_new = 0;
    int voice = run->ranged ? pope_jsb_next_voice(all->data, all->n) : 0;
    while (rc == 0 && n_new < max_new) {
        logits[POPE_MUSIC_PAD] = -INFINITY;   // never meaningful in the middle of a piece
        logits[POPE_MUSIC_BOS] = -INFINITY;
        if (run->ranged) {   // every token sampled but EOS is a grid token: the next voice's
            pope_jsb_ranges_mask(&run->ranges, voice, logits);
            voice = (voice + 1) % POPE_JSB_VOICES;
        }
        int32_t t = pope_sample(logits, V, run->temperature, run->top_k, run->top_p, &rng);
        if (t == POPE_MUSIC_EOS) { run->ended = 1; break; }
        if (pope_tokens_push(all, t) != 0) { rc = die("generate"); break; }
        n_new++;
        if (!isnan(g->seconds) && n_new % 16 == 0 &&
            decoded_seconds(tok, all->data, all->n) - prompt_seconds >= g->seconds) break;
        if (tty && n_new % 64 == 0) fprintf(stderr, "\r\033[Kgenerate: %lld tokens", n_new);
        if (n_new == max_new) break;
        if (pope_kv_len(kv) >= window) rc = refeed(m, kv, all, (size_t)window / 2, align, logits);
        else if (pope_model_step(m, kv, t, logits) != 0) rc = -1;
        if (rc) rc = die("generate");
    }
    if (tty) fputs("\r\033[K", stderr);
    pope_kv_free(kv);
    free(logits);
    if (rc == 0 && !isnan(g->seconds) && !run->ended && n_new == max_new && g->n_tokens <= 0)
        fprintf(stderr, PROG ": warning: stopped at the cap of %d new tokens, before %g s of music "
                        "(use --tokens N for longer pieces)\n", MAX_TOKENS, g->seconds);
    run->n_new = n_new;
    return rc;
}

// The MIDI file, the optional piano roll and token ids, and the summary line. Returns the
// exit status.
static int write_outputs(const gen_opts *g, const pope_cli *cli, const char *file, pope_music_tok tok,
                         const pope_tokens *all, const gen_run *run) {
    pope_midi out;
    if (pope_music_detokenize(tok, all->data, all->n, &out) != 0) return die("generate");
    int rc = 0;
    if (pope_midi_write(g->midi_out, &out) != 0) rc = die("generate");
    char title[512];
    snprintf(title, sizeof title, "pope-music generate: %s", file);
    if (rc == 0 && g->roll &&
        music_roll_svg(g->roll, &out, title, music_voice_names(tok), g->prompt_path ? run->prompt_seconds : -1) != 0)
        rc = die("generate: --roll");
    if (rc == 0 && g->wav_out && out.n_notes > 0 && pope_music_render_wav(g->midi_out, g->wav_out, g->soundfont, NULL) != 0)
        rc = die("generate: --wav");
    if (rc == 0 && g->tokens_out && pope_npy_write_i32(g->tokens_out, all->data, (int64_t)all->n) != 0)
        rc = die("generate: --tokens-out");
    if (rc == 0) {
        char rs[80], ranges[96] = "";
        if (run->ranged && pope_jsb_ranges_format(&run->ranges, rs, sizeof rs) == 0)
            snprintf(ranges, sizeof ranges, ", voice ranges %s", rs);
        fprintf(stderr, PROG ": %s: %zu notes, %.1f s (%lld new %s tokens%s; model %s, temperature %g, top-p %g%s, seed %lld)\n",
                g->midi_out, out.n_notes, out.duration, run->n_new, pope_music_tok_name(tok),
                run->ended ? ", ended with EOS" : "", file, (double)run->temperature, (double)run->top_p, ranges,
                cli->seed >= 0 ? (long long)cli->seed : 1LL);
        if (out.n_notes == 0) fprintf(stderr, PROG ": warning: the generated piece has no notes\n");
    }
    pope_midi_free(&out);
    return rc;
}

int cmd_generate(const pope_program *p, int argc, char **argv) {
    pope_cli cli;
    gen_opts g = {.seconds = NAN, .n_tokens = -1};
    int prc = pope_program_parse(p, "generate", generate_opts, usage, &cli, &g, NULL, NULL, argc, argv);
    if (prc) return prc < 0 ? 0 : prc;
    if (!g.midi_out) return usage_error("generate", "--midi out.mid is required");
    if (g.wav_out && !strcmp(g.midi_out, "-")) return usage_error("generate", "--wav renders the --midi file: give a file, not '-'");
    if (!isnan(g.seconds) && g.n_tokens > 0) return usage_error("generate", "give --seconds or --tokens, not both");
    if (isnan(g.seconds) && g.n_tokens < 0) g.seconds = DEFAULT_SECONDS;
    if (cli.threads > 0) pope_runtime_init(cli.threads);
    char *file = NULL;
    pope_music_tok tok;
    pope_model *m;
    if (open_model(cli.model, &file, &tok, &m) != 0) {
        free(file);
        return die("generate");
    }
    pope_tokens all = {0};
    gen_run run = {0};
    int rc;
    if ((rc = prompt_tokens(tok, g.prompt_path, &all)) == 0 && (rc = pick_voice_ranges(g.voice_ranges, file, tok, &all, &run)) == 0 &&
        (rc = sample_tokens(m, tok, &g, &cli, &all, &run)) == 0)
        rc = write_outputs(&g, &cli, file, tok, &all, &run);
    pope_tokens_free(&all);
    pope_model_free(m);
    free(file);
    return rc;
}

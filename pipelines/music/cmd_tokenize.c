// cmd_tokenize.c — `pope-music tokenize` (MIDI -> int32 .npy or readable text) and
// `pope-music detokenize` (.npy -> MIDI, optionally a piano roll).
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "music_cli.h"

typedef struct {
    const char *in, *out, *roll, *tok_name;
    int text;
} tok_opts;


static int check_tokenizer(const char *v) {
    pope_music_tok t;
    return pope_music_tok_parse(v, &t);
}

#define TOK(field) .dst = POPE_DST_LOCAL, .off = offsetof(tok_opts, field)
#define TOKENIZER_OPT                                                                                     \
    {.name = "--tokenizer", .kind = POPE_OPT_STR, TOK(tok_name), .arg = "NAME", .check = check_tokenizer, \
     .help = "perf | remi (MidiTok's) | jsb | remi-pope", .def = "perf"}

static const pope_opt tokenize_opts[] = {
    {.name = "--output", .alias = "-o", .kind = POPE_OPT_STR, TOK(out), .arg = "FILE",
     .help = "the .npy to write ('-': stdout)", .def = "stdout unless it is a terminal"},
    TOKENIZER_OPT,
    {.name = "--text", .kind = POPE_OPT_FLAG, TOK(text), .help = "print 'id name' lines instead of writing .npy"},
    POPE_OPT_END,
};

static const pope_opt detokenize_opts[] = {
    {.name = "--output", .alias = "-o", .kind = POPE_OPT_STR, TOK(out), .arg = "FILE",
     .help = "the MIDI file to write ('-': stdout); required"},
    TOKENIZER_OPT,
    {.name = "--roll", .kind = POPE_OPT_STR, TOK(roll), .arg = "FILE.svg", .help = "also draw a piano roll"},
    POPE_OPT_END,
};

// Parses a tokenize/detokenize command line into t. 0, or the exit status (help: -1).
static int parse_tok(const pope_program *p, const char *cmd, const pope_opt *opts, const char *usage, int argc,
                     char **argv, tok_opts *t) {
    pope_cli cli;
    *t = (tok_opts){.tok_name = "perf"};
    return pope_program_parse(p, cmd, opts, usage, &cli, t, pope_positional_file, &t->in, argc, argv);
}

int cmd_tokenize(const pope_program *p, int argc, char **argv) {
    static const char usage[] =
        "usage: " PROG " tokenize FILE.mid [-o tokens.npy] [--tokenizer NAME] [--text]\n\n"
        "Reads a MIDI file (FILE '-' = stdin) and writes its token ids (BOS ... EOS) as a 1-D int32\n"
        ".npy (-o '-' = stdout), or with --text one readable token per line ('id name').\n\n";
    tok_opts o;
    int prc = parse_tok(p, "tokenize", tokenize_opts, usage, argc, argv, &o);
    if (prc) return prc < 0 ? 0 : prc;
    const char *in = o.in, *out = o.out, *tok_name = o.tok_name;
    int text = o.text;
    if (!in) return usage_error("tokenize", "no input FILE.mid");
    pope_music_tok tok;
    if (pope_music_tok_parse(tok_name, &tok)) return usage_error("tokenize", pope_last_error());
    if (!text && !out) {
        if (isatty(fileno(stdout))) return usage_error("tokenize", "give -o tokens.npy (not writing binary to a terminal)");
        out = "-";
    }
    pope_midi m;
    if (pope_midi_read_opt(&m, in, pope_music_tok_read_flags(tok)) != 0) return die("tokenize");
    if (m.n_notes == 0) {   // would be a BOS-EOS "piece": nothing a model could learn from
        pope_midi_free(&m);
        pope_error("%s: no notes (drum channel 10 and zero-length notes are not read)", in);
        return die("tokenize");
    }
    pope_tokens t = {0};
    int rc = pope_music_tokenize(tok, &m, &t);
    if (rc == 0 && music_report_loss(tok, &m, t.data, t.n, in) < 0) rc = -1;
    size_t n_notes = m.n_notes;
    pope_midi_free(&m);
    if (rc) return die("tokenize");
    if (text) {
        char name[64];
        for (size_t i = 0; i < t.n; i++) printf("%d %s\n", t.data[i], pope_music_token_str(tok, t.data[i], name, sizeof name));
        if (out) rc = pope_npy_write_i32(out, t.data, (int64_t)t.n);
    } else {
        rc = pope_npy_write_i32(out, t.data, (int64_t)t.n);
    }
    if (rc == 0 && strcmp(out ? out : "-", "-") != 0)
        fprintf(stderr, PROG ": %s: %zu notes -> %zu %s tokens -> %s\n", in, n_notes, t.n, tok_name, out);
    pope_tokens_free(&t);
    return rc ? die("tokenize") : 0;
}

int cmd_detokenize(const pope_program *p, int argc, char **argv) {
    static const char usage[] =
        "usage: " PROG " detokenize TOKENS.npy -o out.mid [--tokenizer NAME] [--roll out.svg]\n\n"
        "Turns int32 token ids (a 1-D .npy; '-' = stdin) back into a MIDI file (-o '-' = stdout).\n"
        "Malformed sequences decode as far as they make sense (docs/MUSIC.md).\n\n";
    tok_opts o;
    int prc = parse_tok(p, "detokenize", detokenize_opts, usage, argc, argv, &o);
    if (prc) return prc < 0 ? 0 : prc;
    const char *in = o.in, *out = o.out, *roll = o.roll, *tok_name = o.tok_name;
    if (!in) return usage_error("detokenize", "no input TOKENS.npy");
    if (!out) return usage_error("detokenize", "give -o out.mid");
    pope_music_tok tok;
    if (pope_music_tok_parse(tok_name, &tok)) return usage_error("detokenize", pope_last_error());
    int32_t *data;
    int64_t n;
    if (pope_npy_read_i32(in, &data, &n) != 0) return die("detokenize");
    int V = pope_music_vocab_size(tok), bad = 0;
    for (int64_t i = 0; i < n; i++) bad += data[i] < 0 || data[i] >= V;
    if (bad) fprintf(stderr, PROG ": warning: %s: %d token ids outside %s's 0..%d ignored\n", in, bad, tok_name, V - 1);
    pope_midi m;
    int rc = pope_music_detokenize(tok, data, (size_t)n, &m);
    free(data);
    if (rc) return die("detokenize");
    rc = pope_midi_write(out, &m);
    if (rc == 0 && roll) rc = music_roll_svg(roll, &m, in, music_voice_names(tok), -1);
    if (rc == 0 && strcmp(out, "-") != 0)
        fprintf(stderr, PROG ": %s: %lld tokens -> %zu notes, %.1f s -> %s\n", in, (long long)n, m.n_notes, m.duration, out);
    pope_midi_free(&m);
    return rc ? die("detokenize") : 0;
}

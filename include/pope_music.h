// pope_music.h — libpope_music: MIDI in and out (libsmf), the perf / remi / jsb tokenizers,
// and the MAESTRO CSV, JSB JSON and MIDI-directory data-set readers.
//
// Knows music, nothing of transformers. The exact rules (MIDI reading, vocabularies, splits)
// are in docs/MUSIC.md. Functions return 0 on success and -1 with pope_last_error() set.
#ifndef POPE_MUSIC_H
#define POPE_MUSIC_H

#include <stddef.h>
#include <stdint.h>

#include "pope_corpus.h"

#ifdef __cplusplus
extern "C" {
#endif

// ---------------------------------------------------------------- notes
typedef struct {
    double start, end;            // seconds (tempo map applied)
    double start_beat, end_beat;  // quarter notes since the start (the file's own beat grid)
    uint8_t pitch;                // MIDI 0..127
    uint8_t velocity;             // 1..127
    uint8_t channel;              // 0..15
    uint8_t program;              // last program change on the channel before the onset
    uint32_t order;               // rank of its note-on in the file (0 for made-up notes):
                                  // MidiTok keeps that order among notes of one tick
} pope_note;

typedef struct {
    double time;   // seconds
    double beat;   // quarter notes
    double qpm;    // quarter notes per minute from here on
} pope_tempo;

typedef struct {
    pope_note *notes;      // sorted by (start, pitch)
    size_t n_notes;
    pope_tempo *tempos;    // >= 1 entry; tempos[0].time == 0 (120 qpm when the file has none)
    size_t n_tempos;
    double duration;       // seconds: the end of the last note (or the last event)
    int format, n_tracks, ppqn;   // as read (0 for made-up pieces)
} pope_midi;

void pope_midi_init(pope_midi *m);   // empty piece, one tempo of 120 qpm
void pope_midi_free(pope_midi *m);
// Appends a note (grows the array). Beats are filled from the seconds via the tempo map
// when start_beat/end_beat are negative.
int pope_midi_add_note(pope_midi *m, pope_note note);
void pope_midi_sort(pope_midi *m);    // by (start, pitch, channel)
// seconds <-> beats through m's tempo map
double pope_midi_seconds_to_beats(const pope_midi *m, double seconds);
double pope_midi_beats_to_seconds(const pope_midi *m, double beats);

// Reading rules (docs/MUSIC.md): format 0 and 1 (format 2 rejected), all tracks merged,
// running status, note-on velocity 0 = note-off, note-offs paired as pretty_midi does (one
// ends every open note of its (channel, pitch) begun on an earlier tick), a note-off with no
// open note is ignored, sustain pedal CC64 (value >= 64 = down) applied as Magenta's
// sequences_lib.apply_sustain_control_changes, the drum channel (10, i.e. channel 9) left
// out, notes of zero length dropped.
int pope_midi_read(pope_midi *out, const char *path);
int pope_midi_read_memory(pope_midi *out, const void *buf, size_t len, const char *name);
// The same with flags (0 = the rules above):
//  POPE_MIDI_NO_SUSTAIN  the pedal is ignored: notes end when their key is released (as
//                        pretty_midi reads them);
//  POPE_MIDI_SYMUSIC     symusic's pairing (what MidiTok tokenizes): a note-off ends the oldest
//                        open note of its (channel, pitch), notes of length zero are kept,
//                        notes never released are dropped.
#define POPE_MIDI_NO_SUSTAIN 1
#define POPE_MIDI_SYMUSIC 2
int pope_midi_read_opt(pope_midi *out, const char *path, int flags);
int pope_midi_read_memory_opt(pope_midi *out, const void *buf, size_t len, const char *name, int flags);
// Writes a format-0 file (ppqn 960) with the tempo map, one program change per used
// channel, and note-offs before note-ons at the same instant. path "-" = stdout.
int pope_midi_write(const char *path, const pope_midi *m);

// ---------------------------------------------------------------- tokenizers
// Every vocabulary begins with the same three specials.
#define POPE_MUSIC_PAD 0
#define POPE_MUSIC_BOS 1
#define POPE_MUSIC_EOS 2

// remi is MidiTok's REMI (its default configuration); remi-pope is pope's older REMI.
typedef enum { POPE_TOK_PERF = 0, POPE_TOK_REMI, POPE_TOK_JSB, POPE_TOK_REMI_POPE, POPE_TOK_COUNT } pope_music_tok;
const char *pope_music_tok_name(pope_music_tok t);   // "perf", "remi", "jsb", "remi-pope"
int pope_music_tok_parse(const char *name, pope_music_tok *out);
int pope_music_vocab_size(pope_music_tok t);         // 391, 357, 92, 276
// The pope_midi_read_opt flags a tokenizer's MIDI is read with (remi: MidiTok's reading,
// POPE_MIDI_NO_SUSTAIN | POPE_MIDI_SYMUSIC; the others 0).
int pope_music_tok_read_flags(pope_music_tok t);
// A readable name of a token ("NOTE_ON_60", "TIME_SHIFT_10", "Bar", "Pitch_60", "S:60"...).
const char *pope_music_token_str(pope_music_tok t, int32_t tok, char *buf, size_t n);

// A growable token buffer.
typedef struct { int32_t *data; size_t n, cap; } pope_tokens;
int pope_tokens_push(pope_tokens *t, int32_t tok);
void pope_tokens_free(pope_tokens *t);

// A piece -> BOS tokens... EOS (appended to *out; on failure *out is freed, so a caller's
// error path has nothing to release).
int pope_music_tokenize(pope_music_tok t, const pope_midi *m, pope_tokens *out);
// Tokens -> a piece (BOS, PAD ignored; stops at EOS; malformed sequences decode as far as
// they make sense, never fail on a bad token order). out is initialised here.
int pope_music_detokenize(pope_music_tok t, const int32_t *tok, size_t n, pope_midi *out);
// Shifts every pitch token by `semitones` in place. Returns 0, or -1 (tokens unchanged,
// no error message) when some pitch would leave the vocabulary's range.
int pope_music_transpose(pope_music_tok t, int32_t *tok, size_t n, int semitones);
// Is this token a pitch-bearing token (for tests and sampling diagnostics)?
int pope_music_is_pitch(pope_music_tok t, int32_t tok);

// perf (Music Transformer, Oore et al. 2018): 3 specials, 128 NOTE_ON, 128 NOTE_OFF,
// 100 TIME_SHIFT (10 ms .. 1 s), 32 VELOCITY bins of 4.
#define POPE_PERF_NOTE_ON 3
#define POPE_PERF_NOTE_OFF 131
#define POPE_PERF_TIME_SHIFT 259
#define POPE_PERF_VELOCITY 359
#define POPE_PERF_VOCAB 391
int pope_perf_velocity_bin(int velocity);        // 1..127 -> 0..31
int pope_perf_bin_velocity(int bin);             // 0..31 -> 1 + 4 bin
// time_scale stretches every time before quantisation (augmentation; 1 = none).
int pope_perf_tokenize(const pope_midi *m, double time_scale, pope_tokens *out);

// remi: MidiTok 3.1's REMI with its default TokenizerConfig, id for id: PAD BOS EOS MASK,
// Bar, Pitch 21..109, 32 Velocity, 64 Duration, 96 Position, 62 PitchDrum 27..88,
// 9 TimeSig. Exact rules in docs/MUSIC.md.
#define POPE_MIDITOK_MASK 3
#define POPE_MIDITOK_BAR 4
#define POPE_MIDITOK_PITCH 5            // Pitch_21
#define POPE_MIDITOK_MIN_PITCH 21
#define POPE_MIDITOK_MAX_PITCH 109
#define POPE_MIDITOK_VELOCITY 94        // Velocity_3, _7, ... _127
#define POPE_MIDITOK_DURATION 126       // Duration_0.1.8 ... Duration_12.0.4
#define POPE_MIDITOK_POSITION 190       // Position_0 .. Position_95
#define POPE_MIDITOK_PITCH_DRUM 286     // PitchDrum_27 .. PitchDrum_88
#define POPE_MIDITOK_TIME_SIG 348       // 3/8 12/8 6/8 5/4 6/4 3/4 2/4 1/4 4/4
#define POPE_MIDITOK_TIME_SIG_4_4 356
#define POPE_MIDITOK_VOCAB 357

// remi-pope (Huang & Yang 2020 as pope had it): 3 specials, Bar, 16 Position, 32 Tempo,
// 128 Pitch, 32 Velocity, 64 Duration (in 16ths).
#define POPE_REMI_BAR 3
#define POPE_REMI_POSITION 4
#define POPE_REMI_TEMPO 20
#define POPE_REMI_PITCH 52
#define POPE_REMI_VELOCITY 180
#define POPE_REMI_DURATION 212
#define POPE_REMI_VOCAB 276
int pope_remi_tempo_class(double qpm);           // 0..31
double pope_remi_class_tempo(int cls);           // its qpm

// jsb: 3 specials, silence, pitches 21..108 (the piano's 88 keys).
#define POPE_JSB_SILENCE 3
#define POPE_JSB_PITCH0 4
#define POPE_JSB_MIN_PITCH 21
#define POPE_JSB_MAX_PITCH 108
#define POPE_JSB_VOCAB 92
#define POPE_JSB_VOICES 4
#define POPE_JSB_STEP_SECONDS 0.125   // a 16th note at 120 qpm
// Token windows (training windows, the generation's sliding window) start at a multiple of
// this: jsb is BOS then S, A, T, B per step, so position 1 of every window is a soprano,
// as right after BOS. 1 for the other tokenizers (any offset).
static inline int64_t pope_music_window_align(pope_music_tok t) {
    return t == POPE_TOK_JSB ? POPE_JSB_VOICES : 1;
}
// The longest piece jsb tokenizes from MIDI: 2^18 16th steps (65536 beats, 9 hours at 120
// qpm; 1M tokens, 4 MB). A few bytes of MIDI can place a note much further away.
#define POPE_JSB_MAX_STEPS (1 << 18)
// A SATB grid (n_steps x 4 pitches, -1 = silence) -> BOS tokens EOS (on failure *out is freed).
int pope_jsb_tokenize_grid(const int16_t *grid, size_t n_steps, pope_tokens *out);
// What a jsb token is on the grid: its MIDI pitch, -1 for silence, -2 for a special (BOS,
// EOS, PAD) or an id outside the vocabulary, which is not on the grid.
static inline int pope_jsb_token_pitch(int32_t t) {
    if (t == POPE_JSB_SILENCE) return -1;
    return t >= POPE_JSB_PITCH0 && t < POPE_JSB_VOCAB ? (int)(t - POPE_JSB_PITCH0 + POPE_JSB_MIN_PITCH) : -2;
}
// The voice (0 soprano .. 3 bass) of a grid token is the count of grid tokens (silence,
// pitches) before it since the last BOS, mod 4; this is the voice of the token after tok[0..n).
int pope_jsb_next_voice(const int32_t *tok, size_t n);
// Each voice's pitch range (MIDI numbers; lo > hi: the voice never sounds). Recorded in a jsb
// model's metadata (pope.music.voice_ranges, written by pope_jsb_ranges_format: "S 60-81,
// A 53-74, T 48-69, B 36-64") from its training split, so that sampling can keep each voice
// in its range (docs/MUSIC.md, "Sampling").
typedef struct { int lo[POPE_JSB_VOICES], hi[POPE_JSB_VOICES]; } pope_jsb_ranges;
void pope_jsb_ranges_empty(pope_jsb_ranges *r);
// Widens r by the pitches of tokens tok[0..n) (BOS, grid tokens, EOS, PAD; a piece or pieces).
void pope_jsb_ranges_add(pope_jsb_ranges *r, const int32_t *tok, size_t n);
int pope_jsb_ranges_format(const pope_jsb_ranges *r, char *buf, size_t size);   // -1: too small
int pope_jsb_ranges_parse(const char *s, pope_jsb_ranges *r);                   // -1 with a message
// Sets to -inf the logits (POPE_JSB_VOCAB of them) of the pitches outside `voice`'s range
// (silence and the specials stay).
void pope_jsb_ranges_mask(const pope_jsb_ranges *r, int voice, float *logits);

// ---------------------------------------------------------------- data sets
// czhuang's JSB JSON: {"train": [piece...], "valid": [...], "test": [...]}, a piece is a
// list of steps, a step a list of 4 pitches (-1 = silence).
typedef struct {
    int16_t *grid;      // (n_steps, 4)
    size_t n_steps;
} pope_jsb_piece;
typedef struct {
    pope_jsb_piece *pieces[3];
    size_t n[3];        // by pope_split
} pope_jsb_data;
int pope_jsb_load(pope_jsb_data *out, const char *path);
void pope_jsb_free(pope_jsb_data *d);

// A list of MIDI files with their split.
typedef struct {
    char *path;          // full path
    pope_split split;
} pope_music_file;
typedef struct {
    pope_music_file *files;
    size_t n;
} pope_music_filelist;
void pope_music_filelist_free(pope_music_filelist *l);
// MAESTRO: DIR/maestro-v3.0.0.csv, maestro-v2.0.0.csv, or the only *.csv in DIR, with at least
// the columns split and midi_filename (relative to DIR).
int pope_maestro_list(pope_music_filelist *out, const char *dir);
// Parses a MAESTRO-style CSV file; midi_filename is joined to base_dir.
int pope_maestro_parse_csv(pope_music_filelist *out, const char *csv_path, const char *base_dir);
// Every *.mid / *.midi under dir (recursive, sorted by path), split by a seeded hash of the
// path relative to dir: 80% train, 10% valid, 10% test (docs/MUSIC.md).
int pope_mididir_list(pope_music_filelist *out, const char *dir, uint64_t seed);
pope_split pope_mididir_split(const char *relpath, uint64_t seed);
// The seeded hash both splits use: FNV-1a 64 over seed then name, splitmix64's finaliser.
uint64_t pope_music_name_hash(const char *name, uint64_t seed);
// The Polar PoPE paper's random 90/5/5 split, in place of the list's own: files ranked by
// pope_music_name_hash of their file name (no folders) and seed (ties by path); the first
// round(0.9 n) train, the next round(0.05 n) valid, the rest test.
int pope_music_split_random(pope_music_filelist *l, uint64_t seed);

// ---------------------------------------------------------------- audio (FluidSynth)
// Longest piece pope-music renders (1 hour: a 635 MB WAV).
#define POPE_RENDER_MAX_SECONDS 3600
// The soundfont to use: `given` (NULL: $POPE_SOUNDFONT, then Debian's fluid-soundfont-gm
// /usr/share/sounds/sf2/FluidR3_GM.sf2); NULL when none is readable.
const char *pope_music_soundfont(const char *given);
// Renders a MIDI file to a 44.1 kHz 16-bit stereo WAV (written atomically) with FluidSynth:
// the music plus a 1 s release tail. *seconds (may be NULL) = the audio's length. -1 with a
// message naming the missing package when FluidSynth (build time) or a soundfont (run time)
// is missing.
int pope_music_render_wav(const char *midi_path, const char *wav_path, const char *soundfont,
                          double *seconds);

// ---------------------------------------------------------------- corpus
// A data set as a pope_corpus (formats/music/corpus.c): every piece tokenized once with
// `tok`; training windows drawn by sample_train (a piece with probability proportional to
// its length, a uniform offset, PAD after a short piece).
typedef struct {
    pope_music_tok tok;
    int augment;       // training windows transposed -3..+3 (perf: also time-stretched)
    double voice_noise;  // jsb: share of training windows with one voice garbled in the input
    int joined;        // each split is one stream, its pieces one after another (extrapolation)
    int grid_only;     // jsb tokens: only the grid's tokens are targets (BOS/EOS ignored)
    int verbose;       // progress and timing of reading MIDI files on stderr
    const char *prog;  // prefix of the lines on stderr (NULL: "pope-music")
} pope_music_corpus_opts;
// The JSB chorales of a czhuang JSON file (other tokenizers: through their notes).
int pope_music_corpus_jsb(pope_corpus *c, const char *path, const pope_music_corpus_opts *o);
// The files of a list, read in parallel; an unreadable file is skipped with a warning on
// stderr (-1 only when none can be read).
int pope_music_corpus_files(pope_corpus *c, const pope_music_filelist *l, const pope_music_corpus_opts *o);
// The pieces and tokens of a split (for summaries).
void pope_music_corpus_count(const pope_corpus *c, pope_split s, int64_t *pieces, int64_t *tokens);
void pope_music_corpus_free(pope_corpus *c);

#ifdef __cplusplus
}
#endif
#endif  // POPE_MUSIC_H

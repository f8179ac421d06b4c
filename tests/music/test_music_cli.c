// test_music_cli.c — the pope-music program end to end on data the test makes: train a tiny
// model on a generated JSB JSON, eval --json, extrapolate, generate (MIDI + piano roll),
// tokenize / detokenize, usage and input errors; and the shipped default model
// (models/music-default.safetensors) generating a MIDI with notes without --model.
// The program's path comes from CMake in $POPE_MUSIC_BIN.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "pope.h"
#include "pope_music.h"

static const char *bin;
static char dir[256];

// Runs `bin args` with stdout and stderr into dir/out.txt and dir/err.txt; the exit status.
static int run(const char *args) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' %s >'%s/out.txt' 2>'%s/err.txt'", bin, args, dir, dir);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *slurp(const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) return strdup("");
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return strdup(buf);
}

static void write_file(const char *name, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f) { fputs(text, f); fclose(f); }
}

// A JSB-style JSON: random-walk SATB chorales of 48 steps, 8 / 3 / 3 pieces.
static void make_jsb(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/chorales.json", dir);
    FILE *f = fopen(path, "w");
    if (!f) return;
    pope_rng rng;
    pope_rng_seed(&rng, 42);
    const char *keys[3] = {"train", "valid", "test"};
    int counts[3] = {8, 3, 3};
    fputc('{', f);
    for (int s = 0; s < 3; s++) {
        fprintf(f, "%s\"%s\": [", s ? ", " : "", keys[s]);
        for (int p = 0; p < counts[s]; p++) {
            int v[4] = {72, 67, 60, 48};
            fprintf(f, "%s[", p ? ", " : "");
            for (int t = 0; t < 48; t++) {
                if (t % 4 == 0)
                    for (int k = 0; k < 4; k++) v[k] += (int)pope_rng_below(&rng, 5) - 2;
                fprintf(f, "%s[%d, %d, %d, %d]", t ? ", " : "", v[0], v[1], v[2], t % 16 == 15 ? -1 : v[3]);
            }
            fputc(']', f);
        }
        fputc(']', f);
    }
    fputs("}\n", f);
    fclose(f);
}

static double json_number(const char *text, const char *key) {
    cJSON *o = cJSON_Parse(text);
    const cJSON *it = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
    double v = cJSON_IsNumber(it) ? it->valuedouble : NAN;
    cJSON_Delete(o);
    return v;
}

static void check_midi_with_notes(const char *name, int lo, int hi) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    pope_midi m;
    int rc = pope_midi_read(&m, path);
    CHECK(rc == 0, "%s does not read back: %s", name, pope_last_error());
    if (rc) return;
    CHECK(m.n_notes > 0, "%s has no notes", name);
    int bad = 0;
    for (size_t i = 0; i < m.n_notes; i++) bad += m.notes[i].pitch < lo || m.notes[i].pitch > hi;
    CHECK(bad == 0, "%s: %d notes outside %d..%d", name, bad, lo, hi);
    pope_midi_free(&m);
}

// Each voice's range in the train split of chorales.json, computed here from the JSON, in
// pope.music.voice_ranges' format.
static void train_ranges(char *buf, size_t size) {
    char *text = slurp("chorales.json");
    cJSON *o = cJSON_Parse(text);
    int lo[4] = {999, 999, 999, 999}, hi[4] = {-1, -1, -1, -1};
    const cJSON *piece, *step;
    cJSON_ArrayForEach(piece, cJSON_GetObjectItemCaseSensitive(o, "train")) cJSON_ArrayForEach(step, piece) {
        for (int v = 0; v < 4; v++) {
            int p = cJSON_GetArrayItem(step, v)->valueint;
            if (p < 0) continue;
            lo[v] = p < lo[v] ? p : lo[v];
            hi[v] = p > hi[v] ? p : hi[v];
        }
    }
    snprintf(buf, size, "S %d-%d, A %d-%d, T %d-%d, B %d-%d", lo[0], hi[0], lo[1], hi[1], lo[2], hi[2], lo[3], hi[3]);
    cJSON_Delete(o);
    free(text);
}

// Sampling keeps each voice in its range (issue 13: a bass note drawn for the soprano rotates
// the voices): the trained model records its training split's ranges; given ranges hold for
// every new note, voice by voice (channel = voice); 'off' samples the whole distribution.
static void test_voice_ranges(void) {
    char path[512], want[96], args[2048];
    snprintf(path, sizeof path, "%s/run/model.safetensors", dir);
    train_ranges(want, sizeof want);
    char *got = pope_load_metadata(path, "pope.music.voice_ranges");
    CHECK(got && !strcmp(got, want), "pope.music.voice_ranges '%s', the train split has '%s'", got ? got : "(none)", want);
    free(got);
    const int lo[4] = {74, 64, 55, 43}, hi[4] = {76, 66, 57, 45};   // narrow, and off the data's centre
    int outside[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        snprintf(args, sizeof args, "generate --model '%s/run' --midi '%s/ranged.mid' --tokens 400 --seed 5 --top-p 1 "
                 "--voice-ranges %s", dir, dir, k ? "off" : "'S 74-76, A 64-66, T 55-57, B 43-45'");
        int rc = run(args);
        char *err = slurp("err.txt");
        CHECK(rc == 0 && (k || strstr(err, "voice ranges S 74-76, A 64-66, T 55-57, B 43-45")),
              "generate --voice-ranges: exit %d: %s", rc, err);
        free(err);
        snprintf(path, sizeof path, "%s/ranged.mid", dir);
        pope_midi m;
        if (rc != 0 || pope_midi_read(&m, path) != 0) continue;
        CHECK(m.n_notes > 4, "%zu notes", m.n_notes);
        for (size_t i = 0; i < m.n_notes; i++) {
            int v = m.notes[i].channel;
            outside[k] += v > 3 || m.notes[i].pitch < lo[v] || m.notes[i].pitch > hi[v];
        }
        pope_midi_free(&m);
    }
    CHECK(outside[0] == 0, "%d notes outside their voice's given range", outside[0]);
    CHECK(outside[1] > 0, "--voice-ranges off: every note in the narrow ranges (the option changed nothing?)");
    // a prompt widens the model's ranges by its own pitches, voice by voice (channel = voice):
    // a soprano at 100 and a bass at 30, outside any training range, stay possible
    pope_midi pm;
    pope_midi_init(&pm);
    const int prompt_pitch[4] = {100, 67, 60, 30};
    for (int v = 0; v < 4; v++)
        pope_midi_add_note(&pm, (pope_note){.start = 0, .end = 1, .start_beat = 0, .end_beat = 2,
                                            .pitch = (uint8_t)prompt_pitch[v], .velocity = 80, .channel = (uint8_t)v});
    snprintf(path, sizeof path, "%s/prompt4.mid", dir);
    CHECK(pope_midi_write(path, &pm) == 0, "write the prompt: %s", pope_last_error());
    pope_midi_free(&pm);
    pope_jsb_ranges r;
    CHECK(pope_jsb_ranges_parse(want, &r) == 0, "parse '%s'", want);
    snprintf(want, sizeof want, "voice ranges S %d-100, A %d-%d, T %d-%d, B 30-%d", r.lo[0], r.lo[1] < 67 ? r.lo[1] : 67,
             r.hi[1] > 67 ? r.hi[1] : 67, r.lo[2] < 60 ? r.lo[2] : 60, r.hi[2] > 60 ? r.hi[2] : 60, r.hi[3]);
    snprintf(args, sizeof args, "generate --model '%s/run' --midi '%s/x.mid' --prompt '%s' --tokens 8", dir, dir, path);
    int rc = run(args);
    char *err = slurp("err.txt");
    CHECK(rc == 0 && strstr(err, want), "a prompt's pitches widen the ranges to '%s': exit %d: %s", want, rc, err);
    free(err);
    // errors: a malformed range and a model of another tokenizer (exit 2, the option named)
    const char *model[2] = {"run", "run-perf"}, *value[2] = {"'S 60-81, A 52-74'", "model"};
    for (int k = 0; k < 2; k++) {
        snprintf(args, sizeof args, "generate --model '%s/%s' --midi '%s/x.mid' --tokens 8 --voice-ranges %s", dir, model[k],
                 dir, value[k]);
        int rc = run(args);
        char *err = slurp("err.txt");
        CHECK(rc == 2 && strstr(err, "--voice-ranges"), "--voice-ranges %s with %s: exit %d: %s", value[k], model[k], rc, err);
        free(err);
    }
}

static void test_train_eval_generate(void) {
    make_jsb();
    write_file("tiny.json",
               "{\"name\": \"tiny\", \"tokenizer\": \"jsb\", \"model\": {\"d_model\": 16, \"n_layers\": 1, \"n_heads\": 2,"
               " \"context_length\": 32, \"pe\": \"polar\"}, \"train\": {\"batch\": 2, \"steps\": 6, \"warmup\": 2,"
               " \"lr\": 0.003, \"lr_min\": 0.0003, \"eval_every\": 3, \"checkpoint_every\": 3}}");
    char args[2048];
    snprintf(args, sizeof args, "train --data jsb '%s/chorales.json' --preset '%s/tiny.json' --out '%s/run' --quiet", dir, dir, dir);
    int rc = run(args);
    char *err = slurp("err.txt");
    CHECK(rc == 0, "train exit %d: %s", rc, err);
    free(err);
    char path[512];
    snprintf(path, sizeof path, "%s/run/curve.svg", dir);
    CHECK(access(path, R_OK) == 0, "no curve.svg");
    // jsb data: no transposition unless --augment (the paper augments MAESTRO only), and the
    // paper's units (grid tokens) recorded.
    snprintf(path, sizeof path, "%s/run/model.safetensors", dir);
    char *aug = pope_load_metadata(path, "pope.music.augment"), *units = pope_load_metadata(path, "pope.music.targets");
    CHECK(aug && strcmp(aug, "none") == 0, "jsb trained with augmentation '%s'", aug ? aug : "(none recorded)");
    CHECK(units && strcmp(units, "grid") == 0, "jsb targets '%s'", units ? units : "(none recorded)");
    free(aug);
    free(units);

    // a preset's train.augment sets the default (true: transposed even on jsb data); the
    // command line's --no-augment wins over it
    write_file("tiny-aug.json",
               "{\"name\": \"tiny\", \"tokenizer\": \"jsb\", \"model\": {\"d_model\": 16, \"n_layers\": 1, \"n_heads\": 2,"
               " \"context_length\": 32}, \"train\": {\"batch\": 2, \"steps\": 1, \"warmup\": 0, \"augment\": true}}");
    // --voice-noise joins what is recorded, with or without transposition
    const char *extra[4] = {"", "--no-augment", "--voice-noise 0.5", "--no-augment --voice-noise=0.25"},
               *want[4] = {"transpose -3..3", "none", "transpose -3..3, voice noise 0.5", "voice noise 0.25"};
    for (int k = 0; k < 4; k++) {
        snprintf(args, sizeof args, "train --data jsb '%s/chorales.json' --preset '%s/tiny-aug.json' --out '%s/run-aug%d' %s --quiet",
                 dir, dir, dir, k, extra[k]);
        rc = run(args);
        snprintf(path, sizeof path, "%s/run-aug%d/model.safetensors", dir, k);
        aug = rc == 0 ? pope_load_metadata(path, "pope.music.augment") : NULL;
        CHECK(aug && !strcmp(aug, want[k]), "preset augment true %s: exit %d, %s", extra[k], rc, aug ? aug : "(none)");
        free(aug);
    }

    snprintf(args, sizeof args, "eval --model '%s/run' --data jsb '%s/chorales.json' --json", dir, dir);
    rc = run(args);
    char *out = slurp("out.txt");
    CHECK(rc == 0, "eval exit %d", rc);
    double nll = json_number(out, "nll"), targets = json_number(out, "targets"), context = json_number(out, "context");
    // 3 test chorales of 48 steps: 3 * (4 * 48 + 2) tokens, minus one input per window.
    CHECK(nll > 0.5 && nll < 6, "eval nll %g (a 6-step model on a 92-token vocabulary)", nll);
    CHECK(targets > 500 && targets < 3 * 194, "eval targets %g", targets);
    CHECK(context == 32, "eval context %g", context);
    CHECK(strchr(out, '\n') == strrchr(out, '\n') && out[0] == '{', "eval --json printed more than one object: %s", out);
    free(out);
    // The paper's units: a chorale of 194 tokens at context 32 is windows at 0, 33, .. 132
    // and one of 29 tokens: 188 targets, the last its EOS. Only grid tokens count by default
    // (3 x 187), --score-eos adds the 3 EOS.
    CHECK(targets == 3 * 187, "grid targets %g, want %d", targets, 3 * 187);
    snprintf(args, sizeof args, "eval --model '%s/run' --data jsb '%s/chorales.json' --score-eos --json", dir, dir);
    rc = run(args);
    out = slurp("out.txt");
    CHECK(rc == 0 && json_number(out, "targets") == 3 * 188, "--score-eos: exit %d, targets %g, want %d", rc,
          json_number(out, "targets"), 3 * 188);
    free(out);

    // The same model on MAESTRO-layout data (the fixture), tokenized as the model was (jsb).
    snprintf(args, sizeof args, "eval --model '%s/run' --data maestro '%s/tests/music/data/mini_maestro' --split train --json",
             dir, check_source_dir());
    rc = run(args);
    out = slurp("out.txt");
    CHECK(rc == 0 && json_number(out, "targets") > 0, "eval on the MAESTRO fixture: exit %d: %s", rc, out);
    double official_train = json_number(out, "targets");
    free(out);
    // A model trained on the random 90/5/5 split is evaluated on it without --split-mode (3
    // files: all train; the official split has one train file), and --split-mode still wins.
    snprintf(args, sizeof args, "train --data maestro '%s/tests/music/data/mini_maestro' --split-mode random-90-5-5 "
             "--preset '%s/tiny.json' --steps 1 --out '%s/run-random' --quiet", check_source_dir(), dir, dir);
    rc = run(args);
    double targets_by_mode[3] = {0};
    const char *modes[3] = {"", "--split-mode random-90-5-5", "--split-mode official"};
    for (int k = 0; k < 3 && rc == 0; k++) {
        snprintf(args, sizeof args, "eval --model '%s/run-random' --data maestro '%s/tests/music/data/mini_maestro' "
                 "--split train --json %s", dir, check_source_dir(), modes[k]);
        int rk = run(args);
        out = slurp("out.txt");
        targets_by_mode[k] = rk == 0 ? json_number(out, "targets") : -1;
        free(out);
    }
    CHECK(rc == 0 && targets_by_mode[0] == targets_by_mode[1] && targets_by_mode[2] == official_train &&
              targets_by_mode[1] > official_train,
          "eval of a random-split model: the model's split by default (exit %d; targets %g, %g random, %g official)", rc,
          targets_by_mode[0], targets_by_mode[1], targets_by_mode[2]);
    // The same for a midi folder's --split-seed: a seed whose train split differs from seed 1's
    // (3 files), recorded by train and used by eval without --split-seed.
    char mdir[600], cmd[1400];
    snprintf(mdir, sizeof mdir, "%s/mdir-seed", dir);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp '%s'/tests/music/data/mini_maestro/2004/*.midi '%s/'", mdir,
             check_source_dir(), mdir);
    CHECK(system(cmd) == 0, "copy the MIDI files");
    int seed = 0;
    pope_music_filelist l1, ls;
    if (pope_mididir_list(&l1, mdir, 1) == 0) {
        for (int sd = 2; sd < 200 && !seed; sd++) {
            if (pope_mididir_list(&ls, mdir, (uint64_t)sd) != 0) break;
            for (size_t f = 0; f < ls.n && f < l1.n; f++)
                if ((ls.files[f].split == POPE_SPLIT_TRAIN) != (l1.files[f].split == POPE_SPLIT_TRAIN)) seed = sd;
            pope_music_filelist_free(&ls);
        }
        pope_music_filelist_free(&l1);
    }
    CHECK(seed > 0, "a seed with another train split");
    snprintf(args, sizeof args, "train --data midi '%s' --split-seed %d --preset '%s/tiny.json' --steps 1 --out '%s/run-seed' "
             "--quiet", mdir, seed, dir, dir);
    rc = run(args);
    double by_seed[3] = {0};
    int seeds[3] = {0, seed, 1};
    for (int k = 0; k < 3 && rc == 0; k++) {
        char extra[40] = "";
        if (seeds[k]) snprintf(extra, sizeof extra, "--split-seed %d", seeds[k]);
        snprintf(args, sizeof args, "eval --model '%s/run-seed' --data midi '%s' --split train --json %s", dir, mdir, extra);
        int rk = run(args);
        out = slurp("out.txt");
        by_seed[k] = rk == 0 ? json_number(out, "targets") : -1;
        free(out);
    }
    CHECK(rc == 0 && by_seed[0] == by_seed[1] && by_seed[1] != by_seed[2],
          "eval of a --split-seed %d model: its split by default (exit %d; targets %g, %g seed %d, %g seed 1)", seed, rc,
          by_seed[0], by_seed[1], seed, by_seed[2]);

    snprintf(args, sizeof args, "extrapolate --model '%s/run' --data jsb '%s/chorales.json' --contexts 1,2 --json --out '%s'", dir, dir, dir);
    rc = run(args);
    err = slurp("err.txt");
    CHECK(rc == 0, "extrapolate exit %d: %s", rc, err);
    free(err);

    snprintf(args, sizeof args, "generate --model '%s/run' --midi '%s/gen.mid' --tokens 96 --roll '%s/gen.svg' --seed 3", dir, dir, dir);
    rc = run(args);
    err = slurp("err.txt");
    CHECK(rc == 0, "generate exit %d: %s", rc, err);
    free(err);
    check_midi_with_notes("gen.mid", 21, 108);
    char *svg = slurp("gen.svg");
    CHECK(strstr(svg, "<svg") && strstr(svg, "<rect"), "piano roll is not an SVG with notes");
    free(svg);

    // perf and remi on the same chorales (perf trains with time stretch: re-tokenized windows).
    const char *toks[2] = {"perf", "remi"};
    for (int k = 0; k < 2; k++) {
        snprintf(args, sizeof args, "train --data jsb '%s/chorales.json' --tokenizer %s --preset '%s/tiny.json' --out '%s/run-%s' --quiet",
                 dir, toks[k], dir, dir, toks[k]);
        rc = run(args);
        out = slurp("out.txt");
        CHECK(rc == 0 && strstr(out, toks[k]), "train --tokenizer %s: exit %d: %s", toks[k], rc, out);
        free(out);
    }

    test_voice_ranges();   // needs run-perf

    // bench: two encodings × two seeds as two processes at once, then a second invocation
    // adds an encoding and keeps the finished runs; the report covers all of them.
    snprintf(args, sizeof args, "bench jsb '%s/chorales.json' --preset '%s/tiny.json' --steps 2 --contexts 1,2 --out '%s/bench' "
             "--pe polar,rope --seeds 2 --jobs 2 --threads 2 --quiet", dir, dir, dir);
    rc = run(args);
    out = slurp("out.txt");
    err = slurp("err.txt");
    CHECK(rc == 0 && strstr(out, "| polar | 2 |") && strstr(out, "| rope | 2 |") && !strstr(out, "| none |"),
          "bench --jobs 2: exit %d: %s %s", rc, out, err);
    free(out);
    free(err);
    snprintf(args, sizeof args, "%s/bench/rope/seed-2/bench.log", dir);   // tiny.json: seed 1
    CHECK(access(args, R_OK) == 0, "a --jobs run logs to its folder");
    snprintf(args, sizeof args, "bench jsb '%s/chorales.json' --preset '%s/tiny.json' --steps 2 --contexts 1,2 --out '%s/bench' "
             "--pe none,polar --delta-param clamp,sigmoid --seeds 2 --jobs 2 --quiet", dir, dir, dir);
    rc = run(args);
    out = slurp("out.txt");
    CHECK(rc == 0 && strstr(out, "| polar | 2 |") && strstr(out, "| rope | 2 |") && strstr(out, "| none | 2 |") &&
              strstr(out, "| polar-sigmoid | 2 |"),
          "bench, second invocation: exit %d: %s", rc, out);
    free(out);
    snprintf(args, sizeof args, "bench jsb '%s/chorales.json' --preset '%s/tiny.json' --steps 3 --out '%s/bench' --quiet",
             dir, dir, dir);
    rc = run(args);
    err = slurp("err.txt");
    CHECK(rc == 1 && strstr(err, "pope-music: bench:") && strstr(err, "other settings"), "other settings: exit %d: %s", rc, err);
    free(err);

    // tokenize -> detokenize keeps the notes (jsb: exactly).
    snprintf(args, sizeof args, "tokenize '%s/gen.mid' --tokenizer jsb -o '%s/gen.npy'", dir, dir);
    CHECK(run(args) == 0, "tokenize failed");
    snprintf(args, sizeof args, "detokenize '%s/gen.npy' --tokenizer jsb -o '%s/back.mid'", dir, dir);
    CHECK(run(args) == 0, "detokenize failed");
    pope_midi a, b;
    char pa[512], pb[512];
    snprintf(pa, sizeof pa, "%s/gen.mid", dir);
    snprintf(pb, sizeof pb, "%s/back.mid", dir);
    if (pope_midi_read(&a, pa) == 0) {
        if (pope_midi_read(&b, pb) == 0) {
            CHECK(a.n_notes == b.n_notes, "tokenize/detokenize: %zu notes became %zu", a.n_notes, b.n_notes);
            pope_midi_free(&b);
        }
        pope_midi_free(&a);
    }
}

static void test_errors(void) {
    struct { const char *args; int status; const char *msg; } cases[] = {
        {"eval --data jsb x.json", 2, "--model"},
        {"train", 2, "no data"},
        {"frobnicate", 2, "unknown command"},
        {"train --data jsb /nonexistent/chorales.json --quiet", 1, "pope-music: train: /nonexistent/chorales.json"},
        {"train --data wav /tmp", 2, "unknown data kind"},
        {"train --data jsb x.json --tokenizer perf --voice-noise 0.5", 2, "--voice-noise: only for the jsb tokenizer"},
        {"train --data jsb x.json --voice-noise 1.5", 2, "--voice-noise"},
        {"generate --midi /tmp/x.mid --tokens 0", 2, "--tokens"},
        {"tokenize /etc/hostname -o /dev/null", 1, "not a MIDI file"},
        {"generate --midi /tmp/x.mid --model /nonexistent.safetensors", 1, "pope-music: generate:"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int rc = run(cases[i].args);
        char *err = slurp("err.txt");
        CHECK(rc == cases[i].status, "'%s': exit %d, want %d (%s)", cases[i].args, rc, cases[i].status, err);
        CHECK(strstr(err, cases[i].msg) != NULL, "'%s': stderr '%s' lacks '%s'", cases[i].args, err, cases[i].msg);
        free(err);
    }
    const char *helps[] = {"train", "eval", "extrapolate", "generate", "tokenize", "detokenize", "bench"};
    for (size_t i = 0; i < sizeof helps / sizeof *helps; i++) {
        char args[128];
        snprintf(args, sizeof args, "%s --help", helps[i]);
        int rc = run(args);
        char *out = slurp("out.txt");
        CHECK(rc == 0 && strstr(out, "usage: pope-music"), "%s --help: exit %d", helps[i], rc);
        free(out);
    }
}

static void write_bytes(const char *name, const void *data, size_t n) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f) { fwrite(data, 1, n, f); fclose(f); }
}

// Runs `args` (with %s for dir, twice at most) expecting exit 1 and "pope-music: " + want.
static void expect_clean_error(const char *fmt, const char *want, const char *what) {
    char args[2048];
    snprintf(args, sizeof args, fmt, dir, dir, dir);
    int rc = run(args);
    char *err = slurp("err.txt");
    CHECK(rc == 1 && strncmp(err, "pope-music: ", 12) == 0 && strstr(err, want),
          "%s: '%s': exit %d, stderr '%s' (want '%s')", what, args, rc, err, want);
    free(err);
}

// Hostile inputs through the program (issue 12): a clean message and exit 1.
static void test_hostile(void) {
    make_jsb();
    // the shipped model cut short, at a quarter (inside the tensors) and at 20 bytes (the header)
    char path[1024], trunc[600];
    snprintf(path, sizeof path, "%s/models/music-default.safetensors", check_source_dir());
    snprintf(trunc, sizeof trunc, "%s/trunc.safetensors", dir);
    size_t cut[2] = {check_file_size(path) / 4, 20};
    for (int c = 0; c < 2; c++) {
        CHECK(cut[0] > 250 && check_truncated_copy(path, trunc, cut[c]) == 0, "cut the shipped model");
        expect_clean_error("eval --model '%s/trunc.safetensors' --data jsb '%s/chorales.json'", "truncated: ", "eval");
        expect_clean_error("generate --model '%s/trunc.safetensors' --midi '%s/t.mid' --tokens 8", "truncated: ", "generate");
        expect_clean_error("extrapolate --model '%s/trunc.safetensors' --data jsb '%s/chorales.json' --contexts 1,2",
                           "truncated: ", "extrapolate");
    }
    // a .npy whose shape promises 500,000,000 values in 144 bytes (it allocated 2 GB)
    unsigned char npy[144];
    memset(npy, ' ', sizeof npy);
    memcpy(npy, "\x93NUMPY\x01\x00\x76\x00", 10);
    const char *d = "{'descr': '<i4', 'fortran_order': False, 'shape': (500000000,), }";
    memcpy(npy + 10, d, strlen(d));
    npy[127] = '\n';
    memset(npy + 128, 0, 16);
    write_bytes("big.npy", npy, sizeof npy);
    expect_clean_error("detokenize '%s/big.npy' -o '%s/x.mid'", "truncated: ", "a .npy promising 2 GB");
    // a MIDI file whose delta times add up past INT_MAX ticks (libsmf aborted on it)
    uint8_t overflow[22 + 9 * 7 + 4] = {'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 0, 0, 1, 0, 96,
                                        'M', 'T', 'r', 'k', 0, 0, 0, 9 * 7 + 4};
    for (int e = 0; e < 9; e++)   // 9 × (2^28 - 1) ticks
        memcpy(overflow + 22 + 7 * e, (const uint8_t[]){0xff, 0xff, 0xff, 0x7f, 0x90, 60, e % 2 ? 0 : 64}, 7);
    memcpy(overflow + 22 + 63, (const uint8_t[]){0, 0xff, 0x2f, 0}, 4);
    write_bytes("overflow.mid", overflow, sizeof overflow);
    expect_clean_error("tokenize '%s/overflow.mid' -o '%s/x.npy'", "INT_MAX", "ticks past INT_MAX");
    // 600,000 Bar tokens then a note (remi-pope, then MidiTok's remi): an event past 2^31 ticks,
    // refused before libsmf writes it
    for (int v = 0; v < 2; v++) {
        size_t nb = 600000 + 5;
        int32_t *bars = malloc(nb * sizeof *bars);
        for (size_t i = 0; i < nb; i++) bars[i] = v ? POPE_MIDITOK_BAR : POPE_REMI_BAR;
        int32_t tail[2][5] = {{POPE_REMI_POSITION, POPE_REMI_PITCH + 60, POPE_REMI_VELOCITY + 15, POPE_REMI_DURATION + 3, POPE_MUSIC_EOS},
                              {POPE_MIDITOK_POSITION, POPE_MIDITOK_PITCH + 39, POPE_MIDITOK_VELOCITY + 15, POPE_MIDITOK_DURATION + 3, POPE_MUSIC_EOS}};
        memcpy(bars + nb - 5, tail[v], sizeof tail[v]);
        memset(npy + 10, ' ', 118);
        d = "{'descr': '<i4', 'fortran_order': False, 'shape': (600005,), }";
        memcpy(npy + 10, d, strlen(d));
        char npath[600];
        snprintf(npath, sizeof npath, "%s/bars.npy", dir);
        FILE *nf = fopen(npath, "wb");
        CHECK(nf && fwrite(npy, 1, 128, nf) == 128 && fwrite(bars, sizeof *bars, nb, nf) == nb, "write bars.npy");
        if (nf) fclose(nf);
        free(bars);
        expect_clean_error(v ? "detokenize '%s/bars.npy' --tokenizer remi -o '%s/x.mid'"
                             : "detokenize '%s/bars.npy' --tokenizer remi-pope -o '%s/x.mid'",
                           "tick 2147483647", "600,000 bars: past 2^31 ticks");
    }
    // a folder of MIDI files with bad ones among them: they are skipped and counted, never fatal;
    // a link to /dev/zero and a FIFO are not files to read (a FIFO's read would never end)
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/mdir' && cp '%s'/tests/music/data/mini_maestro/2004/*.midi '%s/mdir/' && "
             "cp '%s/overflow.mid' '%s/mdir/overflow.mid' && head -c 100 '%s/mdir/a.midi' > '%s/mdir/cut.mid' && "
             "cp '%s/big.npy' '%s/mdir/junk.mid' && ln -s /dev/zero '%s/mdir/zero.mid' && mkfifo '%s/mdir/fifo.mid'",
             dir, check_source_dir(), dir, dir, dir, dir, dir, dir, dir, dir, dir);
    CHECK(system(cmd) == 0, "make the MIDI folder");
    snprintf(cmd, sizeof cmd, "eval --model '%s/models/music-default.safetensors' --data midi '%s/mdir' --split all --json",
             check_source_dir(), dir);
    int rc = run(cmd);
    char *err = slurp("err.txt"), *out = slurp("out.txt");
    CHECK(rc == 0 && strstr(err, "skipped 3 unreadable MIDI files of 6") && strstr(err, "INT_MAX") &&
              json_number(out, "targets") > 0,
          "a MIDI folder with 3 bad files: exit %d: %s%s", rc, err, out);
    free(err);
    free(out);
}

// The shipped model: no --model, found through the source tree.
static void test_default_model(void) {
    char path[1024];
    snprintf(path, sizeof path, "%s/models/music-default.safetensors", check_source_dir());
    CHECK(access(path, R_OK) == 0, "the shipped model %s is missing", path);
    char args[1024];
    snprintf(args, sizeof args, "generate --midi '%s/default.mid' --seconds 8 --seed 5", dir);
    unsetenv("POPE_MODELS_DIR");
    int rc = run(args);
    char *err = slurp("err.txt");
    CHECK(rc == 0, "generate with the default model: exit %d: %s", rc, err);
    free(err);
    check_midi_with_notes("default.mid", 21, 108);
}


// Listening, shipped models by name, prompts and the piano roll's legend (issue 13).
static void test_users(void) {
    char args[2048];
    // The default model by name, with a prompt, a roll and audio.
    snprintf(args, sizeof args, "generate --model default --midi '%s/p.mid' --seconds 4 --seed 2", dir);
    CHECK(run(args) == 0, "generate --model default");
    snprintf(args, sizeof args,
             "generate --model default --prompt '%s/p.mid' --midi '%s/c.mid' --seconds 4 --seed 3 --roll '%s/c.svg' --wav '%s/c.wav'",
             dir, dir, dir, dir);
    int rc = run(args);
    char *err = slurp("err.txt");
    int have_audio = !strstr(err, "without FluidSynth") && !strstr(err, "no soundfont");
    CHECK(rc == 0 || !have_audio, "generate --prompt --roll --wav: exit %d: %s", rc, err);
    free(err);
    char *svg = slurp("c.svg");
    CHECK(strstr(svg, ">soprano<") && strstr(svg, ">bass<"), "the roll's legend names the voices");
    CHECK(strstr(svg, "prompt | generated") != NULL, "the roll marks where the prompt ends");
    free(svg);
    if (have_audio) {
        char wav[1024];
        snprintf(wav, sizeof wav, "%s/c.wav", dir);
        FILE *f = fopen(wav, "rb");
        long size = -1;
        if (f && fseek(f, 0, SEEK_END) == 0) size = ftell(f);
        if (f) fclose(f);
        CHECK(size > 44 + 4 * 44100 * 4, "--wav wrote %ld bytes, want more than 4 s of audio", size);
        snprintf(args, sizeof args, "render '%s/c.mid' -o '%s/r.wav'", dir, dir);
        CHECK(run(args) == 0, "render");
        err = slurp("err.txt");
        CHECK(strstr(err, "s of audio") != NULL, "render says how long: %s", err);
        free(err);
    } else {
        printf("audio checks skipped: built without FluidSynth or no soundfont installed\n");
    }
    snprintf(args, sizeof args, "render '%s/c.mid' -o '%s/r.wav' --soundfont /nonexistent.sf2", dir, dir);
    CHECK(run(args) == 1, "render with a missing soundfont exits 1");
    snprintf(args, sizeof args, "render '%s/c.mid'", dir);
    CHECK(run(args) == 2, "render without -o is a usage error");
    snprintf(args, sizeof args, "generate --model no-such-model --midi '%s/x.mid'", dir);
    CHECK(run(args) == 1, "an unknown model name exits 1");
    err = slurp("err.txt");
    CHECK(strstr(err, "music-no-such-model.safetensors") != NULL, "the message names the file looked for: %s", err);
    free(err);
    // A MIDI without notes is an error, not a BOS-EOS piece.
    char path[1024];
    snprintf(path, sizeof path, "%s/empty.mid", dir);
    FILE *f = fopen(path, "wb");
    static const unsigned char empty[] = {'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 0, 0, 1, 1, 0xe0,
                                          'M', 'T', 'r', 'k', 0, 0, 0, 4, 0, 0xff, 0x2f, 0};
    if (f) { fwrite(empty, 1, sizeof empty, f); fclose(f); }
    // Tokenizing a six-note chord as jsb (four voices) says what it drops.
    pope_midi six;
    pope_midi_init(&six);
    for (int k = 0; k < 6; k++) {
        pope_note nt = {.start = 0, .end = 2, .start_beat = -1, .end_beat = -1, .pitch = (uint8_t)(48 + 4 * k), .velocity = 90, .channel = 4};
        pope_midi_add_note(&six, nt);
    }
    char six_path[1024];
    snprintf(six_path, sizeof six_path, "%s/six.mid", dir);
    CHECK(pope_midi_write(six_path, &six) == 0, "write six.mid");
    pope_midi_free(&six);
    snprintf(args, sizeof args, "tokenize '%s' --tokenizer jsb -o '%s/six.npy'", six_path, dir);
    CHECK(run(args) == 0, "tokenize six.mid as jsb");
    err = slurp("err.txt");
    CHECK(strstr(err, "keeps 4 of 6 notes") != NULL, "a lossy conversion says so: %s", err);
    free(err);
    snprintf(args, sizeof args, "tokenize '%s' --tokenizer perf -o '%s/six.npy'", six_path, dir);
    CHECK(run(args) == 0, "tokenize six.mid as perf");
    err = slurp("err.txt");
    CHECK(strstr(err, "note:") == NULL, "a lossless conversion says nothing: %s", err);
    free(err);
    snprintf(args, sizeof args, "tokenize '%s' -o '%s/e.npy'", path, dir);
    CHECK(run(args) == 1, "tokenize of a MIDI without notes exits 1");
    err = slurp("err.txt");
    CHECK(strstr(err, "no notes") != NULL, "and says why: %s", err);
    free(err);
}

int main(void) {
    bin = getenv("POPE_MUSIC_BIN");
    if (!bin) {
        fprintf(stderr, "POPE_MUSIC_BIN is not set (CTest sets it)\n");
        return CHECK_SKIP;
    }
    snprintf(dir, sizeof dir, "/tmp/pope-test-program-XXXXXX");
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    test_errors();
    test_hostile();
    test_train_eval_generate();
    test_default_model();
    test_users();
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", dir);
    return check_summary("test_music_cli");
}

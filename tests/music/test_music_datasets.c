// test_music_datasets.c — the JSB JSON and MAESTRO CSV readers on the fixtures in tests/music/data,
// malformed inputs, and the MIDI-directory split.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "pope.h"
#include "pope_music.h"

static char tmpdir[256];

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); return; }
    fputs(text, f);
    fclose(f);
}

static void test_jsb(void) {
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/music/data/jsb_mini.json", check_source_dir());
    pope_jsb_data d;
    int rc = pope_jsb_load(&d, path);
    CHECK(rc == 0, "jsb fixture: %s", pope_last_error());
    if (rc) return;
    CHECK(d.n[POPE_SPLIT_TRAIN] == 2 && d.n[POPE_SPLIT_VALID] == 1 && d.n[POPE_SPLIT_TEST] == 1,
          "split sizes %zu/%zu/%zu", d.n[0], d.n[1], d.n[2]);
    CHECK(d.pieces[0][0].n_steps == 3 && d.pieces[0][1].n_steps == 1, "steps");
    CHECK(d.pieces[0][0].grid[4 + 3] == 47, "train[0] step 1 bass = %d, want 47", d.pieces[0][0].grid[7]);
    CHECK(d.pieces[0][1].grid[3] == 36, "a float pitch 36.0 reads as 36");
    CHECK(d.pieces[2][0].grid[7] == -1, "silence reads as -1");
    pope_tokens tok = {0};
    CHECK(pope_jsb_tokenize_grid(d.pieces[2][0].grid, d.pieces[2][0].n_steps, &tok) == 0, "tokenize");
    int32_t want[10] = {POPE_MUSIC_BOS, 4 + 74 - 21, 4 + 70 - 21, 4 + 65 - 21, 4 + 58 - 21,
                        4 + 74 - 21, 4 + 70 - 21, 4 + 65 - 21, POPE_JSB_SILENCE, POPE_MUSIC_EOS};
    CHECK(tok.n == 10 && memcmp(tok.data, want, sizeof want) == 0, "test piece tokens");
    pope_tokens_free(&tok);
    pope_jsb_free(&d);

    static const char *const bad[][2] = {
        {"{\"train\": [], \"valid\": []}", "test"},
        {"{\"train\": [[[60, 55, 52]]], \"valid\": [], \"test\": []}", "4 pitches"},
        {"{\"train\": [[[60, 55, 52, 200]]], \"valid\": [], \"test\": []}", "MIDI pitch"},
        {"{\"train\": [[[60, 55, 52, \"x\"]]], \"valid\": [], \"test\": []}", "MIDI pitch"},
        {"{\"train\": [[[60, 55, 52, 48]]], \"valid\": [], \"test\": [", "JSON"},
        {"[1, 2]", "object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(path, sizeof path, "%s/bad%zu.json", tmpdir, i);
        write_text(path, bad[i][0]);
        rc = pope_jsb_load(&d, path);
        CHECK(rc == -1 && strstr(pope_last_error(), bad[i][1]), "bad JSON %zu: rc %d, '%s'", i, rc, pope_last_error());
        if (rc == 0) pope_jsb_free(&d);
    }
    CHECK(pope_jsb_load(&d, "/nonexistent.json") == -1, "missing file accepted");
    // a directory opens with fopen but cannot be read: the message says why
    rc = pope_jsb_load(&d, tmpdir);
    CHECK(rc == -1 && strstr(pope_last_error(), "directory"), "directory: rc %d, '%s'", rc, pope_last_error());
    if (rc == 0) pope_jsb_free(&d);
}

// The JSB fixture as a pope_corpus (formats/music/corpus.c): its sequences are the pieces'
// token streams (pope_jsb_tokenize_grid, checked above), or joined per split; targets
// BOS/EOS/PAD ignored as asked.
static void test_corpus(void) {
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/music/data/jsb_mini.json", check_source_dir());
    pope_jsb_data d;
    if (pope_jsb_load(&d, path) != 0) { CHECK(0, "jsb fixture: %s", pope_last_error()); return; }
    pope_tokens p0 = {0}, p1 = {0};   // the two train pieces, tokenized on their own
    CHECK(pope_jsb_tokenize_grid(d.pieces[0][0].grid, d.pieces[0][0].n_steps, &p0) == 0 &&
          pope_jsb_tokenize_grid(d.pieces[0][1].grid, d.pieces[0][1].n_steps, &p1) == 0 && p0.n == 14 && p1.n == 6,
          "train pieces: 3 steps -> 14 tokens, 1 step -> 6");
    pope_music_corpus_opts o = {.tok = POPE_TOK_JSB, .grid_only = 1};
    pope_corpus c;
    int32_t out[32];
    int rc = pope_music_corpus_jsb(&c, path, &o);
    CHECK(rc == 0, "corpus: %s", pope_last_error());
    if (rc == 0) {
        CHECK(c.vocab_size == POPE_JSB_VOCAB && !strcmp(c.tokenizer, "jsb"), "vocab %d, tokenizer %s", c.vocab_size, c.tokenizer);
        CHECK(c.n_seqs(c.ctx, POPE_SPLIT_TRAIN) == 2 && c.seq_len(c.ctx, POPE_SPLIT_TRAIN, 0) == 14 &&
                  c.seq_len(c.ctx, POPE_SPLIT_TRAIN, 1) == 6 && c.n_seqs(c.ctx, POPE_SPLIT_TEST) == 1,
              "pieces as sequences");
        CHECK(c.read(c.ctx, POPE_SPLIT_TRAIN, 1, 0, 6, out) == 0 && !memcmp(out, p1.data, 6 * sizeof *out), "read piece 1");
        CHECK(c.read(c.ctx, POPE_SPLIT_TRAIN, 1, 2, 5, out) != 0, "a read past the piece is refused");
        CHECK(c.ignore_target(c.ctx, POPE_MUSIC_BOS) == POPE_IGNORE && c.ignore_target(c.ctx, POPE_MUSIC_EOS) == POPE_IGNORE &&
                  c.ignore_target(c.ctx, POPE_MUSIC_PAD) == POPE_IGNORE && c.ignore_target(c.ctx, p0.data[1]) == p0.data[1],
              "grid only: BOS, EOS, PAD ignored, grid tokens kept");
        int64_t pieces, tokens;
        pope_music_corpus_count(&c, POPE_SPLIT_TRAIN, &pieces, &tokens);
        CHECK(pieces == 2 && tokens == 20, "count: %lld pieces, %lld tokens", (long long)pieces, (long long)tokens);
        pope_rng rng;
        pope_rng_seed(&rng, 3);
        CHECK(c.sample_train(c.ctx, &rng, 30, out) == 0 && out[0] == POPE_MUSIC_BOS && out[29] == POPE_MUSIC_PAD,
              "a window longer than any piece: one piece from its start, then PAD");
        pope_music_corpus_free(&c);
    }
    o = (pope_music_corpus_opts){.tok = POPE_TOK_JSB, .joined = 1};
    rc = pope_music_corpus_jsb(&c, path, &o);
    CHECK(rc == 0, "joined corpus: %s", pope_last_error());
    if (rc == 0) {
        CHECK(c.n_seqs(c.ctx, POPE_SPLIT_TRAIN) == 1 && c.seq_len(c.ctx, POPE_SPLIT_TRAIN, 0) == 20, "joined: one stream");
        int32_t want[4] = {p0.data[12], p0.data[13], p1.data[0], p1.data[1]};
        CHECK(c.read(c.ctx, POPE_SPLIT_TRAIN, 0, 12, 4, out) == 0 && !memcmp(out, want, sizeof want),
              "a read across the pieces' boundary");
        CHECK(c.ignore_target(c.ctx, POPE_MUSIC_EOS) == POPE_MUSIC_EOS, "not grid only: EOS counts");
        pope_music_corpus_free(&c);
    }
    pope_tokens_free(&p0);
    pope_tokens_free(&p1);
    pope_jsb_free(&d);
}

// --voice-noise (formats/music/corpus.c, noise_one_voice): the same draw with and without it
// gives the same window but for one voice replaced over 1 step (half the time) or 2-16, as an input
// only (POPE_INPUT_ONLY: not a target), by one rest, one pitch, or the next lower voice's notes
// (the two swapped); every voice and every kind is chosen, and half the windows at BOS are
// garbled from their first step.
static void test_voice_noise(void) {
    char path[1024], cell[32];
    snprintf(path, sizeof path, "%s/voice_noise.json", tmpdir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL, "cannot write %s", path);
    if (!f) return;
    fputs("{\"train\": [[", f);
    for (int i = 0; i < 200; i++) {   // every voice sounds at every step
        snprintf(cell, sizeof cell, "%s[%d, %d, %d, %d]", i ? ", " : "", 72 + i % 5, 65 + i % 3, 57 + i % 4, 45 + i % 6);
        fputs(cell, f);
    }
    fputs("]], \"valid\": [[[60, 55, 52, 48]]], \"test\": [[[60, 55, 52, 48]]]}\n", f);
    fclose(f);
    pope_corpus plain, noisy;
    pope_music_corpus_opts o = {.tok = POPE_TOK_JSB, .grid_only = 1, .augment = 1};
    int rc = pope_music_corpus_jsb(&plain, path, &o);
    o.voice_noise = 1;
    if (rc == 0 && pope_music_corpus_jsb(&noisy, path, &o) != 0) { pope_music_corpus_free(&plain); rc = -1; }
    CHECK(rc == 0, "corpus: %s", pope_last_error());
    if (rc) return;
    enum { N = 129, TRIALS = 2000 };   // 32 steps and the token before them
    const int32_t F = POPE_INPUT_ONLY;
    int bad = 0, at_bos = 0, from_first = 0, voices[POPE_JSB_VOICES] = {0}, longest = 0, kinds[3] = {0}, single = 0;
    for (int t = 0; t < TRIALS; t++) {
        int32_t a[N], b[N];
        pope_rng ra, rb;
        pope_rng_seed(&ra, (uint64_t)t + 1);
        pope_rng_seed(&rb, (uint64_t)t + 1);
        if (plain.sample_train(plain.ctx, &ra, N, a) != 0 || noisy.sample_train(noisy.ctx, &rb, N, b) != 0) { bad++; continue; }
        bad += a[0] != b[0];
        int first = -1, last = -1, voice = -1, kind = -1;
        int32_t wrong = -1;
        for (int s = 0; s < (N - 1) / POPE_JSB_VOICES; s++) {
            const int32_t *x = a + 1 + POPE_JSB_VOICES * s, *y = b + 1 + POPE_JSB_VOICES * s;
            int nd = 0, v = -1;
            for (int k = POPE_JSB_VOICES - 1; k >= 0; k--) nd += x[k] != y[k], v = x[k] != y[k] ? k : v;
            if (!nd) continue;
            int k = nd == 2 ? 2 : nd == 1 ? ((y[v] & ~F) == POPE_JSB_SILENCE ? 0 : 1) : -1;
            if (k == 2) {   // the voice and the one below, swapped
                bad += v + 1 >= POPE_JSB_VOICES || y[v] != (x[v + 1] | F) || y[v + 1] != (x[v] | F);
            } else if (k >= 0) {   // one wrong token, held
                bad += !(y[v] & F) || (y[v] & ~F) >= POPE_JSB_VOCAB || (wrong >= 0 && y[v] != wrong);
                wrong = y[v];
            } else {
                bad++;
            }
            if (first < 0) first = s;
            else bad += s != last + 1 || v != voice || k != kind;   // one span of consecutive steps
            voice = v, last = s, kind = k;
        }
        if (voice < 0 || kind < 0) { bad++; continue; }   // every window is garbled (P = 1)
        voices[voice]++, kinds[kind]++;
        if (last - first + 1 > longest) longest = last - first + 1;
        single += last == first && last + 1 < (N - 1) / POPE_JSB_VOICES;   // (not cut by the window's end)
        if (a[0] == POPE_MUSIC_BOS) at_bos++, from_first += first == 0;
    }
    CHECK(single > TRIALS * 2 / 5 && single < TRIALS * 3 / 5, "%d of %d spans of one step (half)", single, TRIALS);
    for (int k = 0; k < 3; k++) CHECK(kinds[k] > TRIALS / 5, "%d windows of kind %d (rest, pitch, swap)", kinds[k], k);
    CHECK(bad == 0, "%d windows differ by more than one voice's wrong token", bad);
    CHECK(longest == 16, "longest span %d steps (1-16)", longest);
    for (int v = 0; v < POPE_JSB_VOICES; v++) CHECK(voices[v] > TRIALS / 8, "voice %d garbled in %d windows", v, voices[v]);
    CHECK(at_bos > TRIALS / 8 && from_first > at_bos * 2 / 5 && from_first < at_bos * 4 / 5,
          "%d of %d windows at BOS garbled from their first step", from_first, at_bos);
    pope_music_corpus_free(&plain);
    pope_music_corpus_free(&noisy);
}

static void test_maestro(void) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/tests/music/data/mini_maestro", check_source_dir());
    pope_music_filelist l;
    int rc = pope_maestro_list(&l, dir);
    CHECK(rc == 0, "maestro fixture: %s", pope_last_error());
    if (rc) return;
    CHECK(l.n == 3, "%zu files, want 3", l.n);
    if (l.n == 3) {
        char want[1100];
        snprintf(want, sizeof want, "%s/2004/b.midi", dir);
        CHECK(strcmp(l.files[1].path, want) == 0, "quoted multi-line record: path %s", l.files[1].path);
        CHECK(l.files[0].split == POPE_SPLIT_TRAIN && l.files[1].split == POPE_SPLIT_VALID &&
              l.files[2].split == POPE_SPLIT_TEST, "splits");
        for (size_t i = 0; i < l.n; i++) {   // the shipped fixture files: 24 notes each
            pope_midi m;
            int r = pope_midi_read(&m, l.files[i].path);
            CHECK(r == 0 && m.n_notes == 24, "%s: %s", l.files[i].path, r ? pope_last_error() : "wrong note count");
            if (r == 0) pope_midi_free(&m);
        }
    }
    pope_music_filelist_free(&l);
    // Any single *.csv with MAESTRO's columns (in another order, CRLF line ends).
    char sub[512], path[700];
    snprintf(sub, sizeof sub, "%s/other", tmpdir);
    mkdir(sub, 0755);
    snprintf(path, sizeof path, "%s/meta.csv", sub);
    write_text(path, "midi_filename,split\r\nx/one.mid,test\r\ntwo.mid,train\r\n");
    rc = pope_maestro_list(&l, sub);
    CHECK(rc == 0 && l.n == 2 && l.files[0].split == POPE_SPLIT_TEST && strstr(l.files[0].path, "other/x/one.mid"),
          "generic csv: %s", pope_last_error());
    if (rc == 0) pope_music_filelist_free(&l);
    write_text(path, "name,split\nx.mid,train\n");
    CHECK(pope_maestro_list(&l, sub) == -1 && strstr(pope_last_error(), "midi_filename"), "missing column: %s", pope_last_error());
    write_text(path, "midi_filename,split\nx.mid,holdout\n");
    CHECK(pope_maestro_list(&l, sub) == -1 && strstr(pope_last_error(), "holdout"), "bad split: %s", pope_last_error());
    write_text(path, "midi_filename,split\n\"x.mid,train\n");
    CHECK(pope_maestro_list(&l, sub) == -1 && strstr(pope_last_error(), "quote"), "open quote: %s", pope_last_error());
    CHECK(pope_maestro_list(&l, tmpdir) == -1, "a folder without CSV accepted");
}

static void test_mididir(void) {
    char d[512], p[700];
    snprintf(d, sizeof d, "%s/midis", tmpdir);
    mkdir(d, 0755);
    snprintf(p, sizeof p, "%s/deep", d);
    mkdir(p, 0755);
    const char *names[] = {"a.mid", "B.MIDI", "deep/c.mid", "notes.txt", "deep/.hidden.mid"};
    for (int i = 0; i < 5; i++) {
        snprintf(p, sizeof p, "%s/%s", d, names[i]);
        write_text(p, "MThd");
    }
    pope_music_filelist l;
    int rc = pope_mididir_list(&l, d, 1);
    CHECK(rc == 0 && l.n == 3, "mididir: rc %d, %zu files: %s", rc, l.n, pope_last_error());
    if (rc == 0) {
        for (size_t i = 1; i < l.n; i++) CHECK(strcmp(l.files[i - 1].path, l.files[i].path) < 0, "not sorted");
        for (size_t i = 0; i < l.n; i++) {
            const char *rel = l.files[i].path + strlen(d) + 1;
            CHECK(l.files[i].split == pope_mididir_split(rel, 1), "split of %s is not the hash of its relative path", rel);
        }
        pope_music_filelist_free(&l);
    }
    // The ratios: 80/10/10 over many names, and the seed matters.
    int count[3] = {0}, moved = 0;
    char name[64];
    for (int i = 0; i < 20000; i++) {
        snprintf(name, sizeof name, "piece_%05d.mid", i);
        pope_split s = pope_mididir_split(name, 1);
        count[s]++;
        moved += s != pope_mididir_split(name, 2);
    }
    CHECK(count[0] > 15600 && count[0] < 16400 && count[1] > 1800 && count[1] < 2200 && count[2] > 1800 && count[2] < 2200,
          "split ratios %d/%d/%d", count[0], count[1], count[2]);
    CHECK(moved > 5000, "the seed changes only %d of 20000 splits", moved);
    // From the parent folder the same three files are found (relative paths differ).
    rc = pope_mididir_list(&l, tmpdir, 1);
    CHECK(rc == 0 && l.n == 3, "parent folder: %zu files", l.n);
    if (rc == 0) pope_music_filelist_free(&l);
    CHECK(pope_mididir_list(&l, "/nonexistent-dir", 1) == -1, "missing dir accepted");
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/pope-test-datasets-XXXXXX");
    if (!mkdtemp(tmpdir)) { perror("mkdtemp"); return 1; }
    test_jsb();
    test_corpus();
    test_voice_noise();
    test_maestro();
    test_mididir();
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", tmpdir);
    return check_summary("test_music_datasets");
}

// test_music_data.c — the real data in ../shared/data (skipped when absent): the JSB JSON
// with its 229/76/77 split and pitch range, and MAESTRO-ASAP through its CSV (519 files,
// 399/46/74) with a few performances read, tokenized and round-tripped through perf.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pope.h"
#include "pope_music.h"

static void test_jsb(const char *root) {
    char path[1024];
    snprintf(path, sizeof path, "%s/jsb/Jsb16thSeparated.json", root);
    pope_jsb_data d;
    int rc = pope_jsb_load(&d, path);
    CHECK(rc == 0, "JSB: %s", pope_last_error());
    if (rc) return;
    CHECK(d.n[0] == 229 && d.n[1] == 76 && d.n[2] == 77, "JSB split %zu/%zu/%zu, want 229/76/77", d.n[0], d.n[1], d.n[2]);
    int lo = 127, hi = 0;
    size_t tokens = 0;
    for (int s = 0; s < 3; s++)
        for (size_t i = 0; i < d.n[s]; i++) {
            for (size_t k = 0; k < d.pieces[s][i].n_steps * 4; k++) {
                int p = d.pieces[s][i].grid[k];
                if (p >= 0 && p < lo) lo = p;
                if (p > hi) hi = p;
            }
            pope_tokens t = {0};
            CHECK(pope_jsb_tokenize_grid(d.pieces[s][i].grid, d.pieces[s][i].n_steps, &t) == 0, "tokenize %d/%zu", s, i);
            CHECK(t.n == 4 * d.pieces[s][i].n_steps + 2, "tokens of %d/%zu", s, i);
            tokens += t.n;
            pope_tokens_free(&t);
        }
    // The data README: pitches 36..81; transposed by +-3 they stay inside the 21..108 vocabulary.
    CHECK(lo == 36 && hi == 81, "JSB pitch range %d..%d", lo, hi);
    CHECK(tokens == 4 * 92536 + 2 * 382, "JSB tokens %zu", tokens);
    pope_jsb_free(&d);
}

static void test_maestro(const char *root) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/maestro-asap", root);
    pope_music_filelist l;
    int rc = pope_maestro_list(&l, dir);
    CHECK(rc == 0, "MAESTRO-ASAP: %s", pope_last_error());
    if (rc) return;
    int count[3] = {0};
    for (size_t i = 0; i < l.n; i++) count[l.files[i].split]++;
    CHECK(l.n == 519 && count[0] == 399 && count[1] == 46 && count[2] == 74, "%zu files %d/%d/%d", l.n, count[0], count[1], count[2]);
    for (size_t i = 0; i < l.n; i += 173) {   // three performances
        pope_midi m, r;
        rc = pope_midi_read(&m, l.files[i].path);
        CHECK(rc == 0, "%s", pope_last_error());
        if (rc) continue;
        CHECK(m.n_notes > 100, "%s: only %zu notes", l.files[i].path, m.n_notes);
        int bad = 0;
        for (size_t k = 0; k < m.n_notes; k++) bad += m.notes[k].pitch < 21 || m.notes[k].pitch > 108 || !(m.notes[k].end > m.notes[k].start);
        CHECK(bad == 0, "%s: %d notes off the piano or of no length", l.files[i].path, bad);
        pope_tokens t = {0};
        CHECK(pope_music_tokenize(POPE_TOK_PERF, &m, &t) == 0, "perf");
        CHECK(pope_music_detokenize(POPE_TOK_PERF, t.data, t.n, &r) == 0, "perf back");
        // Real performances: every onset kept within 10 ms (notes may merge only when two
        // same-pitch notes fall in one 10 ms step, which is rare).
        size_t lost = 0;
        for (size_t k = 0; k < m.n_notes; k++) {
            int found = 0;
            for (size_t j = 0; j < r.n_notes && !found; j++)
                found = r.notes[j].pitch == m.notes[k].pitch && fabs(r.notes[j].start - m.notes[k].start) <= 0.0051;
            lost += !found;
        }
        CHECK(lost * 1000 <= m.n_notes, "%s: %zu of %zu onsets lost in perf", l.files[i].path, lost, m.n_notes);
        pope_tokens rt = {0};
        CHECK(pope_music_tokenize(POPE_TOK_REMI, &m, &rt) == 0 && rt.n > m.n_notes * 3, "remi");
        pope_tokens_free(&t);
        pope_tokens_free(&rt);
        pope_midi_free(&r);
        pope_midi_free(&m);
    }
    pope_music_filelist_free(&l);
}

int main(void) {
    const char *root = check_shared_data();
    if (!root) return CHECK_SKIP;
    test_jsb(root);
    test_maestro(root);
    return check_summary("test_music_data");
}

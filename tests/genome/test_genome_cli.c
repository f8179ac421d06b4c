// test_genome_cli.c — the pope-genome program end to end on a small generated genome:
// train (tiny preset) -> eval (windowing checked by hand) -> extrapolate -> generate ->
// tokenize, plus --help, usage errors and bad inputs (message prefix, non-zero exit).
#include <sys/stat.h>
#include <sys/wait.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "genome_fixtures.h"
#include "pope_genome.h"

#ifndef POPE_GENOME_BIN
#define POPE_GENOME_BIN "pope-genome"
#endif

static char out_text[1 << 16], err_text[1 << 16];

static void slurp(const char *path, char *buf, size_t cap) {
    buf[0] = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return;
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = 0;
    fclose(f);
}

// Runs "pope-genome ARGS"; returns its exit status; stdout/stderr land in out_text/err_text.
static int run(const char *args) {
    static const char *out_path, *err_path;
    if (!out_path) {
        out_path = fx_path("out.txt");
        err_path = fx_path("err.txt");
    }
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s > %s 2> %s", POPE_GENOME_BIN, args, out_path, err_path);
    int st = system(cmd);
    slurp(out_path, out_text, sizeof out_text);
    slurp(err_path, err_text, sizeof err_text);
    int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
    if (getenv("POPE_TEST_VERBOSE")) fprintf(stderr, "$ %s -> %d\n%s%s", args, rc, out_text, err_text);
    return rc;
}

// run() of a command that prints one JSON object: the object (NULL when it did not), *rc its status.
static cJSON *run_json(const char *args, int *rc) {
    *rc = run(args);
    return cJSON_Parse(out_text);
}

static const char *tiny_preset =
    "{\"name\": \"tiny\", \"tokenizer\": \"nt\",\n"
    " \"model\": {\"d_model\": 16, \"n_layers\": 1, \"n_heads\": 2, \"context_length\": 32, \"pe\": \"polar\"},\n"
    " \"train\": {\"batch\": 2, \"steps\": 4, \"warmup\": 1, \"lr\": 1e-3, \"lr_min\": 1e-4, \"eval_every\": 2,\n"
    "           \"eval_tokens\": 256, \"checkpoint_every\": 2, \"log_every\": 1}}\n";

static double json_num(const cJSON *o, const char *k) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(it) ? it->valuedouble : NAN;
}

int main(void) {
    // chr1 trains; chr14 and chrX are the default test contigs; chr2 (from the end) validates.
    // chrX starts with 33 N: its first eval window (context 32) has only N targets.
    char *c1 = fx_random_seq(3000, "ACGTACGTacgt", 1), *c2 = fx_random_seq(400, "ACGT", 2);
    char *c14 = fx_random_seq(500, "ACGT", 3), *cx = fx_random_seq(300, "ACGT", 4);
    memset(cx, 'N', 33);
    const char *names[] = {"chr1", "chr2", "chr14", "chrX"};
    const char *seqs[] = {c1, c2, c14, cx};
    char *text = fx_fasta_text(4, names, seqs, 60, "\n");
    const char *fa = fx_path("g.fa");
    fx_write(fa, text, strlen(text));
    fx_write(fx_path("tiny.json"), tiny_preset, strlen(tiny_preset));
    const char *run_dir = fx_path("run");
    char args[2048];

    // --help everywhere
    const char *cmds[] = {"", "train", "eval", "extrapolate", "generate", "tokenize", "bench"};
    for (int k = 0; k < 7; k++) {
        snprintf(args, sizeof args, "%s --help", cmds[k]);
        CHECK(run(args) == 0 && strstr(out_text, "usage"), "'%s' exits 0 with usage", args);
    }

    // train
    snprintf(args, sizeof args, "train %s --preset %s --out %s --quiet --threads 1", fa, fx_path("tiny.json"), run_dir);
    int rc = run(args);
    CHECK(rc == 0, "train exit %d: %s", rc, err_text);
    CHECK(strstr(out_text, "test NLL") != NULL, "train prints the test NLL: %s", out_text);
    char path[600];
    const char *files[] = {"model.safetensors", "checkpoint.safetensors", "log.jsonl", "curve.svg", "test.json"};
    for (int k = 0; k < 5; k++) {
        snprintf(path, sizeof path, "%s/%s", run_dir, files[k]);
        CHECK(access(path, R_OK) == 0, "train wrote %s", files[k]);
    }

    // eval --json: one JSON object; targets by the windowing rule, counted by hand:
    // context 32 -> windows of 33 tokens. chr14: 500 = 15*33 + 5 -> 15*32 + 4 = 484 targets;
    // chrX: 300 = 9*33 + 3 -> 9*32 + 2 = 290, minus the 32 N targets of window 0 = 258.
    snprintf(args, sizeof args, "eval --model %s %s --json", run_dir, fa);
    cJSON *js = run_json(args, &rc);
    CHECK(rc == 0, "eval exit %d: %s", rc, err_text);
    CHECK(js != NULL, "eval --json prints JSON: %s", out_text);
    if (js) {
        double nll = json_num(js, "nll"), bpb = json_num(js, "bits_per_base");
        CHECK(json_num(js, "targets") == 484 + 258, "targets %g, want 742", json_num(js, "targets"));
        CHECK(json_num(js, "context") == 32, "context");
        CHECK(nll > 0.5 && nll < 3.0, "nll %g near ln 4", nll);
        CHECK_NEAR(bpb, nll / log(2.0), 1e-6, 1e-6, "nt: bits per base = nll / ln 2");
        cJSON_Delete(js);
    }
    // the same with --context 10: chr14 500 = 45*11 + 5 -> 454; chrX 300 = 27*11 + 3 -> 272, minus
    // the N targets: tokens 1..32 are N; windows [0,11) [11,22) [22,33) score targets 1..10, 12..21,
    // 23..32: 30 N targets -> 242.
    snprintf(args, sizeof args, "eval --model %s %s --json --context 10 --split test", run_dir, fa);
    js = run_json(args, &rc);
    CHECK(rc == 0 && js && json_num(js, "targets") == 454 + 242, "context 10 targets %g, want 696",
          js ? json_num(js, "targets") : -1.0);
    cJSON_Delete(js);
    // --split all: each split on its own beside the total, and the baselines. The test split's
    // numbers are those of --split test above (742 targets).
    snprintf(args, sizeof args, "eval --model %s %s --json --split all", run_dir, fa);
    js = run_json(args, &rc);
    CHECK(rc == 0 && js, "eval --split all exit %d: %s", rc, err_text);
    if (js) {
        const cJSON *splits = cJSON_GetObjectItemCaseSensitive(js, "splits");
        double sum = 0, nll_sum = 0;
        const char *sn[] = {"train", "valid", "test"};
        for (int k = 0; k < 3; k++) {
            const cJSON *o = cJSON_GetObjectItemCaseSensitive(splits, sn[k]);
            sum += json_num(o, "targets");
            nll_sum += json_num(o, "nll") * json_num(o, "targets");
            CHECK(json_num(o, "markov_bits_per_base") > 0.5 && json_num(o, "markov_bits_per_base") < 2.5, "%s: markov %g", sn[k],
                  json_num(o, "markov_bits_per_base"));
        }
        const cJSON *test = cJSON_GetObjectItemCaseSensitive(splits, "test");
        CHECK(json_num(test, "targets") == 742, "test split inside 'all': %g targets", json_num(test, "targets"));
        CHECK(sum == json_num(js, "targets"), "split targets add up: %g vs %g", sum, json_num(js, "targets"));
        CHECK_NEAR(nll_sum / sum, json_num(js, "nll"), 1e-9, 1e-6, "split NLLs average to the total");
        CHECK(json_num(js, "uniform_bits_per_base") == 2 && json_num(js, "markov_order") == 5, "baseline keys");
        cJSON_Delete(js);
    }
    snprintf(args, sizeof args, "eval --model %s %s --split all", run_dir, fa);
    rc = run(args);
    CHECK(rc == 0 && strstr(out_text, "  train NLL") && strstr(out_text, "  valid NLL") && strstr(out_text, "  test  NLL") &&
              strstr(out_text, "uniform 2.0000 bits/base") && strstr(out_text, "order-5 Markov"),
          "eval --split all text: %s", out_text);

    // a model trained with nt cannot evaluate kmer6 tokens
    snprintf(args, sizeof args, "eval --model %s %s --tokenizer kmer6", run_dir, fa);
    rc = run(args);
    CHECK(rc != 0 && strstr(err_text, "pope-genome: ") && strstr(err_text, "tokenizer"), "tokenizer mismatch: %d %s", rc,
          err_text);

    // extrapolate at 1x and 2x the training context
    snprintf(args, sizeof args, "extrapolate --model %s %s --contexts 1,2 --eval-tokens 128 --json", run_dir, fa);
    js = run_json(args, &rc);
    CHECK(rc == 0 && js, "extrapolate exit %d: %s", rc, err_text);
    snprintf(path, sizeof path, "%s/extrapolate.json", run_dir);
    CHECK(access(path, R_OK) == 0, "extrapolate.json written");
    if (js) {
        const cJSON *res = cJSON_GetObjectItemCaseSensitive(js, "results");
        CHECK(cJSON_GetArraySize(res) == 2, "two contexts");
        CHECK(cJSON_GetArraySize(res) == 2 && json_num(cJSON_GetArrayItem(res, 1), "context") == 64, "2x context = 64");
        // the same keys on stdout and in extrapolate.json
        FILE *xf = fopen(path, "r");
        static char xbuf[1 << 16];
        size_t xn = xf ? fread(xbuf, 1, sizeof xbuf - 1, xf) : 0;
        if (xf) fclose(xf);
        xbuf[xn] = 0;
        cJSON *file = cJSON_Parse(xbuf);
        int same = file != NULL && cJSON_GetArraySize(file) == cJSON_GetArraySize(js);
        for (const cJSON *it = js->child; same && it; it = it->next)
            same = cJSON_GetObjectItemCaseSensitive(file, it->string) != NULL;
        CHECK(same, "extrapolate --json and extrapolate.json have the same keys: %s", xbuf);
        cJSON_Delete(file);
        cJSON_Delete(js);
    }

    // generate: deterministic in the seed, FASTA that reads back
    const char *gen = fx_path("gen.fa");
    snprintf(args, sizeof args, "generate --model %s --prompt ACGTAC --length 50 --seed 3 -o %s", run_dir, gen);
    rc = run(args);
    CHECK(rc == 0, "generate exit %d: %s", rc, err_text);
    pope_genome_opts go;
    pope_genome_opts_default(&go);
    go.cache = 0;
    pope_genome *g = pope_genome_open(gen, &go);
    CHECK(g && pope_genome_n_contigs(g) == 1 && pope_genome_contig_len(g, 0) == 56, "generated FASTA: %s",
          g ? "56 bases" : pope_last_error());
    char first[6] = {0};
    if (g) pope_genome_fetch(g, 0, 0, 6, 0, first);
    CHECK(memcmp(first, "ACGTAC", 6) == 0, "starts with the prompt");
    pope_genome_free(g);
    char once[4096];
    slurp(gen, once, sizeof once);
    snprintf(args, sizeof args, "generate --model %s --prompt ACGTAC --length 50 --seed 3 -o -", run_dir);
    CHECK(run(args) == 0 && strcmp(out_text, once) == 0, "same seed, same sequence (and -o - works)");
    snprintf(args, sizeof args, "generate --model %s --length 99999999999999", run_dir);
    CHECK(run(args) == 2 && strstr(err_text, "--length: expected an integer in [1, 1073741824]"),
          "--length out of range says the range: %s", err_text);
#if !defined(__SANITIZE_ADDRESS__)   // ASan itself needs terabytes of address space
    // --length at its bound (2^30 bases) asks for ~20 GB of buffers: under a 2 GB address
    // space that is "out of memory" with exit 1, not a crash on an unchecked malloc
    {
        char cmd[4096];
        snprintf(cmd, sizeof cmd, "ulimit -v 2000000 && %s generate --model %s --length 1073741824 -o %s 2> %s",
                 POPE_GENOME_BIN, run_dir, fx_path("huge.fa"), fx_path("err.txt"));
        int st = system(cmd);
        slurp(fx_path("err.txt"), err_text, sizeof err_text);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1 && strstr(err_text, "pope-genome: generate: out of memory"),
              "huge --length: status %d: %s", st, err_text);
    }
#endif

    // tokenize: a numpy-readable int32 array of all tokens in file order
    const char *npy = fx_path("t.npy");
    snprintf(args, sizeof args, "tokenize %s -o %s --index %s", fa, npy, fx_path("t.tsv"));
    rc = run(args);
    CHECK(rc == 0, "tokenize exit %d: %s", rc, err_text);
    FILE *f = fopen(npy, "rb");
    unsigned char head[10];
    if (f && fread(head, 1, 10, f) == 10) {
        CHECK(memcmp(head, "\x93NUMPY\x01\x00", 8) == 0, "npy magic");
        int hlen = head[8] | head[9] << 8;
        char *h = calloc(1, (size_t)hlen + 1);
        CHECK(fread(h, 1, (size_t)hlen, f) == (size_t)hlen && strstr(h, "'<i4'") && strstr(h, "(4200,)"), "npy header %s", h);
        CHECK((10 + hlen) % 64 == 0, "header aligned to 64");
        int32_t t[3000], want[3000];
        CHECK(fread(t, 4, 3000, f) == 3000, "read tokens");
        pope_gtok_encode(POPE_GTOK_NT, c1, 3000, want);
        CHECK(memcmp(t, want, sizeof t) == 0, "tokens of chr1");
        free(h);
    } else {
        CHECK(0, "tokens.npy readable");
    }
    if (f) fclose(f);

    // --keep-case: soft-masked bases of chr1 become the lowercase ids 7..10
    snprintf(args, sizeof args, "tokenize %s -o %s --keep-case", fa, fx_path("tc.npy"));
    rc = run(args);
    CHECK(rc == 0 && strstr(err_text, "nt-case"), "tokenize --keep-case: %s", err_text);
    f = fopen(fx_path("tc.npy"), "rb");
    if (f) {
        int32_t t[3000], want[3000];
        fseek(f, 128, SEEK_SET);   // header: 10 + dict padded to a multiple of 64 (128 here)
        CHECK(fread(t, 4, 3000, f) == 3000, "read nt-case tokens");
        pope_gtok_encode(POPE_GTOK_NT_CASE, c1, 3000, want);
        CHECK(memcmp(t, want, sizeof t) == 0, "nt-case tokens of chr1");
        int lower = 0;
        for (int i = 0; i < 3000; i++) lower += t[i] >= POPE_NT_LOWER_A;
        CHECK(lower > 500, "lowercase ids present (%d)", lower);
        fclose(f);
    }

    // kmer6 read from the packed cache = kmer6 of the ASCII text (soft-masked chr1 folded;
    // chrX's 33 N are 33 N tokens)
    snprintf(args, sizeof args, "tokenize %s -o %s --tokenizer kmer6 --index %s", fa, fx_path("k6.npy"), fx_path("k6.tsv"));
    rc = run(args);
    CHECK(rc == 0 && strstr(err_text, "kmer6, vocab 4107"), "tokenize kmer6: %s", err_text);
    f = fopen(fx_path("k6.npy"), "rb");
    if (f) {
        const char *all[] = {c1, c2, c14, cx};
        int64_t lens[] = {3000, 400, 500, 300}, n_all = 0;
        int32_t *want = malloc(4200 * sizeof *want), *t = malloc(4200 * sizeof *t);
        for (int k = 0; k < 4; k++) n_all += pope_gtok_encode(POPE_GTOK_KMER6, all[k], lens[k], want + n_all);
        fseek(f, 128, SEEK_SET);
        CHECK((int64_t)fread(t, 4, 4200, f) == n_all && memcmp(t, want, (size_t)n_all * 4) == 0, "kmer6 tokens (%lld)",
              (long long)n_all);
        fclose(f);
        free(want);
        free(t);
    }

    // tokenize needs no split: seven contigs named like samtools' C. elegans test FASTA, where
    // the default rule holds every sequence out, tokenize; train names the contigs and the fix
    {
        const char *cn[] = {"CHROMOSOME_I", "CHROMOSOME_II", "CHROMOSOME_III", "CHROMOSOME_IV", "CHROMOSOME_V",
                            "CHROMOSOME_X", "CHROMOSOME_MtDNA"};
        char *cs[7];
        for (int k = 0; k < 7; k++) cs[k] = fx_random_seq(k == 0 ? 100000 : 500, "ACGT", (uint64_t)k + 20);
        char *ct = fx_fasta_text(7, cn, (const char *const *)cs, 60, "\n");
        fx_write(fx_path("ce.fa"), ct, strlen(ct));
        snprintf(args, sizeof args, "tokenize %s -o %s", fx_path("ce.fa"), fx_path("ce.npy"));
        rc = run(args);
        CHECK(rc == 0 && strstr(err_text, "103000 tokens"), "tokenize without a split: %d %s", rc, err_text);
        snprintf(args, sizeof args, "train %s --preset %s --out %s --quiet", fx_path("ce.fa"), fx_path("tiny.json"), fx_path("ce-run"));
        rc = run(args);
        CHECK(rc == 1 && strstr(err_text, "training split is empty") && strstr(err_text, "CHROMOSOME_I") &&
                  strstr(err_text, "--valid-contigs"),
              "empty training split explained: %s", err_text);
        snprintf(args, sizeof args, "tokenize %s -o %s --split train", fx_path("ce.fa"), fx_path("ce.npy"));
        CHECK(run(args) == 1 && strstr(err_text, "training split is empty"), "tokenize --split still needs one");
        for (int k = 0; k < 7; k++) free(cs[k]);
        free(ct);
    }

    // a kmer6 model: targets and bases of the test split counted by hand (context 32, windows
    // of 33 tokens; the first token of each window is no target). chr14: 500 bases = 83 6-mers
    // + 2 singles = 85 tokens; targets all but tokens 0, 33, 66: 80 6-mers + 2 singles = 82
    // targets, 482 bases. chrX: 33 N + 267 bases = 33 N tokens + 44 6-mers + 3 singles = 80
    // tokens; window 0's targets are N (ignored), window 1 scores 32 6-mers, window 2 tokens
    // 67..79 = 10 6-mers + 3 singles: 45 targets, 255 bases. Total 127 targets, 737 bases.
    snprintf(args, sizeof args, "train %s --preset %s --tokenizer kmer6 --steps 2 --out %s --quiet --threads 1", fa,
             fx_path("tiny.json"), fx_path("k6-run"));
    rc = run(args);
    CHECK(rc == 0, "train kmer6: %d %s", rc, err_text);
    snprintf(args, sizeof args, "eval --model %s %s --json", fx_path("k6-run"), fa);
    js = run_json(args, &rc);
    CHECK(rc == 0 && js, "eval kmer6: %d %s", rc, err_text);
    if (js) {
        CHECK(json_num(js, "targets") == 127 && json_num(js, "bases") == 737, "kmer6 targets %g bases %g, want 127 and 737",
              json_num(js, "targets"), json_num(js, "bases"));
        CHECK_NEAR(json_num(js, "bits_per_base"), json_num(js, "nll") * 127 / log(2.0) / 737, 1e-9, 1e-9,
                   "bits per base = NLL sum / ln 2 / bases");
        cJSON_Delete(js);
    }

    // an input large enough to be cached (>= 16 MiB): the "packs it into a cache" note only
    // when a cache is written
    {
        static char big_line[1024];
        memset(big_line, 'A', 1000);
        big_line[1000] = '\n';
        FILE *bf = fopen(fx_path("big.fa"), "w");
        fputs(">big\n", bf);
        for (int k = 0; k < 17000; k++) fwrite(big_line, 1, 1001, bf);
        fclose(bf);
        snprintf(args, sizeof args, "tokenize %s -o /dev/null --tokenizer kmer6 --no-cache", fx_path("big.fa"));
        rc = run(args);
        CHECK(rc == 0 && strstr(err_text, "reading") && !strstr(err_text, "cache,"), "--no-cache: no cache note: %s", err_text);
        snprintf(args, sizeof args, "tokenize %s -o /dev/null --tokenizer kmer6 --cache-dir %s", fx_path("big.fa"),
                 fx_path("cachedir"));
        rc = run(args);
        CHECK(rc == 0 && strstr(err_text, "packs it into a cache"), "with a cache: the note: %s", err_text);
        // -o /dev/null is written in place: a temp file renamed over it would have replaced the
        // device with a regular file (as root; found when this test first ran)
        struct stat st;
        CHECK(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode), "/dev/null is still a character device");
    }

    // a model trained on something else than a genome tokenizer is refused
    pope_config cfg;
    pope_config_default(&cfg);
    cfg.vocab_size = 300;
    cfg.d_model = 16;
    cfg.n_heads = 2;
    cfg.n_layers = 1;
    cfg.context_length = 32;
    snprintf(cfg.tokenizer, sizeof cfg.tokenizer, "remi");
    pope_model *music = pope_model_new(&cfg, 1);
    CHECK(music && pope_save(fx_path("music.safetensors"), music, NULL, NULL, NULL) == 0, "save a music model");
    pope_model_free(music);
    snprintf(args, sizeof args, "eval --model %s %s", fx_path("music.safetensors"), fa);
    rc = run(args);
    CHECK(rc == 1 && strstr(err_text, "not a genome tokenizer"), "music model refused: %s", err_text);
    snprintf(args, sizeof args, "generate --model %s", fx_path("music.safetensors"));
    rc = run(args);
    CHECK(rc == 1 && strstr(err_text, "not a genome tokenizer"), "generate refuses it too: %s", err_text);
    // a kmer6 model of the layout before NT's (vocab 4104) is refused by name and both sizes
    cfg.vocab_size = 4104;
    snprintf(cfg.tokenizer, sizeof cfg.tokenizer, "kmer6");
    pope_model *old_k6 = pope_model_new(&cfg, 1);
    CHECK(old_k6 && pope_save(fx_path("old-k6.safetensors"), old_k6, NULL, NULL, NULL) == 0, "save an old kmer6 model");
    pope_model_free(old_k6);
    const char *old_cmds[] = {"eval --model %s %s", "generate --model %s"};
    for (int k = 0; k < 2; k++) {
        snprintf(args, sizeof args, old_cmds[k], fx_path("old-k6.safetensors"), fa);
        rc = run(args);
        CHECK(rc == 1 && strstr(err_text, "vocab 4104") && strstr(err_text, "4107"), "old kmer6 model refused: %s", err_text);
    }

    // a checkpoint cut short (a download that stopped) is called truncated by every command
    // that loads a model: at a quarter of the file (inside the tensors) and at 20 bytes (inside
    // the header)
    {
        char mp[600];
        snprintf(mp, sizeof mp, "%s/model.safetensors", run_dir);
        size_t cut[2] = {check_file_size(mp) / 4, 20};
        for (int c = 0; c < 2; c++) {
            CHECK(cut[0] > 250 && check_truncated_copy(mp, fx_path("trunc.safetensors"), cut[c]) == 0, "cut the model");
            const char *cmds[3] = {"eval --model %s %s", "generate --model %s --length 20 -o /dev/null",
                                   "extrapolate --model %s %s --contexts 1,2 --eval-tokens 128"};
            for (int k = 0; k < 3; k++) {
                char fmt[256];
                snprintf(fmt, sizeof fmt, "%s", cmds[k]);
                snprintf(args, sizeof args, fmt, fx_path("trunc.safetensors"), fa);
                rc = run(args);
                CHECK(rc == 1 && strncmp(err_text, "pope-genome: ", 13) == 0 && strstr(err_text, "truncated: "),
                      "%s (cut at %zu): exit %d: %s", args, cut[c], rc, err_text);
            }
        }
    }

    // one 30-base sequence: its tail-5% test split holds 1 base, too short for an eval window.
    // Training succeeds, so the final test says so instead of failing with exit 1
    {
        const char *tn[] = {"t1"};
        char *ts = fx_random_seq(30, "ACGT", 5);
        const char *tseq[] = {ts};
        char *ttext = fx_fasta_text(1, tn, tseq, 60, "\n");
        fx_write(fx_path("short.fa"), ttext, strlen(ttext));
        snprintf(args, sizeof args, "train %s --preset %s --context 8 --steps 2 --out %s --quiet --threads 1",
                 fx_path("short.fa"), fx_path("tiny.json"), fx_path("short-run"));
        rc = run(args);
        CHECK(rc == 0 && strstr(out_text, "test split has no targets"), "short test split: exit %d: %s%s", rc,
              out_text, err_text);
        free(ts);
        free(ttext);
    }

    // bad inputs: the message prefix and a non-zero exit, never a crash
    fx_write(fx_path("empty.fa"), "", 0);
    unsigned char bin[2048];
    for (int i = 0; i < 2048; i++) bin[i] = (unsigned char)(i * 31 + 7);
    fx_write(fx_path("bin.dat"), bin, sizeof bin);
    const char *bad[] = {"empty.fa", "bin.dat", "missing.fa"};
    for (int k = 0; k < 3; k++) {
        snprintf(args, sizeof args, "train %s --preset %s --out %s --quiet", fx_path(bad[k]), fx_path("tiny.json"), fx_path("bad"));
        rc = run(args);
        CHECK(rc != 0 && rc < 128 && strncmp(err_text, "pope-genome: ", 13) == 0, "train %s: %d %s", bad[k], rc, err_text);
    }
    snprintf(args, sizeof args, "eval %s", fa);
    CHECK(run(args) == 2 && strstr(err_text, "--model"), "eval without --model is a usage error");
    snprintf(args, sizeof args, "train %s --no-such-option", fa);
    CHECK(run(args) == 2 && strstr(err_text, "unknown option"), "unknown option");
    snprintf(args, sizeof args, "eval --model %s %s", fx_path("missing-model"), fa);
    CHECK(run(args) == 1 && strncmp(err_text, "pope-genome: ", 13) == 0, "missing model: %s", err_text);
    snprintf(args, sizeof args, "train %s --preset %s --test-contigs chr99 --out %s", fa, fx_path("tiny.json"), fx_path("bad"));
    CHECK(run(args) == 1 && strstr(err_text, "chr99"), "unknown test contig: %s", err_text);
    CHECK(run("frobnicate") == 2, "unknown command");

    free(text);
    free(c1);
    free(c2);
    free(c14);
    free(cx);
    fx_cleanup();
    return check_summary("test_genome_cli");
}

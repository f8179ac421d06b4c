// tokenizers.h — the per-vocabulary halves behind pope_music_tokenize/detokenize.
#ifndef POPE_MUSIC_TOKENIZERS_H
#define POPE_MUSIC_TOKENIZERS_H
#include "pope_music.h"

int perf_detokenize(const int32_t *tok, size_t n, pope_midi *out);
int remi_tokenize(const pope_midi *m, pope_tokens *out);
int remi_detokenize(const int32_t *tok, size_t n, pope_midi *out);
int miditok_remi_tokenize(const pope_midi *m, pope_tokens *out);
int miditok_remi_detokenize(const int32_t *tok, size_t n, pope_midi *out);
const char *miditok_remi_token_str(int32_t tok, char *buf, size_t n);
int jsb_tokenize_midi(const pope_midi *m, pope_tokens *out);
int jsb_detokenize(const int32_t *tok, size_t n, pope_midi *out);

#endif

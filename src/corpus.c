// corpus.c — split names (include/pope_corpus.h).
#include <string.h>

#include "pope_corpus.h"

const char *pope_split_name(pope_split s) {
    switch (s) {
    case POPE_SPLIT_TRAIN: return "train";
    case POPE_SPLIT_VALID: return "valid";
    case POPE_SPLIT_TEST: return "test";
    default: return "all";
    }
}

int pope_split_parse(const char *name, pope_split *out) {
    if (!name) return pope_error("split: missing name");
    if (!strcmp(name, "train")) *out = POPE_SPLIT_TRAIN;
    else if (!strcmp(name, "valid") || !strcmp(name, "validation")) *out = POPE_SPLIT_VALID;
    else if (!strcmp(name, "test")) *out = POPE_SPLIT_TEST;
    else if (!strcmp(name, "all")) *out = POPE_SPLIT_ALL;
    else return pope_error("unknown split '%s' (train, valid, test or all)", name);
    return 0;
}

// optim_internal.h — the AdamW state inside libpope (checkpoints read and write it).
#ifndef POPE_OPTIM_INTERNAL_H
#define POPE_OPTIM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "pope.h"

struct pope_adamw {
    size_t numel;    // == the model's num_params; same flat layout as its parameters
    float *m, *v;    // first and second moments
    int64_t t;       // steps taken
};

#endif  // POPE_OPTIM_INTERNAL_H

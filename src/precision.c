// precision.c — the process-wide GEMM/attention precision (pope.h) and what bf16 needs:
// oneDNN built in (POPE_HAVE_DNNL) and AVX512-BF16 in the CPU (the attention tiles use
// vdpbf16ps; oneDNN picks AMX itself where the CPU has it).
#include <string.h>

#include "attention_engine.h"
#include "bf16.h"
#include "pope.h"

static pope_precision precision_now = POPE_PREC_FP32;

static const char *const precision_names[] = {"fp32", "bf16", "auto"};

const char *pope_precision_name(pope_precision p) {
    return (unsigned)p < sizeof precision_names / sizeof *precision_names ? precision_names[p] : "?";
}

int pope_precision_parse(const char *name, pope_precision *out) {
    for (int i = 0; i < (int)(sizeof precision_names / sizeof *precision_names); i++)
        if (name && !strcmp(name, precision_names[i])) {
            *out = (pope_precision)i;
            return 0;
        }
    return -1;
}

int bf16_cpu_supported(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl");
#else
    return 0;
#endif
}

int pope_bf16_supported(void) {
    if (!bf16_gemm_available())
        return pope_error("bf16: this pope was built without oneDNN (cmake -DPOPE_DNNL=ON, "
                          "apt-get install libdnnl-dev)");
    if (!bf16_cpu_supported())
        return pope_error("bf16: this CPU has no AVX512-BF16 (nor AMX-BF16)");
    return 0;
}

int pope_set_precision(pope_precision p) {
    switch (p) {
    case POPE_PREC_FP32: precision_now = POPE_PREC_FP32; return 0;
    case POPE_PREC_BF16:
        if (pope_bf16_supported() != 0) return -1;
        precision_now = POPE_PREC_BF16;
        return 0;
    case POPE_PREC_AUTO:
        precision_now = pope_bf16_supported() == 0 ? POPE_PREC_BF16 : POPE_PREC_FP32;
        pope_error("%s", "");  // auto never fails: clear the reason left by the probe
        return 0;
    }
    return pope_error("precision: unknown value %d", (int)p);
}

pope_precision pope_get_precision(void) { return precision_now; }
int bf16_active(void) { return precision_now == POPE_PREC_BF16; }

const char *pope_attention_kernel(void) { return attention_bf16_engine_name(); }

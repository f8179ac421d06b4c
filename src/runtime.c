// runtime.c — BLIS kernel selection and the thread count shared by BLIS and OpenMP.
//
// Debian's BLIS 0.9 mis-detects Sapphire Rapids as `haswell` (AVX2 kernels, ~0.7x);
// where the CPU has AVX-512 we force the `skx` kernels (BLIS_ARCH_TYPE=0) before BLIS
// initialises, unless the user chose an architecture himself. See
// ../shared/notes/DEPS.md. GEMMs run from serial code with BLIS threads = n; every
// other kernel uses its own `omp parallel for` with n threads; nested OpenMP stays off.
#include <stdlib.h>

#include <blis.h>
#include <omp.h>

#include "pope.h"

static int runtime_threads;   // 0 until pope_runtime_init
static int runtime_blis_ready;

static int threads_from_env(void) {
    const char *s = getenv("OMP_NUM_THREADS");
    if (s && *s) {
        int n = atoi(s);   // "2,1" (nested lists) reads as 2
        if (n > 0) return n;
    }
    int n = omp_get_num_procs();
    return n > 0 ? n : 1;
}

void pope_runtime_init(int n_threads) {
    if (!runtime_blis_ready) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512f"))
            setenv("BLIS_ARCH_TYPE", "0", 0);   // 0 = skx; never overwrite the user's choice
#endif
        bli_init();
        omp_set_max_active_levels(1);           // no nested parallelism
        runtime_blis_ready = 1;
    }
    int n = n_threads > 0 ? n_threads : threads_from_env();
    runtime_threads = n;
    bli_thread_set_num_threads(n);
    omp_set_num_threads(n);
}

int pope_num_threads(void) {
    if (runtime_threads <= 0) pope_runtime_init(0);
    return runtime_threads;
}

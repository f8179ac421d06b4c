// clock.c — the monotonic clock every timing in pope reads (durations, rates, ETAs).
#include <time.h>

#include "pope.h"

double pope_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

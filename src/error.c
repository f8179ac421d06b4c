// error.c — the thread-local "last error" that every pope library reports through.
#include <stdarg.h>
#include <stdio.h>

#include "pope.h"

static _Thread_local char last_error[1024];

const char *pope_last_error(void) { return last_error; }

int pope_error(const char *fmt, ...) {
    char buf[sizeof last_error];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);  // fmt may mention pope_last_error(): format first
    va_end(ap);
    snprintf(last_error, sizeof last_error, "%s", buf);
    return -1;
}

// meter.c — the progress line of a pass over data (eval, extrapolate, generate, tokenize,
// the Markov baseline): "LABEL: done/total UNIT  rate UNIT/s  elapsed  ETA left".
//
// On a terminal the line is rewritten in place, at most twice a second, and cleared at the
// end; elsewhere (a log file) one line per 10% of the total, and only once the pass has run
// for `quiet_s` seconds, so that short passes leave nothing in logs.
#include <stdio.h>
#include <unistd.h>

#include "pipeline_internal.h"

int pipeline_isatty_stderr(void) { return isatty(fileno(stderr)); }

// done per second over `elapsed` seconds (returned), the elapsed time and the ETA of the rest
// of `total`, formatted into took and eta (32 bytes each).
static double progress_rate(int64_t done, int64_t total, double elapsed, char *took, char *eta) {
    double rate = elapsed > 0 ? (double)done / elapsed : 0;
    pope_format_duration(elapsed, took, 32);
    pope_format_duration(rate > 0 ? (double)(total - done) / rate : 0, eta, 32);
    return rate;
}

void pope_meter_begin(pope_meter *m, int on, const char *label, const char *unit, int64_t total) {
    *m = (pope_meter){.on = on && total > 0, .tty = pipeline_isatty_stderr(), .out = stderr, .label = label,
                      .unit = unit, .total = total, .quiet_s = 10.0, .t0 = pope_now()};
}

void pope_meter_update(pope_meter *m, int64_t done) {
    if (!m->on) return;
    if (done > m->total) done = m->total;
    double now = pope_now(), el = now - m->t0;
    int tty_due = m->tty && now - m->last >= 0.5;
    int line_due = !m->tty && done * 10 / m->total > m->decile && el >= m->quiet_s;
    if (!tty_due && !line_due) return;
    char took[32], eta[32];
    double rate = progress_rate(done, m->total, el, took, eta);
    if (tty_due) {
        m->last = now;
        m->shown = 1;
    } else {
        m->decile = done * 10 / m->total;
    }
    fprintf(m->out, "%s%s: %lld/%lld %s  %.*f %s/s  %s  ETA %s%s", tty_due ? "\r\033[K" : "", m->label, (long long)done,
            (long long)m->total, m->unit, rate < 10 ? 2 : 0, rate, m->unit, took, eta, tty_due ? "" : "\n");
    fflush(m->out);
}

void pope_meter_end(pope_meter *m) {
    if (m->on && m->tty && m->shown) fputs("\r\033[K", m->out);
    m->on = 0;
}

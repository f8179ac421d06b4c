// roll_svg.c — a piano-roll picture of a piece: time to the right, pitch upwards, one
// rectangle per note (colour by channel/voice, opacity by velocity), a line at every C.
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "music_cli.h"

#define W 1200.0      // plot area
#define H 560.0
#define LEFT 56.0
#define TOP 36.0

static double nice_step(double range, int target) {
    double raw = range / target, p = pow(10, floor(log10(raw)));
    double m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

static void xml_escape(FILE *f, const char *s) {
    for (; *s; s++) {
        if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '&') fputs("&amp;", f);
        else if (*s == '"') fputs("&quot;", f);
        else fputc(*s, f);
    }
}

int music_roll_svg(const char *path, const pope_midi *m, const char *title) {
    static const char *const colors[16] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
                                           "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#1f77b4", "#d62728",
                                           "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};
    pope_atomic a;
    if (pope_atomic_begin(&a, path, "w") != 0) return -1;
    FILE *f = a.f;
    int lo = 127, hi = 0;
    double dur = 0;
    for (size_t i = 0; i < m->n_notes; i++) {
        if (m->notes[i].pitch < lo) lo = m->notes[i].pitch;
        if (m->notes[i].pitch > hi) hi = m->notes[i].pitch;
        if (m->notes[i].end > dur) dur = m->notes[i].end;
    }
    if (m->n_notes == 0) lo = 48, hi = 72;
    lo = lo - 2 < 0 ? 0 : lo - 2;
    hi = hi + 2 > 127 ? 127 : hi + 2;
    if (dur <= 0) dur = 1;
    double row = H / (hi - lo + 1);
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
               "font-family=\"sans-serif\" font-size=\"12\">\n", LEFT + W + 16, TOP + H + 40, LEFT + W + 16, TOP + H + 40);
    fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n<text x=\"%.0f\" y=\"22\" font-size=\"14\">", LEFT);
    xml_escape(f, title ? title : "");
    fprintf(f, " (%zu notes, %.1f s)</text>\n", m->n_notes, dur);
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fafafa\" stroke=\"#999\"/>\n", LEFT, TOP, W, H);
    for (int p = lo; p <= hi; p++) {   // black keys shaded, a labelled line at every C
        int pc = p % 12;
        double y = TOP + (hi - p) * row;
        if (pc == 1 || pc == 3 || pc == 6 || pc == 8 || pc == 10)
            fprintf(f, "<rect x=\"%.1f\" y=\"%.2f\" width=\"%.1f\" height=\"%.2f\" fill=\"#eee\"/>\n", LEFT, y, W, row);
        if (pc == 0) {
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.2f\" x2=\"%.1f\" y2=\"%.2f\" stroke=\"#bbb\"/>\n", LEFT, y + row, LEFT + W, y + row);
            fprintf(f, "<text x=\"%.1f\" y=\"%.2f\" text-anchor=\"end\">C%d</text>\n", LEFT - 4, y + row, p / 12 - 1);
        }
    }
    double step = nice_step(dur, 12);
    for (double t = 0; t <= dur + 1e-9; t += step) {
        double x = LEFT + t / dur * W;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", x, TOP, x, TOP + H);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n", x, TOP + H + 16, t);
    }
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">time (s)</text>\n", LEFT + W / 2, TOP + H + 34);
    for (size_t i = 0; i < m->n_notes; i++) {
        const pope_note *n = &m->notes[i];
        double x = LEFT + n->start / dur * W, w = (n->end - n->start) / dur * W;
        double y = TOP + (hi - n->pitch) * row;
        fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\" fill-opacity=\"%.2f\"/>\n", x, y,
                w < 0.5 ? 0.5 : w, row, colors[n->channel & 15], 0.35 + 0.65 * n->velocity / 127.0);
    }
    fputs("</svg>\n", f);
    return pope_atomic_commit(&a, 0);
}

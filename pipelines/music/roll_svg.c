// roll_svg.c — a piano-roll picture of a piece: time to the right, pitch upwards, one
// rectangle per note (colour by channel/voice, opacity by velocity), a line at every C, a
// legend of the colours, a dashed line where the prompt ends; two voices on one pitch at
// once (a unison) share the row as two half-height bars, so that neither hides the other.
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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

// For each note, 0 (alone), 1 (the lower channel of a unison: upper half of the row) or 2
// (the higher: lower half). Notes bucketed by pitch, so the cost is the overlaps, not n².
static unsigned char *unison_halves(const pope_midi *m) {
    unsigned char *half = calloc(m->n_notes ? m->n_notes : 1, 1);
    size_t *order = malloc((m->n_notes ? m->n_notes : 1) * sizeof *order), count[129] = {0};
    if (!half || !order) { free(half); free(order); return NULL; }
    for (size_t i = 0; i < m->n_notes; i++) count[m->notes[i].pitch + 1]++;
    for (int p = 0; p < 128; p++) count[p + 1] += count[p];
    size_t fill[128];
    memcpy(fill, count, sizeof fill);
    for (size_t i = 0; i < m->n_notes; i++) order[fill[m->notes[i].pitch]++] = i;   // by start within a pitch
    for (int p = 0; p < 128; p++)
        for (size_t a = count[p]; a < count[p + 1]; a++)
            for (size_t b = a + 1; b < count[p + 1]; b++) {
                const pope_note *x = &m->notes[order[a]], *y = &m->notes[order[b]];
                if (y->start >= x->end) break;
                if (x->channel == y->channel) continue;
                int x_low = x->channel < y->channel;
                half[order[a]] = x_low ? 1 : 2;
                half[order[b]] = x_low ? 2 : 1;
            }
    free(order);
    return half;
}

int music_roll_svg(const char *path, const pope_midi *m, const char *title, const char *const *voice_names,
                   double prompt_end) {
    static const char *const colors[16] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
                                           "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#1f77b4", "#d62728",
                                           "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};
    unsigned char *half = unison_halves(m);
    if (!half) return pope_error("%s: out of memory", path);
    pope_atomic a;
    if (pope_atomic_begin(&a, path, "w") != 0) { free(half); return -1; }
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
    unsigned used = 0;
    for (size_t i = 0; i < m->n_notes; i++) {
        const pope_note *n = &m->notes[i];
        double x = LEFT + n->start / dur * W, w = (n->end - n->start) / dur * W;
        double y = TOP + (hi - n->pitch) * row, h = half[i] ? row / 2 : row;
        if (half[i] == 2) y += row / 2;
        used |= 1u << (n->channel & 15);
        fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\" fill-opacity=\"%.2f\"/>\n", x, y,
                w < 0.5 ? 0.5 : w, h, colors[n->channel & 15], 0.35 + 0.65 * n->velocity / 127.0);
    }
    if (prompt_end > 0 && prompt_end < dur) {
        double x = LEFT + prompt_end / dur * W;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\" stroke-dasharray=\"6 4\"/>\n"
                   "<text x=\"%.1f\" y=\"%.1f\">prompt | generated</text>\n", x, TOP, x, TOP + H, x + 4, TOP + 12);
    }
    double lx = LEFT + W;   // the legend, right-aligned above the plot
    for (int c = 15; c >= 0; c--) {
        if (!(used & (1u << c))) continue;
        char label[32];
        if (voice_names && c < 4 && voice_names[c]) snprintf(label, sizeof label, "%s", voice_names[c]);
        else snprintf(label, sizeof label, "channel %d", c + 1);
        lx -= 12 + 7.0 * (double)strlen(label) + 14;
        fprintf(f, "<rect x=\"%.1f\" y=\"12\" width=\"12\" height=\"12\" fill=\"%s\"/><text x=\"%.1f\" y=\"22\">%s</text>\n",
                lx, colors[c], lx + 16, label);
    }
    fputs("</svg>\n", f);
    free(half);
    return pope_atomic_commit(&a, 0);
}

const char *const *music_voice_names(pope_music_tok tok) {
    static const char *const satb[4] = {"soprano", "alto", "tenor", "bass"};
    return tok == POPE_TOK_JSB ? satb : NULL;
}

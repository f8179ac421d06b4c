// svg.c — a small, dependency-free SVG line-chart writer for training curves and
// extrapolation plots: axes with "nice" ticks (1, 2, 5 × 10^k; powers of two on a log2
// axis), labels, a legend, one <path class="series"> per series.
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pope_pipeline.h"

enum { W = 820, H = 480, ML = 78, MR = 180, MT = 44, MB = 58 };
static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

static void put_escaped(FILE *f, const char *s) {
    for (; s && *s; s++) {
        if (*s == '&') fputs("&amp;", f);
        else if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '"') fputs("&quot;", f);
        else fputc(*s, f);
    }
}

// A step of 1, 2 or 5 × 10^k giving about `n` intervals over `span`.
static double nice_step(double span, int n) {
    double raw = span / n;
    double mag = pow(10, floor(log10(raw)));
    double r = raw / mag;
    return (r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10) * mag;
}

static void fmt_num(char *buf, size_t size, double v) {
    if (v == 0) snprintf(buf, size, "0");
    else if (fabs(v) >= 1e5 || fabs(v) < 1e-3) snprintf(buf, size, "%.3g", v);
    else snprintf(buf, size, "%.6g", v);
}

int pope_svg_line_chart(const char *path, const pope_chart *chart, const pope_series *s, int n_series) {
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    int log_x = chart->log_x;
    for (int k = 0; k < n_series; k++)
        for (int i = 0; i < s[k].n; i++) {
            double x = s[k].x[i], y = s[k].y[i];
            if (!isfinite(x) || !isfinite(y) || (log_x && x <= 0)) continue;
            if (log_x) x = log2(x);
            x0 = fmin(x0, x), x1 = fmax(x1, x), y0 = fmin(y0, y), y1 = fmax(y1, y);
        }
    int empty = !(x0 <= x1);
    if (empty) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
    if (x1 == x0) x0 -= 0.5, x1 += 0.5;
    if (y1 == y0) y0 -= 0.5, y1 += 0.5;
    double pad = (y1 - y0) * 0.04;
    int nonneg = y0 >= 0;   // losses: keep the axis from dipping below 0
    y0 -= pad, y1 += pad;
    if (nonneg && y0 < 0) y0 = 0;
    double ystep = nice_step(y1 - y0, 6);
    y0 = floor(y0 / ystep) * ystep, y1 = ceil(y1 / ystep) * ystep;
    double xstep = log_x ? 1 : nice_step(x1 - x0, 8);
    if (log_x) x0 = floor(x0), x1 = ceil(x1);
    else x0 = floor(x0 / xstep) * xstep, x1 = ceil(x1 / xstep) * xstep;
    if (log_x && x1 - x0 > 12) xstep = ceil((x1 - x0) / 12);
    const double pw = W - ML - MR, ph = H - MT - MB;
#define PX(x) (ML + ((log_x ? log2(x) : (x)) - x0) / (x1 - x0) * pw)
#define PY(y) (MT + (y1 - (y)) / (y1 - y0) * ph)

    pope_atomic a;
    if (pope_atomic_begin(&a, path, "w") != 0) return -1;
    FILE *f = a.f;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
               "font-family=\"sans-serif\" font-size=\"12\">\n", W, H, W, H);
    fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", W, H);
    fprintf(f, "<text x=\"%d\" y=\"24\" font-size=\"15\" text-anchor=\"middle\">", ML + (int)pw / 2);
    put_escaped(f, chart->title);
    fputs("</text>\n", f);
    // grid and ticks
    char num[32];
    for (double y = y0; y <= y1 + ystep * 1e-6; y += ystep) {
        double py = PY(y);
        fmt_num(num, sizeof num, fabs(y) < ystep * 1e-9 ? 0 : y);
        fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>"
                   "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                ML, py, ML + pw, py, ML - 6, py + 4, num);
    }
    for (double x = x0; x <= x1 + xstep * 1e-6; x += xstep) {
        double px = ML + (x - x0) / (x1 - x0) * pw;
        fmt_num(num, sizeof num, log_x ? exp2(x) : (fabs(x) < xstep * 1e-9 ? 0 : x));
        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                px, MT, px, MT + ph, px, MT + ph + 16, num);
    }
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"black\"/>\n",
            ML, MT, pw, ph);
    fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">", ML + pw / 2, H - 14);
    put_escaped(f, chart->xlabel);
    fprintf(f, "</text>\n<text x=\"18\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 18 %.1f)\">",
            MT + ph / 2, MT + ph / 2);
    put_escaped(f, chart->ylabel);
    fputs("</text>\n", f);
    if (empty)
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#888\">no data</text>\n",
                ML + pw / 2, MT + ph / 2);
    // series; long ones (100k training steps) are drawn as the means of consecutive groups
    // of points so that the file stays small: at most MAX_POINTS points per path
    enum { MAX_POINTS = 2000 };
    for (int k = 0; k < n_series; k++) {
        const char *color = palette[k % 10];
        int group = s[k].n > MAX_POINTS ? (s[k].n + MAX_POINTS - 1) / MAX_POINTS : 1;
        fprintf(f, "<path class=\"series\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\"%s d=\"", color,
                s[k].dashed ? " stroke-dasharray=\"5,3\"" : "");
        int pen = 0;
        for (int g = 0; g * group < s[k].n; g++) {
            double sx = 0, sy = 0;
            int cnt = 0;
            for (int i = g * group; i < s[k].n && i < (g + 1) * group; i++) {
                double x = s[k].x[i], y = s[k].y[i];
                if (!isfinite(x) || !isfinite(y) || (log_x && x <= 0)) continue;
                sx += x, sy += y, cnt++;
            }
            if (!cnt) {
                pen = 0;   // a gap
                continue;
            }
            fprintf(f, "%s%.1f %.1f", pen ? " L" : (g ? " M" : "M"), PX(sx / cnt), PY(sy / cnt));
            pen = 1;
        }
        fputs("\"/>\n", f);
        if (group <= 1 && (s[k].dashed || s[k].n <= 40))
            for (int i = 0; i < s[k].n; i++) {
                double x = s[k].x[i], y = s[k].y[i];
                if (!isfinite(x) || !isfinite(y) || (log_x && x <= 0)) continue;
                fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>\n", PX(x), PY(y), color);
            }
        // legend entry
        double ly = MT + 10 + 20 * k;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"%s/>"
                   "<text x=\"%.1f\" y=\"%.1f\">", ML + pw + 12, ly, ML + pw + 36, ly, color,
                s[k].dashed ? " stroke-dasharray=\"5,3\"" : "", ML + pw + 42, ly + 4);
        put_escaped(f, s[k].name);
        fputs("</text>\n", f);
    }
    fputs("</svg>\n", f);
    return pope_atomic_commit(&a, 0);
#undef PX
#undef PY
}

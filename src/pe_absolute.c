// pe_absolute.c — the absolute position tables added to the token embeddings.
#include <math.h>

#include "ops.h"

// pe (T,C): PE[pos,2i] = sin(pos / 10000^(2i/C)), PE[pos,2i+1] = cos(pos / 10000^(2i/C)),
// pos = pos0 + t, computed in double.
void pe_sinusoidal_table(float *pe, int pos0, int T, int C) {
    #pragma omp parallel for schedule(static)
    for (int t = 0; t < T; t++) {
        const double pos = (double)pos0 + t;
        float *row = pe + (size_t)t * C;
        for (int c = 0; c < C; c += 2) {
            const double a = pos / pow(10000.0, (double)c / C);
            row[c] = (float)sin(a);
            if (c + 1 < C) row[c + 1] = (float)cos(a);
        }
    }
}

// pe (T,C): PE[pos,i] = P_pos(x_i), Legendre polynomial of order pos = pos0 + t, by the
// three-term recurrence (n+1)·P_{n+1} = (2n+1)·x·P_n − n·P_{n−1} in double, run from
// P_0 = 1, P_1 = x for each column (O(pos0 + T) per column).
// Grid: endpoint x_i = −1 + 2i/C, midpoint x_i = −1 + (2i+1)/C.
void pe_legendre_table(float *pe, int pos0, int T, int C, pope_legendre_grid grid) {
    #pragma omp parallel for schedule(static)
    for (int i = 0; i < C; i++) {
        const double x = grid == POPE_GRID_MIDPOINT ? -1.0 + (2.0 * i + 1.0) / C
                                                    : -1.0 + 2.0 * i / C;
        double p_prev = 0.0, p = 1.0;  // P_{n-1}, P_n at n = 0 (P_{-1} unused)
        const long last = (long)pos0 + T - 1;
        for (long n = 0; n <= last; n++) {
            if (n >= pos0) pe[(size_t)(n - pos0) * C + i] = (float)p;
            const double p_next = n == 0 ? x : ((2.0 * n + 1.0) * x * p - (double)n * p_prev) / (n + 1.0);
            p_prev = p;
            p = p_next;
        }
    }
}

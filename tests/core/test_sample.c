// test_sample.c — temperature, top-k, top-p sampling: argmax at temperature 0, never
// outside the top k, nucleus kept, frequencies close to softmax(logits / temperature),
// deterministic in the RNG.
#include <math.h>
#include <string.h>

#include "check.h"
#include "pope.h"

#define V 8
#define DRAWS 200000

int main(void) {
    const float logits[V] = {0.5f, 2.0f, -1.0f, 1.5f, 0.0f, 1.0f, -3.0f, 2.0f};
    pope_rng rng;
    pope_rng_seed(&rng, 17);

    // temperature <= 0: argmax, lowest index among ties (1 and 7 tie at 2.0)
    CHECK(pope_sample(logits, V, 0.0f, 0, 1.0f, &rng) == 1, "argmax");
    CHECK(pope_sample(logits, V, -1.0f, 3, 0.5f, &rng) == 1, "argmax ignores top-k/top-p");

    // full softmax at temperature 0.7: frequencies within 5 standard errors
    for (int pass = 0; pass < 2; pass++) {
        float temp = pass ? 0.7f : 1.0f;
        double p[V], z = 0.0;
        for (int i = 0; i < V; i++) z += p[i] = exp(logits[i] / temp);
        int count[V] = {0}, bad = 0;
        for (int d = 0; d < DRAWS; d++) {
            int32_t t = pope_sample(logits, V, temp, 0, 1.0f, &rng);
            if (t >= 0 && t < V) count[t]++;
            else bad++;
        }
        CHECK(bad == 0, "%d tokens outside [0, V)", bad);
        for (int i = 0; i < V; i++) {
            double want = p[i] / z, got = (double)count[i] / DRAWS;
            double se = sqrt(want * (1 - want) / DRAWS);
            CHECK(fabs(got - want) <= 5 * se + 1e-4, "T=%g token %d: frequency %.4f, softmax %.4f",
                  temp, i, got, want);
        }
    }

    // top-k = 3: only tokens 1, 7 (2.0) and 3 (1.5); renormalised softmax over them
    {
        int count[V] = {0};
        for (int d = 0; d < 30000; d++) count[pope_sample(logits, V, 1.0f, 3, 1.0f, &rng)]++;
        for (int i = 0; i < V; i++)
            if (i != 1 && i != 7 && i != 3) CHECK(count[i] == 0, "top-k 3 drew token %d", i);
        double w3 = exp(1.5 - 2.0), want3 = w3 / (2 + w3);
        CHECK(fabs(count[3] / 30000.0 - want3) < 0.02, "top-k 3: token 3 at %.3f, want %.3f",
              count[3] / 30000.0, want3);
    }
    // top-p: probabilities sorted are ~0.30, 0.30, 0.18, 0.11, ...: p = 0.5 keeps {1, 7},
    // p = 0.7 keeps {1, 7, 3}
    {
        int count[V] = {0};
        for (int d = 0; d < 20000; d++) count[pope_sample(logits, V, 1.0f, 0, 0.5f, &rng)]++;
        for (int i = 0; i < V; i++)
            if (i != 1 && i != 7) CHECK(count[i] == 0, "top-p 0.5 drew token %d", i);
        CHECK(count[1] > 9000 && count[7] > 9000, "top-p 0.5: %d / %d", count[1], count[7]);
        memset(count, 0, sizeof count);
        for (int d = 0; d < 20000; d++) count[pope_sample(logits, V, 1.0f, 0, 0.7f, &rng)]++;
        for (int i = 0; i < V; i++)
            if (i != 1 && i != 7 && i != 3) CHECK(count[i] == 0, "top-p 0.7 drew token %d", i);
        CHECK(count[3] > 2000, "top-p 0.7 never drew token 3 (%d)", count[3]);
        memset(count, 0, sizeof count);
        // top-k and top-p together: k = 2 then p = 0.4 of those two -> token 1 only... 1 and 7
        // tie, so the mass of the first (token 1) is 0.5 >= 0.4: only token 1
        for (int d = 0; d < 2000; d++) count[pope_sample(logits, V, 1.0f, 2, 0.4f, &rng)]++;
        CHECK(count[1] == 2000, "top-k 2 + top-p 0.4: token 1 drawn %d of 2000", count[1]);
    }
    // deterministic in the RNG state
    {
        pope_rng a, b;
        pope_rng_seed(&a, 5);
        pope_rng_seed(&b, 5);
        int same = 1;
        for (int d = 0; d < 1000; d++)
            same &= pope_sample(logits, V, 1.3f, 5, 0.9f, &a) == pope_sample(logits, V, 1.3f, 5, 0.9f, &b);
        CHECK(same, "same seed, different draws");
    }
    CHECK(pope_sample(logits, 0, 1.0f, 0, 1.0f, &rng) == -1, "V = 0 accepted");
    return check_summary("test_sample");
}

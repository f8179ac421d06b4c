// test_dist.c — the rank interface (pipelines/common/dist.h) under `mpirun -np 2` (CTest
// test_dist_2ranks) and started plainly (test_dist, one rank): sums, the weight-checksum
// comparison that must fail when the ranks disagree, eval-result reduction, round-robin
// sharing. Expected values are written from the rank numbers, not from the code.
#include <string.h>

#include "check.h"
#include "dist.h"
#include "pipeline_internal.h"

int main(int argc, char **argv) {
    if (dist_init(&argc, &argv) != 0) {
        fprintf(stderr, "dist_init: %s\n", pope_last_error());
        return 1;
    }
    const int r = dist_rank(), N = dist_size();
    CHECK(N == atoi(getenv("POPE_TEST_RANKS") ? getenv("POPE_TEST_RANKS") : "1"), "size %d", N);
    CHECK(r >= 0 && r < N && dist_is_root() == (r == 0), "rank %d of %d", r, N);

    // sums: rank r contributes r+1 (and r+1 + 0.5 / 2^31 for the 64-bit ones)
    float f[3] = {(float)(r + 1), 1.0f, -(float)r};
    double d[2] = {r + 1.0, 0.25};
    int64_t k[2] = {(int64_t)(r + 1) << 33, 1};
    CHECK(dist_allreduce_sum_f32(f, 3) == 0 && dist_allreduce_sum_f64(d, 2) == 0 && dist_allreduce_sum_i64(k, 2) == 0,
          "allreduce: %s", pope_last_error());
    double tri = N * (N + 1) / 2.0;   // 1 + 2 + ... + N
    CHECK(f[0] == (float)tri && f[1] == (float)N && f[2] == -(float)(tri - N), "f32 sums %g %g %g", f[0], f[1], f[2]);
    CHECK(d[0] == tri && d[1] == 0.25 * N, "f64 sums %g %g", d[0], d[1]);
    CHECK(k[0] == (int64_t)tri << 33 && k[1] == N, "i64 sums %lld %lld", (long long)k[0], (long long)k[1]);

    // bcast from the last rank
    uint64_t v = r == N - 1 ? 0xFEEDFACECAFEBEEFull : 0;
    CHECK(dist_bcast(&v, sizeof v, N - 1) == 0 && v == 0xFEEDFACECAFEBEEFull, "bcast %llx", (unsigned long long)v);
    CHECK(dist_barrier() == 0, "barrier");

    // the comparison the trainer makes every K steps: equal values agree, different ones do not
    CHECK(dist_same_u64(42) == 1, "same values agree");
    CHECK(dist_same_u64(r == 0 ? 1 : 2) == (N == 1), "different values must disagree (N=%d)", N);

    // eval results: rank r holds targets r+1, NLL sum 2(r+1), bucket 1 count r+1
    pope_eval_result e;
    CHECK(eval_result_init(&e, 8, 4, 8) == 0 && e.n_buckets == 2, "eval_result_init");
    e.nll_sum = 2.0 * (r + 1), e.targets = r + 1, e.windows = 1;
    e.bucket_nll[1] = 2.0 * (r + 1), e.bucket_count[1] = r + 1;
    CHECK(dist_reduce_eval_result(&e) == 0, "reduce: %s", pope_last_error());
    CHECK(e.targets == (int64_t)tri && e.windows == N && e.nll_sum == 2 * tri && e.nll == 2.0, "reduced %lld %g %g",
          (long long)e.targets, e.nll_sum, e.nll);
    CHECK(e.bucket_count[0] == 0 && e.bucket_count[1] == (int64_t)tri && e.bucket_nll[1] == 2 * tri, "buckets");
    pope_eval_result_free(&e);

    // round-robin: each of 10 items belongs to exactly one rank, item i to rank i mod N
    int64_t mine[10] = {0};
    for (int i = 0; i < 10; i++) mine[i] = dist_mine(i) ? 1 : 0;
    CHECK(dist_allreduce_sum_i64(mine, 10) == 0, "allreduce");
    for (int i = 0; i < 10; i++) CHECK(mine[i] == 1, "item %d owned by %lld ranks", i, (long long)mine[i]);
    CHECK(dist_mine(r) && (N == 1 || !dist_mine(r + 1)), "item r is rank r's");

    // weights: same seed, same checksum; one changed bit changes it
    pope_config cfg;
    pope_config_default(&cfg);
    cfg.vocab_size = 8, cfg.d_model = 8, cfg.n_layers = 1, cfg.n_heads = 2, cfg.context_length = 8;
    pope_model *m = pope_model_new(&cfg, 7);
    CHECK(m && dist_check_weights(m, 0) == 0, "same weights agree");
    uint64_t h0 = dist_weights_checksum(m);
    pope_tensor t = pope_model_tensor(m, 0);
    if (r == N - 1) t.data[0] = nextafterf(t.data[0], 1.0f);
    CHECK(dist_weights_checksum(m) != h0 || r != N - 1, "one ulp changes the checksum");
    int bad = dist_check_weights(m, 5);
    CHECK(N == 1 ? bad == 0 : bad != 0 && strstr(pope_last_error(), "disagree on the weights at step 5"),
          "a changed weight on one rank is an error (%s)", bad ? pope_last_error() : "none");
    // gradients: rank r's are all r+1; the sum is the triangle number everywhere
    int nt = pope_model_num_tensors(m);
    for (int i = 0; i < nt; i++) {
        pope_tensor ti = pope_model_tensor(m, i);
        for (size_t j = 0; j < ti.numel; j++) ti.grad[j] = (float)(r + 1);
    }
    float *flat = NULL;
    size_t cap = 0;
    CHECK(dist_sum_grads(m, &flat, &cap) == 0, "sum grads");
    int ok = 1;
    for (int i = 0; i < nt; i++) {
        pope_tensor ti = pope_model_tensor(m, i);
        for (size_t j = 0; j < ti.numel; j++) ok &= ti.grad[j] == (float)tri;
    }
    CHECK(ok, "every gradient is the sum over the ranks");
    free(flat);
    pope_model_free(m);
    return dist_finish(check_summary(r == 0 ? "test_dist" : "test_dist (rank > 0)"));
}

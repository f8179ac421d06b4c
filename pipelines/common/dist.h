// dist.h — data-parallel ranks for libpope_pipeline (docs/SCALING.md), behind one small
// interface so that train, eval, extrapolate and bench make the same calls with or without
// MPI. Built with MPI (CMake POPE_MPI, POPE_HAVE_MPI) the program is rank r of N when a
// launcher started it (mpirun, srun); started plainly, or built without MPI, it is rank 0
// of 1 and every collective below is a no-op. The core (src/) knows nothing of ranks.
#ifndef POPE_DIST_H
#define POPE_DIST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pope_pipeline.h"

// MPI_Init when a launcher started the process (its environment says so). Ranks > 0 then
// send stdout and stderr to /dev/null: rank 0 alone prints; their own errors still reach
// the terminal through dist_stderr(). -1 + pope_error when MPI fails to start.
int dist_init(int *argc, char ***argv);
// The end of the program with exit status `status`: MPI_Finalize, or, for a failure on
// any rank of a multi-rank job (status other than 0, 2 = usage, 130 = interrupted, which
// every rank reaches together), MPI_Abort so that the other ranks do not wait for it.
// Returns status.
int dist_finish(int status);

int dist_rank(void);         // 0 when not distributed
int dist_size(void);         // 1 when not distributed
int dist_is_root(void);      // rank 0: the rank that prints and writes files
// Threads per rank when neither --threads nor OMP_NUM_THREADS says: the cores this rank
// may run on, divided among the ranks sharing its node (0 = the runtime's own default).
int dist_default_threads(void);
// The real stderr (ranks > 0 have theirs sent to /dev/null).
FILE *dist_stderr(void);

// Element-wise sums over all ranks, in place, the same result on every rank. 0 or -1.
int dist_allreduce_sum_f32(float *buf, size_t n);
int dist_allreduce_sum_f64(double *buf, size_t n);
int dist_allreduce_sum_i64(int64_t *buf, size_t n);
// Copies root's `bytes` bytes at buf to every rank.
int dist_bcast(void *buf, size_t bytes, int root);
int dist_barrier(void);
// 1 when every rank passed the same v (a collective: every rank must call it).
int dist_same_u64(uint64_t v);
// Seconds spent in dist_allreduce_* so far on this rank (the bench's communication share).
double dist_comm_seconds(void);

// ---- built on the calls above (dist_model.c)
// Sums the model's gradients over the ranks (one flat fp32 buffer, *flat grown as needed).
int dist_sum_grads(pope_model *m, float **flat, size_t *cap);
// A 64-bit hash of the bits of every weight: equal on all ranks while they stay in step.
uint64_t dist_weights_checksum(pope_model *m);
// -1 with "ranks disagree on the weights at step S" unless every rank's checksum agrees.
int dist_check_weights(pope_model *m, int64_t step);
// Sums an eval result's counts and NLL sums (overall and per bucket) over the ranks and
// recomputes its mean NLL, so that sharded windows give the one-rank numbers.
int dist_reduce_eval_result(pope_eval_result *r);
// Whether this rank scores item `i` (windows, regions) of a list shared out round-robin.
int dist_mine(int64_t i);

#endif

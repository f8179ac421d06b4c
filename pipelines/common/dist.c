// dist.c — the rank interface of dist.h: Open MPI when built with it (POPE_HAVE_MPI) and
// started by a launcher, otherwise one process of one rank.
#define _GNU_SOURCE   // sched_getaffinity
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dist.h"
#include "pipeline_internal.h"

#ifdef POPE_HAVE_MPI
#include <mpi.h>
#endif

static int g_rank = 0, g_size = 1, g_local = 1;
static FILE *g_err;   // the real stderr of a rank > 0
static double g_comm_s;

int dist_rank(void) { return g_rank; }
int dist_size(void) { return g_size; }
int dist_is_root(void) { return g_rank == 0; }
FILE *dist_stderr(void) { return g_err ? g_err : stderr; }
double dist_comm_seconds(void) { return g_comm_s; }
int dist_mine(int64_t i) { return i % g_size == g_rank; }

int dist_default_threads(void) {
    if (g_size == 1 || getenv("OMP_NUM_THREADS")) return 0;
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    int share = online > 0 ? (int)(online / g_local) : 1;
    cpu_set_t set;   // a rank bound to fewer cores (--bind-to core) gets those
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) < share) share = CPU_COUNT(&set);
    return share > 0 ? share : 1;
}

#ifdef POPE_HAVE_MPI
static int g_mpi;   // MPI_Init was called

// Launchers that start ranks set one of these; a plain start sets none, and then the
// program does not pay MPI's start-up (nor need a launcher's environment at all).
static int started_by_launcher(void) {
    static const char *vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE", NULL};
    for (int i = 0; vars[i]; i++)
        if (getenv(vars[i])) return 1;
    return 0;
}

static int mpi_failed(const char *what, int code) {
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(code, msg, &len);
    return pope_error("MPI: %s: %s", what, msg);
}

int dist_init(int *argc, char ***argv) {
    if (!started_by_launcher()) return 0;
    int code = MPI_Init(argc, argv);
    if (code != MPI_SUCCESS) return pope_error("MPI: MPI_Init failed (error %d)", code);
    g_mpi = 1;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    MPI_Comm node;   // the ranks sharing this node's memory: they share its cores
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) == MPI_SUCCESS) {
        MPI_Comm_size(node, &g_local);
        MPI_Comm_free(&node);
    }
    if (g_rank > 0) {   // rank 0 alone prints
        int fd = dup(STDERR_FILENO);
        g_err = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (g_err) setvbuf(g_err, NULL, _IOLBF, 0);
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) { /* keep them */ }
    }
    return 0;
}

int dist_finish(int status) {
    if (!g_mpi) return status;
    fflush(stdout);
    fflush(stderr);
    if (g_err) fflush(g_err);
    if (g_size > 1 && status != 0 && status != 2 && status != 130) MPI_Abort(MPI_COMM_WORLD, status);
    MPI_Finalize();
    return status;
}

// MPI counts are int: large buffers go in pieces.
enum { CHUNK = 1 << 28 };

static int allreduce(void *buf, size_t n, size_t elem, MPI_Datatype type, const char *what) {
    if (g_size == 1) return 0;
    double t0 = pope_now();
    for (size_t off = 0; off < n; off += CHUNK) {
        int cnt = (int)(n - off < CHUNK ? n - off : CHUNK);
        int code = MPI_Allreduce(MPI_IN_PLACE, (char *)buf + off * elem, cnt, type, MPI_SUM, MPI_COMM_WORLD);
        if (code != MPI_SUCCESS) return mpi_failed(what, code);
    }
    g_comm_s += pope_now() - t0;
    return 0;
}

int dist_allreduce_sum_f32(float *buf, size_t n) { return allreduce(buf, n, sizeof *buf, MPI_FLOAT, "allreduce"); }
int dist_allreduce_sum_f64(double *buf, size_t n) { return allreduce(buf, n, sizeof *buf, MPI_DOUBLE, "allreduce"); }
int dist_allreduce_sum_i64(int64_t *buf, size_t n) { return allreduce(buf, n, sizeof *buf, MPI_INT64_T, "allreduce"); }

int dist_bcast(void *buf, size_t bytes, int root) {
    if (g_size == 1) return 0;
    for (size_t off = 0; off < bytes; off += CHUNK) {
        int cnt = (int)(bytes - off < CHUNK ? bytes - off : CHUNK);
        int code = MPI_Bcast((char *)buf + off, cnt, MPI_BYTE, root, MPI_COMM_WORLD);
        if (code != MPI_SUCCESS) return mpi_failed("bcast", code);
    }
    return 0;
}

int dist_barrier(void) {
    if (g_size == 1) return 0;
    int code = MPI_Barrier(MPI_COMM_WORLD);
    return code == MPI_SUCCESS ? 0 : mpi_failed("barrier", code);
}

int dist_same_u64(uint64_t v) {
    if (g_size == 1) return 1;
    uint64_t lo = v, hi = v;
    if (MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD) != MPI_SUCCESS ||
        MPI_Allreduce(MPI_IN_PLACE, &hi, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD) != MPI_SUCCESS)
        return 0;
    return lo == hi;
}

#else   // ---------------------------------------------------------------- no MPI: one rank
int dist_init(int *argc, char ***argv) {
    (void)argc, (void)argv;
    return 0;
}
int dist_finish(int status) { return status; }
int dist_allreduce_sum_f32(float *buf, size_t n) { return (void)buf, (void)n, 0; }
int dist_allreduce_sum_f64(double *buf, size_t n) { return (void)buf, (void)n, 0; }
int dist_allreduce_sum_i64(int64_t *buf, size_t n) { return (void)buf, (void)n, 0; }
int dist_bcast(void *buf, size_t bytes, int root) { return (void)buf, (void)bytes, (void)root, 0; }
int dist_barrier(void) { return 0; }
int dist_same_u64(uint64_t v) { return (void)v, 1; }
#endif

/* tune: a blocked, multithreaded matrix multiplication C = A x B (N x N doubles) whose
 * runtime depends on its two knobs: THREADS (cores used) and BLOCK (tile edge, which decides
 * how well the tiles fit the caches). The best pair differs between instance types, which is
 * what orchestrate's search (grid, random, bayes) is for.
 *
 *   tune [-n N] [-m METRIC_FILE] THREADS BLOCK
 *
 * Prints GFLOP/s; with -m writes -GFLOP/s to METRIC_FILE (benchmark_custom.txt: the
 * optimiser minimises, so a workload writes the negative of what it maximises). */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct matmul {
    size_t n, block;
    const double *a, *b;
    double *c;
} matmul;

typedef struct worker {
    pthread_t tid;
    const matmul *m;
    size_t row_lo, row_hi;   /* block rows [row_lo, row_hi) of C are this worker's */
} worker;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t min_sz(size_t a, size_t b)
{
    return a < b ? a : b;
}

/* C[i0.., j0..] += A[i0.., k0..] x B[k0.., j0..] for one tile triple. */
static void tile_multiply(const matmul *m, size_t i0, size_t j0, size_t k0)
{
    size_t n = m->n, ie = min_sz(i0 + m->block, n), je = min_sz(j0 + m->block, n),
           ke = min_sz(k0 + m->block, n);
    for (size_t i = i0; i < ie; i++) {
        double *crow = m->c + i * n;
        for (size_t k = k0; k < ke; k++) {
            double aik = m->a[i * n + k];
            const double *brow = m->b + k * n;
            for (size_t j = j0; j < je; j++)
                crow[j] += aik * brow[j];
        }
    }
}

static void *worker_main(void *arg)
{
    const worker *w = arg;
    const matmul *m = w->m;
    for (size_t i0 = w->row_lo; i0 < w->row_hi; i0 += m->block)
        for (size_t k0 = 0; k0 < m->n; k0 += m->block)
            for (size_t j0 = 0; j0 < m->n; j0 += m->block)
                tile_multiply(m, i0, j0, k0);
    return NULL;
}

/* Deals block rows out to the threads in contiguous, nearly equal shares. */
static int multiply(const matmul *m, int threads)
{
    size_t block_rows = (m->n + m->block - 1) / m->block;
    worker *w = calloc((size_t)threads, sizeof(*w));
    if (!w)
        return -1;
    int started = 0, rc = 0;
    for (int t = 0; t < threads; t++) {
        w[t].m = m;
        w[t].row_lo = min_sz(block_rows * (size_t)t / (size_t)threads * m->block, m->n);
        w[t].row_hi = min_sz(block_rows * (size_t)(t + 1) / (size_t)threads * m->block, m->n);
        if (pthread_create(&w[t].tid, NULL, worker_main, &w[t]) != 0) {
            rc = -1;
            break;
        }
        started++;
    }
    for (int t = 0; t < started; t++)
        pthread_join(w[t].tid, NULL);
    free(w);
    return rc;
}

static void fill(double *x, size_t count, unsigned seed)
{
    for (size_t i = 0; i < count; i++) {
        seed = seed * 1103515245u + 12345u;
        x[i] = (double)((seed >> 16) & 0x7fff) / 32768.0 - 0.5;
    }
}

/* Compares a few entries of C with directly computed dot products. */
static int spot_check(const matmul *m)
{
    size_t n = m->n;
    for (size_t s = 0; s < 16; s++) {
        size_t i = (s * 7919) % n, j = (s * 104729) % n;
        double want = 0;
        for (size_t k = 0; k < n; k++)
            want += m->a[i * n + k] * m->b[k * n + j];
        if (fabs(want - m->c[i * n + j]) > 1e-9 * (double)n)
            return -1;
    }
    return 0;
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int write_metric(const char *path, double value)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "%.6f\n", value);
    return fclose(f);
}

int main(int argc, char **argv)
{
    long n = 1024, threads, block;
    const char *metric_file = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "n:m:")) != -1) {
        if (opt == 'n' && parse_long(optarg, 1, 16384, &n) == 0)
            continue;
        if (opt == 'm') {
            metric_file = optarg;
            continue;
        }
        goto usage;
    }
    if (optind != argc - 2 || parse_long(argv[optind], 1, 1024, &threads) != 0 ||
        parse_long(argv[optind + 1], 1, 4096, &block) != 0)
        goto usage;
    size_t count = (size_t)n * (size_t)n;
    double *a = malloc(count * sizeof(double)), *b = malloc(count * sizeof(double)),
           *c = calloc(count, sizeof(double));
    int rc = 1;
    if (!a || !b || !c) {
        fprintf(stderr, "tune: out of memory for N=%ld\n", n);
        goto done;
    }
    fill(a, count, 1);
    fill(b, count, 2);
    matmul m = { (size_t)n, (size_t)block, a, b, c };
    double t0 = now_seconds();
    if (multiply(&m, (int)threads) != 0) {
        fprintf(stderr, "tune: cannot start %ld threads\n", threads);
        goto done;
    }
    double secs = now_seconds() - t0;
    if (secs < 1e-9)
        secs = 1e-9;   /* a clock too coarse for a tiny N: keep the metric finite */
    if (spot_check(&m) != 0) {
        fprintf(stderr, "tune: wrong result\n");
        goto done;
    }
    double gflops = 2.0 * (double)n * (double)n * (double)n / secs / 1e9;
    printf("N=%ld threads=%ld block=%ld: %.3f s, %.2f GFLOP/s\n", n, threads, block, secs,
           gflops);
    if (metric_file && write_metric(metric_file, -gflops) != 0) {
        fprintf(stderr, "tune: cannot write %s: %s\n", metric_file, strerror(errno));
        goto done;
    }
    rc = 0;
done:
    free(a);
    free(b);
    free(c);
    return rc;
usage:
    fprintf(stderr, "usage: tune [-n N] [-m METRIC_FILE] THREADS BLOCK\n");
    return 2;
}

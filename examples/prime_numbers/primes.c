/* primes: counts the primes up to LIMIT with a segmented sieve of Eratosthenes split over
 * THREADS threads. CPU-bound with a small, constant memory footprint (one segment per
 * thread), so its runtime tracks a machine's per-core speed and core count.
 *
 *   primes [-t THREADS] [-m METRIC_FILE] LIMIT
 *
 * Prints the count and the seconds spent; with -m, writes those seconds to METRIC_FILE
 * (benchmark_custom.txt: one number, lower is better) for monitor_system to pick up. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SEGMENT_BYTES (256u * 1024u)   /* fits in L2 on every current EC2 core */

typedef struct base_primes {
    uint32_t *p;
    size_t n;
} base_primes;

typedef struct worker {
    pthread_t tid;
    const base_primes *base;
    uint64_t lo, hi;     /* odd numbers in [lo, hi) are this worker's */
    uint64_t count;
} worker;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t isqrt64(uint64_t n)
{
    uint64_t r = 0;
    for (uint64_t bit = (uint64_t)1 << 62; bit; bit >>= 2) {
        if (n >= r + bit) {
            n -= r + bit;
            r = (r >> 1) + bit;
        } else {
            r >>= 1;
        }
    }
    return r;
}

/* Odd primes up to max by a plain sieve; the segments are sieved with these. */
static int sieve_base(uint64_t max, base_primes *out)
{
    char *composite = calloc(max + 1, 1);
    uint32_t *p = malloc(sizeof(*p) * (max / 2 + 1));
    if (!composite || !p) {
        free(composite);
        free(p);
        return -1;
    }
    size_t n = 0;
    for (uint64_t i = 3; i <= max; i += 2) {
        if (composite[i])
            continue;
        p[n++] = (uint32_t)i;
        for (uint64_t j = i * i; j <= max; j += 2 * i)
            composite[j] = 1;
    }
    free(composite);
    out->p = p;
    out->n = n;
    return 0;
}

/* Counts the odd primes in [lo, hi) (lo odd); seg holds one flag per odd number. */
static uint64_t sieve_segment(const base_primes *base, uint64_t lo, uint64_t hi, char *seg)
{
    size_t len = (size_t)((hi - lo + 1) / 2);
    memset(seg, 0, len);
    for (size_t k = 0; k < base->n; k++) {
        uint64_t p = base->p[k];
        if (p * p >= hi)
            break;
        uint64_t start = p * p;
        if (start < lo) {
            start = (lo + p - 1) / p * p;
            if (start % 2 == 0)
                start += p;
        }
        for (uint64_t m = start; m < hi; m += 2 * p)
            seg[(m - lo) / 2] = 1;
    }
    uint64_t count = 0;
    for (size_t i = 0; i < len; i++)
        count += !seg[i];
    if (lo == 1 && len > 0)
        count--;   /* 1 is not a prime */
    return count;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    char *seg = malloc(SEGMENT_BYTES);
    if (!seg)
        return (void *)1;
    for (uint64_t lo = w->lo; lo < w->hi; lo += 2 * (uint64_t)SEGMENT_BYTES) {
        uint64_t hi = lo + 2 * (uint64_t)SEGMENT_BYTES;
        if (hi > w->hi)
            hi = w->hi;
        w->count += sieve_segment(w->base, lo, hi, seg);
    }
    free(seg);
    return NULL;
}

/* Splits the odd numbers of [1, limit] into equal ranges, one per thread. */
static int count_primes(uint64_t limit, int threads, uint64_t *out)
{
    base_primes base;
    if (sieve_base(isqrt64(limit) + 1, &base) != 0)
        return -1;
    worker *w = calloc((size_t)threads, sizeof(*w));
    if (!w) {
        free(base.p);
        return -1;
    }
    uint64_t end = limit + 1;              /* exclusive */
    uint64_t span = (end / (uint64_t)threads) | 1;  /* odd keeps every range start odd */
    int rc = 0, started = 0;
    for (int i = 0; i < threads; i++) {
        w[i].base = &base;
        w[i].lo = 1 + (uint64_t)i * (span + 1);
        w[i].hi = (i == threads - 1) ? end : 1 + (uint64_t)(i + 1) * (span + 1);
        if (w[i].lo > end)
            w[i].lo = end;
        if (w[i].hi > end)
            w[i].hi = end;
        if (pthread_create(&w[i].tid, NULL, worker_main, &w[i]) != 0) {
            rc = -1;
            break;
        }
        started++;
    }
    uint64_t total = limit >= 2 ? 1 : 0;   /* 2, the only even prime */
    for (int i = 0; i < started; i++) {
        void *ret = NULL;
        pthread_join(w[i].tid, &ret);
        if (ret)
            rc = -1;
        total += w[i].count;
    }
    free(w);
    free(base.p);
    *out = total;
    return rc;
}

static int write_metric(const char *path, double value)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "%.6f\n", value);
    return fclose(f);
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-')
        return -1;
    *out = v;
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: primes [-t THREADS] [-m METRIC_FILE] LIMIT\n");
}

int main(int argc, char **argv)
{
    uint64_t limit, threads = 1;
    const char *metric_file = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "t:m:h")) != -1) {
        switch (opt) {
        case 't':
            if (parse_u64(optarg, &threads) != 0 || threads < 1 || threads > 1024) {
                fprintf(stderr, "primes: THREADS must be 1..1024, got '%s'\n", optarg);
                return 2;
            }
            break;
        case 'm':
            metric_file = optarg;
            break;
        default:
            usage();
            return 2;
        }
    }
    if (optind != argc - 1 || parse_u64(argv[optind], &limit) != 0 ||
        limit > (uint64_t)1 << 40) {
        usage();
        return 2;
    }
    double t0 = now_seconds();
    uint64_t count;
    if (count_primes(limit, (int)threads, &count) != 0) {
        fprintf(stderr, "primes: out of memory or threads\n");
        return 1;
    }
    double secs = now_seconds() - t0;
    printf("primes up to %" PRIu64 ": %" PRIu64 " (%.3f s, %d threads)\n", limit, count, secs,
           (int)threads);
    if (metric_file && write_metric(metric_file, secs) != 0) {
        fprintf(stderr, "primes: cannot write %s: %s\n", metric_file, strerror(errno));
        return 1;
    }
    return 0;
}

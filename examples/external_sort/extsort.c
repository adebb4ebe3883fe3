/* extsort: an out-of-core sort. It writes DATA_MB of random 64-bit keys to disk, sorts them
 * with at most MEM_MB of memory (sorted runs written to disk, then one k-way merge), checks
 * the output, and removes its files. Memory use follows MEM_MB and disk traffic follows
 * DATA_MB (about 3x written, 2x read), which is what the monitor's memory and I/O columns
 * show; files are synced and dropped from the page cache so reads really reach the disk.
 *
 *   extsort [-d DIR] [-m METRIC_FILE] [-s SEED] DATA_MB MEM_MB
 *
 * With -m, writes the seconds taken to METRIC_FILE (benchmark_custom.txt, lower is better). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024u * 1024u)
#define IO_BYTES (1u * MIB)   /* buffer for the generator and the writer */

typedef struct sort_cfg {
    const char *dir;
    uint64_t data_bytes;
    uint64_t mem_bytes;
    uint64_t seed;
} sort_cfg;

typedef struct run_reader {   /* one sorted run, read through its own buffer */
    int fd;
    uint64_t *buf;
    size_t cap, len, pos;     /* in keys */
} run_reader;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t xorshift64(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static int write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads up to n bytes; returns the bytes read (short only at end of file) or -1. */
static ssize_t read_full(int fd, void *buf, size_t n)
{
    char *p = buf;
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* Makes the data durable and drops it from the page cache, so the next read hits the disk. */
static int sync_and_drop(int fd)
{
    if (fdatasync(fd) != 0)
        return -1;
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    return 0;
}

static char *file_in(const char *dir, const char *name, unsigned idx)
{
    char *path = NULL;
    if (asprintf(&path, "%s/%s.%u", dir, name, idx) < 0)
        return NULL;
    return path;
}

static int create_file(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        fprintf(stderr, "extsort: cannot create %s: %s\n", path, strerror(errno));
    return fd;
}

/* Writes cfg->data_bytes of random keys; their sum is returned for the final check. */
static int generate_input(const sort_cfg *cfg, const char *path, uint64_t *sum)
{
    int fd = create_file(path);
    uint64_t *buf = malloc(IO_BYTES);
    if (fd < 0 || !buf) {
        if (fd >= 0)
            close(fd);
        free(buf);
        return -1;
    }
    uint64_t state = cfg->seed | 1, left = cfg->data_bytes / sizeof(uint64_t);
    int rc = 0;
    *sum = 0;
    while (left > 0 && rc == 0) {
        size_t n = IO_BYTES / sizeof(uint64_t);
        if (n > left)
            n = (size_t)left;
        for (size_t i = 0; i < n; i++) {
            buf[i] = xorshift64(&state);
            *sum += buf[i];
        }
        rc = write_all(fd, buf, n * sizeof(uint64_t));
        left -= n;
    }
    if (rc == 0)
        rc = sync_and_drop(fd);
    free(buf);
    close(fd);
    return rc;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Splits the input into memory-sized sorted runs; returns how many, or -1. */
static int make_runs(const sort_cfg *cfg, const char *input, uint64_t *mem, size_t mem_keys)
{
    int in = open(input, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -1;
    int runs = 0;
    for (;;) {
        ssize_t got = read_full(in, mem, mem_keys * sizeof(uint64_t));
        if (got < 0) {
            runs = -1;
            break;
        }
        size_t n = (size_t)got / sizeof(uint64_t);
        if (n == 0)
            break;
        qsort(mem, n, sizeof(uint64_t), cmp_u64);
        char *path = file_in(cfg->dir, "run", (unsigned)runs);
        int fd = path ? create_file(path) : -1;
        free(path);
        if (fd < 0 || write_all(fd, mem, n * sizeof(uint64_t)) != 0 || sync_and_drop(fd) != 0) {
            if (fd >= 0)
                close(fd);
            runs = -1;
            break;
        }
        close(fd);
        runs++;
    }
    close(in);
    return runs;
}

/* Refills r's buffer when it is used up; 1 when a key is available, 0 at the end, -1. */
static int reader_ready(run_reader *r)
{
    if (r->pos < r->len)
        return 1;
    ssize_t got = read_full(r->fd, r->buf, r->cap * sizeof(uint64_t));
    if (got < 0)
        return -1;
    r->len = (size_t)got / sizeof(uint64_t);
    r->pos = 0;
    return r->len > 0;
}

/* Min-heap of run indices keyed by each run's current key. */
static void heap_sift_down(int *heap, int n, run_reader *rd, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && rd[heap[l]].buf[rd[heap[l]].pos] < rd[heap[m]].buf[rd[heap[m]].pos])
            m = l;
        if (r < n && rd[heap[r]].buf[rd[heap[r]].pos] < rd[heap[m]].buf[rd[heap[m]].pos])
            m = r;
        if (m == i)
            return;
        int t = heap[i];
        heap[i] = heap[m];
        heap[m] = t;
        i = m;
    }
}

typedef struct merge_out {
    int fd;
    uint64_t *buf;
    size_t cap, len;
    uint64_t count, sum, last;
    int unsorted;
} merge_out;

static int out_push(merge_out *o, uint64_t key)
{
    if (o->count > 0 && key < o->last)
        o->unsorted = 1;
    o->last = key;
    o->count++;
    o->sum += key;
    o->buf[o->len++] = key;
    if (o->len < o->cap)
        return 0;
    o->len = 0;
    return write_all(o->fd, o->buf, o->cap * sizeof(uint64_t));
}

/* Merges the runs into one output file, checking order, count and sum on the way. The
 * memory budget is shared by the runs' read buffers and the output buffer. */
static int merge_runs(const sort_cfg *cfg, int runs, uint64_t *mem, size_t mem_keys,
                      merge_out *out)
{
    size_t share = mem_keys / (size_t)(runs + 1);
    run_reader *rd = calloc((size_t)runs, sizeof(*rd));
    int *heap = calloc((size_t)runs, sizeof(*heap));
    int n = 0, rc = (rd && heap && share > 0) ? 0 : -1;
    for (int i = 0; rd && i < runs; i++)
        rd[i].fd = -1;
    for (int i = 0; i < runs && rc == 0; i++) {
        char *path = file_in(cfg->dir, "run", (unsigned)i);
        rd[i].fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
        free(path);
        rd[i].buf = mem + (size_t)i * share;
        rd[i].cap = share;
        int ready = rd[i].fd >= 0 ? reader_ready(&rd[i]) : -1;
        if (ready < 0)
            rc = -1;
        else if (ready)
            heap[n++] = i;
    }
    out->buf = mem + (size_t)runs * share;
    out->cap = share;
    for (int i = n / 2 - 1; i >= 0 && rc == 0; i--)
        heap_sift_down(heap, n, rd, i);
    while (n > 0 && rc == 0) {
        run_reader *top = &rd[heap[0]];
        rc = out_push(out, top->buf[top->pos++]);
        int ready = reader_ready(top);
        if (ready < 0)
            rc = -1;
        else if (!ready)
            heap[0] = heap[--n];
        heap_sift_down(heap, n, rd, 0);
    }
    if (rc == 0 && out->len > 0)
        rc = write_all(out->fd, out->buf, out->len * sizeof(uint64_t));
    if (rc == 0)
        rc = sync_and_drop(out->fd);
    for (int i = 0; rd && i < runs; i++)
        if (rd[i].fd >= 0)
            close(rd[i].fd);
    free(rd);
    free(heap);
    return rc;
}

static void remove_files(const sort_cfg *cfg, int runs)
{
    for (int i = 0; i < runs; i++) {
        char *path = file_in(cfg->dir, "run", (unsigned)i);
        if (path)
            unlink(path);
        free(path);
    }
}

static int external_sort(const sort_cfg *cfg)
{
    char *input = file_in(cfg->dir, "input", 0), *output = file_in(cfg->dir, "sorted", 0);
    size_t mem_keys = (size_t)(cfg->mem_bytes / sizeof(uint64_t));
    uint64_t *mem = malloc(mem_keys * sizeof(uint64_t));
    uint64_t sum = 0;
    int rc = -1, runs = 0;
    merge_out out = { .fd = -1 };
    if (!input || !output || !mem)
        goto done;
    memset(mem, 0, mem_keys * sizeof(uint64_t));   /* touch: the budget shows as RSS */
    if (generate_input(cfg, input, &sum) != 0)
        goto done;
    runs = make_runs(cfg, input, mem, mem_keys);
    if (runs < 0 || (out.fd = create_file(output)) < 0)
        goto done;
    if (merge_runs(cfg, runs, mem, mem_keys, &out) != 0)
        goto done;
    uint64_t keys = cfg->data_bytes / sizeof(uint64_t);
    if (out.unsorted || out.count != keys || out.sum != sum) {
        fprintf(stderr, "extsort: output check failed (%" PRIu64 " of %" PRIu64 " keys%s)\n",
                out.count, keys, out.unsorted ? ", out of order" : "");
        goto done;
    }
    printf("sorted %" PRIu64 " keys in %d runs\n", keys, runs);
    rc = 0;
done:
    if (rc != 0 && errno)
        fprintf(stderr, "extsort: %s\n", strerror(errno));
    if (out.fd >= 0)
        close(out.fd);
    remove_files(cfg, runs);
    if (input)
        unlink(input);
    if (output)
        unlink(output);
    free(input);
    free(output);
    free(mem);
    return rc;
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
    sort_cfg cfg = { .dir = ".", .seed = 42 };
    const char *metric_file = NULL;
    uint64_t data_mb, mem_mb;
    int opt;
    while ((opt = getopt(argc, argv, "d:m:s:")) != -1) {
        if (opt == 'd')
            cfg.dir = optarg;
        else if (opt == 'm')
            metric_file = optarg;
        else if (opt == 's' && parse_u64(optarg, &cfg.seed) == 0)
            continue;
        else
            goto usage;
    }
    if (optind != argc - 2 || parse_u64(argv[optind], &data_mb) != 0 ||
        parse_u64(argv[optind + 1], &mem_mb) != 0 || data_mb < 1 || mem_mb < 1 ||
        data_mb > (1u << 20) || mem_mb > (1u << 20))
        goto usage;
    cfg.data_bytes = data_mb * MIB;
    cfg.mem_bytes = mem_mb * MIB;
    if (data_mb / mem_mb > 4096) {
        fprintf(stderr, "extsort: MEM_MB too small for DATA_MB (at most 4096 runs)\n");
        return 2;
    }
    double t0 = now_seconds();
    if (external_sort(&cfg) != 0)
        return 1;
    double secs = now_seconds() - t0;
    printf("%" PRIu64 " MiB with %" PRIu64 " MiB of memory: %.3f s (%.1f MiB/s)\n", data_mb,
           mem_mb, secs, (double)data_mb / secs);
    if (metric_file && write_metric(metric_file, secs) != 0) {
        fprintf(stderr, "extsort: cannot write %s: %s\n", metric_file, strerror(errno));
        return 1;
    }
    return 0;
usage:
    fprintf(stderr, "usage: extsort [-d DIR] [-m METRIC_FILE] [-s SEED] DATA_MB MEM_MB\n");
    return 2;
}

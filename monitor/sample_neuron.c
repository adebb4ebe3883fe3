#include "monitor/sample_neuron.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor/helper_proc.h"

/* A report lists every loaded model; lines longer than this are dropped, not parsed. */
#define MAX_REPORT (1u << 20)

struct neuron_sampler {
    pid_t pid;
    int fd;
    int have;                 /* a report has been parsed */
    neuron_reading latest;
    char *buf;                /* one partial line, grown up to MAX_REPORT */
    size_t len, cap;
    int skipping;             /* inside an over-long line: drop it up to its newline */
};

static void reading_unknown(neuron_reading *r)
{
    r->device_count = r->cores_in_use = r->core_util_percent = NAN;
    r->device_mem_bytes = r->host_mem_bytes = NAN;
}

/* A JSON number (integer or real) as a finite double, else NAN. */
static double num(const json_t *v)
{
    if (!json_is_number(v))
        return NAN;
    double d = json_number_value(v);
    return isfinite(d) ? d : NAN;
}

/* Adds v to *sum (NAN until the first finite value). */
static void add(double *sum, double v)
{
    if (isfinite(v))
        *sum = isfinite(*sum) ? *sum + v : v;
}

static void take_runtime(const json_t *rt, neuron_reading *r, double *util_sum)
{
    const json_t *report = json_object_get(rt, "report");
    const json_t *cores = json_object_get(json_object_get(report, "neuroncore_counters"),
                                          "neuroncores_in_use");
    const char *key;
    const json_t *core;
    if (json_is_object(cores)) {
        add(&r->cores_in_use, 0); /* an application with none in use counts 0, not n/a */
        json_object_foreach((json_t *)cores, key, core) {
            double u = num(json_object_get(core, "neuroncore_utilization"));
            if (!isfinite(u))
                continue;
            add(&r->cores_in_use, 1);
            add(util_sum, u);
        }
    }
    const json_t *used = json_object_get(json_object_get(report, "memory_used"),
                                         "neuron_runtime_used_bytes");
    add(&r->device_mem_bytes, num(json_object_get(used, "neuron_device")));
    add(&r->host_mem_bytes, num(json_object_get(used, "host")));
}

int parse_neuron_report(const char *json, size_t len, neuron_reading *out)
{
    reading_unknown(out);
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(root)) {
        json_decref(root);
        return -1;
    }
    out->device_count =
        num(json_object_get(json_object_get(root, "neuron_hardware_info"), "neuron_device_count"));
    const json_t *rts = json_object_get(root, "neuron_runtime_data");
    double util_sum = NAN;
    size_t i;
    const json_t *rt;
    if (json_is_array(rts))
        json_array_foreach((json_t *)rts, i, rt)
            take_runtime(rt, out, &util_sum);
    if (isfinite(util_sum) && out->cores_in_use > 0)
        out->core_util_percent = util_sum / out->cores_in_use;
    json_decref(root);
    return 0;
}

/* The config neuron-monitor reads: the two runtime metric groups the columns need, every
 * application, no system groups (the monitor reads the host itself). */
static int config_pipe(double interval)
{
    long secs = lround(interval);
    if (secs < 1)
        secs = 1;
    char conf[256];
    int n = snprintf(conf, sizeof conf,
                     "{\"period\":\"%lds\",\"neuron_runtimes\":[{\"tag_filter\":\".*\","
                     "\"metrics\":[{\"type\":\"neuroncore_counters\"},"
                     "{\"type\":\"memory_used\"}]}],\"system_metrics\":[]}\n",
                     secs);
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -1;
    /* far below the pipe's capacity: the write completes before anyone reads */
    if (write(p[1], conf, (size_t)n) != n) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    close(p[1]);
    return p[0];
}

int neuron_sampler_open(double interval, neuron_sampler **out)
{
    *out = NULL;
    char tool[512];
    /* the Neuron driver's first device, which a container must be given to use any */
    if (!helper_device_present("neuron0") ||
        helper_find("neuron-monitor", tool, sizeof tool) < 0)
        return 0;
    neuron_sampler *n = calloc(1, sizeof *n);
    if (!n)
        return -1;
    reading_unknown(&n->latest);
    n->fd = -1;
    int conf = config_pipe(interval);
    if (conf >= 0) {
        char *const argv[] = { "neuron-monitor", "-c", "/proc/self/fd/3", NULL };
        n->pid = helper_start(tool, argv, conf, &n->fd);
        close(conf);
    } else {
        n->pid = -1;
    }
    if (n->pid < 0)
        n->fd = -1;
    *out = n;
    return 0;
}

pid_t neuron_sampler_pid(const neuron_sampler *n) { return n ? n->pid : -1; }
int neuron_sampler_fd(const neuron_sampler *n) { return n ? n->fd : -1; }

static void take_line(neuron_sampler *n, const char *line, size_t len)
{
    neuron_reading r;
    if (len > 0 && parse_neuron_report(line, len, &r) == 0) {
        n->latest = r;
        n->have = 1;
    }
}

/* Appends DATA to the partial line, parsing each complete one. */
static void take_bytes(neuron_sampler *n, const char *data, size_t len)
{
    while (len > 0) {
        const char *nl = memchr(data, '\n', len);
        size_t part = nl ? (size_t)(nl - data) : len;
        if (!n->skipping && n->len + part > MAX_REPORT) {
            n->skipping = 1;
            n->len = 0;
        }
        if (!n->skipping) {
            if (n->len + part > n->cap) {
                size_t cap = n->cap ? n->cap : 16384;
                while (cap < n->len + part)
                    cap *= 2;
                char *b = realloc(n->buf, cap);
                if (!b) {
                    n->skipping = 1;
                    n->len = 0;
                } else {
                    n->buf = b;
                    n->cap = cap;
                }
            }
            if (!n->skipping) {
                memcpy(n->buf + n->len, data, part);
                n->len += part;
            }
        }
        if (!nl)
            return;
        if (!n->skipping)
            take_line(n, n->buf, n->len);
        n->skipping = 0;
        n->len = 0;
        data = nl + 1;
        len -= part + 1;
    }
}

void neuron_sampler_pump(neuron_sampler *n)
{
    if (!n || n->fd < 0)
        return;
    char chunk[16384];
    for (;;) {
        ssize_t got = read(n->fd, chunk, sizeof chunk);
        if (got > 0) {
            take_bytes(n, chunk, (size_t)got);
            continue;
        }
        if (got < 0 && errno == EINTR)
            continue;
        if (got == 0) {
            close(n->fd);
            n->fd = -1;
        }
        return;
    }
}

void neuron_sampler_fill(const neuron_sampler *n, series_row *row)
{
    if (!n || !n->have)
        return;
    row->v[COL_NEURON_DEVICE_COUNT] = n->latest.device_count;
    row->v[COL_NEURONCORE_IN_USE] = n->latest.cores_in_use;
    row->v[COL_NEURONCORE_UTIL_PERCENT] = n->latest.core_util_percent;
    row->v[COL_NEURON_DEVICE_MEM_USED_BYTES] = n->latest.device_mem_bytes;
    row->v[COL_NEURON_HOST_MEM_USED_BYTES] = n->latest.host_mem_bytes;
}

void neuron_sampler_helper_exited(neuron_sampler *n)
{
    if (n)
        n->pid = -1;
}

void neuron_sampler_close(neuron_sampler *n)
{
    if (!n)
        return;
    if (n->pid > 0) {
        kill(n->pid, SIGTERM);
        while (waitpid(n->pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    if (n->fd >= 0)
        close(n->fd);
    free(n->buf);
    free(n);
}

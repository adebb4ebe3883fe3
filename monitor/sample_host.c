#include "monitor/sample_host.h"

#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/procfs_parse.h"
#include "monitor/fileio.h"

enum { HF_STAT, HF_MEMINFO, HF_LOADAVG, HF_PSI_CPU, HF_PSI_MEM, HF_PSI_IO, HF_COUNT };

static const char *const host_files[HF_COUNT] = {
    "stat", "meminfo", "loadavg", "pressure/cpu", "pressure/memory", "pressure/io",
};

struct host_sampler {
    int fd[HF_COUNT];
    long ticks;
    host_cpu_times prev;
    uint64_t mem_total;   /* bytes, from the last sample; 0: not seen */
    kept_figure load1;
    kept_figure psi[3];   /* cpu, memory, io */
    /* last: not zeroed at open. Only the first line of /proc/stat is parsed (the
     * aggregate cpu line; the file grows with the CPU and interrupt counts), meminfo's
     * lines of interest are in its first 1.5 KB, the other files are short */
    char buf[4096];
};

int host_sampler_open(const char *proc_root, host_sampler **out)
{
    host_sampler *h = malloc(sizeof *h);
    if (!h)
        return -1;
    /* zeroed up to the buffer only: calloc would write, and so fault in, every page of
     * a buffer whose pages are touched only as far as reads fill it */
    memset(h, 0, offsetof(host_sampler, buf));
    h->ticks = sysconf(_SC_CLK_TCK);
    if (h->ticks <= 0)
        h->ticks = 100;
    for (int i = 0; i < HF_COUNT; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", proc_root, host_files[i]);
        h->fd[i] = open_cloexec(path, O_RDONLY, 0); /* -1: that figure is not available */
    }
    *out = h;
    return 0;
}

void host_sampler_close(host_sampler *h)
{
    if (!h)
        return;
    for (int i = 0; i < HF_COUNT; i++)
        if (h->fd[i] >= 0)
            close(h->fd[i]);
    free(h);
}

static ssize_t read_kept(host_sampler *h, int which)
{
    if (h->fd[which] < 0)
        return -1;
    ssize_t n = pread(h->fd[which], h->buf, sizeof h->buf - 1, 0);
    if (n < 0)
        return -1;
    h->buf[n] = '\0';
    return n;
}

int parse_host_cpu_line(const char *buf, size_t len, long ticks, host_cpu_times *out)
{
    memset(out, 0, sizeof *out);
    if (len < 4 || memcmp(buf, "cpu ", 4) != 0 || ticks <= 0)
        return -1;
    const char *p = buf + 4, *end = memchr(buf, '\n', len);
    if (!end)
        end = buf + len;
    double *fields[] = { &out->user, &out->nice, &out->system, &out->idle,
                         &out->iowait, &out->irq, &out->softirq, &out->steal };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        uint64_t v;
        if (scan_u64(&p, end, &v) < 0) {
            if (i < 4)
                return -1;
            break; /* old kernels have fewer fields */
        }
        *fields[i] = (double)v / (double)ticks;
    }
    out->valid = 1;
    return 0;
}

static double busy_of(const host_cpu_times *c)
{
    return c->user + c->nice + c->system + c->irq + c->softirq + c->steal;
}

static void sample_cpu(host_sampler *h, series_row *row)
{
    ssize_t n = read_kept(h, HF_STAT);
    host_cpu_times cur;
    if (n <= 0 || parse_host_cpu_line(h->buf, (size_t)n, h->ticks, &cur) < 0)
        return;
    row->v[COL_HOST_CPU_USER_SECONDS] = cur.user + cur.nice;
    row->v[COL_HOST_CPU_SYSTEM_SECONDS] = cur.system + cur.irq + cur.softirq;
    row->v[COL_HOST_CPU_IDLE_SECONDS] = cur.idle;
    row->v[COL_HOST_CPU_IOWAIT_SECONDS] = cur.iowait;
    row->v[COL_HOST_CPU_STEAL_SECONDS] = cur.steal;
    if (h->prev.valid) {
        double busy = busy_of(&cur) - busy_of(&h->prev);
        double total = busy + (cur.idle - h->prev.idle) + (cur.iowait - h->prev.iowait);
        if (total > 0)
            row->v[COL_HOST_CPU_PERCENT] = busy / total * 100.0;
    }
    h->prev = cur;
}

static double read_psi(host_sampler *h, int which)
{
    ssize_t n = read_kept(h, which);
    double v;
    return n > 0 && parse_psi_some_avg10(h->buf, (size_t)n, &v) == 0 ? v : NAN;
}

static double read_load1(host_sampler *h)
{
    ssize_t n = read_kept(h, HF_LOADAVG);
    if (n <= 0)
        return NAN;
    char *end;
    double l = strtod(h->buf, &end);
    return end != h->buf && isfinite(l) ? l : NAN;
}

static void sample_meminfo(host_sampler *h, series_row *row)
{
    ssize_t n = read_kept(h, HF_MEMINFO);
    uint64_t kb;
    if (n > 0 && parse_keyed_u64(h->buf, (size_t)n, "MemTotal", &kb) == 0) {
        h->mem_total = kb * 1024;
        row->v[COL_HOST_MEM_TOTAL_BYTES] = (double)kb * 1024.0;
    }
    if (n > 0 && parse_keyed_u64(h->buf, (size_t)n, "MemAvailable", &kb) == 0)
        row->v[COL_HOST_MEM_AVAILABLE_BYTES] = (double)kb * 1024.0;
}

void host_sampler_sample(host_sampler *h, double now, int force, series_row *row)
{
    sample_cpu(h, row);
    sample_meminfo(h, row);
    if (kept_figure_due(&h->load1, now, LOADAVG_PERIOD, force))
        kept_figure_set(&h->load1, now, read_load1(h));
    row->v[COL_HOST_LOAD1] = h->load1.value;
    static const int psi_file[3] = { HF_PSI_CPU, HF_PSI_MEM, HF_PSI_IO };
    static const int psi_col[3] = { COL_HOST_CPU_PRESSURE, COL_HOST_MEM_PRESSURE,
                                    COL_HOST_IO_PRESSURE };
    for (int i = 0; i < 3; i++) {
        if (kept_figure_due(&h->psi[i], now, PSI_AVG_PERIOD, force))
            kept_figure_set(&h->psi[i], now, read_psi(h, psi_file[i]));
        row->v[psi_col[i]] = h->psi[i].value;
    }
}

uint64_t host_sampler_mem_total(const host_sampler *h) { return h->mem_total; }

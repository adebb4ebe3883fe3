/* Host (or VM) figures: /proc/stat's aggregate CPU line, /proc/meminfo, /proc/loadavg and
 * /proc/pressure/{cpu,memory,io} where the kernel has PSI. Files are opened once and read
 * with pread.
 *
 * Ownership: host_sampler_open() allocates, host_sampler_close() frees. */
#ifndef MONITOR_SAMPLE_HOST_H
#define MONITOR_SAMPLE_HOST_H

#include <stdint.h>

#include "monitor/series.h"

typedef struct host_sampler host_sampler;

typedef struct host_cpu_times {   /* seconds since boot, all CPUs together */
    double user, nice, system, idle, iowait, irq, softirq, steal;
    int valid;
} host_cpu_times;

/* proc_root: "/proc", or a fixture directory laid out like it. 0 or -1. */
int  host_sampler_open(const char *proc_root, host_sampler **out);
void host_sampler_close(host_sampler *h);
/* The kernel recomputes the load averages every 5 s (LOAD_FREQ). */
#define LOADAVG_PERIOD 5.0

/* Fills the host_* columns; CPU percent against the previous call. now: monotonic
 * seconds. The load average and the PSI averages are read every LOADAVG_PERIOD and
 * PSI_AVG_PERIOD, the kernel's own periods for them, and repeated in between; force
 * reads them now (the first and last rows). */
void host_sampler_sample(host_sampler *h, double now, int force, series_row *row);
/* MemTotal in bytes as of the last sample, or 0 when none saw it. */
uint64_t host_sampler_mem_total(const host_sampler *h);

/* Parses /proc/stat's "cpu " line (ticks per second given). 0 or -1. */
int parse_host_cpu_line(const char *buf, size_t len, long ticks, host_cpu_times *out);

#endif

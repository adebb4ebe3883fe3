/* One sample of everything: the process tree, the cgroup, the host, the network and the
 * GPUs, into one series_row, with rates against the previous sample. Also keeps the
 * figures the summary needs (peaks, totals, sample count).
 *
 * Ownership: sampler_open() allocates every part, sampler_close() frees them. */
#ifndef MONITOR_SAMPLER_H
#define MONITOR_SAMPLER_H

#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "monitor/sample_cgroup.h"
#include "monitor/sample_gpu.h"
#include "monitor/sample_neuron.h"
#include "monitor/sample_proc.h"
#include "monitor/series.h"

/* The tree's CPU counters (/proc/PID/stat) move in clock ticks of 10 ms per process, so
 * a rate over a few milliseconds (the final row, a moment after the previous one; or a
 * 10 ms interval) could show many cores where one is busy. Its rates are taken over the
 * span back to the newest kept sample at least this old. */
#define RATE_MIN_WINDOW 0.1
#define RATE_HISTORY 16     /* > RATE_MIN_WINDOW / the minimum interval of 10 ms */

typedef struct rate_base {
    double mono;
    proc_tree_totals tree;
} rate_base;

typedef struct sampler {
    proc_tree *tree;
    struct cgroup_sampler *cgroup;
    struct host_sampler *host;
    struct net_sampler *net;
    gpu_sampler *gpu;
    neuron_sampler *neuron;
    series_layout layout;
    series_row row;
    double start_mono;            /* elapsed_seconds counts from here */
    double last_mono;
    int have_prev;
    proc_tree_totals tree_prev;
    rate_base history[RATE_HISTORY]; /* ring of recent tree readings, for its rates */
    size_t history_n, history_next;
    cgroup_reading cg_prev, cg_prev_full;
    double last_full_mono;
    int have_full;
    long full_every;              /* a full sample every this many (interval < 100 ms) */
    /* for the summary */
    long samples;
    uint64_t tree_rss_peak;
    double cgroup_peak;           /* NAN until seen */
    double oom_kills;             /* NAN until seen */
    uint64_t net_rx_start, net_tx_start;
    int have_net_start;
} sampler;

/* root: the monitor's pid (the tree is its descendants). Parts that cannot open are left
 * out and their columns stay empty. 0, or -1 when nothing could be set up. */
int  sampler_open(sampler *s, pid_t root, double interval);
void sampler_close(sampler *s);
/* Starts the elapsed clock (when the workload starts). */
void sampler_start(sampler *s, double start_mono);
/* Takes one sample into s->row (and returns it). Tree rates (CPU %, disk B/s) span at
 * least RATE_MIN_WINDOW and are empty when no kept sample is that old. Below a 100 ms interval only the tree,
 * cgroup CPU and memory usage and the GPUs are read every time; the host, network and
 * the rest of the cgroup every ~100 ms (those columns are empty in between), which keeps
 * a 10 ms sampler cheap. force_full: read everything (first and last rows). */
const series_row *sampler_take(sampler *s, int force_full);

#endif

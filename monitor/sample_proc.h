/* The workload's process tree: every descendant of the monitor (the monitor being the
 * subreaper or PID 1, orphans come back to it), found by walking /proc once per sample.
 * Each tree process keeps open descriptors on its /proc/PID/stat and io files, read with
 * pread; a process is looked at by path only once, when it first appears.
 *
 * CPU and I/O of processes that already exited are counted the way the kernel counts
 * them: a reaped child's totals move into its parent's cutime/cstime and /proc/PID/io,
 * and for the monitor's own children into what proc_tree_add_reaped() is given.
 *
 * Ownership: proc_tree_open() allocates, proc_tree_close() frees and closes. */
#ifndef MONITOR_SAMPLE_PROC_H
#define MONITOR_SAMPLE_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "monitor/procfs_parse.h"
#include "monitor/series.h"

typedef struct proc_tree proc_tree;

typedef struct proc_tree_totals {
    unsigned processes, threads;
    double cpu_user_seconds, cpu_system_seconds;
    uint64_t rss_bytes;
    uint64_t disk_read_bytes, disk_write_bytes;
    uint64_t read_chars, write_chars;
} proc_tree_totals;

/* root: the process whose descendants form the tree (the monitor itself). */
int  proc_tree_open(pid_t root, proc_tree **out);
void proc_tree_close(proc_tree *t);
/* A helper process of the monitor (nvidia-smi) and its descendants are not the workload. */
void proc_tree_exclude(proc_tree *t, pid_t pid);
/* What a child of the monitor that belonged to the tree used, taken when the monitor
 * reaps it: the rusage from wait4 and its /proc/PID/io read while it was a zombie (NULL
 * when unreadable). */
void proc_tree_add_reaped(proc_tree *t, const struct rusage *ru, const proc_io_fields *io);
/* Reads /proc/PID/io (works on a zombie, which still holds its totals). 0 or -1. */
int  proc_tree_read_io(proc_tree *t, pid_t pid, proc_io_fields *io);
/* Makes the next sample list all of /proc (the final clean-up wants every straggler). */
void proc_tree_rescan(proc_tree *t);
/* One pass over /proc; fills *out (monotonic CPU and bytes). 0, or -1 if /proc is unreadable. */
int  proc_tree_sample(proc_tree *t, proc_tree_totals *out);
/* The tree's live pids as of the last sample (at most max); returns how many. */
size_t proc_tree_pids(const proc_tree *t, pid_t *pids, size_t max);

/* Puts a sample into the row, with rates against the previous one (prev may be NULL). */
void proc_tree_fill_row(const proc_tree_totals *cur, const proc_tree_totals *prev,
                        double dt, uint64_t rss_peak, series_row *row);

#endif

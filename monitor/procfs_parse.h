/* Parsers for the /proc text formats the samplers read. They work on a caller's buffer,
 * allocate nothing, and accept truncated or odd input without reading past its end. */
#ifndef MONITOR_PROCFS_PARSE_H
#define MONITOR_PROCFS_PARSE_H

#include <stddef.h>
#include <stdint.h>

typedef struct proc_stat_fields {
    int ppid;
    char state;
    uint64_t utime, stime, cutime, cstime;  /* clock ticks */
    uint64_t num_threads;
    uint64_t starttime;                      /* clock ticks after boot */
    uint64_t rss_pages;
} proc_stat_fields;

/* /proc/PID/stat. 0, or -1 when the line is malformed. */
int parse_proc_stat(const char *buf, size_t len, proc_stat_fields *out);

typedef struct proc_io_fields {
    uint64_t rchar, wchar, read_bytes, write_bytes;
} proc_io_fields;

/* /proc/PID/io. 0, or -1 when no field was found. */
int parse_proc_io(const char *buf, size_t len, proc_io_fields *out);

/* Finds "KEY" at a line start followed by blanks/colon and a number; for "key value"
 * files (memory.stat, cpu.stat, meminfo, io). 0 and *out, or -1 when absent. */
int parse_keyed_u64(const char *buf, size_t len, const char *key, uint64_t *out);

/* Reads an unsigned decimal at *p (skipping blanks), advancing *p; -1 if none. */
int scan_u64(const char **p, const char *end, uint64_t *out);

/* PSI files ("some avg10=0.00 avg60=... total=N"): the some-line's avg10. 0 or -1. */
int parse_psi_some_avg10(const char *buf, size_t len, double *out);

/* The kernel recomputes the PSI averages every 2 s (PSI_FREQ): a file read more often
 * gives the same avg10 again. */
#define PSI_AVG_PERIOD 2.0

/* A figure that is read only every so often and repeated in between: one the kernel
 * itself refreshes at a period (load average, PSI), or one that changes only when
 * someone sets it (cgroup limits). */
typedef struct kept_figure {
    double value;      /* NAN: not available */
    double read_at;    /* monotonic seconds of the read */
    int have;          /* read at least once */
} kept_figure;

/* Whether K must be read again at NOW: never read, forced, or its value would be PERIOD
 * seconds old or older. */
int kept_figure_due(const kept_figure *k, double now, double period, int force);
void kept_figure_set(kept_figure *k, double now, double value);

#endif

/* summary.json: what happened to the workload and what it used (keys per shared/DESIGN.md
 * and the man page). Written with json_out (jansson's layout), atomically. */
#ifndef MONITOR_SUMMARY_H
#define MONITOR_SUMMARY_H

#include <stdint.h>

#include "monitor/custom_metric.h"
#include "monitor/instance.h"

typedef struct run_summary {
    char **command;               /* the workload's argv as given */
    int command_argc;
    const char *status;           /* "succeeded", "failed", "signalled", "not_started" */
    int exit_code;                /* -1: null */
    int signal;                   /* -1: null */
    const char *start_error;      /* why it did not start, or NULL */
    int monitor_signal;           /* signal that told the monitor to stop, 0: none */
    double start_time, end_time;  /* epoch seconds */
    double wall_seconds;
    double cpu_user_seconds, cpu_system_seconds;
    uint64_t peak_memory_bytes;
    double cgroup_peak_memory_bytes;   /* NAN: null */
    uint64_t disk_read_bytes, disk_write_bytes;
    uint64_t net_rx_bytes, net_tx_bytes;
    double oom_kills;                  /* NAN: null */
    long samples;
    double interval_seconds;
    int cgroup_version;
    const custom_metric *custom;
    const instance_facts *instance;
} run_summary;

/* The JSON text (caller frees), or NULL on out-of-memory. */
char *summary_to_json(const run_summary *s);
/* Writes PATH atomically. 0 or -1 (errno). */
int summary_write(const char *path, const run_summary *s);

#endif

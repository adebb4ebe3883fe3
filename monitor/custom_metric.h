/* The workload's own metric, read from benchmark_custom.txt when the workload ends.
 *
 * Format: a bare number (the last number written wins: "12.5", or several numbers over
 * lines, of which the last counts), and/or node_exporter textfile lines "name value" or
 * "name{label="x"} value [timestamp]" ('#' lines are comments). Named values go to
 * custom_metrics; when the file has no bare number but exactly one named value, that
 * value is the custom metric. A missing, empty, stale or unparsable file gives no value
 * and a reason; it is never an error of the monitor.
 *
 * Ownership: custom_metric_free() releases what custom_metric_parse/read filled in. */
#ifndef MONITOR_CUSTOM_METRIC_H
#define MONITOR_CUSTOM_METRIC_H

#include <stddef.h>

typedef struct named_metric {
    char *name;
    double value;
} named_metric;

typedef struct custom_metric {
    int has_value;
    double value;
    char reason[256];       /* why there is no value ("" when there is one) */
    named_metric *named;
    size_t n_named;
} custom_metric;

/* Parses file content. Returns 0, or -1 on out-of-memory (out is then still valid). */
int  custom_metric_parse(const char *buf, size_t len, custom_metric *out);
/* Reads PATH; a file last modified before not_before (epoch seconds; 0: no check) was
 * left by an earlier run and is reported stale. 0, or -1 on out-of-memory. */
int  custom_metric_read(const char *path, double not_before, custom_metric *out);
void custom_metric_free(custom_metric *m);

#endif

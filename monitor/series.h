/* The time-series row: the fixed column set of timeseries.csv (documented in
 * man/monitor_system.1; new columns are only ever appended) and the per-interface and
 * per-GPU columns that follow it, whose names are fixed when the series starts.
 *
 * Values are doubles; NAN means "not available" and is written as an empty field. */
#ifndef MONITOR_SERIES_H
#define MONITOR_SERIES_H

#include <stddef.h>

enum series_col {
    /* the workload's process tree */
    COL_TREE_PROCESSES,
    COL_TREE_THREADS,
    COL_TREE_CPU_USER_SECONDS,
    COL_TREE_CPU_SYSTEM_SECONDS,
    COL_TREE_CPU_SECONDS,
    COL_TREE_CPU_PERCENT,
    COL_TREE_RSS_BYTES,
    COL_TREE_RSS_PEAK_BYTES,
    COL_TREE_DISK_READ_BYTES,
    COL_TREE_DISK_WRITE_BYTES,
    COL_TREE_DISK_READ_BPS,
    COL_TREE_DISK_WRITE_BPS,
    COL_TREE_READ_CHARS_BYTES,
    COL_TREE_WRITE_CHARS_BYTES,
    /* the container's cgroup */
    COL_CG_CPU_SECONDS,
    COL_CG_CPU_USER_SECONDS,
    COL_CG_CPU_SYSTEM_SECONDS,
    COL_CG_CPU_PERCENT,
    COL_CG_CPU_LIMIT_CORES,
    COL_CG_CPU_THROTTLED_SECONDS,
    COL_CG_MEM_BYTES,
    COL_CG_MEM_USAGE_BYTES,
    COL_CG_MEM_CACHE_BYTES,
    COL_CG_MEM_LIMIT_BYTES,
    COL_CG_MEM_PEAK_BYTES,
    COL_CG_OOM_KILLS,
    COL_CG_DISK_READ_BYTES,
    COL_CG_DISK_WRITE_BYTES,
    COL_CG_DISK_READ_BPS,
    COL_CG_DISK_WRITE_BPS,
    COL_CG_CPU_PRESSURE,
    COL_CG_MEM_PRESSURE,
    COL_CG_IO_PRESSURE,
    /* the host (or VM) */
    COL_HOST_CPU_PERCENT,
    COL_HOST_CPU_USER_SECONDS,
    COL_HOST_CPU_SYSTEM_SECONDS,
    COL_HOST_CPU_IDLE_SECONDS,
    COL_HOST_CPU_IOWAIT_SECONDS,
    COL_HOST_CPU_STEAL_SECONDS,
    COL_HOST_MEM_TOTAL_BYTES,
    COL_HOST_MEM_AVAILABLE_BYTES,
    COL_HOST_LOAD1,
    COL_HOST_CPU_PRESSURE,
    COL_HOST_MEM_PRESSURE,
    COL_HOST_IO_PRESSURE,
    /* network of the monitor's namespace, all interfaces but loopback */
    COL_NET_RX_BYTES,
    COL_NET_TX_BYTES,
    COL_NET_RX_PACKETS,
    COL_NET_TX_PACKETS,
    COL_NET_RX_BPS,
    COL_NET_TX_BPS,
    COL_NET_TCP_RETRANS,
    /* GPUs, all devices together */
    COL_GPU_COUNT,
    COL_GPU_UTIL_PERCENT,
    COL_GPU_MEM_USED_BYTES,
    COL_GPU_MEM_TOTAL_BYTES,
    COL_GPU_POWER_WATTS,
    /* AWS Neuron (Inferentia/Trainium), every application neuron-monitor sees */
    COL_NEURON_DEVICE_COUNT,
    COL_NEURONCORE_IN_USE,
    COL_NEURONCORE_UTIL_PERCENT,
    COL_NEURON_DEVICE_MEM_USED_BYTES,
    COL_NEURON_HOST_MEM_USED_BYTES,
    COL_FIXED_COUNT
};

typedef struct series_col_def {
    const char *name;
    int decimals;      /* digits after the point when written */
} series_col_def;

extern const series_col_def series_cols[COL_FIXED_COUNT];

/* Extra columns after the fixed ones, named once at start (net_IF_*, gpuN_*). The names
 * are owned by the layout. */
typedef struct series_layout {
    char **extra_names;
    int *extra_decimals;
    size_t n_extra;
    size_t cap_extra;
} series_layout;

int  series_layout_add(series_layout *l, const char *name, int decimals); /* 0 / -1 */
void series_layout_free(series_layout *l);

typedef struct series_row {
    double wall;          /* epoch seconds */
    double elapsed;       /* monotonic seconds since the workload started */
    double v[COL_FIXED_COUNT];
    double *extra;        /* n_extra values, allocated once by series_row_init */
    size_t n_extra;
} series_row;

int  series_row_init(series_row *r, const series_layout *l);   /* 0 / -1 */
void series_row_clear(series_row *r);                          /* every value NAN */
void series_row_free(series_row *r);

/* Formats one value as the CSV does: "" for NAN, else fixed-point with DECIMALS digits
 * (trailing zeros kept short). Returns the length written (< outlen). */
size_t series_format_value(double v, int decimals, char *out, size_t outlen);
/* The same with every one of the DECIMALS digits, as printf's "%.*f" writes it (the
 * time columns). */
size_t series_format_fixed(double v, int decimals, char *out, size_t outlen);

/* format_rfc3339_ms (common/timeutil.h), with the date and time of day formatted once
 * per second: at short intervals many rows share them, and gmtime with snprintf was a
 * visible part of a row's cost. The same text for every time. */
typedef struct rfc3339_cache {
    long long sec;     /* the second head[] shows */
    int have;
    char head[24];     /* "YYYY-MM-DDTHH:MM:SS." */
} rfc3339_cache;

void series_format_time(rfc3339_cache *c, double epoch_seconds, char *out, size_t outlen);

#endif

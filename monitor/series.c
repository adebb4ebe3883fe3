#include "monitor/series.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/timeutil.h"

/* Units follow the names: _bytes, _seconds, _percent, _bytes_per_second, _total. */
const series_col_def series_cols[COL_FIXED_COUNT] = {
    [COL_TREE_PROCESSES] = { "tree_processes", 0 },
    [COL_TREE_THREADS] = { "tree_threads", 0 },
    [COL_TREE_CPU_USER_SECONDS] = { "tree_cpu_user_seconds", 2 },
    [COL_TREE_CPU_SYSTEM_SECONDS] = { "tree_cpu_system_seconds", 2 },
    [COL_TREE_CPU_SECONDS] = { "tree_cpu_seconds", 2 },
    [COL_TREE_CPU_PERCENT] = { "tree_cpu_percent", 1 },
    [COL_TREE_RSS_BYTES] = { "tree_rss_bytes", 0 },
    [COL_TREE_RSS_PEAK_BYTES] = { "tree_rss_peak_bytes", 0 },
    [COL_TREE_DISK_READ_BYTES] = { "tree_disk_read_bytes", 0 },
    [COL_TREE_DISK_WRITE_BYTES] = { "tree_disk_write_bytes", 0 },
    [COL_TREE_DISK_READ_BPS] = { "tree_disk_read_bytes_per_second", 0 },
    [COL_TREE_DISK_WRITE_BPS] = { "tree_disk_write_bytes_per_second", 0 },
    [COL_TREE_READ_CHARS_BYTES] = { "tree_read_chars_bytes", 0 },
    [COL_TREE_WRITE_CHARS_BYTES] = { "tree_write_chars_bytes", 0 },
    [COL_CG_CPU_SECONDS] = { "cgroup_cpu_seconds", 3 },
    [COL_CG_CPU_USER_SECONDS] = { "cgroup_cpu_user_seconds", 2 },
    [COL_CG_CPU_SYSTEM_SECONDS] = { "cgroup_cpu_system_seconds", 2 },
    [COL_CG_CPU_PERCENT] = { "cgroup_cpu_percent", 1 },
    [COL_CG_CPU_LIMIT_CORES] = { "cgroup_cpu_limit_cores", 2 },
    [COL_CG_CPU_THROTTLED_SECONDS] = { "cgroup_cpu_throttled_seconds", 3 },
    [COL_CG_MEM_BYTES] = { "cgroup_memory_bytes", 0 },
    [COL_CG_MEM_USAGE_BYTES] = { "cgroup_memory_usage_bytes", 0 },
    [COL_CG_MEM_CACHE_BYTES] = { "cgroup_memory_inactive_file_bytes", 0 },
    [COL_CG_MEM_LIMIT_BYTES] = { "cgroup_memory_limit_bytes", 0 },
    [COL_CG_MEM_PEAK_BYTES] = { "cgroup_memory_peak_bytes", 0 },
    [COL_CG_OOM_KILLS] = { "cgroup_oom_kills_total", 0 },
    [COL_CG_DISK_READ_BYTES] = { "cgroup_disk_read_bytes", 0 },
    [COL_CG_DISK_WRITE_BYTES] = { "cgroup_disk_write_bytes", 0 },
    [COL_CG_DISK_READ_BPS] = { "cgroup_disk_read_bytes_per_second", 0 },
    [COL_CG_DISK_WRITE_BPS] = { "cgroup_disk_write_bytes_per_second", 0 },
    [COL_CG_CPU_PRESSURE] = { "cgroup_cpu_pressure_some_avg10_percent", 2 },
    [COL_CG_MEM_PRESSURE] = { "cgroup_memory_pressure_some_avg10_percent", 2 },
    [COL_CG_IO_PRESSURE] = { "cgroup_io_pressure_some_avg10_percent", 2 },
    [COL_HOST_CPU_PERCENT] = { "host_cpu_percent", 1 },
    [COL_HOST_CPU_USER_SECONDS] = { "host_cpu_user_seconds", 2 },
    [COL_HOST_CPU_SYSTEM_SECONDS] = { "host_cpu_system_seconds", 2 },
    [COL_HOST_CPU_IDLE_SECONDS] = { "host_cpu_idle_seconds", 2 },
    [COL_HOST_CPU_IOWAIT_SECONDS] = { "host_cpu_iowait_seconds", 2 },
    [COL_HOST_CPU_STEAL_SECONDS] = { "host_cpu_steal_seconds", 2 },
    [COL_HOST_MEM_TOTAL_BYTES] = { "host_memory_total_bytes", 0 },
    [COL_HOST_MEM_AVAILABLE_BYTES] = { "host_memory_available_bytes", 0 },
    [COL_HOST_LOAD1] = { "host_load1", 2 },
    [COL_HOST_CPU_PRESSURE] = { "host_cpu_pressure_some_avg10_percent", 2 },
    [COL_HOST_MEM_PRESSURE] = { "host_memory_pressure_some_avg10_percent", 2 },
    [COL_HOST_IO_PRESSURE] = { "host_io_pressure_some_avg10_percent", 2 },
    [COL_NET_RX_BYTES] = { "net_rx_bytes", 0 },
    [COL_NET_TX_BYTES] = { "net_tx_bytes", 0 },
    [COL_NET_RX_PACKETS] = { "net_rx_packets", 0 },
    [COL_NET_TX_PACKETS] = { "net_tx_packets", 0 },
    [COL_NET_RX_BPS] = { "net_rx_bytes_per_second", 0 },
    [COL_NET_TX_BPS] = { "net_tx_bytes_per_second", 0 },
    [COL_NET_TCP_RETRANS] = { "net_tcp_retrans_segments_total", 0 },
    [COL_GPU_COUNT] = { "gpu_count", 0 },
    [COL_GPU_UTIL_PERCENT] = { "gpu_utilization_percent", 1 },
    [COL_GPU_MEM_USED_BYTES] = { "gpu_memory_used_bytes", 0 },
    [COL_GPU_MEM_TOTAL_BYTES] = { "gpu_memory_total_bytes", 0 },
    [COL_GPU_POWER_WATTS] = { "gpu_power_watts", 1 },
    [COL_NEURON_DEVICE_COUNT] = { "neuron_device_count", 0 },
    [COL_NEURONCORE_IN_USE] = { "neuroncore_in_use_count", 0 },
    [COL_NEURONCORE_UTIL_PERCENT] = { "neuroncore_utilization_percent", 1 },
    [COL_NEURON_DEVICE_MEM_USED_BYTES] = { "neuron_device_memory_used_bytes", 0 },
    [COL_NEURON_HOST_MEM_USED_BYTES] = { "neuron_host_memory_used_bytes", 0 },
};

int series_layout_add(series_layout *l, const char *name, int decimals)
{
    if (l->n_extra == l->cap_extra) {
        size_t cap = l->cap_extra ? l->cap_extra * 2 : 16;
        char **names = realloc(l->extra_names, cap * sizeof *names);
        if (!names)
            return -1;
        l->extra_names = names;
        int *dec = realloc(l->extra_decimals, cap * sizeof *dec);
        if (!dec)
            return -1;
        l->extra_decimals = dec;
        l->cap_extra = cap;
    }
    char *copy = strdup(name);
    if (!copy)
        return -1;
    l->extra_names[l->n_extra] = copy;
    l->extra_decimals[l->n_extra] = decimals;
    l->n_extra++;
    return 0;
}

void series_layout_free(series_layout *l)
{
    for (size_t i = 0; i < l->n_extra; i++)
        free(l->extra_names[i]);
    free(l->extra_names);
    free(l->extra_decimals);
    memset(l, 0, sizeof *l);
}

int series_row_init(series_row *r, const series_layout *l)
{
    memset(r, 0, sizeof *r);
    r->n_extra = l->n_extra;
    if (r->n_extra) {
        r->extra = malloc(r->n_extra * sizeof *r->extra);
        if (!r->extra)
            return -1;
    }
    series_row_clear(r);
    return 0;
}

void series_row_clear(series_row *r)
{
    for (size_t i = 0; i < COL_FIXED_COUNT; i++)
        r->v[i] = NAN;
    for (size_t i = 0; i < r->n_extra; i++)
        r->extra[i] = NAN;
}

void series_row_free(series_row *r)
{
    free(r->extra);
    r->extra = NULL;
    r->n_extra = 0;
}

/* Writes the decimal digits of v; returns how many. */
static size_t put_u64(uint64_t v, char *out)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

/* Fixed point with DECIMALS digits, by hand: printf's float formatting (musl's fmt_fp)
 * is most of a row's cost. trim: drop trailing zeros of the fraction (12.50 -> 12.5,
 * 3.00 -> 3), else keep them all as printf's %.*f does. */
static size_t format_fixed(double v, int decimals, int trim, char *out, size_t outlen)
{
    if (outlen == 0)
        return 0;
    out[0] = '\0';
    if (!isfinite(v) || outlen < 32)
        return 0;
    static const double scale[] = { 1, 10, 100, 1000, 10000, 100000, 1000000 };
    if (decimals < 0 || decimals > 6 || fabs(v) * scale[decimals] >= 9.0e15) {
        /* out of the exact integer range: printf knows best */
        int n = trim ? snprintf(out, outlen, "%.*g", 17, v)
                     : snprintf(out, outlen, "%.*f", decimals < 0 ? 0 : decimals, v);
        if (n > 0 && (size_t)n < outlen)
            return (size_t)n;
        out[0] = '\0'; /* did not fit: nothing rather than a cut number */
        return 0;
    }
    /* fixed point by hand: printf's float formatting is most of a row's cost */
    uint64_t scaled = (uint64_t)llround(fabs(v) * scale[decimals]);
    size_t n = 0;
    if (v < 0 && scaled != 0)
        out[n++] = '-';
    uint64_t ip = scaled, fp = 0;
    if (decimals > 0) {
        ip = scaled / (uint64_t)scale[decimals];
        fp = scaled % (uint64_t)scale[decimals];
    }
    n += put_u64(ip, out + n);
    if (fp || (!trim && decimals > 0)) { /* trimmed: shorter files, same value */
        int d = decimals;
        while (trim && fp % 10 == 0) {
            fp /= 10;
            d--;
        }
        out[n++] = '.';
        char digits[8];
        for (int i = d - 1; i >= 0; i--) {
            digits[i] = (char)('0' + fp % 10);
            fp /= 10;
        }
        memcpy(out + n, digits, (size_t)d);
        n += (size_t)d;
    }
    out[n] = '\0';
    return n;
}

size_t series_format_value(double v, int decimals, char *out, size_t outlen)
{
    return format_fixed(v, decimals, 1, out, outlen);
}

size_t series_format_fixed(double v, int decimals, char *out, size_t outlen)
{
    return format_fixed(v, decimals, 0, out, outlen);
}

void series_format_time(rfc3339_cache *c, double epoch, char *out, size_t outlen)
{
    if (!(epoch >= 0 && epoch < 253402300800.0) || outlen < 25) {
        format_rfc3339_ms(epoch, out, outlen);
        return;
    }
    /* the second and millisecond exactly as format_rfc3339_ms rounds them */
    time_t secs = (time_t)epoch;
    int ms = (int)((epoch - (double)secs) * 1000.0 + 0.5);
    if (ms >= 1000) {
        secs += 1;
        ms -= 1000;
    }
    if (!c->have || c->sec != (long long)secs) {
        char full[32];
        format_rfc3339_ms((double)secs, full, sizeof full); /* "...:SS.000Z" */
        memcpy(c->head, full, 20);
        c->sec = (long long)secs;
        c->have = 1;
    }
    memcpy(out, c->head, 20);
    out[20] = (char)('0' + ms / 100);
    out[21] = (char)('0' + ms / 10 % 10);
    out[22] = (char)('0' + ms % 10);
    out[23] = 'Z';
    out[24] = '\0';
}

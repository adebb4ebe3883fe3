/* GPU figures from `nvidia-smi --query-gpu=... -lms N`, run as a helper process (a static
 * binary cannot dlopen NVML). The helper writes one CSV line per device per period; the
 * monitor reads them as they come and keeps the latest per device. Without the driver's
 * /dev/nvidiactl, or without nvidia-smi on PATH, nothing runs and the gpu_* columns stay
 * empty.
 *
 * Ownership: gpu_sampler_open() allocates (or leaves *out NULL when there is no GPU
 * tool); gpu_sampler_close() stops the helper, reaps it and frees. */
#ifndef MONITOR_SAMPLE_GPU_H
#define MONITOR_SAMPLE_GPU_H

#include <sys/types.h>

#include "monitor/series.h"

typedef struct gpu_sampler gpu_sampler;

typedef struct gpu_reading {
    int index;
    double util_percent, mem_used_bytes, mem_total_bytes, power_watts;  /* NAN: n/a */
} gpu_reading;

/* Finds the devices, names the gpuN_* columns in layout and starts the helper. 0 (with
 * *out NULL when there is no GPU tool or no device) or -1. */
int   gpu_sampler_open(double interval, series_layout *layout, gpu_sampler **out);
pid_t gpu_sampler_pid(const gpu_sampler *g);     /* the helper, for the reaper */
int   gpu_sampler_fd(const gpu_sampler *g);      /* to poll; -1 when the helper is gone */
void  gpu_sampler_pump(gpu_sampler *g);          /* reads what the helper wrote */
void  gpu_sampler_fill(const gpu_sampler *g, series_row *row);
/* The helper exited (the reaper saw it): stop reading it. */
void  gpu_sampler_helper_exited(gpu_sampler *g);
void  gpu_sampler_close(gpu_sampler *g);

/* "0, 35, 1024, 16384, 70.51" (index, util %, MiB used, MiB total, W). 0 or -1. */
int parse_gpu_line(const char *line, size_t len, gpu_reading *out);

#endif

/* AWS Inferentia/Trainium figures from `neuron-monitor` (aws-neuron-tools), run as a
 * helper process like nvidia-smi: it prints one JSON report per line each period, which
 * the monitor parses (jansson) as it comes, keeping the latest. Without /dev/neuron0, or
 * without neuron-monitor on PATH, nothing runs and the neuron* columns stay empty.
 *
 * Ownership: neuron_sampler_open() allocates (or leaves *out NULL when there is no tool);
 * neuron_sampler_close() stops the helper, reaps it and frees. */
#ifndef MONITOR_SAMPLE_NEURON_H
#define MONITOR_SAMPLE_NEURON_H

#include <stddef.h>
#include <sys/types.h>

#include "monitor/series.h"

typedef struct neuron_sampler neuron_sampler;

/* One report, over every Neuron application neuron-monitor sees; NAN: not in it. */
typedef struct neuron_reading {
    double device_count;         /* neuron_hardware_info.neuron_device_count */
    double cores_in_use;         /* NeuronCores in neuroncore_counters.neuroncores_in_use */
    double core_util_percent;    /* their mean neuroncore_utilization */
    double device_mem_bytes;     /* memory_used.neuron_runtime_used_bytes.neuron_device, summed */
    double host_mem_bytes;       /* ... .host, summed */
} neuron_reading;

/* Parses one report (the documented neuron-monitor JSON output). 0, or -1 when it is not
 * a JSON object. Fields that are missing or of the wrong type stay NAN. */
int parse_neuron_report(const char *json, size_t len, neuron_reading *out);

/* Starts the helper when neuron-monitor is on PATH, with a period of the interval
 * rounded to whole seconds (at least 1, neuron-monitor's unit). 0 (with *out NULL when
 * there is no tool) or -1. */
int   neuron_sampler_open(double interval, neuron_sampler **out);
pid_t neuron_sampler_pid(const neuron_sampler *n);   /* the helper, for the reaper */
int   neuron_sampler_fd(const neuron_sampler *n);    /* to poll; -1 when it is gone */
void  neuron_sampler_pump(neuron_sampler *n);        /* reads what the helper wrote */
void  neuron_sampler_fill(const neuron_sampler *n, series_row *row);
void  neuron_sampler_helper_exited(neuron_sampler *n);
void  neuron_sampler_close(neuron_sampler *n);

#endif

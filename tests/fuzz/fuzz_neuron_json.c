/* libFuzzer target: neuron-monitor's output is read from a helper process, so any bytes
 * may arrive; the report parser must neither crash nor leak, and whatever it returns is
 * either NAN or a finite number. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "monitor/sample_neuron.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(double v)
{
    if (!isnan(v) && !isfinite(v))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    neuron_reading r;
    int rc = parse_neuron_report((const char *)data, size, &r);
    if (rc != 0 && rc != -1)
        abort();
    check(r.device_count);
    check(r.cores_in_use);
    check(r.core_util_percent);
    check(r.device_mem_bytes);
    check(r.host_mem_bytes);
    if (isfinite(r.core_util_percent) && !(r.cores_in_use > 0))
        abort();
    return 0;
}

/* libFuzzer target: benchmark_custom.txt content is written by the workload, so anything
 * may be in it; the parser must neither crash nor read out of bounds, and must give
 * either a finite value or a reason. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "monitor/custom_metric.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    custom_metric m;
    if (custom_metric_parse((const char *)data, size, &m) == 0) {
        if (m.has_value && !isfinite(m.value))
            abort();
        if (!m.has_value && m.reason[0] == '\0')
            abort();
    }
    custom_metric_free(&m);
    return 0;
}

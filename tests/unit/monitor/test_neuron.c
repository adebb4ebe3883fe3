/* neuron-monitor's JSON reports (the documented output format; fixture recorded in that
 * format): totals over applications, missing and mistyped fields, non-reports. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "monitor/sample_neuron.h"
#include "tests/unit/unit.h"

#define FIX "tests/unit/monitor/fixtures/"

TEST(documented_report)
{
    char *text = NULL;
    size_t len = 0;
    CHECK_INT(read_file(FIX "neuron_monitor_report.json", &text, &len), 0);
    neuron_reading r;
    CHECK_INT(parse_neuron_report(text, len, &r), 0);
    CHECK_NEAR(r.device_count, 1, 0);
    CHECK_NEAR(r.cores_in_use, 3, 0);                     /* 2 + 1 over two applications */
    CHECK_NEAR(r.core_util_percent, (40.5 + 60.5 + 20) / 3, 1e-9);
    CHECK_NEAR(r.device_mem_bytes, 4e9, 0);
    CHECK_NEAR(r.host_mem_bytes, 1.5e9, 0);
    free(text);
}

TEST(partial_reports)
{
    neuron_reading r;
    /* only the two objects always present, no application running */
    const char *idle = "{\"neuron_runtime_data\":[],\"instance_info\":{},"
                       "\"neuron_hardware_info\":{\"neuron_device_count\":16}}";
    CHECK_INT(parse_neuron_report(idle, strlen(idle), &r), 0);
    CHECK_NEAR(r.device_count, 16, 0);
    CHECK(isnan(r.cores_in_use) && isnan(r.core_util_percent));
    CHECK(isnan(r.device_mem_bytes) && isnan(r.host_mem_bytes));
    /* an application with no core in use, and one whose groups failed */
    const char *none = "{\"neuron_runtime_data\":[{\"report\":{\"neuroncore_counters\":"
                       "{\"neuroncores_in_use\":{},\"error\":\"\"}}},{\"error\":\"gone\"}]}";
    CHECK_INT(parse_neuron_report(none, strlen(none), &r), 0);
    CHECK_NEAR(r.cores_in_use, 0, 0);
    CHECK(isnan(r.core_util_percent) && isnan(r.device_count));
    /* wrong types are left out, not guessed */
    const char *odd = "{\"neuron_hardware_info\":{\"neuron_device_count\":\"2\"},"
                      "\"neuron_runtime_data\":[{\"report\":{\"neuroncore_counters\":"
                      "{\"neuroncores_in_use\":{\"0\":{\"neuroncore_utilization\":\"x\"},"
                      "\"1\":{\"neuroncore_utilization\":50}}},\"memory_used\":"
                      "{\"neuron_runtime_used_bytes\":{\"host\":null,\"neuron_device\":7}}}},"
                      "5]}";
    CHECK_INT(parse_neuron_report(odd, strlen(odd), &r), 0);
    CHECK(isnan(r.device_count));
    CHECK_NEAR(r.cores_in_use, 1, 0);
    CHECK_NEAR(r.core_util_percent, 50, 0);
    CHECK_NEAR(r.device_mem_bytes, 7, 0);
    CHECK(isnan(r.host_mem_bytes));
}

TEST(not_reports)
{
    neuron_reading r;
    static const char *const bad[] = { "", "[1,2]", "{\"a\":", "null", "42",
                                       "{\"a\":1,\"a\":2}", "neuron-monitor: error" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_INT(parse_neuron_report(bad[i], strlen(bad[i]), &r), -1);
        CHECK(isnan(r.device_count) && isnan(r.cores_in_use));
    }
}

int main(void)
{
    RUN(documented_report);
    RUN(partial_reports);
    RUN(not_reports);
    return unit_done();
}

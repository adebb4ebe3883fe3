/* libFuzzer target: the older tool's benchmark_config.json parser (outside input). A
 * rejected config leaves an error naming the file and a position. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "orchestrator/collect.h"
#include "orchestrator/config.h"
#include "orchestrator/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    config c;
    char err[1024] = "";
    config_init(&c);
    if (config_parse_legacy_json("f.json", (const char *)data, size, &c, err, sizeof err) != 0) {
        if (strncmp(err, "f.json:", 7) != 0)
            abort();
    } else {
        (void)config_check(&c, err, sizeof err);
    }
    config_free(&c);
    /* The same bytes as a job's summary.json (also outside input, written by the job). */
    journal_result r;
    journal_result_init(&r);
    (void)collect_parse_summary((const char *)data, size, &r, err, sizeof err);
    journal_result_free(&r);
    return 0;
}

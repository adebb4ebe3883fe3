/* libFuzzer target: results.csv as the report reads it (a file anyone may edit): the CSV
 * reader and the model built on it (groups, statistics, ranking, Pareto front). */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "orchestrator/csv_read.h"
#include "orchestrator/report_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    csv_table t;
    if (csv_parse((const char *)data, size, &t, err, sizeof err) == 0) {
        for (size_t r = 0; r < t.n_rows; r++)
            for (size_t c = 0; c < t.header.n + 1; c++)
                (void)csv_get(&t, r, (int)c);
        csv_table_free(&t);
    }
    report_model m;
    if (report_model_parse((const char *)data, size, "cost", &m, err, sizeof err) == 0) {
        size_t ranked = 0;
        for (size_t g = 0; g < m.n_groups; g++) {
            if (m.groups[g].n != m.groups[g].n_ok + m.groups[g].n_failed)
                abort();
            ranked += m.groups[g].rank > 0;
        }
        if (ranked != m.n_ranked)
            abort();
        report_model_free(&m);
    }
    return 0;
}

/* `orchestrate simulate`'s table loading (CSV parse, column typing, instance-name guessing,
 * configuration merging) and a short replay on whatever table the input is. The first two
 * columns are the parameters; the third is the objective; a fourth groups workloads, a
 * fifth makes the second a node count, a sixth is the price. */
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "orchestrator/csv_read.h"
#include "orchestrator/simulate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    csv_table t;
    char err[256];
    if (size > 1 << 16 || csv_parse((const char *)data, size, &t, err, sizeof err) != 0)
        return 0;
    if (t.header.n >= 3 && !strchr(t.header.field[2], '`') && strlen(t.header.field[2]) < 100) {
        char objective[128];
        snprintf(objective, sizeof objective, "`%s`", t.header.field[2]);
        const char *params[2] = { t.header.field[0], t.header.field[1] };
        /* A sixth column is the price, when its name can be quoted. */
        char price[128];
        snprintf(price, sizeof price, "`%s`",
                 t.header.n >= 6 && !strchr(t.header.field[5], '`') ? t.header.field[5] : "");
        /* A fifth column makes the second the node count. */
        sim_load_options lo = { params, 2, objective, t.header.n >= 4 ? t.header.field[3] : NULL,
                                NULL, t.header.n >= 5 ? params[1] : NULL,
                                t.header.n >= 6 && price[1] != '`' ? price : NULL };
        sim_workload *ws = NULL;
        size_t n = 0;
        if (sim_load_table(&t, "fuzz", &lo, &ws, &n, err, sizeof err) == 0) {
            for (size_t i = 0; i < n && i < 2; i++) {
                search_options o;
                search_options_default(&o);
                o.algo = ws[i].n <= 8 ? SEARCH_ALGO_BAYES : SEARCH_ALGO_RANDOM;
                sim_result r;
                sim_pick picks[200];
                if (ws[i].n <= 200)
                    sim_replay_traced(&ws[i], &o, 2, &r, picks, err, sizeof err);
            }
        }
        sim_workloads_free(ws, n);
    }
    csv_table_free(&t);
    return 0;
}

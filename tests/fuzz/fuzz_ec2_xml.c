/* libFuzzer target: EC2 query-protocol responses (DescribeSpotPriceHistory,
 * DescribeInstanceTypes) read through expat. No crash, no leak, and only positive finite
 * spot prices. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "orchestrator/instance_facts.h"
#include "orchestrator/prices.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256], *next = NULL;
    spot_acc *a = spot_acc_new();
    price_table t;
    price_table_init(&t);
    if (a && spot_parse_page((const char *)data, size, a, &next, err, sizeof err) == 0 &&
        spot_acc_finish(a, &t) == 0) {
        for (size_t i = 0; i < t.n; i++)
            if (!(t.items[i].usd_per_hour > 0) || !isfinite(t.items[i].usd_per_hour))
                abort();
    }
    free(next);
    next = NULL;
    spot_acc_free(a);
    price_table_free(&t);

    instance_facts_table f;
    instance_facts_init(&f);
    if (instance_facts_parse_page((const char *)data, size, &f, &next, err, sizeof err) == 0)
        for (size_t i = 0; i < f.n; i++)
            if (!f.v[i].name || f.v[i].vcpus <= 0)
                abort();
    free(next);
    instance_facts_free(&f);
    return 0;
}

/* libFuzzer target: the Price List API's GetProducts pages (JSON whose PriceList entries
 * are JSON documents in strings) and the price cache file. Whatever arrives, the parsers
 * must not crash, and a price they accept must be positive and finite. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "orchestrator/prices.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_table(const price_table *t)
{
    for (size_t i = 0; i < t->n; i++)
        if (!(t->items[i].usd_per_hour > 0) || !isfinite(t->items[i].usd_per_hour))
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256], *next = NULL;
    price_table t;
    price_table_init(&t);
    if (pricing_parse_page((const char *)data, size, "us-east-1", &t, &next, err,
                           sizeof err) == 0)
        check_table(&t);
    free(next);
    price_table_free(&t);
    if (price_table_parse((const char *)data, size, &t, err, sizeof err) == 0) {
        check_table(&t);
        price_table_free(&t);
    }
    return 0;
}

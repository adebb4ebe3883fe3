/* The cost of a run, by the older tool's formula: runtime/3600 × $/hour × nodes. The queue
 * and boot time AWS Batch reports (startedAt − createdAt) is kept apart: it is shown, not
 * billed into cost_usd. A run without a price has no cost (NAN, an empty CSV field) and a
 * note saying why, never a cost of 0. */
#ifndef ORCHESTRATOR_COSTS_H
#define ORCHESTRATOR_COSTS_H

#include <stddef.h>

#include "orchestrator/prices.h"

struct config;

/* NAN when runtime or price is unknown (NAN or negative); nodes < 1 counts as 1. */
double cost_usd(double runtime_seconds, double usd_per_hour, int nodes);
/* startedAt − createdAt in seconds; NAN when either is unknown (0) or they are reversed. */
double queue_seconds(double created_at, double started_at);

typedef struct job_cost {
    double price_per_hour;    /* NAN: unknown */
    double cost_usd;          /* NAN: unknown */
    double queue_seconds;     /* NAN: unknown */
    char price_source[128];   /* price_quote.source: "" when unknown */
    char note[256];           /* why there is no cost, or "" */
} job_cost;

void costs_for_job(const price_book *b, const char *instance_type, double runtime_seconds,
                   int nodes, double created_at, double started_at, job_cost *out);

/* A CSV field for a number: "" for NAN, else the shortest form that reads back the same
 * to 10 significant digits. */
void costs_format(double v, char *buf, size_t n);

/* Opens the price book a config asks for: its region, spot or On-demand, its cache path
 * and maximum age, and as overrides its pricing.prices plus the local profiles' prices.
 * types: the plan's instance types (spot prices are fetched for these). */
int price_book_open_for_config(const struct config *cfg, const char *const *types,
                               size_t n_types, price_book **out, char *err, size_t errlen);

#endif

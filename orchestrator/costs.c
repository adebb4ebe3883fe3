#include "orchestrator/costs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orchestrator/config.h"

double cost_usd(double runtime_seconds, double usd_per_hour, int nodes)
{
    if (isnan(runtime_seconds) || isnan(usd_per_hour) || runtime_seconds < 0 ||
        usd_per_hour < 0)
        return NAN;
    return runtime_seconds / 3600.0 * usd_per_hour * (nodes < 1 ? 1 : nodes);
}

double queue_seconds(double created_at, double started_at)
{
    if (!(created_at > 0) || !(started_at > 0) || started_at < created_at)
        return NAN;
    return started_at - created_at;
}

void costs_for_job(const price_book *b, const char *instance_type, double runtime_seconds,
                   int nodes, double created_at, double started_at, job_cost *out)
{
    price_quote q;
    memset(out, 0, sizeof *out);
    price_book_lookup(b, instance_type, &q);
    out->price_per_hour = q.usd_per_hour;
    out->cost_usd = cost_usd(runtime_seconds, q.usd_per_hour, nodes);
    out->queue_seconds = queue_seconds(created_at, started_at);
    snprintf(out->price_source, sizeof out->price_source, "%s", q.source);
    if (q.note[0])
        snprintf(out->note, sizeof out->note, "%s", q.note);
    else if (isnan(runtime_seconds))
        snprintf(out->note, sizeof out->note, "no runtime recorded for this run");
}

void costs_format(double v, char *buf, size_t n)
{
    if (isnan(v) || isinf(v)) {
        if (n)
            buf[0] = '\0';
        return;
    }
    snprintf(buf, n, "%.10g", v);
}

int price_book_open_for_config(const config *cfg, const char *const *types, size_t n_types,
                               price_book **out, char *err, size_t errlen)
{
    size_t n = cfg->pricing.n_overrides + cfg->local.n_profiles, k = 0;
    price_override *ov = n ? calloc(n, sizeof *ov) : NULL;
    if (n && !ov) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* A local profile's price is what the user says this machine costs; an explicit
     * pricing override for the same name comes later and so wins. */
    for (size_t i = 0; i < cfg->local.n_profiles; i++) {
        if (cfg->local.profiles[i].has_price) {
            ov[k].instance_type = cfg->local.profiles[i].name;
            ov[k++].usd_per_hour = cfg->local.profiles[i].price_per_hour;
        }
    }
    for (size_t i = 0; i < cfg->pricing.n_overrides; i++) {
        ov[k].instance_type = cfg->pricing.overrides[i].instance_type;
        ov[k++].usd_per_hour = cfg->pricing.overrides[i].per_hour;
    }
    price_options opt = {
        .region = cfg->region,
        .cache_path = cfg->pricing.cache_path,
        .max_age_days = cfg->pricing.max_age_days,
        .spot = cfg->pricing.spot || cfg->batch.spot,
        .spot_types = types,
        .n_spot_types = n_types,
        .overrides = ov,
        .n_overrides = k,
    };
    int rc = price_book_open(&opt, out, err, errlen);
    free(ov);
    return rc;
}

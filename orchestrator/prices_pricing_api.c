/* On-demand prices from the AWS Price List API: GetProducts (JSON 1.1 protocol), whose
 * PriceList entries are JSON documents inside JSON strings. */
#include "orchestrator/prices.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/timeutil.h"

/* The filters of the older tool: the price a Linux instance on shared hardware pays. */
static const char *const FILTERS[][2] = {
    { "operatingSystem", "Linux" },
    { "tenancy", "Shared" },
    { "preInstalledSw", "NA" },
    { "capacitystatus", "Used" },
};
#define N_FILTERS (sizeof FILTERS / sizeof FILTERS[0])

static json_t *term_match(const char *field, const char *value)
{
    return json_pack("{s:s, s:s, s:s}", "Type", "TERM_MATCH", "Field", field, "Value", value);
}

char *pricing_request_body(const char *region, const char *next_token)
{
    json_t *filters = json_array();
    for (size_t i = 0; i < N_FILTERS; i++)
        json_array_append_new(filters, term_match(FILTERS[i][0], FILTERS[i][1]));
    json_array_append_new(filters, term_match("regionCode", region));
    json_t *req = json_pack("{s:s, s:s, s:i, s:o}", "ServiceCode", "AmazonEC2",
                            "FormatVersion", "aws_v1", "MaxResults", 100, "Filters", filters);
    if (!req)
        return NULL;
    if (next_token)
        json_object_set_new(req, "NextToken", json_string(next_token));
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    return body;
}

static const char *attr(json_t *attrs, const char *key)
{
    return json_string_value(json_object_get(attrs, key));
}

/* The server is trusted to filter, but a product that slipped through (another OS, a
 * reservation, another region) must not give a type a wrong price. */
static int product_matches(json_t *attrs, const char *region)
{
    for (size_t i = 0; i < N_FILTERS; i++) {
        const char *v = attr(attrs, FILTERS[i][0]);
        if (v && strcmp(v, FILTERS[i][1]) != 0)
            return 0;
    }
    const char *rc = attr(attrs, "regionCode");
    if (region && rc && strcmp(rc, region) != 0)
        return 0;
    const char *op = attr(attrs, "operation");
    if (op && strcmp(op, "RunInstances") != 0)
        return 0;
    return 1;
}

static int usd_of(json_t *dim, double *usd)
{
    const char *s = json_string_value(json_object_get(json_object_get(dim, "pricePerUnit"), "USD"));
    if (!s)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno || !isfinite(v) || v < 0)
        return -1;
    *usd = v;
    return 0;
}

static int dim_is(json_t *dim, const char *key, const char *want)
{
    const char *v = json_string_value(json_object_get(dim, key));
    return v && strcmp(v, want) == 0;
}

/* A term may hold several price dimensions (tiers: a free first block of hours, then the
 * standard rate). The hourly rate is the dimension in hours whose range is open-ended,
 * preferring the one that starts at zero hours. Returns 0 with a positive *usd, or -1. */
static int hourly_rate(json_t *on_demand, double *usd)
{
    int best_score = -1;
    double best = NAN;
    const char *term_key, *dim_key;
    json_t *term, *dim;
    json_object_foreach(on_demand, term_key, term) {
        json_object_foreach(json_object_get(term, "priceDimensions"), dim_key, dim) {
            double v;
            const char *unit = json_string_value(json_object_get(dim, "unit"));
            if (!unit || strcasecmp(unit, "Hrs") != 0 || usd_of(dim, &v) != 0 || !(v > 0))
                continue;
            int score = 2 * dim_is(dim, "endRange", "Inf") + dim_is(dim, "beginRange", "0");
            if (score > best_score) {
                best_score = score;
                best = v;
            }
        }
    }
    if (best_score < 0)
        return -1;
    *usd = best;
    return 0;
}

/* Parses one PriceList entry (a JSON document in a string). Products that are not
 * priced per hour or do not match the filters are skipped, not errors. */
static int take_product(const char *doc, const char *region, price_table *t)
{
    json_error_t jerr;
    json_t *p = json_loads(doc, 0, &jerr);
    if (!p)
        return -1;
    int rc = 0;
    json_t *attrs = json_object_get(json_object_get(p, "product"), "attributes");
    const char *type = attr(attrs, "instanceType");
    double usd, existing;
    if (type && *type && product_matches(attrs, region) &&
        hourly_rate(json_object_get(json_object_get(p, "terms"), "OnDemand"), &usd) == 0 &&
        price_table_get(t, type, &existing) != 0)
        rc = price_table_set(t, type, usd);
    json_decref(p);
    return rc;
}

int pricing_parse_page(const char *body, size_t len, const char *region, price_table *t,
                       char **next_token, char *err, size_t errlen)
{
    json_error_t jerr;
    *next_token = NULL;
    json_t *root = json_loadb(body, len, 0, &jerr);
    if (!root) {
        snprintf(err, errlen, "GetProducts response is not JSON (line %d: %s)", jerr.line,
                 jerr.text);
        return -1;
    }
    int rc = -1;
    json_t *list = json_object_get(root, "PriceList");
    if (!json_is_array(list)) {
        snprintf(err, errlen, "GetProducts response has no PriceList array");
        goto out;
    }
    size_t i;
    json_t *entry;
    json_array_foreach(list, i, entry) {
        const char *doc = json_string_value(entry);
        if (!doc || take_product(doc, region, t) != 0) {
            snprintf(err, errlen, "GetProducts PriceList entry %zu is not a JSON document "
                     "in a string", i);
            goto out;
        }
    }
    const char *tok = json_string_value(json_object_get(root, "NextToken"));
    if (tok && *tok && !(*next_token = strdup(tok))) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    rc = 0;
out:
    json_decref(root);
    return rc;
}

/* A guard against a server that hands back the same token for ever. */
#define MAX_PAGES 1000

int pricing_fetch_on_demand(aws_session *s, const char *region, price_table *t,
                            char *err, size_t errlen)
{
    static const aws_header headers[] = {
        { "X-Amz-Target", "AWSPriceListService.GetProducts" },
        { "Content-Type", "application/x-amz-json-1.1" },
    };
    char *token = NULL;
    int pages = 0, rc = 0;
    free(t->region);
    free(t->kind);
    t->region = strdup(region);
    t->kind = strdup("on-demand");
    t->fetched_at = wall_seconds();
    do {
        char *body = pricing_request_body(region, token);
        free(token);
        token = NULL;
        if (!body) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        aws_request req = { .service = "pricing", .method = "POST", .path = "/",
                            .headers = headers, .n_headers = 2,
                            .body = body, .body_len = strlen(body) };
        aws_response resp = { 0 };
        aws_error aerr;
        if (aws_call(s, &req, &resp, &aerr) != 0) {
            snprintf(err, errlen, "Price List GetProducts (%s) failed: %s%s%s", region,
                     aerr.code, aerr.code[0] ? ": " : "", aerr.message);
            rc = -1;
        } else {
            rc = pricing_parse_page(resp.body, resp.body_len, region, t, &token, err, errlen);
        }
        aws_response_free(&resp);
        free(body);
        log_debug("GetProducts page %d: %zu prices so far", pages + 1, t->n);
    } while (rc == 0 && token && ++pages < MAX_PAGES);
    if (rc == 0 && token) {
        snprintf(err, errlen, "GetProducts kept paginating past %d pages", MAX_PAGES);
        rc = -1;
    }
    free(token);
    if (rc == 0 && t->n == 0) {
        snprintf(err, errlen, "GetProducts returned no Linux On-demand prices for region %s",
                 region);
        rc = -1;
    }
    return rc;
}

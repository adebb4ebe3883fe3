/* Price tables, their cache files, and the price book that resolves a type's price:
 * config override, then spot (when asked), then the On-demand cache. */
#include "orchestrator/prices.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "common/log.h"
#include "common/timeutil.h"

void price_table_init(price_table *t)
{
    memset(t, 0, sizeof *t);
}

void price_table_free(price_table *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->items[i].instance_type);
    free(t->items);
    free(t->region);
    free(t->kind);
    memset(t, 0, sizeof *t);
}

static price_item *table_find(const price_table *t, const char *type)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->items[i].instance_type, type) == 0)
            return &t->items[i];
    return NULL;
}

int price_table_set(price_table *t, const char *instance_type, double usd_per_hour)
{
    price_item *it = table_find(t, instance_type);
    if (it) {
        it->usd_per_hour = usd_per_hour;
        return 0;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        price_item *grown = realloc(t->items, cap * sizeof *grown);
        if (!grown)
            return -1;
        t->items = grown;
        t->cap = cap;
    }
    char *name = strdup(instance_type);
    if (!name)
        return -1;
    t->items[t->n].instance_type = name;
    t->items[t->n].usd_per_hour = usd_per_hour;
    t->n++;
    return 0;
}

int price_table_get(const price_table *t, const char *instance_type, double *usd)
{
    const price_item *it = table_find(t, instance_type);
    if (!it)
        return -1;
    *usd = it->usd_per_hour;
    return 0;
}

static const char *kind_source(const char *kind)
{
    return kind && strcmp(kind, "spot") == 0 ? "aws-spot" : "aws-price-list";
}

int price_table_save(const price_table *t, const char *path, char *err, size_t errlen)
{
    char when[32];
    format_rfc3339_ms(t->fetched_at, when, sizeof when);
    json_t *prices = json_object();
    json_t *root = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}",
                             "region", t->region ? t->region : "",
                             "kind", t->kind ? t->kind : "on-demand",
                             "source", kind_source(t->kind),
                             "currency", "USD",
                             "fetched_at", when,
                             "prices", prices);
    if (!root) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < t->n; i++)
        json_object_set_new(prices, t->items[i].instance_type,
                            json_real(t->items[i].usd_per_hour));
    char *text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS | JSON_REAL_PRECISION(12));
    json_decref(root);
    if (!text) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = 0;
    char *dir = strdup(path);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash && slash != dir) {
        *slash = '\0';
        mkdir_p(dir);
    }
    free(dir);
    if (write_file_atomic(path, text, strlen(text)) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        rc = -1;
    }
    free(text);
    return rc;
}

static int dup_string(json_t *root, const char *key, char **out)
{
    const char *s = json_string_value(json_object_get(root, key));
    if (!s)
        return -1;
    *out = strdup(s);
    return *out ? 0 : -1;
}

int price_table_parse(const char *json, size_t len, price_table *t, char *err, size_t errlen)
{
    json_error_t jerr;
    price_table_init(t);
    json_t *root = json_loadb(json, len, 0, &jerr);
    if (!root) {
        snprintf(err, errlen, "not JSON (line %d: %s)", jerr.line, jerr.text);
        return -1;
    }
    int rc = -1;
    json_t *prices = json_object_get(root, "prices");
    const char *when = json_string_value(json_object_get(root, "fetched_at"));
    if (!json_is_object(prices) || dup_string(root, "region", &t->region) != 0 ||
        dup_string(root, "kind", &t->kind) != 0) {
        snprintf(err, errlen, "not a price cache (needs region, kind, prices)");
        goto out;
    }
    if (!when || parse_rfc3339(when, &t->fetched_at) != 0)
        t->fetched_at = 0;
    const char *type;
    json_t *v;
    json_object_foreach(prices, type, v) {
        double usd = json_number_value(v);
        if (!json_is_number(v) || !(usd > 0) || !isfinite(usd))
            continue; /* a zero or junk price is no price */
        if (price_table_set(t, type, usd) != 0) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
    }
    rc = 0;
out:
    json_decref(root);
    if (rc != 0)
        price_table_free(t);
    return rc;
}

int price_table_load(const char *path, price_table *t, char *err, size_t errlen)
{
    char *data = NULL;
    size_t len = 0;
    price_table_init(t);
    if (read_file(path, &data, &len) != 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    char inner[256];
    int rc = price_table_parse(data, len, t, inner, sizeof inner);
    if (rc != 0)
        snprintf(err, errlen, "%s: %s", path, inner);
    free(data);
    return rc;
}

char *prices_default_cache_dir(void)
{
    const char *xdg = getenv("XDG_CACHE_HOME");
    if (xdg && *xdg)
        return path_join(xdg, "orchestrate");
    const char *home = getenv("HOME");
    char *base = path_join(home && *home ? home : "/tmp", ".cache");
    char *dir = base ? path_join(base, "orchestrate") : NULL;
    free(base);
    return dir;
}

char *prices_cache_path(const char *cache_dir, const char *kind, const char *region)
{
    char name[160];
    snprintf(name, sizeof name, "prices-%s%s.json",
             kind && strcmp(kind, "spot") == 0 ? "spot-" : "", region);
    return path_join(cache_dir, name);
}

/* ---- the price book ---- */

struct price_book {
    char *region;
    int spot;
    double max_age_days;
    price_table on_demand;   /* empty when no cache */
    price_table spot_prices;
    char on_demand_problem[256]; /* why on-demand prices are missing, or "" */
    char spot_problem[256];
    price_override *overrides;
    size_t n_overrides;
};

static void date_of(double epoch, char *out, size_t outlen)
{
    char full[32];
    format_rfc3339_ms(epoch, full, sizeof full);
    snprintf(out, outlen, "%.10s", full);
}

static void warn_if_stale(const price_table *t, const char *path, double max_age_days)
{
    double age_days = (wall_seconds() - t->fetched_at) / 86400.0;
    if (t->fetched_at > 0 && age_days <= max_age_days)
        return;
    log_warn("price cache %s is %.0f days old (limit %.0f): run `orchestrate prices --update "
             "--region %s` for current prices", path, age_days, max_age_days,
             t->region ? t->region : "REGION");
}

static void load_on_demand(price_book *b, const char *cache_dir, const char *cache_path)
{
    char *path = cache_path ? strdup(cache_path)
                            : prices_cache_path(cache_dir, "on-demand", b->region);
    char err[512];
    if (!path) {
        snprintf(b->on_demand_problem, sizeof b->on_demand_problem, "out of memory");
        return;
    }
    if (!file_exists(path)) {
        snprintf(b->on_demand_problem, sizeof b->on_demand_problem,
                 "no On-demand price cache for %s (%s): run `orchestrate prices --update "
                 "--region %s`", b->region, path, b->region);
    } else if (price_table_load(path, &b->on_demand, err, sizeof err) != 0) {
        snprintf(b->on_demand_problem, sizeof b->on_demand_problem, "%.250s", err);
        log_warn("%s", err);
    } else {
        warn_if_stale(&b->on_demand, path, b->max_age_days);
    }
    free(path);
}

/* Spot prices move hourly: fetch them now; the cache is the fallback when AWS cannot be
 * reached, with the date it was fetched shown as the source. */
static void load_spot(price_book *b, const price_options *opt, const char *cache_dir)
{
    char err[512] = "";
    char *path = prices_cache_path(cache_dir, "spot", b->region);
    aws_session *s = NULL;
    aws_error aerr;
    aws_session_options so = { .region = b->region };
    int fetched = 0;
    if (opt->n_spot_types > 0 && aws_session_new(&so, &s, &aerr) == 0) {
        if (spot_fetch(s, opt->spot_types, opt->n_spot_types, &b->spot_prices, err,
                       sizeof err) == 0) {
            fetched = 1;
            if (path && price_table_save(&b->spot_prices, path, err, sizeof err) != 0)
                log_warn("%s", err);
        }
        aws_session_free(s);
    } else if (opt->n_spot_types > 0) {
        snprintf(err, sizeof err, "%s", aerr.message);
    }
    if (!fetched) {
        price_table_free(&b->spot_prices);
        if (path && file_exists(path) &&
            price_table_load(path, &b->spot_prices, err, sizeof err) == 0) {
            log_warn("spot prices could not be fetched now; using the cache of %s", path);
        } else {
            snprintf(b->spot_problem, sizeof b->spot_problem,
                     "no spot price for %s: %.200s", b->region, err[0] ? err : "not fetched");
        }
    }
    free(path);
}

static int copy_overrides(price_book *b, const price_options *opt)
{
    if (opt->n_overrides == 0)
        return 0;
    b->overrides = calloc(opt->n_overrides, sizeof *b->overrides);
    if (!b->overrides)
        return -1;
    for (size_t i = 0; i < opt->n_overrides; i++) {
        char *name = strdup(opt->overrides[i].instance_type);
        if (!name)
            return -1;
        b->overrides[i].instance_type = name;
        b->overrides[i].usd_per_hour = opt->overrides[i].usd_per_hour;
        b->n_overrides = i + 1;
    }
    return 0;
}

int price_book_open(const price_options *opt, price_book **out, char *err, size_t errlen)
{
    price_book *b = calloc(1, sizeof *b);
    char *cache_dir = opt->cache_dir ? strdup(opt->cache_dir) : prices_default_cache_dir();
    *out = NULL;
    if (!b || !cache_dir)
        goto oom;
    b->region = strdup(opt->region ? opt->region : "us-east-1");
    if (!b->region || copy_overrides(b, opt) != 0)
        goto oom;
    b->spot = opt->spot;
    b->max_age_days = opt->max_age_days > 0 ? opt->max_age_days : 30;
    price_table_init(&b->on_demand);
    price_table_init(&b->spot_prices);
    if (opt->spot)
        load_spot(b, opt, cache_dir);
    else
        load_on_demand(b, cache_dir, opt->cache_path);
    free(cache_dir);
    *out = b;
    return 0;
oom:
    free(cache_dir);
    price_book_free(b);
    snprintf(err, errlen, "out of memory");
    return -1;
}

void price_book_free(price_book *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n_overrides; i++)
        free((char *)b->overrides[i].instance_type);
    free(b->overrides);
    price_table_free(&b->on_demand);
    price_table_free(&b->spot_prices);
    free(b->region);
    free(b);
}

static int lookup_override(const price_book *b, const char *type, price_quote *q)
{
    for (size_t i = b->n_overrides; i-- > 0;) { /* the last one given wins */
        if (strcmp(b->overrides[i].instance_type, type) == 0) {
            q->usd_per_hour = b->overrides[i].usd_per_hour;
            snprintf(q->source, sizeof q->source, "config");
            return 0;
        }
    }
    return -1;
}

void price_book_lookup(const price_book *b, const char *instance_type, price_quote *q)
{
    q->usd_per_hour = NAN;
    q->source[0] = '\0';
    q->note[0] = '\0';
    if (lookup_override(b, instance_type, q) == 0)
        return;
    const price_table *t = b->spot ? &b->spot_prices : &b->on_demand;
    const char *problem = b->spot ? b->spot_problem : b->on_demand_problem;
    double usd;
    if (problem[0]) {
        snprintf(q->note, sizeof q->note, "%s", problem);
    } else if (price_table_get(t, instance_type, &usd) != 0) {
        snprintf(q->note, sizeof q->note, "no %s Linux price for %s in %s (not in the "
                 "price list; give one under prices: in the config)",
                 b->spot ? "spot" : "On-demand", instance_type, b->region);
    } else {
        char date[16];
        date_of(t->fetched_at, date, sizeof date);
        q->usd_per_hour = usd;
        snprintf(q->source, sizeof q->source, "%s:%s:%s", kind_source(t->kind),
                 t->region ? t->region : b->region, date);
    }
}

int price_book_snapshot(const price_book *b, const char *const *types, size_t n_types,
                        const char *path, char *err, size_t errlen)
{
    json_t *prices = json_object();
    json_t *root = json_pack("{s:s, s:s, s:o}", "region", b->region,
                             "kind", b->spot ? "spot" : "on-demand", "prices", prices);
    if (!root) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    const price_table *t = b->spot ? &b->spot_prices : &b->on_demand;
    if (t->fetched_at > 0) {
        char when[32];
        format_rfc3339_ms(t->fetched_at, when, sizeof when);
        json_object_set_new(root, "fetched_at", json_string(when));
    }
    for (size_t i = 0; i < n_types; i++) {
        price_quote q;
        price_book_lookup(b, types[i], &q);
        json_t *e = isnan(q.usd_per_hour)
            ? json_pack("{s:n, s:s, s:s}", "usd_per_hour", "source", "", "note", q.note)
            : json_pack("{s:f, s:s}", "usd_per_hour", q.usd_per_hour, "source", q.source);
        json_object_set_new(prices, types[i], e);
    }
    char *text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS | JSON_REAL_PRECISION(12));
    json_decref(root);
    int rc = 0;
    if (!text || write_file_atomic(path, text, strlen(text)) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        rc = -1;
    }
    free(text);
    return rc;
}

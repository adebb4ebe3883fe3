/* `orchestrate prices`: refresh the price and instance-fact caches from AWS, or show what
 * they hold for some types. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "orchestrator/instance_facts.h"
#include "orchestrator/prices.h"

typedef struct prices_args {
    int update, spot, facts;
    const char *region;
    const char *cache_dir;
    double max_age_days;
    char **types;
    size_t n_types;
} prices_args;

static void usage(FILE *f)
{
    fprintf(f,
        "usage: orchestrate prices [--update] [--region R] [--cache-dir DIR] [--spot]\n"
        "                          [--max-age DAYS] [--no-facts] [TYPE...]\n"
        "  --update     fetch On-demand Linux prices (AWS Price List API) and instance facts\n"
        "               (EC2 DescribeInstanceTypes) for the region into the cache\n"
        "  --spot       also fetch current spot prices for the TYPEs given\n"
        "  TYPE...      show price, source and facts of these types\n");
}

static int parse_args(int argc, char **argv, prices_args *a)
{
    static const struct option opts[] = {
        { "update", no_argument, NULL, 'u' },      { "region", required_argument, NULL, 'r' },
        { "cache-dir", required_argument, NULL, 'c' }, { "spot", no_argument, NULL, 's' },
        { "max-age", required_argument, NULL, 'm' }, { "no-facts", no_argument, NULL, 'F' },
        { "help", no_argument, NULL, 'h' },        { NULL, 0, NULL, 0 },
    };
    memset(a, 0, sizeof *a);
    a->facts = 1;
    a->region = getenv("AWS_REGION");
    if (!a->region || !*a->region)
        a->region = getenv("AWS_DEFAULT_REGION");
    if (!a->region || !*a->region)
        a->region = "us-east-1";
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "+ur:c:sm:Fh", opts, NULL)) != -1) {
        switch (c) {
        case 'u': a->update = 1; break;
        case 'r': a->region = optarg; break;
        case 'c': a->cache_dir = optarg; break;
        case 's': a->spot = 1; break;
        case 'F': a->facts = 0; break;
        case 'm':
            a->max_age_days = strtod(optarg, NULL);
            if (!(a->max_age_days > 0)) {
                log_error("--max-age wants a positive number of days, not '%s'", optarg);
                return -1;
            }
            break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return -1;
        }
    }
    a->types = argv + optind;
    a->n_types = (size_t)(argc - optind);
    if (a->spot && a->n_types == 0) {
        log_error("--spot needs the instance types to price (spot prices are per type)");
        return -1;
    }
    return 0;
}

static int update_on_demand(const prices_args *a, const char *cache_dir)
{
    /* the Price List API is served from us-east-1 whatever region is priced */
    aws_session_options so = { .region = "us-east-1" };
    aws_session *s = NULL;
    aws_error aerr;
    char err[512];
    price_table t;
    price_table_init(&t);
    if (aws_session_new(&so, &s, &aerr) != 0) {
        log_error("cannot reach the AWS Price List API: %s", aerr.message);
        return -1;
    }
    char *path = prices_cache_path(cache_dir, "on-demand", a->region);
    int rc = pricing_fetch_on_demand(s, a->region, &t, err, sizeof err);
    if (rc == 0)
        rc = price_table_save(&t, path, err, sizeof err);
    if (rc == 0)
        printf("%zu On-demand Linux prices for %s written to %s\n", t.n, a->region, path);
    else
        log_error("%s", err);
    free(path);
    price_table_free(&t);
    aws_session_free(s);
    return rc;
}

static int update_facts(const prices_args *a, const char *cache_dir)
{
    aws_session_options so = { .region = a->region };
    aws_session *s = NULL;
    aws_error aerr;
    char err[512];
    instance_facts_table t;
    instance_facts_init(&t);
    if (aws_session_new(&so, &s, &aerr) != 0) {
        log_error("cannot reach EC2: %s", aerr.message);
        return -1;
    }
    char *path = instance_facts_cache_path(cache_dir, a->region);
    int rc = instance_facts_fetch(s, (const char *const *)a->types, a->n_types, &t, err,
                                  sizeof err);
    if (rc == 0)
        rc = instance_facts_save(&t, path, err, sizeof err);
    if (rc == 0)
        printf("facts of %zu instance types for %s written to %s\n", t.n, a->region, path);
    else
        log_error("%s", err);
    free(path);
    instance_facts_free(&t);
    aws_session_free(s);
    return rc;
}

static void show_type(const price_book *b, const instance_facts_table *facts, const char *type)
{
    price_quote q;
    instance_type_info info;
    char price[32] = "-";
    price_book_lookup(b, type, &q);
    if (!isnan(q.usd_per_hour))
        snprintf(price, sizeof price, "%.5g", q.usd_per_hour);
    if (instance_facts_get(facts, type, &info) == 0)
        printf("%-18s %10s  %-34s %4d vCPU %8.1f GiB  %-6s %d GPU\n", type, price,
               q.source[0] ? q.source : "-", info.vcpus, (double)info.memory_mib / 1024.0,
               info.arch ? info.arch : "?", info.gpus);
    else
        printf("%-18s %10s  %-34s (no instance facts)\n", type, price,
               q.source[0] ? q.source : "-");
    if (q.note[0])
        printf("    note: %s\n", q.note);
}

/* Without types: what the caches of the region hold and how old they are. */
static void show_caches(const prices_args *a, const char *cache_dir)
{
    char err[512], when[32];
    char *path = prices_cache_path(cache_dir, "on-demand", a->region);
    price_table t;
    if (path && file_exists(path) && price_table_load(path, &t, err, sizeof err) == 0) {
        format_rfc3339_ms(t.fetched_at, when, sizeof when);
        printf("%s: %zu On-demand Linux prices for %s, fetched %.10s (%.0f days ago)\n", path,
               t.n, a->region, when, (wall_seconds() - t.fetched_at) / 86400.0);
        price_table_free(&t);
    } else {
        printf("no On-demand price cache for %s: run `orchestrate prices --update --region "
               "%s`\n", a->region, a->region);
    }
    free(path);
    instance_facts_table f;
    if (instance_facts_load_default(cache_dir, a->region, &f, err, sizeof err) == 0 && f.n) {
        format_rfc3339_ms(f.fetched_at, when, sizeof when);
        printf("instance facts of %zu types for %s, fetched %.10s\n", f.n, a->region, when);
    }
    instance_facts_free(&f);
}

static int show(const prices_args *a, const char *cache_dir)
{
    if (a->n_types == 0) {
        show_caches(a, cache_dir);
        return 0;
    }
    price_options opt = { .region = a->region, .cache_dir = cache_dir,
                          .max_age_days = a->max_age_days, .spot = a->spot,
                          .spot_types = (const char *const *)a->types,
                          .n_spot_types = a->n_types };
    price_book *b = NULL;
    char err[256];
    if (price_book_open(&opt, &b, err, sizeof err) != 0) {
        log_error("%s", err);
        return -1;
    }
    instance_facts_table facts;
    char *fpath = instance_facts_cache_path(cache_dir, a->region);
    if (!fpath || !file_exists(fpath) ||
        instance_facts_load(fpath, &facts, err, sizeof err) != 0)
        instance_facts_init(&facts);
    free(fpath);
    printf("%-18s %10s  %-34s %s\n", "instance_type", "$/hour", "source", "facts");
    for (size_t i = 0; i < a->n_types; i++)
        show_type(b, &facts, a->types[i]);
    instance_facts_free(&facts);
    price_book_free(b);
    return 0;
}

int cmd_prices(int argc, char **argv)
{
    prices_args a;
    if (parse_args(argc, argv, &a) != 0)
        return 2;
    char *cache_dir = a.cache_dir ? strdup(a.cache_dir) : prices_default_cache_dir();
    if (!cache_dir)
        return 1;
    int rc = 0;
    if (a.update) {
        rc |= update_on_demand(&a, cache_dir);
        if (a.facts)
            rc |= update_facts(&a, cache_dir);
    }
    if (rc == 0 && (a.n_types > 0 || !a.update))
        rc = show(&a, cache_dir);
    free(cache_dir);
    return rc == 0 ? 0 : 1;
}

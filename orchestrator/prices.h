/* Prices of EC2 instance types in $/hour: On-demand Linux prices from the AWS Price List
 * API (GetProducts), spot prices from EC2 DescribeSpotPriceHistory, and per-type prices
 * from the config (savings plans, local machines), which win over both.
 *
 * Prices are fetched by `orchestrate prices --update` into a cache file that carries its
 * fetch date, and read offline afterwards; a price book answers "what does this type cost
 * and where does that figure come from". A missing price is NAN with a note, never 0.
 *
 * Ownership: tables are caller-owned structs (price_table_init/free); a price_book is
 * allocated by price_book_open and freed by price_book_free. */
#ifndef ORCHESTRATOR_PRICES_H
#define ORCHESTRATOR_PRICES_H

#include <stddef.h>

#include "uploader/aws.h"

typedef struct price_item {
    char *instance_type;
    double usd_per_hour;
} price_item;

typedef struct price_table {
    char *region;
    char *kind;          /* "on-demand" or "spot" */
    double fetched_at;   /* epoch seconds; 0 when unknown */
    price_item *items;
    size_t n, cap;
} price_table;

void price_table_init(price_table *t);
void price_table_free(price_table *t);
/* Adds or replaces a type's price. 0 or -1 (ENOMEM). */
int  price_table_set(price_table *t, const char *instance_type, double usd_per_hour);
/* 0 and *usd set, or -1 when the type is not in the table. */
int  price_table_get(const price_table *t, const char *instance_type, double *usd);
/* The cache file: JSON {"region","kind","fetched_at" (RFC 3339),"source","prices":{}}. */
int  price_table_save(const price_table *t, const char *path, char *err, size_t errlen);
int  price_table_load(const char *path, price_table *t, char *err, size_t errlen);
int  price_table_parse(const char *json, size_t len, price_table *t, char *err, size_t errlen);

/* ---- AWS Price List API (prices_pricing_api.c) ---- */
/* The GetProducts request body for Linux, shared tenancy, no pre-installed software,
 * capacitystatus Used in region; next_token may be NULL. Caller frees. */
char *pricing_request_body(const char *region, const char *next_token);
/* Parses one GetProducts response page into t (region checked when the product names
 * one); *next_token is set to a malloc'd token or NULL on the last page. 0 or -1. */
int  pricing_parse_page(const char *body, size_t len, const char *region, price_table *t,
                        char **next_token, char *err, size_t errlen);
/* Fetches every page for region through s: a session in us-east-1, where the Price List
 * API is served (api.pricing.us-east-1.amazonaws.com, or AWS_ENDPOINT_URL_PRICING). */
int  pricing_fetch_on_demand(aws_session *s, const char *region, price_table *t,
                             char *err, size_t errlen);

/* ---- EC2 spot prices (prices_spot.c) ---- */
/* Parses one DescribeSpotPriceHistory page: the newest price per (type, zone) is kept in
 * the accumulator, folded into t by spot_acc_finish (mean over zones). */
typedef struct spot_acc spot_acc;
spot_acc *spot_acc_new(void);
void spot_acc_free(spot_acc *a);
int  spot_parse_page(const char *xml, size_t len, spot_acc *a, char **next_token,
                     char *err, size_t errlen);
int  spot_acc_finish(const spot_acc *a, price_table *t);
/* Fetches the current Linux/UNIX spot prices of types through s (service "ec2"). */
int  spot_fetch(aws_session *s, const char *const *types, size_t n_types, price_table *t,
                char *err, size_t errlen);

/* ---- Resolution: the price book ---- */
typedef struct price_override {
    const char *instance_type;
    double usd_per_hour;
} price_override;

typedef struct price_options {
    const char *region;            /* NULL: "us-east-1" */
    const char *cache_dir;         /* NULL: prices_default_cache_dir() */
    const char *cache_path;        /* the On-demand cache file itself (config pricing.cache);
                                      NULL: CACHE_DIR/prices-REGION.json */
    double max_age_days;           /* warn when the cache is older; 0: 30 days */
    int spot;                      /* price runs at spot rates (fetched now, cached) */
    const char *const *spot_types; /* the types to fetch spot prices for */
    size_t n_spot_types;
    const price_override *overrides; /* from the config; they win */
    size_t n_overrides;
} price_options;

typedef struct price_quote {
    double usd_per_hour;   /* NAN when unknown */
    char source[128];      /* "config", "aws-price-list:REGION:DATE", "aws-spot:REGION:DATE", or "" */
    char note[256];        /* why there is no price, or "" */
} price_quote;

typedef struct price_book price_book;

/* Loads the caches (and fetches spot prices when asked). Never fails for a missing cache:
 * lookups then explain what is missing. Warnings (stale cache) go to the log once. 0 or -1
 * (ENOMEM only). */
int  price_book_open(const price_options *opt, price_book **out, char *err, size_t errlen);
void price_book_free(price_book *b);
void price_book_lookup(const price_book *b, const char *instance_type, price_quote *q);
/* Writes the prices this book would give for types, with their sources and dates, as JSON
 * (OUTPUT/prices.json) so the report can name them without the cache. */
int  price_book_snapshot(const price_book *b, const char *const *types, size_t n_types,
                         const char *path, char *err, size_t errlen);

/* $XDG_CACHE_HOME/orchestrate, else $HOME/.cache/orchestrate; caller frees. */
char *prices_default_cache_dir(void);
/* CACHE_DIR/prices-REGION.json (kind "on-demand") or prices-spot-REGION.json; caller frees. */
char *prices_cache_path(const char *cache_dir, const char *kind, const char *region);

/* `orchestrate prices [--update] [--region R] [--cache-dir D] [--spot] [--max-age DAYS]
 *  [--no-facts] [TYPE...]`: refresh the caches, or show prices, sources and facts. */
int cmd_prices(int argc, char **argv);

#endif

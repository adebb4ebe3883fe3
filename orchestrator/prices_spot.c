/* Spot prices from EC2 DescribeSpotPriceHistory: the newest Linux/UNIX price in each
 * availability zone, averaged over the zones, because Batch may place a job in any zone. */
#include "orchestrator/prices.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "common/timeutil.h"
#include "orchestrator/ec2_query.h"

typedef struct spot_point {
    char *instance_type;
    char *zone;
    double price;
    double when;
} spot_point;

struct spot_acc {
    spot_point *v;
    size_t n, cap;
    /* the item being read */
    char type[64], zone[64], product[64];
    double price, when;
    int price_ok;
    char *next_token;
};

#define ITEM "/DescribeSpotPriceHistoryResponse/spotPriceHistorySet/item"

spot_acc *spot_acc_new(void)
{
    return calloc(1, sizeof(spot_acc));
}

void spot_acc_free(spot_acc *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++) {
        free(a->v[i].instance_type);
        free(a->v[i].zone);
    }
    free(a->v);
    free(a->next_token);
    free(a);
}

static spot_point *find_point(spot_acc *a, const char *type, const char *zone)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i].instance_type, type) == 0 && strcmp(a->v[i].zone, zone) == 0)
            return &a->v[i];
    return NULL;
}

/* Keeps the newest price per (type, zone). */
static int add_point(spot_acc *a)
{
    spot_point *p = find_point(a, a->type, a->zone);
    if (p) {
        if (a->when >= p->when) {
            p->price = a->price;
            p->when = a->when;
        }
        return 0;
    }
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 32;
        spot_point *grown = realloc(a->v, cap * sizeof *grown);
        if (!grown)
            return -1;
        a->v = grown;
        a->cap = cap;
    }
    p = &a->v[a->n];
    p->instance_type = strdup(a->type);
    p->zone = strdup(a->zone);
    if (!p->instance_type || !p->zone) {
        free(p->instance_type);
        free(p->zone);
        return -1;
    }
    p->price = a->price;
    p->when = a->when;
    a->n++;
    return 0;
}

/* "Linux/UNIX" and "Linux/UNIX (Amazon VPC)" are the same machines' prices. */
static int is_linux(const char *product)
{
    return strncmp(product, "Linux/UNIX", 10) == 0;
}

static void copy_text(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src);
}

static int on_end(void *ud, const char *path, const char *text)
{
    spot_acc *a = ud;
    size_t il = strlen(ITEM);
    if (strncmp(path, ITEM, il) == 0 && path[il] == '/') {
        const char *leaf = path + il + 1;
        char *end;
        if (strcmp(leaf, "instanceType") == 0)
            copy_text(a->type, sizeof a->type, text);
        else if (strcmp(leaf, "availabilityZone") == 0)
            copy_text(a->zone, sizeof a->zone, text);
        else if (strcmp(leaf, "productDescription") == 0)
            copy_text(a->product, sizeof a->product, text);
        else if (strcmp(leaf, "timestamp") == 0 && parse_rfc3339(text, &a->when) != 0)
            a->when = 0;
        else if (strcmp(leaf, "spotPrice") == 0) {
            errno = 0;
            a->price = strtod(text, &end);
            a->price_ok = end != text && *end == '\0' && !errno && isfinite(a->price) &&
                          a->price > 0;
        }
    } else if (strcmp(path, ITEM) == 0) {
        int rc = 0;
        if (a->type[0] && a->price_ok && is_linux(a->product))
            rc = add_point(a);
        a->type[0] = a->zone[0] = a->product[0] = '\0';
        a->price_ok = 0;
        a->when = 0;
        return rc;
    } else if (strcmp(path, "/DescribeSpotPriceHistoryResponse/nextToken") == 0 && *text) {
        free(a->next_token);
        a->next_token = strdup(text);
        return a->next_token ? 0 : -1;
    }
    return 0;
}

int spot_parse_page(const char *xml, size_t len, spot_acc *a, char **next_token,
                    char *err, size_t errlen)
{
    free(a->next_token);
    a->next_token = NULL;
    *next_token = NULL;
    if (xml_walk(xml, len, on_end, a, err, errlen) != 0)
        return -1;
    *next_token = a->next_token;
    a->next_token = NULL;
    return 0;
}

int spot_acc_finish(const spot_acc *a, price_table *t)
{
    for (size_t i = 0; i < a->n; i++) {
        double sum = 0, existing;
        int zones = 0;
        if (price_table_get(t, a->v[i].instance_type, &existing) == 0)
            continue; /* already averaged */
        for (size_t j = i; j < a->n; j++) {
            if (strcmp(a->v[j].instance_type, a->v[i].instance_type) == 0) {
                sum += a->v[j].price;
                zones++;
            }
        }
        if (price_table_set(t, a->v[i].instance_type, sum / zones) != 0)
            return -1;
    }
    return 0;
}

static char *spot_form(const char *const *types, size_t n, const char *token)
{
    strbuf sb = STRBUF_INIT;
    char key[48], now[32];
    int rc = ec2_query_param(&sb, "Action", "DescribeSpotPriceHistory");
    rc |= ec2_query_param(&sb, "Version", "2016-11-15");
    rc |= ec2_query_param(&sb, "ProductDescription.1", "Linux/UNIX");
    /* StartTime = now asks for the price in force now in each zone. */
    format_rfc3339_ms(wall_seconds(), now, sizeof now);
    rc |= ec2_query_param(&sb, "StartTime", now);
    for (size_t i = 0; i < n; i++) {
        snprintf(key, sizeof key, "InstanceType.%zu", i + 1);
        rc |= ec2_query_param(&sb, key, types[i]);
    }
    if (token)
        rc |= ec2_query_param(&sb, "NextToken", token);
    if (rc != 0) {
        sb_free(&sb);
        return NULL;
    }
    return sb_detach(&sb);
}

#define MAX_PAGES 200

int spot_fetch(aws_session *s, const char *const *types, size_t n_types, price_table *t,
               char *err, size_t errlen)
{
    spot_acc *a = spot_acc_new();
    char *token = NULL;
    int rc = 0, pages = 0;
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    do {
        char *form = spot_form(types, n_types, token);
        free(token);
        token = NULL;
        aws_response resp;
        if (!form) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
            break;
        }
        rc = ec2_query_call(s, "DescribeSpotPriceHistory", form, &resp, err, errlen);
        if (rc == 0)
            rc = spot_parse_page(resp.body, resp.body_len, a, &token, err, errlen);
        aws_response_free(&resp);
        free(form);
    } while (rc == 0 && token && ++pages < MAX_PAGES);
    free(token);
    if (rc == 0) {
        free(t->region);
        free(t->kind);
        t->region = strdup(aws_session_region(s));
        t->kind = strdup("spot");
        t->fetched_at = wall_seconds();
        if (!t->region || !t->kind || spot_acc_finish(a, t) != 0) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        }
    }
    spot_acc_free(a);
    return rc;
}

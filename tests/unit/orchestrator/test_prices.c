#include "orchestrator/instance_facts.h"
#include "orchestrator/prices.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "tests/unit/unit.h"

#include <jansson.h>
#include <stdlib.h>
#include <unistd.h>

/* One PriceList entry as AWS sends it: a JSON document serialised into a string. */
static char *product(const char *type, const char *os, const char *region,
                     const char *dims_json)
{
    char *doc = NULL;
    if (asprintf(&doc,
        "{\"product\":{\"productFamily\":\"Compute Instance\",\"attributes\":{"
        "\"instanceType\":\"%s\",\"operatingSystem\":\"%s\",\"tenancy\":\"Shared\","
        "\"preInstalledSw\":\"NA\",\"capacitystatus\":\"Used\",\"regionCode\":\"%s\","
        "\"operation\":\"RunInstances\"},\"sku\":\"SKU1\"},\"serviceCode\":\"AmazonEC2\","
        "\"terms\":{\"OnDemand\":{\"SKU1.JRTCKXETXF\":{\"priceDimensions\":%s,"
        "\"offerTermCode\":\"JRTCKXETXF\"}}}}", type, os, region, dims_json) < 0)
        return NULL;
    return doc;
}

static char *page(const char *next, char **docs, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_string(docs[i]));
    json_t *root = json_pack("{s:s, s:o}", "FormatVersion", "aws_v1", "PriceList", list);
    if (next)
        json_object_set_new(root, "NextToken", json_string(next));
    char *s = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    for (size_t i = 0; i < n; i++)
        free(docs[i]);
    return s;
}

#define DIM(begin, end, unit, usd) \
    "{\"unit\":\"" unit "\",\"beginRange\":\"" begin "\",\"endRange\":\"" end \
    "\",\"pricePerUnit\":{\"USD\":\"" usd "\"}}"

TEST(get_products_page_with_tiers_filters_and_token)
{
    char *docs[] = {
        product("m5.large", "Linux", "us-east-1", "{\"A\":" DIM("0", "Inf", "Hrs", "0.0960000000") "}"),
        /* a free first block of hours, then the standard rate: the open-ended tier wins */
        product("t3.micro", "Linux", "us-east-1",
                "{\"A\":" DIM("0", "750", "Hrs", "0.0000000000") ",\"B\":"
                DIM("750", "Inf", "Hrs", "0.0104000000") ",\"C\":"
                DIM("0", "Inf", "Quantity", "5.0") "}"),
        product("c5.large", "Windows", "us-east-1", "{\"A\":" DIM("0", "Inf", "Hrs", "0.17") "}"),
        product("r5.large", "Linux", "eu-west-1", "{\"A\":" DIM("0", "Inf", "Hrs", "0.141") "}"),
        product("z1d.large", "Linux", "us-east-1", "{\"A\":" DIM("0", "Inf", "Hrs", "0.0") "}"),
    };
    char *body = page("tok-2", docs, 5);
    price_table t;
    price_table_init(&t);
    char *next = NULL, err[256];
    CHECK_INT(pricing_parse_page(body, strlen(body), "us-east-1", &t, &next, err, sizeof err), 0);
    CHECK_STR(next, "tok-2");
    double usd = 0;
    CHECK_INT(price_table_get(&t, "m5.large", &usd), 0);
    CHECK_NEAR(usd, 0.096, 1e-12);
    CHECK_INT(price_table_get(&t, "t3.micro", &usd), 0);
    CHECK_NEAR(usd, 0.0104, 1e-12);
    CHECK_INT(price_table_get(&t, "c5.large", &usd), -1);   /* Windows slipped through */
    CHECK_INT(price_table_get(&t, "r5.large", &usd), -1);   /* another region */
    CHECK_INT(price_table_get(&t, "z1d.large", &usd), -1);  /* zero is no price */
    CHECK_INT(t.n, 2);
    free(next);
    free(body);

    /* the last page has no NextToken; a broken entry is an error, not a silent skip */
    char *body2 = page(NULL, (char *[]){ strdup("not json") }, 1);
    CHECK_INT(pricing_parse_page(body2, strlen(body2), "us-east-1", &t, &next, err, sizeof err), -1);
    CHECK(strstr(err, "entry 0") != NULL);
    free(body2);
    CHECK_INT(pricing_parse_page("{}", 2, "us-east-1", &t, &next, err, sizeof err), -1);
    price_table_free(&t);
}

TEST(get_products_request_has_the_filters)
{
    char *body = pricing_request_body("eu-west-1", "abc");
    json_error_t e;
    json_t *r = json_loads(body, 0, &e);
    CHECK(r != NULL);
    CHECK_STR(json_string_value(json_object_get(r, "ServiceCode")), "AmazonEC2");
    CHECK_STR(json_string_value(json_object_get(r, "NextToken")), "abc");
    json_t *f = json_object_get(r, "Filters");
    CHECK_INT(json_array_size(f), 5);
    int seen = 0;
    size_t i;
    json_t *x;
    json_array_foreach(f, i, x) {
        const char *field = json_string_value(json_object_get(x, "Field"));
        const char *value = json_string_value(json_object_get(x, "Value"));
        CHECK_STR(json_string_value(json_object_get(x, "Type")), "TERM_MATCH");
        if (strcmp(field, "regionCode") == 0 && strcmp(value, "eu-west-1") == 0) seen |= 1;
        if (strcmp(field, "capacitystatus") == 0 && strcmp(value, "Used") == 0) seen |= 2;
        if (strcmp(field, "operatingSystem") == 0 && strcmp(value, "Linux") == 0) seen |= 4;
        if (strcmp(field, "preInstalledSw") == 0 && strcmp(value, "NA") == 0) seen |= 8;
        if (strcmp(field, "tenancy") == 0 && strcmp(value, "Shared") == 0) seen |= 16;
    }
    CHECK_INT(seen, 31);
    json_decref(r);
    free(body);
}

static char *tmpdir(void)
{
    char tmpl[] = "/tmp/unit_prices_XXXXXX";
    char *d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

TEST(cache_round_trip_and_book_resolution)
{
    char *dir = tmpdir();
    price_table t;
    price_table_init(&t);
    t.region = strdup("us-east-1");
    t.kind = strdup("on-demand");
    t.fetched_at = 1763856000; /* 2025-11-23 */
    price_table_set(&t, "m5.large", 0.096);
    price_table_set(&t, "c7g.large", 0.0725);
    char *path = prices_cache_path(dir, "on-demand", "us-east-1");
    char err[512];
    CHECK_INT(price_table_save(&t, path, err, sizeof err), 0);
    price_table back;
    CHECK_INT(price_table_load(path, &back, err, sizeof err), 0);
    double usd;
    CHECK_INT(price_table_get(&back, "c7g.large", &usd), 0);
    CHECK_NEAR(usd, 0.0725, 1e-12);
    CHECK_NEAR(back.fetched_at, 1763856000, 1e-3);
    price_table_free(&back);

    price_override ov[] = { { "m5.large", 0.05 }, { "my-laptop", 0.01 } };
    price_options opt = { .region = "us-east-1", .cache_dir = dir, .max_age_days = 100000,
                          .overrides = ov, .n_overrides = 2 };
    price_book *b;
    CHECK_INT(price_book_open(&opt, &b, err, sizeof err), 0);
    price_quote q;
    price_book_lookup(b, "m5.large", &q);
    CHECK_NEAR(q.usd_per_hour, 0.05, 1e-12);
    CHECK_STR(q.source, "config");
    price_book_lookup(b, "c7g.large", &q);
    CHECK_NEAR(q.usd_per_hour, 0.0725, 1e-12);
    CHECK_STR(q.source, "aws-price-list:us-east-1:2025-11-23");
    price_book_lookup(b, "x9.huge", &q);
    CHECK(isnan(q.usd_per_hour));
    CHECK_STR(q.source, "");
    CHECK(strstr(q.note, "x9.huge") != NULL);
    char *snap = path_join(dir, "prices.json");
    const char *types[] = { "m5.large", "x9.huge" };
    CHECK_INT(price_book_snapshot(b, types, 2, snap, err, sizeof err), 0);
    char *text = NULL;
    size_t len;
    CHECK_INT(read_file(snap, &text, &len), 0);
    CHECK(text && strstr(text, "\"config\"") && strstr(text, "null"));
    free(text);
    price_book_free(b);

    /* another region has no cache: no price, and a note that says how to get one */
    opt.region = "eu-north-1";
    CHECK_INT(price_book_open(&opt, &b, err, sizeof err), 0);
    price_book_lookup(b, "c7g.large", &q);
    CHECK(isnan(q.usd_per_hour));
    CHECK(strstr(q.note, "orchestrate prices --update --region eu-north-1") != NULL);
    price_book_free(b);

    unlink(snap);
    unlink(path);
    rmdir(dir);
    free(snap);
    free(path);
    free(dir);
    price_table_free(&t);
}

TEST(spot_history_newest_per_zone_averaged)
{
    const char *xml =
        "<?xml version=\"1.0\"?><DescribeSpotPriceHistoryResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15\">"
        "<spotPriceHistorySet>"
        "<item><availabilityZone>us-east-1a</availabilityZone><instanceType>m5.large</instanceType>"
        "<productDescription>Linux/UNIX</productDescription><spotPrice>0.030</spotPrice>"
        "<timestamp>2026-11-23T03:00:00.000Z</timestamp></item>"
        "<item><availabilityZone>us-east-1a</availabilityZone><instanceType>m5.large</instanceType>"
        "<productDescription>Linux/UNIX</productDescription><spotPrice>0.020</spotPrice>"
        "<timestamp>2026-11-23T01:00:00.000Z</timestamp></item>"
        "<item><availabilityZone>us-east-1b</availabilityZone><instanceType>m5.large</instanceType>"
        "<productDescription>Linux/UNIX (Amazon VPC)</productDescription><spotPrice>0.040</spotPrice>"
        "<timestamp>2026-11-23T02:00:00.000Z</timestamp></item>"
        "<item><availabilityZone>us-east-1b</availabilityZone><instanceType>m5.large</instanceType>"
        "<productDescription>Windows</productDescription><spotPrice>0.090</spotPrice>"
        "<timestamp>2026-11-23T02:00:00.000Z</timestamp></item>"
        "</spotPriceHistorySet><nextToken>n2</nextToken></DescribeSpotPriceHistoryResponse>";
    spot_acc *a = spot_acc_new();
    char *next = NULL, err[256];
    CHECK_INT(spot_parse_page(xml, strlen(xml), a, &next, err, sizeof err), 0);
    CHECK_STR(next, "n2");
    price_table t;
    price_table_init(&t);
    CHECK_INT(spot_acc_finish(a, &t), 0);
    double usd = 0;
    CHECK_INT(price_table_get(&t, "m5.large", &usd), 0);
    CHECK_NEAR(usd, 0.035, 1e-12);
    free(next);
    CHECK_INT(spot_parse_page("<a><b>", 6, a, &next, err, sizeof err), -1);
    spot_acc_free(a);
    price_table_free(&t);
}

TEST(instance_types_xml_and_cache)
{
    const char *xml =
        "<DescribeInstanceTypesResponse><instanceTypeSet>"
        "<item><instanceType>g4dn.xlarge</instanceType><processorInfo><supportedArchitectures>"
        "<item>x86_64</item></supportedArchitectures></processorInfo><vCpuInfo><defaultVCpus>4"
        "</defaultVCpus><validCores><item>2</item></validCores></vCpuInfo><memoryInfo><sizeInMiB>16384"
        "</sizeInMiB></memoryInfo><gpuInfo><gpus><item><name>T4</name><count>1</count>"
        "<memoryInfo><sizeInMiB>16384</sizeInMiB></memoryInfo></item></gpus></gpuInfo></item>"
        "<item><instanceType>m6g.large</instanceType><processorInfo><supportedArchitectures>"
        "<item>arm64</item></supportedArchitectures></processorInfo><vCpuInfo><defaultVCpus>2"
        "</defaultVCpus></vCpuInfo><memoryInfo><sizeInMiB>8192</sizeInMiB></memoryInfo></item>"
        "</instanceTypeSet></DescribeInstanceTypesResponse>";
    instance_facts_table t;
    instance_facts_init(&t);
    char *next = NULL, err[256];
    CHECK_INT(instance_facts_parse_page(xml, strlen(xml), &t, &next, err, sizeof err), 0);
    CHECK(next == NULL);
    CHECK_INT(t.n, 2);
    const instance_facts *g = instance_facts_find(&t, "g4dn.xlarge");
    CHECK(g != NULL);
    if (g) {
        CHECK_INT(g->vcpus, 4);
        CHECK_INT(g->memory_mib, 16384);   /* the GPU's memory is not the host's */
        CHECK_INT(g->gpus, 1);
        CHECK_STR(g->gpu_model, "T4");
        CHECK_STR(g->family, "g4dn");
        CHECK_INT(g->generation, 4);
    }
    t.region = strdup("us-east-1");
    t.fetched_at = 1763856000;
    char *dir = tmpdir();
    char *path = instance_facts_cache_path(dir, "us-east-1");
    CHECK_INT(instance_facts_save(&t, path, err, sizeof err), 0);
    instance_facts_table back;
    CHECK_INT(instance_facts_load(path, &back, err, sizeof err), 0);
    instance_type_info info;
    CHECK_INT(instance_facts_get(&back, "m6g.large", &info), 0);
    CHECK_STR(info.arch, "arm64");
    CHECK_INT(info.vcpus, 2);
    CHECK_INT(instance_facts_get(&back, "zz9.nothing", &info), -1);
    instance_facts_free(&back);
    CHECK_INT(instance_facts_load_default(dir, "us-east-1", &back, err, sizeof err), 0);
    CHECK_INT(back.n, 2);
    instance_facts_free(&back);
    CHECK_INT(instance_facts_load_default(dir, "eu-south-2", &back, err, sizeof err), 0);
    CHECK_INT(back.n, 0);                                  /* no cache: empty, no error */
    /* the built-in table answers what the cache does not know */
    CHECK_INT(instance_facts_get(&back, "c7g.large", &info), 0);
    CHECK_STR(info.arch, "arm64");
    instance_facts_free(&back);
    unlink(path);
    rmdir(dir);
    free(path);
    free(dir);
    instance_facts_free(&t);
}

int main(void)
{
    log_init("test_prices", LOG_ERROR);
    RUN(get_products_page_with_tiers_filters_and_token);
    RUN(get_products_request_has_the_filters);
    RUN(cache_round_trip_and_book_resolution);
    RUN(spot_history_newest_per_zone_averaged);
    RUN(instance_types_xml_and_cache);
    return unit_done();
}

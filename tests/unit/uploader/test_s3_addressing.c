/* How the S3 client addresses a bucket and key: virtual-hosted on AWS endpoints for
 * DNS-compatible buckets, path-style for custom endpoints, dotted bucket names and when
 * forced; keys encoded once with '/' kept. (The signing of both forms is checked against
 * real servers in the integration tests; s3rver canonicalises virtual-hosted SigV4 requests
 * with the bucket in the path, unlike S3, so it cannot check that form.) No network. */
#include <stdlib.h>
#include <string.h>

#include "tests/unit/unit.h"
#include "uploader/s3_internal.h"

static s3_client *client(const char *endpoint, int path_style)
{
    s3_options o = { 0 };
    o.session.region = "eu-west-3";
    o.session.endpoint = endpoint;
    o.path_style = path_style;
    s3_client *c = NULL;
    aws_error err;
    if (s3_client_new(&o, &c, &err) < 0)
        fprintf(stderr, "  s3_client_new: %s\n", err.message);
    return c;
}

static void check_target(s3_client *c, const char *bucket, const char *key, const char *base,
                         const char *path)
{
    s3_target t;
    CHECK_INT(s3_target_make(c, "PUT", bucket, key, &t), 0);
    CHECK_STR(t.base_url.buf, base);
    CHECK_STR(t.path.buf, path);
    s3_target_free(&t);
}

TEST(aws_endpoint_virtual_hosted)
{
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_ENDPOINT_URL_S3");
    setenv("AWS_CONFIG_FILE", "/nonexistent", 1);
    s3_client *c = client(NULL, 0);
    CHECK(c != NULL);
    if (!c)
        return;
    check_target(c, "bench", "run 1/a+b.csv", "https://bench.s3.eu-west-3.amazonaws.com",
                 "/run%201/a%2Bb.csv");
    /* Dots break the TLS wildcard of *.s3.amazonaws.com: path-style. */
    check_target(c, "my.bucket", "k", "https://s3.eu-west-3.amazonaws.com", "/my.bucket/k");
    s3_client_free(c);
}

TEST(custom_endpoint_path_style)
{
    s3_client *c = client("http://127.0.0.1:9000/", 0);
    CHECK(c != NULL);
    if (!c)
        return;
    check_target(c, "bench", "dir//x/", "http://127.0.0.1:9000", "/bench/dir//x/");
    check_target(c, "bench", "", "http://127.0.0.1:9000", "/bench");
    s3_client_free(c);
}

TEST(forced_styles)
{
    s3_client *c = client("http://minio.local:9000", 2);
    CHECK(c != NULL);
    if (c) {
        check_target(c, "bench", "\xc3\xbc", "http://bench.minio.local:9000", "/%C3%BC");
        s3_client_free(c);
    }
    c = client(NULL, 1);
    CHECK(c != NULL);
    if (c) {
        check_target(c, "bench", "k", "https://s3.eu-west-3.amazonaws.com", "/bench/k");
        s3_client_free(c);
    }
}

TEST(part_sizes)
{
    s3_client *c = client("http://127.0.0.1:9000", 0);
    CHECK(c != NULL);
    if (!c)
        return;
    CHECK_INT(s3_choose_part_size(c, 20 * MIB), 8 * MIB);
    /* 1 TiB in 8 MiB parts would be 131072 parts: grow to stay within 10,000. */
    uint64_t tib = 1024ull * 1024 * MIB;
    uint64_t p = s3_choose_part_size(c, tib);
    CHECK((tib + p - 1) / p <= S3_MAX_PARTS);
    CHECK(p % MIB == 0);
    CHECK(s3_choose_part_size(c, 5ull * 1024 * 1024 * MIB) <= S3_MAX_PART);
    s3_client_free(c);
}

int main(void)
{
    RUN(aws_endpoint_virtual_hosted);
    RUN(custom_endpoint_path_style);
    RUN(forced_styles);
    RUN(part_sizes);
    return unit_done();
}

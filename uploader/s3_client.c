/* The S3 client: settings, addressing (path-style or virtual-hosted) and key encoding. */
#include <ctype.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "uploader/aws_error.h"
#include "uploader/digest.h"
#include "uploader/s3_internal.h"
#include "uploader/sigv4.h"

/* An endpoint of AWS itself (regional, FIPS, dual-stack, China), not an S3-compatible
 * server. */
static int is_aws_endpoint(const char *endpoint)
{
    const char *host = strstr(endpoint, "://");
    host = host ? host + 3 : endpoint;
    size_t n = strcspn(host, ":/");
    static const char *const suffixes[] = { ".amazonaws.com", ".amazonaws.com.cn" };
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        size_t sl = strlen(suffixes[i]);
        if (n > sl && strncasecmp(host + n - sl, suffixes[i], sl) == 0)
            return 1;
    }
    return 0;
}

/* AWS checks x-amz-checksum-crc32 (and its SDKs send it); S3-compatible servers reliably
 * check only Content-MD5: moto 5 echoes a CRC32 header unchecked, s3rver 4 ignores it. */
static s3_checksum default_checksum(const char *endpoint)
{
    return endpoint && is_aws_endpoint(endpoint) ? S3_CHECKSUM_CRC32 : S3_CHECKSUM_MD5;
}

int s3_client_new(const s3_options *opt, s3_client **out, aws_error *err)
{
    s3_client *c = calloc(1, sizeof *c);
    if (!c) {
        aws_error_set(err, "out of memory");
        return -1;
    }
    s3_options defaults = { 0 };
    if (!opt)
        opt = &defaults;
    if (aws_session_new(&opt->session, &c->session, err) < 0) {
        free(c);
        return -1;
    }
    c->path_style = opt->path_style == 1 || opt->path_style == 2 ? opt->path_style : 0;
    if (c->path_style == 0) {
        const char *style = aws_session_profile_value(c->session, "s3.addressing_style");
        if (style && strcasecmp(style, "path") == 0)
            c->path_style = 1;
        else if (style && strcasecmp(style, "virtual") == 0)
            c->path_style = 2;
    }
    c->parallel = opt->parallel > 0 ? opt->parallel : 8;
    c->part_size = opt->part_size;
    c->threshold = opt->multipart_threshold ? opt->multipart_threshold : 16 * MIB;
    c->max_keys = opt->max_keys > 0 && opt->max_keys <= 1000 ? opt->max_keys : 1000;
    c->checksum = opt->checksum != S3_CHECKSUM_AUTO
                      ? opt->checksum
                      : default_checksum(aws_session_endpoint(c->session, "s3"));
    *out = c;
    return 0;
}

void s3_client_free(s3_client *c)
{
    if (!c)
        return;
    aws_session_free(c->session);
    free(c);
}

/* A name that can be a DNS label under the endpoint's host (no dots: TLS wildcards). */
static int dns_compatible(const char *bucket)
{
    size_t n = strlen(bucket);
    if (n < 3 || n > 63 || bucket[0] == '-' || bucket[n - 1] == '-')
        return 0;
    for (const char *p = bucket; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-'))
            return 0;
    return 1;
}

static int use_path_style(const s3_client *c, const char *endpoint, const char *bucket)
{
    if (c->path_style == 1)
        return 1;
    if (c->path_style == 2)
        return 0;
    /* A custom endpoint (a local server, an S3-compatible store) rarely resolves
     * bucket subdomains. */
    return !is_aws_endpoint(endpoint) || !dns_compatible(bucket);
}

int s3_target_make(s3_client *c, const char *verb, const char *bucket, const char *key,
                   s3_target *t)
{
    memset(t, 0, sizeof *t);
    const char *endpoint = aws_session_endpoint(c->session, "s3");
    if (!endpoint)
        return -1;
    char *ekey = sigv4_uri_encode(key, strlen(key), 1);
    if (!ekey)
        return -1;
    if (use_path_style(c, endpoint, bucket)) {
        sb_puts(&t->base_url, endpoint);
        sb_printf(&t->path, "/%s%s%s", bucket, *key ? "/" : "", ekey);
    } else {
        const char *sep = strstr(endpoint, "://");
        size_t scheme = sep ? (size_t)(sep - endpoint) + 3 : 0;
        sb_printf(&t->base_url, "%.*s%s.%s", (int)scheme, endpoint, bucket, endpoint + scheme);
        sb_printf(&t->path, "/%s", ekey);
    }
    free(ekey);
    sb_printf(&t->what, "%s s3://%s/%s", verb, bucket, key);
    if (!t->base_url.buf || !t->path.buf || !t->what.buf) {
        s3_target_free(t);
        return -1;
    }
    return 0;
}

void s3_target_free(s3_target *t)
{
    sb_free(&t->base_url);
    sb_free(&t->path);
    sb_free(&t->what);
}

aws_signed_req s3_request(const s3_target *t, const char *method, const char *query,
                          const aws_header *headers, size_t n_headers,
                          const char *payload_hash)
{
    aws_signed_req r = { "s3", method, t->base_url.buf, t->path.buf, query, headers,
                         n_headers, 1, payload_hash, t->what.buf };
    return r;
}

uint64_t s3_choose_part_size(const s3_client *c, uint64_t size)
{
    uint64_t part = c->part_size ? c->part_size : 8 * MIB;
    uint64_t min_for_count = (size + S3_MAX_PARTS - 1) / S3_MAX_PARTS;
    if (part < min_for_count)
        part = (min_for_count + MIB - 1) / MIB * MIB;
    if (part < S3_MIN_PART)
        part = S3_MIN_PART;
    if (part > S3_MAX_PART)
        part = S3_MAX_PART;
    return part;
}

int s3_etag_matches(const char *etag, const char *sse, const char md5_base64[25])
{
    if (sse && strncmp(sse, "aws:kms", 7) == 0)
        return -1;
    const char *e = etag[0] == '"' ? etag + 1 : etag;
    size_t n = strcspn(e, "\"");
    unsigned char raw[16];
    char hex[33];
    if (n != 32 || EVP_DecodeBlock(raw, (const unsigned char *)md5_base64, 24) < 16)
        return -1;
    hex_encode(raw, 16, hex);
    return strncasecmp(e, hex, 32) == 0 ? 1 : 0;
}

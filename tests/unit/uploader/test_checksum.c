/* The upload checksum: CRC32 and MD5 known answers (the expected values come from Python's
 * zlib.crc32 and hashlib.md5), the headers a PutObject/UploadPart carries and signs, the
 * server's confirmation read from its answer, the composite checksum of a multipart
 * object, the CompleteMultipartUpload body, and the default per endpoint. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/unit.h"
#include "uploader/digest.h"
#include "uploader/s3_internal.h"
#include "uploader/s3_xml.h"
#include "uploader/sigv4.h"

TEST(crc32_known_answers)
{
    CHECK_INT(crc32_update(0, "123456789", 9), 0xCBF43926u);
    CHECK_INT(crc32_update(0, "", 0), 0);
    /* Continued over pieces, it is the CRC of the whole. */
    uint32_t c = crc32_update(0, "1234", 4);
    CHECK_INT(crc32_update(c, "56789", 5), 0xCBF43926u);
    unsigned char be[4];
    crc32_bytes(0xCBF43926u, be);
    CHECK(be[0] == 0xCB && be[1] == 0xF4 && be[2] == 0x39 && be[3] == 0x26);
}

TEST(sums_of_buffers)
{
    s3_sum s;
    s3_sum_buffer(S3_CHECKSUM_CRC32, "123456789", 9, &s);
    CHECK_STR(s.b64, "y/Q5Jg==");
    CHECK_INT(s.raw_len, 4);
    s3_sum_buffer(S3_CHECKSUM_CRC32, "", 0, &s);
    CHECK_STR(s.b64, "AAAAAA==");
    s3_sum_buffer(S3_CHECKSUM_MD5, "123456789", 9, &s);
    CHECK_STR(s.b64, "JfnnlDI7RTiF9RgfG2JNCw==");
    CHECK_INT(s.raw_len, 16);
}

/* A file range is hashed as the same bytes in memory are, across the 1 MiB reads. */
TEST(sums_of_file_ranges)
{
    char path[] = "/tmp/test_checksum.XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    size_t n = 3u * 1024 * 1024 + 17;
    unsigned char *data = malloc(n);
    for (size_t i = 0; i < n; i++)
        data[i] = (unsigned char)(i * 2654435761u >> 13);
    CHECK(write(fd, data, n) == (ssize_t)n);
    for (int k = S3_CHECKSUM_CRC32; k <= S3_CHECKSUM_MD5; k++) {
        s3_sum from_file, from_memory;
        CHECK_INT(s3_sum_file_range((s3_checksum)k, fd, 1000, n - 1000, &from_file), 0);
        s3_sum_buffer((s3_checksum)k, data + 1000, n - 1000, &from_memory);
        CHECK_STR(from_file.b64, from_memory.b64);
        /* Past the end of the file: an error, never a checksum of fewer bytes. */
        CHECK_INT(s3_sum_file_range((s3_checksum)k, fd, 0, n + 1, &from_file), -1);
    }
    free(data);
    close(fd);
    unlink(path);
}

TEST(headers_of_a_put)
{
    s3_sum s;
    aws_header h[S3_SUM_MAX_HEADERS];
    s3_sum_buffer(S3_CHECKSUM_CRC32, "123456789", 9, &s);
    CHECK_INT(s3_sum_headers(&s, h), 2);
    CHECK_STR(h[0].name, "x-amz-checksum-crc32");
    CHECK_STR(h[0].value, "y/Q5Jg==");
    CHECK_STR(h[1].name, "x-amz-sdk-checksum-algorithm");
    CHECK_STR(h[1].value, "CRC32");
    s3_sum_buffer(S3_CHECKSUM_MD5, "123456789", 9, &s);
    CHECK_INT(s3_sum_headers(&s, h), 1);
    CHECK_STR(h[0].name, "Content-MD5");
    CHECK_STR(h[0].value, "JfnnlDI7RTiF9RgfG2JNCw==");
}

TEST(server_confirmation)
{
    s3_sum crc, md5;
    s3_sum_buffer(S3_CHECKSUM_CRC32, "123456789", 9, &crc);
    s3_sum_buffer(S3_CHECKSUM_MD5, "123456789", 9, &md5);
    http_xfer x;
    http_xfer_init(&x);
    CHECK_INT(s3_sum_confirmed(&crc, &x), -1);           /* nothing echoed */
    snprintf(x.checksum_crc32, sizeof x.checksum_crc32, "y/Q5Jg==");
    CHECK_INT(s3_sum_confirmed(&crc, &x), 1);
    snprintf(x.checksum_crc32, sizeof x.checksum_crc32, "AAAAAA==");
    CHECK_INT(s3_sum_confirmed(&crc, &x), 0);
    /* MD5: the ETag is the hex MD5 of what the server stored. */
    snprintf(x.etag, sizeof x.etag, "\"25f9e794323b453885f5181f1b624d0b\"");
    CHECK_INT(s3_sum_confirmed(&md5, &x), 1);
    snprintf(x.etag, sizeof x.etag, "\"25f9e794323b453885f5181f1b624d0c\"");
    CHECK_INT(s3_sum_confirmed(&md5, &x), 0);
    snprintf(x.sse, sizeof x.sse, "aws:kms");
    CHECK_INT(s3_sum_confirmed(&md5, &x), -1);
}

TEST(composite_and_complete_body)
{
    s3_sum parts[2];
    s3_sum_buffer(S3_CHECKSUM_CRC32, "abc", 3, &parts[0]);
    s3_sum_buffer(S3_CHECKSUM_CRC32, "def", 3, &parts[1]);
    CHECK_STR(parts[0].b64, "NSRBwg==");
    CHECK_STR(parts[1].b64, "DMThYQ==");
    char comp[64];
    s3_sum_composite(parts, 2, comp, sizeof comp);
    CHECK_STR(comp, "ZYzvyg==-2");

    aws_batch_item items[2];
    aws_batch_item_init(&items[0]);
    aws_batch_item_init(&items[1]);
    snprintf(items[0].etag, sizeof items[0].etag, "\"e1\"");
    snprintf(items[1].etag, sizeof items[1].etag, "\"e2\"");
    char *body = s3_complete_body(items, parts, 2);
    CHECK(body && strstr(body, "<Part><ETag>\"e1\"</ETag><ChecksumCRC32>NSRBwg==</ChecksumCRC32>"
                               "<PartNumber>1</PartNumber></Part>"));
    CHECK(body && strstr(body, "<ChecksumCRC32>DMThYQ==</ChecksumCRC32><PartNumber>2<"));
    free(body);
    s3_sum_buffer(S3_CHECKSUM_MD5, "abc", 3, &parts[0]);
    s3_sum_buffer(S3_CHECKSUM_MD5, "def", 3, &parts[1]);
    body = s3_complete_body(items, parts, 2);
    CHECK(body && !strstr(body, "Checksum"));
    CHECK(body && strstr(body, "<Part><ETag>\"e2\"</ETag><PartNumber>2</PartNumber></Part>"));
    free(body);
}

TEST(complete_result_checksum)
{
    char out[64];
    const char *with = "<?xml version=\"1.0\"?><CompleteMultipartUploadResult "
                       "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>b</Bucket>"
                       "<Key>k</Key><ETag>\"x-2\"</ETag><ChecksumCRC32>ZYzvyg==-2</ChecksumCRC32>"
                       "</CompleteMultipartUploadResult>";
    CHECK_INT(s3_xml_parse_complete_checksum(with, strlen(with), out, sizeof out), 0);
    CHECK_STR(out, "ZYzvyg==-2");
    const char *without = "<CompleteMultipartUploadResult><ETag>\"x-2\"</ETag>"
                          "</CompleteMultipartUploadResult>";
    CHECK_INT(s3_xml_parse_complete_checksum(without, strlen(without), out, sizeof out), 0);
    CHECK_STR(out, "");
    const char *error = "<Error><Code>InternalError</Code></Error>";
    CHECK_INT(s3_xml_parse_complete_checksum(error, strlen(error), out, sizeof out), -1);
}

TEST(parse_names)
{
    s3_checksum k = S3_CHECKSUM_AUTO;
    CHECK_INT(s3_checksum_parse("crc32", &k), 0);
    CHECK_INT(k, S3_CHECKSUM_CRC32);
    CHECK_INT(s3_checksum_parse("MD5", &k), 0);
    CHECK_INT(k, S3_CHECKSUM_MD5);
    CHECK_INT(s3_checksum_parse("auto", &k), 0);
    CHECK_INT(k, S3_CHECKSUM_AUTO);
    CHECK_INT(s3_checksum_parse("sha256", &k), -1);
    CHECK_INT(s3_checksum_parse("", &k), -1);
}

static s3_client *client(const char *endpoint, s3_checksum checksum)
{
    s3_options o = { 0 };
    o.session.region = "us-east-1";
    o.session.endpoint = endpoint;
    o.checksum = checksum;
    s3_client *c = NULL;
    aws_error err;
    if (s3_client_new(&o, &c, &err) < 0)
        fprintf(stderr, "  s3_client_new: %s\n", err.message);
    return c;
}

TEST(default_per_endpoint)
{
    struct {
        const char *endpoint;
        s3_checksum option, want;
    } cases[] = {
        { NULL, S3_CHECKSUM_AUTO, S3_CHECKSUM_CRC32 },   /* AWS's own endpoint */
        { "https://s3.eu-west-1.amazonaws.com", S3_CHECKSUM_AUTO, S3_CHECKSUM_CRC32 },
        { "https://s3.cn-north-1.amazonaws.com.cn", S3_CHECKSUM_AUTO, S3_CHECKSUM_CRC32 },
        { "http://127.0.0.1:9000", S3_CHECKSUM_AUTO, S3_CHECKSUM_MD5 },
        { "https://amazonaws.com.example.org", S3_CHECKSUM_AUTO, S3_CHECKSUM_MD5 },
        { "http://127.0.0.1:9000", S3_CHECKSUM_CRC32, S3_CHECKSUM_CRC32 },
        { NULL, S3_CHECKSUM_MD5, S3_CHECKSUM_MD5 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        s3_client *c = client(cases[i].endpoint, cases[i].option);
        CHECK(c != NULL);
        if (!c)
            continue;
        if (c->checksum != cases[i].want)
            fprintf(stderr, "  case %zu (%s)\n", i, cases[i].endpoint ? cases[i].endpoint : "AWS");
        CHECK_INT(c->checksum, cases[i].want);
        s3_client_free(c);
    }
}

/* The request a part upload sends: the CRC32 header present and covered by the signature. */
TEST(signed_part_request)
{
    s3_client *c = client("http://127.0.0.1:9", S3_CHECKSUM_CRC32);
    CHECK(c != NULL);
    if (!c)
        return;
    s3_target t;
    CHECK_INT(s3_target_make(c, "PUT", "bucket", "dir/key.bin", &t), 0);
    s3_sum s;
    s3_sum_buffer(S3_CHECKSUM_CRC32, "123456789", 9, &s);
    aws_header h[S3_SUM_MAX_HEADERS];
    size_t nh = s3_sum_headers(&s, h);
    aws_signed_req req = s3_request(&t, "PUT", "partNumber=1&uploadId=abc", h, nh,
                                    SIGV4_UNSIGNED_PAYLOAD);
    http_xfer x;
    http_xfer_init(&x);
    strbuf url = STRBUF_INIT;
    struct curl_slist *headers = NULL;
    aws_error err;
    CHECK_INT(aws_sign_into(c->session, &req, &x, &url, &headers, &err), 0);
    int has_crc = 0, has_algo = 0, signed_both = 0;
    for (struct curl_slist *l = headers; l; l = l->next) {
        has_crc |= strcmp(l->data, "x-amz-checksum-crc32: y/Q5Jg==") == 0;
        has_algo |= strcmp(l->data, "x-amz-sdk-checksum-algorithm: CRC32") == 0;
        if (strncmp(l->data, "Authorization:", 14) == 0)
            signed_both = strstr(l->data, "x-amz-checksum-crc32") &&
                          strstr(l->data, "x-amz-sdk-checksum-algorithm");
    }
    CHECK(has_crc);
    CHECK(has_algo);
    CHECK(signed_both);
    CHECK_STR(url.buf, "http://127.0.0.1:9/bucket/dir/key.bin?partNumber=1&uploadId=abc");
    curl_slist_free_all(headers);
    sb_free(&url);
    s3_target_free(&t);
    s3_client_free(c);
}

int main(void)
{
    setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
    unsetenv("AWS_SESSION_TOKEN");
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_ENDPOINT_URL_S3");
    unsetenv("AWS_PROFILE");
    setenv("AWS_CONFIG_FILE", "/dev/null", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    RUN(crc32_known_answers);
    RUN(sums_of_buffers);
    RUN(sums_of_file_ranges);
    RUN(headers_of_a_put);
    RUN(server_confirmation);
    RUN(composite_and_complete_body);
    RUN(complete_result_checksum);
    RUN(parse_names);
    RUN(default_per_endpoint);
    RUN(signed_part_request);
    return unit_done();
}

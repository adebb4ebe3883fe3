/* The uploader's parsers and policies on fixed inputs: S3/STS XML (with entities and
 * namespaces), JSON error bodies, the shared config/credentials files, s3:// URLs, the
 * retry classification and backoff bounds, and the multipart part-size choice. */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "tests/unit/unit.h"
#include "uploader/aws_error.h"
#include "uploader/profile.h"
#include "uploader/retry.h"
#include "uploader/s3.h"
#include "uploader/s3_xml.h"

#define S(x) x, strlen(x)

TEST(xml_error_documents)
{
    char code[64], msg[128];
    CHECK_INT(s3_xml_parse_error(S("<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code>"
                                   "<Message>The key &amp; more</Message></Error>"),
                                 code, sizeof code, msg, sizeof msg),
              0);
    CHECK_STR(code, "NoSuchKey");
    CHECK_STR(msg, "The key & more");
    CHECK_INT(s3_xml_parse_error(S("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/"
                                   "2011-06-15/\"><Error><Type>Sender</Type><Code>"
                                   "InvalidIdentityToken</Code><Message>m</Message></Error>"
                                   "</ErrorResponse>"),
                                 code, sizeof code, msg, sizeof msg),
              0);
    CHECK_STR(code, "InvalidIdentityToken");
    CHECK_INT(s3_xml_parse_error(S("<Error><Code>x</Code>"), code, sizeof code, msg,
                                 sizeof msg),
              -1);
    CHECK_INT(s3_xml_parse_error(S("<ListBucketResult/>"), code, sizeof code, msg, sizeof msg),
              -1);
}

TEST(xml_list_page)
{
    s3_list_page p;
    CHECK_INT(s3_xml_parse_list(
                  S("<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                    "<IsTruncated>true</IsTruncated><NextContinuationToken>t+/=</"
                    "NextContinuationToken><Contents><Key>a b&amp;c/\xc3\xbc</Key><Size>"
                    "12345678901</Size><ETag>&quot;e&quot;</ETag></Contents><Contents><Key>"
                    "z</Key><Size>0</Size></Contents></ListBucketResult>"),
                  &p),
              0);
    CHECK_INT(p.n, 2);
    CHECK_STR(p.items[0].key, "a b&c/\xc3\xbc");
    CHECK_INT(p.items[0].size, 12345678901ll);
    CHECK_STR(p.items[0].etag, "\"e\"");
    CHECK_INT(p.truncated, 1);
    CHECK_STR(p.next_token, "t+/=");
    s3_list_page_free(&p);
    /* Truncated without a token would loop forever: refused. */
    CHECK_INT(s3_xml_parse_list(S("<ListBucketResult><IsTruncated>true</IsTruncated>"
                                  "</ListBucketResult>"),
                                &p),
              -1);
}

TEST(xml_initiate_and_sts)
{
    char *id = NULL;
    CHECK_INT(s3_xml_parse_initiate(S("<InitiateMultipartUploadResult><UploadId>abc-123"
                                      "</UploadId></InitiateMultipartUploadResult>"),
                                    &id),
              0);
    CHECK_STR(id, "abc-123");
    free(id);
    sts_credentials c;
    CHECK_INT(sts_xml_parse_credentials(
                  S("<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult>"
                    "<Credentials><AccessKeyId>ASIA1</AccessKeyId><SecretAccessKey>sec"
                    "</SecretAccessKey><SessionToken>tok</SessionToken><Expiration>"
                    "2026-11-23T05:00:00Z</Expiration></Credentials>"
                    "</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>"),
                  &c),
              0);
    CHECK_STR(c.access_key, "ASIA1");
    CHECK_STR(c.session_token, "tok");
    CHECK_STR(c.expiration, "2026-11-23T05:00:00Z");
    sts_credentials_free(&c);
}

TEST(json_errors)
{
    char code[64], msg[128];
    CHECK_INT(aws_error_parse_json(S("{\"__type\":\"com.amazonaws.batch#ClientException\","
                                     "\"message\":\"no queue\"}"),
                                   code, sizeof code, msg, sizeof msg),
              0);
    CHECK_STR(code, "ClientException");
    CHECK_STR(msg, "no queue");
    CHECK_INT(aws_error_parse_json(S("{\"code\":\"ThrottlingException:http://x\"}"), code,
                                   sizeof code, msg, sizeof msg),
              0);
    CHECK_STR(code, "ThrottlingException");
    CHECK_INT(aws_error_parse_json(S("[1,2]"), code, sizeof code, msg, sizeof msg), -1);
    aws_error e;
    aws_error_from_response(&e, "GET s3://b/k", 404, "", 0);
    CHECK_STR(e.code, "NotFound");
    CHECK(strstr(e.message, "GET s3://b/k: HTTP 404") != NULL);
}

TEST(profile_files)
{
    const char *config = "# comment\n[default]\nregion = us-west-2\n\n[profile dev]\n"
                         "aws_access_key_id=AKDEV\r\naws_secret_access_key = SKDEV \n"
                         "s3 =\n  addressing_style = path\n  endpoint_url = http://x\n"
                         "region=eu-west-1\n[sso-session s]\nregion=ignored\n[dev]\nk=v\n";
    profile_file f;
    CHECK_INT(profile_parse(config, strlen(config), 1, &f), 0);
    CHECK_STR(profile_file_get(&f, "default", "region"), "us-west-2");
    CHECK_STR(profile_file_get(&f, "dev", "aws_secret_access_key"), "SKDEV");
    CHECK_STR(profile_file_get(&f, "dev", "aws_access_key_id"), "AKDEV");
    CHECK_STR(profile_file_get(&f, "dev", "s3.addressing_style"), "path");
    CHECK_STR(profile_file_get(&f, "dev", "s3.endpoint_url"), "http://x");
    CHECK_STR(profile_file_get(&f, "dev", "region"), "eu-west-1");
    /* In the config file "[dev]" is not a profile (only "[profile dev]" is). */
    CHECK(profile_file_get(&f, "dev", "k") == NULL);
    profile_file_free(&f);
    const char *creds = "[dev]\naws_access_key_id = A\n[profile dev]\nx = y\n";
    CHECK_INT(profile_parse(creds, strlen(creds), 0, &f), 0);
    CHECK_STR(profile_file_get(&f, "dev", "aws_access_key_id"), "A");
    CHECK(profile_file_get(&f, "dev", "x") == NULL);
    profile_file_free(&f);
}

TEST(s3_urls)
{
    s3_url u;
    CHECK_INT(s3_url_parse("s3://bucket/a/b c/", &u), 0);
    CHECK_STR(u.bucket, "bucket");
    CHECK_STR(u.key, "a/b c/");
    s3_url_free(&u);
    CHECK_INT(s3_url_parse("s3://bucket", &u), 0);
    CHECK_STR(u.key, "");
    s3_url_free(&u);
    CHECK_INT(s3_url_parse("s3:///key", &u), -1);
    CHECK_INT(s3_url_parse("http://bucket/key", &u), -1);
}

TEST(retry_policy)
{
    CHECK_INT(retry_classify(503, CURLE_OK, "SlowDown"), RETRY_THROTTLE);
    CHECK_INT(retry_classify(400, CURLE_OK, "ThrottlingException"), RETRY_THROTTLE);
    CHECK_INT(retry_classify(429, CURLE_OK, ""), RETRY_THROTTLE);
    CHECK_INT(retry_classify(500, CURLE_OK, "InternalError"), RETRY_TRANSIENT);
    CHECK_INT(retry_classify(502, CURLE_OK, ""), RETRY_TRANSIENT);
    CHECK_INT(retry_classify(400, CURLE_OK, "RequestTimeout"), RETRY_TRANSIENT);
    CHECK_INT(retry_classify(0, CURLE_RECV_ERROR, ""), RETRY_TRANSIENT);
    CHECK_INT(retry_classify(0, CURLE_OPERATION_TIMEDOUT, ""), RETRY_TIMEOUT);
    CHECK_INT(retry_classify(403, CURLE_OK, "AccessDenied"), RETRY_NO);
    CHECK_INT(retry_classify(403, CURLE_OK, "SignatureDoesNotMatch"), RETRY_NO);
    CHECK_INT(retry_classify(404, CURLE_OK, "NoSuchKey"), RETRY_NO);
    CHECK_INT(retry_classify(200, CURLE_OK, ""), RETRY_NO);
    CHECK_INT(retry_classify(0, CURLE_READ_ERROR, ""), RETRY_NO);
    for (int attempt = 0; attempt < 12; attempt++) {
        double d = retry_backoff(attempt);
        double cap = attempt < 5 ? (double)(1 << attempt) : 20.0;
        CHECK(d >= 0 && d < cap);
    }
    retry_quota q;
    retry_quota_init(&q);
    int spent = 0, cost;
    while ((cost = retry_quota_acquire(&q, RETRY_TRANSIENT)) > 0)
        spent += cost;
    CHECK_INT(spent, RETRY_QUOTA_INITIAL);
    retry_quota_release(&q, RETRY_COST);
    CHECK_INT(retry_quota_acquire(&q, RETRY_TIMEOUT), 0);   /* 5 left, a timeout costs 10 */
    CHECK_INT(retry_quota_acquire(&q, RETRY_THROTTLE), RETRY_COST);
    retry_quota_destroy(&q);
}

int main(void)
{
    RUN(xml_error_documents);
    RUN(xml_list_page);
    RUN(xml_initiate_and_sts);
    RUN(json_errors);
    RUN(profile_files);
    RUN(s3_urls);
    RUN(retry_policy);
    return unit_done();
}

/* Session settings resolved the SDKs' way, without network: the region (option,
 * AWS_REGION, AWS_DEFAULT_REGION, the profile), the endpoints (option,
 * AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the profile's endpoint_url, the service's
 * default), and credentials from the environment and the shared files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/unit.h"
#include "uploader/aws_send.h"

static char g_dir[] = "/tmp/test_session.XXXXXX";

static void write_text(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void clean_env(void)
{
    static const char *const vars[] = {
        "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
        "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS",
        "AWS_ENDPOINT_URL_STS", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_MAX_ATTEMPTS", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", NULL,
    };
    for (const char *const *v = vars; *v; v++)
        unsetenv(*v);
    char path[256];
    snprintf(path, sizeof path, "%s/config", g_dir);
    setenv("AWS_CONFIG_FILE", path, 1);
    snprintf(path, sizeof path, "%s/credentials", g_dir);
    setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    write_text("config", "");
    write_text("credentials", "");
}

static aws_session *session(const char *region, const char *endpoint)
{
    aws_session_options o = { 0 };
    o.region = region;
    o.endpoint = endpoint;
    aws_session *s = NULL;
    aws_error err;
    if (aws_session_new(&o, &s, &err) < 0)
        fprintf(stderr, "  aws_session_new: %s\n", err.message);
    return s;
}

TEST(region_order)
{
    clean_env();
    write_text("config", "[default]\nregion = eu-north-1\n[profile other]\nregion = sa-east-1\n");
    aws_session *s = session(NULL, NULL);
    CHECK_STR(aws_session_region(s), "eu-north-1");
    aws_session_free(s);
    setenv("AWS_PROFILE", "other", 1);
    s = session(NULL, NULL);
    CHECK_STR(aws_session_region(s), "sa-east-1");
    aws_session_free(s);
    setenv("AWS_DEFAULT_REGION", "ap-south-1", 1);
    s = session(NULL, NULL);
    CHECK_STR(aws_session_region(s), "ap-south-1");
    aws_session_free(s);
    setenv("AWS_REGION", "us-west-2", 1);
    s = session(NULL, NULL);
    CHECK_STR(aws_session_region(s), "us-west-2");
    aws_session_free(s);
    s = session("eu-west-3", NULL);
    CHECK_STR(aws_session_region(s), "eu-west-3");
    aws_session_free(s);
    clean_env();
    s = session(NULL, NULL);
    CHECK_STR(aws_session_region(s), "us-east-1");
    CHECK_INT(aws_session_max_attempts(s), 3);
    aws_session_free(s);
}

TEST(endpoints)
{
    clean_env();
    aws_session *s = session("eu-west-3", NULL);
    CHECK_STR(aws_session_endpoint(s, "batch"), "https://batch.eu-west-3.amazonaws.com");
    CHECK_STR(aws_session_endpoint(s, "s3"), "https://s3.eu-west-3.amazonaws.com");
    CHECK_STR(aws_session_endpoint(s, "pricing"), "https://api.pricing.eu-west-3.amazonaws.com");
    CHECK_STR(aws_session_endpoint(s, "iam"), "https://iam.amazonaws.com");
    aws_session_free(s);
    s = session("cn-north-1", NULL);
    CHECK_STR(aws_session_endpoint(s, "logs"), "https://logs.cn-north-1.amazonaws.com.cn");
    aws_session_free(s);

    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000/", 1);
    setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000", 1);
    setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "http://127.0.0.1:7000", 1);
    s = session("us-east-1", NULL);
    CHECK_STR(aws_session_endpoint(s, "s3"), "http://127.0.0.1:9000");
    CHECK_STR(aws_session_endpoint(s, "logs"), "http://127.0.0.1:7000");
    CHECK_STR(aws_session_endpoint(s, "batch"), "http://127.0.0.1:5000");
    aws_session_free(s);
    s = session("us-east-1", "http://localhost:1234");
    CHECK_STR(aws_session_endpoint(s, "s3"), "http://localhost:1234");
    aws_session_free(s);
    setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
    s = session("us-east-1", NULL);
    CHECK_STR(aws_session_endpoint(s, "s3"), "https://s3.us-east-1.amazonaws.com");
    aws_session_free(s);

    clean_env();
    write_text("config", "[default]\nendpoint_url = http://10.0.0.1:1\ns3 =\n"
                         "  endpoint_url = http://10.0.0.2:2\n");
    s = session("us-east-1", NULL);
    CHECK_STR(aws_session_endpoint(s, "s3"), "http://10.0.0.2:2");
    CHECK_STR(aws_session_endpoint(s, "sts"), "http://10.0.0.1:1");
    aws_session_free(s);
}

TEST(credentials_env_and_files)
{
    clean_env();
    aws_credentials c;
    aws_error err;
    write_text("credentials", "[default]\naws_access_key_id = AKFILE\n"
                              "aws_secret_access_key = SKFILE\naws_session_token = TKFILE\n");
    aws_session *s = session("us-east-1", NULL);
    CHECK_INT(creds_provider_get(aws_session_creds(s), &c, &err), 0);
    CHECK_STR(c.access_key, "AKFILE");
    CHECK_STR(c.session_token, "TKFILE");
    CHECK_STR(c.source, "profile");
    aws_credentials_clear(&c);
    aws_session_free(s);

    setenv("AWS_ACCESS_KEY_ID", "AKENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "SKENV", 1);
    s = session("us-east-1", NULL);
    CHECK_INT(creds_provider_get(aws_session_creds(s), &c, &err), 0);
    CHECK_STR(c.access_key, "AKENV");
    CHECK(c.session_token == NULL);
    CHECK(c.expiration == 0);
    CHECK_STR(c.source, "environment");
    aws_credentials_clear(&c);
    CHECK_INT(creds_provider_fetches(aws_session_creds(s)), 1);
    /* Static credentials are fetched once. */
    CHECK_INT(creds_provider_get(aws_session_creds(s), &c, &err), 0);
    aws_credentials_clear(&c);
    CHECK_INT(creds_provider_fetches(aws_session_creds(s)), 1);
    aws_session_free(s);

    clean_env();
    s = session("us-east-1", NULL);
    CHECK_INT(creds_provider_get(aws_session_creds(s), &c, &err), -1);
    CHECK(strstr(err.message, "no AWS credentials") != NULL);
    aws_session_free(s);
}

int main(void)
{
    if (!mkdtemp(g_dir))
        return 1;
    RUN(region_order);
    RUN(endpoints);
    RUN(credentials_env_and_files);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", g_dir);
    return unit_done();
}

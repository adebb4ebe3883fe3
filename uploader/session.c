/* aws_session: region, endpoints, credentials and the retry budget of one client, and
 * aws_call() for the JSON/query APIs. */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/log.h"
#include "common/strbuf.h"
#include "common/timeutil.h"
#include "uploader/aws_error.h"
#include "uploader/aws_send.h"
#include "uploader/digest.h"
#include "uploader/imds.h"
#include "uploader/profile.h"
#include "uploader/sigv4.h"

#define MAX_ENDPOINTS 16

struct aws_session {
    char *region;
    char *endpoint_override;       /* opt->endpoint */
    int max_attempts;
    long stall_seconds;
    profile_files profiles;
    creds_provider *creds;
    retry_quota quota;
    http_share *share;             /* warm connections for single requests, all threads */
    pthread_mutex_t mu;            /* guards the endpoint cache */
    struct {
        char *service;
        char *url;
    } endpoints[MAX_ENDPOINTS];
    size_t n_endpoints;
};

static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* The service's id in AWS_ENDPOINT_URL_<ID> (upper case, '-' and ' ' as '_'). */
static void service_env_name(const char *service, char *out, size_t cap)
{
    const char *id = strcmp(service, "logs") == 0 ? "CLOUDWATCH_LOGS" : service;
    size_t o = (size_t)snprintf(out, cap, "AWS_ENDPOINT_URL_");
    for (const char *p = id; *p && o + 1 < cap; p++)
        out[o++] = *p == '-' || *p == ' ' ? '_' : (char)toupper((unsigned char)*p);
    out[o < cap ? o : cap - 1] = '\0';
}

static int endpoints_ignored(void)
{
    const char *v = getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    return v && strcasecmp(v, "true") == 0;
}

/* A configured endpoint for service (option, environment, profile), or NULL. */
static const char *configured_endpoint(const aws_session *s, const char *service)
{
    if (s->endpoint_override)
        return s->endpoint_override;
    if (endpoints_ignored())
        return NULL;
    char env[96];
    service_env_name(service, env, sizeof env);
    const char *v = env_nonempty(env);
    if (!v)
        v = env_nonempty("AWS_ENDPOINT_URL");
    if (!v) {
        char key[96];
        snprintf(key, sizeof key, "%s.endpoint_url", service);
        v = profile_get(&s->profiles, key);
    }
    if (!v)
        v = profile_get(&s->profiles, "endpoint_url");
    return v && *v ? v : NULL;
}

static char *default_endpoint(const char *service, const char *region)
{
    const char *suffix = strncmp(region, "cn-", 3) == 0 ? "amazonaws.com.cn" : "amazonaws.com";
    strbuf sb = STRBUF_INIT;
    if (strcmp(service, "iam") == 0)
        sb_printf(&sb, "https://iam.%s", suffix);
    else if (strcmp(service, "pricing") == 0)
        sb_printf(&sb, "https://api.pricing.%s.%s", region, suffix);
    else
        sb_printf(&sb, "https://%s.%s.%s", service, region, suffix);
    return sb_detach(&sb);
}

static char *strip_slashes(const char *url)
{
    size_t n = strlen(url);
    while (n && url[n - 1] == '/')
        n--;
    return strndup(url, n);
}

static char *resolve_endpoint(const aws_session *s, const char *service)
{
    const char *conf = configured_endpoint(s, service);
    return conf ? strip_slashes(conf) : default_endpoint(service, s->region);
}

const char *aws_session_endpoint(aws_session *s, const char *service)
{
    pthread_mutex_lock(&s->mu);
    const char *url = NULL;
    for (size_t i = 0; i < s->n_endpoints && !url; i++)
        if (strcmp(s->endpoints[i].service, service) == 0)
            url = s->endpoints[i].url;
    if (!url && s->n_endpoints < MAX_ENDPOINTS) {
        char *svc = strdup(service), *u = resolve_endpoint(s, service);
        if (svc && u) {
            s->endpoints[s->n_endpoints].service = svc;
            s->endpoints[s->n_endpoints].url = u;
            s->n_endpoints++;
            url = u;
        } else {
            free(svc);
            free(u);
        }
    }
    pthread_mutex_unlock(&s->mu);
    return url;
}

const char *aws_session_region(const aws_session *s) { return s->region; }
retry_quota *aws_session_quota(aws_session *s) { return &s->quota; }
int aws_session_max_attempts(const aws_session *s) { return s->max_attempts; }
long aws_session_stall_seconds(const aws_session *s) { return s->stall_seconds; }
creds_provider *aws_session_creds(aws_session *s) { return s->creds; }

const char *aws_session_profile_value(const aws_session *s, const char *key)
{
    return profile_get(&s->profiles, key);
}

/* Option, AWS_REGION, AWS_DEFAULT_REGION, the profile, IMDS (only on real AWS endpoints:
 * a custom endpoint means a local server, where asking IMDS would only add a timeout),
 * us-east-1. */
static char *resolve_region(const aws_session_options *opt, const profile_files *pf,
                            int custom_endpoint)
{
    const char *v = opt && opt->region && *opt->region ? opt->region : NULL;
    if (!v)
        v = env_nonempty("AWS_REGION");
    if (!v)
        v = env_nonempty("AWS_DEFAULT_REGION");
    if (!v)
        v = profile_get(pf, "region");
    if (v)
        return strdup(v);
    if (!custom_endpoint && imds_enabled()) {
        strbuf r = STRBUF_INIT, token = STRBUF_INIT;
        char err[256];
        int ok = imds_get(&token, "/latest/meta-data/placement/region", &r, err, sizeof err) ==
                     0 &&
                 r.len > 0 && r.len < 64;
        sb_free(&token);
        if (ok)
            return sb_detach(&r);
        sb_free(&r);
    }
    return strdup("us-east-1");
}

static int resolve_max_attempts(const aws_session_options *opt, const profile_files *pf)
{
    if (opt && opt->max_attempts > 0)
        return opt->max_attempts;
    const char *v = env_nonempty("AWS_MAX_ATTEMPTS");
    if (!v)
        v = profile_get(pf, "max_attempts");
    int n = v ? atoi(v) : 0;
    return n > 0 ? n : 3;
}

int aws_session_new(const aws_session_options *opt, aws_session **out, aws_error *err)
{
    aws_session *s = calloc(1, sizeof *s);
    if (!s) {
        aws_error_set(err, "out of memory");
        return -1;
    }
    pthread_mutex_init(&s->mu, NULL);
    retry_quota_init(&s->quota);
    s->share = http_share_new();
    if (!s->share || profile_files_load(&s->profiles, opt ? opt->profile : NULL) < 0) {
        aws_error_set(err, "cannot read the AWS config/credentials files");
        aws_session_free(s);
        return -1;
    }
    if (opt && opt->endpoint && *opt->endpoint)
        s->endpoint_override = strdup(opt->endpoint);
    int custom = configured_endpoint(s, "s3") || configured_endpoint(s, "sts");
    s->region = resolve_region(opt, &s->profiles, custom);
    s->max_attempts = resolve_max_attempts(opt, &s->profiles);
    s->stall_seconds = opt && opt->stall_seconds > 0 ? opt->stall_seconds : 30;
    const char *sts = s->region ? aws_session_endpoint(s, "sts") : NULL;
    if (!s->region || !sts || creds_provider_new(&s->profiles, sts, &s->creds) < 0) {
        aws_error_set(err, "out of memory creating the AWS session");
        aws_session_free(s);
        return -1;
    }
    *out = s;
    return 0;
}

void aws_session_free(aws_session *s)
{
    if (!s)
        return;
    creds_provider_free(s->creds);
    http_share_free(s->share);
    profile_files_free(&s->profiles);
    for (size_t i = 0; i < s->n_endpoints; i++) {
        free(s->endpoints[i].service);
        free(s->endpoints[i].url);
    }
    free(s->region);
    free(s->endpoint_override);
    retry_quota_destroy(&s->quota);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* "https://host:port/x" -> "host:port" */
static void host_of(const char *base_url, char *out, size_t cap)
{
    const char *p = strstr(base_url, "://");
    p = p ? p + 3 : base_url;
    size_t n = strcspn(p, "/");
    snprintf(out, cap, "%.*s", (int)n, p);
    /* Default ports are not part of the Host header curl would send, nor of what the
     * server checks the signature against. */
    size_t l = strlen(out);
    if (strncmp(base_url, "https://", 8) == 0 && l > 4 && strcmp(out + l - 4, ":443") == 0)
        out[l - 4] = '\0';
    else if (strncmp(base_url, "http://", 7) == 0 && l > 3 && strcmp(out + l - 3, ":80") == 0)
        out[l - 3] = '\0';
}

static int add_all_headers(struct curl_slist **list, const aws_header *h, size_t n,
                           const sigv4_result *sig)
{
    for (size_t i = 0; i < n; i++)
        if (http_add_header(list, h[i].name, h[i].value) < 0)
            return -1;
    for (size_t i = 0; i < sig->n_add_headers; i++) {
        struct curl_slist *l = curl_slist_append(*list, sig->add_headers[i]);
        if (!l)
            return -1;
        *list = l;
    }
    /* No "Expect: 100-continue" round trip: S3 answers errors before reading anyway. */
    struct curl_slist *l = curl_slist_append(*list, "Expect:");
    if (!l)
        return -1;
    *list = l;
    return 0;
}

int aws_sign_into(aws_session *s, const aws_signed_req *req, http_xfer *x, strbuf *url,
                  struct curl_slist **headers, aws_error *err)
{
    aws_credentials creds = { 0 };
    if (creds_provider_get(s->creds, &creds, err) < 0)
        return -1;
    char host[512], hash[65];
    host_of(req->base_url, host, sizeof host);
    const char *payload = req->payload_hash;
    if (!payload) {
        sha256_hex(x->body ? x->body : "", x->body ? x->body_len : 0, hash);
        payload = hash;
    }
    size_t nh = req->n_headers + 1;
    aws_header *all = calloc(nh, sizeof *all);
    if (!all) {
        aws_credentials_clear(&creds);
        aws_error_set(err, "out of memory");
        return -1;
    }
    all[0].name = "Host";
    all[0].value = host;
    for (size_t i = 0; i < req->n_headers; i++)
        all[i + 1] = req->headers[i];
    sigv4_config cfg = {
        .access_key = creds.access_key,
        .secret_key = creds.secret_key,
        .session_token = creds.session_token,
        .region = s->region,
        .service = req->service,
        .when = time(NULL),
        .normalize_path = !req->s3,
        .double_encode = !req->s3,
        .add_content_sha256 = req->s3,
    };
    const char *path = req->path && *req->path ? req->path : "/";
    sigv4_request sreq = { req->method, path, req->query, all, nh, payload };
    sigv4_result sig;
    int rc = sigv4_sign(&cfg, &sreq, &sig);
    aws_credentials_clear(&creds);
    free(all);
    if (rc < 0) {
        aws_error_set(err, "%s: signing failed", req->what);
        return -1;
    }
    sb_reset(url);
    sb_printf(url, "%s%s%s%s", req->base_url, path, req->query && *req->query ? "?" : "",
              req->query ? req->query : "");
    *headers = NULL;
    if (add_all_headers(headers, req->headers, req->n_headers, &sig) < 0 ||
        http_add_header(headers, "Host", host) < 0 || !url->buf) {
        curl_slist_free_all(*headers);
        *headers = NULL;
        rc = -1;
        aws_error_set(err, "out of memory");
    }
    sigv4_result_free(&sig);
    x->method = req->method;
    x->url = url->buf;
    x->headers = *headers;
    return rc;
}

static int is_expired_token(const char *code)
{
    return strcmp(code, "ExpiredToken") == 0 || strcmp(code, "ExpiredTokenException") == 0 ||
           strcmp(code, "RequestExpired") == 0 || strcmp(code, "TokenRefreshRequired") == 0;
}

int aws_attempt_failed(aws_session *s, const aws_signed_req *req, const http_xfer *x,
                       int attempt, int *cost, aws_error *err)
{
    if (x->curl_rc != CURLE_OK)
        aws_error_from_transport(err, req->what, x->curl_err);
    else
        aws_error_from_response(err, req->what, x->status, x->resp.buf, x->resp.len);
    enum retry_kind kind = retry_classify(x->status, (int)x->curl_rc, err->code);
    if (kind == RETRY_NO && is_expired_token(err->code)) {
        creds_provider_invalidate(s->creds);
        kind = RETRY_TRANSIENT;
    }
    if (kind == RETRY_NO || attempt + 1 >= s->max_attempts)
        return 0;
    *cost = retry_quota_acquire(&s->quota, kind);
    if (!*cost) {
        log_warn("%s: retry budget spent, not retrying", req->what);
        return 0;
    }
    log_info("%s; retrying (attempt %d of %d)", err->message, attempt + 2,
             s->max_attempts);
    return 1;
}

int aws_send(aws_session *s, const aws_signed_req *req, http_xfer *x, aws_error *err)
{
    strbuf url = STRBUF_INIT;
    int cost = 0, rc = -1;
    for (int attempt = 0;; attempt++) {
        struct curl_slist *h = NULL;
        if (aws_sign_into(s, req, x, &url, &h, err) < 0)
            break;
        x->share = s->share;
        x->stall_seconds = s->stall_seconds;
        int ok = http_xfer_prepare(x) == 0;
        if (ok)
            http_xfer_perform(x);
        curl_slist_free_all(h);
        x->headers = NULL;
        if (!ok) {
            aws_error_set(err, "%s: cannot set up the transfer", req->what);
            break;
        }
        if (x->curl_rc == CURLE_OK && x->status >= 200 && x->status < 300) {
            retry_quota_release(&s->quota, cost);
            rc = 0;
            break;
        }
        if (!aws_attempt_failed(s, req, x, attempt, &cost, err))
            break;
        sleep_seconds(retry_backoff(attempt));
    }
    sb_free(&url);
    x->url = NULL;
    return rc;
}

int aws_call(aws_session *s, const aws_request *req, aws_response *resp, aws_error *err)
{
    memset(resp, 0, sizeof *resp);
    memset(err, 0, sizeof *err);
    const char *base = aws_session_endpoint(s, req->service);
    if (!base) {
        aws_error_set(err, "%s: no endpoint", req->service);
        return -1;
    }
    char what[256];
    snprintf(what, sizeof what, "%s %s %s", req->service, req->method,
             req->path ? req->path : "/");
    aws_signed_req sreq = { req->service, req->method, base, req->path, req->query,
                            req->headers, req->n_headers, strcmp(req->service, "s3") == 0,
                            NULL, what };
    http_xfer x;
    http_xfer_init(&x);
    x.body = req->body;
    x.body_len = req->body ? req->body_len : 0;
    if (!req->body && strcmp(req->method, "POST") == 0) {
        x.body = "";
        x.body_len = 0;
    }
    int rc = aws_send(s, &sreq, &x, err);
    resp->status = x.status;
    resp->body_len = x.resp.len;
    resp->body = x.resp.buf ? sb_detach(&x.resp) : strdup("");
    http_xfer_cleanup(&x);
    return rc;
}

void aws_response_free(aws_response *r)
{
    free(r->body);
    memset(r, 0, sizeof *r);
}

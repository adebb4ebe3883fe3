#include "uploader/credentials.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "common/timeutil.h"
#include "uploader/aws_error.h"
#include "uploader/http.h"
#include "uploader/imds.h"
#include "uploader/s3_xml.h"
#include "uploader/sigv4.h"

/* A source fills out (0) or explains in why (-1). */
typedef int (*creds_source_fn)(creds_provider *p, aws_credentials *out, strbuf *why);

struct creds_provider {
    pthread_mutex_t mu;
    aws_credentials cached;
    creds_source_fn source;   /* the source that answered; NULL until the first get */
    unsigned fetches;
    char *sts_endpoint;
    /* Settings of the selected profile, copied at creation. */
    char *prof_name;
    char *prof_key, *prof_secret, *prof_token;
    char *prof_role_arn, *prof_token_file, *prof_session_name, *prof_process;
};

void aws_credentials_clear(aws_credentials *c)
{
    if (c->secret_key)
        memset(c->secret_key, 0, strlen(c->secret_key));
    free(c->access_key);
    free(c->secret_key);
    free(c->session_token);
    memset(c, 0, sizeof *c);
}

static int creds_copy(aws_credentials *dst, const aws_credentials *src)
{
    memset(dst, 0, sizeof *dst);
    dst->access_key = strdup(src->access_key);
    dst->secret_key = strdup(src->secret_key);
    dst->session_token = src->session_token ? strdup(src->session_token) : NULL;
    dst->expiration = src->expiration;
    memcpy(dst->source, src->source, sizeof dst->source);
    if (!dst->access_key || !dst->secret_key || (src->session_token && !dst->session_token)) {
        aws_credentials_clear(dst);
        return -1;
    }
    return 0;
}

static int creds_set(aws_credentials *c, const char *source, const char *key, const char *secret,
                     const char *token, const char *expiration)
{
    memset(c, 0, sizeof *c);
    snprintf(c->source, sizeof c->source, "%s", source);
    c->access_key = strdup(key);
    c->secret_key = strdup(secret);
    c->session_token = token && *token ? strdup(token) : NULL;
    if (!c->access_key || !c->secret_key) {
        aws_credentials_clear(c);
        return -1;
    }
    if (expiration && *expiration && parse_rfc3339(expiration, &c->expiration) < 0) {
        aws_credentials_clear(c);
        return -1;
    }
    return 0;
}

/* ---- 1. environment ---- */

static const char *env_any(const char *a, const char *b)
{
    const char *v = getenv(a);
    if ((!v || !*v) && b)
        v = getenv(b);
    return v && *v ? v : NULL;
}

static int from_env(creds_provider *p, aws_credentials *out, strbuf *why)
{
    const char *key = env_any("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY");
    const char *secret = env_any("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY");
    if (!key || !secret) {
        sb_puts(why, "environment: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY not set");
        return -1;
    }
    return creds_set(out, "environment", key, secret, env_any("AWS_SESSION_TOKEN", NULL),
                     env_any("AWS_CREDENTIAL_EXPIRATION", NULL));
}

/* ---- 2. web identity ---- */

static char *form_encode(const char *s) { return sigv4_uri_encode(s, strlen(s), 0); }

static int assume_role_with_web_identity(creds_provider *p, const char *role_arn,
                                         const char *token_file, const char *session_name,
                                         aws_credentials *out, strbuf *why)
{
    char *token = NULL;
    size_t token_len;
    if (read_file(token_file, &token, &token_len) < 0) {
        sb_printf(why, "web identity: cannot read token file %s", token_file);
        return -1;
    }
    while (token_len && (token[token_len - 1] == '\n' || token[token_len - 1] == '\r'))
        token[--token_len] = '\0';
    char *e_role = form_encode(role_arn), *e_tok = form_encode(token);
    char *e_sess = form_encode(session_name);
    strbuf body = STRBUF_INIT;
    sb_printf(&body,
              "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=%s"
              "&RoleSessionName=%s&WebIdentityToken=%s",
              e_role ? e_role : "", e_sess ? e_sess : "", e_tok ? e_tok : "");
    free(e_role);
    free(e_tok);
    free(e_sess);
    memset(token, 0, token_len);
    free(token);

    char url[1024];
    snprintf(url, sizeof url, "%s/", p->sts_endpoint);
    http_xfer x;
    http_xfer_init(&x);
    struct curl_slist *h = NULL;
    http_add_header(&h, "Content-Type", "application/x-www-form-urlencoded");
    http_add_header(&h, "Expect", "");
    x.method = "POST";
    x.url = url;
    x.headers = h;
    x.body = sb_str(&body);
    x.body_len = body.len;
    x.timeout_ms = 30000;
    int rc = -1;
    if (http_xfer_prepare(&x) == 0 && http_xfer_perform(&x) == 0 && x.status == 200) {
        sts_credentials sc;
        if (sts_xml_parse_credentials(x.resp.buf, x.resp.len, &sc) == 0) {
            rc = creds_set(out, "web-identity", sc.access_key, sc.secret_key, sc.session_token,
                           sc.expiration);
            sts_credentials_free(&sc);
        } else {
            sb_printf(why, "web identity: unreadable STS answer from %s", url);
        }
    } else if (x.curl_rc != CURLE_OK) {
        sb_printf(why, "web identity: STS %s: %s", url, x.curl_err);
    } else {
        aws_error e;
        aws_error_from_response(&e, "web identity: STS AssumeRoleWithWebIdentity", x.status,
                                x.resp.buf, x.resp.len);
        sb_puts(why, e.message);
    }
    if (body.buf)
        memset(body.buf, 0, body.len);
    sb_free(&body);
    curl_slist_free_all(h);
    http_xfer_cleanup(&x);
    return rc;
}

static int from_web_identity_env(creds_provider *p, aws_credentials *out, strbuf *why)
{
    const char *file = env_any("AWS_WEB_IDENTITY_TOKEN_FILE", NULL);
    const char *role = env_any("AWS_ROLE_ARN", NULL);
    if (!file || !role) {
        sb_puts(why, "web identity: AWS_WEB_IDENTITY_TOKEN_FILE/AWS_ROLE_ARN not set");
        return -1;
    }
    const char *sess = env_any("AWS_ROLE_SESSION_NAME", NULL);
    return assume_role_with_web_identity(p, role, file, sess ? sess : "monitor-system", out,
                                         why);
}

/* ---- 3. shared files ---- */

/* credential_process: runs the command and reads its JSON (Version 1). */
static int from_process(const char *cmd, aws_credentials *out, strbuf *why)
{
    FILE *f = popen(cmd, "r");
    if (!f) {
        sb_puts(why, "profile: credential_process could not be started");
        return -1;
    }
    strbuf text = STRBUF_INIT;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        sb_append(&text, buf, n);
    int status = pclose(f);
    json_t *j = status == 0 ? json_loadb(sb_str(&text), text.len, 0, NULL) : NULL;
    int rc = -1;
    const char *k = json_string_value(json_object_get(j, "AccessKeyId"));
    const char *s = json_string_value(json_object_get(j, "SecretAccessKey"));
    if (k && s)
        rc = creds_set(out, "profile", k, s,
                       json_string_value(json_object_get(j, "SessionToken")),
                       json_string_value(json_object_get(j, "Expiration")));
    else
        sb_puts(why, "profile: credential_process failed or printed no credentials");
    json_decref(j);
    if (text.buf)
        memset(text.buf, 0, text.len);
    sb_free(&text);
    return rc;
}

static int from_profile(creds_provider *p, aws_credentials *out, strbuf *why)
{
    if (p->prof_key && p->prof_secret)
        return creds_set(out, "profile", p->prof_key, p->prof_secret, p->prof_token, NULL);
    if (p->prof_role_arn && p->prof_token_file)
        return assume_role_with_web_identity(
            p, p->prof_role_arn, p->prof_token_file,
            p->prof_session_name ? p->prof_session_name : "monitor-system", out, why);
    if (p->prof_process)
        return from_process(p->prof_process, out, why);
    sb_printf(why, "profile %s: no credentials in the shared files", p->prof_name);
    return -1;
}

/* ---- 4. container credentials ---- */

static int parse_credentials_json(const char *body, size_t len, const char *source,
                                  aws_credentials *out)
{
    json_t *j = json_loadb(body ? body : "", len, 0, NULL);
    const char *k = json_string_value(json_object_get(j, "AccessKeyId"));
    const char *s = json_string_value(json_object_get(j, "SecretAccessKey"));
    const char *t = json_string_value(json_object_get(j, "Token"));
    const char *e = json_string_value(json_object_get(j, "Expiration"));
    int rc = k && s ? creds_set(out, source, k, s, t, e) : -1;
    json_decref(j);
    return rc;
}

static int http_get_json_creds(const char *url, const char *auth, const char *source,
                               aws_credentials *out, strbuf *why)
{
    http_xfer x;
    http_xfer_init(&x);
    struct curl_slist *h = NULL;
    if (auth)
        http_add_header(&h, "Authorization", auth);
    x.method = "GET";
    x.url = url;
    x.headers = h;
    x.timeout_ms = 5000;
    int rc = -1;
    if (http_xfer_prepare(&x) == 0 && http_xfer_perform(&x) == 0 && x.status == 200) {
        rc = parse_credentials_json(x.resp.buf, x.resp.len, source, out);
        if (rc < 0)
            sb_printf(why, "%s: %s answered without credentials", source, url);
    } else if (x.curl_rc != CURLE_OK) {
        sb_printf(why, "%s: %s: %s", source, url, x.curl_err);
    } else {
        sb_printf(why, "%s: %s: HTTP %ld", source, url, x.status);
    }
    if (x.resp.buf)
        memset(x.resp.buf, 0, x.resp.len);
    curl_slist_free_all(h);
    http_xfer_cleanup(&x);
    return rc;
}

static char *container_auth_token(void)
{
    const char *file = env_any("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", NULL);
    if (file) {
        char *t = NULL;
        size_t len;
        if (read_file(file, &t, &len) < 0)
            return NULL;
        while (len && (t[len - 1] == '\n' || t[len - 1] == '\r'))
            t[--len] = '\0';
        return t;
    }
    const char *v = env_any("AWS_CONTAINER_AUTHORIZATION_TOKEN", NULL);
    return v ? strdup(v) : NULL;
}

static int from_container(creds_provider *p, aws_credentials *out, strbuf *why)
{
    const char *rel = env_any("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", NULL);
    const char *full = env_any("AWS_CONTAINER_CREDENTIALS_FULL_URI", NULL);
    if (!rel && !full) {
        sb_puts(why, "container: AWS_CONTAINER_CREDENTIALS_*_URI not set");
        return -1;
    }
    char url[2048];
    if (rel)
        snprintf(url, sizeof url, "http://169.254.170.2%s", rel);
    else
        snprintf(url, sizeof url, "%s", full);
    char *auth = container_auth_token();
    int rc = http_get_json_creds(url, auth, "container", out, why);
    free(auth);
    return rc;
}

/* ---- 5. IMDSv2 ---- */

static int from_imds(creds_provider *p, aws_credentials *out, strbuf *why)
{
    static const char base[] = "/latest/meta-data/iam/security-credentials/";
    char err[512];
    strbuf role = STRBUF_INIT, body = STRBUF_INIT, token = STRBUF_INIT;
    int rc = -1;
    if (imds_get(&token, base, &role, err, sizeof err) < 0) {
        sb_printf(why, "imds: %s", err);
        goto done;
    }
    size_t rl = strcspn(sb_str(&role), "\r\n");
    if (rl == 0) {
        sb_puts(why, "imds: no IAM role attached to the instance");
        goto done;
    }
    strbuf path = STRBUF_INIT;
    sb_printf(&path, "%s%.*s", base, (int)rl, sb_str(&role));
    if (imds_get(&token, sb_str(&path), &body, err, sizeof err) < 0)
        sb_printf(why, "imds: %s", err);
    else if ((rc = parse_credentials_json(body.buf, body.len, "imds", out)) < 0)
        sb_puts(why, "imds: answered without credentials");
    sb_free(&path);
done:
    if (body.buf)
        memset(body.buf, 0, body.len);
    sb_free(&role);
    sb_free(&body);
    sb_free(&token);
    return rc;
}

/* ---- the provider ---- */

static char *dup_or_null(const char *s) { return s && *s ? strdup(s) : NULL; }

int creds_provider_new(const profile_files *pf, const char *sts_endpoint, creds_provider **out)
{
    creds_provider *p = calloc(1, sizeof *p);
    if (!p)
        return -1;
    pthread_mutex_init(&p->mu, NULL);
    p->sts_endpoint = strdup(sts_endpoint ? sts_endpoint : "https://sts.amazonaws.com");
    p->prof_name = strdup(pf && pf->profile ? pf->profile : "default");
    if (pf) {
        p->prof_key = dup_or_null(profile_get(pf, "aws_access_key_id"));
        p->prof_secret = dup_or_null(profile_get(pf, "aws_secret_access_key"));
        p->prof_token = dup_or_null(profile_get(pf, "aws_session_token"));
        p->prof_role_arn = dup_or_null(profile_get(pf, "role_arn"));
        p->prof_token_file = dup_or_null(profile_get(pf, "web_identity_token_file"));
        p->prof_session_name = dup_or_null(profile_get(pf, "role_session_name"));
        p->prof_process = dup_or_null(profile_get(pf, "credential_process"));
    }
    if (!p->sts_endpoint || !p->prof_name) {
        creds_provider_free(p);
        return -1;
    }
    *out = p;
    return 0;
}

void creds_provider_free(creds_provider *p)
{
    if (!p)
        return;
    aws_credentials_clear(&p->cached);
    if (p->prof_secret)
        memset(p->prof_secret, 0, strlen(p->prof_secret));
    free(p->sts_endpoint);
    free(p->prof_name);
    free(p->prof_key);
    free(p->prof_secret);
    free(p->prof_token);
    free(p->prof_role_arn);
    free(p->prof_token_file);
    free(p->prof_session_name);
    free(p->prof_process);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

static int needs_refresh(const aws_credentials *c, double now)
{
    return !c->access_key || (c->expiration > 0 && now > c->expiration - CREDS_REFRESH_WINDOW);
}

/* Walks the chain; on success remembers the source for later refreshes. */
static int resolve_chain(creds_provider *p, aws_credentials *fresh, strbuf *why)
{
    static const creds_source_fn chain[] = { from_env, from_web_identity_env, from_profile,
                                             from_container, from_imds };
    for (size_t i = 0; i < sizeof chain / sizeof *chain; i++) {
        strbuf one = STRBUF_INIT;
        if (chain[i](p, fresh, &one) == 0) {
            p->source = chain[i];
            sb_free(&one);
            return 0;
        }
        sb_printf(why, "%s%s", why->len ? "; " : "", sb_str(&one));
        sb_free(&one);
    }
    return -1;
}

static int refresh_locked(creds_provider *p, aws_error *err)
{
    aws_credentials fresh = { 0 };
    strbuf why = STRBUF_INIT;
    int rc = p->source ? p->source(p, &fresh, &why) : resolve_chain(p, &fresh, &why);
    if (rc == 0) {
        p->fetches++;
        aws_credentials_clear(&p->cached);
        p->cached = fresh;
        log_debug("credentials from %s%s", fresh.source,
                  fresh.expiration > 0 ? " (temporary)" : "");
    } else if (p->cached.access_key && wall_seconds() < p->cached.expiration) {
        /* Still valid for a while: keep going, the next call tries again. */
        log_warn("refreshing credentials failed (%s); using the current ones until they "
                 "expire",
                 sb_str(&why));
        rc = 0;
    } else {
        aws_error_set(err, "no AWS credentials: %s", sb_str(&why));
    }
    sb_free(&why);
    return rc;
}

int creds_provider_get(creds_provider *p, aws_credentials *out, aws_error *err)
{
    pthread_mutex_lock(&p->mu);
    int rc = 0;
    if (needs_refresh(&p->cached, wall_seconds()))
        rc = refresh_locked(p, err);
    if (rc == 0 && creds_copy(out, &p->cached) < 0) {
        aws_error_set(err, "out of memory copying credentials");
        rc = -1;
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}

void creds_provider_invalidate(creds_provider *p)
{
    pthread_mutex_lock(&p->mu);
    aws_credentials_clear(&p->cached);
    pthread_mutex_unlock(&p->mu);
}

unsigned creds_provider_fetches(creds_provider *p)
{
    pthread_mutex_lock(&p->mu);
    unsigned n = p->fetches;
    pthread_mutex_unlock(&p->mu);
    return n;
}

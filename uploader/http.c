#include "uploader/http.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char *const ca_paths[] = {
    "/etc/ssl/certs/ca-certificates.crt",               /* Debian, Ubuntu, Alpine, Arch */
    "/etc/pki/tls/certs/ca-bundle.crt",                 /* Fedora, RHEL, Amazon Linux */
    "/etc/ssl/ca-bundle.pem",                           /* openSUSE */
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",                                /* Alpine, macOS */
    "/usr/local/share/certs/ca-root-nss.crt",           /* FreeBSD */
};

static const char *g_ca_path;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

/* curl_global_init is not thread-safe in 7.88: do it, and the CA search, exactly once. */
static void http_global_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const char *env = getenv("AWS_CA_BUNDLE");
    if (!env || !*env)
        env = getenv("SSL_CERT_FILE");
    if (env && *env && access(env, R_OK) == 0) {
        g_ca_path = env;
        return;
    }
    for (size_t i = 0; i < sizeof ca_paths / sizeof *ca_paths; i++)
        if (access(ca_paths[i], R_OK) == 0) {
            g_ca_path = ca_paths[i];
            return;
        }
}

const char *http_ca_path(void)
{
    pthread_once(&g_once, http_global_init);
    return g_ca_path;
}

int http_add_header(struct curl_slist **list, const char *name, const char *value)
{
    size_t n = strlen(name) + strlen(value) + 3;
    char *line = malloc(n);
    if (!line)
        return -1;
    /* "Name;" is curl's way to send a header with an empty value. */
    if (*value)
        snprintf(line, n, "%s: %s", name, value);
    else
        snprintf(line, n, "%s;", name);
    struct curl_slist *l = curl_slist_append(*list, line);
    free(line);
    if (!l)
        return -1;
    *list = l;
    return 0;
}

struct http_share {
    CURLSH *sh;
    pthread_mutex_t locks[CURL_LOCK_DATA_LAST];
};

static void share_lock(CURL *e, curl_lock_data data, curl_lock_access access, void *ud)
{
    http_share *s = ud;
    pthread_mutex_lock(&s->locks[data]);
}

static void share_unlock(CURL *e, curl_lock_data data, void *ud)
{
    http_share *s = ud;
    pthread_mutex_unlock(&s->locks[data]);
}

http_share *http_share_new(void)
{
    http_ca_path();
    http_share *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->sh = curl_share_init();
    if (!s->sh) {
        free(s);
        return NULL;
    }
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&s->locks[i], NULL);
    curl_share_setopt(s->sh, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(s->sh, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(s->sh, CURLSHOPT_USERDATA, s);
    curl_share_setopt(s->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(s->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(s->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    return s;
}

void http_share_free(http_share *s)
{
    if (!s)
        return;
    curl_share_cleanup(s->sh);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&s->locks[i]);
    free(s);
}

void http_xfer_init(http_xfer *x)
{
    memset(x, 0, sizeof *x);
    x->body_fd = -1;
    x->sink_fd = -1;
    x->sink_direct_fd = -1;
    x->content_length = -1;
}

static size_t read_cb(char *buf, size_t size, size_t nmemb, void *ud)
{
    http_xfer *x = ud;
    size_t want = size * nmemb;
    if (x->body_fd < 0) {
        size_t left = x->body_len - (size_t)x->body_pos;
        size_t n = left < want ? left : want;
        memcpy(buf, x->body + x->body_pos, n);
        x->body_pos += n;
        return n;
    }
    uint64_t left = x->body_size - x->body_pos;
    size_t n = left < want ? (size_t)left : want;
    if (n == 0)
        return 0;
    ssize_t r = pread(x->body_fd, buf, n, (off_t)(x->body_off + x->body_pos));
    if (r <= 0)
        return CURL_READFUNC_ABORT;   /* the file shrank or failed: never send short data */
    x->body_pos += (uint64_t)r;
    return (size_t)r;
}

/* Rewinds the body for a resend (redirects, auth retries inside curl). */
static int seek_cb(void *ud, curl_off_t offset, int origin)
{
    http_xfer *x = ud;
    if (origin != SEEK_SET || offset < 0)
        return CURL_SEEKFUNC_CANTSEEK;
    x->body_pos = (uint64_t)offset;
    return CURL_SEEKFUNC_OK;
}

static int is_2xx(const http_xfer *x)
{
    long code = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
    return code >= 200 && code < 300;
}

/* Writes all n bytes at off; 0, or -1 with errno. */
static int pwrite_all(int fd, const void *data, size_t n, uint64_t off)
{
    const unsigned char *p = data;
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            return -1;
        }
        p += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

/* Direct I/O wants the buffer, the offset and the length aligned to the device's logical
 * block; 4 KiB covers the usual devices (a filesystem that wants more refuses with EINVAL,
 * and the data goes through the page cache instead). */
#define DIRECT_ALIGN 4096u
#define STAGE_SIZE (1024u * 1024)
/* Bodies under this (by Content-Length) stay buffered: no staging buffer for the many
 * small files of a collect. */
#define DIRECT_MIN_BODY (4 * STAGE_SIZE)

/* Writes the first len staged bytes (a multiple of DIRECT_ALIGN) with direct I/O; on a
 * refusal of direct I/O itself, through sink_fd, and direct I/O stays off for this body. */
static int stage_write_direct(http_xfer *x, size_t len)
{
    uint64_t off = x->sink_off + x->sink_written - x->stage_len;
    if (x->sink_direct_fd >= 0) {
        if (pwrite_all(x->sink_direct_fd, x->stage, len, off) == 0)
            return 0;
        if (errno != EINVAL)
            return -1;
        x->sink_direct_fd = -1;
    }
    return pwrite_all(x->sink_fd, x->stage, len, off);
}

/* Stages data for direct I/O, writing each full buffer; 0/-1. */
static int stage_append(http_xfer *x, const char *data, size_t n)
{
    if (!x->stage && posix_memalign((void **)&x->stage, DIRECT_ALIGN, STAGE_SIZE) != 0) {
        x->stage = NULL;
        return -1;
    }
    while (n > 0) {
        size_t k = STAGE_SIZE - x->stage_len < n ? STAGE_SIZE - x->stage_len : n;
        memcpy(x->stage + x->stage_len, data, k);
        x->stage_len += k;
        x->sink_written += k;
        data += k;
        n -= k;
        if (x->stage_len == STAGE_SIZE) {
            if (stage_write_direct(x, STAGE_SIZE) < 0)
                return -1;
            x->stage_len = 0;
        }
    }
    return 0;
}

/* At the end of a body: the staged rest, its whole blocks direct, the unaligned tail through
 * sink_fd. (A staged body is at least DIRECT_MIN_BODY, so earlier blocks went direct.) */
static int stage_finish(http_xfer *x)
{
    size_t direct = x->stage_len & ~(size_t)(DIRECT_ALIGN - 1);
    if (direct && stage_write_direct(x, direct) < 0)
        return -1;
    uint64_t off = x->sink_off + x->sink_written - x->stage_len;
    int rc = x->stage_len > direct
                 ? pwrite_all(x->sink_fd, x->stage + direct, x->stage_len - direct,
                              off + direct)
                 : 0;
    x->stage_len = 0;
    return rc;
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *ud)
{
    http_xfer *x = ud;
    size_t n = size * nmemb;
    if (x->sink_fd >= 0 && is_2xx(x)) {
        if (x->staging < 0)
            x->staging = x->sink_direct_fd >= 0 && x->sink_off % DIRECT_ALIGN == 0 &&
                         x->content_length >= DIRECT_MIN_BODY;
        if (x->staging) {
            if (stage_append(x, data, n) < 0) {
                x->sink_failed = 1;
                return 0;
            }
            return n;
        }
        if (pwrite_all(x->sink_fd, data, n, x->sink_off + x->sink_written) < 0) {
            x->sink_failed = 1;
            return 0;
        }
        x->sink_written += n;
        return n;
    }
    return sb_append(&x->resp, data, n) == 0 ? n : 0;
}

static void copy_header_value(char *dst, size_t cap, const char *v, size_t len)
{
    while (len && (*v == ' ' || *v == '\t')) {
        v++;
        len--;
    }
    while (len && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
        len--;
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, v, len);
    dst[len] = '\0';
}

static size_t header_cb(char *data, size_t size, size_t nmemb, void *ud)
{
    http_xfer *x = ud;
    size_t n = size * nmemb;
    const char *colon = memchr(data, ':', n);
    if (!colon)
        return n;
    size_t nl = (size_t)(colon - data);
    const char *v = colon + 1;
    size_t vl = n - nl - 1;
    if (nl == 4 && strncasecmp(data, "etag", 4) == 0) {
        copy_header_value(x->etag, sizeof x->etag, v, vl);
    } else if (nl == 16 && strncasecmp(data, "x-amz-request-id", 16) == 0) {
        copy_header_value(x->request_id, sizeof x->request_id, v, vl);
    } else if (nl == 28 && strncasecmp(data, "x-amz-server-side-encryption", 28) == 0) {
        copy_header_value(x->sse, sizeof x->sse, v, vl);
    } else if (nl == 20 && strncasecmp(data, "x-amz-checksum-crc32", 20) == 0) {
        copy_header_value(x->checksum_crc32, sizeof x->checksum_crc32, v, vl);
    } else if (nl == 13 && strncasecmp(data, "content-range", 13) == 0) {
        copy_header_value(x->content_range, sizeof x->content_range, v, vl);
        const char *slash = strrchr(x->content_range, '/');
        if (x->stop_on_empty_range && slash && strcmp(slash, "/0") == 0)
            return 0;   /* ends the transfer: nothing to read, whatever the length says */
    } else if (nl == 14 && strncasecmp(data, "content-length", 14) == 0) {
        char tmp[32];
        copy_header_value(tmp, sizeof tmp, v, vl);
        x->content_length = strtoll(tmp, NULL, 10);
    }
    return n;
}

static void reset_response(http_xfer *x)
{
    x->status = 0;
    sb_reset(&x->resp);
    x->sink_written = 0;
    x->etag[0] = x->request_id[0] = x->content_range[0] = x->sse[0] = '\0';
    x->checksum_crc32[0] = '\0';
    x->content_length = -1;
    x->curl_rc = CURLE_OK;
    x->curl_err[0] = '\0';
    x->body_pos = 0;
    x->sink_failed = 0;
    x->stage_len = 0;
    x->staging = -1;
}

static void set_body(http_xfer *x)
{
    CURL *e = x->easy;
    int has_body = x->body || x->body_fd >= 0;
    curl_off_t size = (curl_off_t)(x->body_fd >= 0 ? x->body_size : x->body_len);
    if (!has_body) {
        if (strcmp(x->method, "PUT") == 0 || strcmp(x->method, "POST") == 0) {
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
        }
        return;
    }
    curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, size);
    curl_easy_setopt(e, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(e, CURLOPT_READDATA, x);
    curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, seek_cb);
    curl_easy_setopt(e, CURLOPT_SEEKDATA, x);
}

static void set_tls(CURL *e)
{
    const char *ca = http_ca_path();
    if (ca) {
        curl_easy_setopt(e, CURLOPT_CAINFO, ca);
    } else if (ca_embedded_pem_len > 0) {
        struct curl_blob blob = { (void *)ca_embedded_pem, ca_embedded_pem_len,
                                  CURL_BLOB_NOCOPY };
        curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob);
    }
}

int http_xfer_prepare(http_xfer *x)
{
    http_ca_path();
    if (!x->easy) {
        x->easy = curl_easy_init();
        if (!x->easy)
            return -1;
    } else {
        curl_easy_reset(x->easy);
    }
    reset_response(x);
    CURL *e = x->easy;
    curl_easy_setopt(e, CURLOPT_URL, x->url);
    if (x->share)
        curl_easy_setopt(e, CURLOPT_SHARE, x->share->sh);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->curl_err);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    /* A stalled transfer (under 1 KiB/s for 30 s) is a transport error, and retried. */
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, x->stall_seconds > 0 ? x->stall_seconds : 30L);
    if (x->timeout_ms > 0)
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, x->timeout_ms);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    /* The shared cache keeps the connections of every thread's handles; curl's default
     * (a few per handle) closes most of them between small requests. */
    curl_easy_setopt(e, CURLOPT_MAXCONNECTS, 64L);
    /* Bigger buffers than curl's 16/64 KiB: fewer read/pread/pwrite calls per GiB. */
    curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 512L * 1024);
    curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "monitor-system-uploader/" MONITOR_VERSION);
    /* The path was signed as sent: curl must not squash "/../" or "/./" in S3 keys. */
    curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
    /* Signed requests must reach the host they were signed for. */
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    set_tls(e);
    set_body(x);
    if (x->no_body_response)
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    /* UPLOAD implies PUT: the method is always set explicitly afterwards. */
    if (strcmp(x->method, "GET") != 0 && strcmp(x->method, "HEAD") != 0)
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method);
    return 0;
}

void http_xfer_finish(http_xfer *x, CURLcode rc)
{
    /* Only a complete body is written out; a failed one is fetched again from its start. */
    if (rc == CURLE_OK && x->stage_len > 0 && !x->sink_failed && stage_finish(x) < 0)
        x->sink_failed = 1;
    x->stage_len = 0;
    x->curl_rc = rc;
    if (x->sink_failed && rc == CURLE_OK)
        x->curl_rc = CURLE_WRITE_ERROR;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &x->status);
    if (!x->curl_err[0] && x->curl_rc != CURLE_OK)
        snprintf(x->curl_err, sizeof x->curl_err, "%s", curl_easy_strerror(x->curl_rc));
    if (x->curl_rc != CURLE_OK)
        x->status = 0;
}

int http_xfer_perform(http_xfer *x)
{
    http_xfer_finish(x, curl_easy_perform(x->easy));
    return x->curl_rc == CURLE_OK ? 0 : -1;
}

void http_xfer_cleanup(http_xfer *x)
{
    if (x->easy)
        curl_easy_cleanup(x->easy);
    x->easy = NULL;
    sb_free(&x->resp);
    free(x->stage);
    x->stage = NULL;
}

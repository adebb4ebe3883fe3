#include "monitor/results_sink.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/log.h"
#include "uploader/s3.h"

enum sink_kind { SINK_NONE, SINK_LOCAL, SINK_S3 };

struct results_sink {
    enum sink_kind kind;
    char *workdir;
    char *target;          /* for logs */
    char *local_dir;       /* SINK_LOCAL */
    s3_url url;            /* SINK_S3 */
    s3_client *client;
    int failing;           /* the previous publish failed */
    int final;             /* the publish under way is the last one */
};

/* Logs a publish failure: an error the first time in a streak and at the end, else a
 * debug line. */
__attribute__((format(printf, 2, 3))) static void sink_failed(const results_sink *s,
                                                               const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_msg(!s->failing || s->final ? LOG_ERROR : LOG_DEBUG, "%s", msg);
}

int same_directory(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

int results_sink_open(const char *url, const char *workdir, results_sink **out)
{
    results_sink *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    s->workdir = strdup(workdir);
    s->target = strdup(url ? url : "");
    if (!s->workdir || !s->target)
        goto fail;
    if (!url || !*url) {
        s->kind = SINK_NONE;
    } else if (strncmp(url, "s3://", 5) == 0) {
        if (s3_url_parse(url, &s->url) < 0) {
            log_error("result URL '%s' is not s3://BUCKET/PREFIX/", url);
            goto fail;
        }
        s->kind = SINK_S3;
    } else {
        const char *dir = strncmp(url, "file://", 7) == 0 ? url + 7 : url;
        if (strstr(dir, "://")) {
            log_error("result URL '%s': only s3:// and local directories are supported", url);
            goto fail;
        }
        s->local_dir = strdup(dir);
        if (!s->local_dir)
            goto fail;
        s->kind = SINK_LOCAL;
    }
    *out = s;
    return 0;
fail:
    results_sink_close(s);
    return -1;
}

const char *results_sink_target(const results_sink *s) { return s->target; }
int results_sink_is_local_dir(const results_sink *s) { return s->kind == SINK_LOCAL; }

/* Copies SRC to DST through DST.tmp and a rename, so readers never see half a file. */
static int copy_file(const char *src, const char *dst)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -1;
    size_t dl = strlen(dst);
    char *tmp = malloc(dl + 5);
    if (!tmp) {
        close(in);
        return -1;
    }
    memcpy(tmp, dst, dl);
    memcpy(tmp + dl, ".tmp", 5);
    int outfd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = -1;
    if (outfd < 0)
        goto done;
    char buf[65536];
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto done;
        if (n == 0)
            break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(outfd, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                goto done;
            off += w;
        }
    }
    if (fsync(outfd) < 0)
        goto done;
    if (close(outfd) < 0) {
        outfd = -1;
        goto done;
    }
    outfd = -1;
    rc = rename(tmp, dst);
done:;
    int e = errno;
    if (outfd >= 0)
        close(outfd);
    if (rc < 0)
        unlink(tmp);
    close(in);
    free(tmp);
    errno = e;
    return rc;
}

static int publish_local(results_sink *s, const char *const *names, size_t n)
{
    if (mkdir_p(s->local_dir) < 0) {
        sink_failed(s, "cannot create result directory %s: %s", s->local_dir, strerror(errno));
        return -1;
    }
    if (same_directory(s->local_dir, s->workdir))
        return 0; /* written in place */
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        char *src = path_join(s->workdir, names[i]);
        char *dst = path_join(s->local_dir, names[i]);
        if (!src || !dst || copy_file(src, dst) < 0) {
            sink_failed(s, "cannot copy %s to %s: %s", names[i], s->local_dir, strerror(errno));
            rc = -1;
        }
        free(src);
        free(dst);
    }
    return rc;
}

static const char *content_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (dot && strcmp(dot, ".csv") == 0)
        return "text/csv";
    if (dot && strcmp(dot, ".json") == 0)
        return "application/json";
    if (dot && strcmp(dot, ".jsonl") == 0)
        return "application/x-ndjson";
    return "text/plain";
}

/* The object key for NAME under the URL's prefix, with exactly one '/' between. */
static char *object_key(const s3_url *u, const char *name)
{
    size_t kl = strlen(u->key);
    while (kl && u->key[kl - 1] == '/')
        kl--;
    size_t n = kl + strlen(name) + 2;
    char *key = malloc(n);
    if (key) {
        if (kl)
            snprintf(key, n, "%.*s/%s", (int)kl, u->key, name);
        else
            snprintf(key, n, "%s", name);
    }
    return key;
}

static int publish_s3(results_sink *s, const char *const *names, size_t n)
{
    aws_error err;
    memset(&err, 0, sizeof err);
    if (!s->client) {
        s3_options opt;
        memset(&opt, 0, sizeof opt);
        opt.path_style = -1;
        if (s3_client_new(&opt, &s->client, &err) < 0) {
            sink_failed(s, "cannot upload to %s: %s", s->target, err.message);
            s->client = NULL;
            return -1;
        }
    }
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        char *src = path_join(s->workdir, names[i]);
        char *key = object_key(&s->url, names[i]);
        if (!src || !key) {
            rc = -1;
        } else if (s3_put_file(s->client, s->url.bucket, key, src, content_type(names[i]),
                               &err) < 0) {
            sink_failed(s, "upload of %s to s3://%s/%s failed (kept in %s): %s", names[i],
                      s->url.bucket, key, s->workdir, err.message);
            rc = -1;
        } else {
            log_debug("uploaded s3://%s/%s", s->url.bucket, key);
        }
        free(src);
        free(key);
    }
    return rc;
}

int results_sink_publish(results_sink *s, const char *const *names, size_t n, int final)
{
    s->final = final;
    int rc = 0;
    if (s->kind == SINK_LOCAL)
        rc = publish_local(s, names, n);
    else if (s->kind == SINK_S3)
        rc = publish_s3(s, names, n);
    s->failing = rc < 0;
    return rc;
}

void results_sink_close(results_sink *s)
{
    if (!s)
        return;
    if (s->client)
        s3_client_free(s->client);
    s3_url_free(&s->url);
    free(s->workdir);
    free(s->target);
    free(s->local_dir);
    free(s);
}

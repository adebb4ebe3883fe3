#include "monitor/results_sink.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
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

#define MAX_SNAPSHOT 4

/* A checkpoint upload running on its own thread: the files as they were when it
 * started (the time series only grows, so its first `len` bytes are a consistent
 * snapshot), mapped read-only. */
typedef struct snapshot {
    char *names[MAX_SNAPSHOT];
    void *data[MAX_SNAPSHOT];
    size_t len[MAX_SNAPSHOT];
    size_t n;
} snapshot;

struct results_sink {
    enum sink_kind kind;
    char *workdir;
    char *target;          /* for logs */
    char *local_dir;       /* SINK_LOCAL */
    s3_url url;            /* SINK_S3 */
    s3_client *client;
    int failing;           /* the previous publish failed */
    int final;             /* the publish under way is the last one */
    pthread_t worker;      /* a checkpoint upload, when worker_started */
    int worker_started;
    atomic_int worker_busy;
    snapshot snap;
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

static int ensure_client(results_sink *s);

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
    if (ensure_client(s) < 0)
        return -1;
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

static void snapshot_free(snapshot *sn)
{
    for (size_t i = 0; i < sn->n; i++) {
        if (sn->data[i] && sn->len[i])
            munmap(sn->data[i], sn->len[i]);
        free(sn->names[i]);
    }
    memset(sn, 0, sizeof *sn);
}

static int snapshot_take(results_sink *s, snapshot *sn, const char *const *names, size_t n)
{
    memset(sn, 0, sizeof *sn);
    for (size_t i = 0; i < n && i < MAX_SNAPSHOT; i++) {
        char *path = path_join(s->workdir, names[i]);
        int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
        free(path);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0) {
            if (fd >= 0)
                close(fd);
            snapshot_free(sn);
            return -1;
        }
        sn->names[i] = strdup(names[i]);
        sn->len[i] = (size_t)st.st_size;
        sn->data[i] = sn->len[i] ? mmap(NULL, sn->len[i], PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
        close(fd);
        sn->n = i + 1;
        if (!sn->names[i] || sn->data[i] == MAP_FAILED) {
            sn->data[i] = NULL;
            snapshot_free(sn);
            return -1;
        }
    }
    return 0;
}

static int ensure_client(results_sink *s)
{
    if (s->client)
        return 0;
    aws_error err;
    memset(&err, 0, sizeof err);
    s3_options opt;
    memset(&opt, 0, sizeof opt);
    opt.path_style = -1;
    if (s3_client_new(&opt, &s->client, &err) < 0) {
        sink_failed(s, "cannot upload to %s: %s", s->target, err.message);
        s->client = NULL;
        return -1;
    }
    return 0;
}

static void *checkpoint_worker(void *arg)
{
    results_sink *s = arg;
    int rc = ensure_client(s);
    for (size_t i = 0; rc == 0 && i < s->snap.n; i++) {
        char *key = object_key(&s->url, s->snap.names[i]);
        aws_error err;
        if (!key) {
            rc = -1;
        } else if (s3_put_buffer(s->client, s->url.bucket, key, s->snap.data[i] ? s->snap.data[i] : "",
                                 s->snap.len[i], content_type(s->snap.names[i]), &err) < 0) {
            sink_failed(s, "checkpoint upload of %s to s3://%s/%s failed: %s", s->snap.names[i],
                        s->url.bucket, key, err.message);
            rc = -1;
        }
        free(key);
    }
    s->failing = rc < 0;
    snapshot_free(&s->snap);
    atomic_store(&s->worker_busy, 0);
    return NULL;
}

/* Waits for a checkpoint upload still running. */
static void join_worker(results_sink *s)
{
    if (s->worker_started) {
        pthread_join(s->worker, NULL);
        s->worker_started = 0;
    }
}

int results_sink_checkpoint(results_sink *s, const char *const *names, size_t n)
{
    if (s->kind != SINK_S3)
        return results_sink_publish(s, names, n, 0);
    if (atomic_load(&s->worker_busy)) {
        log_debug("the previous checkpoint upload is still running: this one is skipped");
        return 0;
    }
    join_worker(s);
    s->final = 0;
    if (snapshot_take(s, &s->snap, names, n) < 0) {
        sink_failed(s, "cannot snapshot the files for a checkpoint: %s", strerror(errno));
        return -1;
    }
    atomic_store(&s->worker_busy, 1);
    if (pthread_create(&s->worker, NULL, checkpoint_worker, s) != 0) {
        atomic_store(&s->worker_busy, 0);
        snapshot_free(&s->snap);
        return results_sink_publish(s, names, n, 0); /* no thread: do it here */
    }
    s->worker_started = 1;
    return 0;
}

int results_sink_publish(results_sink *s, const char *const *names, size_t n, int final)
{
    join_worker(s);
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
    join_worker(s);
    if (s->client)
        s3_client_free(s->client);
    s3_url_free(&s->url);
    free(s->workdir);
    free(s->target);
    free(s->local_dir);
    free(s);
}

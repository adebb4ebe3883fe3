/* Single-request object operations: PutObject (with the client's checksum, CRC32 or
 * Content-MD5, which the server checks against what it received), GetObject into memory, HeadObject, DeleteObject. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "uploader/aws_error.h"
#include "uploader/digest.h"
#include "uploader/s3_internal.h"
#include "uploader/sigv4.h"

static int run_simple(s3_client *c, const char *verb, const char *method, const char *bucket,
                      const char *key, const char *query, const aws_header *h, size_t nh,
                      const char *payload_hash, http_xfer *x, aws_error *err)
{
    s3_target t;
    if (s3_target_make(c, verb, bucket, key, &t) < 0) {
        aws_error_set(err, "%s s3://%s/%s: out of memory", verb, bucket, key);
        return -1;
    }
    aws_signed_req req = s3_request(&t, method, query, h, nh, payload_hash);
    int rc = aws_send(c->session, &req, x, err);
    s3_target_free(&t);
    return rc;
}

/* Whether the answer to a PutObject confirms our checksum; 0 yes (or the server cannot
 * tell us), 1 it stored other bytes (err filled: send again). */
static int put_check(s3_client *c, const s3_sum *sum, const http_xfer *x, const char *what,
                     aws_error *err)
{
    int ok = s3_sum_confirmed(sum, x);
    if (ok < 0 && sum->kind == S3_CHECKSUM_CRC32)
        s3_warn_unchecked(c, what);
    if (ok != 0)
        return 0;
    if (sum->kind == S3_CHECKSUM_MD5)
        aws_error_set(err, "%s: the server stored other bytes than were sent (ETag %s)", what,
                      x->etag);
    else
        aws_error_set(err, "%s: the server stored other bytes than were sent (CRC32 %s, "
                      "ours %s)", what, x->checksum_crc32, sum->b64);
    return 1;
}

static int put_single(s3_client *c, const char *bucket, const char *key, int fd,
                      const void *data, uint64_t size, const char *content_type,
                      aws_error *err)
{
    s3_sum sum;
    char hash[65];
    const char *payload = SIGV4_UNSIGNED_PAYLOAD;
    if (fd >= 0) {
        if (s3_sum_file_range(c->checksum, fd, 0, size, &sum) < 0) {
            aws_error_set(err, "PUT s3://%s/%s: cannot read the file", bucket, key);
            return -1;
        }
    } else {
        s3_sum_buffer(c->checksum, data ? data : "", (size_t)size, &sum);
        /* In memory the body is cheap to hash: sign it too. */
        sha256_hex(data ? data : "", (size_t)size, hash);
        payload = hash;
    }
    aws_header h[1 + S3_SUM_MAX_HEADERS];
    h[0] = (aws_header){ "Content-Type",
                         content_type ? content_type : "application/octet-stream" };
    size_t nh = 1 + s3_sum_headers(&sum, h + 1);
    http_xfer x;
    http_xfer_init(&x);
    if (fd >= 0) {
        x.body_fd = fd;
        x.body_off = 0;
        x.body_size = size;
    } else {
        x.body = data ? data : "";
        x.body_len = (size_t)size;
    }
    int rc;
    /* A server that does not check the checksum itself still tells what it stored (the
     * ETag is the MD5 of it; the CRC32 is echoed): a difference means the bytes changed
     * on the way; send again. */
    for (int attempt = 1;; attempt++) {
        rc = run_simple(c, "PUT", "PUT", bucket, key, NULL, h, nh, payload, &x, err);
        if (rc < 0)
            break;
        char what[1200];
        snprintf(what, sizeof what, "PUT s3://%s/%s", bucket, key);
        if (put_check(c, &sum, &x, what, err) == 0)
            break;
        rc = -1;
        if (attempt >= aws_session_max_attempts(c->session))
            break;
        log_warn("%s; sending it again", err->message);
    }
    http_xfer_cleanup(&x);
    return rc;
}

int s3_put_buffer(s3_client *c, const char *bucket, const char *key, const void *data,
                  size_t len, const char *content_type, aws_error *err)
{
    memset(err, 0, sizeof *err);
    if (len >= c->threshold)
        return s3_multipart_upload(c, bucket, key, -1, data, len, content_type, err);
    return put_single(c, bucket, key, -1, data, len, content_type, err);
}

int s3_put_file(s3_client *c, const char *bucket, const char *key, const char *path,
                const char *content_type, aws_error *err)
{
    memset(err, 0, sizeof *err);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        aws_error_set(err, "PUT s3://%s/%s: cannot read %s: %s", bucket, key, path,
                      fd < 0 ? strerror(errno) : "not a regular file");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    uint64_t size = (uint64_t)st.st_size;
    int rc = size >= c->threshold
                 ? s3_multipart_upload(c, bucket, key, fd, NULL, size, content_type, err)
                 : put_single(c, bucket, key, fd, NULL, size, content_type, err);
    close(fd);
    return rc;
}

int s3_get_buffer(s3_client *c, const char *bucket, const char *key, char **data,
                  size_t *len, aws_error *err)
{
    memset(err, 0, sizeof *err);
    *data = NULL;
    *len = 0;
    http_xfer x;
    http_xfer_init(&x);
    int rc = run_simple(c, "GET", "GET", bucket, key, NULL, NULL, 0, SIGV4_EMPTY_SHA256, &x,
                        err);
    if (rc == 0 && x.content_length >= 0 && (uint64_t)x.content_length != x.resp.len) {
        aws_error_set(err, "GET s3://%s/%s: got %zu bytes of %lld", bucket, key, x.resp.len,
                      (long long)x.content_length);
        rc = -1;
    }
    if (rc == 0) {
        *len = x.resp.len;
        *data = x.resp.buf ? sb_detach(&x.resp) : strdup("");
        if (!*data)
            rc = -1;
    }
    http_xfer_cleanup(&x);
    return rc;
}

int s3_head(s3_client *c, const char *bucket, const char *key, uint64_t *size, aws_error *err)
{
    memset(err, 0, sizeof *err);
    http_xfer x;
    http_xfer_init(&x);
    x.no_body_response = 1;
    int rc = run_simple(c, "HEAD", "HEAD", bucket, key, NULL, NULL, 0, SIGV4_EMPTY_SHA256, &x,
                        err);
    if (rc == 0 && size)
        *size = x.content_length >= 0 ? (uint64_t)x.content_length : 0;
    http_xfer_cleanup(&x);
    return rc;
}

int s3_delete(s3_client *c, const char *bucket, const char *key, aws_error *err)
{
    memset(err, 0, sizeof *err);
    http_xfer x;
    http_xfer_init(&x);
    int rc = run_simple(c, "DELETE", "DELETE", bucket, key, NULL, NULL, 0, SIGV4_EMPTY_SHA256,
                        &x, err);
    http_xfer_cleanup(&x);
    return rc;
}

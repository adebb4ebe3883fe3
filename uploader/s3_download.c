/* GetObject to a file: written to PATH.part and renamed over PATH only when every byte
 * arrived (a reader never sees a partial file). The first request asks for the first part
 * (a ranged GET): a small object arrives whole with it, and for a large one its answer
 * (Content-Range) gives the size, and the rest follows as parallel ranged GETs into their
 * offsets of the file; no HEAD round trip. The file is also opened O_DIRECT where the
 * filesystem allows it: the whole blocks of a large body bypass the page cache (see
 * http_xfer's sink_direct_fd). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uploader/aws_batch.h"
#include "uploader/aws_error.h"
#include "uploader/s3_internal.h"
#include "uploader/sigv4.h"

/* Where a body goes: the file, and the same file opened O_DIRECT (or -1). */
typedef struct sink {
    int fd, direct_fd;
} sink;

typedef struct range_part {
    char range[64];
    aws_header headers[1];
    uint64_t want;
} range_part;

typedef struct ranges {
    range_part *parts;
    aws_batch_item *items;
} ranges;

/* A server that ignores Range answers 200 with the whole object: that must not be written
 * at a part's offset. */
static int check_range(void *ud, aws_batch_item *it, const http_xfer *x, aws_error *err)
{
    ranges *r = ud;
    const range_part *p = &r->parts[it - r->items];
    if (x->status != 206 || it->received != p->want) {
        aws_error_set(err, "%s (%s): HTTP %ld with %llu of %llu bytes", it->req.what, p->range,
                      x->status, (unsigned long long)it->received,
                      (unsigned long long)p->want);
        return -1;
    }
    return 0;
}

/* Fetches [start, size) in parts of `part` bytes. */
static int get_ranges(s3_client *c, const s3_target *t, sink out, uint64_t start,
                      uint64_t size, uint64_t part, aws_error *err)
{
    size_t n = (size_t)((size - start + part - 1) / part);
    ranges r = { calloc(n, sizeof *r.parts), calloc(n, sizeof *r.items) };
    int rc = -1;
    if (!r.parts || !r.items) {
        aws_error_set(err, "%s: out of memory", t->what.buf);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t off = start + (uint64_t)i * part;
        range_part *p = &r.parts[i];
        p->want = size - off < part ? size - off : part;
        snprintf(p->range, sizeof p->range, "bytes=%llu-%llu", (unsigned long long)off,
                 (unsigned long long)(off + p->want - 1));
        p->headers[0].name = "Range";
        p->headers[0].value = p->range;
        aws_batch_item_init(&r.items[i]);
        r.items[i].req = s3_request(t, "GET", NULL, p->headers, 1, SIGV4_EMPTY_SHA256);
        r.items[i].sink_fd = out.fd;
        r.items[i].sink_direct_fd = out.direct_fd;
        r.items[i].sink_off = off;
    }
    rc = aws_batch_run(c->session, r.items, n, c->parallel, NULL, check_range, &r, err);
done:
    free(r.parts);
    free(r.items);
    return rc;
}

static int get_whole(s3_client *c, const s3_target *t, sink out, aws_error *err)
{
    aws_signed_req req = s3_request(t, "GET", NULL, NULL, 0, SIGV4_EMPTY_SHA256);
    http_xfer x;
    http_xfer_init(&x);
    x.sink_fd = out.fd;
    x.sink_direct_fd = out.direct_fd;
    int rc = aws_send(c->session, &req, &x, err);
    if (rc == 0 && x.content_length >= 0 && (uint64_t)x.content_length != x.sink_written) {
        aws_error_set(err, "%s: got %llu of %lld bytes", t->what.buf,
                      (unsigned long long)x.sink_written, (long long)x.content_length);
        rc = -1;
    }
    http_xfer_cleanup(&x);
    return rc;
}

/* "bytes 0-8388607/1073741824" -> 1073741824; 0 on a malformed value. */
static int content_range_total(const char *cr, uint64_t *total)
{
    const char *slash = strrchr(cr, '/');
    if (strncmp(cr, "bytes ", 6) != 0 || !slash || slash[1] == '*')
        return -1;
    char *end;
    unsigned long long v = strtoull(slash + 1, &end, 10);
    if (end == slash + 1 || *end)
        return -1;
    *total = v;
    return 0;
}

/* The first part, then the rest. *size receives the object's size. */
static int fetch(s3_client *c, const s3_target *t, sink out, uint64_t *size, aws_error *err)
{
    uint64_t part = s3_choose_part_size(c, 0);
    char range[64];
    snprintf(range, sizeof range, "bytes=0-%llu", (unsigned long long)(part - 1));
    aws_header h[] = { { "Range", range } };
    aws_signed_req req = s3_request(t, "GET", NULL, h, 1, SIGV4_EMPTY_SHA256);
    http_xfer x;
    http_xfer_init(&x);
    x.sink_fd = out.fd;
    x.sink_direct_fd = out.direct_fd;
    x.stop_on_empty_range = 1;
    int rc = aws_send(c->session, &req, &x, err);
    int empty = x.curl_rc == CURLE_WRITE_ERROR && strcmp(x.content_range, "bytes 0-0/0") == 0;
    if (rc < 0 && (x.status == 416 || empty)) {
        /* S3 refuses any range of an empty object. */
        http_xfer_cleanup(&x);
        *size = 0;
        return get_whole(c, t, out, err);
    }
    uint64_t total = x.sink_written;
    if (rc == 0 && x.status == 206 && content_range_total(x.content_range, &total) < 0) {
        aws_error_set(err, "%s: unreadable Content-Range '%s'", t->what.buf, x.content_range);
        rc = -1;
    }
    if (rc == 0 && x.content_length >= 0 && (uint64_t)x.content_length != x.sink_written) {
        aws_error_set(err, "%s: got %llu of %lld bytes", t->what.buf,
                      (unsigned long long)x.sink_written, (long long)x.content_length);
        rc = -1;
    }
    uint64_t have = x.sink_written;
    http_xfer_cleanup(&x);
    *size = total;
    /* A 200 (a server that ignores Range) carried the whole object already. */
    if (rc == 0 && have < total)
        rc = get_ranges(c, t, out, have, total, part, err);
    return rc;
}

int s3_get_file(s3_client *c, const char *bucket, const char *key, const char *path,
                aws_error *err)
{
    memset(err, 0, sizeof *err);
    s3_target t;
    if (s3_target_make(c, "GET", bucket, key, &t) < 0) {
        aws_error_set(err, "GET s3://%s/%s: out of memory", bucket, key);
        return -1;
    }
    char *part_path = malloc(strlen(path) + 6);
    int fd = -1, direct_fd = -1, rc = -1;
    uint64_t size = 0;
    if (!part_path) {
        aws_error_set(err, "%s: out of memory", t.what.buf);
        goto done;
    }
    sprintf(part_path, "%s.part", path);
    fd = open(part_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        aws_error_set(err, "%s: cannot create %s: %s", t.what.buf, part_path, strerror(errno));
        goto done;
    }
    /* Refused on some filesystems (tmpfs before Linux 6.6, some FUSE): then buffered only. */
    direct_fd = open(part_path, O_WRONLY | O_DIRECT | O_CLOEXEC);
    rc = fetch(c, &t, (sink){ fd, direct_fd }, &size, err);
    if (direct_fd >= 0)
        close(direct_fd);
    if (rc == 0 && (ftruncate(fd, (off_t)size) < 0 || fsync(fd) < 0)) {
        aws_error_set(err, "%s: writing %s: %s", t.what.buf, part_path, strerror(errno));
        rc = -1;
    }
    if (close(fd) < 0 && rc == 0) {
        aws_error_set(err, "%s: writing %s: %s", t.what.buf, part_path, strerror(errno));
        rc = -1;
    }
    if (rc == 0 && rename(part_path, path) < 0) {
        aws_error_set(err, "%s: renaming %s: %s", t.what.buf, part_path, strerror(errno));
        rc = -1;
    }
    if (rc < 0)
        unlink(part_path);
done:
    free(part_path);
    s3_target_free(&t);
    return rc;
}

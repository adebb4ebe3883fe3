/* Multipart upload: CreateMultipartUpload, the parts in parallel (each with its checksum,
 * CRC32 or Content-MD5, which the server checks), CompleteMultipartUpload; with CRC32 the
 * object's composite checksum the server reports is compared with ours (a server that
 * does not check part checksums still computes it from what it stored), with MD5 the ETag
 * is compared with the one computed from the parts' MD5s. AbortMultipartUpload on any
 * failure, so that no orphan upload keeps costing storage. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "uploader/aws_batch.h"
#include "uploader/aws_error.h"
#include "uploader/digest.h"
#include "uploader/s3_internal.h"
#include "uploader/s3_xml.h"
#include "uploader/sigv4.h"

typedef struct part {
    char query[1024];
    char what[1200];
    s3_sum sum;
    aws_header headers[S3_SUM_MAX_HEADERS];   /* point into sum */
} part;

typedef struct upload {
    s3_client *c;
    s3_target target;
    char *upload_id;
    char *id_encoded;
    int fd;
    const unsigned char *data;
    uint64_t size, part_size;
    size_t n_parts;
    part *parts;
    s3_sum *sums;            /* the parts' checksums, in order (for the final checks) */
    aws_batch_item *items;
} upload;

static int initiate(upload *u, const char *content_type, aws_error *err)
{
    aws_header h[] = { { "Content-Type",
                         content_type ? content_type : "application/octet-stream" },
                       { "x-amz-checksum-algorithm", "CRC32" } };
    size_t nh = u->c->checksum == S3_CHECKSUM_CRC32 ? 2 : 1;
    aws_signed_req req = s3_request(&u->target, "POST", "uploads", h, nh, SIGV4_EMPTY_SHA256);
    http_xfer x;
    http_xfer_init(&x);
    x.body = "";
    int rc = aws_send(u->c->session, &req, &x, err);
    if (rc == 0 && s3_xml_parse_initiate(x.resp.buf, x.resp.len, &u->upload_id) < 0) {
        aws_error_set(err, "%s: CreateMultipartUpload gave no UploadId", u->target.what.buf);
        rc = -1;
    }
    http_xfer_cleanup(&x);
    if (rc == 0) {
        u->id_encoded = sigv4_uri_encode(u->upload_id, strlen(u->upload_id), 0);
        rc = u->id_encoded ? 0 : -1;
    }
    return rc;
}

/* Hashes a part just before it is first sent: the hashing of part k overlaps the
 * transfers of the parts before it. A file is read twice (here, then to send): reading
 * each part into memory once was measured no cheaper (8 MiB buffers miss the caches that
 * the 1 MiB hashing reads and curl's 512 KiB send reads stay in). */
static int part_start(void *ud, aws_batch_item *it, aws_error *err)
{
    upload *u = ud;
    size_t i = (size_t)(it - u->items);
    part *p = &u->parts[i];
    uint64_t off = (uint64_t)i * u->part_size;
    uint64_t len = it->body_fd >= 0 ? it->body_size : it->body_len;
    if (u->fd < 0) {
        s3_sum_buffer(u->c->checksum, it->body, (size_t)len, &p->sum);
    } else if (s3_sum_file_range(u->c->checksum, u->fd, off, len, &p->sum) < 0) {
        aws_error_set(err, "%s: cannot read part %zu of the file", u->target.what.buf, i + 1);
        return -1;
    }
    u->sums[i] = p->sum;
    return 0;
}

/* What the server says it stored for a part (the ETag is the MD5 of it; a CRC32 is
 * echoed): a difference means the bytes changed on the way, and the part is sent again. */
static int part_check(void *ud, aws_batch_item *it, const http_xfer *x, aws_error *err)
{
    upload *u = ud;
    const part *p = &u->parts[it - u->items];
    int ok = s3_sum_confirmed(&p->sum, x);
    if (ok < 0 && p->sum.kind == S3_CHECKSUM_CRC32)
        s3_warn_unchecked(u->c, it->req.what);
    if (ok != 0)
        return 0;
    if (p->sum.kind == S3_CHECKSUM_MD5)
        aws_error_set(err, "%s: the server stored other bytes than were sent (ETag %s)",
                      it->req.what, x->etag);
    else
        aws_error_set(err, "%s: the server stored other bytes than were sent (CRC32 %s, "
                      "ours %s)", it->req.what, x->checksum_crc32, p->sum.b64);
    log_warn("%s; sending it again", err->message);
    return 1;
}

static int upload_parts(upload *u, aws_error *err)
{
    u->parts = calloc(u->n_parts, sizeof *u->parts);
    u->sums = calloc(u->n_parts, sizeof *u->sums);
    u->items = calloc(u->n_parts, sizeof *u->items);
    if (!u->parts || !u->sums || !u->items) {
        aws_error_set(err, "%s: out of memory", u->target.what.buf);
        return -1;
    }
    for (size_t i = 0; i < u->n_parts; i++) {
        aws_batch_item *it = &u->items[i];
        aws_batch_item_init(it);
        uint64_t off = (uint64_t)i * u->part_size;
        uint64_t len = u->size - off < u->part_size ? u->size - off : u->part_size;
        snprintf(u->parts[i].query, sizeof u->parts[i].query, "partNumber=%zu&uploadId=%s",
                 i + 1, u->id_encoded);
        /* The header values point into the part's sum, filled by part_start. */
        u->parts[i].sum.kind = u->c->checksum;
        size_t nh = s3_sum_headers(&u->parts[i].sum, u->parts[i].headers);
        it->req = s3_request(&u->target, "PUT", u->parts[i].query, u->parts[i].headers, nh,
                             SIGV4_UNSIGNED_PAYLOAD);
        snprintf(u->parts[i].what, sizeof u->parts[i].what, "%s (part %zu of %zu)",
                 u->target.what.buf, i + 1, u->n_parts);
        it->req.what = u->parts[i].what;
        if (u->fd >= 0) {
            it->body_fd = u->fd;
            it->body_off = off;
            it->body_size = len;
        } else {
            it->body = (const char *)u->data + off;
            it->body_len = (size_t)len;
        }
    }
    return aws_batch_run(u->c->session, u->items, u->n_parts, u->c->parallel, part_start,
                         part_check, u, err);
}

/* The ETag S3 gives a multipart object: MD5 of the parts' MD5s, "-", the part count. */
static void expected_etag(const upload *u, char *out, size_t cap)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    char hex[33];
    EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
    for (size_t i = 0; i < u->n_parts; i++)
        EVP_DigestUpdate(ctx, u->sums[i].raw, 16);
    EVP_DigestFinal_ex(ctx, md, &md_len);
    EVP_MD_CTX_free(ctx);
    hex_encode(md, 16, hex);
    snprintf(out, cap, "\"%s-%zu\"", hex, u->n_parts);
}

static int etag_in_body(const char *body, const char *want)
{
    return body && strstr(body, want) != NULL;
}

/* MD5 uploads: servers that compute the multipart ETag S3's way confirm the parts list. */
static void check_etag(const upload *u, const http_xfer *x)
{
    char want[64], want_xml[80];
    expected_etag(u, want, sizeof want);
    snprintf(want_xml, sizeof want_xml, "&quot;%s", want + 1);
    want_xml[strlen(want_xml) - 1] = '\0';
    if (!etag_in_body(x->resp.buf, want + 1) && !etag_in_body(x->resp.buf, want_xml))
        log_debug("%s: server ETag differs from %s (not every server computes it S3's way)",
                  u->target.what.buf, want);
}

/* The object's checksum as the server reports it: from CompleteMultipartUpload's answer,
 * else from HeadObject with checksum mode (moto keeps it with the object but leaves it out
 * of that answer). "" when the server reports none. 0, or -1 when HeadObject fails (err
 * filled). */
static int server_composite(upload *u, const http_xfer *done, char *out, size_t cap,
                            aws_error *err)
{
    out[0] = '\0';
    if (s3_xml_parse_complete_checksum(done->resp.buf, done->resp.len, out, cap) == 0 && *out)
        return 0;
    aws_header h[] = { { "x-amz-checksum-mode", "ENABLED" } };
    aws_signed_req req = s3_request(&u->target, "HEAD", NULL, h, 1, SIGV4_EMPTY_SHA256);
    http_xfer x;
    http_xfer_init(&x);
    x.no_body_response = 1;
    int rc = aws_send(u->c->session, &req, &x, err);
    if (rc == 0)
        snprintf(out, cap, "%s", x.checksum_crc32);
    http_xfer_cleanup(&x);
    return rc;
}

/* CRC32 uploads: 0 when the server's composite checksum is ours (or it reports none),
 * 1 when it differs (err filled: the object holds other bytes). */
static int check_composite(upload *u, const http_xfer *done, aws_error *err)
{
    char want[64], got[128];
    aws_error head_err;
    s3_sum_composite(u->sums, u->n_parts, want, sizeof want);
    /* The object is complete: a role that may write but not read it (HeadObject needs
     * s3:GetObject) must not turn that into a failure. */
    if (server_composite(u, done, got, sizeof got, &head_err) < 0) {
        log_warn("%s: the object's checksum could not be read back (%s); its parts' "
                 "checksums were sent",
                 u->target.what.buf, head_err.message);
        return 0;
    }
    if (!*got) {
        s3_warn_unchecked(u->c, u->target.what.buf);
        return 0;
    }
    /* S3 reports "BASE64-N"; moto's CompleteMultipartUpload answer leaves out "-N". */
    size_t base = strcspn(want, "-");
    if (strcmp(got, want) == 0 || (strlen(got) == base && strncmp(got, want, base) == 0))
        return 0;
    aws_error_set(err, "%s: the server stored other bytes than were sent (CRC32 %s, ours %s)",
                  u->target.what.buf, got, want);
    return 1;
}

/* 0 done, 1 completed but the object's checksum is not ours (err filled), -1 failed. */
static int complete(upload *u, aws_error *err)
{
    char *body = s3_complete_body(u->items, u->sums, u->n_parts);
    char query[1024];
    snprintf(query, sizeof query, "uploadId=%s", u->id_encoded);
    aws_header h[] = { { "Content-Type", "application/xml" } };
    aws_signed_req req = s3_request(&u->target, "POST", query, h, 1, NULL);
    http_xfer x;
    http_xfer_init(&x);
    x.body = body ? body : "";
    x.body_len = body ? strlen(body) : 0;
    int rc = body ? aws_send(u->c->session, &req, &x, err) : -1;
    char code[128], msg[256];
    /* A 200 can still carry an <Error> (the server failed while assembling). */
    if (rc == 0 && s3_xml_parse_error(x.resp.buf, x.resp.len, code, sizeof code, msg,
                                      sizeof msg) == 0) {
        aws_error_from_response(err, u->target.what.buf, 200, x.resp.buf, x.resp.len);
        rc = -1;
    }
    if (rc == 0 && u->c->checksum == S3_CHECKSUM_CRC32)
        rc = check_composite(u, &x, err);
    else if (rc == 0)
        check_etag(u, &x);
    http_xfer_cleanup(&x);
    free(body);
    return rc;
}

static void abort_upload(upload *u)
{
    char query[1024];
    snprintf(query, sizeof query, "uploadId=%s", u->id_encoded);
    aws_signed_req req = s3_request(&u->target, "DELETE", query, NULL, 0, SIGV4_EMPTY_SHA256);
    http_xfer x;
    http_xfer_init(&x);
    aws_error e;
    if (aws_send(u->c->session, &req, &x, &e) < 0)
        log_warn("aborting the multipart upload of %s failed: %s (it may need a lifecycle "
                 "rule to clean up)",
                 u->target.what.buf, e.message);
    http_xfer_cleanup(&x);
}

static void upload_reset(upload *u)
{
    free(u->parts);
    free(u->sums);
    free(u->items);
    free(u->upload_id);
    free(u->id_encoded);
    u->parts = NULL;
    u->sums = NULL;
    u->items = NULL;
    u->upload_id = u->id_encoded = NULL;
}

/* One whole multipart upload: 0 done, 1 the completed object's checksum is not ours (err
 * filled), -1 failed (and aborted). */
static int upload_once(upload *u, const char *content_type, aws_error *err)
{
    int rc = initiate(u, content_type, err);
    if (rc < 0)
        return -1;
    rc = upload_parts(u, err);
    if (rc == 0)
        rc = complete(u, err);
    if (rc < 0)
        abort_upload(u);
    return rc;
}

/* Removes an object whose bytes are known to be wrong, so that no reader takes it. */
static void delete_bad_object(s3_client *c, const char *bucket, const char *key)
{
    aws_error e;
    if (s3_delete(c, bucket, key, &e) < 0)
        log_warn("could not delete the damaged object s3://%s/%s: %s", bucket, key, e.message);
}

int s3_multipart_upload(s3_client *c, const char *bucket, const char *key, int fd,
                        const void *data, uint64_t size, const char *content_type,
                        aws_error *err)
{
    upload u = { .c = c, .fd = fd, .data = data, .size = size };
    u.part_size = s3_choose_part_size(c, size);
    u.n_parts = (size_t)((size + u.part_size - 1) / u.part_size);
    if (u.n_parts == 0)
        u.n_parts = 1;
    if (u.n_parts > S3_MAX_PARTS) {
        aws_error_set(err, "PUT s3://%s/%s: %llu bytes is more than S3 allows", bucket, key,
                      (unsigned long long)size);
        return -1;
    }
    if (s3_target_make(c, "PUT", bucket, key, &u.target) < 0) {
        aws_error_set(err, "PUT s3://%s/%s: out of memory", bucket, key);
        return -1;
    }
    /* A composite checksum that differs means parts changed on the way to a server that
     * does not check part checksums (S3 would have refused the part): upload it all again. */
    int rc;
    for (int attempt = 1;; attempt++) {
        rc = upload_once(&u, content_type, err);
        upload_reset(&u);
        if (rc <= 0)
            break;
        if (attempt >= aws_session_max_attempts(c->session)) {
            delete_bad_object(c, bucket, key);
            rc = -1;
            break;
        }
        log_warn("%s; uploading it again", err->message);
    }
    s3_target_free(&u.target);
    return rc;
}

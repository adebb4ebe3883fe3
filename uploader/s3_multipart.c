/* Multipart upload: CreateMultipartUpload, the parts in parallel (each with Content-MD5,
 * which the server checks), CompleteMultipartUpload, whose ETag is checked against the
 * one computed from the parts' MD5s; AbortMultipartUpload on any failure, so that no
 * orphan upload keeps costing storage. */
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
    char md5[25];
    unsigned char md5_raw[16];
    aws_header headers[1];
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
    aws_batch_item *items;
} upload;

static int initiate(upload *u, const char *content_type, aws_error *err)
{
    aws_header h[] = { { "Content-Type",
                         content_type ? content_type : "application/octet-stream" } };
    aws_signed_req req = s3_request(&u->target, "POST", "uploads", h, 1, SIGV4_EMPTY_SHA256);
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

static void md5_raw_to_base64(const unsigned char raw[16], char out[25])
{
    base64_encode(raw, 16, out);
}

/* Hashes a part just before it is first sent: the hashing of part k overlaps the
 * transfers of the parts before it. */
static int part_start(void *ud, aws_batch_item *it, aws_error *err)
{
    upload *u = ud;
    size_t i = (size_t)(it - u->items);
    part *p = &u->parts[i];
    uint64_t off = (uint64_t)i * u->part_size;
    uint64_t len = it->body_fd >= 0 ? it->body_size : it->body_len;
    unsigned int md_len = 0;
    if (u->fd >= 0) {
        if (s3_md5_file_range(u->fd, off, len, p->md5) < 0) {
            aws_error_set(err, "%s: cannot read part %zu of the file", u->target.what.buf,
                          i + 1);
            return -1;
        }
        /* Keep the raw digest too (for the final ETag check). */
        EVP_DecodeBlock(p->md5_raw, (const unsigned char *)p->md5, 24);
    } else {
        EVP_Digest(u->data + off, (size_t)len, p->md5_raw, &md_len, EVP_md5(), NULL);
        md5_raw_to_base64(p->md5_raw, p->md5);
    }
    p->headers[0].name = "Content-MD5";
    p->headers[0].value = p->md5;
    return 0;
}

/* The server's ETag of a part is the MD5 of what it stored: a difference means the bytes
 * changed on the way, and the part is sent again. */
static int part_check(void *ud, aws_batch_item *it, const http_xfer *x, aws_error *err)
{
    upload *u = ud;
    const part *p = &u->parts[it - u->items];
    if (s3_etag_matches(x->etag, x->sse, p->md5) != 0)
        return 0;
    aws_error_set(err, "%s: the server stored other bytes than were sent (ETag %s)",
                  it->req.what, x->etag);
    log_warn("%s; sending it again", err->message);
    return 1;
}

static int upload_parts(upload *u, aws_error *err)
{
    u->parts = calloc(u->n_parts, sizeof *u->parts);
    u->items = calloc(u->n_parts, sizeof *u->items);
    if (!u->parts || !u->items) {
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
        it->req = s3_request(&u->target, "PUT", u->parts[i].query, u->parts[i].headers, 1,
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

static char *complete_body(const upload *u)
{
    strbuf sb = STRBUF_INIT;
    sb_puts(&sb, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    for (size_t i = 0; i < u->n_parts; i++)
        sb_printf(&sb, "<Part><PartNumber>%zu</PartNumber><ETag>%s</ETag></Part>", i + 1,
                  u->items[i].etag);
    sb_puts(&sb, "</CompleteMultipartUpload>");
    return sb_detach(&sb);
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
        EVP_DigestUpdate(ctx, u->parts[i].md5_raw, 16);
    EVP_DigestFinal_ex(ctx, md, &md_len);
    EVP_MD_CTX_free(ctx);
    hex_encode(md, 16, hex);
    snprintf(out, cap, "\"%s-%zu\"", hex, u->n_parts);
}

static int etag_in_body(const char *body, const char *want)
{
    return body && strstr(body, want) != NULL;
}

static int complete(upload *u, aws_error *err)
{
    char *body = complete_body(u);
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
    if (rc == 0) {
        char want[64], want_xml[80];
        expected_etag(u, want, sizeof want);
        snprintf(want_xml, sizeof want_xml, "&quot;%s", want + 1);
        want_xml[strlen(want_xml) - 1] = '\0';
        if (!etag_in_body(x.resp.buf, want + 1) && !etag_in_body(x.resp.buf, want_xml))
            log_debug("%s: server ETag differs from %s (not every server computes it "
                      "S3's way)",
                      u->target.what.buf, want);
    }
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
    int rc = initiate(&u, content_type, err);
    if (rc == 0) {
        rc = upload_parts(&u, err);
        if (rc == 0)
            rc = complete(&u, err);
        if (rc < 0)
            abort_upload(&u);
    }
    free(u.parts);
    free(u.items);
    free(u.upload_id);
    free(u.id_encoded);
    s3_target_free(&u.target);
    return rc;
}

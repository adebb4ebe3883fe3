/* The end-to-end checksum of uploads: computing it (libdeflate's CRC32 or OpenSSL's MD5), the
 * headers that carry it, and reading the server's confirmation from its answer. */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/log.h"
#include "uploader/digest.h"
#include "uploader/s3_internal.h"

int s3_checksum_parse(const char *name, s3_checksum *out)
{
    if (strcasecmp(name, "crc32") == 0)
        *out = S3_CHECKSUM_CRC32;
    else if (strcasecmp(name, "md5") == 0)
        *out = S3_CHECKSUM_MD5;
    else if (strcasecmp(name, "auto") == 0)
        *out = S3_CHECKSUM_AUTO;
    else
        return -1;
    return 0;
}

/* An incremental checksum over the pieces of one body. */
typedef struct sum_ctx {
    s3_checksum kind;
    uint32_t crc;
    EVP_MD_CTX *md5;
} sum_ctx;

static int sum_begin(sum_ctx *s, s3_checksum kind)
{
    s->kind = kind;
    s->crc = 0;
    s->md5 = NULL;
    if (kind != S3_CHECKSUM_MD5)
        return 0;
    s->md5 = EVP_MD_CTX_new();
    if (!s->md5 || EVP_DigestInit_ex(s->md5, EVP_md5(), NULL) != 1) {
        EVP_MD_CTX_free(s->md5);
        return -1;
    }
    return 0;
}

static void sum_update(sum_ctx *s, const void *data, size_t len)
{
    if (s->kind == S3_CHECKSUM_MD5)
        EVP_DigestUpdate(s->md5, data, len);
    else
        s->crc = crc32_update(s->crc, data, len);
}

static void sum_end(sum_ctx *s, s3_sum *out)
{
    memset(out, 0, sizeof *out);
    out->kind = s->kind;
    if (s->kind == S3_CHECKSUM_MD5) {
        unsigned int n = 0;
        unsigned char md[EVP_MAX_MD_SIZE];
        EVP_DigestFinal_ex(s->md5, md, &n);
        EVP_MD_CTX_free(s->md5);
        s->md5 = NULL;
        memcpy(out->raw, md, 16);
        out->raw_len = 16;
    } else {
        crc32_bytes(s->crc, out->raw);
        out->raw_len = 4;
    }
    base64_encode(out->raw, out->raw_len, out->b64);
}

static void sum_abandon(sum_ctx *s)
{
    EVP_MD_CTX_free(s->md5);
    s->md5 = NULL;
}

void s3_sum_buffer(s3_checksum kind, const void *data, size_t len, s3_sum *out)
{
    sum_ctx s;
    if (kind == S3_CHECKSUM_MD5) {
        /* One-shot: no context to allocate, so nothing can fail. */
        memset(out, 0, sizeof *out);
        out->kind = kind;
        unsigned int n = 0;
        EVP_Digest(data, len, out->raw, &n, EVP_md5(), NULL);
        out->raw_len = 16;
        base64_encode(out->raw, out->raw_len, out->b64);
        return;
    }
    sum_begin(&s, kind);
    sum_update(&s, data, len);
    sum_end(&s, out);
}

/* 1 MiB reads: few syscalls, and the buffer stays small next to the parts in flight. */
#define READ_CHUNK (1u << 20)

int s3_sum_file_range(s3_checksum kind, int fd, uint64_t off, uint64_t len, s3_sum *out)
{
    sum_ctx s;
    unsigned char *buf = malloc(READ_CHUNK);
    if (!buf || sum_begin(&s, kind) < 0) {
        free(buf);
        return -1;
    }
    uint64_t done = 0;
    while (done < len) {
        size_t want = len - done < READ_CHUNK ? (size_t)(len - done) : READ_CHUNK;
        ssize_t r = pread(fd, buf, want, (off_t)(off + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            sum_abandon(&s);
            free(buf);
            return -1;
        }
        sum_update(&s, buf, (size_t)r);
        done += (uint64_t)r;
    }
    sum_end(&s, out);
    free(buf);
    return 0;
}

size_t s3_sum_headers(const s3_sum *sum, aws_header h[S3_SUM_MAX_HEADERS])
{
    if (sum->kind == S3_CHECKSUM_MD5) {
        h[0] = (aws_header){ "Content-MD5", sum->b64 };
        return 1;
    }
    /* The AWS SDKs send both: the algorithm header is what makes S3 (and moto) keep the
     * checksum with the object, so that HeadObject can report it later. */
    h[0] = (aws_header){ "x-amz-checksum-crc32", sum->b64 };
    h[1] = (aws_header){ "x-amz-sdk-checksum-algorithm", "CRC32" };
    return 2;
}

int s3_sum_confirmed(const s3_sum *sum, const http_xfer *x)
{
    if (sum->kind == S3_CHECKSUM_MD5)
        return s3_etag_matches(x->etag, x->sse, sum->b64);
    if (!x->checksum_crc32[0])
        return -1;
    return strcmp(x->checksum_crc32, sum->b64) == 0 ? 1 : 0;
}

void s3_sum_composite(const s3_sum *parts, size_t n, char *out, size_t cap)
{
    uint32_t crc = 0;
    for (size_t i = 0; i < n; i++)
        crc = crc32_update(crc, parts[i].raw, 4);
    unsigned char raw[4];
    char b64[9];
    crc32_bytes(crc, raw);
    base64_encode(raw, 4, b64);
    snprintf(out, cap, "%s-%zu", b64, n);
}

char *s3_complete_body(const aws_batch_item *items, const s3_sum *sums, size_t n)
{
    strbuf sb = STRBUF_INIT;
    sb_puts(&sb, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    for (size_t i = 0; i < n; i++) {
        sb_printf(&sb, "<Part><ETag>%s</ETag>", items[i].etag);
        /* S3 refuses to complete a CRC32 upload whose parts do not list their CRC32s. */
        if (sums[i].kind == S3_CHECKSUM_CRC32)
            sb_printf(&sb, "<ChecksumCRC32>%s</ChecksumCRC32>", sums[i].b64);
        sb_printf(&sb, "<PartNumber>%zu</PartNumber></Part>", i + 1);
    }
    sb_puts(&sb, "</CompleteMultipartUpload>");
    return sb_detach(&sb);
}

void s3_warn_unchecked(s3_client *c, const char *what)
{
    if (atomic_exchange(&c->warned_unchecked, 1) == 0)
        log_warn("%s: the server did not confirm the CRC32 checksum (no "
                 "x-amz-checksum-crc32 in its answer): it may not check it; "
                 "--checksum md5 has it check Content-MD5",
                 what);
}

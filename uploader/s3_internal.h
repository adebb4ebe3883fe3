/* Inside the S3 client: the client's settings and how a bucket/key becomes a signed request
 * (addressing style, key encoding). */
#ifndef UPLOADER_S3_INTERNAL_H
#define UPLOADER_S3_INTERNAL_H

#include "common/strbuf.h"
#include <stdatomic.h>

#include "uploader/aws_batch.h"
#include "uploader/aws_send.h"
#include "uploader/s3.h"

#define MIB (1024ull * 1024ull)
#define S3_MIN_PART (5 * MIB)
#define S3_MAX_PART (5ull * 1024 * MIB)
#define S3_MAX_PARTS 10000

struct s3_client {
    aws_session *session;
    int path_style;          /* resolved: 1 path, 2 virtual-hosted, 0 auto per bucket */
    int parallel;
    uint64_t part_size;
    uint64_t threshold;
    int max_keys;
    s3_checksum checksum;    /* resolved: CRC32 or MD5 */
    atomic_int warned_unchecked;  /* the "server does not confirm CRC32" warning was given
                                     (uploads run on several threads) */
};

/* The strings one S3 request needs, owned here so the aws_signed_req can point at them. */
typedef struct s3_target {
    strbuf base_url;
    strbuf path;
    strbuf what;
} s3_target;

/* Fills t for bucket/key ("" key: the bucket itself); verb names the operation in
 * messages ("PUT", "GET", ...). 0/-1. */
int  s3_target_make(s3_client *c, const char *verb, const char *bucket, const char *key,
                    s3_target *t);
void s3_target_free(s3_target *t);
/* A signed S3 request for t. */
aws_signed_req s3_request(const s3_target *t, const char *method, const char *query,
                          const aws_header *headers, size_t n_headers,
                          const char *payload_hash);

/* Multipart upload of [0, size) of fd, or of a memory buffer when fd < 0. */
int s3_multipart_upload(s3_client *c, const char *bucket, const char *key, int fd,
                        const void *data, uint64_t size, const char *content_type,
                        aws_error *err);
/* Chooses the part size for size bytes (S3's limits, the client's preference). */
uint64_t s3_choose_part_size(const s3_client *c, uint64_t size);
/* Whether the ETag S3 returned for a PutObject/UploadPart is the MD5 we sent: 1 yes, 0 no
 * (the server stored other bytes), -1 cannot tell (SSE-KMS/SSE-C ETags are not MD5s). */
int s3_etag_matches(const char *etag, const char *sse, const char md5_base64[25]);

/* ---- the upload checksum (s3_checksum.c) ---- */

/* One computed checksum of a body (a whole object or one part). */
typedef struct s3_sum {
    s3_checksum kind;        /* S3_CHECKSUM_CRC32 or S3_CHECKSUM_MD5 */
    unsigned char raw[16];   /* MD5: 16 bytes; CRC32: 4, most significant first */
    size_t raw_len;
    char b64[25];            /* base64 of raw, as the headers carry it */
} s3_sum;

#define S3_SUM_MAX_HEADERS 2

/* The checksum of a file range (read with pread); 0, or -1 when it cannot be read. */
int  s3_sum_file_range(s3_checksum kind, int fd, uint64_t off, uint64_t len, s3_sum *out);
void s3_sum_buffer(s3_checksum kind, const void *data, size_t len, s3_sum *out);
/* The headers that send sum with a PutObject or UploadPart, pointing into sum: fills h and
 * returns their count. */
size_t s3_sum_headers(const s3_sum *sum, aws_header h[S3_SUM_MAX_HEADERS]);
/* Whether a 2xx PutObject/UploadPart answer confirms that the server stored the bytes sum
 * was computed over: 1 yes, 0 no (it stored other bytes), -1 it cannot tell (no checksum
 * echoed, an ETag that is not an MD5). */
int  s3_sum_confirmed(const s3_sum *sum, const http_xfer *x);
/* The checksum S3 gives a multipart object uploaded with CRC32 parts: base64 of the CRC32
 * of the parts' 4-byte CRC32s, "-", the part count ("BASE64-N"). */
void s3_sum_composite(const s3_sum *parts, size_t n, char *out, size_t cap);
/* The body of CompleteMultipartUpload for n parts with these ETags and checksums (each
 * part's <ChecksumCRC32> when the upload uses CRC32). malloc'd, NULL when out of memory. */
char *s3_complete_body(const aws_batch_item *items, const s3_sum *sums, size_t n);
/* Says once per client, at the first upload whose checksum the server did not confirm,
 * that CRC32 may go unchecked there. */
void s3_warn_unchecked(s3_client *c, const char *what);

#endif

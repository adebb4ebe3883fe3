/* Inside the S3 client: the client's settings and how a bucket/key becomes a signed request
 * (addressing style, key encoding). */
#ifndef UPLOADER_S3_INTERNAL_H
#define UPLOADER_S3_INTERNAL_H

#include "common/strbuf.h"
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
/* Content-MD5 (base64) of a file range; 0/-1. */
int s3_md5_file_range(int fd, uint64_t off, uint64_t len, char out[25]);

#endif

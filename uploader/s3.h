/* The S3 client used by monitor_system and orchestrate: PutObject or multipart upload with
 * an end-to-end checksum, ListObjectsV2, GetObject (ranged, parallel), HeadObject,
 * DeleteObject. Built on aws.h's session (credentials, region, endpoint, retries).
 *
 * Ownership: s3_client_new() allocates, s3_client_free() frees; it borrows nothing from
 * the options after it returns. Listings are delivered through a callback; the strings
 * passed to it are valid only during the call. */
#ifndef UPLOADER_S3_H
#define UPLOADER_S3_H

#include <stddef.h>
#include <stdint.h>

#include "uploader/aws.h"

typedef struct s3_client s3_client;

/* The end-to-end checksum of uploads, which the server checks against the bytes it got.
 * CRC32 (x-amz-checksum-crc32, what today's AWS SDKs send) costs a tenth of MD5's CPU;
 * Content-MD5 is the check every S3-compatible server implements. AUTO: CRC32 on AWS
 * endpoints (*.amazonaws.com), MD5 on custom endpoints, whose servers may take the CRC32
 * header without checking it. */
typedef enum s3_checksum {
    S3_CHECKSUM_AUTO = 0,
    S3_CHECKSUM_CRC32,
    S3_CHECKSUM_MD5,
} s3_checksum;

/* "crc32", "md5" or "auto" (any case) into *out; 0, or -1 for anything else. */
int s3_checksum_parse(const char *name, s3_checksum *out);

typedef struct s3_options {
    aws_session_options session;
    int path_style;         /* 0 or -1 auto (path-style for custom endpoints, bucket names with
                               dots, or the profile's s3.addressing_style = path),
                               1 path-style, 2 virtual-hosted */
    int parallel;           /* concurrent part transfers; 0: 8 */
    uint64_t part_size;     /* multipart part size; 0: chosen (>= 8 MiB, <= 10,000 parts) */
    uint64_t multipart_threshold; /* files at least this big go multipart; 0: 16 MiB */
    int max_keys;           /* ListObjectsV2 page size; 0: 1000 (tests use small pages) */
    s3_checksum checksum;   /* of uploads; AUTO (0): see s3_checksum */
} s3_options;

typedef struct s3_url {      /* s3://bucket/key/prefix */
    char *bucket;
    char *key;               /* may be "" */
} s3_url;

/* Parses "s3://bucket/key"; 0 or -1. The caller frees with s3_url_free(). */
int  s3_url_parse(const char *url, s3_url *out);
void s3_url_free(s3_url *u);

int  s3_client_new(const s3_options *opt, s3_client **out, aws_error *err);
void s3_client_free(s3_client *c);

/* Uploads a local file; small files with PutObject, large ones multipart (aborted on
 * failure). The upload is verified by the server (checksum) before 0 is returned. */
int s3_put_file(s3_client *c, const char *bucket, const char *key, const char *path,
                const char *content_type, aws_error *err);
int s3_put_buffer(s3_client *c, const char *bucket, const char *key, const void *data,
                  size_t len, const char *content_type, aws_error *err);

/* Downloads an object to a local file (written to PATH.part, renamed when complete);
 * large objects as parallel ranged GETs. */
int s3_get_file(s3_client *c, const char *bucket, const char *key, const char *path,
                aws_error *err);
/* Downloads into memory; *data NUL-terminated, owned by the caller. */
int s3_get_buffer(s3_client *c, const char *bucket, const char *key, char **data,
                  size_t *len, aws_error *err);

typedef struct s3_object_info {
    const char *key;
    uint64_t size;
    const char *etag;
    const char *last_modified;
} s3_object_info;

/* Calls cb for every object under prefix (ListObjectsV2, following continuation tokens).
 * A non-zero return from cb stops the listing and is returned. */
typedef int (*s3_list_cb)(const s3_object_info *obj, void *ud);
int s3_list(s3_client *c, const char *bucket, const char *prefix, s3_list_cb cb, void *ud,
            aws_error *err);

/* 0 and *size filled, or -1; a missing object is -1 with err->http_status == 404. */
int s3_head(s3_client *c, const char *bucket, const char *key, uint64_t *size,
            aws_error *err);
int s3_delete(s3_client *c, const char *bucket, const char *key, aws_error *err);

#endif

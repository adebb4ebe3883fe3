/* AWS Signature Version 4: canonical request, string to sign, signing key and signature,
 * in the header form (Authorization) and the query form (presigned URLs).
 *
 * Paths and queries are given as they go on the wire (already percent-encoded where the
 * caller needed to). The two URI rules AWS uses differ per service:
 *   - S3: the wire path is the canonical URI as-is (no normalisation, no second encoding),
 *     so the caller must encode each key segment exactly once (sigv4_encode_path);
 *   - every other service: the path is normalised (dot segments, repeated slashes) and
 *     encoded again ("double encoding").
 * Ownership: sigv4_sign() fills a caller-owned sigv4_result; sigv4_result_free() frees it. */
#ifndef UPLOADER_SIGV4_H
#define UPLOADER_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "uploader/aws.h"

#define SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

typedef struct sigv4_config {
    const char *access_key;
    const char *secret_key;
    const char *session_token;   /* or NULL */
    const char *region;
    const char *service;
    time_t when;                 /* the signing time (UTC seconds) */
    int normalize_path;          /* remove dot segments and repeated slashes */
    int double_encode;           /* encode the wire path again (all but S3) */
    int omit_session_token;      /* add the token after signing, unsigned (old STS rule) */
    int add_content_sha256;      /* send and sign x-amz-content-sha256 (S3 needs it) */
    int presign;                 /* query-string form instead of Authorization */
    long expires;                /* presign: X-Amz-Expires seconds */
} sigv4_config;

typedef struct sigv4_request {
    const char *method;
    const char *path;            /* wire path, "/" when empty */
    const char *query;           /* wire query without '?', or NULL */
    const aws_header *headers;   /* must include Host; duplicates allowed */
    size_t n_headers;
    const char *payload_hash;    /* hex SHA-256 of the body, or SIGV4_UNSIGNED_PAYLOAD */
} sigv4_request;

#define SIGV4_MAX_ADD 4
typedef struct sigv4_result {
    char *canonical_request;
    char *string_to_sign;
    char signature[65];
    /* Header form: headers to send in addition to the request's own, as "Name: value"
     * lines (X-Amz-Date, X-Amz-Security-Token, X-Amz-Content-Sha256, Authorization). */
    char *add_headers[SIGV4_MAX_ADD];
    size_t n_add_headers;
    /* Query form: the whole query to send (canonical query + X-Amz-Signature). */
    char *signed_query;
} sigv4_result;

/* 0, or -1 on an allocation failure or a request without a method. */
int  sigv4_sign(const sigv4_config *cfg, const sigv4_request *req, sigv4_result *out);
void sigv4_result_free(sigv4_result *r);

/* Percent-encodes s with SigV4's rules (unreserved A-Z a-z 0-9 - _ . ~ kept; '/' kept when
 * keep_slash). Caller frees; NULL on ENOMEM. */
char *sigv4_uri_encode(const char *s, size_t len, int keep_slash);
/* The wire path of an S3 key: "/" + encoded key, each byte encoded once, '/' kept. */
char *sigv4_encode_path(const char *raw_path);

#endif

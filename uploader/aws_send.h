/* Inside uploader/: signing and sending one request with the session's credentials and
 * retry policy. aws_call() (aws.h) and the S3 client are built on it. */
#ifndef UPLOADER_AWS_SEND_H
#define UPLOADER_AWS_SEND_H

#include <stddef.h>

#include "uploader/aws.h"
#include "uploader/credentials.h"
#include "uploader/http.h"
#include "uploader/retry.h"

typedef struct aws_signed_req {
    const char *service;        /* signing name */
    const char *method;
    const char *base_url;       /* "scheme://host[:port]" without a trailing slash */
    const char *path;           /* wire path ("/" if NULL) */
    const char *query;          /* wire query without '?', or NULL */
    const aws_header *headers;  /* extra headers, signed */
    size_t n_headers;
    int s3;                     /* S3 rules: no path normalisation or double encoding,
                                   x-amz-content-sha256 sent */
    const char *payload_hash;   /* NULL: SHA-256 of the memory body */
    const char *what;           /* for messages: "PUT s3://bucket/key" */
} aws_signed_req;

/* Signs req into x: sets x->method and x->url (into url, owned by the caller) and builds
 * *headers (the caller frees it with curl_slist_free_all after the transfer). The body
 * fields of x are the caller's. 0, or -1 with err filled. */
int aws_sign_into(aws_session *s, const aws_signed_req *req, http_xfer *x, strbuf *url,
                  struct curl_slist **headers, aws_error *err);

/* Signs, sends and retries until a 2xx (0) or a final failure (-1, err filled; x still
 * holds the last response). x's body/sink fields are set by the caller beforehand. */
int aws_send(aws_session *s, const aws_signed_req *req, http_xfer *x, aws_error *err);

/* After a finished attempt: 1 when it should be retried (and the quota allowed it; *cost
 * receives what it took), 0 otherwise. err is filled from the attempt's failure. */
int aws_attempt_failed(aws_session *s, const aws_signed_req *req, const http_xfer *x,
                       int attempt, int *cost, aws_error *err);

retry_quota *aws_session_quota(aws_session *s);
int aws_session_max_attempts(const aws_session *s);
/* The stall limit transfers of this session use (seconds). */
long aws_session_stall_seconds(const aws_session *s);
creds_provider *aws_session_creds(aws_session *s);
/* A setting of the session's profile (config/credentials files), or NULL. */
const char *aws_session_profile_value(const aws_session *s, const char *key);

#endif

/* The public face of uploader/ for AWS APIs other than S3 (Batch, CloudWatch Logs, STS,
 * EC2, Pricing): one session that resolves credentials (the standard chain), region and
 * endpoints, and one call that signs (SigV4), sends (libcurl) and retries (standard mode).
 *
 * Ownership: aws_session_new() allocates, aws_session_free() frees. Responses are owned by
 * the caller and released with aws_response_free(). Errors are filled into a caller-owned
 * aws_error and never contain a secret. */
#ifndef UPLOADER_AWS_H
#define UPLOADER_AWS_H

#include <stddef.h>

typedef struct aws_session aws_session;

typedef struct aws_session_options {
    const char *region;    /* NULL: AWS_REGION, AWS_DEFAULT_REGION, profile, IMDS, us-east-1 */
    const char *profile;   /* NULL: AWS_PROFILE or "default" */
    const char *endpoint;  /* NULL: AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, real AWS */
    int max_attempts;      /* 0: AWS_MAX_ATTEMPTS or 3 (the SDKs' standard mode) */
    int stall_seconds;     /* a transfer under 1 KiB/s this long is dropped and retried;
                              0: 30 */
} aws_session_options;

typedef struct aws_error {
    long http_status;      /* 0 when no HTTP response arrived */
    char code[128];        /* AWS error code ("NoSuchKey", "ThrottlingException"), or "" */
    char message[512];     /* human-readable: what failed, on which resource, and why */
} aws_error;

typedef struct aws_header {
    const char *name;
    const char *value;
} aws_header;

typedef struct aws_request {
    const char *service;       /* signing name: "batch", "logs", "sts", "ec2", "pricing" */
    const char *method;        /* "GET", "POST", ... */
    const char *path;          /* absolute path as sent, percent-encoded where needed, e.g.
                                  "/v1/submitjob" ("/" if NULL) */
    const char *query;         /* query as sent, "a=b&c" (canonicalised for signing), or NULL */
    const aws_header *headers; /* extra headers (X-Amz-Target, Content-Type), or NULL */
    size_t n_headers;
    const char *body;          /* or NULL */
    size_t body_len;
} aws_request;

typedef struct aws_response {
    long status;
    char *body;                /* NUL-terminated, owned by the response */
    size_t body_len;
} aws_response;

int  aws_session_new(const aws_session_options *opt, aws_session **out, aws_error *err);
void aws_session_free(aws_session *s);
const char *aws_session_region(const aws_session *s);
/* The base URL a service is reached at ("https://batch.us-east-1.amazonaws.com" or the
 * endpoint override), without a trailing slash. Owned by the session. */
const char *aws_session_endpoint(aws_session *s, const char *service);

/* Signs and sends one request, retrying throttling, 5xx and transport errors with backoff.
 * Returns 0 on a 2xx response (resp filled), -1 otherwise (err filled, with the AWS error
 * code parsed from a JSON or XML error body; resp is still filled when a response came). */
int  aws_call(aws_session *s, const aws_request *req, aws_response *resp, aws_error *err);
void aws_response_free(aws_response *r);

#endif

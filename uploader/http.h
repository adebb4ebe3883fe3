/* HTTP transfers on libcurl: one http_xfer per request, run alone (http_xfer_perform) or
 * many at once (http_multi_*). Bodies come from memory or from a range of a file; responses
 * go to memory or to a file at an offset (only when the status is 2xx: an error body is
 * always kept in memory so that it can be parsed).
 *
 * TLS: the CA bundle is AWS_CA_BUNDLE or SSL_CERT_FILE when set, else the first of the
 * usual system paths that exists, else the bundle embedded at build time (for FROM scratch
 * images, where no file exists).
 *
 * Ownership: the caller owns the http_xfer; http_xfer_init() allocates its easy handle
 * (reused across attempts, which keeps the connection), http_xfer_cleanup() frees it. */
#ifndef UPLOADER_HTTP_H
#define UPLOADER_HTTP_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#include "common/strbuf.h"

/* Connections, DNS answers and TLS sessions shared by the transfers of one client across
 * threads, so that request after request reuses a warm connection. Owned by its creator. */
typedef struct http_share http_share;
http_share *http_share_new(void);
void http_share_free(http_share *s);

typedef struct http_xfer {
    CURL *easy;
    http_share *share;            /* or NULL; not for transfers driven by curl multi */
    /* Request: the caller sets these before http_xfer_prepare(). */
    const char *method;
    const char *url;
    struct curl_slist *headers;   /* owned by the caller */
    const char *body;             /* memory body, or NULL */
    size_t body_len;
    int body_fd;                  /* file body when >= 0 (pread from body_off) */
    uint64_t body_off;
    uint64_t body_size;
    int no_body_response;         /* HEAD */
    int stop_on_empty_range;      /* end at "Content-Range: bytes 0-0/0" (s3rver sends a
                                     206 promising one byte of an empty object) */
    int sink_fd;                  /* 2xx body to this file at sink_off when >= 0 */
    uint64_t sink_off;
    /* The same file opened O_DIRECT, or -1. When sink_off is block-aligned and the body is
     * 4 MiB or more (Content-Length), it is written there in whole aligned blocks through a
     * 1 MiB staging buffer, bypassing the page cache (no page allocation, copy or writeback
     * in this process: half the CPU of a large download); smaller bodies and the unaligned
     * tail go through sink_fd. */
    int sink_direct_fd;
    long timeout_ms;              /* whole-transfer limit; 0: none (stalls are caught) */
    long stall_seconds;           /* under 1 KiB/s this long is a timeout; 0: 30 */
    /* Response, filled by the transfer. */
    long status;
    strbuf resp;                  /* body (or error body when sink_fd is used) */
    uint64_t sink_written;
    char etag[256];
    char request_id[128];
    char content_range[128];
    char sse[64];                 /* x-amz-server-side-encryption */
    char checksum_crc32[64];      /* x-amz-checksum-crc32 ("BASE64" or "BASE64-N") */
    int64_t content_length;       /* -1 when absent */
    CURLcode curl_rc;
    char curl_err[CURL_ERROR_SIZE];
    /* private */
    uint64_t body_pos;
    int sink_failed;
    unsigned char *stage;         /* aligned staging buffer for sink_direct_fd */
    size_t stage_len;             /* bytes staged: the body's [sink_written - stage_len,
                                     sink_written) */
    int staging;                  /* this body goes through stage: -1 not decided yet */
} http_xfer;

void http_xfer_init(http_xfer *x);
/* Resets the response fields and configures the easy handle for the request fields; 0/-1. */
int  http_xfer_prepare(http_xfer *x);
/* Runs a prepared transfer to the end. 0 when an HTTP response arrived (any status), -1 on a
 * transport error (curl_rc/curl_err say which). */
int  http_xfer_perform(http_xfer *x);
/* After a transfer driven by curl multi: fills curl_rc/status from the finished handle. */
void http_xfer_finish(http_xfer *x, CURLcode rc);
void http_xfer_cleanup(http_xfer *x);

/* Appends "Name: value" to *list; 0/-1. */
int http_add_header(struct curl_slist **list, const char *name, const char *value);

/* The CA bundle path in use, or NULL when the embedded bundle is used. */
const char *http_ca_path(void);

/* The embedded bundle (uploader/ca_embedded.c): PEM text and its length (0: none). */
extern const char ca_embedded_pem[];
extern const size_t ca_embedded_pem_len;

#endif

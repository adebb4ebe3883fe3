/* Many signed requests at once over one curl multi handle (multipart parts, ranged GETs):
 * at most `parallel` in flight, each retried on its own with backoff, credentials fetched
 * (and refreshed) per attempt. The first request that fails for good stops the batch:
 * nothing new starts, transfers in flight are cancelled, its error is returned.
 *
 * Ownership: the caller owns the items and everything they point to. */
#ifndef UPLOADER_AWS_BATCH_H
#define UPLOADER_AWS_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "uploader/aws_send.h"

typedef struct aws_batch_item {
    aws_signed_req req;
    /* body: memory (body) or a file range (body_fd >= 0) */
    const char *body;
    size_t body_len;
    int body_fd;
    uint64_t body_off, body_size;
    /* 2xx body: to sink_fd at sink_off when >= 0, else dropped */
    int sink_fd;
    uint64_t sink_off;
    int sink_direct_fd;           /* the same file opened O_DIRECT, or -1 (see http_xfer) */
    /* results */
    char etag[256];
    uint64_t received;
    int done;
    /* private */
    int attempt;
    int cost;
    double not_before;
    int waiting;
} aws_batch_item;

/* Called once per item just before its first attempt (e.g. to hash a part): 0 or -1 (err
 * filled) to fail the batch. */
typedef int (*aws_batch_start_fn)(void *ud, aws_batch_item *it, aws_error *err);
/* Called after a 2xx: 0 to accept, 1 (err filled) to send it again like a transient
 * failure (e.g. the server stored other bytes than were sent), -1 (err filled) to fail the
 * batch. */
typedef int (*aws_batch_check_fn)(void *ud, aws_batch_item *it, const http_xfer *x,
                                  aws_error *err);

void aws_batch_item_init(aws_batch_item *it);
int  aws_batch_run(aws_session *s, aws_batch_item *items, size_t n, int parallel,
                   aws_batch_start_fn start, aws_batch_check_fn check, void *ud,
                   aws_error *err);

#endif

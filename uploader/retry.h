/* Retries as the AWS SDKs' "standard" mode does them: what to retry (throttling, 5xx,
 * timeouts, connection failures; never a 4xx that cannot succeed), how long to wait
 * (exponential backoff with full jitter, capped at 20 s) and a retry budget shared by all
 * requests of a session, so that a dead endpoint does not multiply traffic.
 *
 * The quota is the session's; it is thread-safe. */
#ifndef UPLOADER_RETRY_H
#define UPLOADER_RETRY_H

#include <pthread.h>

enum retry_kind {
    RETRY_NO = 0,      /* success, or an error that will not go away by itself */
    RETRY_TRANSIENT,   /* 5xx, timeouts, resets */
    RETRY_THROTTLE,    /* the service asked us to slow down */
    RETRY_TIMEOUT,     /* a transport timeout: costs more of the budget */
};

typedef struct retry_quota {
    pthread_mutex_t mu;
    int tokens;
} retry_quota;

#define RETRY_QUOTA_INITIAL 500
#define RETRY_COST 5
#define RETRY_TIMEOUT_COST 10
#define RETRY_MAX_BACKOFF 20.0

void retry_quota_init(retry_quota *q);
void retry_quota_destroy(retry_quota *q);
/* Takes the cost of one retry of this kind; returns it (> 0) or 0 when the budget is
 * spent (then do not retry). */
int  retry_quota_acquire(retry_quota *q, enum retry_kind kind);
/* After a success: gives back what the retry cost, or 1 token for a first-try success. */
void retry_quota_release(retry_quota *q, int cost);

/* Classifies one attempt's outcome: an HTTP status (0 when none arrived), libcurl's code
 * and the AWS error code from the body (or ""). */
enum retry_kind retry_classify(long status, int curl_code, const char *aws_code);

/* Seconds to wait before retry number `attempt` (0 for the first retry): a uniform random
 * value in [0, min(2^attempt, 20)). */
double retry_backoff(int attempt);

#endif

#include "uploader/retry.h"

#include <curl/curl.h>
#include <openssl/rand.h>
#include <string.h>

void retry_quota_init(retry_quota *q)
{
    pthread_mutex_init(&q->mu, NULL);
    q->tokens = RETRY_QUOTA_INITIAL;
}

void retry_quota_destroy(retry_quota *q) { pthread_mutex_destroy(&q->mu); }

int retry_quota_acquire(retry_quota *q, enum retry_kind kind)
{
    int cost = kind == RETRY_TIMEOUT ? RETRY_TIMEOUT_COST : RETRY_COST;
    pthread_mutex_lock(&q->mu);
    int ok = q->tokens >= cost;
    if (ok)
        q->tokens -= cost;
    pthread_mutex_unlock(&q->mu);
    return ok ? cost : 0;
}

void retry_quota_release(retry_quota *q, int cost)
{
    pthread_mutex_lock(&q->mu);
    q->tokens += cost > 0 ? cost : 1;
    if (q->tokens > RETRY_QUOTA_INITIAL)
        q->tokens = RETRY_QUOTA_INITIAL;
    pthread_mutex_unlock(&q->mu);
}

static int in_list(const char *code, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(code, *list) == 0)
            return 1;
    return 0;
}

static const char *const throttle_codes[] = {
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "ProvisionedThroughputExceededException",
    "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
    "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
    "EC2ThrottledException", NULL,
};

static const char *const transient_codes[] = {
    "RequestTimeout", "RequestTimeoutException", "InternalError", "InternalFailure",
    "ServiceUnavailable", "IDPCommunicationError", NULL,
};

static enum retry_kind classify_transport(int curl_code)
{
    switch (curl_code) {
    case CURLE_OPERATION_TIMEDOUT:
        return RETRY_TIMEOUT;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return RETRY_TRANSIENT;
    default:
        /* Local failures (a file that cannot be read or written, bad options) repeat. */
        return RETRY_NO;
    }
}

enum retry_kind retry_classify(long status, int curl_code, const char *aws_code)
{
    if (curl_code != CURLE_OK)
        return classify_transport(curl_code);
    if (status >= 200 && status < 300)
        return RETRY_NO;
    const char *code = aws_code ? aws_code : "";
    if (status == 429 || in_list(code, throttle_codes))
        return RETRY_THROTTLE;
    if (in_list(code, transient_codes))
        return RETRY_TRANSIENT;
    if (status == 500 || status == 502 || status == 503 || status == 504)
        return RETRY_TRANSIENT;
    return RETRY_NO;
}

double retry_backoff(int attempt)
{
    unsigned int r = 0;
    /* Jitter needs no secrecy, but RAND_bytes is already linked and thread-safe. */
    if (RAND_bytes((unsigned char *)&r, sizeof r) != 1)
        r = 0x80000000u;
    double cap = 1.0;
    for (int i = 0; i < attempt && cap < RETRY_MAX_BACKOFF; i++)
        cap *= 2;
    if (cap > RETRY_MAX_BACKOFF)
        cap = RETRY_MAX_BACKOFF;
    return cap * ((double)r / 4294967296.0);
}

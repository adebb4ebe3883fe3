#include "uploader/aws_batch.h"

#include <stdlib.h>
#include <string.h>

#include "common/timeutil.h"
#include "uploader/aws_error.h"

typedef struct slot {
    http_xfer x;
    aws_batch_item *item;     /* NULL when free */
    strbuf url;
    struct curl_slist *headers;
} slot;

typedef struct batch {
    aws_session *s;
    aws_batch_item *items;
    size_t n, next_new, done, waiting;
    slot *slots;
    int parallel, running;
    CURLM *multi;
    aws_batch_start_fn start;
    aws_batch_check_fn check;
    void *ud;
    int failed;
} batch;

void aws_batch_item_init(aws_batch_item *it)
{
    memset(it, 0, sizeof *it);
    it->body_fd = -1;
    it->sink_fd = -1;
    it->sink_direct_fd = -1;
}

static void load_item(http_xfer *x, const aws_batch_item *it)
{
    x->body = it->body;
    x->body_len = it->body_len;
    x->body_fd = it->body_fd;
    x->body_off = it->body_off;
    x->body_size = it->body_size;
    x->sink_fd = it->sink_fd;
    x->sink_off = it->sink_off;
    x->sink_direct_fd = it->sink_direct_fd;
}

static int launch(batch *b, slot *sl, aws_batch_item *it, aws_error *err)
{
    if (it->attempt == 0 && b->start && b->start(b->ud, it, err) < 0)
        return -1;
    load_item(&sl->x, it);
    sl->x.stall_seconds = aws_session_stall_seconds(b->s);
    if (aws_sign_into(b->s, &it->req, &sl->x, &sl->url, &sl->headers, err) < 0)
        return -1;
    if (http_xfer_prepare(&sl->x) < 0 || curl_multi_add_handle(b->multi, sl->x.easy) != CURLM_OK) {
        aws_error_set(err, "%s: cannot start the transfer", it->req.what);
        return -1;
    }
    sl->item = it;
    b->running++;
    return 0;
}

/* The next item to start: a retry whose wait is over, else a new one. */
static aws_batch_item *next_item(batch *b, double now)
{
    if (b->waiting)
        for (size_t i = 0; i < b->next_new; i++) {
            aws_batch_item *it = &b->items[i];
            if (it->waiting && it->not_before <= now) {
                it->waiting = 0;
                b->waiting--;
                return it;
            }
        }
    return b->next_new < b->n ? &b->items[b->next_new++] : NULL;
}

static int fill_slots(batch *b, aws_error *err)
{
    double now = mono_seconds();
    for (int i = 0; i < b->parallel && !b->failed; i++) {
        if (b->slots[i].item)
            continue;
        aws_batch_item *it = next_item(b, now);
        if (!it)
            break;
        if (launch(b, &b->slots[i], it, err) < 0)
            b->failed = 1;
    }
    return b->failed ? -1 : 0;
}

static void release_slot(batch *b, slot *sl)
{
    curl_multi_remove_handle(b->multi, sl->x.easy);
    curl_slist_free_all(sl->headers);
    sl->headers = NULL;
    sl->x.headers = NULL;
    sl->item = NULL;
    b->running--;
}

static void schedule_retry(batch *b, aws_batch_item *it)
{
    it->not_before = mono_seconds() + retry_backoff(it->attempt);
    it->attempt++;
    it->waiting = 1;
    b->waiting++;
}

/* A 2xx whose content the caller rejected as transient: retried within the same limits. */
static int may_retry_rejected(batch *b, aws_batch_item *it, aws_error *err)
{
    if (it->attempt + 1 >= aws_session_max_attempts(b->s))
        return 0;
    it->cost = retry_quota_acquire(aws_session_quota(b->s), RETRY_TRANSIENT);
    return it->cost > 0;
}

static void finished(batch *b, slot *sl, CURLcode rc, aws_error *err)
{
    aws_batch_item *it = sl->item;
    http_xfer *x = &sl->x;
    http_xfer_finish(x, rc);
    if (x->curl_rc == CURLE_OK && x->status >= 200 && x->status < 300) {
        snprintf(it->etag, sizeof it->etag, "%s", x->etag);
        it->received = x->sink_written;
        int verdict = b->check ? b->check(b->ud, it, x, err) : 0;
        if (verdict == 0) {
            retry_quota_release(aws_session_quota(b->s), it->cost);
            it->done = 1;
            b->done++;
        } else if (verdict > 0 && may_retry_rejected(b, it, err)) {
            schedule_retry(b, it);
        } else {
            b->failed = 1;
        }
    } else if (aws_attempt_failed(b->s, &it->req, x, it->attempt, &it->cost, err)) {
        schedule_retry(b, it);
    } else {
        b->failed = 1;
    }
    release_slot(b, sl);
}

static void drain_messages(batch *b, aws_error *err)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(b->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        for (int i = 0; i < b->parallel; i++)
            if (b->slots[i].item && b->slots[i].x.easy == m->easy_handle) {
                /* Keep the first failure's error: later ones are consequences. */
                aws_error scratch;
                finished(b, &b->slots[i], m->data.result, b->failed ? &scratch : err);
                break;
            }
    }
}

static int batch_loop(batch *b, aws_error *err)
{
    while (!b->failed && b->done < b->n) {
        if (fill_slots(b, err) < 0)
            break;
        int still = 0;
        curl_multi_perform(b->multi, &still);
        drain_messages(b, err);
        if (b->failed || b->done == b->n)
            break;
        /* Nothing running means every remaining item waits for its backoff. */
        int timeout_ms = b->running ? 200 : 20;
        curl_multi_poll(b->multi, NULL, 0, timeout_ms, NULL);
    }
    return b->failed ? -1 : 0;
}

int aws_batch_run(aws_session *s, aws_batch_item *items, size_t n, int parallel,
                  aws_batch_start_fn start, aws_batch_check_fn check, void *ud, aws_error *err)
{
    memset(err, 0, sizeof *err);
    if (n == 0)
        return 0;
    batch b = { .s = s, .items = items, .n = n, .start = start, .check = check, .ud = ud };
    b.parallel = parallel < 1 ? 1 : (size_t)parallel > n ? (int)n : parallel;
    b.slots = calloc((size_t)b.parallel, sizeof *b.slots);
    http_ca_path();   /* curl's global init, once, before the first handle */
    b.multi = curl_multi_init();
    if (!b.slots || !b.multi) {
        free(b.slots);
        if (b.multi)
            curl_multi_cleanup(b.multi);
        aws_error_set(err, "out of memory");
        return -1;
    }
    for (int i = 0; i < b.parallel; i++)
        http_xfer_init(&b.slots[i].x);
    int rc = batch_loop(&b, err);
    for (int i = 0; i < b.parallel; i++) {
        if (b.slots[i].item)
            release_slot(&b, &b.slots[i]);
        http_xfer_cleanup(&b.slots[i].x);
        sb_free(&b.slots[i].url);
    }
    curl_multi_cleanup(b.multi);
    free(b.slots);
    return rc;
}

/* ListObjectsV2, page after page (continuation tokens), each object handed to a callback. */
#include <stdlib.h>
#include <string.h>

#include "uploader/aws_error.h"
#include "uploader/s3_internal.h"
#include "uploader/s3_xml.h"
#include "uploader/sigv4.h"

static char *list_query(const char *prefix, const char *token, int max_keys)
{
    strbuf q = STRBUF_INIT;
    if (token) {
        char *t = sigv4_uri_encode(token, strlen(token), 0);
        sb_printf(&q, "continuation-token=%s&", t ? t : "");
        free(t);
    }
    sb_printf(&q, "list-type=2&max-keys=%d", max_keys);
    if (prefix && *prefix) {
        char *p = sigv4_uri_encode(prefix, strlen(prefix), 0);
        sb_printf(&q, "&prefix=%s", p ? p : "");
        free(p);
    }
    return sb_detach(&q);
}

/* One page: 0, or -1 with err filled. */
static int list_page(s3_client *c, const s3_target *t, const char *prefix, const char *token,
                     s3_list_page *page, aws_error *err)
{
    char *query = list_query(prefix, token, c->max_keys);
    if (!query) {
        aws_error_set(err, "%s: out of memory", t->what.buf);
        return -1;
    }
    aws_signed_req req = s3_request(t, "GET", query, NULL, 0, SIGV4_EMPTY_SHA256);
    http_xfer x;
    http_xfer_init(&x);
    int rc = aws_send(c->session, &req, &x, err);
    if (rc == 0 && s3_xml_parse_list(x.resp.buf, x.resp.len, page) < 0) {
        aws_error_set(err, "%s: unreadable ListObjectsV2 answer", t->what.buf);
        rc = -1;
    }
    http_xfer_cleanup(&x);
    free(query);
    return rc;
}

int s3_list(s3_client *c, const char *bucket, const char *prefix, s3_list_cb cb, void *ud,
            aws_error *err)
{
    memset(err, 0, sizeof *err);
    s3_target t;
    if (s3_target_make(c, "LIST", bucket, "", &t) < 0) {
        aws_error_set(err, "LIST s3://%s/%s: out of memory", bucket, prefix ? prefix : "");
        return -1;
    }
    sb_puts(&t.what, prefix ? prefix : "");
    char *token = NULL;
    int rc = 0;
    do {
        s3_list_page page;
        if (list_page(c, &t, prefix, token, &page, err) < 0) {
            rc = -1;
            break;
        }
        for (size_t i = 0; i < page.n && rc == 0; i++) {
            s3_object_info info = { page.items[i].key, page.items[i].size,
                                    page.items[i].etag ? page.items[i].etag : "",
                                    page.items[i].last_modified ? page.items[i].last_modified
                                                                : "" };
            rc = cb(&info, ud);
        }
        free(token);
        token = page.truncated && page.next_token ? strdup(page.next_token) : NULL;
        s3_list_page_free(&page);
    } while (rc == 0 && token);
    free(token);
    s3_target_free(&t);
    return rc;
}

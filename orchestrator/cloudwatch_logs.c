/* CloudWatch Logs: a log stream's tail into a file (see cloudwatch_logs.h). */
#include "orchestrator/cloudwatch_logs.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "common/timeutil.h"

char *cwl_build_get_log_events(const char *group, const char *stream, int limit,
                               const char *next_token)
{
    json_t *o = json_pack("{s:s, s:s, s:b, s:i}", "logGroupName", group, "logStreamName",
                          stream, "startFromHead", 0, "limit", limit > 0 ? limit : 10000);
    if (!o)
        return NULL;
    if (next_token && json_object_set_new(o, "nextToken", json_string(next_token)) != 0) {
        json_decref(o);
        return NULL;
    }
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return s;
}

int cwl_parse_log_events(const char *body, strbuf *out, size_t *n_events)
{
    *n_events = 0;
    json_error_t jerr;
    json_t *root = body ? json_loads(body, 0, &jerr) : NULL;
    json_t *events = json_object_get(root, "events");
    if (!json_is_array(events)) {
        json_decref(root);
        return -1;
    }
    size_t i;
    json_t *ev;
    int rc = 0;
    json_array_foreach(events, i, ev) {
        json_t *ts = json_object_get(ev, "timestamp");
        const char *msg = json_string_value(json_object_get(ev, "message"));
        if (!msg)
            continue;
        char when[32] = "-";
        double secs = json_is_number(ts) ? json_number_value(ts) / 1000.0 : -1;
        if (secs >= 0 && secs < 253402300800.0)   /* up to 9999-12-31: a time_t and a tm */
            format_rfc3339_ms(secs, when, sizeof when);
        size_t len = strlen(msg);
        /* One event per line: the service keeps a trailing newline when the writer sent one. */
        while (len && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
            len--;
        if (sb_printf(out, "%s ", when) != 0 || sb_append(out, msg, len) != 0 ||
            sb_putc(out, '\n') != 0) {
            rc = -1;
            break;
        }
        (*n_events)++;
    }
    json_decref(root);
    return rc;
}

int cwl_save_stream_tail(aws_session *s, const char *group, const char *stream,
                         const char *path, aws_error *err)
{
    char *body = cwl_build_get_log_events(group, stream, 10000, NULL);
    if (!body) {
        memset(err, 0, sizeof *err);
        snprintf(err->message, sizeof err->message, "GetLogEvents: out of memory");
        return -1;
    }
    const aws_header headers[] = {
        { "Content-Type", "application/x-amz-json-1.1" },
        { "X-Amz-Target", "Logs_20140328.GetLogEvents" },
    };
    aws_request req = {
        .service = "logs", .method = "POST", .path = "/",
        .headers = headers, .n_headers = 2,
        .body = body, .body_len = strlen(body),
    };
    aws_response resp = { 0 };
    int rc = aws_call(s, &req, &resp, err);
    free(body);
    strbuf text = STRBUF_INIT;
    size_t n = 0;
    if (rc == 0 && cwl_parse_log_events(resp.body, &text, &n) != 0) {
        memset(err, 0, sizeof *err);
        snprintf(err->message, sizeof err->message,
                 "GetLogEvents %s/%s: unexpected response", group, stream);
        rc = -1;
    }
    aws_response_free(&resp);
    if (rc == 0 && write_file_atomic(path, sb_str(&text), text.len) != 0) {
        memset(err, 0, sizeof *err);
        snprintf(err->message, sizeof err->message, "writing %s: %s", path, strerror(errno));
        rc = -1;
    }
    sb_free(&text);
    return rc;
}

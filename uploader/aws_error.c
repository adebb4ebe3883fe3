#include "uploader/aws_error.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/strbuf.h"
#include "uploader/s3_xml.h"

static const char *json_str_any(json_t *obj, const char *const *names)
{
    for (; *names; names++) {
        const char *v = json_string_value(json_object_get(obj, *names));
        if (v)
            return v;
    }
    return NULL;
}

int aws_error_parse_json(const char *body, size_t len, char *code, size_t code_cap,
                         char *message, size_t message_cap)
{
    static const char *const code_keys[] = { "__type", "code", "Code", NULL };
    static const char *const msg_keys[] = { "message", "Message", "errorMessage", NULL };
    if (!body || len == 0)
        return -1;
    json_t *root = json_loadb(body, len, JSON_DISABLE_EOF_CHECK, NULL);
    if (!json_is_object(root)) {
        json_decref(root);
        return -1;
    }
    const char *c = json_str_any(root, code_keys);
    const char *m = json_str_any(root, msg_keys);
    int rc = -1;
    if (c && *c) {
        /* "__type" may be namespaced ("com.amazonaws.batch#ClientException") and some
         * services append ":http://..." after the code. */
        const char *hash = strrchr(c, '#');
        if (hash)
            c = hash + 1;
        size_t n = strcspn(c, ":");
        snprintf(code, code_cap, "%.*s", (int)(n < 1000 ? n : 1000), c);
        snprintf(message, message_cap, "%s", m ? m : "");
        rc = 0;
    }
    json_decref(root);
    return rc;
}

static const char *status_code_name(long status)
{
    switch (status) {
    case 301: return "PermanentRedirect";
    case 400: return "BadRequest";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 409: return "Conflict";
    case 412: return "PreconditionFailed";
    case 416: return "InvalidRange";
    case 429: return "TooManyRequests";
    case 500: return "InternalError";
    case 503: return "ServiceUnavailable";
    default: return "";
    }
}

void aws_error_from_response(aws_error *err, const char *what, long status, const char *body,
                             size_t len)
{
    char code[128] = "", msg[400] = "";
    if (s3_xml_parse_error(body, len, code, sizeof code, msg, sizeof msg) < 0 &&
        aws_error_parse_json(body, len, code, sizeof code, msg, sizeof msg) < 0) {
        snprintf(code, sizeof code, "%s", status_code_name(status));
        msg[0] = '\0';
    }
    err->http_status = status;
    snprintf(err->code, sizeof err->code, "%s", code);
    strbuf sb = STRBUF_INIT;
    sb_printf(&sb, "%s: HTTP %ld%s%s%s%s", what, status, code[0] ? " " : "", code,
              msg[0] ? ": " : "", msg);
    snprintf(err->message, sizeof err->message, "%s", sb_str(&sb));
    sb_free(&sb);
}

void aws_error_from_transport(aws_error *err, const char *what, const char *detail)
{
    err->http_status = 0;
    snprintf(err->code, sizeof err->code, "%s", "TransportError");
    strbuf sb = STRBUF_INIT;
    sb_printf(&sb, "%s: %s", what, detail);
    snprintf(err->message, sizeof err->message, "%s", sb_str(&sb));
    sb_free(&sb);
}

void aws_error_set(aws_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    err->http_status = 0;
    err->code[0] = '\0';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

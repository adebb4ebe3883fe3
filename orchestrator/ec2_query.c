#include "orchestrator/ec2_query.h"

#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ec2_query_param(strbuf *sb, const char *key, const char *value)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = sb_printf(sb, "%s%s=", sb->len ? "&" : "", key);
    for (const unsigned char *p = (const unsigned char *)value; rc == 0 && *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~')
            rc = sb_putc(sb, (char)*p);
        else
            rc = sb_printf(sb, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
    }
    return rc;
}

int ec2_query_call(aws_session *s, const char *action, const char *form, aws_response *resp,
                   char *err, size_t errlen)
{
    static const aws_header headers[] = {
        { "Content-Type", "application/x-www-form-urlencoded; charset=utf-8" },
    };
    aws_request req = { .service = "ec2", .method = "POST", .path = "/",
                        .headers = headers, .n_headers = 1,
                        .body = form, .body_len = strlen(form) };
    aws_error aerr;
    memset(resp, 0, sizeof *resp);
    if (aws_call(s, &req, resp, &aerr) != 0) {
        snprintf(err, errlen, "EC2 %s failed: %s%s%s", action, aerr.code,
                 aerr.code[0] ? ": " : "", aerr.message);
        return -1;
    }
    return 0;
}

#define MAX_PATH 2048
#define MAX_TEXT 65536
#define MAX_DEPTH 256

typedef struct walker {
    XML_Parser parser;
    char path[MAX_PATH];
    size_t path_len;
    size_t mark[MAX_DEPTH];   /* path length before each open element */
    strbuf text[MAX_DEPTH];   /* each open element's own text */
    int depth;
    xml_end_fn fn;
    void *ud;
    char problem[128];
} walker;

static void stop(walker *w, const char *why)
{
    if (!w->problem[0])
        snprintf(w->problem, sizeof w->problem, "%s", why);
    XML_StopParser(w->parser, XML_FALSE);
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    walker *w = ud;
    size_t n = strlen(name);
    if (w->depth >= MAX_DEPTH || w->path_len + n + 2 > MAX_PATH) {
        stop(w, "XML nested too deeply");
        return;
    }
    w->mark[w->depth] = w->path_len;
    sb_reset(&w->text[w->depth]);
    w->depth++;
    w->path[w->path_len++] = '/';
    memcpy(w->path + w->path_len, name, n + 1);
    w->path_len += n;
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    walker *w = ud;
    if (w->depth <= 0)
        return;
    int d = w->depth - 1;
    if (w->fn(w->ud, w->path, sb_str(&w->text[d])) != 0) {
        stop(w, "stopped by the reader");
        return;
    }
    w->depth = d;
    w->path_len = w->mark[d];
    w->path[w->path_len] = '\0';
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    walker *w = ud;
    if (w->depth <= 0)
        return;
    strbuf *t = &w->text[w->depth - 1];
    if (t->len + (size_t)len > MAX_TEXT || sb_append(t, s, (size_t)len) != 0)
        stop(w, "XML element text too long");
}

int xml_walk(const char *xml, size_t len, xml_end_fn fn, void *ud, char *err, size_t errlen)
{
    walker *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    w->fn = fn;
    w->ud = ud;
    w->parser = XML_ParserCreate(NULL);
    int rc = -1;
    if (!w->parser) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    XML_SetUserData(w->parser, w);
    XML_SetElementHandler(w->parser, on_start, on_end);
    XML_SetCharacterDataHandler(w->parser, on_text);
    if (len > (size_t)0x7fffffff) {
        snprintf(err, errlen, "XML document too large");
        goto out;
    }
    if (XML_Parse(w->parser, xml, (int)len, XML_TRUE) != XML_STATUS_OK) {
        if (w->problem[0])
            snprintf(err, errlen, "%s", w->problem);
        else
            snprintf(err, errlen, "malformed XML at line %lu: %s",
                     (unsigned long)XML_GetCurrentLineNumber(w->parser),
                     XML_ErrorString(XML_GetErrorCode(w->parser)));
        goto out;
    }
    rc = 0;
out:
    if (w->parser)
        XML_ParserFree(w->parser);
    for (int i = 0; i < MAX_DEPTH; i++)
        sb_free(&w->text[i]);
    free(w);
    return rc;
}

/* A JSON text writer in the layout of jansson's JSON_INDENT(2), the layout summary.json
 * has always had: one member per line, "key": value, empty containers as {} and [].
 * Strings are escaped as jansson escapes them; invalid UTF-8 becomes U+FFFD, so the text
 * is always valid JSON. It appends to one growing buffer instead of building a tree of
 * allocated values first, which under musl's allocator cost the monitor ~0.1 ms per run.
 *
 * Ownership: the text is in the caller's strbuf. */
#ifndef MONITOR_JSON_OUT_H
#define MONITOR_JSON_OUT_H

#include "common/strbuf.h"

#define JSON_OUT_MAX_DEPTH 16

typedef struct json_out {
    strbuf *sb;
    int depth;                           /* open containers */
    int members[JSON_OUT_MAX_DEPTH];     /* written so far in each */
    char closer[JSON_OUT_MAX_DEPTH];     /* '}' or ']' */
    int failed;                          /* out of memory or nesting too deep */
} json_out;

void json_out_init(json_out *j, strbuf *sb);
/* Every value call takes KEY inside an object and NULL inside an array or at the top. */
void json_out_open(json_out *j, const char *key, char bracket);   /* '{' or '[' */
void json_out_close(json_out *j);
void json_out_string(json_out *j, const char *key, const char *s); /* NULL: null */
void json_out_int(json_out *j, const char *key, long long v);
void json_out_real(json_out *j, const char *key, double v);         /* not finite: null */
void json_out_null(json_out *j, const char *key);
/* 0 when the text is complete, -1 when something failed on the way. */
int  json_out_status(const json_out *j);

/* Appends S as a quoted JSON string. 0 or -1 (out of memory). */
int  json_out_quote(strbuf *sb, const char *s);

#endif

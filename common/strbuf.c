#include "common/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sb_reserve(strbuf *sb, size_t extra)
{
    if (sb->len + extra + 1 <= sb->cap)
        return 0;
    size_t cap = sb->cap ? sb->cap : 64;
    while (cap < sb->len + extra + 1) {
        if (cap > ((size_t)-1) / 2)
            return -1;
        cap *= 2;
    }
    char *p = realloc(sb->buf, cap);
    if (!p)
        return -1;
    sb->buf = p;
    sb->cap = cap;
    sb->buf[sb->len] = '\0'; /* a buffer that has memory is always a C string */
    return 0;
}

int sb_append(strbuf *sb, const void *data, size_t n)
{
    if (sb_reserve(sb, n) < 0)
        return -1;
    if (n)
        memcpy(sb->buf + sb->len, data, n);
    sb->len += n;
    sb->buf[sb->len] = '\0';
    return 0;
}

int sb_puts(strbuf *sb, const char *s) { return sb_append(sb, s, strlen(s)); }
int sb_putc(strbuf *sb, char c) { return sb_append(sb, &c, 1); }

int sb_vprintf(strbuf *sb, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || sb_reserve(sb, (size_t)n) < 0)
        return -1;
    vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
    sb->len += (size_t)n;
    return 0;
}

int sb_printf(strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = sb_vprintf(sb, fmt, ap);
    va_end(ap);
    return r;
}

void sb_reset(strbuf *sb)
{
    sb->len = 0;
    if (sb->buf)
        sb->buf[0] = '\0';
}

char *sb_detach(strbuf *sb)
{
    char *p = sb->buf ? sb->buf : calloc(1, 1);
    sb->buf = NULL;
    sb->len = sb->cap = 0;
    return p;
}

void sb_free(strbuf *sb)
{
    free(sb->buf);
    sb->buf = NULL;
    sb->len = sb->cap = 0;
}

const char *sb_str(const strbuf *sb) { return sb->buf ? sb->buf : ""; }

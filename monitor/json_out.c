#include "monitor/json_out.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void json_out_init(json_out *j, strbuf *sb)
{
    memset(j, 0, sizeof *j);
    j->sb = sb;
}

static void put(json_out *j, const char *s, size_t n)
{
    if (sb_append(j->sb, s, n) < 0)
        j->failed = 1;
}

static void indent(json_out *j, int levels)
{
    static const char spaces[] = "                                ";
    put(j, "\n", 1);
    for (int n = levels * 2; n > 0; n -= (int)sizeof spaces - 1)
        put(j, spaces, (size_t)(n < (int)sizeof spaces - 1 ? n : (int)sizeof spaces - 1));
}

/* What comes before a value: the separator from the previous member, the line break
 * and indentation, and the key. */
static void member(json_out *j, const char *key)
{
    if (j->depth == 0)
        return;
    if (j->members[j->depth - 1]++ > 0)
        put(j, ",", 1);
    indent(j, j->depth);
    if (key) {
        if (json_out_quote(j->sb, key) < 0)
            j->failed = 1;
        put(j, ": ", 2);
    }
}

void json_out_open(json_out *j, const char *key, char bracket)
{
    member(j, key);
    put(j, &bracket, 1);
    if (j->depth == JSON_OUT_MAX_DEPTH) {
        j->failed = 1;
        return;
    }
    j->closer[j->depth] = bracket == '[' ? ']' : '}';
    j->members[j->depth++] = 0;
}

void json_out_close(json_out *j)
{
    if (j->depth == 0) {
        j->failed = 1;
        return;
    }
    j->depth--;
    if (j->members[j->depth] > 0)
        indent(j, j->depth);
    put(j, &j->closer[j->depth], 1);
}

void json_out_string(json_out *j, const char *key, const char *s)
{
    if (!s) {
        json_out_null(j, key);
        return;
    }
    member(j, key);
    if (json_out_quote(j->sb, s) < 0)
        j->failed = 1;
}

void json_out_int(json_out *j, const char *key, long long v)
{
    member(j, key);
    if (sb_printf(j->sb, "%lld", v) < 0)
        j->failed = 1;
}

/* As jansson writes reals: %.12g, always with a '.' or an exponent (so a reader keeps it
 * a real), exponents without '+' or leading zeros. */
void json_out_real(json_out *j, const char *key, double v)
{
    if (!isfinite(v)) {
        json_out_null(j, key);
        return;
    }
    char buf[48];
    snprintf(buf, sizeof buf, "%.12g", v);
    char *e = strchr(buf, 'e');
    if (!e && !strchr(buf, '.')) {
        strcat(buf, ".0");
    } else if (e) {
        char *d = e + 1, *s = e + 1;
        if (*s == '-')
            *d++ = *s++;
        else if (*s == '+')
            s++;
        while (*s == '0' && s[1])
            s++;
        memmove(d, s, strlen(s) + 1);
    }
    member(j, key);
    put(j, buf, strlen(buf));
}

void json_out_null(json_out *j, const char *key)
{
    member(j, key);
    put(j, "null", 4);
}

int json_out_status(const json_out *j) { return j->failed || j->depth != 0 ? -1 : 0; }

/* The length of the valid UTF-8 sequence at s (n bytes left), or 0 when it is not one
 * (overlong forms, surrogates and code points above U+10FFFF are not). */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, cp = c & 0x07;
    else
        return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

int json_out_quote(strbuf *sb, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str);
    if (sb_reserve(sb, n + 2) < 0 || sb_putc(sb, '"') < 0)
        return -1;
    size_t run = 0; /* bytes copied as they are, flushed in one append */
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        const char *esc = NULL;
        char u[8];
        size_t len = utf8_sequence(s + i, n - i);
        if (len == 0) {
            esc = "\xEF\xBF\xBD"; /* U+FFFD for a byte that is not UTF-8 */
            len = 1;
        } else if (c == '"') {
            esc = "\\\"";
        } else if (c == '\\') {
            esc = "\\\\";
        } else if (c < 0x20) {
            switch (c) {
            case '\b': esc = "\\b"; break;
            case '\f': esc = "\\f"; break;
            case '\n': esc = "\\n"; break;
            case '\r': esc = "\\r"; break;
            case '\t': esc = "\\t"; break;
            default:
                snprintf(u, sizeof u, "\\u%04X", c);
                esc = u;
            }
        }
        if (!esc) {
            run += len;
            i += len;
            continue;
        }
        if ((run && sb_append(sb, s + i - run, run) < 0) || sb_puts(sb, esc) < 0)
            return -1;
        run = 0;
        i += len;
    }
    if (run && sb_append(sb, s + n - run, run) < 0)
        return -1;
    return sb_putc(sb, '"');
}

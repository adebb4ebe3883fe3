#include "monitor/procfs_parse.h"

#include <stdlib.h>
#include <string.h>

int scan_u64(const char **p, const char *end, uint64_t *out)
{
    const char *s = *p;
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    if (s >= end || *s < '0' || *s > '9')
        return -1;
    uint64_t v = 0;
    while (s < end && *s >= '0' && *s <= '9') {
        uint64_t d = (uint64_t)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            v = UINT64_MAX; /* saturate rather than wrap */
        else
            v = v * 10 + d;
        s++;
    }
    *p = s;
    *out = v;
    return 0;
}

/* Skips one blank-separated field (possibly signed number). */
static int skip_field(const char **p, const char *end)
{
    const char *s = *p;
    while (s < end && *s == ' ')
        s++;
    if (s >= end)
        return -1;
    while (s < end && *s != ' ' && *s != '\n')
        s++;
    *p = s;
    return 0;
}

/* Reads a field that may be negative (cutime and friends are signed in the kernel's
 * format); negatives read as 0. */
static int scan_signed_as_u64(const char **p, const char *end, uint64_t *out)
{
    const char *s = *p;
    while (s < end && *s == ' ')
        s++;
    if (s < end && *s == '-') {
        *p = s + 1;
        uint64_t ignored;
        if (scan_u64(p, end, &ignored) < 0)
            return -1;
        *out = 0;
        return 0;
    }
    *p = s;
    return scan_u64(p, end, out);
}

int parse_proc_stat(const char *buf, size_t len, proc_stat_fields *out)
{
    const char *end = buf + len;
    /* comm may hold spaces and ')': the fields start after the last ')'. */
    const char *rp = NULL;
    for (const char *s = buf; s < end; s++)
        if (*s == ')')
            rp = s;
    if (!rp || rp + 2 >= end)
        return -1;
    const char *p = rp + 2;
    memset(out, 0, sizeof *out);
    out->state = *p++;
    uint64_t v[22];
    /* fields 4..24 of proc(5): ppid .. rss */
    for (int f = 4; f <= 24; f++) {
        if (f == 4 || (f >= 14 && f <= 17) || f == 20 || f == 22 || f == 24) {
            if (scan_signed_as_u64(&p, end, &v[f - 4]) < 0)
                return -1;
        } else if (skip_field(&p, end) < 0) {
            return -1;
        }
    }
    out->ppid = (int)v[0];
    out->utime = v[14 - 4];
    out->stime = v[15 - 4];
    out->cutime = v[16 - 4];
    out->cstime = v[17 - 4];
    out->num_threads = v[20 - 4];
    out->starttime = v[22 - 4];
    out->rss_pages = v[24 - 4];
    return 0;
}

int parse_keyed_u64(const char *buf, size_t len, const char *key, uint64_t *out)
{
    size_t klen = strlen(key);
    const char *end = buf + len;
    const char *line = buf;
    while (line < end) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        const char *lend = nl ? nl : end;
        if ((size_t)(lend - line) > klen && memcmp(line, key, klen) == 0 &&
            (line[klen] == ' ' || line[klen] == ':' || line[klen] == '\t')) {
            const char *p = line + klen;
            while (p < lend && (*p == ' ' || *p == ':' || *p == '\t'))
                p++;
            if (scan_u64(&p, lend, out) == 0)
                return 0;
        }
        line = lend + 1;
    }
    return -1;
}

int parse_proc_io(const char *buf, size_t len, proc_io_fields *out)
{
    memset(out, 0, sizeof *out);
    int found = 0;
    found += parse_keyed_u64(buf, len, "rchar", &out->rchar) == 0;
    found += parse_keyed_u64(buf, len, "wchar", &out->wchar) == 0;
    found += parse_keyed_u64(buf, len, "read_bytes", &out->read_bytes) == 0;
    found += parse_keyed_u64(buf, len, "write_bytes", &out->write_bytes) == 0;
    return found ? 0 : -1;
}

int parse_psi_some_avg10(const char *buf, size_t len, double *out)
{
    const char *end = buf + len;
    if (len < 5 || memcmp(buf, "some ", 5) != 0)
        return -1;
    const char *nl = memchr(buf, '\n', len);
    const char *lend = nl ? nl : end;
    for (const char *s = buf; s + 6 <= lend; s++) {
        if (memcmp(s, "avg10=", 6) != 0)
            continue;
        const char *p = s + 6;
        uint64_t ip = 0, fp = 0;
        if (scan_u64(&p, lend, &ip) < 0)
            return -1;
        double frac = 0, scale = 1;
        if (p < lend && *p == '.') {
            p++;
            while (p < lend && *p >= '0' && *p <= '9' && scale < 1e9) {
                fp = fp * 10 + (uint64_t)(*p - '0');
                scale *= 10;
                p++;
            }
            frac = (double)fp / scale;
        }
        *out = (double)ip + frac;
        return 0;
    }
    return -1;
}

int kept_figure_due(const kept_figure *k, double now, double period, int force)
{
    return force || !k->have || now - k->read_at >= period;
}

void kept_figure_set(kept_figure *k, double now, double value)
{
    k->value = value;
    k->read_at = now;
    k->have = 1;
}

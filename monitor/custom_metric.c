#include "monitor/custom_metric.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/fileio.h"

/* Only the tail is read from a bigger file: the last number is the one that counts. */
#define MAX_READ (1024 * 1024)

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

/* A whole token as a finite number. */
static int token_number(const char *s, size_t n, double *out)
{
    char tmp[64];
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    /* strtod also takes "nan", "inf" and hex floats: insist on a plain decimal form */
    for (size_t i = 0; i < n; i++) {
        char c = tmp[i];
        if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E'))
            return -1;
    }
    char *end;
    errno = 0;
    double v = strtod(tmp, &end);
    if (end != tmp + n || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

static int valid_name(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    char c = s[0];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'))
        return 0;
    for (size_t i = 0; i < n; i++) {
        c = s[i];
        if (c == '{') /* labels: taken as part of the name, up to the closing brace */
            return s[n - 1] == '}';
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == ':'))
            return 0;
    }
    return 1;
}

static int set_named(custom_metric *m, const char *name, size_t n, double v)
{
    for (size_t i = 0; i < m->n_named; i++) {
        if (strlen(m->named[i].name) == n && memcmp(m->named[i].name, name, n) == 0) {
            m->named[i].value = v; /* last wins for names too */
            return 0;
        }
    }
    named_metric *a = realloc(m->named, (m->n_named + 1) * sizeof *a);
    if (!a)
        return -1;
    m->named = a;
    char *copy = strndup(name, n);
    if (!copy)
        return -1;
    m->named[m->n_named].name = copy;
    m->named[m->n_named].value = v;
    m->n_named++;
    return 0;
}

/* The end of a token starting at s: blanks end it, except inside {labels="..."}. */
static const char *token_end(const char *s, const char *end)
{
    int in_braces = 0, in_quotes = 0;
    for (; s < end; s++) {
        if (in_quotes) {
            if (*s == '\\' && s + 1 < end)
                s++;
            else if (*s == '"')
                in_quotes = 0;
        } else if (*s == '"' && in_braces) {
            in_quotes = 1;
        } else if (*s == '{') {
            in_braces = 1;
        } else if (*s == '}') {
            in_braces = 0;
        } else if (!in_braces && is_space(*s)) {
            break;
        }
    }
    return s;
}

/* One line: bare numbers (the last one counts), or "name value [timestamp]". */
static int parse_line(const char *line, const char *end, custom_metric *m, int *bare_seen)
{
    while (line < end && is_space(*line))
        line++;
    if (line == end || *line == '#')
        return 0;
    const char *t1 = line, *e1 = token_end(t1, end);
    double v;
    if (token_number(t1, (size_t)(e1 - t1), &v) == 0) {
        /* a line of numbers: each is a bare value, the last one wins */
        for (const char *s = t1; s < end;) {
            const char *e = token_end(s, end);
            if (token_number(s, (size_t)(e - s), &v) == 0) { /* other words are ignored */
                m->value = v;
                *bare_seen = 1;
            }
            s = e;
            while (s < end && is_space(*s))
                s++;
        }
        return 0;
    }
    const char *t2 = e1;
    while (t2 < end && is_space(*t2))
        t2++;
    const char *e2 = token_end(t2, end);
    if (valid_name(t1, (size_t)(e1 - t1)) && token_number(t2, (size_t)(e2 - t2), &v) == 0)
        return set_named(m, t1, (size_t)(e1 - t1), v);
    return 0; /* a line that is neither: ignored */
}

int custom_metric_parse(const char *buf, size_t len, custom_metric *m)
{
    memset(m, 0, sizeof *m);
    const char *end = buf + len;
    int bare = 0, nonblank = 0;
    for (const char *line = buf; line < end;) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        const char *lend = nl ? nl : end;
        for (const char *s = line; s < lend; s++)
            if (!is_space(*s) && *s != '\0')
                nonblank = 1;
        if (parse_line(line, lend, m, &bare) < 0)
            return -1;
        line = lend + 1;
    }
    if (bare) {
        m->has_value = 1;
    } else if (m->n_named == 1) {
        m->has_value = 1;
        m->value = m->named[0].value;
    } else if (!nonblank) {
        snprintf(m->reason, sizeof m->reason, "the file is empty");
    } else if (m->n_named > 1) {
        snprintf(m->reason, sizeof m->reason,
                 "no bare number; %zu named metrics are in custom_metrics", m->n_named);
    } else {
        snprintf(m->reason, sizeof m->reason, "no number found in the file");
    }
    return 0;
}

int custom_metric_read(const char *path, double not_before, custom_metric *m)
{
    memset(m, 0, sizeof *m);
    int fd = open_cloexec(path, O_RDONLY, 0);
    if (fd < 0) {
        snprintf(m->reason, sizeof m->reason, "%s: %s", path,
                 errno == ENOENT ? "no such file (the workload wrote no custom metric)"
                                 : strerror(errno));
        return 0;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(m->reason, sizeof m->reason, "%s: not a regular file", path);
        close(fd);
        return 0;
    }
    double mtime = (double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9;
    if (not_before > 0 && mtime < not_before) {
        snprintf(m->reason, sizeof m->reason,
                 "%s: stale (not written during this run)", path);
        close(fd);
        return 0;
    }
    off_t start = st.st_size > MAX_READ ? st.st_size - MAX_READ : 0;
    size_t cap = (size_t)(st.st_size - start);
    char *buf = malloc(cap + 1);
    if (!buf) {
        close(fd);
        return -1;
    }
    ssize_t n = pread(fd, buf, cap, start);
    close(fd);
    if (n < 0) {
        snprintf(m->reason, sizeof m->reason, "%s: %s", path, strerror(errno));
        free(buf);
        return 0;
    }
    const char *p = buf;
    size_t len = (size_t)n;
    if (start > 0) { /* begin at a whole line */
        const char *nl = memchr(buf, '\n', len);
        if (nl) {
            len -= (size_t)(nl + 1 - buf);
            p = nl + 1;
        }
    }
    int r = custom_metric_parse(p, len, m);
    free(buf);
    return r;
}

void custom_metric_free(custom_metric *m)
{
    for (size_t i = 0; i < m->n_named; i++)
        free(m->named[i].name);
    free(m->named);
    m->named = NULL;
    m->n_named = 0;
}

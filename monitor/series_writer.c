#include "monitor/series_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/timeutil.h"
#include "monitor/fileio.h"

struct series_writer {
    int fd;
    enum series_format format;
    const series_layout *layout;
    char *line;
    size_t cap;
    long rows;
    rfc3339_cache time_cache;
};

const char *series_file_name(enum series_format f)
{
    switch (f) {
    case FORMAT_JSONL:
        return "timeseries.jsonl";
    case FORMAT_OPENMETRICS:
        return "timeseries.om";
    default:
        return "timeseries.csv";
    }
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static size_t n_cols(const series_writer *w) { return COL_FIXED_COUNT + w->layout->n_extra; }

static const char *col_name(const series_writer *w, size_t i)
{
    return i < COL_FIXED_COUNT ? series_cols[i].name : w->layout->extra_names[i - COL_FIXED_COUNT];
}

static int col_decimals(const series_writer *w, size_t i)
{
    return i < COL_FIXED_COUNT ? series_cols[i].decimals
                               : w->layout->extra_decimals[i - COL_FIXED_COUNT];
}

static double col_value(const series_row *r, size_t i)
{
    if (i < COL_FIXED_COUNT)
        return r->v[i];
    i -= COL_FIXED_COUNT;
    return i < r->n_extra ? r->extra[i] : NAN;
}

static int write_csv_header(series_writer *w)
{
    size_t len = 0;
    len += (size_t)snprintf(w->line, w->cap, "time,timestamp_unix,elapsed_seconds");
    for (size_t i = 0; i < n_cols(w); i++)
        len += (size_t)snprintf(w->line + len, w->cap - len, ",%s", col_name(w, i));
    len += (size_t)snprintf(w->line + len, w->cap - len, "\n");
    return write_all(w->fd, w->line, len);
}

int series_writer_open(const char *path, enum series_format f, const series_layout *l,
                       series_writer **out)
{
    series_writer *w = calloc(1, sizeof *w);
    if (!w)
        return -1;
    w->format = f;
    w->layout = l;
    size_t names = 0;
    for (size_t i = 0; i < COL_FIXED_COUNT + l->n_extra; i++)
        names += strlen(i < COL_FIXED_COUNT ? series_cols[i].name
                                            : l->extra_names[i - COL_FIXED_COUNT]);
    /* the widest row: every name (JSON, OpenMetrics repeat them) plus ~40 per value */
    w->cap = 2 * names + (COL_FIXED_COUNT + l->n_extra + 3) * 64 + 256;
    w->line = malloc(w->cap);
    /* unlink, not O_TRUNC: ext4 flushes a truncated file's old data first (its
     * replace-via-truncate heuristic), which costs tens of milliseconds */
    unlink(path);
    w->fd = open_cloexec(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (!w->line || w->fd < 0) {
        int e = errno;
        if (w->fd >= 0)
            close(w->fd);
        free(w->line);
        free(w);
        errno = e;
        return -1;
    }
    if (f == FORMAT_CSV && write_csv_header(w) < 0) {
        int e = errno;
        close(w->fd);
        free(w->line);
        free(w);
        errno = e;
        return -1;
    }
    *out = w;
    return 0;
}

static size_t format_csv(series_writer *w, const series_row *r)
{
    char ts[32];
    series_format_time(&w->time_cache, r->wall, ts, sizeof ts);
    size_t len = strlen(ts);
    memcpy(w->line, ts, len);
    w->line[len++] = ',';
    len += series_format_fixed(r->wall, 3, w->line + len, w->cap - len);
    w->line[len++] = ',';
    len += series_format_fixed(r->elapsed, 3, w->line + len, w->cap - len);
    for (size_t i = 0; i < n_cols(w) && len + 48 < w->cap; i++) {
        w->line[len++] = ',';
        len += series_format_value(col_value(r, i), col_decimals(w, i), w->line + len, w->cap - len);
    }
    w->line[len++] = '\n';
    return len;
}

static size_t format_jsonl(series_writer *w, const series_row *r)
{
    char ts[32], num[48];
    format_rfc3339_ms(r->wall, ts, sizeof ts);
    size_t len = (size_t)snprintf(w->line, w->cap,
                                  "{\"time\":\"%s\",\"timestamp_unix\":%.3f,\"elapsed_seconds\":%.3f",
                                  ts, r->wall, r->elapsed);
    for (size_t i = 0; i < n_cols(w) && len < w->cap; i++) {
        double v = col_value(r, i);
        if (!isfinite(v)) /* a missing field: null keeps every line's keys the same */
            len += (size_t)snprintf(w->line + len, w->cap - len, ",\"%s\":null", col_name(w, i));
        else {
            series_format_value(v, col_decimals(w, i), num, sizeof num);
            len += (size_t)snprintf(w->line + len, w->cap - len, ",\"%s\":%s", col_name(w, i), num);
        }
    }
    if (len + 2 < w->cap)
        len += (size_t)snprintf(w->line + len, w->cap - len, "}\n");
    return len < w->cap ? len : w->cap - 1;
}

static size_t format_openmetrics(series_writer *w, const series_row *r)
{
    char num[48];
    size_t len = 0;
    for (size_t i = 0; i < n_cols(w) && len < w->cap; i++) {
        double v = col_value(r, i);
        if (!isfinite(v))
            continue;
        series_format_value(v, col_decimals(w, i), num, sizeof num);
        len += (size_t)snprintf(w->line + len, w->cap - len, "monitor_%s %s %.3f\n",
                                col_name(w, i), num, r->wall);
    }
    return len < w->cap ? len : w->cap - 1;
}

int series_writer_row(series_writer *w, const series_row *r)
{
    size_t len;
    switch (w->format) {
    case FORMAT_JSONL:
        len = format_jsonl(w, r);
        break;
    case FORMAT_OPENMETRICS:
        len = format_openmetrics(w, r);
        break;
    default:
        len = format_csv(w, r);
    }
    if (write_all(w->fd, w->line, len) < 0)
        return -1;
    w->rows++;
    return 0;
}

int series_writer_sync(series_writer *w) { return fdatasync(w->fd); }

long series_writer_rows(const series_writer *w) { return w->rows; }

int series_writer_close(series_writer *w)
{
    if (!w)
        return 0;
    int r = 0;
    if (w->format == FORMAT_OPENMETRICS && write_all(w->fd, "# EOF\n", 6) < 0)
        r = -1;
    if (close(w->fd) < 0)
        r = -1;
    free(w->line);
    free(w);
    return r;
}

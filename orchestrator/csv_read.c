#include "orchestrator/csv_read.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "common/strbuf.h"

static int row_push(csv_row *r, char *field)
{
    char **grown = realloc(r->field, (r->n + 1) * sizeof *grown);
    if (!grown)
        return -1;
    r->field = grown;
    r->field[r->n++] = field;
    return 0;
}

static void row_free(csv_row *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->field[i]);
    free(r->field);
    r->field = NULL;
    r->n = 0;
}

static int table_push(csv_table *t, csv_row *r, int *have_header)
{
    if (!*have_header) {
        t->header = *r;
        *have_header = 1;
    } else {
        csv_row *grown = realloc(t->rows, (t->n_rows + 1) * sizeof *grown);
        if (!grown)
            return -1;
        t->rows = grown;
        t->rows[t->n_rows++] = *r;
    }
    r->field = NULL;
    r->n = 0;
    return 0;
}

/* Takes the text collected for one field; the buffer is reset for the next one. */
static int end_field(csv_row *row, strbuf *cell)
{
    char *s = cell->buf ? sb_detach(cell) : strdup("");
    if (!s || row_push(row, s) != 0) {
        free(s);
        return -1;
    }
    return 0;
}

/* A record that is one empty field is a blank line: skipped, not a row. */
static int is_blank_record(const csv_row *r)
{
    return r->n == 1 && r->field[0][0] == '\0';
}

int csv_parse(const char *data, size_t len, csv_table *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    csv_row row = { NULL, 0 };
    strbuf cell = STRBUF_INIT;
    int have_header = 0, in_quotes = 0, rc = -1;
    size_t i = 0;
    const char *oom = "out of memory";

    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        i = 3; /* a UTF-8 byte-order mark written by spreadsheet tools */
    for (; i < len; i++) {
        char c = data[i];
        if (in_quotes) {
            if (c == '"' && i + 1 < len && data[i + 1] == '"') {
                if (sb_putc(&cell, '"') != 0)
                    goto fail_oom;
                i++;
            } else if (c == '"') {
                in_quotes = 0;
            } else if (sb_putc(&cell, c) != 0) {
                goto fail_oom;
            }
            continue;
        }
        if (c == '"' && cell.len == 0) {
            in_quotes = 1;
        } else if (c == ',') {
            if (end_field(&row, &cell) != 0)
                goto fail_oom;
        } else if (c == '\n' || c == '\r') {
            if (c == '\r' && i + 1 < len && data[i + 1] == '\n')
                i++;
            if (end_field(&row, &cell) != 0)
                goto fail_oom;
            if (is_blank_record(&row))
                row_free(&row);
            else if (table_push(out, &row, &have_header) != 0)
                goto fail_oom;
        } else if (c == '\0') {
            snprintf(err, errlen, "NUL byte at offset %zu", i);
            goto fail;
        } else if (sb_putc(&cell, c) != 0) {
            goto fail_oom;
        }
    }
    if (in_quotes) {
        snprintf(err, errlen, "unterminated quoted field at end of input");
        goto fail;
    }
    if (cell.len > 0 || row.n > 0) { /* last record without a line end */
        if (end_field(&row, &cell) != 0)
            goto fail_oom;
        if (table_push(out, &row, &have_header) != 0)
            goto fail_oom;
    }
    if (!have_header) {
        snprintf(err, errlen, "empty CSV: no header row");
        goto fail;
    }
    rc = 0;
    goto done;
fail_oom:
    snprintf(err, errlen, "%s", oom);
fail:
    csv_table_free(out);
done:
    row_free(&row);
    sb_free(&cell);
    return rc;
}

int csv_read_file(const char *path, csv_table *out, char *err, size_t errlen)
{
    char *data = NULL;
    size_t len = 0;
    memset(out, 0, sizeof *out);
    if (read_file(path, &data, &len) != 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    char inner[256];
    int rc = csv_parse(data, len, out, inner, sizeof inner);
    if (rc != 0)
        snprintf(err, errlen, "%s: %s", path, inner);
    free(data);
    return rc;
}

void csv_table_free(csv_table *t)
{
    row_free(&t->header);
    for (size_t i = 0; i < t->n_rows; i++)
        row_free(&t->rows[i]);
    free(t->rows);
    t->rows = NULL;
    t->n_rows = 0;
}

int csv_col(const csv_table *t, const char *name)
{
    for (size_t i = 0; i < t->header.n; i++)
        if (strcmp(t->header.field[i], name) == 0)
            return (int)i;
    return -1;
}

const char *csv_get(const csv_table *t, size_t row, int col)
{
    if (col < 0 || row >= t->n_rows || (size_t)col >= t->rows[row].n)
        return "";
    return t->rows[row].field[col];
}

int csv_get_double(const csv_table *t, size_t row, int col, double *v)
{
    const char *s = csv_get(t, row, col);
    if (*s == '\0')
        return -1;
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    while (*end == ' ')
        end++;
    if (*end != '\0' || errno == ERANGE || isnan(d))
        return -1;
    *v = d;
    return 0;
}

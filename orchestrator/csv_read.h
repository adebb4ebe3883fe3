/* Reading CSV files (RFC 4180: quoted fields, doubled quotes, CRLF or LF line ends) into
 * memory: the results tables and the monitor's time series are read back by the report.
 *
 * Ownership: csv_parse()/csv_read_file() fill a caller-owned csv_table whose strings it
 * owns; csv_table_free() releases them. */
#ifndef ORCHESTRATOR_CSV_READ_H
#define ORCHESTRATOR_CSV_READ_H

#include <stddef.h>

typedef struct csv_row {
    char **field;
    size_t n;
} csv_row;

typedef struct csv_table {
    csv_row header;          /* the first record */
    csv_row *rows;           /* the records after it */
    size_t n_rows;
} csv_table;

/* Parses a whole buffer (it need not be NUL-terminated). An unterminated quoted field is
 * an error; a record shorter than the header is kept as it is (csv_get gives ""). */
int  csv_parse(const char *data, size_t len, csv_table *out, char *err, size_t errlen);
int  csv_read_file(const char *path, csv_table *out, char *err, size_t errlen);
void csv_table_free(csv_table *t);

/* Index of the header column named name, or -1. */
int  csv_col(const csv_table *t, const char *name);
/* The field at (row, col); "" when the row is short or col is -1. */
const char *csv_get(const csv_table *t, size_t row, int col);
/* Parses the field as a number; 0 with *v set, or -1 when empty or not a number. */
int  csv_get_double(const csv_table *t, size_t row, int col, double *v);

#endif

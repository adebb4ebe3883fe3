/* One run's timeseries.csv as the report draws it: CPU, memory, disk and network (and GPU
 * when present) of the process tree, the container and the host, one panel each. Columns
 * that are absent or empty in every row are left out. Internal to report*.c. */
#ifndef ORCHESTRATOR_REPORT_SERIES_H
#define ORCHESTRATOR_REPORT_SERIES_H

#include <stdio.h>

#include "common/strbuf.h"
#include "orchestrator/csv_read.h"
#include "orchestrator/report_plots.h"

#define REPORT_SERIES_MAX 16

typedef struct report_line {
    int panel;               /* 0 CPU, 1 memory, 2 disk, 3 network, 4 GPU */
    const char *label;
    int col_a, col_b;        /* value = a (− b when col_b >= 0), times scale */
    double scale;
    int y2;                  /* drawn against the right axis (host figures) */
    double mean, peak;
} report_line;

typedef struct report_series {
    csv_table t;
    int elapsed_col;
    double duration;         /* seconds from the first to the last sample */
    report_line line[REPORT_SERIES_MAX];
    size_t n;
} report_series;

int  report_series_load(const char *path, report_series *s, char *err, size_t errlen);
void report_series_free(report_series *s);
/* Panels that have at least one line. */
int  report_series_panels(const report_series *s);
/* Writes the data file (elapsed, then one column per line), the gnuplot body (a
 * multiplot) and the table of each line's mean and peak. */
void report_series_write(const report_series *s, FILE *dat, strbuf *body, rtable *table);

#endif

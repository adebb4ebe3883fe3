/* Writes the time series row by row: timeseries.csv (the contract), or JSON lines or
 * OpenMetrics text for people who feed other tools. Each row goes out with one write(2)
 * on an unbuffered descriptor, so a crash of the monitor loses at most the row being
 * formatted; the line buffer is sized once at open, so writing a row allocates nothing.
 *
 * Ownership: series_writer_open() allocates, series_writer_close() frees; the layout is
 * borrowed and must outlive the writer. */
#ifndef MONITOR_SERIES_WRITER_H
#define MONITOR_SERIES_WRITER_H

#include "monitor/options.h"
#include "monitor/series.h"

typedef struct series_writer series_writer;

/* The file name for a format: timeseries.csv, timeseries.jsonl, timeseries.om. */
const char *series_file_name(enum series_format f);

/* Creates (truncates) PATH and writes the header (CSV) . 0 or -1 (errno). */
int  series_writer_open(const char *path, enum series_format f, const series_layout *l,
                        series_writer **out);
int  series_writer_row(series_writer *w, const series_row *r);   /* 0 or -1 */
/* Syncs to disk (before a checkpoint copy or upload). */
int  series_writer_sync(series_writer *w);
/* Closes; OpenMetrics gets its "# EOF" line. 0 or -1. */
int  series_writer_close(series_writer *w);
long series_writer_rows(const series_writer *w);

#endif

/* The report's figures, drawn by gnuplot (run as a helper process, svg and pngcairo
 * terminals) from data files this module writes under OUTPUT/figures/data/. Each figure
 * carries the table of numbers it was drawn from. Internal to report*.c.
 *
 * Ownership: report_plots_make fills a caller-owned report_figures; report_figures_free
 * releases it. */
#ifndef ORCHESTRATOR_REPORT_PLOTS_H
#define ORCHESTRATOR_REPORT_PLOTS_H

#include <stddef.h>

#include "orchestrator/report_model.h"

/* A small table of strings, row-major; row 0 is the header. */
typedef struct rtable {
    char **cell;
    size_t ncol, n_cells;
} rtable;

int  rtable_init(rtable *t, size_t ncol);
/* Appends one cell (rows fill left to right). 0 or -1 (ENOMEM). */
int  rtable_add(rtable *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
size_t rtable_rows(const rtable *t);            /* including the header */
const char *rtable_get(const rtable *t, size_t row, size_t col);
void rtable_free(rtable *t);

typedef struct report_figure {
    char name[64];          /* figures/NAME.svg and figures/NAME.png */
    char title[160];
    char caption[600];
    char *svg;              /* the SVG document, or NULL when it could not be drawn */
    size_t svg_len;
    char problem[300];      /* why svg is NULL */
    rtable table;           /* the numbers behind the figure */
} report_figure;

typedef struct report_figures {
    report_figure *v;
    size_t n;
    char timeseries_run[512]; /* result_dir of the run whose time series is drawn, or "" */
} report_figures;

/* Draws every figure the model has data for into OUTPUT/figures/. A figure gnuplot could
 * not draw keeps its table and a problem text. 0, or -1 (out of memory, no figures dir). */
int  report_plots_make(const report_model *m, const char *output_dir,
                       const char *timeseries_run, report_figures *out, char *err,
                       size_t errlen);
void report_figures_free(report_figures *f);

#endif

/* report.html: one self-contained page (figures inlined as base64 SVG, CSS inline, no
 * network) with the answer first, then the ranking, the figures with their tables, the
 * failures with their log tails, the price sources, every run and the config. Internal to
 * report*.c. */
#ifndef ORCHESTRATOR_REPORT_HTML_H
#define ORCHESTRATOR_REPORT_HTML_H

#include <stddef.h>

#include "orchestrator/report_model.h"
#include "orchestrator/report_plots.h"

typedef struct report_html_inputs {
    const char *output_dir;
    const char *title;          /* experiment name */
    const char *config_path;    /* shown with its text; NULL when there is none */
    const char *config_text;
    const char *prices_json;    /* price_book_snapshot's file, or NULL */
    double stale_price_days;    /* a price list older than this is flagged */
} report_html_inputs;

int report_html_write(const report_model *m, const report_figures *f,
                      const report_html_inputs *in, const char *path, char *err,
                      size_t errlen);

/* "aws-price-list:us-east-1:2026-11-20" -> "AWS Price List API (On-demand Linux),
 * us-east-1, fetched 2026-11-20"; into buf. */
const char *report_describe_price_source(const char *source, char *buf, size_t n);

#endif

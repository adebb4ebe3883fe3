/* The report of an experiment, built from its output directory alone: results.csv,
 * summary.csv, runs/TYPE/TAG/REP/{timeseries.csv,stderr.log,...}, the config copy and the
 * prices snapshot. It writes OUTPUT/report.html (one self-contained file: figures inlined,
 * the tables behind them, the config, price sources, failures with their log tails) and
 * OUTPUT/figures/NAME.svg and NAME.png (gnuplot, run as a helper process), and can print the
 * compact ranked table for the terminal.
 *
 * Errors are returned with a message in err; warnings (no gnuplot, a run without a time
 * series) are logged and the report is still written. */
#ifndef ORCHESTRATOR_REPORT_H
#define ORCHESTRATOR_REPORT_H

#include <stddef.h>
#include <stdio.h>

typedef struct report_options {
    /* What "best" means for ranking: "runtime" (NULL), "cost" or "custom_metric". */
    const char *objective;
    /* The config shown in the report; NULL: the first of OUTPUT/config.yaml, config.yml,
     * config.json, benchmark_config.json that exists. */
    const char *config_path;
    /* Price snapshot (price_book_snapshot); NULL: OUTPUT/prices.json when it exists. */
    const char *prices_path;
    /* The run whose time series is drawn, "TYPE/TAG/REPLICATE" under runs/; NULL: the
     * median-runtime run of the best instance type. */
    const char *timeseries_run;
    /* Experiment title; NULL: the experiment column of results.csv. */
    const char *title;
    /* The report flags a price list older than this (pricing.max_age_days); 0: 30. */
    double stale_price_days;
} report_options;

/* Writes report.html and figures/ under output_dir. opt may be NULL (defaults).
 * 0, or -1 with err filled (results.csv missing or unreadable, output not writable). */
int report_write(const char *output_dir, const report_options *opt, char *err,
                 size_t errlen);

/* Prints the ranked table (one line per instance type and point, best first, winners
 * marked, price sources named) to out. 0 or -1 with err filled. */
int report_print_table(const char *output_dir, const report_options *opt, FILE *out,
                       char *err, size_t errlen);

#endif

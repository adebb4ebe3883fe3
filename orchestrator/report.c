/* report_write and report_print_table: everything is read from the output directory, so
 * `orchestrate report` can rebuild the report long after the run, on another machine. */
#include "orchestrator/report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "common/log.h"
#include "orchestrator/report_html.h"
#include "orchestrator/report_model.h"
#include "orchestrator/report_plots.h"
#include "orchestrator/report_table.h"

static const report_options DEFAULTS = { 0 };

static int load_model(const char *output_dir, const report_options *opt, report_model *m,
                      char *err, size_t errlen)
{
    char *csv = path_join(output_dir, "results.csv");
    if (!csv) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = report_model_load(csv, opt->objective, m, err, errlen);
    free(csv);
    return rc;
}

/* The config copy in the output directory (or the one given); NULL when there is none. */
static char *find_config(const char *output_dir, const report_options *opt)
{
    static const char *names[] = { "config.yaml", "config.yml", "config.json",
                                   "benchmark_config.json" };
    if (opt->config_path)
        return strdup(opt->config_path);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char *p = path_join(output_dir, names[i]);
        if (p && file_exists(p))
            return p;
        free(p);
    }
    return NULL;
}

static char *slurp(const char *path)
{
    char *text = NULL;
    size_t len = 0;
    if (!path || read_file(path, &text, &len) != 0)
        return NULL;
    return text;
}

/* Secrets never go in a config, but a report is shared widely: lines that look like
 * credentials are masked all the same. */
static void mask_secrets(char *text)
{
    static const char *keys[] = { "secret", "password", "token", "aws_access_key_id" };
    for (char *line = text; line && *line;) {
        char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            char *hit = strcasestr(line, keys[k]);
            char *sep = hit && hit < line + n ? memchr(hit, ':', (size_t)(line + n - hit)) : NULL;
            if (!sep)
                sep = hit && hit < line + n ? memchr(hit, '=', (size_t)(line + n - hit)) : NULL;
            if (sep)
                for (char *p = sep + 1; p < line + n; p++)
                    if (*p != ' ' && *p != '"' && *p != ',')
                        *p = '*';
        }
        line = end ? end + 1 : NULL;
    }
}

int report_write(const char *output_dir, const report_options *opt, char *err,
                 size_t errlen)
{
    if (!opt)
        opt = &DEFAULTS;
    report_model m;
    if (load_model(output_dir, opt, &m, err, errlen) != 0)
        return -1;
    report_figures figs;
    int rc = report_plots_make(&m, output_dir, opt->timeseries_run, &figs, err, errlen);
    if (rc != 0) {
        report_model_free(&m);
        return -1;
    }
    char *config_path = find_config(output_dir, opt);
    char *config_text = slurp(config_path);
    if (config_text)
        mask_secrets(config_text);
    char *prices_path = opt->prices_path ? strdup(opt->prices_path)
                                         : path_join(output_dir, "prices.json");
    char *prices_json = slurp(prices_path);
    const char *title = opt->title ? opt->title
                      : m.n_runs && m.runs[0].experiment[0] ? m.runs[0].experiment
                                                            : "experiment";
    report_html_inputs in = { output_dir, title, config_path, config_text, prices_json,
                              opt->stale_price_days > 0 ? opt->stale_price_days : 30 };
    char *html = path_join(output_dir, "report.html");
    rc = html ? report_html_write(&m, &figs, &in, html, err, errlen) : -1;
    free(html);
    free(prices_json);
    free(prices_path);
    free(config_text);
    free(config_path);
    report_figures_free(&figs);
    report_model_free(&m);
    return rc;
}

int report_print_table(const char *output_dir, const report_options *opt, FILE *out,
                       char *err, size_t errlen)
{
    if (!opt)
        opt = &DEFAULTS;
    report_model m;
    if (load_model(output_dir, opt, &m, err, errlen) != 0)
        return -1;
    report_table_print(&m, out);
    report_model_free(&m);
    return 0;
}

#include "orchestrator/report_table.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "orchestrator/report_html.h"

/* At most this many rows: the rest are in report.html. */
#define MAX_ROWS 25

static void cell_num(FILE *out, int width, double v, const char *fmt)
{
    char buf[48];
    if (isfinite(v))
        snprintf(buf, sizeof buf, fmt, v);
    else
        snprintf(buf, sizeof buf, "-");
    fprintf(out, " %*s", width, buf);
}

/* Mean and standard error in two aligned columns: "±" is two bytes in UTF-8, so a single
 * printf width would misalign it. */
static void cell_mean_sem(FILE *out, double mean, double sem)
{
    char m[32] = "-", e[32] = "";
    if (isfinite(mean))
        snprintf(m, sizeof m, "%.4g", mean);
    if (isfinite(mean) && isfinite(sem) && sem > 0)
        snprintf(e, sizeof e, "%.2g", sem);
    fprintf(out, " %11s %s %-8s", m, e[0] ? "±" : " ", e);
}

static int several_points(const report_model *m)
{
    for (size_t i = 1; i < m->n_groups; i++)
        if (strcmp(m->groups[i].point_tag, m->groups[0].point_tag) != 0)
            return 1;
    return 0;
}

static void print_row(const report_model *m, const report_group *g, int points, FILE *out)
{
    const char *mark = "";
    if (m->best_fastest >= 0 && g == &m->groups[m->best_fastest])
        mark = "fastest";
    if (m->best_cheapest >= 0 && g == &m->groups[m->best_cheapest])
        mark = *mark ? "fastest,cheapest" : "cheapest";
    if (g->rank)
        fprintf(out, "%3d  %-18s", g->rank, g->instance_type);
    else
        fprintf(out, "%3s  %-18s", "-", g->instance_type);
    if (points)
        fprintf(out, " %-24.24s", g->point_tag);
    fprintf(out, " %3zu/%-3zu", g->n_ok, g->n);
    cell_mean_sem(out, g->runtime_mean, g->runtime_sem);
    cell_num(out, 13, g->cost_mean, "%.4g");
    cell_num(out, 9, g->price, "%.4g");
    if (m->has_metric)
        cell_num(out, 12, g->metric_mean, "%.6g");
    fprintf(out, "  %s\n", mark);
}

void report_table_print(const report_model *m, FILE *out)
{
    int points = several_points(m);
    fprintf(out, "\nRanked by %s (mean of successful runs, ± standard error):\n",
            report_objective_name(m->objective));
    fprintf(out, "%3s  %-18s", "#", "instance type");
    if (points)
        fprintf(out, " %-24s", "point");
    fprintf(out, " %7s %11s %-11s %13s %9s", "ok/runs", "runtime (s)", "± sem", "cost/run $",
            "$/hour");
    if (m->has_metric)
        fprintf(out, " %12s", "metric");
    fputc('\n', out);
    size_t shown = 0;
    for (size_t k = 0; k < m->n_ranked && shown < MAX_ROWS; k++, shown++)
        print_row(m, &m->groups[m->ranked[k]], points, out);
    for (size_t i = 0; i < m->n_groups && shown < MAX_ROWS; i++)
        if (m->groups[i].rank == 0) {
            print_row(m, &m->groups[i], points, out);
            shown++;
        }
    if (m->n_groups > shown)
        fprintf(out, "... and %zu more in report.html\n", m->n_groups - shown);

    /* where the prices come from, once per distinct source */
    char desc[300];
    for (size_t i = 0; i < m->n_groups; i++) {
        const char *src = m->groups[i].price_source;
        int dup = 0;
        for (size_t j = 0; j < i && !dup; j++)
            dup = strcmp(src, m->groups[j].price_source) == 0;
        if (!dup && *src)
            fprintf(out, "prices: %s\n", report_describe_price_source(src, desc, sizeof desc));
        if (!dup && !*src)
            fprintf(out, "prices: some types have no price (cost left empty); run "
                    "`orchestrate prices --update` or set pricing.prices in the config\n");
    }
    size_t failed = 0;
    for (size_t i = 0; i < m->n_runs; i++)
        failed += !m->runs[i].ok;
    if (failed)
        fprintf(out, "%zu of %zu runs did not succeed: see Failures in report.html\n", failed,
                m->n_runs);
}

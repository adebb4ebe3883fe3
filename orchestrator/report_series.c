#include "orchestrator/report_series.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MIB (1024.0 * 1024.0)

typedef struct line_def {
    int panel;
    const char *label, *col_a, *col_b;
    double scale;
    int y2;
} line_def;

/* tree and cgroup CPU are percent of one core (shown as cores); host CPU is percent of
 * all the host's CPUs, so it gets the right axis. */
static const line_def DEFS[] = {
    { 0, "workload (tree), cores", "tree_cpu_percent", NULL, 0.01, 0 },
    { 0, "container (cgroup), cores", "cgroup_cpu_percent", NULL, 0.01, 0 },
    { 0, "host, % of all CPUs (right axis)", "host_cpu_percent", NULL, 1, 1 },
    { 1, "workload RSS (tree)", "tree_rss_bytes", NULL, 1 / MIB, 0 },
    { 1, "container (cgroup, no page cache)", "cgroup_memory_bytes", NULL, 1 / MIB, 0 },
    { 1, "host used (right axis)", "host_memory_total_bytes", "host_memory_available_bytes",
      1 / MIB, 1 },
    { 2, "tree read", "tree_disk_read_bytes_per_second", NULL, 1 / MIB, 0 },
    { 2, "tree write", "tree_disk_write_bytes_per_second", NULL, 1 / MIB, 0 },
    { 2, "container read", "cgroup_disk_read_bytes_per_second", NULL, 1 / MIB, 0 },
    { 2, "container write", "cgroup_disk_write_bytes_per_second", NULL, 1 / MIB, 0 },
    { 3, "received", "net_rx_bytes_per_second", NULL, 1 / MIB, 0 },
    { 3, "sent", "net_tx_bytes_per_second", NULL, 1 / MIB, 0 },
    { 4, "GPU utilisation %", "gpu_utilization_percent", NULL, 1, 0 },
};

static const char *PANEL_TITLE[] = { "CPU", "Memory", "Disk", "Network", "GPU" };
static const char *PANEL_Y[] = { "cores busy", "MiB", "MiB/s", "MiB/s", "%" };
static const char *PANEL_Y2[] = { "host CPU %", "host MiB", "", "", "" };
static const char *COLORS[] = { "#1565c0", "#ef6c00", "#6d6d6d", "#2e7d32" };

static double line_value(const report_series *s, const report_line *l, size_t row)
{
    double a, b = 0;
    if (csv_get_double(&s->t, row, l->col_a, &a) != 0)
        return NAN;
    if (l->col_b >= 0 && csv_get_double(&s->t, row, l->col_b, &b) != 0)
        return NAN;
    return (a - b) * l->scale;
}

/* Keeps a line only when some row has a value; fills its mean and peak. */
static int line_has_data(const report_series *s, report_line *l)
{
    double sum = 0, peak = -INFINITY;
    size_t n = 0;
    for (size_t r = 0; r < s->t.n_rows; r++) {
        double v = line_value(s, l, r);
        if (!isfinite(v))
            continue;
        sum += v;
        peak = v > peak ? v : peak;
        n++;
    }
    if (n == 0)
        return 0;
    l->mean = sum / (double)n;
    l->peak = peak;
    return 1;
}

int report_series_load(const char *path, report_series *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    if (csv_read_file(path, &s->t, err, errlen) != 0)
        return -1;
    s->elapsed_col = csv_col(&s->t, "elapsed_seconds");
    if (s->elapsed_col < 0 || s->t.n_rows == 0) {
        snprintf(err, errlen, "%s: no samples (or no elapsed_seconds column)", path);
        csv_table_free(&s->t);
        return -1;
    }
    double first = NAN, last = NAN, v;
    for (size_t r = 0; r < s->t.n_rows; r++) {
        if (csv_get_double(&s->t, r, s->elapsed_col, &v) != 0)
            continue;
        if (isnan(first))
            first = v;
        last = v;
    }
    s->duration = isnan(first) ? 0 : last - first;
    for (size_t i = 0; i < sizeof DEFS / sizeof DEFS[0] && s->n < REPORT_SERIES_MAX; i++) {
        report_line l = { DEFS[i].panel, DEFS[i].label, csv_col(&s->t, DEFS[i].col_a),
                          DEFS[i].col_b ? csv_col(&s->t, DEFS[i].col_b) : -1,
                          DEFS[i].scale, DEFS[i].y2, 0, 0 };
        if (l.col_a < 0 || (DEFS[i].col_b && l.col_b < 0))
            continue;
        if (line_has_data(s, &l))
            s->line[s->n++] = l;
    }
    return 0;
}

void report_series_free(report_series *s)
{
    csv_table_free(&s->t);
    memset(s, 0, sizeof *s);
}

int report_series_panels(const report_series *s)
{
    int seen[5] = { 0 }, n = 0;
    for (size_t i = 0; i < s->n; i++)
        if (!seen[s->line[i].panel]++)
            n++;
    return n;
}

static void write_data(const report_series *s, FILE *dat)
{
    fputs("# elapsed_seconds", dat);
    for (size_t i = 0; i < s->n; i++)
        fprintf(dat, "\t%s", s->line[i].label);
    fputc('\n', dat);
    for (size_t r = 0; r < s->t.n_rows; r++) {
        double e;
        if (csv_get_double(&s->t, r, s->elapsed_col, &e) != 0)
            continue;
        fprintf(dat, "%.3f", e);
        for (size_t i = 0; i < s->n; i++) {
            double v = line_value(s, &s->line[i], r);
            if (isfinite(v))
                fprintf(dat, "\t%.6g", v);
            else
                fputs("\tNaN", dat);
        }
        fputc('\n', dat);
    }
}

/* The upper end of a panel's axis: its highest peak plus headroom for the key. */
static double axis_top(const report_series *s, int panel, int y2)
{
    double top = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->line[i].panel == panel && s->line[i].y2 == y2 && s->line[i].peak > top)
            top = s->line[i].peak;
    return top > 0 ? top * 1.55 : 1;
}

static void write_panel(const report_series *s, int panel, strbuf *body)
{
    int has_y2 = 0, k = 0;
    for (size_t i = 0; i < s->n; i++)
        has_y2 |= s->line[i].panel == panel && s->line[i].y2;
    sb_printf(body, "set title '%s' textcolor rgb '#222222'\nset ylabel '%s'\n"
              "set yrange [0:%.6g]\n", PANEL_TITLE[panel], PANEL_Y[panel],
              axis_top(s, panel, 0));
    if (has_y2)
        sb_printf(body, "set y2label '%s'\nset y2tics nomirror textcolor rgb '#6d6d6d'\n"
                  "set y2range [0:%.6g]\n", PANEL_Y2[panel], axis_top(s, panel, 1));
    else
        sb_puts(body, "unset y2label\nunset y2tics\n");
    sb_puts(body, "plot ");
    for (size_t i = 0; i < s->n; i++) {
        const report_line *l = &s->line[i];
        if (l->panel != panel)
            continue;
        sb_printf(body, "%s'data/timeseries.dat' using 1:%zu axes x1%s with linespoints "
                  "lw 2 pt 7 ps 0.35 %s lc rgb '%s' title '%s'", k ? ", \\\n  " : "", i + 2, l->y2 ? "y2" : "y1",
                  l->y2 ? "dt 2" : "dt 1", l->y2 ? "#6d6d6d" : COLORS[k % 4], l->label);
        k++;
    }
    sb_putc(body, '\n');
}

void report_series_write(const report_series *s, FILE *dat, strbuf *body, rtable *table)
{
    write_data(s, dat);
    int panels = report_series_panels(s);
    sb_puts(body,
        "reset\nset datafile separator '\\t'\nset datafile missing 'NaN'\n"
        "set border 3 lc rgb '#555555'\nset tics nomirror textcolor rgb '#333333'\n"
        "set grid ytics lc rgb '#e3e3e3'\n"
        "set key top left noenhanced font ',9' textcolor rgb '#333333' "
        "samplen 2\nset xlabel 'elapsed (s)'\nset xrange [0:*]\n");
    sb_printf(body, "set multiplot layout %d,2 margins 0.07,0.93,0.08,0.95 "
              "spacing 0.16,0.12\n", panels > 4 ? 3 : 2);
    for (int p = 0; p < 5; p++) {
        int has = 0;
        for (size_t i = 0; i < s->n; i++)
            has |= s->line[i].panel == p;
        if (has)
            write_panel(s, p, body);
    }
    sb_puts(body, "unset multiplot\n");

    static const char *head[] = { "panel", "series", "mean", "peak", "unit" };
    rtable_init(table, 5);
    for (size_t i = 0; i < 5; i++)
        rtable_add(table, "%s", head[i]);
    for (size_t i = 0; i < s->n; i++) {
        const report_line *l = &s->line[i];
        rtable_add(table, "%s", PANEL_TITLE[l->panel]);
        rtable_add(table, "%s", l->label);
        rtable_add(table, "%.4g", l->mean);
        rtable_add(table, "%.4g", l->peak);
        rtable_add(table, "%s", l->y2 ? PANEL_Y2[l->panel] : PANEL_Y[l->panel]);
    }
}

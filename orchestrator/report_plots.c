/* Figures for the report. Every figure is a data file plus a gnuplot script body under
 * figures/data/, drawn twice (svg for the HTML, png for slides) by one gnuplot process. */
#include "orchestrator/report_plots.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "common/fsutil.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "orchestrator/report_series.h"

extern char **environ;

/* ---- rtable ---- */

int rtable_init(rtable *t, size_t ncol)
{
    memset(t, 0, sizeof *t);
    t->ncol = ncol;
    return 0;
}

int rtable_add(rtable *t, const char *fmt, ...)
{
    char **grown = realloc(t->cell, (t->n_cells + 1) * sizeof *grown);
    if (!grown)
        return -1;
    t->cell = grown;
    va_list ap;
    va_start(ap, fmt);
    int rc = vasprintf(&t->cell[t->n_cells], fmt, ap);
    va_end(ap);
    if (rc < 0)
        return -1;
    t->n_cells++;
    return 0;
}

size_t rtable_rows(const rtable *t)
{
    return t->ncol ? t->n_cells / t->ncol : 0;
}

const char *rtable_get(const rtable *t, size_t row, size_t col)
{
    size_t i = row * t->ncol + col;
    return i < t->n_cells ? t->cell[i] : "";
}

void rtable_free(rtable *t)
{
    for (size_t i = 0; i < t->n_cells; i++)
        free(t->cell[i]);
    free(t->cell);
    memset(t, 0, sizeof *t);
}

static void rtable_header(rtable *t, const char *const *names, size_t n)
{
    rtable_init(t, n);
    for (size_t i = 0; i < n; i++)
        rtable_add(t, "%s", names[i]);
}

/* "" for a missing number in tables; NaN in gnuplot data. */
static const char *fmt_num(double v, char *buf, size_t n)
{
    if (!isfinite(v))
        snprintf(buf, n, "%s", "");
    else
        snprintf(buf, n, "%.6g", v);
    return buf;
}

static void dat_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "\t%.10g", v);
    else
        fputs("\tNaN", f);
}

/* A label as a gnuplot string: quotes and backslashes would end or escape it. */
static void dat_label(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++)
        fputc(*s == '"' || *s == '\\' || *s == '\t' || *s == '\n' ? '_' : *s, f);
    fputc('"', f);
}

/* Text for a single-quoted gnuplot string, where a quote is written twice. */
static const char *gp_text(const char *s, char *buf, size_t n)
{
    size_t o = 0;
    for (; *s && o + 3 < n; s++) {
        if (*s == '\'')
            buf[o++] = '\'';
        buf[o++] = *s == '\n' ? ' ' : *s;
    }
    buf[o] = '\0';
    return buf;
}

/* ---- running gnuplot ---- */

typedef struct plot_ctx {
    const report_model *m;
    char *figdir;          /* OUTPUT/figures */
    char *datadir;         /* OUTPUT/figures/data */
    report_figures *out;
    int gnuplot_missing;
} plot_ctx;

static FILE *open_data(plot_ctx *c, const char *name)
{
    char *path = path_join(c->datadir, name);
    FILE *f = path ? fopen(path, "w") : NULL;
    if (!f)
        log_warn("cannot write %s: %s", path ? path : name, strerror(errno));
    free(path);
    return f;
}

static int write_text(plot_ctx *c, const char *name, const char *text)
{
    char *path = path_join(c->datadir, name);
    int rc = path ? write_file_atomic(path, text, strlen(text)) : -1;
    free(path);
    return rc;
}

static const char *gnuplot_program(void)
{
    const char *g = getenv("GNUPLOT");
    return g && *g ? g : "gnuplot";
}

/* Runs gnuplot on data/NAME.driver.gp with figures/ as its working directory; its output
 * goes to data/NAME.log. Returns the exit status, or -1 when it could not be started. */
static int run_gnuplot(plot_ctx *c, const char *name)
{
    char driver[128], log_name[128];
    snprintf(driver, sizeof driver, "data/%s.driver.gp", name);
    snprintf(log_name, sizeof log_name, "data/%s.log", name);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addchdir_np(&fa, c->figdir);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log_name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    char *argv[] = { (char *)gnuplot_program(), driver, NULL };
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static char *log_tail(plot_ctx *c, const char *name)
{
    char file[128];
    snprintf(file, sizeof file, "%s.log", name);
    char *path = path_join(c->datadir, file), *text = NULL;
    size_t len = 0;
    if (path)
        read_file(path, &text, &len);
    free(path);
    if (text && len > 200)
        memmove(text, text + len - 200, 201);
    return text;
}

/* Draws figure fig from data/NAME.gp (the body: it starts with `reset`) at w×h pixels. */
static void draw(plot_ctx *c, report_figure *fig, const char *body, int w, int h)
{
    char file[128];
    strbuf drv = STRBUF_INIT;
    snprintf(file, sizeof file, "%s.gp", fig->name);
    sb_printf(&drv,
        "set terminal svg size %d,%d fixed noenhanced font 'DejaVu Sans,12' "
        "background rgb 'white'\nset output '%s.svg'\nload 'data/%s'\nunset output\n"
        "set terminal pngcairo size %d,%d noenhanced font 'DejaVu Sans,10' "
        "background rgb 'white'\nset output '%s.png'\nload 'data/%s'\nunset output\n",
        w, h, fig->name, file, w, h, fig->name, file);
    char dname[128];
    snprintf(dname, sizeof dname, "%s.driver.gp", fig->name);
    if (write_text(c, file, body) != 0 || write_text(c, dname, sb_str(&drv)) != 0) {
        snprintf(fig->problem, sizeof fig->problem, "cannot write the gnuplot script");
        sb_free(&drv);
        return;
    }
    sb_free(&drv);
    if (c->gnuplot_missing) {
        snprintf(fig->problem, sizeof fig->problem,
                 "gnuplot is not installed (Debian: gnuplot-nox); figure not drawn");
        return;
    }
    int rc = run_gnuplot(c, fig->name);
    if (rc < 0) {
        c->gnuplot_missing = 1;
        log_warn("cannot run %s (%s): the report has tables but no figures",
                 gnuplot_program(), strerror(errno));
        snprintf(fig->problem, sizeof fig->problem,
                 "gnuplot could not be run (Debian: gnuplot-nox); figure not drawn");
        return;
    }
    char svg_name[128];
    snprintf(svg_name, sizeof svg_name, "%s.svg", fig->name);
    char *svg_path = path_join(c->figdir, svg_name);
    if (rc != 0 || !svg_path || read_file(svg_path, &fig->svg, &fig->svg_len) != 0 ||
        fig->svg_len == 0) {
        char *tail = log_tail(c, fig->name);
        snprintf(fig->problem, sizeof fig->problem, "gnuplot failed (exit %d): %s", rc,
                 tail ? tail : "no output");
        log_warn("figure %s: %s", fig->name, fig->problem);
        free(tail);
        free(fig->svg);
        fig->svg = NULL;
    }
    free(svg_path);
}

static report_figure *new_figure(plot_ctx *c, const char *name, const char *title)
{
    report_figures *o = c->out;
    report_figure *grown = realloc(o->v, (o->n + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    o->v = grown;
    report_figure *f = &o->v[o->n++];
    memset(f, 0, sizeof *f);
    snprintf(f->name, sizeof f->name, "%s", name);
    snprintf(f->title, sizeof f->title, "%s", title);
    return f;
}

static const char *STYLE =
    "reset\n"
    "set datafile separator '\\t'\n"
    "set datafile missing 'NaN'\n"
    "set border 3 lc rgb '#555555'\n"
    "set tics nomirror textcolor rgb '#333333'\n"
    "set grid ytics lc rgb '#e3e3e3' lw 1 dt 1\n"
    "set key noenhanced textcolor rgb '#333333' box lc rgb '#cccccc' opaque\n";

/* ---- runtime and cost per instance type ---- */

typedef double (*group_get)(const report_group *);
static double get_runtime(const report_group *g) { return g->runtime_mean; }
static double get_runtime_sd(const report_group *g) { return g->runtime_std; }
static double get_cost(const report_group *g) { return g->cost_mean; }
static double get_cost_sem(const report_group *g) { return g->cost_sem; }

/* Costs per run are often fractions of a cent: gnuplot's default tic format rounds them
 * to repeated labels (0.000003, 0.000003, ...). */
#define COST_FORMAT "set format y '%.3g'\n"

typedef struct bar_spec {
    const char *name, *title, *what, *unit, *winner_word;
    group_get mean, spread;
    const char *spread_name;
    int cost;              /* 1: cost per run from r->cost, else runtime */
} bar_spec;

typedef struct rank_ctx {
    const report_model *m;
    group_get get;
} rank_ctx;

static int cmp_by(const void *a, const void *b, void *ctx)
{
    const rank_ctx *rc = ctx;
    double x = rc->get(&rc->m->groups[*(const size_t *)a]);
    double y = rc->get(&rc->m->groups[*(const size_t *)b]);
    if (isnan(x) || isnan(y))
        return isnan(x) - isnan(y);
    return (x > y) - (x < y);
}

/* Groups with a finite value for get, best (lowest) first; caller frees. */
static size_t *rank_by(const report_model *m, group_get get, size_t *n)
{
    size_t *idx = calloc(m->n_groups + 1, sizeof *idx);
    *n = 0;
    if (!idx)
        return NULL;
    for (size_t i = 0; i < m->n_groups; i++)
        if (m->groups[i].n_ok > 0 && isfinite(get(&m->groups[i])))
            idx[(*n)++] = i;
    rank_ctx ctx = { m, get };
    qsort_r(idx, *n, sizeof *idx, cmp_by, &ctx);
    return idx;
}

/* The bars (gd: one line per group, best first) and the dots (rd: one line per run), and
 * the table behind them. */
static void write_bars(const report_model *m, const bar_spec *s, const size_t *order, size_t n,
                       FILE *gd, FILE *rd, rtable *table)
{
    static const char *head[] = { "rank", "instance type / point", "runs ok", "mean",
                                  "spread", "min", "max" };
    char lab[300], b1[32], b2[32], b3[32], b4[32];
    rtable_header(table, head, 7);
    fprintf(gd, "# rank\tlabel\tmean\tspread\twinner\n");
    fprintf(rd, "# x\tvalue\n");
    for (size_t i = 0; i < n; i++) {
        const report_group *g = &m->groups[order[i]];
        double lo = INFINITY, hi = -INFINITY;
        size_t k = 0;
        for (size_t r = 0; r < m->n_runs; r++) {
            const report_run *run = &m->runs[r];
            double v = s->cost ? run->cost : run->runtime;
            if (run->group != order[i] || !run->ok || !isfinite(v))
                continue;
            /* spread the dots sideways so replicates with equal values stay visible */
            double jitter = ((double)(k % 7) - 3.0) * 0.05;
            fprintf(rd, "%.3f", (double)(i + 1) + jitter);
            dat_num(rd, v);
            fputc('\n', rd);
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
            k++;
        }
        report_group_label(m, g, lab, sizeof lab);
        fprintf(gd, "%zu\t", i + 1);
        dat_label(gd, lab);
        dat_num(gd, s->mean(g));
        dat_num(gd, s->spread(g));
        fprintf(gd, "\t%d\n", i == 0);
        rtable_add(table, "%zu", i + 1);
        rtable_add(table, "%s", lab);
        rtable_add(table, "%zu/%zu", g->n_ok, g->n);
        rtable_add(table, "%s", fmt_num(s->mean(g), b1, sizeof b1));
        rtable_add(table, "%s", fmt_num(s->spread(g), b2, sizeof b2));
        rtable_add(table, "%s", fmt_num(lo, b3, sizeof b3));
        rtable_add(table, "%s", fmt_num(hi, b4, sizeof b4));
    }
}

static void fig_bars(plot_ctx *c, const bar_spec *s)
{
    const report_model *m = c->m;
    size_t n = 0;
    size_t *order = rank_by(m, s->mean, &n);
    if (!order || n == 0) {
        free(order);
        return;
    }
    report_figure *fig = new_figure(c, s->name, s->title);
    char file[96], runs_file[96], lab[300];
    snprintf(file, sizeof file, "%s.dat", s->name);
    snprintf(runs_file, sizeof runs_file, "%s_runs.dat", s->name);
    FILE *gd = open_data(c, file), *rd = open_data(c, runs_file);
    if (!fig || !gd || !rd) {
        if (gd) fclose(gd);
        if (rd) fclose(rd);
        free(order);
        return;
    }
    write_bars(m, s, order, n, gd, rd, &fig->table);
    fclose(gd);
    fclose(rd);
    const report_group *best = &m->groups[order[0]];
    report_group_label(m, best, lab, sizeof lab);
    size_t label_chars = 0;
    char other[300];
    for (size_t i = 0; i < n; i++)
        label_chars += strlen(report_group_label(m, &m->groups[order[i]], other, sizeof other));
    double top = s->mean(best) + (isfinite(s->spread(best)) ? s->spread(best) : 0);
    strbuf body = STRBUF_INIT;
    sb_puts(&body, STYLE);
    sb_printf(&body,
        "set title '%s per instance type, ranked (bars: mean; whiskers: %s; dots: runs)' "
        "textcolor rgb '#222222'\n"
        "set ylabel '%s (%s)'\nset yrange [0:*]\nset xrange [0.4:%zu.6]\n%s"
        "set offsets 0, 0, graph 0.12, 0\n"
        "set style fill solid 0.85 noborder\nset boxwidth 0.62\n"
        "set xtics %s\nset key top left\n"
        "set label 1 '%s' at 1, %.10g center offset 0, 1.2 front textcolor rgb '#1b5e20' "
        "font ',12'\n"
        "plot 'data/%s' using 1:($5==0?$3:NaN):xtic(2) with boxes lc rgb '#9ab7d3' "
        "title 'mean', \\\n"
        "  '' using 1:($5==1?$3:NaN) with boxes lc rgb '#2e7d32' title '%s', \\\n"
        /* Whiskers as vectors: gnuplot 5.4 paints a white disc behind the point of
         * every yerrorbars bar, even at pointsize 0. */
        "  '' using 1:($3-$4):(0):(2*$4) with vectors heads size screen 0.006,90 "
        "lc rgb '#333333' lw 1.5 title '%s', \\\n"
        "  'data/%s' using 1:2 with points pt 7 ps 0.6 lc rgb '#c62828' title 'each run'\n",
        s->what, s->spread_name, s->what, s->unit, n, s->cost ? COST_FORMAT : "",
        n > 6 || label_chars > 80 ? "rotate by -30 left" : "", s->winner_word, top, file,
        s->winner_word, s->spread_name, runs_file);
    int width = n > 8 ? 900 + (int)(n - 8) * 40 : 900;
    snprintf(fig->caption, sizeof fig->caption,
             "%s of every instance type%s with the spread over replicates. %s: %s.",
             s->what, m->n_groups > 1 ? " (and point)" : "", s->winner_word, lab);
    draw(c, fig, sb_str(&body), width, 480);
    sb_free(&body);
    free(order);
}

/* ---- cost against runtime, with the Pareto front ---- */

static void fig_pareto(plot_ctx *c)
{
    const report_model *m = c->m;
    size_t n = 0;
    size_t *order = rank_by(m, get_runtime, &n);
    size_t priced = 0;
    for (size_t i = 0; order && i < n; i++)
        priced += isfinite(m->groups[order[i]].cost_mean);
    if (!order || priced == 0) {
        free(order);
        return;
    }
    report_figure *fig = new_figure(c, "cost_vs_runtime", "Cost against runtime");
    FILE *d = open_data(c, "cost_vs_runtime.dat");
    if (!fig || !d) {
        if (d) fclose(d);
        free(order);
        return;
    }
    static const char *head[] = { "instance type / point", "runtime mean (s)",
                                  "runtime sem (s)", "cost mean (USD)", "cost sem (USD)",
                                  "Pareto front" };
    rtable_header(&fig->table, head, 6);
    fprintf(d, "# label\truntime\truntime_sem\tcost\tcost_sem\tfront\n");
    char lab[300], b[4][32];
    size_t front = 0;
    for (size_t i = 0; i < n; i++) { /* in runtime order, so the front's line is monotone */
        const report_group *g = &m->groups[order[i]];
        if (!isfinite(g->cost_mean))
            continue;
        report_group_label(m, g, lab, sizeof lab);
        dat_label(d, lab);
        dat_num(d, g->runtime_mean);
        dat_num(d, g->runtime_sem);
        dat_num(d, g->cost_mean);
        dat_num(d, g->cost_sem);
        fprintf(d, "\t%d\n", g->pareto);
        front += g->pareto;
        rtable_add(&fig->table, "%s", lab);
        rtable_add(&fig->table, "%s", fmt_num(g->runtime_mean, b[0], sizeof b[0]));
        rtable_add(&fig->table, "%s", fmt_num(g->runtime_sem, b[1], sizeof b[1]));
        rtable_add(&fig->table, "%s", fmt_num(g->cost_mean, b[2], sizeof b[2]));
        rtable_add(&fig->table, "%s", fmt_num(g->cost_sem, b[3], sizeof b[3]));
        rtable_add(&fig->table, "%s", g->pareto ? "yes" : "");
    }
    fclose(d);
    strbuf body = STRBUF_INIT;
    sb_puts(&body, STYLE);
    sb_puts(&body,
        "set title 'Cost per run against runtime (mean ± sem); the Pareto front: no other "
        "choice is both faster and cheaper' textcolor rgb '#222222'\n"
        "set xlabel 'runtime (s)'\nset ylabel 'cost per run (USD)'\n"
        "set grid xtics ytics lc rgb '#e3e3e3'\n"
        /* Below the plot: inside, the key hid the labels of dominated points. */
        "set key outside right top vertical\n" COST_FORMAT "set offsets graph 0.05, "
        "graph 0.3, graph 0.12, graph 0.08\n"
        "plot 'data/cost_vs_runtime.dat' using ($6==1?$2:NaN):4 with lines lw 2 dt 2 "
        "lc rgb '#2e7d32' title 'Pareto front', \\\n"
        "  '' using 2:4:3:5 with xyerrorbars pt 7 ps 1.1 lc rgb '#7f8c9a' title "
        "'instance type', \\\n"
        "  '' using ($6==1?$2:NaN):4 with points pt 7 ps 1.6 lc rgb '#2e7d32' title "
        "'on the front', \\\n"
        "  '' using 2:4:1 with labels offset char 1,char 0.9 left font ',10' "
        "textcolor rgb '#222222' notitle\n");
    snprintf(fig->caption, sizeof fig->caption,
             "Each point is an instance type%s: its mean runtime and cost per run. %zu of "
             "%zu are on the Pareto front (green): for every other choice one of these is "
             "at least as fast and as cheap.", m->n_groups > 1 ? " (and point)" : "", front,
             priced);
    draw(c, fig, sb_str(&body), 900, 560);
    sb_free(&body);
    free(order);
}

/* ---- the time series of one run ---- */

static const report_run *default_series_run(const report_model *m)
{
    long g = m->n_ranked ? (long)m->ranked[0] : m->best_fastest;
    const report_run *pick = NULL;
    for (size_t i = 0; g >= 0 && i < m->n_runs; i++) {
        const report_run *r = &m->runs[i];
        if (r->group != (size_t)g || !r->ok)
            continue;
        double median = m->groups[g].runtime_median;
        if (!pick || fabs(r->runtime - median) < fabs(pick->runtime - median))
            pick = r;
    }
    return pick;
}

static const report_run *find_series_run(const report_model *m, const char *want)
{
    for (size_t i = 0; want && i < m->n_runs; i++) {
        const report_run *r = &m->runs[i];
        char id[400];
        snprintf(id, sizeof id, "%s/%s/%d", r->instance_type, r->point_tag, r->replicate);
        size_t lw = strlen(want), ld = strlen(r->result_dir);
        if (strcmp(id, want) == 0 || strcmp(r->result_dir, want) == 0 ||
            (ld >= lw && strcmp(r->result_dir + ld - lw, want) == 0))
            return r;
    }
    if (want)
        log_warn("no run '%s' in results.csv; drawing the default run's time series", want);
    return default_series_run(m);
}

static void fig_series(plot_ctx *c, const char *output_dir, const char *want)
{
    const report_run *r = find_series_run(c->m, want);
    if (!r || !r->result_dir[0])
        return;
    char *dir = path_join(output_dir, r->result_dir);
    char *path = dir ? path_join(dir, "timeseries.csv") : NULL;
    free(dir);
    if (!path || !file_exists(path)) {
        log_warn("no time series for run %s", r->result_dir);
        free(path);
        return;
    }
    report_series s;
    char err[300], title[300];
    if (report_series_load(path, &s, err, sizeof err) != 0) {
        log_warn("%s", err);
        free(path);
        return;
    }
    free(path);
    snprintf(c->out->timeseries_run, sizeof c->out->timeseries_run, "%s", r->result_dir);
    snprintf(title, sizeof title, "Time series of run %s / %s / replicate %d",
             r->instance_type, r->point_tag, r->replicate);
    report_figure *fig = new_figure(c, "timeseries", title);
    FILE *d = open_data(c, "timeseries.dat");
    if (fig && d) {
        strbuf body = STRBUF_INIT;
        report_series_write(&s, d, &body, &fig->table);
        fclose(d);
        d = NULL;
        snprintf(fig->caption, sizeof fig->caption,
                 "CPU, memory, disk and network of run %s over its %.1f s, as "
                 "monitor_system sampled them: the workload's process tree, its container "
                 "(cgroup) and the host. The table gives each series' mean and peak.",
                 r->result_dir, s.duration);
        draw(c, fig, sb_str(&body), 1000, report_series_panels(&s) > 4 ? 900 : 680);
        sb_free(&body);
    }
    if (d)
        fclose(d);
    report_series_free(&s);
}

/* ---- searches: convergence and the evaluated points ---- */

/* Evaluation order of the points: by round, then as results.csv first lists them. */
static int cmp_group_round(const void *a, const void *b, void *ctx)
{
    const report_model *m = ctx;
    const report_run *x = &m->runs[m->groups[*(const size_t *)a].first_run];
    const report_run *y = &m->runs[m->groups[*(const size_t *)b].first_run];
    if (x->round != y->round)
        return x->round < y->round ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

/* One evaluation per point (instance type and parameters), as the search counts them:
 * its value is the mean over its successful replicates, the number the search was given
 * and the ranking uses; each replicate is drawn beside it. */
static void fig_convergence(plot_ctx *c)
{
    const report_model *m = c->m;
    report_figure *fig = new_figure(c, "convergence", "Search convergence");
    FILE *d = open_data(c, "convergence.dat");
    FILE *rd = open_data(c, "convergence_runs.dat");
    size_t *order = calloc(m->n_groups + 1, sizeof *order);
    if (!fig || !d || !rd || !order) {
        if (d) fclose(d);
        if (rd) fclose(rd);
        free(order);
        return;
    }
    static const char *head[] = { "evaluation", "round", "instance type", "point",
                                  "runs ok", "value (mean)", "best so far" };
    rtable_header(&fig->table, head, 7);
    fprintf(d, "# evaluation\tround\tvalue\tbest\n");
    fprintf(rd, "# evaluation\tvalue\n");
    for (size_t i = 0; i < m->n_groups; i++)
        order[i] = i;
    qsort_r(order, m->n_groups, sizeof *order, cmp_group_round, (void *)m);
    double best = INFINITY;
    size_t best_eval = 0;
    char b1[32], b2[32];
    int last_round = -1;
    strbuf arrows = STRBUF_INIT;
    for (size_t k = 0; k < m->n_groups; k++) {
        const report_group *g = &m->groups[order[k]];
        size_t eval = k + 1;
        int round = m->runs[g->first_run].round;
        double v = report_group_value(m, g);
        if (isfinite(v) && v < best) {
            best = v;
            best_eval = eval;
        }
        if (round != last_round && eval > 1)
            sb_printf(&arrows, "set arrow from %zu.5, graph 0 to %zu.5, graph 1 nohead "
                      "dt 3 lc rgb '#bbbbbb'\n", eval - 1, eval - 1);
        last_round = round;
        fprintf(d, "%zu\t%d", eval, round);
        dat_num(d, v);
        dat_num(d, best);
        fputc('\n', d);
        for (size_t i = 0; i < m->n_runs; i++)
            if (m->runs[i].group == order[k] && isfinite(report_run_value(m, &m->runs[i]))) {
                fprintf(rd, "%zu", eval);
                dat_num(rd, report_run_value(m, &m->runs[i]));
                fputc('\n', rd);
            }
        rtable_add(&fig->table, "%zu", eval);
        rtable_add(&fig->table, "%d", round);
        rtable_add(&fig->table, "%s", g->instance_type);
        rtable_add(&fig->table, "%s", g->point_tag);
        rtable_add(&fig->table, "%zu/%zu", g->n_ok, g->n);
        rtable_add(&fig->table, "%s", isfinite(v) ? fmt_num(v, b1, sizeof b1) : "failed");
        rtable_add(&fig->table, "%s", fmt_num(best, b2, sizeof b2));
    }
    fclose(d);
    fclose(rd);
    const char *obj = report_objective_name(m->objective);
    const char *unit = report_objective_unit(m->objective);
    strbuf body = STRBUF_INIT;
    sb_puts(&body, STYLE);
    sb_puts(&body, sb_str(&arrows));
    sb_printf(&body,
        "set title 'Search convergence: %s per evaluated point, the mean of its runs "
        "(dotted lines: rounds)' textcolor rgb '#222222'\n"
        "set xlabel 'evaluation (point)'\nset ylabel '%s%s%s%s'\n"
        "set key outside right top vertical\n"
        "set offsets graph 0.02, graph 0.02, graph 0.08, graph 0.08\n"
        "plot 'data/convergence_runs.dat' using 1:2 with points pt 7 ps 0.45 "
        "lc rgb '#c5ccd4' title 'each run', \\\n"
        "  'data/convergence.dat' using 1:3 with points pt 7 ps 0.9 lc rgb '#5f6c7a' "
        "title 'point (mean)', \\\n"
        "  '' using 1:4 with steps lw 2 lc rgb '#1565c0' title 'best so far', \\\n"
        "  '' using ($1==%zu?$1:NaN):3 with points pt 3 ps 2.2 lw 2 lc rgb '#2e7d32' "
        "title 'best'\n",
        obj, obj, *unit ? " (" : "", unit, *unit ? ")" : "", best_eval);
    snprintf(fig->caption, sizeof fig->caption,
             "%zu points evaluated in %d rounds; the best %s (%s, mean of its runs) was "
             "reached at evaluation %zu.", m->n_groups, m->max_round + 1, obj,
             fmt_num(best, b1, sizeof b1), best_eval);
    draw(c, fig, sb_str(&body), 900, 480);
    sb_free(&body);
    sb_free(&arrows);
    free(order);
}

/* 1 when every non-empty value of a param column is a number. */
static int param_numeric(const report_model *m, int col)
{
    size_t seen = 0;
    for (size_t i = 0; i < m->n_runs; i++) {
        double v;
        const char *s = csv_get(&m->results, m->runs[i].row, col);
        if (!*s)
            continue;
        if (csv_get_double(&m->results, m->runs[i].row, col, &v) != 0)
            return 0;
        seen++;
    }
    return seen > 0;
}

/* A positive numeric parameter spanning a factor of 32 or more (block sizes, batch sizes,
 * learning rates) reads better on a log axis. */
static int param_wide(const report_model *m, int col)
{
    double lo = INFINITY, hi = -INFINITY, v;
    for (size_t i = 0; i < m->n_runs; i++)
        if (csv_get_double(&m->results, m->runs[i].row, col, &v) == 0) {
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
    return lo > 0 && isfinite(hi) && hi / lo >= 32;
}

/* The position of a run's value of col among the distinct values of successful runs (in
 * order of appearance), and their count. */
static size_t value_index(const report_model *m, int col, const char *value, size_t *count)
{
    size_t n = 0, found = (size_t)-1;
    for (size_t i = 0; i < m->n_runs; i++) {
        if (!isfinite(report_run_value(m, &m->runs[i])))
            continue;
        const char *s = csv_get(&m->results, m->runs[i].row, col);
        int dup = 0;
        for (size_t j = 0; j < i && !dup; j++)
            dup = isfinite(report_run_value(m, &m->runs[j])) &&
                  strcmp(s, csv_get(&m->results, m->runs[j].row, col)) == 0;
        if (dup)
            continue;
        if (value && strcmp(s, value) == 0)
            found = n;
        n++;
    }
    if (count)
        *count = n;
    return found;
}

static size_t distinct_values(const report_model *m, int col)
{
    size_t n;
    value_index(m, col, NULL, &n);
    return n;
}

/* `set xtics ("a" 0, "b" 1, ...)` for a categorical parameter. */
static void category_tics(const report_model *m, int col, strbuf *body)
{
    size_t n;
    value_index(m, col, NULL, &n);
    sb_puts(body, "set xtics (");
    size_t k = 0;
    for (size_t i = 0; i < m->n_runs && k < n; i++) {
        if (!isfinite(report_run_value(m, &m->runs[i])))
            continue;
        const char *s = csv_get(&m->results, m->runs[i].row, col);
        size_t idx = value_index(m, col, s, NULL);
        if (idx != k)
            continue;
        sb_printf(body, "%s\"", k ? ", " : "");
        for (const char *p = s; *p; p++)
            sb_putc(body, *p == '"' || *p == '\\' || *p == '\'' ? '_' : *p);
        sb_printf(body, "\" %zu", k);
        k++;
    }
    sb_puts(body, ")\n");
}

/* Objective against each parameter (few parameters only): one panel per parameter. */
static void fig_params(plot_ctx *c)
{
    const report_model *m = c->m;
    size_t varying[4], nv = 0;
    for (size_t p = 0; p < m->n_params && nv < 4; p++)
        if (distinct_values(m, m->param_cols[p]) > 1)
            varying[nv++] = p;
    if (nv == 0 || m->n_params > 6)
        return;
    report_figure *fig = new_figure(c, "parameters", "Parameter effects");
    FILE *d = open_data(c, "parameters.dat");
    if (!fig || !d) {
        if (d) fclose(d);
        return;
    }
    const char *obj = report_objective_name(m->objective);
    rtable_init(&fig->table, nv + 3);
    rtable_add(&fig->table, "instance type");
    for (size_t k = 0; k < nv; k++)
        rtable_add(&fig->table, "%s", m->results.header.field[m->param_cols[varying[k]]] + 6);
    rtable_add(&fig->table, "%s", obj);
    rtable_add(&fig->table, "best");
    /* the runs of the best point (the ranking's first), for highlighting */
    size_t best_g = m->n_ranked ? m->ranked[0] : (size_t)-1;
    char b1[32];
    for (size_t i = 0; i < m->n_runs; i++) {
        const report_run *r = &m->runs[i];
        double v = report_run_value(m, r);
        if (!isfinite(v))
            continue;
        rtable_add(&fig->table, "%s", r->instance_type);
        dat_label(d, r->instance_type);
        for (size_t k = 0; k < nv; k++) {
            int col = m->param_cols[varying[k]];
            const char *s = csv_get(&m->results, r->row, col);
            rtable_add(&fig->table, "%s", s);
            double x;
            if (!param_numeric(m, col) || csv_get_double(&m->results, r->row, col, &x) != 0)
                x = (double)value_index(m, col, s, NULL);
            dat_num(d, x);
        }
        dat_num(d, v);
        fprintf(d, "\t%d\n", r->group == best_g);
        rtable_add(&fig->table, "%s", fmt_num(v, b1, sizeof b1));
        rtable_add(&fig->table, "%s", r->group == best_g ? "yes" : "");
    }
    fclose(d);
    strbuf body = STRBUF_INIT;
    sb_puts(&body, STYLE);
    sb_printf(&body, "set multiplot layout 1,%zu title 'Parameter effects on %s (green: "
              "runs of the best point)'\nset key off\n", nv, obj);
    for (size_t k = 0; k < nv; k++) {
        int col = m->param_cols[varying[k]];
        const char *pname = m->results.header.field[col] + 6;
        size_t vc = nv + 2, bc = nv + 3, xc = k + 2;
        char safe[300];
        sb_printf(&body, "set xlabel '%s'\nset ylabel '%s'\n", gp_text(pname, safe, sizeof safe),
                  k == 0 ? obj : "");
        if (param_numeric(m, col)) {
            sb_printf(&body, "%sset xtics autofreq\nset offsets graph 0.05, graph 0.05, "
                      "graph 0.05, graph 0.05\n",
                      param_wide(m, col) ? "set logscale x 2\n" : "unset logscale x\n");
        } else {
            sb_puts(&body, "unset logscale x\n");
            category_tics(m, col, &body);
            sb_puts(&body, "set offsets 0.5, 0.5, graph 0.05, graph 0.05\n");
        }
        sb_printf(&body, "plot 'data/parameters.dat' using %zu:%zu with points pt 7 ps 0.8 "
                  "lc rgb '#1565c0', '' using ($%zu==1?$%zu:NaN):%zu with points pt 7 ps 2 "
                  "lc rgb '#2e7d32'\n", xc, vc, bc, xc, vc);
    }
    sb_puts(&body, "unset multiplot\n");
    snprintf(fig->caption, sizeof fig->caption,
             "The %s of every successful run against each parameter that varies; the best "
             "run is green.", obj);
    draw(c, fig, sb_str(&body), nv > 2 ? 1200 : 900, 420);
    sb_free(&body);
}

int report_plots_make(const report_model *m, const char *output_dir,
                      const char *timeseries_run, report_figures *out, char *err,
                      size_t errlen)
{
    memset(out, 0, sizeof *out);
    plot_ctx c = { .m = m, .out = out };
    c.figdir = path_join(output_dir, "figures");
    c.datadir = c.figdir ? path_join(c.figdir, "data") : NULL;
    if (!c.datadir || mkdir_p(c.datadir) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", c.datadir ? c.datadir : "figures",
                 strerror(errno));
        free(c.figdir);
        free(c.datadir);
        return -1;
    }
    bar_spec runtime = { "runtime_by_type", "Runtime per instance type", "Runtime", "s",
                         "fastest", get_runtime, get_runtime_sd, "standard deviation", 0 };
    bar_spec cost = { "cost_by_type", "Cost per run per instance type", "Cost per run",
                      "USD", "cheapest", get_cost, get_cost_sem, "standard error", 1 };
    fig_bars(&c, &runtime);
    if (m->has_cost) {
        fig_bars(&c, &cost);
        fig_pareto(&c);
    }
    fig_series(&c, output_dir, timeseries_run);
    if (m->is_search)
        fig_convergence(&c);
    if (m->n_params > 0)
        fig_params(&c);
    free(c.figdir);
    free(c.datadir);
    return 0;
}

void report_figures_free(report_figures *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i].svg);
        rtable_free(&f->v[i].table);
    }
    free(f->v);
    memset(f, 0, sizeof *f);
}

#include "orchestrator/report_model.h"

#include "common/log.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *report_objective_name(report_objective o)
{
    return o == OBJ_COST ? "cost" : o == OBJ_METRIC ? "custom_metric" : "runtime";
}

const char *report_objective_unit(report_objective o)
{
    return o == OBJ_COST ? "USD" : o == OBJ_METRIC ? "" : "s";
}

static double num(const csv_table *t, size_t row, const char *col)
{
    double v;
    return csv_get_double(t, row, csv_col(t, col), &v) == 0 ? v : NAN;
}

static const char *str(const csv_table *t, size_t row, const char *col)
{
    return csv_get(t, row, csv_col(t, col));
}

/* A whole number that fits an int, or fallback (a CSV can hold anything). */
static int to_int(double v, int fallback)
{
    return isfinite(v) && v >= -2147483647.0 && v <= 2147483647.0 ? (int)v : fallback;
}

static void read_run(const csv_table *t, size_t row, report_run *r)
{
    memset(r, 0, sizeof *r);
    r->row = row;
    r->experiment = str(t, row, "experiment");
    r->instance_type = str(t, row, "instance_type");
    r->point_tag = str(t, row, "point_tag");
    r->state = str(t, row, "state");
    r->result_dir = str(t, row, "result_dir");
    /* The report reads logs and time series below the output directory only. */
    if (r->result_dir[0] == '/' || strstr(r->result_dir, ".."))
        r->result_dir = "";
    r->price_source = str(t, row, "price_source");
    r->replicate = to_int(num(t, row, "replicate"), 0);
    r->round = to_int(num(t, row, "round"), 0);
    if (r->round < 0)
        r->round = 0;
    double v = num(t, row, "exit_code");
    r->has_exit_code = to_int(v, INT_MIN) != INT_MIN;
    r->exit_code = to_int(v, 0);
    r->ok = strcmp(r->state, "succeeded") == 0;
    r->runtime = num(t, row, "runtime_seconds");
    r->cpu = num(t, row, "cpu_seconds");
    r->peak_memory = num(t, row, "peak_memory_bytes");
    r->metric = num(t, row, "custom_metric");
    r->nodes = num(t, row, "nodes");
    r->price = num(t, row, "price_per_hour");
    r->cost = num(t, row, "cost_usd");
    r->queue = num(t, row, "queue_seconds");
}

double report_run_value(const report_model *m, const report_run *r)
{
    if (!r->ok)
        return NAN;
    return m->objective == OBJ_COST ? r->cost : m->objective == OBJ_METRIC ? r->metric
                                                                           : r->runtime;
}

double report_group_value(const report_model *m, const report_group *g)
{
    return m->objective == OBJ_COST ? g->cost_mean
         : m->objective == OBJ_METRIC ? g->metric_mean : g->runtime_mean;
}

const char *report_group_label(const report_model *m, const report_group *g, char *buf,
                               size_t n)
{
    int several_points = 0;
    for (size_t i = 1; i < m->n_groups; i++)
        if (strcmp(m->groups[i].point_tag, m->groups[0].point_tag) != 0)
            several_points = 1;
    if (several_points)
        snprintf(buf, n, "%s %s", g->instance_type, g->point_tag);
    else
        snprintf(buf, n, "%s", g->instance_type);
    return buf;
}

static long find_group(const report_model *m, const char *type, const char *tag)
{
    for (size_t i = 0; i < m->n_groups; i++)
        if (strcmp(m->groups[i].instance_type, type) == 0 &&
            strcmp(m->groups[i].point_tag, tag) == 0)
            return (long)i;
    return -1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Mean, sample standard deviation and standard error of the finite values among v. */
typedef struct stats { size_t n; double mean, std, sem, min, max, median; } stats;

static stats stats_of(const double *v, size_t n)
{
    stats s = { 0, NAN, NAN, NAN, NAN, NAN, NAN };
    double *sorted = malloc((n ? n : 1) * sizeof *sorted);
    if (!sorted)
        return s;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i])) {
            sorted[s.n++] = v[i];
            sum += v[i];
        }
    if (s.n > 0) {
        qsort(sorted, s.n, sizeof *sorted, cmp_double);
        s.mean = sum / (double)s.n;
        s.min = sorted[0];
        s.max = sorted[s.n - 1];
        s.median = s.n % 2 ? sorted[s.n / 2] : (sorted[s.n / 2 - 1] + sorted[s.n / 2]) / 2;
        s.std = 0;
        s.sem = 0;
    }
    if (s.n > 1) {
        double ss = 0;
        for (size_t i = 0; i < s.n; i++)
            ss += (sorted[i] - s.mean) * (sorted[i] - s.mean);
        s.std = sqrt(ss / (double)(s.n - 1));
        s.sem = s.std / sqrt((double)s.n);
    }
    free(sorted);
    return s;
}

/* Fills a group's statistics from its successful runs. */
static int group_stats(report_model *m, size_t gi)
{
    report_group *g = &m->groups[gi];
    double *rt = calloc(m->n_runs + 1, sizeof *rt), *cost = calloc(m->n_runs + 1, sizeof *cost),
           *met = calloc(m->n_runs + 1, sizeof *met), *q = calloc(m->n_runs + 1, sizeof *q);
    size_t k = 0;
    if (!rt || !cost || !met || !q) {
        free(rt); free(cost); free(met); free(q);
        return -1;
    }
    g->price = NAN;
    g->price_source = "";
    for (size_t i = 0; i < m->n_runs; i++) {
        const report_run *r = &m->runs[i];
        if (r->group != gi)
            continue;
        if (isnan(g->price) && !isnan(r->price)) {
            g->price = r->price;
            g->price_source = r->price_source;
        }
        if (!r->ok)
            continue;
        rt[k] = r->runtime;
        cost[k] = r->cost;
        met[k] = r->metric;
        q[k] = r->queue;
        k++;
    }
    stats s = stats_of(rt, k);
    g->runtime_mean = s.mean;
    g->runtime_std = s.std;
    g->runtime_sem = s.sem;
    g->runtime_min = s.min;
    g->runtime_max = s.max;
    g->runtime_median = s.median;
    s = stats_of(cost, k);
    g->cost_mean = s.mean;
    g->cost_sem = s.sem;
    s = stats_of(met, k);
    g->metric_mean = s.mean;
    g->metric_sem = s.sem;
    g->queue_mean = stats_of(q, k).mean;
    free(rt); free(cost); free(met); free(q);
    return 0;
}

static int cmp_rank(const void *a, const void *b, void *ctx)
{
    const report_model *m = ctx;
    const report_group *x = &m->groups[*(const size_t *)a];
    const report_group *y = &m->groups[*(const size_t *)b];
    double vx = report_group_value(m, x), vy = report_group_value(m, y);
    if (vx != vy)
        return vx < vy ? -1 : 1;
    return (x->runtime_mean > y->runtime_mean) - (x->runtime_mean < y->runtime_mean);
}

static int rank_groups(report_model *m)
{
    m->ranked = calloc(m->n_groups + 1, sizeof *m->ranked);
    if (!m->ranked)
        return -1;
    for (size_t i = 0; i < m->n_groups; i++)
        if (m->groups[i].n_ok > 0 && isfinite(report_group_value(m, &m->groups[i])))
            m->ranked[m->n_ranked++] = i;
    qsort_r(m->ranked, m->n_ranked, sizeof *m->ranked, cmp_rank, m);
    for (size_t i = 0; i < m->n_ranked; i++)
        m->groups[m->ranked[i]].rank = (int)i + 1;
    return 0;
}

static long argmin_group(const report_model *m, double (*get)(const report_group *))
{
    long best = -1;
    for (size_t i = 0; i < m->n_groups; i++) {
        double v = get(&m->groups[i]);
        if (m->groups[i].n_ok > 0 && isfinite(v) && (best < 0 || v < get(&m->groups[best])))
            best = (long)i;
    }
    return best;
}

static double g_runtime(const report_group *g) { return g->runtime_mean; }
static double g_cost(const report_group *g) { return g->cost_mean; }
static double g_metric(const report_group *g) { return g->metric_mean; }

/* A group is on the front when no other group is at least as fast and as cheap, and
 * strictly better in one of the two. */
static void mark_pareto(report_model *m)
{
    for (size_t i = 0; i < m->n_groups; i++) {
        report_group *g = &m->groups[i];
        if (!isfinite(g->runtime_mean) || !isfinite(g->cost_mean))
            continue;
        int dominated = 0;
        for (size_t j = 0; j < m->n_groups && !dominated; j++) {
            const report_group *o = &m->groups[j];
            if (j == i || !isfinite(o->runtime_mean) || !isfinite(o->cost_mean))
                continue;
            dominated = o->runtime_mean <= g->runtime_mean && o->cost_mean <= g->cost_mean &&
                        (o->runtime_mean < g->runtime_mean || o->cost_mean < g->cost_mean);
        }
        g->pareto = !dominated;
    }
}

static int add_run_to_group(report_model *m, report_run *r)
{
    long gi = find_group(m, r->instance_type, r->point_tag);
    if (gi < 0) {
        report_group *grown = realloc(m->groups, (m->n_groups + 1) * sizeof *grown);
        if (!grown)
            return -1;
        m->groups = grown;
        gi = (long)m->n_groups++;
        memset(&m->groups[gi], 0, sizeof m->groups[gi]);
        m->groups[gi].instance_type = r->instance_type;
        m->groups[gi].point_tag = r->point_tag;
        m->groups[gi].first_run = (size_t)(r - m->runs);
    }
    report_group *g = &m->groups[gi];
    r->group = (size_t)gi;
    g->n++;
    if (r->ok)
        g->n_ok++;
    else
        g->n_failed++;
    return 0;
}

static int parse_objective(const char *s, report_objective *o)
{
    if (!s || strcmp(s, "runtime") == 0)
        *o = OBJ_RUNTIME;
    else if (strcmp(s, "cost") == 0)
        *o = OBJ_COST;
    else if (strncmp(s, "custom_metric", 13) == 0)
        *o = OBJ_METRIC;
    else
        return -1;
    return 0;
}

static int build(report_model *m, const char *name, char *err, size_t errlen);

static int start(report_model *m, const char *objective, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    m->best_fastest = m->best_cheapest = m->best_metric = -1;
    /* A search may minimise any summary statistic; the report ranks by the three columns
     * results.csv has and says so, rather than failing to report at all. */
    if (parse_objective(objective, &m->objective) != 0) {
        log_warn("report: ranking by runtime: '%s' is not runtime, cost or custom_metric",
                 objective);
        m->objective = OBJ_RUNTIME;
    }
    (void)err;
    (void)errlen;
    return 0;
}

int report_model_load(const char *results_csv, const char *objective, report_model *m,
                      char *err, size_t errlen)
{
    if (start(m, objective, err, errlen) != 0 ||
        csv_read_file(results_csv, &m->results, err, errlen) != 0)
        return -1;
    return build(m, results_csv, err, errlen);
}

int report_model_parse(const char *data, size_t len, const char *objective, report_model *m,
                       char *err, size_t errlen)
{
    if (start(m, objective, err, errlen) != 0 ||
        csv_parse(data, len, &m->results, err, errlen) != 0)
        return -1;
    return build(m, "results.csv", err, errlen);
}

/* Turns the rows of m->results into runs, groups, ranking, winners and the front. */
static int build(report_model *m, const char *name, char *err, size_t errlen)
{
    const csv_table *t = &m->results;
    if (csv_col(t, "instance_type") < 0 || csv_col(t, "runtime_seconds") < 0) {
        snprintf(err, errlen, "%s: no instance_type/runtime_seconds columns: not a results.csv",
                 name);
        goto fail;
    }
    m->runs = calloc(t->n_rows + 1, sizeof *m->runs);
    m->param_cols = calloc(t->header.n + 1, sizeof *m->param_cols);
    if (!m->runs || !m->param_cols)
        goto oom;
    for (size_t i = 0; i < t->header.n; i++)
        if (strncmp(t->header.field[i], "param_", 6) == 0)
            m->param_cols[m->n_params++] = (int)i;
    for (size_t i = 0; i < t->n_rows; i++) {
        report_run *r = &m->runs[m->n_runs++];
        read_run(t, i, r);
        if (add_run_to_group(m, r) != 0)
            goto oom;
        if (r->round > m->max_round)
            m->max_round = r->round;
        if (r->ok && isfinite(r->cost))
            m->has_cost = 1;
        if (r->ok && isfinite(r->metric))
            m->has_metric = 1;
    }
    for (size_t i = 0; i < m->n_groups; i++)
        if (group_stats(m, i) != 0)
            goto oom;
    if (rank_groups(m) != 0)
        goto oom;
    m->best_fastest = argmin_group(m, g_runtime);
    m->best_cheapest = argmin_group(m, g_cost);
    m->best_metric = argmin_group(m, g_metric);
    m->is_search = m->max_round > 0;
    mark_pareto(m);
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
fail:
    report_model_free(m);
    return -1;
}

void report_model_free(report_model *m)
{
    csv_table_free(&m->results);
    free(m->runs);
    free(m->groups);
    free(m->ranked);
    free(m->param_cols);
    memset(m, 0, sizeof *m);
}

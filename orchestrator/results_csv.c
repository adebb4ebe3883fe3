/* results.csv, summary.csv and ec2data.csv from the journal (see results_csv.h). */
#include "orchestrator/results_csv.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "common/strbuf.h"
#include "common/timeutil.h"
#include "orchestrator/costs.h"

int csv_put_field(strbuf *sb, const char *field)
{
    if (!field)
        return 0;
    if (!strpbrk(field, ",\"\r\n"))
        return sb_puts(sb, field);
    if (sb_putc(sb, '"'))
        return -1;
    for (const char *p = field; *p; p++)
        if ((*p == '"' && sb_putc(sb, '"')) || sb_putc(sb, *p))
            return -1;
    return sb_putc(sb, '"');
}

static int put_num(strbuf *sb, double v)
{
    char buf[64];
    costs_format(v, buf, sizeof buf);
    return sb_puts(sb, buf);
}

static int put_sep_field(strbuf *sb, const char *s)
{
    return sb_putc(sb, ',') || csv_put_field(sb, s);
}

static int put_sep_num(strbuf *sb, double v)
{
    return sb_putc(sb, ',') || put_num(sb, v);
}

/* One job with everything the tables need. */
typedef struct row {
    journal_job *j;
    journal_result r;
    int have_result;
    job_cost cost;
    double runtime;
    json_t *params;      /* the point's parameter values */
} row;

static void rows_free(row *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++) {
        journal_result_free(&rows[i].r);
        json_decref(rows[i].params);
    }
    free(rows);
}

static int load_rows(journal *jn, long long exp_id, const price_book *pb, journal_job *jobs,
                     size_t n, row **out, char *err, size_t errlen)
{
    row *rows = calloc(n ? n : 1, sizeof *rows);
    if (!rows) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        row *w = &rows[i];
        w->j = &jobs[i];
        int rc = journal_job_result(jn, jobs[i].id, &w->r, err, errlen);
        if (rc < 0) {
            rows_free(rows, i + 1);
            return -1;
        }
        w->have_result = rc == 1;
        w->runtime = w->have_result ? w->r.wall_seconds : NAN;
        if (isnan(w->runtime) && jobs[i].started_at > 0 && jobs[i].stopped_at > 0)
            w->runtime = jobs[i].stopped_at - jobs[i].started_at;
        costs_for_job(pb, jobs[i].instance_type, w->runtime, jobs[i].nodes,
                      jobs[i].created_at, jobs[i].started_at, &w->cost);
        if (!isnan(w->r.queue_seconds))
            w->cost.queue_seconds = w->r.queue_seconds;
        w->params = json_loads(jobs[i].params_json, 0, NULL);
    }
    *out = rows;
    return 0;
}

static const char *param_value(const row *w, const char *name)
{
    return json_string_value(json_object_get(w->params, name));
}

static int put_params_header(strbuf *sb, const config *cfg)
{
    for (size_t i = 0; i < cfg->n_params; i++)
        if (sb_printf(sb, ",param_%s", cfg->params[i].name))
            return -1;
    return 0;
}

static int put_params(strbuf *sb, const config *cfg, const row *w)
{
    for (size_t i = 0; i < cfg->n_params; i++)
        if (put_sep_field(sb, param_value(w, cfg->params[i].name)))
            return -1;
    return 0;
}

/* ---- results.csv ---------------------------------------------------------------------- */

static int results_table(const config *cfg, const row *rows, size_t n, strbuf *sb)
{
    int bad = sb_puts(sb, "experiment,instance_type,point_tag,replicate,round,state,exit_code,"
                          "runtime_seconds,cpu_seconds,peak_memory_bytes,custom_metric,nodes,"
                          "price_per_hour,price_source,cost_usd,queue_seconds,backend_id,"
                          "result_dir") ||
              put_params_header(sb, cfg) || sb_putc(sb, '\n');
    for (size_t i = 0; i < n && !bad; i++) {
        const row *w = &rows[i];
        const journal_job *j = w->j;
        int exit_code = w->have_result && w->r.exit_code >= 0 ? w->r.exit_code : j->exit_code;
        char ec[16] = "";
        if (exit_code >= 0)
            snprintf(ec, sizeof ec, "%d", exit_code);
        bad = csv_put_field(sb, cfg->experiment) || put_sep_field(sb, j->instance_type) ||
              put_sep_field(sb, j->point_tag) || sb_printf(sb, ",%d,%d", j->replicate, j->round) ||
              put_sep_field(sb, job_state_name(j->state)) || put_sep_field(sb, ec) ||
              put_sep_num(sb, w->runtime) || put_sep_num(sb, w->r.cpu_seconds) ||
              put_sep_num(sb, w->r.peak_memory_bytes) || put_sep_num(sb, w->r.custom_metric) ||
              sb_printf(sb, ",%d", j->nodes > 0 ? j->nodes : 1) ||
              put_sep_num(sb, w->cost.price_per_hour) || put_sep_field(sb, w->cost.price_source) ||
              put_sep_num(sb, w->cost.cost_usd) || put_sep_num(sb, w->cost.queue_seconds) ||
              put_sep_field(sb, j->backend_id) ||
              put_sep_field(sb, w->have_result ? w->r.result_dir : NULL) ||
              put_params(sb, cfg, w) || sb_putc(sb, '\n');
    }
    return bad ? -1 : 0;
}

/* ---- summary.csv ----------------------------------------------------------------------- */

typedef struct stats {
    size_t n;
    double sum, sumsq, min, max;
    double *v;          /* values, for the median */
} stats;

static void stats_add(stats *s, double x, double *store)
{
    if (isnan(x))
        return;
    if (s->n == 0 || x < s->min)
        s->min = x;
    if (s->n == 0 || x > s->max)
        s->max = x;
    s->sum += x;
    s->sumsq += x * x;
    store[s->n++] = x;
    s->v = store;
}

static double stats_mean(const stats *s)
{
    return s->n ? s->sum / (double)s->n : NAN;
}

static double stats_std(const stats *s)
{
    if (s->n < 2)
        return s->n == 1 ? 0 : NAN;
    double m = stats_mean(s);
    double var = (s->sumsq - (double)s->n * m * m) / (double)(s->n - 1);
    return sqrt(var > 0 ? var : 0);
}

static double stats_sem(const stats *s)
{
    return s->n ? stats_std(s) / sqrt((double)s->n) : NAN;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double stats_median(stats *s)
{
    if (!s->n)
        return NAN;
    qsort(s->v, s->n, sizeof *s->v, cmp_double);
    return s->n % 2 ? s->v[s->n / 2] : (s->v[s->n / 2 - 1] + s->v[s->n / 2]) / 2;
}

typedef struct group {
    const row *first;
    size_t n_total, n_failed;
    stats runtime, cost, metric;
    double price;
    double rank_key;
    int rank;
} group;

static int same_group(const row *a, const row *b)
{
    return strcmp(a->j->instance_type, b->j->instance_type) == 0 &&
           strcmp(a->j->point_tag, b->j->point_tag) == 0;
}

static int cmp_group_rank(const void *a, const void *b)
{
    const group *x = *(group *const *)a, *y = *(group *const *)b;
    if (isnan(x->rank_key) != isnan(y->rank_key))
        return isnan(x->rank_key) ? 1 : -1;
    return x->rank_key < y->rank_key ? -1 : x->rank_key > y->rank_key;
}

/* Ranks by the search metric when it is runtime, cost or custom_metric, else by runtime. */
static void rank_groups(const config *cfg, group *g, size_t n)
{
    const char *metric = cfg->search.metric ? cfg->search.metric : "runtime";
    group **order = calloc(n ? n : 1, sizeof *order);
    if (!order)
        return;
    for (size_t i = 0; i < n; i++) {
        g[i].rank_key = strcmp(metric, "cost") == 0            ? stats_mean(&g[i].cost)
                        : strcmp(metric, "custom_metric") == 0 ? stats_mean(&g[i].metric)
                                                               : stats_mean(&g[i].runtime);
        order[i] = &g[i];
    }
    qsort(order, n, sizeof *order, cmp_group_rank);
    for (size_t i = 0; i < n; i++)
        order[i]->rank = isnan(order[i]->rank_key) ? 0 : (int)i + 1;
    free(order);
}

static int summary_row(strbuf *sb, const config *cfg, group *g)
{
    const journal_job *j = g->first->j;
    double cost_mean = stats_mean(&g->cost);
    char rank[16] = "";
    if (g->rank)
        snprintf(rank, sizeof rank, "%d", g->rank);
    return csv_put_field(sb, j->instance_type) || put_sep_field(sb, j->point_tag) ||
           sb_printf(sb, ",%zu,%zu", g->runtime.n, g->n_failed) ||
           put_sep_num(sb, stats_mean(&g->runtime)) || put_sep_num(sb, stats_std(&g->runtime)) ||
           put_sep_num(sb, stats_sem(&g->runtime)) || put_sep_num(sb, cost_mean) ||
           put_sep_num(sb, stats_sem(&g->cost)) || put_sep_num(sb, stats_mean(&g->metric)) ||
           put_sep_num(sb, g->price) || put_params(sb, cfg, g->first) ||
           /* appended after the contract's columns */
           put_sep_num(sb, stats_median(&g->runtime)) || put_sep_num(sb, g->runtime.n ? g->runtime.min : NAN) ||
           put_sep_num(sb, g->runtime.n ? g->runtime.max : NAN) ||
           put_sep_num(sb, stats_median(&g->metric)) || put_sep_num(sb, stats_std(&g->metric)) ||
           put_sep_num(sb, g->metric.n ? g->metric.min : NAN) ||
           put_sep_num(sb, g->metric.n ? g->metric.max : NAN) ||
           put_sep_num(sb, isnan(cost_mean) ? NAN : cost_mean * 1000) || put_sep_field(sb, rank) ||
           sb_putc(sb, '\n');
}

/* Groups rows by (instance type, point) in first-seen order; counts per group. */
static size_t group_rows(const row *rows, size_t n, group *groups)
{
    size_t ng = 0;
    for (size_t i = 0; i < n; i++) {
        size_t g;
        for (g = 0; g < ng; g++)
            if (same_group(groups[g].first, &rows[i]))
                break;
        if (g == ng) {
            groups[ng].first = &rows[i];
            groups[ng].price = NAN;
            ng++;
        }
        groups[g].n_total++;
        if (!isnan(rows[i].cost.price_per_hour))
            groups[g].price = rows[i].cost.price_per_hour;
        if (rows[i].j->state == JOB_FAILED || rows[i].j->state == JOB_CANCELLED)
            groups[g].n_failed++;
    }
    return ng;
}

/* Statistics over each group's succeeded runs; store holds 3n doubles, and each group gets
 * a slice of n_total slots per statistic. */
static void group_stats(const row *rows, size_t n, group *groups, size_t ng, double *store)
{
    size_t off = 0;
    for (size_t g = 0; g < ng; g++) {
        group *gr = &groups[g];
        for (size_t i = 0; i < n; i++) {
            const row *w = &rows[i];
            if (!same_group(gr->first, w) || w->j->state != JOB_SUCCEEDED)
                continue;
            stats_add(&gr->runtime, w->runtime, store + off);
            stats_add(&gr->cost, w->cost.cost_usd, store + n + off);
            stats_add(&gr->metric, w->r.custom_metric, store + 2 * n + off);
        }
        off += gr->n_total;
    }
}

static int summary_table(const config *cfg, const row *rows, size_t n, strbuf *sb)
{
    group *groups = calloc(n ? n : 1, sizeof *groups);
    double *store = calloc(n ? 3 * n : 1, sizeof *store);
    int bad = !groups || !store;
    if (!bad) {
        size_t ng = group_rows(rows, n, groups);
        group_stats(rows, n, groups, ng, store);
        rank_groups(cfg, groups, ng);
        bad = sb_puts(sb, "instance_type,point_tag,n,n_failed,runtime_mean,runtime_std,"
                          "runtime_sem,cost_mean,cost_sem,custom_metric_mean,price_per_hour") ||
              put_params_header(sb, cfg) ||
              sb_puts(sb, ",runtime_median,runtime_min,runtime_max,custom_metric_median,"
                          "custom_metric_std,custom_metric_min,custom_metric_max,"
                          "cost_per_1000_runs,rank\n");
        for (size_t g = 0; g < ng && !bad; g++)
            bad = summary_row(sb, cfg, &groups[g]);
    }
    free(groups);
    free(store);
    return bad ? -1 : 0;
}

/* ---- ec2data.csv (the older tool's columns) --------------------------------------------- */

static int ec2data_table(const row *rows, size_t n, strbuf *sb)
{
    int bad = sb_puts(sb, "ec2_type,Avg_cpu,peak_RAM,cost,runtime,Disk_IO_Read,Disk_IO_Write,"
                          "Network_Sent,Network_Received,CPU Count,Total RAM,GPU Count,N Nodes,"
                          "Time,custom_metric\n");
    for (size_t i = 0; i < n && !bad; i++) {
        const row *w = &rows[i];
        if (!w->have_result || w->j->state != JOB_SUCCEEDED)
            continue;
        json_t *s = json_loads(w->r.summary_json ? w->r.summary_json : "{}", 0, NULL);
        json_t *inst = json_object_get(s, "instance");
        double vcpus = json_number_value(json_object_get(inst, "vcpus"));
        double mem = json_number_value(json_object_get(inst, "memory_bytes"));
        const char *start = json_string_value(json_object_get(s, "start_time"));
        /* Average CPU as a percentage of the machine, like the older tool's CPU_Usage. */
        double avg_cpu = vcpus > 0 && w->runtime > 0 ? 100.0 * w->r.cpu_seconds / w->runtime / vcpus
                                                     : NAN;
        bad = csv_put_field(sb, w->j->instance_type) || put_sep_num(sb, avg_cpu) ||
              put_sep_num(sb, w->r.peak_memory_bytes) || put_sep_num(sb, w->cost.cost_usd) ||
              put_sep_num(sb, w->runtime) || put_sep_num(sb, w->r.disk_read_bytes) ||
              put_sep_num(sb, w->r.disk_write_bytes) || put_sep_num(sb, w->r.net_tx_bytes) ||
              put_sep_num(sb, w->r.net_rx_bytes) || put_sep_num(sb, vcpus > 0 ? vcpus : NAN) ||
              put_sep_num(sb, mem > 0 ? mem : NAN) || sb_printf(sb, ",%d", w->j->gpus) ||
              sb_printf(sb, ",%d", w->j->nodes > 0 ? w->j->nodes : 1) ||
              put_sep_field(sb, start) || put_sep_num(sb, w->r.custom_metric) ||
              sb_putc(sb, '\n');
        json_decref(s);
    }
    return bad ? -1 : 0;
}

static int write_table(const char *dir, const char *name, const strbuf *sb, char *err,
                       size_t errlen)
{
    char *path = path_join(dir, name);
    int rc = path ? write_file_atomic(path, sb_str(sb), sb->len) : -1;
    if (rc != 0)
        snprintf(err, errlen, "%s: %s", path ? path : name, strerror(errno));
    free(path);
    return rc;
}

int results_write(journal *jn, long long exp_id, const config *cfg, const price_book *pb,
                  const char *output_dir, char *err, size_t errlen)
{
    journal_job *jobs = NULL;
    size_t n = 0;
    row *rows = NULL;
    strbuf a = STRBUF_INIT, b = STRBUF_INIT, c = STRBUF_INIT;
    int rc = -1;
    if (journal_jobs(jn, exp_id, JOURNAL_ALL, &jobs, &n, err, errlen) != 0)
        return -1;
    if (load_rows(jn, exp_id, pb, jobs, n, &rows, err, errlen) != 0)
        goto out;
    if (results_table(cfg, rows, n, &a) || summary_table(cfg, rows, n, &b) ||
        ec2data_table(rows, n, &c)) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (write_table(output_dir, "results.csv", &a, err, errlen) ||
        write_table(output_dir, "summary.csv", &b, err, errlen) ||
        write_table(output_dir, "ec2data.csv", &c, err, errlen))
        goto out;
    rc = 0;
out:
    rows_free(rows, n);
    journal_jobs_free(jobs, n);
    sb_free(&a);
    sb_free(&b);
    sb_free(&c);
    return rc;
}

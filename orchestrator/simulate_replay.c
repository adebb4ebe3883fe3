/* Loading a table of measured configurations into workloads, and replaying a search on
 * them (the library behind `orchestrate simulate`). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orchestrator/csv_read.h"
#include "orchestrator/instance_types.h"
#include "orchestrator/simulate.h"
#include "orchestrator/simulate_expr.h"

const double sim_target_fraction[SIM_TARGETS] = { 0.0, 0.05, 0.10 };

double sim_expected_random(size_t n, size_t m)
{
    return ((double)n + 1) / ((double)m + 1);
}

/* ---- expression access to a table row -------------------------------------------------- */

typedef struct row_ctx {
    const csv_table *t;
    size_t row;
} row_ctx;

static int lookup_col(void *ctx, const char *name)
{
    return csv_col(((const row_ctx *)ctx)->t, name);
}

static const char *row_cell(void *ctx, int col)
{
    const row_ctx *r = ctx;
    return csv_get(r->t, r->row, col);
}

/* ---- building a workload --------------------------------------------------------------- */

static int parse_number(const char *s, double *v)
{
    char *end;
    while (isspace((unsigned char)*s))
        s++;
    if (!*s)
        return -1;
    *v = strtod(s, &end);
    while (isspace((unsigned char)*end))
        end++;
    return *end || !isfinite(*v) ? -1 : 0;
}

/* Distinct texts of column col over rows (first appearance order). Caller frees the array
 * (not the strings, which belong to the table). */
static const char **distinct_texts(const csv_table *t, const size_t *rows, size_t n, int col,
                                   size_t *n_out)
{
    const char **out = malloc((n ? n : 1) * sizeof *out);
    size_t k = 0;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const char *v = csv_get(t, rows[i], col);
        size_t j = 0;
        while (j < k && strcmp(out[j], v) != 0)
            j++;
        if (j == k)
            out[k++] = v;
    }
    *n_out = k;
    return out;
}

/* A numeric column: an int or float dimension over its range, on a log scale when it
 * spans a factor of 8 or more. */
static int add_numeric_dim(search_space *sp, const char *name, const double *v, size_t n,
                           char *err, size_t errlen)
{
    double lo = v[0], hi = v[0];
    int whole = 1;
    for (size_t i = 0; i < n; i++) {
        lo = fmin(lo, v[i]);
        hi = fmax(hi, v[i]);
        whole &= v[i] == floor(v[i]) && fabs(v[i]) < 1e15;
    }
    int log_scale = lo > 0 && hi / lo >= 8;
    return whole ? search_space_add_int(sp, name, lo, hi, log_scale, err, errlen)
                 : search_space_add_float(sp, name, lo, hi, log_scale, err, errlen);
}

/* Columns that describe an instance type beside its name (CherryPick's tables have them):
 * the first present of each list fills that feature. */
static const char *const vcpu_cols[] = { "cpu_count", "vcpus", "vcpu", NULL };
static const char *const mem_cols[] = { "ram", "memory_gib", "memory", NULL };
static const char *const price_cols[] = { "vm_cost", "price_per_hour", "price", NULL };

static double feature_from_columns(const csv_table *t, size_t row, const char *const *names)
{
    for (size_t i = 0; names[i]; i++) {
        int c = csv_col(t, names[i]);
        double v;
        if (c >= 0 && parse_number(csv_get(t, row, c), &v) == 0)
            return v;
    }
    return 0;
}

/* What is known of instance type name: the built-in table, else its name; then the
 * table's own feature columns on the type's first row win. 0, or -1 when the name does
 * not look like an instance type. */
static int instance_info(const char *name, const csv_table *t, const size_t *rows, size_t n,
                         int col, search_instance_info *out)
{
    if (search_instance_guess(name, out) != 0)
        return -1;
    const instance_type_info *known = instance_type_lookup(name);
    if (known) {
        out->vcpus = known->vcpus;
        out->memory_gib = (double)known->memory_mib / 1024.0;
        out->gpus = known->gpus;
        out->generation = known->generation;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(csv_get(t, rows[i], col), name) != 0)
            continue;
        double v = feature_from_columns(t, rows[i], vcpu_cols);
        double m = feature_from_columns(t, rows[i], mem_cols);
        double p = feature_from_columns(t, rows[i], price_cols);
        if (v > 0)
            out->vcpus = v;
        if (m > 0)
            out->memory_gib = m;
        if (p > 0)
            out->price_per_hour = p;
        break;
    }
    return 0;
}

/* A text column: instance types when every value looks like one, else categories. */
static int add_text_dim(search_space *sp, const csv_table *t, const size_t *rows, size_t n,
                        int col, const char **labels, size_t k, char *err, size_t errlen)
{
    const char *name = t->header.field[col];
    search_instance_info *infos = calloc(k ? k : 1, sizeof *infos);
    int all_instances = infos != NULL && k >= 2;
    for (size_t i = 0; all_instances && i < k; i++)
        all_instances = instance_info(labels[i], t, rows, n, col, &infos[i]) == 0;
    int rc = all_instances ? search_space_add_instance(sp, name, infos, k, err, errlen)
                           : search_space_add_categorical(sp, name, labels, k, err, errlen);
    for (size_t i = 0; infos && i < k; i++)
        search_instance_info_clear(&infos[i]);
    free(infos);
    return rc;
}

static int add_param_dim(search_space *sp, const csv_table *t, const size_t *rows, size_t n,
                         const char *name, char *err, size_t errlen)
{
    int col = csv_col(t, name);
    if (col < 0) {
        snprintf(err, errlen, "simulate: no column named %s", name);
        return -1;
    }
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) {
        snprintf(err, errlen, "simulate: out of memory");
        return -1;
    }
    int numeric = 1;
    for (size_t i = 0; numeric && i < n; i++)
        numeric = parse_number(csv_get(t, rows[i], col), &v[i]) == 0;
    int rc;
    if (numeric) {
        rc = add_numeric_dim(sp, name, v, n, err, errlen);
    } else {
        size_t k;
        const char **labels = distinct_texts(t, rows, n, col, &k);
        rc = labels ? add_text_dim(sp, t, rows, n, col, labels, k, err, errlen) : -1;
        if (!labels)
            snprintf(err, errlen, "simulate: out of memory");
        free(labels);
    }
    free(v);
    return rc;
}

/* The point of a row in the workload's space. */
static int row_point(const sim_workload *w, const csv_table *t, size_t row, const int *cols,
                     double *x)
{
    for (size_t d = 0; d < w->space.n_dims; d++)
        if (search_space_parse_value(&w->space, d, csv_get(t, row, cols[d]), &x[d]) != 0 &&
            !(parse_number(csv_get(t, row, cols[d]), &x[d]) == 0))
            return -1;
    search_space_canonical(&w->space, x);
    return 0;
}

static void count_targets(sim_workload *w)
{
    w->best = INFINITY;
    for (size_t i = 0; i < w->n; i++)
        if (w->objective[i] < w->best)
            w->best = w->objective[i];
    for (int k = 0; k < SIM_TARGETS; k++) {
        double thr = w->best + sim_target_fraction[k] * fabs(w->best);
        w->n_target[k] = 0;
        for (size_t i = 0; i < w->n; i++)
            w->n_target[k] += w->objective[i] <= thr * (1 + 1e-12);
    }
}

/* Merges rows with the same configuration: the mean of their usable objectives, and of
 * their prices (every row needs one: the search may pick any configuration). */
static int collect_points(sim_workload *w, const csv_table *t, const size_t *rows, size_t n,
                          const double *obj, const double *price, const int *cols, char *err,
                          size_t errlen)
{
    size_t D = w->space.n_dims;
    double *count = calloc(n ? n : 1, sizeof *count);
    double *pcount = price ? calloc(n ? n : 1, sizeof *pcount) : NULL;
    w->points = malloc((n ? n : 1) * D * sizeof *w->points);
    w->objective = malloc((n ? n : 1) * sizeof *w->objective);
    w->price = price ? malloc((n ? n : 1) * sizeof *w->price) : NULL;
    if (!count || !w->points || !w->objective || (price && (!pcount || !w->price))) {
        free(count);
        free(pcount);
        snprintf(err, errlen, "simulate: out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        double *x = w->points + w->n * D;
        if (row_point(w, t, rows[i], cols, x) != 0)
            continue;
        if (price && !(price[i] > 0 && isfinite(price[i]))) {
            snprintf(err, errlen, "simulate: %s: --price is not a positive number on row %zu "
                     "(line %zu)", w->name, rows[i] + 1, rows[i] + 2);
            free(count);
            free(pcount);
            return -1;
        }
        size_t j = 0;
        while (j < w->n && !search_space_equal(&w->space, x, w->points + j * D))
            j++;
        if (j == w->n) {
            if (price)
                w->price[w->n] = 0;
            w->objective[w->n++] = NAN;
        }
        if (price) {
            w->price[j] += price[i];
            pcount[j]++;
        }
        if (!isnan(obj[i])) {
            w->objective[j] = count[j] ? w->objective[j] + obj[i] : obj[i];
            count[j]++;
        }
    }
    for (size_t j = 0; j < w->n; j++) {
        if (count[j])
            w->objective[j] /= count[j];
        if (price)
            w->price[j] /= pcount[j];
    }
    free(count);
    free(pcount);
    count_targets(w);
    if (!isfinite(w->best)) {
        snprintf(err, errlen, "simulate: %s: no row has a usable objective", w->name);
        return -1;
    }
    return 0;
}

static int build_workload(sim_workload *w, const csv_table *t, const size_t *rows, size_t n,
                          const double *obj, const double *price, const sim_load_options *lo,
                          char *err, size_t errlen)
{
    int *cols = malloc((lo->n_params ? lo->n_params : 1) * sizeof *cols);
    int rc = -1;
    if (!cols) {
        snprintf(err, errlen, "simulate: out of memory");
        return -1;
    }
    search_space_init(&w->space);
    w->n_rows = n;
    for (size_t p = 0; p < lo->n_params; p++) {
        cols[p] = csv_col(t, lo->params[p]);
        if (add_param_dim(&w->space, t, rows, n, lo->params[p], err, errlen) != 0)
            goto out;
    }
    if (lo->nodes_col && search_space_set_nodes(&w->space, lo->nodes_col, err, errlen) != 0)
        goto out;
    if (search_space_finalize(&w->space, err, errlen) != 0)
        goto out;
    rc = collect_points(w, t, rows, n, obj, price, cols, err, errlen);
out:
    free(cols);
    return rc;
}

static char *file_stem(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    return strndup(base, dot && dot != base ? (size_t)(dot - base) : strlen(base));
}

static int append_workload(sim_workload **ws, size_t *n_ws)
{
    sim_workload *g = realloc(*ws, (*n_ws + 1) * sizeof *g);
    if (!g)
        return -1;
    *ws = g;
    memset(&g[*n_ws], 0, sizeof g[*n_ws]);
    (*n_ws)++;
    return 0;
}

/* Evaluates the objective, the price (with --price) and the filter of every row: kept rows
 * in rows, their values in obj and price. */
static int evaluate_rows(const csv_table *t, const sim_load_options *lo, size_t *rows,
                         double *obj, double *price, size_t *n_kept, char *err, size_t errlen)
{
    row_ctx rc = { t, 0 };
    sim_expr *oe = sim_expr_compile(lo->objective, lookup_col, &rc, err, errlen);
    sim_expr *we = lo->where ? sim_expr_compile(lo->where, lookup_col, &rc, err, errlen) : NULL;
    sim_expr *pe = lo->price ? sim_expr_compile(lo->price, lookup_col, &rc, err, errlen) : NULL;
    if (!oe || (lo->where && !we) || (lo->price && !pe)) {
        sim_expr_free(oe);
        sim_expr_free(we);
        sim_expr_free(pe);
        return -1;
    }
    *n_kept = 0;
    for (size_t i = 0; i < t->n_rows; i++) {
        rc.row = i;
        if (we) {
            double keep = sim_expr_eval(we, row_cell, &rc);
            if (!(keep != 0) || isnan(keep))
                continue;
        }
        rows[*n_kept] = i;
        if (pe)
            price[*n_kept] = sim_expr_eval(pe, row_cell, &rc);
        obj[(*n_kept)++] = sim_expr_eval(oe, row_cell, &rc);
    }
    sim_expr_free(oe);
    sim_expr_free(we);
    sim_expr_free(pe);
    return 0;
}

int sim_load_table(const csv_table *t, const char *name, const sim_load_options *lo,
                   sim_workload **ws, size_t *n_ws, char *err, size_t errlen)
{
    size_t n_rows = t->n_rows, n_kept = 0;
    size_t *rows = malloc((n_rows ? n_rows : 1) * sizeof *rows);
    size_t *grp = malloc((n_rows ? n_rows : 1) * sizeof *grp);
    double *obj = malloc((n_rows ? n_rows : 1) * sizeof *obj);
    double *gobj = malloc((n_rows ? n_rows : 1) * sizeof *gobj);
    double *price = calloc(n_rows ? n_rows : 1, sizeof *price);   /* 0 without --price */
    double *gprice = malloc((n_rows ? n_rows : 1) * sizeof *gprice);
    const char **names = NULL;
    int rc = -1, wcol = -1;
    if (!rows || !grp || !obj || !gobj || !price || !gprice) {
        snprintf(err, errlen, "simulate: out of memory");
        goto out;
    }
    if (lo->workload_col && (wcol = csv_col(t, lo->workload_col)) < 0) {
        snprintf(err, errlen, "simulate: %s: no column named %s", name, lo->workload_col);
        goto out;
    }
    if (evaluate_rows(t, lo, rows, obj, price, &n_kept, err, errlen) != 0)
        goto out;
    size_t n_names = 1;
    if (wcol >= 0 && !(names = distinct_texts(t, rows, n_kept, wcol, &n_names))) {
        snprintf(err, errlen, "simulate: out of memory");
        goto out;
    }
    for (size_t g = 0; g < n_names; g++) {
        size_t n = 0;
        for (size_t i = 0; i < n_kept; i++)
            if (wcol < 0 || strcmp(csv_get(t, rows[i], wcol), names[g]) == 0) {
                grp[n] = rows[i];
                gprice[n] = price[i];
                gobj[n++] = obj[i];
            }
        if (append_workload(ws, n_ws) != 0) {
            snprintf(err, errlen, "simulate: out of memory");
            goto out;
        }
        sim_workload *w = &(*ws)[*n_ws - 1];
        if (wcol >= 0) {
            size_t len = strlen(name) + strlen(names[g]) + 2;
            w->name = malloc(len);
            if (w->name)
                snprintf(w->name, len, "%s:%s", name, names[g]);
        } else {
            w->name = strdup(name);
        }
        if (!w->name || n == 0) {
            snprintf(err, errlen, "simulate: %s: %s", name, n ? "out of memory" : "no rows");
            goto out;
        }
        if (build_workload(w, t, grp, n, gobj, lo->price ? gprice : NULL, lo, err, errlen) != 0)
            goto out;
    }
    rc = 0;
out:
    free(names);
    free(rows);
    free(grp);
    free(obj);
    free(gobj);
    free(price);
    free(gprice);
    return rc;
}

int sim_load(const char *path, const sim_load_options *lo, sim_workload **ws, size_t *n_ws,
             char *err, size_t errlen)
{
    csv_table t;
    if (csv_read_file(path, &t, err, errlen) != 0)
        return -1;
    char *stem = file_stem(path);
    int rc = -1;
    if (!stem)
        snprintf(err, errlen, "simulate: out of memory");
    else
        rc = sim_load_table(&t, stem, lo, ws, n_ws, err, errlen);
    free(stem);
    csv_table_free(&t);
    return rc;
}

void sim_workloads_free(sim_workload *ws, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(ws[i].name);
        search_space_free(&ws[i].space);
        free(ws[i].points);
        free(ws[i].objective);
        free(ws[i].price);
    }
    free(ws);
}

/* ---- replay ------------------------------------------------------------------------------- */

static size_t find_point(const sim_workload *w, const double *x)
{
    size_t D = w->space.n_dims;
    for (size_t i = 0; i < w->n; i++)
        if (search_space_equal(&w->space, x, w->points + i * D))
            return i;
    return w->n;
}

/* Measures one round's points; returns -1 when a point is not a row of the table. Records
 * each into picks (when given) at out->n_evals, which it advances. */
static int measure_round(const sim_workload *w, search *s, const double *pts, size_t n,
                         size_t round, double *best_seen, sim_result *out, sim_pick *picks,
                         char *err, size_t errlen)
{
    size_t D = w->space.n_dims;
    for (size_t i = 0; i < n; i++) {
        size_t idx = find_point(w, pts + i * D);
        if (idx == w->n) {
            snprintf(err, errlen, "simulate: the search proposed a point outside the table");
            return -1;
        }
        if (picks && out->n_evals < w->n)
            picks[out->n_evals] = (sim_pick){ idx, round };
        out->n_evals++;
        double v = w->objective[idx];
        search_observation o = { pts + i * D, v, 0, isnan(v), 0, NAN };
        if (search_observe(s, &o, err, errlen) != 0)
            return -1;
        if (v < *best_seen)
            *best_seen = v;
    }
    return 0;
}

int sim_replay(const sim_workload *w, const search_options *opt, size_t q, sim_result *out,
               char *err, size_t errlen)
{
    return sim_replay_traced(w, opt, q, out, NULL, err, errlen);
}

int sim_replay_traced(const sim_workload *w, const search_options *opt, size_t q,
                      sim_result *out, sim_pick *picks, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    size_t D = w->space.n_dims;
    search *s = search_new(&w->space, opt, err, errlen);
    double *pts = malloc((q ? q : 1) * D * sizeof *pts);
    int rc = -1;
    if (!s || !pts) {
        if (s)
            snprintf(err, errlen, "simulate: out of memory");
        goto out;
    }
    if (search_set_candidates(s, w->points, w->n, err, errlen) != 0 ||
        (w->price && search_set_candidate_prices(s, w->price, w->n, err, errlen) != 0))
        goto out;
    double best_seen = INFINITY;
    size_t evals = 0, rounds = 0;
    int check_stop = opt->algo == SEARCH_ALGO_BAYES && opt->ei_stop_fraction > 0;
    while (!out->evals[0]) {
        size_t n = 0;
        if (search_ask(s, NULL, 0, q, pts, &n, err, errlen) != 0)
            goto out;
        if (n == 0)
            break;
        rounds++;
        evals += n;
        if (measure_round(w, s, pts, n, rounds, &best_seen, out, picks, err, errlen) != 0)
            goto out;
        for (int k = 0; k < SIM_TARGETS; k++) {
            double thr = w->best + sim_target_fraction[k] * fabs(w->best);
            if (!out->evals[k] && best_seen <= thr * (1 + 1e-12)) {
                out->evals[k] = evals;
                out->rounds[k] = rounds;
            }
        }
        if (check_stop && !out->stop_evals) {
            char why[256];
            int st = search_should_stop(s, why, sizeof why);
            if (st < 0) {
                snprintf(err, errlen, "%s", why);
                goto out;
            }
            if (st == 1) {
                out->stop_evals = evals;
                out->stop_regret = (best_seen - w->best) / fmax(fabs(w->best), 1e-300);
            }
        }
    }
    rc = 0;
out:
    search_free(s);
    free(pts);
    return rc;
}

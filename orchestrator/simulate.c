/* `orchestrate simulate`: the command line, the replays per workload × method × q × seed,
 * and the printed table (and optional CSVs: one line per replay, one per evaluation). See
 * simulate.h. */
#include "orchestrator/simulate.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "orchestrator/results_csv.h"

typedef struct sim_args {
    const char **tables;
    size_t n_tables;
    const char **params;
    size_t n_params;
    const char *objective;
    const char *workload_col;
    const char *where;
    const char *nodes_col;
    const char *price;
    search_algo methods[4];
    size_t n_methods;
    size_t qs[8];
    size_t n_qs;
    size_t seeds;
    unsigned long long seed;
    search_options base;       /* the search options every replay starts from */
    const char *csv_path;
    const char *trace_path;
    char **owned;              /* copies of the --param names (split from lists) */
    size_t n_owned;
} sim_args;

static int is_param(const sim_args *a, const char *name)
{
    for (size_t i = 0; i < a->n_params; i++)
        if (strcmp(a->params[i], name) == 0)
            return 1;
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: orchestrate simulate TABLE.csv... --param COL... --objective EXPR\n"
            "         [--method bayes|random|grid[,...]] [--parallel q[,q...]] [--seeds N]\n"
            "         [--seed S] [--workload COL] [--where EXPR] [--nodes COL] [--initial N]\n"
            "         [--design sobol|lhs|random] [--acquisition logei|ei|pi|ucb|hedge]\n"
            "         [--ei-stop FRACTION] [--min-points N] [--cost] [--price EXPR]\n"
            "         [--batch believer|liar-min|liar-mean|liar-max] [--csv FILE]\n"
            "         [--trace FILE]\n"
            "Replays a search restricted to the table's rows and prints the evaluations\n"
            "(median/p90 over seeds) and rounds it needed to reach the best row and rows within\n"
            "5%% and 10%% of it, beside random order's expected (N+1)/(m+1).\n"
            "EXPR is an expression over columns, e.g. time/3600*num_machines*vm_cost.\n"
            "--nodes names the --param column that counts the nodes of a run: with an\n"
            "instance-type column, the model also sees the cluster's vCPU and memory totals.\n"
            "--cost says the objective is a cost: a time x the configuration's $/h (the\n"
            "type's vm_cost, price_per_hour or price column, x the --nodes column). The model\n"
            "then learns the time and multiplies the known price back in. --price EXPR\n"
            "gives a row's $/h instead (and implies --cost), e.g. for Lynceus' tables\n"
            "(n_workers+n_ps)*P, with P an expression of vm_flavor's $/h.\n"
            "--csv writes a line per replay, --trace a line per evaluation (the configuration\n"
            "picked, its round and objective, and the best so far).\n");
}

static int parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end || errno || s[0] == '-')
        return -1;
    *out = (size_t)v;
    return 0;
}

static int parse_positive_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !(v >= 0))
        return -1;
    *out = v;
    return 0;
}

/* Splits "a,b,c" lists: calls add for each element. */
static int each_item(const char *list, int (*add)(sim_args *, const char *), sim_args *a)
{
    char *copy = strdup(list), *save = NULL;
    if (!copy)
        return -1;
    int rc = 0;
    for (char *t = strtok_r(copy, ",", &save); t && rc == 0; t = strtok_r(NULL, ",", &save))
        rc = add(a, t);
    free(copy);
    return rc;
}

static int add_method(sim_args *a, const char *m)
{
    if (strcmp(m, "all") == 0)
        return add_method(a, "bayes") || add_method(a, "random");
    if (a->n_methods == 4 || search_algo_parse(m, &a->methods[a->n_methods]) != 0) {
        fprintf(stderr, "orchestrate simulate: unknown or too many methods: %s\n", m);
        return -1;
    }
    a->n_methods++;
    return 0;
}

static int add_q(sim_args *a, const char *q)
{
    if (a->n_qs == 8 || parse_size(q, &a->qs[a->n_qs]) != 0 || a->qs[a->n_qs] == 0) {
        fprintf(stderr, "orchestrate simulate: --parallel wants whole numbers >= 1: %s\n", q);
        return -1;
    }
    a->n_qs++;
    return 0;
}

static int add_param(sim_args *a, const char *p)
{
    char *copy = strdup(p);
    if (!copy)
        return -1;
    a->owned[a->n_owned++] = copy;
    a->params[a->n_params++] = copy;
    return 0;
}

static int option_value(int argc, char **argv, int *i, const char **out)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "orchestrate simulate: %s needs a value\n", argv[*i]);
        return -1;
    }
    *out = argv[++*i];
    return 0;
}

static int parse_search_option(sim_args *a, const char *opt, const char *v)
{
    search_options *o = &a->base;
    int bad = 0;
    if (strcmp(opt, "--initial") == 0)
        bad = parse_size(v, &o->n_initial);
    else if (strcmp(opt, "--design") == 0)
        bad = search_design_parse(v, &o->initial_design);
    else if (strcmp(opt, "--acquisition") == 0)
        bad = search_acq_parse(v, &o->acquisition);
    else if (strcmp(opt, "--ei-stop") == 0)
        bad = parse_positive_double(v, &o->ei_stop_fraction);
    else if (strcmp(opt, "--min-points") == 0)
        bad = parse_size(v, &o->min_points);
    else if (strcmp(opt, "--batch") == 0)
        bad = search_batch_parse(v, &o->batch);
    else
        return 1;
    if (bad)
        fprintf(stderr, "orchestrate simulate: bad value for %s: %s\n", opt, v);
    return bad ? -1 : 0;
}

static int parse_args(int argc, char **argv, sim_args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *v = NULL;
        if (arg[0] != '-') {
            a->tables[a->n_tables++] = arg;
            continue;
        }
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            return 1;
        }
        if (strcmp(arg, "--param") == 0) {
            /* COL... : every following word that is not an option. */
            int any = 0;
            while (i + 1 < argc && argv[i + 1][0] != '-') {
                if (each_item(argv[++i], add_param, a) != 0)
                    return -1;
                any = 1;
            }
            if (!any) {
                fprintf(stderr, "orchestrate simulate: --param needs column names\n");
                return -1;
            }
            continue;
        }
        if (strcmp(arg, "--cost") == 0) {
            a->base.cost_objective = 1;
            continue;
        }
        if (option_value(argc, argv, &i, &v) != 0)
            return -1;
        int rc = 0;
        if (strcmp(arg, "--objective") == 0)
            a->objective = v;
        else if (strcmp(arg, "--workload") == 0)
            a->workload_col = v;
        else if (strcmp(arg, "--where") == 0)
            a->where = v;
        else if (strcmp(arg, "--nodes") == 0)
            a->nodes_col = v;
        else if (strcmp(arg, "--price") == 0)
            a->price = v;
        else if (strcmp(arg, "--csv") == 0)
            a->csv_path = v;
        else if (strcmp(arg, "--trace") == 0)
            a->trace_path = v;
        else if (strcmp(arg, "--method") == 0)
            rc = each_item(v, add_method, a);
        else if (strcmp(arg, "--parallel") == 0)
            rc = each_item(v, add_q, a);
        else if (strcmp(arg, "--seeds") == 0)
            rc = parse_size(v, &a->seeds) != 0 || a->seeds == 0 ? -1 : 0;
        else if (strcmp(arg, "--seed") == 0)
            rc = sscanf(v, "%llu", &a->seed) == 1 ? 0 : -1;
        else if ((rc = parse_search_option(a, arg, v)) == 1) {
            fprintf(stderr, "orchestrate simulate: unknown option %s\n", arg);
            return -1;
        }
        if (rc != 0)
            return -1;
    }
    if (a->n_tables == 0 || a->n_params == 0 || !a->objective) {
        usage(stderr);
        return -1;
    }
    if (a->nodes_col && !is_param(a, a->nodes_col)) {
        fprintf(stderr, "orchestrate simulate: --nodes %s is not one of the --param columns\n",
                a->nodes_col);
        return -1;
    }
    if (a->price)
        a->base.cost_objective = 1;
    if (a->n_methods == 0)
        add_method(a, "bayes");
    if (a->n_qs == 0)
        a->qs[a->n_qs++] = 1;
    return 0;
}

/* ---- statistics --------------------------------------------------------------------------- */

static int cmp_size(const void *x, const void *y)
{
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    return (a > b) - (a < b);
}

/* Quantile (linear interpolation) of n sorted values; "never reached" counts as infinite. */
static double quantile(size_t *v, size_t n, double p)
{
    qsort(v, n, sizeof *v, cmp_size);
    double pos = p * (double)(n - 1);
    size_t i = (size_t)floor(pos);
    double lo = v[i] ? (double)v[i] : INFINITY;
    if (i + 1 >= n)
        return lo;
    double hi = v[i + 1] ? (double)v[i + 1] : INFINITY;
    return lo + (pos - (double)i) * (hi - lo);
}

static void print_header(const sim_workload *w, const sim_args *a)
{
    printf("\nworkload %s: %zu rows, %zu configurations, %zu parameters; objective %s\n",
           w->name, w->n_rows, w->n, w->space.n_dims, a->objective);
    printf("  best %.6g; configurations within 0%%/5%%/10%%: %zu/%zu/%zu\n", w->best,
           w->n_target[0], w->n_target[1], w->n_target[2]);
    printf("  %-22s %5s  %-17s %-17s %-17s %s\n", "method", "seeds", "to best med/p90",
           "within 5% med/p90", "within 10%", "rounds to best med/p90");
}

static void print_row(const char *label, size_t seeds, sim_result *r, size_t n, int has_stop)
{
    size_t *v = malloc(n * sizeof *v);
    if (!v)
        return;
    char cells[SIM_TARGETS][32], rounds[32];
    for (int k = 0; k < SIM_TARGETS; k++) {
        for (size_t i = 0; i < n; i++)
            v[i] = r[i].evals[k];
        double med = quantile(v, n, 0.5), p90 = quantile(v, n, 0.9);
        snprintf(cells[k], sizeof cells[k], "%.1f / %.1f", med, p90);
    }
    for (size_t i = 0; i < n; i++)
        v[i] = r[i].rounds[0];
    snprintf(rounds, sizeof rounds, "%.1f / %.1f", quantile(v, n, 0.5), quantile(v, n, 0.9));
    printf("  %-22s %5zu  %-17s %-17s %-17s %s\n", label, seeds, cells[0], cells[1], cells[2],
           rounds);
    if (has_stop) {
        double regret = 0;
        size_t stopped = 0;
        for (size_t i = 0; i < n; i++) {
            v[i] = r[i].stop_evals;
            if (r[i].stop_evals) {
                regret += r[i].stop_regret;
                stopped++;
            }
        }
        printf("  %-22s stop rule fired in %zu of %zu: median %.1f evaluations, mean regret "
               "%.1f%%\n", "", stopped, n, quantile(v, n, 0.5),
               stopped ? 100 * regret / (double)stopped : 0.0);
    }
    free(v);
}

static void print_expected(const sim_workload *w)
{
    char cells[SIM_TARGETS][32];
    for (int k = 0; k < SIM_TARGETS; k++)
        snprintf(cells[k], sizeof cells[k], "%.1f", sim_expected_random(w->n, w->n_target[k]));
    printf("  %-22s %5s  %-17s %-17s %-17s\n", "random order, expected", "-", cells[0],
           cells[1], cells[2]);
}

static void write_csv_rows(FILE *f, const sim_workload *w, const char *method, size_t q,
                           const sim_result *r, size_t n, unsigned long long seed0)
{
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%s,%s,%zu,%llu,%zu", w->name, method, q, seed0 + i, w->n);
        for (int k = 0; k < SIM_TARGETS; k++)
            fprintf(f, ",%zu,%zu,%zu,%.4f", r[i].evals[k], r[i].rounds[k], w->n_target[k],
                    sim_expected_random(w->n, w->n_target[k]));
        fprintf(f, ",%zu,%.6g\n", r[i].stop_evals, r[i].stop_regret);
    }
}

static int write_trace_header(FILE *f, const sim_args *a)
{
    strbuf sb = STRBUF_INIT;
    int bad = sb_puts(&sb, "workload,method,q,seed,evaluation,round");
    for (size_t i = 0; i < a->n_params && !bad; i++)
        bad = sb_putc(&sb, ',') || csv_put_field(&sb, a->params[i]);
    bad = bad || sb_puts(&sb, ",objective,best_so_far\n");
    if (!bad)
        fputs(sb_str(&sb), f);
    sb_free(&sb);
    return bad ? -1 : 0;
}

/* One replay's evaluations, in order; the values are the table's own text, quoted as CSV
 * needs. 0, or -1 when out of memory. */
static int write_trace_rows(FILE *f, const sim_workload *w, const char *method, size_t q,
                            unsigned long long seed, const sim_pick *picks, size_t n)
{
    strbuf sb = STRBUF_INIT;
    double best = INFINITY;
    size_t D = w->space.n_dims;
    int bad = 0;
    for (size_t i = 0; i < n && !bad; i++) {
        const double *x = w->points + picks[i].config * D;
        double v = w->objective[picks[i].config];
        if (v < best)
            best = v;
        sb_reset(&sb);
        bad = csv_put_field(&sb, w->name) ||
              sb_printf(&sb, ",%s,%zu,%llu,%zu,%zu", method, q, seed, i + 1, picks[i].round);
        for (size_t d = 0; d < D && !bad; d++) {
            char buf[256];
            search_space_format_value(&w->space, d, x[d], buf, sizeof buf);
            bad = sb_putc(&sb, ',') || csv_put_field(&sb, buf);
        }
        bad = bad || sb_printf(&sb, ",%.10g,%.10g\n", v, best);
        if (!bad)
            fputs(sb_str(&sb), f);
    }
    sb_free(&sb);
    return bad ? -1 : 0;
}

static int run_workload(const sim_workload *w, const sim_args *a, FILE *csv, FILE *trace)
{
    print_header(w, a);
    sim_result *res = calloc(a->seeds, sizeof *res);
    sim_pick *picks = trace ? calloc(w->n ? w->n : 1, sizeof *picks) : NULL;
    if (!res || (trace && !picks)) {
        fprintf(stderr, "orchestrate simulate: out of memory\n");
        free(res);
        free(picks);
        return -1;
    }
    for (size_t m = 0; m < a->n_methods; m++)
        for (size_t qi = 0; qi < a->n_qs; qi++) {
            search_options o = a->base;
            o.algo = a->methods[m];
            for (size_t i = 0; i < a->seeds; i++) {
                char err[512];
                o.seed = a->seed + i;
                if (sim_replay_traced(w, &o, a->qs[qi], &res[i], picks, err, sizeof err) != 0) {
                    fprintf(stderr, "orchestrate simulate: %s: %s\n", w->name, err);
                    free(res);
                    free(picks);
                    return -1;
                }
                if (trace && write_trace_rows(trace, w, search_algo_name(o.algo), a->qs[qi],
                                              o.seed, picks, res[i].n_evals) != 0) {
                    fprintf(stderr, "orchestrate simulate: out of memory\n");
                    free(res);
                    free(picks);
                    return -1;
                }
            }
            char label[64];
            snprintf(label, sizeof label, "%s q=%zu", search_algo_name(o.algo), a->qs[qi]);
            print_row(label, a->seeds, res, a->seeds,
                      o.algo == SEARCH_ALGO_BAYES && o.ei_stop_fraction > 0);
            if (csv)
                write_csv_rows(csv, w, search_algo_name(o.algo), a->qs[qi], res, a->seeds,
                               a->seed);
        }
    print_expected(w);
    free(res);
    free(picks);
    return 0;
}

static FILE *open_output(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        fprintf(stderr, "orchestrate simulate: %s: %s\n", path, strerror(errno));
    return f;
}

/* Closes f (NULL: nothing to do); -1, said, when what was written did not all land. */
static int close_output(FILE *f, const char *path)
{
    if (!f || fclose(f) == 0)
        return 0;
    fprintf(stderr, "orchestrate simulate: %s: %s\n", path, strerror(errno));
    return -1;
}

int cmd_simulate(int argc, char **argv)
{
    sim_args a;
    memset(&a, 0, sizeof a);
    a.tables = calloc((size_t)argc + 1, sizeof *a.tables);
    /* A --param word splits into at most (length + 1) / 2 names. */
    size_t max_params = 1;
    for (int i = 0; i < argc; i++)
        max_params += strlen(argv[i]) / 2 + 1;
    a.params = calloc(max_params, sizeof *a.params);
    a.owned = calloc(max_params, sizeof *a.owned);
    a.seeds = 20;
    a.seed = 1;
    search_options_default(&a.base);
    int rc = 2;
    sim_workload *ws = NULL;
    size_t n_ws = 0;
    FILE *csv = NULL, *trace = NULL;
    if (!a.tables || !a.params || !a.owned)
        goto out;
    int pr = parse_args(argc, argv, &a);
    if (pr != 0) {
        rc = pr > 0 ? 0 : 2;
        goto out;
    }
    sim_load_options lo = { a.params, a.n_params, a.objective, a.workload_col, a.where,
                            a.nodes_col, a.price };
    for (size_t t = 0; t < a.n_tables; t++) {
        char err[512];
        if (sim_load(a.tables[t], &lo, &ws, &n_ws, err, sizeof err) != 0) {
            fprintf(stderr, "orchestrate simulate: %s\n", err);
            rc = 1;
            goto out;
        }
    }
    for (size_t i = 0; i < n_ws && a.base.cost_objective; i++)
        if (!ws[i].price && !search_space_priced(&ws[i].space)) {
            fprintf(stderr, "orchestrate simulate: %s: --cost needs the price of every "
                    "instance type (a vm_cost, price_per_hour or price column), a --nodes "
                    "column or --price EXPR\n", ws[i].name);
            rc = 1;
            goto out;
        }
    if ((a.csv_path && !(csv = open_output(a.csv_path))) ||
        (a.trace_path && !(trace = open_output(a.trace_path)))) {
        rc = 1;
        goto out;
    }
    if (csv)
        fprintf(csv, "workload,method,q,seed,configurations,evals_best,rounds_best,"
                     "targets_best,random_expected_best,evals_5pct,rounds_5pct,targets_5pct,"
                     "random_expected_5pct,evals_10pct,rounds_10pct,targets_10pct,"
                     "random_expected_10pct,stop_evals,stop_regret\n");
    if (trace && write_trace_header(trace, &a) != 0) {
        fprintf(stderr, "orchestrate simulate: out of memory\n");
        rc = 1;
        goto out;
    }
    rc = 0;
    for (size_t i = 0; i < n_ws && rc == 0; i++)
        if (run_workload(&ws[i], &a, csv, trace) != 0)
            rc = 1;
    if (close_output(csv, a.csv_path) != 0)
        rc = 1;
    if (close_output(trace, a.trace_path) != 0)
        rc = 1;
    csv = trace = NULL;
out:
    if (csv)
        fclose(csv);
    if (trace)
        fclose(trace);
    sim_workloads_free(ws, n_ws);
    for (size_t i = 0; i < a.n_owned; i++)
        free(a.owned[i]);
    free(a.owned);
    free(a.tables);
    free(a.params);
    return rc;
}

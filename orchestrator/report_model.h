/* The numbers behind the report, read from results.csv: one row per run, grouped per
 * (instance type, point), with the spread over replicates, the ranking, the winners per
 * objective, the Pareto front of cost against runtime and, for searches, the convergence.
 * Internal to report*.c.
 *
 * Ownership: report_model_load fills a caller-owned model; report_model_free releases it.
 * Strings in runs and groups point into the model's csv_table. */
#ifndef ORCHESTRATOR_REPORT_MODEL_H
#define ORCHESTRATOR_REPORT_MODEL_H

#include <stddef.h>

#include "orchestrator/csv_read.h"

typedef enum report_objective { OBJ_RUNTIME = 0, OBJ_COST, OBJ_METRIC } report_objective;

typedef struct report_run {
    size_t row;                 /* index into results.rows */
    const char *experiment, *instance_type, *point_tag, *state, *result_dir, *price_source;
    int replicate, round;
    int has_exit_code, exit_code;
    int ok;                     /* state == "succeeded" */
    double runtime, cpu, peak_memory, metric, nodes, price, cost, queue; /* NAN: missing */
    size_t group;               /* index into groups */
} report_run;

typedef struct report_group {
    const char *instance_type, *point_tag;
    size_t n, n_ok, n_failed;
    double runtime_mean, runtime_std, runtime_sem, runtime_min, runtime_max, runtime_median;
    double cost_mean, cost_sem, metric_mean, metric_sem, price, queue_mean;
    const char *price_source;   /* of its first priced run, or "" */
    int rank;                   /* 1 = best by the objective; 0 = unranked (no data) */
    int pareto;                 /* on the cost/runtime Pareto front */
    size_t first_run;           /* index of its first run (for the point's parameters) */
} report_group;

typedef struct report_model {
    csv_table results;
    report_run *runs;
    size_t n_runs;
    report_group *groups;
    size_t n_groups;
    size_t *ranked;             /* group indices, best first; ranked groups only */
    size_t n_ranked;
    int *param_cols;            /* results.csv columns named param_* */
    size_t n_params;
    report_objective objective;
    long best_fastest, best_cheapest, best_metric; /* group index or -1 */
    int is_search;              /* more than one round, or rounds > 0 */
    int max_round;
    int has_cost, has_metric;
} report_model;

int  report_model_load(const char *results_csv, const char *objective, report_model *m,
                       char *err, size_t errlen);
/* The same from results.csv's text (the fuzz target's entry). */
int  report_model_parse(const char *data, size_t len, const char *objective, report_model *m,
                        char *err, size_t errlen);
void report_model_free(report_model *m);

/* The objective value of a run or a group (NAN when missing). */
double report_run_value(const report_model *m, const report_run *r);
double report_group_value(const report_model *m, const report_group *g);
const char *report_objective_name(report_objective o);   /* "runtime", "cost", ... */
const char *report_objective_unit(report_objective o);   /* "s", "USD", "" */
/* "TYPE" or "TYPE TAG" when the experiment has several points; into buf. */
const char *report_group_label(const report_model *m, const report_group *g, char *buf,
                               size_t n);

#endif

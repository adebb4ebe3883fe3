/* `orchestrate simulate`: replays a search on a table of already-measured configurations.
 * The search may only pick rows of the table, and "measures" a row by reading it; what is
 * counted is how many evaluations (and rounds of q) it takes to reach the best row and a
 * row within 5% and 10% of it, beside random order's expected (N+1)/(m+1) for m target
 * rows among N. This is how users judge a method on their own history.
 *
 *   orchestrate simulate TABLE.csv... --param COL... --objective EXPR [--method M[,M]]
 *       [--parallel q[,q]] [--seeds N] [--seed S] [--workload COL] [--where EXPR]
 *       [--nodes COL]
 *       [--initial N] [--design sobol|lhs|random] [--acquisition logei|ei|pi|ucb|hedge]
 *       [--ei-stop FRACTION] [--min-points N] [--batch believer|liar-min|liar-mean|liar-max]
 *       [--cost] [--price EXPR] [--csv FILE] [--trace FILE]
 *
 * Ownership: sim_load() allocates the workloads; sim_workloads_free() releases them. */
#ifndef ORCHESTRATOR_SIMULATE_H
#define ORCHESTRATOR_SIMULATE_H

#include <stddef.h>

#include "orchestrator/search.h"

#define SIM_TARGETS 3   /* the best row, within 5%, within 10% */
extern const double sim_target_fraction[SIM_TARGETS];

/* One workload: the distinct configurations of its rows and their objective. */
typedef struct sim_workload {
    char *name;
    size_t n_rows;          /* rows of the table in this workload (after --where) */
    search_space space;     /* one dimension per --param column */
    double *points;         /* n × space.n_dims distinct configurations */
    double *objective;      /* n: mean objective of the configuration's rows; NaN unusable */
    double *price;          /* n: mean $/h of the configuration's rows (--price), or NULL */
    size_t n;
    double best;            /* the smallest objective */
    size_t n_target[SIM_TARGETS];  /* configurations within each target */
} sim_workload;

/* What one replay took to reach each target (0: never) and, with a stop rule, where the
 * rule stopped and how far from the best that was (relative regret). */
typedef struct sim_result {
    size_t evals[SIM_TARGETS];
    size_t rounds[SIM_TARGETS];
    size_t stop_evals;      /* 0 when the rule never fired (or is off) */
    double stop_regret;
    size_t n_evals;         /* evaluations made: up to the end of the round that reached
                               the best row, or every configuration */
} sim_result;

/* One evaluation of a replay: the configuration (an index into the workload's points) and
 * the round (from 1) that proposed it. */
typedef struct sim_pick {
    size_t config;
    size_t round;
} sim_pick;

typedef struct sim_load_options {
    const char *const *params;
    size_t n_params;
    const char *objective;     /* expression over columns */
    const char *workload_col;  /* NULL: one workload per table, named after the file */
    const char *where;         /* NULL or a row filter expression */
    const char *nodes_col;     /* NULL or the --param column that counts nodes per run */
    const char *price;         /* NULL or an expression of a row's $/h (--price) */
} sim_load_options;

/* Reads a CSV table into one or more workloads (appended to *ws, *n_ws). 0 or -1. */
int  sim_load(const char *path, const sim_load_options *lo, sim_workload **ws, size_t *n_ws,
              char *err, size_t errlen);
/* The same on a table already in memory; name names its workloads. */
struct csv_table;
int  sim_load_table(const struct csv_table *t, const char *name, const sim_load_options *lo,
                    sim_workload **ws, size_t *n_ws, char *err, size_t errlen);
void sim_workloads_free(sim_workload *ws, size_t n);

/* One replay of a search with options opt and q points per round. */
int sim_replay(const sim_workload *w, const search_options *opt, size_t q, sim_result *out,
               char *err, size_t errlen);
/* The same, also writing its evaluations in order into picks (the caller's array of w->n,
 * enough for any replay since no configuration is evaluated twice; out->n_evals of them). */
int sim_replay_traced(const sim_workload *w, const search_options *opt, size_t q,
                      sim_result *out, sim_pick *picks, char *err, size_t errlen);

/* Random order's expected evaluations to hit one of m targets among n: (n+1)/(m+1). */
double sim_expected_random(size_t n, size_t m);

int cmd_simulate(int argc, char **argv);

#endif

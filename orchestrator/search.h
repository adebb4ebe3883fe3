/* The public face of the parameter and instance search, as the orchestrator's run loop (and
 * `orchestrate simulate`) use it:
 *
 *   search_space sp; ... build dimensions ...; search_space_finalize(&sp, ...);
 *   search *s = search_new(&sp, &opts, err, sizeof err);
 *   loop:
 *     search_ask(s, pending, n_pending, q, out, &n_out, ...)   -> up to q new points
 *     ... run them (× replicates) ...
 *     search_observe(s, &obs, ...)                            -> for each finished point
 *     if (search_should_stop(s, why, sizeof why)) break;
 *   search_best(s, x, &value, &std_error);
 *
 * Methods: grid (a full factorial, in order), random (seeded), bayes (an initial Sobol or
 * Latin-hypercube design, then a Gaussian process with expected improvement). The objective
 * is minimised; by default its log is modelled when every value is positive, and a cost
 * (cost_objective) as log(time) + the known log($/h) of each point. Failed points
 * are never proposed again and enter the model at the worst successful value, so they
 * steer the search away without stretching its scale. No proposal equals an observed,
 * pending or earlier proposed point (integers compared after rounding).
 *
 * Determinism: proposals are a function of the seed, the set of observations and the
 * pending points (their order does not matter), and the GP's warm-start state; save that
 * state with search_state_save() after each ask and restore it with search_state_load() to
 * make a resumed search propose exactly what the uninterrupted one would have.
 *
 * Ownership: search_new() borrows the space (it must outlive the search) and copies the
 * options; search_free() releases the search. Errors: -1 with a message in err. */
#ifndef ORCHESTRATOR_SEARCH_H
#define ORCHESTRATOR_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "orchestrator/search_acquisition.h"
#include "orchestrator/search_design.h"
#include "orchestrator/search_space.h"

typedef enum search_algo {
    SEARCH_ALGO_GRID = 0,
    SEARCH_ALGO_RANDOM,
    SEARCH_ALGO_BAYES
} search_algo;

/* How q > 1 points of one round are made different: each chosen (or pending) point is
 * added to the model with a made-up value before the next is chosen. */
typedef enum search_batch {
    SEARCH_BATCH_BELIEVER = 0,  /* kriging believer: the model's own mean */
    SEARCH_BATCH_LIAR_MIN,      /* constant liar: the best value so far */
    SEARCH_BATCH_LIAR_MEAN,
    SEARCH_BATCH_LIAR_MAX
} search_batch;

typedef struct search_options {
    search_algo algo;
    uint64_t seed;
    size_t n_initial;               /* initial design size; 0: n_dims + 1 within 3..10 */
    search_design_kind initial_design;
    search_acq_kind acquisition;
    double xi;                      /* EI/PI margin, standardised units (default 0) */
    double kappa;                   /* UCB width (default 1.96) */
    search_batch batch;
    int log_objective;              /* 1 log, 0 as is, -1 log when every value is > 0 */
    size_t max_evaluations;         /* stop after this many points; 0: no limit */
    double budget_usd;              /* stop when the costs fed reach it; 0: no budget */
    double ei_stop_fraction;        /* CherryPick's rule: stop when max EI < fraction ×
                                       best; 0: off */
    size_t min_points;              /* points before the EI rule applies; 0: max(6, n_init) */
    int has_constraint;             /* minimise subject to constraint value <= max */
    double constraint_max;
    int gp_restarts;                /* GP restarts besides the warm start (default 2) */
    int cost_objective;             /* the objective is a cost: a time × the point's $/h
                                       (search_space_price, or the candidate prices); the
                                       model learns the time and the known price is
                                       multiplied back in */
} search_options;

typedef struct search_observation {
    const double *x;         /* the point (native units, as asked) */
    double value;            /* objective: mean over replicates (ignored when failed) */
    double std_error;        /* standard error of that mean (replicate spread), or 0 */
    int failed;              /* the point failed or timed out */
    double cost;             /* dollars spent measuring it (budget rule), or 0 */
    double constraint;       /* the constrained metric (e.g. runtime), NaN when none */
} search_observation;

typedef struct search search;

void search_options_default(search_options *o);
/* "believer", "liar-min", "liar-mean", "liar-max"; 0 or -1. */
int  search_batch_parse(const char *name, search_batch *out);
/* "grid", "random", "bayes" (also "bayesian", "gp"); 0 or -1. */
int  search_algo_parse(const char *name, search_algo *out);
const char *search_algo_name(search_algo a);

search *search_new(const search_space *sp, const search_options *opt, char *err,
                   size_t errlen);
void search_free(search *s);

/* Restricts the search to a finite set of points (n × n_dims, copied), e.g. the rows of a
 * table of measured configurations. Candidates are scored exactly. */
int search_set_candidates(search *s, const double *points, size_t n, char *err, size_t errlen);
/* The $/h of each candidate of search_set_candidates(), in its order (n values, each > 0,
 * copied): with cost_objective, the price the model divides out, in place of
 * search_space_price() (e.g. a table whose price depends on more than type and nodes). */
int search_set_candidate_prices(search *s, const double *prices, size_t n, char *err,
                                size_t errlen);
/* The grid of the grid method (copied); without it the default grid of the space is used. */
int search_set_grid(search *s, const search_grid *g, char *err, size_t errlen);

int search_observe(search *s, const search_observation *obs, char *err, size_t errlen);

/* Up to q new points (q × n_dims into out) given n_pending points still running
 * (n_pending × n_dims, may be NULL). Fewer (down to 0) when the space is exhausted. */
int search_ask(search *s, const double *pending, size_t n_pending, size_t q, double *out,
               size_t *n_out, char *err, size_t errlen);

/* 1 (with the reason in why) when a stop rule holds: evaluations, budget, an exhausted
 * space, or the EI rule; 0 to continue; -1 on an error (in why). */
int search_should_stop(search *s, char *why, size_t len);

/* The best successful (and feasible) point: its coordinates, mean value and standard
 * error (repeated observations of a point are pooled). 0, or -1 when there is none. */
int search_best(const search *s, double *x, double *value, double *std_error);

size_t search_n_observations(const search *s);
double search_spent_usd(const search *s);
/* The largest expected improvement (original units) found at the last ask or stop check,
 * NaN before the model was used. */
double search_last_max_ei(const search *s);

/* The warm-start state as one line of text (caller frees), and its inverse. */
char *search_state_save(const search *s);
int   search_state_load(search *s, const char *text, char *err, size_t errlen);

#endif

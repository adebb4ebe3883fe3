/* What search.c (observations, stop rules, best point) and search_proposer.c (choosing new
 * points) share about a search. Not for use outside the search's own files. */
#ifndef ORCHESTRATOR_SEARCH_INTERNAL_H
#define ORCHESTRATOR_SEARCH_INTERNAL_H

#include "orchestrator/search.h"
#include "orchestrator/search_gp.h"

struct search {
    const search_space *sp;
    search_options opt;
    size_t D;                 /* sp->n_dims */
    /* Observations, in the order fed (the model sorts them). */
    double *obs_x;            /* n_obs × D, canonical */
    double *obs_value, *obs_se, *obs_cost, *obs_constraint;
    int *obs_failed;
    size_t n_obs, cap_obs;
    double spent;
    /* A finite candidate set: given (explicit) or the whole space enumerated. */
    double *cand;
    size_t n_cand;
    double *cand_price;       /* n_cand $/h of explicit candidates, or NULL */
    int cand_explicit;
    int cand_checked;         /* enumeration was considered */
    search_grid grid;
    int have_grid;
    double *theta;            /* warm start of the GP (SEARCH_GP_N_THETA(enc_dims)), or NULL */
    /* GP-Hedge: the gains of EI, PI and UCB, and the points each nominated at the
     * decisions made since the gains were last brought up to date (n_hedge decisions of
     * SEARCH_HEDGE_ARMS points), made when the search had hedge_nobs observations. */
    double hedge_gain[SEARCH_HEDGE_ARMS];
    double *hedge_nominee;    /* n_hedge × SEARCH_HEDGE_ARMS × D */
    size_t n_hedge, cap_hedge;
    size_t hedge_nobs;
    double last_max_ei;       /* original units; NaN when unknown */
    size_t last_max_ei_nobs;  /* n_obs when it was computed */
};

/* The model of one round: the objective's GP and, with a constraint, the constraint's. */
typedef struct search_model {
    search_gp gp;
    search_gp cgp;
    int has_constraint_model;
    int log_y;                /* the GP models log(value) */
    int priced;               /* ... minus log(price of the point): cost_objective */
    int log_c;                /* the constraint GP models log(constraint) */
    int has_best;             /* a feasible success exists */
    double best;              /* in model units (log(value) when priced, not minus the price) */
    double best_raw;          /* in original units */
    double y_min, y_mean, y_max;  /* the GP's units, over successes (liar values) */
} search_model;

/* Candidates the search may still propose, for finite sets. */
int  search_finite_candidates(search *s, char *err, size_t errlen);

int  search_model_build(search *s, search_model *m, char *err, size_t errlen);
void search_model_free(search_model *m);

int search_propose_grid(search *s, const double *tried, size_t n_tried, size_t q, double *out,
                        size_t *n_out, char *err, size_t errlen);
int search_propose_random(search *s, const double *tried, size_t n_tried, size_t q,
                          double *out, size_t *n_out, char *err, size_t errlen);
int search_propose_bayes(search *s, const double *pending, size_t n_pending, size_t q,
                         double *out, size_t *n_out, char *err, size_t errlen);
/* The largest expected improvement in original units over the untried points. */
int search_max_ei(search *s, double *max_ei, char *err, size_t errlen);

/* Appends one decision's SEARCH_HEDGE_ARMS nominees (SEARCH_HEDGE_ARMS × D); 0 or -1. */
int search_hedge_record(search *s, const double *nominees);

/* 1 when observation i met the constraint (or there is none). */
int search_obs_feasible(const search *s, size_t i);
/* 1 when x equals one of the n points in list. */
int search_point_in(const search_space *sp, const double *x, const double *list, size_t n);

#endif

/* Acquisition functions: how much a candidate with posterior mean mu and standard deviation
 * sd (of a target that is minimised) is worth measuring, given the best value so far.
 * Higher is better for every function here. */
#ifndef ORCHESTRATOR_SEARCH_ACQUISITION_H
#define ORCHESTRATOR_SEARCH_ACQUISITION_H

#include <stddef.h>

typedef enum search_acq_kind {
    SEARCH_ACQ_LOGEI = 0,  /* log of expected improvement, stable far from the incumbent */
    SEARCH_ACQ_EI,
    SEARCH_ACQ_PI,         /* probability of improvement */
    SEARCH_ACQ_UCB,        /* lower confidence bound, negated: -(mu - kappa sd) */
    SEARCH_ACQ_HEDGE       /* GP-Hedge over EI, PI and UCB (the proposer chooses) */
} search_acq_kind;

double search_norm_pdf(double z);
double search_norm_cdf(double z);
/* log Φ(z), accurate for very negative z. */
double search_log_norm_cdf(double z);

/* E[max(best - xi - f, 0)] for f ~ N(mu, sd²). */
double search_ei(double mu, double sd, double best, double xi);
/* log of the same, finite even when the EI underflows to 0; -INFINITY when sd = 0 and no
 * improvement is possible. */
double search_log_ei(double mu, double sd, double best, double xi);
/* P(f < best - xi). */
double search_pi(double mu, double sd, double best, double xi);
/* -(mu - kappa sd). */
double search_ucb(double mu, double sd, double kappa);
/* Expected improvement in the original units of a target whose log is N(mu, sd²):
 * E[max(best - exp(f), 0)] (CherryPick's stop rule compares it with the best value). */
double search_ei_lognormal(double mu, double sd, double best);

/* GP-Hedge (Hoffman, Brochu and de Freitas, 2011) over n acquisitions: each has a gain,
 * the sum over past decisions of the model's posterior mean (negated: we minimise) at the
 * point it nominated, evaluated once the model has seen the results. */
#define SEARCH_HEDGE_ARMS 3   /* EI, PI and UCB, in that order */
/* gains[a] -= sum over k < n_decisions of mu[k * n + a] (posterior means of the nominees
 * of decision k under the updated model). */
void search_hedge_add_gains(double *gains, size_t n, const double *mu, size_t n_decisions);
/* The probability of choosing each acquisition: softmax(eta × gains), with p[a] = 0 where
 * gains[a] is -inf or available[a] is 0 (available may be NULL). Uniform when nothing is
 * available. */
void search_hedge_probabilities(const double *gains, const int *available, size_t n,
                                double eta, double *p);

/* "logei", "ei", "pi", "ucb", "hedge"; 0 or -1. */
int search_acq_parse(const char *name, search_acq_kind *out);
const char *search_acq_name(search_acq_kind k);
/* The score of one kind (not HEDGE) with parameters xi (EI, PI) and kappa (UCB). */
double search_acq_score(search_acq_kind k, double mu, double sd, double best, double xi,
                        double kappa);

#endif

/* A Gaussian-process regression model for the search: ARD Matérn 5/2 kernel on inputs in
 * the unit cube, standardised targets, a learned noise term with a floor plus optional
 * known per-point noise (the spread of replicates), and hyperparameters fitted by
 * maximising the log marginal likelihood plus log priors (MAP) over log-parameters with
 * L-BFGS and analytic gradients, from a warm start and seeded restarts. When the Cholesky
 * factorisation fails, a jitter ladder (1e-10 .. 1e-2 of the signal variance) is tried.
 *
 * The kernel is Matérn 5/2, optionally plus a linear trend v_lin·(x - ½)·(x' - ½): in
 * log space runtimes and costs are often nearly linear in log-scaled inputs (power laws,
 * prices), a trend the Matérn part would otherwise learn point by point. Its variance is
 * learned with the others. Off by default: its prior variance grows towards the cube's
 * faces, which draws a continuous search's acquisition to the boundary.
 *
 * Hyperparameters theta (SEARCH_GP_N_THETA(dims) = dims + 3 values): log lengthscale per
 * input dimension, log signal variance, log noise variance, log linear-trend variance
 * (held at its minimum and unused without the trend), all in standardised units.
 *
 * Ownership: search_gp_init() zeroes a caller-owned struct, search_gp_free() releases
 * what the other functions allocated inside it. Errors: -1 with a message in err. */
#ifndef ORCHESTRATOR_SEARCH_GP_H
#define ORCHESTRATOR_SEARCH_GP_H

#include <stddef.h>
#include <stdint.h>

#define SEARCH_GP_N_THETA(dims) ((dims) + 3)

typedef struct search_gp {
    size_t n, dims;
    double *X;             /* n × dims inputs */
    double *y;             /* n standardised targets */
    double *known_noise;   /* n known noise variances in standardised units (may be 0) */
    double y_mean, y_std;  /* raw = y_mean + y_std × standardised */
    double *theta;         /* SEARCH_GP_N_THETA(dims) */
    double noise_floor;    /* lower bound of the learned noise variance */
    int linear_trend;      /* the kernel has the linear trend (set by search_gp_fit) */
    /* Factorisation at theta: */
    double *L;             /* n × n lower Cholesky factor of K + noise */
    double *alpha;         /* (K + noise)^-1 y */
    double jitter;         /* what the ladder had to add, 0 normally */
    double log_marginal;   /* log marginal likelihood at theta */
} search_gp;

typedef struct search_gp_fit_options {
    const double *warm_theta;  /* a previous fit's theta (SEARCH_GP_N_THETA), or NULL */
    int restarts;              /* extra starting points drawn from the priors */
    int max_iterations;        /* per L-BFGS run; 0: 60 */
    uint64_t seed;
    double noise_floor;        /* 0: 1e-6 */
    int linear_trend;          /* 1: Matérn plus a learned linear trend */
} search_gp_fit_options;

void search_gp_init(search_gp *gp);
void search_gp_free(search_gp *gp);

/* Copies the data and standardises y; noise_var (raw units squared, may be NULL) is the
 * known noise variance of each target. Resets theta to the prior's centre. */
int search_gp_set_data(search_gp *gp, const double *X, const double *y,
                       const double *noise_var, size_t n, size_t dims, char *err, size_t errlen);
/* Factorises at gp->theta (jitter ladder as needed). */
int search_gp_factorize(search_gp *gp, char *err, size_t errlen);
/* Fits theta (MAP) and factorises. */
int search_gp_fit(search_gp *gp, const search_gp_fit_options *opt, char *err, size_t errlen);

/* The MAP objective at theta: log marginal likelihood + log prior, and its gradient in grad
 * (SEARCH_GP_N_THETA(dims), may be NULL). Returns -INFINITY when the matrix cannot be factorised. The
 * likelihood alone is in *log_ml when log_ml is not NULL. */
double search_gp_log_posterior(const search_gp *gp, const double *theta, double *grad,
                               double *log_ml);

/* Posterior of the latent function at x, in standardised units. */
void search_gp_predict(const search_gp *gp, const double *x, double *mean, double *var);
/* The same in raw target units (mean and standard deviation). */
void search_gp_predict_raw(const search_gp *gp, const double *x, double *mean, double *sd);

/* Appends an observation (raw units) without refitting theta: the "kriging believer" and
 * "constant liar" of parallel proposals. O(n^2). */
int search_gp_append(search_gp *gp, const double *x, double y_raw, char *err, size_t errlen);

/* Cholesky of the n × n symmetric matrix a (lower part used) into l (lower, row-major);
 * 0, or -1 when not positive definite. Exposed for the tests of the jitter ladder. */
int search_cholesky(const double *a, double *l, size_t n);
/* The ladder: factorises a + jitter·I for jitter 0, then scale × 1e-10, 1e-9, ... 1e-2;
 * the jitter used in *jitter. 0, or -1 when every step failed. */
int search_cholesky_jitter(const double *a, double *l, size_t n, double scale, double *jitter);

#endif

#include "orchestrator/search_gp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orchestrator/search_rng.h"

#define SQRT5 2.23606797749978969641

/* Priors and boxes of the log-hyperparameters. Inputs live in the unit cube and targets
 * are standardised, so these are scale-free. The lengthscale prior's centre grows with
 * the square root of the dimension (longer lengthscales in more dimensions keep the model
 * from explaining everything by wiggles). */
#define LOG_LEN_MIN   (-5.3)   /* 0.005 */
#define LOG_LEN_MAX   4.0      /* 55 */
#define LOG_LEN_SD    1.5
#define LOG_SIG_MIN   (-4.6)   /* 0.01 */
#define LOG_SIG_MAX   4.6
#define LOG_SIG_SD    1.5
#define LOG_NOISE_MAX 0.7      /* 2 */
#define LOG_NOISE_MU  (-11.5)  /* 1e-5: measurements repeat well; more must be earned */
#define LOG_NOISE_SD  2.5
/* The linear trend's weight variance: centred on a trend that spans about the targets'
 * spread across the cube, free to fall to nothing where the data has no trend. */
#define LOG_LIN_MIN   (-14.0)
#define LOG_LIN_MAX   4.0
#define LOG_LIN_SD    2.0

static double len_prior_mu(size_t dims)
{
    return log(0.5) + 0.5 * log((double)(dims ? dims : 1));
}

/* A trend of weights ~ N(0, v) over d centred unit inputs has variance v·d/12 at random
 * points: v = 6/d makes that ½ of the standardised targets' variance. */
static double lin_prior_mu(size_t dims)
{
    return log(6.0 / (double)(dims ? dims : 1));
}

void search_gp_init(search_gp *gp)
{
    memset(gp, 0, sizeof *gp);
}

void search_gp_free(search_gp *gp)
{
    free(gp->X);
    free(gp->y);
    free(gp->known_noise);
    free(gp->theta);
    free(gp->L);
    free(gp->alpha);
    memset(gp, 0, sizeof *gp);
}

/* ---- linear algebra -------------------------------------------------------------------- */

int search_cholesky(const double *a, double *l, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j <= i; j++) {
            double s = a[i * n + j];
            const double *li = l + i * n, *lj = l + j * n;
            for (size_t k = 0; k < j; k++)
                s -= li[k] * lj[k];
            if (i == j) {
                /* A pivot lost in rounding means a singular matrix, not a tiny variance. */
                if (!(s > 1e-13 * fabs(a[i * n + i])) || !isfinite(s))
                    return -1;
                l[i * n + i] = sqrt(s);
            } else {
                l[i * n + j] = s / l[j * n + j];
            }
        }
        for (size_t j = i + 1; j < n; j++)
            l[i * n + j] = 0;
    }
    return 0;
}

int search_cholesky_jitter(const double *a, double *l, size_t n, double scale, double *jitter)
{
    if (search_cholesky(a, l, n) == 0) {
        *jitter = 0;
        return 0;
    }
    double *b = malloc(n * n * sizeof *b);
    if (!b)
        return -1;
    int rc = -1;
    for (double j = 1e-10; j <= 1.01e-2; j *= 10) {
        memcpy(b, a, n * n * sizeof *b);
        for (size_t i = 0; i < n; i++)
            b[i * n + i] += j * scale;
        if (search_cholesky(b, l, n) == 0) {
            *jitter = j * scale;
            rc = 0;
            break;
        }
    }
    free(b);
    return rc;
}

/* Solves L z = b in place (forward substitution). */
static void solve_lower(const double *l, size_t n, double *b)
{
    for (size_t i = 0; i < n; i++) {
        double s = b[i];
        for (size_t k = 0; k < i; k++)
            s -= l[i * n + k] * b[k];
        b[i] = s / l[i * n + i];
    }
}

/* Solves L^T z = b in place (back substitution). */
static void solve_upper_t(const double *l, size_t n, double *b)
{
    for (size_t i = n; i-- > 0;) {
        double s = b[i];
        for (size_t k = i + 1; k < n; k++)
            s -= l[k * n + i] * b[k];
        b[i] = s / l[i * n + i];
    }
}

/* (L L^T)^-1 into inv (n × n, full): first L^-1 column by column, then its Gram matrix. */
static int cholesky_inverse(const double *l, size_t n, double *inv)
{
    double *li = calloc(n * n, sizeof *li);   /* L^-1, lower */
    if (!li)
        return -1;
    for (size_t j = 0; j < n; j++) {
        li[j * n + j] = 1.0 / l[j * n + j];
        for (size_t i = j + 1; i < n; i++) {
            double s = 0;
            for (size_t k = j; k < i; k++)
                s -= l[i * n + k] * li[k * n + j];
            li[i * n + j] = s / l[i * n + i];
        }
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j <= i; j++) {
            double s = 0;
            for (size_t k = i; k < n; k++)
                s += li[k * n + i] * li[k * n + j];
            inv[i * n + j] = inv[j * n + i] = s;
        }
    free(li);
    return 0;
}

/* ---- kernel ------------------------------------------------------------------------------ */

static double matern52(double r)
{
    return (1 + SQRT5 * r + 5.0 / 3.0 * r * r) * exp(-SQRT5 * r);
}

/* The linear part of the kernel without its variance: (a - ½)·(b - ½). In log space,
 * runtimes and costs are often close to linear in log-scaled inputs (power laws, prices):
 * a trend the Matérn part alone would have to learn point by point. */
static double linear_dot(const double *a, const double *b, size_t dims)
{
    double s = 0;
    for (size_t d = 0; d < dims; d++)
        s += (a[d] - 0.5) * (b[d] - 0.5);
    return s;
}

/* The kernel at one theta, with the inverse lengthscales worked out once (an exp per
 * dimension per pair was most of a prediction's time). */
typedef struct kernel_params {
    size_t dims;
    double sf2, sl2;
    const double *inv_len;
} kernel_params;

static void kernel_params_at(kernel_params *kp, const search_gp *gp, const double *theta,
                             double *inv_len)
{
    size_t dims = gp->dims;
    for (size_t d = 0; d < dims; d++)
        inv_len[d] = exp(-theta[d]);
    kp->dims = dims;
    kp->sf2 = exp(theta[dims]);
    kp->sl2 = gp->linear_trend ? exp(theta[dims + 2]) : 0;
    kp->inv_len = inv_len;
}

/* The covariance of two inputs, without noise. */
static double kernel(const kernel_params *kp, const double *a, const double *b)
{
    double r2 = 0, lin = 0;
    for (size_t d = 0; d < kp->dims; d++) {
        double t = (a[d] - b[d]) * kp->inv_len[d];
        r2 += t * t;
        lin += (a[d] - 0.5) * (b[d] - 0.5);
    }
    return kp->sf2 * matern52(sqrt(r2)) + kp->sl2 * lin;
}

/* K + noise at theta into k (n × n); 0, or -1 on no memory. */
static int build_cov(const search_gp *gp, const double *theta, double *k)
{
    size_t n = gp->n, D = gp->dims;
    double sn2 = exp(theta[D + 1]), *inv_len = malloc((D ? D : 1) * sizeof *inv_len);
    if (!inv_len)
        return -1;
    kernel_params kp;
    kernel_params_at(&kp, gp, theta, inv_len);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++)
            k[i * n + j] = k[j * n + i] = kernel(&kp, gp->X + i * D, gp->X + j * D);
        k[i * n + i] = kernel(&kp, gp->X + i * D, gp->X + i * D) + sn2 + gp->known_noise[i];
    }
    free(inv_len);
    return 0;
}

/* ---- data -------------------------------------------------------------------------------- */

/* The prior's centre; without the trend its variance stays at the (unused) minimum. */
static void theta_default(double *theta, size_t dims, int linear_trend)
{
    for (size_t d = 0; d < dims; d++)
        theta[d] = len_prior_mu(dims);
    theta[dims] = 0;
    theta[dims + 1] = LOG_NOISE_MU;
    theta[dims + 2] = linear_trend ? lin_prior_mu(dims) : LOG_LIN_MIN;
}

int search_gp_set_data(search_gp *gp, const double *X, const double *y,
                       const double *noise_var, size_t n, size_t dims, char *err, size_t errlen)
{
    search_gp_free(gp);
    gp->n = n;
    gp->dims = dims;
    gp->X = malloc((n ? n : 1) * dims * sizeof *gp->X + 1);
    gp->y = malloc((n ? n : 1) * sizeof *gp->y);
    gp->known_noise = calloc(n ? n : 1, sizeof *gp->known_noise);
    gp->theta = malloc(SEARCH_GP_N_THETA(dims) * sizeof *gp->theta);
    if (!gp->X || !gp->y || !gp->known_noise || !gp->theta) {
        search_gp_free(gp);
        snprintf(err, errlen, "GP: out of memory");
        return -1;
    }
    memcpy(gp->X, X, n * dims * sizeof *gp->X);
    double mean = 0, var = 0;
    for (size_t i = 0; i < n; i++)
        mean += y[i];
    mean = n ? mean / (double)n : 0;
    for (size_t i = 0; i < n; i++)
        var += (y[i] - mean) * (y[i] - mean);
    double sd = n > 1 ? sqrt(var / (double)(n - 1)) : 1;
    if (!(sd > 1e-12))
        sd = 1;  /* constant targets: keep the scale, the model is flat anyway */
    gp->y_mean = mean;
    gp->y_std = sd;
    for (size_t i = 0; i < n; i++) {
        gp->y[i] = (y[i] - mean) / sd;
        gp->known_noise[i] = noise_var && noise_var[i] > 0 ? noise_var[i] / (sd * sd) : 0;
    }
    gp->noise_floor = 1e-6;
    theta_default(gp->theta, dims, gp->linear_trend);
    return 0;
}

/* ---- likelihood -------------------------------------------------------------------------- */

static double log_prior(const double *theta, size_t D, int linear_trend, double *grad)
{
    double lp = 0, mu = len_prior_mu(D);
    for (size_t d = 0; d < D; d++) {
        double z = (theta[d] - mu) / LOG_LEN_SD;
        lp -= 0.5 * z * z;
        if (grad)
            grad[d] -= z / LOG_LEN_SD;
    }
    double zs = theta[D] / LOG_SIG_SD, zn = (theta[D + 1] - LOG_NOISE_MU) / LOG_NOISE_SD;
    double zl = linear_trend ? (theta[D + 2] - lin_prior_mu(D)) / LOG_LIN_SD : 0;
    lp -= 0.5 * (zs * zs + zn * zn + zl * zl);
    if (grad) {
        grad[D] -= zs / LOG_SIG_SD;
        grad[D + 1] -= zn / LOG_NOISE_SD;
        grad[D + 2] -= zl / LOG_LIN_SD;
    }
    return lp;
}

/* Adds ½ tr(W dK/dtheta) to grad, with W = alpha alpha^T - K^-1. */
static void add_ml_gradient(const search_gp *gp, const double *theta, const double *alpha,
                            const double *kinv, double *grad)
{
    size_t n = gp->n, D = gp->dims;
    double sf2 = exp(theta[D]), sn2 = exp(theta[D + 1]);
    double sl2 = gp->linear_trend ? exp(theta[D + 2]) : 0;
    double *inv_len2 = malloc(D * sizeof *inv_len2);
    if (!inv_len2)
        return;
    for (size_t d = 0; d < D; d++)
        inv_len2[d] = exp(-2 * theta[d]);
    for (size_t i = 0; i < n; i++) {
        double wii = alpha[i] * alpha[i] - kinv[i * n + i];
        grad[D] += 0.5 * wii * sf2;
        grad[D + 1] += 0.5 * wii * sn2;
        const double *xi = gp->X + i * D;
        grad[D + 2] += 0.5 * wii * sl2 * linear_dot(xi, xi, D);
        for (size_t j = 0; j < i; j++) {
            const double *xj = gp->X + j * D;
            double w = alpha[i] * alpha[j] - kinv[i * n + j];  /* counted twice: i<j, j<i */
            double r2 = 0;
            for (size_t d = 0; d < D; d++)
                r2 += (xi[d] - xj[d]) * (xi[d] - xj[d]) * inv_len2[d];
            double r = sqrt(r2), e = exp(-SQRT5 * r);
            grad[D] += w * sf2 * (1 + SQRT5 * r + 5.0 / 3.0 * r2) * e;
            grad[D + 2] += w * sl2 * linear_dot(xi, xj, D);
            /* dK/dlog l_d = sf2 · 5/3 (1 + √5 r) e^{-√5 r} · Δ_d² / l_d² */
            double c = w * sf2 * 5.0 / 3.0 * (1 + SQRT5 * r) * e;
            for (size_t d = 0; d < D; d++)
                grad[d] += c * (xi[d] - xj[d]) * (xi[d] - xj[d]) * inv_len2[d];
        }
    }
    free(inv_len2);
}

double search_gp_log_posterior(const search_gp *gp, const double *theta, double *grad,
                               double *log_ml)
{
    size_t n = gp->n, D = gp->dims;
    if (grad)
        memset(grad, 0, SEARCH_GP_N_THETA(D) * sizeof *grad);
    double *k = malloc(n * n * sizeof *k), *l = malloc(n * n * sizeof *l);
    double *alpha = malloc(n * sizeof *alpha);
    double result = -INFINITY;
    if (!k || !l || !alpha)
        goto out;
    if (build_cov(gp, theta, k) != 0 || search_cholesky(k, l, n) != 0)
        goto out;
    memcpy(alpha, gp->y, n * sizeof *alpha);
    solve_lower(l, n, alpha);
    double quad = 0, logdet = 0;
    for (size_t i = 0; i < n; i++) {
        quad += alpha[i] * alpha[i];
        logdet += log(l[i * n + i]);
    }
    solve_upper_t(l, n, alpha);
    double ml = -0.5 * quad - logdet - 0.5 * (double)n * log(2 * M_PI);
    if (log_ml)
        *log_ml = ml;
    if (grad) {
        /* K is no longer needed: reuse its memory for K^-1. */
        if (cholesky_inverse(l, n, k) != 0)
            goto out;
        add_ml_gradient(gp, theta, alpha, k, grad);
    }
    result = ml + log_prior(theta, D, gp->linear_trend, grad);
out:
    free(k);
    free(l);
    free(alpha);
    return result;
}

/* ---- fitting ----------------------------------------------------------------------------- */

static void theta_bounds(const search_gp *gp, size_t i, double *lo, double *hi)
{
    size_t D = gp->dims;
    if (i < D) {
        *lo = LOG_LEN_MIN;
        *hi = LOG_LEN_MAX;
    } else if (i == D) {
        *lo = LOG_SIG_MIN;
        *hi = LOG_SIG_MAX;
    } else if (i == D + 2) {
        *lo = LOG_LIN_MIN;
        *hi = gp->linear_trend ? LOG_LIN_MAX : LOG_LIN_MIN;
    } else {
        *lo = log(gp->noise_floor);
        *hi = LOG_NOISE_MAX;
    }
}

static void clamp_theta(const search_gp *gp, double *theta)
{
    for (size_t i = 0; i < SEARCH_GP_N_THETA(gp->dims); i++) {
        double lo, hi;
        theta_bounds(gp, i, &lo, &hi);
        theta[i] = fmin(fmax(theta[i], lo), hi);
    }
}

/* Largest gradient component that is free to move (not pushing into a bound). */
static double projected_grad_norm(const search_gp *gp, const double *theta, const double *g)
{
    double m = 0;
    for (size_t i = 0; i < SEARCH_GP_N_THETA(gp->dims); i++) {
        double lo, hi;
        theta_bounds(gp, i, &lo, &hi);
        /* g is the gradient of the objective we minimise (negative posterior). */
        if ((theta[i] <= lo && g[i] > 0) || (theta[i] >= hi && g[i] < 0))
            continue;
        m = fmax(m, fabs(g[i]));
    }
    return m;
}

#define LBFGS_M 7

/* Minimises -log posterior from theta (in place) with projected L-BFGS and a backtracking
 * Armijo line search. Returns the final negative log posterior (INFINITY when theta was
 * infeasible throughout). */
static double lbfgs(const search_gp *gp, double *theta, int max_iter)
{
    size_t P = SEARCH_GP_N_THETA(gp->dims);
    double *g = calloc(P, sizeof *g), *gn = calloc(P, sizeof *gn), *dir = calloc(P, sizeof *dir);
    double *tn = calloc(P, sizeof *tn), *s = calloc(LBFGS_M * P, sizeof *s);
    double *yv = calloc(LBFGS_M * P, sizeof *yv), rho[LBFGS_M], a[LBFGS_M];
    double f = INFINITY;
    if (!g || !gn || !dir || !tn || !s || !yv)
        goto out;
    clamp_theta(gp, theta);
    f = -search_gp_log_posterior(gp, theta, g, NULL);
    if (!isfinite(f))
        goto out;
    for (size_t i = 0; i < P; i++)
        g[i] = -g[i];
    int stored = 0, head = 0;
    for (int it = 0; it < max_iter; it++) {
        if (projected_grad_norm(gp, theta, g) < 1e-5)
            break;
        /* Two-loop recursion: dir = -H g. */
        for (size_t i = 0; i < P; i++)
            dir[i] = -g[i];
        for (int k = 0; k < stored; k++) {
            int idx = (head - 1 - k + LBFGS_M) % LBFGS_M;
            double dot = 0;
            for (size_t i = 0; i < P; i++)
                dot += s[idx * P + i] * dir[i];
            a[idx] = rho[idx] * dot;
            for (size_t i = 0; i < P; i++)
                dir[i] -= a[idx] * yv[idx * P + i];
        }
        if (stored) {
            int last = (head - 1 + LBFGS_M) % LBFGS_M;
            double sy = 0, yy = 0;
            for (size_t i = 0; i < P; i++) {
                sy += s[last * P + i] * yv[last * P + i];
                yy += yv[last * P + i] * yv[last * P + i];
            }
            for (size_t i = 0; i < P; i++)
                dir[i] *= sy / yy;
        } else {
            double gn2 = 0;
            for (size_t i = 0; i < P; i++)
                gn2 += g[i] * g[i];
            for (size_t i = 0; i < P; i++)
                dir[i] /= fmax(1.0, sqrt(gn2));
        }
        for (int k = stored - 1; k >= 0; k--) {
            int idx = (head - 1 - k + LBFGS_M) % LBFGS_M;
            double dot = 0;
            for (size_t i = 0; i < P; i++)
                dot += yv[idx * P + i] * dir[i];
            double b = rho[idx] * dot;
            for (size_t i = 0; i < P; i++)
                dir[i] += (a[idx] - b) * s[idx * P + i];
        }
        double slope = 0;
        for (size_t i = 0; i < P; i++)
            slope += dir[i] * g[i];
        if (!(slope < 0)) {  /* not a descent direction: restart from steepest descent */
            stored = 0;
            for (size_t i = 0; i < P; i++)
                dir[i] = -g[i];
        }
        double t = 1, fn = INFINITY;
        int accepted = 0;
        for (int ls = 0; ls < 25; ls++, t *= 0.5) {
            for (size_t i = 0; i < P; i++)
                tn[i] = theta[i] + t * dir[i];
            clamp_theta(gp, tn);
            double decrease = 0;
            for (size_t i = 0; i < P; i++)
                decrease += g[i] * (tn[i] - theta[i]);
            fn = -search_gp_log_posterior(gp, tn, gn, NULL);
            if (isfinite(fn) && fn <= f + 1e-4 * decrease) {
                accepted = 1;
                break;
            }
        }
        if (!accepted)
            break;
        for (size_t i = 0; i < P; i++)
            gn[i] = -gn[i];
        double sy = 0;
        for (size_t i = 0; i < P; i++) {
            s[head * P + i] = tn[i] - theta[i];
            yv[head * P + i] = gn[i] - g[i];
            sy += s[head * P + i] * yv[head * P + i];
        }
        if (sy > 1e-10) {
            rho[head] = 1.0 / sy;
            head = (head + 1) % LBFGS_M;
            if (stored < LBFGS_M)
                stored++;
        }
        double df = f - fn;
        memcpy(theta, tn, P * sizeof *theta);
        memcpy(g, gn, P * sizeof *g);
        f = fn;
        if (df < 1e-9 * fmax(1.0, fabs(f)))
            break;
    }
out:
    free(g);
    free(gn);
    free(dir);
    free(tn);
    free(s);
    free(yv);
    return f;
}

static void theta_from_prior(const search_gp *gp, search_rng *r, double *theta)
{
    size_t D = gp->dims;
    for (size_t d = 0; d < D; d++)
        theta[d] = len_prior_mu(D) + LOG_LEN_SD * search_rng_normal(r);
    theta[D] = LOG_SIG_SD * search_rng_normal(r);
    theta[D + 1] = LOG_NOISE_MU + LOG_NOISE_SD * search_rng_normal(r);
    theta[D + 2] = gp->linear_trend ? lin_prior_mu(D) + LOG_LIN_SD * search_rng_normal(r)
                                    : LOG_LIN_MIN;
    clamp_theta(gp, theta);
}

#define FIT_SCREEN 8   /* prior draws screened by their value before the best is optimised */

int search_gp_fit(search_gp *gp, const search_gp_fit_options *opt, char *err, size_t errlen)
{
    size_t P = SEARCH_GP_N_THETA(gp->dims);
    gp->noise_floor = opt && opt->noise_floor > 0 ? opt->noise_floor : 1e-6;
    gp->linear_trend = opt && opt->linear_trend;
    int max_iter = opt && opt->max_iterations > 0 ? opt->max_iterations : 60;
    int restarts = opt ? opt->restarts : 1;
    /* A warm start is usually next to the optimum already: one fresh start is enough to
     * notice when the data has moved it elsewhere, and halves the time of large fits. */
    if (opt && opt->warm_theta && restarts > 1)
        restarts = 1;
    double *best = malloc(P * sizeof *best), *cand = malloc(P * sizeof *cand);
    double *screen = malloc(P * sizeof *screen);
    if (!best || !cand || !screen) {
        free(best);
        free(cand);
        free(screen);
        snprintf(err, errlen, "GP: out of memory");
        return -1;
    }
    double best_f = INFINITY;
    /* Start 1: the warm start (or the prior's centre). */
    if (opt && opt->warm_theta)
        memcpy(cand, opt->warm_theta, P * sizeof *cand);
    else
        theta_default(cand, gp->dims, gp->linear_trend);
    double f = lbfgs(gp, cand, max_iter);
    if (f < best_f) {
        best_f = f;
        memcpy(best, cand, P * sizeof *best);
    }
    /* Restarts: the best of a few prior draws (and the prior's centre when warm-started),
     * each optimised in turn. */
    search_rng r;
    search_rng_seed(&r, opt ? opt->seed : 0, gp->n);
    for (int k = 0; k < restarts; k++) {
        double best_screen = INFINITY;
        for (int s = 0; s < FIT_SCREEN; s++) {
            if (k == 0 && s == 0 && opt && opt->warm_theta)
                theta_default(screen, gp->dims, gp->linear_trend);
            else
                theta_from_prior(gp, &r, screen);
            double fs = -search_gp_log_posterior(gp, screen, NULL, NULL);
            if (fs < best_screen) {
                best_screen = fs;
                memcpy(cand, screen, P * sizeof *cand);
            }
        }
        if (!isfinite(best_screen))
            continue;
        f = lbfgs(gp, cand, max_iter);
        if (f < best_f) {
            best_f = f;
            memcpy(best, cand, P * sizeof *best);
        }
    }
    if (isfinite(best_f))
        memcpy(gp->theta, best, P * sizeof *best);
    else
        theta_default(gp->theta, gp->dims, gp->linear_trend);  /* nothing factorised cleanly: the ladder will */
    free(best);
    free(cand);
    free(screen);
    return search_gp_factorize(gp, err, errlen);
}

int search_gp_factorize(search_gp *gp, char *err, size_t errlen)
{
    size_t n = gp->n;
    free(gp->L);
    free(gp->alpha);
    gp->L = malloc((n ? n * n : 1) * sizeof *gp->L);
    gp->alpha = malloc((n ? n : 1) * sizeof *gp->alpha);
    double *k = malloc((n ? n * n : 1) * sizeof *k);
    if (!gp->L || !gp->alpha || !k) {
        free(k);
        snprintf(err, errlen, "GP: out of memory");
        return -1;
    }
    if (build_cov(gp, gp->theta, k) != 0) {
        free(k);
        snprintf(err, errlen, "GP: out of memory");
        return -1;
    }
    int rc = search_cholesky_jitter(k, gp->L, n, exp(gp->theta[gp->dims]), &gp->jitter);
    free(k);
    if (rc != 0) {
        snprintf(err, errlen, "GP: covariance matrix not positive definite even with jitter");
        return -1;
    }
    memcpy(gp->alpha, gp->y, n * sizeof *gp->alpha);
    solve_lower(gp->L, n, gp->alpha);
    double quad = 0, logdet = 0;
    for (size_t i = 0; i < n; i++) {
        quad += gp->alpha[i] * gp->alpha[i];
        logdet += log(gp->L[i * n + i]);
    }
    solve_upper_t(gp->L, n, gp->alpha);
    gp->log_marginal = -0.5 * quad - logdet - 0.5 * (double)n * log(2 * M_PI);
    return 0;
}

/* ---- prediction -------------------------------------------------------------------------- */

void search_gp_predict(const search_gp *gp, const double *x, double *mean, double *var)
{
    size_t n = gp->n, D = gp->dims;
    double stackbuf[256], inv_stack[64];
    double *ks = n <= 256 ? stackbuf : malloc(n * sizeof *ks);
    double *inv_len = D <= 64 ? inv_stack : malloc(D * sizeof *inv_len);
    if (!ks || !inv_len) {
        /* Out of memory: know nothing rather than crash. */
        if (ks != stackbuf)
            free(ks);
        if (inv_len != inv_stack)
            free(inv_len);
        *mean = 0;
        *var = exp(gp->theta[D]);
        return;
    }
    kernel_params kp;
    kernel_params_at(&kp, gp, gp->theta, inv_len);
    double prior = kernel(&kp, x, x);
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        ks[i] = kernel(&kp, x, gp->X + i * D);
        m += ks[i] * gp->alpha[i];
    }
    solve_lower(gp->L, n, ks);
    double v = prior;
    for (size_t i = 0; i < n; i++)
        v -= ks[i] * ks[i];
    *mean = m;
    *var = v > 1e-12 * prior ? v : 1e-12 * prior;
    if (ks != stackbuf)
        free(ks);
    if (inv_len != inv_stack)
        free(inv_len);
}

void search_gp_predict_raw(const search_gp *gp, const double *x, double *mean, double *sd)
{
    double m, v;
    search_gp_predict(gp, x, &m, &v);
    *mean = gp->y_mean + gp->y_std * m;
    *sd = gp->y_std * sqrt(v);
}

int search_gp_append(search_gp *gp, const double *x, double y_raw, char *err, size_t errlen)
{
    size_t n = gp->n, D = gp->dims, m = n + 1;
    double sn2 = exp(gp->theta[D + 1]);
    double *X = realloc(gp->X, m * D * sizeof *X + 1);
    if (X)
        gp->X = X;
    double *y = realloc(gp->y, m * sizeof *y);
    if (y)
        gp->y = y;
    double *kn = realloc(gp->known_noise, m * sizeof *kn);
    if (kn)
        gp->known_noise = kn;
    double *L = malloc(m * m * sizeof *L), *alpha = malloc(m * sizeof *alpha);
    double *inv_len = malloc((D ? D : 1) * sizeof *inv_len);
    if (!X || !y || !kn || !L || !alpha || !inv_len) {
        free(L);
        free(alpha);
        free(inv_len);
        snprintf(err, errlen, "GP: out of memory");
        return -1;
    }
    memcpy(gp->X + n * D, x, D * sizeof *x);
    gp->y[n] = (y_raw - gp->y_mean) / gp->y_std;
    gp->known_noise[n] = 0;
    kernel_params kp;
    kernel_params_at(&kp, gp, gp->theta, inv_len);
    /* The new row of the factor: l = L^-1 k(x, X), d = sqrt(k(x,x) + noise - l·l). */
    for (size_t i = 0; i < n; i++) {
        memcpy(L + i * m, gp->L + i * n, n * sizeof *L);
        L[i * m + n] = 0;
        alpha[i] = kernel(&kp, x, gp->X + i * D);
    }
    solve_lower(gp->L, n, alpha);
    double kxx = kernel(&kp, x, x), d2 = kxx + sn2 + gp->jitter;
    for (size_t i = 0; i < n; i++) {
        L[n * m + i] = alpha[i];
        d2 -= alpha[i] * alpha[i];
    }
    /* A point on top of another one leaves almost nothing: keep the factor well posed. */
    L[n * m + n] = sqrt(fmax(d2, 1e-10 * kxx));
    free(gp->L);
    gp->L = L;
    gp->n = m;
    memcpy(alpha, gp->y, m * sizeof *alpha);
    solve_lower(gp->L, m, alpha);
    solve_upper_t(gp->L, m, alpha);
    free(gp->alpha);
    gp->alpha = alpha;
    free(inv_len);
    return 0;
}

#include "orchestrator/search_acquisition.h"

#include <math.h>
#include <string.h>

#define INV_SQRT2PI 0.39894228040143267794
#define LOG_SQRT2PI 0.91893853320467274178

double search_norm_pdf(double z)
{
    return INV_SQRT2PI * exp(-0.5 * z * z);
}

double search_norm_cdf(double z)
{
    return 0.5 * erfc(-z / M_SQRT2);
}

/* For z < 0 with a = -z, Laplace's continued fraction of the Mills ratio
 * Φ(z)/φ(z) = 1/(a + t), t = 1/(a + 2/(a + 3/(a + ...))); returns t. It converges fast
 * for a above a few. */
static double mills_tail(double a)
{
    double v = a;
    for (int k = 60; k >= 2; k--)
        v = a + k / v;
    return 1.0 / v;
}

/* h(z) = φ(z) + zΦ(z) = E[max(Z + z, 0)]; its log. For z far below 0 the two terms cancel;
 * there h = φ(z)(1 - aΦ/φ) = φ(z) t/(a + t) with the continued fraction above. */
static double log_h(double z)
{
    if (z > -6)
        return log(search_norm_pdf(z) + z * search_norm_cdf(z));
    double a = -z, t = mills_tail(a);
    return -0.5 * z * z - LOG_SQRT2PI + log(t) - log(a + t);
}

double search_log_norm_cdf(double z)
{
    if (z > -6)
        return log(search_norm_cdf(z));
    double a = -z;
    return -0.5 * z * z - LOG_SQRT2PI - log(a + mills_tail(a));
}

double search_ei(double mu, double sd, double best, double xi)
{
    double imp = best - xi - mu;
    if (!(sd > 0))
        return imp > 0 ? imp : 0;
    double z = imp / sd;
    return imp * search_norm_cdf(z) + sd * search_norm_pdf(z);
}

double search_log_ei(double mu, double sd, double best, double xi)
{
    double imp = best - xi - mu;
    if (!(sd > 0))
        return imp > 0 ? log(imp) : -INFINITY;
    return log(sd) + log_h(imp / sd);
}

double search_pi(double mu, double sd, double best, double xi)
{
    double imp = best - xi - mu;
    if (!(sd > 0))
        return imp > 0;
    return search_norm_cdf(imp / sd);
}

double search_ucb(double mu, double sd, double kappa)
{
    return -(mu - kappa * sd);
}

double search_ei_lognormal(double mu, double sd, double best)
{
    if (!(best > 0))
        return 0;
    double lb = log(best);
    if (!(sd > 0))
        return exp(mu) < best ? best - exp(mu) : 0;
    double a = (lb - mu) / sd;
    double v = best * search_norm_cdf(a) - exp(mu + 0.5 * sd * sd) * search_norm_cdf(a - sd);
    return v > 0 ? v : 0;
}

void search_hedge_add_gains(double *gains, size_t n, const double *mu, size_t n_decisions)
{
    for (size_t k = 0; k < n_decisions; k++)
        for (size_t a = 0; a < n; a++)
            gains[a] -= mu[k * n + a];
}

void search_hedge_probabilities(const double *gains, const int *available, size_t n,
                                double eta, double *p)
{
    double top = -INFINITY, total = 0;
    for (size_t a = 0; a < n; a++)
        if ((!available || available[a]) && gains[a] > top)
            top = gains[a];
    for (size_t a = 0; a < n; a++) {
        int ok = (!available || available[a]) && gains[a] > -INFINITY;
        /* Shifted by the largest gain, so the exponent never overflows. */
        p[a] = ok ? exp(eta * (gains[a] - top)) : 0;
        total += p[a];
    }
    for (size_t a = 0; a < n; a++)
        p[a] = total > 0 ? p[a] / total : 1.0 / (double)n;
}

static const char *const acq_names[] = { "logei", "ei", "pi", "ucb", "hedge" };

int search_acq_parse(const char *name, search_acq_kind *out)
{
    for (int k = 0; k <= SEARCH_ACQ_HEDGE; k++)
        if (strcmp(name, acq_names[k]) == 0) {
            *out = (search_acq_kind)k;
            return 0;
        }
    if (strcmp(name, "lcb") == 0 || strcmp(name, "gp_hedge") == 0) {
        *out = name[0] == 'l' ? SEARCH_ACQ_UCB : SEARCH_ACQ_HEDGE;
        return 0;
    }
    return -1;
}

const char *search_acq_name(search_acq_kind k)
{
    return (unsigned)k <= SEARCH_ACQ_HEDGE ? acq_names[k] : "?";
}

double search_acq_score(search_acq_kind k, double mu, double sd, double best, double xi,
                        double kappa)
{
    switch (k) {
    case SEARCH_ACQ_EI:
        return search_ei(mu, sd, best, xi);
    case SEARCH_ACQ_PI:
        return search_pi(mu, sd, best, xi);
    case SEARCH_ACQ_UCB:
        return search_ucb(mu, sd, kappa);
    default:
        return search_log_ei(mu, sd, best, xi);
    }
}

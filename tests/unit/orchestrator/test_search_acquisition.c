/* Acquisition functions against their closed forms on hand cases. */
#include <math.h>

#include "orchestrator/search_acquisition.h"
#include "tests/unit/unit.h"

TEST(ei_matches_closed_form)
{
    /* mu = 1, sd = 2, best = 2, xi = 0: z = 0.5,
     * EI = 1·Φ(0.5) + 2·φ(0.5) = 0.691462461 + 2·0.352065327 = 1.395593115 */
    CHECK_NEAR(search_ei(1, 2, 2, 0), 1.3955931155, 1e-9);
    /* No uncertainty: the improvement itself, or nothing. */
    CHECK_NEAR(search_ei(1, 0, 2, 0), 1.0, 1e-15);
    CHECK_NEAR(search_ei(3, 0, 2, 0), 0.0, 1e-15);
    /* At the incumbent: sd·φ(0) = sd/√(2π). */
    CHECK_NEAR(search_ei(5, 1.5, 5, 0), 1.5 * 0.3989422804014327, 1e-12);
    /* xi shifts the target: EI(mu, sd, best, xi) = EI(mu, sd, best - xi, 0). */
    CHECK_NEAR(search_ei(1, 2, 2, 0.3), search_ei(1, 2, 1.7, 0), 1e-15);
}

TEST(log_ei_is_log_of_ei_and_finite_far_out)
{
    double cases[][3] = { { 1, 2, 2 }, { 0, 1, 0 }, { 3, 0.5, 1 }, { 10, 1, 2 } };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double ei = search_ei(cases[i][0], cases[i][1], cases[i][2], 0);
        CHECK_NEAR(search_log_ei(cases[i][0], cases[i][1], cases[i][2], 0), log(ei),
                   1e-8 * fmax(1, fabs(log(ei))));
    }
    /* z = -40: EI underflows to 0, log EI is still finite, decreasing, and close to the
     * asymptote log φ(z) - 2 log|z|. */
    double a = search_log_ei(40, 1, 0, 0), b = search_log_ei(41, 1, 0, 0);
    CHECK(isfinite(a) && isfinite(b) && b < a);
    CHECK_NEAR(a, -0.5 * 1600 - 0.5 * log(2 * M_PI) - 2 * log(40.0), 1e-2);
    /* Continuity across the switch to the series at z = -6. */
    double l = search_log_ei(6 - 1e-9, 1, 0, 0), r = search_log_ei(6 + 1e-9, 1, 0, 0);
    CHECK_NEAR(l, r, 1e-6);
}

TEST(pi_ucb_and_lognormal_ei)
{
    CHECK_NEAR(search_pi(1, 2, 2, 0), 0.6914624612740131, 1e-12);
    CHECK_NEAR(search_ucb(1, 2, 1.96), -(1 - 3.92), 1e-15);
    /* Lognormal EI against a numeric integral of max(best - e^f, 0) φ((f-mu)/sd)/sd. */
    double mu = log(0.9), sd = 0.3, best = 1.0, sum = 0, h = 1e-4;
    for (double f = mu - 10 * sd; f < log(best); f += h)
        sum += (best - exp(f)) * exp(-0.5 * ((f - mu) / sd) * ((f - mu) / sd)) /
               (sd * sqrt(2 * M_PI)) * h;
    CHECK_NEAR(search_ei_lognormal(mu, sd, best), sum, 1e-4);
    CHECK_NEAR(search_log_norm_cdf(-10), log(search_norm_cdf(-10)), 1e-6);
    search_acq_kind k;
    CHECK(search_acq_parse("hedge", &k) == 0 && k == SEARCH_ACQ_HEDGE);
    CHECK(search_acq_parse("gp_hedge", &k) == 0 && k == SEARCH_ACQ_HEDGE);
    CHECK(search_acq_parse("nope", &k) != 0);
}

TEST(hedge_gains_accumulate_and_softmax)
{
    /* Two decisions of three arms: gains -= each decision's posterior means. */
    double gains[3] = { 0.5, 0, -1 };
    const double mu[6] = { -1, 0.25, 2, /* decision 2: */ -0.5, 0.25, 0 };
    search_hedge_add_gains(gains, 3, mu, 2);
    CHECK_NEAR(gains[0], 2.0, 1e-15);
    CHECK_NEAR(gains[1], -0.5, 1e-15);
    CHECK_NEAR(gains[2], -3.0, 1e-15);
    /* softmax(2, -0.5, -3) = (e^5, e^2.5, 1) / (e^5 + e^2.5 + 1) */
    double p[3], z = exp(5) + exp(2.5) + 1;
    search_hedge_probabilities(gains, NULL, 3, 1.0, p);
    CHECK_NEAR(p[0], exp(5) / z, 1e-12);
    CHECK_NEAR(p[1], exp(2.5) / z, 1e-12);
    CHECK_NEAR(p[2], 1 / z, 1e-12);
    /* eta scales the gains; an unavailable arm gets nothing; huge gains do not overflow. */
    search_hedge_probabilities(gains, NULL, 3, 0.5, p);
    z = exp(2.5) + exp(1.25) + 1;
    CHECK_NEAR(p[1], exp(1.25) / z, 1e-12);
    int avail[3] = { 0, 1, 1 };
    search_hedge_probabilities(gains, avail, 3, 1.0, p);
    CHECK_NEAR(p[0], 0, 0);
    CHECK_NEAR(p[1], exp(2.5) / (exp(2.5) + 1), 1e-12);
    double big[3] = { 1e4, 1e4, -INFINITY };
    search_hedge_probabilities(big, NULL, 3, 1.0, p);
    CHECK_NEAR(p[0], 0.5, 1e-12);
    CHECK_NEAR(p[2], 0, 0);
    int none[3] = { 0, 0, 0 };
    search_hedge_probabilities(gains, none, 3, 1.0, p);
    CHECK_NEAR(p[0] + p[1] + p[2], 1, 1e-12);
}

int main(void)
{
    RUN(ei_matches_closed_form);
    RUN(log_ei_is_log_of_ei_and_finite_far_out);
    RUN(pi_ucb_and_lognormal_ei);
    RUN(hedge_gains_accumulate_and_softmax);
    return unit_done();
}

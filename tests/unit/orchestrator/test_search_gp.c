/* The Gaussian process: hand-computed posteriors, the likelihood's gradient against finite
 * differences, the jitter ladder on a singular matrix, fitting a known function. */
#include <math.h>
#include <stdlib.h>

#include "orchestrator/search_gp.h"
#include "tests/unit/unit.h"

static double m52(double r)
{
    return (1 + sqrt(5.0) * r + 5.0 / 3.0 * r * r) * exp(-sqrt(5.0) * r);
}

/* The kernel by hand: Matérn 5/2 plus the linear trend v_lin (a - ½)(b - ½). */
static double k_hand(double a, double b, double ell, double sf2, double vlin)
{
    return sf2 * m52(fabs(a - b) / ell) + vlin * (a - 0.5) * (b - 0.5);
}

/* Two points, fixed hyperparameters: the posterior at a third point by hand, from the 2×2
 * inverse, without and with the linear trend. */
static void posterior_two_points(double vlin)
{
    double X[2] = { 0.2, 0.6 }, y[2] = { 1.0, 3.0 };
    char err[256];
    search_gp gp;
    search_gp_init(&gp);
    CHECK(search_gp_set_data(&gp, X, y, NULL, 2, 1, err, sizeof err) == 0);
    /* mean 2, sd sqrt(2): standardised targets -1/√2, +1/√2 */
    CHECK_NEAR(gp.y_mean, 2.0, 1e-12);
    CHECK_NEAR(gp.y_std, sqrt(2.0), 1e-12);
    double ell = 0.3, sf2 = 1.5, sn2 = 1e-4;
    gp.theta[0] = log(ell);
    gp.theta[1] = log(sf2);
    gp.theta[2] = log(sn2);
    gp.linear_trend = vlin > 0;
    gp.theta[3] = vlin > 0 ? log(vlin) : 0;  /* without the trend theta[3] is unused */
    CHECK(search_gp_factorize(&gp, err, sizeof err) == 0);
    double k11 = k_hand(0.2, 0.2, ell, sf2, vlin) + sn2, k22 = k_hand(0.6, 0.6, ell, sf2, vlin) + sn2;
    double k12 = k_hand(0.2, 0.6, ell, sf2, vlin), det = k11 * k22 - k12 * k12;
    double ys[2] = { -1 / sqrt(2.0), 1 / sqrt(2.0) };
    double xs = 0.35;
    double k1 = k_hand(xs, 0.2, ell, sf2, vlin), k2 = k_hand(xs, 0.6, ell, sf2, vlin);
    /* K^-1 = [k22 -k12; -k12 k11] / det */
    double w1 = (k22 * k1 - k12 * k2) / det, w2 = (-k12 * k1 + k11 * k2) / det;
    double mean = w1 * ys[0] + w2 * ys[1];
    double var = k_hand(xs, xs, ell, sf2, vlin) - (k1 * w1 + k2 * w2);
    double m, v;
    search_gp_predict(&gp, &xs, &m, &v);
    CHECK_NEAR(m, mean, 1e-10);
    CHECK_NEAR(v, var, 1e-10);
    /* At a training point the mean is (nearly) the data and the variance about the noise. */
    search_gp_predict(&gp, &X[1], &m, &v);
    CHECK_NEAR(m, ys[1], 1e-3);
    CHECK(v < 1e-3);
    double mr, sr;
    search_gp_predict_raw(&gp, &X[0], &mr, &sr);
    CHECK_NEAR(mr, 1.0, 1e-3);
    /* Far outside the data the trend carries on: the mean keeps rising past x = 0.6, where
     * the Matérn part alone falls back to the prior mean 0. */
    double far = 6.0;
    search_gp_predict(&gp, &far, &m, &v);
    if (vlin > 0)
        CHECK(m > ys[1]);
    else
        CHECK_NEAR(m, 0, 1e-6);
    search_gp_free(&gp);
}

TEST(posterior_two_points_by_hand)
{
    posterior_two_points(0);
    posterior_two_points(2.0);
}

static double f2(const double *x)
{
    return sin(6 * x[0]) + 0.5 * cos(4 * x[1]) + x[0] * x[1];
}

TEST(gradient_matches_finite_differences)
{
    enum { N = 12, D = 2 };
    double X[N * D], y[N], nv[N];
    for (int i = 0; i < N; i++) {
        X[i * D] = fmod(0.37 * i + 0.11, 1.0);
        X[i * D + 1] = fmod(0.61 * i + 0.29, 1.0);
        y[i] = f2(X + i * D);
        nv[i] = i % 3 == 0 ? 0.01 : 0;
    }
    char err[256];
    search_gp gp;
    search_gp_init(&gp);
    CHECK(search_gp_set_data(&gp, X, y, nv, N, D, err, sizeof err) == 0);
    gp.linear_trend = 1;
    enum { P = SEARCH_GP_N_THETA(D) };
    double theta[P] = { log(0.3), log(0.5), log(1.3), log(0.02), log(0.7) }, g[P];
    double f0 = search_gp_log_posterior(&gp, theta, g, NULL);
    CHECK(isfinite(f0));
    for (int i = 0; i < P; i++) {
        double h = 1e-5, tp[P], tm[P];
        for (int j = 0; j < P; j++)
            tp[j] = tm[j] = theta[j];
        tp[i] += h;
        tm[i] -= h;
        double fd = (search_gp_log_posterior(&gp, tp, NULL, NULL) -
                     search_gp_log_posterior(&gp, tm, NULL, NULL)) / (2 * h);
        CHECK_NEAR(g[i], fd, 1e-5 * fmax(1, fabs(fd)));
    }
    search_gp_free(&gp);
}

TEST(jitter_ladder_on_singular_matrix)
{
    /* Rank one: every row the same. Plain Cholesky must fail, the ladder must succeed with
     * a small jitter. */
    double a[9], l[9], jitter = -1;
    for (int i = 0; i < 9; i++)
        a[i] = 2.0;
    CHECK(search_cholesky(a, l, 3) != 0);
    CHECK(search_cholesky_jitter(a, l, 3, 2.0, &jitter) == 0);
    CHECK(jitter > 0 && jitter <= 2.0 * 1e-2);
    /* L L^T reproduces a + jitter I. */
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double s = 0;
            for (int k = 0; k < 3; k++)
                s += l[i * 3 + k] * l[j * 3 + k];
            CHECK_NEAR(s, a[i * 3 + j] + (i == j ? jitter : 0), 1e-9);
        }
    /* A matrix that is positive definite takes no jitter. */
    double b[4] = { 2, 1, 1, 2 }, lb[4];
    CHECK(search_cholesky_jitter(b, lb, 2, 1.0, &jitter) == 0);
    CHECK(jitter == 0);
    /* Duplicate training inputs without noise still factorise through the ladder. */
    double X[3] = { 0.5, 0.5, 0.5 }, y[3] = { 1, 1, 1 };
    char err[256];
    search_gp gp;
    search_gp_init(&gp);
    CHECK(search_gp_set_data(&gp, X, y, NULL, 3, 1, err, sizeof err) == 0);
    gp.theta[2] = log(1e-12);
    CHECK(search_gp_factorize(&gp, err, sizeof err) == 0);
    search_gp_free(&gp);
}

/* Fitting recovers a smooth 1-D function: interpolates the data and predicts between. */
TEST(fit_recovers_1d_function)
{
    enum { N = 10 };
    double X[N], y[N];
    for (int i = 0; i < N; i++) {
        X[i] = (double)i / (N - 1);
        y[i] = sin(5 * X[i]) + 2;
    }
    char err[256];
    search_gp gp;
    search_gp_init(&gp);
    CHECK(search_gp_set_data(&gp, X, y, NULL, N, 1, err, sizeof err) == 0);
    search_gp_fit_options fo = { NULL, 2, 0, 7, 0, 0 };
    CHECK(search_gp_fit(&gp, &fo, err, sizeof err) == 0);
    for (int i = 0; i < N; i++) {
        double m, s;
        search_gp_predict_raw(&gp, &X[i], &m, &s);
        CHECK_NEAR(m, y[i], 1e-2);
        CHECK(s < 0.05);
    }
    double between = 0.5 / (N - 1) + 4.0 / (N - 1), m, s;
    search_gp_predict_raw(&gp, &between, &m, &s);
    CHECK_NEAR(m, sin(5 * between) + 2, 0.02);
    CHECK(s > 0 && s < 0.1);
    /* Far outside the data the variance grows back towards the prior. */
    double far = 3.0, mf, sf;
    search_gp_predict_raw(&gp, &far, &mf, &sf);
    CHECK(sf > 5 * s);
    CHECK(gp.log_marginal > -50);
    search_gp_free(&gp);
}

TEST(fit_recovers_2d_function_and_noise)
{
    enum { N = 40, D = 2 };
    double X[N * D], y[N];
    for (int i = 0; i < N; i++) {
        X[i * D] = fmod(0.618033988 * i, 1.0);
        X[i * D + 1] = fmod(0.754877666 * i, 1.0);
        y[i] = f2(X + i * D);
    }
    char err[256];
    search_gp gp;
    search_gp_init(&gp);
    CHECK(search_gp_set_data(&gp, X, y, NULL, N, D, err, sizeof err) == 0);
    search_gp_fit_options fo = { NULL, 2, 0, 3, 0, 0 };
    CHECK(search_gp_fit(&gp, &fo, err, sizeof err) == 0);
    double worst = 0;
    for (int i = 0; i < 25; i++) {
        double x[2] = { 0.1 + 0.2 * (i % 5), 0.1 + 0.2 * (i / 5) }, m, s;
        search_gp_predict_raw(&gp, x, &m, &s);
        worst = fmax(worst, fabs(m - f2(x)));
    }
    CHECK(worst < 0.1);
    /* A noiseless function: the learned noise stays small. */
    CHECK(exp(gp.theta[D + 1]) < 1e-2);
    search_gp_free(&gp);
}

TEST(append_matches_refit_factorisation)
{
    double X[4] = { 0.1, 0.4, 0.7, 0.9 }, y[4] = { 1, 2, 0.5, 1.5 };
    char err[256];
    search_gp a, b;
    search_gp_init(&a);
    search_gp_init(&b);
    CHECK(search_gp_set_data(&a, X, y, NULL, 3, 1, err, sizeof err) == 0);
    CHECK(search_gp_factorize(&a, err, sizeof err) == 0);
    CHECK(search_gp_append(&a, &X[3], y[3], err, sizeof err) == 0);
    /* b: the same four points, the same standardisation as a's first three. */
    CHECK(search_gp_set_data(&b, X, y, NULL, 4, 1, err, sizeof err) == 0);
    b.y_mean = a.y_mean;
    b.y_std = a.y_std;
    for (int i = 0; i < 4; i++)
        b.y[i] = (y[i] - a.y_mean) / a.y_std;
    CHECK(search_gp_factorize(&b, err, sizeof err) == 0);
    double xs = 0.55, ma, va, mb, vb;
    search_gp_predict(&a, &xs, &ma, &va);
    search_gp_predict(&b, &xs, &mb, &vb);
    CHECK_NEAR(ma, mb, 1e-9);
    CHECK_NEAR(va, vb, 1e-9);
    search_gp_free(&a);
    search_gp_free(&b);
}

/* A plane seen in one corner of the square: with the linear trend the fitted model
 * carries it to the opposite corner; the Matérn kernel alone falls back towards the mean
 * there. The trend's variance is learned (large here), and held unused without it. */
TEST(linear_trend_extrapolates_a_plane)
{
    enum { N = 8, D = 2 };
    double X[N * D], y[N];
    for (int i = 0; i < N; i++) {
        X[i * D] = 0.05 + 0.3 * fmod(0.618 * (i + 1), 1.0);
        X[i * D + 1] = 0.05 + 0.3 * fmod(0.414 * (i + 1), 1.0);
        y[i] = 3 * X[i * D] - 2 * X[i * D + 1];
    }
    double far[D] = { 0.95, 0.1 }, truth = 3 * 0.95 - 2 * 0.1;
    double err_with = 0, err_without = 0;
    for (int trend = 0; trend <= 1; trend++) {
        char err[256];
        search_gp gp;
        search_gp_init(&gp);
        CHECK(search_gp_set_data(&gp, X, y, NULL, N, D, err, sizeof err) == 0);
        search_gp_fit_options fo = { NULL, 2, 0, 5, 0, trend };
        CHECK(search_gp_fit(&gp, &fo, err, sizeof err) == 0);
        CHECK_INT(gp.linear_trend, trend);
        double m, sd;
        search_gp_predict_raw(&gp, far, &m, &sd);
        *(trend ? &err_with : &err_without) = fabs(m - truth);
        if (trend)
            CHECK(exp(gp.theta[D + 2]) > 1);
        search_gp_free(&gp);
    }
    CHECK(err_with < 0.1 * truth);
    CHECK(err_without > 3 * err_with);
}

int main(void)
{
    RUN(posterior_two_points_by_hand);
    RUN(gradient_matches_finite_differences);
    RUN(jitter_ladder_on_singular_matrix);
    RUN(fit_recovers_1d_function);
    RUN(fit_recovers_2d_function_and_noise);
    RUN(append_matches_refit_factorisation);
    RUN(linear_trend_extrapolates_a_plane);
    return unit_done();
}

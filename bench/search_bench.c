/* The search benchmark's driver (built and run by bench/search_bench.sh): our bayes and our
 * random on Branin, Hartmann-6, a mixed integer/categorical function and noisy Branin, at
 * q = 1 and q = 4, for a number of seeds. One CSV line per replay:
 *   function,method,q,seed,evals_to_target,regret_at_50,best_true,seconds
 * evals_to_target is 0 when the budget ran out first. Plus the timing budget: a GP
 * fit and q = 8 proposals with 200 observations, in 6 and in 20 dimensions ("timing" lines). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "orchestrator/search.h"
#include "orchestrator/search_rng.h"

typedef struct bench_fn {
    const char *name;
    double optimum;        /* the global minimum */
    double target;         /* reached when the incumbent's true value is <= target */
    int budget;            /* evaluations */
    double noise_sd;       /* observation noise (true values are scored) */
    int (*space)(search_space *sp, char *err, size_t errlen);
    double (*f)(const double *x);
} bench_fn;

/* CPU time of this process: the machine may be shared, and the budget is one core. */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- functions -------------------------------------------------------------------------- */

static double branin(const double *x)
{
    double a = x[1] - 5.1 / (4 * M_PI * M_PI) * x[0] * x[0] + 5 / M_PI * x[0] - 6;
    return a * a + 10 * (1 - 1 / (8 * M_PI)) * cos(x[0]) + 10;
}

static int branin_space(search_space *sp, char *err, size_t errlen)
{
    return search_space_add_float(sp, "x1", -5, 10, 0, err, errlen) ||
           search_space_add_float(sp, "x2", 0, 15, 0, err, errlen);
}

static double hartmann6(const double *x)
{
    static const double alpha[4] = { 1.0, 1.2, 3.0, 3.2 };
    static const double A[4][6] = { { 10, 3, 17, 3.5, 1.7, 8 },
                                    { 0.05, 10, 17, 0.1, 8, 14 },
                                    { 3, 3.5, 1.7, 10, 17, 8 },
                                    { 17, 8, 0.05, 10, 0.1, 14 } };
    static const double P[4][6] = { { 1312, 1696, 5569, 124, 8283, 5886 },
                                    { 2329, 4135, 8307, 3736, 1004, 9991 },
                                    { 2348, 1451, 3522, 2883, 3047, 6650 },
                                    { 4047, 8828, 8732, 5743, 1091, 381 } };
    double s = 0;
    for (int i = 0; i < 4; i++) {
        double e = 0;
        for (int j = 0; j < 6; j++)
            e += A[i][j] * (x[j] - P[i][j] * 1e-4) * (x[j] - P[i][j] * 1e-4);
        s += alpha[i] * exp(-e);
    }
    return -s;
}

static int hartmann_space(search_space *sp, char *err, size_t errlen)
{
    for (int d = 0; d < 6; d++) {
        char name[16];
        snprintf(name, sizeof name, "x%d", d);
        if (search_space_add_float(sp, name, 0, 1, 0, err, errlen) != 0)
            return -1;
    }
    return 0;
}

/* Mixed: an integer thread count (1..64, log scale), a block size among 7 ordinal values,
 * a categorical scheduler and a float ratio. Minimum 1.0 at threads 12, block 64,
 * scheduler "dynamic", ratio 0.3. */
static double mixed(const double *x)
{
    static const double sched[3] = { 0.35, 0.0, 0.6 };   /* static, dynamic, guided */
    double t = log2(x[0] / 12.0), b = x[1] - 3, r = x[3] - 0.3;
    return 1.0 + 0.15 * t * t + 0.08 * b * b + sched[(int)x[2]] + 2 * r * r;
}

static int mixed_space(search_space *sp, char *err, size_t errlen)
{
    static const char *blocks[] = { "8", "16", "32", "64", "128", "256", "512" };
    static const char *scheds[] = { "static", "dynamic", "guided" };
    return search_space_add_int(sp, "threads", 1, 64, 1, err, errlen) ||
           search_space_add_ordinal(sp, "block", blocks, 7, err, errlen) ||
           search_space_add_categorical(sp, "schedule", scheds, 3, err, errlen) ||
           search_space_add_float(sp, "ratio", 0, 1, 0, err, errlen);
}

static const bench_fn functions[] = {
    { "branin", 0.397887, 0.397887 + 1e-3, 100, 0, branin_space, branin },
    { "hartmann6", -3.32237, -3.27, 150, 0, hartmann_space, hartmann6 },
    { "mixed", 1.0, 1.0 + 1e-3, 100, 0, mixed_space, mixed },
    { "noisy_branin", 0.397887, 0.397887 + 0.05, 100, 0.5, branin_space, branin },
};

/* ---- one replay ------------------------------------------------------------------------- */

static int replay(const bench_fn *fn, search_algo algo, size_t q, uint64_t seed, FILE *out)
{
    char err[256];
    search_space sp;
    search_space_init(&sp);
    if (fn->space(&sp, err, sizeof err) != 0 || search_space_finalize(&sp, err, sizeof err)) {
        fprintf(stderr, "search_bench: %s\n", err);
        return -1;
    }
    search_options o;
    search_options_default(&o);
    o.algo = algo;
    o.seed = seed;
    /* These are not runtimes or costs: model the values as they are (log is for positive
     * physical quantities, where it is the default). */
    o.log_objective = 0;
    search *s = search_new(&sp, &o, err, sizeof err);
    double *x = malloc(q * sp.n_dims * sizeof *x);
    search_rng noise;
    search_rng_seed(&noise, seed, 0xb00);
    /* The incumbent is the best observed (noisy) value; its true value is what counts. */
    double best_obs = INFINITY, best_true = INFINITY, regret50 = NAN, t0 = now();
    int evals = 0, reached = 0, rc = -1;
    if (!s || !x)
        goto done;
    while (evals < fn->budget && (!reached || evals < 50)) {
        size_t n = 0;
        if (search_ask(s, NULL, 0, q, x, &n, err, sizeof err) != 0 || n == 0) {
            fprintf(stderr, "search_bench: %s\n", n ? err : "no proposal");
            goto done;
        }
        for (size_t i = 0; i < n && evals < fn->budget; i++) {
            double truth = fn->f(x + i * sp.n_dims);
            double v = truth + fn->noise_sd * search_rng_normal(&noise);
            search_observation ob = { x + i * sp.n_dims, v, 0, 0, 0, NAN };
            if (search_observe(s, &ob, err, sizeof err) != 0)
                goto done;
            evals++;
            if (v < best_obs) {
                best_obs = v;
                best_true = truth;
            }
            if (!reached && best_true <= fn->target)
                reached = evals;
            if (evals == 50)
                regret50 = best_true - fn->optimum;
        }
    }
    fprintf(out, "%s,%s,%zu,%llu,%d,%.6g,%.6g,%.3f\n", fn->name, search_algo_name(algo), q,
            (unsigned long long)seed, reached, regret50, best_true, now() - t0);
    fflush(out);
    rc = 0;
done:
    free(x);
    search_free(s);
    search_space_free(&sp);
    return rc;
}

/* A bowl over D unit dimensions, steeper along later ones (for the timing in D > 6). */
static double bowl(const double *x, size_t D)
{
    double v = 1;
    for (size_t d = 0; d < D; d++)
        v += (double)(d + 1) * (x[d] - 0.3) * (x[d] - 0.3);
    return v;
}

/* The budget: fit + q = 8 with 200 observations, on Hartmann-6 (6 dimensions) and
 * on a bowl in D dimensions (the "up to 20"). */
static void timing(FILE *out, size_t D)
{
    char err[256];
    search_space sp;
    search_space_init(&sp);
    if (D == 6) {
        hartmann_space(&sp, err, sizeof err);
    } else {
        for (size_t d = 0; d < D; d++) {
            char name[16];
            snprintf(name, sizeof name, "x%zu", d);
            search_space_add_float(&sp, name, 0, 1, 0, err, sizeof err);
        }
    }
    search_space_finalize(&sp, err, sizeof err);
    search_options o;
    search_options_default(&o);
    o.n_initial = 200;
    search *s = search_new(&sp, &o, err, sizeof err);
    double *x = malloc(200 * D * sizeof *x);
    size_t n = 0;
    search_ask(s, NULL, 0, 200, x, &n, err, sizeof err);
    for (size_t i = 0; i < n; i++) {
        double v = D == 6 ? hartmann6(x + i * D) : bowl(x + i * D, D);
        search_observation ob = { x + i * D, v, 0, 0, 0, NAN };
        search_observe(s, &ob, err, sizeof err);
    }
    double t0 = now();
    search_ask(s, NULL, 0, 8, x, &n, err, sizeof err);
    fprintf(out, "timing,fit_and_q8_200_observations_%zud,%zu,0,0,0,0,%.3f\n", D, n, now() - t0);
    free(x);
    search_free(s);
    search_space_free(&sp);
}

int main(int argc, char **argv)
{
    int seeds = argc > 1 ? atoi(argv[1]) : 20;
    const char *only = argc > 2 ? argv[2] : NULL;
    printf("function,method,q,seed,evals_to_target,regret_at_50,best_true,seconds\n");
    timing(stdout, 6);
    timing(stdout, 20);
    static const search_algo algos[] = { SEARCH_ALGO_BAYES, SEARCH_ALGO_RANDOM };
    static const size_t qs[] = { 1, 4 };
    size_t n_algos = getenv("BENCH_BAYES_ONLY") ? 1 : 2, n_qs = getenv("BENCH_Q1_ONLY") ? 1 : 2;
    for (size_t f = 0; f < sizeof functions / sizeof functions[0]; f++) {
        if (only && strcmp(only, functions[f].name) != 0)
            continue;
        for (size_t a = 0; a < n_algos; a++)
            for (size_t k = 0; k < n_qs; k++)
                for (int i = 1; i <= seeds; i++)
                    if (replay(&functions[f], algos[a], qs[k], (uint64_t)i, stdout) != 0)
                        return 1;
    }
    return 0;
}

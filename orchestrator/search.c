/* The search object: options, observations, stop rules and the best point. Choosing new
 * points is search_proposer.c's job. */
#include "orchestrator/search_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"

void search_options_default(search_options *o)
{
    memset(o, 0, sizeof *o);
    o->algo = SEARCH_ALGO_BAYES;
    o->initial_design = SEARCH_DESIGN_SOBOL;
    o->acquisition = SEARCH_ACQ_LOGEI;
    o->xi = 0;
    o->kappa = 1.96;
    o->batch = SEARCH_BATCH_BELIEVER;
    o->log_objective = -1;
    o->gp_restarts = 2;
    o->constraint_max = INFINITY;
}

int search_batch_parse(const char *name, search_batch *out)
{
    static const char *const names[] = { "believer", "liar-min", "liar-mean", "liar-max" };
    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (search_batch)i;
            return 0;
        }
    return -1;
}

static const char *const algo_names[] = { "grid", "random", "bayes" };

int search_algo_parse(const char *name, search_algo *out)
{
    for (int i = 0; i <= SEARCH_ALGO_BAYES; i++)
        if (strcmp(name, algo_names[i]) == 0) {
            *out = (search_algo)i;
            return 0;
        }
    if (strcmp(name, "bayesian") == 0 || strcmp(name, "gp") == 0 || strcmp(name, "bo") == 0) {
        *out = SEARCH_ALGO_BAYES;
        return 0;
    }
    return -1;
}

const char *search_algo_name(search_algo a)
{
    return (unsigned)a <= SEARCH_ALGO_BAYES ? algo_names[a] : "?";
}

search *search_new(const search_space *sp, const search_options *opt, char *err,
                   size_t errlen)
{
    if (!sp->finalized || sp->n_dims == 0) {
        snprintf(err, errlen, "search: the space is empty or not finalized");
        return NULL;
    }
    search *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "search: out of memory");
        return NULL;
    }
    s->sp = sp;
    if (opt)
        s->opt = *opt;
    else
        search_options_default(&s->opt);
    s->D = sp->n_dims;
    if (s->opt.n_initial == 0) {
        size_t n = sp->n_dims + 1;
        s->opt.n_initial = n < 3 ? 3 : n > 10 ? 10 : n;
    }
    if (s->opt.min_points == 0)
        s->opt.min_points = s->opt.n_initial > 6 ? s->opt.n_initial : 6;
    if (!(s->opt.kappa > 0))
        s->opt.kappa = 1.96;
    if (!s->opt.has_constraint)
        s->opt.constraint_max = INFINITY;
    s->last_max_ei = NAN;
    return s;
}

void search_free(search *s)
{
    if (!s)
        return;
    free(s->obs_x);
    free(s->obs_value);
    free(s->obs_se);
    free(s->obs_cost);
    free(s->obs_constraint);
    free(s->obs_failed);
    free(s->cand);
    free(s->cand_price);
    if (s->have_grid)
        search_grid_free(&s->grid);
    free(s->theta);
    free(s->hedge_nominee);
    free(s);
}

int search_hedge_record(search *s, const double *nominees)
{
    size_t w = SEARCH_HEDGE_ARMS * s->D;
    if (s->n_hedge == s->cap_hedge) {
        size_t cap = s->cap_hedge ? 2 * s->cap_hedge : 8;
        double *g = realloc(s->hedge_nominee, cap * w * sizeof *g);
        if (!g)
            return -1;
        s->hedge_nominee = g;
        s->cap_hedge = cap;
    }
    memcpy(s->hedge_nominee + s->n_hedge++ * w, nominees, w * sizeof *nominees);
    return 0;
}

int search_set_candidates(search *s, const double *points, size_t n, char *err, size_t errlen)
{
    double *c = malloc((n ? n : 1) * s->D * sizeof *c);
    if (!c) {
        snprintf(err, errlen, "search: out of memory");
        return -1;
    }
    memcpy(c, points, n * s->D * sizeof *c);
    for (size_t i = 0; i < n; i++)
        search_space_canonical(s->sp, c + i * s->D);
    free(s->cand);
    free(s->cand_price);   /* they priced the old candidates */
    s->cand_price = NULL;
    s->cand = c;
    s->n_cand = n;
    s->cand_explicit = 1;
    s->cand_checked = 1;
    return 0;
}

int search_set_candidate_prices(search *s, const double *prices, size_t n, char *err,
                                size_t errlen)
{
    if (!s->cand_explicit || n != s->n_cand) {
        snprintf(err, errlen, "search: %zu prices for %zu candidates", n,
                 s->cand_explicit ? s->n_cand : 0);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (!(prices[i] > 0) || !isfinite(prices[i])) {
            snprintf(err, errlen, "search: candidate %zu has no positive price", i + 1);
            return -1;
        }
    double *p = malloc((n ? n : 1) * sizeof *p);
    if (!p) {
        snprintf(err, errlen, "search: out of memory");
        return -1;
    }
    memcpy(p, prices, n * sizeof *p);
    free(s->cand_price);
    s->cand_price = p;
    return 0;
}

int search_set_grid(search *s, const search_grid *g, char *err, size_t errlen)
{
    if (g->n_dims != s->D) {
        snprintf(err, errlen, "search: the grid has %zu dimensions, the space %zu",
                 g->n_dims, s->D);
        return -1;
    }
    search_grid copy;
    memset(&copy, 0, sizeof copy);
    copy.values = calloc(s->D, sizeof *copy.values);
    copy.n_values = calloc(s->D, sizeof *copy.n_values);
    copy.n_dims = s->D;
    int bad = !copy.values || !copy.n_values;
    for (size_t d = 0; !bad && d < s->D; d++)
        bad = search_grid_set_values(&copy, d, g->values[d], g->n_values[d]) != 0;
    if (bad) {
        search_grid_free(&copy);
        snprintf(err, errlen, "search: out of memory");
        return -1;
    }
    if (s->have_grid)
        search_grid_free(&s->grid);
    s->grid = copy;
    s->have_grid = 1;
    return 0;
}

static int grow_obs(search *s)
{
    if (s->n_obs < s->cap_obs)
        return 0;
    size_t cap = s->cap_obs ? 2 * s->cap_obs : 32;
    double *x = realloc(s->obs_x, cap * s->D * sizeof *x);
    if (x)
        s->obs_x = x;
    double **cols[] = { &s->obs_value, &s->obs_se, &s->obs_cost, &s->obs_constraint };
    int ok = x != NULL;
    for (size_t i = 0; ok && i < 4; i++) {
        double *p = realloc(*cols[i], cap * sizeof *p);
        if (p)
            *cols[i] = p;
        ok = p != NULL;
    }
    int *f = ok ? realloc(s->obs_failed, cap * sizeof *f) : NULL;
    if (f)
        s->obs_failed = f;
    if (!f)
        return -1;
    s->cap_obs = cap;
    return 0;
}

int search_observe(search *s, const search_observation *obs, char *err, size_t errlen)
{
    if (!obs->failed && !isfinite(obs->value)) {
        snprintf(err, errlen, "search: observed value is not a number");
        return -1;
    }
    if (grow_obs(s) != 0) {
        snprintf(err, errlen, "search: out of memory");
        return -1;
    }
    size_t i = s->n_obs++;
    memcpy(s->obs_x + i * s->D, obs->x, s->D * sizeof *s->obs_x);
    search_space_canonical(s->sp, s->obs_x + i * s->D);
    s->obs_failed[i] = obs->failed != 0;
    s->obs_value[i] = obs->failed ? NAN : obs->value;
    s->obs_se[i] = isfinite(obs->std_error) && obs->std_error > 0 ? obs->std_error : 0;
    s->obs_cost[i] = isfinite(obs->cost) && obs->cost > 0 ? obs->cost : 0;
    s->obs_constraint[i] = obs->constraint;
    s->spent += s->obs_cost[i];
    return 0;
}

size_t search_n_observations(const search *s)
{
    return s->n_obs;
}

double search_spent_usd(const search *s)
{
    return s->spent;
}

double search_last_max_ei(const search *s)
{
    return s->last_max_ei;
}

int search_point_in(const search_space *sp, const double *x, const double *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (search_space_equal(sp, x, list + i * sp->n_dims))
            return 1;
    return 0;
}

int search_obs_feasible(const search *s, size_t i)
{
    return !s->opt.has_constraint || !(s->obs_constraint[i] > s->opt.constraint_max);
}

int search_best(const search *s, double *x, double *value, double *std_error)
{
    /* Pools repeated observations of a point: mean of values, standard error of the mean
     * from their own standard errors. */
    double best = INFINITY, best_se = 0;
    size_t best_i = 0;
    for (size_t i = 0; i < s->n_obs; i++) {
        if (s->obs_failed[i] || !search_obs_feasible(s, i))
            continue;
        const double *xi = s->obs_x + i * s->D;
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = !s->obs_failed[j] && search_obs_feasible(s, j) &&
                   search_space_equal(s->sp, xi, s->obs_x + j * s->D);
        if (seen)
            continue;
        double sum = 0, var = 0;
        size_t k = 0;
        for (size_t j = i; j < s->n_obs; j++)
            if (!s->obs_failed[j] && search_obs_feasible(s, j) &&
                search_space_equal(s->sp, xi, s->obs_x + j * s->D)) {
                sum += s->obs_value[j];
                var += s->obs_se[j] * s->obs_se[j];
                k++;
            }
        double mean = sum / (double)k;
        if (mean < best) {
            best = mean;
            best_se = sqrt(var) / (double)k;
            best_i = i;
        }
    }
    if (!isfinite(best))
        return -1;
    if (x)
        memcpy(x, s->obs_x + best_i * s->D, s->D * sizeof *x);
    if (value)
        *value = best;
    if (std_error)
        *std_error = best_se;
    return 0;
}

/* The number of distinct points the search may still try, or -1 when unbounded. */
static double points_left(search *s)
{
    double total;
    if (s->cand_explicit)
        total = (double)s->n_cand;
    else if (s->opt.algo == SEARCH_ALGO_GRID)
        return -1;  /* handled by asking: the grid is finite by construction */
    else
        total = search_space_size(s->sp);
    if (total == 0)
        return -1;
    size_t distinct = 0;
    for (size_t i = 0; i < s->n_obs; i++)
        distinct += !search_point_in(s->sp, s->obs_x + i * s->D, s->obs_x, i);
    return total - (double)distinct;
}

int search_should_stop(search *s, char *why, size_t len)
{
    if (s->opt.max_evaluations && s->n_obs >= s->opt.max_evaluations) {
        snprintf(why, len, "evaluation limit reached (%zu points)", s->n_obs);
        return 1;
    }
    if (s->opt.budget_usd > 0 && s->spent >= s->opt.budget_usd) {
        snprintf(why, len, "budget spent ($%.4f of $%.4f)", s->spent, s->opt.budget_usd);
        return 1;
    }
    if (points_left(s) == 0) {
        snprintf(why, len, "every point of the space was tried");
        return 1;
    }
    if (s->opt.algo == SEARCH_ALGO_GRID) {
        size_t n = 0;
        double *probe = malloc(s->D * sizeof *probe);
        if (!probe) {
            snprintf(why, len, "search: out of memory");
            return -1;
        }
        int rc = search_propose_grid(s, s->obs_x, s->n_obs, 1, probe, &n, why, len);
        free(probe);
        if (rc != 0)
            return -1;
        if (n == 0) {
            snprintf(why, len, "every point of the grid was tried");
            return 1;
        }
    }
    if (s->opt.algo != SEARCH_ALGO_BAYES || !(s->opt.ei_stop_fraction > 0))
        return 0;
    size_t ok = 0;
    for (size_t i = 0; i < s->n_obs; i++)
        ok += !s->obs_failed[i];
    if (ok < s->opt.min_points)
        return 0;
    double best;
    if (search_best(s, NULL, &best, NULL) != 0)
        return 0;
    double max_ei;
    if (s->last_max_ei_nobs == s->n_obs && !isnan(s->last_max_ei))
        max_ei = s->last_max_ei;
    else if (search_max_ei(s, &max_ei, why, len) != 0)
        return -1;
    if (max_ei < s->opt.ei_stop_fraction * fabs(best)) {
        snprintf(why, len, "expected improvement %.4g is below %g of the best value %.4g",
                 max_ei, s->opt.ei_stop_fraction, best);
        return 1;
    }
    return 0;
}

int search_ask(search *s, const double *pending, size_t n_pending, size_t q, double *out,
               size_t *n_out, char *err, size_t errlen)
{
    *n_out = 0;
    if (q == 0)
        return 0;
    if (s->opt.algo == SEARCH_ALGO_BAYES)
        return search_propose_bayes(s, pending, n_pending, q, out, n_out, err, errlen);
    /* Grid and random skip everything observed or pending. */
    size_t n_tried = s->n_obs + n_pending;
    double *tried = malloc((n_tried ? n_tried : 1) * s->D * sizeof *tried);
    if (!tried) {
        snprintf(err, errlen, "search: out of memory");
        return -1;
    }
    if (s->n_obs)
        memcpy(tried, s->obs_x, s->n_obs * s->D * sizeof *tried);
    if (n_pending)
        memcpy(tried + s->n_obs * s->D, pending, n_pending * s->D * sizeof *tried);
    for (size_t i = s->n_obs; i < n_tried; i++)
        search_space_canonical(s->sp, tried + i * s->D);
    int rc = s->opt.algo == SEARCH_ALGO_GRID
                 ? search_propose_grid(s, tried, n_tried, q, out, n_out, err, errlen)
                 : search_propose_random(s, tried, n_tried, q, out, n_out, err, errlen);
    free(tried);
    return rc;
}

/* The state is one line: "gp-theta" and the GP's warm start (SEARCH_GP_N_THETA(enc_dims)
 * numbers, or none before the first model), then, once GP-Hedge has decided anything, "hedge", its
 * SEARCH_HEDGE_ARMS gains, the observation count of its open nominations, their number
 * and their points. */
char *search_state_save(const search *s)
{
    strbuf sb = STRBUF_INIT;
    sb_puts(&sb, "gp-theta");
    if (s->theta)
        for (size_t i = 0; i < SEARCH_GP_N_THETA(s->sp->enc_dims); i++)
            sb_printf(&sb, " %.17g", s->theta[i]);
    int hedged = s->n_hedge > 0;
    for (size_t a = 0; a < SEARCH_HEDGE_ARMS; a++)
        hedged |= s->hedge_gain[a] != 0;
    if (hedged) {
        sb_puts(&sb, " hedge");
        for (size_t a = 0; a < SEARCH_HEDGE_ARMS; a++)
            sb_printf(&sb, " %.17g", s->hedge_gain[a]);
        sb_printf(&sb, " %zu %zu", s->hedge_nobs, s->n_hedge);
        for (size_t i = 0; i < s->n_hedge * SEARCH_HEDGE_ARMS * s->D; i++)
            sb_printf(&sb, " %.17g", s->hedge_nominee[i]);
    }
    return sb_detach(&sb);
}

/* Up to max finite numbers from *p (advanced past them); the count read. */
static size_t parse_numbers(const char **p, double *out, size_t max)
{
    size_t n = 0;
    while (n < max) {
        char *end;
        double v = strtod(*p, &end);
        if (end == *p || !isfinite(v))
            break;
        out[n++] = v;
        *p = end;
    }
    while (**p == ' ' || **p == '\n')
        (*p)++;
    return n;
}

/* The "hedge ..." part of a state into s; 0 or -1. */
static int load_hedge(search *s, const char *p, char *err, size_t errlen)
{
    double head[SEARCH_HEDGE_ARMS + 2];
    if (parse_numbers(&p, head, SEARCH_HEDGE_ARMS + 2) != SEARCH_HEDGE_ARMS + 2 ||
        head[SEARCH_HEDGE_ARMS] < 0 || head[SEARCH_HEDGE_ARMS + 1] < 0 ||
        head[SEARCH_HEDGE_ARMS + 1] > 1e6) {
        snprintf(err, errlen, "search state: bad hedge gains");
        return -1;
    }
    size_t n = (size_t)head[SEARCH_HEDGE_ARMS + 1], w = SEARCH_HEDGE_ARMS * s->D;
    double *pts = malloc((n ? n : 1) * w * sizeof *pts);
    if (!pts) {
        snprintf(err, errlen, "search state: out of memory");
        return -1;
    }
    if (parse_numbers(&p, pts, n * w) != n * w || *p) {
        free(pts);
        snprintf(err, errlen, "search state: expected %zu hedge nominees", n);
        return -1;
    }
    for (size_t a = 0; a < SEARCH_HEDGE_ARMS; a++)
        s->hedge_gain[a] = head[a];
    s->hedge_nobs = (size_t)head[SEARCH_HEDGE_ARMS];
    free(s->hedge_nominee);
    s->hedge_nominee = pts;
    s->n_hedge = s->cap_hedge = n;
    return 0;
}

int search_state_load(search *s, const char *text, char *err, size_t errlen)
{
    if (strncmp(text, "gp-theta", 8) != 0) {
        snprintf(err, errlen, "search state: not a saved search state");
        return -1;
    }
    size_t P = SEARCH_GP_N_THETA(s->sp->enc_dims);
    const char *p = text + 8;
    while (*p == ' ')
        p++;
    double *theta = malloc(P * sizeof *theta);
    if (!theta) {
        snprintf(err, errlen, "search state: out of memory");
        return -1;
    }
    size_t got = parse_numbers(&p, theta, P);
    if (got == P - 1) {
        /* Saved before the GP had its linear trend: a neutral start for that variance. */
        theta[P - 1] = 0;
        got = P;
    }
    int hedge = strncmp(p, "hedge", 5) == 0;
    if ((got != 0 && got != P) || (*p && !hedge)) {
        free(theta);
        snprintf(err, errlen, "search state: expected %zu numbers", P);
        return -1;
    }
    if (hedge && load_hedge(s, p + 5, err, errlen) != 0) {
        free(theta);
        return -1;
    }
    if (got == 0) {
        free(theta);
        theta = NULL;
    }
    free(s->theta);
    s->theta = theta;
    return 0;
}

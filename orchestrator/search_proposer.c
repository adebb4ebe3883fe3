/* Choosing new points: the grid in order, seeded random points, the initial design, and the
 * model-based proposals of the bayes method (maximising the acquisition exactly over a
 * finite candidate set, or by multi-start local search over the space; q points per round
 * by kriging believer or constant liar). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orchestrator/search_internal.h"
#include "orchestrator/search_rng.h"

/* Spaces with at most this many points are enumerated and scored exactly. */
#define ENUM_MAX 4096
/* Continuous maximisation: random pool size and local-search starts. */
#define POOL_SMALL 512
#define POOL_LARGE 256
#define LOCAL_STARTS 4
/* Model evaluations per local search: plenty in few dimensions, bounded in many (each
 * evaluation costs O(n^2) with n observations). */
#define LOCAL_EVAL_BUDGET 6000
#define LOCAL_MIN_EVALS 300
/* Pattern search steps (unit coordinates): from STEP_START halving down to STEP_MIN. */
#define STEP_START 0.125
#define STEP_MIN 1e-6

int search_finite_candidates(search *s, char *err, size_t errlen)
{
    if (s->cand_checked)
        return 0;
    s->cand_checked = 1;
    double size = search_space_size(s->sp);
    if (size == 0 || size > ENUM_MAX)
        return 0;
    size_t n = (size_t)size;
    s->cand = malloc(n * s->D * sizeof *s->cand);
    if (!s->cand) {
        snprintf(err, errlen, "search: out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        search_space_point_at(s->sp, (double)i, s->cand + i * s->D);
    s->n_cand = n;
    return 0;
}

/* used[i] = 1 for every candidate equal to one of the tried points. Caller frees. */
static unsigned char *mark_used(const search *s, const double *tried, size_t n_tried)
{
    unsigned char *used = calloc(s->n_cand ? s->n_cand : 1, 1);
    if (!used)
        return NULL;
    for (size_t t = 0; t < n_tried; t++)
        for (size_t i = 0; i < s->n_cand; i++)
            if (!used[i] && search_space_equal(s->sp, tried + t * s->D, s->cand + i * s->D)) {
                used[i] = 1;
                break;
            }
    return used;
}

/* A growable list of points: tried (observed, pending, chosen this round). */
typedef struct point_list {
    double *x;
    size_t n, cap, D;
} point_list;

static int list_push(point_list *l, const double *x)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        double *g = realloc(l->x, cap * l->D * sizeof *g);
        if (!g)
            return -1;
        l->x = g;
        l->cap = cap;
    }
    memcpy(l->x + l->n * l->D, x, l->D * sizeof *x);
    l->n++;
    return 0;
}

/* ---- grid and random ------------------------------------------------------------------------ */

int search_propose_grid(search *s, const double *tried, size_t n_tried, size_t q, double *out,
                        size_t *n_out, char *err, size_t errlen)
{
    *n_out = 0;
    if (s->cand_explicit) {
        for (size_t i = 0; i < s->n_cand && *n_out < q; i++) {
            const double *c = s->cand + i * s->D;
            if (!search_point_in(s->sp, c, tried, n_tried) &&
                !search_point_in(s->sp, c, out, *n_out))
                memcpy(out + (*n_out)++ * s->D, c, s->D * sizeof *c);
        }
        return 0;
    }
    if (!s->have_grid) {
        if (search_grid_build(&s->grid, s->sp, NULL, err, errlen) != 0)
            return -1;
        s->have_grid = 1;
    }
    double size = search_grid_size(&s->grid);
    double *x = malloc(s->D * sizeof *x);
    if (!x) {
        snprintf(err, errlen, "search: out of memory");
        return -1;
    }
    for (double idx = 0; idx < size && *n_out < q; idx++) {
        search_grid_point(&s->grid, idx, x);
        search_space_canonical(s->sp, x);
        if (!search_point_in(s->sp, x, tried, n_tried) && !search_point_in(s->sp, x, out, *n_out))
            memcpy(out + (*n_out)++ * s->D, x, s->D * sizeof *x);
    }
    free(x);
    return 0;
}

/* The seeded order in which random search visits a finite candidate set. Caller frees. */
static size_t *random_order(size_t n, uint64_t seed)
{
    size_t *perm = malloc((n ? n : 1) * sizeof *perm);
    if (!perm)
        return NULL;
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    search_rng r;
    search_rng_seed(&r, seed, 0x4a4d);
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)search_rng_below(&r, i), t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
    return perm;
}

int search_propose_random(search *s, const double *tried, size_t n_tried, size_t q,
                          double *out, size_t *n_out, char *err, size_t errlen)
{
    *n_out = 0;
    if (search_finite_candidates(s, err, errlen) != 0)
        return -1;
    if (s->cand) {
        size_t *perm = random_order(s->n_cand, s->opt.seed);
        unsigned char *used = mark_used(s, tried, n_tried);
        if (!perm || !used) {
            free(perm);
            free(used);
            snprintf(err, errlen, "search: out of memory");
            return -1;
        }
        for (size_t i = 0; i < s->n_cand && *n_out < q; i++)
            if (!used[perm[i]])
                memcpy(out + (*n_out)++ * s->D, s->cand + perm[i] * s->D, s->D * sizeof *out);
        free(perm);
        free(used);
        return 0;
    }
    /* An unbounded space: walk one seeded stream so the k-th point is always the same. */
    double *u = malloc(2 * s->D * sizeof *u), *x = u ? u + s->D : NULL;
    if (!u) {
        snprintf(err, errlen, "search: out of memory");
        return -1;
    }
    search_rng r;
    search_rng_seed(&r, s->opt.seed, 0x4a4d);
    for (size_t k = 0; k < 100000 + 10 * n_tried && *n_out < q; k++) {
        for (size_t d = 0; d < s->D; d++)
            u[d] = search_rng_uniform(&r);
        search_space_from_unit(s->sp, u, x);
        if (!search_point_in(s->sp, x, tried, n_tried) && !search_point_in(s->sp, x, out, *n_out))
            memcpy(out + (*n_out)++ * s->D, x, s->D * sizeof *x);
    }
    free(u);
    return 0;
}

/* ---- the model --------------------------------------------------------------------------- */

void search_model_free(search_model *m)
{
    search_gp_free(&m->gp);
    search_gp_free(&m->cgp);
    memset(m, 0, sizeof *m);
}

/* Sorts observation indices by point, then value, so the model does not depend on the
 * order results arrived in. */
static int cmp_obs(const void *a, const void *b, void *ctx)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    const search *s = ctx;
    for (size_t d = 0; d < s->D; d++) {
        double x = s->obs_x[i * s->D + d], y = s->obs_x[j * s->D + d];
        if (x != y)
            return x < y ? -1 : 1;
    }
    double u = s->obs_value[i], v = s->obs_value[j];
    if (isnan(u) || isnan(v))
        return isnan(u) - isnan(v);
    return (u > v) - (u < v);
}

/* The candidate equal to x, or n_cand. */
static size_t candidate_index(const search *s, const double *x)
{
    for (size_t i = 0; i < s->n_cand; i++)
        if (search_space_equal(s->sp, x, s->cand + i * s->D))
            return i;
    return s->n_cand;
}

/* The $/h of x: its candidate's price when the candidates are priced, else what the space
 * says; NaN when unknown. */
static double point_price(const search *s, const double *x)
{
    if (!s->cand_price)
        return search_space_price(s->sp, x);
    size_t i = candidate_index(s, x);
    return i < s->n_cand ? s->cand_price[i] : NAN;
}

/* A cost objective is modelled as time × price when every observed point, and every point
 * the search may propose, has a known price. */
static int model_is_priced(const search *s)
{
    if (!s->opt.cost_objective)
        return 0;
    if (!s->cand_price)
        return search_space_priced(s->sp);
    for (size_t i = 0; i < s->n_obs; i++)
        if (isnan(point_price(s, s->obs_x + i * s->D)))
            return 0;
    return 1;
}

/* What the model adds to the GP's prediction at x to get the objective in model units:
 * log(price) for a cost objective (the GP then learns the time, which follows the
 * configuration more smoothly than the price, which is known), else 0. */
static double model_offset(const search *s, const search_model *m, const double *x)
{
    return m->priced ? log(point_price(s, x)) : 0;
}

static int use_log(const search *s)
{
    if (s->opt.log_objective == 0)
        return 0;
    for (size_t i = 0; i < s->n_obs; i++)
        if (!s->obs_failed[i] && !(s->obs_value[i] > 0))
            return 0;
    return 1;
}

/* The GP of a finite candidate set (a table of configurations, an enumerated space) has
 * the linear trend: measured on the CherryPick and Lynceus tables, 5% fewer evaluations
 * to the best row over all replays. Continuous spaces go without: the trend's variance
 * grows towards the cube's faces and drew Hartmann-6's search there (median 35.5 -> 50
 * evaluations). */
static int fit_gp(const search *s, search_gp *gp, const double *X, const double *y,
                  const double *nv, size_t n, const double *warm, char *err, size_t errlen)
{
    if (search_gp_set_data(gp, X, y, nv, n, s->sp->enc_dims, err, errlen) != 0)
        return -1;
    search_gp_fit_options fo = { warm, s->opt.gp_restarts, 0, s->opt.seed, 0, s->cand != NULL };
    return search_gp_fit(gp, &fo, err, errlen);
}

/* The constraint's model over successes that report it. */
static int build_constraint_model(search *s, search_model *m, const size_t *order, char *err,
                                  size_t errlen)
{
    size_t E = s->sp->enc_dims, n = 0;
    double *X = malloc((s->n_obs + 1) * E * sizeof *X), *y = malloc((s->n_obs + 1) * sizeof *y);
    if (!X || !y) {
        free(X);
        free(y);
        snprintf(err, errlen, "search: out of memory");
        return -1;
    }
    m->log_c = s->opt.constraint_max > 0;
    for (size_t k = 0; k < s->n_obs; k++) {
        size_t i = order[k];
        if (s->obs_failed[i] || !isfinite(s->obs_constraint[i]))
            continue;
        if (!(s->obs_constraint[i] > 0))
            m->log_c = 0;
    }
    for (size_t k = 0; k < s->n_obs; k++) {
        size_t i = order[k];
        if (s->obs_failed[i] || !isfinite(s->obs_constraint[i]))
            continue;
        search_space_encode(s->sp, s->obs_x + i * s->D, X + n * E);
        y[n++] = m->log_c ? log(s->obs_constraint[i]) : s->obs_constraint[i];
    }
    int rc = 0;
    if (n >= 2) {
        rc = fit_gp(s, &m->cgp, X, y, NULL, n, NULL, err, errlen);
        m->has_constraint_model = rc == 0;
    }
    free(X);
    free(y);
    return rc;
}

int search_model_build(search *s, search_model *m, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    size_t E = s->sp->enc_dims, n = s->n_obs;
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    double *X = malloc((n ? n : 1) * E * sizeof *X), *y = malloc((n ? n : 1) * sizeof *y);
    double *nv = malloc((n ? n : 1) * sizeof *nv);
    int rc = -1;
    if (!order || !X || !y || !nv) {
        snprintf(err, errlen, "search: out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    qsort_r(order, n, sizeof *order, cmp_obs, s);
    m->log_y = use_log(s);
    m->priced = m->log_y && model_is_priced(s);
    double worst = -INFINITY, sum = 0;
    size_t ok = 0;
    m->y_min = INFINITY;
    m->best = INFINITY;
    for (size_t k = 0; k < n; k++) {
        size_t i = order[k];
        if (s->obs_failed[i])
            continue;
        double v = s->obs_value[i];
        double yv = m->log_y ? log(v) : v;
        y[k] = yv - model_offset(s, m, s->obs_x + i * s->D);
        nv[k] = m->log_y ? (s->obs_se[i] / v) * (s->obs_se[i] / v) : s->obs_se[i] * s->obs_se[i];
        worst = fmax(worst, y[k]);
        m->y_min = fmin(m->y_min, y[k]);
        sum += y[k];
        ok++;
        if (search_obs_feasible(s, i) && yv < m->best) {
            m->best = yv;
            m->best_raw = v;
            m->has_best = 1;
        }
    }
    if (ok < 2) {
        snprintf(err, errlen, "search: a model needs two successful points");
        goto out;
    }
    m->y_max = worst;
    m->y_mean = sum / (double)ok;
    /* Failed points enter at the worst success: they repel without rescaling the model. */
    for (size_t k = 0; k < n; k++) {
        size_t i = order[k];
        search_space_encode(s->sp, s->obs_x + i * s->D, X + k * E);
        if (s->obs_failed[i]) {
            y[k] = worst;
            nv[k] = 0;
        }
    }
    const double *warm = s->theta;
    if (fit_gp(s, &m->gp, X, y, nv, n, warm, err, errlen) != 0)
        goto out;
    if (!s->theta)
        s->theta = malloc(SEARCH_GP_N_THETA(E) * sizeof *s->theta);
    if (s->theta)
        memcpy(s->theta, m->gp.theta, SEARCH_GP_N_THETA(E) * sizeof *s->theta);
    if (s->opt.has_constraint && build_constraint_model(s, m, order, err, errlen) != 0)
        goto out;
    rc = 0;
out:
    if (rc != 0)
        search_model_free(m);
    free(order);
    free(X);
    free(y);
    free(nv);
    return rc;
}

/* ---- scoring ------------------------------------------------------------------------------- */

/* What a point is worth: an acquisition of the objective model, or (SCORE_EI_RAW) the
 * expected improvement in original units that the stop rule compares with the best. */
#define SCORE_EI_RAW (-1)

typedef struct scorer {
    const search *s;
    const search_model *m;
    int kind;          /* a search_acq_kind (not HEDGE) or SCORE_EI_RAW */
    double *enc;       /* enc_dims scratch */
} scorer;

/* log P(constraint <= max) under the constraint's model; 0 without one. */
static double log_feasibility(const scorer *c)
{
    const search_model *m = c->m;
    if (!m->has_constraint_model)
        return 0;
    double mu, sd, lim = c->s->opt.constraint_max;
    search_gp_predict_raw(&m->cgp, c->enc, &mu, &sd);
    double t = m->log_c ? log(lim) : lim;
    return search_log_norm_cdf((t - mu) / fmax(sd, 1e-12));
}

/* The score of x, whose model_offset() the caller gives. */
static double score_offset(const scorer *c, const double *x, double offset)
{
    const search_model *m = c->m;
    search_space_encode(c->s->sp, x, c->enc);
    double lpf = log_feasibility(c);
    if (!m->has_best)  /* nothing feasible yet: look for feasibility first */
        return lpf;
    double mu, sd;
    search_gp_predict_raw(&m->gp, c->enc, &mu, &sd);
    mu += offset;
    double xi = c->s->opt.xi * m->gp.y_std;
    switch (c->kind) {
    case SCORE_EI_RAW:
        return (m->log_y ? search_ei_lognormal(mu, sd, m->best_raw)
                         : search_ei(mu, sd, m->best, 0)) * exp(lpf);
    case SEARCH_ACQ_EI:
    case SEARCH_ACQ_PI:
        return search_acq_score((search_acq_kind)c->kind, mu, sd, m->best, xi, 0) * exp(lpf);
    case SEARCH_ACQ_UCB:
        return search_ucb(mu, sd, c->s->opt.kappa) + m->gp.y_std * lpf;
    default:
        return search_log_ei(mu, sd, m->best, xi) + lpf;
    }
}

static double score(const scorer *c, const double *x)
{
    return score_offset(c, x, model_offset(c->s, c->m, x));
}

/* The score of candidate i: a priced candidate's price by its index, not by a search for
 * its point (which would make scoring a finite set quadratic in its size). */
static double score_candidate(const scorer *c, size_t i)
{
    const search *s = c->s;
    const double *x = s->cand + i * s->D;
    if (c->m->priced && s->cand_price)
        return score_offset(c, x, log(s->cand_price[i]));
    return score(c, x);
}

/* ---- maximisation ------------------------------------------------------------------------- */

/* Exact: the best untried candidate of a finite set. */
static void maximize_finite(const scorer *c, const unsigned char *used, double *best_x,
                            double *best_score)
{
    const search *s = c->s;
    *best_score = -INFINITY;
    for (size_t i = 0; i < s->n_cand; i++) {
        if (used[i])
            continue;
        double v = score_candidate(c, i);
        if (!(v > -INFINITY))
            v = -DBL_MAX;  /* untried but worthless still beats nothing left */
        if (v > *best_score) {
            *best_score = v;
            memcpy(best_x, s->cand + i * s->D, s->D * sizeof *best_x);
        }
    }
}

typedef struct local_ctx {
    const scorer *c;
    const point_list *tried;
    double *x;         /* D scratch */
    int evals;
} local_ctx;

/* The score of the point whose unit coordinates are u; -inf when it was tried. */
static double score_unit(local_ctx *l, const double *u)
{
    const search *s = l->c->s;
    search_space_from_unit(s->sp, u, l->x);
    l->evals++;
    if (search_point_in(s->sp, l->x, l->tried->x, l->tried->n))
        return -INFINITY;
    return score(l->c, l->x);
}

/* Tries every option of an option dimension, or a step either way on other ones; keeps
 * the best move. Returns 1 when it improved *f. */
static int improve_dim(local_ctx *l, double *u, size_t d, double step, double *f)
{
    const search_dim *dim = &l->c->s->sp->dims[d];
    double keep = u[d], best_u = keep;
    int improved = 0;
    int all_options = (dim->kind == SDIM_CATEGORICAL || dim->kind == SDIM_INSTANCE ||
                       dim->kind == SDIM_ORDINAL) && dim->n_labels <= 16;
    size_t tries = all_options ? dim->n_labels : 2;
    for (size_t k = 0; k < tries; k++) {
        double t = all_options ? ((double)k + 0.5) / (double)dim->n_labels
                               : keep + (k ? step : -step);
        t = fmin(fmax(t, 0), 1);
        if (t == keep)
            continue;
        u[d] = t;
        double v = score_unit(l, u);
        if (v > *f) {
            *f = v;
            best_u = t;
            improved = 1;
        }
    }
    u[d] = best_u;
    return improved;
}

/* Coordinate pattern search from u (in place), halving the step when a sweep fails. */
static double local_search(local_ctx *l, double *u, double f)
{
    size_t D = l->c->s->D;
    double step = STEP_START;
    int max_evals = (int)(LOCAL_EVAL_BUDGET / D);
    if (max_evals < LOCAL_MIN_EVALS)
        max_evals = LOCAL_MIN_EVALS;
    while (step >= STEP_MIN && l->evals < max_evals) {
        int improved = 0;
        for (size_t d = 0; d < D; d++)
            improved |= improve_dim(l, u, d, step, &f);
        if (!improved)
            step *= 0.5;
    }
    return f;
}

/* Multi-start local search: a seeded random pool, its best few points and the incumbent
 * as starts. */
static int maximize_continuous(const scorer *c, const point_list *tried, search_rng *r,
                               double *best_x, double *best_score)
{
    const search *s = c->s;
    size_t D = s->D, pool = c->m->gp.n > 50 ? POOL_LARGE : POOL_SMALL;
    size_t nstart = LOCAL_STARTS + 1;
    double *u = malloc(pool * D * sizeof *u), *f = malloc(pool * sizeof *f);
    double *x = malloc(D * sizeof *x), *start = malloc(nstart * D * sizeof *start);
    double *sf = malloc(nstart * sizeof *sf);
    int rc = -1;
    if (!u || !f || !x || !start || !sf)
        goto out;
    local_ctx l = { c, tried, x, 0 };
    for (size_t i = 0; i < pool; i++) {
        for (size_t d = 0; d < D; d++)
            u[i * D + d] = search_rng_uniform(r);
        f[i] = score_unit(&l, u + i * D);
    }
    /* The best LOCAL_STARTS of the pool by selection, plus the best observed point. */
    size_t ns = 0;
    for (size_t k = 0; k < LOCAL_STARTS; k++) {
        size_t bi = pool;
        for (size_t i = 0; i < pool; i++)
            if (f[i] > -INFINITY && (bi == pool || f[i] > f[bi]))
                bi = i;
        if (bi == pool)
            break;
        memcpy(start + ns * D, u + bi * D, D * sizeof *u);
        sf[ns++] = f[bi];
        f[bi] = -INFINITY;
    }
    double bx_value;
    if (search_best(s, x, &bx_value, NULL) == 0) {
        search_space_unit_of(s->sp, x, start + ns * D);
        sf[ns++] = -INFINITY;  /* the incumbent itself was tried */
    }
    *best_score = -INFINITY;
    for (size_t k = 0; k < ns; k++) {
        l.evals = 0;
        double v = local_search(&l, start + k * D, sf[k]);
        if (v > *best_score) {
            *best_score = v;
            search_space_from_unit(s->sp, start + k * D, best_x);
        }
    }
    rc = 0;
out:
    free(u);
    free(f);
    free(x);
    free(start);
    free(sf);
    return rc;
}

/* The best untried point for one scorer. *best_score is -inf when nothing is left. */
static int maximize(const scorer *c, const point_list *tried, search_rng *r, double *best_x,
                    double *best_score, char *err, size_t errlen)
{
    const search *s = c->s;
    if (s->cand) {
        unsigned char *used = mark_used(s, tried->x, tried->n);
        if (!used) {
            snprintf(err, errlen, "search: out of memory");
            return -1;
        }
        maximize_finite(c, used, best_x, best_score);
        free(used);
        return 0;
    }
    if (maximize_continuous(c, tried, r, best_x, best_score) != 0) {
        snprintf(err, errlen, "search: out of memory");
        return -1;
    }
    return 0;
}

/* ---- the initial design --------------------------------------------------------------- */

/* The untried candidate nearest to x in the model's encoding (finite sets); 0 or -1. */
static int snap_to_candidate(const search *s, const unsigned char *used, const double *x,
                             double *out)
{
    size_t E = s->sp->enc_dims;
    double *ex = malloc(2 * E * sizeof *ex), *ec = ex ? ex + E : NULL;
    if (!ex)
        return -1;
    search_space_encode(s->sp, x, ex);
    double best = INFINITY;
    size_t bi = s->n_cand;
    for (size_t i = 0; i < s->n_cand; i++) {
        if (used[i])
            continue;
        search_space_encode(s->sp, s->cand + i * s->D, ec);
        double d2 = 0;
        for (size_t e = 0; e < E; e++)
            d2 += (ex[e] - ec[e]) * (ex[e] - ec[e]);
        if (d2 < best) {
            best = d2;
            bi = i;
        }
    }
    free(ex);
    if (bi == s->n_cand)
        return -1;
    memcpy(out, s->cand + bi * s->D, s->D * sizeof *out);
    return 0;
}

/* Design points number first.. of the n_initial-point design, as many as want, skipping or
 * snapping away from tried points. */
static int design_points(search *s, point_list *tried, size_t first, size_t want, double *out,
                         size_t *n_out, char *err, size_t errlen)
{
    size_t N = s->opt.n_initial, D = s->D;
    double *u = malloc(N * D * sizeof *u), *x = malloc(D * sizeof *x);
    int rc = -1;
    if (!u || !x || search_design_unit(s->opt.initial_design, D, N, s->opt.seed, u) != 0) {
        snprintf(err, errlen, "search: out of memory");
        goto out;
    }
    for (size_t i = first; i < N && *n_out < want; i++) {
        search_space_from_unit(s->sp, u + i * D, x);
        if (s->cand) {
            unsigned char *used = mark_used(s, tried->x, tried->n);
            int snapped = used ? snap_to_candidate(s, used, x, x) : -1;
            free(used);
            if (snapped != 0)
                break;  /* no candidate left */
        } else if (search_point_in(s->sp, x, tried->x, tried->n)) {
            continue;
        }
        if (list_push(tried, x) != 0) {
            snprintf(err, errlen, "search: out of memory");
            goto out;
        }
        memcpy(out + (*n_out)++ * D, x, D * sizeof *x);
    }
    rc = 0;
out:
    free(u);
    free(x);
    return rc;
}

/* ---- bayes --------------------------------------------------------------------------------- */

static int cmp_points(const void *a, const void *b, void *ctx)
{
    const double *x = a, *y = b;
    size_t D = *(const size_t *)ctx;
    for (size_t d = 0; d < D; d++)
        if (x[d] != y[d])
            return x[d] < y[d] ? -1 : 1;
    return 0;
}

/* Adds x to the model with the value the batch strategy makes up for it. As in Ginsbourger
 * et al.'s kriging believer, the made-up value counts as an observation: when it beats the
 * incumbent (and the constraint's model believes x feasible) it becomes the incumbent, so
 * the next point of the round must improve on it rather than on the old best (over every
 * CherryPick and Lynceus replay at q = 4: 2% fewer evaluations to the best row). */
static int add_believer(search *s, search_model *m, scorer *c, const double *x, char *err,
                        size_t errlen)
{
    double mu, sd, v;
    search_space_encode(s->sp, x, c->enc);
    search_gp_predict_raw(&m->gp, c->enc, &mu, &sd);
    switch (s->opt.batch) {
    case SEARCH_BATCH_LIAR_MIN: v = m->y_min; break;
    case SEARCH_BATCH_LIAR_MEAN: v = m->y_mean; break;
    case SEARCH_BATCH_LIAR_MAX: v = m->y_max; break;
    default: v = mu; break;
    }
    if (search_gp_append(&m->gp, c->enc, v, err, errlen) != 0)
        return -1;
    int feasible = 1;
    /* The constraint's model believes its own mean: a pending point says nothing new. */
    if (m->has_constraint_model) {
        search_gp_predict_raw(&m->cgp, c->enc, &mu, &sd);
        if (search_gp_append(&m->cgp, c->enc, mu, err, errlen) != 0)
            return -1;
        double lim = s->opt.constraint_max;
        feasible = mu <= (m->log_c ? log(lim) : lim);
    }
    v += model_offset(s, m, x);
    if (m->has_best && feasible && v < m->best) {
        m->best = v;
        m->best_raw = m->log_y ? exp(v) : v;
    }
    return 0;
}

/* GP-Hedge, the gains: the model now knows the results of the points asked for when the
 * open nominations were made, so each acquisition is credited with (minus) the posterior
 * mean, in the model's standardised units, at the points it nominated then. Nothing
 * changes while no new observation has arrived. */
static int hedge_update_gains(search *s, const search_model *m, char *err, size_t errlen)
{
    if (s->n_hedge == 0 || s->n_obs == s->hedge_nobs)
        return 0;
    size_t n = s->n_hedge * SEARCH_HEDGE_ARMS, E = s->sp->enc_dims;
    double *mu = malloc(n * sizeof *mu), *enc = malloc(E * sizeof *enc);
    if (!mu || !enc) {
        free(mu);
        free(enc);
        snprintf(err, errlen, "search: out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        double var;
        const double *x = s->hedge_nominee + i * s->D;
        search_space_encode(s->sp, x, enc);
        search_gp_predict(&m->gp, enc, &mu[i], &var);
        mu[i] += model_offset(s, m, x) / m->gp.y_std;
    }
    search_hedge_add_gains(s->hedge_gain, SEARCH_HEDGE_ARMS, mu, s->n_hedge);
    s->n_hedge = 0;
    free(mu);
    free(enc);
    return 0;
}

/* GP-Hedge, one decision: EI, PI and UCB each nominate their best point; one is drawn
 * with probability softmax(gains), and every nominee is recorded for the next update. */
static int hedge_choice(search *s, scorer *c, const point_list *tried, search_rng *r,
                        double *best_x, double *best_score, char *err, size_t errlen)
{
    static const search_acq_kind kinds[SEARCH_HEDGE_ARMS] = { SEARCH_ACQ_EI, SEARCH_ACQ_PI,
                                                              SEARCH_ACQ_UCB };
    size_t D = s->D;
    double *nom = malloc(SEARCH_HEDGE_ARMS * D * sizeof *nom), sc[SEARCH_HEDGE_ARMS];
    double p[SEARCH_HEDGE_ARMS];
    int available[SEARCH_HEDGE_ARMS], rc = -1;
    if (!nom) {
        snprintf(err, errlen, "search: out of memory");
        return -1;
    }
    for (int a = 0; a < SEARCH_HEDGE_ARMS; a++) {
        c->kind = kinds[a];
        if (maximize(c, tried, r, nom + a * D, &sc[a], err, errlen) != 0)
            goto out;
        available[a] = sc[a] > -INFINITY;
    }
    search_hedge_probabilities(s->hedge_gain, available, SEARCH_HEDGE_ARMS, 1.0, p);
    double pick = search_rng_uniform(r);
    int chosen = 0;
    for (int a = 0; a < SEARCH_HEDGE_ARMS; a++)
        if (p[a] > 0) {
            chosen = a;
            if (pick < p[a])
                break;
            pick -= p[a];
        }
    memcpy(best_x, nom + chosen * D, D * sizeof *best_x);
    *best_score = sc[chosen];
    if (*best_score > -INFINITY) {
        /* An unavailable arm nominates the chosen point: its gain moves with the others. */
        for (int a = 0; a < SEARCH_HEDGE_ARMS; a++)
            if (!available[a])
                memcpy(nom + a * D, best_x, D * sizeof *best_x);
        if (search_hedge_record(s, nom) != 0) {
            snprintf(err, errlen, "search: out of memory");
            goto out;
        }
        s->hedge_nobs = s->n_obs;
    }
    rc = 0;
out:
    free(nom);
    return rc;
}

static int count_successes(const search *s)
{
    int ok = 0;
    for (size_t i = 0; i < s->n_obs; i++)
        ok += !s->obs_failed[i];
    return ok;
}

/* Model-based points, q - *n_out of them, appended to out. */
static int model_points(search *s, point_list *tried, const double *pending, size_t n_pending,
                        size_t q, double *out, size_t *n_out, char *err, size_t errlen)
{
    search_model m;
    if (search_model_build(s, &m, err, errlen) != 0)
        return -1;
    size_t D = s->D, start = *n_out;
    int rc = -1;
    if (s->opt.acquisition == SEARCH_ACQ_HEDGE && hedge_update_gains(s, &m, err, errlen) != 0) {
        search_model_free(&m);
        return -1;
    }
    scorer c = { s, &m, (int)s->opt.acquisition, malloc(s->sp->enc_dims * sizeof(double)) };
    double *sorted = malloc((n_pending + 1) * D * sizeof *sorted), *x = malloc(D * sizeof *x);
    if (!c.enc || !sorted || !x) {
        snprintf(err, errlen, "search: out of memory");
        goto out;
    }
    /* Pending points, in a fixed order, then this round's design points are believed. */
    if (n_pending)
        memcpy(sorted, pending, n_pending * D * sizeof *sorted);
    for (size_t i = 0; i < n_pending; i++)
        search_space_canonical(s->sp, sorted + i * D);
    qsort_r(sorted, n_pending, D * sizeof *sorted, cmp_points, &D);
    for (size_t i = 0; i < n_pending; i++)
        if (add_believer(s, &m, &c, sorted + i * D, err, errlen) != 0)
            goto out;
    for (size_t i = 0; i < start; i++)
        if (add_believer(s, &m, &c, out + i * D, err, errlen) != 0)
            goto out;
    for (size_t j = start; j < q; j++) {
        search_rng r;
        search_rng_seed(&r, s->opt.seed, ((uint64_t)s->n_obs << 32) ^ ((uint64_t)n_pending << 16) ^ j);
        double best_score;
        int e = s->opt.acquisition == SEARCH_ACQ_HEDGE
                    ? hedge_choice(s, &c, tried, &r, x, &best_score, err, errlen)
                    : maximize(&c, tried, &r, x, &best_score, err, errlen);
        if (e != 0)
            goto out;
        if (!(best_score > -INFINITY))
            break;  /* nothing untried is left */
        if (list_push(tried, x) != 0) {
            snprintf(err, errlen, "search: out of memory");
            goto out;
        }
        memcpy(out + (*n_out)++ * D, x, D * sizeof *x);
        if (j + 1 < q && add_believer(s, &m, &c, x, err, errlen) != 0)
            goto out;
    }
    rc = 0;
out:
    free(c.enc);
    free(sorted);
    free(x);
    search_model_free(&m);
    return rc;
}

int search_propose_bayes(search *s, const double *pending, size_t n_pending, size_t q,
                         double *out, size_t *n_out, char *err, size_t errlen)
{
    *n_out = 0;
    size_t D = s->D;
    point_list tried = { NULL, 0, 0, D };
    int rc = -1;
    if (search_finite_candidates(s, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < s->n_obs; i++)
        if (list_push(&tried, s->obs_x + i * D) != 0)
            goto oom;
    for (size_t i = 0; i < n_pending; i++) {
        if (list_push(&tried, pending + i * D) != 0)
            goto oom;
        search_space_canonical(s->sp, tried.x + (tried.n - 1) * D);
    }
    size_t before = s->n_obs + n_pending;
    if (before < s->opt.n_initial) {
        size_t want = s->opt.n_initial - before;
        if (design_points(s, &tried, before, want < q ? want : q, out, n_out, err, errlen) != 0)
            goto out;
    }
    if (*n_out < q && count_successes(s) < 2) {
        /* Too little to model yet (failures, or a design still running): more random. */
        size_t got = 0;
        if (search_propose_random(s, tried.x, tried.n, q - *n_out, out + *n_out * D, &got,
                                  err, errlen) != 0)
            goto out;
        *n_out += got;
    } else if (*n_out < q) {
        if (model_points(s, &tried, pending, n_pending, q, out, n_out, err, errlen) != 0)
            goto out;
    }
    rc = 0;
    goto out;
oom:
    snprintf(err, errlen, "search: out of memory");
out:
    free(tried.x);
    return rc;
}

int search_max_ei(search *s, double *max_ei, char *err, size_t errlen)
{
    *max_ei = NAN;
    if (search_finite_candidates(s, err, errlen) != 0)
        return -1;
    search_model m;
    if (search_model_build(s, &m, err, errlen) != 0)
        return -1;
    size_t D = s->D;
    point_list tried = { s->obs_x, s->n_obs, s->n_obs, D };
    scorer c = { s, &m, SCORE_EI_RAW, malloc(s->sp->enc_dims * sizeof(double)) };
    double *x = malloc(D * sizeof *x), best = -INFINITY;
    int rc = -1;
    if (!c.enc || !x) {
        snprintf(err, errlen, "search: out of memory");
    } else {
        search_rng r;
        search_rng_seed(&r, s->opt.seed, ((uint64_t)s->n_obs << 32) ^ 0xe1);
        rc = maximize(&c, &tried, &r, x, &best, err, errlen);
    }
    free(c.enc);
    free(x);
    search_model_free(&m);
    if (rc == 0) {
        *max_ei = best > 0 ? best : 0;
        s->last_max_ei = *max_ei;
        s->last_max_ei_nobs = s->n_obs;
    }
    return rc;
}

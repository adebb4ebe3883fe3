/* The run loop's proposer backed by search.h (see search_driver.h). */
#include "orchestrator/search_driver.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "orchestrator/costs.h"
#include "orchestrator/instance_types.h"
#include "orchestrator/search.h"

typedef struct driver {
    run_proposer base;        /* first: the loop holds a run_proposer pointer */
    const config *cfg;
    journal *jn;
    long long exp_id;
    search_space sp;
    int type_dim;             /* dimension index of the instance type, or -1 */
    int nodes_dim;            /* dimension index of the node count, or -1 */
    search_options opt;
} driver;

/* ---- the objective --------------------------------------------------------------------- */

static double summary_number(const char *summary, const char *key, const char *sub)
{
    json_t *o = summary ? json_loads(summary, 0, NULL) : NULL;
    json_t *v = json_object_get(o, key);
    if (sub)
        v = json_object_get(v, sub);
    double d = json_is_number(v) ? json_number_value(v) : NAN;
    json_decref(o);
    return d;
}

double search_driver_objective(const char *metric, const run_observation *o)
{
    if (!metric || strcmp(metric, "runtime") == 0 || strcmp(metric, "runtime_seconds") == 0)
        return o->runtime_seconds;
    if (strcmp(metric, "cost") == 0 || strcmp(metric, "cost_usd") == 0)
        return o->cost_usd;
    if (strcmp(metric, "custom_metric") == 0)
        return o->custom_metric;
    if (strncmp(metric, "custom_metric:", 14) == 0)
        return summary_number(o->summary_json, "custom_metrics", metric + 14);
    return summary_number(o->summary_json, metric, NULL);
}

/* ---- the space ------------------------------------------------------------------------ */

static int add_param(search_space *sp, const config_param *p, char *err, size_t errlen)
{
    const char *const *labels = (const char *const *)p->values;
    switch (p->kind) {
    case PARAM_CATEGORICAL:
        return search_space_add_categorical(sp, p->name, labels, p->n_values, err, errlen);
    case PARAM_ORDINAL:
        return search_space_add_ordinal(sp, p->name, labels, p->n_values, err, errlen);
    default:
        break;
    }
    /* Numbers with a range are searched over it; a list of numbers only is an ordinal
     * choice among exactly those values. */
    if (!p->has_range)
        return search_space_add_ordinal(sp, p->name, labels, p->n_values, err, errlen);
    return p->kind == PARAM_INT
               ? search_space_add_int(sp, p->name, p->min, p->max, p->scale == PARAM_SCALE_LOG,
                                      err, errlen)
               : search_space_add_float(sp, p->name, p->min, p->max,
                                        p->scale == PARAM_SCALE_LOG, err, errlen);
}

static void fill_instance(const config *cfg, const price_book *pb, const char *name,
                          search_instance_info *info)
{
    const instance_type_info *t = instance_type_lookup(name);
    const config_local_profile *pf = config_find_profile(cfg, name);
    if (search_instance_guess(name, info) != 0) {
        memset(info, 0, sizeof *info);
        info->name = strdup(name);
    }
    if (t) {
        info->vcpus = t->vcpus;
        info->memory_gib = (double)t->memory_mib / 1024.0;
        info->gpus = t->gpus;
    }
    if (pf) {
        if (pf->cpus > 0)
            info->vcpus = pf->cpus;
        if (pf->memory_bytes)
            info->memory_gib = (double)pf->memory_bytes / 1073741824.0;
    }
    price_quote q;
    price_book_lookup(pb, name, &q);
    if (!isnan(q.usd_per_hour))
        info->price_per_hour = q.usd_per_hour;
}

static int add_instance_dim(driver *d, char **types, size_t n, char *err, size_t errlen)
{
    price_book *pb = NULL;
    char perr[256];
    if (price_book_open_for_config(d->cfg, (const char *const *)types, n, &pb, perr,
                                   sizeof perr) != 0)
        pb = NULL;
    search_instance_info *infos = calloc(n, sizeof *infos);
    int rc = -1;
    if (infos) {
        for (size_t i = 0; i < n; i++)
            fill_instance(d->cfg, pb, types[i], &infos[i]);
        d->type_dim = (int)d->sp.n_dims;
        rc = search_space_add_instance(&d->sp, "instance_type", infos, n, err, errlen);
        for (size_t i = 0; i < n; i++)
            search_instance_info_clear(&infos[i]);
    } else {
        snprintf(err, errlen, "out of memory");
    }
    free(infos);
    price_book_free(pb);
    return rc;
}

static int build_space(driver *d, char *err, size_t errlen)
{
    const config *cfg = d->cfg;
    search_space_init(&d->sp);
    d->type_dim = d->nodes_dim = -1;
    for (size_t i = 0; i < cfg->n_params; i++)
        if (add_param(&d->sp, &cfg->params[i], err, errlen) != 0)
            return -1;
    if (cfg->search.tune_instance_type) {
        char **types = NULL;
        size_t n = 0;
        if (plan_instance_types(cfg, &types, &n, err, errlen) != 0)
            return -1;
        int rc = n > 1 ? add_instance_dim(d, types, n, err, errlen) : 0;
        plan_strings_free(types, n);
        if (rc != 0)
            return -1;
    }
    if (cfg->search.tune_nodes && cfg->nodes_max > cfg->nodes_min) {
        d->nodes_dim = (int)d->sp.n_dims;
        if (search_space_add_int(&d->sp, "nodes", cfg->nodes_min, cfg->nodes_max, 0, err,
                                 errlen) != 0 ||
            search_space_set_nodes(&d->sp, "nodes", err, errlen) != 0)
            return -1;
    }
    if (d->sp.n_dims == 0) {
        snprintf(err, errlen, "%s: a search needs parameters (or tune_instance_type with "
                 "several types, or tune_nodes)", cfg->source_path);
        return -1;
    }
    return search_space_finalize(&d->sp, err, errlen);
}

static void build_options(driver *d)
{
    const config_search *s = &d->cfg->search;
    search_options *o = &d->opt;
    search_options_default(o);
    o->algo = s->method == SEARCH_GRID     ? SEARCH_ALGO_GRID
              : s->method == SEARCH_RANDOM ? SEARCH_ALGO_RANDOM
                                           : SEARCH_ALGO_BAYES;
    o->seed = d->cfg->has_seed ? d->cfg->seed : 0;
    o->n_initial = (size_t)s->initial_points;
    if (s->initial_design)
        o->initial_design = strcmp(s->initial_design, "lhs") == 0      ? SEARCH_DESIGN_LHS
                            : strcmp(s->initial_design, "random") == 0 ? SEARCH_DESIGN_RANDOM
                                                                       : SEARCH_DESIGN_SOBOL;
    if (s->acquisition)
        o->acquisition = strcmp(s->acquisition, "ei") == 0      ? SEARCH_ACQ_EI
                         : strcmp(s->acquisition, "ucb") == 0   ? SEARCH_ACQ_UCB
                         : strcmp(s->acquisition, "hedge") == 0 ? SEARCH_ACQ_HEDGE
                                                                : SEARCH_ACQ_LOGEI;
    /* The cost of a run is its runtime × the type's $/h × nodes (costs.c), and the space
     * knows those prices: the model then learns the runtime alone. */
    o->cost_objective = s->metric && (strcmp(s->metric, "cost") == 0 ||
                                      strcmp(s->metric, "cost_usd") == 0);
    o->budget_usd = s->budget_usd;
    o->ei_stop_fraction = s->ei_stop_fraction;
    o->min_points = (size_t)s->min_points;
    if (s->constraint_metric) {
        o->has_constraint = 1;
        o->constraint_max = s->constraint_max;
    }
}

/* ---- observations ------------------------------------------------------------------------ */

/* The native point of an observed or pending configuration; 0 or -1 (not in the space,
 * e.g. the config changed since it ran). */
static int point_of(const driver *d, char *const *values, const char *type, int nodes,
                    double *x)
{
    size_t k = 0;
    for (size_t i = 0; i < d->cfg->n_params; i++, k++)
        if (search_space_parse_value(&d->sp, k, values[i], &x[k]) != 0)
            return -1;
    if (d->type_dim >= 0 && search_space_parse_value(&d->sp, (size_t)d->type_dim, type, &x[d->type_dim]) != 0)
        return -1;
    if (d->nodes_dim >= 0)
        x[d->nodes_dim] = nodes;
    return 0;
}

typedef struct pool {
    double *x;
    double sum, sumsq, cost, csum;
    size_t n_ok, n, n_c;
} pool;

static int same_config(const driver *d, const run_observation *a, const run_observation *b)
{
    return strcmp(a->point_tag, b->point_tag) == 0 &&
           (d->type_dim < 0 || strcmp(a->instance_type, b->instance_type) == 0);
}

static int feed(driver *d, search *s, const run_observation *obs, size_t n, char *err,
                size_t errlen)
{
    const config_search *cs = &d->cfg->search;
    size_t D = d->sp.n_dims;
    int *done = calloc(n ? n : 1, sizeof *done);
    double *x = calloc(D, sizeof *x);
    int rc = done && x ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (done[i])
            continue;
        pool p = {.x = x};
        for (size_t j = i; j < n; j++) {
            if (done[j] || !same_config(d, &obs[i], &obs[j]))
                continue;
            done[j] = 1;
            p.n++;
            if (!isnan(obs[j].cost_usd))
                p.cost += obs[j].cost_usd;
            double v = search_driver_objective(cs->metric, &obs[j]);
            if (!obs[j].failed && !isnan(v)) {
                p.sum += v;
                p.sumsq += v * v;
                p.n_ok++;
            }
            double c = cs->constraint_metric ? search_driver_objective(cs->constraint_metric, &obs[j])
                                             : NAN;
            if (!obs[j].failed && !isnan(c)) {
                p.csum += c;
                p.n_c++;
            }
        }
        if (point_of(d, obs[i].values, obs[i].instance_type, obs[i].nodes, x) != 0) {
            log_warn("search: %s is outside the current search space; ignored",
                     obs[i].point_tag);
            continue;
        }
        double mean = p.n_ok ? p.sum / (double)p.n_ok : NAN;
        double var = p.n_ok > 1 ? (p.sumsq - (double)p.n_ok * mean * mean) / (double)(p.n_ok - 1) : 0;
        search_observation so = {
            .x = x, .value = mean, .failed = p.n_ok == 0,
            .std_error = p.n_ok > 1 ? sqrt(var > 0 ? var : 0) / sqrt((double)p.n_ok) : 0,
            .cost = p.cost, .constraint = p.n_c ? p.csum / (double)p.n_c : NAN};
        rc = search_observe(s, &so, err, errlen);
    }
    if (!done || !x)
        snprintf(err, errlen, "out of memory");
    free(done);
    free(x);
    return rc;
}

static int pending_points(const driver *d, const run_pending *pend, size_t n, double **out,
                          size_t *n_out)
{
    size_t D = d->sp.n_dims, k = 0;
    double *v = calloc((n ? n : 1) * D, sizeof *v);
    if (!v)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (point_of(d, pend[i].values, pend[i].instance_type, pend[i].nodes, v + k * D) == 0)
            k++;
    *out = v;
    *n_out = k;
    return 0;
}

/* ---- proposals ------------------------------------------------------------------------------ */

static int to_proposal(const driver *d, const double *x, run_proposal *p)
{
    const config *cfg = d->cfg;
    char buf[256];
    memset(p, 0, sizeof *p);
    p->values = calloc(cfg->n_params + 1, sizeof *p->values);
    if (!p->values)
        return -1;
    for (size_t i = 0; i < cfg->n_params; i++) {
        search_space_format_value(&d->sp, i, x[i], buf, sizeof buf);
        if (!(p->values[i] = strdup(buf)))
            return -1;
    }
    p->nodes = d->nodes_dim >= 0 ? (int)llround(x[d->nodes_dim]) : cfg->nodes_min;
    p->gpus = cfg->n_gpu_counts ? cfg->gpu_counts[0] : 0;
    if (d->type_dim >= 0) {
        search_space_format_value(&d->sp, (size_t)d->type_dim, x[d->type_dim], buf, sizeof buf);
        if (!(p->instance_type = strdup(buf)))
            return -1;
    }
    return 0;
}

static int propose(run_proposer *rp, int round, const run_observation *obs, size_t n_obs,
                   const run_pending *pending, size_t n_pending, size_t q, run_proposal **out,
                   size_t *n, char *err, size_t errlen)
{
    driver *d = (driver *)rp;
    double *pend = NULL, *xs = NULL;
    size_t n_pend = 0, got = 0;
    char *state = NULL, why[256];
    *out = NULL;
    *n = 0;
    search *s = search_new(&d->sp, &d->opt, err, errlen);
    if (!s)
        return -1;
    int rc = journal_kv_get(d->jn, d->exp_id, "search_state", &state, err, errlen);
    if (rc == 0 && state && search_state_load(s, state, err, errlen) != 0)
        log_warn("search: warm-start state not usable (%s); starting cold", err), rc = 0;
    if (rc == 0)
        rc = feed(d, s, obs, n_obs, err, errlen);
    if (rc == 0 && pending_points(d, pending, n_pending, &pend, &n_pend) != 0) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    int stop = rc == 0 && n_obs > 0 ? search_should_stop(s, why, sizeof why) : 0;
    if (stop < 0) {
        snprintf(err, errlen, "search: %s", why);
        rc = -1;
    } else if (stop > 0) {
        log_info("search stops: %s", why);
    }
    if (rc == 0 && !stop) {
        xs = calloc(q * d->sp.n_dims + 1, sizeof *xs);
        rc = xs ? search_ask(s, pend, n_pend, q, xs, &got, err, errlen) : -1;
    }
    if (rc == 0 && got) {
        *out = calloc(got, sizeof **out);
        for (size_t i = 0; *out && i < got; i++, (*n)++)
            if (to_proposal(d, xs + i * d->sp.n_dims, &(*out)[i]) != 0) {
                (*n)++;
                rc = -1;
                break;
            }
        if (!*out || rc != 0) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        }
    }
    char *saved = rc == 0 ? search_state_save(s) : NULL;
    if (saved)
        rc = journal_kv_set(d->jn, d->exp_id, "search_state", saved, err, errlen);
    (void)round;
    free(saved);
    free(state);
    free(pend);
    free(xs);
    search_free(s);
    if (rc != 0) {
        run_proposals_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

static void destroy(run_proposer *rp)
{
    driver *d = (driver *)rp;
    search_space_free(&d->sp);
    free(d);
}

run_proposer *search_driver_new(const config *cfg, journal *jn, long long exp_id, char *err,
                                size_t errlen)
{
    driver *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->base.self = d;
    d->base.propose = propose;
    d->base.destroy = destroy;
    d->cfg = cfg;
    d->jn = jn;
    d->exp_id = exp_id;
    if (build_space(d, err, errlen) != 0) {
        destroy(&d->base);
        return NULL;
    }
    build_options(d);
    if (d->opt.cost_objective && d->opt.algo == SEARCH_ALGO_BAYES)
        log_info(search_space_priced(&d->sp)
                     ? "search: the model learns the runtime; cost = runtime x the known "
                       "$/h x nodes"
                     : "search: some instance type has no price: the model learns the cost "
                       "itself");
    return &d->base;
}

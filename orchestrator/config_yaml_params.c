/* The parameters and search sections of a YAML config. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "orchestrator/config.h"
#include "orchestrator/config_text.h"
#include "orchestrator/config_yaml_internal.h"

/* ---- parameters ------------------------------------------------------------------------- */

typedef struct param_ctx {
    config_param *p;
    const yaml_node_t *type_node;
    const yaml_node_t *values_node;
    int has_type;
} param_ctx;

#define PRM(t) (((param_ctx *)(t))->p)

static int p_type(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    static const char *const names[] = {"int", "float", "categorical", "ordinal",
                                        "integer", "real", "double"};
    int i;
    if (yc_enum(y, v, k, names, sizeof names / sizeof names[0], &i))
        return -1;
    static const param_kind kinds[] = {PARAM_INT, PARAM_FLOAT, PARAM_CATEGORICAL, PARAM_ORDINAL,
                                       PARAM_INT, PARAM_FLOAT, PARAM_FLOAT};
    PRM(t)->kind = kinds[i];
    ((param_ctx *)t)->has_type = 1;
    ((param_ctx *)t)->type_node = v;
    return 0;
}

static int p_min(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    PRM(t)->has_range |= 1;
    return yc_double(y, v, k, -1e300, 1e300, &PRM(t)->min);
}

static int p_max(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    PRM(t)->has_range |= 2;
    return yc_double(y, v, k, -1e300, 1e300, &PRM(t)->max);
}

static int p_scale(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    static const char *const names[] = {"linear", "log", "log-uniform"};
    int i;
    if (yc_enum(y, v, k, names, 3, &i))
        return -1;
    PRM(t)->scale = i == 0 ? PARAM_SCALE_LINEAR : PARAM_SCALE_LOG;
    return 0;
}

static int p_values(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    if (v->type != YAML_SEQUENCE_NODE)
        return yc_err(y, v, "%s: expected a list, got %s", k, yc_kind_word(v));
    ((param_ctx *)t)->values_node = v;
    if (yc_str_list(y, v, k, &PRM(t)->values, &PRM(t)->n_values))
        return -1;
    if (PRM(t)->n_values == 0)
        return yc_err(y, v, "%s: the list is empty", k);
    return 0;
}

static int p_count(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_int32(y, v, k, 1, 100000, &PRM(t)->count);
}

static const key_spec param_keys[] = {
    {"type", p_type}, {"min", p_min},     {"max", p_max},
    {"scale", p_scale}, {"values", p_values}, {"count", p_count},
};

static int is_number(const char *s, int whole)
{
    char *end;
    errno = 0;
    if (whole)
        (void)strtoll(s, &end, 10);
    else
        (void)strtod(s, &end);
    return end != s && !*end && !errno;
}

/* The type from the values when none is written: all whole numbers → int, all numbers →
 * float, otherwise categorical. */
static void infer_kind(config_param *p)
{
    int all_int = 1, all_num = 1;
    for (size_t i = 0; i < p->n_values; i++) {
        all_int &= is_number(p->values[i], 1);
        all_num &= is_number(p->values[i], 0);
    }
    p->kind = all_int ? PARAM_INT : all_num ? PARAM_FLOAT : PARAM_CATEGORICAL;
}

static int check_param(yctx *y, const yaml_node_t *at, param_ctx *pc)
{
    config_param *p = pc->p;
    if (!pc->has_type) {
        if (p->n_values == 0 && p->has_range != 3)
            return yc_err(y, at, "parameter %s: give a type with min and max, or values",
                        p->name);
        if (p->n_values)
            infer_kind(p);
        else
            p->kind = (floor(p->min) == p->min && floor(p->max) == p->max) ? PARAM_INT
                                                                          : PARAM_FLOAT;
    }
    int numeric = p->kind == PARAM_INT || p->kind == PARAM_FLOAT;
    if (!numeric) {
        if (p->n_values == 0)
            return yc_err(y, at, "parameter %s: a %s parameter needs values", p->name,
                        param_kind_name(p->kind));
        if (p->has_range || p->scale == PARAM_SCALE_LOG || p->count)
            return yc_err(y, at, "parameter %s: min, max, scale and count apply only to int and "
                        "float parameters", p->name);
        for (size_t i = 0; i < p->n_values; i++)
            for (size_t j = 0; j < i; j++)
                if (strcmp(p->values[i], p->values[j]) == 0)
                    return yc_err(y, pc->values_node, "parameter %s: value \"%s\" is listed twice",
                                p->name, p->values[i]);
        return 0;
    }
    if (p->has_range && p->has_range != 3)
        return yc_err(y, at, "parameter %s: give both min and max", p->name);
    if (p->has_range && p->min > p->max)
        return yc_err(y, at, "parameter %s: min (%g) is above max (%g)", p->name, p->min, p->max);
    if (p->kind == PARAM_INT && p->has_range &&
        (floor(p->min) != p->min || floor(p->max) != p->max))
        return yc_err(y, at, "parameter %s: an int parameter needs whole min and max", p->name);
    if (p->scale == PARAM_SCALE_LOG && p->has_range && p->min <= 0)
        return yc_err(y, at, "parameter %s: a log scale needs min > 0", p->name);
    if (p->n_values == 0 && !p->has_range)
        return yc_err(y, at, "parameter %s: give min and max, or values", p->name);
    if (p->count && !p->has_range)
        return yc_err(y, at, "parameter %s: count needs min and max", p->name);
    for (size_t i = 0; i < p->n_values; i++) {
        const char *s = p->values[i];
        if (!is_number(s, p->kind == PARAM_INT))
            return yc_err(y, pc->values_node, "parameter %s: value \"%s\" is not %s", p->name, s,
                        p->kind == PARAM_INT ? "a whole number" : "a number");
        double d = strtod(s, NULL);
        if (p->has_range && (d < p->min || d > p->max))
            return yc_err(y, pc->values_node, "parameter %s: value %s is outside min..max (%g..%g)",
                        p->name, s, p->min, p->max);
        if (p->scale == PARAM_SCALE_LOG && d <= 0)
            return yc_err(y, pc->values_node, "parameter %s: value %s on a log scale must be > 0",
                        p->name, s);
    }
    return 0;
}

static int param_name_ok(const char *s)
{
    if (!*s || !(isalpha((unsigned char)*s) || *s == '_'))
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_')
            return 0;
    return 1;
}

static int parse_one_param(yctx *y, const yaml_node_t *key, const yaml_node_t *val,
                           config_param *p)
{
    const char *name = yc_scalar(key);
    if (!name || !param_name_ok(name))
        return yc_err(y, key, "parameters: \"%s\" is not a valid name (letters, digits, '_')",
                    name ? name : "?");
    if (!(p->name = strdup(name)))
        return yc_err(y, key, "out of memory");
    param_ctx pc = {.p = p};
    char where[160];
    snprintf(where, sizeof where, "parameters.%s", name);
    if (val->type == YAML_SEQUENCE_NODE) {      /* shorthand: name: [v1, v2, ...] */
        if (p_values(y, where, val, &pc))
            return -1;
    } else if (yc_walk_mapping(y, val, where, param_keys,
                            sizeof param_keys / sizeof param_keys[0], &pc)) {
        return -1;
    }
    return check_param(y, val, &pc);
}

int yc_parameters(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    config *c = CFG(t);
    if (v->type != YAML_MAPPING_NODE)
        return yc_err(y, v, "%s: expected a mapping of name: {type, min, max, values}, got %s", k,
                    yc_kind_word(v));
    size_t n = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
    if (c->n_params)
        return yc_err(y, v, "%s: given twice", k);
    c->params = calloc(n ? n : 1, sizeof *c->params);
    if (!c->params)
        return yc_err(y, v, "out of memory");
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        const yaml_node_t *key = yaml_document_get_node(y->doc, p->key);
        const yaml_node_t *val = yaml_document_get_node(y->doc, p->value);
        config_param *cp = &c->params[c->n_params++];
        if (parse_one_param(y, key, val, cp))
            return -1;
        if (config_find_param(c, cp->name) != cp)
            return yc_err(y, key, "parameters: \"%s\" is defined twice", cp->name);
    }
    return 0;
}

/* ---- search ------------------------------------------------------------------------------ */

#define SRCH(t) (&CFG(t)->search)

static int s_method(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    static const char *const names[] = {"grid", "random", "bayes"};
    int i;
    if (yc_enum(y, v, k, names, 3, &i))
        return -1;
    SRCH(t)->method = (search_method)(i + 1);
    return 0;
}

static int s_iterations(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_int32(y, v, k, 1, 100000, &SRCH(t)->iterations);
}

static int s_parallel(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_int32(y, v, k, 1, 100000, &SRCH(t)->parallel_samples);
}

static int s_initial_points(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_int32(y, v, k, 0, 100000, &SRCH(t)->initial_points);
}

static int s_initial_design(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    static const char *const names[] = {"sobol", "lhs", "random"};
    int i;
    if (yc_enum(y, v, k, names, 3, &i))
        return -1;
    free(SRCH(t)->initial_design);
    SRCH(t)->initial_design = strdup(names[i]);
    return SRCH(t)->initial_design ? 0 : yc_err(y, v, "out of memory");
}

static int s_metric(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_str(y, v, k, &SRCH(t)->metric);
}

static int s_acquisition(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    static const char *const names[] = {"ei", "logei", "ucb", "hedge"};
    int i;
    if (yc_enum(y, v, k, names, 4, &i))
        return -1;
    free(SRCH(t)->acquisition);
    SRCH(t)->acquisition = strdup(names[i]);
    return SRCH(t)->acquisition ? 0 : yc_err(y, v, "out of memory");
}

static int s_budget(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_double(y, v, k, 0, 1e9, &SRCH(t)->budget_usd);
}

static int s_ei_stop(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_double(y, v, k, 0, 1, &SRCH(t)->ei_stop_fraction);
}

static int s_min_points(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_int32(y, v, k, 0, 100000, &SRCH(t)->min_points);
}

static int s_tune_type(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_bool(y, v, k, &SRCH(t)->tune_instance_type);
}

static int s_tune_nodes(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_bool(y, v, k, &SRCH(t)->tune_nodes);
}

static int c_metric(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_str(y, v, k, &((config_search *)t)->constraint_metric);
}

static int c_max(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return yc_double(y, v, k, -1e300, 1e300, &((config_search *)t)->constraint_max);
}

static int s_constraint(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    static const key_spec keys[] = {{"metric", c_metric}, {"max", c_max}};
    if (yc_walk_mapping(y, v, "search.constraint", keys, 2, SRCH(t)))
        return -1;
    if (!SRCH(t)->constraint_metric)
        return yc_err(y, v, "%s: needs metric and max", k);
    return 0;
}

static const key_spec search_keys[] = {
    {"method", s_method},         {"iterations", s_iterations},
    {"parallel_samples", s_parallel}, {"initial_points", s_initial_points},
    {"initial_design", s_initial_design}, {"metric", s_metric},
    {"objective", s_metric},      {"acquisition", s_acquisition},
    {"budget_usd", s_budget},     {"ei_stop_fraction", s_ei_stop},
    {"min_points", s_min_points}, {"tune_instance_type", s_tune_type},
    {"tune_nodes", s_tune_nodes}, {"constraint", s_constraint},
};

int yc_search(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    if (yc_walk_mapping(y, v, k, search_keys, sizeof search_keys / sizeof search_keys[0], t))
        return -1;
    if (SRCH(t)->method == SEARCH_NONE)
        return yc_err(y, v, "%s: needs a method (grid, random or bayes)", k);
    return 0;
}

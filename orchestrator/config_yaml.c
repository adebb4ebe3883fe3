/* The YAML config (man/orchestrate.yaml.5) read with libyaml's document API, so every node
 * keeps its mark: each error names FILE:LINE:COLUMN. Unknown keys are errors that suggest the
 * nearest valid key (edit distance); wrong types and impossible values are errors too. */
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

typedef struct yctx {
    yaml_document_t *doc;
    const char *name;
    char *err;
    size_t errlen;
    config *c;
} yctx;

__attribute__((format(printf, 3, 4)))
static int yerr(yctx *y, const yaml_node_t *n, const char *fmt, ...)
{
    int used = snprintf(y->err, y->errlen, "%s:%zu:%zu: ", y->name,
                        n ? n->start_mark.line + 1 : 0, n ? n->start_mark.column + 1 : 0);
    if (used < 0 || (size_t)used >= y->errlen)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(y->err + used, y->errlen - (size_t)used, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *kind_word(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_SCALAR_NODE: return "a scalar";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_MAPPING_NODE: return "a mapping";
    default: return "nothing";
    }
}

static const char *scalar(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int is_null_scalar(const yaml_node_t *n)
{
    const char *s = scalar(n);
    return s && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           (!*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0);
}

/* ---- typed scalars --------------------------------------------------------------------- */

static int get_str(yctx *y, const yaml_node_t *n, const char *key, char **out)
{
    const char *s = scalar(n);
    if (!s)
        return yerr(y, n, "%s: expected a string, got %s", key, kind_word(n));
    if (!*s)
        return yerr(y, n, "%s: must not be empty", key);
    char *copy = strdup(s);
    if (!copy)
        return yerr(y, n, "out of memory");
    free(*out);
    *out = copy;
    return 0;
}

static int get_double(yctx *y, const yaml_node_t *n, const char *key, double min, double max,
                      double *out)
{
    const char *s = scalar(n);
    if (!s)
        return yerr(y, n, "%s: expected a number, got %s", key, kind_word(n));
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v))
        return yerr(y, n, "%s: expected a number, got \"%s\"", key, s);
    if (v < min || v > max)
        return yerr(y, n, "%s: %s is out of range (%g..%g)", key, s, min, max);
    *out = v;
    return 0;
}

static int get_int(yctx *y, const yaml_node_t *n, const char *key, long long min,
                   long long max, long long *out)
{
    const char *s = scalar(n);
    if (!s)
        return yerr(y, n, "%s: expected a whole number, got %s", key, kind_word(n));
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno)
        return yerr(y, n, "%s: expected a whole number, got \"%s\"", key, s);
    if (v < min || v > max)
        return yerr(y, n, "%s: %s is out of range (%lld..%lld)", key, s, min, max);
    *out = v;
    return 0;
}

static int get_int32(yctx *y, const yaml_node_t *n, const char *key, int min, int max, int *out)
{
    long long v;
    if (get_int(y, n, key, min, max, &v))
        return -1;
    *out = (int)v;
    return 0;
}

static int get_bool(yctx *y, const yaml_node_t *n, const char *key, int *out)
{
    static const char *const yes[] = {"true", "yes", "on", "True", "TRUE", "Yes", "1"};
    static const char *const no[] = {"false", "no", "off", "False", "FALSE", "No", "0"};
    const char *s = scalar(n);
    if (s) {
        for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
            if (strcmp(s, yes[i]) == 0) { *out = 1; return 0; }
            if (strcmp(s, no[i]) == 0) { *out = 0; return 0; }
        }
    }
    return yerr(y, n, "%s: expected true or false, got %s", key, s ? s : kind_word(n));
}

static int get_duration(yctx *y, const yaml_node_t *n, const char *key, double *out)
{
    const char *s = scalar(n);
    if (!s || config_parse_duration(s, out) != 0)
        return yerr(y, n, "%s: expected a duration (seconds, or 90s, 30m, 2h), got %s", key,
                    s ? s : kind_word(n));
    return 0;
}

static int get_enum(yctx *y, const yaml_node_t *n, const char *key, const char *const *names,
                    size_t count, int *out)
{
    const char *s = scalar(n);
    if (s)
        for (size_t i = 0; i < count; i++)
            if (strcmp(s, names[i]) == 0) {
                *out = (int)i;
                return 0;
            }
    char list[256] = "";
    for (size_t i = 0; i < count; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                 names[i]);
    const char *near = s ? config_nearest(s, names, count) : NULL;
    if (near)
        return yerr(y, n, "%s: unknown value \"%s\" (did you mean %s? one of: %s)", key, s,
                    near, list);
    return yerr(y, n, "%s: expected one of %s, got %s", key, list, s ? s : kind_word(n));
}

/* A list of strings, or one scalar as a list of one. */
static int get_str_list(yctx *y, const yaml_node_t *n, const char *key, char ***out,
                        size_t *count)
{
    size_t total = n->type == YAML_SEQUENCE_NODE
                       ? (size_t)(n->data.sequence.items.top - n->data.sequence.items.start)
                       : 1;
    if (n->type != YAML_SEQUENCE_NODE && n->type != YAML_SCALAR_NODE)
        return yerr(y, n, "%s: expected a list, got %s", key, kind_word(n));
    char **v = calloc(total ? total : 1, sizeof *v);
    if (!v)
        return yerr(y, n, "out of memory");
    for (size_t i = 0; i < total; i++) {
        const yaml_node_t *item =
            n->type == YAML_SEQUENCE_NODE
                ? yaml_document_get_node(y->doc, n->data.sequence.items.start[i])
                : n;
        const char *s = scalar(item);
        if (!s || !(v[i] = strdup(s))) {
            for (size_t k = 0; k < i; k++)
                free(v[k]);
            free(v);
            return s ? yerr(y, item, "out of memory")
                     : yerr(y, item, "%s: list items must be scalars, got %s", key,
                            kind_word(item));
        }
    }
    for (size_t i = 0; i < *count; i++)
        free((*out)[i]);
    free(*out);
    *out = v;
    *count = total;
    return 0;
}

/* ---- mappings with known keys ---------------------------------------------------------- */

typedef int (*key_handler)(yctx *y, const char *key, const yaml_node_t *val, void *target);

typedef struct key_spec {
    const char *key;
    key_handler fn;
} key_spec;

static int walk_mapping(yctx *y, const yaml_node_t *map, const char *where,
                        const key_spec *specs, size_t n_specs, void *target)
{
    if (map->type != YAML_MAPPING_NODE)
        return yerr(y, map, "%s: expected a mapping, got %s", where, kind_word(map));
    const char *names[64];
    for (size_t i = 0; i < n_specs && i < 64; i++)
        names[i] = specs[i].key;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        const yaml_node_t *k = yaml_document_get_node(y->doc, p->key);
        const yaml_node_t *v = yaml_document_get_node(y->doc, p->value);
        const char *ks = scalar(k);
        if (!ks)
            return yerr(y, k, "%s: keys must be scalars", where);
        for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
            const char *prev = scalar(yaml_document_get_node(y->doc, q->key));
            if (prev && strcmp(prev, ks) == 0)
                return yerr(y, k, "%s: duplicate key \"%s\"", where, ks);
        }
        size_t i;
        for (i = 0; i < n_specs; i++)
            if (strcmp(ks, specs[i].key) == 0)
                break;
        if (i == n_specs) {
            const char *near = config_nearest(ks, names, n_specs < 64 ? n_specs : 64);
            if (near)
                return yerr(y, k, "%s: unknown key \"%s\" (did you mean \"%s\"?)", where, ks,
                            near);
            return yerr(y, k, "%s: unknown key \"%s\"", where, ks);
        }
        if (is_null_scalar(v))
            continue;   /* "key:" with no value keeps the default */
        if (specs[i].fn(y, ks, v, target))
            return -1;
    }
    return 0;
}

#define CFG(t) ((config *)(t))

/* ---- top-level keys -------------------------------------------------------------------- */

static int k_experiment(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    if (get_str(y, v, k, &CFG(t)->experiment))
        return -1;
    for (const char *p = CFG(t)->experiment; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("._-", *p))
            return yerr(y, v, "%s: \"%s\" may hold only letters, digits, '.', '_' and '-'", k,
                        CFG(t)->experiment);
    if (strcmp(CFG(t)->experiment, ".") == 0 || strcmp(CFG(t)->experiment, "..") == 0)
        return yerr(y, v, "%s: \"%s\" is not a usable name", k, CFG(t)->experiment);
    return 0;
}

static int k_backend(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    static const char *const names[] = {"local", "batch"};
    int i;
    if (get_enum(y, v, k, names, 2, &i))
        return -1;
    CFG(t)->backend = (config_backend_kind)i;
    return 0;
}

static int k_region(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_str(y, v, k, &CFG(t)->region);
}

static int k_results_url(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    if (get_str(y, v, k, &CFG(t)->results_url))
        return -1;
    const char *u = CFG(t)->results_url;
    if (strncmp(u, "s3://", 5) == 0 && (u[5] == '\0' || u[5] == '/'))
        return yerr(y, v, "%s: \"%s\" names no bucket (s3://BUCKET/PREFIX/)", k, u);
    if (strstr(u, "://") && strncmp(u, "s3://", 5) != 0)
        return yerr(y, v, "%s: \"%s\": only s3:// URLs or local directories", k, u);
    return 0;
}

static int k_image(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_str(y, v, k, &CFG(t)->image);
}

static int k_image_arch(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    static const char *const names[] = {"x86_64", "arm64", "multi", "amd64", "aarch64"};
    static const char *const canon[] = {"x86_64", "arm64", "multi", "x86_64", "arm64"};
    int i;
    if (get_enum(y, v, k, names, 5, &i))
        return -1;
    free(CFG(t)->image_arch);
    CFG(t)->image_arch = strdup(canon[i]);
    return CFG(t)->image_arch ? 0 : yerr(y, v, "out of memory");
}

static int k_log_group(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_str(y, v, k, &CFG(t)->log_group);
}

static int k_job_timeout(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    if (get_duration(y, v, k, &CFG(t)->job_timeout_seconds))
        return -1;
    if (CFG(t)->job_timeout_seconds > 0 && CFG(t)->job_timeout_seconds < 60 &&
        CFG(t)->backend == CONFIG_BACKEND_BATCH)
        return yerr(y, v, "%s: AWS Batch needs at least 60 seconds", k);
    return 0;
}

static int k_stall_timeout(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_duration(y, v, k, &CFG(t)->stall_timeout_seconds);
}

static int k_max_resubmits(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_int32(y, v, k, 0, 100, &CFG(t)->max_resubmits);
}

static int k_replicates(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_int32(y, v, k, 1, 10000, &CFG(t)->replicates);
}

static int k_seed(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    long long s;
    if (get_int(y, v, k, 0, 0x7fffffffffffffffLL, &s))
        return -1;
    CFG(t)->seed = (uint64_t)s;
    CFG(t)->has_seed = 1;
    return 0;
}

static int k_output(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_str(y, v, k, &CFG(t)->output_dir);
}

static int k_instance_types(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    if (get_str_list(y, v, k, &CFG(t)->instance_types, &CFG(t)->n_instance_types))
        return -1;
    if (CFG(t)->n_instance_types == 0)
        return yerr(y, v, "%s: the list is empty", k);
    return 0;
}

static int k_exclude(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_str_list(y, v, k, &CFG(t)->exclude_types, &CFG(t)->n_exclude_types);
}

static int k_gpus(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    config *c = CFG(t);
    size_t n = v->type == YAML_SEQUENCE_NODE
                   ? (size_t)(v->data.sequence.items.top - v->data.sequence.items.start)
                   : 1;
    if (n == 0)
        return yerr(y, v, "%s: the list is empty", k);
    int *g = calloc(n, sizeof *g);
    if (!g)
        return yerr(y, v, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const yaml_node_t *item = v->type == YAML_SEQUENCE_NODE
                                      ? yaml_document_get_node(y->doc,
                                                               v->data.sequence.items.start[i])
                                      : v;
        if (get_int32(y, item, k, 0, 64, &g[i])) {
            free(g);
            return -1;
        }
    }
    free(c->gpu_counts);
    c->gpu_counts = g;
    c->n_gpu_counts = n;
    return 0;
}

static int k_nodes(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    config *c = CFG(t);
    if (v->type == YAML_SCALAR_NODE) {
        if (get_int32(y, v, k, 1, 1000, &c->nodes_min))
            return -1;
        c->nodes_max = c->nodes_min;
        return 0;
    }
    if (v->type != YAML_MAPPING_NODE)
        return yerr(y, v, "%s: expected a number or {min: N, max: M}, got %s", k,
                    kind_word(v));
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        const yaml_node_t *key = yaml_document_get_node(y->doc, p->key);
        const yaml_node_t *val = yaml_document_get_node(y->doc, p->value);
        const char *ks = scalar(key);
        static const char *const names[] = {"min", "max"};
        if (ks && strcmp(ks, "min") == 0) {
            if (get_int32(y, val, "nodes.min", 1, 1000, &c->nodes_min))
                return -1;
        } else if (ks && strcmp(ks, "max") == 0) {
            if (get_int32(y, val, "nodes.max", 1, 1000, &c->nodes_max))
                return -1;
        } else {
            const char *near = ks ? config_nearest(ks, names, 2) : NULL;
            return near ? yerr(y, key, "nodes: unknown key \"%s\" (did you mean \"%s\"?)", ks,
                               near)
                        : yerr(y, key, "nodes: unknown key \"%s\"", ks ? ks : "?");
        }
    }
    if (c->nodes_max < c->nodes_min)
        return yerr(y, v, "%s: max (%d) is below min (%d)", k, c->nodes_max, c->nodes_min);
    return 0;
}

/* A string is split on blanks (the older tool's run_cmd); a list is taken as argv. */
static int k_command(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    config *c = CFG(t);
    if (v->type == YAML_SCALAR_NODE) {
        char **argv = NULL;
        size_t n = 0;
        if (config_split_words(scalar(v), &argv, &n) != 0)
            return yerr(y, v, "out of memory");
        for (size_t i = 0; i < c->n_command; i++)
            free(c->command[i]);
        free(c->command);
        c->command = argv;
        c->n_command = n;
    } else if (get_str_list(y, v, k, &c->command, &c->n_command)) {
        return -1;
    }
    if (c->n_command == 0)
        return yerr(y, v, "%s: the command is empty", k);
    return 0;
}

static int k_monitor_args(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_str_list(y, v, k, &CFG(t)->monitor_args, &CFG(t)->n_monitor_args);
}

static int env_name_ok(const char *s, size_t n)
{
    if (n == 0 || isdigit((unsigned char)s[0]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_')
            return 0;
    return 1;
}

static int k_env(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    config *c = CFG(t);
    if (v->type == YAML_SEQUENCE_NODE) {
        if (get_str_list(y, v, k, &c->env, &c->n_env))
            return -1;
        for (size_t i = 0; i < c->n_env; i++) {
            const char *eq = strchr(c->env[i], '=');
            if (!eq || !env_name_ok(c->env[i], (size_t)(eq - c->env[i])))
                return yerr(y, v, "%s: \"%s\" is not NAME=VALUE", k, c->env[i]);
        }
        return 0;
    }
    if (v->type != YAML_MAPPING_NODE)
        return yerr(y, v, "%s: expected a mapping NAME: VALUE, got %s", k, kind_word(v));
    size_t n = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
    char **env = calloc(n ? n : 1, sizeof *env);
    if (!env)
        return yerr(y, v, "out of memory");
    size_t i = 0;
    int rc = 0;
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top;
         p++, i++) {
        const yaml_node_t *key = yaml_document_get_node(y->doc, p->key);
        const yaml_node_t *val = yaml_document_get_node(y->doc, p->value);
        const char *ks = scalar(key), *vs = scalar(val);
        if (!ks || !env_name_ok(ks, strlen(ks))) {
            rc = yerr(y, key, "%s: \"%s\" is not a valid variable name", k, ks ? ks : "?");
            break;
        }
        if (!vs) {
            rc = yerr(y, val, "%s.%s: expected a string, got %s", k, ks, kind_word(val));
            break;
        }
        if (asprintf(&env[i], "%s=%s", ks, vs) < 0) {
            env[i] = NULL;
            rc = yerr(y, val, "out of memory");
            break;
        }
    }
    if (rc) {
        for (size_t j = 0; j < n; j++)
            free(env[j]);
        free(env);
        return -1;
    }
    for (size_t j = 0; j < c->n_env; j++)
        free(c->env[j]);
    free(c->env);
    c->env = env;
    c->n_env = n;
    return 0;
}

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
    if (get_enum(y, v, k, names, sizeof names / sizeof names[0], &i))
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
    return get_double(y, v, k, -1e300, 1e300, &PRM(t)->min);
}

static int p_max(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    PRM(t)->has_range |= 2;
    return get_double(y, v, k, -1e300, 1e300, &PRM(t)->max);
}

static int p_scale(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    static const char *const names[] = {"linear", "log", "log-uniform"};
    int i;
    if (get_enum(y, v, k, names, 3, &i))
        return -1;
    PRM(t)->scale = i == 0 ? PARAM_SCALE_LINEAR : PARAM_SCALE_LOG;
    return 0;
}

static int p_values(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    if (v->type != YAML_SEQUENCE_NODE)
        return yerr(y, v, "%s: expected a list, got %s", k, kind_word(v));
    ((param_ctx *)t)->values_node = v;
    if (get_str_list(y, v, k, &PRM(t)->values, &PRM(t)->n_values))
        return -1;
    if (PRM(t)->n_values == 0)
        return yerr(y, v, "%s: the list is empty", k);
    return 0;
}

static int p_count(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_int32(y, v, k, 1, 100000, &PRM(t)->count);
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
            return yerr(y, at, "parameter %s: give a type with min and max, or values",
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
            return yerr(y, at, "parameter %s: a %s parameter needs values", p->name,
                        param_kind_name(p->kind));
        if (p->has_range || p->scale == PARAM_SCALE_LOG || p->count)
            return yerr(y, at, "parameter %s: min, max, scale and count apply only to int and "
                        "float parameters", p->name);
        for (size_t i = 0; i < p->n_values; i++)
            for (size_t j = 0; j < i; j++)
                if (strcmp(p->values[i], p->values[j]) == 0)
                    return yerr(y, pc->values_node, "parameter %s: value \"%s\" is listed twice",
                                p->name, p->values[i]);
        return 0;
    }
    if (p->has_range && p->has_range != 3)
        return yerr(y, at, "parameter %s: give both min and max", p->name);
    if (p->has_range && p->min > p->max)
        return yerr(y, at, "parameter %s: min (%g) is above max (%g)", p->name, p->min, p->max);
    if (p->kind == PARAM_INT && p->has_range &&
        (floor(p->min) != p->min || floor(p->max) != p->max))
        return yerr(y, at, "parameter %s: an int parameter needs whole min and max", p->name);
    if (p->scale == PARAM_SCALE_LOG && p->has_range && p->min <= 0)
        return yerr(y, at, "parameter %s: a log scale needs min > 0", p->name);
    if (p->n_values == 0 && !p->has_range)
        return yerr(y, at, "parameter %s: give min and max, or values", p->name);
    if (p->count && !p->has_range)
        return yerr(y, at, "parameter %s: count needs min and max", p->name);
    for (size_t i = 0; i < p->n_values; i++) {
        const char *s = p->values[i];
        if (!is_number(s, p->kind == PARAM_INT))
            return yerr(y, pc->values_node, "parameter %s: value \"%s\" is not %s", p->name, s,
                        p->kind == PARAM_INT ? "a whole number" : "a number");
        double d = strtod(s, NULL);
        if (p->has_range && (d < p->min || d > p->max))
            return yerr(y, pc->values_node, "parameter %s: value %s is outside min..max (%g..%g)",
                        p->name, s, p->min, p->max);
        if (p->scale == PARAM_SCALE_LOG && d <= 0)
            return yerr(y, pc->values_node, "parameter %s: value %s on a log scale must be > 0",
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
    const char *name = scalar(key);
    if (!name || !param_name_ok(name))
        return yerr(y, key, "parameters: \"%s\" is not a valid name (letters, digits, '_')",
                    name ? name : "?");
    if (!(p->name = strdup(name)))
        return yerr(y, key, "out of memory");
    param_ctx pc = {.p = p};
    char where[160];
    snprintf(where, sizeof where, "parameters.%s", name);
    if (val->type == YAML_SEQUENCE_NODE) {      /* shorthand: name: [v1, v2, ...] */
        if (p_values(y, where, val, &pc))
            return -1;
    } else if (walk_mapping(y, val, where, param_keys,
                            sizeof param_keys / sizeof param_keys[0], &pc)) {
        return -1;
    }
    return check_param(y, val, &pc);
}

static int k_parameters(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    config *c = CFG(t);
    if (v->type != YAML_MAPPING_NODE)
        return yerr(y, v, "%s: expected a mapping of name: {type, min, max, values}, got %s", k,
                    kind_word(v));
    size_t n = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
    if (c->n_params)
        return yerr(y, v, "%s: given twice", k);
    c->params = calloc(n ? n : 1, sizeof *c->params);
    if (!c->params)
        return yerr(y, v, "out of memory");
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        const yaml_node_t *key = yaml_document_get_node(y->doc, p->key);
        const yaml_node_t *val = yaml_document_get_node(y->doc, p->value);
        config_param *cp = &c->params[c->n_params++];
        if (parse_one_param(y, key, val, cp))
            return -1;
        if (config_find_param(c, cp->name) != cp)
            return yerr(y, key, "parameters: \"%s\" is defined twice", cp->name);
    }
    return 0;
}

/* ---- search ------------------------------------------------------------------------------ */

#define SRCH(t) (&CFG(t)->search)

static int s_method(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    static const char *const names[] = {"grid", "random", "bayes"};
    int i;
    if (get_enum(y, v, k, names, 3, &i))
        return -1;
    SRCH(t)->method = (search_method)(i + 1);
    return 0;
}

static int s_iterations(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_int32(y, v, k, 1, 100000, &SRCH(t)->iterations);
}

static int s_parallel(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_int32(y, v, k, 1, 100000, &SRCH(t)->parallel_samples);
}

static int s_initial_points(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_int32(y, v, k, 0, 100000, &SRCH(t)->initial_points);
}

static int s_initial_design(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    static const char *const names[] = {"sobol", "lhs", "random"};
    int i;
    if (get_enum(y, v, k, names, 3, &i))
        return -1;
    free(SRCH(t)->initial_design);
    SRCH(t)->initial_design = strdup(names[i]);
    return SRCH(t)->initial_design ? 0 : yerr(y, v, "out of memory");
}

static int s_metric(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_str(y, v, k, &SRCH(t)->metric);
}

static int s_acquisition(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    static const char *const names[] = {"ei", "logei", "ucb", "hedge"};
    int i;
    if (get_enum(y, v, k, names, 4, &i))
        return -1;
    free(SRCH(t)->acquisition);
    SRCH(t)->acquisition = strdup(names[i]);
    return SRCH(t)->acquisition ? 0 : yerr(y, v, "out of memory");
}

static int s_budget(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_double(y, v, k, 0, 1e9, &SRCH(t)->budget_usd);
}

static int s_ei_stop(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_double(y, v, k, 0, 1, &SRCH(t)->ei_stop_fraction);
}

static int s_min_points(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_int32(y, v, k, 0, 100000, &SRCH(t)->min_points);
}

static int s_tune_type(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_bool(y, v, k, &SRCH(t)->tune_instance_type);
}

static int s_tune_nodes(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_bool(y, v, k, &SRCH(t)->tune_nodes);
}

static int c_metric(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_str(y, v, k, &((config_search *)t)->constraint_metric);
}

static int c_max(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_double(y, v, k, -1e300, 1e300, &((config_search *)t)->constraint_max);
}

static int s_constraint(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    static const key_spec keys[] = {{"metric", c_metric}, {"max", c_max}};
    if (walk_mapping(y, v, "search.constraint", keys, 2, SRCH(t)))
        return -1;
    if (!SRCH(t)->constraint_metric)
        return yerr(y, v, "%s: needs metric and max", k);
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

static int k_search(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    if (walk_mapping(y, v, k, search_keys, sizeof search_keys / sizeof search_keys[0], t))
        return -1;
    if (SRCH(t)->method == SEARCH_NONE)
        return yerr(y, v, "%s: needs a method (grid, random or bayes)", k);
    return 0;
}

/* ---- local ------------------------------------------------------------------------------- */

#define PROF(t) ((config_local_profile *)(t))

static int pr_cpus(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_double(y, v, k, 0.01, 4096, &PROF(t)->cpus);
}

static int pr_memory(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    const char *s = scalar(v);
    if (!s || config_parse_bytes(s, &PROF(t)->memory_bytes) != 0)
        return yerr(y, v, "%s: expected a size (bytes, or 512MiB, 2GiB), got %s", k,
                    s ? s : kind_word(v));
    if (PROF(t)->memory_bytes < 6 * 1024 * 1024)
        return yerr(y, v, "%s: %s is too small for a container (at least 6MiB)", k, s);
    return 0;
}

static int pr_price(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    PROF(t)->has_price = 1;
    return get_double(y, v, k, 0, 1e6, &PROF(t)->price_per_hour);
}

static int pr_arch(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    static const char *const names[] = {"x86_64", "arm64", "amd64", "aarch64"};
    int i;
    if (get_enum(y, v, k, names, 4, &i))
        return -1;
    free(PROF(t)->arch);
    PROF(t)->arch = strdup(i == 0 || i == 2 ? "x86_64" : "arm64");
    return PROF(t)->arch ? 0 : yerr(y, v, "out of memory");
}

static const key_spec profile_keys[] = {
    {"cpus", pr_cpus}, {"memory", pr_memory}, {"price_per_hour", pr_price}, {"arch", pr_arch},
};

static int l_profiles(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    config_local *l = &CFG(t)->local;
    if (v->type != YAML_MAPPING_NODE)
        return yerr(y, v, "%s: expected a mapping of name: {cpus, memory, price_per_hour}, "
                    "got %s", k, kind_word(v));
    size_t n = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
    if (l->n_profiles)
        return yerr(y, v, "%s: given twice", k);
    l->profiles = calloc(n ? n : 1, sizeof *l->profiles);
    if (!l->profiles)
        return yerr(y, v, "out of memory");
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        const yaml_node_t *key = yaml_document_get_node(y->doc, p->key);
        const yaml_node_t *val = yaml_document_get_node(y->doc, p->value);
        config_local_profile *pf = &l->profiles[l->n_profiles++];
        const char *name = scalar(key);
        if (!name || !*name || strchr(name, '/') || name[0] == '.')
            return yerr(y, key, "%s: \"%s\" is not a usable profile name", k, name ? name : "?");
        if (!(pf->name = strdup(name)))
            return yerr(y, key, "out of memory");
        if (config_find_profile(CFG(t), name) != pf)
            return yerr(y, key, "%s: \"%s\" is defined twice", k, name);
        char where[160];
        snprintf(where, sizeof where, "local.profiles.%s", name);
        if (walk_mapping(y, val, where, profile_keys, 4, pf))
            return -1;
    }
    return 0;
}

static int l_engine(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    static const char *const names[] = {"process", "podman", "docker"};
    int i;
    if (get_enum(y, v, k, names, 3, &i))
        return -1;
    CFG(t)->local.engine = (local_engine)i;
    return 0;
}

static int l_concurrency(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_int32(y, v, k, 1, 4096, &CFG(t)->local.concurrency);
}

static int l_monitor(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_str(y, v, k, &CFG(t)->local.monitor_path);
}

static int l_s3_endpoint(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    if (get_str(y, v, k, &CFG(t)->local.s3_endpoint))
        return -1;
    const char *u = CFG(t)->local.s3_endpoint;
    if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)
        return yerr(y, v, "%s: \"%s\" is not an http(s):// URL", k, u);
    return 0;
}

static const key_spec local_keys[] = {
    {"engine", l_engine}, {"concurrency", l_concurrency}, {"monitor", l_monitor},
    {"s3_endpoint", l_s3_endpoint}, {"profiles", l_profiles},
};

static int k_local(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return walk_mapping(y, v, k, local_keys, sizeof local_keys / sizeof local_keys[0], t);
}

/* ---- batch -------------------------------------------------------------------------------- */

#define BAT(t) (&CFG(t)->batch)

static int b_pinning(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    static const char *const names[] = {"mnp", "queue-per-type"};
    int i;
    if (get_enum(y, v, k, names, 2, &i))
        return -1;
    BAT(t)->pinning = (batch_pinning)i;
    return 0;
}

static int b_queue(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_str(y, v, k, &BAT(t)->job_queue);
}

static int b_prefix(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_str(y, v, k, &BAT(t)->name_prefix);
}

static int b_job_role(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_str(y, v, k, &BAT(t)->job_role_arn);
}

static int b_exec_role(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_str(y, v, k, &BAT(t)->execution_role_arn);
}

static int b_service_role(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_str(y, v, k, &BAT(t)->service_role_arn);
}

static int b_instance_role(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_str(y, v, k, &BAT(t)->instance_role);
}

static int b_subnets(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_str_list(y, v, k, &BAT(t)->subnets, &BAT(t)->n_subnets);
}

static int b_sgs(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_str_list(y, v, k, &BAT(t)->security_groups, &BAT(t)->n_security_groups);
}

static int b_max_vcpus(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_int32(y, v, k, 1, 1000000, &BAT(t)->max_vcpus);
}

static int b_retry(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_int32(y, v, k, 1, 10, &BAT(t)->retry_attempts);   /* Batch allows 1..10 */
}

static int b_spot(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_bool(y, v, k, &BAT(t)->spot);
}

static const key_spec batch_keys[] = {
    {"pinning", b_pinning},       {"job_queue", b_queue},
    {"name_prefix", b_prefix},    {"job_role_arn", b_job_role},
    {"execution_role_arn", b_exec_role}, {"service_role_arn", b_service_role},
    {"instance_role", b_instance_role}, {"subnets", b_subnets},
    {"security_groups", b_sgs},   {"max_vcpus", b_max_vcpus},
    {"retry_attempts", b_retry},  {"spot", b_spot},
};

static int k_batch(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return walk_mapping(y, v, k, batch_keys, sizeof batch_keys / sizeof batch_keys[0], t);
}

/* ---- pricing ------------------------------------------------------------------------------ */

static int pc_spot(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_bool(y, v, k, &CFG(t)->pricing.spot);
}

static int pc_max_age(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_double(y, v, k, 0, 36500, &CFG(t)->pricing.max_age_days);
}

static int pc_cache(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return get_str(y, v, k, &CFG(t)->pricing.cache_path);
}

static const key_spec pricing_keys[] = {
    {"spot", pc_spot}, {"max_age_days", pc_max_age}, {"cache", pc_cache},
};

static int k_pricing(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    return walk_mapping(y, v, k, pricing_keys, 3, t);
}

static int k_prices(yctx *y, const char *k, const yaml_node_t *v, void *t)
{
    config_pricing *pc = &CFG(t)->pricing;
    if (v->type != YAML_MAPPING_NODE)
        return yerr(y, v, "%s: expected a mapping of instance type: $/h, got %s", k,
                    kind_word(v));
    size_t n = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
    if (pc->n_overrides)
        return yerr(y, v, "%s: given twice", k);
    pc->overrides = calloc(n ? n : 1, sizeof *pc->overrides);
    if (!pc->overrides)
        return yerr(y, v, "out of memory");
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        const yaml_node_t *key = yaml_document_get_node(y->doc, p->key);
        const yaml_node_t *val = yaml_document_get_node(y->doc, p->value);
        config_price *o = &pc->overrides[pc->n_overrides];
        if (!scalar(key) || !*scalar(key))
            return yerr(y, key, "%s: keys are instance type names", k);
        char where[160];
        snprintf(where, sizeof where, "prices.%s", scalar(key));
        if (get_double(y, val, where, 0, 1e6, &o->per_hour))
            return -1;
        if (!(o->instance_type = strdup(scalar(key))))
            return yerr(y, key, "out of memory");
        pc->n_overrides++;
    }
    return 0;
}

static const key_spec top_keys[] = {
    {"experiment", k_experiment},
    {"backend", k_backend},
    {"region", k_region},
    {"results_url", k_results_url},
    {"image", k_image},
    {"image_arch", k_image_arch},
    {"log_group", k_log_group},
    {"job_timeout", k_job_timeout},
    {"stall_timeout", k_stall_timeout},
    {"max_resubmits", k_max_resubmits},
    {"replicates", k_replicates},
    {"seed", k_seed},
    {"output", k_output},
    {"instance_types", k_instance_types},
    {"exclude_instance_types", k_exclude},
    {"gpus", k_gpus},
    {"nodes", k_nodes},
    {"command", k_command},
    {"monitor_args", k_monitor_args},
    {"env", k_env},
    {"parameters", k_parameters},
    {"search", k_search},
    {"local", k_local},
    {"batch", k_batch},
    {"pricing", k_pricing},
    {"prices", k_prices},
};

const char *const *config_yaml_top_keys(size_t *n)
{
    static const char *names[sizeof top_keys / sizeof top_keys[0]];
    for (size_t i = 0; i < sizeof top_keys / sizeof top_keys[0]; i++)
        names[i] = top_keys[i].key;
    *n = sizeof top_keys / sizeof top_keys[0];
    return names;
}

/* The backend decides some checks (e.g. Batch's 60 s timeout floor): read it first. */
static int prescan_backend(yctx *y, const yaml_node_t *root)
{
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
         p++) {
        const char *ks = scalar(yaml_document_get_node(y->doc, p->key));
        if (ks && strcmp(ks, "backend") == 0)
            return k_backend(y, ks, yaml_document_get_node(y->doc, p->value), y->c);
    }
    return 0;
}

int config_parse_yaml(const char *name, const char *buf, size_t len, config *out, char *err,
                      size_t errlen)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    yctx y = {.doc = &doc, .name = name, .err = err, .errlen = errlen, .c = out};
    if (!yaml_parser_initialize(&parser)) {
        snprintf(err, errlen, "%s: out of memory", name);
        return -1;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    if (!yaml_parser_load(&parser, &doc)) {
        snprintf(err, errlen, "%s:%zu:%zu: %s%s%s", name, parser.problem_mark.line + 1,
                 parser.problem_mark.column + 1, parser.problem ? parser.problem : "syntax error",
                 parser.context ? " " : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return -1;
    }
    yaml_parser_delete(&parser);
    int rc = 0;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) {
        snprintf(err, errlen, "%s:1:1: the config is empty", name);
        rc = -1;
    } else if (root->type != YAML_MAPPING_NODE) {
        rc = yerr(&y, root, "the config must be a mapping of keys, got %s", kind_word(root));
    } else {
        rc = prescan_backend(&y, root);
        if (rc == 0)
            rc = walk_mapping(&y, root, "config", top_keys, sizeof top_keys / sizeof top_keys[0],
                              out);
    }
    if (rc == 0 && !out->source_path && !(out->source_path = strdup(name))) {
        snprintf(err, errlen, "%s: out of memory", name);
        rc = -1;
    }
    yaml_document_delete(&doc);
    return rc;
}

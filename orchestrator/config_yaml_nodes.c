/* Typed YAML values with their marks, and the mapping walker (config_yaml_internal.h). */
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

int yc_err(yctx *y, const yaml_node_t *n, const char *fmt, ...)
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

const char *yc_kind_word(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_SCALAR_NODE: return "a scalar";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_MAPPING_NODE: return "a mapping";
    default: return "nothing";
    }
}

const char *yc_scalar(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

int yc_is_null(const yaml_node_t *n)
{
    const char *s = yc_scalar(n);
    return s && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           (!*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0);
}

/* ---- typed scalars --------------------------------------------------------------------- */

int yc_str(yctx *y, const yaml_node_t *n, const char *key, char **out)
{
    const char *s = yc_scalar(n);
    if (!s)
        return yc_err(y, n, "%s: expected a string, got %s", key, yc_kind_word(n));
    if (!*s)
        return yc_err(y, n, "%s: must not be empty", key);
    char *copy = strdup(s);
    if (!copy)
        return yc_err(y, n, "out of memory");
    free(*out);
    *out = copy;
    return 0;
}

int yc_double(yctx *y, const yaml_node_t *n, const char *key, double min, double max,
              double *out)
{
    const char *s = yc_scalar(n);
    if (!s)
        return yc_err(y, n, "%s: expected a number, got %s", key, yc_kind_word(n));
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v))
        return yc_err(y, n, "%s: expected a number, got \"%s\"", key, s);
    if (v < min || v > max)
        return yc_err(y, n, "%s: %s is out of range (%g..%g)", key, s, min, max);
    *out = v;
    return 0;
}

int yc_int(yctx *y, const yaml_node_t *n, const char *key, long long min,
           long long max, long long *out)
{
    const char *s = yc_scalar(n);
    if (!s)
        return yc_err(y, n, "%s: expected a whole number, got %s", key, yc_kind_word(n));
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno)
        return yc_err(y, n, "%s: expected a whole number, got \"%s\"", key, s);
    if (v < min || v > max)
        return yc_err(y, n, "%s: %s is out of range (%lld..%lld)", key, s, min, max);
    *out = v;
    return 0;
}

int yc_int32(yctx *y, const yaml_node_t *n, const char *key, int min, int max, int *out)
{
    long long v;
    if (yc_int(y, n, key, min, max, &v))
        return -1;
    *out = (int)v;
    return 0;
}

int yc_bool(yctx *y, const yaml_node_t *n, const char *key, int *out)
{
    static const char *const yes[] = {"true", "yes", "on", "True", "TRUE", "Yes", "1"};
    static const char *const no[] = {"false", "no", "off", "False", "FALSE", "No", "0"};
    const char *s = yc_scalar(n);
    if (s) {
        for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
            if (strcmp(s, yes[i]) == 0) { *out = 1; return 0; }
            if (strcmp(s, no[i]) == 0) { *out = 0; return 0; }
        }
    }
    return yc_err(y, n, "%s: expected true or false, got %s", key, s ? s : yc_kind_word(n));
}

int yc_duration(yctx *y, const yaml_node_t *n, const char *key, double *out)
{
    const char *s = yc_scalar(n);
    if (!s || config_parse_duration(s, out) != 0)
        return yc_err(y, n, "%s: expected a duration (seconds, or 90s, 30m, 2h), got %s", key,
                    s ? s : yc_kind_word(n));
    return 0;
}

int yc_enum(yctx *y, const yaml_node_t *n, const char *key, const char *const *names,
            size_t count, int *out)
{
    const char *s = yc_scalar(n);
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
        return yc_err(y, n, "%s: unknown value \"%s\" (did you mean %s? one of: %s)", key, s,
                    near, list);
    return yc_err(y, n, "%s: expected one of %s, got %s", key, list, s ? s : yc_kind_word(n));
}

/* A list of strings, or one scalar as a list of one. */
int yc_str_list(yctx *y, const yaml_node_t *n, const char *key, char ***out,
                size_t *count)
{
    size_t total = n->type == YAML_SEQUENCE_NODE
                       ? (size_t)(n->data.sequence.items.top - n->data.sequence.items.start)
                       : 1;
    if (n->type != YAML_SEQUENCE_NODE && n->type != YAML_SCALAR_NODE)
        return yc_err(y, n, "%s: expected a list, got %s", key, yc_kind_word(n));
    char **v = calloc(total ? total : 1, sizeof *v);
    if (!v)
        return yc_err(y, n, "out of memory");
    for (size_t i = 0; i < total; i++) {
        const yaml_node_t *item =
            n->type == YAML_SEQUENCE_NODE
                ? yaml_document_get_node(y->doc, n->data.sequence.items.start[i])
                : n;
        const char *s = yc_scalar(item);
        if (!s || !(v[i] = strdup(s))) {
            for (size_t k = 0; k < i; k++)
                free(v[k]);
            free(v);
            return s ? yc_err(y, item, "out of memory")
                     : yc_err(y, item, "%s: list items must be scalars, got %s", key,
                            yc_kind_word(item));
        }
    }
    for (size_t i = 0; i < *count; i++)
        free((*out)[i]);
    free(*out);
    *out = v;
    *count = total;
    return 0;
}

int yc_walk_mapping(yctx *y, const yaml_node_t *map, const char *where,
                    const key_spec *specs, size_t n_specs, void *target)
{
    if (map->type != YAML_MAPPING_NODE)
        return yc_err(y, map, "%s: expected a mapping, got %s", where, yc_kind_word(map));
    const char *names[64];
    for (size_t i = 0; i < n_specs && i < 64; i++)
        names[i] = specs[i].key;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        const yaml_node_t *k = yaml_document_get_node(y->doc, p->key);
        const yaml_node_t *v = yaml_document_get_node(y->doc, p->value);
        const char *ks = yc_scalar(k);
        if (!ks)
            return yc_err(y, k, "%s: keys must be scalars", where);
        for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
            const char *prev = yc_scalar(yaml_document_get_node(y->doc, q->key));
            if (prev && strcmp(prev, ks) == 0)
                return yc_err(y, k, "%s: duplicate key \"%s\"", where, ks);
        }
        size_t i;
        for (i = 0; i < n_specs; i++)
            if (strcmp(ks, specs[i].key) == 0)
                break;
        if (i == n_specs) {
            const char *near = config_nearest(ks, names, n_specs < 64 ? n_specs : 64);
            if (near)
                return yc_err(y, k, "%s: unknown key \"%s\" (did you mean \"%s\"?)", where, ks,
                            near);
            return yc_err(y, k, "%s: unknown key \"%s\"", where, ks);
        }
        if (yc_is_null(v))
            continue;   /* "key:" with no value keeps the default */
        if (specs[i].fn(y, ks, v, target))
            return -1;
    }
    return 0;
}
